-- The organisations' names and boards as intake's registry announces them
-- (organisation.registered / organisation.updated), so messages name
-- "Utbildningsnämnden" rather than an id. A projection of events; intake owns the registry.
CREATE TABLE organisations (
    organisation_id  text PRIMARY KEY,
    name             text NOT NULL,
    board            text NOT NULL,
    active           boolean NOT NULL,
    updated_at       timestamptz NOT NULL
);
