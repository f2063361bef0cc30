import Foundation

/// The phases of an initiative after its decision, as the guideline's third main activity
/// names them (*realisera och följa upp nytta och effekter*). Phases only move forward.
public enum InitiativePhase: String, ClosedSet, Comparable {
    /// Initiera: the benefit realisation plan is made with the customers.
    case initiate
    /// Utveckla: the solution is built or procured.
    case develop
    /// Implementera: the customer changes ways of working; entering it is go-live.
    case implement
    /// Förvaltning: run under a management plan (förvaltningsplan).
    case management
    /// Utvärderad: evaluated and documented (erfarenhetsåtervinning); the end.
    case evaluated

    var order: Int { Self.allCases.firstIndex(of: self) ?? 0 }

    public static func < (lhs: InitiativePhase, rhs: InitiativePhase) -> Bool { lhs.order < rhs.order }

    /// The phase after this one, nil at the end.
    public var next: InitiativePhase? {
        let all = Self.allCases
        return order + 1 < all.count ? all[order + 1] : nil
    }
}

/// How a benefit is doing against its expected path.
public enum RealisationStatus: String, ClosedSet {
    /// Nothing measured yet.
    case notMeasured = "not-measured"
    /// Enligt plan: less than `RealisationRules.atRiskPoints` behind the expected path.
    case onTrack = "on-track"
    /// I riskzonen: at least `atRiskPoints`, less than `deviatingPoints` behind.
    case atRisk = "at-risk"
    /// Avvikelse: at least `deviatingPoints` behind; the board decides an action.
    case deviating
    /// Realiserad: the target is reached (share ≥ 1).
    case realised

    /// Worse statuses sort later: an initiative is as bad as its worst benefit.
    public var severity: Int {
        switch self {
        case .realised: 0
        case .onTrack: 1
        case .notMeasured: 2
        case .atRisk: 3
        case .deviating: 4
        }
    }
}

/// A benefit's realisation at one measurement.
public struct Realisation: Sendable, Equatable {
    /// (value − baseline) / (target − baseline), rounded to 4 decimals; 1 is the target.
    public var share: Decimal
    /// Where a linear path from go-live (share 0) to the target date (share 1) says the
    /// benefit should be on the measurement date, rounded to 4 decimals.
    public var expectedShare: Decimal
    /// (expected − share) × 100, in percentage points; positive is behind.
    public var pointsBehind: Decimal
    public var status: RealisationStatus
}

/// The documented thresholds and formulas of benefit follow-up (see services/benefits/README.md).
public enum RealisationRules {
    /// At least this many percentage points behind the expected path: at risk.
    public static let atRiskPoints: Decimal = 10
    /// At least this many percentage points behind the expected path: deviating.
    public static let deviatingPoints: Decimal = 25

    /// The share of the planned change reached; nil when target equals baseline (no change planned).
    public static func share(value: Decimal, baseline: Decimal, target: Decimal) -> Decimal? {
        guard target != baseline else { return nil }
        return rounded((value - baseline) / (target - baseline))
    }

    /// The linear expected share on `date`: 0 up to go-live (or without one), 1 from the
    /// target date on.
    public static func expectedShare(on date: CalendarDate, goLive: CalendarDate?, targetDate: CalendarDate) -> Decimal {
        guard let goLive, date > goLive else { return 0 }
        guard date < targetDate, goLive < targetDate else { return 1 }
        let elapsed = Decimal(date.dayNumber - goLive.dayNumber)
        let span = Decimal(targetDate.dayNumber - goLive.dayNumber)
        return rounded(elapsed / span)
    }

    /// The status of a measured value; nil when the benefit plans no change (target = baseline).
    public static func assess(
        value: Decimal, on date: CalendarDate, baseline: Decimal, target: Decimal, goLive: CalendarDate?,
        targetDate: CalendarDate
    ) -> Realisation? {
        guard let share = share(value: value, baseline: baseline, target: target) else { return nil }
        let expected = expectedShare(on: date, goLive: goLive, targetDate: targetDate)
        let behind = (expected - share) * 100
        let status: RealisationStatus =
            if share >= 1 { .realised }
            else if behind >= deviatingPoints { .deviating }
            else if behind >= atRiskPoints { .atRisk }
            else { .onTrack }
        return Realisation(share: share, expectedShare: expected, pointsBehind: rounded(behind, scale: 2), status: status)
    }

    /// The worst of several statuses; `notMeasured` for none.
    public static func worst(_ statuses: [RealisationStatus]) -> RealisationStatus {
        statuses.max { $0.severity < $1.severity } ?? .notMeasured
    }

    static func rounded(_ value: Decimal, scale: Int = 4) -> Decimal {
        var input = value
        var output = Decimal()
        NSDecimalRound(&output, &input, scale, .plain)
        return output
    }
}

extension CalendarDate {
    /// Days since 1970-01-01 (proleptic Gregorian), for differences between dates.
    public var dayNumber: Int {
        // The civil-from-days inverse (Howard Hinnant's days_from_civil), in integers only.
        let shifted = month <= 2 ? year - 1 : year
        let era = (shifted >= 0 ? shifted : shifted - 399) / 400
        let yearOfEra = shifted - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The same day `months` months later, clamped to the month's last day (31 Jan + 1 = 28/29 Feb).
    public func adding(months: Int) -> CalendarDate {
        let total = year * 12 + (month - 1) + months
        let newYear = total / 12
        let newMonth = total % 12 + 1
        let newDay = min(day, Self.days(inMonth: newMonth, year: newYear))
        return CalendarDate(validYear: newYear, month: newMonth, day: newDay)
    }

    /// The date `days` days later (earlier when negative).
    public func adding(days: Int) -> CalendarDate {
        // days_from_civil's inverse: civil_from_days.
        let z = dayNumber + days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return CalendarDate(validYear: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day)
    }

    /// Today in Sweden (Europe/Stockholm).
    public static var todayInStockholm: CalendarDate {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Stockholm") ?? .gmt
        let parts = calendar.dateComponents([.year, .month, .day], from: Date())
        return CalendarDate(validYear: parts.year ?? 1970, month: parts.month ?? 1, day: parts.day ?? 1)
    }
}

extension CalendarDate {
    /// For parts already known to form a date (computed above).
    init(validYear year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }
}
