/// An error from PostgreSQL or from the pool, with the server's SQLSTATE when there is one.
public struct PostgresError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Could not connect, or the connection broke.
        case connection
        /// The server rejected a statement; `sqlState` says why.
        case server
        /// A column could not be decoded into the requested Swift type.
        case decoding
        /// The pool was shut down or no connection became free in time.
        case pool
        /// A migration file is malformed, or an applied one was changed afterwards.
        case migration
    }

    public let kind: Kind
    public let message: String
    /// The five-character SQLSTATE, e.g. `23505` for a unique violation.
    public let sqlState: String?
    public let detail: String?
    public let hint: String?

    public init(kind: Kind, message: String, sqlState: String? = nil, detail: String? = nil, hint: String? = nil) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
    }

    /// A unique or exclusion constraint was violated (SQLSTATE 23505 / 23P01).
    public var isUniqueViolation: Bool { sqlState == "23505" || sqlState == "23P01" }

    public var description: String {
        var text = "PostgreSQL \(kind)"
        if let sqlState { text += " [\(sqlState)]" }
        text += ": \(message)"
        if let detail { text += " (\(detail))" }
        if let hint { text += " hint: \(hint)" }
        return text
    }
}
