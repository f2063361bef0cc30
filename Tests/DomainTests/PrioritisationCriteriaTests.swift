import Domain
import Foundation
import Testing

@Suite("Prioritisation criteria, aggregation and sensitivity")
struct PrioritisationCriteriaTests {
    @Test("aggregation shows the mean and the spread of the members' scores per criterion")
    func aggregation() {
        let scores = ["anna": ["benefit": 5, "urgency": 2], "bo": ["benefit": 1, "urgency": 2], "cia": ["benefit": 3]]
        let aggregates = Scoring.aggregate(scores, criteria: ["benefit", "urgency", "feasibility"])
        let benefit = aggregates[0]
        #expect(benefit.count == 3 && benefit.mean == 3 && benefit.min == 1 && benefit.max == 5)
        // Population standard deviation of 5, 1, 3: sqrt(8/3).
        #expect(benefit.standardDeviation == (((8.0 / 3).squareRoot()) * 10_000).rounded() / 10_000)
        #expect(benefit.disagreement, "1 and 5 on one candidate is disagreement worth showing")
        #expect(aggregates[1].count == 2 && aggregates[1].standardDeviation == 0 && !aggregates[1].disagreement)
        #expect(aggregates[2].count == 0 && aggregates[2].mean == nil, "an unscored criterion stays visibly unscored")
    }

    @Test("the total is the weighted mean, broken down criterion by criterion")
    func breakdown() {
        let (total, parts) = Scoring.total(
            means: ["benefit": 4, "urgency": 2, "feasibility": 5], weights: ["benefit": 50, "urgency": 30, "feasibility": 20, "economic-conditions": 0])
        #expect(total == 3.6)
        #expect(parts.map(\.key) == ["benefit", "economic-conditions", "feasibility", "urgency"])
        #expect(parts.first { $0.key == "benefit" }?.contribution == 2)
        #expect(parts.first { $0.key == "urgency" }?.contribution == 0.6)
        #expect(abs(parts.map(\.contribution).reduce(0, +) - total) < 1e-9)
    }

    @Test("the standard criteria are valid; broken weights and missing axes are named")
    func criteriaRules() {
        #expect(CriteriaSet.standard.problems().isEmpty)
        var broken = CriteriaSet.standard
        broken.criteria[0].weight = 50
        broken.criteria[4].weight = 10
        broken.criteria.removeLast()
        let fields = broken.problems().map(\.field)
        #expect(fields.contains("criteria[4].weight"))
        #expect(fields.filter { $0 == "criteria" }.count == 2, "the missing axis and the weights summing to 115")
    }

    @Test("the Pios quadrant follows the axis means, and the benefit lines before anyone scores")
    func quadrants() {
        #expect(Scoring.quadrant(means: ["efficiency-innovation": 4, "internal-external": 2], externalFallback: true) == .innovationInternal)
        #expect(Scoring.quadrant(means: [:], externalFallback: true) == .efficiencyExternal)
    }

    /// The top `k` ids under `weights`.
    static func top(_ means: [String: [String: Double]], _ weights: [String: Double], _ k: Int) -> Set<String> {
        let totals = means.mapValues { own in weights.reduce(0.0) { $0 + $1.value * (own[$1.key] ?? 0) } }
        return Set(totals.keys.sorted { totals[$0]! == totals[$1]! ? $0 < $1 : totals[$0]! > totals[$1]! }.prefix(k))
    }

    @Test("ranking sensitivity is exact: just inside the range the top stays, just outside it changes")
    func rankingSensitivity() {
        var random = SplitMix64(state: 7)
        for _ in 0..<30 {
            var means: [String: [String: Double]] = [:]
            for index in 0..<12 {
                means["c\(index)"] = ["benefit": Double.random(in: 1...5, using: &random), "urgency": Double.random(in: 1...5, using: &random),
                                      "feasibility": Double.random(in: 1...5, using: &random)]
            }
            let weights = ["benefit": 40.0, "urgency": 35, "feasibility": 25]
            let baseline = Self.top(means, weights, 4)
            for range in WeightSensitivity.ranking(means: means, weights: weights, top: 4) {
                func moved(_ value: Double) -> Set<String> {
                    var changed = weights
                    changed[range.key] = value
                    return Self.top(means, changed, 4)
                }
                #expect(moved(range.lowest + 0.01) == baseline)
                if range.lowest > 0.01 { #expect(moved(range.lowest - 0.01) != baseline) }
                if let highest = range.highest {
                    #expect(moved(highest - 0.01) == baseline)
                    #expect(moved(highest + 0.01) != baseline)
                } else {
                    #expect(moved(range.weight * 100) == baseline)
                }
            }
        }
    }

    @Test("selection sensitivity finds where the selection changes, to the tolerance")
    func selectionSensitivity() throws {
        // Two candidates compete for one slot: a wins while 2·w_benefit > w_urgency + 30.
        let select: ([String: Double]) -> Set<String> = { weights in
            let a = 2 * (weights["benefit"] ?? 0), b = (weights["urgency"] ?? 0) + 30
            return a >= b ? ["a"] : ["b"]
        }
        let ranges = try WeightSensitivity.selection(weights: ["benefit": 40, "urgency": 20], select: select)
        let benefit = ranges.first { $0.key == "benefit" }
        #expect(benefit.map { abs($0.lowest - 25) <= 0.06 } == true, "a falls out below benefit 25")
        #expect(benefit?.highest == nil, "more benefit weight never changes it")
        let urgency = ranges.first { $0.key == "urgency" }
        #expect(urgency.map { abs(($0.highest ?? 0) - 50) <= 0.06 } == true, "b comes in above urgency 50")
        #expect(urgency?.lowest == 0)
    }

    @Test("the fast pass stays feasible under a proven bound, and its core step never makes it worse")
    func fastPassGap() throws {
        for seed in 1...20 {
            let problem = PortfolioSelectionTests.instance(40, seed: UInt64(seed))
            let exact = try PortfolioSelection.solve(problem)
            // A core of 10 of the 40 candidates, so the core step cannot simply be the exact search.
            let fast = try PortfolioSelection.approximate(problem, coreSize: 10)
            let greedy = try PortfolioSelection.approximate(problem, coreSize: 0)
            #expect(fast.value <= exact.value + 1e-9)
            #expect(fast.value >= greedy.value - 1e-9, "seed \(seed): the core step lowered the value")
            #expect(fast.bound >= exact.value - 1e-9, "the fast pass's bound is a proven upper bound")
            #expect(Self.feasible(fast.selected, problem))
            #expect(Self.feasible(greedy.selected, problem))
        }
        for seed in 1...5 {
            let problem = PortfolioSelectionTests.instance(40, seed: UInt64(seed))
            let hybrid = try PortfolioSelection.solveScalable(problem)
            let exact = try PortfolioSelection.solve(problem)
            #expect(abs(hybrid.value - exact.value) <= exact.value * 0.01)
        }
    }

    @Test("the fast pass's bound keeps the dependencies: a valuable candidate needing an expensive worthless one is not counted as if alone")
    func boundKeepsDependencies() throws {
        // a needs b; a and b together overrun the budget, so the best is c alone (5). Every
        // relaxation without the dependency takes a whole and c whole: 15. With it the bound
        // is 10 − 5·(10/105) ≈ 9.52.
        let problem = PortfolioSelection.Problem(
            candidates: [
                .init(id: "a", value: 10, costs: ["kommunbidrag": 10], requires: ["b"]),
                .init(id: "b", value: 0, costs: ["kommunbidrag": 95]),
                .init(id: "c", value: 5, costs: ["kommunbidrag": 90]),
            ],
            budgets: ["kommunbidrag": 100], capacityHours: 0)
        let fast = try PortfolioSelection.approximate(problem, coreSize: 0)
        #expect(fast.selected == ["c"])
        #expect(fast.bound >= 5)
        #expect(fast.bound < 10, "bound \(fast.bound)")
    }

    static func feasible(_ selected: [String], _ problem: PortfolioSelection.Problem) -> Bool {
        let ids = Set(selected)
        let chosen = problem.candidates.filter { ids.contains($0.id) }
        guard problem.candidates.allSatisfy({ !$0.mustInclude || ids.contains($0.id) }) else { return false }
        guard chosen.allSatisfy({ $0.requires.allSatisfy(ids.contains) }) else { return false }
        var spent: [String: Int64] = [:]
        var total = 0.0, innovation = 0.0
        for candidate in chosen {
            for (type, cost) in candidate.costs { spent[type, default: 0] += cost }
            let cost = Double(candidate.costs.values.reduce(0, +))
            total += cost
            if candidate.innovation { innovation += cost }
        }
        guard spent.allSatisfy({ $0.value <= problem.budgets[$0.key] ?? 0 }) else { return false }
        guard chosen.reduce(Int64(0), { $0 + $1.hours }) <= problem.capacityHours else { return false }
        if let share = problem.innovationShare, total > 0, !share.contains(innovation / total) { return false }
        return true
    }
}
