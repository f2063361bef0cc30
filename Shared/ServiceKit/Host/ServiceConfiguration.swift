import Foundation
import Logging
import Messaging

/// Everything a Styrbord service reads from its environment. The same variable names
/// serve every service: each runs in its own process or container with its own values.
/// `docs/configuration.md` lists them with meanings and defaults.
public struct ServiceConfiguration: Sendable {
    public var service: String
    public var httpHost: String
    public var httpPort: Int
    public var databaseURL: String
    public var schema: String
    public var poolSize: Int
    public var migrateOnStart: Bool
    public var kafka: KafkaConfiguration
    public var topicPartitions: Int
    public var topicReplicationFactor: Int
    public var outboxIdleMilliseconds: Int
    /// The Kafka consumer group; a new name reads every topic from its start (a replay).
    public var consumerGroup: String
    public var logLevel: Logger.Level
    public var auth: AuthConfiguration

    /// Deployment profile: `local` tunes Kafka for the Tansu broker (short group timeouts,
    /// short fetch wait); `production` keeps librdkafka's defaults.
    public enum KafkaProfile: String, Sendable, CaseIterable {
        case local, production
    }

    /// Reads and validates; throws naming the first bad variable.
    public static func load(service: String, defaultPort: Int, environment: [String: String])
        throws(ConfigurationError) -> ServiceConfiguration
    {
        var reader = EnvironmentReader(environment)
        let configuration = read(service: service, defaultPort: defaultPort, from: &reader)
        try reader.validate()
        return configuration
    }

    /// Every variable with its meaning and default, for the generated reference.
    public static func declarations(service: String, defaultPort: Int) -> [EnvironmentReader.Declaration] {
        var reader = EnvironmentReader([:])
        _ = read(service: service, defaultPort: defaultPort, from: &reader)
        return reader.declared
    }

    private static func read(service: String, defaultPort: Int, from env: inout EnvironmentReader) -> ServiceConfiguration {
        let host = env.string("STYRBORD_HTTP_HOST", default: "0.0.0.0", "address the HTTP API listens on")
        let port = env.int("STYRBORD_HTTP_PORT", default: defaultPort, in: 1...65535, "port the HTTP API listens on")
        let databaseURL = env.string(
            "STYRBORD_DATABASE_URL", default: "",
            "libpq connection string or URI of the service's database role; empty: PG* variables, .pgpass and service files",
            secret: true)
        let schema = env.string("STYRBORD_DATABASE_SCHEMA", default: service, "the PostgreSQL schema the service owns")
        let poolSize = env.int("STYRBORD_DATABASE_POOL_SIZE", default: 10, in: 1...500, "most database sessions open at once")
        let migrate = env.bool("STYRBORD_MIGRATE_ON_START", default: true, "apply pending migrations at start (false: run the `migrate` command as a separate step)")
        let brokers = env.string("STYRBORD_KAFKA_BROKERS", default: "127.0.0.1:59092", "Kafka bootstrap servers, comma-separated")
        let profile = env.choice("STYRBORD_KAFKA_PROFILE", default: KafkaProfile.production, "Kafka client tuning: local (Tansu) or production")
        let partitions = env.int("STYRBORD_TOPIC_PARTITIONS", default: 6, in: 1...1000, "partitions of topics the service creates")
        let replication = env.int("STYRBORD_TOPIC_REPLICATION_FACTOR", default: 1, in: 1...10, "replication factor of topics the service creates (3 in production)")
        let idle = env.int("STYRBORD_OUTBOX_IDLE_MS", default: 500, in: 1...60_000, "longest outbox relay pause when there is nothing to publish (it wakes at once on the outbox trigger's NOTIFY)")
        let group = env.string(
            "STYRBORD_CONSUMER_GROUP", default: "styrbord-\(service)",
            "Kafka consumer group of the service's instances; a group that has committed nothing starts at each topic's earliest record (docs/operations.md: replaying a topic)")
        let level = env.choice("STYRBORD_LOG_LEVEL", default: Logger.Level.info, "log level: trace, debug, info, notice, warning, error, critical")
        let auth = readAuth(from: &env)
        if service == "analysis" {
            // Read by the analysis service's overlap detection (OverlapDetection.threshold).
            _ = env.string("STYRBORD_OVERLAP_THRESHOLD", default: "0.2", "score (0–1, the reuse search's) from which two organisations' needs count as overlapping and both are told")
        }
        if service == "notifications" {
            // Read by the notifications service's e-mail channel (SMTPConfiguration); declared
            // here so the reference and the deploy checks list them.
            _ = env.string("STYRBORD_SMTP_HOST", default: "", "SMTP server for e-mail notifications; empty: e-mail is queued, not sent")
            _ = env.int("STYRBORD_SMTP_PORT", default: 25, in: 1...65535, "SMTP port (465 when STYRBORD_SMTP_SECURITY is tls and no port is set)")
            _ = env.string("STYRBORD_SMTP_SECURITY", default: "none", "none, starttls (TLS after connecting; refused if not offered) or tls (TLS from the start)")
            _ = env.string("STYRBORD_SMTP_USERNAME", default: "", "SMTP AUTH PLAIN user; empty: no authentication")
            _ = env.string("STYRBORD_SMTP_PASSWORD", default: "", "SMTP AUTH PLAIN password", secret: true)
            _ = env.string("STYRBORD_SMTP_CA_FILE", default: "", "PEM file of certificates trusted besides the system's for SMTP TLS")
            _ = env.string("STYRBORD_SMTP_FROM", default: "styrbord@localhost", "the From address of e-mail notifications")
            _ = env.int("STYRBORD_DIGEST_HOUR", default: 7, in: 0...23, "hour (Swedish time) at which daily digests close and are sent")
            _ = env.int("STYRBORD_DIGEST_INTERVAL_SECONDS", default: 0, in: 0...86_400, "0: digests daily at STYRBORD_DIGEST_HOUR; otherwise every so many seconds (development and tests)")
            // Read by the webhook channel (WebhookConfiguration).
            _ = env.int("STYRBORD_WEBHOOK_TIMEOUT_MS", default: 10_000, in: 100...120_000, "longest a webhook delivery may take, connecting included")
            _ = env.int("STYRBORD_WEBHOOK_BACKOFF_BASE_MS", default: 1_000, in: 1...600_000, "wait before a failed webhook delivery's first retry; doubles with each further one (with jitter)")
            _ = env.int("STYRBORD_WEBHOOK_BACKOFF_MAX_SECONDS", default: 3_600, in: 1...86_400, "longest wait between two attempts of a webhook delivery")
            _ = env.int("STYRBORD_WEBHOOK_MAX_ATTEMPTS", default: 15, in: 1...100, "attempts after which a webhook delivery is given up (failed; an admin can redeliver it)")
            _ = env.int("STYRBORD_WEBHOOK_PAUSE_AFTER_FAILURES", default: 10, in: 1...1_000, "failed deliveries in a row after which a webhook subscription is paused until resumed")
            _ = env.int("STYRBORD_WEBHOOK_CONCURRENCY", default: 16, in: 1...256, "webhook deliveries in flight at once per instance")
        }
        if service == "benefits" {
            // Read by the benefits service's follow-up job (FollowUpJob.Options); declared
            // here so the reference and the deploy checks list them.
            _ = env.int("STYRBORD_FOLLOWUP_JOB_INTERVAL_SECONDS", default: 60, in: 1...86_400, "seconds between rounds of the follow-up job (due reminders and overdue escalations)")
            _ = env.int("STYRBORD_FOLLOWUP_REMINDER_DAYS", default: 14, in: 0...365, "days before a follow-up's date that its reminder goes out; a measurement this close to the date counts as the follow-up")
        }
        var kafka: KafkaConfiguration = switch profile {
        case .local: .localProfile(bootstrapServers: brokers, clientID: "styrbord-\(service)")
        case .production: KafkaConfiguration(bootstrapServers: brokers, clientID: "styrbord-\(service)")
        }
        kafka.properties = KafkaConfiguration.properties(
            fromEnvironment: env.withPrefix("STYRBORD_RDKAFKA_"), prefix: "STYRBORD_RDKAFKA_")
        return ServiceConfiguration(
            service: service, httpHost: host, httpPort: port, databaseURL: databaseURL, schema: schema, poolSize: poolSize,
            migrateOnStart: migrate, kafka: kafka, topicPartitions: partitions, topicReplicationFactor: replication,
            outboxIdleMilliseconds: idle, consumerGroup: group, logLevel: level, auth: auth)
    }

    private static func readAuth(from env: inout EnvironmentReader) -> AuthConfiguration {
        let issuer = env.string("STYRBORD_AUTH_ISSUER", default: "styrbord", "the `iss` every access token must carry")
        let audience = env.string("STYRBORD_AUTH_AUDIENCE", default: "styrbord", "the `aud` every access token must include")
        let secretsText = env.string(
            "STYRBORD_AUTH_HMAC_KEYS", default: "",
            "HS256 secrets that sign access tokens, `kid:secret,kid:secret` (≥ 32 characters each; the first signs tokens from the `token` command); required unless STYRBORD_AUTH_JWKS_FILE is set",
            secret: true)
        let jwksPath = env.string(
            "STYRBORD_AUTH_JWKS_FILE", default: "",
            "path of a JWKS file with the identity provider's public keys (RS256, ES256, EdDSA)")
        var secrets: [AuthConfiguration.SharedSecret] = []
        switch AuthConfiguration.parseSharedSecrets(secretsText) {
        case .success(let parsed): secrets = parsed
        case .failure(let error): env.fail(error.variable, error.problem)
        }
        var jwks: String?
        if !jwksPath.isEmpty {
            if let data = FileManager.default.contents(atPath: jwksPath) {
                jwks = String(decoding: data, as: UTF8.self)
            } else {
                env.fail("STYRBORD_AUTH_JWKS_FILE", "names \(jwksPath), which cannot be read")
            }
        }
        if secrets.isEmpty && jwks == nil {
            env.fail(
                "STYRBORD_AUTH_HMAC_KEYS",
                "is required unless STYRBORD_AUTH_JWKS_FILE is set: the service must be able to verify bearer tokens")
        }
        return AuthConfiguration(issuer: issuer, audience: audience, sharedSecrets: secrets, jwks: jwks)
    }
}
