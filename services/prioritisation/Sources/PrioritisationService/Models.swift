import Contracts
import Domain
import Foundation
import ServiceKit

/// Whether a round takes scores and changes.
enum RoundStatus: String, ClosedSet {
    case open
    case closed
}

/// Bounds on the innovation share of the selection's cost (0–1), the Pios balance.
struct ShareBounds: Codable, Sendable, Equatable {
    var min: Decimal
    var max: Decimal

    var range: ClosedRange<Double>? {
        let low = NSDecimalNumber(decimal: min).doubleValue, high = NSDecimalNumber(decimal: max).doubleValue
        return low <= high ? low...high : nil
    }

    func problems(at path: String) -> [Problem.InvalidParameter] {
        var found: [Problem.InvalidParameter] = []
        if min < 0 || min > 1 { found.append(.init(name: "\(path).min", reason: "must be a share from 0 to 1")) }
        if max < 0 || max > 1 { found.append(.init(name: "\(path).max", reason: "must be a share from 0 to 1")) }
        if min > max { found.append(.init(name: "\(path).max", reason: "must not be below min")) }
        return found
    }
}

/// A prioritisation round (prioriteringsomgång) as the API shows it.
struct Round: Codable, Sendable {
    var roundId: UUID
    var name: String
    var budgetYear: Int
    var decidingBody: DecidingBody
    var organisationId: OrganisationID?
    var status: RoundStatus
    /// Budget per financing type (finansieringstyp), kronor.
    var budgets: [String: SEK]
    var capacityHours: Hours
    var innovationShare: ShareBounds?
    var criteriaVersion: Int
    var openedAt: Date
    var openedBy: String
    var closedAt: Date?
    var closedBy: String?
    var version: Int

    var etag: String { "\"\(version)\"" }
}

/// Opening a round.
struct RoundRequest: Codable, Sendable {
    var name: String
    var budgetYear: Int
    var decidingBody: DecidingBody
    var organisationId: OrganisationID?
    var budgets: [String: SEK]
    var capacityHours: Hours
    var innovationShare: ShareBounds?
    var criteria: [Criterion]?

    func problems() -> [Problem.InvalidParameter] {
        var found: [Problem.InvalidParameter] = []
        if !(1...200).contains(name.trimmingCharacters(in: .whitespacesAndNewlines).count) {
            found.append(.init(name: "name", reason: "must be 1 to 200 characters"))
        }
        if !(2000...2100).contains(budgetYear) { found.append(.init(name: "budgetYear", reason: "must be a year from 2000 to 2100")) }
        switch decidingBody {
        case .ssg where organisationId != nil:
            found.append(.init(name: "organisationId", reason: "must be absent: SSG decides the common track for the whole city"))
        case .organisationBoard where organisationId == nil:
            found.append(.init(name: "organisationId", reason: "is required: whose leadership decides its own track"))
        default: break
        }
        found += Self.budgetProblems(budgets, at: "budgets")
        if capacityHours.value < 0 { found.append(.init(name: "capacityHours", reason: "must not be negative")) }
        if let innovationShare { found += innovationShare.problems(at: "innovationShare") }
        if let criteria {
            found += CriteriaSet(version: 1, criteria: criteria).problems().map { .init(name: $0.field, reason: $0.reason) }
        }
        return found
    }

    static func budgetProblems(_ budgets: [String: SEK], at path: String) -> [Problem.InvalidParameter] {
        var found: [Problem.InvalidParameter] = []
        for (key, amount) in budgets.sorted(by: { $0.key < $1.key }) {
            if FinancingType(rawValue: key) == nil {
                found.append(.init(
                    name: "\(path).\(key)",
                    reason: "is not a financing type; use \(FinancingType.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
            if amount < .zero { found.append(.init(name: "\(path).\(key)", reason: "must not be negative")) }
        }
        return found
    }
}

/// Replacing the criteria of a round.
struct CriteriaRequest: Codable, Sendable {
    var criteria: [Criterion]
}

/// What the preparer (beredningsansvarig) adds to a candidate in a round.
struct PreparationRequest: Codable, Sendable {
    /// A legal requirement (lagkrav) always comes first: it is included before anything else.
    var legalRequirement: Bool
    /// The budget its cost falls on.
    var financingType: FinancingType
    var supplierHours: Hours?
    /// Initiatives in the same round it cannot be done without.
    var requires: [InitiativeID]?

    func problems(initiative: InitiativeID) -> [Problem.InvalidParameter] {
        var found: [Problem.InvalidParameter] = []
        if let hours = supplierHours, hours.value < 0 || hours.value > 10_000_000 {
            found.append(.init(name: "supplierHours", reason: "must be from 0 to 10000000 hours"))
        }
        if let requires {
            if requires.contains(initiative) { found.append(.init(name: "requires", reason: "must not name the initiative itself")) }
            if requires.count > 50 { found.append(.init(name: "requires", reason: "must have at most 50 initiatives")) }
        }
        return found
    }
}

/// One member's scores of one candidate.
struct ScoreRequest: Codable, Sendable {
    /// Criterion key → score 1–5.
    var scores: [String: Int]
    var comment: String?

    func problems(criteria: CriteriaSet) -> [Problem.InvalidParameter] {
        var found: [Problem.InvalidParameter] = []
        let keys = Set(criteria.criteria.map(\.key))
        if scores.isEmpty { found.append(.init(name: "scores", reason: "must score at least one criterion")) }
        for (key, score) in scores.sorted(by: { $0.key < $1.key }) {
            if !keys.contains(key) {
                found.append(.init(name: "scores.\(key)", reason: "is not a criterion of this round (version \(criteria.version))"))
            } else if !(1...5).contains(score) {
                found.append(.init(name: "scores.\(key)", reason: "must be a whole number from 1 to 5"))
            }
        }
        if let comment, comment.count > 2000 { found.append(.init(name: "comment", reason: "must be at most 2000 characters")) }
        return found
    }
}

/// A stored score set.
struct ScoreSet: Codable, Sendable {
    var scorer: String
    var scorerName: String?
    var criteriaVersion: Int
    var scores: [String: Int]
    var comment: String?
    var scoredAt: Date
}

/// The figures of the analysis, shown beside the scores exactly as the analysis computed them.
struct AnalysisFigures: Codable, Sendable {
    var oneOffCost: SEK
    var annualCost: SEK
    var annualBenefit: SEK
    /// The cost falling in the budget year: the one-off cost plus one year's running cost.
    var budgetYearCost: SEK
    var netPresentValue: SEK?
    var paybackYear: Int?
    var totalCostOfOwnership: SEK?
    var benefitCostRatio: Decimal?
    /// The highest level of the information classification (1–4), a proxy of the risk.
    var highestClassification: Int?
    var dpiaRequired: Bool?
    var reuseDecision: ReuseDecision?
    /// Whether the analysis quantifies an economic benefit (a benefit calculation).
    var hasBenefitCalculation: Bool

    init(_ analysis: AnalysisCompletedV1?, summary: AnalysisSummary) {
        oneOffCost = summary.oneOffCost
        annualCost = summary.annualCost
        annualBenefit = summary.annualBenefit
        budgetYearCost = summary.oneOffCost + summary.annualCost
        netPresentValue = analysis?.costBenefit?.netPresentValue
        paybackYear = analysis?.costBenefit?.paybackYear
        totalCostOfOwnership = analysis?.costBenefit?.totalCostOfOwnership
        benefitCostRatio = analysis?.costBenefit?.benefitCostRatio
        highestClassification = analysis?.classification.map { max($0.confidentiality, $0.integrity, $0.availability) }
        dpiaRequired = analysis?.dpiaRequired
        reuseDecision = analysis?.reuseDecision
        let economicLines = analysis?.benefits?.contains { $0.kind == .economic } ?? false
        hasBenefitCalculation = economicLines || summary.annualBenefit > .zero
    }
}

/// A candidate of a round: the analysis' figures, the preparation, the aggregated scores,
/// the weighted total broken down by criterion and the Pios quadrant.
struct RoundCandidate: Codable, Sendable {
    var initiativeId: InitiativeID
    var organisationId: OrganisationID
    var track: Track
    var title: String
    var status: String
    var enteredAt: Date
    var analysis: AnalysisFigures
    var legalRequirement: Bool
    var financingType: FinancingType
    var supplierHours: Hours
    var requires: [InitiativeID]
    var scorers: Int
    var criteria: [CriterionAggregate]
    var total: Double
    var contributions: [Contribution]
    var quadrant: PiosQuadrant
    /// 1 for the first; legal requirements come first, then by total.
    var rank: Int
}
