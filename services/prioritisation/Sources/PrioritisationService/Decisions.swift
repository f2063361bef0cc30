import Contracts
import Domain
import Foundation
import Persistence
import ServiceKit

/// A decision as the deciding body records it.
struct DecisionRequest: Codable, Sendable {
    var initiativeId: InitiativeID
    var outcome: DecisionOutcome
    var financingType: FinancingType?
    var rationale: String
    /// The meeting date, YYYY-MM-DD.
    var decidedOn: String
    var followedBySLK: Bool?
    /// The round it is decided in; the candidate's open (or latest) round when absent.
    var roundId: UUID?
    /// Diarienummer: the case number in the city's records.
    var caseNumber: String?
    /// The decision this one changes; required when the initiative is already decided.
    var supersedes: UUID?

    func validationProblems() -> [Problem.InvalidParameter] {
        var problems: [Problem.InvalidParameter] = []
        if rationale.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty || rationale.count > 5_000 {
            problems.append(.init(name: "rationale", reason: "must be 1 to 5000 characters: every decision states why"))
        }
        if CalendarDate(decidedOn) == nil {
            problems.append(.init(name: "decidedOn", reason: "must be a date as YYYY-MM-DD"))
        }
        if outcome == .prioritised && financingType == nil {
            problems.append(.init(name: "financingType", reason: "is required when the initiative is prioritised"))
        }
        if let caseNumber, !(1...100).contains(caseNumber.trimmingCharacters(in: .whitespaces).count) {
            problems.append(.init(name: "caseNumber", reason: "must be 1 to 100 characters, e.g. SLK-2026-00123"))
        }
        return problems
    }

    /// The same decision again (a retried request), as opposed to a change.
    func repeats(_ decision: Decision) -> Bool {
        outcome == decision.outcome && financingType == decision.financingType && rationale == decision.rationale
            && decidedOn == decision.decidedOn && (followedBySLK ?? false) == decision.followedBySLK
            && caseNumber == decision.caseNumber
    }
}

/// A recorded decision, with what an auditor needs under the public-access principle.
struct Decision: Codable, Sendable {
    var decisionId: UUID
    var initiativeId: InitiativeID
    var organisationId: OrganisationID
    var track: Track
    var title: String
    var outcome: DecisionOutcome
    var financingType: FinancingType?
    var decidingBody: DecidingBody
    var rationale: String
    var decidedOn: String
    var followedBySLK: Bool
    var roundId: UUID?
    var caseNumber: String?
    var supersedes: UUID?
    /// False once a later decision has superseded it.
    var current: Bool
    var criteriaVersion: Int?
    /// The members' score sets as they stood when decided (who scored what).
    var scores: [ScoreSet]?
    var weightedTotal: Double?
    var budgetYearCost: SEK?
    var decidedBy: String?
    var recordedAt: Date
}

struct DecisionRepository: Sendable {
    let pool: PostgresPool
    let eventSource: String
    let rounds: RoundRepository

    /// Records a decision and announces it. A repeat of the current decision returns it
    /// (a retry); a different one must name the decision it supersedes.
    func decide(_ input: DecisionRequest, by identity: Identity, traceParent: String?, on connection: PostgresConnection)
        async throws -> (Decision, created: Bool)
    {
        guard let candidate = try await connection.query(
            "SELECT * FROM candidates WHERE initiative_id = $1 FOR UPDATE", [input.initiativeId.rawValue]
        ).first else {
            throw Problem.validation([
                .init(name: "initiativeId", reason: "is not in the candidate pool: its analysis is not complete")
            ])
        }
        let track = try candidate.decode("track", as: Track.self)
        let organisation = try candidate.organisationID("organisation_id")
        let body: DecidingBody = track == .common ? .ssg : .organisationBoard
        try PrioritisationAccess.requireDecider(body: body, organisation: organisation, identity)

        let current = try await self.current(input.initiativeId, on: connection)
        if let current {
            if input.supersedes == nil {
                if input.repeats(current) && (input.roundId == nil || input.roundId == current.roundId) { return (current, false) }
                throw Problem.conflict(
                    "initiative \(input.initiativeId) is already decided (decision \(current.decisionId)); to change it, send supersedes: \(current.decisionId) with the new decision")
            }
            guard input.supersedes == current.decisionId else {
                throw Problem.validation([
                    .init(name: "supersedes", reason: "must name the current decision of the initiative, \(current.decisionId)")
                ])
            }
        } else if input.supersedes != nil {
            throw Problem.validation([.init(name: "supersedes", reason: "names no decision: the initiative has none yet")])
        }

        // The round: the one named, else the candidate's open round, else its latest.
        let roundRows = try await connection.query(
            """
            SELECT rc.round_id, rc.financing_type FROM round_candidates rc JOIN rounds r USING (round_id)
            WHERE rc.initiative_id = $1 AND ($2::uuid IS NULL OR rc.round_id = $2)
            ORDER BY (r.status = 'open') DESC, r.seq DESC LIMIT 1
            """, [input.initiativeId.rawValue, input.roundId])
        if input.roundId != nil && roundRows.isEmpty {
            throw Problem.validation([.init(name: "roundId", reason: "the initiative is not a candidate of this round")])
        }
        let roundId: UUID? = try roundRows.first?.decode("round_id")

        let summary = try candidate.decode("summary", as: PostgresJSON<AnalysisSummary>.self).value
        let analysis = try candidate.decode("analysis", as: PostgresJSON<AnalysisCompletedV1>?.self)?.value
        let figures = AnalysisFigures(analysis, summary: summary)
        if input.financingType == .leasing && !figures.hasBenefitCalculation {
            throw Problem.validation([
                .init(
                    name: "financingType",
                    reason: "leasing of intangible assets is only allowed with a benefit calculation, and the analysis quantifies no economic benefit; choose another financing type or complete the analysis with one")
            ])
        }

        var criteriaVersion: Int?
        var scores: [ScoreSet]?
        var total: Double?
        if let roundId, let round = try await rounds.find(roundId, on: connection, lock: false) {
            let criteria = try await rounds.criteria(roundId, version: round.criteriaVersion, on: connection)
            criteriaVersion = criteria.version
            scores = try await rounds.scoreSets(roundId, input.initiativeId, on: connection)
            total = try await rounds.candidates(of: round, criteria: criteria, on: connection)
                .first { $0.initiativeId == input.initiativeId }?.total
        }
        let decision = Decision(
            decisionId: UUID(), initiativeId: input.initiativeId, organisationId: organisation, track: track,
            title: try candidate.decode("title"), outcome: input.outcome, financingType: input.financingType,
            decidingBody: body, rationale: input.rationale, decidedOn: input.decidedOn,
            followedBySLK: input.followedBySLK ?? false, roundId: roundId,
            caseNumber: input.caseNumber?.trimmingCharacters(in: .whitespaces), supersedes: input.supersedes, current: true,
            criteriaVersion: criteriaVersion, scores: scores, weightedTotal: total, budgetYearCost: figures.budgetYearCost,
            decidedBy: identity.subject, recordedAt: Date())
        try await connection.execute(
            """
            INSERT INTO decisions (decision_id, initiative_id, outcome, financing_type, deciding_body, rationale,
                                   decided_on, followed_by_slk, recorded_at, round_id, supersedes, case_number,
                                   criteria_version, scores, weighted_total, budget_year_cost, decided_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7::date, $8, $9, $10, $11, $12, $13, $14::jsonb, $15, $16, $17)
            """,
            [decision.decisionId, decision.initiativeId.rawValue, decision.outcome.rawValue, decision.financingType?.rawValue,
             decision.decidingBody.rawValue, decision.rationale, decision.decidedOn, decision.followedBySLK,
             decision.recordedAt, roundId, decision.supersedes, decision.caseNumber, criteriaVersion,
             scores.map { PostgresJSON($0) }, total.map { Decimal($0) }, figures.budgetYearCost.amount, identity.subject])
        try await connection.execute(
            "UPDATE candidates SET status = 'decided' WHERE initiative_id = $1", [decision.initiativeId.rawValue])
        var event = DecisionMadeV1(
            decisionId: decision.decisionId, initiativeId: decision.initiativeId, organisationId: decision.organisationId,
            track: decision.track, title: decision.title, outcome: decision.outcome, financingType: decision.financingType,
            decidingBody: decision.decidingBody, rationale: decision.rationale, decidedOn: decision.decidedOn,
            followedBySLK: decision.followedBySLK)
        event.roundId = roundId
        event.caseNumber = decision.caseNumber
        event.criteriaVersion = criteriaVersion
        event.supersedesDecisionId = decision.supersedes
        try await Outbox.enqueue(
            event, about: decision.initiativeId, topic: Topic.prioritisation, source: eventSource, traceParent: traceParent,
            on: connection)
        return (decision, true)
    }

    static let selectDecisions = """
        SELECT d.*, d.decided_on::text AS decided_on_text, c.organisation_id, c.track, c.title,
               NOT EXISTS (SELECT 1 FROM decisions n WHERE n.supersedes = d.decision_id) AS is_current
        FROM decisions d JOIN candidates c USING (initiative_id)
        """

    func current(_ id: InitiativeID, on connection: PostgresConnection) async throws -> Decision? {
        try await history(id, on: connection).last { $0.current }
    }

    func current(_ id: InitiativeID, visibleTo identity: Identity) async throws -> Decision {
        let found = try await pool.withConnection { try await current(id, on: $0) }
        guard let found, PrioritisationAccess.canSeeDecision(track: found.track, organisation: found.organisationId, identity) else {
            throw Problem.notFound("no decision for \(id) that you can see")
        }
        return found
    }

    /// Every decision on the initiative, oldest first.
    func history(_ id: InitiativeID, on connection: PostgresConnection) async throws -> [Decision] {
        try await connection.query(Self.selectDecisions + " WHERE d.initiative_id = $1 ORDER BY d.seq", [id.rawValue])
            .map(Self.decode)
    }

    func history(_ id: InitiativeID, visibleTo identity: Identity) async throws -> [Decision] {
        let found = try await pool.withConnection { try await history(id, on: $0) }
        guard let first = found.first,
            PrioritisationAccess.canSeeDecision(track: first.track, organisation: first.organisationId, identity)
        else { throw Problem.notFound("no decision for \(id) that you can see") }
        return found
    }

    /// The current decisions of a round (its decided portfolio and the rest), in order.
    func ofRound(_ round: UUID, on connection: PostgresConnection) async throws -> [Decision] {
        try await connection.query(
            Self.selectDecisions
                + " WHERE d.round_id = $1 AND NOT EXISTS (SELECT 1 FROM decisions n WHERE n.supersedes = d.decision_id) ORDER BY d.seq",
            [round]
        ).map(Self.decode)
    }

    static func decode(_ row: PostgresRow) throws -> Decision {
        Decision(
            decisionId: try row.decode("decision_id"), initiativeId: try row.initiativeID(),
            organisationId: try row.organisationID("organisation_id"), track: try row.decode("track", as: Track.self),
            title: try row.decode("title"), outcome: try row.decode("outcome", as: DecisionOutcome.self),
            financingType: try row.decode("financing_type", as: String?.self).flatMap(FinancingType.init(rawValue:)),
            decidingBody: try row.decode("deciding_body", as: DecidingBody.self),
            rationale: try row.decode("rationale"), decidedOn: try row.decode("decided_on_text"),
            followedBySLK: try row.decode("followed_by_slk"), roundId: try row.decode("round_id", as: UUID?.self),
            caseNumber: try row.decode("case_number", as: String?.self), supersedes: try row.decode("supersedes", as: UUID?.self),
            current: try row.decode("is_current"), criteriaVersion: try row.decode("criteria_version", as: Int?.self),
            scores: try row.decode("scores", as: PostgresJSON<[ScoreSet]>?.self)?.value,
            weightedTotal: try row.decode("weighted_total", as: Double?.self),
            budgetYearCost: try row.decode("budget_year_cost", as: Decimal?.self).map(SEK.init),
            decidedBy: try row.decode("decided_by", as: String?.self), recordedAt: try row.decode("recorded_at"))
    }

    func candidates(_ page: PageRequest, status: String?, visibleTo identity: Identity) async throws -> Page<Candidate> {
        let everything = PrioritisationAccess.readsEverything(identity) || identity.has(.ssg)
        let rows = try await pool.withConnection { connection in
            try await connection.query(
                """
                SELECT * FROM candidates WHERE seq > $1 AND ($2::text IS NULL OR status = $2)
                  AND ($4::boolean OR organisation_id = $5) ORDER BY seq LIMIT $3
                """,
                [page.afterSequence, status, page.limit + 1, everything, identity.organisationId.rawValue])
        }
        return try Page.from(rows, limit: page.limit) { row in
            Candidate(
                initiativeId: try row.initiativeID(), organisationId: try row.organisationID("organisation_id"),
                track: try row.decode("track", as: Track.self), title: try row.decode("title"),
                summary: try row.decode("summary", as: PostgresJSON<AnalysisSummary>.self).value,
                status: try row.decode("status"), enteredAt: try row.decode("entered_at"))
        }
    }
}

/// A candidate of the pool (the walking skeleton's view, kept).
struct Candidate: Codable, Sendable {
    var initiativeId: InitiativeID
    var organisationId: OrganisationID
    var track: Track
    var title: String
    var summary: AnalysisSummary
    var status: String
    var enteredAt: Date
}
