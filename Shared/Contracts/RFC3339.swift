import Foundation

/// RFC 3339 timestamps for the CloudEvents `time` attribute: written in UTC with
/// milliseconds, read with any offset and with or without fractional seconds.
public enum RFC3339 {
    public static func format(_ date: Date) -> String {
        formatter(fractional: true).string(from: date)
    }

    public static func parse(_ text: String) -> Date? {
        formatter(fractional: true).date(from: text) ?? formatter(fractional: false).date(from: text)
    }

    // ISO8601DateFormatter is not Sendable; a fresh one per call is cheap next to the I/O around it.
    private static func formatter(fractional: Bool) -> ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = fractional ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter
    }
}
