import Contracts
import Domain
import Foundation
import HTTPTypes
import Persistence
import ServiceKit

/// Stores plans and their events together: every change and the event announcing it
/// commit in one transaction (outbox).
struct PlanRepository: Sendable {
    let pool: PostgresPool
    let eventSource: String

    // MARK: Reading

    func find(_ id: InitiativeID, on connection: PostgresConnection, lock: Bool = false) async throws -> PlanRecord? {
        try await connection.query(
            "SELECT \(PlanRecord.columns) FROM benefit_plans WHERE initiative_id = $1" + (lock ? " FOR UPDATE" : ""),
            [id.rawValue]
        ).first.map(PlanRecord.init(row:))
    }

    func resource(_ id: InitiativeID, visibleTo identity: Identity) async throws -> PlanResource {
        try await pool.withConnection { connection in
            guard let plan = try await find(id, on: connection), PlanAccess.canRead(plan, identity) else {
                throw Problem.notFound("no benefit plan for \(id) that you can see")
            }
            return try await view(plan, on: connection)
        }
    }

    /// The plan locked for change; 404 when hidden, 403 when the caller is not one of its
    /// owners (unless `ownersOnly` is false: the caller checks finer rules itself), 409
    /// when a later decision cancelled it, 412 when `version` is stale.
    func lockedForChange(
        _ id: InitiativeID, by identity: Identity, ifMatch version: Int?, action: String, ownersOnly: Bool = true,
        on connection: PostgresConnection
    ) async throws -> PlanRecord {
        guard let plan = try await find(id, on: connection, lock: true), PlanAccess.canRead(plan, identity) else {
            throw Problem.notFound("no benefit plan for \(id) that you can see; it is made when the initiative is prioritised")
        }
        if ownersOnly { try PlanAccess.requireOwner(plan, identity, to: action) }
        // Before the version: a cancelled plan takes no change, so a fresh ETag would not help.
        if let cancellation = plan.cancellation { throw cancellation.problem(id) }
        if let version, plan.version != version { throw Problem.preconditionFailed(current: plan.etag) }
        return plan
    }

    func view(_ plan: PlanRecord, on connection: PostgresConnection) async throws -> PlanResource {
        let latest = try await LatestMeasurements.load([plan.initiativeId], on: connection)[plan.initiativeId] ?? [:]
        let revisionRows = try await connection.query(
            "SELECT revision, reason, made_by, made_at, benefits FROM plan_revisions WHERE initiative_id = $1 ORDER BY revision",
            [plan.initiativeId.rawValue])
        var revisions: [RevisionView] = []
        var baseline: BaselineView?
        for row in revisionRows {
            let revision: Int = try row.decode("revision")
            revisions.append(
                RevisionView(
                    revision: revision, reason: try row.decode("reason", as: String?.self), madeBy: try row.decode("made_by"),
                    madeAt: try row.decode("made_at")))
            if revision == 1 {
                baseline = BaselineView(
                    revision: 1, benefits: try row.decode("benefits", as: PostgresJSON<[PlannedBenefit]>.self).value)
            }
        }
        let followUpRows = try await connection.query(
            """
            SELECT f.follow_up_id, f.benefit_id, f.months, f.due_on::text AS due_on_text,
                   coalesce(array_agg(n.kind ORDER BY n.kind) FILTER (WHERE n.kind IS NOT NULL), '{}') AS notices
            FROM follow_ups f LEFT JOIN follow_up_notices n ON n.follow_up_id = f.follow_up_id
            WHERE f.initiative_id = $1 GROUP BY f.follow_up_id ORDER BY f.due_on, f.benefit_id
            """, [plan.initiativeId.rawValue])
        let followUps = try followUpRows.map { row in
            FollowUpView(
                followUpId: try row.decode("follow_up_id"), benefitId: try row.decode("benefit_id"), months: try row.decode("months"),
                dueOn: try CalendarDate(try row.decode("due_on_text", as: String.self)).orThrow("due_on"),
                notices: try row.decode("notices", as: [String].self))
        }
        let deviationRows = try await connection.query(
            "SELECT * FROM deviations WHERE initiative_id = $1 ORDER BY seq", [plan.initiativeId.rawValue])
        let deviations = try deviationRows.map { row in
            DeviationView(
                deviationId: try row.decode("deviation_id"), benefitId: try row.decode("benefit_id"),
                measurementId: try row.decode("measurement_id"), share: try row.decode("share", as: Decimal.self).description,
                expectedShare: try row.decode("expected_share", as: Decimal.self).description, detectedAt: try row.decode("detected_at"),
                action: try row.decode("action", as: PostgresJSON<DeviationAction>?.self)?.value)
        }
        let decisions = try await connection.query(
            "SELECT \(KnownDecision.columns) FROM decisions WHERE initiative_id = $1", [plan.initiativeId.rawValue]
        ).map(KnownDecision.init(row:))
        let inForce = PlanDecisions.inForce(decisions)?.decisionId
        let agreedBenefits = Dictionary(
            (baseline?.benefits ?? []).map { ($0.benefitId, $0) }, uniquingKeysWith: { first, _ in first })
        let benefits = plan.benefits.map { benefit in
            BenefitView(
                benefit: benefit, agreed: agreedBenefits[benefit.benefitId], latestMeasurement: latest[benefit.benefitId],
                status: latest[benefit.benefitId]?.status ?? .notMeasured)
        }
        return PlanResource(
            planId: plan.planId, initiativeId: plan.initiativeId, organisationId: plan.organisationId, title: plan.title,
            decisionId: plan.decisionId, status: plan.status, createdAt: plan.createdAt, updatedAt: plan.updatedAt,
            version: plan.version, revision: plan.revision, phase: plan.phase, goLiveOn: plan.goLiveOn,
            managementPlanReference: plan.managementPlanReference, published: plan.published, goalAreas: plan.goalAreas,
            ssgPrioritised: plan.ssgPrioritised,
            agreement: plan.agreedBy.flatMap { by in
                plan.agreedAt.map { AgreementView(agreedBy: by, agreedByName: plan.agreedByName, agreedAt: $0) }
            },
            baseline: baseline, benefits: benefits, revisions: revisions, followUps: followUps, deviations: deviations,
            realisation: RealisationSummary.of(plan.benefits.map { ($0, latest[$0.benefitId]) }), evaluation: plan.evaluation,
            cancellation: plan.cancellation,
            decisions: PlanDecisions.chronological(decisions).map { DecisionView($0, inForce: $0.decisionId == inForce) })
    }

    // MARK: Changing the plan

    /// Replaces the draft's benefits, or makes a new revision of an agreed plan (with a reason).
    func edit(
        _ id: InitiativeID, _ input: PlanInput, ifMatch version: Int, by identity: Identity, traceParent: String?,
        on connection: PostgresConnection
    ) async throws -> PlanRecord {
        var plan = try await lockedForChange(id, by: identity, ifMatch: version, action: "changing a benefit plan", on: connection)
        guard plan.phase != .evaluated else { throw Problem.conflict("initiative \(id) is evaluated; its plan is closed") }
        let reason = input.reason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if plan.isAgreed && reason.isEmpty {
            throw Problem.validation([
                .init(name: "reason", reason: "is required: the plan is agreed, so a change makes a new revision and must say why")
            ])
        }
        let known = Set(plan.benefits.map(\.benefitId))
        var problems: [Problem.InvalidParameter] = []
        for (index, benefit) in input.benefits.enumerated() {
            if let given = benefit.benefitId, !known.contains(given) {
                problems.append(.init(name: "benefits[\(index)].benefitId", reason: "names no benefit of this plan; leave it out for a new benefit"))
            }
        }
        try Problem.throwIfAny(problems)
        let benefits = input.benefits.map { PlannedBenefit(input: $0, id: $0.benefitId ?? UUID()) }
        if plan.isAgreed {
            let missing = Self.agreementProblems(benefits)
            guard missing.isEmpty else { throw Problem.validation(missing) }
        }
        let now = Date()
        plan.benefits = benefits
        if let areas = input.goalAreas { plan.goalAreas = areas }
        if plan.isAgreed {
            plan.revision += 1
            try await connection.execute(
                "INSERT INTO plan_revisions (initiative_id, revision, benefits, reason, made_by, made_at) VALUES ($1, $2, $3::jsonb, $4, $5, $6)",
                [id.rawValue, plan.revision, PostgresJSON(benefits), reason, identity.subject, now])
            try await Outbox.enqueue(
                BenefitPlanRevisedV1(
                    planId: plan.planId, initiativeId: id, organisationId: plan.organisationId, title: plan.title,
                    revision: plan.revision, reason: reason, benefitCount: benefits.count, revisedBy: identity.subject,
                    revisedAt: now),
                about: id, topic: Topic.benefits, source: eventSource, traceParent: traceParent, on: connection)
        }
        try await save(&plan, at: now, on: connection)
        if plan.goLiveOn != nil { try await scheduleFollowUps(plan, on: connection) }
        return plan
    }

    static func agreementProblems(_ benefits: [PlannedBenefit]) -> [Problem.InvalidParameter] {
        var problems: [Problem.InvalidParameter] = []
        if benefits.isEmpty { problems.append(.init(name: "benefits", reason: "must have at least one benefit to agree the plan")) }
        for (index, benefit) in benefits.enumerated() {
            problems += benefit.missingForAgreement.map { .init(name: "benefits[\(index)].\($0.0)", reason: $0.1) }
        }
        return problems
    }

    /// Agrees the draft: this version becomes revision 1, the immutable baseline.
    func agree(
        _ id: InitiativeID, ifMatch version: Int?, by identity: Identity, traceParent: String?, on connection: PostgresConnection
    ) async throws -> PlanRecord {
        var plan = try await lockedForChange(id, by: identity, ifMatch: version, action: "agreeing a benefit plan", on: connection)
        guard !plan.isAgreed else { return plan }
        let missing = Self.agreementProblems(plan.benefits)
        guard missing.isEmpty else {
            throw Problem(
                status: .conflict, type: "https://styrbord.goteborg.se/problems/plan-incomplete",
                title: "Planen är inte komplett / The plan is incomplete",
                detail: "fill in every benefit before agreeing: " + missing.map(\.name).joined(separator: ", "),
                invalidParameters: missing)
        }
        let now = Date()
        try await connection.execute(
            "INSERT INTO plan_revisions (initiative_id, revision, benefits, reason, made_by, made_at) VALUES ($1, 1, $2::jsonb, NULL, $3, $4)",
            [id.rawValue, PostgresJSON(plan.benefits), identity.subject, now])
        try await connection.execute(
            "UPDATE benefit_plans SET status = 'agreed', agreed_by = $2, agreed_by_name = $3, agreed_at = $4 WHERE initiative_id = $1",
            [id.rawValue, identity.subject, identity.name, now])
        plan.status = "agreed"
        plan.agreedBy = identity.subject
        plan.agreedByName = identity.name
        plan.agreedAt = now
        try await save(&plan, at: now, on: connection)
        try await Outbox.enqueue(
            BenefitPlanAgreedV1(
                planId: plan.planId, initiativeId: id, organisationId: plan.organisationId, title: plan.title, revision: 1,
                benefitCount: plan.benefits.count, agreedBy: identity.subject, agreedAt: now),
            about: id, topic: Topic.benefits, source: eventSource, traceParent: traceParent, on: connection)
        return plan
    }

    /// Moves the initiative one phase forward; entering implement fixes go-live and the
    /// follow-up dates.
    func changePhase(
        _ id: InitiativeID, _ input: PhaseInput, ifMatch version: Int?, by identity: Identity, traceParent: String?,
        on connection: PostgresConnection
    ) async throws -> PlanRecord {
        var plan = try await lockedForChange(id, by: identity, ifMatch: version, action: "changing an initiative's phase", on: connection)
        if plan.phase == input.phase { return plan }
        guard input.phase != .evaluated else {
            throw Problem.conflict("an initiative is evaluated through POST /v1/plans/\(id)/evaluation, which records the outcome")
        }
        guard let next = plan.phase.next, input.phase == next else {
            throw Problem.conflict(
                "initiative \(id) is in phase \(plan.phase.rawValue); phases only move forward one at a time, next is "
                    + (plan.phase.next?.rawValue ?? "none"))
        }
        var problems: [Problem.InvalidParameter] = []
        if input.goLiveOn != nil && next != .implement {
            problems.append(.init(name: "goLiveOn", reason: "is only given when entering implement (go-live)"))
        }
        let reference = input.managementPlanReference?.trimmingCharacters(in: .whitespaces) ?? ""
        if next == .management && !(1...300).contains(reference.count) {
            problems.append(.init(name: "managementPlanReference", reason: "is required to enter management: the management plan (förvaltningsplan), 1 to 300 characters"))
        }
        try Problem.throwIfAny(problems)
        if next == .develop && !plan.isAgreed {
            throw Problem.conflict("agree the benefit plan (POST /v1/plans/\(id)/agree) before delivery starts")
        }
        let from = plan.phase
        plan.phase = next
        if next == .implement { plan.goLiveOn = input.goLiveOn ?? CalendarDate.todayInStockholm }
        if next == .management { plan.managementPlanReference = reference }
        let now = Date()
        try await connection.execute(
            "UPDATE benefit_plans SET phase = $2, go_live_on = $3::date, management_plan_reference = $4 WHERE initiative_id = $1",
            [id.rawValue, next.rawValue, plan.goLiveOn?.description, plan.managementPlanReference])
        try await save(&plan, at: now, on: connection)
        if next == .implement { try await scheduleFollowUps(plan, on: connection) }
        try await Outbox.enqueue(
            InitiativePhaseChangedV1(
                initiativeId: id, organisationId: plan.organisationId, title: plan.title, from: from, to: next,
                goLiveOn: plan.goLiveOn, managementPlanReference: plan.managementPlanReference, changedBy: identity.subject,
                changedAt: now),
            about: id, topic: Topic.benefits, source: eventSource, traceParent: traceParent, on: connection)
        return plan
    }

    /// One follow-up per benefit and scheduled month; existing ones keep their dates.
    func scheduleFollowUps(_ plan: PlanRecord, on connection: PostgresConnection) async throws {
        guard let goLive = plan.goLiveOn else { return }
        for benefit in plan.benefits {
            for months in benefit.followUpMonths {
                try await connection.execute(
                    """
                    INSERT INTO follow_ups (follow_up_id, initiative_id, benefit_id, months, due_on) VALUES ($1, $2, $3, $4, $5::date)
                    ON CONFLICT (initiative_id, benefit_id, months) DO NOTHING
                    """,
                    [UUID(), plan.initiativeId.rawValue, benefit.benefitId, months, goLive.adding(months: months).description])
            }
        }
    }

    func publish(_ id: InitiativeID, _ input: PublicationInput, by identity: Identity, on connection: PostgresConnection)
        async throws -> PlanRecord
    {
        var plan = try await lockedForChange(
            id, by: identity, ifMatch: nil, action: "publishing an initiative to the open feed", on: connection)
        guard plan.published != input.published else { return plan }
        plan.published = input.published
        try await connection.execute("UPDATE benefit_plans SET published = $2 WHERE initiative_id = $1", [id.rawValue, input.published])
        try await save(&plan, at: Date(), on: connection)
        return plan
    }

    // MARK: Measurements and deviations

    func recordMeasurement(
        _ id: InitiativeID, benefit benefitId: UUID, _ input: MeasurementInput, by identity: Identity, traceParent: String?,
        on connection: PostgresConnection
    ) async throws -> MeasurementRecord {
        let plan = try await lockedForChange(
            id, by: identity, ifMatch: nil, action: "recording a measurement", ownersOnly: false, on: connection)
        guard let benefit = plan.benefit(benefitId) else {
            throw Problem.notFound("plan \(id) has no benefit \(benefitId)")
        }
        try PlanAccess.requireMeasurer(plan, benefit, identity)
        guard plan.isAgreed else { throw Problem.conflict("agree the plan before recording measurements against it") }
        guard plan.phase != .evaluated else { throw Problem.conflict("initiative \(id) is evaluated; its follow-up is closed") }
        guard let baseline = benefit.baseline, let target = benefit.target else {
            throw Problem.conflict("benefit \(benefitId) has no baseline and target to measure against")
        }
        let realisation = RealisationRules.assess(
            value: input.value.value, on: input.measuredOn, baseline: baseline.value.value, target: target.value.value,
            goLive: plan.goLiveOn, targetDate: target.date)
        let status = realisation?.status ?? .onTrack
        let previous = try await connection.query(
            """
            SELECT status, measured_on::text AS measured_on_text FROM measurements WHERE initiative_id = $1 AND benefit_id = $2
            ORDER BY measured_on DESC, seq DESC LIMIT 1
            """, [id.rawValue, benefitId])
        let previousStatus = try previous.first.map { try $0.decode("status", as: RealisationStatus.self) }
        let previousDate = try previous.first.flatMap { CalendarDate(try $0.decode("measured_on_text", as: String.self)) }
        let measurementId = UUID()
        let now = Date()
        let source = input.source.trimmingCharacters(in: .whitespaces)
        let rows = try await connection.query(
            """
            INSERT INTO measurements (measurement_id, initiative_id, benefit_id, value, measured_on, source, comment, share,
                                      expected_share, status, recorded_by, recorded_at)
            VALUES ($1, $2, $3, $4, $5::date, $6, $7, $8, $9, $10, $11, $12) RETURNING \(MeasurementRecord.columns)
            """,
            [measurementId, id.rawValue, benefitId, input.value.value, input.measuredOn.description, source, input.comment,
             realisation?.share, realisation?.expectedShare, status.rawValue, identity.subject, now])
        let record = try MeasurementRecord(row: try rows.first.orThrow("the inserted measurement"))
        let isLatest = previousDate.map { input.measuredOn >= $0 } ?? true
        if let realisation, status == .deviating, isLatest, previousStatus != .deviating {
            let deviationId = UUID()
            try await connection.execute(
                """
                INSERT INTO deviations (deviation_id, initiative_id, benefit_id, measurement_id, share, expected_share, detected_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                """,
                [deviationId, id.rawValue, benefitId, measurementId, realisation.share, realisation.expectedShare, now])
            try await Outbox.enqueue(
                BenefitDeviatingV1(
                    deviationId: deviationId, initiativeId: id, organisationId: plan.organisationId, title: plan.title,
                    benefitId: benefitId, benefitDescription: benefit.description, share: realisation.share,
                    expectedShare: realisation.expectedShare, measuredOn: input.measuredOn, detectedAt: now),
                about: id, topic: Topic.benefits, source: eventSource, traceParent: traceParent, on: connection)
        }
        return record
    }

    func measurements(_ id: InitiativeID, benefit benefitId: UUID, visibleTo identity: Identity) async throws -> [MeasurementRecord] {
        try await pool.withConnection { connection in
            guard let plan = try await find(id, on: connection), PlanAccess.canRead(plan, identity) else {
                throw Problem.notFound("no benefit plan for \(id) that you can see")
            }
            guard plan.benefit(benefitId) != nil else { throw Problem.notFound("plan \(id) has no benefit \(benefitId)") }
            return try await connection.query(
                """
                SELECT \(MeasurementRecord.columns) FROM measurements WHERE initiative_id = $1 AND benefit_id = $2
                ORDER BY measured_on, seq
                """, [id.rawValue, benefitId]
            ).map(MeasurementRecord.init(row:))
        }
    }

    func recordDeviationAction(
        _ id: InitiativeID, deviation deviationId: UUID, _ input: DeviationActionInput, by identity: Identity,
        on connection: PostgresConnection
    ) async throws -> PlanRecord {
        var plan = try await lockedForChange(
            id, by: identity, ifMatch: nil, action: "recording the board's action on a deviation", on: connection)
        let action = DeviationAction(
            board: input.board.trimmingCharacters(in: .whitespaces), decidedOn: input.decidedOn,
            action: input.action.trimmingCharacters(in: .whitespacesAndNewlines), reference: input.reference,
            recordedBy: identity.subject, recordedAt: Date())
        let updated = try await connection.execute(
            "UPDATE deviations SET action = $3::jsonb WHERE initiative_id = $1 AND deviation_id = $2",
            [id.rawValue, deviationId, PostgresJSON(action)])
        guard updated == 1 else { throw Problem.notFound("initiative \(id) has no deviation \(deviationId)") }
        try await save(&plan, at: Date(), on: connection)
        return plan
    }

    // MARK: Evaluation

    func evaluate(
        _ id: InitiativeID, _ input: EvaluationInput, ifMatch version: Int?, by identity: Identity, traceParent: String?,
        on connection: PostgresConnection
    ) async throws -> PlanRecord {
        var plan = try await lockedForChange(id, by: identity, ifMatch: version, action: "evaluating an initiative", on: connection)
        if plan.phase == .evaluated { return plan }
        guard plan.phase == .management else {
            throw Problem.conflict("initiative \(id) is in phase \(plan.phase.rawValue); it is evaluated from management")
        }
        let latest = try await LatestMeasurements.load([id], on: connection)[id] ?? [:]
        let baseline = try await connection.query(
            "SELECT benefits FROM plan_revisions WHERE initiative_id = $1 AND revision = 1", [id.rawValue]
        ).first.map { try $0.decode("benefits", as: PostgresJSON<[PlannedBenefit]>.self).value } ?? []
        let outcomes = plan.benefits.map { benefit in
            let measured = latest[benefit.benefitId]
            return Evaluation.Outcome(
                benefitId: benefit.benefitId, description: benefit.description, indicator: benefit.indicator, unit: benefit.unit,
                baseline: benefit.baseline, agreedTarget: baseline.first { $0.benefitId == benefit.benefitId }?.target,
                plannedTarget: benefit.target,
                realised: measured.map { Reading(value: $0.value, date: $0.measuredOn) }, share: measured?.share,
                status: measured?.status ?? .notMeasured, comment: input.comments?[benefit.benefitId.uuidString])
        }
        let now = Date()
        let evaluation = Evaluation(
            outcomes: outcomes, lessonsLearned: input.lessonsLearned.trimmingCharacters(in: .whitespacesAndNewlines),
            evaluatedBy: identity.subject, evaluatedAt: now)
        try await connection.execute(
            "UPDATE benefit_plans SET phase = 'evaluated', evaluation = $2::jsonb WHERE initiative_id = $1",
            [id.rawValue, PostgresJSON(evaluation)])
        plan.phase = .evaluated
        plan.evaluation = evaluation
        try await save(&plan, at: now, on: connection)
        try await Outbox.enqueue(
            InitiativePhaseChangedV1(
                initiativeId: id, organisationId: plan.organisationId, title: plan.title, from: .management, to: .evaluated,
                goLiveOn: plan.goLiveOn, managementPlanReference: plan.managementPlanReference, changedBy: identity.subject,
                changedAt: now),
            about: id, topic: Topic.benefits, source: eventSource, traceParent: traceParent, on: connection)
        try await Outbox.enqueue(
            InitiativeEvaluatedV1(
                initiativeId: id, organisationId: plan.organisationId, title: plan.title,
                outcomes: outcomes.map {
                    .init(benefitId: $0.benefitId, description: $0.description, status: $0.status,
                          share: $0.share.flatMap { Decimal(string: $0) })
                },
                lessonsLearned: evaluation.lessonsLearned, evaluatedBy: identity.subject, evaluatedAt: now),
            about: id, topic: Topic.benefits, source: eventSource, traceParent: traceParent, on: connection)
        return plan
    }

    /// Writes the benefits, goal areas and revision, and bumps the version.
    private func save(_ plan: inout PlanRecord, at now: Date, on connection: PostgresConnection) async throws {
        try await connection.execute(
            """
            UPDATE benefit_plans SET benefits = $2::jsonb, goal_areas = $3::text[], revision = $4, updated_at = $5,
                version = version + 1
            WHERE initiative_id = $1
            """,
            [plan.initiativeId.rawValue, PostgresJSON(plan.benefits), plan.goalAreas.map(\.rawValue), plan.revision, now])
        plan.version += 1
        plan.updatedAt = now
    }
}

extension Problem {
    /// Throws a 422 listing every broken rule, when there is any.
    static func throwIfAny(_ problems: [InvalidParameter]) throws(Problem) {
        if !problems.isEmpty { throw Problem.validation(problems) }
    }
}
