import Domain
import Foundation

private let schemaBase = "https://styrbord.goteborg.se/schemas/events/"

/// Two organisations' needs look alike: the analysis service found, for a newly opened
/// case, another organisation's initiative whose text matches above the overlap
/// threshold (Swedish full-text rank and trigram similarity, the same score as the reuse
/// candidates). Both organisations and the supplier are told, so they can act jointly
/// instead of twice (DOMAIN.md: *gemensamma satsningar*). Key: the new initiative's id.
/// Source: analysis. Each pair of initiatives is announced once, whichever came second.
public struct OverlapDetectedV1: EventPayload, Equatable {
    public static let eventType = "se.goteborg.styrbord.overlap.detected.v1"
    public static let schemaURI = schemaBase + "overlap.detected.v1.json"

    public var overlapId: UUID
    /// The case just opened.
    public var initiativeId: InitiativeID
    public var organisationId: OrganisationID
    public var title: String
    /// The earlier initiative of another organisation that it overlaps.
    public var otherInitiativeId: InitiativeID
    public var otherOrganisationId: OrganisationID
    public var otherTitle: String
    /// The supplier to involve: the one analysing either initiative on the common track,
    /// else the supplier of the best-matching catalogue service, else Intraservice.
    public var supplierId: OrganisationID
    /// 0–1, as the reuse candidates' score.
    public var score: Decimal
    /// The Swedish stems the two texts share.
    public var matchedTerms: [String]
    public var detectedAt: Date

    public init(
        overlapId: UUID, initiativeId: InitiativeID, organisationId: OrganisationID, title: String,
        otherInitiativeId: InitiativeID, otherOrganisationId: OrganisationID, otherTitle: String,
        supplierId: OrganisationID, score: Decimal, matchedTerms: [String], detectedAt: Date
    ) {
        self.overlapId = overlapId
        self.initiativeId = initiativeId
        self.organisationId = organisationId
        self.title = title
        self.otherInitiativeId = otherInitiativeId
        self.otherOrganisationId = otherOrganisationId
        self.otherTitle = otherTitle
        self.supplierId = supplierId
        self.score = score
        self.matchedTerms = matchedTerms
        self.detectedAt = detectedAt
    }
}
