import Contracts
import Domain
import Foundation
import Hummingbird
import Persistence
import ServiceKit

/// The prioritisation service: *prioritering och beslut*. Completed analyses enter the
/// candidate pool and the open round of their deciding body — SSG for the common track,
/// the organisation's leadership for its own. Members score each candidate against the
/// round's weighted criteria; a budget-constrained selection recommends a portfolio with
/// a reason for every candidate; people decide, and each decision is an event.
public enum PrioritisationService {
    public static let definition = ServiceDefinition(
        name: "prioritisation", defaultPort: 8083,
        migrations: { try Migration.service(in: .module, service: "prioritisation") },
        publishes: [Topic.prioritisation], consumes: [Topic.analysis, Topic.intake],
        handler: { event, connection in try await handle(event, on: connection) },
        routes: { router, resources in addRoutes(to: router, resources: resources) })

    /// A completed analysis enters the pool once (a repeat changes nothing) with the whole
    /// event kept, and joins the open round of its deciding body, if there is one. A
    /// submitted need's driver is kept: a new law makes the candidate a legal requirement,
    /// whichever of the two events arrives first.
    static func handle(_ event: CloudEvent, on connection: PostgresConnection) async throws {
        if event.type == NeedSubmittedV1.eventType {
            let need = try event.decode(NeedSubmittedV1.self)
            try await connection.execute(
                "INSERT INTO need_drivers (initiative_id, driver, recorded_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                [need.initiativeId.rawValue, need.driver.rawValue, Date()])
            if need.driver == .newLaw {
                try await connection.execute(
                    """
                    UPDATE round_candidates rc SET legal_requirement = true FROM rounds r
                    WHERE rc.round_id = r.round_id AND r.status = 'open' AND rc.initiative_id = $1
                    """, [need.initiativeId.rawValue])
            }
            return
        }
        guard event.type == AnalysisCompletedV1.eventType else { return }
        let analysis = try event.decode(AnalysisCompletedV1.self)
        try await connection.execute(
            """
            INSERT INTO candidates (initiative_id, organisation_id, track, title, summary, entered_at, status, analysis)
            VALUES ($1, $2, $3, $4, $5::jsonb, $6, 'awaiting-decision', $7::jsonb) ON CONFLICT (initiative_id) DO NOTHING
            """,
            [analysis.initiativeId.rawValue, analysis.organisationId.rawValue, analysis.track.rawValue, analysis.title,
             PostgresJSON(analysis.summary), Date(), PostgresJSON(analysis)])
        try await RoundRepository.enterOpenRound(analysis, on: connection)
    }

    static func addRoutes(to router: Router<StyrbordRequestContext>, resources: ServiceResources) {
        let pool = resources.pool
        let rounds = RoundRepository(pool: pool)
        let decisions = DecisionRepository(pool: pool, eventSource: resources.eventSource, rounds: rounds)

        // MARK: Pool and decisions

        router.get("v1/candidates") { request, context in
            let identity = try context.requireIdentity()
            let page = try PageRequest(request)
            let status = try request.queryChoice("status", allowed: ["awaiting-decision", "decided"])
            return try JSONResponse.make(try await decisions.candidates(page, status: status, visibleTo: identity))
        }
        router.post("v1/decisions") { request, context in
            try await Idempotency.respond(to: request, context: context, pool: pool) { body, identity, connection in
                let input = try JSONRequest.decode(DecisionRequest.self, from: body)
                try Problem.throwIfAny(input.validationProblems())
                let (decision, created) = try await decisions.decide(
                    input, by: identity, traceParent: request.traceParent, on: connection)
                return try .json(decision, status: created ? .created : .ok, location: "/v1/decisions/\(decision.initiativeId)")
            }
        }
        router.get("v1/decisions/:id") { _, context in
            let identity = try context.requireIdentity()
            return try JSONResponse.make(try await decisions.current(try context.initiativeParameter(), visibleTo: identity))
        }
        router.get("v1/decisions/:id/history") { _, context in
            let identity = try context.requireIdentity()
            let history = try await decisions.history(try context.initiativeParameter(), visibleTo: identity)
            return try JSONResponse.make(Page(items: history, nextCursor: nil))
        }

        // MARK: Rounds and criteria

        router.post("v1/rounds") { request, context in
            try await Idempotency.respond(to: request, context: context, pool: pool) { body, identity, connection in
                let input = try JSONRequest.decode(RoundRequest.self, from: body)
                try Problem.throwIfAny(input.problems())
                let round = try await rounds.open(input, by: identity, on: connection)
                return try .json(round, status: .created, location: "/v1/rounds/\(round.roundId)", etag: round.etag)
            }
        }
        router.get("v1/rounds") { request, context in
            let identity = try context.requireIdentity()
            let page = try PageRequest(request)
            let status = try request.queryChoice("status", allowed: RoundStatus.allCases.map(\.rawValue))
            return try JSONResponse.make(try await rounds.list(page, status: status, visibleTo: identity))
        }
        router.get("v1/rounds/:round") { _, context in
            let identity = try context.requireIdentity()
            let round = try await rounds.find(try context.roundParameter(), visibleTo: identity)
            return try JSONResponse.make(round, headers: [.eTag: round.etag])
        }
        router.post("v1/rounds/:round/close") { request, context in
            let id = try context.roundParameter()
            let version = try request.ifMatchVersion(required: false)
            return try await Idempotency.respond(to: request, context: context, pool: pool) { _, identity, connection in
                let round = try await rounds.close(id, ifMatch: version, by: identity, on: connection)
                return try .json(round, etag: round.etag)
            }
        }
        router.get("v1/rounds/:round/criteria") { request, context in
            let identity = try context.requireIdentity()
            let round = try await rounds.find(try context.roundParameter(), visibleTo: identity)
            var version: Int?
            if let text = request.uri.queryParameters["version"].map(String.init) {
                guard let value = Int(text), (1...round.criteriaVersion).contains(value) else {
                    throw Problem.validation([.init(name: "version", reason: "must be a version from 1 to \(round.criteriaVersion)")])
                }
                version = value
            }
            return try JSONResponse.make(try await rounds.criteria(round.roundId, version: version))
        }
        router.put("v1/rounds/:round/criteria") { request, context in
            let id = try context.roundParameter()
            return try await Idempotency.respond(to: request, context: context, pool: pool) { body, identity, connection in
                let input = try JSONRequest.decode(CriteriaRequest.self, from: body)
                try Problem.throwIfAny(
                    CriteriaSet(version: 1, criteria: input.criteria).problems().map { .init(name: $0.field, reason: $0.reason) })
                return try .json(try await rounds.replaceCriteria(id, input, by: identity, on: connection))
            }
        }

        // MARK: Candidates and scores

        router.get("v1/rounds/:round/candidates") { _, context in
            let identity = try context.requireIdentity()
            let round = try await rounds.find(try context.roundParameter(), visibleTo: identity)
            let all = try await pool.withConnection { connection in
                try await rounds.candidates(
                    of: round, criteria: try await rounds.criteria(round.roundId, version: round.criteriaVersion, on: connection),
                    on: connection)
            }
            return try JSONResponse.make(Page(items: RoundRepository.visible(all, in: round, to: identity), nextCursor: nil))
        }
        router.get("v1/rounds/:round/candidates/:id") { _, context in
            let identity = try context.requireIdentity()
            let round = try await rounds.find(try context.roundParameter(), visibleTo: identity)
            let id = try context.initiativeParameter()
            let (all, sets) = try await pool.withConnection { connection in
                (try await rounds.candidates(
                    of: round, criteria: try await rounds.criteria(round.roundId, version: round.criteriaVersion, on: connection),
                    on: connection),
                 try await rounds.scoreSets(round.roundId, id, on: connection))
            }
            guard let candidate = RoundRepository.visible(all, in: round, to: identity).first(where: { $0.initiativeId == id }) else {
                throw Problem.notFound("initiative \(id) is not a candidate of round \(round.roundId) that you can see")
            }
            let whole = PrioritisationAccess.seesWholeRound(round, identity)
            return try JSONResponse.make(CandidateDetail(candidate: candidate, scoreSets: whole ? sets : nil))
        }
        router.put("v1/rounds/:round/candidates/:id/preparation") { request, context in
            let round = try context.roundParameter()
            let id = try context.initiativeParameter()
            return try await Idempotency.respond(to: request, context: context, pool: pool) { body, identity, connection in
                let input = try JSONRequest.decode(PreparationRequest.self, from: body)
                try Problem.throwIfAny(input.problems(initiative: id))
                try await rounds.prepare(round, id, input, by: identity, on: connection)
                return try .json(input)
            }
        }
        router.put("v1/rounds/:round/candidates/:id/scores") { request, context in
            let round = try context.roundParameter()
            let id = try context.initiativeParameter()
            return try await Idempotency.respond(to: request, context: context, pool: pool) { body, identity, connection in
                let input = try JSONRequest.decode(ScoreRequest.self, from: body)
                return try .json(try await rounds.score(round, id, input, by: identity, on: connection))
            }
        }

        // MARK: Selection, scenarios, sensitivity, balance

        router.post("v1/rounds/:round/selections") { request, context in
            let id = try context.roundParameter()
            return try await Idempotency.respond(to: request, context: context, pool: pool) { _, identity, connection in
                let (round, criteria, candidates) = try await Self.workingSet(id, rounds, identity, member: true, on: connection)
                let run = try SelectionEngine.run(
                    candidates, parameters: SelectionEngine.parameters(round, criteria), roundId: id, kind: "recommendation",
                    label: "Rekommendation", by: identity.subject)
                try await SelectionEngine.store(run, on: connection)
                return try .json(run, status: .created, location: "/v1/rounds/\(id)/selections/\(run.runId)")
            }
        }
        router.get("v1/rounds/:round/selections/:run") { _, context in
            let identity = try context.requireIdentity()
            let id = try context.roundParameter()
            guard let runId = context.parameters.get("run").flatMap(UUID.init(uuidString:)) else {
                throw Problem.validation([.init(name: "run", reason: "must be a selection run id (UUID)")])
            }
            let run = try await pool.withConnection { connection in
                _ = try await Self.workingSet(id, rounds, identity, member: false, on: connection)
                return try await SelectionEngine.load(runId, round: id, on: connection)
            }
            return try JSONResponse.make(try run.orThrow(Problem.notFound("no selection run \(runId) in round \(id)")))
        }
        router.post("v1/rounds/:round/scenarios") { request, context in
            let id = try context.roundParameter()
            return try await Idempotency.respond(to: request, context: context, pool: pool) { body, identity, connection in
                let input = try JSONRequest.decode(ScenariosRequest.self, from: body)
                let (round, criteria, candidates) = try await Self.workingSet(id, rounds, identity, member: true, on: connection)
                var problems: [Problem.InvalidParameter] = []
                if !(1...10).contains(input.scenarios.count) {
                    problems.append(.init(name: "scenarios", reason: "must hold 1 to 10 scenarios"))
                }
                for (index, scenario) in input.scenarios.enumerated() {
                    problems += scenario.problems(at: "scenarios[\(index)]", criteria: criteria)
                }
                try Problem.throwIfAny(problems)
                let base = SelectionEngine.parameters(round, criteria)
                let baseline = try SelectionEngine.run(
                    candidates, parameters: base, roundId: id, kind: "scenario", label: "Utgångsläge / Baseline", by: identity.subject)
                var compared: [ScenarioComparison] = []
                for scenario in input.scenarios {
                    var parameters = base
                    parameters.budgets.merge(scenario.budgets ?? [:]) { _, new in new }
                    if let hours = scenario.capacityHours { parameters.capacityHours = hours }
                    if let share = scenario.innovationShare { parameters.innovationShare = share }
                    parameters.weights.merge(scenario.weights ?? [:]) { _, new in new }
                    let run = try SelectionEngine.run(
                        SelectionEngine.reweighted(candidates, weights: parameters.weights), parameters: parameters, roundId: id,
                        kind: "scenario", label: scenario.label, by: identity.subject)
                    try await SelectionEngine.store(run, on: connection)
                    let before = Set(baseline.selected), after = Set(run.selected)
                    compared.append(ScenarioComparison(
                        label: scenario.label, run: run, entering: run.selected.filter { !before.contains($0) },
                        leaving: baseline.selected.filter { !after.contains($0) },
                        valueDifference: Scoring.roundedShare(run.value - baseline.value)))
                }
                try await SelectionEngine.store(baseline, on: connection)
                return try .json(ScenarioComparisonResult(baseline: baseline, scenarios: compared))
            }
        }
        router.get("v1/rounds/:round/sensitivity") { request, context in
            let identity = try context.requireIdentity()
            let id = try context.roundParameter()
            var top = 5
            if let text = request.uri.queryParameters["top"].map(String.init) {
                guard let value = Int(text), (1...100).contains(value) else {
                    throw Problem.validation([.init(name: "top", reason: "must be a whole number from 1 to 100")])
                }
                top = value
            }
            let (round, criteria, candidates) = try await pool.withConnection { connection in
                try await Self.workingSet(id, rounds, identity, member: false, on: connection)
            }
            return try JSONResponse.make(try SelectionEngine.sensitivity(candidates, round: round, criteria: criteria, top: top))
        }
        router.get("v1/rounds/:round/balance") { _, context in
            let identity = try context.requireIdentity()
            let id = try context.roundParameter()
            let result = try await pool.withConnection { connection in
                let (_, _, candidates) = try await Self.workingSet(id, rounds, identity, member: false, on: connection)
                let latest = try await SelectionEngine.latestRecommendation(round: id, on: connection)
                let decided = try await decisions.ofRound(id, on: connection).filter { $0.outcome == .prioritised }
                let quadrants = Dictionary(uniqueKeysWithValues: candidates.map { ($0.initiativeId, $0.quadrant) })
                return BalanceResult(
                    candidates: BalanceView(candidates.map { ($0.quadrant, $0.analysis.budgetYearCost) }),
                    selection: latest.map { run in
                        BalanceView(run.candidates.filter(\.selected).map { ($0.quadrant, $0.budgetYearCost) })
                    },
                    selectionRunId: latest?.runId,
                    decided: BalanceView(decided.map {
                        (quadrants[$0.initiativeId] ?? .efficiencyInternal, $0.budgetYearCost ?? .zero)
                    }))
            }
            return try JSONResponse.make(result)
        }

        // MARK: Decided portfolio

        router.get("v1/rounds/:round/decisions") { _, context in
            let identity = try context.requireIdentity()
            let round = try await rounds.find(try context.roundParameter(), visibleTo: identity)
            let all = try await pool.withConnection { try await decisions.ofRound(round.roundId, on: $0) }
            let visible = all.filter {
                PrioritisationAccess.seesWholeRound(round, identity)
                    || PrioritisationAccess.canSeeDecision(track: $0.track, organisation: $0.organisationId, identity)
            }
            return try JSONResponse.make(Page(items: visible, nextCursor: nil))
        }
        router.get("v1/rounds/:round/budget-input") { request, context in
            let identity = try context.requireIdentity()
            let round = try await rounds.find(try context.roundParameter(), visibleTo: identity)
            let format = try request.queryChoice("format", allowed: ["json", "csv"]) ?? "json"
            let all = try await pool.withConnection { try await decisions.ofRound(round.roundId, on: $0) }
            var input = BudgetInput(round: round, decisions: all)
            if !PrioritisationAccess.seesWholeRound(round, identity) { input = input.only(identity.organisationId) }
            guard format == "csv" else { return try JSONResponse.make(input) }
            var headers: HTTPFields = [.contentType: "text/csv; charset=utf-8"]
            headers[.contentDisposition] = "attachment; filename=\"budgetunderlag-\(round.budgetYear).csv\""
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: input.csv)))
        }
    }

    /// The round (visible to the caller), its current criteria and its ranked candidates;
    /// `member` requires a member or an admin, otherwise members, admins and auditors.
    static func workingSet(
        _ id: UUID, _ rounds: RoundRepository, _ identity: Identity, member: Bool, on connection: PostgresConnection
    ) async throws -> (Round, CriteriaSet, [RoundCandidate]) {
        guard let round = try await rounds.find(id, on: connection, lock: false), PrioritisationAccess.canSeeRound(round, identity)
        else { throw Problem.notFound("no round \(id) that you can see") }
        if member {
            if !identity.has(.admin) { try PrioritisationAccess.requireMember(round, identity, to: "running a selection") }
        } else if !PrioritisationAccess.seesWholeRound(round, identity) {
            throw Problem.forbidden("the selection, sensitivity and balance of a round are for its members, admins and auditors")
        }
        let criteria = try await rounds.criteria(id, version: round.criteriaVersion, on: connection)
        return (round, criteria, try await rounds.candidates(of: round, criteria: criteria, on: connection))
    }
}

/// A candidate with every member's score set (for members and auditors).
struct CandidateDetail: Codable, Sendable {
    var candidate: RoundCandidate
    var scoreSets: [ScoreSet]?
}

extension RequestContext {
    /// The round id in the path; a 422 problem when it is not a UUID.
    func roundParameter() throws -> UUID {
        guard let id = parameters.get("round").flatMap(UUID.init(uuidString:)) else {
            throw Problem.validation([.init(name: "round", reason: "must be a round id (UUID)")])
        }
        return id
    }
}

extension Problem {
    /// Throws a 422 listing every broken rule, when there is any.
    static func throwIfAny(_ problems: [InvalidParameter]) throws(Problem) {
        if !problems.isEmpty { throw Problem.validation(problems) }
    }
}
