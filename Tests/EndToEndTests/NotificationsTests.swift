import Foundation
import Logging
import Persistence
import TestSupport
import Testing

/// The notifications service with intake feeding it events, over real sockets, with its
/// own database and broker: the rules file's recipients, the feed per person, read
/// state, preferences and the evidence of the guideline's informing duties.
@Suite("Notifications service", .serialized)
struct NotificationsTests {
    static func token(_ role: String, _ organisation: String, subject: String? = nil) -> String {
        TestTokens.mint(subject: subject ?? "\(role)@\(organisation)", organisation: organisation, roles: [role])
    }

    static func need(_ title: String, organisation: String) -> [String: Any] {
        ["organisationId": organisation, "track": "common", "title": title,
         "description": "Planering av insatser i hemtjänst och boende i ett gemensamt system.",
         "category": "efficiency", "driver": "own-need", "targetGroups": ["employees"]]
    }

    static var exemption: [String: Any] { [
        "organisationId": "utbildning", "supplierId": "intraservice", "baseService": "Arbetsplatstjänst",
        "motivation": "Skolornas elevdatorer kräver en egen hanteringsplattform för provtillfällen.",
        "dialogue": [["date": "2026-09-01", "participants": "Utbildning, Intraservice", "summary": "Tjänsten kan inte anpassas i år."]],
        "boardDecision": ["board": "Utbildningsnämnden", "decidedOn": "2026-10-15", "reference": "§ 112, dnr 0815/26"]] }

    static func feed(_ system: RunningSystem, _ query: String = "", token: String) async throws -> [[String: Any]] {
        let reply = try await HTTP.get(system.url("notifications", "/v1/notifications?limit=500" + query), token: token)
        #expect(reply.status == 200, "\(reply.object)")
        return reply.object["items"] as? [[String: Any]] ?? []
    }

    static func put(_ system: RunningSystem, _ path: String, _ body: [String: Any], key: String? = nil, token: String)
        async throws -> HTTP.Reply
    {
        try await HTTP.send(
            system.url("notifications", path), method: "PUT", body: try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]),
            headers: key.map { ["Idempotency-Key": $0] } ?? [:], token: token)
    }

    /// Waits until notifications has applied intake's organisation events: they travel on
    /// other partitions (keyed by organisation) than an exemption's, so nothing orders them.
    static func waitForRegistry(_ system: RunningSystem) async throws {
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: system.adminDatabaseURL), logger: .init(label: "test"))
        defer { pool.close() }
        try await waitUntil("notifications knows the organisations' names") {
            let rows = try await pool.withConnection { try await $0.query("SELECT count(*) AS n FROM notifications.organisations") }
            return try rows[0].decode("n", as: Int.self) >= 12
        }
    }

    @Test("SSG is told of an exemption and a supplier proposal; each person sees only theirs, reads on their own, and the evidence shows it")
    func exemptionAndProposalReachTheRightPeople() async throws {
        let system = try await RunningSystem(only: ["intake", "notifications"])
        defer { system.shutDown() }
        let ssg = Self.token("ssg", "slk", subject: "ssg-ordforande")
        let otherSSG = Self.token("ssg", "goteborg-energi", subject: "ssg-ledamot")
        let teacher = Self.token("submitter", "utbildning")
        let auditor = Self.token("auditor", "stadsrevisionen")
        var replies: [HTTP.Reply] = []
        try await Self.waitForRegistry(system)

        let registered = try await HTTP.post(system.url("intake", "/v1/exemptions"), Self.exemption, token: teacher)
        #expect(registered.status == 201)
        let exemption = try #require(registered.object["exemptionId"] as? String)
        var informed: [String: Any] = [:]
        try await waitUntil("SSG is told of the exemption") {
            informed = try await Self.feed(system, "&exemptionId=\(exemption)", token: ssg).first ?? [:]
            return !informed.isEmpty
        }
        #expect(informed["kind"] as? String == "exemption-registered" && informed["mandatory"] as? Bool == true)
        #expect(informed["recipientOrganisation"] as? String == "slk" && informed["initiativeId"] == nil)
        #expect((informed["sv"] as? [String: Any])?["title"] as? String == "Avsteg från bastjänst: Arbetsplatstjänst (Utbildningsförvaltningen)",
                "the organisation's name from the registry's events")
        #expect((informed["sv"] as? [String: Any])?["body"] as? String == "Utbildningsnämnden beslutade 2026-10-15 (§ 112, dnr 0815/26) om avsteg från bastjänsten Arbetsplatstjänst från Intraservice. Motivering: Skolornas elevdatorer kräver en egen hanteringsplattform för provtillfällen.")
        #expect(informed["link"] as? String == "/avsteg/\(exemption)")
        let supplierFeed = try await Self.feed(system, "&exemptionId=\(exemption)", token: Self.token("supplier", "intraservice"))
        #expect(supplierFeed.map { $0["kind"] as? String } == ["exemption-for-supplier"])
        #expect(try await Self.feed(system, token: teacher).isEmpty, "the submitting organisation is not told its own exemption")
        let id = try #require(informed["notificationId"] as? String)
        let hidden = try await HTTP.get(system.url("notifications", "/v1/notifications/\(id)"), token: teacher)
        #expect(hidden.status == 404, "a notification to SSG is not the school's to see")

        // Reading is per person, and a repeated request is answered the same.
        let read = try await HTTP.post(
            system.url("notifications", "/v1/notifications/\(id)/read"), [:], headers: ["Idempotency-Key": "read-1"], token: ssg)
        #expect(read.status == 200)
        let readAt = try #require(read.object["readAt"] as? String)
        let again = try await HTTP.post(
            system.url("notifications", "/v1/notifications/\(id)/read"), [:], headers: ["Idempotency-Key": "read-1"], token: ssg)
        #expect(again.object["readAt"] as? String == readAt && again.header("Idempotent-Replayed") == "true")
        #expect(try await Self.feed(system, "&unread=true", token: ssg).isEmpty)
        let unreadForOther = try await Self.feed(system, "&unread=true", token: otherSSG)
        #expect(unreadForOther.map { $0["notificationId"] as? String } == [id], "another SSG member has not read it")

        // A supplier proposal: SSG must be told; each customer is told too.
        let needs = try await [("Planeringssystem", "aldre-vard-omsorg"), ("Planering i funktionsstöd", "funktionsstod")]
            .asyncMap { title, organisation in
                try await HTTP.post(system.url("intake", "/v1/needs"), Self.need(title, organisation: organisation),
                                    token: Self.token("submitter", organisation)).object["initiativeId"] as? String
            }.compactMap { $0 }
        let proposal = try await HTTP.post(
            system.url("intake", "/v1/proposals"),
            ["title": "Gemensamt planeringssystem Epsilon", "description": "Ett system för två välfärdsnämnder",
             "category": "business-system-procurement", "answersNeeds": needs],
            token: Self.token("supplier", "intraservice"))
        let initiative = try #require(proposal.object["initiativeId"] as? String)
        try await waitUntil("SSG and both customers are told of the proposal") {
            let toSSG = try await Self.feed(system, "&initiativeId=\(initiative)", token: otherSSG)
            let toCustomer = try await Self.feed(system, "&initiativeId=\(initiative)", token: Self.token("submitter", "funktionsstod"))
            return toSSG.map { $0["kind"] as? String } == ["supplier-proposal-awaits-ssg"]
                && toCustomer.map { $0["kind"] as? String } == ["supplier-proposal-for-customer"]
        }
        #expect(try await Self.feed(system, token: Self.token("submitter", "got-event")).isEmpty)

        // The evidence: when whom was informed of what, and who has read it.
        let evidence = try await HTTP.get(system.url("notifications", "/v1/evidence?exemptionId=\(exemption)"), token: auditor)
        #expect(evidence.status == 200)
        let items = evidence.object["items"] as? [[String: Any]] ?? []
        #expect(items.map { $0["kind"] as? String } == ["exemption-registered"], "only the mandatory duty")
        let item = try #require(items.first)
        #expect(item["recipientOrganisation"] as? String == "slk" && item["recipientRole"] as? String == "ssg")
        #expect((item["readBy"] as? [[String: Any]])?.map { $0["subject"] as? String } == ["ssg-ordforande"])
        #expect((item["duty"] as? [String: Any])?["sv"] as? String == "SSG ska informeras om avsteg från en bastjänst (riktlinjen, avsteg).")
        let notAllowed = try await HTTP.get(system.url("notifications", "/v1/evidence?exemptionId=\(exemption)"), token: teacher)
        #expect(notAllowed.status == 403)
        let noSubject = try await HTTP.get(system.url("notifications", "/v1/evidence"), token: auditor)
        #expect(noSubject.status == 422)
        let unauthenticated = try await HTTP.get(system.url("notifications", "/v1/notifications"), token: nil)
        #expect(unauthenticated.status == 401)

        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: system.adminDatabaseURL), logger: .init(label: "test"))
        defer { pool.close() }
        let rows = try await pool.withConnection {
            try await $0.query("SELECT count(*) AS n FROM notifications.notifications WHERE exemption_id = $1::uuid", [exemption])
        }
        #expect(try rows[0].decode("n", as: Int.self) == 2, "one to SSG, one to the supplier, nothing twice")

        replies += [read, again, hidden, evidence, notAllowed, noSubject, unauthenticated,
                    try await HTTP.get(system.url("notifications", "/v1/notifications?exemptionId=\(exemption)"), token: ssg),
                    try await HTTP.get(system.url("notifications", "/v1/notifications/\(id)"), token: ssg)]
        let contract = try system.checkAgainstOpenAPI(replies)
        #expect(contract.passed, "\(contract.output)")
    }

    @Test("who asked for e-mail gets one message per notification over SMTP, in Swedish first, whatever the restarts")
    func email() async throws {
        let sink = try SMTPSink()
        defer { sink.stop() }
        let system = try await RunningSystem(only: ["intake", "notifications"], environment: sink.environment)
        defer { system.shutDown() }
        let chair = TestTokens.mint(
            subject: "ssg-ordforande", organisation: "slk", roles: ["ssg"], email: "ordforande@example.org")
        let noAddress = Self.token("ssg", "slk", subject: "utan-adress")
        let wantsEmail: [String: Any] = ["kinds": ["exemption-registered": ["channels": ["in-app", "email"]]]]
        let refused = try await Self.put(system, "/v1/preferences", wantsEmail, token: noAddress)
        #expect(refused.status == 422, "e-mail needs an address in the token")
        #expect(try await Self.put(system, "/v1/preferences", wantsEmail, token: chair).status == 200)
        try await Self.waitForRegistry(system)

        let registered = try await HTTP.post(
            system.url("intake", "/v1/exemptions"), Self.exemption, token: Self.token("submitter", "utbildning"))
        #expect(registered.status == 201)
        var messages: [String] = []
        try await waitUntil("the chair's e-mail arrives in the sink") {
            messages = try sink.messages()
            return !messages.isEmpty
        }
        let message = try #require(messages.first)
        #expect(message.contains("X-Sink-Rcpt-To: ordforande@example.org"))
        #expect(message.contains("Subject: =?UTF-8?B?\(Data("Avsteg från bastjänst: Arbetsplatstjänst (Utbildningsförvaltningen)".utf8).base64EncodedString())?="))
        let body = try #require(message.components(separatedBy: "\r\n\r\n").dropFirst().first)
        let text = String(decoding: Data(base64Encoded: body, options: .ignoreUnknownCharacters) ?? Data(), as: UTF8.self)
        #expect(text.hasPrefix("Avsteg från bastjänst: Arbetsplatstjänst (Utbildningsförvaltningen)"))
        #expect(text.contains("-- In English --"))

        // Once the delivery is recorded as sent, a restart sends nothing again: one delivery per
        // (notification, person). (Killed between the server's acceptance and that record, it
        // would be sent again: the documented at-least-once towards the SMTP server.)
        let deliveries = PostgresPool(configuration: PostgresConfiguration(connectionString: system.adminDatabaseURL), logger: .init(label: "test"))
        defer { deliveries.close() }
        try await waitUntil("the delivery is recorded as sent") {
            let rows = try await deliveries.withConnection {
                try await $0.query("SELECT count(sent_at) AS sent FROM notifications.email_deliveries")
            }
            return try rows[0].decode("sent", as: Int.self) == 1
        }
        system.kill("notifications")
        try system.start("notifications")
        try await system.waitUntilReady("notifications")
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: system.adminDatabaseURL), logger: .init(label: "test"))
        defer { pool.close() }
        let rows = try await pool.withConnection {
            try await $0.query("SELECT count(*) AS n, count(sent_at) AS sent FROM notifications.email_deliveries")
        }
        #expect(try rows[0].decode("n", as: Int.self) == 1 && rows[0].decode("sent", as: Int.self) == 1)
        #expect(try sink.messages().count == 1)
    }

    @Test("an optional kind can be muted and leaves the feed; a mandatory one cannot, and the problem names the rule")
    func preferences() async throws {
        let system = try await RunningSystem(only: ["intake", "notifications"])
        defer { system.shutDown() }
        let supplier = TestTokens.mint(
            subject: "supplier@intraservice", organisation: "intraservice", roles: ["supplier"], email: "leverantor@example.org")
        let registered = try await HTTP.post(
            system.url("intake", "/v1/exemptions"), Self.exemption, token: Self.token("submitter", "utbildning"))
        let exemption = try #require(registered.object["exemptionId"] as? String)
        try await waitUntil("the supplier is told of the exemption") {
            try await !Self.feed(system, "&exemptionId=\(exemption)", token: supplier).isEmpty
        }

        let kinds = try await HTTP.get(system.url("notifications", "/v1/notification-kinds"), token: supplier)
        let catalogue = kinds.object["kinds"] as? [[String: Any]] ?? []
        #expect(catalogue.first { $0["kind"] as? String == "exemption-registered" }?["mandatory"] as? Bool == true)
        #expect(catalogue.first { $0["kind"] as? String == "exemption-for-supplier" }?["mandatory"] as? Bool == false)

        let refused = try await Self.put(
            system, "/v1/preferences", ["kinds": ["exemption-registered": ["muted": true], "decision-made": ["channels": ["email"]]]],
            token: supplier)
        #expect(refused.status == 422 && refused.contentType == "application/problem+json")
        let invalid = refused.object["invalid-params"] as? [[String: Any]] ?? []
        #expect(invalid.map { $0["name"] as? String } == ["kinds.decision-made.channels", "kinds.exemption-registered.muted"])
        #expect((invalid.last?["reason"] as? String)?.contains("exemption-registered is mandatory in notification rules v1") == true)

        let muting: [String: Any] = ["kinds": ["exemption-for-supplier": ["muted": true], "decision-made": ["channels": ["in-app", "email"]]],
                                     "digest": "daily"]
        let stored = try await Self.put(system, "/v1/preferences", muting, key: "prefs-1", token: supplier)
        #expect(stored.status == 200)
        #expect(stored.object["digest"] as? String == "daily")
        let replayed = try await Self.put(system, "/v1/preferences", muting, key: "prefs-1", token: supplier)
        #expect(replayed.header("Idempotent-Replayed") == "true")
        let read = try await HTTP.get(system.url("notifications", "/v1/preferences"), token: supplier)
        #expect((read.object["kinds"] as? [String: Any])?["exemption-for-supplier"] as? [String: Bool] == ["muted": true])
        #expect(try await Self.feed(system, "&exemptionId=\(exemption)", token: supplier).isEmpty, "muted, so not in the feed")
        let colleague = Self.token("supplier", "intraservice", subject: "kollega@intraservice")
        #expect(try await Self.feed(system, "&exemptionId=\(exemption)", token: colleague).count == 1, "muting is per person")
        let defaults = try await HTTP.get(system.url("notifications", "/v1/preferences"), token: colleague)
        #expect(defaults.object["digest"] as? String == "none")

        let contract = try system.checkAgainstOpenAPI([kinds, refused, stored, replayed, read, defaults])
        #expect(contract.passed, "\(contract.output)")
    }

    @Test("e-mail goes over STARTTLS or TLS with authentication, the server's certificate checked; a wrong password is recorded and sends nothing")
    func emailOverTLS() async throws {
        let credentials = ["STYRBORD_SMTP_USERNAME": "styrbord", "STYRBORD_SMTP_PASSWORD": "rätt-lösenord"]
        for security in ["starttls", "tls"] {
            let sink = try SMTPSink(security: security, credentials: "styrbord:rätt-lösenord")
            defer { sink.stop() }
            let system = try await RunningSystem(
                only: ["intake", "notifications"], environment: sink.environment.merging(credentials) { $1 })
            defer { system.shutDown() }
            let chair = TestTokens.mint(
                subject: "ssg-ordforande", organisation: "slk", roles: ["ssg"], email: "ordforande@example.org")
            let wantsEmail: [String: Any] = ["kinds": ["exemption-registered": ["channels": ["in-app", "email"]]]]
            #expect(try await Self.put(system, "/v1/preferences", wantsEmail, token: chair).status == 200)
            try await Self.waitForRegistry(system)
            let registered = try await HTTP.post(
                system.url("intake", "/v1/exemptions"), Self.exemption, token: Self.token("submitter", "utbildning"))
            #expect(registered.status == 201)
            try await waitUntil("the e-mail arrives over \(security)") { try !sink.messages().isEmpty }
            let message = try #require(try sink.messages().first)
            #expect(message.contains("X-Sink-TLS: yes") && message.contains("X-Sink-Auth: styrbord"), "\(security)")
            #expect(message.contains("X-Sink-Rcpt-To: ordforande@example.org"))
        }

        // An untrusted certificate, then the wrong password: the delivery waits with the
        // reason, and nothing arrives.
        let wrongPassword = ["STYRBORD_SMTP_USERNAME": "styrbord", "STYRBORD_SMTP_PASSWORD": "fel"]
        for (change, expected) in [(["STYRBORD_SMTP_CA_FILE": ""].merging(credentials) { $1 }, ["CERTIFICATE_VERIFY_FAILED"]), (wrongPassword, ["AUTH", "535"])] {
            let sink = try SMTPSink(security: "starttls", credentials: "styrbord:rätt-lösenord")
            defer { sink.stop() }
            let system = try await RunningSystem(
                only: ["intake", "notifications"], environment: sink.environment.merging(change) { $1 })
            defer { system.shutDown() }
            let chair = TestTokens.mint(subject: "ssg-ordforande", organisation: "slk", roles: ["ssg"], email: "ordforande@example.org")
            #expect(try await Self.put(system, "/v1/preferences", ["kinds": ["exemption-registered": ["channels": ["in-app", "email"]]]], token: chair).status == 200)
            try await Self.waitForRegistry(system)
            #expect(try await HTTP.post(
                system.url("intake", "/v1/exemptions"), Self.exemption, token: Self.token("submitter", "utbildning")).status == 201)
            let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: system.adminDatabaseURL), logger: .init(label: "test"))
            defer { pool.close() }
            var error = ""
            try await waitUntil("the failed attempt is recorded") {
                let rows = try await pool.withConnection {
                    try await $0.query("SELECT last_error FROM notifications.email_deliveries WHERE last_error IS NOT NULL")
                }
                error = try rows.first?.decode("last_error", as: String.self) ?? ""
                return !error.isEmpty
            }
            #expect(expected.allSatisfy { error.contains($0) }, "\(error)")
            #expect(try sink.messages().isEmpty)
        }
    }

    @Test("with the daily digest, a person gets one e-mail per period listing what arrived, instead of one per notification")
    func dailyDigest() async throws {
        let sink = try SMTPSink()
        defer { sink.stop() }
        let system = try await RunningSystem(
            only: ["intake", "notifications"], environment: sink.environment.merging(["STYRBORD_DIGEST_INTERVAL_SECONDS": "4"]) { $1 })
        defer { system.shutDown() }
        let chair = TestTokens.mint(subject: "ssg-ordforande", organisation: "slk", roles: ["ssg"], email: "ordforande@example.org")
        let member = TestTokens.mint(subject: "ssg-ledamot", organisation: "slk", roles: ["ssg"], email: "ledamot@example.org")
        let email: [String: Any] = ["exemption-registered": ["channels": ["in-app", "email"]]]
        #expect(try await Self.put(system, "/v1/preferences", ["kinds": email, "digest": "daily"], token: chair).status == 200)
        #expect(try await Self.put(system, "/v1/preferences", ["kinds": email], token: member).status == 200)
        try await Self.waitForRegistry(system)

        var exemptions: [String] = []
        for service in ["Arbetsplatstjänst", "Utskriftstjänst"] {
            var body = Self.exemption
            body["baseService"] = service
            let registered = try await HTTP.post(system.url("intake", "/v1/exemptions"), body, token: Self.token("submitter", "utbildning"))
            #expect(registered.status == 201)
            exemptions.append(service)
        }
        func decoded(_ message: String) -> String {
            let body = message.components(separatedBy: "\r\n\r\n").dropFirst().first ?? ""
            return String(decoding: Data(base64Encoded: body, options: .ignoreUnknownCharacters) ?? Data(), as: UTF8.self)
        }
        // The member without a digest gets two e-mails; the chair's two notifications come
        // in digests, each listed exactly once.
        try await waitUntil("two single e-mails and digests listing both exemptions", timeout: .seconds(60)) {
            let messages = try sink.messages()
            let digests = messages.filter { $0.contains("X-Sink-Rcpt-To: ordforande@example.org") }.map(decoded)
            let listed = digests.flatMap { $0.components(separatedBy: "\r\n").filter { $0.hasPrefix("• Avsteg") } }
            return messages.filter { $0.contains("X-Sink-Rcpt-To: ledamot@example.org") }.count == 2 && listed.count == 2
        }
        let messages = try sink.messages()
        let digests = messages.filter { $0.contains("X-Sink-Rcpt-To: ordforande@example.org") }
        #expect(!digests.isEmpty && digests.allSatisfy { decoded($0).hasPrefix("Styrbord: ") && decoded($0).contains("sedan förra sammanfattningen") })
        let lines = digests.map(decoded).flatMap { $0.components(separatedBy: "\r\n") }
        for service in exemptions {
            #expect(lines.filter { $0.hasPrefix("• Avsteg från bastjänst: \(service)") }.count == 1, "\(service) once in Swedish")
            #expect(lines.contains { $0.hasPrefix("• ") && $0.contains(service) && !$0.contains("Avsteg") }, "\(service) in English too")
        }
        #expect(digests.map(decoded).allSatisfy { $0.contains("-- In English --") })
    }
}

/// scripts/smtp-sink.py on a free port, writing the messages it receives to a folder.
final class SMTPSink: @unchecked Sendable {
    let port: Int
    let folder: URL
    private let process = Process()

    /// A certificate and key for `localhost`, made with openssl for one test.
    struct Certificate {
        let certificate: URL
        let key: URL

        init(in folder: URL) throws {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            certificate = folder.appendingPathComponent("sink-cert.pem")
            key = folder.appendingPathComponent("sink-key.pem")
            let made = try runCommand([
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost", "-keyout", key.path, "-out", certificate.path,
            ])
            guard made.status == 0 else { throw TestFailure("openssl could not make a certificate: \(made.output)") }
        }
    }

    let certificate: Certificate?
    let security: String

    /// `security`: none, starttls or tls (with a fresh certificate for localhost);
    /// `credentials`: "user:password" the sink then requires.
    init(security: String = "none", credentials: String? = nil) throws {
        port = try freeLoopbackPort()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("styrbord-smtp-\(UUID().uuidString)")
        self.security = security
        certificate = security == "none" ? nil : try Certificate(in: folder.appendingPathComponent("tls"))
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var arguments = ["python3", "scripts/smtp-sink.py", "--port", String(port), "--dir", folder.path, "--security", security]
        if let certificate { arguments += ["--cert", certificate.certificate.path, "--key", certificate.key.path] }
        if let credentials { arguments += ["--auth", credentials] }
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    var environment: [String: String] {
        var environment = [
            "STYRBORD_SMTP_HOST": certificate == nil ? "127.0.0.1" : "localhost", "STYRBORD_SMTP_PORT": String(port),
            "STYRBORD_SMTP_FROM": "styrbord@example.org", "STYRBORD_SMTP_SECURITY": security,
        ]
        if let certificate { environment["STYRBORD_SMTP_CA_FILE"] = certificate.certificate.path }
        return environment
    }

    /// The messages received so far, oldest first.
    func messages() throws -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? []
        return try files.filter { $0.pathExtension == "eml" }
            .sorted { Int($0.deletingPathExtension().lastPathComponent) ?? 0 < Int($1.deletingPathExtension().lastPathComponent) ?? 0 }
            .map { try String(contentsOf: $0, encoding: .utf8) }
    }

    /// Kills the sink outright: a child of the test runner inherits its ignored SIGTERM.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: folder)
    }
}

extension Array {
    /// Maps one element after the other (the order of the requests matters).
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
