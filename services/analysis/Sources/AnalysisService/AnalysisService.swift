import Contracts
import Domain
import Foundation
import Hummingbird
import Persistence
import ServiceKit

/// The analysis service: *kostnads- och nyttoanalys*, *risk- och säkerhetsbedömning* and
/// reuse checks. In this first slice it opens a case for every submitted need and
/// completes it with a cost and benefit summary.
public enum AnalysisService {
    /// The supplier that analyses common-track needs until supplier proposals (issue 4)
    /// name the right one.
    static let defaultSupplier = "intraservice"

    public static let definition = ServiceDefinition(
        name: "analysis", defaultPort: 8082,
        migrations: { try Migration.service(in: .module, service: "analysis") },
        publishes: [Topic.analysis], consumes: [Topic.intake],
        handler: { event, connection in try await handle(event, on: connection) },
        routes: { router, resources in addRoutes(to: router, resources: resources) })

    /// Opens a case for a submitted need; other intake events are not this service's concern.
    static func handle(_ event: CloudEvent, on connection: PostgresConnection) async throws {
        guard event.type == NeedSubmittedV1.eventType else { return }
        let need = try event.decode(NeedSubmittedV1.self)
        let analysing = need.track == .common ? try OrganisationID(defaultSupplier).orThrow("supplier") : need.organisationId
        let opened = try await connection.execute(
            """
            INSERT INTO analysis_cases (initiative_id, organisation_id, analysing_organisation_id, track, title, status, opened_at)
            VALUES ($1, $2, $3, $4, $5, 'open', $6) ON CONFLICT (initiative_id) DO NOTHING
            """,
            [need.initiativeId.rawValue, need.organisationId.rawValue, analysing.rawValue, need.track.rawValue, need.title,
             Date()])
        guard opened == 1 else { return }
        try await Outbox.enqueue(
            AnalysisOpenedV1(
                initiativeId: need.initiativeId, organisationId: need.organisationId, track: need.track, title: need.title,
                analysingOrganisationId: analysing, openedAt: Date()),
            about: need.initiativeId, topic: Topic.analysis, source: EventSource.of(service: "analysis"),
            traceParent: event.extensions[TraceParent.header], on: connection)
    }

    static func addRoutes(to router: Router<StyrbordRequestContext>, resources: ServiceResources) {
        let cases = AnalysisRepository(pool: resources.pool, eventSource: resources.eventSource)
        router.get("v1/analyses") { request, _ in
            let page = try PageRequest(request)
            let status = try request.queryChoice("status", allowed: ["open", "completed"])
            return try JSONResponse.make(try await cases.list(page, status: status))
        }
        router.get("v1/analyses/:id") { _, context in
            let id = try context.initiativeParameter()
            guard let found = try await cases.find(id) else { throw Problem.notFound("no analysis for \(id)") }
            return try JSONResponse.make(found)
        }
        router.post("v1/analyses/:id/complete") { request, context in
            let id = try context.initiativeParameter()
            let input = try await request.decodeJSON(as: CompletionRequest.self, context: context)
            let problems = input.validationProblems()
            if !problems.isEmpty { throw Problem.validation(problems) }
            guard let completed = try await cases.complete(id, with: input, traceParent: request.traceParent) else {
                throw Problem.notFound("no analysis for \(id); it opens when intake's event arrives")
            }
            return try JSONResponse.make(completed)
        }
    }
}

/// The minimal cost and benefit summary that completes an analysis in this slice.
struct CompletionRequest: Codable, Sendable {
    var oneOffCost: SEK
    var annualCost: SEK
    var annualBenefit: SEK
    var lifetimeYears: Int
    var note: String

    func validationProblems() -> [Problem.InvalidParameter] {
        var problems: [Problem.InvalidParameter] = []
        for (name, value) in [("oneOffCost", oneOffCost), ("annualCost", annualCost), ("annualBenefit", annualBenefit)]
        where value < .zero {
            problems.append(.init(name: name, reason: "must not be negative"))
        }
        if !(1...50).contains(lifetimeYears) {
            problems.append(.init(name: "lifetimeYears", reason: "must be from 1 to 50"))
        }
        if note.count > 5_000 { problems.append(.init(name: "note", reason: "must be at most 5000 characters")) }
        return problems
    }
}

struct AnalysisCase: Codable, Sendable {
    var initiativeId: InitiativeID
    var organisationId: OrganisationID
    var analysingOrganisationId: OrganisationID
    var track: Track
    var title: String
    var status: String
    var openedAt: Date
    var completedAt: Date?
    var summary: AnalysisSummary?
}

struct AnalysisRepository: Sendable {
    let pool: PostgresPool
    let eventSource: String

    func find(_ id: InitiativeID) async throws -> AnalysisCase? {
        try await pool.withConnection { try await find(id, on: $0, lock: false) }
    }

    private func find(_ id: InitiativeID, on connection: PostgresConnection, lock: Bool) async throws -> AnalysisCase? {
        try await connection.query(
            "SELECT * FROM analysis_cases WHERE initiative_id = $1" + (lock ? " FOR UPDATE" : ""), [id.rawValue]
        ).first.map(Self.decode)
    }

    /// Completes an open case and announces it; completing a completed case again
    /// returns it unchanged (a retried request must not announce twice).
    func complete(_ id: InitiativeID, with input: CompletionRequest, traceParent: String?) async throws -> AnalysisCase? {
        try await pool.withTransaction { connection in
            guard var found = try await find(id, on: connection, lock: true) else { return nil }
            guard found.status == "open" else { return found }
            let summary = AnalysisSummary(
                oneOffCost: input.oneOffCost, annualCost: input.annualCost, annualBenefit: input.annualBenefit,
                lifetimeYears: input.lifetimeYears, note: input.note)
            let now = Date()
            try await connection.execute(
                "UPDATE analysis_cases SET status = 'completed', completed_at = $2, summary = $3::jsonb WHERE initiative_id = $1",
                [id.rawValue, now, PostgresJSON(summary)])
            found.status = "completed"
            found.completedAt = now
            found.summary = summary
            try await Outbox.enqueue(
                AnalysisCompletedV1(
                    initiativeId: id, organisationId: found.organisationId, track: found.track, title: found.title,
                    analysingOrganisationId: found.analysingOrganisationId, summary: summary, completedAt: now),
                about: id, topic: Topic.analysis, source: eventSource, traceParent: traceParent, on: connection)
            return found
        }
    }

    func list(_ page: PageRequest, status: String?) async throws -> Page<AnalysisCase> {
        let rows = try await pool.withConnection { connection in
            try await connection.query(
                "SELECT * FROM analysis_cases WHERE seq > $1 AND ($2::text IS NULL OR status = $2) ORDER BY seq LIMIT $3",
                [page.afterSequence, status, page.limit + 1])
        }
        return try Page.from(rows, limit: page.limit, decode: Self.decode)
    }

    private static func decode(_ row: PostgresRow) throws -> AnalysisCase {
        AnalysisCase(
            initiativeId: try row.initiativeID(), organisationId: try row.organisationID("organisation_id"),
            analysingOrganisationId: try row.organisationID("analysing_organisation_id"),
            track: try row.decode("track", as: Track.self), title: try row.decode("title"),
            status: try row.decode("status"), openedAt: try row.decode("opened_at"),
            completedAt: try row.decode("completed_at", as: Date?.self),
            summary: try row.decode("summary", as: PostgresJSON<AnalysisSummary>?.self)?.value)
    }
}
