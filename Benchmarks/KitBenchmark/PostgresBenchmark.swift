import ArgumentParser
import Foundation
import Persistence

/// Single-row insert rate: N autocommit `INSERT … VALUES ($1, $2)` statements over one
/// session lent by `PostgresPool.withConnection`, each through `execute` (the kit prepares
/// the statement once per session). Equivalent to pgbench `-M prepared -c 1` with a
/// one-INSERT script, which also keeps one session for the run. `--checkout-per-insert`
/// borrows the session anew for every insert instead, as a request handler does.
struct PostgresInsertBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres-insert", abstract: "Insert N single rows, one autocommit statement each.")

    @Option(help: "libpq connection string (default: $STYRBORD_DATABASE_URL or the local stack).")
    var databaseURL: String =
        ProcessInfo.processInfo.environment["STYRBORD_DATABASE_URL"]
        ?? "postgresql://postgres@127.0.0.1:55432/styrbord"

    @Option(help: "Table to insert into; created as (id bigint, payload text) if missing.")
    var table: String = "bench_insert"

    @Option(help: "Rows to insert.")
    var inserts: Int = 10_000

    @Option(help: "Payload text length in characters.")
    var payloadSize: Int = 200

    @Flag(help: "Empty the table before the run.")
    var truncate = false

    @Option(help: "Name on the RESULT line.")
    var name: String = "swift-postgres-insert"

    @Option(help: "Log level for the kit's messages (standard error).")
    var logLevel: String = "warning"

    @Flag(help: "Borrow the session from the pool for every insert (a request handler's pattern).")
    var checkoutPerInsert = false

    func validate() throws {
        guard inserts > 0, payloadSize >= 0 else { throw ValidationError("inserts must be > 0") }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789_")
        guard !table.isEmpty, table.allSatisfy({ allowed.contains($0) }) else {
            throw ValidationError("table must be a plain lower-case identifier")
        }
    }

    func run() async throws {
        let pool = PostgresPool(
            configuration: PostgresConfiguration(connectionString: databaseURL, maximumConnections: 1),
            logger: makeLogger("bench.postgres", level: logLevel))
        defer { pool.close() }
        // Open the session and set the table up before the clock starts; pgbench's tps
        // likewise excludes connecting.
        try await pool.withConnection { connection in
            try await connection.executeScript("CREATE TABLE IF NOT EXISTS \(table) (id bigint, payload text)")
            if truncate { try await connection.executeScript("TRUNCATE \(table)") }
        }
        let payload = String(repeating: "x", count: payloadSize)
        let sql = "INSERT INTO \(table) (id, payload) VALUES ($1, $2)"

        let count = inserts
        let start = ContinuousClock.now
        if checkoutPerInsert {
            for id in 0..<count {
                let affected = try await pool.withConnection { connection in
                    try await connection.execute(sql, [Int64(id), payload])
                }
                if affected != 1 { throw BenchmarkFailure("insert \(id) touched \(affected) rows") }
            }
        } else {
            try await pool.withConnection { connection in
                for id in 0..<count {
                    let affected = try await connection.execute(sql, [Int64(id), payload])
                    if affected != 1 { throw BenchmarkFailure("insert \(id) touched \(affected) rows") }
                }
            }
        }
        let end = ContinuousClock.now
        BenchmarkResult(name: name, count: inserts, seconds: (end - start).seconds).print()
    }
}
