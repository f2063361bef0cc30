import Domain
import Foundation

private let schemaBase = "https://styrbord.goteborg.se/schemas/events/"

/// The benefit owners agreed the benefit realisation plan: this version (revision 1) is
/// the immutable baseline the initiative is followed up against. Source: benefits.
public struct BenefitPlanAgreedV1: EventPayload, Equatable {
    public static let eventType = "se.goteborg.styrbord.benefit-plan.agreed.v1"
    public static let schemaURI = schemaBase + "benefit-plan.agreed.v1.json"

    public var planId: UUID
    public var initiativeId: InitiativeID
    public var organisationId: OrganisationID
    public var title: String
    public var revision: Int
    public var benefitCount: Int
    /// The `sub` of who agreed it.
    public var agreedBy: String
    public var agreedAt: Date

    public init(
        planId: UUID, initiativeId: InitiativeID, organisationId: OrganisationID, title: String, revision: Int,
        benefitCount: Int, agreedBy: String, agreedAt: Date
    ) {
        self.planId = planId
        self.initiativeId = initiativeId
        self.organisationId = organisationId
        self.title = title
        self.revision = revision
        self.benefitCount = benefitCount
        self.agreedBy = agreedBy
        self.agreedAt = agreedAt
    }
}

/// An agreed plan was changed: a new revision with its reason; the baseline stays. Source: benefits.
public struct BenefitPlanRevisedV1: EventPayload, Equatable {
    public static let eventType = "se.goteborg.styrbord.benefit-plan.revised.v1"
    public static let schemaURI = schemaBase + "benefit-plan.revised.v1.json"

    public var planId: UUID
    public var initiativeId: InitiativeID
    public var organisationId: OrganisationID
    public var title: String
    public var revision: Int
    public var reason: String
    public var benefitCount: Int
    public var revisedBy: String
    public var revisedAt: Date

    public init(
        planId: UUID, initiativeId: InitiativeID, organisationId: OrganisationID, title: String, revision: Int,
        reason: String, benefitCount: Int, revisedBy: String, revisedAt: Date
    ) {
        self.planId = planId
        self.initiativeId = initiativeId
        self.organisationId = organisationId
        self.title = title
        self.revision = revision
        self.reason = reason
        self.benefitCount = benefitCount
        self.revisedBy = revisedBy
        self.revisedAt = revisedAt
    }
}

/// The initiative moved to its next phase (initiate → develop → implement → management →
/// evaluated). Source: benefits.
public struct InitiativePhaseChangedV1: EventPayload, Equatable {
    public static let eventType = "se.goteborg.styrbord.initiative-phase.changed.v1"
    public static let schemaURI = schemaBase + "initiative-phase.changed.v1.json"

    public var initiativeId: InitiativeID
    public var organisationId: OrganisationID
    public var title: String
    public var from: InitiativePhase
    public var to: InitiativePhase
    /// The go-live date, once fixed (entering implement fixes it).
    public var goLiveOn: CalendarDate?
    /// The management plan (förvaltningsplan), from the management phase on.
    public var managementPlanReference: String?
    public var changedBy: String
    public var changedAt: Date

    public init(
        initiativeId: InitiativeID, organisationId: OrganisationID, title: String, from: InitiativePhase,
        to: InitiativePhase, goLiveOn: CalendarDate?, managementPlanReference: String?, changedBy: String, changedAt: Date
    ) {
        self.initiativeId = initiativeId
        self.organisationId = organisationId
        self.title = title
        self.from = from
        self.to = to
        self.goLiveOn = goLiveOn
        self.managementPlanReference = managementPlanReference
        self.changedBy = changedBy
        self.changedAt = changedAt
    }
}

/// A measurement put a benefit ≥ 25 percentage points behind its expected path: the
/// board must decide an action (avvikelse). Source: benefits.
public struct BenefitDeviatingV1: EventPayload, Equatable {
    public static let eventType = "se.goteborg.styrbord.benefit.deviating.v1"
    public static let schemaURI = schemaBase + "benefit.deviating.v1.json"

    public var deviationId: UUID
    public var initiativeId: InitiativeID
    public var organisationId: OrganisationID
    public var title: String
    public var benefitId: UUID
    public var benefitDescription: String
    /// The share of the planned change reached (decimal text, 1 = the target).
    public var share: String
    /// The share expected on the measurement date (decimal text).
    public var expectedShare: String
    /// The two shares in percent, one decimal (`"10"`, `"49.6"`), for messages to people.
    public var sharePercent: String
    public var expectedSharePercent: String
    public var measuredOn: CalendarDate
    public var detectedAt: Date

    public init(
        deviationId: UUID, initiativeId: InitiativeID, organisationId: OrganisationID, title: String, benefitId: UUID,
        benefitDescription: String, share: Decimal, expectedShare: Decimal, measuredOn: CalendarDate, detectedAt: Date
    ) {
        self.deviationId = deviationId
        self.initiativeId = initiativeId
        self.organisationId = organisationId
        self.title = title
        self.benefitId = benefitId
        self.benefitDescription = benefitDescription
        self.share = share.description
        self.expectedShare = expectedShare.description
        self.sharePercent = Self.percent(share)
        self.expectedSharePercent = Self.percent(expectedShare)
        self.measuredOn = measuredOn
        self.detectedAt = detectedAt
    }
}

extension BenefitDeviatingV1 {
    /// `share` × 100 rounded to one decimal.
    static func percent(_ share: Decimal) -> String {
        var value = share * 100
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, 1, .plain)
        return rounded.description
    }
}

/// A scheduled follow-up of one benefit: due soon (reminder) or past its date without a
/// measurement (escalation). The two kinds share their fields. Source: benefits.
public struct FollowUpNotice: Codable, Sendable, Equatable {
    public var followUpId: UUID
    public var initiativeId: InitiativeID
    /// The initiative's organisation.
    public var organisationId: OrganisationID
    /// The organisation of the benefit's owner (nyttoägare), who records the measurement.
    public var ownerOrganisationId: OrganisationID
    public var title: String
    public var benefitId: UUID
    public var benefitDescription: String
    /// Months after go-live.
    public var months: Int
    public var dueOn: CalendarDate

    public init(
        followUpId: UUID, initiativeId: InitiativeID, organisationId: OrganisationID, ownerOrganisationId: OrganisationID,
        title: String, benefitId: UUID, benefitDescription: String, months: Int, dueOn: CalendarDate
    ) {
        self.followUpId = followUpId
        self.initiativeId = initiativeId
        self.organisationId = organisationId
        self.ownerOrganisationId = ownerOrganisationId
        self.title = title
        self.benefitId = benefitId
        self.benefitDescription = benefitDescription
        self.months = months
        self.dueOn = dueOn
    }
}

/// A follow-up is due within the reminder window. Source: benefits (scheduled job).
public struct FollowUpDueV1: EventPayload, Equatable {
    public static let eventType = "se.goteborg.styrbord.follow-up.due.v1"
    public static let schemaURI = schemaBase + "follow-up.due.v1.json"

    public var notice: FollowUpNotice

    public init(_ notice: FollowUpNotice) { self.notice = notice }
    public init(from decoder: any Decoder) throws { notice = try FollowUpNotice(from: decoder) }
    public func encode(to encoder: any Encoder) throws { try notice.encode(to: encoder) }
}

/// A follow-up passed its date without a measurement. Source: benefits (scheduled job).
public struct FollowUpOverdueV1: EventPayload, Equatable {
    public static let eventType = "se.goteborg.styrbord.follow-up.overdue.v1"
    public static let schemaURI = schemaBase + "follow-up.overdue.v1.json"

    public var notice: FollowUpNotice

    public init(_ notice: FollowUpNotice) { self.notice = notice }
    public init(from decoder: any Decoder) throws { notice = try FollowUpNotice(from: decoder) }
    public func encode(to encoder: any Encoder) throws { try notice.encode(to: encoder) }
}

/// The initiative was evaluated: planned against realised per benefit and the lessons
/// learned (erfarenhetsåtervinning). Its last event. Source: benefits.
public struct InitiativeEvaluatedV1: EventPayload, Equatable {
    public static let eventType = "se.goteborg.styrbord.initiative.evaluated.v1"
    public static let schemaURI = schemaBase + "initiative.evaluated.v1.json"

    /// One benefit's outcome.
    public struct Outcome: Codable, Sendable, Equatable {
        public var benefitId: UUID
        public var description: String
        public var status: RealisationStatus
        /// Share of the planned change reached (decimal text), when measured.
        public var share: String?

        public init(benefitId: UUID, description: String, status: RealisationStatus, share: Decimal?) {
            self.benefitId = benefitId
            self.description = description
            self.status = status
            self.share = share?.description
        }
    }

    public var initiativeId: InitiativeID
    public var organisationId: OrganisationID
    public var title: String
    public var outcomes: [Outcome]
    public var lessonsLearned: String
    public var evaluatedBy: String
    public var evaluatedAt: Date

    public init(
        initiativeId: InitiativeID, organisationId: OrganisationID, title: String, outcomes: [Outcome],
        lessonsLearned: String, evaluatedBy: String, evaluatedAt: Date
    ) {
        self.initiativeId = initiativeId
        self.organisationId = organisationId
        self.title = title
        self.outcomes = outcomes
        self.lessonsLearned = lessonsLearned
        self.evaluatedBy = evaluatedBy
        self.evaluatedAt = evaluatedAt
    }
}

/// A later decision deferred or rejected the initiative, so its benefit realisation plan
/// is cancelled (avbruten): it stays readable, takes no changes, and its follow-ups are no
/// longer due. Source: benefits.
public struct BenefitPlanCancelledV1: EventPayload, Equatable {
    public static let eventType = "se.goteborg.styrbord.benefit-plan.cancelled.v1"
    public static let schemaURI = schemaBase + "benefit-plan.cancelled.v1.json"

    public var planId: UUID
    public var initiativeId: InitiativeID
    public var organisationId: OrganisationID
    public var title: String
    /// The decision that cancelled the plan.
    public var decisionId: UUID
    /// Deferred or rejected.
    public var outcome: DecisionOutcome
    /// The decision's rationale (motivering).
    public var reason: String
    /// The plan's status before (draft or agreed), to which a later prioritisation reopens it.
    public var previousStatus: String
    public var cancelledAt: Date

    public init(
        planId: UUID, initiativeId: InitiativeID, organisationId: OrganisationID, title: String, decisionId: UUID,
        outcome: DecisionOutcome, reason: String, previousStatus: String, cancelledAt: Date
    ) {
        self.planId = planId
        self.initiativeId = initiativeId
        self.organisationId = organisationId
        self.title = title
        self.decisionId = decisionId
        self.outcome = outcome
        self.reason = reason
        self.previousStatus = previousStatus
        self.cancelledAt = cancelledAt
    }
}

/// A later decision prioritised a deferred or rejected initiative again: its cancelled
/// plan is open again, in the status it had. Source: benefits.
public struct BenefitPlanReopenedV1: EventPayload, Equatable {
    public static let eventType = "se.goteborg.styrbord.benefit-plan.reopened.v1"
    public static let schemaURI = schemaBase + "benefit-plan.reopened.v1.json"

    public var planId: UUID
    public var initiativeId: InitiativeID
    public var organisationId: OrganisationID
    public var title: String
    /// The prioritising decision the plan now rests on.
    public var decisionId: UUID
    /// Draft or agreed: the status the plan had when it was cancelled.
    public var status: String
    public var reopenedAt: Date

    public init(
        planId: UUID, initiativeId: InitiativeID, organisationId: OrganisationID, title: String, decisionId: UUID,
        status: String, reopenedAt: Date
    ) {
        self.planId = planId
        self.initiativeId = initiativeId
        self.organisationId = organisationId
        self.title = title
        self.decisionId = decisionId
        self.status = status
        self.reopenedAt = reopenedAt
    }
}
