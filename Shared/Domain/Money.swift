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

    /// Made once: building a Locale per parse showed in bulk imports' profiles.
    private static let posix = Locale(identifier: "en_US_POSIX")

    /// Parses a plain decimal amount: an optional minus, digits without leading zeros, an
    /// optional point and decimals (`1200000`, `-0.5`, `650.10`). Swedish decimal commas,
    /// exponents, signs and spaces are refused rather than misread.
    public init?(exactly text: String) {
        let bytes = Array(text.utf8)
        var index = bytes.first == UInt8(ascii: "-") ? 1 : 0
        func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
        let integerStart = index
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        let integerDigits = index - integerStart
        guard integerDigits > 0, integerDigits == 1 || bytes[integerStart] != 0x30 else { return nil }
        if index < bytes.count {
            guard bytes[index] == UInt8(ascii: "."), index + 1 < bytes.count else { return nil }
            index += 1
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            guard index == bytes.count else { return nil }
        }
        guard let value = Decimal(string: text, locale: Self.posix) else { return nil }
        self.amount = value
    }

    public init(from decoder: any Decoder) throws {
        // Amounts travel as decimal strings (exact); a JSON number is accepted too.
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            guard let value = SEK(exactly: text) else {
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: decoder.codingPath,
                        debugDescription: "must be an amount in kronor such as \"1200000\" or \"650.10\" (a point, not a comma); got '\(text)'"))
            }
            self = value
        } else {
            self.amount = try container.decode(Decimal.self)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(amount.description)
    }
}
