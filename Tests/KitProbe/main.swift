import ArgumentParser
import Foundation
import Logging
import Messaging
import Persistence
import ServiceKit

/// A small process the integration tests start, and sometimes kill, to prove the kits
/// behave across real process boundaries.
@main
struct KitProbe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Test helper for the Styrbord kits.", subcommands: [Migrate.self, Relay.self])
}

struct Connection: ParsableArguments {
    @Option(help: "libpq connection string or URI") var databaseURL: String
    @Option(help: "Schema to work in") var schema: String
}

/// Runs the kit's migrations and the SQL files of `--directory` (stream `service`).
struct Migrate: AsyncParsableCommand {
    @OptionGroup var connection: Connection
    @Option(help: "Folder of NNNN_name.sql files") var directory: String

    func run() async throws {
        let logger = Logger(label: "kit-probe")
        let pool = PostgresPool(
            configuration: PostgresConfiguration(connectionString: connection.databaseURL, maximumConnections: 2),
            logger: logger)
        defer { pool.close() }
        let migrations = try KitMigrations.all()
            + Migration.load(from: URL(fileURLWithPath: directory), stream: "service")
        let applied = try await Migrator(pool: pool, schema: connection.schema, logger: logger).migrate(migrations)
        print("applied \(applied.count)")
    }
}

/// Runs outbox relay rounds until the outbox is empty. With `--kill-after-publish` the
/// process kills itself with SIGKILL right after the broker acknowledged the first batch
/// and before it is marked sent: the crash the outbox must survive.
struct Relay: AsyncParsableCommand {
    @OptionGroup var connection: Connection
    @Option(help: "bootstrap.servers") var brokers: String
    @Flag var killAfterPublish = false

    func run() async throws {
        let logger = Logger(label: "kit-probe")
        let pool = PostgresPool(
            configuration: PostgresConfiguration(
                connectionString: connection.databaseURL, maximumConnections: 2, searchPath: connection.schema),
            logger: logger)
        let producer = try KafkaProducer(
            configuration: .localProfile(bootstrapServers: brokers, clientID: "kit-probe"), logger: logger)
        let kill = killAfterPublish
        let relay = OutboxRelay(pool: pool, producer: producer, schema: connection.schema, logger: logger) { positions in
            if kill && !positions.isEmpty {
                FileHandle.standardOutput.write(Data("published \(positions.count), killing before mark\n".utf8))
                Foundation.kill(getpid(), SIGKILL)
            }
        }
        var total = 0
        while true {
            let outcome = try await relay.relayOnce()
            total += outcome.published
            if outcome.published == 0 && !outcome.skipped { break }
        }
        await producer.shutdown()
        pool.close()
        print("relayed \(total)")
    }
}
