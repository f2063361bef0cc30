import Domain
import Foundation
import ServiceKit

/// What a city employee sends to register and submit a need (behov).
struct NeedSubmission: Codable, Sendable {
    var organisationId: OrganisationID
    var track: Track
    var title: String
    var description: String
    var category: NeedCategory
    var driver: NeedDriver
    var targetGroups: [TargetGroup]

    /// The rules a submission must meet; every broken rule is reported at once.
    func validationProblems() -> [Problem.InvalidParameter] {
        var problems: [Problem.InvalidParameter] = []
        let trimmedTitle = title.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmedTitle.count < 3 || trimmedTitle.count > 200 {
            problems.append(.init(name: "title", reason: "must be 3 to 200 characters"))
        }
        let trimmedDescription = description.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmedDescription.isEmpty || description.count > 10_000 {
            problems.append(.init(name: "description", reason: "must be 1 to 10000 characters"))
        }
        if targetGroups.isEmpty {
            problems.append(.init(name: "targetGroups", reason: "must name at least one target group"))
        }
        if Set(targetGroups).count != targetGroups.count {
            problems.append(.init(name: "targetGroups", reason: "must not repeat a target group"))
        }
        return problems
    }
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
    var targetGroups: [TargetGroup]
    var status: String
    var submittedAt: Date
}
