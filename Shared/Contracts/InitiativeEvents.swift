import Domain
import Foundation

private let schemaBase = "https://styrbord.goteborg.se/schemas/events/"

/// A need (behov) was registered and submitted for analysis. Source: intake.
public struct NeedSubmittedV1: EventPayload, Equatable {
    public static let eventType = "se.goteborg.styrbord.need.submitted.v1"
    public static let schemaURI = schemaBase + "need.submitted.v1.json"

    public var initiativeId: InitiativeID
    public var organisationId: OrganisationID
    public var track: Track
    public var title: String
    public var description: String
    public var category: NeedCategory
    public var driver: NeedDriver
    public var targetGroups: [TargetGroup]
    public var submittedAt: Date
    // Added within v1 (optional, so earlier producers' events stay valid):
    public var goalArea: GoalArea?
    public var urgency: Urgency?
    public var expectedBenefits: [ExpectedBenefit]?
    public var roughCost: RoughCost?
    /// The `sub` of who submitted it.
    public var submittedBy: String?

    public init(
        initiativeId: InitiativeID, organisationId: OrganisationID, track: Track, title: String, description: String,
        category: NeedCategory, driver: NeedDriver, targetGroups: [TargetGroup], submittedAt: Date,
        goalArea: GoalArea? = nil, urgency: Urgency? = nil, expectedBenefits: [ExpectedBenefit]? = nil,
        roughCost: RoughCost? = nil, submittedBy: String? = nil
    ) {
        self.goalArea = goalArea
        self.urgency = urgency
        self.expectedBenefits = expectedBenefits
        self.roughCost = roughCost
        self.submittedBy = submittedBy
        self.initiativeId = initiativeId
        self.organisationId = organisationId
        self.track = track
        self.title = title
        self.description = description
        self.category = category
        self.driver = driver
        self.targetGroups = targetGroups
        self.submittedAt = submittedAt
    }
}

/// An analysis case was opened for a submitted need. Source: analysis.
public struct AnalysisOpenedV1: EventPayload, Equatable {
    public static let eventType = "se.goteborg.styrbord.analysis.opened.v1"
    public static let schemaURI = schemaBase + "analysis.opened.v1.json"

    public var initiativeId: InitiativeID
    public var organisationId: OrganisationID
    public var track: Track
    public var title: String
    /// Who analyses: the organisation itself (track 1) or the supplier (track 2).
    public var analysingOrganisationId: OrganisationID
    public var openedAt: Date

    public init(
        initiativeId: InitiativeID, organisationId: OrganisationID, track: Track, title: String,
        analysingOrganisationId: OrganisationID, openedAt: Date
    ) {
        self.initiativeId = initiativeId
        self.organisationId = organisationId
        self.track = track
        self.title = title
        self.analysingOrganisationId = analysingOrganisationId
        self.openedAt = openedAt
    }
}

/// The analysis is complete: its cost and benefit summary and, since the analysis issue,
/// the full figures, benefit lines and classification. Source: analysis.
public struct AnalysisCompletedV1: EventPayload, Equatable {
    public static let eventType = "se.goteborg.styrbord.analysis.completed.v1"
    public static let schemaURI = schemaBase + "analysis.completed.v1.json"

    public var initiativeId: InitiativeID
    public var organisationId: OrganisationID
    public var track: Track
    public var title: String
    public var analysingOrganisationId: OrganisationID
    public var summary: AnalysisSummary
    public var completedAt: Date
    /// Added within v1 (optional, absent from older producers): the full figures of the
    /// cost-benefit analysis (NPV, payback, TCO, benefit/cost ratio).
    public var costBenefit: CostBenefitFigures?
    /// Added within v1: the benefit lines, from which benefit tracking builds its plan.
    public var benefits: [BenefitLine]?
    /// Added within v1: the information classification (C, I, A: 1–4).
    public var classification: InformationClassification?
    /// Added within v1: whether the DPIA rule requires a data protection impact assessment.
    public var dpiaRequired: Bool?
    /// Added within v1: reuse, extend or new (återanvändning).
    public var reuseDecision: ReuseDecision?

    public init(
        initiativeId: InitiativeID, organisationId: OrganisationID, track: Track, title: String,
        analysingOrganisationId: OrganisationID, summary: AnalysisSummary, completedAt: Date,
        costBenefit: CostBenefitFigures? = nil, benefits: [BenefitLine]? = nil,
        classification: InformationClassification? = nil, dpiaRequired: Bool? = nil, reuseDecision: ReuseDecision? = nil
    ) {
        self.initiativeId = initiativeId
        self.organisationId = organisationId
        self.track = track
        self.title = title
        self.analysingOrganisationId = analysingOrganisationId
        self.summary = summary
        self.completedAt = completedAt
        self.costBenefit = costBenefit
        self.benefits = benefits
        self.classification = classification
        self.dpiaRequired = dpiaRequired
        self.reuseDecision = reuseDecision
    }
}

/// A decision on an initiative (prioriterad / uppskjuten / avslagen). Source: prioritisation.
public struct DecisionMadeV1: EventPayload, Equatable {
    public static let eventType = "se.goteborg.styrbord.decision.made.v1"
    public static let schemaURI = schemaBase + "decision.made.v1.json"

    public var decisionId: UUID
    public var initiativeId: InitiativeID
    public var organisationId: OrganisationID
    public var track: Track
    public var title: String
    public var outcome: DecisionOutcome
    public var financingType: FinancingType?
    public var decidingBody: DecidingBody
    public var rationale: String
    /// The meeting date (YYYY-MM-DD).
    public var decidedOn: String
    public var followedBySLK: Bool
    // Added within v1 by the prioritisation issue (optional, absent from older producers):
    /// The prioritisation round it was decided in.
    public var roundId: UUID?
    /// Diarienummer: the case number in the city's records.
    public var caseNumber: String?
    /// The version of the round's criteria and weights the decision used.
    public var criteriaVersion: Int?
    /// The earlier decision on the initiative that this one changes.
    public var supersedesDecisionId: UUID?

    public init(
        decisionId: UUID, initiativeId: InitiativeID, organisationId: OrganisationID, track: Track, title: String,
        outcome: DecisionOutcome, financingType: FinancingType?, decidingBody: DecidingBody, rationale: String,
        decidedOn: String, followedBySLK: Bool
    ) {
        self.decisionId = decisionId
        self.initiativeId = initiativeId
        self.organisationId = organisationId
        self.track = track
        self.title = title
        self.outcome = outcome
        self.financingType = financingType
        self.decidingBody = decidingBody
        self.rationale = rationale
        self.decidedOn = decidedOn
        self.followedBySLK = followedBySLK
    }
}

/// A benefit realisation plan (nyttorealiseringsplan) was created for a prioritised
/// initiative, pre-filled from the analysis's benefit lines when they have arrived; the
/// benefit owners complete and agree it. Source: benefits.
public struct BenefitPlanCreatedV1: EventPayload, Equatable {
    public static let eventType = "se.goteborg.styrbord.benefit-plan.created.v1"
    public static let schemaURI = schemaBase + "benefit-plan.created.v1.json"

    public var planId: UUID
    public var initiativeId: InitiativeID
    public var organisationId: OrganisationID
    public var title: String
    public var createdAt: Date

    public init(planId: UUID, initiativeId: InitiativeID, organisationId: OrganisationID, title: String, createdAt: Date) {
        self.planId = planId
        self.initiativeId = initiativeId
        self.organisationId = organisationId
        self.title = title
        self.createdAt = createdAt
    }
}

/// All event contracts, for the catalogue and schema tests.
public enum EventCatalogue {
    public static let all: [any EventPayload.Type] = [
        NeedSubmittedV1.self, AnalysisOpenedV1.self, AnalysisCompletedV1.self, DecisionMadeV1.self,
        BenefitPlanCreatedV1.self, NeedDraftedV1.self, NeedUpdatedV1.self, NeedWithdrawnV1.self,
        SupplierProposalSubmittedV1.self, ExemptionRegisteredV1.self, OrganisationRegisteredV1.self,
        OrganisationUpdatedV1.self, OverlapDetectedV1.self, BenefitPlanAgreedV1.self, BenefitPlanRevisedV1.self,
        InitiativePhaseChangedV1.self, BenefitDeviatingV1.self, FollowUpDueV1.self, FollowUpOverdueV1.self,
        InitiativeEvaluatedV1.self, BenefitPlanCancelledV1.self, BenefitPlanReopenedV1.self,
    ]
}
