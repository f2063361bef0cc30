import Contracts
import Domain
import Foundation
import HTTPTypes
import ServiceKit

/// Where an analysis is: open while the analyst works, completed once every part is done.
enum AnalysisStatus: String, ClosedSet {
    case open, completed
}

/// The cost-benefit lines as stored: the input and the hourly rate that applied when they
/// were recorded, so that the figures recompute identically later even if the rate changes.
struct StoredCostBenefit: Codable, Sendable, Equatable {
    var input: CostBenefitInput
    var hourlyRate: SEK
    var recordedBy: String
    var recordedAt: Date
}

/// The risk and security assessment as stored.
struct StoredRisk: Codable, Sendable, Equatable {
    var input: RiskAssessmentInput
    var recordedBy: String
    var recordedAt: Date
}

/// `POST /v1/analyses/{id}/supplier-board-informed`: the supplier's own board was informed
/// (common track), as the guideline requires before the material goes to SLK.
struct SupplierBoardInformationInput: Codable, Sendable, Equatable {
    var informedOn: CalendarDate
    var board: String
    var reference: String?

    func validationProblems(today: CalendarDate?) -> [Problem.InvalidParameter] {
        var problems: [Problem.InvalidParameter] = []
        if !(2...200).contains(board.trimmingCharacters(in: .whitespaces).count) {
            problems.append(.init(name: "board", reason: "must be 2 to 200 characters: which board was informed"))
        }
        if let reference, !(1...100).contains(reference.count) {
            problems.append(.init(name: "reference", reason: "must be 1 to 100 characters (the minutes' paragraph)"))
        }
        if let today, today < informedOn {
            problems.append(.init(name: "informedOn", reason: "must not be in the future"))
        }
        return problems
    }
}

struct StoredSupplierBoardInformation: Codable, Sendable, Equatable {
    var informedOn: CalendarDate
    var board: String
    var reference: String?
    var recordedBy: String
    var recordedAt: Date
}

/// `POST /v1/analyses/{id}/complete`: an optional note for the deciders.
struct CompletionRequest: Codable, Sendable {
    var note: String?

    func validationProblems() -> [Problem.InvalidParameter] {
        guard let note, note.count > 5_000 else { return [] }
        return [.init(name: "note", reason: "must be at most 5000 characters")]
    }
}

/// The cost-benefit part as the API shows it: the stored lines and the figures computed
/// from them at this read.
struct CostBenefitView: Codable, Sendable {
    var lifetimeYears: Int
    var discountRatePercent: Decimal?
    var costs: [CostLine]
    var benefits: [BenefitLine]
    var note: String?
    var hourlyRate: SEK
    var figures: CostBenefitFigures
    var recordedBy: String
    var recordedAt: Date

    init(_ stored: StoredCostBenefit) {
        lifetimeYears = stored.input.lifetimeYears
        discountRatePercent = stored.input.discountRatePercent
        costs = stored.input.costs
        benefits = stored.input.benefits
        note = stored.input.note
        hourlyRate = stored.hourlyRate
        figures = CostBenefitCalculator.figures(for: stored.input, hourlyRate: stored.hourlyRate)
        recordedBy = stored.recordedBy
        recordedAt = stored.recordedAt
    }
}

/// One risk with its computed score and level.
struct RiskView: Codable, Sendable {
    var description: String
    var probability: Int
    var consequence: Int
    var owner: String
    var mitigation: String
    var score: Int
    var level: RiskLevel
}

struct RiskOfNotDoingView: Codable, Sendable {
    var description: String
    var probability: Int
    var consequence: Int
    var score: Int
    var level: RiskLevel
}

/// The risk part as the API shows it, with the DPIA decision computed at this read.
struct RiskAssessmentView: Codable, Sendable {
    var classification: InformationClassification
    var personalData: PersonalDataAssessment
    var dpia: DPIADecision
    var laws: [LawAssessment]
    var risks: [RiskView]
    var riskOfNotDoing: RiskOfNotDoingView
    var highestRiskScore: Int
    var recordedBy: String
    var recordedAt: Date

    init(_ stored: StoredRisk) {
        let input = stored.input
        classification = input.classification
        personalData = input.personalData
        dpia = input.dpia
        laws = input.laws
        risks = input.risks.map {
            RiskView(
                description: $0.description, probability: $0.probability, consequence: $0.consequence, owner: $0.owner,
                mitigation: $0.mitigation, score: $0.score, level: $0.level)
        }
        riskOfNotDoing = RiskOfNotDoingView(
            description: input.riskOfNotDoing.description, probability: input.riskOfNotDoing.probability,
            consequence: input.riskOfNotDoing.consequence, score: input.riskOfNotDoing.score,
            level: input.riskOfNotDoing.level)
        highestRiskScore = input.highestRiskScore
        recordedBy = stored.recordedBy
        recordedAt = stored.recordedAt
    }
}

/// What is still missing before the analysis can be completed.
struct Completeness: Codable, Sendable, Equatable {
    var costBenefit: Bool
    var risk: Bool
    var reuse: Bool
    /// Common track only: whether the supplier's board has been informed; absent on the
    /// organisation-specific track, where it is not required.
    var supplierBoardInformed: Bool?
    /// The parts still missing, as the API's field names.
    var missing: [String]
    var readyToComplete: Bool { missing.isEmpty }
}

/// One initiative's analysis as the API returns it.
struct AnalysisCase: Codable, Sendable {
    var initiativeId: InitiativeID
    var organisationId: OrganisationID
    var analysingOrganisationId: OrganisationID
    var track: Track
    var title: String
    var status: AnalysisStatus
    /// Increases with every change; the `ETag` is `"<version>"`.
    var version: Int
    var openedAt: Date
    var updatedAt: Date?
    var completedAt: Date?
    var summary: AnalysisSummary?
    var costBenefit: CostBenefitView?
    var risk: RiskAssessmentView?
    var reuse: StoredReuse?
    var supplierBoardInformed: StoredSupplierBoardInformation?
    var completeness: Completeness
    /// The analyst (a person of the analysing organisation) the case is assigned to.
    var assignee: String?
    /// `need` or `proposal` (a supplier's proposed common initiative).
    var origin: String

    var etag: String { "\"\(version)\"" }
}

/// The case as stored, before the figures are computed for a reader.
struct AnalysisRecord: Sendable {
    var initiativeId: InitiativeID
    var organisationId: OrganisationID
    var analysingOrganisationId: OrganisationID
    var track: Track
    var title: String
    /// The need's description as intake announced it (searched for reuse).
    var description: String
    var status: AnalysisStatus
    var version: Int
    var openedAt: Date
    var updatedAt: Date?
    var completedAt: Date?
    var summary: AnalysisSummary?
    var costBenefit: StoredCostBenefit?
    var risk: StoredRisk?
    var reuse: StoredReuse?
    var supplierBoardInformed: StoredSupplierBoardInformation?
    var assignee: String?
    var origin: String

    var etag: String { "\"\(version)\"" }

    /// The completeness gate: cost-benefit, risk and reuse always; on the common track
    /// also the supplier's board informed (the guideline: before the analysis goes to SLK).
    var completeness: Completeness {
        var missing: [String] = []
        if costBenefit == nil { missing.append("costBenefit") }
        if risk == nil { missing.append("risk") }
        if reuse == nil { missing.append("reuse") }
        let boardRequired = track == .common
        if boardRequired, supplierBoardInformed == nil { missing.append("supplierBoardInformed") }
        return Completeness(
            costBenefit: costBenefit != nil, risk: risk != nil, reuse: reuse != nil,
            supplierBoardInformed: boardRequired ? supplierBoardInformed != nil : nil, missing: missing)
    }

    var resource: AnalysisCase {
        AnalysisCase(
            initiativeId: initiativeId, organisationId: organisationId, analysingOrganisationId: analysingOrganisationId,
            track: track, title: title, status: status, version: version, openedAt: openedAt, updatedAt: updatedAt,
            completedAt: completedAt, summary: summary, costBenefit: costBenefit.map(CostBenefitView.init),
            risk: risk.map(RiskAssessmentView.init), reuse: reuse, supplierBoardInformed: supplierBoardInformed,
            completeness: completeness, assignee: assignee, origin: origin)
    }
}

/// Who may see and change an analysis.
enum AnalysisAccess {
    /// SSG, auditors and admins read every case; everyone else the cases of their own
    /// organisation (the need's owner) and the cases their organisation analyses.
    static func canRead(_ record: AnalysisRecord, _ identity: Identity) -> Bool {
        identity.hasAny([.admin, .ssg, .auditor]) || record.organisationId == identity.organisationId
            || record.analysingOrganisationId == identity.organisationId
    }

    /// Analysts of the analysing organisation, and admins, change a case.
    static func requireWriter(_ record: AnalysisRecord, _ identity: Identity, to action: String) throws(Problem) {
        try identity.require(anyOf: [.analyst, .admin], to: action)
        try identity.require(organisation: record.analysingOrganisationId, to: action)
    }
}

extension Problem {
    /// 409: the analysis misses parts; `invalid-params` names each.
    static func incomplete(_ completeness: Completeness) -> Problem {
        let reasons: [String: String] = [
            "costBenefit": "the cost-benefit analysis must be recorded (PUT /v1/analyses/{id}/cost-benefit)",
            "risk": "the risk and security assessment must be recorded (PUT /v1/analyses/{id}/risk)",
            "reuse": "the reuse decision must be recorded after checking the candidates (PUT /v1/analyses/{id}/reuse)",
            "supplierBoardInformed":
                "the supplier's board must be informed before the analysis goes to SLK (POST /v1/analyses/{id}/supplier-board-informed)",
        ]
        return Problem(
            status: .conflict, type: "https://styrbord.goteborg.se/problems/analysis-incomplete",
            title: "Analysen är inte komplett / Analysis incomplete",
            detail: "Saknas: " + completeness.missing.joined(separator: ", "),
            invalidParameters: completeness.missing.map { .init(name: $0, reason: reasons[$0] ?? "is missing") })
    }
}
