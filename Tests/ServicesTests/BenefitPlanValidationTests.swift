import Domain
import Foundation
import Testing

@testable import BenefitsService

/// The plan's input rules and what agreeing needs, without a database.
@Suite("Benefit plan input and agreement rules")
struct BenefitPlanValidationTests {
    static func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(json.utf8))
    }

    static let complete = """
        {"description": "Snabbare besked", "kind": "qualitative", "stakeholder": "residents",
         "owner": {"organisationId": "aldre-vard-omsorg", "name": "Anna"}, "indicator": "Dagar", "unit": "dagar",
         "baseline": {"value": "20", "date": "2026-01-01"}, "target": {"value": 5, "date": "2027-01-01"},
         "measurementMethod": "Uttag ur systemet"}
        """

    @Test("a complete benefit passes, gets the default follow-ups and needs nothing more to be agreed")
    func completeBenefit() throws {
        let input = try Self.decode(PlanInput.self, "{\"benefits\": [\(Self.complete)]}")
        #expect(input.validationProblems().isEmpty)
        let benefit = PlannedBenefit(input: input.benefits[0], id: UUID())
        #expect(benefit.followUpMonths == [6, 12])
        #expect(benefit.target?.value.value == 5, "a JSON number is accepted as a value")
        #expect(PlanRepository.agreementProblems([benefit]).isEmpty)
    }

    @Test("each broken rule is named by its JSON path")
    func brokenRules() throws {
        let input = try Self.decode(
            PlanInput.self,
            """
            {"benefits": [
              {"description": "", "kind": "economic", "stakeholder": "employees", "economicValue": "-1",
               "baseline": {"value": "1", "date": "2026-05-01"}, "target": {"value": "1", "date": "2026-01-01"},
               "followUpMonths": [0, 6, 6], "owner": {"organisationId": "utbildning", "name": " ", "email": "nej"}}],
             "reason": "\(String(repeating: "x", count: 2001))"}
            """)
        let names = Set(input.validationProblems().map(\.name))
        #expect(names == [
            "reason", "benefits[0].description", "benefits[0].owner.name", "benefits[0].owner.email",
            "benefits[0].economicValue", "benefits[0].target.date", "benefits[0].target.value", "benefits[0].followUpMonths",
        ])
    }

    @Test("an analysis line is a draft that agreeing names every missing part of")
    func draftFromAnalysis() {
        let benefit = PlannedBenefit(
            line: BenefitLine(description: "Frigjord tid", stakeholder: .employees, kind: .economic, annualHours: Hours(400)))
        #expect(benefit.indicator == "Frigjorda arbetstimmar per år" && benefit.unit == "timmar")
        #expect(PlanRepository.agreementProblems([benefit]).map(\.name) == [
            "benefits[0].owner", "benefits[0].baseline", "benefits[0].target", "benefits[0].measurementMethod",
        ])
        #expect(PlanRepository.agreementProblems([]).map(\.name) == ["benefits"])
    }

    @Test("a comma is not a decimal point")
    func quantity() throws {
        #expect(throws: DecodingError.self) { try Self.decode(Quantity.self, "\"1,5\"") }
        #expect(try Self.decode(Quantity.self, "\"1.5\"").value == Decimal(string: "1.5"))
    }
}
