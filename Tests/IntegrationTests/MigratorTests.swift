import Foundation
import Persistence
import ServiceKit
import TestSupport
import Testing

@Suite("Migrations against the real database")
struct MigratorTests {
    static func writeMigrations(_ files: [String: String]) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(TestStack.unique("migrations"))
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, sql) in files {
            try sql.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return folder
    }

    static let sample = [
        "0001_needs.sql": "CREATE TABLE needs (id uuid PRIMARY KEY, title text NOT NULL);",
        "0002_counter.sql": "CREATE TABLE applied_count (n int); INSERT INTO applied_count VALUES (1);",
    ]

    @Test("running migrations twice applies each once")
    func twiceIsOnce() async throws {
        let schema = TestStack.unique("mig")
        let folder = try Self.writeMigrations(Self.sample)
        let pool = TestStack.pool()
        defer { pool.close() }
        let migrator = try Migrator(pool: pool, schema: schema, logger: TestStack.logger)
        let migrations = try KitMigrations.all() + Migration.load(from: folder, stream: "service")
        let first = try await migrator.migrate(migrations)
        let second = try await migrator.migrate(migrations)
        #expect(first.count == migrations.count)
        #expect(first.count == (try KitMigrations.all().count) + Self.sample.count)
        #expect(second.isEmpty)
        let rows = try await pool.withConnection { try await $0.query("SELECT count(*) AS n FROM \(schema).applied_count") }
        #expect(try rows[0].decode("n", as: Int.self) == 1)
    }

    @Test("two processes migrating one schema at once apply each migration exactly once")
    func concurrentProcesses() async throws {
        let schema = TestStack.unique("migp")
        let folder = try Self.writeMigrations(Self.sample)
        let arguments = ["migrate", "--database-url", TestStack.databaseURL, "--schema", schema, "--directory", folder.path]
        async let a = runProduct("KitProbe", arguments)
        async let b = runProduct("KitProbe", arguments)
        let (first, second) = try await (a, b)
        #expect(first.status == 0, "\(first.output)")
        #expect(second.status == 0, "\(second.output)")
        let applied = [first.output, second.output].compactMap { output in
            output.split(separator: "\n").first { $0.hasPrefix("applied ") }.flatMap { Int($0.dropFirst(8)) }
        }
        let expected = try KitMigrations.all().count + Self.sample.count
        #expect(applied.sorted() == [0, expected], "one process applies them all, the other finds them applied")
        let pool = TestStack.pool()
        defer { pool.close() }
        let rows = try await pool.withConnection {
            try await $0.query("SELECT (SELECT count(*) FROM \(schema).applied_count) AS n, (SELECT count(*) FROM \(schema).schema_migrations) AS m")
        }
        #expect(try rows[0].decode("n", as: Int.self) == 1)
        #expect(try rows[0].decode("m", as: Int.self) == expected)
    }

    @Test("an applied migration that was edited afterwards is refused")
    func editedMigrationRefused() async throws {
        let schema = TestStack.unique("migc")
        let pool = TestStack.pool()
        defer { pool.close() }
        let migrator = try Migrator(pool: pool, schema: schema, logger: TestStack.logger)
        try await migrator.migrate([Migration(stream: "service", version: 1, name: "t", sql: "CREATE TABLE t (a int);")])
        await #expect(throws: PostgresError.self) {
            try await migrator.migrate([Migration(stream: "service", version: 1, name: "t", sql: "CREATE TABLE t (b int);")])
        }
    }

    @Test("a failing migration leaves no trace and names itself")
    func failingMigrationRollsBack() async throws {
        let schema = TestStack.unique("migf")
        let pool = TestStack.pool()
        defer { pool.close() }
        let migrator = try Migrator(pool: pool, schema: schema, logger: TestStack.logger)
        do {
            try await migrator.migrate([
                Migration(stream: "service", version: 1, name: "broken", sql: "CREATE TABLE half (a int); SELECT 1/0;")
            ])
            Issue.record("expected an error")
        } catch let error as PostgresError {
            #expect(error.kind == .migration)
            #expect(error.message.contains("broken"))
        }
        let rows = try await pool.withConnection {
            try await $0.query("SELECT to_regclass($1) IS NULL AS absent, (SELECT count(*) FROM \(schema).schema_migrations) AS n", ["\(schema).half"])
        }
        #expect(try rows[0].decode("absent", as: Bool.self))
        #expect(try rows[0].decode("n", as: Int.self) == 0)
    }

    @Test("a schema name that is not a plain identifier is refused before any SQL runs")
    func badSchemaName() {
        #expect(throws: PostgresError.self) {
            _ = try Migrator(pool: TestStack.pool(), schema: "x; DROP", logger: TestStack.logger)
        }
    }
}
