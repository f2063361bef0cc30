import Foundation

/// A streaming CSV reader for what spreadsheets export (RFC 4180 plus the Swedish habit
/// of `;` as the delimiter): quoted fields with `""` escapes and line breaks inside, LF or
/// CRLF line ends, a UTF-8 byte-order mark ignored. The delimiter is decided by the
/// header line: whichever of `;` and `,` occurs more often outside quotes.
///
/// Feed it chunks as they arrive; it returns the records completed so far, so a file of
/// any size is read in constant memory.
public struct CSVReader: Sendable {
    /// One record: its fields, and the line it started on (1-based, the header is line 1).
    public struct Record: Sendable, Equatable {
        public var fields: [String]
        public var line: Int
    }

    public enum ReadError: Error, Sendable, Equatable {
        /// A field is not valid UTF-8.
        case invalidUTF8(line: Int)
        /// The file ended inside a quoted field.
        case unterminatedQuote(line: Int)
        /// A field is longer than the reader accepts.
        case fieldTooLong(line: Int, limit: Int)
    }

    public private(set) var delimiter: UInt8?
    private var pending: [UInt8] = []  // bytes of the header line until the delimiter is known
    private var field: [UInt8] = []
    private var fields: [String] = []
    private var inQuotes = false
    private var quoteSeen = false  // the previous byte closed a quote (or was an escaped one)
    private var line = 1
    private var recordLine = 1
    private var atStart = true
    private var lastWasCR = false
    private let fieldLimit: Int

    public init(fieldLimit: Int = 65_536) {
        self.fieldLimit = fieldLimit
    }

    public mutating func feed(_ bytes: some Sequence<UInt8>) throws(ReadError) -> [Record] {
        var records: [Record] = []
        for byte in bytes {
            if delimiter == nil {
                pending.append(byte)
                if byte == UInt8(ascii: "\n") { try decideDelimiter(into: &records) }
                continue
            }
            try consume(byte, into: &records)
        }
        return records
    }

    public mutating func finish() throws(ReadError) -> [Record] {
        var records: [Record] = []
        if delimiter == nil { try decideDelimiter(into: &records) }
        if inQuotes { throw .unterminatedQuote(line: recordLine) }
        if !field.isEmpty || !fields.isEmpty { try endRecord(into: &records) }
        return records
    }

    private mutating func decideDelimiter(into records: inout [Record]) throws(ReadError) {
        var semicolons = 0
        var commas = 0
        var quoted = false
        for byte in pending {
            if byte == UInt8(ascii: "\"") { quoted.toggle() }
            if !quoted && byte == UInt8(ascii: ";") { semicolons += 1 }
            if !quoted && byte == UInt8(ascii: ",") { commas += 1 }
        }
        delimiter = semicolons > commas ? UInt8(ascii: ";") : UInt8(ascii: ",")
        let buffered = pending
        pending = []
        for byte in buffered { try consume(byte, into: &records) }
    }

    private mutating func consume(_ byte: UInt8, into records: inout [Record]) throws(ReadError) {
        if atStart {
            // Skip a UTF-8 byte-order mark (EF BB BF) at the very start.
            if field.count < 3, [0xEF, 0xBB, 0xBF][field.count] == byte {
                field.append(byte)
                if field.count == 3 { field = []; atStart = false }
                return
            }
            atStart = false
        }
        let quote = UInt8(ascii: "\"")
        if inQuotes {
            if byte == quote {
                inQuotes = false
                quoteSeen = true
            } else {
                if byte == UInt8(ascii: "\n") { line += 1 }
                try append(byte)
            }
            return
        }
        if byte == quote {
            if quoteSeen { try append(quote) }  // "" inside a quoted field
            inQuotes = true
            quoteSeen = false
            return
        }
        quoteSeen = false
        switch byte {
        case delimiter:
            try endField()
        case UInt8(ascii: "\r"):
            lastWasCR = true
            return
        case UInt8(ascii: "\n"):
            try endRecord(into: &records)
            line += 1
            recordLine = line
        default:
            if lastWasCR { try append(UInt8(ascii: "\r")) }
            try append(byte)
        }
        lastWasCR = false
    }

    private mutating func append(_ byte: UInt8) throws(ReadError) {
        guard field.count < fieldLimit else { throw .fieldTooLong(line: recordLine, limit: fieldLimit) }
        field.append(byte)
    }

    private mutating func endField() throws(ReadError) {
        guard let text = String(validating: field, as: UTF8.self) else { throw .invalidUTF8(line: recordLine) }
        fields.append(text)
        field.removeAll(keepingCapacity: true)
    }

    private mutating func endRecord(into records: inout [Record]) throws(ReadError) {
        try endField()
        // A blank line is no record.
        if !(fields.count == 1 && fields[0].isEmpty) { records.append(Record(fields: fields, line: recordLine)) }
        fields.removeAll(keepingCapacity: true)
    }
}

/// Writes CSV the way Swedish spreadsheets read it: `;` between fields, quotes where
/// needed, CRLF line ends; a UTF-8 byte-order mark first so Excel reads å, ä and ö.
public enum CSVWriter {
    public static let byteOrderMark = "\u{FEFF}"

    public static func line(_ fields: [String], delimiter: Character = ";") -> String {
        fields.map { field in
            let needsQuotes = field.contains(delimiter) || field.contains("\"") || field.contains("\n") || field.contains("\r")
            return needsQuotes ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
        }.joined(separator: String(delimiter)) + "\r\n"
    }
}
