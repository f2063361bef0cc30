import Contracts
import Domain
import Foundation
import Hummingbird
import Persistence
import ServiceKit

/// The prioritisation service: *prioritering och beslut*. Completed analyses enter the
/// candidate pool; SSG (common track) or the organisation's board (own track) decides.
public enum PrioritisationService {
    public static let definition = ServiceDefinition(
        name: "prioritisation", defaultPort: 8083,
        migrations: { try Migration.service(in: .module, service: "prioritisation") },
        publishes: [Topic.prioritisation], consumes: [Topic.analysis],
        handler: { event, connection in try await handle(event, on: connection) },
        routes: { router, resources in addRoutes(to: router, resources: resources) })

    static func handle(_ event: CloudEvent, on connection: PostgresConnection) async throws {
        guard event.type == AnalysisCompletedV1.eventType else { return }
        let analysis = try event.decode(AnalysisCompletedV1.self)
        try await connection.execute(
            """
            INSERT INTO candidates (initiative_id, organisation_id, track, title, summary, entered_at, status)
            VALUES ($1, $2, $3, $4, $5::jsonb, $6, 'awaiting-decision') ON CONFLICT (initiative_id) DO NOTHING
            """,
            [analysis.initiativeId.rawValue, analysis.organisationId.rawValue, analysis.track.rawValue, analysis.title,
             PostgresJSON(analysis.summary), Date()])
    }

    static func addRoutes(to router: Router<StyrbordRequestContext>, resources: ServiceResources) {
        let repository = DecisionRepository(pool: resources.pool, eventSource: resources.eventSource)
        router.get("v1/candidates") { request, _ in
            let page = try PageRequest(request)
            let status = try request.queryChoice("status", allowed: ["awaiting-decision", "decided"])
            return try JSONResponse.make(try await repository.candidates(page, status: status))
        }
        router.post("v1/decisions") { request, context in
            let input = try await request.decodeJSON(as: DecisionRequest.self, context: context)
            let problems = input.validationProblems()
            if !problems.isEmpty { throw Problem.validation(problems) }
            let (decision, created) = try await repository.decide(input, traceParent: request.traceParent)
            return try JSONResponse.make(
                decision, status: created ? .created : .ok,
                headers: [.location: "/v1/decisions/\(decision.initiativeId)"])
        }
        router.get("v1/decisions/:id") { _, context in
            let id = try context.initiativeParameter()
            guard let decision = try await repository.decision(for: id) else {
                throw Problem.notFound("no decision for \(id)")
            }
            return try JSONResponse.make(decision)
        }
    }
}

/// A decision as the deciding body records it.
struct DecisionRequest: Codable, Sendable {
    var initiativeId: InitiativeID
    var outcome: DecisionOutcome
    var financingType: FinancingType?
    var rationale: String
    /// The meeting date, YYYY-MM-DD.
    var decidedOn: String
    var followedBySLK: Bool?

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
        return problems
    }
}

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
}

struct Candidate: Codable, Sendable {
    var initiativeId: InitiativeID
    var organisationId: OrganisationID
    var track: Track
    var title: String
    var summary: AnalysisSummary
    var status: String
    var enteredAt: Date
}

struct DecisionRepository: Sendable {
    let pool: PostgresPool
    let eventSource: String

    /// Records a decision and announces it. The body follows from the track: SSG decides
    /// the common track, the organisation's board its own. A second decision on the same
    /// initiative returns the first (decision history arrives with the prioritisation issue).
    func decide(_ input: DecisionRequest, traceParent: String?) async throws -> (Decision, created: Bool) {
        try await pool.withTransaction { connection in
            guard let candidate = try await connection.query(
                "SELECT * FROM candidates WHERE initiative_id = $1 FOR UPDATE", [input.initiativeId.rawValue]
            ).first else {
                throw Problem.validation([
                    .init(name: "initiativeId", reason: "is not in the candidate pool: its analysis is not complete")
                ])
            }
            if let existing = try await decision(for: input.initiativeId, on: connection) { return (existing, false) }
            let track = try candidate.decode("track", as: Track.self)
            let decision = Decision(
                decisionId: UUID(), initiativeId: input.initiativeId,
                organisationId: try candidate.organisationID("organisation_id"), track: track,
                title: try candidate.decode("title"), outcome: input.outcome, financingType: input.financingType,
                decidingBody: track == .common ? .ssg : .organisationBoard, rationale: input.rationale,
                decidedOn: input.decidedOn, followedBySLK: input.followedBySLK ?? false)
            try await connection.execute(
                """
                INSERT INTO decisions (decision_id, initiative_id, outcome, financing_type, deciding_body, rationale,
                                       decided_on, followed_by_slk, recorded_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7::date, $8, $9)
                """,
                [decision.decisionId, decision.initiativeId.rawValue, decision.outcome.rawValue,
                 decision.financingType?.rawValue, decision.decidingBody.rawValue, decision.rationale, decision.decidedOn,
                 decision.followedBySLK, Date()])
            try await connection.execute(
                "UPDATE candidates SET status = 'decided' WHERE initiative_id = $1", [decision.initiativeId.rawValue])
            try await Outbox.enqueue(
                DecisionMadeV1(
                    decisionId: decision.decisionId, initiativeId: decision.initiativeId,
                    organisationId: decision.organisationId, track: decision.track, title: decision.title,
                    outcome: decision.outcome, financingType: decision.financingType,
                    decidingBody: decision.decidingBody, rationale: decision.rationale, decidedOn: decision.decidedOn,
                    followedBySLK: decision.followedBySLK),
                about: decision.initiativeId, topic: Topic.prioritisation, source: eventSource,
                traceParent: traceParent, on: connection)
            return (decision, true)
        }
    }

    func decision(for id: InitiativeID) async throws -> Decision? {
        try await pool.withConnection { try await decision(for: id, on: $0) }
    }

    private func decision(for id: InitiativeID, on connection: PostgresConnection) async throws -> Decision? {
        try await connection.query(
            """
            SELECT d.*, d.decided_on::text AS decided_on_text, c.organisation_id, c.track, c.title
            FROM decisions d JOIN candidates c USING (initiative_id) WHERE d.initiative_id = $1
            """, [id.rawValue]
        ).first.map { row in
            Decision(
                decisionId: try row.decode("decision_id"), initiativeId: try row.initiativeID(),
                organisationId: try row.organisationID("organisation_id"), track: try row.decode("track", as: Track.self),
                title: try row.decode("title"), outcome: try row.decode("outcome", as: DecisionOutcome.self),
                financingType: try row.decode("financing_type", as: String?.self).flatMap(FinancingType.init(rawValue:)),
                decidingBody: try row.decode("deciding_body", as: DecidingBody.self),
                rationale: try row.decode("rationale"), decidedOn: try row.decode("decided_on_text"),
                followedBySLK: try row.decode("followed_by_slk"))
        }
    }

    func candidates(_ page: PageRequest, status: String?) async throws -> Page<Candidate> {
        let rows = try await pool.withConnection { connection in
            try await connection.query(
                "SELECT * FROM candidates WHERE seq > $1 AND ($2::text IS NULL OR status = $2) ORDER BY seq LIMIT $3",
                [page.afterSequence, status, page.limit + 1])
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
