import Foundation

/// RFC 3339 timestamps for the CloudEvents `time` attribute: written in UTC with
/// milliseconds, read with any offset and with or without fractional seconds.
public enum RFC3339 {
    public static func format(_ date: Date) -> String {
        withFraction.format(date)
    }

    public static func parse(_ text: String) -> Date? {
        if let date = try? withFraction.parse(text) { return date }
        return try? whole.parse(text)
    }

    // Value types (Sendable) made once: an ISO8601DateFormatter per call costs an ICU
    // formatter each time, which showed in bulk imports' profiles.
    private static let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)
    private static let whole = Date.ISO8601FormatStyle(timeZone: .gmt)
}
