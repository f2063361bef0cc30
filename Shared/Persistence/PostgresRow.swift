/// One result row in text format, decoded column by column on demand.
public struct PostgresRow: Sendable {
    let columns: PostgresColumns
    let values: [String?]

    /// The column names in order.
    public var columnNames: [String] { columns.names }

    /// The raw text of a column, `nil` for SQL NULL.
    public func text(_ column: String) throws(PostgresError) -> String? {
        values[try columns.index(of: column)]
    }

    /// Decodes a non-NULL column.
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws(PostgresError) -> T {
        guard let text = try text(column) else {
            throw PostgresError(kind: .decoding, message: "column \(column) is NULL; decode it as \(T.self)?")
        }
        do {
            return try T(postgresText: text)
        } catch {
            throw PostgresError(kind: .decoding, message: "column \(column): \(error.message)")
        }
    }

    /// Decodes a column that may be NULL.
    public func decode<T: PostgresDecodable>(_ column: String, as type: T?.Type = T?.self) throws(PostgresError) -> T? {
        guard let text = try text(column) else { return nil }
        do {
            return try T(postgresText: text)
        } catch {
            throw PostgresError(kind: .decoding, message: "column \(column): \(error.message)")
        }
    }

    /// Decodes a column by position (0-based).
    public func decode<T: PostgresDecodable>(at index: Int, as type: T.Type = T.self) throws(PostgresError) -> T {
        guard index < values.count, let text = values[index] else {
            throw PostgresError(kind: .decoding, message: "column \(index) is missing or NULL")
        }
        return try T(postgresText: text)
    }
}

/// Column names shared by all rows of one result.
final class PostgresColumns: Sendable {
    let names: [String]
    private let positions: [String: Int]

    init(names: [String]) {
        self.names = names
        var positions: [String: Int] = [:]
        for (index, name) in names.enumerated() where positions[name] == nil { positions[name] = index }
        self.positions = positions
    }

    func index(of column: String) throws(PostgresError) -> Int {
        guard let index = positions[column] else {
            throw PostgresError(
                kind: .decoding, message: "no column \(column); the result has \(names.joined(separator: ", "))")
        }
        return index
    }
}
