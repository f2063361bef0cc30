import Contracts
import Domain
import Foundation
import Persistence
import ServiceKit

/// Rounds, their versioned criteria, their candidates' preparation and the members' scores.
struct RoundRepository: Sendable {
    let pool: PostgresPool

    // MARK: Rounds

    /// Opens a round with its first criteria version, and takes in every analysed
    /// candidate of its track (and organisation) that still awaits a decision.
    func open(_ input: RoundRequest, by identity: Identity, on connection: PostgresConnection) async throws -> Round {
        let organisation = input.decidingBody == .ssg ? nil : input.organisationId
        if !identity.has(.admin) {
            guard PrioritisationAccess.isMember(identity, body: input.decidingBody, organisation: organisation) else {
                throw Problem.forbidden(
                    "opening a round is for admins and the members of the deciding body (role ssg; for an own-track round, in that organisation)")
            }
        }
        let roundId = UUID()
        let now = Date()
        do {
            try await connection.execute(
                """
                INSERT INTO rounds (round_id, name, budget_year, deciding_body, organisation_id, status, budgets, capacity_hours,
                                    innovation_share, opened_at, opened_by)
                VALUES ($1, $2, $3, $4, $5, 'open', $6::jsonb, $7, $8::jsonb, $9, $10)
                """,
                [roundId, input.name.trimmingCharacters(in: .whitespacesAndNewlines), input.budgetYear,
                 input.decidingBody.rawValue, organisation?.rawValue, PostgresJSON(input.budgets), input.capacityHours.value,
                 input.innovationShare.map { PostgresJSON($0) }, now, identity.subject])
        } catch {
            guard Self.isUniqueViolation(error) else { throw error }
            throw Problem.conflict(
                "an open round already exists for \(organisation.map { "\($0)'s leadership" } ?? "SSG"); close it before opening another")
        }
        let criteria = CriteriaSet(version: 1, criteria: input.criteria ?? CriteriaSet.standard.criteria)
        try await connection.execute(
            "INSERT INTO criteria_sets (round_id, version, criteria, created_at, created_by) VALUES ($1, 1, $2::jsonb, $3, $4)",
            [roundId, PostgresJSON(criteria.criteria), now, identity.subject])
        try await connection.execute(
            """
            INSERT INTO round_candidates (round_id, initiative_id, entered_at, financing_type, legal_requirement)
            SELECT $1, c.initiative_id, $2, $3, \(Self.isLegalRequirement("c.initiative_id")) FROM candidates c
            WHERE c.status = 'awaiting-decision' AND c.track = $4 AND ($5::text IS NULL OR c.organisation_id = $5)
            """,
            [roundId, now, Self.defaultFinancing(input.decidingBody).rawValue,
             (input.decidingBody == .ssg ? Track.common : Track.organisationSpecific).rawValue, organisation?.rawValue])
        return try await find(roundId, on: connection, lock: false).orThrow(Problem.notFound("round \(roundId)"))
    }

    static func isUniqueViolation(_ error: any Error) -> Bool {
        (error as? PostgresError)?.isUniqueViolation ?? false
    }

    /// SQL: whether the need behind `initiative` (a column or parameter of this file) was
    /// driven by a new law.
    static func isLegalRequirement(_ initiative: String) -> String {
        "EXISTS (SELECT 1 FROM need_drivers n WHERE n.initiative_id = \(initiative) AND n.driver = 'new-law')"
    }

    static func defaultFinancing(_ body: DecidingBody) -> FinancingType {
        body == .ssg ? .costAllocation : .ownBudget
    }

    /// Puts a newly analysed candidate into the open round of its deciding body, if any.
    static func enterOpenRound(_ analysis: AnalysisCompletedV1, on connection: PostgresConnection) async throws {
        let body: DecidingBody = analysis.track == .common ? .ssg : .organisationBoard
        try await connection.execute(
            """
            INSERT INTO round_candidates (round_id, initiative_id, entered_at, financing_type, legal_requirement)
            SELECT round_id, $1, $2, $3, \(isLegalRequirement("$1::uuid")) FROM rounds
            WHERE status = 'open' AND deciding_body = $4 AND ($4 = 'ssg' OR organisation_id = $5)
            ON CONFLICT DO NOTHING
            """,
            [analysis.initiativeId.rawValue, Date(), defaultFinancing(body).rawValue, body.rawValue,
             analysis.organisationId.rawValue])
    }

    func find(_ id: UUID, visibleTo identity: Identity) async throws -> Round {
        let round = try await pool.withConnection { try await find(id, on: $0, lock: false) }
        guard let round, PrioritisationAccess.canSeeRound(round, identity) else {
            throw Problem.notFound("no round \(id) that you can see")
        }
        return round
    }

    func find(_ id: UUID, on connection: PostgresConnection, lock: Bool) async throws -> Round? {
        try await connection.query(
            """
            SELECT r.*, (SELECT max(version) FROM criteria_sets s WHERE s.round_id = r.round_id) AS criteria_version
            FROM rounds r WHERE r.round_id = $1
            """ + (lock ? " FOR UPDATE OF r" : ""), [id]
        ).first.map(Self.decodeRound)
    }

    /// A round locked for a change by a member; 404 when hidden, 403 for others, 409 when closed.
    func lockedOpen(_ id: UUID, by identity: Identity, action: String, on connection: PostgresConnection) async throws -> Round {
        guard let round = try await find(id, on: connection, lock: true), PrioritisationAccess.canSeeRound(round, identity) else {
            throw Problem.notFound("no round \(id) that you can see")
        }
        try PrioritisationAccess.requireMember(round, identity, to: action)
        guard round.status == .open else { throw Problem.conflict("round \(id) is closed; \(action) is no longer possible") }
        return round
    }

    func list(_ page: PageRequest, status: String?, visibleTo identity: Identity) async throws -> Page<Round> {
        let rows = try await pool.withConnection { connection in
            try await connection.query(
                """
                SELECT r.*, (SELECT max(version) FROM criteria_sets s WHERE s.round_id = r.round_id) AS criteria_version
                FROM rounds r
                WHERE r.seq > $1 AND ($2::text IS NULL OR r.status = $2)
                  AND ($4::boolean OR r.deciding_body = 'ssg' OR r.organisation_id = $5)
                ORDER BY r.seq LIMIT $3
                """,
                [page.afterSequence, status, page.limit + 1, PrioritisationAccess.readsEverything(identity) || identity.has(.ssg),
                 identity.organisationId.rawValue])
        }
        return try Page.from(rows, limit: page.limit, decode: Self.decodeRound)
    }

    func close(_ id: UUID, ifMatch version: Int?, by identity: Identity, on connection: PostgresConnection) async throws -> Round {
        guard let round = try await find(id, on: connection, lock: true), PrioritisationAccess.canSeeRound(round, identity) else {
            throw Problem.notFound("no round \(id) that you can see")
        }
        if !identity.has(.admin) { try PrioritisationAccess.requireMember(round, identity, to: "closing a round") }
        if let version, version != round.version { throw Problem.preconditionFailed(current: round.etag) }
        guard round.status == .open else { return round }
        try await connection.execute(
            "UPDATE rounds SET status = 'closed', closed_at = $2, closed_by = $3, version = version + 1 WHERE round_id = $1",
            [id, Date(), identity.subject])
        return try await find(id, on: connection, lock: false).orThrow(Problem.notFound("round \(id)"))
    }

    static func decodeRound(_ row: PostgresRow) throws -> Round {
        Round(
            roundId: try row.decode("round_id"), name: try row.decode("name"), budgetYear: try row.decode("budget_year"),
            decidingBody: try row.decode("deciding_body", as: DecidingBody.self),
            organisationId: try row.decode("organisation_id", as: String?.self).flatMap(OrganisationID.init),
            status: try row.decode("status", as: RoundStatus.self),
            budgets: try row.decode("budgets", as: PostgresJSON<[String: SEK]>.self).value,
            capacityHours: Hours(try row.decode("capacity_hours", as: Decimal.self)),
            innovationShare: try row.decode("innovation_share", as: PostgresJSON<ShareBounds>?.self)?.value,
            criteriaVersion: try row.decode("criteria_version", as: Int?.self) ?? 1,
            openedAt: try row.decode("opened_at"), openedBy: try row.decode("opened_by"),
            closedAt: try row.decode("closed_at", as: Date?.self), closedBy: try row.decode("closed_by", as: String?.self),
            version: try row.decode("version"))
    }

    // MARK: Criteria

    func criteria(_ round: UUID, version: Int? = nil, on connection: PostgresConnection) async throws -> CriteriaSet {
        let rows = try await connection.query(
            """
            SELECT version, criteria FROM criteria_sets WHERE round_id = $1 AND ($2::integer IS NULL OR version = $2)
            ORDER BY version DESC LIMIT 1
            """, [round, version])
        guard let row = rows.first else { throw Problem.notFound("round \(round) has no criteria version \(version ?? 0)") }
        return CriteriaSet(
            version: try row.decode("version"), criteria: try row.decode("criteria", as: PostgresJSON<[Criterion]>.self).value)
    }

    func criteria(_ round: UUID, version: Int? = nil) async throws -> CriteriaSet {
        try await pool.withConnection { try await criteria(round, version: version, on: $0) }
    }

    /// Replaces the weights and scales: in place while nobody has scored the current
    /// version, as a new version once scoring has started (earlier scores keep theirs).
    func replaceCriteria(
        _ roundId: UUID, _ input: CriteriaRequest, by identity: Identity, on connection: PostgresConnection
    ) async throws -> CriteriaSet {
        let round = try await lockedOpen(roundId, by: identity, action: "changing the criteria", on: connection)
        let current = try await criteria(roundId, version: round.criteriaVersion, on: connection)
        let scored = try await connection.query(
            "SELECT 1 FROM scores WHERE round_id = $1 AND criteria_version = $2 LIMIT 1", [roundId, current.version])
        if scored.isEmpty {
            try await connection.execute(
                "UPDATE criteria_sets SET criteria = $3::jsonb, created_at = $4, created_by = $5 WHERE round_id = $1 AND version = $2",
                [roundId, current.version, PostgresJSON(input.criteria), Date(), identity.subject])
            return CriteriaSet(version: current.version, criteria: input.criteria)
        }
        try await connection.execute(
            "INSERT INTO criteria_sets (round_id, version, criteria, created_at, created_by) VALUES ($1, $2, $3::jsonb, $4, $5)",
            [roundId, current.version + 1, PostgresJSON(input.criteria), Date(), identity.subject])
        try await connection.execute("UPDATE rounds SET version = version + 1 WHERE round_id = $1", [roundId])
        return CriteriaSet(version: current.version + 1, criteria: input.criteria)
    }

    // MARK: Candidates and scores

    /// Every candidate of the round, ranked (legal requirements first, then by total),
    /// with the scores aggregated under `criteria`; `weights` overrides the set's weights.
    func candidates(
        of round: Round, criteria: CriteriaSet, weights: [String: Double]? = nil, on connection: PostgresConnection
    ) async throws -> [RoundCandidate] {
        let rows = try await connection.query(
            """
            SELECT c.initiative_id, c.organisation_id, c.track, c.title, c.summary, c.analysis, c.status,
                   rc.entered_at, rc.legal_requirement, rc.financing_type, rc.supplier_hours, rc.requires,
                   (SELECT d.outcome FROM decisions d WHERE d.initiative_id = c.initiative_id
                      AND NOT EXISTS (SELECT 1 FROM decisions n WHERE n.supersedes = d.decision_id)
                    ORDER BY d.seq DESC LIMIT 1) AS outcome
            FROM round_candidates rc JOIN candidates c USING (initiative_id)
            WHERE rc.round_id = $1 ORDER BY rc.entered_at, c.initiative_id
            """, [round.roundId])
        let scoreRows = try await connection.query(
            "SELECT initiative_id, scorer, scores FROM scores WHERE round_id = $1", [round.roundId])
        var byCandidate: [UUID: [String: [String: Int]]] = [:]
        for row in scoreRows {
            let id: UUID = try row.decode("initiative_id")
            let scorer: String = try row.decode("scorer")
            byCandidate[id, default: [:]][scorer] = try row.decode("scores", as: PostgresJSON<[String: Int]>.self).value
        }
        let keys = criteria.criteria.map(\.key)
        let weights = weights ?? criteria.weights
        var result: [RoundCandidate] = []
        for row in rows {
            let id = try row.initiativeID()
            let summary = try row.decode("summary", as: PostgresJSON<AnalysisSummary>.self).value
            let analysis = try row.decode("analysis", as: PostgresJSON<AnalysisCompletedV1>?.self)?.value
            let members = byCandidate[id.rawValue] ?? [:]
            let aggregates = Scoring.aggregate(members, criteria: keys)
            var means: [String: Double] = [:]
            for aggregate in aggregates { if let mean = aggregate.mean { means[aggregate.key] = mean } }
            let (total, parts) = Scoring.total(means: means, weights: weights)
            let outcome = try row.decode("outcome", as: String?.self)
            result.append(RoundCandidate(
                initiativeId: id, organisationId: try row.organisationID("organisation_id"),
                track: try row.decode("track", as: Track.self), title: try row.decode("title"),
                status: outcome ?? "awaiting-decision", enteredAt: try row.decode("entered_at"),
                analysis: AnalysisFigures(analysis, summary: summary), legalRequirement: try row.decode("legal_requirement"),
                financingType: try row.decode("financing_type", as: FinancingType.self),
                supplierHours: Hours(try row.decode("supplier_hours", as: Decimal.self)),
                requires: try row.decode("requires", as: [UUID].self).map { InitiativeID($0) }, scorers: members.count,
                criteria: aggregates, total: total, contributions: parts,
                quadrant: Scoring.quadrant(means: means, externalFallback: Self.mostlyExternal(analysis?.benefits)), rank: 0))
        }
        result.sort { a, b in
            if a.legalRequirement != b.legalRequirement { return a.legalRequirement }
            return a.total == b.total ? a.initiativeId.description < b.initiativeId.description : a.total > b.total
        }
        for index in result.indices { result[index].rank = index + 1 }
        return result
    }

    /// Before anyone scores the axis: external when most benefit lines are for residents,
    /// business or visitors rather than employees.
    static func mostlyExternal(_ benefits: [BenefitLine]?) -> Bool {
        guard let benefits, !benefits.isEmpty else { return false }
        let external = benefits.filter { $0.stakeholder != .employees }.count
        return external * 2 > benefits.count
    }

    /// What a caller may see of the candidates: members and auditors everything, others
    /// their own organisation's candidates without the members' individual scores.
    static func visible(_ candidates: [RoundCandidate], in round: Round, to identity: Identity) -> [RoundCandidate] {
        if PrioritisationAccess.seesWholeRound(round, identity) { return candidates }
        return candidates.filter { $0.organisationId == identity.organisationId }.map { candidate in
            var stripped = candidate
            stripped.criteria = candidate.criteria.map { var aggregate = $0; aggregate.scores = [:]; return aggregate }
            return stripped
        }
    }

    func requireCandidate(_ round: UUID, _ initiative: InitiativeID, on connection: PostgresConnection) async throws {
        let rows = try await connection.query(
            "SELECT 1 FROM round_candidates WHERE round_id = $1 AND initiative_id = $2 FOR UPDATE", [round, initiative.rawValue])
        guard !rows.isEmpty else { throw Problem.notFound("initiative \(initiative) is not a candidate of round \(round)") }
    }

    func prepare(
        _ roundId: UUID, _ initiative: InitiativeID, _ input: PreparationRequest, by identity: Identity,
        on connection: PostgresConnection
    ) async throws {
        _ = try await lockedOpen(roundId, by: identity, action: "preparing a candidate", on: connection)
        try await requireCandidate(roundId, initiative, on: connection)
        let requires = input.requires ?? []
        if !requires.isEmpty {
            let known = try await connection.query(
                "SELECT initiative_id FROM round_candidates WHERE round_id = $1 AND initiative_id = ANY($2::uuid[])",
                [roundId, requires.map(\.rawValue)])
            let found = Set(try known.map { try $0.decode("initiative_id", as: UUID.self) })
            let missing = requires.filter { !found.contains($0.rawValue) }
            try Problem.throwIfAny(missing.map {
                .init(name: "requires", reason: "\($0) is not a candidate of this round")
            })
        }
        try await connection.execute(
            """
            UPDATE round_candidates SET legal_requirement = $3, financing_type = $4, supplier_hours = $5, requires = $6::uuid[]
            WHERE round_id = $1 AND initiative_id = $2
            """,
            [roundId, initiative.rawValue, input.legalRequirement, input.financingType.rawValue, input.supplierHours?.value ?? 0,
             requires.map(\.rawValue)])
    }

    /// Records (or replaces) the caller's score set for a candidate.
    func score(
        _ roundId: UUID, _ initiative: InitiativeID, _ input: ScoreRequest, by identity: Identity,
        on connection: PostgresConnection
    ) async throws -> ScoreSet {
        let round = try await lockedOpen(roundId, by: identity, action: "scoring", on: connection)
        try await requireCandidate(roundId, initiative, on: connection)
        let criteria = try await criteria(roundId, version: round.criteriaVersion, on: connection)
        try Problem.throwIfAny(input.problems(criteria: criteria))
        let set = ScoreSet(
            scorer: identity.subject, scorerName: identity.name, criteriaVersion: criteria.version, scores: input.scores,
            comment: input.comment, scoredAt: Date())
        try await connection.execute(
            """
            INSERT INTO scores (round_id, initiative_id, scorer, scorer_name, criteria_version, scores, comment, scored_at)
            VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)
            ON CONFLICT (round_id, initiative_id, scorer) DO UPDATE SET scorer_name = EXCLUDED.scorer_name,
                criteria_version = EXCLUDED.criteria_version, scores = EXCLUDED.scores, comment = EXCLUDED.comment,
                scored_at = EXCLUDED.scored_at
            """,
            [roundId, initiative.rawValue, set.scorer, set.scorerName, set.criteriaVersion, PostgresJSON(set.scores), set.comment,
             set.scoredAt])
        return set
    }

    /// Every member's score set of a candidate (who scored what).
    func scoreSets(_ roundId: UUID, _ initiative: InitiativeID, on connection: PostgresConnection) async throws -> [ScoreSet] {
        try await connection.query(
            "SELECT * FROM scores WHERE round_id = $1 AND initiative_id = $2 ORDER BY scorer", [roundId, initiative.rawValue]
        ).map { row in
            ScoreSet(
                scorer: try row.decode("scorer"), scorerName: try row.decode("scorer_name", as: String?.self),
                criteriaVersion: try row.decode("criteria_version"),
                scores: try row.decode("scores", as: PostgresJSON<[String: Int]>.self).value,
                comment: try row.decode("comment", as: String?.self), scoredAt: try row.decode("scored_at"))
        }
    }
}
