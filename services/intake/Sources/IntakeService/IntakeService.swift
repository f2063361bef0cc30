import Contracts
import Domain
import Foundation
import Hummingbird
import Persistence
import ServiceKit

/// The intake service: the front door of *behov och kravställning*. Registers and
/// submits needs and announces them on `Topic.intake`.
public enum IntakeService {
    public static let definition = ServiceDefinition(
        name: "intake", defaultPort: 8081,
        migrations: { try Migration.service(in: .module, service: "intake") },
        publishes: [Topic.intake], consumes: [], handler: nil,
        routes: { router, resources in addRoutes(to: router, resources: resources) })

    static func addRoutes(to router: Router<BasicRequestContext>, resources: ServiceResources) {
        let needs = NeedRepository(pool: resources.pool, eventSource: resources.eventSource)
        router.post("v1/needs") { request, context in
            let submission = try await request.decodeJSON(as: NeedSubmission.self, context: context)
            let problems = submission.validationProblems()
            if !problems.isEmpty { throw Problem.validation(problems) }
            let key = try request.idempotencyKey()
            let (need, created) = try await needs.submit(submission, idempotencyKey: key, traceParent: request.traceParent)
            return try JSONResponse.make(
                need, status: created ? .created : .ok,
                headers: [.location: "/v1/needs/\(need.initiativeId)"])
        }
        router.get("v1/needs/:id") { _, context in
            let id = try context.initiativeParameter()
            guard let need = try await needs.find(id) else { throw Problem.notFound("no need \(id)") }
            return try JSONResponse.make(need)
        }
        router.get("v1/needs") { request, _ in
            let page = try PageRequest(request)
            let organisation = request.uri.queryParameters["organisationId"].map(String.init)
            return try JSONResponse.make(try await needs.list(page, organisation: organisation))
        }
    }
}

/// Stores needs and their events together.
struct NeedRepository: Sendable {
    let pool: PostgresPool
    let eventSource: String

    /// Registers and submits a need: the row and `NeedSubmittedV1` commit together.
    /// With an idempotency key, a repeat of the same request returns the first answer;
    /// the same key with another body is refused.
    func submit(_ submission: NeedSubmission, idempotencyKey: String?, traceParent: String?) async throws -> (NeedResource, created: Bool) {
        do {
            return try await submitOnce(submission, idempotencyKey: idempotencyKey, traceParent: traceParent)
        } catch let error as PostgresError where error.isUniqueViolation && idempotencyKey != nil {
            // A concurrent request with the same key committed first: answer as its repeat.
            return try await submitOnce(submission, idempotencyKey: idempotencyKey, traceParent: traceParent)
        }
    }

    private func submitOnce(_ submission: NeedSubmission, idempotencyKey: String?, traceParent: String?) async throws
        -> (NeedResource, created: Bool)
    {
        let body = String(decoding: try EventJSON.encoder.encode(submission), as: UTF8.self)
        return try await pool.withTransaction { connection in
            if let idempotencyKey {
                let existing = try await connection.query(
                    "SELECT initiative_id, request_hash = md5($2) AS same FROM needs WHERE idempotency_key = $1",
                    [idempotencyKey, body])
                if let row = existing.first {
                    guard try row.decode("same", as: Bool.self) else {
                        throw Problem.validation([
                            .init(name: "Idempotency-Key", reason: "was already used with a different request body")
                        ])
                    }
                    let id = InitiativeID(try row.decode("initiative_id", as: UUID.self))
                    guard let need = try await find(id, on: connection) else { throw Problem.notFound("no need \(id)") }
                    return (need, false)
                }
            }
            let need = NeedResource(
                initiativeId: InitiativeID(), organisationId: submission.organisationId, track: submission.track,
                title: submission.title.trimmingCharacters(in: .whitespacesAndNewlines),
                description: submission.description, category: submission.category, driver: submission.driver,
                targetGroups: submission.targetGroups, status: "submitted", submittedAt: Date())
            try await connection.execute(
                """
                INSERT INTO needs (initiative_id, organisation_id, track, title, description, category, driver,
                                   target_groups, status, idempotency_key, request_hash, submitted_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, md5($11), $12)
                """,
                [need.initiativeId.rawValue, need.organisationId.rawValue, need.track.rawValue, need.title,
                 need.description, need.category.rawValue, need.driver.rawValue, need.targetGroups.map(\.rawValue),
                 need.status, idempotencyKey, body, need.submittedAt])
            try await Outbox.enqueue(
                NeedSubmittedV1(
                    initiativeId: need.initiativeId, organisationId: need.organisationId, track: need.track,
                    title: need.title, description: need.description, category: need.category, driver: need.driver,
                    targetGroups: need.targetGroups, submittedAt: need.submittedAt),
                about: need.initiativeId, topic: Topic.intake, source: eventSource, traceParent: traceParent,
                on: connection)
            return (need, true)
        }
    }

    func find(_ id: InitiativeID) async throws -> NeedResource? {
        try await pool.withConnection { try await find(id, on: $0) }
    }

    private func find(_ id: InitiativeID, on connection: PostgresConnection) async throws -> NeedResource? {
        try await connection.query("SELECT * FROM needs WHERE initiative_id = $1", [id.rawValue]).first.map(Self.decode)
    }

    func list(_ page: PageRequest, organisation: String?) async throws -> Page<NeedResource> {
        let rows = try await pool.withConnection { connection in
            try await connection.query(
                """
                SELECT * FROM needs WHERE seq > $1 AND ($2::text IS NULL OR organisation_id = $2)
                ORDER BY seq LIMIT $3
                """, [page.afterSequence, organisation, page.limit + 1])
        }
        return try Page.from(rows, limit: page.limit, decode: Self.decode)
    }

    private static func decode(_ row: PostgresRow) throws -> NeedResource {
        NeedResource(
            initiativeId: try row.initiativeID(), organisationId: try row.organisationID("organisation_id"),
            track: try row.decode("track", as: Track.self), title: try row.decode("title"),
            description: try row.decode("description"), category: try row.decode("category", as: NeedCategory.self),
            driver: try row.decode("driver", as: NeedDriver.self),
            targetGroups: try row.decode("target_groups", as: [String].self).compactMap(TargetGroup.init(rawValue:)),
            status: try row.decode("status"), submittedAt: try row.decode("submitted_at"))
    }
}
