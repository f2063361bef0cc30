import Crypto
import Foundation
import Logging
import Persistence
import TestSupport
import Testing

/// Webhooks over real sockets: intake's events reach a local receiver
/// (scripts/webhook-receiver.py) signed, retried, paused after repeated failure, resumed,
/// and exactly one delivery per (subscription, event) whatever happens to the service.
@Suite("Notifications webhooks", .serialized)
struct WebhookTests {
    static let needSubmitted = "se.goteborg.styrbord.need.submitted.v1"
    static let exemptionRegistered = "se.goteborg.styrbord.exemption.registered.v1"

    /// Fast retries so a test sees several attempts; pause after three failures in a row.
    static let environment = [
        "STYRBORD_WEBHOOK_BACKOFF_BASE_MS": "100", "STYRBORD_WEBHOOK_BACKOFF_MAX_SECONDS": "1",
        "STYRBORD_WEBHOOK_PAUSE_AFTER_FAILURES": "3", "STYRBORD_WEBHOOK_TIMEOUT_MS": "1000",
    ]

    static func register(_ system: RunningSystem, url: String, types: [String]) async throws -> (id: String, secret: String, reply: HTTP.Reply) {
        let reply = try await HTTP.post(
            system.url("notifications", "/v1/webhooks"),
            ["url": url, "description": "Stadens integrationsplattform (test)", "eventTypes": types])
        #expect(reply.status == 201, "\(reply.object)")
        return (try #require(reply.object["subscriptionId"] as? String), try #require(reply.object["secret"] as? String), reply)
    }

    static func subscription(_ system: RunningSystem, _ id: String) async throws -> HTTP.Reply {
        try await HTTP.get(system.url("notifications", "/v1/webhooks/\(id)"))
    }

    static func deliveries(_ system: RunningSystem, _ id: String) async throws -> [[String: Any]] {
        let reply = try await HTTP.get(system.url("notifications", "/v1/webhooks/\(id)/deliveries?limit=500"))
        #expect(reply.status == 200, "\(reply.object)")
        return reply.object["items"] as? [[String: Any]] ?? []
    }

    /// The documented recipe (docs/webhooks.md), written anew here from the text.
    static func signatureVerifies(_ delivery: WebhookReceiver.Delivery, secret: String) -> Bool {
        guard let timestamp = delivery.headers["styrbord-webhook-timestamp"],
              let header = delivery.headers["styrbord-webhook-signature"] else { return false }
        let key = SymmetricKey(data: Data(secret.utf8))
        let code = HMAC<SHA256>.authenticationCode(for: Data((timestamp + "." + delivery.body).utf8), using: key)
        let expected = "v1=" + code.map { String(format: "%02x", $0) }.joined()
        return header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.contains(expected)
    }

    @Test("a subscriber gets signed CloudEvents of the types it chose; a failing receiver is retried with the same delivery id, paused, and resumed without loss")
    func signedRetriedPausedResumed() async throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let system = try await RunningSystem(only: ["intake", "notifications"], environment: Self.environment)
        defer { system.shutDown() }
        var replies: [HTTP.Reply] = []

        // Bad input changes nothing; only admins register.
        let refused = try await HTTP.post(
            system.url("notifications", "/v1/webhooks"),
            ["url": "ftp://example.org/hook", "description": " ", "eventTypes": ["se.goteborg.styrbord.no-such.v1"]])
        #expect(refused.status == 422)
        #expect(Set(AnalysisTests.names(refused)) == ["url", "description", "eventTypes[0]"])
        let notAdmin = try await HTTP.post(
            system.url("notifications", "/v1/webhooks"), ["url": receiver.url, "description": "x"],
            token: TestTokens.mint(subject: "ssg-1", organisation: "slk", roles: ["ssg"]))
        #expect(notAdmin.status == 403)
        let empty = try await HTTP.get(system.url("notifications", "/v1/webhooks"))
        #expect((empty.object["items"] as? [Any])?.isEmpty == true, "nothing was registered")
        replies += [refused, notAdmin, empty]

        let (id, secret, created) = try await Self.register(system, url: receiver.url, types: [Self.needSubmitted, Self.exemptionRegistered])
        #expect(secret.hasPrefix("whsec_") && secret.count == 70)
        let shown = try await Self.subscription(system, id)
        #expect(shown.status == 200 && shown.object["secret"] == nil, "the secret is shown once, when created")
        replies += [created, shown]

        // A need is submitted: one signed delivery of the structured CloudEvent.
        let initiative = try await AnalysisTests.submit(system, track: "organisation-specific")
        try await waitUntil("the need's event reaches the receiver") { try receiver.deliveries().count >= 1 }
        let first = try #require(try receiver.deliveries().first)
        #expect(first.headers["content-type"]?.hasPrefix("application/cloudevents+json") == true)
        #expect(Self.signatureVerifies(first, secret: secret))
        #expect(!Self.signatureVerifies(first, secret: "whsec_" + String(repeating: "0", count: 64)))
        let event = try #require(try JSONSerialization.jsonObject(with: Data(first.body.utf8)) as? [String: Any])
        #expect(event["specversion"] as? String == "1.0" && event["type"] as? String == Self.needSubmitted)
        #expect(event["subject"] as? String == initiative)
        #expect((event["data"] as? [String: Any])?["initiativeId"] as? String == initiative)
        #expect(first.headers["styrbord-webhook-attempt"] == "1")

        // The receiver fails: retried with backoff under one delivery id, then paused.
        receiver.control(["status": 500])
        let exemption = try await HTTP.post(
            system.url("intake", "/v1/exemptions"), IntakeTests.exemption(),
            token: TestTokens.mint(subject: "rektor", organisation: "utbildning", roles: ["submitter"]))
        #expect(exemption.status == 201)
        try await waitUntil("the subscription is paused after three failures in a row", timeout: .seconds(30)) {
            try await Self.subscription(system, id).object["status"] as? String == "paused"
        }
        try await waitUntil("the paused subscription shows in the metrics", timeout: .seconds(30)) {
            let metrics = try await HTTP.get(system.url("notifications", "/metrics"), token: nil)
            return String(decoding: metrics.body, as: UTF8.self).contains("styrbord_webhook_subscriptions_paused 1")
        }
        let paused = try await Self.subscription(system, id)
        #expect((paused.object["pausedReason"] as? String)?.contains("3 failed deliveries in a row") == true)
        #expect((paused.object["pausedReason"] as? String)?.contains("HTTP 500") == true)
        let failing = try receiver.deliveries().filter { $0.headers["styrbord-webhook-event-type"] == Self.exemptionRegistered }
        #expect(failing.count == 3)
        #expect(Set(failing.map { $0.headers["styrbord-webhook-id"] }).count == 1, "retries carry the same delivery id")
        #expect(failing.map { $0.headers["styrbord-webhook-attempt"] } == ["1", "2", "3"])
        let gaps = zip(failing.dropFirst(), failing).map { $0.received - $1.received }
        #expect(gaps.allSatisfy { $0 >= 0.045 }, "each retry waits at least half its backoff: \(gaps)")
        let pending = try #require(try await Self.deliveries(system, id).first { $0["eventType"] as? String == Self.exemptionRegistered })
        #expect(pending["status"] as? String == "pending" && pending["attempts"] as? Int == 3)
        let attempts = try await HTTP.get(
            system.url("notifications", "/v1/webhooks/\(id)/deliveries/\(pending["deliveryId"] as? String ?? "")/attempts"))
        #expect((attempts.object["items"] as? [[String: Any]])?.map { $0["statusCode"] as? Int } == [500, 500, 500])
        replies += [paused, attempts]

        // Nothing more is sent while paused, and the receiver recovers; resume delivers it.
        receiver.control(["status": 200])
        let resumed = try await HTTP.post(system.url("notifications", "/v1/webhooks/\(id)/resume"), [:])
        #expect(resumed.status == 200 && resumed.object["status"] as? String == "active")
        try await waitUntil("the waiting delivery arrives after the resume") {
            try receiver.deliveries().contains { $0.headers["styrbord-webhook-event-type"] == Self.exemptionRegistered && $0.answered == 200 }
        }
        let recovered = try receiver.deliveries().filter { $0.headers["styrbord-webhook-event-type"] == Self.exemptionRegistered }
        #expect(recovered.count == 4 && recovered.last?.headers["styrbord-webhook-attempt"] == "4")
        #expect(recovered.last?.headers["styrbord-webhook-id"] == failing.first?.headers["styrbord-webhook-id"])
        try await waitUntil("the delivery is recorded as delivered") {
            try await Self.deliveries(system, id).allSatisfy { $0["status"] as? String == "delivered" }
        }
        replies.append(resumed)

        // Rotation: the new secret signs, and the old one still does during the grace period.
        let rotated = try await HTTP.post(system.url("notifications", "/v1/webhooks/\(id)/rotate-secret"), ["graceHours": 1])
        let newSecret = try #require(rotated.object["secret"] as? String)
        #expect(newSecret != secret && rotated.object["previousSecretValidUntil"] != nil)
        let before = try receiver.deliveries().count
        _ = try await AnalysisTests.submit(system, track: "organisation-specific")
        try await waitUntil("the next need's event arrives") { try receiver.deliveries().count > before }
        let afterRotation = try #require(try receiver.deliveries().last)
        #expect(Self.signatureVerifies(afterRotation, secret: newSecret) && Self.signatureVerifies(afterRotation, secret: secret))
        replies.append(rotated)

        // One delivery per (subscription, event): no event twice in the list.
        let listed = try await Self.deliveries(system, id)
        #expect(listed.count == 3 && Set(listed.map { $0["eventId"] as? String }).count == 3)
        let listedReply = try await HTTP.get(system.url("notifications", "/v1/webhooks/\(id)/deliveries"))
        replies.append(listedReply)

        let contract = try system.checkAgainstOpenAPI(replies)
        #expect(contract.passed, "\(contract.output)")
    }

    @Test("killed in the middle of a delivery, the service sends it again after restart under the same delivery id, and records it once")
    func killedMidDelivery() async throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        // The receiver holds the first attempt longer than the service waits (5 s), and the
        // kill comes long before that: the attempt is cut off, not timed out. Its lease
        // (2 × 5 s + 5 s) then runs out and the restarted service sends it again.
        let system = try await RunningSystem(
            only: ["intake", "notifications"], environment: Self.environment.merging(["STYRBORD_WEBHOOK_TIMEOUT_MS": "5000"]) { $1 })
        defer { system.shutDown() }
        let (id, secret, _) = try await Self.register(system, url: receiver.url, types: [Self.needSubmitted])
        receiver.control(["delayMs": 20_000])
        let admin = PostgresPool(configuration: PostgresConfiguration(connectionString: system.adminDatabaseURL), logger: .init(label: "test"))
        defer { admin.close() }

        let initiative = try await AnalysisTests.submit(system, track: "organisation-specific")
        try await waitUntil("the delivery is claimed and on its way") {
            let rows = try await admin.withConnection {
                try await $0.query("SELECT count(*) AS n FROM notifications.webhook_deliveries WHERE leased_until > now()")
            }
            return try rows[0].decode("n", as: Int.self) == 1
        }
        system.kill("notifications")
        receiver.control(["delayMs": 0])
        try system.start("notifications")
        try await system.waitUntilReady("notifications")

        try await waitUntil("the delivery is recorded as delivered after the restart", timeout: .seconds(60)) {
            try await Self.deliveries(system, id).first?["status"] as? String == "delivered"
        }
        let received = try receiver.deliveries()
        #expect(Set(received.map { $0.headers["styrbord-webhook-id"] }).count == 1, "one delivery id, whatever the resends")
        #expect(received.allSatisfy { Self.signatureVerifies($0, secret: secret) })
        #expect(received.allSatisfy { $0.body.contains(initiative) })
        let listed = try await Self.deliveries(system, id)
        #expect(listed.count == 1)
        // The killed attempt is counted but left no record of its outcome: one attempt more
        // than the log holds. (On a loaded machine an attempt may also time out before the
        // kill; that one is logged, so the relation holds either way.)
        let attempts = try #require(listed.first?["attempts"] as? Int)
        let deliveryId = try #require(listed.first?["deliveryId"] as? String)
        let log = try await HTTP.get(system.url("notifications", "/v1/webhooks/\(id)/deliveries/\(deliveryId)/attempts"))
        let logged = log.object["items"] as? [[String: Any]] ?? []
        #expect(attempts >= 2 && logged.count == attempts - 1, "attempts \(attempts), logged \(logged.count)")
        // Every request that reached the receiver (the held ones arrive in full before the
        // kill and are recorded when the receiver wakes) was one of the counted attempts.
        #expect(received.count >= 1 && received.count <= attempts, "received \(received.count), attempts \(attempts)")
        #expect(logged.last?["succeeded"] as? Bool == true)
    }

    @Test("replaying every topic into notifications after its inbox is gone (a new consumer group) records, queues and sends nothing twice")
    func replayChangesNothing() async throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let sink = try SMTPSink()
        defer { sink.stop() }
        let system = try await RunningSystem(
            only: ["intake", "notifications"], environment: Self.environment.merging(sink.environment) { $1 })
        defer { system.shutDown() }
        _ = try await Self.register(system, url: receiver.url, types: [Self.exemptionRegistered])
        let chair = TestTokens.mint(subject: "ssg-ordforande", organisation: "slk", roles: ["ssg"], email: "ordforande@example.org")
        #expect(try await NotificationsTests.put(
            system, "/v1/preferences", ["kinds": ["exemption-registered": ["channels": ["in-app", "email"]]]], token: chair).status == 200)
        try await NotificationsTests.waitForRegistry(system)
        for _ in 0..<2 {
            #expect(try await HTTP.post(
                system.url("intake", "/v1/exemptions"), IntakeTests.exemption(),
                token: TestTokens.mint(subject: "rektor", organisation: "utbildning", roles: ["submitter"])).status == 201)
        }
        let admin = PostgresPool(configuration: PostgresConfiguration(connectionString: system.adminDatabaseURL), logger: .init(label: "test"))
        defer { admin.close() }
        func counts() async throws -> [Int] {
            try await admin.withConnection { connection in
                let row = try await connection.query(
                    """
                    SELECT (SELECT count(*) FROM notifications.notifications) AS n,
                           (SELECT count(*) FROM notifications.webhook_deliveries) AS w,
                           (SELECT count(*) FROM notifications.email_deliveries) AS e,
                           (SELECT count(*) FROM notifications.inbox) AS i,
                           (SELECT count(*) FROM notifications.webhook_deliveries WHERE status = 'delivered') AS wd,
                           (SELECT count(sent_at) FROM notifications.email_deliveries) AS es
                    """)[0]
                return [try row.decode("n"), try row.decode("w"), try row.decode("e"), try row.decode("i"),
                        try row.decode("wd"), try row.decode("es")]
            }
        }
        var before: [Int] = []
        try await waitUntil("both exemptions are told, queued, delivered and mailed") {
            before = try await counts()
            let delivered = try receiver.deliveries().count
            let mailed = try sink.messages().count
            // Recorded as delivered and sent, not only arrived: killed in between, they would
            // rightly be sent again (at-least-once towards the outside, with the same ids).
            return before[0] == 4 && before[1] == 2 && before[2] == 2 && before[4] == 2 && before[5] == 2
                && delivered == 2 && mailed == 2
        }

        // Stop the service, forget what it applied, and start it under a new consumer
        // group, which reads every topic from its start (docs/operations.md, replaying).
        system.kill("notifications")
        try await admin.withConnection { _ = try await $0.execute("DELETE FROM notifications.inbox") }
        try system.start("notifications", environment: ["STYRBORD_CONSUMER_GROUP": "styrbord-notifications-replay"])
        try await system.waitUntilReady("notifications")
        try await waitUntil("every event is applied again", timeout: .seconds(60)) {
            try await counts()[3] >= before[3]
        }
        let after = try await counts()
        #expect(Array(after.prefix(3)) == Array(before.prefix(3)), "no notification, webhook or e-mail delivery twice: \(before) → \(after)")
        #expect(try receiver.deliveries().count == 2, "no webhook sent again")
        #expect(try sink.messages().count == 2, "no e-mail sent again")
    }
}


/// scripts/webhook-receiver.py on a free port, appending what it receives to a file.
final class WebhookReceiver: @unchecked Sendable {
    struct Delivery {
        var received: Double
        var headers: [String: String]
        var body: String
        var answered: Int
    }

    let port: Int
    let file: URL
    private let process = Process()

    init() throws {
        port = try freeLoopbackPort()
        file = FileManager.default.temporaryDirectory.appendingPathComponent("styrbord-webhooks-\(UUID().uuidString).jsonl")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "scripts/webhook-receiver.py", "--port", String(port), "--out", file.path]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let url = URL(string: "http://127.0.0.1:\(port)/_control")!
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if (try? send(url, ["status": 200])) == true { return }
            usleep(50_000)
        }
        throw TestFailure("the webhook receiver did not start on port \(port)")
    }

    var url: String { "http://127.0.0.1:\(port)/hooks/styrbord" }

    /// Changes how the receiver answers (see the script's usage).
    func control(_ command: [String: Any]) {
        _ = try? send(URL(string: "http://127.0.0.1:\(port)/_control")!, command)
    }

    private func send(_ url: URL, _ command: [String: Any]) throws -> Bool {
        let result = try runCommand([
            "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "--data-binary",
            String(decoding: try JSONSerialization.data(withJSONObject: command), as: UTF8.self), url.absoluteString,
        ])
        return result.output == "204"
    }

    /// What arrived so far, in order.
    func deliveries() throws -> [Delivery] {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return Delivery(
                received: object["received"] as? Double ?? 0, headers: object["headers"] as? [String: String] ?? [:],
                body: object["body"] as? String ?? "", answered: object["answered"] as? Int ?? 0)
        }
    }

    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: file)
    }
}
