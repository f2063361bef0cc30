import Contracts
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Persistence
import ServiceKit

/// The benefits service: *realisera och följa upp nytta och effekter*. A prioritised
/// initiative gets a benefit realisation plan pre-filled from its analysis's benefit
/// lines; the benefit owners complete and agree it (the immutable baseline), the
/// initiative moves through its phases, measurements show how each benefit is doing,
/// a scheduled job reminds and escalates follow-ups, and the register, the open feed and
/// the city plan's follow-up report show the whole.
public enum BenefitsService {
    /// The path of the open feed (no bearer token).
    static let publicFeedPath = "/public/v1/initiatives"

    public static let definition = ServiceDefinition(
        name: "benefits", defaultPort: 8084,
        migrations: { try Migration.service(in: .module, service: "benefits") },
        publishes: [Topic.benefits], consumes: [Topic.intake, Topic.analysis, Topic.prioritisation],
        handler: { event, connection in try await handle(event, on: connection) },
        publicPaths: [publicFeedPath],
        prepare: { resources in
            let loaded = try await CityPlanRepository(pool: resources.pool).seed(try CityPlanFile.shipped.get())
            resources.logger.info("city plan loaded", metadata: ["new actions": "\(loaded)"])
        },
        backgroundServices: { resources, environment in
            let options = try FollowUpJob.Options.load(from: environment)
            return [FollowUpJob(pool: resources.pool, eventSource: resources.eventSource, options: options, logger: resources.logger)]
        },
        routes: { router, resources in addRoutes(to: router, resources: resources) })

    /// Remembers a need's goal area and a completed analysis's benefit lines, makes the
    /// plan of a prioritised initiative and cancels it when a later decision defers or
    /// rejects the initiative; they may arrive in any order, and the plan is pre-filled
    /// with what is here and completed as the rest arrives.
    static func handle(_ event: CloudEvent, on connection: PostgresConnection) async throws {
        switch event.type {
        case NeedSubmittedV1.eventType:
            try await rememberGoalArea(of: try event.decode(NeedSubmittedV1.self), on: connection)
        case NeedUpdatedV1.eventType:
            try await rememberGoalArea(of: try event.decode(NeedUpdatedV1.self).need, on: connection)
        case AnalysisCompletedV1.eventType:
            let analysis = try event.decode(AnalysisCompletedV1.self)
            let benefits = (analysis.benefits ?? []).map(PlannedBenefit.init(line:))
            try await connection.execute(
                """
                INSERT INTO analysis_benefits (initiative_id, benefits, received_at) VALUES ($1, $2::jsonb, $3)
                ON CONFLICT (initiative_id) DO NOTHING
                """, [analysis.initiativeId.rawValue, PostgresJSON(benefits), Date()])
            // A plan made before the analysis arrived is filled now, while nobody has touched it.
            try await connection.execute(
                """
                UPDATE benefit_plans SET benefits = (SELECT benefits FROM analysis_benefits WHERE initiative_id = $1)
                WHERE initiative_id = $1 AND status = 'draft' AND version = 1 AND benefits = '[]'::jsonb
                """, [analysis.initiativeId.rawValue])
        case DecisionMadeV1.eventType:
            try await apply(try event.decode(DecisionMadeV1.self), at: event.time, event: event, on: connection)
        default:
            return
        }
    }

    /// Remembers the decision, finds the one in force among all the initiative's decisions
    /// seen so far, and brings the plan in line with it: a prioritised initiative has a
    /// plan, a deferred or rejected one's plan is cancelled, and one prioritised again is
    /// reopened. Order and redelivery do not matter: a superseded decision never (re)opens
    /// or cancels a plan, and a decision already applied changes nothing.
    static func apply(_ decision: DecisionMadeV1, at time: Date?, event: CloudEvent, on connection: PostgresConnection)
        async throws
    {
        let initiative = decision.initiativeId
        // One initiative's decisions are applied one at a time, even across instances.
        _ = try await connection.query(
            "SELECT pg_advisory_xact_lock(hashtext($1)::bigint) AS locked", ["styrbord.benefits.decisions." + initiative.description])
        try await connection.execute(
            """
            INSERT INTO decisions (decision_id, initiative_id, supersedes, outcome, rationale, decided_on, decided_at, received_at)
            VALUES ($1, $2, $3, $4, $5, $6::date, $7, $8)
            ON CONFLICT (decision_id) DO NOTHING
            """,
            [decision.decisionId, initiative.rawValue, decision.supersedesDecisionId, decision.outcome.rawValue, decision.rationale,
             CalendarDate(decision.decidedOn)?.description, time, Date()])
        let known = try await connection.query(
            "SELECT \(KnownDecision.columns) FROM decisions WHERE initiative_id = $1", [initiative.rawValue]
        ).map(KnownDecision.init(row:))
        guard let inForce = PlanDecisions.inForce(known) else { return }
        let plan = try await connection.query(
            "SELECT \(PlanRecord.columns) FROM benefit_plans WHERE initiative_id = $1 FOR UPDATE", [initiative.rawValue]
        ).first.map(PlanRecord.init(row:))
        let state = plan.map {
            PlanDecisions.PlanState(decisionId: $0.decisionId, cancelledBy: $0.cancellation?.decisionId, evaluated: $0.phase == .evaluated)
        }
        let now = Date()
        let source = EventSource.of(service: "benefits")
        let traceParent = event.extensions[TraceParent.header]
        switch (PlanDecisions.action(for: state, inForce: inForce), plan) {
        case (.nothing, _):
            return
        case (.create, _):
            let planId = UUID()
            try await connection.execute(
                """
                INSERT INTO benefit_plans (plan_id, initiative_id, organisation_id, title, decision_id, status, created_at,
                                           ssg_prioritised, benefits, goal_areas)
                VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7,
                        coalesce((SELECT benefits FROM analysis_benefits WHERE initiative_id = $2), '[]'::jsonb),
                        coalesce((SELECT ARRAY[goal_area] FROM need_goal_areas WHERE initiative_id = $2), '{}'))
                """,
                [planId, initiative.rawValue, decision.organisationId.rawValue, decision.title, inForce.decisionId,
                 now, decision.decidingBody == .ssg])
            try await Outbox.enqueue(
                BenefitPlanCreatedV1(
                    planId: planId, initiativeId: initiative, organisationId: decision.organisationId, title: decision.title,
                    createdAt: now),
                about: initiative, topic: Topic.benefits, source: source, traceParent: traceParent, on: connection)
        case (.cancel, .some(let plan)):
            let cancellation = PlanCancellation(
                decisionId: inForce.decisionId, outcome: inForce.outcome, reason: inForce.rationale ?? "",
                decidedOn: inForce.decidedOn, cancelledAt: now, previousStatus: plan.status)
            try await connection.execute(
                """
                UPDATE benefit_plans SET status = 'cancelled', cancellation = $2::jsonb, version = version + 1, updated_at = $3
                WHERE initiative_id = $1
                """, [initiative.rawValue, PostgresJSON(cancellation), now])
            try await Outbox.enqueue(
                BenefitPlanCancelledV1(
                    planId: plan.planId, initiativeId: initiative, organisationId: plan.organisationId, title: plan.title,
                    decisionId: inForce.decisionId, outcome: inForce.outcome, reason: cancellation.reason,
                    previousStatus: plan.status, cancelledAt: now),
                about: initiative, topic: Topic.benefits, source: source, traceParent: traceParent, on: connection)
        case (.reopen, .some(let plan)):
            let status = plan.cancellation?.previousStatus ?? "draft"
            try await connection.execute(
                """
                UPDATE benefit_plans SET status = $2, cancellation = NULL, decision_id = $3, version = version + 1, updated_at = $4
                WHERE initiative_id = $1
                """, [initiative.rawValue, status, inForce.decisionId, now])
            try await Outbox.enqueue(
                BenefitPlanReopenedV1(
                    planId: plan.planId, initiativeId: initiative, organisationId: plan.organisationId, title: plan.title,
                    decisionId: inForce.decisionId, status: status, reopenedAt: now),
                about: initiative, topic: Topic.benefits, source: source, traceParent: traceParent, on: connection)
        case (.follow, .some(let plan)):
            if var cancellation = plan.cancellation {
                // Deferred, then rejected (or the other way round): still cancelled, by the newer decision.
                cancellation.decisionId = inForce.decisionId
                cancellation.outcome = inForce.outcome
                cancellation.reason = inForce.rationale ?? ""
                cancellation.decidedOn = inForce.decidedOn
                try await connection.execute(
                    "UPDATE benefit_plans SET cancellation = $2::jsonb, version = version + 1, updated_at = $3 WHERE initiative_id = $1",
                    [initiative.rawValue, PostgresJSON(cancellation), now])
            } else {
                // A changed prioritisation (another financing, say): the plan now rests on it.
                try await connection.execute(
                    "UPDATE benefit_plans SET decision_id = $2, version = version + 1, updated_at = $3 WHERE initiative_id = $1",
                    [initiative.rawValue, inForce.decisionId, now])
            }
        case (.cancel, nil), (.reopen, nil), (.follow, nil):
            return
        }
    }

    /// Keeps the need's goal area; a plan that has none yet (nobody chose one) takes it.
    static func rememberGoalArea(of need: NeedSubmittedV1, on connection: PostgresConnection) async throws {
        guard let area = need.goalArea else { return }
        try await connection.execute(
            """
            INSERT INTO need_goal_areas (initiative_id, goal_area, received_at) VALUES ($1, $2, $3)
            ON CONFLICT (initiative_id) DO UPDATE SET goal_area = EXCLUDED.goal_area, received_at = EXCLUDED.received_at
            """, [need.initiativeId.rawValue, area.rawValue, Date()])
        try await connection.execute(
            "UPDATE benefit_plans SET goal_areas = ARRAY[$2::text] WHERE initiative_id = $1 AND goal_areas = '{}'",
            [need.initiativeId.rawValue, area.rawValue])
    }

    /// The largest JSON body a write accepts.
    static let bodyLimit = 262_144

    static func addRoutes(to router: Router<StyrbordRequestContext>, resources: ServiceResources) {
        let pool = resources.pool
        let plans = PlanRepository(pool: pool, eventSource: resources.eventSource)
        let register = RegisterRepository(pool: pool)
        let cityPlan = CityPlanRepository(pool: pool)

        @Sendable func respond(_ plan: PlanRecord, on connection: PostgresConnection, status: HTTPResponse.Status = .ok) async throws
            -> StoredResponse
        {
            try .json(try await plans.view(plan, on: connection), status: status, etag: plan.etag)
        }

        router.get("v1/plans") { request, context in
            let identity = try context.requireIdentity()
            let page = try PageRequest(request)
            let all = identity.hasAny([.admin, .ssg, .auditor])
            let rows = try await pool.withConnection { connection in
                try await connection.query(
                    """
                    SELECT \(PlanRecord.columns) FROM benefit_plans WHERE seq > $1 AND ($3::boolean OR organisation_id = $4)
                    ORDER BY seq LIMIT $2
                    """, [page.afterSequence, page.limit + 1, all, identity.organisationId.rawValue])
            }
            return try JSONResponse.make(try Page.from(rows, limit: page.limit) { PlanSummary(try PlanRecord(row: $0)) })
        }
        router.get("v1/plans/:id") { _, context in
            let identity = try context.requireIdentity()
            let plan = try await plans.resource(try context.initiativeParameter(), visibleTo: identity)
            return try JSONResponse.make(plan, headers: [.eTag: "\"\(plan.version)\""])
        }
        router.put("v1/plans/:id") { request, context in
            let id = try context.initiativeParameter()
            let version = try request.ifMatchVersion()
            return try await Idempotency.respond(to: request, context: context, pool: pool, limit: bodyLimit) { body, identity, connection in
                let input = try JSONRequest.decode(PlanInput.self, from: body)
                try Problem.throwIfAny(input.validationProblems())
                let plan = try await plans.edit(
                    id, input, ifMatch: version ?? 0, by: identity, traceParent: request.traceParent, on: connection)
                return try await respond(plan, on: connection)
            }
        }
        router.post("v1/plans/:id/agree") { request, context in
            let id = try context.initiativeParameter()
            let version = try request.ifMatchVersion(required: false)
            return try await Idempotency.respond(to: request, context: context, pool: pool) { _, identity, connection in
                let plan = try await plans.agree(id, ifMatch: version, by: identity, traceParent: request.traceParent, on: connection)
                return try await respond(plan, on: connection)
            }
        }
        router.post("v1/plans/:id/phase") { request, context in
            let id = try context.initiativeParameter()
            let version = try request.ifMatchVersion(required: false)
            return try await Idempotency.respond(to: request, context: context, pool: pool) { body, identity, connection in
                let input = try JSONRequest.decode(PhaseInput.self, from: body)
                let plan = try await plans.changePhase(
                    id, input, ifMatch: version, by: identity, traceParent: request.traceParent, on: connection)
                return try await respond(plan, on: connection)
            }
        }
        router.put("v1/plans/:id/publication") { request, context in
            let id = try context.initiativeParameter()
            return try await Idempotency.respond(to: request, context: context, pool: pool) { body, identity, connection in
                let input = try JSONRequest.decode(PublicationInput.self, from: body)
                return try await respond(try await plans.publish(id, input, by: identity, on: connection), on: connection)
            }
        }
        router.get("v1/plans/:id/benefits/:benefitId/measurements") { _, context in
            let identity = try context.requireIdentity()
            let id = try context.initiativeParameter()
            let benefit = try context.uuidParameter("benefitId")
            return try JSONResponse.make(
                Page(items: try await plans.measurements(id, benefit: benefit, visibleTo: identity), nextCursor: nil))
        }
        router.post("v1/plans/:id/benefits/:benefitId/measurements") { request, context in
            let id = try context.initiativeParameter()
            let benefit = try context.uuidParameter("benefitId")
            return try await Idempotency.respond(to: request, context: context, pool: pool) { body, identity, connection in
                let input = try JSONRequest.decode(MeasurementInput.self, from: body)
                try Problem.throwIfAny(input.validationProblems(today: CalendarDate.todayInStockholm))
                let measurement = try await plans.recordMeasurement(
                    id, benefit: benefit, input, by: identity, traceParent: request.traceParent, on: connection)
                return try .json(
                    measurement, status: .created,
                    location: "/v1/plans/\(id)/benefits/\(benefit.uuidString)/measurements")
            }
        }
        router.post("v1/plans/:id/deviations/:deviationId/action") { request, context in
            let id = try context.initiativeParameter()
            let deviation = try context.uuidParameter("deviationId")
            return try await Idempotency.respond(to: request, context: context, pool: pool) { body, identity, connection in
                let input = try JSONRequest.decode(DeviationActionInput.self, from: body)
                try Problem.throwIfAny(input.validationProblems(today: CalendarDate.todayInStockholm))
                let plan = try await plans.recordDeviationAction(id, deviation: deviation, input, by: identity, on: connection)
                return try await respond(plan, on: connection)
            }
        }
        router.post("v1/plans/:id/evaluation") { request, context in
            let id = try context.initiativeParameter()
            let version = try request.ifMatchVersion(required: false)
            return try await Idempotency.respond(to: request, context: context, pool: pool) { body, identity, connection in
                let input = try JSONRequest.decode(EvaluationInput.self, from: body)
                try Problem.throwIfAny(input.validationProblems())
                let plan = try await plans.evaluate(
                    id, input, ifMatch: version, by: identity, traceParent: request.traceParent, on: connection)
                return try await respond(plan, on: connection)
            }
        }

        // Roll-ups, the register and the open feed.
        router.get("v1/realisation") { request, context in
            let identity = try context.requireIdentity()
            let organisation = try request.organisationQuery()
            return try JSONResponse.make(try await register.realisation(organisation: organisation, visibleTo: identity))
        }
        router.get("v1/register") { request, context in
            let identity = try context.requireIdentity()
            let filter = try RegisterFilter(request)
            let page = try PageRequest(request)
            let result = try await register.list(filter, page: page, visibleTo: identity)
            let wantsCSV = try request.queryChoice("format", allowed: ["json", "csv"]) == "csv"
                || (request.uri.queryParameters["format"] == nil && request.headers[.accept]?.contains("text/csv") == true)
            return wantsCSV ? RegisterCSV.response(result) : try JSONResponse.make(result)
        }
        router.get("public/v1/initiatives") { request, _ in
            let page = try PageRequest(request)
            return try JSONResponse.make(try await register.publicFeed(page: page))
        }

        // The city plan.
        router.get("v1/city-plan") { _, context in
            let identity = try context.requireIdentity()
            return try JSONResponse.make(try await cityPlan.plan(visibleTo: identity))
        }
        router.get("v1/city-plan/report") { _, context in
            _ = try context.requireIdentity()
            return try JSONResponse.make(try await cityPlan.report())
        }
        router.put("v1/city-plan/actions/:actionId") { request, context in
            let actionId = context.parameters.get("actionId") ?? ""
            let version = try request.ifMatchVersion()
            return try await Idempotency.respond(to: request, context: context, pool: pool) { body, identity, connection in
                try identity.require(anyOf: [.admin, .ssg], to: "changing the status of a city plan action")
                let input = try JSONRequest.decode(ActionStatusInput.self, from: body)
                try Problem.throwIfAny(input.validationProblems())
                let action = try await cityPlan.setStatus(actionId, input, ifMatch: version ?? 0, by: identity, on: connection)
                return try .json(action, etag: "\"\(action.version)\"")
            }
        }
    }
}

extension RequestContext {
    /// A UUID in the path; a 422 problem otherwise.
    func uuidParameter(_ name: String) throws -> UUID {
        guard let id = parameters.get(name).flatMap(UUID.init(uuidString:)) else {
            throw Problem.validation([.init(name: name, reason: "must be a UUID")])
        }
        return id
    }
}

extension Request {
    /// `?organisationId=`, validated.
    func organisationQuery() throws -> OrganisationID? {
        guard let text = uri.queryParameters["organisationId"].map(String.init) else { return nil }
        guard let id = OrganisationID(text) else {
            throw Problem.validation([.init(name: "organisationId", reason: "must be an organisation id (a-z, 0-9, -)")])
        }
        return id
    }
}
