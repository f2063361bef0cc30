import Blocking
import Logging

/// One database session. Obtain it from `PostgresPool.withConnection` or
/// `withTransaction`; every query runs on the connection's own serial worker, so libpq's
/// blocking calls never occupy Swift's cooperative threads.
public final class PostgresConnection: Sendable {
    let raw: LibPQConnection
    let worker: BlockingWorker

    init(raw: LibPQConnection, worker: BlockingWorker) {
        self.raw = raw
        self.worker = worker
    }

    static func connect(conninfo: String, label: String) async throws(PostgresError) -> PostgresConnection {
        let worker = BlockingWorker(label: label)
        let raw = try await worker.run { () throws(PostgresError) -> LibPQConnection in
            try LibPQConnection(conninfo: conninfo)
        }
        return PostgresConnection(raw: raw, worker: worker)
    }

    /// Runs a parameterised statement (`$1`, `$2` …) and returns its rows. Values travel
    /// as parameters, never inside the SQL text.
    @discardableResult
    public func query(_ sql: String, _ parameters: [(any PostgresEncodable)?] = []) async throws(PostgresError)
        -> [PostgresRow]
    {
        try await run(sql, parameters).rows
    }

    /// Runs a parameterised statement and returns how many rows it touched.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [(any PostgresEncodable)?] = []) async throws(PostgresError)
        -> Int
    {
        try await run(sql, parameters).affectedRows
    }

    /// Runs SQL text without parameters through the simple protocol: several statements
    /// separated by semicolons are allowed. For migrations and session settings only.
    public func executeScript(_ sql: String) async throws(PostgresError) {
        let raw = self.raw
        _ = try await worker.run { () throws(PostgresError) -> PostgresResult in try raw.simpleQuery(sql) }
    }

    private func run(_ sql: String, _ parameters: [(any PostgresEncodable)?]) async throws(PostgresError)
        -> PostgresResult
    {
        let texts = parameters.map { $0?.postgresText }
        let raw = self.raw
        return try await worker.run { () throws(PostgresError) -> PostgresResult in try raw.query(sql, texts) }
    }

    /// `COPY … FROM STDIN`: `body` writes the data through the writer it is given (as it
    /// arrives: nothing is held in memory); returns the rows copied. When `body` throws,
    /// the COPY is aborted and the error rethrown.
    @discardableResult
    public func copyIn(_ sql: String, _ body: (PostgresCopyWriter) async throws -> Void) async throws -> Int {
        let raw = self.raw
        try await worker.run { () throws(PostgresError) in try raw.beginCopy(sql) }
        do {
            try await body(PostgresCopyWriter(raw: raw, worker: worker))
        } catch {
            _ = try? await worker.run { () throws(PostgresError) -> Int in try raw.endCopy(failure: "aborted by the client") }
            throw error
        }
        return try await worker.run { () throws(PostgresError) -> Int in try raw.endCopy() }
    }

    /// False once the server closed the connection or the network broke.
    var isUsable: Bool { !raw.isBroken }
}

/// Writes COPY data for `PostgresConnection.copyIn`.
public struct PostgresCopyWriter: Sendable {
    let raw: LibPQConnection
    let worker: BlockingWorker

    public func write(_ bytes: [UInt8]) async throws(PostgresError) {
        let raw = self.raw
        try await worker.run { () throws(PostgresError) in
            var failure: PostgresError?
            bytes.withUnsafeBytes { buffer in
                do throws(PostgresError) { try raw.putCopyData(buffer) } catch { failure = error }
            }
            if let failure { throw failure }
        }
    }
}
