import Foundation

/// The four goal areas (målområden) of the city's plan for digitalisation 2023–2026.
public enum GoalArea: String, ClosedSet {
    /// Målområde 1: Uppnå balans mellan effektivitet och innovation.
    case efficiencyInnovationBalance = "efficiency-innovation-balance"
    /// Målområde 2: Uppnå balans mellan interna och externa nyttor.
    case internalExternalBalance = "internal-external-balance"
    /// Målområde 3: Säkerställa transparens och tillgänglighet för ökad innovation.
    case transparencyAccessibility = "transparency-accessibility"
    /// Målområde 4: Säkerställa ändamålsenlig kompetensförsörjning.
    case competenceSupply = "competence-supply"
}

/// How soon a need must be met (angelägenhet as the submitter sees it).
public enum Urgency: String, ClosedSet {
    /// Låg: can wait for a later budget year.
    case low
    /// Medel: should start within the coming budget year.
    case medium
    /// Hög: should start as soon as possible.
    case high
    /// Akut: a deadline outside the city's control (a law in force, a contract ending).
    case critical
}

/// Whether an expected benefit can be counted in money or hours, or is judged.
public enum BenefitKind: String, ClosedSet {
    /// Ekonomisk: money saved or earned, or staff hours freed.
    case economic
    /// Kvalitativ: quality, accessibility, work environment …
    case qualitative
}

/// One benefit a need is expected to bring, to whom.
public struct ExpectedBenefit: Codable, Sendable, Equatable, Hashable {
    public var description: String
    /// The stakeholder group that gets the benefit.
    public var stakeholder: TargetGroup
    public var kind: BenefitKind
    /// Economic benefits: the expected yearly value in kronor, when known.
    public var annualValue: SEK?

    public init(description: String, stakeholder: TargetGroup, kind: BenefitKind, annualValue: SEK? = nil) {
        self.description = description
        self.stakeholder = stakeholder
        self.kind = kind
        self.annualValue = annualValue
    }
}

/// A first rough cost estimate (grov kostnadsuppskattning); the analysis refines it.
public struct RoughCost: Codable, Sendable, Equatable, Hashable {
    public var oneOff: SEK?
    public var annual: SEK?

    public init(oneOff: SEK? = nil, annual: SEK? = nil) {
        self.oneOff = oneOff
        self.annual = annual
    }
}
