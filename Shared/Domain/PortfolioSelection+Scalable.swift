/// A fast pass for pools too large to search exactly (thousands of candidates): greedy by
/// value per scaled resource with dependencies taken as bundles and the innovation share
/// steered as it fills (once more with the budgets priced by the Lagrangian dual), then an
/// exchange pass near the margin, then the core step: the candidates nearest the greedy
/// margin are searched exactly by the branch and bound with everything else held as the
/// greedy left it (the "core problem" idea from knapsack solving). Its proven bound is the
/// tightest of the root relaxations (the surrogate knapsack, one fractional knapsack per
/// budget and the capacity, and the Lagrangian dual keeping dependency forests), so the
/// reported gap is a guarantee, not an estimate.
/// Time O(n log n) for the sort plus O(n · budgets) for the fill; the core step costs at
/// most `coreNodeLimit` nodes over `coreSize` candidates, whatever the pool's size.
extension PortfolioSelection {
    /// Exact below `exactLimit` candidates (within `nodeLimit` nodes), the fast pass above
    /// it; the better of the two answers when the exact search stops early.
    public static func solveScalable(_ problem: Problem, exactLimit: Int = 300, nodeLimit: Int = 300_000) throws(SelectionError)
        -> Solution
    {
        let fast = try approximate(problem)
        guard problem.candidates.count <= exactLimit else { return fast }
        let exact = try solve(problem, nodeLimit: nodeLimit)
        if exact.isOptimal || exact.value >= fast.value { return exact }
        var better = fast
        better.bound = min(exact.bound, fast.bound)
        better.nodes = exact.nodes
        return better
    }

    /// The fast pass alone.
    public static func approximate(_ problem: Problem, coreSize: Int = 40, coreNodeLimit: Int = 200_000) throws(SelectionError)
        -> Solution
    {
        var fill = try Fill(problem)
        fill.run()
        fill.searchCore(size: coreSize, nodeLimit: coreNodeLimit)
        return fill.solution()
    }
}

private struct Fill {
    let problem: PortfolioSelection.Problem
    let items: [PortfolioSelection.Candidate]
    let dimensions: [String]
    let usage: [[Int64]]
    let capacity: [Int64]
    /// Value per scaled resource under the current dimension weights (`lambda`).
    var ratio: [Double]
    let requires: [[Int]]
    let requiredBy: [[Int]]
    var chosen: [Bool]
    var left: [Int64]
    var innovationCost = 0.0
    var totalCost = 0.0
    /// Σ value of the chosen items.
    var current = 0.0

    init(_ problem: PortfolioSelection.Problem) throws(PortfolioSelection.SelectionError) {
        self.problem = problem
        var index: [String: Int] = [:]
        for (position, candidate) in problem.candidates.enumerated() {
            guard index.updateValue(position, forKey: candidate.id) == nil else {
                throw .invalid("candidate \(candidate.id) appears twice")
            }
            guard candidate.value >= 0, candidate.value.isFinite else { throw .invalid("\(candidate.id) has a negative value") }
            guard candidate.hours >= 0, candidate.costs.values.allSatisfy({ $0 >= 0 }) else {
                throw .invalid("\(candidate.id) has a negative cost")
            }
        }
        items = problem.candidates
        let dimensions = Array(Set(problem.budgets.keys).union(problem.candidates.flatMap { $0.costs.keys })).sorted()
        self.dimensions = dimensions
        let capacity = dimensions.map { problem.budgets[$0] ?? 0 } + [problem.capacityHours]
        self.capacity = capacity
        let usage = problem.candidates.map { candidate in dimensions.map { candidate.costs[$0] ?? 0 } + [candidate.hours] }
        self.usage = usage
        ratio = Self.ratios(problem.candidates, usage, capacity, lambda: Array(repeating: 1, count: capacity.count))
        var requires: [[Int]] = []
        for candidate in problem.candidates {
            var targets: [Int] = []
            for dependency in candidate.requires {
                guard let target = index[dependency] else {
                    throw .invalid("\(candidate.id) requires \(dependency), which is not a candidate")
                }
                targets.append(target)
            }
            requires.append(targets)
        }
        self.requires = requires
        var requiredBy: [[Int]] = Array(repeating: [], count: requires.count)
        for (item, targets) in requires.enumerated() { for target in targets { requiredBy[target].append(item) } }
        self.requiredBy = requiredBy
        chosen = Array(repeating: false, count: problem.candidates.count)
        left = capacity
        for item in items.indices where items[item].mustInclude {
            let bundle = self.bundle(item)
            guard fits(bundle) else {
                let short = capacity.indices.filter { d in bundle.reduce(Int64(0)) { $0 + usage[$1][d] } > left[d] }
                    .map { $0 < dimensions.count ? dimensions[$0] : "kapacitet/capacity (h)" }
                throw .mustIncludeInfeasible("\(items[item].id) does not fit what is left of \(short.joined(separator: ", "))")
            }
            take(bundle)
        }
    }

    static func ratios(
        _ candidates: [PortfolioSelection.Candidate], _ usage: [[Int64]], _ capacity: [Int64], lambda: [Double]
    ) -> [Double] {
        zip(candidates, usage).map { candidate, use in
            var scaled = 0.0
            for d in use.indices where use[d] > 0 {
                scaled += capacity[d] == 0 ? Double.infinity : lambda[d] * Double(use[d]) / Double(capacity[d])
            }
            return scaled == 0 ? Double.infinity : candidate.value / scaled
        }
    }

    var value: Double { current }

    func dependenciesHold() -> Bool {
        items.indices.allSatisfy { !chosen[$0] || requires[$0].allSatisfy { chosen[$0] } }
    }

    /// Several greedy passes, each weighing the budgets by how tight the previous pass
    /// found them (effective-gradient style), and a last one weighing them by their prices
    /// in the Lagrangian dual; the best feasible one is kept, with its order (`ratio`).
    mutating func run(passes: Int = 6) {
        let start = (chosen, left, innovationCost, totalCost, current)
        var best: ([Bool], [Int64], Double, Double, Double)?
        var bestRatio = ratio
        var bestValue = -1.0
        func attempt(_ lambda: [Double]) {
            ratio = Self.ratios(items, usage, capacity, lambda: lambda)
            // Two fills per weighting: one steering the share as it goes, one filling
            // freely and repairing the share afterwards.
            for steer in [true, false] {
                (chosen, left, innovationCost, totalCost, current) = start
                pass(steer: steer)
                if balanceHolds() && dependenciesHold() && value > bestValue {
                    bestValue = value
                    best = (chosen, left, innovationCost, totalCost, current)
                    bestRatio = ratio
                }
            }
        }
        var lambda = Array(repeating: 1.0, count: capacity.count)
        for _ in 0..<passes {
            attempt(lambda)
            // Tighter budgets weigh more in the next pass.
            var changed = false
            for d in capacity.indices where capacity[d] > 0 {
                let used = Double(capacity[d] - left[d]) / Double(capacity[d])
                let next = max(0.05, used * used)
                if abs(next - lambda[d]) > 1e-6 { changed = true }
                lambda[d] = next
            }
            if !changed { break }
        }
        let dual = lagrangian(target: max(bestValue, 0))
        if dual.prices.contains(where: { $0 > 0 }) {
            attempt(dual.prices)
            // The relaxation's own selection, made to fit: the dual's answer keeps the
            // dependencies but may overrun a budget a little.
            (chosen, left, innovationCost, totalCost, current) = start
            repairFromDual(dual.selection)
            if balanceHolds() && dependenciesHold() && value > bestValue {
                bestValue = value
                best = (chosen, left, innovationCost, totalCost, current)
                bestRatio = ratio
            }
        }
        if let best {
            (chosen, left, innovationCost, totalCost, current) = best
            ratio = bestRatio
        } else {
            (chosen, left, innovationCost, totalCost, current) = start
        }
    }

    /// Takes the dual's selection, leaves out its weakest candidates (by `ratio`, never one
    /// something chosen needs) while a budget or the capacity is overrun, then restores the
    /// balance and fills and improves as a greedy pass does.
    mutating func repairFromDual(_ selection: [Int]) {
        for item in selection where !chosen[item] { take(bundle(item)) }
        while let over = capacity.indices.first(where: { left[$0] < 0 }) {
            let removable = items.indices.filter { item in
                chosen[item] && !items[item].mustInclude && usage[item][over] > 0 && !requiredBy[item].contains { chosen[$0] }
            }
            guard let weakest = removable.min(by: { ratio[$0] < ratio[$1] }) else { return }
            drop(weakest)
        }
        let order = items.indices.sorted { ratio[$0] == ratio[$1] ? items[$0].id < items[$1].id : ratio[$0] > ratio[$1] }
        repairBalance(order: order)
        fillFree(in: order)
        improve()
        dropAndRefill(order: order)
    }

    /// The item and everything it needs that is not yet chosen (transitively).
    func bundle(_ item: Int) -> [Int] {
        if requires[item].isEmpty { return chosen[item] ? [] : [item] }
        var seen: Set<Int> = [item]
        var queue = [item]
        var result: [Int] = []
        while let next = queue.popLast() {
            guard !chosen[next] else { continue }
            result.append(next)
            for dependency in requires[next] where seen.insert(dependency).inserted { queue.append(dependency) }
        }
        return result
    }

    func fits(_ bundle: [Int]) -> Bool {
        for d in capacity.indices where bundle.reduce(Int64(0), { $0 + usage[$1][d] }) > left[d] { return false }
        return true
    }

    mutating func take(_ bundle: [Int]) {
        for item in bundle {
            chosen[item] = true
            for d in capacity.indices { left[d] -= usage[item][d] }
            let cost = Double(items[item].totalCost)
            totalCost += cost
            current += items[item].value
            if items[item].innovation { innovationCost += cost }
        }
    }

    mutating func drop(_ item: Int) {
        chosen[item] = false
        for d in capacity.indices { left[d] += usage[item][d] }
        let cost = Double(items[item].totalCost)
        totalCost -= cost
        current -= items[item].value
        if items[item].innovation { innovationCost -= cost }
    }

    func share(adding bundle: [Int]) -> Double? {
        var total = totalCost, innovation = innovationCost
        for item in bundle {
            let cost = Double(items[item].totalCost)
            total += cost
            if items[item].innovation { innovation += cost }
        }
        return total > 0 ? innovation / total : nil
    }

    func balanceHolds() -> Bool {
        guard let bounds = problem.innovationShare else { return true }
        guard totalCost > 0 else { return bounds.lowerBound <= 0 }
        return bounds.contains(innovationCost / totalCost)
    }

    mutating func pass(steer: Bool) {
        let order = items.indices.sorted { ratio[$0] == ratio[$1] ? items[$0].id < items[$1].id : ratio[$0] > ratio[$1] }
        if !steer || problem.innovationShare == nil {
            for item in order where !chosen[item] {
                let bundle = self.bundle(item)
                if fits(bundle) { take(bundle) }
            }
            repairBalance(order: order)
            improve()
            dropAndRefill(order: order)
            return
        }
        let upper = problem.innovationShare?.upperBound ?? 1
        let lower = problem.innovationShare?.lowerBound ?? 0
        // Two queues, so that the side the share needs can be served first.
        let innovation = order.filter { items[$0].innovation }, efficiency = order.filter { !items[$0].innovation }
        var nextInnovation = 0, nextEfficiency = 0
        while nextInnovation < innovation.count || nextEfficiency < efficiency.count {
            let current = totalCost > 0 ? innovationCost / totalCost : (lower + upper) / 2
            let pickInnovation: Bool
            if nextInnovation >= innovation.count {
                pickInnovation = false
            } else if nextEfficiency >= efficiency.count {
                pickInnovation = true
            } else if current < lower {
                pickInnovation = true
            } else if current > upper {
                pickInnovation = false
            } else {
                pickInnovation = ratio[innovation[nextInnovation]] >= ratio[efficiency[nextEfficiency]]
            }
            let item: Int
            if pickInnovation {
                item = innovation[nextInnovation]
                nextInnovation += 1
            } else {
                item = efficiency[nextEfficiency]
                nextEfficiency += 1
            }
            guard !chosen[item] else { continue }
            let bundle = self.bundle(item)
            guard fits(bundle) else { continue }
            if let bounds = problem.innovationShare, let after = share(adding: bundle), !bounds.contains(after),
                let before = share(adding: []), bounds.contains(before)
            {
                continue  // would push an acceptable share out of bounds
            }
            take(bundle)
        }
        repairBalance(order: order)
        improve()
        dropAndRefill(order: order)
    }

    /// Leaves out one of the weakest chosen items at a time and refills greedily; keeps
    /// the change when the value rises and the balance holds.
    mutating func dropAndRefill(order: [Int], margin: Int = 50, rounds: Int = 3) {
        for _ in 0..<rounds {
            var improved = false
            let weakest = items.indices.filter { chosen[$0] && !items[$0].mustInclude }
                .sorted { ratio[$0] < ratio[$1] }.prefix(margin)
            for victim in weakest where chosen[victim] && !requiredBy[victim].contains(where: { chosen[$0] }) {
                let saved = (chosen, left, innovationCost, totalCost, current)
                drop(victim)
                for item in order where !chosen[item] && item != victim {
                    let bundle = self.bundle(item)
                    guard !bundle.contains(victim), fits(bundle) else { continue }
                    take(bundle)
                    if !balanceHolds() { for member in bundle { drop(member) } }
                }
                if current > saved.4 + 1e-9 && balanceHolds() {
                    improved = true
                } else {
                    (chosen, left, innovationCost, totalCost, current) = saved
                }
            }
            if !improved { break }
        }
    }

    /// When the share is still out of bounds: add the best-placed candidate of the side
    /// that is short when one fits, otherwise leave out the weakest of the side in excess
    /// (never a must-include or a needed one), until it holds.
    mutating func repairBalance(order: [Int]) {
        guard let bounds = problem.innovationShare else { return }
        var attempts = 2 * items.count
        while !balanceHolds() && attempts > 0 {
            attempts -= 1
            let needInnovation = totalCost == 0 || innovationCost / totalCost < bounds.lowerBound
            if let add = order.first(where: { !chosen[$0] && items[$0].innovation == needInnovation && fits(bundle($0)) }) {
                take(bundle(add))
                continue
            }
            let removable = items.indices.filter { item in
                chosen[item] && !items[item].mustInclude && items[item].innovation != needInnovation
                    && !requiredBy[item].contains { chosen[$0] }
            }
            guard let weakest = removable.min(by: { ratio[$0] < ratio[$1] }) else { return }
            drop(weakest)
        }
    }

    /// One exchange pass near the margin: an item left out replaces one or two chosen
    /// items of lower value when the budgets, the dependencies and the balance allow.
    mutating func improve() {
        let margin = 200
        let outside = items.indices.filter { !chosen[$0] && requires[$0].allSatisfy { chosen[$0] } }
            .sorted { items[$0].value > items[$1].value }.prefix(margin)
        let inside = items.indices.filter { chosen[$0] && !items[$0].mustInclude }
            .sorted { ratio[$0] < ratio[$1] }.prefix(margin)
        for candidate in outside where !chosen[candidate] {
            for victim in inside where chosen[victim] && items[victim].value < items[candidate].value {
                if requiredBy[victim].contains(where: { chosen[$0] }) { continue }
                if requires[candidate].contains(victim) { continue }
                drop(victim)
                if fits([candidate]) && requires[candidate].allSatisfy({ chosen[$0] }) {
                    take([candidate])
                    if balanceHolds() { break }
                    drop(candidate)
                }
                take([victim])
            }
        }
        // Fill what the exchanges freed.
        fillFree(in: items.indices.sorted(by: { ratio[$0] > ratio[$1] }))
    }

    /// Takes, in `order`, every candidate (with what it needs) that still fits and keeps
    /// the balance.
    mutating func fillFree(in order: [Int]) {
        for item in order where !chosen[item] {
            let bundle = self.bundle(item)
            guard fits(bundle) else { continue }
            take(bundle)
            if !balanceHolds() { for member in bundle { drop(member) } }
        }
    }

    /// The core step. The weakest chosen and the strongest left-out candidates (by value
    /// per scaled resource) form the core; every other candidate stays as the greedy left
    /// it. The chosen ones outside the core enter the branch and bound as two must-include
    /// blocks (innovation and efficiency, so the balance is still computed on the whole
    /// selection); the greedy answer is one of the selections searched, so the result is
    /// never worse. A chosen candidate that needs a core one joins the core; a core one
    /// that needs a left-out candidate outside the core stays out.
    mutating func searchCore(size: Int, nodeLimit: Int) {
        guard size > 0, !items.isEmpty else { return }
        let capacity = capacity, usage = usage
        let fitsAlone = { (item: Int) in capacity.indices.allSatisfy { usage[item][$0] <= capacity[$0] } }
        let weakestIn = items.indices.filter { chosen[$0] && !items[$0].mustInclude }.sorted { ratio[$0] < ratio[$1] }
        let strongestOut = items.indices.filter { !chosen[$0] && fitsAlone($0) }.sorted { ratio[$0] > ratio[$1] }
        let fromInside = min(weakestIn.count, max(size / 2, size - strongestOut.count))
        var inCore = Array(repeating: false, count: items.count)
        for item in weakestIn.prefix(fromInside) { inCore[item] = true }
        for item in strongestOut.prefix(size - fromInside) { inCore[item] = true }
        // A left-out core candidate needing a left-out one outside the core cannot be taken.
        for item in items.indices where inCore[item] && !chosen[item] {
            if requires[item].contains(where: { !chosen[$0] && !inCore[$0] }) { inCore[item] = false }
        }
        // A chosen candidate outside the core needing a core one joins the core.
        var grew = true
        while grew {
            grew = false
            for item in items.indices where chosen[item] && !inCore[item] && requires[item].contains(where: { inCore[$0] }) {
                inCore[item] = true
                grew = true
            }
        }
        let core = items.indices.filter { inCore[$0] }
        guard !core.isEmpty else { return }
        var fixed: [Bool: PortfolioSelection.Candidate] = [:]
        for item in items.indices where chosen[item] && !inCore[item] {
            let side = items[item].innovation
            var block = fixed[side] ?? PortfolioSelection.Candidate(
                id: "\u{0}fixed-\(side ? "innovation" : "efficiency")", value: 0, costs: [:], hours: 0, mustInclude: true,
                innovation: side)
            block.value += items[item].value
            block.hours += items[item].hours
            for (type, cost) in items[item].costs { block.costs[type, default: 0] += cost }
            fixed[side] = block
        }
        var candidates = fixed.values.sorted { $0.id < $1.id }
        for item in core {
            var candidate = items[item]
            candidate.mustInclude = false
            candidate.requires = requires[item].filter { inCore[$0] }.map { items[$0].id }
            candidates.append(candidate)
        }
        let sub = PortfolioSelection.Problem(
            candidates: candidates, budgets: problem.budgets, capacityHours: problem.capacityHours,
            innovationShare: problem.innovationShare)
        guard let found = try? PortfolioSelection.solve(sub, nodeLimit: nodeLimit),
            found.value > current + 1e-9 * max(1, abs(current))
        else { return }
        let selected = Set(found.selected)
        for item in core where chosen[item] && !selected.contains(items[item].id) { drop(item) }
        for item in core where !chosen[item] && selected.contains(items[item].id) { take([item]) }
    }

    /// A proven upper bound: the best of the surrogate relaxations Σ_d λ_d·use_d ≤
    /// Σ_d λ_d·room_d over the candidates not forced in, solved fractionally, with λ
    /// improved by subgradient steps (its minimum over λ is the LP bound) and each budget
    /// alone. Each relaxation ignores dependencies and the balance, so each is valid.
    func bound(iterations: Int = 30) -> Double {
        let (base, room, free) = relaxed()
        func relax(_ lambda: [Double]) -> (value: Double, used: [Double]) {
            var limit = 0.0
            for d in capacity.indices where capacity[d] > 0 { limit += lambda[d] * Double(max(room[d], 0)) / Double(capacity[d]) }
            let weight = free.map { item in
                capacity.indices.reduce(0.0) { sum, d in
                    capacity[d] > 0 ? sum + lambda[d] * Double(usage[item][d]) / Double(capacity[d]) : sum
                }
            }
            let order = free.indices.sorted { a, b in
                let ra = weight[a] == 0 ? Double.infinity : items[free[a]].value / weight[a]
                let rb = weight[b] == 0 ? Double.infinity : items[free[b]].value / weight[b]
                return ra > rb
            }
            var total = base, left = limit
            var used = Array(repeating: 0.0, count: capacity.count)
            for position in order {
                let item = free[position]
                let share: Double
                if weight[position] <= left {
                    share = 1
                } else if left > 0 {
                    share = left / weight[position]
                } else {
                    break
                }
                total += items[item].value * share
                left -= weight[position] * share
                for d in capacity.indices { used[d] += share * Double(usage[item][d]) }
                if share < 1 { break }
            }
            return (total, used)
        }
        var best = Double.infinity
        for d in capacity.indices where capacity[d] > 0 {
            var unit = Array(repeating: 0.0, count: capacity.count)
            unit[d] = 1
            best = min(best, relax(unit).value)
        }
        var lambda = Array(repeating: 1.0, count: capacity.count)
        var step = 1.0
        for _ in 0..<iterations {
            let (value, used) = relax(lambda)
            best = min(best, value)
            var next = lambda
            for d in capacity.indices where capacity[d] > 0 {
                next[d] = max(0, lambda[d] + step * (used[d] - Double(max(room[d], 0))) / Double(capacity[d]))
            }
            let sum = next.reduce(0, +)
            guard sum > 0 else { break }
            lambda = next.map { $0 * Double(capacity.count) / sum }
            step *= 0.85
        }
        best = min(best, lagrangian(target: current, iterations: 1_000).bound)
        return best.isFinite ? best : base
    }

    /// What every relaxation starts from: the must-include candidates' value and what they
    /// leave of each budget, and the candidates that could still be taken (one that alone
    /// exceeds what is left of a budget never can).
    func relaxed() -> (base: Double, room: [Int64], free: [Int]) {
        var base = 0.0
        var room = capacity
        for item in items.indices where items[item].mustInclude {
            base += items[item].value
            for d in capacity.indices { room[d] -= usage[item][d] }
        }
        let free = items.indices.filter { item in
            !items[item].mustInclude && capacity.indices.allSatisfy { usage[item][$0] <= max(room[$0], 0) }
        }
        return (base, room, free)
    }

    /// The Lagrangian dual of the budgets and the capacity, minimised by subgradient steps
    /// with Polyak's step length aimed at the value already found: for multipliers μ ≥ 0,
    /// Σ_d μ_d·room_d + Σ_i max(0, value_i − Σ_d μ_d·use_id) bounds every selection, and its
    /// minimum is the linear-programming bound. Usage is scaled by the budget so one step
    /// suits every dimension. The prices (μ per dimension of `capacity`, in the scaled
    /// units `ratios` weighs by) are the multipliers of the best bound.
    func lagrangian(target: Double, iterations: Int = 400) -> (bound: Double, prices: [Double], selection: [Int]) {
        let (base, room, free) = relaxed()
        let dimensions = capacity.indices.filter { capacity[$0] > 0 }
        guard !dimensions.isEmpty, !free.isEmpty else { return (.infinity, Array(repeating: 0, count: capacity.count), []) }
        let scaledRoom = dimensions.map { Double(max(room[$0], 0)) / Double(capacity[$0]) }
        // Per free candidate, its non-zero scaled uses as (dimension position, share).
        let uses: [[(Int, Double)]] = free.map { item in
            dimensions.indices.compactMap { k in
                usage[item][dimensions[k]] > 0 ? (k, Double(usage[item][dimensions[k]]) / Double(capacity[dimensions[k]])) : nil
            }
        }
        let values = free.map { items[$0].value }
        // Start from the price at which the whole pool's value meets its use of each dimension.
        var mu = dimensions.indices.map { k in
            let demand = uses.reduce(0.0) { sum, use in sum + (use.first { $0.0 == k }?.1 ?? 0) }
            return demand > 0 ? values.reduce(0, +) / demand * 0.5 : 0
        }
        var best = Double.infinity, sinceBetter = 0, scale = 1.0
        var bestMu = mu
        let forest = dependencyForest(free)
        var gain = Array(repeating: 0.0, count: free.count), taken = Array(repeating: false, count: free.count)
        var bestTaken = taken
        for _ in 0..<iterations {
            var total = base
            var slope = scaledRoom
            for k in dimensions.indices { total += mu[k] * scaledRoom[k] }
            for (position, use) in uses.enumerated() {
                var reduced = values[position]
                for (k, share) in use { reduced -= mu[k] * share }
                gain[position] = reduced
            }
            // Each candidate's gain with the best of what depends on it (leaves first), then
            // from the roots down: a candidate is in when what it needs is and its gain is positive.
            for position in forest.upward { if let up = forest.parent[position], gain[position] > 0 { gain[up] += gain[position] } }
            for position in forest.upward.reversed() {
                taken[position] = gain[position] > 0 && forest.parent[position].map { taken[$0] } != false
                guard taken[position] else { continue }
                var reduced = values[position]
                for (k, share) in uses[position] { reduced -= mu[k] * share; slope[k] -= share }
                total += reduced
            }
            if total < best - 1e-12 {
                best = total
                bestMu = mu
                bestTaken = taken
                sinceBetter = 0
            } else {
                sinceBetter += 1
                if sinceBetter >= 15 {
                    scale /= 2
                    sinceBetter = 0
                }
            }
            let norm = slope.reduce(0) { $0 + $1 * $1 }
            guard norm > 1e-18, best - target > 1e-9 * max(1, abs(target)), scale > 1e-6 else { break }
            let step = scale * (total - target) / norm
            for k in dimensions.indices { mu[k] = max(0, mu[k] - step * slope[k]) }
        }
        var prices = Array(repeating: 0.0, count: capacity.count)
        for (k, d) in dimensions.enumerated() { prices[d] = bestMu[k] }
        return (best, prices, free.indices.filter { bestTaken[$0] }.map { free[$0] })
    }

    /// The dependencies among the free candidates when they form a forest (each candidate
    /// needs at most one other that may still be taken, no cycles): the one each needs
    /// (`parent`, by position in `free`) and an order with every candidate after what it
    /// needs. Anything else (two needs, a cycle) leaves the dependencies out of the
    /// relaxation, which stays valid, only looser. A need already forced in constrains nothing;
    /// a need that can never be taken is relaxed the same way.
    func dependencyForest(_ free: [Int]) -> (parent: [Int?], upward: [Int]) {
        var position: [Int: Int] = [:]
        for (index, item) in free.enumerated() { position[item] = index }
        var parent: [Int?] = Array(repeating: nil, count: free.count)
        var children: [[Int]] = Array(repeating: [], count: free.count)
        let none = (parent: Array(repeating: Int?.none, count: free.count), upward: Array(free.indices))
        for (index, item) in free.enumerated() {
            let needs = Set(requires[item].compactMap { position[$0] })
            guard needs.count <= 1 else { return none }
            if let need = needs.first {
                parent[index] = need
                children[need].append(index)
            }
        }
        // Roots first, then breadth first; a cycle leaves some candidates unreached.
        var order = free.indices.filter { parent[$0] == nil }
        var next = 0
        while next < order.count {
            order.append(contentsOf: children[order[next]])
            next += 1
        }
        guard order.count == free.count else { return none }
        return (parent, order.reversed())
    }

    func solution() -> PortfolioSelection.Solution {
        let value = items.indices.filter { chosen[$0] }.reduce(0.0) { $0 + items[$1].value }
        var remaining = capacity
        for item in items.indices where chosen[item] { for d in capacity.indices { remaining[d] -= usage[item][d] } }
        var reasons: [String: String] = [:]
        for item in items.indices {
            let candidate = items[item]
            if chosen[item] {
                reasons[candidate.id] = candidate.mustInclude
                    ? "Med: måste ingå (lagkrav eller tidigare beslut). / In: must be included (legal requirement or earlier decision)."
                    : "Med: högt värde per krona och timme; ryms inom budget och kapacitet. / In: high value per krona and hour; fits the budgets and capacity."
                continue
            }
            let short = capacity.indices.filter { usage[item][$0] > remaining[$0] }
                .map { $0 < dimensions.count ? dimensions[$0] : "kapacitet/capacity (h)" }
            let missing = requires[item].filter { !chosen[$0] }.map { items[$0].id }
            if !missing.isEmpty {
                reasons[candidate.id] = "Ute: förutsätter \(missing.joined(separator: ", ")), som inte ryms. / Out: requires \(missing.joined(separator: ", ")), which is not selected."
            } else if !short.isEmpty {
                reasons[candidate.id] = "Ute: ryms inte i \(short.joined(separator: "; ")). / Out: does not fit in what is left."
            } else {
                reasons[candidate.id] = "Ute: skulle bryta balansen mellan effektivisering och innovation. / Out: would break the balance between efficiency and innovation."
            }
        }
        let bound = max(self.bound(), value)
        return PortfolioSelection.Solution(
            selected: items.indices.filter { chosen[$0] }.map { items[$0].id }.sorted(), value: value, bound: bound,
            isOptimal: bound - value <= 1e-9, nodes: 0, reasons: reasons)
    }
}
