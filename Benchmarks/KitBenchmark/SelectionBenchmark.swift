import ArgumentParser
import Domain
import Foundation

/// `styrbord-bench selection`: one portfolio-selection pass (the prioritisation service's
/// `PortfolioSelection.solveScalable`) on synthetic rounds of 1 000, 5 000 and 10 000
/// candidates with realistic budgets, and the optimality gap of the fast pass against the
/// exact branch and bound on instances small enough to solve exactly. No broker, no database.
struct SelectionBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selection",
        abstract: "Time of one selection pass at 1k/5k/10k candidates; gap of the fast pass vs the exact solver.")

    @Option(help: "Pool sizes to time, comma-separated.")
    var sizes: String = "1000,5000,10000"

    @Option(help: "Repetitions per size (the median is reported).")
    var repetitions: Int = 3

    @Option(help: "Small instances solved exactly for the gap.")
    var smallInstances: Int = 10

    @Option(help: "Candidates per small instance (100 takes about 15 s each to prove optimal).")
    var smallSize: Int = 100

    func run() throws {
        var perItem: [(Int, Double)] = []
        for size in sizes.split(separator: ",").compactMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) {
            let problem = SyntheticRound.make(size, seed: UInt64(size))
            var times: [Double] = []
            var solution: PortfolioSelection.Solution?
            for _ in 0..<max(1, repetitions) {
                let clock = ContinuousClock()
                let start = clock.now
                solution = try PortfolioSelection.solveScalable(problem)
                times.append((clock.now - start).seconds)
            }
            let median = times.sorted()[times.count / 2]
            // The pass without its core step (a fixed-size exact search), to show how the rest grows.
            let greedyStart = ContinuousClock().now
            _ = try PortfolioSelection.approximate(problem, coreSize: 0)
            let greedySeconds = (ContinuousClock().now - greedyStart).seconds
            let found = try solution.orThrow("no solution for \(size)")
            let provenGap = found.bound > 0 ? found.gap / found.bound : 0
            let nLogN = Double(size) * log2(Double(size))
            perItem.append((size, median / nLogN))
            BenchmarkResult(
                name: "selection-pass", count: size, seconds: median,
                extra: [("selected", String(found.selected.count)), ("proven_gap_pct", String(format: "%.3f", provenGap * 100)),
                        ("ns_per_nlogn", String(format: "%.2f", median / nLogN * 1e9)),
                        ("without_core_step_seconds", String(format: "%.4f", greedySeconds))]
            ).print()
        }
        if let first = perItem.first, let last = perItem.last, first.1 > 0 {
            let growth = last.1 / first.1
            FileHandle.standardError.write(Data(
                "time / (n log n) from \(first.0) to \(last.0): x\(String(format: "%.2f", growth)) (≤ 1.5 means no worse than n log n)\n".utf8))
            BenchmarkResult(name: "selection-growth", count: last.0, seconds: 0, extra: [("nlogn_ratio", String(format: "%.2f", growth))]).print()
        }
        var worst = 0.0, sum = 0.0, hybridWorst = 0.0, greedyWorst = 0.0
        let clock = ContinuousClock()
        let start = clock.now
        for seed in 1...max(1, smallInstances) {
            let problem = SyntheticRound.make(smallSize, seed: UInt64(seed) &* 7919)
            let exact = try PortfolioSelection.solve(problem)
            guard exact.isOptimal, exact.value > 0 else { continue }
            let fast = try PortfolioSelection.approximate(problem)
            let hybrid = try PortfolioSelection.solveScalable(problem)
            let greedy = try PortfolioSelection.approximate(problem, coreSize: 0)
            greedyWorst = max(greedyWorst, (exact.value - greedy.value) / exact.value)
            let gap = max(0, (exact.value - fast.value) / exact.value)
            if gap > 0.01 {
                FileHandle.standardError.write(Data(
                    "instance \(seed): fast \(fast.selected.count) selected, value \(fast.value); exact \(exact.selected.count), \(exact.value)\n".utf8))
            }
            worst = max(worst, gap)
            sum += gap
            hybridWorst = max(hybridWorst, max(0, (exact.value - hybrid.value) / exact.value))
        }
        BenchmarkResult(
            name: "selection-gap", count: smallInstances, seconds: (clock.now - start).seconds,
            extra: [("size", String(smallSize)), ("fast_worst_gap_pct", String(format: "%.3f", worst * 100)),
                    ("fast_mean_gap_pct", String(format: "%.3f", sum / Double(max(1, smallInstances)) * 100)),
                    ("without_core_step_worst_gap_pct", String(format: "%.3f", greedyWorst * 100)),
                    ("service_worst_gap_pct", String(format: "%.3f", hybridWorst * 100)), ("required_pct", "1.000")]
        ).print()
    }
}

/// Synthetic rounds: mixed financing types, costs from 50 000 to 5 M kr, supplier hours,
/// one candidate in eight needing another, a few legal requirements, budgets for about a
/// third of the demand and an innovation share between 20 % and 50 %.
enum SyntheticRound {
    static func make(_ count: Int, seed: UInt64) -> PortfolioSelection.Problem {
        var random = BenchRandom(state: seed)
        let types = ["cost-allocation", "invoice-per-unit", "municipal-grant", "leasing"]
        var demand: [String: Int64] = [:]
        var hours: Int64 = 0
        var candidates: [PortfolioSelection.Candidate] = []
        for index in 0..<count {
            let type = types[Int(random.next() % 4)]
            let cost = Int64(50_000 + random.next() % 4_950_000) * 100
            let needHours = Int64(random.next() % 2_000)
            demand[type, default: 0] += cost
            hours += needHours
            var requires: [String] = []
            if index > 10, random.next() % 8 == 0 { requires = ["c\(Int(random.next() % UInt64(index)))"] }
            candidates.append(.init(
                id: "c\(index)", value: 1 + Double(random.next() % 4_000) / 1_000, costs: [type: cost], hours: needHours,
                mustInclude: count >= 500 && index % 500 == 7, requires: requires, innovation: random.next() % 3 == 0))
        }
        return .init(
            candidates: candidates, budgets: demand.mapValues { $0 / 3 }, capacityHours: hours / 3, innovationShare: 0.2...0.5)
    }
}

struct BenchRandom {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Optional {
    fileprivate func orThrow(_ message: String) throws -> Wrapped {
        guard let self else { throw BenchmarkFailure(message) }
        return self
    }
}
