import Foundation

/// An amount in Swedish kronor. Money is `Decimal`, never floating point, so that every
/// figure is reproducible from the stored lines.
public struct SEK: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public var amount: Decimal

    public init(_ amount: Decimal) { self.amount = amount }

    public static let zero = SEK(0)

    public static func + (lhs: SEK, rhs: SEK) -> SEK { SEK(lhs.amount + rhs.amount) }
    public static func - (lhs: SEK, rhs: SEK) -> SEK { SEK(lhs.amount - rhs.amount) }
    public static func < (lhs: SEK, rhs: SEK) -> Bool { lhs.amount < rhs.amount }

    /// Internal staff cost made comparable with external cost: hours × hourly rate.
    public static func staffCost(hours: Decimal, hourlyRate: SEK) -> SEK {
        SEK(hours * hourlyRate.amount)
    }

    public var description: String { "\(amount) kr" }

    public init(from decoder: any Decoder) throws {
        // Accept the JSON number or its string form; both decode exactly into Decimal.
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: "not a decimal amount: \(text)"))
            }
            self.amount = value
        } else {
            self.amount = try container.decode(Decimal.self)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(amount.description)
    }
}
