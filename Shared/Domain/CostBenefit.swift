import Foundation

// Kostnads- och nyttoanalys: the comparable cost model of the city's guideline.
//
// Conventions (the same for every initiative, so that figures compare):
// - Year 0 is the start. One-off costs (engångskostnader) fall in year 0 and are not
//   discounted.
// - Recurring costs (löpande kostnader) and every benefit line fall in each year
//   1 … lifetime, at the end of the year, and are discounted by (1 + r)^t.
// - Internal staff hours count as money at the organisation's hourly rate
//   (timpris), so that an initiative that counts only external costs cannot look cheaper.
// - Qualitative benefits (kvalitativa nyttor) carry a score 1–5 and an indicator; they
//   are never turned into money and do not enter NPV or the benefit/cost ratio.
// - Amounts are `Decimal` throughout; results are rounded to whole öre (2 decimals) and
//   ratios to 2 decimals, half away from zero, only at the end.

/// A number of hours, exact. Travels as a decimal string (`"120"`, `"7.5"`); a JSON
/// number is accepted too.
public struct Hours: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public var value: Decimal

    public init(_ value: Decimal) { self.value = value }

    public static func < (lhs: Hours, rhs: Hours) -> Bool { lhs.value < rhs.value }

    public var description: String { "\(value) h" }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            // The same strict decimal grammar as amounts: a point, no comma, no exponent.
            guard let parsed = SEK(exactly: text) else {
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: decoder.codingPath,
                        debugDescription: "must be a number of hours such as \"120\" or \"7.5\" (a point, not a comma); got '\(text)'"))
            }
            value = parsed.amount
        } else {
            value = try container.decode(Decimal.self)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value.description)
    }
}

/// When a cost falls.
public enum CostTiming: String, ClosedSet {
    /// Engångskostnad: once, in year 0.
    case oneOff = "one-off"
    /// Löpande kostnad: every year from year 1 to the end of the lifetime.
    case recurring
}

/// Whether a cost is money paid to others or the city's own staff time.
public enum CostKind: String, ClosedSet {
    /// Extern kostnad: licences, consultants, hardware, in kronor.
    case external
    /// Intern kostnad: staff hours, counted at the hourly rate.
    case `internal`
}

/// One cost line of a cost-benefit analysis.
public struct CostLine: Codable, Sendable, Equatable {
    public var description: String
    public var timing: CostTiming
    public var kind: CostKind
    /// External costs: the amount (per year when recurring).
    public var amount: SEK?
    /// Internal costs: the staff hours (per year when recurring).
    public var hours: Hours?

    public init(description: String, timing: CostTiming, kind: CostKind, amount: SEK? = nil, hours: Hours? = nil) {
        self.description = description
        self.timing = timing
        self.kind = kind
        self.amount = amount
        self.hours = hours
    }

    /// The line in kronor: the amount, or hours × rate.
    public func cost(hourlyRate: SEK) -> SEK {
        switch kind {
        case .external: amount ?? .zero
        case .internal: SEK.staffCost(hours: hours?.value ?? 0, hourlyRate: hourlyRate)
        }
    }
}

/// One benefit line: what a stakeholder group gains every year of the lifetime.
public struct BenefitLine: Codable, Sendable, Equatable {
    public var description: String
    /// The stakeholder group that gets the benefit (intressent).
    public var stakeholder: TargetGroup
    public var kind: BenefitKind
    /// Economic benefits: kronor saved or earned per year.
    public var annualAmount: SEK?
    /// Economic benefits: staff hours freed per year, counted at the hourly rate.
    public var annualHours: Hours?
    /// Qualitative benefits: the expected effect scored 1 (small) to 5 (large).
    public var score: Int?
    /// How the benefit is measured (required for qualitative benefits), e.g.
    /// "Handläggningstid per ansökan i minuter".
    public var indicator: String?

    public init(
        description: String, stakeholder: TargetGroup, kind: BenefitKind, annualAmount: SEK? = nil,
        annualHours: Hours? = nil, score: Int? = nil, indicator: String? = nil
    ) {
        self.description = description
        self.stakeholder = stakeholder
        self.kind = kind
        self.annualAmount = annualAmount
        self.annualHours = annualHours
        self.score = score
        self.indicator = indicator
    }

    /// The yearly value in kronor: amount plus hours × rate; zero for qualitative lines.
    public func annualValue(hourlyRate: SEK) -> SEK {
        guard kind == .economic else { return .zero }
        return (annualAmount ?? .zero) + SEK.staffCost(hours: annualHours?.value ?? 0, hourlyRate: hourlyRate)
    }
}

/// The city's defaults for the cost model.
public enum CostModelDefaults {
    /// Kalkylränta: 3 % a year unless the analysis states another rate.
    public static let discountRatePercent: Decimal = 3
    /// Timpris: 650 kr per staff hour unless the organisation has its own rate.
    public static let hourlyRate = SEK(650)
}

/// Everything the figures are computed from; stored as it is and recomputed on read.
public struct CostBenefitInput: Codable, Sendable, Equatable {
    public var lifetimeYears: Int
    /// Kalkylränta in percent per year (`3` means 3 %); the city default when absent.
    public var discountRatePercent: Decimal?
    public var costs: [CostLine]
    public var benefits: [BenefitLine]
    public var note: String?

    public init(
        lifetimeYears: Int, discountRatePercent: Decimal? = nil, costs: [CostLine], benefits: [BenefitLine],
        note: String? = nil
    ) {
        self.lifetimeYears = lifetimeYears
        self.discountRatePercent = discountRatePercent
        self.costs = costs
        self.benefits = benefits
        self.note = note
    }

    /// Every broken rule, named by its JSON path.
    public func problems() -> [(field: String, reason: String)] {
        var found: [(String, String)] = []
        func check(_ ok: Bool, _ field: String, _ reason: String) {
            if !ok { found.append((field, reason)) }
        }
        check((1...50).contains(lifetimeYears), "lifetimeYears", "must be from 1 to 50")
        if let rate = discountRatePercent {
            check(rate >= 0 && rate <= 20, "discountRatePercent", "must be from 0 to 20 (percent per year)")
        }
        check(costs.count <= 200, "costs", "must have at most 200 lines")
        check(benefits.count <= 200, "benefits", "must have at most 200 lines")
        check(!costs.isEmpty, "costs", "must have at least one cost line; an initiative without cost is not analysed")
        if let note { check(note.count <= 5000, "note", "must be at most 5000 characters") }
        for (index, line) in costs.enumerated() {
            let path = "costs[\(index)]"
            check(
                (1...500).contains(line.description.trimmingCharacters(in: .whitespacesAndNewlines).count),
                "\(path).description", "must be 1 to 500 characters")
            switch line.kind {
            case .external:
                check(line.amount != nil, "\(path).amount", "is required for an external cost")
                check(line.hours == nil, "\(path).hours", "is only for internal costs (staff hours)")
            case .internal:
                check(line.hours != nil, "\(path).hours", "is required for an internal cost (staff hours)")
                check(line.amount == nil, "\(path).amount", "is only for external costs; give internal costs in hours")
            }
            if let amount = line.amount { check(amount >= .zero, "\(path).amount", "must not be negative") }
            if let hours = line.hours { check(hours.value >= 0, "\(path).hours", "must not be negative") }
        }
        for (index, line) in benefits.enumerated() {
            let path = "benefits[\(index)]"
            check(
                (1...500).contains(line.description.trimmingCharacters(in: .whitespacesAndNewlines).count),
                "\(path).description", "must be 1 to 500 characters")
            if let indicator = line.indicator {
                check(indicator.count <= 500, "\(path).indicator", "must be at most 500 characters")
            }
            switch line.kind {
            case .economic:
                check(
                    line.annualAmount != nil || line.annualHours != nil, "\(path).annualAmount",
                    "an economic benefit needs annualAmount (kronor per year) or annualHours (hours freed per year)")
                check(line.score == nil, "\(path).score", "is only for qualitative benefits")
            case .qualitative:
                check(line.score.map { (1...5).contains($0) } ?? false, "\(path).score", "must be from 1 to 5 for a qualitative benefit")
                check(
                    !(line.indicator ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(path).indicator",
                    "is required for a qualitative benefit: how will the effect be measured?")
                check(line.annualAmount == nil && line.annualHours == nil, "\(path).annualAmount", "is only for economic benefits")
            }
            if let amount = line.annualAmount { check(amount >= .zero, "\(path).annualAmount", "must not be negative") }
            if let hours = line.annualHours { check(hours.value >= 0, "\(path).annualHours", "must not be negative") }
        }
        return found
    }
}

/// The computed figures of a cost-benefit analysis.
public struct CostBenefitFigures: Codable, Sendable, Equatable {
    public var lifetimeYears: Int
    public var discountRatePercent: Decimal
    public var hourlyRate: SEK
    /// Year 0: all one-off costs, external plus internal.
    public var oneOffCost: SEK
    /// Every year 1 … n: all recurring costs.
    public var annualCost: SEK
    /// Every year 1 … n: all economic benefits (kronor plus hours freed at the rate).
    public var annualBenefit: SEK
    /// Total cost of ownership, undiscounted: one-off + annual cost × lifetime.
    public var totalCostOfOwnership: SEK
    /// The external part of the total cost of ownership.
    public var externalCost: SEK
    /// The internal part (staff hours at the rate) of the total cost of ownership.
    public var internalCost: SEK
    /// Present value of the costs and of the economic benefits.
    public var presentValueOfCosts: SEK
    public var presentValueOfBenefits: SEK
    /// Nettonuvärde: present value of benefits − present value of costs.
    public var netPresentValue: SEK
    /// Återbetalningstid: the first year whose cumulative undiscounted net is ≥ 0;
    /// absent when the initiative does not pay back within its lifetime.
    public var paybackYear: Int?
    /// As `paybackYear`, with the discounted net.
    public var discountedPaybackYear: Int?
    /// Present value of benefits ÷ present value of costs (2 decimals); absent when
    /// there is no cost.
    public var benefitCostRatio: Decimal?
    /// The mean score of the qualitative benefits (2 decimals); absent when there are none.
    public var qualitativeScoreMean: Decimal?
}

/// The pure calculation. No I/O: the same input gives the same figures everywhere.
public enum CostBenefitCalculator {
    public static func figures(for input: CostBenefitInput, hourlyRate: SEK) -> CostBenefitFigures {
        let years = input.lifetimeYears
        let ratePercent = input.discountRatePercent ?? CostModelDefaults.discountRatePercent
        let factor = 1 + ratePercent / 100

        var oneOff = SEK.zero
        var annual = SEK.zero
        var external = SEK.zero
        var staff = SEK.zero
        for line in input.costs {
            let cost = line.cost(hourlyRate: hourlyRate)
            let total = line.timing == .oneOff ? cost : SEK(cost.amount * Decimal(years))
            switch line.timing {
            case .oneOff: oneOff = oneOff + cost
            case .recurring: annual = annual + cost
            }
            switch line.kind {
            case .external: external = external + total
            case .internal: staff = staff + total
            }
        }
        let annualBenefit = input.benefits.reduce(SEK.zero) { $0 + $1.annualValue(hourlyRate: hourlyRate) }

        var presentCosts = oneOff.amount
        var presentBenefits: Decimal = 0
        var cumulative = -oneOff.amount
        var cumulativeDiscounted = -oneOff.amount
        var payback: Int? = cumulative >= 0 ? 0 : nil
        var discountedPayback: Int? = payback
        var discount: Decimal = 1
        for year in stride(from: 1, through: max(years, 0), by: 1) {
            discount = discount * factor
            let cost = annual.amount / discount
            let benefit = annualBenefit.amount / discount
            presentCosts += cost
            presentBenefits += benefit
            cumulative += annualBenefit.amount - annual.amount
            cumulativeDiscounted += benefit - cost
            if payback == nil, cumulative >= 0 { payback = year }
            if discountedPayback == nil, cumulativeDiscounted >= 0 { discountedPayback = year }
        }
        let scores = input.benefits.compactMap { $0.kind == .qualitative ? $0.score : nil }
        return CostBenefitFigures(
            lifetimeYears: years, discountRatePercent: ratePercent, hourlyRate: hourlyRate,
            oneOffCost: oneOff.rounded, annualCost: annual.rounded, annualBenefit: annualBenefit.rounded,
            totalCostOfOwnership: SEK(oneOff.amount + annual.amount * Decimal(years)).rounded,
            externalCost: external.rounded, internalCost: staff.rounded,
            presentValueOfCosts: SEK(presentCosts).rounded, presentValueOfBenefits: SEK(presentBenefits).rounded,
            netPresentValue: SEK(presentBenefits - presentCosts).rounded, paybackYear: payback,
            discountedPaybackYear: discountedPayback,
            benefitCostRatio: presentCosts > 0 ? (presentBenefits / presentCosts).rounded(scale: 2) : nil,
            qualitativeScoreMean: scores.isEmpty ? nil : (Decimal(scores.reduce(0, +)) / Decimal(scores.count)).rounded(scale: 2))
    }
}

extension Decimal {
    /// Rounded to `scale` decimals, half away from zero.
    public func rounded(scale: Int) -> Decimal {
        var source = self
        var result = Decimal()
        NSDecimalRound(&result, &source, scale, .plain)
        return result
    }
}

extension SEK {
    /// Rounded to whole öre.
    public var rounded: SEK { SEK(amount.rounded(scale: 2)) }
}
