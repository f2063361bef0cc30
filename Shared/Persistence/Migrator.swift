import Foundation
import Logging

/// One ordered SQL migration. Migrations come in streams: the service kit's own tables
/// (outbox, inbox) are stream `kit`, a service's are stream `service`; each stream is
/// numbered on its own so neither has to know the other's numbers.
public struct Migration: Sendable, Equatable {
    public let stream: String
    public let version: Int
    public let name: String
    public let sql: String

    public init(stream: String, version: Int, name: String, sql: String) {
        self.stream = stream
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// Loads `NNNN_name.sql` files from a folder, ordered by number. Other files are
    /// ignored; two files with one number are an error.
    public static func load(from directory: URL, stream: String) throws(PostgresError) -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw PostgresError(kind: .migration, message: "cannot list migrations in \(directory.path): \(error)")
        }
        var migrations: [Migration] = []
        for file in names.sorted() where file.hasSuffix(".sql") {
            let stem = file.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]), version > 0 else {
                throw PostgresError(kind: .migration, message: "migration file \(file) must be named NNNN_name.sql")
            }
            let sql: String
            do {
                sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            } catch {
                throw PostgresError(kind: .migration, message: "cannot read \(file): \(error)")
            }
            if migrations.contains(where: { $0.version == version }) {
                throw PostgresError(kind: .migration, message: "two migrations numbered \(version) in \(directory.path)")
            }
            migrations.append(Migration(stream: stream, version: version, name: String(stem[stem.index(after: underscore)...]), sql: sql))
        }
        return migrations.sorted { $0.version < $1.version }
    }
}

/// Applies migrations to one schema.
///
/// Runs under a session advisory lock keyed by the schema, so several instances starting
/// together apply each migration once: the others wait, then find it applied. Each
/// migration runs in its own transaction together with its row in
/// `<schema>.schema_migrations`, which records an MD5 checksum: changing an applied file
/// is refused rather than silently ignored.
public struct Migrator: Sendable {
    public let schema: String
    private let pool: PostgresPool
    private let logger: Logger

    public init(pool: PostgresPool, schema: String, logger: Logger) throws(PostgresError) {
        guard SQLIdentifier.isValid(schema) else {
            throw PostgresError(kind: .migration, message: "schema name \(schema) must match [a-z_][a-z0-9_]{0,62}")
        }
        self.pool = pool
        self.schema = schema
        self.logger = logger
    }

    /// Applies what is missing, in the order given; returns the migrations it applied.
    @discardableResult
    public func migrate(_ migrations: [Migration]) async throws -> [Migration] {
        let schema = self.schema
        let quoted = SQLIdentifier.quote(schema)
        return try await pool.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(hashtext($1)::bigint)", ["styrbord.migrate." + schema])
            do {
                let applied = try await apply(migrations, on: connection, quoted: quoted)
                try await connection.query("SELECT pg_advisory_unlock(hashtext($1)::bigint)", ["styrbord.migrate." + schema])
                return applied
            } catch {
                // The session may be mid-transaction; roll back before unlocking.
                try? await connection.executeScript("ROLLBACK")
                _ = try? await connection.query(
                    "SELECT pg_advisory_unlock(hashtext($1)::bigint)", ["styrbord.migrate." + schema])
                throw error
            }
        }
    }

    private func apply(_ migrations: [Migration], on connection: PostgresConnection, quoted: String) async throws
        -> [Migration]
    {
        // CREATE SCHEMA needs the database-level CREATE right even when the schema exists,
        // and a service role usually lacks it: only create what is missing.
        let exists = try await connection.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema])
        if exists.isEmpty {
            try await connection.executeScript("CREATE SCHEMA \(quoted)")
        }
        try await connection.executeScript(
            """
            CREATE TABLE IF NOT EXISTS \(quoted).schema_migrations (
                stream text NOT NULL,
                version integer NOT NULL,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (stream, version)
            )
            """)
        let rows = try await connection.query("SELECT stream, version, checksum FROM \(quoted).schema_migrations")
        var known: [String: String] = [:]
        for row in rows {
            known["\(try row.decode("stream", as: String.self))/\(try row.decode("version", as: Int.self))"] =
                try row.decode("checksum", as: String.self)
        }
        var applied: [Migration] = []
        for migration in migrations {
            let checksum = try await connection.query("SELECT md5($1) AS sum", [migration.sql])[0]
                .decode("sum", as: String.self)
            if let recorded = known["\(migration.stream)/\(migration.version)"] {
                guard recorded == checksum else {
                    throw PostgresError(
                        kind: .migration,
                        message: "migration \(migration.stream)/\(migration.version) \(migration.name) was changed "
                            + "after it was applied to \(schema); add a new migration instead of editing an old one")
                }
                continue
            }
            try await connection.executeScript("BEGIN")
            try await connection.executeScript("SET LOCAL search_path TO \(quoted)")
            do {
                try await connection.executeScript(migration.sql)
            } catch {
                throw PostgresError(
                    kind: .migration,
                    message: "migration \(migration.stream)/\(migration.version) \(migration.name) failed: \(error.message)",
                    sqlState: error.sqlState, detail: error.detail, hint: error.hint)
            }
            try await connection.execute(
                "INSERT INTO \(quoted).schema_migrations (stream, version, name, checksum) VALUES ($1, $2, $3, $4)",
                [migration.stream, migration.version, migration.name, checksum])
            try await connection.executeScript("COMMIT")
            logger.info(
                "migration applied",
                metadata: ["schema": "\(schema)", "stream": "\(migration.stream)", "version": "\(migration.version)",
                           "name": "\(migration.name)"])
            applied.append(migration)
        }
        return applied
    }
}

/// SQL identifiers (schema names) cannot be parameters; they are validated and quoted.
public enum SQLIdentifier {
    public static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 63, first == UInt8(ascii: "_") || (first >= 0x61 && first <= 0x7A)
        else { return false }
        return bytes.allSatisfy { $0 == UInt8(ascii: "_") || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    /// Double-quotes a validated identifier.
    public static func quote(_ name: String) -> String { "\"\(name)\"" }
}
