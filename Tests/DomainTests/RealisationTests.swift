import Domain
import Foundation
import Testing

/// The realisation share, the expected linear path and the status thresholds that benefit
/// follow-up documents (services/benefits/README.md), worked out by hand.
@Suite("Benefit realisation rules")
struct RealisationTests {
    static func date(_ text: String) throws -> CalendarDate { try #require(CalendarDate(text)) }

    @Test("the share is the part of the planned change reached, for falling indicators too")
    func share() {
        #expect(RealisationRules.share(value: 15, baseline: 10, target: 20) == Decimal(string: "0.5"))
        // A lead time from 20 days down to 5: 14 days is 6 of the 15 days' reduction.
        #expect(RealisationRules.share(value: 14, baseline: 20, target: 5) == Decimal(string: "0.4"))
        #expect(RealisationRules.share(value: 25, baseline: 10, target: 20) == Decimal(string: "1.5"))
        #expect(RealisationRules.share(value: 8, baseline: 10, target: 20) == Decimal(string: "-0.2"))
        #expect(RealisationRules.share(value: 1, baseline: 3, target: 3) == nil, "no planned change, no share")
        // One third, rounded to four decimals.
        #expect(RealisationRules.share(value: 1, baseline: 0, target: 3) == Decimal(string: "0.3333"))
    }

    @Test("the expected share runs linearly from go-live to the target date")
    func expectedShare() throws {
        let goLive = try Self.date("2025-01-01")
        let target = try Self.date("2025-12-31")  // 364 days later
        #expect(RealisationRules.expectedShare(on: try Self.date("2024-12-01"), goLive: goLive, targetDate: target) == 0)
        #expect(RealisationRules.expectedShare(on: goLive, goLive: goLive, targetDate: target) == 0)
        #expect(RealisationRules.expectedShare(on: try Self.date("2025-07-02"), goLive: goLive, targetDate: target) == Decimal(string: "0.5"))
        #expect(RealisationRules.expectedShare(on: target, goLive: goLive, targetDate: target) == 1)
        #expect(RealisationRules.expectedShare(on: try Self.date("2026-06-01"), goLive: goLive, targetDate: target) == 1)
        #expect(RealisationRules.expectedShare(on: try Self.date("2025-07-02"), goLive: nil, targetDate: target) == 0,
                "before go-live nothing is expected yet")
    }

    @Test("status: on track under 10 points behind, at risk from 10, deviating from 25, realised at the target")
    func thresholds() throws {
        let goLive = try Self.date("2025-01-01")
        let target = try Self.date("2025-12-31")
        let halfway = try Self.date("2025-07-02")  // expected 0.5
        func status(_ value: Decimal) -> RealisationStatus? {
            RealisationRules.assess(value: value, on: halfway, baseline: 0, target: 100, goLive: goLive, targetDate: target)?.status
        }
        #expect(status(41) == .onTrack)  // 9 points behind
        #expect(status(40) == .atRisk)  // exactly 10
        #expect(status(26) == .atRisk)  // 24
        #expect(status(25) == .deviating)  // exactly 25
        #expect(status(0) == .deviating)
        #expect(status(70) == .onTrack, "ahead of the path")
        #expect(status(100) == .realised)
        let assessed = try #require(
            RealisationRules.assess(value: 20, on: halfway, baseline: 0, target: 100, goLive: goLive, targetDate: target))
        #expect(assessed.share == Decimal(string: "0.2"))
        #expect(assessed.expectedShare == Decimal(string: "0.5"))
        #expect(assessed.pointsBehind == 30)
    }

    @Test("the worst benefit decides an initiative's status; nothing measured is not-measured")
    func worst() {
        #expect(RealisationRules.worst([]) == .notMeasured)
        #expect(RealisationRules.worst([.realised, .onTrack]) == .onTrack)
        #expect(RealisationRules.worst([.realised, .atRisk, .notMeasured]) == .atRisk)
        #expect(RealisationRules.worst([.deviating, .onTrack]) == .deviating)
    }

    @Test("months after go-live keep the day, clamped to the month's end; days count across years")
    func calendarArithmetic() throws {
        #expect(try Self.date("2025-01-31").adding(months: 1) == Self.date("2025-02-28"))
        #expect(try Self.date("2024-01-31").adding(months: 1) == Self.date("2024-02-29"))
        #expect(try Self.date("2025-03-15").adding(months: 6) == Self.date("2025-09-15"))
        #expect(try Self.date("2025-03-15").adding(months: 12) == Self.date("2026-03-15"))
        #expect(try Self.date("2025-11-30").adding(months: 3) == Self.date("2026-02-28"))
        #expect(try Self.date("1970-01-01").dayNumber == 0)
        #expect(try Self.date("2000-03-01").dayNumber - Self.date("2000-02-28").dayNumber == 2, "2000 was a leap year")
        #expect(try Self.date("2025-12-31").dayNumber - Self.date("2025-01-01").dayNumber == 364)
        #expect(try Self.date("2025-12-25").adding(days: 10) == Self.date("2026-01-04"))
        #expect(try Self.date("2026-03-01").adding(days: -1) == Self.date("2026-02-28"))
    }

    @Test("phases only move forward, one at a time")
    func phases() {
        #expect(InitiativePhase.initiate.next == .develop)
        #expect(InitiativePhase.management.next == .evaluated)
        #expect(InitiativePhase.evaluated.next == nil)
        #expect(InitiativePhase.develop < .implement)
    }
}
