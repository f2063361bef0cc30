import Foundation

/// The outcome of a prioritisation (prioritering och beslut).
public enum DecisionOutcome: String, ClosedSet {
    /// Prioriterad.
    case prioritised
    /// Uppskjuten.
    case deferred
    /// Avslagen.
    case rejected
}

/// How a prioritised initiative is paid for (finansieringstyp).
public enum FinancingType: String, ClosedSet {
    /// Kostnadsfördelning.
    case costAllocation = "cost-allocation"
    /// Faktura à pris.
    case invoicePerUnit = "invoice-per-unit"
    /// Kommunbidrag.
    case municipalGrant = "municipal-grant"
    /// Leasing (of intangible assets only with a benefit calculation).
    case leasing
    /// The organisation's own budget (track 1).
    case ownBudget = "own-budget"
}

/// Who decided.
public enum DecidingBody: String, ClosedSet {
    /// Strategisk samordningsgrupp, for the common track.
    case ssg
    /// The organisation's own leadership or board, for its own track.
    case organisationBoard = "organisation-board"
}

/// The analysis figures the skeleton carries forward; the analysis issue deepens them.
public struct AnalysisSummary: Sendable, Codable, Equatable {
    /// One-off cost, external money plus internal hours at the rate.
    public var oneOffCost: SEK
    /// Running cost per year.
    public var annualCost: SEK
    /// Quantified economic benefit per year.
    public var annualBenefit: SEK
    public var lifetimeYears: Int
    /// Undiscounted net over the lifetime: benefit × years − one-off − running × years.
    public var netOverLifetime: SEK
    public var note: String

    public init(oneOffCost: SEK, annualCost: SEK, annualBenefit: SEK, lifetimeYears: Int, note: String) {
        self.oneOffCost = oneOffCost
        self.annualCost = annualCost
        self.annualBenefit = annualBenefit
        self.lifetimeYears = lifetimeYears
        self.note = note
        let years = Decimal(lifetimeYears)
        self.netOverLifetime = SEK(annualBenefit.amount * years - oneOffCost.amount - annualCost.amount * years)
    }
}
