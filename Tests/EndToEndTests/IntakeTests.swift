import Foundation
import Logging
import Persistence
import TestSupport
import Testing

/// The intake service alone, over a real socket, with its own database and broker:
/// needs, their lifecycle and concurrency, access by role and organisation, idempotency,
/// CSV import, supplier proposals and exemptions.
@Suite("Intake service", .serialized)
struct IntakeTests {
    static func token(_ role: String, _ organisation: String, subject: String? = nil) -> String {
        TestTokens.mint(subject: subject ?? "\(role)@\(organisation)", organisation: organisation, roles: [role])
    }

    static func need(
        _ title: String = "Digital felanmälan på webben", organisation: String = "utbildning", track: String = "common",
        draft: Bool = false
    ) -> [String: Any] {
        ["organisationId": organisation, "track": track, "title": title, "draft": draft,
         "description": "Felanmälan per telefon ersätts av ett webbformulär med status till den som anmält.",
         "category": "efficiency", "driver": "own-need", "goalArea": "internal-external-balance",
         "targetGroups": ["residents", "employees"], "urgency": "high",
         "expectedBenefits": [
            ["description": "Färre telefonsamtal", "stakeholder": "employees", "kind": "economic", "annualValue": "420000"],
            ["description": "Snabbare besked", "stakeholder": "residents", "kind": "qualitative"]],
         "roughCost": ["oneOff": "650000", "annual": "90000"],
         "contact": ["name": "Åsa Öberg", "email": "asa.oberg@example.org"],
         "links": [["title": "Förstudie", "url": "https://example.org/forstudie"]]]
    }

    static func put(_ url: URL, _ body: [String: Any], ifMatch: String?, token: String) async throws -> HTTP.Reply {
        try await HTTP.send(
            url, method: "PUT", body: try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]),
            headers: ifMatch.map { ["If-Match": $0] } ?? [:], token: token)
    }

    /// The intake outbox's events about `key`, oldest first: (type, data).
    static func events(_ system: RunningSystem, key: String) async throws -> [(type: String, data: [String: Any])] {
        let rows = try await Self.rows(
            system,
            "SELECT event_type, convert_from(payload, 'UTF8') AS data FROM intake.outbox WHERE message_key = $1 ORDER BY position",
            [key])
        return try rows.map { row in
            let text = try row.decode("data", as: String.self)
            return (try row.decode("event_type", as: String.self),
                    (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:])
        }
    }

    /// Rows of a query on the system's database as the administrator.
    static func rows(_ system: RunningSystem, _ sql: String, _ parameters: [(any PostgresEncodable)?] = []) async throws -> [PostgresRow] {
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: system.adminDatabaseURL), logger: .init(label: "test"))
        defer { pool.close() }
        return try await pool.withConnection { try await $0.query(sql, parameters) }
    }

    static func count(_ system: RunningSystem, _ sql: String) async throws -> Int {
        try await rows(system, sql)[0].decode(at: 0, as: Int.self)
    }

    @Test("a need goes draft → submitted → withdrawn with an event at each step, and edits need the current ETag")
    func lifecycle() async throws {
        let system = try await RunningSystem(only: ["intake"])
        defer { system.shutDown() }
        let anna = Self.token("submitter", "utbildning", subject: "anna")
        var replies: [HTTP.Reply] = []

        let created = try await HTTP.post(system.url("intake", "/v1/needs"), Self.need(draft: true), token: anna)
        replies.append(created)
        #expect(created.status == 201)
        #expect(created.object["status"] as? String == "draft")
        #expect(created.header("ETag") == "\"1\"")
        let id = try #require(created.object["initiativeId"] as? String)
        let needURL = system.url("intake", "/v1/needs/\(id)")

        // Another organisation's submitter and a supplier cannot see a draft; SSG can.
        #expect(try await HTTP.get(needURL, token: Self.token("submitter", "funktionsstod")).status == 404)
        #expect(try await HTTP.get(needURL, token: Self.token("supplier", "intraservice")).status == 404)
        #expect(try await HTTP.get(needURL, token: Self.token("ssg", "slk")).status == 200)

        let bertil = Self.token("submitter", "utbildning", subject: "bertil")
        let submitted = try await HTTP.post(system.url("intake", "/v1/needs/\(id)/submit"), [:], headers: ["If-Match": "\"1\""], token: bertil)
        replies.append(submitted)
        #expect(submitted.status == 200)
        #expect(submitted.object["status"] as? String == "submitted")
        #expect(try await HTTP.get(needURL, token: Self.token("supplier", "intraservice")).status == 200, "a submitted common-track need is the supplier's to see")
        let again = try await HTTP.post(system.url("intake", "/v1/needs/\(id)/submit"), [:], token: anna)
        replies.append(again)
        #expect(again.status == 409)

        var edited = Self.need()
        edited["description"] = "Webbformulär med kartpunkt och foto; status skickas per sms."
        let missing = try await Self.put(needURL, edited, ifMatch: nil, token: anna)
        replies.append(missing)
        #expect(missing.status == 428)
        let stale = try await Self.put(needURL, edited, ifMatch: "\"1\"", token: anna)
        replies.append(stale)
        #expect(stale.status == 412)
        let notYours = try await Self.put(needURL, edited, ifMatch: "\"2\"", token: Self.token("analyst", "utbildning"))
        #expect(notYours.status == 403, "an analyst reads but does not edit needs")
        let updated = try await Self.put(needURL, edited, ifMatch: "\"2\"", token: anna)
        replies.append(updated)
        #expect(updated.status == 200)
        #expect(updated.header("ETag") == "\"3\"")
        #expect(updated.object["description"] as? String == edited["description"] as? String)

        let withdrawn = try await HTTP.post(
            system.url("intake", "/v1/needs/\(id)/withdraw"), ["reason": "Löses inom befintligt avtal"], token: anna)
        replies.append(withdrawn)
        #expect(withdrawn.object["status"] as? String == "withdrawn")
        let afterWithdrawal = try await Self.put(needURL, edited, ifMatch: "\"4\"", token: anna)
        replies.append(afterWithdrawal)
        #expect(afterWithdrawal.status == 409)

        let events = try await Self.events(system, key: id)
        #expect(events.map(\.type) == [
            "se.goteborg.styrbord.need.drafted.v1", "se.goteborg.styrbord.need.submitted.v1",
            "se.goteborg.styrbord.need.updated.v1", "se.goteborg.styrbord.need.withdrawn.v1"])
        if events.count == 4 {
            #expect(events[2].data["changedFields"] as? [String] == ["description"])
            #expect(events[1].data["submittedBy"] as? String == "bertil", "who submitted, not who drafted")
            #expect(events[3].data["reason"] as? String == "Löses inom befintligt avtal")
        }
        replies.append(try await HTTP.get(needURL, token: anna))
        replies.append(try await HTTP.get(system.url("intake", "/v1/needs?status=withdrawn"), token: anna))
        let contract = try system.checkAgainstOpenAPI(replies)
        #expect(contract.passed, "\(contract.output)")
    }

    @Test("Swedish text round-trips exactly and bad input is a problem naming the field")
    func swedishAndBadInput() async throws {
        let system = try await RunningSystem(only: ["intake"])
        defer { system.shutDown() }
        let token = Self.token("submitter", "aldre-vard-omsorg")
        let title = "Nattillsyn med kamera – åäö ÅÄÖ é ü 😀 \"citat\""
        let created = try await HTTP.post(
            system.url("intake", "/v1/needs"), Self.need(title, organisation: "aldre-vard-omsorg"), token: token)
        #expect(created.status == 201)
        let id = try #require(created.object["initiativeId"] as? String)
        let read = try await HTTP.get(system.url("intake", "/v1/needs/\(id)"), token: token)
        #expect(read.object["title"] as? String == title)
        #expect((read.object["contact"] as? [String: Any])?["name"] as? String == "Åsa Öberg")
        // The structured fields are stored from the answer's JSON: read back exactly as answered.
        func canonical(_ value: Any?) throws -> String {
            guard let value else { return "absent" }
            return String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]), as: UTF8.self)
        }
        for key in ["expectedBenefits", "roughCost", "contact", "links"] {
            #expect(try canonical(read.object[key]) == canonical(created.object[key]), "\(key)")
            #expect(read.object[key] != nil, "\(key) was sent")
        }
        var bare = Self.need("Utan kostnad och kontakt", organisation: "aldre-vard-omsorg")
        bare["roughCost"] = nil
        bare["contact"] = nil
        let bareCreated = try await HTTP.post(system.url("intake", "/v1/needs"), bare, token: token)
        let bareId = try #require(bareCreated.object["initiativeId"] as? String)
        let bareRead = try await HTTP.get(system.url("intake", "/v1/needs/\(bareId)"), token: token)
        #expect(bareRead.status == 200 && bareRead.object["roughCost"] == nil && bareRead.object["contact"] == nil)

        var bad = Self.need(organisation: "aldre-vard-omsorg")
        bad["title"] = "x"
        bad["targetGroups"] = []
        bad["links"] = [["title": "Länk", "url": "ftp://example.org"]]
        let before = try await Self.count(system, "SELECT count(*) FROM intake.needs")
        let rejected = try await HTTP.post(system.url("intake", "/v1/needs"), bad, token: token)
        #expect(rejected.status == 422)
        #expect(rejected.contentType == "application/problem+json")
        let names = (rejected.object["invalid-params"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(Set(names) == ["title", "targetGroups", "links[0].url"])
        var wrongEnum = Self.need(organisation: "aldre-vard-omsorg")
        wrongEnum["category"] = "sideways"
        let enumReply = try await HTTP.post(system.url("intake", "/v1/needs"), wrongEnum, token: token)
        #expect(enumReply.status == 422)
        #expect(String(decoding: enumReply.body, as: UTF8.self).contains("efficiency"), "the rule lists the allowed values")
        let huge = try await HTTP.send(
            system.url("intake", "/v1/needs"), method: "POST", body: Data(repeating: 0x20, count: 300_000), token: token)
        #expect(huge.status == 413)
        #expect(try await Self.count(system, "SELECT count(*) FROM intake.needs") == before, "nothing stored on bad input")
    }

    @Test("the same Idempotency-Key and body gives the first answer; another body with it is refused")
    func idempotency() async throws {
        let system = try await RunningSystem(only: ["intake"])
        defer { system.shutDown() }
        let token = Self.token("submitter", "utbildning")
        let url = system.url("intake", "/v1/needs")
        let first = try await HTTP.post(url, Self.need("Lärplattform Vklass"), headers: ["Idempotency-Key": "k-1"], token: token)
        let repeatReply = try await HTTP.post(url, Self.need("Lärplattform Vklass"), headers: ["Idempotency-Key": "k-1"], token: token)
        #expect(first.status == 201)
        #expect(repeatReply.status == 201)
        #expect(repeatReply.body == first.body)
        #expect(repeatReply.header("Idempotent-Replayed") == "true")
        let other = try await HTTP.post(url, Self.need("Elevadministration IST"), headers: ["Idempotency-Key": "k-1"], token: token)
        #expect(other.status == 422)
        #expect(String(decoding: other.body, as: UTF8.self).contains("Idempotency-Key"))

        // Eight concurrent requests with one key make one need.
        let replies = try await withThrowingTaskGroup(of: HTTP.Reply.self) { group in
            for _ in 0..<8 {
                group.addTask { try await HTTP.post(url, Self.need("Samtidigt"), headers: ["Idempotency-Key": "k-2"], token: token) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(replies.allSatisfy { $0.status == 201 }, "\(replies.map(\.status))")
        #expect(Set(replies.compactMap { $0.object["initiativeId"] as? String }).count == 1)
        #expect(try await Self.count(system, "SELECT count(*) FROM intake.needs WHERE title = 'Samtidigt'") == 1)
        #expect(try await Self.count(system, "SELECT count(*) FROM intake.needs WHERE title = 'Lärplattform Vklass'") == 1)
    }

    @Test("every role × endpoint × organisation gets exactly what the access rules say")
    func accessMatrix() async throws {
        let system = try await RunningSystem(only: ["intake"])
        defer { system.shutDown() }
        let admin = Self.token("admin", "slk")
        func create(_ body: [String: Any]) async throws -> String {
            let reply = try await HTTP.post(system.url("intake", "/v1/needs"), body, token: admin)
            return try #require(reply.object["initiativeId"] as? String, "\(reply.status)")
        }
        // Fixtures of organisation `utbildning`: a common-track draft, an organisation-specific
        // submitted need and a common-track submitted need.
        let draft = try await create(Self.need("Utkast gemensamt", draft: true))
        let ownTrack = try await create(Self.need("Eget spår", track: "organisation-specific"))
        let common = try await create(Self.need("Gemensamt inskickat"))
        let fixtures = [draft, ownTrack, common]

        let roles = ["submitter", "analyst", "supplier", "ssg", "benefit-owner", "auditor", "admin"]
        var failures: [String] = []
        var checked = 0
        for role in roles {
            for organisation in ["utbildning", "funktionsstod"] {
                let token = Self.token(role, organisation)
                let own = organisation == "utbildning"
                let readsAll = ["ssg", "auditor", "admin"].contains(role)
                let writes = role == "admin" || (role == "submitter" && own)
                func expect(_ what: String, _ status: Int, _ expected: Int) {
                    checked += 1
                    if status != expected { failures.append("\(role)@\(organisation) \(what): \(status), expected \(expected)") }
                }
                // Reading single needs.
                expect("GET draft", try await HTTP.get(system.url("intake", "/v1/needs/\(draft)"), token: token).status,
                       readsAll || own ? 200 : 404)
                expect("GET own-track", try await HTTP.get(system.url("intake", "/v1/needs/\(ownTrack)"), token: token).status,
                       readsAll || own ? 200 : 404)
                expect("GET common", try await HTTP.get(system.url("intake", "/v1/needs/\(common)"), token: token).status,
                       readsAll || own || role == "supplier" ? 200 : 404)
                // Listing shows the same.
                let list = try await HTTP.get(system.url("intake", "/v1/needs?limit=500"), token: token)
                let listed = Set((list.object["items"] as? [[String: Any]] ?? []).compactMap { $0["initiativeId"] as? String })
                let expectedListed: Set<String> = readsAll || own ? Set(fixtures) : (role == "supplier" ? [common] : [])
                checked += 1
                if listed.intersection(fixtures) != expectedListed { failures.append("\(role)@\(organisation) list: \(listed.intersection(fixtures))") }
                // Writing.
                expect("POST need", try await HTTP.post(system.url("intake", "/v1/needs"), Self.need("Matris \(role)"), token: token).status,
                       writes ? 201 : 403)
                let current = try await HTTP.get(system.url("intake", "/v1/needs/\(common)"), token: admin).header("ETag")
                expect("PUT common", try await Self.put(system.url("intake", "/v1/needs/\(common)"), Self.need("Ändrad av \(role)"), ifMatch: current, token: token).status,
                       writes ? 200 : (readsAll || own || role == "supplier" ? 403 : 404))
                expect("GET organisations", try await HTTP.get(system.url("intake", "/v1/organisations"), token: token).status, 200)
                expect("POST organisation", try await HTTP.post(
                    system.url("intake", "/v1/organisations"),
                    ["organisationId": "ny-\(role)-\(organisation)", "name": "Ny förvaltning", "kind": "administration", "board": "Ny nämnd"],
                    token: token).status, role == "admin" ? 201 : 403)
                expect("POST exemption", try await HTTP.post(system.url("intake", "/v1/exemptions"), Self.exemption(), token: token).status,
                       writes ? 201 : 403)
                expect("GET exemptions", try await HTTP.get(system.url("intake", "/v1/exemptions"), token: token).status, 200)
                expect("POST proposal", try await HTTP.post(system.url("intake", "/v1/proposals"), ["title": "Förslag", "description": "x", "category": "other", "answersNeeds": [common]], token: token).status,
                       ["supplier", "admin"].contains(role) ? 422 : 403)  // 422: the token's org is not a supplier
                let csv = "spår;titel;beskrivning;kategori;drivkraft;målgrupper;organisation\ngemensam;Import \(role) \(organisation);Rad;övrigt;eget behov;invånare;utbildning\n"
                expect("POST import", try await HTTP.send(
                    system.url("intake", "/v1/needs/imports"), method: "POST", body: Data(csv.utf8), contentType: "text/csv",
                    token: token).status, writes ? 201 : (role == "submitter" ? 422 : 403))
            }
        }
        // Without a token, with a token signed by another key, and with an expired one: 401.
        for token in [nil, TestTokens.mint(subject: "x", organisation: "utbildning", roles: ["admin"], secret: String(repeating: "k", count: 64)),
                      TestTokens.mint(subject: "x", organisation: "utbildning", roles: ["admin"], expiresIn: -60),
                      TestTokens.mint(subject: "x", organisation: "utbildning", roles: ["admin"], audience: "another-system")] {
            for path in ["/v1/needs", "/v1/needs/\(common)", "/v1/organisations", "/v1/exemptions", "/v1/proposals"] {
                let reply = try await HTTP.get(system.url("intake", path), token: token)
                checked += 1
                if reply.status != 401 || reply.header("WWW-Authenticate") == nil { failures.append("\(path) with a bad token: \(reply.status)") }
            }
        }
        #expect(try await HTTP.get(system.url("intake", "/health/ready"), token: nil).status == 200, "probes need no token")
        #expect(failures.isEmpty, "\(failures.count) of \(checked) checks failed:\n\(failures.joined(separator: "\n"))")
        #expect(checked > 150)
    }

    static func exemption(organisation: String = "utbildning") -> [String: Any] {
        ["organisationId": organisation, "supplierId": "intraservice", "baseService": "Arbetsplatstjänst",
         "motivation": "Skolornas elevdatorer kräver en egen hanteringsplattform för provtillfällen.",
         "dialogue": [["date": "2026-09-01", "participants": "Utbildning, Intraservice", "summary": "Genomgång av kraven; tjänsten kan inte anpassas i år."]],
         "boardDecision": ["board": "Utbildningsnämnden", "decidedOn": "2026-10-15", "reference": "§ 112, dnr 0815/26"]]
    }

    @Test("a CSV import with broken rows imports nothing and names each problem; a good file imports once")
    func csvImport() async throws {
        let system = try await RunningSystem(only: ["intake"])
        defer { system.shutDown() }
        let token = Self.token("submitter", "idrott-forening")
        let url = system.url("intake", "/v1/needs/imports")
        func send(_ text: String) async throws -> HTTP.Reply {
            try await HTTP.send(url, method: "POST", body: Data(text.utf8), contentType: "text/csv; charset=utf-8", token: token)
        }
        let header = "\u{FEFF}Spår;Titel;Beskrivning;Kategori;Drivkraft;Målgrupper;Angelägenhet;Engångskostnad;Referens\r\n"
        let good = [
            "verksamhetsspecifik;Bokningssystem DF Respons;\"Bokning av hallar; ersätter \"\"gamla\"\" systemet\nmed två rader\";upphandling av verksamhetssystem;avtal löper ut;invånare, medarbetare;hög;1 200 000,50;IF-1\r\n",
            "gemensam;Solboxar;Övervakning av solpaneler;effektiviserande;eget behov;medarbetare;medel;;IF-2\r\n",
        ]
        let broken = [
            "gemensam;X;Beskrivning;kvalitetshöjande;eget behov;invånare;låg;;IF-3\r\n",
            "gemensam;Föreningsapp;Beskrivning;okänd kategori;eget behov;marsmänniskor;låg;tolv kronor;IF-4\r\n",
        ]
        let before = try await Self.count(system, "SELECT count(*) FROM intake.needs")
        let rejected = try await send(header + good.joined() + broken.joined())
        #expect(rejected.status == 422)
        let names = Set((rejected.object["invalid-params"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String })
        #expect(names == ["rows[4].title", "rows[5].category", "rows[5].targetGroups", "rows[5].roughCostOneOff"], "\(names)")
        #expect(try await Self.count(system, "SELECT count(*) FROM intake.needs") == before, "nothing half-imported")
        #expect(try await Self.count(system, "SELECT count(*) FROM intake.outbox") == 12, "only the organisation registry's events")

        let imported = try await send(header + good.joined())
        #expect(imported.status == 201)
        #expect(imported.object["imported"] as? Int == 2)
        let list = try await HTTP.get(system.url("intake", "/v1/needs?organisationId=idrott-forening"), token: token)
        let items = list.object["items"] as? [[String: Any]] ?? []
        let booking = items.first { $0["title"] as? String == "Bokningssystem DF Respons" }
        #expect(booking?["description"] as? String == "Bokning av hallar; ersätter \"gamla\" systemet\nmed två rader")
        #expect((booking?["roughCost"] as? [String: Any])?["oneOff"] as? String == "1200000.5")
        #expect(booking?["category"] as? String == "business-system-procurement")
        #expect(booking?["targetGroups"] as? [String] == ["residents", "employees"], "groups mapped per distinct cell, in order")
        let solar = items.first { $0["title"] as? String == "Solboxar" }
        #expect(solar?["targetGroups"] as? [String] == ["employees"])

        // Again, and once more with `,` as the delimiter: nothing new.
        let again = try await send(header + good.joined())
        #expect(again.object["imported"] as? Int == 0)
        #expect(again.object["duplicates"] as? Int == 2)
        let commas = "Spår,Titel,Beskrivning,Kategori,Drivkraft,Målgrupper,Referens\ngemensam,Solboxar,Övervakning,effektiviserande,eget behov,medarbetare,IF-2\ngemensam,Ny rad,Beskrivning,övrigt,ny lag,besökare,IF-9\n"
        let mixed = try await send(commas)
        #expect(mixed.object["imported"] as? Int == 1)
        #expect(mixed.object["duplicates"] as? Int == 1)
        #expect(try await Self.count(system, "SELECT count(*) FROM intake.needs") == before + 3)
        #expect(try await Self.count(system, "SELECT count(*) FROM intake.outbox WHERE event_type = 'se.goteborg.styrbord.need.submitted.v1'") == 3)
        let wrongType = try await HTTP.send(url, method: "POST", body: Data("a".utf8), contentType: "application/json", token: token)
        #expect(wrongType.status == 415)
        let contract = try system.checkAgainstOpenAPI([rejected, imported, again, wrongType])
        #expect(contract.passed, "\(contract.output)")

        // A draft row, then every event the imports wrote holds to its published schema and
        // carries the CloudEvents headers (the import builds them in SQL, so this is the check).
        let withStatus = "Spår;Titel;Beskrivning;Kategori;Drivkraft;Målgrupper;Status;Kontaktperson\ngemensam;Utkast i fil;Beskrivning;övrigt;ny lag;besökare;utkast;Eva Ek\n"
        let draftImport = try await send(withStatus)
        #expect(draftImport.object["drafts"] as? Int == 1)
        for type in ["need.submitted.v1", "need.drafted.v1"] {
            let rows = try await Self.rows(
                system,
                """
                SELECT convert_from(payload, 'UTF8') AS data, headers->>'ce_id' = event_id AND headers->>'ce_type' = event_type
                       AND headers ? 'ce_time' AND headers ? 'traceparent' AS headers_ok
                FROM intake.outbox WHERE event_type = 'se.goteborg.styrbord.\(type)'
                """)
            #expect(!rows.isEmpty)
            var files: [String] = []
            for (index, row) in rows.enumerated() {
                #expect(try row.decode("headers_ok", as: Bool.self))
                let file = FileManager.default.temporaryDirectory.appendingPathComponent("import-\(type)-\(index)-\(UUID().uuidString).json")
                try Data(try row.decode("data", as: String.self).utf8).write(to: file)
                files.append(file.path)
            }
            let check = try await runProcessDetached(
                URL(fileURLWithPath: "/usr/bin/env"), ["python3", "scripts/check-contracts.py", "event", type] + files)
            #expect(check.status == 0, "\(check.output)")
        }
    }

    @Test("a supplier proposal links the customer needs it answers; an exemption informs SSG and is reportable")
    func proposalsAndExemptions() async throws {
        let system = try await RunningSystem(only: ["intake"])
        defer { system.shutDown() }
        let aldre = try await HTTP.post(
            system.url("intake", "/v1/needs"), Self.need("Planeringssystem", organisation: "aldre-vard-omsorg"),
            token: Self.token("submitter", "aldre-vard-omsorg"))
        let funk = try await HTTP.post(
            system.url("intake", "/v1/needs"), Self.need("Planering i funktionsstöd", organisation: "funktionsstod"),
            token: Self.token("submitter", "funktionsstod"))
        let needs = [aldre, funk].compactMap { $0.object["initiativeId"] as? String }
        #expect(needs.count == 2)
        let supplier = Self.token("supplier", "intraservice")
        let proposal = try await HTTP.post(
            system.url("intake", "/v1/proposals"),
            ["title": "Gemensamt planeringssystem Epsilon", "description": "Ett system för två välfärdsnämnder",
             "category": "business-system-procurement", "goalArea": "efficiency-innovation-balance", "answersNeeds": needs],
            token: supplier)
        #expect(proposal.status == 201)
        let proposalID = try #require(proposal.object["initiativeId"] as? String)
        #expect(proposal.object["customerOrganisationIds"] as? [String] == ["aldre-vard-omsorg", "funktionsstod"])
        let linked = try await HTTP.get(system.url("intake", "/v1/needs/\(needs[0])"), token: Self.token("submitter", "aldre-vard-omsorg"))
        #expect(linked.object["answeredByProposals"] as? [String] == [proposalID])
        #expect(try await Self.events(system, key: proposalID).map(\.type) == ["se.goteborg.styrbord.proposal.submitted.v1"])

        let submitter = Self.token("submitter", "utbildning")
        var noDialogue = Self.exemption()
        noDialogue["dialogue"] = []
        let rejected = try await HTTP.post(system.url("intake", "/v1/exemptions"), noDialogue, token: submitter)
        #expect(rejected.status == 422)
        #expect(String(decoding: rejected.body, as: UTF8.self).contains("dialogue"))
        let exemption = try await HTTP.post(system.url("intake", "/v1/exemptions"), Self.exemption(), token: submitter)
        #expect(exemption.status == 201)
        let exemptionID = try #require((exemption.object["exemptionId"] as? String)?.lowercased())
        #expect(try await Self.events(system, key: exemptionID).map(\.type) == ["se.goteborg.styrbord.exemption.registered.v1"])
        #expect(exemption.object["exemptionId"] as? String == exemptionID, "ids are lowercase everywhere")
        let location = try #require(exemption.header("Location"))
        #expect(try await HTTP.get(system.url("intake", location), token: Self.token("ssg", "slk")).status == 200)
        #expect(try await HTTP.get(system.url("intake", location), token: Self.token("submitter", "got-event")).status == 404)
        let report = try await HTTP.get(system.url("intake", "/v1/exemptions?format=csv"), token: Self.token("ssg", "slk"))
        let text = String(decoding: report.body, as: UTF8.self)
        #expect(report.contentType?.hasPrefix("text/csv") == true)
        #expect(text.contains("Arbetsplatstjänst") && text.contains("§ 112, dnr 0815/26"))
        let others = try await HTTP.get(system.url("intake", "/v1/exemptions"), token: Self.token("submitter", "got-event"))
        #expect((others.object["items"] as? [Any])?.isEmpty == true, "another organisation does not see it")
        let contract = try system.checkAgainstOpenAPI([
            proposal, linked, rejected, exemption, report, others,
            try await HTTP.get(system.url("intake", "/v1/proposals/\(proposalID)"), token: supplier),
            try await HTTP.get(system.url("intake", "/v1/organisations?kind=supplier"), token: supplier),
        ])
        #expect(contract.passed, "\(contract.output)")
    }
}
