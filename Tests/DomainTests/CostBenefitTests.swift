import Domain
import Foundation
import Testing

@Suite("Cost-benefit model")
struct CostBenefitTests {
    static func amount(_ text: String) -> SEK { SEK(exactly: text) ?? SEK(-1) }

    /// The worked example (4 years, 3 %, 650 kr/h):
    /// - year 0: licence purchase 400 000 kr + 200 h of staff time (130 000 kr) = 530 000 kr;
    /// - years 1–4: support 50 000 kr + 100 h (65 000 kr) = 115 000 kr a year;
    /// - benefits every year 1–4: 150 000 kr saved for residents + 400 h freed for
    ///   employees (260 000 kr) = 410 000 kr; one qualitative benefit scored 4.
    static let example = CostBenefitInput(
        lifetimeYears: 4, discountRatePercent: nil,
        costs: [
            CostLine(description: "Licens, engångsköp", timing: .oneOff, kind: .external, amount: SEK(400_000)),
            CostLine(description: "Införande, egen personal", timing: .oneOff, kind: .internal, hours: Hours(200)),
            CostLine(description: "Support och drift", timing: .recurring, kind: .external, amount: SEK(50_000)),
            CostLine(description: "Förvaltning, egen personal", timing: .recurring, kind: .internal, hours: Hours(100)),
        ],
        benefits: [
            BenefitLine(description: "Färre resor", stakeholder: .residents, kind: .economic, annualAmount: SEK(150_000)),
            BenefitLine(description: "Kortare handläggning", stakeholder: .employees, kind: .economic, annualHours: Hours(400)),
            BenefitLine(
                description: "Snabbare besked", stakeholder: .residents, kind: .qualitative, score: 4,
                indicator: "Dagar från ansökan till beslut"),
        ])

    @Test("NPV, payback, TCO and benefit/cost ratio match a hand calculation")
    func handCalculation() {
        // By hand, end-of-year discounting at 3 %: the discount factors 1/1.03^t are
        // 0.970873786…, 0.942595909…, 0.915141659…, 0.888487048…, summing to 3.717098403.
        // PV costs    = 530 000 + 115 000 × 3.717098403 = 957 466.32
        // PV benefits =           410 000 × 3.717098403 = 1 524 010.35
        // NPV = 566 544.03; B/C = 1.59; TCO = 530 000 + 4 × 115 000 = 990 000.
        // Cumulative net: −530 000, −235 000, +60 000 → pays back in year 2; discounted:
        // −530 000, −243 592.23, +34 473.56 → also year 2.
        let figures = CostBenefitCalculator.figures(for: Self.example, hourlyRate: CostModelDefaults.hourlyRate)
        #expect(figures.discountRatePercent == 3)
        #expect(figures.hourlyRate == SEK(650))
        #expect(figures.oneOffCost == SEK(530_000))
        #expect(figures.annualCost == SEK(115_000))
        #expect(figures.annualBenefit == SEK(410_000))
        #expect(figures.totalCostOfOwnership == SEK(990_000))
        #expect(figures.externalCost == SEK(600_000))
        #expect(figures.internalCost == SEK(390_000))
        #expect(figures.presentValueOfCosts == Self.amount("957466.32"))
        #expect(figures.presentValueOfBenefits == Self.amount("1524010.35"))
        #expect(figures.netPresentValue == Self.amount("566544.03"))
        #expect(figures.benefitCostRatio == Decimal(string: "1.59"))
        #expect(figures.paybackYear == 2)
        #expect(figures.discountedPaybackYear == 2)
        #expect(figures.qualitativeScoreMean == 4)
    }

    @Test("internal hours count at the organisation's rate, so counting only external costs is not cheaper")
    func hourlyRateMatters() {
        let cheap = CostBenefitCalculator.figures(for: Self.example, hourlyRate: SEK(500))
        // 300 h one-off-and-yearly staff time: 200 h + 4 × 100 h = 600 h at 500 kr.
        #expect(cheap.internalCost == SEK(300_000))
        #expect(cheap.totalCostOfOwnership == SEK(900_000))
        #expect(cheap.annualBenefit == SEK(350_000))
    }

    @Test("no discounting at 0 %, and an initiative that never pays back has no payback year")
    func zeroRateAndNoPayback() {
        var input = Self.example
        input.discountRatePercent = 0
        input.benefits = [BenefitLine(description: "Liten nytta", stakeholder: .employees, kind: .economic, annualAmount: SEK(200_000))]
        let figures = CostBenefitCalculator.figures(for: input, hourlyRate: SEK(650))
        // 4 × (200 000 − 115 000) = 340 000 < 530 000.
        #expect(figures.netPresentValue == SEK(-190_000))
        #expect(figures.paybackYear == nil)
        #expect(figures.discountedPaybackYear == nil)
        #expect(figures.benefitCostRatio == Decimal(string: "0.81"))
        #expect(figures.qualitativeScoreMean == nil)
    }

    @Test("figures are recomputed identically from the stored lines after a JSON round trip")
    func reproducibleFromStoredLines() throws {
        let stored = try JSONEncoder().encode(Self.example)
        let read = try JSONDecoder().decode(CostBenefitInput.self, from: stored)
        #expect(read == Self.example)
        #expect(
            CostBenefitCalculator.figures(for: read, hourlyRate: SEK(650))
                == CostBenefitCalculator.figures(for: Self.example, hourlyRate: SEK(650)))
    }

    @Test("every broken rule of a cost-benefit input is named by its path")
    func validation() throws {
        let json = Data(
            """
            {"lifetimeYears": 0, "discountRatePercent": 25,
             "costs": [{"description": "Konsult", "timing": "one-off", "kind": "internal", "amount": "1000"}],
             "benefits": [{"description": "Bättre", "stakeholder": "residents", "kind": "qualitative", "score": 7}]}
            """.utf8)
        let input = try JSONDecoder().decode(CostBenefitInput.self, from: json)
        let fields = input.problems().map(\.field)
        #expect(fields.contains("lifetimeYears"))
        #expect(fields.contains("discountRatePercent"))
        #expect(fields.contains("costs[0].hours"))
        #expect(fields.contains("costs[0].amount"))
        #expect(fields.contains("benefits[0].score"))
        #expect(fields.contains("benefits[0].indicator"))
        #expect(Self.example.problems().isEmpty)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Hours.self, from: Data("\"7,5\"".utf8))
        }
    }
}

@Suite("Risk and information security")
struct RiskAssessmentTests {
    static func laws(gdpr: Bool = true) -> [LawAssessment] {
        Law.allCases.map { LawAssessment(law: $0, applicable: $0 == .gdpr ? gdpr : true, reason: "Bedömd av analytikern.") }
    }

    static func input(_ data: PersonalDataAssessment, confidentiality: Int = 2) -> RiskAssessmentInput {
        RiskAssessmentInput(
            classification: InformationClassification(confidentiality: confidentiality, integrity: 2, availability: 2),
            personalData: data, laws: laws(gdpr: data.processesPersonalData),
            risks: [Risk(description: "Leverantören hinner inte", probability: 2, consequence: 3, owner: "Projektledare", mitigation: "Vite i avtalet")],
            riskOfNotDoing: RiskOfNotDoing(description: "Handläggningstiderna fortsätter öka", probability: 4, consequence: 3))
    }

    @Test("a DPIA is required for sensitive data, large scale, new technology, monitoring, vulnerable subjects or high confidentiality")
    func dpiaRule() {
        let plain = PersonalDataAssessment(processesPersonalData: true)
        #expect(Self.input(plain).dpia == DPIADecision(required: false, reasons: []))
        #expect(Self.input(plain, confidentiality: 3).dpia.required)
        #expect(Self.input(PersonalDataAssessment(processesPersonalData: true, sensitiveCategories: [.health])).dpia.required)
        #expect(Self.input(PersonalDataAssessment(processesPersonalData: true, largeScale: true)).dpia.required)
        #expect(Self.input(PersonalDataAssessment(processesPersonalData: true, newTechnology: true)).dpia.required)
        #expect(Self.input(PersonalDataAssessment(processesPersonalData: true, vulnerableDataSubjects: true)).dpia.reasons.count == 1)
        let none = PersonalDataAssessment(processesPersonalData: false, newTechnology: true)
        #expect(Self.input(none, confidentiality: 4).dpia.required == false, "no personal data, no DPIA")
    }

    @Test("risks score probability × consequence into levels")
    func riskLevels() {
        #expect(RiskLevel(score: 1 * 3) == .low)
        #expect(RiskLevel(score: 2 * 3) == .medium)
        #expect(RiskLevel(score: 3 * 3) == .high)
        #expect(RiskLevel(score: 3 * 4) == .critical)
        #expect(Self.input(PersonalDataAssessment(processesPersonalData: false)).highestRiskScore == 12)
    }

    @Test("the checklist must assess every law once, and GDPR applies when personal data is processed")
    func lawChecklist() {
        var input = Self.input(PersonalDataAssessment(processesPersonalData: true, sensitiveCategories: [.health]))
        #expect(input.problems().isEmpty)
        input.laws.removeLast()
        input.laws[0] = LawAssessment(law: .gdpr, applicable: false, reason: "Nej")
        input.risks[0].probability = 5
        let fields = input.problems().map(\.field)
        #expect(fields.contains("laws"))
        #expect(fields.contains("laws[0].applicable"))
        #expect(fields.contains("risks[0].probability"))
    }
}
