import Foundation
import Persistence
import TestSupport
import Testing

extension BenefitsTests {
    static let decisionMade = "se.goteborg.styrbord.decision.made.v1"

    /// Publishes the initiative's decisions again: the original records (same `ce_id`, as a
    /// relay killed before marking them would) and copies under new ids in reverse order
    /// (the rejection before the prioritisation it superseded). Returns the copies' ids.
    static func redeliverDecisions(_ pool: PostgresPool, _ initiative: String) async throws -> [String] {
        try await pool.withTransaction { connection in
            try await connection.execute(
                "UPDATE prioritisation.outbox SET published_at = NULL WHERE message_key = $1 AND event_type = $2",
                [initiative, Self.decisionMade])
            return try await connection.query(
                """
                WITH copies AS (
                    SELECT gen_random_uuid()::text AS id, position, event_type, topic, message_key, headers, payload
                    FROM prioritisation.outbox WHERE message_key = $1 AND event_type = $2
                )
                INSERT INTO prioritisation.outbox (event_id, event_type, topic, message_key, headers, payload)
                SELECT id, event_type, topic, message_key, headers || jsonb_build_object('ce_id', id), payload
                FROM copies ORDER BY position DESC
                RETURNING event_id
                """, [initiative, Self.decisionMade]
            ).map { try $0.decode("event_id", as: String.self) }
        }
    }

    /// Waits until another benefits instance, running the follow-up job every second, has
    /// finished at least two rounds from now.
    static func followUpRoundsPass(on port: Int) async throws {
        let seen = Date().timeIntervalSince1970
        try await waitUntil("instance on \(port) ran the follow-up job", timeout: .seconds(60), every: .milliseconds(200)) {
            guard let metrics = try? await HTTP.get(URL(string: "http://127.0.0.1:\(port)/metrics")!, token: nil) else { return false }
            let text = String(decoding: metrics.body, as: UTF8.self)
            guard let line = text.split(separator: "\n").first(where: {
                $0.hasPrefix("styrbord_job_last_success_timestamp_seconds{job_name=\"overdue-follow-ups\"}")
            }), let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { return false }
            return value > seen + 1
        }
    }

    @Test("a rejection superseding the prioritisation cancels the plan: readable, every write 409, no follow-ups; redelivered decisions change nothing; prioritised again it reopens")
    func supersedingRejectionCancelsThePlan() async throws {
        let system = try await RunningSystem(environment: ["STYRBORD_FOLLOWUP_JOB_INTERVAL_SECONDS": "3600"])
        defer { system.shutDown() }
        let pool = AnalysisTests.admin(system)
        defer { pool.close() }
        var replies: [HTTP.Reply] = []

        // Prioritised: the plan exists; agreed and live since 2025-01-01, so every follow-up date has passed.
        let initiative = try await WalkingSkeletonTests.drive(
            system, key: "benefits-superseded",
            need: WalkingSkeletonTests.need("Digital signering av biståndsbeslut", track: "organisation-specific"))
        let base = "/v1/plans/\(initiative)"
        let draft = try await HTTP.get(system.url("benefits", base), token: Self.owner)
        #expect(draft.status == 200 && draft.object["status"] as? String == "draft")
        let prioritisedId = try #require(draft.object["decisionId"] as? String)
        let prefilled = try #require(draft.object["benefits"] as? [[String: Any]])
        let filled = try await Self.send(system, "PUT", base, ["benefits": Self.completeBenefits(prefilled)], ifMatch: draft.header("ETag"))
        #expect(filled.status == 200)
        let agreed = try await HTTP.post(system.url("benefits", "\(base)/agree"), [:], token: Self.owner)
        #expect(agreed.status == 200)
        for body: [String: Any] in [["phase": "develop"], ["phase": "implement", "goLiveOn": "2025-01-01"]] {
            let moved = try await Self.send(system, "POST", "\(base)/phase", body)
            #expect(moved.status == 200)
        }
        let benefitId = try #require((agreed.object["benefits"] as? [[String: Any]])?.first?["benefitId"] as? String)
        replies += [draft, filled, agreed]

        // The board rejects it, superseding the prioritisation: the plan is cancelled, naming why.
        let rejection = try await HTTP.post(
            system.url("prioritisation", "/v1/decisions"),
            ["initiativeId": initiative, "outcome": "rejected", "rationale": "Ryms inte i nämndens budget för 2027.",
             "decidedOn": "2026-12-15", "supersedes": prioritisedId])
        #expect(rejection.status == 201)
        let rejectionId = try #require(rejection.object["decisionId"] as? String)
        let cancelled = try await HTTP.retrying("the plan cancelled") {
            try await HTTP.get(system.url("benefits", base), token: Self.owner)
        } until: { $0.object["status"] as? String == "cancelled" }
        let cancellation = try #require(cancelled.object["cancellation"] as? [String: Any])
        #expect((cancellation["decisionId"] as? String)?.lowercased() == rejectionId.lowercased())
        #expect(cancellation["outcome"] as? String == "rejected")
        #expect(cancellation["reason"] as? String == "Ryms inte i nämndens budget för 2027.")
        #expect(cancellation["previousStatus"] as? String == "agreed")
        let decisions = try #require(cancelled.object["decisions"] as? [[String: Any]])
        #expect(decisions.map { $0["outcome"] as? String } == ["prioritised", "rejected"])
        #expect(decisions.map { $0["inForce"] as? Bool } == [false, true])
        #expect((cancelled.object["followUps"] as? [Any])?.count == 6, "the history stays")
        let cancelledTag = try #require(cancelled.header("ETag"))
        let auditor = try await HTTP.get(system.url("benefits", base), token: Self.token("auditor", "stadsrevisionen"))
        #expect(auditor.status == 200 && auditor.object["status"] as? String == "cancelled", "auditors still read it")
        let cancelledEvents = try await Self.outbox(pool, "benefit-plan.cancelled", key: initiative)
        #expect(cancelledEvents.count == 1)
        #expect((cancelledEvents.first?["decisionId"] as? String)?.lowercased() == rejectionId.lowercased())
        #expect(cancelledEvents.first?["outcome"] as? String == "rejected")
        replies += [rejection, cancelled, auditor]

        // Every change is refused with a 409 naming the decision, even with a stale ETag.
        let revise = try await Self.send(
            system, "PUT", base, ["benefits": Self.completeBenefits(prefilled), "reason": "Nytt mål."], ifMatch: cancelledTag)
        let stale = try await Self.send(
            system, "PUT", base, ["benefits": Self.completeBenefits(prefilled), "reason": "Nytt mål."], ifMatch: "\"1\"")
        let agree = try await HTTP.post(system.url("benefits", "\(base)/agree"), [:], token: Self.owner)
        let phase = try await Self.send(system, "POST", "\(base)/phase", ["phase": "management", "managementPlanReference": "Förvaltningsplan"])
        let measurement = try await Self.send(
            system, "POST", "\(base)/benefits/\(benefitId)/measurements", ["value": "50", "measuredOn": "2025-07-01", "source": "Systemet"])
        let publication = try await Self.send(system, "PUT", "\(base)/publication", ["published": true])
        for refused in [revise, stale, agree, phase, measurement, publication] {
            #expect(refused.status == 409, "\(refused.method) \(refused.url.path): \(refused.status)")
            #expect(refused.contentType == "application/problem+json")
            #expect(refused.object["type"] as? String == "https://styrbord.goteborg.se/problems/plan-cancelled")
            #expect((refused.object["detail"] as? String)?.contains(rejectionId.uppercased()) == true)
        }
        let unchanged = try await HTTP.get(system.url("benefits", base), token: Self.owner)
        #expect(unchanged.header("ETag") == cancelledTag)
        let measurements = try await HTTP.get(system.url("benefits", "\(base)/benefits/\(benefitId)/measurements"), token: Self.owner)
        #expect((measurements.object["items"] as? [Any])?.isEmpty == true)
        replies += [revise, stale, agree, phase, measurement, publication, unchanged, measurements]

        // Out of the roll-up, in the register as cancelled.
        let ssg = Self.token("ssg", "slk")
        let city = try await HTTP.get(system.url("benefits", "/v1/realisation"), token: ssg)
        #expect(city.object["initiatives"] as? Int == 0)
        let register = try await HTTP.get(system.url("benefits", "/v1/register"), token: ssg)
        #expect((register.object["items"] as? [[String: Any]])?.first?["planStatus"] as? String == "cancelled")
        replies += [city, register]

        // The follow-up job, running every second on another instance, announces nothing for it.
        let port = try freeLoopbackPort()
        try system.start("benefits", instance: "benefits-2", port: port, environment: ["STYRBORD_FOLLOWUP_JOB_INTERVAL_SECONDS": "1"])
        try await Self.followUpRoundsPass(on: port)
        #expect(try await Self.outbox(pool, "follow-up.due", key: initiative).isEmpty)
        #expect(try await Self.outbox(pool, "follow-up.overdue", key: initiative).isEmpty)

        // Redelivery of both decisions, the originals and new copies with the rejection first, changes nothing.
        let copies = try await Self.redeliverDecisions(pool, initiative)
        #expect(copies.count == 2)
        try await waitUntil("benefits applied the redelivered decisions", timeout: .seconds(60), every: .milliseconds(200)) {
            try await pool.withConnection { connection in
                try await connection.query(
                    "SELECT count(DISTINCT event_id)::int AS n FROM benefits.inbox WHERE event_id = ANY($1::text[])", [copies]
                ).first?.decode("n", as: Int.self) == copies.count
            }
        }
        let afterRedelivery = try await HTTP.get(system.url("benefits", base), token: Self.owner)
        #expect(afterRedelivery.header("ETag") == cancelledTag && afterRedelivery.object["status"] as? String == "cancelled")
        #expect(try await Self.outbox(pool, "benefit-plan.created", key: initiative).count == 1)
        #expect(try await Self.outbox(pool, "benefit-plan.cancelled", key: initiative).count == 1)
        #expect(try await Self.outbox(pool, "benefit-plan.reopened", key: initiative).isEmpty)
        try await Self.followUpRoundsPass(on: port)
        #expect(try await Self.outbox(pool, "follow-up.overdue", key: initiative).isEmpty)
        replies.append(afterRedelivery)

        // Prioritised again: reopened as agreed, and its six overdue follow-ups are announced after all.
        let again = try await HTTP.post(
            system.url("prioritisation", "/v1/decisions"),
            ["initiativeId": initiative, "outcome": "prioritised", "financingType": "cost-allocation",
             "rationale": "Ryms efter omprioritering.", "decidedOn": "2027-01-20", "supersedes": rejectionId])
        #expect(again.status == 201)
        let reopened = try await HTTP.retrying("the plan reopened") {
            try await HTTP.get(system.url("benefits", base), token: Self.owner)
        } until: { $0.object["status"] as? String == "agreed" }
        #expect(reopened.object["cancellation"] == nil)
        #expect((reopened.object["decisionId"] as? String)?.lowercased() == (again.object["decisionId"] as? String)?.lowercased())
        #expect(try await Self.outbox(pool, "benefit-plan.reopened", key: initiative).count == 1)
        try await waitUntil("the reopened plan's follow-ups announced", timeout: .seconds(60), every: .milliseconds(200)) {
            try await Self.outbox(pool, "follow-up.overdue", key: initiative).count >= 6
        }
        replies += [again, reopened]

        let contract = try system.checkAgainstOpenAPI(replies)
        #expect(contract.passed, "\(contract.output)")
    }
}
