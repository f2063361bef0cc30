import Foundation
import Logging
import Persistence
import Synchronization
import TestSupport
import Testing

/// Drives the five real service processes over HTTP only.
@Suite("Walking skeleton end to end", .serialized)
struct WalkingSkeletonTests {
    static func need(_ title: String, organisation: String = "aldre-vard-omsorg", track: String) -> [String: Any] {
        ["organisationId": organisation, "track": track, "title": title,
         "description": "Ansökningar om trygghetslarm beslutas automatiskt; nyttan följs upp efter 6 och 12 månader.",
         "category": "efficiency", "driver": "own-need", "targetGroups": ["residents", "employees"]]
    }

    /// Organisations in intake's Data/organisations.json, announced once at first start.
    static let seededOrganisations = 12

    static func decision(_ initiative: String) -> [String: Any] {
        ["initiativeId": initiative, "outcome": "prioritised", "financingType": "cost-allocation",
         "rationale": "Hög nytta och angelägenhet; genomförbar inom budgetramen.", "decidedOn": "2026-11-20"]
    }

    /// The notification kinds the model prescribes for one initiative that goes all the way.
    static func expectedKinds(track: String) -> [String] {
        let common = ["analysis-assigned", "need-analysed", "decision-made", "benefit-plan-created"]
        return (track == "common"
            ? common + ["supplier-board-informed", "proposal-awaits-ssg"]
            : common + ["proposal-awaits-board"]).sorted()
    }

    /// Takes one need from submission to a benefit plan; every call retries through a
    /// restarting service, and the idempotency key makes a retried submission harmless.
    static func drive(_ system: RunningSystem, key: String, need: [String: Any]) async throws -> String {
        let submitted = try await HTTP.retrying("submit \(key)") {
            try await HTTP.post(system.url("intake", "/v1/needs"), need, headers: ["Idempotency-Key": key])
        } until: { [200, 201].contains($0.status) }
        let initiative = try #require(submitted.object["initiativeId"] as? String)
        try await AnalysisSteps.analyseCompletely(
            system, initiative: initiative, key: key, common: need["track"] as? String == "common")
        _ = try await HTTP.retrying("decide \(key)") {
            try await HTTP.post(system.url("prioritisation", "/v1/decisions"), decision(initiative))
        } until: { [200, 201].contains($0.status) }
        _ = try await HTTP.retrying("the benefit plan of \(key)") {
            try await HTTP.get(system.url("benefits", "/v1/plans/\(initiative)"))
        } until: { $0.status == 200 }
        return initiative
    }

    static func notificationKinds(_ system: RunningSystem) async throws -> [String: [String]] {
        var kinds: [String: [String]] = [:]
        var cursor: String? = nil
        repeat {
            let query = "/v1/notifications?limit=500" + (cursor.map { "&cursor=\($0)" } ?? "")
            let page = try await HTTP.get(system.url("notifications", query)).object
            for item in page["items"] as? [[String: Any]] ?? [] {
                kinds[item["initiativeId"] as? String ?? "", default: []].append(item["kind"] as? String ?? "")
            }
            cursor = page["nextCursor"] as? String
        } while cursor != nil
        return kinds.mapValues { $0.sorted() }
    }

    static func count(_ system: RunningSystem, _ service: String, _ path: String) async throws -> Int {
        var total = 0
        var cursor: String? = nil
        repeat {
            let page = try await HTTP.get(system.url(service, path + "?limit=500" + (cursor.map { "&cursor=\($0)" } ?? ""))).object
            total += (page["items"] as? [Any])?.count ?? 0
            cursor = page["nextCursor"] as? String
        } while cursor != nil
        return total
    }

    @Test("a need goes all the way to a benefit plan, and the right people are told")
    func needGoesAllTheWay() async throws {
        let system = try await RunningSystem()
        defer { system.shutDown() }
        var replies: [HTTP.Reply] = []
        for track in ["common", "organisation-specific"] {
            let initiative = try await Self.drive(
                system, key: "one-\(track)", need: Self.need("Automatiserade beslut om trygghetslarm (\(track))", track: track))
            try await waitUntil("all notifications of the \(track) initiative") {
                try await Self.notificationKinds(system)[initiative] == Self.expectedKinds(track: track)
            }
            let need = try await HTTP.get(system.url("intake", "/v1/needs/\(initiative)"))
            #expect(need.object["title"] as? String == "Automatiserade beslut om trygghetslarm (\(track))")
            let analysis = try await HTTP.get(system.url("analysis", "/v1/analyses/\(initiative)"))
            #expect(analysis.object["status"] as? String == "completed")
            let decision = try await HTTP.get(system.url("prioritisation", "/v1/decisions/\(initiative)"))
            #expect(decision.object["decidingBody"] as? String == (track == "common" ? "ssg" : "organisation-board"))
            let plan = try await HTTP.get(system.url("benefits", "/v1/plans/\(initiative)"))
            #expect(plan.status == 200)
            let feedReply = try await HTTP.get(system.url("notifications", "/v1/notifications?initiativeId=\(initiative)&role=benefit-owner"))
            let feed = feedReply.object
            replies += [need, analysis, decision, plan, feedReply]
            for (service, path) in [("intake", "/v1/needs"), ("analysis", "/v1/analyses?status=completed"),
                                    ("prioritisation", "/v1/candidates"), ("benefits", "/v1/plans")] {
                replies.append(try await HTTP.get(system.url(service, path)))
            }
            let item = try #require((feed["items"] as? [[String: Any]])?.first)
            #expect((item["sv"] as? [String: Any])?["title"] as? String == "Nyttorealiseringsplan att fylla i: Automatiserade beslut om trygghetslarm (\(track))")
        }
        let contract = try system.checkAgainstOpenAPI(replies)
        #expect(contract.passed, "\(contract.output)")
    }

    @Test("bad input gets problem+json and changes nothing")
    func badInputIsRefused() async throws {
        let system = try await RunningSystem()
        defer { system.shutDown() }
        var bad = Self.need("x", track: "sideways")
        bad["targetGroups"] = []
        let reply = try await HTTP.post(system.url("intake", "/v1/needs"), bad)
        #expect(reply.status == 422)
        #expect(reply.contentType == "application/problem+json")
        let title = Self.need("ok title", track: "common")
        let same = try await HTTP.post(system.url("intake", "/v1/needs"), title, headers: ["Idempotency-Key": "k1"])
        var changed = title
        changed["title"] = "another title"
        let conflict = try await HTTP.post(system.url("intake", "/v1/needs"), changed, headers: ["Idempotency-Key": "k1"])
        #expect(same.status == 201)
        #expect(conflict.status == 422)
        let decision = try await HTTP.post(system.url("prioritisation", "/v1/decisions"), Self.decision(UUID().uuidString))
        #expect(decision.status == 422, "an initiative outside the candidate pool cannot be decided")
        #expect(try await Self.count(system, "intake", "/v1/needs") == 1)
        // The same key sent five times at once: one need; the repeats get the first answer again.
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<5 {
                group.addTask {
                    try await HTTP.post(
                        system.url("intake", "/v1/needs"), Self.need("samtidigt", track: "common"),
                        headers: ["Idempotency-Key": "race"]
                    ).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses == [201, 201, 201, 201, 201])
        #expect(try await Self.count(system, "intake", "/v1/needs") == 2)
        var badAmount = AnalysisSteps.costBenefit
        badAmount["costs"] = [["description": "Licens", "timing": "one-off", "kind": "external", "amount": "1,5"]]
        let notFound = try await HTTP.send(
            system.url("analysis", "/v1/analyses/\(UUID().uuidString)/cost-benefit"), method: "PUT",
            body: try AnalysisSteps.json(badAmount), headers: ["If-Match": "\"1\""])
        #expect(notFound.status == 422, "a Swedish decimal comma is refused, not misread")
        let missing = try await HTTP.get(system.url("benefits", "/v1/plans/\(UUID().uuidString)"))
        #expect(missing.status == 404)
        let badLimit = try await HTTP.get(system.url("notifications", "/v1/notifications?limit=0"))
        #expect(badLimit.status == 422)
        let contract = try system.checkAgainstOpenAPI([reply, same, conflict, decision, notFound, missing, badLimit])
        #expect(contract.passed, "\(contract.output)")
    }

    @Test("a service's database role cannot read another service's tables")
    func schemasAreIsolated() async throws {
        let system = try await RunningSystem()
        defer { system.shutDown() }
        let pool = PostgresPool(
            configuration: PostgresConfiguration(connectionString: system.databaseURL(asRoleOf: "analysis")),
            logger: .init(label: "e2e"))
        defer { pool.close() }
        let own = try await pool.withConnection { try await $0.query("SELECT count(*) AS n FROM analysis.analysis_cases") }
        #expect(try own[0].decode("n", as: Int.self) == 0)
        for table in ["intake.needs", "prioritisation.decisions", "benefits.benefit_plans", "notifications.notifications", "intake.outbox"] {
            do {
                _ = try await pool.withConnection { try await $0.query("SELECT * FROM \(table) LIMIT 1") }
                Issue.record("the analysis role could read \(table)")
            } catch let error as PostgresError {
                #expect(error.sqlState == "42501", "\(table): \(error)")
            }
        }
    }

    /// A metric's value in a Prometheus text exposition, summed over its label sets.
    static func metric(_ name: String, at url: URL) async throws -> Double {
        let text = String(decoding: try await HTTP.get(url).body, as: UTF8.self)
        return text.split(separator: "\n").filter { $0.hasPrefix(name + "{") || $0.hasPrefix(name + " ") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
    }

    @Test("a second instance of a service shares the work and nothing is applied twice")
    func scaledOutInstancesShareTheWork() async throws {
        let system = try await RunningSystem()
        defer { system.shutDown() }
        let extraPort = try freeLoopbackPort()
        try system.start("analysis", instance: "analysis-2", port: extraPort)
        let first = system.url("analysis", "/metrics")
        let second = URL(string: "http://127.0.0.1:\(extraPort)/metrics")!
        try await waitUntil("both analysis instances to own partitions", timeout: .seconds(90), every: .milliseconds(200)) {
            let owned = [try? await Self.metric("styrbord_consumer_assigned_partitions", at: first),
                         try? await Self.metric("styrbord_consumer_assigned_partitions", at: second)]
            return owned.allSatisfy { ($0 ?? 0) > 0 }
        }
        let total = 60
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<total {
                group.addTask {
                    _ = try await Self.drive(system, key: "scaled-\(index)", need: Self.need("Skalat behov \(index)", track: "common"))
                }
            }
            try await group.waitForAll()
        }
        try await waitUntil("every notification", timeout: .seconds(60)) {
            try await Self.notificationKinds(system).values.map(\.count).reduce(0, +) == total * Self.expectedKinds(track: "common").count
        }
        let appliedFirst = try await Self.metric("styrbord_events_applied_total", at: first)
        let appliedSecond = try await Self.metric("styrbord_events_applied_total", at: second)
        #expect(appliedFirst > 0 && appliedSecond > 0, "both instances applied events: \(appliedFirst) and \(appliedSecond)")
        // The registry's first start announces its organisations on the same topic (12).
        #expect(
            appliedFirst + appliedSecond == Double(total + Self.seededOrganisations),
            "each event applied once across the group")
        #expect(try await Self.count(system, "analysis", "/v1/analyses") == total)
        #expect(try await Self.count(system, "benefits", "/v1/plans") == total)
        // The alerts' metrics: intake's outbox backlog drains to 0 and both analysis
        // instances report a lag of 0 for the partitions they own.
        try await waitUntil("the outbox backlog and the consumer lag at 0", timeout: .seconds(30)) {
            let intake = String(decoding: try await HTTP.get(system.url("intake", "/metrics")).body, as: UTF8.self)
            let analysis = String(decoding: try await HTTP.get(first).body, as: UTF8.self)
            guard intake.contains("styrbord_outbox_backlog{"), intake.contains("styrbord_outbox_oldest_unpublished_age_seconds{"),
                analysis.contains("styrbord_consumer_lag{")
            else { return false }
            let backlog = try await Self.metric("styrbord_outbox_backlog", at: system.url("intake", "/metrics"))
            let lag = try await Self.metric("styrbord_consumer_lag", at: first) + Self.metric("styrbord_consumer_lag", at: second)
            return backlog == 0 && lag == 0
        }
    }

    @Test("200 needs submitted concurrently arrive exactly once at every stage while each service in turn is killed and restarted")
    func exactlyOnceUnderLoadAndKills() async throws {
        let system = try await RunningSystem()
        defer { system.shutDown() }
        let total = 200
        let finished = Progress()
        let tracks = (0..<total).map { $0 % 3 == 0 ? "common" : "organisation-specific" }

        let initiatives = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            // The chaos: kill each service with SIGKILL once the load has reached a point,
            // restart it at once, and wait until it is ready again.
            group.addTask {
                for (index, service) in RunningSystem.services.enumerated() {
                    let threshold = (index + 1) * total / (RunningSystem.services.count + 2)
                    try await waitUntil("\(threshold) needs through", timeout: .seconds(300)) {
                        finished.value >= threshold
                    }
                    system.kill(service)
                    try system.start(service)
                    try await system.waitUntilReady(service)
                }
                return (-1, "")
            }
            // At most 25 needs in flight at once, 200 in all.
            var next = 0
            func addDriver() {
                let index = next
                next += 1
                group.addTask {
                    let initiative = try await Self.drive(
                        system, key: "load-\(index)", need: Self.need("Behov nummer \(index) – åäö", track: tracks[index]))
                    finished.increment()
                    return (index, initiative)
                }
            }
            for _ in 0..<25 { addDriver() }
            var results: [Int: String] = [:]
            for try await (index, initiative) in group where index >= 0 {
                results[index] = initiative
                if next < total { addDriver() }
            }
            return results
        }

        #expect(initiatives.count == total)
        #expect(Set(initiatives.values).count == total, "every need got its own initiative")
        try await waitUntil("every notification", timeout: .seconds(120)) {
            let kinds = try await Self.notificationKinds(system)
            return initiatives.allSatisfy { index, initiative in kinds[initiative] == Self.expectedKinds(track: tracks[index]) }
        }
        #expect(try await Self.count(system, "intake", "/v1/needs") == total)
        #expect(try await Self.count(system, "analysis", "/v1/analyses") == total)
        #expect(try await Self.count(system, "prioritisation", "/v1/candidates") == total)
        #expect(try await Self.count(system, "benefits", "/v1/plans") == total)
        let kinds = try await Self.notificationKinds(system)
        let expected = tracks.map { Self.expectedKinds(track: $0).count }.reduce(0, +)
        #expect(kinds.values.map(\.count).reduce(0, +) == expected, "no notification doubled")

        // Each consumer applied each event exactly once: inbox rows equal distinct events.
        let admin = PostgresPool(configuration: PostgresConfiguration(connectionString: system.adminDatabaseURL), logger: .init(label: "e2e"))
        defer { admin.close() }
        let rows = try await admin.withConnection { connection in
            try await connection.query(
                """
                SELECT (SELECT count(*) FROM analysis.inbox WHERE event_type LIKE '%need.submitted%') AS analysis_inbox,
                       (SELECT count(*) FROM intake.outbox WHERE event_type LIKE '%need.submitted%') AS intake_events,
                       (SELECT count(*) FROM benefits.inbox WHERE event_type LIKE '%decision.made%') AS benefits_inbox,
                       (SELECT count(*) FROM benefits.inbox WHERE event_type LIKE '%analysis.completed%') AS benefits_analyses,
                       (SELECT count(*) FROM prioritisation.outbox) AS decisions,
                       (SELECT count(*) FROM intake.outbox WHERE published_at IS NULL) AS unpublished
                """)
        }
        #expect(try rows[0].decode("analysis_inbox", as: Int.self) == total)
        #expect(try rows[0].decode("intake_events", as: Int.self) == total)
        #expect(try rows[0].decode("benefits_inbox", as: Int.self) == total)
        #expect(try rows[0].decode("benefits_analyses", as: Int.self) == total, "benefits remembers each analysis's benefit lines once")
        #expect(try rows[0].decode("decisions", as: Int.self) == total)
        #expect(try rows[0].decode("unpublished", as: Int.self) == 0)
    }
}

/// How many needs went all the way, shared between the drivers and the chaos task.
final class Progress: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
