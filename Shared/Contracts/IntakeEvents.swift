import Domain
import Foundation

private let schemaBase = "https://styrbord.goteborg.se/schemas/events/"

/// A need was saved as a draft (utkast); only its own organisation sees it. Source: intake.
public struct NeedDraftedV1: EventPayload, Equatable {
    public static let eventType = "se.goteborg.styrbord.need.drafted.v1"
    public static let schemaURI = schemaBase + "need.drafted.v1.json"

    public var initiativeId: InitiativeID
    public var organisationId: OrganisationID
    public var track: Track
    public var title: String
    public var draftedBy: String
    public var draftedAt: Date

    public init(
        initiativeId: InitiativeID, organisationId: OrganisationID, track: Track, title: String, draftedBy: String,
        draftedAt: Date
    ) {
        self.initiativeId = initiativeId
        self.organisationId = organisationId
        self.track = track
        self.title = title
        self.draftedBy = draftedBy
        self.draftedAt = draftedAt
    }
}

/// A submitted need was edited: which fields changed, and the need as it now reads
/// (the same fields as `need.submitted`). Source: intake.
public struct NeedUpdatedV1: EventPayload, Equatable {
    public static let eventType = "se.goteborg.styrbord.need.updated.v1"
    public static let schemaURI = schemaBase + "need.updated.v1.json"

    public var initiativeId: InitiativeID
    public var organisationId: OrganisationID
    /// API field names that changed, sorted (e.g. `["description", "roughCost"]`).
    public var changedFields: [String]
    public var need: NeedSubmittedV1
    /// The need's version after the change (its ETag).
    public var version: Int
    public var updatedBy: String
    public var updatedAt: Date

    public init(
        initiativeId: InitiativeID, organisationId: OrganisationID, changedFields: [String], need: NeedSubmittedV1,
        version: Int, updatedBy: String, updatedAt: Date
    ) {
        self.initiativeId = initiativeId
        self.organisationId = organisationId
        self.changedFields = changedFields
        self.need = need
        self.version = version
        self.updatedBy = updatedBy
        self.updatedAt = updatedAt
    }
}

/// A need was withdrawn (återkallat) by its organisation, with the reason. Source: intake.
public struct NeedWithdrawnV1: EventPayload, Equatable {
    public static let eventType = "se.goteborg.styrbord.need.withdrawn.v1"
    public static let schemaURI = schemaBase + "need.withdrawn.v1.json"

    public var initiativeId: InitiativeID
    public var organisationId: OrganisationID
    /// `draft` or `submitted`: where it was withdrawn from.
    public var previousStatus: String
    public var reason: String
    public var withdrawnBy: String
    public var withdrawnAt: Date

    public init(
        initiativeId: InitiativeID, organisationId: OrganisationID, previousStatus: String, reason: String,
        withdrawnBy: String, withdrawnAt: Date
    ) {
        self.initiativeId = initiativeId
        self.organisationId = organisationId
        self.previousStatus = previousStatus
        self.reason = reason
        self.withdrawnBy = withdrawnBy
        self.withdrawnAt = withdrawnAt
    }
}

/// A supplier of common services proposed an initiative (track 2) that answers one or
/// more customer needs; the proposal is an initiative of its own. Source: intake.
public struct SupplierProposalSubmittedV1: EventPayload, Equatable {
    public static let eventType = "se.goteborg.styrbord.proposal.submitted.v1"
    public static let schemaURI = schemaBase + "proposal.submitted.v1.json"

    public var initiativeId: InitiativeID
    public var supplierId: OrganisationID
    public var title: String
    public var description: String
    public var category: NeedCategory
    public var goalArea: GoalArea?
    /// The customer needs it answers.
    public var answersNeeds: [InitiativeID]
    /// The customer organisations of those needs, sorted.
    public var customerOrganisationIds: [OrganisationID]
    public var expectedBenefits: [ExpectedBenefit]
    public var roughCost: RoughCost?
    public var submittedBy: String
    public var submittedAt: Date

    public init(
        initiativeId: InitiativeID, supplierId: OrganisationID, title: String, description: String,
        category: NeedCategory, goalArea: GoalArea?, answersNeeds: [InitiativeID],
        customerOrganisationIds: [OrganisationID], expectedBenefits: [ExpectedBenefit], roughCost: RoughCost?,
        submittedBy: String, submittedAt: Date
    ) {
        self.initiativeId = initiativeId
        self.supplierId = supplierId
        self.title = title
        self.description = description
        self.category = category
        self.goalArea = goalArea
        self.answersNeeds = answersNeeds
        self.customerOrganisationIds = customerOrganisationIds
        self.expectedBenefits = expectedBenefits
        self.roughCost = roughCost
        self.submittedBy = submittedBy
        self.submittedAt = submittedAt
    }
}

/// The board's decision on an exemption (avsteg) from a mandatory base service.
public struct BoardDecision: Codable, Sendable, Equatable, Hashable {
    /// The deciding board (nämnd or bolagsstyrelse).
    public var board: String
    public var decidedOn: CalendarDate
    /// The minutes' paragraph or diary number (diarienummer).
    public var reference: String

    public init(board: String, decidedOn: CalendarDate, reference: String) {
        self.board = board
        self.decidedOn = decidedOn
        self.reference = reference
    }
}

/// An organisation registered a board-decided exemption (avsteg) from a mandatory base
/// service (bastjänst); SSG must be informed. Key: the exemption id. Source: intake.
public struct ExemptionRegisteredV1: EventPayload, Equatable {
    public static let eventType = "se.goteborg.styrbord.exemption.registered.v1"
    public static let schemaURI = schemaBase + "exemption.registered.v1.json"

    /// A UUID in lowercase, as the API and the Kafka key write it.
    public var exemptionId: String
    public var organisationId: OrganisationID
    public var supplierId: OrganisationID
    public var baseService: String
    public var motivation: String
    public var boardDecision: BoardDecision
    public var registeredBy: String
    public var registeredAt: Date

    public init(
        exemptionId: String, organisationId: OrganisationID, supplierId: OrganisationID, baseService: String,
        motivation: String, boardDecision: BoardDecision, registeredBy: String, registeredAt: Date
    ) {
        self.exemptionId = exemptionId
        self.organisationId = organisationId
        self.supplierId = supplierId
        self.baseService = baseService
        self.motivation = motivation
        self.boardDecision = boardDecision
        self.registeredBy = registeredBy
        self.registeredAt = registeredAt
    }
}

/// An organisation as the registry holds it.
public struct OrganisationRecord: Codable, Sendable, Equatable {
    public var organisationId: OrganisationID
    public var name: String
    public var kind: OrganisationKind
    /// Its board: a nämnd for an administration, a bolagsstyrelse for a company.
    public var board: String
    public var active: Bool

    public init(organisationId: OrganisationID, name: String, kind: OrganisationKind, board: String, active: Bool) {
        self.organisationId = organisationId
        self.name = name
        self.kind = kind
        self.board = board
        self.active = active
    }
}

/// An organisation joined the registry. Key: the organisation id. Source: intake.
public struct OrganisationRegisteredV1: EventPayload, Equatable {
    public static let eventType = "se.goteborg.styrbord.organisation.registered.v1"
    public static let schemaURI = schemaBase + "organisation.registered.v1.json"

    public var organisation: OrganisationRecord
    public var registeredAt: Date

    public init(organisation: OrganisationRecord, registeredAt: Date) {
        self.organisation = organisation
        self.registeredAt = registeredAt
    }
}

/// An organisation's registry entry changed (name, board, kind, or deactivated). Key:
/// the organisation id. Source: intake.
public struct OrganisationUpdatedV1: EventPayload, Equatable {
    public static let eventType = "se.goteborg.styrbord.organisation.updated.v1"
    public static let schemaURI = schemaBase + "organisation.updated.v1.json"

    public var organisation: OrganisationRecord
    public var changedFields: [String]
    public var updatedAt: Date

    public init(organisation: OrganisationRecord, changedFields: [String], updatedAt: Date) {
        self.organisation = organisation
        self.changedFields = changedFields
        self.updatedAt = updatedAt
    }
}
