import Foundation
import Persistence
import TestSupport
import Testing

@Suite("PostgreSQL kit against the real database")
struct PostgresKitTests {
    @Test("values round-trip through parameters and decoding")
    func valuesRoundTrip() async throws {
        let pool = TestStack.pool()
        defer { pool.close() }
        let id = UUID()
        let time = Date(timeIntervalSince1970: 1_795_000_000.123456)
        let amount = Decimal(string: "1234567.89")!
        struct Payload: Codable, Sendable, Equatable { var namn: String; var poäng: Int }
        let rows = try await pool.withConnection { connection in
            try await connection.query(
                """
                SELECT $1::text AS text, $2::bigint AS number, $3::numeric AS amount, $4::boolean AS flag,
                       $5::timestamptz AS time, $6::uuid AS id, $7::jsonb AS payload, $8::text[] AS names,
                       $9::bigint[] AS numbers, NULL::text AS missing, $10::bytea AS bytes
                """,
                ["Äldre samt vård- och omsorgsnämnden", 42, amount, true, time, id,
                 PostgresJSON(Payload(namn: "Göteborg", poäng: 5)), ["a", "b \"c\"", "d,e", "å\\ä"], [1, 2, 3] as [Int],
                 PostgresBytes([0, 1, 254, 255])])
        }
        let row = try #require(rows.first)
        #expect(try row.decode("text", as: String.self) == "Äldre samt vård- och omsorgsnämnden")
        #expect(try row.decode("number", as: Int.self) == 42)
        #expect(try row.decode("amount", as: Decimal.self) == amount)
        #expect(try row.decode("flag", as: Bool.self) == true)
        let decodedTime = try row.decode("time", as: Date.self)
        #expect(abs(decodedTime.timeIntervalSince(time)) < 0.000_001)
        #expect(try row.decode("id", as: UUID.self) == id)
        #expect(try row.decode("payload", as: PostgresJSON<Payload>.self).value == Payload(namn: "Göteborg", poäng: 5))
        #expect(try row.decode("names", as: [String].self) == ["a", "b \"c\"", "d,e", "å\\ä"])
        #expect(try row.decode("numbers", as: [Int].self) == [1, 2, 3])
        #expect(try row.decode("missing", as: String?.self) == nil)
        #expect(try row.decode("bytes", as: PostgresBytes.self) == PostgresBytes([0, 1, 254, 255]))
        #expect(throws: PostgresError.self) { try row.decode("missing", as: String.self) }
        #expect(throws: PostgresError.self) { try row.decode("nope", as: String.self) }
    }

    @Test("a value that looks like SQL stays a value")
    func parametersAreNotSQL() async throws {
        let pool = TestStack.pool()
        defer { pool.close() }
        let hostile = "x'); DROP TABLE pg_class; --"
        let rows = try await pool.withConnection { try await $0.query("SELECT $1::text AS v", [hostile]) }
        #expect(try rows[0].decode("v", as: String.self) == hostile)
    }

    @Test("a transaction that throws leaves nothing behind; one that returns commits")
    func transactionsRollBackOnError() async throws {
        let schema = TestStack.unique("tx")
        let pool = TestStack.pool(schema: schema)
        defer { pool.close() }
        try await pool.withConnection { try await $0.executeScript("CREATE SCHEMA \(schema); CREATE TABLE \(schema).t (v int)") }
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            try await pool.withTransaction { connection in
                try await connection.execute("INSERT INTO t VALUES ($1)", [1])
                throw Boom()
            }
        }
        _ = try await pool.withTransaction { try await $0.execute("INSERT INTO t VALUES ($1)", [2]) }
        let values = try await pool.withConnection { try await $0.query("SELECT v FROM t ORDER BY v") }
        #expect(try values.map { try $0.decode("v", as: Int.self) } == [2])
    }

    @Test("server errors carry SQLSTATE, and the session is usable afterwards")
    func serverErrorsAreTyped() async throws {
        let pool = TestStack.pool(maximumConnections: 1)
        defer { pool.close() }
        do {
            _ = try await pool.withConnection { try await $0.query("SELECT * FROM no_such_table") }
            Issue.record("expected an error")
        } catch let error as PostgresError {
            #expect(error.kind == .server)
            #expect(error.sqlState == "42P01")
        }
        let one = try await pool.withConnection { try await $0.query("SELECT 1 AS one") }
        #expect(try one[0].decode("one", as: Int.self) == 1)
    }

    @Test("50 concurrent tasks share a pool of 8 sessions and all succeed")
    func poolUnderConcurrency() async throws {
        let name = TestStack.unique("pool")
        let pool = PostgresPool(
            configuration: PostgresConfiguration(
                connectionString: TestStack.databaseURL, maximumConnections: 8, applicationName: name),
            logger: TestStack.logger)
        defer { pool.close() }
        let results = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for task in 0..<50 {
                group.addTask {
                    try await pool.withConnection { connection in
                        // pg_sleep keeps the session busy so tasks really wait for each other.
                        let rows = try await connection.query("SELECT $1::int * 2 AS doubled, pg_sleep(0.02)", [task])
                        return (task, try rows[0].decode("doubled", as: Int.self))
                    }
                }
            }
            var all: [(Int, Int)] = []
            for try await result in group { all.append(result) }
            return all
        }
        #expect(results.count == 50)
        #expect(results.allSatisfy { $0.1 == $0.0 * 2 })
        #expect(pool.openConnections <= 8)
        let sessions = try await pool.withConnection { connection in
            try await connection.query("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1", [name])
        }
        let open = try sessions[0].decode("n", as: Int.self)
        #expect((1...8).contains(open), "the server saw \(open) sessions of this pool")
    }

    @Test("a caller that cannot get a session in time gets a pool error")
    func acquireTimesOut() async throws {
        let pool = PostgresPool(
            configuration: PostgresConfiguration(
                connectionString: TestStack.databaseURL, maximumConnections: 1, acquireTimeout: .milliseconds(200)),
            logger: TestStack.logger)
        defer { pool.close() }
        let started = AsyncStream<Void>.makeStream()
        async let holder: Void = pool.withConnection { connection in
            started.continuation.yield()
            try await connection.query("SELECT pg_sleep(3)")
        }
        for await _ in started.stream { break }
        await #expect(throws: PostgresError.self) {
            try await pool.withConnection { try await $0.query("SELECT 1") }
        }
        try await holder
    }

    @Test("an unreachable server gives a connection error naming the problem")
    func unreachableServer() async throws {
        let pool = PostgresPool(
            configuration: PostgresConfiguration(connectionString: "postgresql://postgres@127.0.0.1:1/none?connect_timeout=2"),
            logger: TestStack.logger)
        defer { pool.close() }
        do {
            _ = try await pool.withConnection { try await $0.query("SELECT 1") }
            Issue.record("expected an error")
        } catch let error as PostgresError {
            #expect(error.kind == .connection)
            #expect(error.message.contains("127.0.0.1"))
        }
        #expect(await pool.isReachable() == false)
    }

    @Test("libpq keyword connection strings work too")
    func keywordConnectionString() async throws {
        let url = URL(string: TestStack.databaseURL)!
        let pool = PostgresPool(
            configuration: PostgresConfiguration(
                connectionString: "host=\(url.host!) port=\(url.port!) user=\(url.user!) dbname=\(url.lastPathComponent)"),
            logger: TestStack.logger)
        defer { pool.close() }
        let rows = try await pool.withConnection { try await $0.query("SELECT current_setting('TimeZone') AS tz") }
        #expect(try rows[0].decode("tz", as: String.self) == "UTC")
    }
}

@Suite("LISTEN/NOTIFY against the real database")
struct PostgresListenerTests {
    @Test("a listener wakes when another session's NOTIFY commits, and times out otherwise")
    func listenerWakes() async throws {
        let channel = TestStack.unique("chan")
        let pool = TestStack.pool()
        defer { pool.close() }
        let listener = try await PostgresListener.listen(configuration: pool.configuration, channel: channel)
        #expect(try await listener.wait(timeout: .milliseconds(100)) == false)
        _ = try await pool.withTransaction { connection in
            try await connection.query("SELECT pg_notify($1, 'x')", [channel])
        }
        let started = ContinuousClock.now
        #expect(try await listener.wait(timeout: .seconds(10)) == true)
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(try await listener.wait(timeout: .milliseconds(50)) == false, "the notification was consumed")
    }

    @Test("a notification sent inside a transaction that rolls back never arrives")
    func rolledBackNotifyIsSilent() async throws {
        let channel = TestStack.unique("chan")
        let pool = TestStack.pool()
        defer { pool.close() }
        let listener = try await PostgresListener.listen(configuration: pool.configuration, channel: channel)
        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await pool.withTransaction { connection in
                try await connection.query("SELECT pg_notify($1, 'x')", [channel])
                throw Abort()
            }
        }
        #expect(try await listener.wait(timeout: .milliseconds(300)) == false)
    }
}
