import Domain
import Foundation
import Testing

@Suite("Dates and analysis figures")
struct DecisionRulesTests {
    @Test("calendar dates accept real days only")
    func calendarDates() {
        #expect(CalendarDate("2026-11-20")?.description == "2026-11-20")
        #expect(CalendarDate("2028-02-29") != nil)
        #expect(CalendarDate("2026-02-29") == nil)
        #expect(CalendarDate("2100-02-29") == nil)
        #expect(CalendarDate("2026-13-01") == nil)
        #expect(CalendarDate("20-11-2026") == nil)
        #expect(CalendarDate("2026-11-2") == nil)
        #expect(CalendarDate("2026-11-20")! < CalendarDate("2026-12-01")!)
    }

    @Test("the net over the lifetime is benefit minus one-off and running costs, exactly")
    func netOverLifetime() {
        let summary = AnalysisSummary(
            oneOffCost: SEK(Decimal(string: "1200000.10")!), annualCost: SEK(250_000), annualBenefit: SEK(900_000),
            lifetimeYears: 5, note: "")
        #expect(summary.netOverLifetime == SEK(Decimal(string: "2049999.90")!))
    }
}
