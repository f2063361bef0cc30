import Contracts
import Foundation
import Hummingbird
import Logging
import Messaging
import Metrics
import Persistence
import Prometheus
import ServiceLifecycle
import UnixSignals

/// What makes one Styrbord service: its name, its migrations, the topics it publishes
/// and consumes, its event handler and its HTTP routes. Everything else — database pool,
/// outbox relay, inbox consumer, health and metrics, graceful shutdown — the host gives.
public struct ServiceDefinition: Sendable {
    public var name: String
    public var defaultPort: Int
    /// The service's own migrations (stream `service`); the kit's run first.
    public var migrations: @Sendable () throws -> [Migration]
    /// Topics this service publishes to (ensured at start).
    public var publishes: [String]
    /// Topics this service consumes with `handler` as consumer group `styrbord-<name>`.
    public var consumes: [String]
    public var handler: EventHandler?
    /// Paths answered without a bearer token besides health and metrics (an open feed).
    public var publicPaths: Set<String>
    /// Work before serving, after migrations and topics (loading reference data).
    public var prepare: (@Sendable (ServiceResources) async throws -> Void)?
    public var routes: @Sendable (Router<StyrbordRequestContext>, ServiceResources) -> Void
    /// Long-running work of the service's own (a delivery worker), built from the
    /// resources and the process environment; run after the consumer, before HTTP.
    public var backgroundServices: (@Sendable (ServiceResources, [String: String]) throws -> [any Service])?

    public init(
        name: String, defaultPort: Int, migrations: @escaping @Sendable () throws -> [Migration], publishes: [String],
        consumes: [String], handler: EventHandler?, publicPaths: Set<String> = [],
        prepare: (@Sendable (ServiceResources) async throws -> Void)? = nil,
        backgroundServices: (@Sendable (ServiceResources, [String: String]) throws -> [any Service])? = nil,
        routes: @escaping @Sendable (Router<StyrbordRequestContext>, ServiceResources) -> Void
    ) {
        self.backgroundServices = backgroundServices
        self.publicPaths = publicPaths
        self.prepare = prepare
        self.name = name
        self.defaultPort = defaultPort
        self.migrations = migrations
        self.publishes = publishes
        self.consumes = consumes
        self.handler = handler
        self.routes = routes
    }
}

/// What routes and handlers get to work with.
public struct ServiceResources: Sendable {
    public let pool: PostgresPool
    public let logger: Logger
    /// The CloudEvents `source` of this service's events.
    public let eventSource: String
    /// Verifies bearer tokens (and mints them in tests).
    public let authority: TokenAuthority
}

/// Builds and runs a service from its definition and configuration.
public enum ServiceHost {
    /// Applies the kit's and the service's migrations to the service's schema.
    public static func migrate(_ definition: ServiceDefinition, pool: PostgresPool, schema: String, logger: Logger)
        async throws
    {
        let migrator = try Migrator(pool: pool, schema: schema, logger: logger)
        try await migrator.migrate(try KitMigrations.all() + definition.migrations())
    }

    /// Waits until the database answers, retrying with backoff: services start in any
    /// order and wait for their infrastructure, never for each other.
    public static func waitForDatabase(_ pool: PostgresPool, logger: Logger, timeout: Duration = .seconds(300)) async throws {
        var delay = Duration.milliseconds(200)
        let deadline = ContinuousClock.now + timeout
        while !(await pool.isReachable()) {
            guard ContinuousClock.now < deadline else {
                throw PostgresError(kind: .connection, message: "the database did not answer within \(timeout); check STYRBORD_DATABASE_URL")
            }
            logger.warning("waiting for the database")
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
    }

    /// Creates (or verifies) the topics, retrying until the broker answers.
    public static func ensureTopics(
        _ topics: [String], configuration: ServiceConfiguration, logger: Logger, timeout: Duration = .seconds(300)
    ) async throws {
        let admin = try KafkaAdmin(configuration: configuration.kafka, logger: logger)
        let specifications = topics.map {
            TopicSpecification(
                name: $0, partitions: configuration.topicPartitions,
                replicationFactor: configuration.topicReplicationFactor)
        }
        var delay = Duration.milliseconds(200)
        let deadline = ContinuousClock.now + timeout
        while true {
            let failure: KafkaError
            do {
                try await admin.ensureTopics(specifications, timeout: .seconds(10))
                return
            } catch {
                failure = error
            }
            // A configuration error (too few partitions) will not heal by waiting.
            if failure.kind == .configuration || ContinuousClock.now >= deadline { throw failure }
            logger.warning("waiting for the broker", metadata: ["error": "\(failure)"])
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
    }

    /// Everything the service runs, in dependency order (shut down in reverse).
    public struct Assembly: Sendable {
        public let pool: PostgresPool
        public let producer: KafkaProducer
        public let application: Application<RouterResponder<StyrbordRequestContext>>
        public let services: [any Service]
    }

    /// Builds the running parts; call `run` on the result or use its services.
    public static func assemble(
        _ definition: ServiceDefinition, configuration: ServiceConfiguration, registry: PrometheusCollectorRegistry,
        logger: Logger, environment: [String: String] = [:]
    ) async throws -> Assembly {
        try KafkaLibrary.requireSupportedVersion()
        let pool = PostgresPool(
            configuration: PostgresConfiguration(
                connectionString: configuration.databaseURL, maximumConnections: configuration.poolSize,
                searchPath: configuration.schema, applicationName: "styrbord-\(definition.name)"),
            logger: logger)
        try await waitForDatabase(pool, logger: logger)
        if configuration.migrateOnStart {
            try await migrate(definition, pool: pool, schema: configuration.schema, logger: logger)
        }
        let deadLetterTopic = Topic.deadLetter(service: definition.name)
        try await ensureTopics(
            Array(Set(definition.publishes + definition.consumes + [deadLetterTopic])).sorted(),
            configuration: configuration, logger: logger)
        let producer = try KafkaProducer(configuration: configuration.kafka, logger: logger)
        var relayOptions = OutboxRelay.Options()
        relayOptions.idleInterval = .milliseconds(configuration.outboxIdleMilliseconds)
        let relay = OutboxRelay(
            pool: pool, producer: producer, schema: configuration.schema, options: relayOptions, logger: logger)

        let authority = try await TokenAuthority(configuration: configuration.auth)
        let resources = ServiceResources(
            pool: pool, logger: logger, eventSource: EventSource.of(service: definition.name), authority: authority)
        try await definition.prepare?(resources)
        let router = Router(context: StyrbordRequestContext.self)
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: ProblemMiddleware())
        router.add(
            middleware: AuthenticationMiddleware(
                authority: authority, publicPaths: HealthChecks.paths.union(definition.publicPaths)))
        HealthChecks(pool: pool, producer: producer, registry: registry).addRoutes(to: router)
        definition.routes(router, resources)
        let application = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.httpHost, port: configuration.httpPort)),
            logger: logger)

        var services: [any Service] = [
            ClosingService { pool.close() },
            ClosingService { await producer.shutdown() },
            relay,
        ]
        if let handler = definition.handler, !definition.consumes.isEmpty {
            let group = configuration.consumerGroup
            let consumer = try KafkaConsumer(
                configuration: configuration.kafka, groupID: group, topics: definition.consumes, logger: logger)
            services.append(
                InboxConsumer(
                    name: group, consumer: consumer, producer: producer, pool: pool, deadLetterTopic: deadLetterTopic,
                    logger: logger, handler: handler))
        }
        services += try definition.backgroundServices?(resources, environment) ?? []
        services.append(application)
        return Assembly(pool: pool, producer: producer, application: application, services: services)
    }

    /// The whole life of a service process: `serve` (default) or `migrate`.
    public static func main(_ definition: ServiceDefinition, arguments: [String], environment: [String: String]) async {
        if arguments.dropFirst().first == "config" {
            // The reference needs no valid configuration: it lists what to set.
            for declaration in ServiceConfiguration.declarations(service: definition.name, defaultPort: definition.defaultPort) {
                let defaultValue = declaration.defaultValue.map { $0.isEmpty ? "(empty)" : $0 } ?? "(required)"
                let secret = declaration.isSecret ? " (secret: set it from a Secret, never in a ConfigMap)" : ""
                print("\(declaration.name)\t\(defaultValue)\t\(declaration.meaning)\(secret)")
            }
            return
        }
        let configuration: ServiceConfiguration
        do {
            configuration = try ServiceConfiguration.load(
                service: definition.name, defaultPort: definition.defaultPort, environment: environment)
        } catch {
            FileHandle.standardError.write(Data("styrbord-\(definition.name): \(error)\n".utf8))
            exit(2)
        }
        JSONLogHandler.bootstrap(service: definition.name, level: configuration.logLevel)
        let logger = Logger(label: "styrbord.\(definition.name)")
        let command = arguments.dropFirst().first ?? "serve"
        do {
            switch command {
            case "serve":
                let registry = PrometheusCollectorRegistry()
                MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
                let assembly = try await assemble(
                    definition, configuration: configuration, registry: registry, logger: logger, environment: environment)
                let group = ServiceGroup(
                    configuration: .init(
                        services: assembly.services.map { .init(service: $0) },
                        gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
                logger.info(
                    "service started",
                    metadata: ["http": "\(configuration.httpHost):\(configuration.httpPort)", "schema": "\(configuration.schema)"])
                try await group.run()
            case "migrate":
                let pool = PostgresPool(
                    configuration: PostgresConfiguration(connectionString: configuration.databaseURL, maximumConnections: 2),
                    logger: logger)
                try await waitForDatabase(pool, logger: logger)
                try await migrate(definition, pool: pool, schema: configuration.schema, logger: logger)
                pool.close()
            case "token":
                let authority = try await TokenAuthority(configuration: configuration.auth)
                let request = try TokenRequest(arguments: Array(arguments.dropFirst(2)))
                print(try await authority.mint(request.identity, lifetime: request.lifetime))
            default:
                FileHandle.standardError.write(Data("usage: styrbord-\(definition.name) [serve|migrate|config|token]\n\(TokenRequest.usage)\n".utf8))
                exit(2)
            }
        } catch {
            logger.critical("service stopped on an error", metadata: ["error": "\(error)"])
            exit(1)
        }
    }
}
