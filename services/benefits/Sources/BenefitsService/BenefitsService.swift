import Contracts
import Domain
import Foundation
import Hummingbird
import Persistence
import ServiceKit

/// The benefits service: *realisera och följa upp nytta och effekter*. A prioritised
/// initiative gets a benefit realisation plan, empty until its benefit owners fill it.
public enum BenefitsService {
    public static let definition = ServiceDefinition(
        name: "benefits", defaultPort: 8084,
        migrations: { try Migration.service(in: .module, service: "benefits") },
        publishes: [Topic.benefits], consumes: [Topic.prioritisation],
        handler: { event, connection in try await handle(event, on: connection) },
        routes: { router, resources in addRoutes(to: router, resources: resources) })

    static func handle(_ event: CloudEvent, on connection: PostgresConnection) async throws {
        guard event.type == DecisionMadeV1.eventType else { return }
        let decision = try event.decode(DecisionMadeV1.self)
        guard decision.outcome == .prioritised else { return }
        let plan = BenefitPlan(
            planId: UUID(), initiativeId: decision.initiativeId, organisationId: decision.organisationId,
            title: decision.title, decisionId: decision.decisionId, status: "draft", createdAt: Date())
        let created = try await connection.execute(
            """
            INSERT INTO benefit_plans (plan_id, initiative_id, organisation_id, title, decision_id, status, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (initiative_id) DO NOTHING
            """,
            [plan.planId, plan.initiativeId.rawValue, plan.organisationId.rawValue, plan.title, plan.decisionId,
             plan.status, plan.createdAt])
        guard created == 1 else { return }
        try await Outbox.enqueue(
            BenefitPlanCreatedV1(
                planId: plan.planId, initiativeId: plan.initiativeId, organisationId: plan.organisationId,
                title: plan.title, createdAt: plan.createdAt),
            about: plan.initiativeId, topic: Topic.benefits, source: EventSource.of(service: "benefits"),
            traceParent: event.extensions[TraceParent.header], on: connection)
    }

    static func addRoutes(to router: Router<StyrbordRequestContext>, resources: ServiceResources) {
        let pool = resources.pool
        router.get("v1/plans") { request, _ in
            let page = try PageRequest(request)
            let rows = try await pool.withConnection { connection in
                try await connection.query(
                    "SELECT * FROM benefit_plans WHERE seq > $1 ORDER BY seq LIMIT $2", [page.afterSequence, page.limit + 1])
            }
            return try JSONResponse.make(try Page.from(rows, limit: page.limit, decode: BenefitPlan.init(row:)))
        }
        router.get("v1/plans/:id") { _, context in
            let id = try context.initiativeParameter()
            let rows = try await pool.withConnection {
                try await $0.query("SELECT * FROM benefit_plans WHERE initiative_id = $1", [id.rawValue])
            }
            guard let row = rows.first else { throw Problem.notFound("no benefit plan for \(id)") }
            return try JSONResponse.make(try BenefitPlan(row: row))
        }
    }
}

struct BenefitPlan: Codable, Sendable {
    var planId: UUID
    var initiativeId: InitiativeID
    var organisationId: OrganisationID
    var title: String
    var decisionId: UUID
    var status: String
    var createdAt: Date
}

extension BenefitPlan {
    init(row: PostgresRow) throws {
        self.init(
            planId: try row.decode("plan_id"), initiativeId: try row.initiativeID(),
            organisationId: try row.organisationID("organisation_id"), title: try row.decode("title"),
            decisionId: try row.decode("decision_id"), status: try row.decode("status"),
            createdAt: try row.decode("created_at"))
    }
}
