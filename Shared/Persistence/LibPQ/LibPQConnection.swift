import CLibPQ
import Glibc

/// The only code that calls `PQ*`. Owns one `PGconn`; every call on it is made from the
/// owning `PostgresConnection`'s serial worker, one at a time, which is why the box may be
/// `@unchecked Sendable` (libpq connections must not be used from two threads at once).
final class LibPQConnection: @unchecked Sendable {
    private let pointer: OpaquePointer
    /// Names of statements prepared on this connection, by SQL text.
    private var prepared: [String: String] = [:]

    /// Connects with a libpq connection string or URI (empty: PG* variables, .pgpass and
    /// service files decide, as for psql).
    init(conninfo: String) throws(PostgresError) {
        guard let pointer = PQconnectdb(conninfo) else {
            throw PostgresError(kind: .connection, message: "PQconnectdb returned no connection (out of memory)")
        }
        if PQstatus(pointer) != CONNECTION_OK {
            let message = Self.errorMessage(pointer)
            PQfinish(pointer)
            throw PostgresError(kind: .connection, message: message)
        }
        // Server notices ("relation already exists, skipping") would go to stderr and break
        // the JSON log stream; they carry nothing an operator acts on.
        PQsetNoticeProcessor(pointer, { _, _ in }, nil)
        self.pointer = pointer
    }

    deinit {
        PQfinish(pointer)
    }

    var isBroken: Bool { PQstatus(pointer) != CONNECTION_OK }

    /// Runs SQL with no parameters through the simple protocol; several statements may
    /// be separated by semicolons (migrations). Returns the last result's rows.
    func simpleQuery(_ sql: String) throws(PostgresError) -> PostgresResult {
        var last: PostgresResult = .empty
        guard PQsendQuery(pointer, sql) == 1 else { throw connectionError() }
        var firstError: PostgresError? = nil
        while let result = PQgetResult(pointer) {
            defer { PQclear(result) }
            do throws(PostgresError) {
                last = try Self.read(result, connection: pointer)
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        if let firstError { throw firstError }
        return last
    }

    /// Runs one parameterised statement, prepared once per connection and reused.
    func query(_ sql: String, _ parameters: [String?]) throws(PostgresError) -> PostgresResult {
        let name: String
        if let existing = prepared[sql] {
            name = existing
        } else {
            name = "s\(prepared.count + 1)"
            let result = PQprepare(pointer, name, sql, Int32(parameters.count), nil)
            defer { PQclear(result) }
            _ = try Self.read(result, connection: pointer)
            prepared[sql] = name
        }
        return try withCStrings(parameters) { values throws(PostgresError) -> PostgresResult in
            let result = PQexecPrepared(pointer, name, Int32(parameters.count), values, nil, nil, 0)
            defer { PQclear(result) }
            do throws(PostgresError) {
                return try Self.read(result, connection: pointer)
            } catch {
                // A DDL change can invalidate a cached plan ("cached plan must not change
                // result type"); forget the statement so the next call prepares it anew.
                if error.sqlState == "0A000" || error.sqlState == "26000" { prepared[sql] = nil }
                throw error
            }
        }
    }

    /// Waits up to `timeoutMilliseconds` for a `NOTIFY` on a channel this session
    /// listens to; returns true when at least one arrived (all pending ones are consumed).
    func waitForNotification(timeoutMilliseconds: Int32) throws(PostgresError) -> Bool {
        guard PQconsumeInput(pointer) == 1 else { throw connectionError() }
        if drainNotifications() > 0 { return true }
        var descriptor = pollfd(fd: PQsocket(pointer), events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, timeoutMilliseconds)
        if ready <= 0 { return false }  // timeout, or a signal interrupted the wait
        guard PQconsumeInput(pointer) == 1 else { throw connectionError() }
        return drainNotifications() > 0
    }

    private func drainNotifications() -> Int {
        var count = 0
        while let notification = PQnotifies(pointer) {
            PQfreemem(notification)
            count += 1
        }
        return count
    }

    /// Starts `COPY … FROM STDIN`; the server then waits for `putCopyData` and `endCopy`.
    func beginCopy(_ sql: String) throws(PostgresError) {
        guard PQsendQuery(pointer, sql) == 1 else { throw connectionError() }
        guard let result = PQgetResult(pointer) else { throw connectionError() }
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_COPY_IN else {
            let failure: PostgresError
            do throws(PostgresError) {
                _ = try Self.read(result, connection: pointer)
                failure = PostgresError(kind: .server, message: "the statement did not start COPY FROM STDIN")
            } catch {
                failure = error
            }
            while let next = PQgetResult(pointer) { PQclear(next) }
            throw failure
        }
    }

    /// Sends bytes of COPY data (blocking until libpq has queued them).
    func putCopyData(_ bytes: UnsafeRawBufferPointer) throws(PostgresError) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        guard PQputCopyData(pointer, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count)) == 1 else {
            throw connectionError()
        }
    }

    /// Ends the COPY (`failure` aborts it with that message) and returns the rows copied;
    /// a server error (bad data, with its line in the detail) is thrown.
    func endCopy(failure: String? = nil) throws(PostgresError) -> Int {
        guard PQputCopyEnd(pointer, failure) == 1 else { throw connectionError() }
        var copied = 0
        var firstError: PostgresError? = nil
        while let result = PQgetResult(pointer) {
            defer { PQclear(result) }
            do throws(PostgresError) {
                copied = try Self.read(result, connection: pointer).affectedRows
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        if let firstError { throw firstError }
        return copied
    }

    /// The transaction state libpq tracks for this connection.
    var isIdleOutsideTransaction: Bool { PQtransactionStatus(pointer) == PQTRANS_IDLE }

    private func connectionError() -> PostgresError {
        PostgresError(kind: .connection, message: Self.errorMessage(pointer))
    }

    private static func errorMessage(_ pointer: OpaquePointer) -> String {
        String(cString: PQerrorMessage(pointer)).trimmingTrailingWhitespace()
    }

    /// Turns a `PGresult` into rows, or into the one Swift error for server errors.
    private static func read(_ result: OpaquePointer?, connection: OpaquePointer) throws(PostgresError) -> PostgresResult {
        guard let result else {
            throw PostgresError(kind: .connection, message: errorMessage(connection))
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return PostgresResult(columns: nil, rows: [], affectedRows: affected(result))
        case PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE:
            let rowCount = Int(PQntuples(result))
            let columnCount = Int(PQnfields(result))
            let columns = PostgresColumns(names: (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) })
            var rows: [PostgresRow] = []
            rows.reserveCapacity(rowCount)
            for row in 0..<Int32(rowCount) {
                var values: [String?] = []
                values.reserveCapacity(columnCount)
                for column in 0..<Int32(columnCount) {
                    if PQgetisnull(result, row, column) == 1 {
                        values.append(nil)
                    } else {
                        let length = Int(PQgetlength(result, row, column))
                        let bytes = UnsafeRawBufferPointer(start: PQgetvalue(result, row, column), count: length)
                        values.append(String(decoding: bytes, as: UTF8.self))
                    }
                }
                rows.append(PostgresRow(columns: columns, values: values))
            }
            return PostgresResult(columns: columns, rows: rows, affectedRows: rowCount)
        default:
            func field(_ code: Int32) -> String? {
                PQresultErrorField(result, code).map { String(cString: $0) }
            }
            let message = field(Int32(UInt8(ascii: "M"))) ?? String(cString: PQresultErrorMessage(result))
            let state = field(Int32(UInt8(ascii: "C")))
            let kind: PostgresError.Kind = PQstatus(connection) == CONNECTION_OK ? .server : .connection
            throw PostgresError(
                kind: kind, message: message.trimmingTrailingWhitespace(), sqlState: state,
                detail: [field(Int32(UInt8(ascii: "D"))), field(Int32(UInt8(ascii: "W")))].compactMap { $0 }.joined(separator: "; ")
                    .nilIfEmpty,
                hint: field(Int32(UInt8(ascii: "H"))))
        }
    }

    private static func affected(_ result: OpaquePointer) -> Int {
        Int(String(cString: PQcmdTuples(result))) ?? 0
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}

/// Calls `body` with C strings for the parameters (NULL for nil), valid during the call.
private func withCStrings<R>(
    _ values: [String?], _ body: ([UnsafePointer<CChar>?]) throws(PostgresError) -> R
) throws(PostgresError) -> R {
    let pointers: [UnsafeMutablePointer<CChar>?] = values.map { $0.flatMap { strdup($0) } }
    defer { pointers.forEach { free($0) } }
    return try body(pointers.map { UnsafePointer($0) })
}

/// Rows and counts of one statement.
struct PostgresResult: Sendable {
    static let empty = PostgresResult(columns: nil, rows: [], affectedRows: 0)
    let columns: PostgresColumns?
    let rows: [PostgresRow]
    let affectedRows: Int
}

extension String {
    func trimmingTrailingWhitespace() -> String {
        var scalars = unicodeScalars[...]
        while let last = scalars.last, last == " " || last == "\n" || last == "\t" || last == "\r" {
            scalars = scalars.dropLast()
        }
        return String(String.UnicodeScalarView(scalars))
    }
}
