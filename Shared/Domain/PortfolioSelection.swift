/// Budget-constrained portfolio selection for a prioritisation round: choose the set of
/// candidates that maximises total weighted value within every budget and the supplier
/// capacity, honouring must-include items, dependencies and a balance bound — exactly, by
/// branch and bound, with a proven optimality gap when a node limit stops the search.
///
/// Costs are whole öre (`Int64`): exact like `Decimal`, and fast in the search. Values are
/// the criteria scores × weights (not money), so `Double`.
public enum PortfolioSelection {
    public struct Candidate: Sendable, Equatable {
        public var id: String
        /// The weighted value (Σ criterion score × weight); must not be negative.
        public var value: Double
        /// Cost per budget (financing type), in öre.
        public var costs: [String: Int64]
        /// Supplier hours it needs.
        public var hours: Int64
        /// Legal requirements and decided commitments come first.
        public var mustInclude: Bool
        /// Candidates it cannot be done without.
        public var requires: [String]
        /// On the innovation side of the efficiency ↔ innovation axis (Pios).
        public var innovation: Bool

        public init(
            id: String, value: Double, costs: [String: Int64], hours: Int64 = 0, mustInclude: Bool = false,
            requires: [String] = [], innovation: Bool = false
        ) {
            self.id = id
            self.value = value
            self.costs = costs
            self.hours = hours
            self.mustInclude = mustInclude
            self.requires = requires
            self.innovation = innovation
        }

        var totalCost: Int64 { costs.values.reduce(0, +) }
    }

    public struct Problem: Sendable {
        public var candidates: [Candidate]
        /// Budget per financing type, in öre; a cost in a type without a budget cannot be met.
        public var budgets: [String: Int64]
        public var capacityHours: Int64
        /// Bounds on the innovation share of the selection's total cost (0…1), if any.
        public var innovationShare: ClosedRange<Double>?

        public init(
            candidates: [Candidate], budgets: [String: Int64], capacityHours: Int64, innovationShare: ClosedRange<Double>? = nil
        ) {
            self.candidates = candidates
            self.budgets = budgets
            self.capacityHours = capacityHours
            self.innovationShare = innovationShare
        }
    }

    public struct Solution: Sendable {
        public var selected: [String]
        public var value: Double
        /// A proven upper bound on the best value; equal to `value` when `isOptimal`.
        public var bound: Double
        public var isOptimal: Bool
        public var nodes: Int
        /// Why each candidate is in or out, in plain language (Swedish, then English).
        public var reasons: [String: String]
        /// `bound - value`, the most the selection could be improved by.
        public var gap: Double { max(0, bound - value) }
    }

    public enum SelectionError: Error, Sendable, Equatable, CustomStringConvertible {
        /// The must-include candidates alone break a budget, the capacity, a dependency or the balance.
        case mustIncludeInfeasible(String)
        /// No selection meets every constraint (typically the balance bounds).
        case noFeasibleSelection
        case invalid(String)

        public var description: String {
            switch self {
            case .mustIncludeInfeasible(let why): "the must-include candidates cannot all be selected: \(why)"
            case .noFeasibleSelection: "no selection meets every budget, the capacity, the dependencies and the balance bounds"
            case .invalid(let why): "invalid selection problem: \(why)"
            }
        }
    }

    /// Solves `problem` exactly unless `nodeLimit` search nodes are not enough; then the best
    /// selection found is returned with a proven bound.
    public static func solve(_ problem: Problem, nodeLimit: Int = 5_000_000) throws(SelectionError) -> Solution {
        var search = try Search(problem)
        search.run(nodeLimit: nodeLimit)
        if search.best.isEmpty && !search.stopped { throw .noFeasibleSelection }
        return search.solution()
    }
}

/// The branch-and-bound search. Items are ordered by value per unit of (scaled) resource;
/// the bound at a node is the fractional knapsack over the remaining items on the
/// surrogate constraint Σ_d usage_d / capacity_d ≤ Σ_d left_d / capacity_d, a valid
/// relaxation of every budget and the capacity (dependencies and balance are checked on
/// complete selections and at every decision that already breaks them).
private struct Search {
    let problem: PortfolioSelection.Problem
    let items: [PortfolioSelection.Candidate]
    let dimensions: [String]
    /// usage[i][d] and the capacities, dimension `hours` last.
    let usage: [[Int64]]
    let capacity: [Int64]
    let surrogate: [Double]
    let index: [String: Int]
    let requires: [[Int]]
    let requiredBy: [[Int]]
    /// Per dimension, the items by value per unit of that dimension (best first).
    let orders: [[Int]]

    var decided: [Bool?]
    var left: [Int64]
    var value = 0.0
    var best: [Bool] = []
    var bestValue = -1.0
    var nodes = 0
    var abandonedBound = -Double.infinity
    var stopped = false

    init(_ problem: PortfolioSelection.Problem) throws(PortfolioSelection.SelectionError) {
        self.problem = problem
        var seen = Set<String>()
        for candidate in problem.candidates {
            guard seen.insert(candidate.id).inserted else { throw .invalid("candidate \(candidate.id) appears twice") }
            guard candidate.value >= 0, candidate.value.isFinite else { throw .invalid("\(candidate.id) has a negative value") }
            guard candidate.hours >= 0, candidate.costs.values.allSatisfy({ $0 >= 0 }) else {
                throw .invalid("\(candidate.id) has a negative cost")
            }
        }
        let dimensions = Array(Set(problem.budgets.keys).union(problem.candidates.flatMap { $0.costs.keys })).sorted()
        self.dimensions = dimensions
        let capacity = dimensions.map { problem.budgets[$0] ?? 0 } + [problem.capacityHours]
        self.capacity = capacity
        func use(_ candidate: PortfolioSelection.Candidate) -> [Int64] {
            dimensions.map { candidate.costs[$0] ?? 0 } + [candidate.hours]
        }
        func scaled(_ usage: [Int64]) -> Double {
            zip(usage, capacity).reduce(0.0) { sum, pair in
                sum + (pair.0 == 0 ? 0 : (pair.1 == 0 ? Double.infinity : Double(pair.0) / Double(pair.1)))
            }
        }
        // Must-include first (decided up front), then by value per scaled resource.
        let ordered = problem.candidates.sorted { a, b in
            if a.mustInclude != b.mustInclude { return a.mustInclude }
            let da = scaled(use(a)), db = scaled(use(b))
            let ra = da == 0 ? Double.infinity : a.value / da, rb = db == 0 ? Double.infinity : b.value / db
            return ra == rb ? a.id < b.id : ra > rb
        }
        items = ordered
        usage = ordered.map(use)
        surrogate = usage.map(scaled)
        var index: [String: Int] = [:]
        for (position, item) in ordered.enumerated() { index[item.id] = position }
        self.index = index
        var requires: [[Int]] = Array(repeating: [], count: ordered.count)
        var requiredBy: [[Int]] = Array(repeating: [], count: ordered.count)
        for (position, item) in ordered.enumerated() {
            for dependency in item.requires {
                guard let target = index[dependency] else {
                    throw .invalid("\(item.id) requires \(dependency), which is not a candidate")
                }
                requires[position].append(target)
                requiredBy[target].append(position)
            }
        }
        self.requires = requires
        self.requiredBy = requiredBy
        let usage = self.usage
        orders = capacity.indices.map { d in
            ordered.indices.sorted { a, b in
                let ra = usage[a][d] == 0 ? Double.infinity : ordered[a].value / Double(usage[a][d])
                let rb = usage[b][d] == 0 ? Double.infinity : ordered[b].value / Double(usage[b][d])
                return ra > rb
            }
        }
        decided = Array(repeating: nil, count: ordered.count)
        left = capacity
        // Must-include candidates (and what they require) are in before the search starts.
        var queue = ordered.indices.filter { ordered[$0].mustInclude }
        while let next = queue.popLast() {
            guard decided[next] == nil else { continue }
            guard fits(next) else {
                throw .mustIncludeInfeasible("\(ordered[next].id) does not fit what is left of \(exceeded(next).joined(separator: ", "))")
            }
            take(next)
            queue.append(contentsOf: requires[next])
        }
    }

    func fits(_ item: Int) -> Bool {
        for d in capacity.indices where usage[item][d] > left[d] { return false }
        return true
    }

    func exceeded(_ item: Int) -> [String] {
        capacity.indices.filter { usage[item][$0] > left[$0] }.map { $0 < dimensions.count ? dimensions[$0] : "kapacitet/capacity (h)" }
    }

    mutating func take(_ item: Int) {
        decided[item] = true
        for d in capacity.indices { left[d] -= usage[item][d] }
        value += items[item].value
    }

    mutating func untake(_ item: Int) {
        decided[item] = nil
        for d in capacity.indices { left[d] += usage[item][d] }
        value -= items[item].value
    }

    /// The tightest of the relaxations: the surrogate knapsack and one fractional knapsack
    /// per budget and the capacity (each ignores the other constraints, so each bounds).
    func bound(from start: Int) -> Double {
        var tightest = surrogateBound(from: start)
        for d in capacity.indices {
            var room = Double(left[d])
            var total = value
            for item in orders[d] where decided[item] == nil {
                guard fits(item) else { continue }
                let weight = Double(usage[item][d])
                if weight <= room {
                    total += items[item].value
                    room -= weight
                } else {
                    total += items[item].value * room / weight
                    break
                }
                if total >= tightest { break }
            }
            tightest = min(tightest, total)
        }
        return tightest
    }

    /// Value now plus the fractional surrogate knapsack over the undecided items from `start`.
    func surrogateBound(from start: Int) -> Double {
        var room = zip(left, capacity).reduce(0.0) { $0 + ($1.1 == 0 ? 0 : Double($1.0) / Double($1.1)) }
        var total = value
        for item in start..<items.count where decided[item] == nil {
            guard fits(item) else { continue }
            let weight = surrogate[item]
            if weight <= room {
                total += items[item].value
                room -= weight
            } else {
                total += items[item].value * room / weight
                break
            }
        }
        return total
    }

    func dependenciesHold(includingUndecided: Bool) -> Bool {
        for item in items.indices where decided[item] == true {
            for dependency in requires[item] where decided[dependency] != true {
                if decided[dependency] == false || !includingUndecided { return false }
            }
        }
        return true
    }

    func balanceHolds() -> Bool {
        guard let share = problem.innovationShare else { return true }
        var total = 0.0, innovation = 0.0
        for item in items.indices where decided[item] == true {
            let cost = Double(items[item].totalCost)
            total += cost
            if items[item].innovation { innovation += cost }
        }
        guard total > 0 else { return share.contains(0) || share.lowerBound <= 0 }
        return share.contains(innovation / total)
    }

    mutating func run(nodeLimit: Int) {
        visit(0, nodeLimit: nodeLimit)
    }

    mutating func visit(_ position: Int, nodeLimit: Int) {
        var position = position
        while position < items.count && decided[position] != nil { position += 1 }
        let upper = bound(from: position)
        if upper <= bestValue + 1e-9 { return }
        if stopped || nodes >= nodeLimit {
            stopped = true
            abandonedBound = max(abandonedBound, upper)
            return
        }
        nodes += 1
        guard position < items.count else {
            // A complete selection: undecided items left out.
            if dependenciesHold(includingUndecided: false) && balanceHolds() && value > bestValue {
                bestValue = value
                best = decided.map { $0 == true }
            }
            return
        }
        // Include, when it fits and nothing it needs is already out.
        if fits(position) && !requires[position].contains(where: { decided[$0] == false }) {
            take(position)
            visit(position + 1, nodeLimit: nodeLimit)
            untake(position)
        }
        // Exclude, unless something already in needs it.
        if !requiredBy[position].contains(where: { decided[$0] == true }) {
            decided[position] = false
            visit(position + 1, nodeLimit: nodeLimit)
            decided[position] = nil
        }
    }

    func solution() -> PortfolioSelection.Solution {
        let chosen = best.isEmpty ? items.map { $0.mustInclude } : best
        let selectedValue = max(bestValue, 0)
        let proven = stopped ? max(abandonedBound, selectedValue) : selectedValue
        var reasons: [String: String] = [:]
        var remaining = capacity
        for item in items.indices where chosen[item] {
            for d in capacity.indices { remaining[d] -= usage[item][d] }
        }
        for item in items.indices {
            let candidate = items[item]
            if chosen[item] {
                reasons[candidate.id] = candidate.mustInclude
                    ? "Med: måste ingå (lagkrav eller tidigare beslut). / In: must be included (legal requirement or earlier decision)."
                    : "Med: ingår i det urval som ger högst sammanvägt värde inom budget och kapacitet (värde \(Self.format(candidate.value))). / In: part of the selection with the highest total value within budgets and capacity (value \(Self.format(candidate.value)))."
                continue
            }
            let short = capacity.indices.filter { usage[item][$0] > remaining[$0] }.map { d in
                d < dimensions.count
                    ? "\(dimensions[d]) (behöver/needs \(Self.kronor(usage[item][d])), kvar/left \(Self.kronor(remaining[d])))"
                    : "kapacitet/capacity (behöver/needs \(usage[item][d]) h, kvar/left \(remaining[d]) h)"
            }
            let missing = requires[item].filter { !chosen[$0] }.map { items[$0].id }
            if !missing.isEmpty {
                reasons[candidate.id] = "Ute: förutsätter \(missing.joined(separator: ", ")), som inte ryms. / Out: requires \(missing.joined(separator: ", ")), which is not selected."
            } else if !short.isEmpty {
                reasons[candidate.id] = "Ute: ryms inte i \(short.joined(separator: "; ")); de valda ger mer värde för pengarna. / Out: does not fit in what is left, and the selected ones give more value for the money."
            } else {
                reasons[candidate.id] = "Ute: skulle bryta balansen mellan effektivisering och innovation. / Out: would break the balance between efficiency and innovation."
            }
        }
        return PortfolioSelection.Solution(
            selected: items.indices.filter { chosen[$0] }.map { items[$0].id }.sorted(), value: selectedValue,
            bound: proven, isOptimal: !stopped, nodes: nodes, reasons: reasons)
    }

    static func format(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    static func kronor(_ ore: Int64) -> String { "\(ore / 100) kr" }
}
