-- Återanvändning: the service catalogue (tjänstekatalog) and every known initiative are
-- searched for each case with PostgreSQL's Swedish full-text search and trigram
-- similarity (pg_trgm, created by scripts/provision-db.sh); the analyst records the
-- reuse decision, which completion requires.
ALTER TABLE analysis_cases
    ADD COLUMN description  text NOT NULL DEFAULT '',
    ADD COLUMN reuse        jsonb,
    ADD COLUMN search       tsvector GENERATED ALWAYS AS (to_tsvector('swedish', title || ' ' || description)) STORED;
CREATE INDEX analysis_cases_search ON analysis_cases USING gin (search);

CREATE TABLE service_catalogue (
    service_id             text PRIMARY KEY,
    name                   text NOT NULL,
    kind                   text NOT NULL CHECK (kind IN ('base', 'additional', 'specialist')),
    supplier_id            text NOT NULL,
    description            text NOT NULL,
    price                  text NOT NULL,
    scope                  text NOT NULL,
    service_level          text NOT NULL,
    target_group           text NOT NULL,
    security_level         integer NOT NULL CHECK (security_level BETWEEN 1 AND 4),
    customer_requirements  text NOT NULL,
    search                 tsvector GENERATED ALWAYS AS (to_tsvector('swedish', name || ' ' || description)) STORED
);
CREATE INDEX service_catalogue_search ON service_catalogue USING gin (search);

-- The catalogue as the suppliers publish it (bastjänst = base, tilläggstjänst =
-- additional, specialisttjänst = specialist); prices are the list prices per unit.
INSERT INTO service_catalogue VALUES
('digital-arbetsplats', 'Digital arbetsplats', 'base', 'intraservice',
 'Dator, e-post, kalender, Microsoft 365, skrivare och support för medarbetare.',
 '415 kr per användare och månad', 'Alla förvaltningar och bolag', 'Support vardagar 7–18, 99,5 % tillgänglighet',
 'Medarbetare', 2, 'Anställning i staden'),
('rpa-automatisering', 'Automatisering med RPA', 'additional', 'intraservice',
 'Robotiserad processautomation: mjukvarurobotar som automatiserar regelstyrda handläggningsmoment och beslut, t.ex. ansökningar och registrering.',
 '9 500 kr per robot och månad', 'Regelstyrda processer med digitalt underlag', 'Övervakning dygnet runt, åtgärd inom 4 timmar',
 'Medarbetare', 3, 'Processkartläggning och beslut om automatiserat beslutsfattande'),
('e-tjanstplattform', 'E-tjänsteplattform', 'additional', 'intraservice',
 'Plattform för digitala e-tjänster och ansökningar för invånare med inloggning via BankID och koppling till verksamhetssystem.',
 '2 800 kr per e-tjänst och månad', 'Invånartjänster', '99,5 % tillgänglighet',
 'Invånare och brukare', 3, 'Tjänsteägare utsedd i förvaltningen'),
('felanmalan', 'Felanmälan och ärendehantering', 'additional', 'intraservice',
 'Webbformulär för felanmälan med ärendehantering och status till den som anmält, ersätter telefonsamtal.',
 '1 200 kr per månad och formulär', 'Fastigheter, gator, anläggningar', 'Vardagar 8–17',
 'Invånare, hyresgäster och medarbetare', 2, 'Mottagande organisation för ärendena'),
('integrationsplattform', 'Integrationsplattform', 'specialist', 'intraservice',
 'Integrationer och API mellan verksamhetssystem, meddelandeflöden och filöverföring.',
 'Timpris 1 050 kr', 'Verksamhetssystem i staden', 'Övervakning dygnet runt',
 'Medarbetare', 3, 'Systemägare och integrationsbeskrivning'),
('bokningssystem', 'Bokningssystem för lokaler och anläggningar', 'additional', 'intraservice',
 'Bokning av idrottshallar, lokaler och anläggningar för föreningar och invånare med betalning och fakturering.',
 '3 500 kr per månad', 'Lokaler och anläggningar', 'Vardagar 7–18',
 'Föreningar, invånare och besökare', 2, 'Lokalregister'),
('iot-sensorer', 'Sensorer och IoT', 'specialist', 'intraservice',
 'Sensorer, kameror och uppkopplade mätare för övervakning av fastigheter, energi, solceller och tillsyn.',
 'Enligt offert', 'Fastigheter, energi och omsorg', 'Enligt överenskommelse',
 'Medarbetare och brukare', 3, 'Konsekvensbedömning vid kamerabevakning'),
('ai-assistent', 'AI-assistent', 'specialist', 'intraservice',
 'AI-assistent med språkmodell för medarbetare: sammanfattning, textstöd och frågor mot egna dokument.',
 '95 kr per användare och månad', 'Pilot med AI Sweden', 'Vardagar 8–17',
 'Medarbetare', 3, 'Riktlinjer för generativ AI'),
('upphandling-verksamhetssystem', 'Upphandling av verksamhetssystem', 'additional', 'inkop-upphandling',
 'Stöd vid upphandling av verksamhetssystem: behovsanalys, kravställning, annonsering och avtal enligt LOU.',
 'Timpris 950 kr', 'Alla förvaltningar och bolag', 'Enligt projektplan',
 'Medarbetare', 1, 'Beställare och budget'),
('kontaktcenter', 'Kontaktcenter för invånare', 'base', 'demokrati-medborgarservice',
 'Telefoni, chatt och e-post för invånare: svar på frågor och vägledning till rätt förvaltning.',
 'Kostnadsfördelning efter invånarkontakter', 'Hela staden', 'Vardagar 8–18',
 'Invånare och besökare', 2, 'Kunskapsbas per förvaltning'),
('tillganglighetsgranskning', 'Tillgänglighetsgranskning', 'specialist', 'demokrati-medborgarservice',
 'Granskning av webbplatser, appar och e-tjänster enligt lagen om tillgänglighet till digital offentlig service.',
 'Timpris 900 kr', 'Digitala tjänster för invånare', 'Enligt överenskommelse',
 'Invånare och besökare', 1, 'Testmiljö och kontaktperson'),
('lararplattform', 'Lärplattform och elevadministration', 'additional', 'intraservice',
 'Lärplattform för skolan och elevadministrativt system: schema, närvaro, omdömen och kontakt med vårdnadshavare.',
 '38 kr per elev och månad', 'Grundskola och gymnasium', '99,5 % tillgänglighet under skoldagar',
 'Elever, vårdnadshavare och lärare', 3, 'Skolans informationsklassning');
