import Foundation
import Logging
import Persistence
import TestSupport
import Testing

/// The benefits service with the four others in front and beside it, over real sockets
/// with their own database and broker: a prioritised initiative through agreement,
/// go-live in the past, measurements that fall behind, a deviation, overdue follow-ups
/// announced once with three benefits instances running, evaluation, the register, the
/// open feed, the city plan's follow-up — and who may do what.
@Suite("Benefits service", .serialized)
struct BenefitsTests {
    static func token(_ role: String, _ organisation: String, name: String? = nil) -> String {
        TestTokens.mint(subject: "\(role)@\(organisation)", organisation: organisation, roles: [role])
    }

    static let owner = token("benefit-owner", "aldre-vard-omsorg")

    static func names(_ reply: HTTP.Reply) -> [String] {
        (reply.object["invalid-params"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    }

    static func send(
        _ system: RunningSystem, _ method: String, _ path: String, _ body: [String: Any], ifMatch: String? = nil,
        token: String = owner, service: String = "benefits"
    ) async throws -> HTTP.Reply {
        var headers: [String: String] = [:]
        if let ifMatch { headers["If-Match"] = ifMatch }
        return try await HTTP.send(
            system.url(service, path), method: method, body: try AnalysisSteps.json(body), headers: headers, token: token)
    }

    /// The complete benefits, keeping the pre-filled ids: A falls behind, B is never
    /// measured, C is on track. Go-live 2025-01-01, targets on 2026-01-01.
    static func completeBenefits(_ prefilled: [[String: Any]], targetOfB: String = "40") -> [[String: Any]] {
        let owner: [String: Any] = ["organisationId": "aldre-vard-omsorg", "name": "Anna Nyttoägare", "email": "anna@aldre.example"]
        return prefilled.enumerated().map { index, benefit in
            var complete = benefit
            complete["owner"] = owner
            complete["indicator"] = benefit["indicator"] ?? "Andel ärenden med automatiskt beslut"
            complete["unit"] = "procent"
            complete["baseline"] = ["value": "0", "date": "2024-12-01"]
            complete["target"] = ["value": index == 1 ? targetOfB : "100", "date": "2026-01-01"]
            complete["measurementMethod"] = "Uttag ur verksamhetssystemet, månadsvis"
            return complete.filter { ["benefitId", "description", "kind", "stakeholder", "owner", "indicator", "unit",
                                      "baseline", "target", "measurementMethod", "economicValue", "followUpMonths"].contains($0.key) }
        }
    }

    static func outbox(_ pool: PostgresPool, _ type: String, key: String) async throws -> [[String: Any]] {
        try await pool.withConnection { connection in
            try await connection.query(
                """
                SELECT convert_from(payload, 'UTF8') AS data FROM benefits.outbox
                WHERE event_type = $1 AND message_key = $2 ORDER BY event_id
                """, ["se.goteborg.styrbord.\(type).v1", key])
        }.map { row in
            (try JSONSerialization.jsonObject(with: Data(try row.decode("data", as: String.self).utf8)) as? [String: Any]) ?? [:]
        }
    }

    @Test("a prioritised initiative goes from agreed plan to evaluation: deviation, overdue follow-ups once, register, open feed, city plan")
    func initiativeIsFollowedUp() async throws {
        let system = try await RunningSystem(environment: ["STYRBORD_FOLLOWUP_JOB_INTERVAL_SECONDS": "3600"])
        defer { system.shutDown() }
        let pool = AnalysisTests.admin(system)
        defer { pool.close() }
        var replies: [HTTP.Reply] = []

        let initiative = try await WalkingSkeletonTests.drive(
            system, key: "benefits-own", need: WalkingSkeletonTests.need("Automatiserade beslut om trygghetslarm", track: "organisation-specific"))
        let common = try await WalkingSkeletonTests.drive(
            system, key: "benefits-common",
            need: WalkingSkeletonTests.need("Gemensam lärplattform", organisation: "utbildning", track: "common"))
        let base = "/v1/plans/\(initiative)"

        // Pre-filled from the analysis's three benefit lines.
        let draft = try await HTTP.get(system.url("benefits", base), token: Self.owner)
        #expect(draft.status == 200)
        #expect(draft.object["status"] as? String == "draft")
        let prefilled = try #require(draft.object["benefits"] as? [[String: Any]])
        #expect(prefilled.map { $0["description"] as? String } == ["Minskade kostnader för utskick", "Frigjord handläggartid", "Snabbare besked"])
        #expect(prefilled.first?["economicValue"] as? String == "150000")
        #expect(prefilled.first?["followUpMonths"] as? [Int] == [6, 12])
        let draftTag = try #require(draft.header("ETag"))
        replies.append(draft)

        // Access: other organisations do not see it, a submitter may not change it, auditors read it.
        let stranger = try await HTTP.get(system.url("benefits", base), token: Self.token("benefit-owner", "utbildning"))
        #expect(stranger.status == 404)
        let submitter = try await Self.send(system, "PUT", base, ["benefits": []], ifMatch: draftTag, token: Self.token("submitter", "aldre-vard-omsorg"))
        #expect(submitter.status == 403)
        let auditor = try await HTTP.get(system.url("benefits", base), token: Self.token("auditor", "stadsrevisionen"))
        #expect(auditor.status == 200)
        let anonymous = try await HTTP.get(system.url("benefits", base), token: nil)
        #expect(anonymous.status == 401)
        let noIfMatch = try await Self.send(system, "PUT", base, ["benefits": []])
        #expect(noIfMatch.status == 428)
        replies += [stranger, submitter, auditor, anonymous, noIfMatch]

        // Agreeing an incomplete plan names what is missing; bad input names the field and changes nothing.
        let early = try await HTTP.post(system.url("benefits", "\(base)/agree"), [:], token: Self.owner)
        #expect(early.status == 409)
        #expect(Self.names(early).contains("benefits[0].owner"))
        var bad = Self.completeBenefits(prefilled)
        bad[0]["target"] = ["value": "0", "date": "2026-01-01"]
        bad[1]["description"] = " "
        bad[2]["followUpMonths"] = [12, 6]
        let invalid = try await Self.send(system, "PUT", base, ["benefits": bad], ifMatch: draftTag)
        #expect(invalid.status == 422)
        #expect(invalid.contentType == "application/problem+json")
        #expect(Set(Self.names(invalid)) == ["benefits[0].target.value", "benefits[1].description", "benefits[2].followUpMonths"])
        let unchanged = try await HTTP.get(system.url("benefits", base), token: Self.owner)
        #expect(unchanged.header("ETag") == draftTag)
        replies += [early, invalid]

        // Complete, agree: revision 1 is the baseline.
        let filled = try await Self.send(
            system, "PUT", base, ["benefits": Self.completeBenefits(prefilled), "goalAreas": ["internal-external-balance"]],
            ifMatch: draftTag)
        #expect(filled.status == 200)
        let agreed = try await HTTP.post(system.url("benefits", "\(base)/agree"), [:], token: Self.owner)
        #expect(agreed.status == 200)
        #expect(agreed.object["status"] as? String == "agreed")
        #expect((agreed.object["baseline"] as? [String: Any])?["revision"] as? Int == 1)
        #expect(try await Self.outbox(pool, "benefit-plan.agreed", key: initiative).count == 1)
        replies += [filled, agreed]

        // The baseline cannot change: a change without a reason is refused, with one it is revision 2.
        let agreedTag = try #require(agreed.header("ETag"))
        let current = try #require(agreed.object["benefits"] as? [[String: Any]])
        let noReason = try await Self.send(
            system, "PUT", base, ["benefits": Self.completeBenefits(current, targetOfB: "60")], ifMatch: agreedTag)
        #expect(noReason.status == 422 && Self.names(noReason) == ["reason"])
        let revised = try await Self.send(
            system, "PUT", base,
            ["benefits": Self.completeBenefits(current, targetOfB: "60"), "reason": "Målet höjs efter pilotens resultat."],
            ifMatch: agreedTag)
        #expect(revised.status == 200)
        #expect(revised.object["revision"] as? Int == 2)
        let revisedB = try #require((revised.object["benefits"] as? [[String: Any]])?[1])
        #expect((revisedB["target"] as? [String: Any])?["value"] as? String == "60")
        #expect(((revisedB["agreed"] as? [String: Any])?["target"] as? [String: Any])?["value"] as? String == "40",
                "the agreed baseline beside the current revision")
        let baselineB = ((revised.object["baseline"] as? [String: Any])?["benefits"] as? [[String: Any]])?[1]
        #expect((baselineB?["target"] as? [String: Any])?["value"] as? String == "40")
        let tampering = await #expect(throws: (any Error).self) {
            try await pool.withConnection { connection in
                try await connection.execute("UPDATE benefits.plan_revisions SET reason = 'x' WHERE initiative_id = $1", [UUID(uuidString: initiative)])
            }
        }
        #expect("\(tampering.map { "\($0)" } ?? "")".contains("immutable"))
        #expect(try await Self.outbox(pool, "benefit-plan.revised", key: initiative).count == 1)
        replies += [noReason, revised]

        // Phases: only forward, one at a time; go-live in the past fixes the follow-up dates.
        let skip = try await Self.send(system, "POST", "\(base)/phase", ["phase": "implement", "goLiveOn": "2025-01-01"])
        #expect(skip.status == 409)
        let develop = try await Self.send(system, "POST", "\(base)/phase", ["phase": "develop"])
        #expect(develop.status == 200)
        let implement = try await Self.send(system, "POST", "\(base)/phase", ["phase": "implement", "goLiveOn": "2025-01-01"])
        #expect(implement.status == 200)
        #expect(implement.object["goLiveOn"] as? String == "2025-01-01")
        let followUps = try #require(implement.object["followUps"] as? [[String: Any]])
        #expect(followUps.count == 6)
        #expect(Set(followUps.compactMap { $0["dueOn"] as? String }) == ["2025-07-01", "2026-01-01"])
        let back = try await Self.send(system, "POST", "\(base)/phase", ["phase": "develop"])
        #expect(back.status == 409)
        replies += [skip, develop, implement, back]

        // Measurements: A falls far behind (deviating), C is on track; bad input changes nothing.
        let ids = current.compactMap { $0["benefitId"] as? String }
        let measurements = { (id: String) in "\(base)/benefits/\(id)/measurements" }
        let badMeasurement = try await Self.send(
            system, "POST", measurements(ids[0]), ["value": "1,5", "measuredOn": "2025-07-01", "source": "x"])
        #expect(badMeasurement.status == 422 && Self.names(badMeasurement) == ["value"])
        let future = try await Self.send(system, "POST", measurements(ids[0]), ["value": "5", "measuredOn": "2999-01-01", "source": " "])
        #expect(future.status == 422 && Set(Self.names(future)) == ["measuredOn", "source"])
        let otherOwner = try await Self.send(
            system, "POST", measurements(ids[0]), ["value": "5", "measuredOn": "2025-07-01", "source": "x"],
            token: Self.token("benefit-owner", "utbildning"))
        #expect(otherOwner.status == 404)
        let auditorWrites = try await Self.send(
            system, "POST", measurements(ids[0]), ["value": "5", "measuredOn": "2025-07-01", "source": "x"],
            token: Self.token("auditor", "stadsrevisionen"))
        #expect(auditorWrites.status == 403)
        let behind = try await Self.send(
            system, "POST", measurements(ids[0]),
            ["value": "10", "measuredOn": "2025-07-01", "source": "Verksamhetssystemet", "comment": "Roboten i drift sent"])
        #expect(behind.status == 201)
        #expect(behind.object["status"] as? String == "deviating")
        #expect(behind.object["share"] as? String == "0.1")
        #expect(behind.object["expectedShare"] as? String == "0.4959")
        let onTrack = try await Self.send(
            system, "POST", measurements(ids[2]), ["value": "55", "measuredOn": "2025-07-01", "source": "Verksamhetssystemet"])
        #expect(onTrack.status == 201 && onTrack.object["status"] as? String == "on-track")
        let list = try await HTTP.get(system.url("benefits", measurements(ids[0])), token: Self.owner)
        #expect((list.object["items"] as? [Any])?.count == 1, "the refused measurements left nothing behind")
        replies += [badMeasurement, future, otherOwner, auditorWrites, behind, onTrack, list]

        // The deviation: one event, and the board's decided action is recorded against it.
        let deviations = try await Self.outbox(pool, "benefit.deviating", key: initiative)
        #expect(deviations.count == 1)
        let deviationId = try #require(deviations.first?["deviationId"] as? String)
        let action = try await Self.send(
            system, "POST", "\(base)/deviations/\(deviationId)/action",
            ["board": "Äldre samt vård- och omsorgsnämnden", "decidedOn": "2025-08-20", "action": "Förstärkt införandestöd i två stadsområden.",
             "reference": "§ 88"])
        #expect(action.status == 200)
        #expect(((action.object["deviations"] as? [[String: Any]])?.first?["action"] as? [String: Any])?["board"] as? String
                == "Äldre samt vård- och omsorgsnämnden")
        replies.append(action)

        // A common initiative of Utbildning whose benefit Äldre owns: go-live a month less a
        // week ago makes the 1-month follow-up due within the reminder window. Äldre's
        // benefit owner records its measurements; Utbildning's submitter may not.
        let utbildning = Self.token("benefit-owner", "utbildning")
        let commonBase = "/v1/plans/\(common)"
        let commonDraft = try await HTTP.get(system.url("benefits", commonBase), token: utbildning)
        var shared = Self.completeBenefits(try #require(commonDraft.object["benefits"] as? [[String: Any]]))
        shared = [shared[0]]
        shared[0]["followUpMonths"] = [1, 2]
        shared[0]["target"] = ["value": "100", "date": "2027-12-31"]
        let filledCommon = try await Self.send(
            system, "PUT", commonBase, ["benefits": shared], ifMatch: commonDraft.header("ETag"), token: utbildning)
        #expect(filledCommon.status == 200)
        var sweden = Calendar(identifier: .gregorian)
        sweden.timeZone = TimeZone(identifier: "Europe/Stockholm")!
        let inAWeek = sweden.date(byAdding: .day, value: 7, to: Date())!
        let goLive = sweden.date(byAdding: .month, value: -1, to: inAWeek)!
        let day = DateFormatter()
        day.calendar = sweden
        day.timeZone = sweden.timeZone
        day.dateFormat = "yyyy-MM-dd"
        for body: [String: Any] in [["phase": "develop"], ["phase": "implement", "goLiveOn": day.string(from: goLive)]] {
            if body["phase"] as? String == "develop" {
                let agreedCommon = try await HTTP.post(system.url("benefits", "\(commonBase)/agree"), [:], token: utbildning)
                #expect(agreedCommon.status == 200)
            }
            let moved = try await Self.send(system, "POST", "\(commonBase)/phase", body, token: utbildning)
            #expect(moved.status == 200)
        }
        let sharedId = try #require(
            ((try await HTTP.get(system.url("benefits", commonBase), token: utbildning)).object["benefits"] as? [[String: Any]])?
                .first?["benefitId"] as? String)
        let byOwnerOrganisation = try await Self.send(
            system, "POST", "\(commonBase)/benefits/\(sharedId)/measurements",
            ["value": "1", "measuredOn": day.string(from: goLive), "source": "Elevenkät"])
        #expect(byOwnerOrganisation.status == 201, "the benefit owner's organisation records the measurement")
        let bySubmitter = try await Self.send(
            system, "POST", "\(commonBase)/benefits/\(sharedId)/measurements",
            ["value": "1", "measuredOn": day.string(from: goLive), "source": "Elevenkät"],
            token: Self.token("submitter", "utbildning"))
        #expect(bySubmitter.status == 403)
        let aldreReads = try await HTTP.get(system.url("benefits", commonBase), token: Self.owner)
        #expect(aldreReads.status == 200, "the organisation owning a benefit reads the plan")
        replies += [commonDraft, filledCommon, byOwnerOrganisation, bySubmitter, aldreReads]

        // Follow-ups past their date: A's 12-month, B's two and C's 12-month are overdue (A's
        // and C's 6-month were measured). Two more instances run the job every second; each
        // follow-up is announced exactly once.
        var extraPorts: [Int] = []
        for instance in ["benefits-2", "benefits-3"] {
            let port = try freeLoopbackPort()
            extraPorts.append(port)
            try system.start("benefits", instance: instance, port: port, environment: ["STYRBORD_FOLLOWUP_JOB_INTERVAL_SECONDS": "1"])
        }
        try await waitUntil("four overdue follow-ups announced", timeout: .seconds(120), every: .milliseconds(200)) {
            try await Self.outbox(pool, "follow-up.overdue", key: initiative).count >= 4
        }
        // Let both instances run more rounds, seen through their job metric, then count again.
        let seen = Date().timeIntervalSince1970
        for port in extraPorts {
            try await waitUntil("instance on \(port) ran the job again", timeout: .seconds(60), every: .milliseconds(200)) {
                guard let metrics = try? await HTTP.get(URL(string: "http://127.0.0.1:\(port)/metrics")!, token: nil) else { return false }
                let text = String(decoding: metrics.body, as: UTF8.self)
                guard let line = text.split(separator: "\n").first(where: {
                    $0.hasPrefix("styrbord_job_last_success_timestamp_seconds{job_name=\"overdue-follow-ups\"}")
                }), let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { return false }
                return value > seen + 1
            }
        }
        let overdue = try await Self.outbox(pool, "follow-up.overdue", key: initiative)
        #expect(overdue.count == 4)
        let announced = overdue.map { "\($0["benefitId"] as? String ?? "")/\($0["months"] as? Int ?? 0)" }
        #expect(Set(announced).count == 4, "one event per follow-up")
        #expect(Set(announced) == Set(["\(ids[0])/12", "\(ids[1])/6", "\(ids[1])/12", "\(ids[2])/12"]))
        #expect(overdue.allSatisfy { $0["ownerOrganisationId"] as? String == "aldre-vard-omsorg" })

        try await waitUntil("the reminder of the common initiative's follow-up", timeout: .seconds(60), every: .milliseconds(200)) {
            try await Self.outbox(pool, "follow-up.due", key: common).count >= 1
        }
        let due = try await Self.outbox(pool, "follow-up.due", key: common)
        #expect(due.count == 1 && due.first?["months"] as? Int == 1)
        #expect(due.first?["ownerOrganisationId"] as? String == "aldre-vard-omsorg")
        #expect(try await Self.outbox(pool, "follow-up.overdue", key: common).isEmpty)
        #expect(try await Self.outbox(pool, "follow-up.due", key: initiative).isEmpty, "past dates are escalated, not reminded")

        // Notifications: the board hears of the deviation, owner and board of the overdue follow-ups.
        try await waitUntil("deviation and escalation notifications", timeout: .seconds(60), every: .milliseconds(200)) {
            let kinds = try await WalkingSkeletonTests.notificationKinds(system)[initiative] ?? []
            return kinds.contains("benefit-deviating") && kinds.filter { $0 == "follow-up-overdue" }.count == 8
        }
        try await waitUntil("the reminder notification", timeout: .seconds(60), every: .milliseconds(200)) {
            try await WalkingSkeletonTests.notificationKinds(system)[common]?.contains("follow-up-due") == true
        }

        // Management needs its plan; then the evaluation closes the initiative.
        let noPlan = try await Self.send(system, "POST", "\(base)/phase", ["phase": "management"])
        #expect(noPlan.status == 422 && Self.names(noPlan) == ["managementPlanReference"])
        let management = try await Self.send(
            system, "POST", "\(base)/phase", ["phase": "management", "managementPlanReference": "Förvaltningsplan trygghetslarm 2026"])
        #expect(management.status == 200)
        let evaluated = try await Self.send(
            system, "POST", "\(base)/evaluation",
            ["lessonsLearned": "Mät utgångsläget före införandet och förankra arbetssättet tidigt.",
             "comments": [ids[0]: "Roboten kom i drift ett halvår för sent."]])
        #expect(evaluated.status == 200)
        #expect(evaluated.object["phase"] as? String == "evaluated")
        let outcomes = (evaluated.object["evaluation"] as? [String: Any])?["outcomes"] as? [[String: Any]] ?? []
        #expect(outcomes.map { $0["status"] as? String } == ["deviating", "not-measured", "on-track"])
        #expect(((outcomes[1]["agreedTarget"] as? [String: Any])?["value"] as? String) == "40")
        #expect(((outcomes[1]["plannedTarget"] as? [String: Any])?["value"] as? String) == "60")
        #expect(try await Self.outbox(pool, "initiative.evaluated", key: initiative).count == 1)
        #expect(try await Self.outbox(pool, "initiative-phase.changed", key: initiative).count == 4)
        replies += [noPlan, management, evaluated]

        // The register: filters and CSV.
        let ssg = Self.token("ssg", "slk")
        let own = try await HTTP.get(system.url("benefits", "/v1/register?organisationId=aldre-vard-omsorg"), token: ssg)
        let ownItems = own.object["items"] as? [[String: Any]] ?? []
        #expect(ownItems.map { $0["initiativeId"] as? String } == [initiative])
        #expect(ownItems.first?["status"] as? String == "deviating")
        let bySSG = try await HTTP.get(system.url("benefits", "/v1/register?ssgPrioritised=true"), token: ssg)
        #expect((bySSG.object["items"] as? [[String: Any]])?.map { $0["initiativeId"] as? String } == [common])
        let deviating = try await HTTP.get(system.url("benefits", "/v1/register?status=deviating&goalArea=internal-external-balance"), token: ssg)
        #expect((deviating.object["items"] as? [[String: Any]])?.count == 1)
        let badFilter = try await HTTP.get(system.url("benefits", "/v1/register?status=sideways"), token: ssg)
        #expect(badFilter.status == 422 && Self.names(badFilter) == ["status"])
        let ownOnly = try await HTTP.get(system.url("benefits", "/v1/register"), token: Self.token("benefit-owner", "utbildning"))
        #expect((ownOnly.object["items"] as? [[String: Any]])?.map { $0["initiativeId"] as? String } == [common])
        let csv = try await HTTP.get(system.url("benefits", "/v1/register?format=csv&organisationId=aldre-vard-omsorg"), token: ssg)
        #expect(csv.status == 200)
        #expect(csv.contentType?.hasPrefix("text/csv") == true)
        let csvText = String(decoding: csv.body, as: UTF8.self)
        #expect(csvText.split(separator: "\r\n").count == 4, "the header and one line per benefit")
        #expect(csvText.contains("Automatiserade beslut om trygghetslarm;aldre-vard-omsorg;evaluated"))
        let accepted = try await HTTP.send(
            system.url("benefits", "/v1/register?organisationId=aldre-vard-omsorg"), method: "GET", body: nil,
            headers: ["Accept": "text/csv"], token: ssg)
        #expect(accepted.contentType?.hasPrefix("text/csv") == true && accepted.body == csv.body, "Accept: text/csv is the same export")
        replies += [own, bySSG, deviating, badFilter, ownOnly, csv, accepted]

        // The open feed: only what the organisation published, without personal data.
        let hidden = try await HTTP.get(system.url("benefits", "/public/v1/initiatives"), token: nil)
        #expect((hidden.object["items"] as? [Any])?.count == 0)
        let notTheirs = try await Self.send(
            system, "PUT", "\(base)/publication", ["published": true], token: Self.token("benefit-owner", "utbildning"))
        #expect(notTheirs.status == 404)
        let published = try await Self.send(system, "PUT", "\(base)/publication", ["published": true])
        #expect(published.status == 200 && published.object["published"] as? Bool == true)
        let feed = try await HTTP.get(system.url("benefits", "/public/v1/initiatives"), token: nil)
        #expect(feed.status == 200)
        #expect((feed.object["items"] as? [[String: Any]])?.map { $0["initiativeId"] as? String } == [initiative])
        let feedText = String(decoding: feed.body, as: UTF8.self)
        for personal in ["Anna", "anna@", "owner", "benefit-owner@", "recordedBy", "comment", "Roboten"] {
            #expect(!feedText.contains(personal), "the open feed must not carry \(personal)")
        }
        replies += [hidden, notTheirs, published, feed]

        // Roll-ups and the city plan.
        let city = try await HTTP.get(system.url("benefits", "/v1/realisation"), token: ssg)
        #expect(city.object["scope"] as? String == "city")
        #expect(city.object["initiatives"] as? Int == 2, "both plans are agreed")
        #expect((city.object["organisations"] as? [[String: Any]])?.map { $0["organisationId"] as? String } == ["aldre-vard-omsorg", "utbildning"])
        #expect(((city.object["realisation"] as? [String: Any])?["byStatus"] as? [String: Any])?["deviating"] as? Int == 1)
        let mine = try await HTTP.get(system.url("benefits", "/v1/realisation"), token: Self.owner)
        #expect(mine.object["scope"] as? String == "organisation:aldre-vard-omsorg")
        let others = try await HTTP.get(system.url("benefits", "/v1/realisation?organisationId=utbildning"), token: Self.owner)
        #expect(others.status == 403)
        let report = try await HTTP.get(system.url("benefits", "/v1/city-plan/report"), token: Self.owner)
        #expect(report.object["total"] as? Int == 17)
        #expect(report.object["done"] as? Int == 12)
        #expect(report.object["byStatus"] as? [String: Int] == ["klar": 12, "pågår": 3, "pausad": 1, "svårbedömd": 1])
        let plan = try await HTTP.get(system.url("benefits", "/v1/city-plan"), token: ssg)
        let areas = plan.object["goalAreas"] as? [[String: Any]] ?? []
        let area2 = areas.first { $0["goalArea"] as? String == "internal-external-balance" }
        #expect((area2?["initiatives"] as? [[String: Any]])?.map { $0["initiativeId"] as? String } == [initiative])
        #expect((area2?["actions"] as? [[String: Any]])?.count == 5)
        let action2C = try await Self.send(
            system, "PUT", "/v1/city-plan/actions/2C", ["status": "klar", "note": "Nyttoregistret finns i Styrbord."], ifMatch: "\"1\"",
            token: ssg)
        #expect(action2C.status == 200)
        #expect((action2C.object["history"] as? [Any])?.count == 2)
        let ownerMayNot = try await Self.send(
            system, "PUT", "/v1/city-plan/actions/2C", ["status": "pågår", "note": "x"], ifMatch: "\"2\"")
        #expect(ownerMayNot.status == 403)
        let afterReport = try await HTTP.get(system.url("benefits", "/v1/city-plan/report"), token: ssg)
        #expect(afterReport.object["done"] as? Int == 13)
        replies += [city, mine, others, report, plan, action2C, ownerMayNot, afterReport]

        let contract = try system.checkAgainstOpenAPI(replies)
        #expect(contract.passed, "\(contract.output)")
    }
}
