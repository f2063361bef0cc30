import Contracts
import Domain
import Foundation
import Logging
import Persistence
import ServiceKit
import Testing

@testable import BenefitsService

/// The benefits service's event handler and follow-up job against the local stack's
/// PostgreSQL, in a schema of their own: the order in which the analysis and the decision
/// arrive does not matter, redelivery changes nothing, and concurrent job rounds announce
/// each follow-up once.
@Suite("Benefits handler and follow-up job against PostgreSQL", .serialized)
struct BenefitsHandlerTests {
    static var databaseURL: String {
        let environment = ProcessInfo.processInfo.environment
        return environment["STYRBORD_DATABASE_URL"]
            ?? "postgresql://postgres@127.0.0.1:\(environment["STYRBORD_PG_PORT"] ?? "55432")/styrbord"
    }

    /// A freshly migrated schema, dropped afterwards.
    static func withSchema(_ body: (PostgresPool) async throws -> Void) async throws {
        let schema = "benefits_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(10)
        let logger = Logger(label: "benefits-test")
        let pool = PostgresPool(
            configuration: PostgresConfiguration(connectionString: databaseURL, maximumConnections: 4, searchPath: schema),
            logger: logger)
        defer { pool.close() }
        try await ServiceHost.migrate(BenefitsService.definition, pool: pool, schema: schema, logger: logger)
        do {
            try await body(pool)
        } catch {
            _ = try? await pool.withConnection { try await $0.execute("DROP SCHEMA \(schema) CASCADE") }
            throw error
        }
        _ = try await pool.withConnection { try await $0.execute("DROP SCHEMA \(schema) CASCADE") }
    }

    static let organisation = OrganisationID("aldre-vard-omsorg")!

    static func analysis(_ initiative: InitiativeID) throws -> CloudEvent {
        let summary = AnalysisSummary(oneOffCost: SEK(1000), annualCost: SEK(100), annualBenefit: SEK(500), lifetimeYears: 4, note: "")
        return try CloudEvent(
            AnalysisCompletedV1(
                initiativeId: initiative, organisationId: organisation, track: .organisationSpecific, title: "Trygghetslarm",
                analysingOrganisationId: organisation, summary: summary, completedAt: Date(),
                benefits: [
                    BenefitLine(description: "Frigjord tid", stakeholder: .employees, kind: .economic, annualAmount: SEK(150_000)),
                    BenefitLine(description: "Snabbare besked", stakeholder: .residents, kind: .qualitative, score: 4, indicator: "Dagar"),
                ]),
            source: "/styrbord/analysis", subject: initiative.description)
    }

    static func decision(
        _ initiative: InitiativeID, _ outcome: DecisionOutcome = .prioritised, id: UUID = UUID(), supersedes: UUID? = nil,
        rationale: String = "Nytta"
    ) throws -> CloudEvent {
        var decision = DecisionMadeV1(
            decisionId: id, initiativeId: initiative, organisationId: organisation, track: .organisationSpecific,
            title: "Trygghetslarm", outcome: outcome, financingType: nil, decidingBody: .organisationBoard, rationale: rationale,
            decidedOn: "2026-11-20", followedBySLK: false)
        decision.supersedesDecisionId = supersedes
        return try CloudEvent(decision, source: "/styrbord/prioritisation", subject: initiative.description)
    }

    static func outboxCount(_ type: String, _ initiative: InitiativeID, _ pool: PostgresPool) async throws -> Int {
        try await pool.withConnection { connection in
            try await connection.query(
                "SELECT count(*)::int AS n FROM outbox WHERE event_type = $1 AND message_key = $2",
                ["se.goteborg.styrbord.\(type).v1", initiative.description]
            ).first?.decode("n", as: Int.self) ?? -1
        }
    }

    @Test("a later deferral or rejection cancels the plan, a later prioritisation reopens it; late, superseded and redelivered decisions change nothing")
    func supersedingDecisions() async throws {
        try await Self.withSchema { pool in
            // Prioritised, then rejected: cancelled with the decision and its reason; redelivery of both changes nothing.
            let rejectedLater = InitiativeID()
            let first = UUID()
            let rejection = UUID()
            let prioritised = try Self.decision(rejectedLater, id: first)
            let rejected = try Self.decision(rejectedLater, .rejected, id: rejection, supersedes: first, rationale: "Ryms inte i budgeten")
            try await Self.apply(prioritised, pool)
            try await Self.apply(rejected, pool)
            let cancelled = try #require(try await Self.plan(rejectedLater, pool))
            #expect(cancelled.status == "cancelled" && cancelled.version == 2 && cancelled.decisionId == first)
            #expect(cancelled.cancellation?.decisionId == rejection && cancelled.cancellation?.outcome == .rejected)
            #expect(cancelled.cancellation?.reason == "Ryms inte i budgeten" && cancelled.cancellation?.previousStatus == "draft")
            for event in [prioritised, rejected, prioritised] { try await Self.apply(event, pool) }
            #expect(try await Self.plan(rejectedLater, pool)?.version == 2, "redelivery changes nothing")
            #expect(try await Self.outboxCount("benefit-plan.created", rejectedLater, pool) == 1)
            #expect(try await Self.outboxCount("benefit-plan.cancelled", rejectedLater, pool) == 1)

            // The rejection arrives first, the prioritisation it superseded late: no plan ever.
            let lateFirst = InitiativeID()
            let superseded = UUID()
            try await Self.apply(try Self.decision(lateFirst, .rejected, supersedes: superseded), pool)
            try await Self.apply(try Self.decision(lateFirst, id: superseded), pool)
            #expect(try await Self.plan(lateFirst, pool) == nil)
            #expect(try await Self.outboxCount("benefit-plan.created", lateFirst, pool) == 0)

            // Prioritised, deferred, prioritised again: reopened, resting on the new decision; a late deferral changes nothing.
            let reopened = InitiativeID()
            let original = UUID()
            let deferral = UUID()
            let again = UUID()
            let deferred = try Self.decision(reopened, .deferred, id: deferral, supersedes: original)
            try await Self.apply(try Self.decision(reopened, id: original), pool)
            try await Self.apply(deferred, pool)
            #expect(try await Self.plan(reopened, pool)?.status == "cancelled")
            try await Self.apply(try Self.decision(reopened, id: again, supersedes: deferral), pool)
            try await Self.apply(deferred, pool)
            let open = try #require(try await Self.plan(reopened, pool))
            #expect(open.status == "draft" && open.cancellation == nil && open.decisionId == again && open.version == 3)
            #expect(try await Self.outboxCount("benefit-plan.reopened", reopened, pool) == 1)
            #expect(try await Self.outboxCount("benefit-plan.created", reopened, pool) == 1)

            // Deferred before any plan, then prioritised: the plan is made as for a first prioritisation.
            let deferredFirst = InitiativeID()
            let firstDeferral = UUID()
            try await Self.apply(try Self.decision(deferredFirst, .deferred, id: firstDeferral), pool)
            #expect(try await Self.plan(deferredFirst, pool) == nil)
            try await Self.apply(try Self.decision(deferredFirst, supersedes: firstDeferral), pool)
            #expect(try await Self.plan(deferredFirst, pool)?.status == "draft")
            #expect(try await Self.outboxCount("benefit-plan.created", deferredFirst, pool) == 1)
        }
    }

    @Test("the follow-up job announces nothing for a cancelled plan, and again once it is reopened")
    func jobSkipsCancelledPlans() async throws {
        try await Self.withSchema { pool in
            let initiative = InitiativeID()
            let first = UUID()
            let deferral = UUID()
            try await Self.apply(try Self.decision(initiative, id: first), pool)
            var benefit = PlannedBenefit(line: BenefitLine(description: "Nytta", stakeholder: .residents, kind: .qualitative, score: 3, indicator: "NKI"))
            benefit.benefitId = UUID()
            _ = try await pool.withConnection { connection in
                try await connection.execute(
                    "UPDATE benefit_plans SET benefits = $2::jsonb WHERE initiative_id = $1", [initiative.rawValue, PostgresJSON([benefit])])
                return try await connection.execute(
                    "INSERT INTO follow_ups (follow_up_id, initiative_id, benefit_id, months, due_on) VALUES ($1, $2, $3, 6, '2026-05-01')",
                    [UUID(), initiative.rawValue, benefit.benefitId])
            }
            try await Self.apply(try Self.decision(initiative, .deferred, id: deferral, supersedes: first), pool)
            let job = FollowUpJob(
                pool: pool, eventSource: "/styrbord/benefits", options: FollowUpJob.Options(), logger: Logger(label: "job"))
            let today = try #require(CalendarDate("2026-06-15"))
            #expect(try await job.runOnce(today: today) == 0, "a cancelled plan's follow-up is no longer due")
            try await Self.apply(try Self.decision(initiative, supersedes: deferral), pool)
            #expect(try await job.runOnce(today: today) == 1, "reopened, it is followed up again")
        }
    }

    static func apply(_ event: CloudEvent, _ pool: PostgresPool) async throws {
        try await pool.withTransaction { try await BenefitsService.handle(event, on: $0) }
    }

    static func plan(_ initiative: InitiativeID, _ pool: PostgresPool) async throws -> PlanRecord? {
        try await pool.withConnection { connection in
            try await connection.query(
                "SELECT \(PlanRecord.columns) FROM benefit_plans WHERE initiative_id = $1", [initiative.rawValue]
            ).first.map(PlanRecord.init(row:))
        }
    }

    static func count(_ sql: String, _ pool: PostgresPool) async throws -> Int {
        try await pool.withConnection { try await $0.query(sql).first?.decode("n", as: Int.self) ?? -1 }
    }

    @Test("the plan is pre-filled from the analysis whichever event arrives first, and redelivery changes nothing")
    func eitherOrder() async throws {
        try await Self.withSchema { pool in
            let analysisFirst = InitiativeID()
            let decision = try Self.decision(analysisFirst)
            try await Self.apply(try Self.analysis(analysisFirst), pool)
            try await Self.apply(decision, pool)
            try await Self.apply(decision, pool)

            let decisionFirst = InitiativeID()
            let analysis = try Self.analysis(decisionFirst)
            try await Self.apply(try Self.decision(decisionFirst), pool)
            #expect(try await Self.plan(decisionFirst, pool)?.benefits.isEmpty == true, "no benefit lines yet")
            try await Self.apply(analysis, pool)
            try await Self.apply(analysis, pool)

            for initiative in [analysisFirst, decisionFirst] {
                let plan = try #require(try await Self.plan(initiative, pool))
                #expect(plan.benefits.map(\.description) == ["Frigjord tid", "Snabbare besked"])
                #expect(plan.benefits.first?.economicValue == SEK(150_000))
                #expect(plan.benefits.allSatisfy { $0.followUpMonths == [6, 12] })
                #expect(plan.status == "draft" && plan.version == 1)
            }
            #expect(try await Self.count("SELECT count(*)::int AS n FROM outbox WHERE event_type LIKE '%benefit-plan.created%'", pool) == 2)

            let deferred = InitiativeID()
            try await Self.apply(try Self.decision(deferred, .deferred), pool)
            #expect(try await Self.plan(deferred, pool) == nil, "only prioritised initiatives get a plan")
        }
    }

    static func need(_ initiative: InitiativeID, _ area: GoalArea?) throws -> CloudEvent {
        try CloudEvent(
            NeedSubmittedV1(
                initiativeId: initiative, organisationId: organisation, track: .organisationSpecific, title: "Trygghetslarm",
                description: "RPA", category: .efficiency, driver: .ownNeed, targetGroups: [.residents], submittedAt: Date(),
                goalArea: area),
            source: "/styrbord/intake", subject: initiative.description)
    }

    @Test("the plan is linked to the goal area its need names, whichever arrives first; an owner's choice is kept")
    func goalAreaFromNeed() async throws {
        try await Self.withSchema { pool in
            let needFirst = InitiativeID()
            try await Self.apply(try Self.need(needFirst, .transparencyAccessibility), pool)
            try await Self.apply(try Self.decision(needFirst), pool)
            #expect(try await Self.plan(needFirst, pool)?.goalAreas == [.transparencyAccessibility])

            let decisionFirst = InitiativeID()
            try await Self.apply(try Self.decision(decisionFirst), pool)
            #expect(try await Self.plan(decisionFirst, pool)?.goalAreas == [])
            try await Self.apply(try Self.need(decisionFirst, .competenceSupply), pool)
            #expect(try await Self.plan(decisionFirst, pool)?.goalAreas == [.competenceSupply])

            _ = try await pool.withConnection { connection in
                try await connection.execute(
                    "UPDATE benefit_plans SET goal_areas = '{internal-external-balance}' WHERE initiative_id = $1", [decisionFirst.rawValue])
            }
            try await Self.apply(try Self.need(decisionFirst, .efficiencyInnovationBalance), pool)
            #expect(try await Self.plan(decisionFirst, pool)?.goalAreas == [.internalExternalBalance])

            let without = InitiativeID()
            try await Self.apply(try Self.need(without, nil), pool)
            try await Self.apply(try Self.decision(without), pool)
            #expect(try await Self.plan(without, pool)?.goalAreas == [])
        }
    }

    @Test("a late analysis does not overwrite a plan the benefit owners have already edited")
    func lateAnalysisKeepsEdits() async throws {
        try await Self.withSchema { pool in
            let initiative = InitiativeID()
            try await Self.apply(try Self.decision(initiative), pool)
            _ = try await pool.withConnection { connection in
                try await connection.execute(
                    """
                    UPDATE benefit_plans SET benefits = $2::jsonb, version = version + 1 WHERE initiative_id = $1
                    """,
                    [initiative.rawValue, PostgresJSON([PlannedBenefit(line: BenefitLine(description: "Egen nytta", stakeholder: .residents, kind: .qualitative, score: 3, indicator: "NKI"))])])
            }
            try await Self.apply(try Self.analysis(initiative), pool)
            #expect(try await Self.plan(initiative, pool)?.benefits.map(\.description) == ["Egen nytta"])
        }
    }

    @Test("concurrent job rounds announce each due and overdue follow-up exactly once, not a measured one nor one of a removed benefit")
    func jobAnnouncesOnce() async throws {
        try await Self.withSchema { pool in
            let initiative = InitiativeID()
            try await Self.apply(try Self.decision(initiative), pool)
            let measured = UUID()
            let overdue = UUID()
            let soon = UUID()
            let later = UUID()
            let removed = UUID()
            let today = try #require(CalendarDate("2026-06-15"))
            let benefitIds = (0..<4).map { _ in UUID() }
            let planned = benefitIds.map { id in
                var benefit = PlannedBenefit(line: BenefitLine(description: "Nytta", stakeholder: .residents, kind: .qualitative, score: 3, indicator: "NKI"))
                benefit.benefitId = id
                return benefit
            }
            _ = try await pool.withConnection { connection in
                try await connection.execute(
                    "UPDATE benefit_plans SET benefits = $2::jsonb WHERE initiative_id = $1", [initiative.rawValue, PostgresJSON(planned)])
                for (id, benefit, due) in [(measured, benefitIds[0], "2026-05-01"), (overdue, benefitIds[1], "2026-05-01"),
                                           (soon, benefitIds[2], "2026-06-20"), (later, benefitIds[3], "2026-08-01"),
                                           (removed, UUID(), "2026-05-01")] {
                    try await connection.execute(
                        "INSERT INTO follow_ups (follow_up_id, initiative_id, benefit_id, months, due_on) VALUES ($1, $2, $3, 6, $4::date)",
                        [id, initiative.rawValue, benefit, due])
                    if id == measured {
                        try await connection.execute(
                            """
                            INSERT INTO measurements (measurement_id, initiative_id, benefit_id, value, measured_on, source, status,
                                                      recorded_by, recorded_at)
                            VALUES ($1, $2, $3, 5, '2026-04-25', 'test', 'on-track', 'test', now())
                            """, [UUID(), initiative.rawValue, benefit])
                    }
                }
                return 0
            }
            let job = FollowUpJob(
                pool: pool, eventSource: "/styrbord/benefits", options: FollowUpJob.Options(), logger: Logger(label: "job"))
            let written = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 { group.addTask { try await job.runOnce(today: today) } }
                return try await group.reduce(0, +)
            }
            #expect(written == 2)
            #expect(try await job.runOnce(today: today) == 0, "a later round finds nothing new")
            let notices = try await pool.withConnection { connection in
                try await connection.query("SELECT follow_up_id, kind FROM follow_up_notices ORDER BY kind").map {
                    "\(try $0.decode("follow_up_id", as: UUID.self))/\(try $0.decode("kind", as: String.self))"
                }
            }
            #expect(notices == ["\(soon)/due", "\(overdue)/overdue"])
            #expect(try await Self.count("SELECT count(*)::int AS n FROM outbox WHERE event_type LIKE '%follow-up.%'", pool) == 2)
            // The reminded follow-up, once past its date, is escalated too — once.
            let afterDue = try #require(CalendarDate("2026-06-21"))
            #expect(try await job.runOnce(today: afterDue) == 1)
            #expect(try await job.runOnce(today: afterDue) == 0)
        }
    }
}
