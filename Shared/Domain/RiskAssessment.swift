import Foundation

// Risk- och säkerhetsbedömning: information classification, personal data with the rule
// that decides when a data protection impact assessment (konsekvensbedömning avseende
// dataskydd, DPIA) is required, the laws that apply, the risks and the risk of not doing it.

/// Informationsklassning of the information the initiative handles: confidentiality
/// (konfidentialitet), integrity (riktighet) and availability (tillgänglighet), each
/// 1 (low) to 4 (very high), as in the city's classification model.
public struct InformationClassification: Codable, Sendable, Equatable, Hashable {
    public var confidentiality: Int
    public var integrity: Int
    public var availability: Int

    public init(confidentiality: Int, integrity: Int, availability: Int) {
        self.confidentiality = confidentiality
        self.integrity = integrity
        self.availability = availability
    }
}

/// Särskilda kategorier av personuppgifter (GDPR art. 9) and data about offences (art. 10).
public enum SensitivePersonalData: String, ClosedSet {
    case health
    case ethnicOrigin = "ethnic-origin"
    case politicalOpinions = "political-opinions"
    case religiousBeliefs = "religious-beliefs"
    case tradeUnionMembership = "trade-union-membership"
    case genetic
    case biometric
    case sexLifeOrOrientation = "sex-life-or-orientation"
    /// Art. 10: criminal convictions and offences (lagöverträdelser).
    case criminalOffences = "criminal-offences"
}

/// Whether and how the initiative processes personal data (personuppgifter).
public struct PersonalDataAssessment: Codable, Sendable, Equatable {
    public var processesPersonalData: Bool
    public var sensitiveCategories: [SensitivePersonalData]
    /// Storskalig behandling: many data subjects, much data, long or wide.
    public var largeScale: Bool
    /// Ny teknik: e.g. AI, camera supervision, automated decisions.
    public var newTechnology: Bool
    /// Systematisk övervakning or automated decisions with legal effect.
    public var systematicMonitoring: Bool
    /// Sårbara registrerade: children, older people in care, people with disabilities.
    public var vulnerableDataSubjects: Bool

    public init(
        processesPersonalData: Bool, sensitiveCategories: [SensitivePersonalData] = [], largeScale: Bool = false,
        newTechnology: Bool = false, systematicMonitoring: Bool = false, vulnerableDataSubjects: Bool = false
    ) {
        self.processesPersonalData = processesPersonalData
        self.sensitiveCategories = sensitiveCategories
        self.largeScale = largeScale
        self.newTechnology = newTechnology
        self.systematicMonitoring = systematicMonitoring
        self.vulnerableDataSubjects = vulnerableDataSubjects
    }
}

/// Whether a DPIA is required, and why.
public struct DPIADecision: Codable, Sendable, Equatable {
    public var required: Bool
    /// The reasons in Swedish, one per criterion met; empty when none is.
    public var reasons: [String]

    public init(required: Bool, reasons: [String]) {
        self.required = required
        self.reasons = reasons
    }
}

/// The rule (GDPR art. 35, the Swedish supervisory authority IMY's list and the EDPB
/// criteria, simplified for the city): when personal data is processed, a DPIA is
/// required if **any** of these holds —
/// 1. sensitive personal data or data about offences (art. 9, art. 10);
/// 2. large-scale processing;
/// 3. new technology;
/// 4. systematic monitoring or automated decisions;
/// 5. vulnerable data subjects;
/// 6. confidentiality classified 3 or 4.
/// Without personal data no DPIA is required. The rule errs on the side of doing one:
/// the data protection officer may still decide that a DPIA is not needed.
public enum DPIARule {
    public static func decide(_ data: PersonalDataAssessment, classification: InformationClassification) -> DPIADecision {
        guard data.processesPersonalData else { return DPIADecision(required: false, reasons: []) }
        var reasons: [String] = []
        if !data.sensitiveCategories.isEmpty {
            reasons.append(
                "Känsliga personuppgifter eller uppgifter om lagöverträdelser behandlas (\(data.sensitiveCategories.map(\.rawValue).joined(separator: ", "))).")
        }
        if data.largeScale { reasons.append("Personuppgifter behandlas i stor skala.") }
        if data.newTechnology { reasons.append("Ny teknik används.") }
        if data.systematicMonitoring { reasons.append("Systematisk övervakning eller automatiserade beslut.") }
        if data.vulnerableDataSubjects { reasons.append("De registrerade är sårbara (barn, äldre, personer med funktionsnedsättning).") }
        if classification.confidentiality >= 3 {
            reasons.append("Konfidentialiteten är klassad \(classification.confidentiality) av 4 och personuppgifter behandlas.")
        }
        return DPIADecision(required: !reasons.isEmpty, reasons: reasons)
    }
}

/// The laws DOMAIN.md names; the checklist must say for each whether it applies.
public enum Law: String, ClosedSet {
    /// Dataskyddsförordningen (EU) 2016/679.
    case gdpr
    /// Offentlighets- och sekretesslagen (2009:400).
    case osl
    /// Arkivlagen (1990:782).
    case archives = "arkivlagen"
    /// Lagen (2016:1145) om offentlig upphandling.
    case lou
    /// Lagen (2018:1937) om tillgänglighet till digital offentlig service.
    case digitalAccessibility = "digital-accessibility"
    /// Kommunallagen (2017:725).
    case localGovernment = "kommunallagen"
}

/// One row of the laws checklist.
public struct LawAssessment: Codable, Sendable, Equatable {
    public var law: Law
    public var applicable: Bool
    /// Why it applies or not, and what follows.
    public var reason: String

    public init(law: Law, applicable: Bool, reason: String) {
        self.law = law
        self.applicable = applicable
        self.reason = reason
    }
}

/// How large a risk is: probability × consequence, each 1–4, score 1–16.
public enum RiskLevel: String, ClosedSet {
    /// Låg: score 1–3.
    case low
    /// Medel: score 4–6.
    case medium
    /// Hög: score 8–9.
    case high
    /// Mycket hög: score 12–16.
    case critical

    public init(score: Int) {
        switch score {
        case ..<4: self = .low
        case 4...6: self = .medium
        case 7...9: self = .high
        default: self = .critical
        }
    }
}

/// One identified risk, with who owns it and what is done about it.
public struct Risk: Codable, Sendable, Equatable {
    public var description: String
    /// Sannolikhet 1 (osannolik) – 4 (mycket sannolik).
    public var probability: Int
    /// Konsekvens 1 (försumbar) – 4 (allvarlig).
    public var consequence: Int
    public var owner: String
    public var mitigation: String

    public init(description: String, probability: Int, consequence: Int, owner: String, mitigation: String) {
        self.description = description
        self.probability = probability
        self.consequence = consequence
        self.owner = owner
        self.mitigation = mitigation
    }

    public var score: Int { probability * consequence }
    public var level: RiskLevel { RiskLevel(score: score) }
}

/// The risk of *not* doing the initiative: what happens if nothing changes.
public struct RiskOfNotDoing: Codable, Sendable, Equatable {
    public var description: String
    public var probability: Int
    public var consequence: Int

    public init(description: String, probability: Int, consequence: Int) {
        self.description = description
        self.probability = probability
        self.consequence = consequence
    }

    public var score: Int { probability * consequence }
    public var level: RiskLevel { RiskLevel(score: score) }
}

/// What an analyst records in the risk and security assessment.
public struct RiskAssessmentInput: Codable, Sendable, Equatable {
    public var classification: InformationClassification
    public var personalData: PersonalDataAssessment
    public var laws: [LawAssessment]
    public var risks: [Risk]
    public var riskOfNotDoing: RiskOfNotDoing

    public init(
        classification: InformationClassification, personalData: PersonalDataAssessment, laws: [LawAssessment],
        risks: [Risk], riskOfNotDoing: RiskOfNotDoing
    ) {
        self.classification = classification
        self.personalData = personalData
        self.laws = laws
        self.risks = risks
        self.riskOfNotDoing = riskOfNotDoing
    }

    /// Every broken rule, named by its JSON path.
    public func problems() -> [(field: String, reason: String)] {
        var found: [(String, String)] = []
        func check(_ ok: Bool, _ field: String, _ reason: String) {
            if !ok { found.append((field, reason)) }
        }
        func text(_ value: String, _ range: ClosedRange<Int>) -> Bool {
            range.contains(value.trimmingCharacters(in: .whitespacesAndNewlines).count)
        }
        for (name, level) in [
            ("confidentiality", classification.confidentiality), ("integrity", classification.integrity),
            ("availability", classification.availability),
        ] {
            check((1...4).contains(level), "classification.\(name)", "must be a level from 1 to 4")
        }
        let sensitive = personalData.sensitiveCategories
        check(Set(sensitive).count == sensitive.count, "personalData.sensitiveCategories", "must not repeat a category")
        if !personalData.processesPersonalData {
            check(
                sensitive.isEmpty && !personalData.largeScale && !personalData.systematicMonitoring
                    && !personalData.vulnerableDataSubjects,
                "personalData.processesPersonalData",
                "is false, but sensitive categories or personal-data flags are set")
        }
        let named = laws.map(\.law)
        for law in Law.allCases where !named.contains(law) {
            check(false, "laws", "must assess \(law.rawValue) (applicable or not, and why)")
        }
        check(Set(named).count == named.count, "laws", "must assess each law once")
        for (index, row) in laws.enumerated() {
            check(text(row.reason, 1...2000), "laws[\(index)].reason", "must be 1 to 2000 characters: why it applies or not")
            if row.law == .gdpr, personalData.processesPersonalData {
                check(row.applicable, "laws[\(index)].applicable", "must be true: the initiative processes personal data")
            }
        }
        check(risks.count <= 100, "risks", "must have at most 100 risks")
        for (index, risk) in risks.enumerated() {
            let path = "risks[\(index)]"
            check(text(risk.description, 1...2000), "\(path).description", "must be 1 to 2000 characters")
            check((1...4).contains(risk.probability), "\(path).probability", "must be from 1 to 4")
            check((1...4).contains(risk.consequence), "\(path).consequence", "must be from 1 to 4")
            check(text(risk.owner, 1...200), "\(path).owner", "must name who owns the risk (1 to 200 characters)")
            check(text(risk.mitigation, 1...2000), "\(path).mitigation", "must say what reduces the risk (1 to 2000 characters)")
        }
        check(
            text(riskOfNotDoing.description, 1...2000), "riskOfNotDoing.description",
            "must be 1 to 2000 characters: what happens if nothing is done")
        check((1...4).contains(riskOfNotDoing.probability), "riskOfNotDoing.probability", "must be from 1 to 4")
        check((1...4).contains(riskOfNotDoing.consequence), "riskOfNotDoing.consequence", "must be from 1 to 4")
        return found
    }

    public var dpia: DPIADecision { DPIARule.decide(personalData, classification: classification) }

    /// The highest risk score, including the risk of not doing it.
    public var highestRiskScore: Int { (risks.map(\.score) + [riskOfNotDoing.score]).max() ?? 0 }
}
