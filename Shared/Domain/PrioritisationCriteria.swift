import Foundation

// Prioritering och beslut: the common criteria (nytta, angelägenhet, genomförbarhet,
// ekonomiska förutsättningar) weighted per round, the two balance axes of the Pios model,
// the aggregation of every SSG member's scores with their spread, each candidate's total
// broken down by criterion × weight, and how far a weight can move before the ranking
// changes. Pure value types and functions: no I/O.

/// The criteria every round has. Weighted criteria add to a candidate's total; the two
/// balance axes place it in a Pios quadrant and carry no weight.
public enum StandardCriterion: String, ClosedSet {
    /// Nytta.
    case benefit
    /// Angelägenhet.
    case urgency
    /// Genomförbarhet.
    case feasibility
    /// Ekonomiska förutsättningar.
    case economicConditions = "economic-conditions"
    /// Effektivisering (1) ↔ innovation (5).
    case efficiencyInnovation = "efficiency-innovation"
    /// Intern nytta (1) ↔ extern nytta (5), for residents, business and visitors.
    case internalExternal = "internal-external"

    public var isBalanceAxis: Bool { self == .efficiencyInnovation || self == .internalExternal }
}

/// One criterion of a round: its weight in percent and what each step of 1–5 means.
public struct Criterion: Codable, Sendable, Equatable {
    public var key: String
    /// The Swedish name shown to SSG.
    public var name: String
    /// Percent of the total; the weighted criteria of a set sum to 100. Absent (nil) on
    /// the balance axes, which classify rather than add value.
    public var weight: Decimal?
    /// What a score of 1, 2, 3, 4 and 5 means (five texts, Swedish).
    public var scale: [String]

    public init(key: String, name: String, weight: Decimal?, scale: [String]) {
        self.key = key
        self.name = name
        self.weight = weight
        self.scale = scale
    }

    public var isBalanceAxis: Bool { StandardCriterion(rawValue: key)?.isBalanceAxis ?? false }
}

/// The criteria and weights of a round at one version. A change of weights after
/// scoring has started makes a new version; a decision names the version it used.
public struct CriteriaSet: Codable, Sendable, Equatable {
    public var version: Int
    public var criteria: [Criterion]

    public init(version: Int, criteria: [Criterion]) {
        self.version = version
        self.criteria = criteria
    }

    /// The weighted criteria and their weights.
    public var weights: [String: Double] {
        var weights: [String: Double] = [:]
        for criterion in criteria where !criterion.isBalanceAxis {
            weights[criterion.key] = NSDecimalNumber(decimal: criterion.weight ?? 0).doubleValue
        }
        return weights
    }

    /// The city's starting point: benefit weighs most, the balance axes classify.
    public static let standard = CriteriaSet(version: 1, criteria: [
        Criterion(key: StandardCriterion.benefit.rawValue, name: "Nytta", weight: 35, scale: [
            "Ingen eller marginell nytta", "Begränsad nytta för en verksamhet", "Tydlig nytta för en målgrupp",
            "Stor nytta för flera målgrupper", "Mycket stor nytta för staden och invånarna",
        ]),
        Criterion(key: StandardCriterion.urgency.rawValue, name: "Angelägenhet", weight: 25, scale: [
            "Kan vänta flera år", "Bör göras inom några år", "Bör göras inom ett till två år",
            "Behövs nästa år", "Akut: lagkrav, avtal som löper ut eller stor risk att avstå",
        ]),
        Criterion(key: StandardCriterion.feasibility.rawValue, name: "Genomförbarhet", weight: 20, scale: [
            "Mycket osäker: saknar kompetens, teknik och resurser", "Osäker", "Genomförbar med vissa risker",
            "Genomförbar: resurser och teknik finns", "Enkel: beprövad lösning som kan återanvändas",
        ]),
        Criterion(key: StandardCriterion.economicConditions.rawValue, name: "Ekonomiska förutsättningar", weight: 20, scale: [
            "Kostnaden överstiger nyttan klart och saknar finansiering", "Kostnaden överstiger nyttan",
            "Kostnad och nytta i balans", "Nyttan överstiger kostnaden och finansiering finns",
            "Betalar sig snabbt och finansieringen är klar",
        ]),
        Criterion(key: StandardCriterion.efficiencyInnovation.rawValue, name: "Effektivisering ↔ innovation", weight: nil, scale: [
            "Ren effektivisering av befintligt arbetssätt", "Mest effektivisering", "Både och",
            "Mest nytt arbetssätt eller ny tjänst", "Innovation: helt nytt för staden",
        ]),
        Criterion(key: StandardCriterion.internalExternal.rawValue, name: "Intern ↔ extern nytta", weight: nil, scale: [
            "Nyttan stannar inom förvaltningen", "Mest intern nytta", "Både intern och extern nytta",
            "Mest nytta för invånare, näringsliv eller besökare", "Nyttan når främst invånare, näringsliv eller besökare",
        ]),
    ])

    /// Every broken rule, named by its JSON path.
    public func problems() -> [(field: String, reason: String)] {
        var found: [(String, String)] = []
        var keys = Set<String>()
        for (index, criterion) in criteria.enumerated() {
            let path = "criteria[\(index)]"
            let keyOK = (2...40).contains(criterion.key.utf8.count)
                && criterion.key.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D }
            if !keyOK { found.append(("\(path).key", "must be 2–40 of a-z and '-'")) }
            if !keys.insert(criterion.key).inserted { found.append(("\(path).key", "appears twice")) }
            if !(1...100).contains(criterion.name.trimmingCharacters(in: .whitespaces).count) {
                found.append(("\(path).name", "must be 1 to 100 characters"))
            }
            if criterion.scale.count != 5 || criterion.scale.contains(where: { !(1...300).contains($0.count) }) {
                found.append(("\(path).scale", "must be five descriptions (1–300 characters), one for each score 1–5"))
            }
            if criterion.isBalanceAxis {
                if criterion.weight != nil {
                    found.append(("\(path).weight", "must be absent: the balance axes place a candidate in a Pios quadrant and carry no weight"))
                }
            } else if let weight = criterion.weight {
                if weight < 0 || weight > 100 { found.append(("\(path).weight", "must be from 0 to 100 (percent)")) }
            } else {
                found.append(("\(path).weight", "is required (percent) for a weighted criterion"))
            }
        }
        for standard in StandardCriterion.allCases where !keys.contains(standard.rawValue) {
            found.append(("criteria", "must include \(standard.rawValue): the city's common criteria and both balance axes"))
        }
        let total = criteria.filter { !$0.isBalanceAxis }.compactMap(\.weight).reduce(Decimal(0), +)
        if total != 100 { found.append(("criteria", "the weights must sum to 100 (percent); they sum to \(total)")) }
        return found
    }
}

/// One criterion's aggregated scores: the mean and the spread, so disagreement shows.
public struct CriterionAggregate: Codable, Sendable, Equatable {
    public var key: String
    public var count: Int
    public var mean: Double?
    public var min: Int?
    public var max: Int?
    /// Population standard deviation of the scores.
    public var standardDeviation: Double?
    /// Each member's score, by the member's subject.
    public var scores: [String: Int]

    /// Large disagreement: the scores span three steps or more.
    public var disagreement: Bool { (max ?? 0) - (min ?? 0) >= 3 }
}

/// A criterion's part of a candidate's total: mean score × weight ÷ total weight.
public struct Contribution: Codable, Sendable, Equatable {
    public var key: String
    public var weight: Double
    public var meanScore: Double?
    public var contribution: Double
}

/// The Pios quadrants: efficiency or innovation × internal or external benefit.
public enum PiosQuadrant: String, ClosedSet {
    case efficiencyInternal = "efficiency-internal"
    case efficiencyExternal = "efficiency-external"
    case innovationInternal = "innovation-internal"
    case innovationExternal = "innovation-external"

    public init(innovation: Bool, external: Bool) {
        switch (innovation, external) {
        case (false, false): self = .efficiencyInternal
        case (false, true): self = .efficiencyExternal
        case (true, false): self = .innovationInternal
        case (true, true): self = .innovationExternal
        }
    }

    public var isInnovation: Bool { self == .innovationInternal || self == .innovationExternal }
}

public enum Scoring {
    /// Aggregates every member's scores (subject → criterion → 1…5) per criterion.
    public static func aggregate(_ byMember: [String: [String: Int]], criteria: [String]) -> [CriterionAggregate] {
        criteria.map { key in
            var scores: [String: Int] = [:]
            for (member, set) in byMember { if let score = set[key] { scores[member] = score } }
            let values = scores.values.map(Double.init)
            guard !values.isEmpty else {
                return CriterionAggregate(key: key, count: 0, mean: nil, min: nil, max: nil, standardDeviation: nil, scores: [:])
            }
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
            return CriterionAggregate(
                key: key, count: values.count, mean: rounded(mean), min: scores.values.min(), max: scores.values.max(),
                standardDeviation: rounded(variance.squareRoot()), scores: scores)
        }
    }

    /// The weighted total (on the 1–5 scale) and each criterion's part of it. An
    /// unscored criterion contributes nothing.
    public static func total(means: [String: Double], weights: [String: Double]) -> (total: Double, parts: [Contribution]) {
        let sum = weights.values.reduce(0, +)
        guard sum > 0 else { return (0, []) }
        let parts = weights.keys.sorted().map { key in
            let weight = weights[key] ?? 0
            return Contribution(
                key: key, weight: weight, meanScore: means[key], contribution: rounded((means[key] ?? 0) * weight / sum))
        }
        return (rounded(parts.map(\.contribution).reduce(0, +)), parts)
    }

    /// Which quadrant: the mean on each axis above the middle (3) is innovation or
    /// external; an unscored axis takes the fallback (from the analysis' benefit lines).
    public static func quadrant(means: [String: Double], externalFallback: Bool) -> PiosQuadrant {
        let innovation = (means[StandardCriterion.efficiencyInnovation.rawValue] ?? 0) > 3
        let external = means[StandardCriterion.internalExternal.rawValue].map { $0 > 3 } ?? externalFallback
        return PiosQuadrant(innovation: innovation, external: external)
    }

    static func rounded(_ value: Double) -> Double { (value * 10_000).rounded() / 10_000 }
}

/// How far one weight can move, the others fixed, before something changes.
public struct WeightRange: Codable, Sendable, Equatable {
    public var key: String
    public var weight: Double
    /// The lowest weight (≥ 0) at which the result is still the same.
    public var lowest: Double
    /// The highest weight at which the result is still the same; nil when no weight
    /// however large changes it.
    public var highest: Double?
    /// Who enters (and who leaves) at the lower and upper edge.
    public var changeBelow: String?
    public var changeAbove: String?
}

public enum WeightSensitivity {
    /// For each weighted criterion: the weights between which the set of the `top` best
    /// candidates stays the same. Exact: totals are linear in each weight, so the edge is
    /// the nearest point where a candidate outside overtakes one inside.
    public static func ranking(
        means: [String: [String: Double]], weights: [String: Double], top: Int
    ) -> [WeightRange] {
        let ids = means.keys.sorted()
        let raw = ids.map { id in weights.reduce(0.0) { $0 + $1.value * (means[id]?[$1.key] ?? 0) } }
        let order = ids.indices.sorted { raw[$0] == raw[$1] ? ids[$0] < ids[$1] : raw[$0] > raw[$1] }
        let k = min(top, ids.count)
        let inside = Array(order.prefix(k)), outside = Array(order.dropFirst(k))
        return weights.keys.sorted().map { key in
            let weight = weights[key] ?? 0
            var up = Double.infinity, down = Double.infinity
            var upWho: String?, downWho: String?
            for i in inside {
                for j in outside {
                    let si = means[ids[i]]?[key] ?? 0, sj = means[ids[j]]?[key] ?? 0
                    let lead = raw[i] - raw[j]
                    guard si != sj else { continue }
                    // lead + d (si − sj) = 0 at d = lead / (sj − si).
                    let d = lead / (sj - si)
                    if sj > si, d < up { up = d; upWho = "\(ids[j]) ersätter/replaces \(ids[i])" }
                    if sj < si, -d < down { down = -d; downWho = "\(ids[j]) ersätter/replaces \(ids[i])" }
                }
            }
            let lowest = down.isFinite && weight - down > 0 ? weight - down : 0
            return WeightRange(
                key: key, weight: weight, lowest: Scoring.rounded(lowest),
                highest: up.isFinite ? Scoring.rounded(weight + up) : nil,
                changeBelow: down.isFinite && weight - down > 0 ? downWho : nil, changeAbove: up.isFinite ? upWho : nil)
        }
    }

    /// For each weighted criterion: the weights between which `select` returns the same
    /// set, found by stepping out from the current weight in steps of `step` × weight
    /// (at least 1 point) up to `reach` × weight, then bisecting to `tolerance` points.
    public static func selection(
        weights: [String: Double], reach: Double = 3, step: Double = 0.1, tolerance: Double = 0.05,
        select: ([String: Double]) throws -> Set<String>
    ) throws -> [WeightRange] {
        let baseline = try select(weights)
        return try weights.keys.sorted().map { key in
            let weight = weights[key] ?? 0
            func same(_ value: Double) throws -> (Bool, Set<String>) {
                var moved = weights
                moved[key] = value
                let chosen = try select(moved)
                return (chosen == baseline, chosen)
            }
            func describe(_ other: Set<String>) -> String {
                let entering = other.subtracting(baseline).sorted(), leaving = baseline.subtracting(other).sorted()
                return "in: \(entering.joined(separator: ", ")); ut/out: \(leaving.joined(separator: ", "))"
            }
            let stride = max(weight * step, 1)
            // Downwards to zero.
            var lowest = 0.0
            var below: String?
            var good = weight, probe = weight - stride
            while probe > 0 || good > 0 {
                let candidate = max(probe, 0)
                let (ok, chosen) = try same(candidate)
                if !ok {
                    var bad = candidate
                    var badSet = chosen
                    while good - bad > tolerance {
                        let middle = (good + bad) / 2
                        let (midOK, midSet) = try same(middle)
                        if midOK { good = middle } else { bad = middle; badSet = midSet }
                    }
                    lowest = good
                    below = describe(badSet)
                    break
                }
                good = candidate
                if candidate == 0 { break }
                probe -= stride
            }
            // Upwards to reach × weight (at least weight + 100 points).
            let limit = max(weight * reach, weight + 100)
            var highest: Double?
            var above: String?
            good = weight
            probe = weight + stride
            while probe <= limit {
                let (ok, chosen) = try same(probe)
                if !ok {
                    var bad = probe
                    var badSet = chosen
                    while bad - good > tolerance {
                        let middle = (good + bad) / 2
                        let (midOK, midSet) = try same(middle)
                        if midOK { good = middle } else { bad = middle; badSet = midSet }
                    }
                    highest = good
                    above = describe(badSet)
                    break
                }
                good = probe
                probe += stride
            }
            return WeightRange(
                key: key, weight: weight, lowest: Scoring.rounded(lowest), highest: highest.map(Scoring.rounded),
                changeBelow: below, changeAbove: above)
        }
    }
}
