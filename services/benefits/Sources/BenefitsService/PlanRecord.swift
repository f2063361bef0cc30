import Contracts
import Domain
import Foundation
import Persistence
import ServiceKit

/// A benefit realisation plan as stored.
struct PlanRecord: Sendable {
    var planId: UUID
    var initiativeId: InitiativeID
    var organisationId: OrganisationID
    var title: String
    var decisionId: UUID
    var status: String
    var createdAt: Date
    var updatedAt: Date?
    var version: Int
    var revision: Int
    var benefits: [PlannedBenefit]
    var goalAreas: [GoalArea]
    var ssgPrioritised: Bool
    var phase: InitiativePhase
    var goLiveOn: CalendarDate?
    var managementPlanReference: String?
    var published: Bool
    var agreedBy: String?
    var agreedByName: String?
    var agreedAt: Date?
    var evaluation: Evaluation?
    /// Set while a later decision has deferred or rejected the initiative.
    var cancellation: PlanCancellation?

    var etag: String { "\"\(version)\"" }
    var isAgreed: Bool { status == "agreed" }
    var isCancelled: Bool { status == "cancelled" }

    init(row: PostgresRow) throws {
        planId = try row.decode("plan_id")
        initiativeId = try row.initiativeID()
        organisationId = try row.organisationID("organisation_id")
        title = try row.decode("title")
        decisionId = try row.decode("decision_id")
        status = try row.decode("status")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at", as: Date?.self)
        version = try row.decode("version")
        revision = try row.decode("revision")
        benefits = try row.decode("benefits", as: PostgresJSON<[PlannedBenefit]>.self).value
        goalAreas = try row.decode("goal_areas", as: [String].self).compactMap(GoalArea.init(rawValue:))
        ssgPrioritised = try row.decode("ssg_prioritised")
        phase = try row.decode("phase", as: InitiativePhase.self)
        goLiveOn = try row.decode("go_live_on_text", as: String?.self).flatMap(CalendarDate.init)
        managementPlanReference = try row.decode("management_plan_reference", as: String?.self)
        published = try row.decode("published")
        agreedBy = try row.decode("agreed_by", as: String?.self)
        agreedByName = try row.decode("agreed_by_name", as: String?.self)
        agreedAt = try row.decode("agreed_at", as: Date?.self)
        evaluation = try row.decode("evaluation", as: PostgresJSON<Evaluation>?.self)?.value
        cancellation = try row.decode("cancellation", as: PostgresJSON<PlanCancellation>?.self)?.value
    }

    /// The columns to select (dates as text: `CalendarDate` is not a PostgreSQL codec).
    static let columns = "*, go_live_on::text AS go_live_on_text"

    func benefit(_ id: UUID) -> PlannedBenefit? { benefits.first { $0.benefitId == id } }
}

/// Who may see and change a plan.
enum PlanAccess {
    /// SSG, auditors and admins read every plan; others their organisation's and those
    /// whose benefits their organisation owns.
    static func canRead(_ plan: PlanRecord, _ identity: Identity) -> Bool {
        identity.hasAny([.admin, .ssg, .auditor]) || plan.organisationId == identity.organisationId
            || plan.benefits.contains { $0.owner?.organisationId == identity.organisationId }
    }

    /// Benefit owners of the plan's organisation and admins change a plan.
    static func requireOwner(_ plan: PlanRecord, _ identity: Identity, to action: String) throws(Problem) {
        try identity.require(anyOf: [.benefitOwner, .admin], to: action)
        try identity.require(organisation: plan.organisationId, to: action)
    }

    /// Measurements: benefit owners of the plan's organisation or of the benefit owner's
    /// organisation, and admins.
    static func requireMeasurer(_ plan: PlanRecord, _ benefit: PlannedBenefit, _ identity: Identity) throws(Problem) {
        let action = "recording a measurement"
        try identity.require(anyOf: [.benefitOwner, .admin], to: action)
        guard identity.has(.admin) || identity.organisationId == plan.organisationId
            || identity.organisationId == benefit.owner?.organisationId
        else {
            throw Problem.forbidden(
                "\(action) is only allowed for the benefit owners of \(plan.organisationId)"
                    + (benefit.owner.map { " or \($0.organisationId)" } ?? "") + "; you act for \(identity.organisationId)")
        }
    }
}

/// The latest measurement of a benefit.
struct MeasurementRecord: Codable, Sendable {
    var measurementId: UUID
    var benefitId: UUID
    var value: Quantity
    var measuredOn: CalendarDate
    var source: String
    var comment: String?
    var share: String?
    var expectedShare: String?
    var status: RealisationStatus
    var recordedBy: String
    var recordedAt: Date

    init(row: PostgresRow) throws {
        measurementId = try row.decode("measurement_id")
        benefitId = try row.decode("benefit_id")
        value = Quantity(try row.decode("value", as: Decimal.self))
        measuredOn = try CalendarDate(try row.decode("measured_on_text", as: String.self)).orThrow("measured_on")
        source = try row.decode("source")
        comment = try row.decode("comment", as: String?.self)
        share = try row.decode("share", as: Decimal?.self)?.description
        expectedShare = try row.decode("expected_share", as: Decimal?.self)?.description
        status = try row.decode("status", as: RealisationStatus.self)
        recordedBy = try row.decode("recorded_by")
        recordedAt = try row.decode("recorded_at")
    }

    static let columns = "*, measured_on::text AS measured_on_text"

    var shareValue: Decimal? { share.flatMap { Decimal(string: $0) } }
}

/// Reads the latest measurement of every benefit of some initiatives.
enum LatestMeasurements {
    static func load(_ initiatives: [InitiativeID], on connection: PostgresConnection) async throws
        -> [InitiativeID: [UUID: MeasurementRecord]]
    {
        guard !initiatives.isEmpty else { return [:] }
        let rows = try await connection.query(
            """
            SELECT DISTINCT ON (initiative_id, benefit_id) \(MeasurementRecord.columns) FROM measurements
            WHERE initiative_id = ANY($1::uuid[])
            ORDER BY initiative_id, benefit_id, measured_on DESC, seq DESC
            """, [initiatives.map(\.rawValue.uuidString)])
        var latest: [InitiativeID: [UUID: MeasurementRecord]] = [:]
        for row in rows {
            let measurement = try MeasurementRecord(row: row)
            latest[try row.initiativeID(), default: [:]][measurement.benefitId] = measurement
        }
        return latest
    }
}
