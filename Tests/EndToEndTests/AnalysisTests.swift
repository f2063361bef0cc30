import Foundation
import Logging
import Persistence
import TestSupport
import Testing

/// The parts of an analysis as an analyst sends them, and the whole analysis in one go
/// (the walking skeleton and the demo drive needs through it).
enum AnalysisSteps {
    /// The worked example of `CostBenefitTests` (4 years, 3 %, 650 kr/h): by hand,
    /// NPV 566 544.03 kr, payback in year 2, TCO 990 000 kr, benefit/cost 1.59.
    static var costBenefit: [String: Any] {
        ["lifetimeYears": 4,
         "costs": [
            ["description": "Licens för RPA-plattformen", "timing": "one-off", "kind": "external", "amount": "400000"],
            ["description": "Införande, egen personal", "timing": "one-off", "kind": "internal", "hours": "200"],
            ["description": "Support och drift", "timing": "recurring", "kind": "external", "amount": "50000"],
            ["description": "Förvaltning, egen personal", "timing": "recurring", "kind": "internal", "hours": "100"]],
         "benefits": [
            ["description": "Minskade kostnader för utskick", "stakeholder": "employees", "kind": "economic", "annualAmount": "150000"],
            ["description": "Frigjord handläggartid", "stakeholder": "employees", "kind": "economic", "annualHours": "400"],
            ["description": "Snabbare besked", "stakeholder": "residents", "kind": "qualitative", "score": 4,
             "indicator": "Dagar från ansökan till beslut"]],
         "note": "Nyttan följs upp 6 och 12 månader efter driftstart."]
    }

    static var risk: [String: Any] {
        ["classification": ["confidentiality": 3, "integrity": 3, "availability": 2],
         "personalData": ["processesPersonalData": true, "sensitiveCategories": ["health"], "largeScale": false,
                          "newTechnology": false, "systematicMonitoring": true, "vulnerableDataSubjects": true],
         "laws": ["gdpr", "osl", "arkivlagen", "lou", "digital-accessibility", "kommunallagen"].map {
             ["law": $0, "applicable": $0 != "digital-accessibility", "reason": "Bedömt av analytikern."]
         },
         "risks": [["description": "Felaktiga automatiska beslut", "probability": 2, "consequence": 3,
                    "owner": "Enhetschef", "mitigation": "Stickprov varje månad"]],
         "riskOfNotDoing": ["description": "Äldre väntar längre på trygghetslarm", "probability": 4, "consequence": 3]]
    }

    static var reuseNew: [String: Any] {
        ["decision": "new", "reason": "Ingen tjänst i katalogen eller annan satsning täcker behovet."]
    }

    static var boardInformed: [String: Any] { ["informedOn": "2026-11-02", "board": "Intraservices styrelse", "reference": "§ 42"] }

    static func json(_ body: [String: Any]) throws -> Data { try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]) }

    /// Waits for the case, records every part and completes it. Each step retries through
    /// restarts under its own idempotency key, so a retried step happens once.
    @discardableResult
    static func analyseCompletely(
        _ system: RunningSystem, initiative: String, key: String, common: Bool, token: String = HTTP.adminToken
    ) async throws -> HTTP.Reply {
        let base = "/v1/analyses/\(initiative)"
        let opened = try await HTTP.retrying("the analysis case of \(key)") {
            try await HTTP.get(system.url("analysis", base), token: token)
        } until: { $0.status == 200 }
        var etag = opened.header("ETag") ?? ""
        for (part, body) in [("cost-benefit", costBenefit), ("risk", risk), ("reuse", reuseNew)] {
            let tag = etag
            let reply = try await HTTP.retrying("the \(part) of \(key)") {
                try await HTTP.send(
                    system.url("analysis", "\(base)/\(part)"), method: "PUT", body: try json(body),
                    headers: ["If-Match": tag, "Idempotency-Key": "\(key)-\(part)"], token: token)
            } until: { $0.status == 200 }
            etag = reply.header("ETag") ?? etag
        }
        if common {
            _ = try await HTTP.retrying("the supplier board of \(key)") {
                try await HTTP.post(
                    system.url("analysis", "\(base)/supplier-board-informed"), boardInformed,
                    headers: ["Idempotency-Key": "\(key)-board"], token: token)
            } until: { $0.status == 200 }
        }
        return try await HTTP.retrying("complete the analysis of \(key)") {
            try await HTTP.post(
                system.url("analysis", "\(base)/complete"), ["note": "e2e"], headers: ["Idempotency-Key": "\(key)-complete"],
                token: token)
        } until: { $0.status == 200 }
    }
}

/// The analysis service with intake in front of it, over real sockets with their own
/// database and broker: the cost-benefit figures against a hand calculation, the risk
/// assessment, the completeness gate, access by role and organisation, idempotency.
@Suite("Analysis service", .serialized)
struct AnalysisTests {
    static func token(_ role: String, _ organisation: String) -> String {
        TestTokens.mint(subject: "\(role)@\(organisation)", organisation: organisation, roles: [role])
    }

    static func submit(_ system: RunningSystem, track: String, organisation: String = "aldre-vard-omsorg") async throws -> String {
        let reply = try await HTTP.post(
            system.url("intake", "/v1/needs"),
            WalkingSkeletonTests.need("Automatiserade beslut om trygghetslarm (\(track))", organisation: organisation, track: track))
        #expect(reply.status == 201)
        return try #require(reply.object["initiativeId"] as? String)
    }

    static func put(_ system: RunningSystem, _ path: String, _ body: [String: Any], ifMatch: String?, token: String, key: String? = nil)
        async throws -> HTTP.Reply
    {
        var headers: [String: String] = [:]
        if let ifMatch { headers["If-Match"] = ifMatch }
        if let key { headers["Idempotency-Key"] = key }
        return try await HTTP.send(
            system.url("analysis", path), method: "PUT", body: try AnalysisSteps.json(body), headers: headers, token: token)
    }

    static func names(_ reply: HTTP.Reply) -> [String] {
        (reply.object["invalid-params"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    }

    static func admin(_ system: RunningSystem) -> PostgresPool {
        PostgresPool(configuration: PostgresConfiguration(connectionString: system.adminDatabaseURL), logger: .init(label: "test"))
    }

    /// NPV by the stated conventions, written out independently of the service: one-off
    /// costs in year 0, recurring costs and economic benefits at the end of years 1 … n.
    static func netPresentValue(of stored: [String: Any], rate: Decimal, hourlyRate: Decimal) -> Decimal {
        func number(_ value: Any?) -> Decimal { (value as? String).flatMap { Decimal(string: $0) } ?? 0 }
        let input = stored["input"] as? [String: Any] ?? [:]
        let years = input["lifetimeYears"] as? Int ?? 0
        var yearZero: Decimal = 0
        var yearly: Decimal = 0
        for line in input["costs"] as? [[String: Any]] ?? [] {
            let value = number(line["amount"]) + number(line["hours"]) * hourlyRate
            if line["timing"] as? String == "one-off" { yearZero -= value } else { yearly -= value }
        }
        for line in input["benefits"] as? [[String: Any]] ?? [] where line["kind"] as? String == "economic" {
            yearly += number(line["annualAmount"]) + number(line["annualHours"]) * hourlyRate
        }
        var total = yearZero
        var factor: Decimal = 1
        for _ in 0..<years {
            factor *= 1 + rate / 100
            total += yearly / factor
        }
        var rounded = Decimal()
        NSDecimalRound(&rounded, &total, 2, .plain)
        return rounded
    }

    @Test("a need goes through a complete analysis: figures match the hand calculation, and incomplete analyses cannot complete")
    func completeAnalysis() async throws {
        let system = try await RunningSystem(only: ["intake", "analysis"])
        defer { system.shutDown() }
        let analyst = Self.token("analyst", "aldre-vard-omsorg")
        let initiative = try await Self.submit(system, track: "organisation-specific")
        let base = "/v1/analyses/\(initiative)"
        let opened = try await HTTP.retrying("the case opens") {
            try await HTTP.get(system.url("analysis", base), token: analyst)
        } until: { $0.status == 200 }
        #expect((opened.object["completeness"] as? [String: Any])?["missing"] as? [String] == ["costBenefit", "risk", "reuse"])
        var replies = [opened]

        // The gate: nothing recorded yet.
        let early = try await HTTP.post(system.url("analysis", "\(base)/complete"), [:], token: analyst)
        #expect(early.status == 409)
        #expect(early.contentType == "application/problem+json")
        #expect(Self.names(early) == ["costBenefit", "risk", "reuse"])

        // Who may write, and how.
        let noIfMatch = try await Self.put(system, "\(base)/cost-benefit", AnalysisSteps.costBenefit, ifMatch: nil, token: analyst)
        #expect(noIfMatch.status == 428)
        let submitter = try await Self.put(
            system, "\(base)/cost-benefit", AnalysisSteps.costBenefit, ifMatch: "\"1\"", token: Self.token("submitter", "aldre-vard-omsorg"))
        #expect(submitter.status == 403, "a submitter reads the case but does not analyse it")
        let stranger = try await Self.put(
            system, "\(base)/cost-benefit", AnalysisSteps.costBenefit, ifMatch: "\"1\"", token: Self.token("analyst", "utbildning"))
        #expect(stranger.status == 404, "another organisation's analyst does not see the case")
        var broken = AnalysisSteps.costBenefit
        broken["costs"] = [["description": "Konsult", "timing": "one-off", "kind": "internal", "amount": "1000"]]
        broken["benefits"] = [["description": "Bättre", "stakeholder": "residents", "kind": "qualitative", "score": 7]]
        let invalid = try await Self.put(system, "\(base)/cost-benefit", broken, ifMatch: "\"1\"", token: analyst)
        #expect(invalid.status == 422)
        #expect(Set(Self.names(invalid)).isSuperset(of: ["costs[0].hours", "costs[0].amount", "benefits[0].score", "benefits[0].indicator"]))
        var comma = AnalysisSteps.costBenefit
        comma["costs"] = [["description": "Licens", "timing": "one-off", "kind": "external", "amount": "1,5"]]
        let commaReply = try await Self.put(system, "\(base)/cost-benefit", comma, ifMatch: "\"1\"", token: analyst)
        #expect(commaReply.status == 422 && Self.names(commaReply) == ["costs[0].amount"])
        replies += [early, noIfMatch, submitter, stranger, invalid]

        // The cost-benefit analysis, against the hand calculation in CostBenefitTests.
        let recorded = try await Self.put(
            system, "\(base)/cost-benefit", AnalysisSteps.costBenefit, ifMatch: "\"1\"", token: analyst, key: "cb-1")
        #expect(recorded.status == 200)
        #expect(recorded.header("ETag") == "\"2\"")
        let figures = try #require((recorded.object["costBenefit"] as? [String: Any])?["figures"] as? [String: Any])
        #expect(figures["netPresentValue"] as? String == "566544.03")
        #expect(figures["totalCostOfOwnership"] as? String == "990000")
        #expect(figures["presentValueOfCosts"] as? String == "957466.32")
        #expect(figures["internalCost"] as? String == "390000")
        #expect(figures["paybackYear"] as? Int == 2)
        #expect((figures["benefitCostRatio"] as? NSNumber)?.decimalValue == Decimal(string: "1.59"))
        #expect(figures["hourlyRate"] as? String == "650")
        let replay = try await Self.put(
            system, "\(base)/cost-benefit", AnalysisSteps.costBenefit, ifMatch: "\"1\"", token: analyst, key: "cb-1")
        #expect(replay.status == 200 && replay.header("ETag") == "\"2\"", "the same request again gets the first answer")
        let stale = try await Self.put(system, "\(base)/cost-benefit", AnalysisSteps.costBenefit, ifMatch: "\"1\"", token: analyst)
        #expect(stale.status == 412)
        let boardOnOwnTrack = try await HTTP.post(system.url("analysis", "\(base)/supplier-board-informed"), AnalysisSteps.boardInformed, token: analyst)
        #expect(boardOnOwnTrack.status == 409)
        replies += [recorded, stale, boardOnOwnTrack]

        // The stored lines are the truth: the test recomputes NPV from them, and a
        // change to the stored lines shows in the next read (recomputed, not cached).
        let pool = Self.admin(system)
        defer { pool.close() }
        let stored = try await pool.withConnection { connection in
            try await connection.query(
                "SELECT cost_benefit::text AS cb FROM analysis.analysis_cases WHERE initiative_id = $1", [UUID(uuidString: initiative)])
        }
        let storedJSON = try #require(
            try JSONSerialization.jsonObject(with: Data(try stored[0].decode("cb", as: String.self).utf8)) as? [String: Any])
        #expect(Self.netPresentValue(of: storedJSON, rate: 3, hourlyRate: 650) == Decimal(string: "566544.03"))
        _ = try await pool.withConnection { connection in
            try await connection.execute(
                """
                UPDATE analysis.analysis_cases
                SET cost_benefit = jsonb_set(cost_benefit, '{input,costs,0,amount}', '"500000"') WHERE initiative_id = $1
                """, [UUID(uuidString: initiative)])
        }
        let reread = try await HTTP.get(system.url("analysis", base), token: analyst)
        let rereadFigures = (reread.object["costBenefit"] as? [String: Any])?["figures"] as? [String: Any]
        #expect(rereadFigures?["netPresentValue"] as? String == "466544.03", "100 000 kr more in year 0 lowers NPV by exactly that")

        // The gate again: only the risk part is missing now.
        let stillEarly = try await HTTP.post(system.url("analysis", "\(base)/complete"), [:], token: analyst)
        #expect(stillEarly.status == 409 && Self.names(stillEarly) == ["risk", "reuse"])

        var badRisk = AnalysisSteps.risk
        badRisk["laws"] = [["law": "gdpr", "applicable": false, "reason": "Nej"]]
        badRisk["classification"] = ["confidentiality": 5, "integrity": 1, "availability": 1]
        let badRiskReply = try await Self.put(system, "\(base)/risk", badRisk, ifMatch: "\"2\"", token: analyst)
        #expect(badRiskReply.status == 422)
        #expect(Set(Self.names(badRiskReply)).isSuperset(of: ["laws", "laws[0].applicable", "classification.confidentiality"]))
        let risk = try await Self.put(system, "\(base)/risk", AnalysisSteps.risk, ifMatch: "\"2\"", token: analyst)
        #expect(risk.status == 200)
        let assessment = try #require(risk.object["risk"] as? [String: Any])
        let dpia = assessment["dpia"] as? [String: Any]
        #expect(dpia?["required"] as? Bool == true)
        #expect((dpia?["reasons"] as? [String])?.count == 4)
        #expect((assessment["riskOfNotDoing"] as? [String: Any])?["level"] as? String == "critical")
        #expect(assessment["highestRiskScore"] as? Int == 12)
        replies += [reread, stillEarly, badRiskReply, risk]

        // Reuse: the catalogue's RPA service ranks first for an RPA need, with the shared terms.
        let candidates = try await HTTP.get(system.url("analysis", "\(base)/reuse-candidates"), token: analyst)
        let items = candidates.object["items"] as? [[String: Any]] ?? []
        #expect(items.first?["id"] as? String == "rpa-automatisering", "\(items)")
        #expect(items.first?["matchedTerms"] as? [String] == ["ansökning", "automatiser", "beslut"], "the Swedish stems it shares")
        let unknown = try await Self.put(
            system, "\(base)/reuse", ["decision": "extend", "reason": "Utökas", "candidateKind": "service", "candidateId": "finns-inte"],
            ifMatch: "\"3\"", token: analyst)
        #expect(unknown.status == 422 && Self.names(unknown) == ["candidateId"])
        let reuse = try await Self.put(
            system, "\(base)/reuse",
            ["decision": "extend", "reason": "Stadens RPA-tjänst utökas med robotar för trygghetslarm.", "candidateKind": "service",
             "candidateId": "rpa-automatisering"], ifMatch: "\"3\"", token: analyst)
        #expect(reuse.status == 200)
        replies += [candidates, unknown, reuse]

        // Complete: once, announced once with the figures, the benefit lines and the classification.
        let completed = try await HTTP.post(
            system.url("analysis", "\(base)/complete"), ["note": "Klar för beslut"], headers: ["Idempotency-Key": "done"], token: analyst)
        #expect(completed.status == 200)
        #expect(completed.object["status"] as? String == "completed")
        let summary = completed.object["summary"] as? [String: Any]
        #expect(summary?["oneOffCost"] as? String == "630000")
        #expect(summary?["netOverLifetime"] as? String == "550000")
        let again = try await HTTP.post(system.url("analysis", "\(base)/complete"), [:], token: analyst)
        #expect(again.status == 200)
        let tooLate = try await Self.put(system, "\(base)/risk", AnalysisSteps.risk, ifMatch: completed.header("ETag"), token: analyst)
        #expect(tooLate.status == 409)
        replies += [completed, again, tooLate]
        let events = try await pool.withConnection { connection in
            try await connection.query(
                """
                SELECT convert_from(payload, 'UTF8') AS data FROM analysis.outbox
                WHERE message_key = $1 AND event_type = 'se.goteborg.styrbord.analysis.completed.v1'
                """, [initiative])
        }
        #expect(events.count == 1)
        let event = try #require(
            try JSONSerialization.jsonObject(with: Data(try events[0].decode("data", as: String.self).utf8)) as? [String: Any])
        #expect((event["costBenefit"] as? [String: Any])?["netPresentValue"] as? String == "466544.03")
        #expect((event["benefits"] as? [Any])?.count == 3)
        #expect((event["classification"] as? [String: Any])?["confidentiality"] as? Int == 3)
        #expect(event["dpiaRequired"] as? Bool == true)
        #expect(event["reuseDecision"] as? String == "extend")

        // Reading: SSG and auditors see every case, other organisations none.
        let auditor = try await HTTP.get(system.url("analysis", base), token: Self.token("auditor", "stadsrevisionen"))
        #expect(auditor.status == 200)
        let otherOrganisation = try await HTTP.get(system.url("analysis", base), token: Self.token("submitter", "utbildning"))
        #expect(otherOrganisation.status == 404)
        let otherList = try await HTTP.get(system.url("analysis", "/v1/analyses"), token: Self.token("submitter", "utbildning"))
        #expect((otherList.object["items"] as? [Any])?.count == 0)
        let ownList = try await HTTP.get(system.url("analysis", "/v1/analyses?status=completed"), token: Self.token("submitter", "aldre-vard-omsorg"))
        #expect((ownList.object["items"] as? [Any])?.count == 1)
        let anonymous = try await HTTP.get(system.url("analysis", base), token: nil)
        #expect(anonymous.status == 401)
        let rates = try await HTTP.get(system.url("analysis", "/v1/hourly-rates"), token: analyst)
        #expect((rates.object["items"] as? [[String: Any]])?.first?["rate"] as? String == "650")
        replies += [auditor, otherOrganisation, otherList, ownList, anonymous, rates]

        let contract = try system.checkAgainstOpenAPI(replies)
        #expect(contract.passed, "\(contract.output)")
    }

    @Test("a common-track analysis completes only after the supplier's board has been informed, at an organisation's own rate")
    func supplierBoardGate() async throws {
        let system = try await RunningSystem(only: ["intake", "analysis"])
        defer { system.shutDown() }
        let rate = try await Self.put(
            system, "/v1/hourly-rates/aldre-vard-omsorg", ["rate": "700", "note": "Förvaltningens eget timpris"], ifMatch: nil,
            token: HTTP.adminToken)
        #expect(rate.status == 200)
        let notAdmin = try await Self.put(
            system, "/v1/hourly-rates/aldre-vard-omsorg", ["rate": "1"], ifMatch: nil, token: Self.token("analyst", "intraservice"))
        #expect(notAdmin.status == 403)
        let initiative = try await Self.submit(system, track: "common")
        let base = "/v1/analyses/\(initiative)"
        let analyst = Self.token("analyst", "intraservice")
        let opened = try await HTTP.retrying("the case opens") {
            try await HTTP.get(system.url("analysis", base), token: analyst)
        } until: { $0.status == 200 }
        #expect(opened.object["analysingOrganisationId"] as? String == "intraservice")
        let customerAnalyst = try await Self.put(
            system, "\(base)/cost-benefit", AnalysisSteps.costBenefit, ifMatch: "\"1\"", token: Self.token("analyst", "aldre-vard-omsorg"))
        #expect(customerAnalyst.status == 403, "on the common track the supplier analyses")
        let cb = try await Self.put(system, "\(base)/cost-benefit", AnalysisSteps.costBenefit, ifMatch: "\"1\"", token: analyst)
        let figures = (cb.object["costBenefit"] as? [String: Any])?["figures"] as? [String: Any]
        #expect(figures?["hourlyRate"] as? String == "700", "the need's organisation's own rate")
        // 200 h + 4 × 100 h at 700 kr.
        #expect(figures?["internalCost"] as? String == "420000")
        let risk = try await Self.put(system, "\(base)/risk", AnalysisSteps.risk, ifMatch: cb.header("ETag"), token: analyst)
        _ = try await Self.put(system, "\(base)/reuse", AnalysisSteps.reuseNew, ifMatch: risk.header("ETag"), token: analyst)
        let early = try await HTTP.post(system.url("analysis", "\(base)/complete"), [:], token: analyst)
        #expect(early.status == 409 && Self.names(early) == ["supplierBoardInformed"])
        var future = AnalysisSteps.boardInformed
        future["informedOn"] = "2999-01-01"
        let futureReply = try await HTTP.post(system.url("analysis", "\(base)/supplier-board-informed"), future, token: analyst)
        #expect(futureReply.status == 422 && Self.names(futureReply) == ["informedOn"])
        let informed = try await HTTP.post(system.url("analysis", "\(base)/supplier-board-informed"), AnalysisSteps.boardInformed, token: analyst)
        #expect(informed.status == 200)
        #expect((informed.object["completeness"] as? [String: Any])?["missing"] as? [String] == [])
        let completed = try await HTTP.post(system.url("analysis", "\(base)/complete"), [:], token: analyst)
        #expect(completed.status == 200 && completed.object["status"] as? String == "completed")
        let contract = try system.checkAgainstOpenAPI([rate, notAdmin, opened, customerAnalyst, cb, early, futureReply, informed, completed])
        #expect(contract.passed, "\(contract.output)")
    }

    @Test("two organisations' similar needs: one overlap event per pair tells both and the supplier; one organisation's own needs or unrelated ones do not")
    func overlapTellsBothOrganisations() async throws {
        let system = try await RunningSystem(only: ["intake", "analysis", "notifications"])
        defer { system.shutDown() }
        func submit(_ title: String, _ description: String, organisation: String) async throws -> String {
            var body = WalkingSkeletonTests.need(title, organisation: organisation, track: "organisation-specific")
            body["description"] = description
            let reply = try await HTTP.post(system.url("intake", "/v1/needs"), body)
            #expect(reply.status == 201, "\(reply.object)")
            return try #require(reply.object["initiativeId"] as? String)
        }
        let first = try await submit(
            "Automatiserade beslut om trygghetslarm",
            "RPA för handläggning av ansökningar om trygghetslarm för personer 65+", organisation: "aldre-vard-omsorg")
        let pool = Self.admin(system)
        defer { pool.close() }
        try await waitUntil("the first case is open") {
            try await pool.withConnection { try await $0.query("SELECT 1 FROM analysis.analysis_cases WHERE initiative_id = $1", [UUID(uuidString: first)]) }.count == 1
        }
        let sameOrganisation = try await submit(
            "Automatiserade beslut om trygghetslarm i hemtjänst",
            "RPA för handläggning av ansökningar om trygghetslarm", organisation: "aldre-vard-omsorg")
        let unrelated = try await submit(
            "Bokningssystem för idrottshallar", "Föreningar ska kunna boka hallar digitalt", organisation: "idrott-forening")
        let second = try await submit(
            "Automatiserad handläggning av trygghetslarm",
            "Robotautomatisering av beslut om trygghetslarm för äldre med funktionsnedsättning", organisation: "funktionsstod")

        let funktionsstod = Self.token("submitter", "funktionsstod")
        var notification: [String: Any] = [:]
        try await waitUntil("funktionsstöd is told of the overlap") {
            notification = try await NotificationsTests.feed(system, "&initiativeId=\(second)", token: funktionsstod)
                .first { $0["kind"] as? String == "overlap-detected" } ?? [:]
            return !notification.isEmpty
        }
        let sv = try #require(notification["sv"] as? [String: Any])
        #expect((sv["title"] as? String)?.contains("Förvaltningen för funktionsstöd") == true)
        #expect((sv["body"] as? String)?.contains("Automatiserade beslut om trygghetslarm") == true, "names the other need")
        // The later case overlaps both of äldre samt vård och omsorg's needs: two pairs,
        // announced by the later case; none between one organisation's own needs, none
        // with the unrelated need.
        let rows = try await pool.withConnection {
            try await $0.query(
                "SELECT initiative_id::text AS a, other_initiative_id::text AS b, matched_terms FROM analysis.overlap_pairs ORDER BY b")
        }
        #expect(Set(try rows.map { try $0.decode("a", as: String.self) }) == [second])
        #expect(Set(try rows.map { try $0.decode("b", as: String.self) }) == [first, sameOrganisation])
        #expect(try rows.allSatisfy { try $0.decode("matched_terms", as: [String].self).contains("trygghetslarm") })
        try await waitUntil("each pair reaches the other organisation and the supplier") {
            let elderly = try await NotificationsTests.feed(
                system, "&initiativeId=\(second)", token: Self.token("submitter", "aldre-vard-omsorg"))
            let supplier = try await NotificationsTests.feed(system, "&initiativeId=\(second)", token: Self.token("supplier", "intraservice"))
            return elderly.filter { $0["kind"] as? String == "overlap-detected" }.count == 2
                && supplier.filter { $0["kind"] as? String == "overlap-detected" }.count == 2
        }
        for quiet in [first, sameOrganisation, unrelated] {
            let told = try await NotificationsTests.feed(system, "&initiativeId=\(quiet)", token: HTTP.adminToken)
            #expect(!told.contains { $0["kind"] as? String == "overlap-detected" })
        }
        let events = try await pool.withConnection {
            try await $0.query("SELECT count(*) AS n FROM analysis.outbox WHERE event_type = 'se.goteborg.styrbord.overlap.detected.v1'")
        }
        #expect(try events[0].decode("n", as: Int.self) == 2)
    }

    @Test("a case is assigned to an analyst and its history lists every step; a supplier's proposal opens a common-track case the supplier analyses")
    func assignmentHistoryAndProposals() async throws {
        let system = try await RunningSystem(only: ["intake", "analysis"])
        defer { system.shutDown() }
        var replies: [HTTP.Reply] = []
        let initiative = try await Self.submit(system, track: "organisation-specific")
        let base = "/v1/analyses/\(initiative)"
        let analyst = Self.token("analyst", "aldre-vard-omsorg")
        _ = try await HTTP.retrying("the case opens") {
            try await HTTP.get(system.url("analysis", base), token: analyst)
        } until: { $0.status == 200 }

        let refused = try await Self.put(system, "\(base)/assignee", ["analyst": " karin "], ifMatch: "\"1\"", token: analyst)
        #expect(refused.status == 422 && Self.names(refused) == ["analyst"])
        let submitter = try await Self.put(
            system, "\(base)/assignee", ["analyst": "karin"], ifMatch: "\"1\"", token: Self.token("submitter", "aldre-vard-omsorg"))
        #expect(submitter.status == 403)
        let otherAnalyst = try await Self.put(
            system, "\(base)/assignee", ["analyst": "karin"], ifMatch: "\"1\"", token: Self.token("analyst", "utbildning"))
        #expect(otherAnalyst.status == 404, "another organisation's analyst does not see the case")
        let assigned = try await Self.put(system, "\(base)/assignee", ["analyst": "karin"], ifMatch: "\"1\"", token: analyst)
        #expect(assigned.status == 200 && assigned.object["assignee"] as? String == "karin")
        #expect(assigned.object["version"] as? Int == 2 && assigned.object["origin"] as? String == "need")
        let stale = try await Self.put(system, "\(base)/assignee", ["analyst": "per"], ifMatch: "\"1\"", token: analyst)
        #expect(stale.status == 412)
        let costs = try await Self.put(system, "\(base)/cost-benefit", AnalysisSteps.costBenefit, ifMatch: "\"2\"", token: analyst)
        #expect(costs.status == 200)
        let history = try await HTTP.get(system.url("analysis", "\(base)/history"), token: Self.token("submitter", "aldre-vard-omsorg"))
        let entries = history.object["items"] as? [[String: Any]] ?? []
        #expect(entries.map { $0["action"] as? String } == ["opened", "assigned", "cost-benefit recorded"])
        #expect(entries.map { $0["actor"] as? String }.dropFirst() == ["analyst@aldre-vard-omsorg", "analyst@aldre-vard-omsorg"])
        #expect(entries[1]["detail"] as? String == "karin")
        let hidden = try await HTTP.get(system.url("analysis", "\(base)/history"), token: Self.token("analyst", "utbildning"))
        #expect(hidden.status == 404)
        replies += [refused, submitter, assigned, stale, history, hidden]

        // A supplier's proposal answering a common need opens a case of its own.
        let need = try await Self.submit(system, track: "common")
        let proposal = try await HTTP.post(
            system.url("intake", "/v1/proposals"),
            ["title": "Gemensam robotplattform för larmhandläggning", "description": "Intraservice föreslår en gemensam RPA-tjänst.",
             "category": "efficiency", "answersNeeds": [need]],
            token: Self.token("supplier", "intraservice"))
        #expect(proposal.status == 201, "\(proposal.object)")
        let proposalId = try #require(proposal.object["initiativeId"] as? String)
        let opened = try await HTTP.retrying("the proposal's case opens") {
            try await HTTP.get(system.url("analysis", "/v1/analyses/\(proposalId)"), token: Self.token("analyst", "intraservice"))
        } until: { $0.status == 200 }
        #expect(opened.object["origin"] as? String == "proposal" && opened.object["track"] as? String == "common")
        #expect(opened.object["analysingOrganisationId"] as? String == "intraservice")
        replies.append(opened)

        let contract = try system.checkAgainstOpenAPI(replies)
        #expect(contract.passed, "\(contract.output)")
    }
}


