import Contracts
import Domain
import Foundation
import ServiceKit

/// A benefit as reads show it: the current revision's fields, the agreed baseline's
/// version beside them, the latest measurement and the status it gives.
struct BenefitView: Encodable, Sendable {
    var benefit: PlannedBenefit
    /// The benefit as agreed in the baseline; nil while the plan is a draft or for a
    /// benefit added by a later revision.
    var agreed: PlannedBenefit?
    var latestMeasurement: MeasurementRecord?
    var status: RealisationStatus

    enum CodingKeys: String, CodingKey { case agreed, latestMeasurement, status }

    func encode(to encoder: any Encoder) throws {
        try benefit.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(agreed, forKey: .agreed)
        try container.encodeIfPresent(latestMeasurement, forKey: .latestMeasurement)
        try container.encode(status, forKey: .status)
    }
}

/// The counts behind a roll-up: benefits per status and the economic value planned and
/// realised (value × share, the share held to 0…1).
struct RealisationSummary: Encodable, Sendable {
    var status: RealisationStatus
    var benefits: Int
    var byStatus: [String: Int]
    var plannedEconomicValue: SEK
    var realisedEconomicValue: SEK

    static func of(_ benefits: [(PlannedBenefit, MeasurementRecord?)]) -> RealisationSummary {
        var byStatus = Dictionary(uniqueKeysWithValues: RealisationStatus.allCases.map { ($0.rawValue, 0) })
        var planned = SEK.zero
        var realised = SEK.zero
        var statuses: [RealisationStatus] = []
        for (benefit, latest) in benefits {
            let status = latest?.status ?? .notMeasured
            statuses.append(status)
            byStatus[status.rawValue, default: 0] += 1
            if let value = benefit.economicValue {
                planned = planned + value
                let share = min(max(latest?.shareValue ?? 0, 0), 1)
                realised = realised + SEK(value.amount * share)
            }
        }
        return RealisationSummary(
            status: RealisationRules.worst(statuses), benefits: benefits.count, byStatus: byStatus,
            plannedEconomicValue: planned, realisedEconomicValue: realised)
    }
}

struct AgreementView: Encodable, Sendable {
    var agreedBy: String
    var agreedByName: String?
    var agreedAt: Date
}

struct RevisionView: Encodable, Sendable {
    var revision: Int
    var reason: String?
    var madeBy: String
    var madeAt: Date
}

struct BaselineView: Encodable, Sendable {
    var revision: Int
    var benefits: [PlannedBenefit]
}

struct FollowUpView: Encodable, Sendable {
    var followUpId: UUID
    var benefitId: UUID
    var months: Int
    var dueOn: CalendarDate
    /// scheduled, due (reminded), overdue (escalated)
    var notices: [String]
}

struct DeviationView: Encodable, Sendable {
    var deviationId: UUID
    var benefitId: UUID
    var measurementId: UUID
    var share: String
    var expectedShare: String
    var detectedAt: Date
    var action: DeviationAction?
}

/// `GET /v1/plans/{id}`: the plan with baseline and current side by side.
struct PlanResource: Encodable, Sendable {
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
    var phase: InitiativePhase
    var goLiveOn: CalendarDate?
    var managementPlanReference: String?
    var published: Bool
    var goalAreas: [GoalArea]
    var ssgPrioritised: Bool
    var agreement: AgreementView?
    var baseline: BaselineView?
    var benefits: [BenefitView]
    var revisions: [RevisionView]
    var followUps: [FollowUpView]
    var deviations: [DeviationView]
    var realisation: RealisationSummary
    var evaluation: Evaluation?
    /// Why the plan is cancelled, while it is.
    var cancellation: PlanCancellation?
    /// Every decision on the initiative the service has seen, oldest first.
    var decisions: [DecisionView]
}

/// A decision on the initiative, as plan reads show it.
struct DecisionView: Encodable, Sendable {
    var decisionId: UUID
    var outcome: DecisionOutcome
    var rationale: String?
    var decidedOn: String?
    var supersedesDecisionId: UUID?
    /// True for the one decision in force: the newest.
    var inForce: Bool

    init(_ decision: KnownDecision, inForce: Bool) {
        decisionId = decision.decisionId
        outcome = decision.outcome
        rationale = decision.rationale
        decidedOn = decision.decidedOn
        supersedesDecisionId = decision.supersedes
        self.inForce = inForce
    }
}

/// `GET /v1/plans`: the plan without its history.
struct PlanSummary: Encodable, Sendable {
    var planId: UUID
    var initiativeId: InitiativeID
    var organisationId: OrganisationID
    var title: String
    var decisionId: UUID
    var status: String
    var createdAt: Date
    var revision: Int
    var phase: InitiativePhase
    var published: Bool
    var benefitCount: Int

    init(_ plan: PlanRecord) {
        planId = plan.planId
        initiativeId = plan.initiativeId
        organisationId = plan.organisationId
        title = plan.title
        decisionId = plan.decisionId
        status = plan.status
        createdAt = plan.createdAt
        revision = plan.revision
        phase = plan.phase
        published = plan.published
        benefitCount = plan.benefits.count
    }
}
