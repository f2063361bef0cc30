import Foundation

/// A Swift value that can be sent as a query parameter. Parameters travel separately from
/// the SQL text (libpq's extended protocol), never spliced into it.
public protocol PostgresEncodable: Sendable {
    /// The value in PostgreSQL's text input format.
    var postgresText: String { get }
}

/// A Swift value that a column can be decoded into.
public protocol PostgresDecodable: Sendable {
    /// Decodes PostgreSQL's text output format; throws when the text does not fit.
    init(postgresText text: String) throws(PostgresError)
}

public typealias PostgresCodable = PostgresEncodable & PostgresDecodable

extension PostgresError {
    static func cannotDecode(_ text: String, as type: Any.Type) -> PostgresError {
        PostgresError(kind: .decoding, message: "cannot decode \(type) from '\(text.prefix(64))'")
    }
}

extension String: PostgresCodable {
    public var postgresText: String { self }
    public init(postgresText text: String) { self = text }
}

extension Int: PostgresCodable {
    public var postgresText: String { String(self) }
    public init(postgresText text: String) throws(PostgresError) {
        guard let value = Int(text) else { throw .cannotDecode(text, as: Int.self) }
        self = value
    }
}

extension Int64: PostgresCodable {
    public var postgresText: String { String(self) }
    public init(postgresText text: String) throws(PostgresError) {
        guard let value = Int64(text) else { throw .cannotDecode(text, as: Int64.self) }
        self = value
    }
}

extension Int32: PostgresCodable {
    public var postgresText: String { String(self) }
    public init(postgresText text: String) throws(PostgresError) {
        guard let value = Int32(text) else { throw .cannotDecode(text, as: Int32.self) }
        self = value
    }
}

extension Double: PostgresCodable {
    public var postgresText: String { String(self) }
    public init(postgresText text: String) throws(PostgresError) {
        guard let value = Double(text) else { throw .cannotDecode(text, as: Double.self) }
        self = value
    }
}

extension Bool: PostgresCodable {
    public var postgresText: String { self ? "t" : "f" }
    public init(postgresText text: String) throws(PostgresError) {
        switch text {
        case "t", "true": self = true
        case "f", "false": self = false
        default: throw .cannotDecode(text, as: Bool.self)
        }
    }
}

extension Decimal: PostgresCodable {
    /// `numeric` round-trips exactly: Decimal's description is plain digits and a point.
    public var postgresText: String { description }
    public init(postgresText text: String) throws(PostgresError) {
        guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
            throw .cannotDecode(text, as: Decimal.self)
        }
        self = value
    }
}

extension UUID: PostgresCodable {
    public var postgresText: String { uuidString.lowercased() }
    public init(postgresText text: String) throws(PostgresError) {
        guard let value = UUID(uuidString: text) else { throw .cannotDecode(text, as: UUID.self) }
        self = value
    }
}

extension Date: PostgresCodable {
    /// ISO 8601 in UTC with microseconds, the precision of `timestamptz`.
    public var postgresText: String { PostgresTimestamp.format(self) }
    public init(postgresText text: String) throws(PostgresError) {
        guard let value = PostgresTimestamp.parse(text) else { throw .cannotDecode(text, as: Date.self) }
        self = value
    }
}

/// `bytea` in the hex format.
public struct PostgresBytes: PostgresCodable, Equatable {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var postgresText: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var text: [UInt8] = [0x5C, 0x78]  // \x
        text.reserveCapacity(2 + bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    public init(postgresText text: String) throws(PostgresError) {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8[0] == 0x5C, utf8[1] == 0x78, utf8.count % 2 == 0 else {
            throw .cannotDecode(text, as: PostgresBytes.self)
        }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x61...0x66: c - 0x61 + 10
            case 0x41...0x46: c - 0x41 + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity((utf8.count - 2) / 2)
        var index = 2
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else {
                throw .cannotDecode(text, as: PostgresBytes.self)
            }
            bytes.append(high << 4 | low)
            index += 2
        }
        self.bytes = bytes
    }
}

/// A `json`/`jsonb` value holding an `Encodable`/`Decodable` Swift value.
/// Shared by every `PostgresJSON` (a generic type cannot hold static stored properties).
private let postgresJSONEncoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    return encoder
}()

private let postgresJSONDecoder: JSONDecoder = {
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    return decoder
}()

public struct PostgresJSON<Value: Codable & Sendable>: PostgresCodable {
    public var value: Value
    public init(_ value: Value) { self.value = value }

    public var postgresText: String {
        // Encoding a Codable value into JSON only fails for non-finite floats, which the
        // domain never stores; fall back to null rather than crash.
        guard let data = try? postgresJSONEncoder.encode(value) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    public init(postgresText text: String) throws(PostgresError) {
        do {
            value = try postgresJSONDecoder.decode(Value.self, from: Data(text.utf8))
        } catch {
            throw PostgresError(kind: .decoding, message: "cannot decode JSON as \(Value.self): \(error)")
        }
    }
}

/// One-dimensional arrays (`text[]`, `int8[]`, `uuid[]` …) in PostgreSQL's array literal form.
extension Array: PostgresEncodable where Element: PostgresEncodable {
    public var postgresText: String {
        var text = "{"
        for (index, element) in enumerated() {
            if index > 0 { text += "," }
            text += "\""
            for character in element.postgresText.unicodeScalars {
                if character == "\"" || character == "\\" { text += "\\" }
                text.unicodeScalars.append(character)
            }
            text += "\""
        }
        return text + "}"
    }
}

extension Array: PostgresDecodable where Element: PostgresDecodable {
    public init(postgresText text: String) throws(PostgresError) {
        guard let elements = PostgresArrayLiteral.parse(text) else {
            throw .cannotDecode(text, as: [Element].self)
        }
        var result: [Element] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            guard let element else {
                throw PostgresError(kind: .decoding, message: "array element is NULL; decode as an array of optionals")
            }
            result.append(try Element(postgresText: element))
        }
        self = result
    }
}

enum PostgresArrayLiteral {
    /// Parses a one-dimensional array literal; unquoted NULL becomes nil.
    static func parse(_ text: String) -> [String?]? {
        var scalars = Array(text.unicodeScalars)[...]
        guard scalars.first == "{", scalars.last == "}" else { return nil }
        scalars = scalars.dropFirst().dropLast()
        if scalars.isEmpty { return [] }
        var elements: [String?] = []
        var current = String.UnicodeScalarView()
        var quoted = false
        var wasQuoted = false
        var escaped = false
        for scalar in scalars {
            if escaped {
                current.append(scalar)
                escaped = false
            } else if scalar == "\\" {
                escaped = true
            } else if scalar == "\"" {
                quoted.toggle()
                wasQuoted = true
            } else if scalar == "," && !quoted {
                let element = String(current)
                elements.append(!wasQuoted && element == "NULL" ? nil : element)
                current = String.UnicodeScalarView()
                wasQuoted = false
            } else {
                current.append(scalar)
            }
        }
        let element = String(current)
        elements.append(!wasQuoted && element == "NULL" ? nil : element)
        return elements
    }
}

enum PostgresTimestamp {
    /// Formats as `2026-11-26T15:12:03.123456Z`.
    static func format(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        var seconds = Int(interval.rounded(.down))
        var micros = Int(((interval - Double(seconds)) * 1_000_000).rounded())
        if micros == 1_000_000 {
            seconds += 1
            micros = 0
        }
        let (year, month, day) = civil(fromDays: seconds.floorDivided(by: 86_400))
        let secondOfDay = seconds - seconds.floorDivided(by: 86_400) * 86_400
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T" + pad(secondOfDay / 3600, 2) + ":"
            + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2) + "." + pad(micros, 6) + "Z"
    }

    /// Parses ISO-style output (`2026-11-26 15:12:03.123456+00`, `+05:30`, `T` or space).
    static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var value = 0
            for index in from..<(from + count) {
                let c = b[index]
                guard c >= 0x30 && c <= 0x39 else { return nil }
                value = value * 10 + Int(c - 0x30)
            }
            return value
        }
        guard b.count >= 19, let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < b.count, b[index] == 0x2E {  // .
            index += 1
            var scale = 0.1
            while index < b.count, b[index] >= 0x30, b[index] <= 0x39 {
                fraction += Double(b[index] - 0x30) * scale
                scale /= 10
                index += 1
            }
        }
        var offsetSeconds = 0
        if index < b.count {
            switch b[index] {
            case 0x5A:  // Z
                break
            case 0x2B, 0x2D:  // + -
                let sign = b[index] == 0x2B ? 1 : -1
                guard let hours = number(index + 1, 2) else { return nil }
                var minutes = 0
                if index + 3 < b.count {
                    let minuteStart = b[index + 3] == 0x3A ? index + 4 : index + 3
                    minutes = number(minuteStart, 2) ?? 0
                }
                offsetSeconds = sign * (hours * 3600 + minutes * 60)
            default:
                return nil
            }
        }
        let days = days(fromCivil: year, month, day)
        let total = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(total) + fraction)
    }

    // Howard Hinnant's days-from-civil algorithm (public domain), proleptic Gregorian.
    private static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = y.floorDivided(by: 400)
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func civil(fromDays days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = z.floorDivided(by: 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}

extension Int {
    fileprivate func floorDivided(by divisor: Int) -> Int {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
