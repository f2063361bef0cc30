import Foundation
import Logging
import Persistence
import TestSupport
import Testing

/// The prioritisation service with intake and analysis in front of it: a round opened,
/// candidates arriving from completed analyses, three SSG members scoring, a selection
/// under a tight budget with an innovation-share bound, scenarios, sensitivity, balance,
/// decisions with history, the budget input, and access by role and organisation.
@Suite("Prioritisation service", .serialized)
struct PrioritisationTests {
    static func token(_ subject: String, _ organisation: String, _ roles: [String]) -> String {
        TestTokens.mint(subject: subject, organisation: organisation, roles: roles)
    }

    static let members = [
        token("ssg-anna", "slk", ["ssg"]), token("ssg-bo", "intraservice", ["ssg"]), token("ssg-cia", "utbildning", ["ssg"]),
    ]

    static func url(_ system: RunningSystem, _ path: String) -> URL { system.url("prioritisation", path) }

    static func names(_ reply: HTTP.Reply) -> [String] {
        (reply.object["invalid-params"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    }

    static func put(_ system: RunningSystem, _ path: String, _ body: [String: Any], token: String, key: String? = nil)
        async throws -> HTTP.Reply
    {
        try await HTTP.send(
            url(system, path), method: "PUT", body: try AnalysisSteps.json(body), headers: key.map { ["Idempotency-Key": $0] } ?? [:],
            token: token)
    }

    /// Submits a need and completes its analysis; `economicBenefit: false` leaves only a
    /// qualitative benefit, so the analysis has no benefit calculation.
    static func analysed(
        _ system: RunningSystem, _ title: String, organisation: String, common: Bool, economicBenefit: Bool = true,
        driver: String = "own-need"
    ) async throws -> String {
        var need = WalkingSkeletonTests.need(title, organisation: organisation, track: common ? "common" : "organisation-specific")
        need["driver"] = driver
        let submitted = try await HTTP.post(system.url("intake", "/v1/needs"), need)
        let initiative = try #require(submitted.object["initiativeId"] as? String)
        let base = "/v1/analyses/\(initiative)"
        let opened = try await HTTP.retrying("the analysis case of \(title)") {
            try await HTTP.get(system.url("analysis", base))
        } until: { $0.status == 200 }
        var costBenefit = AnalysisSteps.costBenefit
        if !economicBenefit {
            costBenefit["benefits"] = [
                ["description": "Bättre tillgänglighet", "stakeholder": "residents", "kind": "qualitative", "score": 4,
                 "indicator": "Andel nöjda brukare"]
            ]
        }
        var etag = opened.header("ETag") ?? ""
        for (part, body) in [("cost-benefit", costBenefit), ("risk", AnalysisSteps.risk), ("reuse", AnalysisSteps.reuseNew)] {
            let reply = try await HTTP.send(
                system.url("analysis", "\(base)/\(part)"), method: "PUT", body: try AnalysisSteps.json(body), headers: ["If-Match": etag])
            #expect(reply.status == 200, "\(part): \(String(decoding: reply.body, as: UTF8.self))")
            etag = reply.header("ETag") ?? etag
        }
        if common {
            _ = try await HTTP.post(system.url("analysis", "\(base)/supplier-board-informed"), AnalysisSteps.boardInformed)
        }
        let completed = try await HTTP.post(system.url("analysis", "\(base)/complete"), [:])
        #expect(completed.status == 200)
        return initiative
    }

    static func items(_ reply: HTTP.Reply) -> [[String: Any]] { reply.object["items"] as? [[String: Any]] ?? [] }

    static func scores(_ benefit: Int, _ urgency: Int, _ feasibility: Int, _ economy: Int, innovation: Int, external: Int) -> [String: Any] {
        ["scores": ["benefit": benefit, "urgency": urgency, "feasibility": feasibility, "economic-conditions": economy,
                    "efficiency-innovation": innovation, "internal-external": external]]
    }

    @Test("a round: candidates arrive, three members score, selection with reasons, scenarios, decisions and the budget input")
    func wholeRound() async throws {
        let system = try await RunningSystem(only: ["intake", "analysis", "prioritisation"])
        defer { system.shutDown() }
        var replies: [HTTP.Reply] = []

        // Bad input is refused, names the field and opens nothing.
        let badRound = try await HTTP.post(
            Self.url(system, "/v1/rounds"),
            ["name": "", "budgetYear": 2027, "decidingBody": "ssg", "organisationId": "utbildning",
             "budgets": ["bitcoin": "100", "cost-allocation": "-1"], "capacityHours": "100",
             "innovationShare": ["min": 0.7, "max": 0.2]], token: Self.members[0])
        #expect(badRound.status == 422 && badRound.contentType == "application/problem+json")
        #expect(Set(Self.names(badRound)) == ["name", "organisationId", "budgets.bitcoin", "budgets.cost-allocation", "innovationShare.max"])
        let roundsBefore = try await HTTP.get(Self.url(system, "/v1/rounds"), token: Self.members[0])
        #expect(Self.items(roundsBefore).isEmpty)
        let submitterOpens = try await HTTP.post(
            Self.url(system, "/v1/rounds"),
            ["name": "Omgång", "budgetYear": 2027, "decidingBody": "ssg", "budgets": [:], "capacityHours": "0"],
            token: Self.token("sub@utbildning", "utbildning", ["submitter"]))
        #expect(submitterOpens.status == 403)
        replies += [badRound, roundsBefore, submitterOpens]

        // SSG opens the common round: 2 Mkr cost allocation fits three of the four candidates
        // (645 000 kr each in the budget year), and at least 30 % must be innovation.
        let opened = try await HTTP.post(
            Self.url(system, "/v1/rounds"),
            ["name": "Gemensamma insatser 2027", "budgetYear": 2027, "decidingBody": "ssg",
             "budgets": ["cost-allocation": "2000000", "leasing": "700000"], "capacityHours": "1000",
             "innovationShare": ["min": 0.3, "max": 0.7]],
            headers: ["Idempotency-Key": "open-2027"], token: Self.members[0])
        #expect(opened.status == 201, "\(String(decoding: opened.body, as: UTF8.self))")
        let round = try #require(opened.object["roundId"] as? String)
        #expect(opened.object["criteriaVersion"] as? Int == 1)
        let twice = try await HTTP.post(
            Self.url(system, "/v1/rounds"),
            ["name": "En till", "budgetYear": 2027, "decidingBody": "ssg", "budgets": [:], "capacityHours": "0"], token: Self.members[1])
        #expect(twice.status == 409, "one open round per deciding body")
        replies += [opened, twice]

        // Four common-track candidates arrive through analysis.completed; one own-track one.
        let legal = try await Self.analysed(
            system, "Arkivering enligt ny lag", organisation: "aldre-vard-omsorg", common: true, driver: "new-law")
        let rpa = try await Self.analysed(system, "Trygghetslarm med RPA", organisation: "aldre-vard-omsorg", common: true)
        let ai = try await Self.analysed(system, "AI-assistent i skolan", organisation: "utbildning", common: true)
        let portal = try await Self.analysed(
            system, "Tillgänglighetsapp", organisation: "utbildning", common: true, economicBenefit: false)
        let own = try await Self.analysed(system, "Nattkamera", organisation: "aldre-vard-omsorg", common: false)
        let base = "/v1/rounds/\(round)"
        let pool = try await HTTP.retrying("four candidates in the round") {
            try await HTTP.get(Self.url(system, "\(base)/candidates"), token: Self.members[0])
        } until: { Self.items($0).count == 4 }
        #expect(!Self.items(pool).contains { $0["initiativeId"] as? String == own }, "the own-track candidate is not SSG's")
        let first = try #require(Self.items(pool).first { $0["initiativeId"] as? String == rpa })
        let figures = first["analysis"] as? [String: Any]
        #expect(figures?["budgetYearCost"] as? String == "645000", "530 000 kr once plus 115 000 kr for the year")
        #expect(figures?["netPresentValue"] as? String == "566544.03", "the analysis' NPV, carried over, not re-typed")
        #expect(figures?["paybackYear"] as? Int == 2)
        replies.append(pool)

        // A need driven by a new law arrives flagged as a legal requirement; the preparer
        // adds the supplier hours.
        #expect(Self.items(pool).first { $0["initiativeId"] as? String == legal }?["legalRequirement"] as? Bool == true)
        #expect(Self.items(pool).filter { $0["legalRequirement"] as? Bool == true }.count == 1)
        let prepared = try await Self.put(
            system, "\(base)/candidates/\(legal)/preparation", ["legalRequirement": true, "financingType": "cost-allocation", "supplierHours": "100"],
            token: Self.members[0])
        #expect(prepared.status == 200)
        let badRequires = try await Self.put(
            system, "\(base)/candidates/\(rpa)/preparation",
            ["legalRequirement": false, "financingType": "cost-allocation", "requires": [own]], token: Self.members[0])
        #expect(badRequires.status == 422 && Self.names(badRequires) == ["requires"])
        replies += [prepared, badRequires]

        // Three members score: RPA highest, the portal next, AI lowest but innovation.
        let plan: [(String, [[String: Any]])] = [
            (rpa, [Self.scores(5, 4, 4, 4, innovation: 1, external: 2), Self.scores(4, 4, 5, 4, innovation: 2, external: 2),
                   Self.scores(5, 5, 4, 3, innovation: 1, external: 3)]),
            (portal, [Self.scores(4, 4, 4, 3, innovation: 2, external: 5), Self.scores(4, 3, 4, 4, innovation: 2, external: 4),
                      Self.scores(3, 4, 4, 4, innovation: 3, external: 5)]),
            (ai, [Self.scores(2, 2, 2, 2, innovation: 5, external: 4), Self.scores(5, 2, 2, 2, innovation: 5, external: 4),
                  Self.scores(1, 2, 3, 2, innovation: 4, external: 3)]),
        ]
        for (candidate, sets) in plan {
            for (member, body) in zip(Self.members, sets) {
                let reply = try await Self.put(system, "\(base)/candidates/\(candidate)/scores", body, token: member)
                #expect(reply.status == 200, "\(String(decoding: reply.body, as: UTF8.self))")
            }
        }
        // A member replaces their own score set; bad scores are refused and change nothing.
        let replaced = try await Self.put(
            system, "\(base)/candidates/\(ai)/scores", Self.scores(1, 2, 2, 2, innovation: 5, external: 4), token: Self.members[1])
        #expect(replaced.status == 200)
        let badScore = try await Self.put(
            system, "\(base)/candidates/\(ai)/scores", ["scores": ["benefit": 7, "charm": 3]], token: Self.members[1])
        #expect(badScore.status == 422 && Set(Self.names(badScore)) == ["scores.benefit", "scores.charm"])
        let auditorScores = try await Self.put(
            system, "\(base)/candidates/\(ai)/scores", Self.scores(3, 3, 3, 3, innovation: 3, external: 3),
            token: Self.token("rev", "stadsrevisionen", ["auditor"]))
        #expect(auditorScores.status == 403)
        replies += [replaced, badScore, auditorScores]

        // Aggregation: mean and spread per criterion, the breakdown, the ranking.
        let detail = try await HTTP.get(Self.url(system, "\(base)/candidates/\(ai)"), token: Self.members[0])
        let candidate = try #require(detail.object["candidate"] as? [String: Any])
        let benefit = try #require((candidate["criteria"] as? [[String: Any]])?.first { $0["key"] as? String == "benefit" })
        #expect(benefit["count"] as? Int == 3)
        #expect(abs(((benefit["mean"] as? NSNumber)?.doubleValue ?? 0) - 4.0 / 3) < 0.001, "member two replaced 5 by 1")
        #expect(abs(((benefit["standardDeviation"] as? NSNumber)?.doubleValue ?? 0) - (2.0 / 9).squareRoot()) < 0.001)
        #expect(benefit["min"] as? Int == 1 && benefit["max"] as? Int == 2)
        #expect(candidate["quadrant"] as? String == "innovation-external")
        #expect((detail.object["scoreSets"] as? [Any])?.count == 3, "who scored what")
        let contributions = candidate["contributions"] as? [[String: Any]] ?? []
        let summed = contributions.compactMap { ($0["contribution"] as? NSNumber)?.doubleValue }.reduce(0, +)
        #expect(abs(summed - ((candidate["total"] as? NSNumber)?.doubleValue ?? -1)) < 0.001)
        let ranked = try await HTTP.get(Self.url(system, "\(base)/candidates"), token: Self.members[0])
        #expect(Self.items(ranked).map { $0["initiativeId"] as? String } == [legal, rpa, portal, ai], "legal requirements first")
        replies += [detail, ranked]

        // The selection: A (legal) and RPA in; the innovation bound takes AI over the portal.
        let selection = try await HTTP.post(Self.url(system, "\(base)/selections"), [:], token: Self.members[0])
        #expect(selection.status == 201, "\(String(decoding: selection.body, as: UTF8.self))")
        #expect(Set(selection.object["selected"] as? [String] ?? []) == [legal, rpa, ai])
        #expect(selection.object["optimal"] as? Bool == true)
        let entries = selection.object["candidates"] as? [[String: Any]] ?? []
        func reason(_ id: String) -> String { entries.first { $0["initiativeId"] as? String == id }?["reason"] as? String ?? "" }
        #expect(reason(legal).hasPrefix("Med: lagkrav"))
        #expect(reason(rpa).hasPrefix("Med:"))
        #expect(reason(ai).hasPrefix("Med:"))
        #expect(reason(portal).hasPrefix("Ute:") && reason(portal).contains("cost-allocation"), "\(reason(portal))")
        #expect((selection.object["innovationShare"] as? NSNumber)?.doubleValue ?? 0 >= 0.3)
        let runId = try #require(selection.object["runId"] as? String)
        let stored = try await HTTP.get(Self.url(system, "\(base)/selections/\(runId)"), token: Self.token("rev", "stadsrevisionen", ["auditor"]))
        #expect(stored.status == 200 && stored.object["runId"] as? String == runId)
        replies += [selection, stored]

        // Two scenarios side by side: no innovation bound, and a larger budget.
        let scenarios = try await HTTP.post(
            Self.url(system, "\(base)/scenarios"),
            ["scenarios": [["label": "Utan innovationskrav", "innovationShare": ["min": 0, "max": 1]],
                           ["label": "Större budget", "budgets": ["cost-allocation": "2600000"],
                            "innovationShare": ["min": 0.2, "max": 0.7]]]],
            token: Self.members[1])
        #expect(scenarios.status == 200, "\(String(decoding: scenarios.body, as: UTF8.self))")
        let compared = scenarios.object["scenarios"] as? [[String: Any]] ?? []
        #expect(compared.count == 2)
        #expect(compared.first?["entering"] as? [String] == [portal] && compared.first?["leaving"] as? [String] == [ai])
        #expect(compared.last?["entering"] as? [String] == [portal] && compared.last?["leaving"] as? [String] == [])
        let badScenario = try await HTTP.post(
            Self.url(system, "\(base)/scenarios"), ["scenarios": [["label": "x", "weights": ["charm": 5]]]], token: Self.members[1])
        #expect(badScenario.status == 422 && Self.names(badScenario) == ["scenarios[0].weights.charm"])
        replies += [scenarios, badScenario]

        // Sensitivity and balance.
        let sensitivity = try await HTTP.get(Self.url(system, "\(base)/sensitivity?top=1"), token: Self.members[2])
        #expect(sensitivity.status == 200)
        let ranking = sensitivity.object["ranking"] as? [[String: Any]] ?? []
        #expect(ranking.count == 4 && (sensitivity.object["selection"] as? [Any])?.count == 4)
        let balance = try await HTTP.get(Self.url(system, "\(base)/balance"), token: Self.members[2])
        let selected = balance.object["selection"] as? [String: Any]
        #expect(selected?["count"] as? Int == 3)
        let quadrants = selected?["quadrants"] as? [[String: Any]] ?? []
        #expect(quadrants.first { $0["quadrant"] as? String == "innovation-external" }?["budgetYearCost"] as? String == "645000")
        replies += [sensitivity, balance]

        // A change of weights after scoring is a new criteria version.
        let criteria = try await HTTP.get(Self.url(system, "\(base)/criteria"), token: Self.members[0])
        var changed = criteria.object["criteria"] as? [[String: Any]] ?? []
        changed[0]["weight"] = 45
        changed[1]["weight"] = 15
        let newVersion = try await Self.put(system, "\(base)/criteria", ["criteria": changed], token: Self.members[0])
        #expect(newVersion.object["version"] as? Int == 2)
        let oldVersion = try await HTTP.get(Self.url(system, "\(base)/criteria?version=1"), token: Self.members[0])
        #expect(((oldVersion.object["criteria"] as? [[String: Any]])?.first?["weight"] as? NSNumber)?.intValue == 35)
        replies += [criteria, newVersion, oldVersion]

        // Nothing so far decided anything.
        let none = try await HTTP.get(Self.url(system, "\(base)/decisions"), token: Self.members[0])
        #expect(Self.items(none).isEmpty)
        replies.append(none)

        // Decisions: leasing without a benefit calculation is refused; a change supersedes.
        func decide(_ initiative: String, _ outcome: String, _ financing: String?, supersedes: String? = nil, token: String = Self.members[0])
            async throws -> HTTP.Reply
        {
            var body: [String: Any] = ["initiativeId": initiative, "outcome": outcome, "rationale": "Beslut i SSG",
                                       "decidedOn": "2026-12-03", "caseNumber": "SLK-2026-00123", "roundId": round]
            if let financing { body["financingType"] = financing }
            if let supersedes { body["supersedes"] = supersedes }
            return try await HTTP.post(Self.url(system, "/v1/decisions"), body, token: token)
        }
        let legalDecision = try await decide(legal, "prioritised", "cost-allocation")
        #expect(legalDecision.status == 201)
        #expect(legalDecision.object["criteriaVersion"] as? Int == 2)
        let rpaDecision = try await decide(rpa, "prioritised", "leasing")
        #expect(rpaDecision.status == 201, "leasing with a benefit calculation is allowed")
        #expect((rpaDecision.object["scores"] as? [Any])?.count == 3, "the record keeps who scored what")
        let refused = try await decide(portal, "prioritised", "leasing")
        #expect(refused.status == 422 && Self.names(refused) == ["financingType"])
        let deferred = try await decide(portal, "deferred", nil)
        #expect(deferred.status == 201)
        let aiDecision = try await decide(ai, "prioritised", "cost-allocation")
        let aiDecisionId = try #require(aiDecision.object["decisionId"] as? String)
        let noSupersedes = try await decide(ai, "rejected", nil)
        #expect(noSupersedes.status == 409)
        let auditorDecides = try await decide(ai, "rejected", nil, supersedes: aiDecisionId, token: Self.token("rev", "stadsrevisionen", ["auditor"]))
        #expect(auditorDecides.status == 403)
        let change = try await decide(ai, "rejected", nil, supersedes: aiDecisionId)
        #expect(change.status == 201 && change.object["supersedes"] as? String == aiDecisionId)
        let history = try await HTTP.get(Self.url(system, "/v1/decisions/\(ai)/history"), token: Self.members[0])
        #expect(Self.items(history).map { $0["outcome"] as? String } == ["prioritised", "rejected"])
        #expect(Self.items(history).map { $0["current"] as? Bool } == [false, true])
        replies += [legalDecision, rpaDecision, refused, deferred, aiDecision, noSupersedes, auditorDecides, change, history]

        // The budget input reconciles with the stored decisions.
        let decided = try await HTTP.get(Self.url(system, "\(base)/decisions"), token: Self.members[0])
        let prioritised = Self.items(decided).filter { $0["outcome"] as? String == "prioritised" }
        #expect(prioritised.count == 2)
        let expected = prioritised.compactMap { ($0["budgetYearCost"] as? String).flatMap { Decimal(string: $0) } }.reduce(0, +)
        let budget = try await HTTP.get(Self.url(system, "\(base)/budget-input"), token: Self.members[0])
        #expect((budget.object["budgetYearCost"] as? String).flatMap { Decimal(string: $0) } == expected)
        let lines = budget.object["lines"] as? [[String: Any]] ?? []
        #expect(lines.compactMap { ($0["budgetYearCost"] as? String).flatMap { Decimal(string: $0) } }.reduce(0, +) == expected)
        #expect(lines.map { "\($0["organisationId"] ?? "")|\($0["financingType"] ?? "")" } == ["aldre-vard-omsorg|cost-allocation", "aldre-vard-omsorg|leasing"])
        let csv = try await HTTP.get(Self.url(system, "\(base)/budget-input?format=csv"), token: Self.members[0])
        #expect(csv.contentType?.hasPrefix("text/csv") == true)
        let csvText = String(decoding: csv.body, as: UTF8.self)
        #expect(csvText.contains("2027;summa;alla;2;\(expected);\r\n"), "\(csvText)")
        replies += [decided, budget, csv]

        // The events: one per decision, the change naming the one it supersedes.
        let admin = PostgresPool(configuration: PostgresConfiguration(connectionString: system.adminDatabaseURL), logger: .init(label: "test"))
        defer { admin.close() }
        let events = try await admin.withConnection { connection in
            try await connection.query(
                "SELECT convert_from(payload, 'UTF8') AS data FROM prioritisation.outbox ORDER BY 1")
        }
        #expect(events.count == 5)
        let payloads = try events.map { try JSONSerialization.jsonObject(with: Data(try $0.decode("data", as: String.self).utf8)) as? [String: Any] ?? [:] }
        #expect(payloads.contains { $0["supersedesDecisionId"] as? String == aiDecisionId && $0["outcome"] as? String == "rejected" })
        #expect(payloads.allSatisfy { $0["roundId"] as? String == round.uppercased() && $0["caseNumber"] as? String == "SLK-2026-00123" })
        let mutated = try? await admin.withConnection { connection in
            try await connection.execute("UPDATE prioritisation.decisions SET rationale = 'ändrad'")
        }
        #expect(mutated == nil, "stored decisions cannot be changed, only superseded")

        // Access by role and organisation.
        let submitter = Self.token("sub@utbildning", "utbildning", ["submitter"])
        let ownView = try await HTTP.get(Self.url(system, "\(base)/candidates"), token: submitter)
        #expect(Set(Self.items(ownView).compactMap { $0["initiativeId"] as? String }) == [ai, portal], "only their own organisation's")
        #expect(Self.items(ownView).allSatisfy { item in
            (item["criteria"] as? [[String: Any]] ?? []).allSatisfy { ($0["scores"] as? [String: Any])?.isEmpty == true }
        }, "and no member's individual score")
        let submitterSelection = try await HTTP.get(Self.url(system, "\(base)/selections/\(runId)"), token: submitter)
        #expect(submitterSelection.status == 403)
        let published = try await HTTP.get(Self.url(system, "/v1/decisions/\(rpa)"), token: submitter)
        #expect(published.status == 200, "common-track decisions are published")
        let ownBudget = try await HTTP.get(Self.url(system, "\(base)/budget-input"), token: submitter)
        #expect(ownBudget.object["initiatives"] as? Int == 0, "utbildning has nothing prioritised")
        replies += [ownView, submitterSelection, published, ownBudget]

        // The organisation's own round: opened by its leadership, the waiting candidate pulled in.
        let strangerOpens = try await HTTP.post(
            Self.url(system, "/v1/rounds"),
            ["name": "Äldre 2027", "budgetYear": 2027, "decidingBody": "organisation-board", "organisationId": "aldre-vard-omsorg",
             "budgets": ["own-budget": "1000000"], "capacityHours": "500"], token: Self.members[2])
        #expect(strangerOpens.status == 403)
        let leadership = Self.token("chef@aldre", "aldre-vard-omsorg", ["ssg"])
        let ownRound = try await HTTP.post(
            Self.url(system, "/v1/rounds"),
            ["name": "Äldre 2027", "budgetYear": 2027, "decidingBody": "organisation-board", "organisationId": "aldre-vard-omsorg",
             "budgets": ["own-budget": "1000000"], "capacityHours": "500"], token: leadership)
        #expect(ownRound.status == 201)
        let ownRoundId = try #require(ownRound.object["roundId"] as? String)
        let ownPool = try await HTTP.get(Self.url(system, "/v1/rounds/\(ownRoundId)/candidates"), token: leadership)
        #expect(Self.items(ownPool).map { $0["initiativeId"] as? String } == [own])
        let hidden = try await HTTP.get(Self.url(system, "/v1/rounds/\(ownRoundId)"), token: submitter)
        #expect(hidden.status == 404, "another organisation's own round is not theirs to see")
        let otherScores = try await Self.put(
            system, "/v1/rounds/\(ownRoundId)/candidates/\(own)/scores", Self.scores(3, 3, 3, 3, innovation: 1, external: 1),
            token: Self.members[0])
        #expect(otherScores.status == 403, "SSG does not score an organisation's own track")
        let closed = try await HTTP.post(Self.url(system, "/v1/rounds/\(ownRoundId)/close"), [:], token: leadership)
        #expect(closed.object["status"] as? String == "closed")
        let lateScore = try await Self.put(
            system, "/v1/rounds/\(ownRoundId)/candidates/\(own)/scores", Self.scores(3, 3, 3, 3, innovation: 1, external: 1),
            token: leadership)
        #expect(lateScore.status == 409)
        let anonymous = try await HTTP.get(Self.url(system, "/v1/rounds"), token: nil)
        #expect(anonymous.status == 401)
        replies += [strangerOpens, ownRound, ownPool, hidden, otherScores, closed, lateScore, anonymous]

        let contract = try system.checkAgainstOpenAPI(replies)
        #expect(contract.passed, "\(contract.output)")
    }
}
