import Domain
import Testing

/// A small deterministic generator, so every run checks the same instances.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Portfolio selection")
struct PortfolioSelectionTests {
    static func instance(_ count: Int, seed: UInt64, dependencies: Bool = true, balance: Bool = true) -> PortfolioSelection.Problem {
        var random = SplitMix64(state: seed)
        var candidates: [PortfolioSelection.Candidate] = []
        for index in 0..<count {
            let type = Bool.random(using: &random) ? "cost-allocation" : "municipal-grant"
            var requires: [String] = []
            if dependencies, index > 2, Int.random(in: 0..<6, using: &random) == 0 {
                requires = ["c\(Int.random(in: 0..<index, using: &random))"]
            }
            candidates.append(
                .init(
                    id: "c\(index)", value: Double(Int.random(in: 1...100, using: &random)) / 4,
                    costs: [type: Int64.random(in: 10_000...500_000, using: &random) * 100],
                    hours: Int64.random(in: 0...400, using: &random), mustInclude: index == 1, requires: requires,
                    innovation: Bool.random(using: &random)))
        }
        let budget = Int64(count) * 120_000 * 100
        return .init(
            candidates: candidates, budgets: ["cost-allocation": budget, "municipal-grant": budget / 2],
            capacityHours: Int64(count) * 90, innovationShare: balance ? 0.2...0.6 : nil)
    }

    /// Every subset, for small instances: the answer the search must match.
    static func bruteForce(_ problem: PortfolioSelection.Problem) -> Double? {
        let items = problem.candidates
        var best: Double? = nil
        for mask in 0..<(1 << items.count) {
            let chosen = items.indices.filter { mask & (1 << $0) != 0 }
            let ids = Set(chosen.map { items[$0].id })
            guard items.allSatisfy({ !$0.mustInclude || ids.contains($0.id) }) else { continue }
            guard chosen.allSatisfy({ items[$0].requires.allSatisfy(ids.contains) }) else { continue }
            var spent: [String: Int64] = [:]
            var hours: Int64 = 0
            var total = 0.0, innovation = 0.0
            for index in chosen {
                for (type, cost) in items[index].costs { spent[type, default: 0] += cost }
                hours += items[index].hours
                let cost = Double(items[index].costs.values.reduce(0, +))
                total += cost
                if items[index].innovation { innovation += cost }
            }
            guard spent.allSatisfy({ $0.value <= problem.budgets[$0.key] ?? 0 }), hours <= problem.capacityHours else { continue }
            if let share = problem.innovationShare, total > 0, !share.contains(innovation / total) { continue }
            let value = chosen.reduce(0.0) { $0 + items[$1].value }
            if best.map({ value > $0 }) ?? true { best = value }
        }
        return best
    }

    @Test("matches an exhaustive search on 40 small instances with budgets, capacity, dependencies and balance")
    func exact() throws {
        for seed in 1...40 {
            let problem = Self.instance(12, seed: UInt64(seed))
            let expected = Self.bruteForce(problem)
            do {
                let solution = try PortfolioSelection.solve(problem)
                #expect(solution.isOptimal)
                #expect(abs(solution.value - (expected ?? -1)) < 1e-9, "seed \(seed): \(solution.value) vs \(expected ?? -1)")
                #expect(solution.selected.contains("c1"), "the must-include candidate is in")
                #expect(Set(solution.reasons.keys) == Set(problem.candidates.map(\.id)), "every candidate has a reason")
            } catch {
                #expect(expected == nil, "seed \(seed): \(error)")
            }
        }
    }

    @Test("proves optimality for 80 candidates, and reports a valid gap when stopped early")
    func cityScale() throws {
        let problem = Self.instance(80, seed: 7, dependencies: true, balance: false)
        let solution = try PortfolioSelection.solve(problem)
        #expect(solution.isOptimal, "nodes: \(solution.nodes)")
        #expect(solution.gap == 0)
        let early = try PortfolioSelection.solve(problem, nodeLimit: 50)
        #expect(!early.isOptimal)
        #expect(early.value <= solution.value + 1e-9)
        #expect(early.bound >= solution.value - 1e-9, "the reported bound really bounds the optimum")
    }

    @Test("reasons say why a candidate is out: its dependency, or the budget it does not fit")
    func reasons() throws {
        let problem = PortfolioSelection.Problem(
            candidates: [
                .init(id: "lärplattform", value: 10, costs: ["municipal-grant": 80_000_000]),
                .init(id: "elevadmin", value: 9, costs: ["municipal-grant": 50_000_000]),
                .init(id: "integration", value: 0.5, costs: ["municipal-grant": 1_000_000], requires: ["elevadmin"]),
                .init(id: "tillgänglighet", value: 1, costs: ["cost-allocation": 100], mustInclude: true),
            ],
            budgets: ["municipal-grant": 100_000_000, "cost-allocation": 100], capacityHours: 0)
        let solution = try PortfolioSelection.solve(problem)
        #expect(solution.selected == ["lärplattform", "tillgänglighet"])
        #expect(solution.reasons["elevadmin"]?.contains("municipal-grant") == true)
        #expect(solution.reasons["integration"]?.contains("requires elevadmin") == true)
        #expect(solution.reasons["tillgänglighet"]?.contains("must be included") == true)
        #expect(throws: PortfolioSelection.SelectionError.self) {
            try PortfolioSelection.solve(
                .init(candidates: [.init(id: "x", value: 1, costs: ["a": 10], mustInclude: true)], budgets: ["a": 5], capacityHours: 0))
        }
    }
}
