import Contracts
import Domain
import Foundation
import ServiceKit

/// Who to ask about a need.
struct Contact: Codable, Sendable, Equatable {
    var name: String
    var email: String?
    var phone: String?
}

/// An attachment or reference: a link to a document, a case, a page.
struct Link: Codable, Sendable, Equatable {
    var title: String
    var url: String
}

/// What a city employee sends to register a need (behov), or to replace its editable
/// fields (`PUT`). Everything DOMAIN.md lists for a need.
struct NeedInput: Codable, Sendable, Equatable {
    var organisationId: OrganisationID
    var track: Track
    var title: String
    var description: String
    var category: NeedCategory
    var driver: NeedDriver
    var goalArea: GoalArea?
    var targetGroups: [TargetGroup]
    var expectedBenefits: [ExpectedBenefit]?
    var roughCost: RoughCost?
    var urgency: Urgency?
    var contact: Contact?
    var links: [Link]?
    /// POST only: `true` keeps it a draft (utkast) instead of submitting it at once.
    var draft: Bool?

    /// Leading and trailing white space is not part of a title.
    var normalised: NeedInput {
        var copy = self
        copy.title = title.trimmedWhitespace
        copy.draft = nil
        if copy.expectedBenefits == nil { copy.expectedBenefits = [] }
        if copy.links == nil { copy.links = [] }
        return copy
    }

    /// The rules a need must meet; every broken rule is reported at once.
    func validationProblems() -> [Problem.InvalidParameter] {
        var problems: [Problem.InvalidParameter] = []
        func check(_ ok: Bool, _ name: String, _ reason: String) {
            if !ok { problems.append(.init(name: name, reason: reason)) }
        }
        let trimmedTitle = title.trimmedWhitespace
        check((3...200).contains(trimmedTitle.count), "title", "must be 3 to 200 characters")
        check(
            !description.trimmedWhitespace.isEmpty && description.count <= 10_000,
            "description", "must be 1 to 10000 characters")
        check(!targetGroups.isEmpty, "targetGroups", "must name at least one target group")
        check(Set(targetGroups).count == targetGroups.count, "targetGroups", "must not repeat a target group")
        let benefits = expectedBenefits ?? []
        check(benefits.count <= 50, "expectedBenefits", "must have at most 50 benefits")
        for (index, benefit) in benefits.enumerated() {
            let trimmed = benefit.description.trimmedWhitespace
            check((1...1000).contains(trimmed.count), "expectedBenefits[\(index)].description", "must be 1 to 1000 characters")
            if let value = benefit.annualValue {
                check(value >= .zero, "expectedBenefits[\(index)].annualValue", "must not be negative")
                check(benefit.kind == .economic, "expectedBenefits[\(index)].annualValue", "is only for economic benefits")
            }
        }
        if let cost = roughCost {
            check((cost.oneOff ?? .zero) >= .zero, "roughCost.oneOff", "must not be negative")
            check((cost.annual ?? .zero) >= .zero, "roughCost.annual", "must not be negative")
        }
        if let contact {
            check((1...200).contains(contact.name.trimmedWhitespace.count), "contact.name", "must be 1 to 200 characters")
            if let email = contact.email {
                check(email.count <= 254 && Self.looksLikeEmail(email), "contact.email", "must be an e-mail address")
            }
            if let phone = contact.phone {
                check((3...40).contains(phone.count), "contact.phone", "must be 3 to 40 characters")
            }
        }
        let links = links ?? []
        check(links.count <= 20, "links", "must have at most 20 links")
        for (index, link) in links.enumerated() {
            check((1...200).contains(link.title.count), "links[\(index)].title", "must be 1 to 200 characters")
            check(link.url.count <= 2000 && Self.isWebAddress(link.url), "links[\(index)].url", "must be an http or https address")
        }
        return problems
    }

    static func looksLikeEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !text.contains(" ")
    }

    static func isWebAddress(_ text: String) -> Bool {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            return false
        }
        return scheme == "https" || scheme == "http"
    }

    /// API field names whose values differ between `self` and `other`.
    func changedFields(comparedTo other: NeedInput) -> [String] {
        var changed: [String] = []
        if organisationId != other.organisationId { changed.append("organisationId") }
        if track != other.track { changed.append("track") }
        if title != other.title { changed.append("title") }
        if description != other.description { changed.append("description") }
        if category != other.category { changed.append("category") }
        if driver != other.driver { changed.append("driver") }
        if goalArea != other.goalArea { changed.append("goalArea") }
        if targetGroups != other.targetGroups { changed.append("targetGroups") }
        if (expectedBenefits ?? []) != (other.expectedBenefits ?? []) { changed.append("expectedBenefits") }
        if roughCost != other.roughCost { changed.append("roughCost") }
        if urgency != other.urgency { changed.append("urgency") }
        if contact != other.contact { changed.append("contact") }
        if (links ?? []) != (other.links ?? []) { changed.append("links") }
        return changed.sorted()
    }
}

/// Where a need is in its life: draft → submitted → withdrawn.
enum NeedStatus: String, ClosedSet {
    case draft, submitted, withdrawn
}

/// A registered need as the API returns it.
struct NeedResource: Codable, Sendable {
    var initiativeId: InitiativeID
    var organisationId: OrganisationID
    var track: Track
    var title: String
    var description: String
    var category: NeedCategory
    var driver: NeedDriver
    var goalArea: GoalArea?
    var targetGroups: [TargetGroup]
    var expectedBenefits: [ExpectedBenefit]
    var roughCost: RoughCost?
    var urgency: Urgency?
    var contact: Contact?
    var links: [Link]
    var status: NeedStatus
    /// Increases with every change; the `ETag` is `"<version>"`.
    var version: Int
    var createdBy: String
    /// Who submitted it (the `sub` of the token), once submitted.
    var submittedBy: String?
    var createdAt: Date
    var updatedAt: Date
    var submittedAt: Date?
    var withdrawnAt: Date?
    var withdrawalReason: String?
    /// Supplier proposals (common initiatives) that answer this need.
    var answeredByProposals: [InitiativeID]

    var etag: String { "\"\(version)\"" }

    var input: NeedInput {
        NeedInput(
            organisationId: organisationId, track: track, title: title, description: description, category: category,
            driver: driver, goalArea: goalArea, targetGroups: targetGroups, expectedBenefits: expectedBenefits,
            roughCost: roughCost, urgency: urgency, contact: contact, links: links, draft: nil)
    }

    var submittedEvent: NeedSubmittedV1 {
        NeedSubmittedV1(
            initiativeId: initiativeId, organisationId: organisationId, track: track, title: title,
            description: description, category: category, driver: driver, targetGroups: targetGroups,
            submittedAt: submittedAt ?? updatedAt, goalArea: goalArea, urgency: urgency, expectedBenefits: expectedBenefits,
            roughCost: roughCost, submittedBy: submittedBy ?? createdBy)
    }
}

/// `POST /v1/needs/{id}/withdraw`.
struct WithdrawalInput: Codable, Sendable {
    var reason: String
}
