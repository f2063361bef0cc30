import Domain
import Foundation
import Persistence
import ServiceKit

/// What a selection is run with: the round's budgets, capacity, balance bounds and
/// weights, any of them overridden in a scenario.
struct SelectionParameters: Codable, Sendable {
    var budgets: [String: SEK]
    var capacityHours: Hours
    var innovationShare: ShareBounds?
    var weights: [String: Double]
    var criteriaVersion: Int
}

/// A scenario: the round's parameters with some overridden. Nothing is decided by it.
struct ScenarioRequest: Codable, Sendable {
    var label: String
    /// Budgets to override, per financing type; the others stay as the round has them.
    var budgets: [String: SEK]?
    var capacityHours: Hours?
    var innovationShare: ShareBounds?
    /// Weights to override, per criterion key.
    var weights: [String: Double]?

    func problems(at path: String, criteria: CriteriaSet) -> [Problem.InvalidParameter] {
        var found: [Problem.InvalidParameter] = []
        if !(1...200).contains(label.trimmingCharacters(in: .whitespaces).count) {
            found.append(.init(name: "\(path).label", reason: "must be 1 to 200 characters"))
        }
        if let budgets { found += RoundRequest.budgetProblems(budgets, at: "\(path).budgets") }
        if let capacityHours, capacityHours.value < 0 { found.append(.init(name: "\(path).capacityHours", reason: "must not be negative")) }
        if let innovationShare { found += innovationShare.problems(at: "\(path).innovationShare") }
        let weighted = Set(criteria.weights.keys)
        for (key, weight) in (weights ?? [:]).sorted(by: { $0.key < $1.key }) {
            if !weighted.contains(key) {
                found.append(.init(name: "\(path).weights.\(key)", reason: "is not a weighted criterion of this round"))
            } else if !(0...1000).contains(weight) || !weight.isFinite {
                found.append(.init(name: "\(path).weights.\(key)", reason: "must be from 0 to 1000"))
            }
        }
        return found
    }
}

struct ScenariosRequest: Codable, Sendable {
    var scenarios: [ScenarioRequest]
}

/// One candidate's place in a selection run.
struct SelectionEntry: Codable, Sendable {
    var initiativeId: InitiativeID
    var title: String
    var organisationId: OrganisationID
    var selected: Bool
    /// Why it is in or out, in plain language (Swedish / English).
    var reason: String
    var total: Double
    var budgetYearCost: SEK
    var financingType: FinancingType
    var quadrant: PiosQuadrant
    var legalRequirement: Bool
}

/// How much of one budget the selection uses.
struct BudgetUse: Codable, Sendable {
    var budget: SEK
    var used: SEK
}

/// A stored selection run: the parameters, the result with its proven bound and every
/// candidate's reason.
struct SelectionRun: Codable, Sendable {
    var runId: UUID
    var roundId: UUID
    var kind: String
    var label: String
    var parameters: SelectionParameters
    /// `exact` (branch and bound to the end), `bounded` (stopped at the node limit) or `fast` (large pools).
    var method: String
    var optimal: Bool
    /// Σ weighted totals of the selected candidates.
    var value: Double
    /// A proven upper bound on the best value; `gap` is the most the selection could improve.
    var bound: Double
    var gap: Double
    var selected: [InitiativeID]
    var budgets: [String: BudgetUse]
    var hours: BudgetUse
    var innovationShare: Double?
    var candidates: [SelectionEntry]
    var createdAt: Date
    var createdBy: String
}

/// A scenario beside the recommendation: who enters and who leaves.
struct ScenarioComparison: Codable, Sendable {
    var label: String
    var run: SelectionRun
    var entering: [InitiativeID]
    var leaving: [InitiativeID]
    var valueDifference: Double
}

struct ScenarioComparisonResult: Codable, Sendable {
    var baseline: SelectionRun
    var scenarios: [ScenarioComparison]
}

/// The Pios balance of one set of candidates.
struct BalanceView: Codable, Sendable {
    struct Quadrant: Codable, Sendable {
        var quadrant: PiosQuadrant
        var count: Int
        var budgetYearCost: SEK
    }

    var quadrants: [Quadrant]
    var count: Int
    var budgetYearCost: SEK
    /// Innovation share of the cost (0–1); absent without cost.
    var innovationShare: Double?
    /// External-benefit share of the cost (0–1); absent without cost.
    var externalShare: Double?

    init(_ items: [(PiosQuadrant, SEK)]) {
        quadrants = PiosQuadrant.allCases.map { quadrant in
            let matching = items.filter { $0.0 == quadrant }
            return Quadrant(quadrant: quadrant, count: matching.count, budgetYearCost: matching.reduce(.zero) { $0 + $1.1 })
        }
        count = items.count
        budgetYearCost = items.reduce(.zero) { $0 + $1.1 }
        let total = NSDecimalNumber(decimal: budgetYearCost.amount).doubleValue
        func share(_ test: (PiosQuadrant) -> Bool) -> Double? {
            guard total > 0 else { return nil }
            let part = items.filter { test($0.0) }.reduce(Decimal(0)) { $0 + $1.1.amount }
            return Scoring.roundedShare(NSDecimalNumber(decimal: part).doubleValue / total)
        }
        innovationShare = share { $0.isInnovation }
        externalShare = share { $0 == .efficiencyExternal || $0 == .innovationExternal }
    }
}

struct BalanceResult: Codable, Sendable {
    var candidates: BalanceView
    var selection: BalanceView?
    var selectionRunId: UUID?
    var decided: BalanceView
}

/// The sensitivity of the ranking's top and of the selection to each weight.
struct SensitivityResult: Codable, Sendable {
    var top: Int
    var ranking: [WeightRange]
    var selection: [WeightRange]
}

extension Scoring {
    static func roundedShare(_ value: Double) -> Double { (value * 10_000).rounded() / 10_000 }
}

/// Runs PortfolioSelection on a round's pool. Pure apart from the candidates passed in.
enum SelectionEngine {
    static func ore(_ amount: SEK) -> Int64 {
        let value = NSDecimalNumber(decimal: (amount.amount * 100).rounded(scale: 0)).int64Value
        return max(0, value)
    }

    static func wholeHours(_ hours: Hours) -> Int64 {
        var value = hours.value
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, 0, .up)
        return NSDecimalNumber(decimal: rounded).int64Value
    }

    /// The pool a selection considers: every candidate not already deferred or rejected;
    /// one already prioritised is a decided commitment and must be included.
    static func pool(_ candidates: [RoundCandidate]) -> [RoundCandidate] {
        candidates.filter { $0.status != DecisionOutcome.deferred.rawValue && $0.status != DecisionOutcome.rejected.rawValue }
    }

    static func run(
        _ candidates: [RoundCandidate], parameters: SelectionParameters, roundId: UUID, kind: String, label: String,
        by subject: String
    ) throws -> SelectionRun {
        let pool = Self.pool(candidates)
        let ids = Set(pool.map(\.initiativeId))
        let problem = PortfolioSelection.Problem(
            candidates: pool.map { candidate in
                PortfolioSelection.Candidate(
                    id: candidate.initiativeId.description, value: candidate.total,
                    costs: [candidate.financingType.rawValue: ore(candidate.analysis.budgetYearCost)],
                    hours: wholeHours(candidate.supplierHours),
                    mustInclude: candidate.legalRequirement || candidate.status == DecisionOutcome.prioritised.rawValue,
                    // A dependency outside the pool (deferred or rejected) cannot be met.
                    requires: candidate.requires.filter(ids.contains).map(\.description)
                        + (candidate.requires.allSatisfy(ids.contains) ? [] : ["(saknas)"]),
                    innovation: candidate.quadrant.isInnovation)
            } + (pool.contains { !$0.requires.allSatisfy(ids.contains) }
                ? [PortfolioSelection.Candidate(id: "(saknas)", value: 0, costs: [:], hours: Int64.max / 4)] : []),
            budgets: parameters.budgets.mapValues(ore), capacityHours: wholeHours(parameters.capacityHours),
            innovationShare: parameters.innovationShare?.range)
        let solution: PortfolioSelection.Solution
        do {
            solution = try PortfolioSelection.solveScalable(problem)
        } catch let error {
            throw Problem.conflict("selection is not possible: \(error.description)")
        }
        let chosen = Set(solution.selected)
        var titles: [String: String] = ["(saknas)": "en kandidat som inte är med i urvalet / a candidate not in the pool"]
        for candidate in pool { titles[candidate.initiativeId.description] = "«\(candidate.title)»" }
        func readable(_ reason: String) -> String {
            titles.reduce(reason) { $0.replacingOccurrences(of: $1.key, with: $1.value) }
        }
        var entries: [SelectionEntry] = []
        var used: [String: SEK] = [:]
        var hours: Decimal = 0
        for candidate in candidates {
            let id = candidate.initiativeId.description
            let inPool = ids.contains(candidate.initiativeId)
            let selected = chosen.contains(id)
            var reason: String
            if !inPool {
                reason = "Ute: redan beslutad (\(candidate.status)). / Out: already decided (\(candidate.status))."
            } else if candidate.status == DecisionOutcome.prioritised.rawValue {
                reason = "Med: redan prioriterad genom beslut. / In: already prioritised by decision."
            } else if candidate.legalRequirement {
                reason = "Med: lagkrav, kommer alltid först. / In: a legal requirement, always first."
            } else {
                reason = readable(solution.reasons[id] ?? "")
                if candidate.scorers == 0 { reason = "Ej poängsatt ännu (värde 0). / Not scored yet (value 0). " + reason }
            }
            if selected {
                used[candidate.financingType.rawValue, default: .zero] = used[candidate.financingType.rawValue, default: .zero]
                    + candidate.analysis.budgetYearCost
                hours += candidate.supplierHours.value
            }
            entries.append(SelectionEntry(
                initiativeId: candidate.initiativeId, title: candidate.title, organisationId: candidate.organisationId,
                selected: selected, reason: reason, total: candidate.total, budgetYearCost: candidate.analysis.budgetYearCost,
                financingType: candidate.financingType, quadrant: candidate.quadrant, legalRequirement: candidate.legalRequirement))
        }
        var budgets: [String: BudgetUse] = [:]
        for key in Set(parameters.budgets.keys).union(used.keys) {
            budgets[key] = BudgetUse(budget: parameters.budgets[key] ?? .zero, used: used[key] ?? .zero)
        }
        let balance = BalanceView(entries.filter(\.selected).map { ($0.quadrant, $0.budgetYearCost) })
        let method = pool.count > 300 ? "fast" : (solution.isOptimal ? "exact" : "bounded")
        return SelectionRun(
            runId: UUID(), roundId: roundId, kind: kind, label: label, parameters: parameters, method: method,
            optimal: solution.isOptimal, value: Scoring.roundedShare(solution.value), bound: Scoring.roundedShare(solution.bound),
            gap: Scoring.roundedShare(solution.gap),
            selected: entries.filter(\.selected).map(\.initiativeId), budgets: budgets,
            hours: BudgetUse(budget: SEK(parameters.capacityHours.value), used: SEK(hours)),
            innovationShare: balance.innovationShare, candidates: entries, createdAt: Date(), createdBy: subject)
    }

    static func parameters(_ round: Round, _ criteria: CriteriaSet) -> SelectionParameters {
        SelectionParameters(
            budgets: round.budgets, capacityHours: round.capacityHours, innovationShare: round.innovationShare,
            weights: criteria.weights, criteriaVersion: criteria.version)
    }

    static func store(_ run: SelectionRun, on connection: PostgresConnection) async throws {
        try await connection.execute(
            """
            INSERT INTO selection_runs (run_id, round_id, kind, label, result, created_at, created_by)
            VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)
            """,
            [run.runId, run.roundId, run.kind, run.label, PostgresJSON(run), run.createdAt, run.createdBy])
    }

    static func load(_ runId: UUID, round: UUID, on connection: PostgresConnection) async throws -> SelectionRun? {
        try await connection.query(
            "SELECT result FROM selection_runs WHERE run_id = $1 AND round_id = $2", [runId, round]
        ).first.map { try $0.decode("result", as: PostgresJSON<SelectionRun>.self).value }
    }

    static func latestRecommendation(round: UUID, on connection: PostgresConnection) async throws -> SelectionRun? {
        try await connection.query(
            "SELECT result FROM selection_runs WHERE round_id = $1 AND kind = 'recommendation' ORDER BY seq DESC LIMIT 1", [round]
        ).first.map { try $0.decode("result", as: PostgresJSON<SelectionRun>.self).value }
    }
}

extension SelectionEngine {
    /// The candidates with their totals recomputed under other weights.
    static func reweighted(_ candidates: [RoundCandidate], weights: [String: Double]) -> [RoundCandidate] {
        candidates.map { candidate in
            var means: [String: Double] = [:]
            for aggregate in candidate.criteria { if let mean = aggregate.mean { means[aggregate.key] = mean } }
            var copy = candidate
            (copy.total, copy.contributions) = Scoring.total(means: means, weights: weights)
            return copy
        }
    }

    /// How far each weight can move before the top of the ranking (exactly) or the
    /// recommended selection (to 0.05 points) changes. Legal requirements come first
    /// whatever the weights, so the ranking's top is taken among the others.
    static func sensitivity(_ candidates: [RoundCandidate], round: Round, criteria: CriteriaSet, top: Int) throws
        -> SensitivityResult
    {
        let ranked = pool(candidates).filter { !$0.legalRequirement }
        var means: [String: [String: Double]] = [:]
        for candidate in ranked {
            var own: [String: Double] = [:]
            for aggregate in candidate.criteria { if let mean = aggregate.mean { own[aggregate.key] = mean } }
            means[candidate.initiativeId.description] = own
        }
        let ranking = WeightSensitivity.ranking(means: means, weights: criteria.weights, top: top)
        let base = parameters(round, criteria)
        // Each probe re-runs the selection; above the exact limit that would take minutes,
        // so large pools get the ranking's ranges only.
        guard pool(candidates).count <= 300 else { return SensitivityResult(top: top, ranking: ranking, selection: []) }
        let selection = try WeightSensitivity.selection(weights: criteria.weights) { weights in
            var moved = base
            moved.weights = weights
            let result = try run(
                reweighted(candidates, weights: weights), parameters: moved, roundId: round.roundId, kind: "scenario",
                label: "känslighet", by: "")
            return Set(result.selected.map(\.description))
        }
        return SensitivityResult(top: top, ranking: ranking, selection: selection)
    }
}
