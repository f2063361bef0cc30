import Foundation
import Logging
import Messaging
import Persistence
import TestSupport

/// Where the real PostgreSQL and broker of the local stack answer (scripts/stack.sh), and
/// helpers to give each test its own schema, topics and group.
enum TestStack {
    static let environment = ProcessInfo.processInfo.environment

    static var databaseURL: String {
        environment["STYRBORD_DATABASE_URL"] ?? "postgresql://postgres@127.0.0.1:55432/styrbord"
    }

    static var brokers: String { environment["STYRBORD_KAFKA_BROKERS"] ?? "127.0.0.1:59092" }

    static let logger: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = environment["STYRBORD_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .error
        return logger
    }()

    /// A name no other test (or earlier run against the same stack) uses.
    static func unique(_ prefix: String) -> String {
        prefix + "_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
    }

    static func pool(schema: String? = nil, maximumConnections: Int = 10) -> PostgresPool {
        PostgresPool(
            configuration: PostgresConfiguration(
                connectionString: databaseURL, maximumConnections: maximumConnections, searchPath: schema,
                applicationName: "styrbord-tests"),
            logger: logger)
    }

    static func kafka(_ clientID: String = "styrbord-tests", brokers: String = brokers) -> KafkaConfiguration {
        .localProfile(bootstrapServers: brokers, clientID: clientID)
    }

    /// Creates topics with `partitions` partitions on the test broker.
    static func createTopics(_ names: [String], partitions: Int = 1, brokers: String = brokers) async throws {
        let admin = try KafkaAdmin(configuration: kafka("styrbord-tests-admin", brokers: brokers), logger: logger)
        try await admin.ensureTopics(names.map { TopicSpecification(name: $0, partitions: partitions, replicationFactor: 1) })
    }

}

/// Runs a built product of this package and returns its exit status and output.
func runProduct(_ name: String, _ arguments: [String]) async throws
    -> (status: Int32, reason: Process.TerminationReason, output: String)
{
    try await runProcessDetached(productsDirectory.appendingPathComponent(name), arguments)
}
