import Contracts
import Domain
import Foundation
@testable import PrioritisationService
import ServiceKit
import Testing

@Suite("Prioritisation rules: selection reasons, budget input, leasing")
struct PrioritisationRulesTests {
    static let round = Round(
        roundId: UUID(), name: "Gemensamma insatser 2027", budgetYear: 2027, decidingBody: .ssg, organisationId: nil,
        status: .open, budgets: ["cost-allocation": SEK(1_000_000)], capacityHours: Hours(100), innovationShare: nil,
        criteriaVersion: 1, openedAt: Date(), openedBy: "ssg-anna", closedAt: nil, closedBy: nil, version: 1)

    static func summary(_ oneOff: Decimal, annualBenefit: Decimal = 0) -> AnalysisSummary {
        AnalysisSummary(oneOffCost: SEK(oneOff), annualCost: .zero, annualBenefit: SEK(annualBenefit), lifetimeYears: 4, note: "")
    }

    static func candidate(
        _ title: String, cost: Decimal, total: Double, status: String = "awaiting-decision", legal: Bool = false,
        requires: [InitiativeID] = [], organisation: String = "utbildning"
    ) -> RoundCandidate {
        RoundCandidate(
            initiativeId: InitiativeID(), organisationId: OrganisationID(organisation)!, track: .common, title: title, status: status,
            enteredAt: Date(), analysis: AnalysisFigures(nil, summary: summary(cost, annualBenefit: 1)), legalRequirement: legal,
            financingType: .costAllocation, supplierHours: Hours(10), requires: requires, scorers: total > 0 ? 3 : 0, criteria: [],
            total: total, contributions: [], quadrant: .efficiencyInternal, rank: 0)
    }

    static var parameters: SelectionParameters { SelectionEngine.parameters(round, CriteriaSet.standard) }

    @Test("legal requirements and prioritised candidates are in first; decided ones and what needs them are out, each with its reason")
    func reasons() throws {
        let legal = Self.candidate("Arkivlag", cost: 300_000, total: 0, legal: true)
        let rejected = Self.candidate("Avslagen", cost: 100_000, total: 4.5, status: "rejected")
        let dependent = Self.candidate("Bygger på avslagen", cost: 100_000, total: 4.8, requires: [rejected.initiativeId])
        let strong = Self.candidate("Stark", cost: 500_000, total: 4.0)
        let weak = Self.candidate("Svag", cost: 400_000, total: 2.0)
        let unscored = Self.candidate("Ej poängsatt", cost: 600_000, total: 0)
        let run = try SelectionEngine.run(
            [legal, rejected, dependent, strong, weak, unscored], parameters: Self.parameters, roundId: Self.round.roundId,
            kind: "recommendation", label: "Rekommendation", by: "ssg-anna")
        #expect(Set(run.selected) == [legal.initiativeId, strong.initiativeId])
        #expect(run.optimal && run.method == "exact")
        func reason(_ candidate: RoundCandidate) -> String {
            run.candidates.first { $0.initiativeId == candidate.initiativeId }?.reason ?? ""
        }
        #expect(reason(legal).hasPrefix("Med: lagkrav"))
        #expect(reason(rejected).hasPrefix("Ute: redan beslutad (rejected)"))
        #expect(reason(dependent).hasPrefix("Ute: förutsätter") && reason(dependent).contains("inte är med i urvalet"))
        #expect(reason(weak).hasPrefix("Ute: ryms inte i cost-allocation"))
        #expect(reason(unscored).hasPrefix("Ej poängsatt"))
        #expect(run.budgets["cost-allocation"]?.used == SEK(800_000))
        #expect(run.hours.used == SEK(20))
    }

    static func decision(
        _ organisation: String, _ outcome: DecisionOutcome, _ financing: FinancingType?, cost: Decimal, current: Bool = true
    ) -> Decision {
        Decision(
            decisionId: UUID(), initiativeId: InitiativeID(), organisationId: OrganisationID(organisation)!, track: .common,
            title: "Insats", outcome: outcome, financingType: financing, decidingBody: .ssg, rationale: "Beslut",
            decidedOn: "2026-12-03", followedBySLK: false, roundId: round.roundId, caseNumber: nil, supersedes: nil, current: current,
            criteriaVersion: 1, scores: nil, weightedTotal: nil, budgetYearCost: SEK(cost), decidedBy: "ssg-anna", recordedAt: Date())
    }

    @Test("the budget input sums exactly the prioritised decisions in force, per organisation and financing type")
    func budgetInput() {
        let decisions = [
            Self.decision("utbildning", .prioritised, .costAllocation, cost: 645_000.50),
            Self.decision("utbildning", .prioritised, .costAllocation, cost: 100_000),
            Self.decision("utbildning", .prioritised, .leasing, cost: 70_000),
            Self.decision("aldre-vard-omsorg", .prioritised, .costAllocation, cost: 1_000, current: false),
            Self.decision("aldre-vard-omsorg", .rejected, nil, cost: 5_000),
            Self.decision("aldre-vard-omsorg", .prioritised, .municipalGrant, cost: 300_000),
        ]
        let input = BudgetInput(round: Self.round, decisions: decisions)
        let inForce = decisions.filter { $0.current && $0.outcome == .prioritised }
        let expected = inForce.reduce(SEK.zero) { $0 + ($1.budgetYearCost ?? .zero) }
        #expect(input.budgetYearCost == expected && expected == SEK(Decimal(string: "1115000.5")!))
        #expect(input.lines.reduce(SEK.zero) { $0 + $1.budgetYearCost } == expected)
        #expect(input.totals.reduce(SEK.zero) { $0 + $1.budgetYearCost } == expected)
        #expect(input.lines.map { "\($0.organisationId)|\($0.financingType.rawValue)|\($0.initiatives)" } == [
            "aldre-vard-omsorg|municipal-grant|1", "utbildning|cost-allocation|2", "utbildning|leasing|1",
        ])
        #expect(input.totals.first { $0.financingType == .costAllocation }?.budget == SEK(1_000_000))
        #expect(input.csv.hasSuffix("2027;summa;alla;4;1115000.5;\r\n"))
        let own = input.only(OrganisationID("aldre-vard-omsorg")!)
        #expect(own.initiatives == 1 && own.budgetYearCost == SEK(300_000))
    }

    @Test("leasing needs a benefit calculation: an economic benefit in the analysis")
    func leasingRule() {
        let qualitativeOnly = AnalysisFigures(nil, summary: Self.summary(100_000))
        #expect(!qualitativeOnly.hasBenefitCalculation)
        #expect(AnalysisFigures(nil, summary: Self.summary(100_000, annualBenefit: 50_000)).hasBenefitCalculation)
        #expect(qualitativeOnly.budgetYearCost == SEK(100_000))
    }
}
