import Foundation

/// How to reach the brokers and tune the clients. Every librdkafka property can be set
/// through `properties` (operators need `security.protocol`, `sasl.*`, `ssl.*` in
/// production); the typed fields are the ones Styrbord itself relies on.
public struct KafkaConfiguration: Sendable {
    /// `bootstrap.servers`, e.g. `127.0.0.1:59092` or `kafka-0:9092,kafka-1:9092`.
    public var bootstrapServers: String
    /// `client.id`, shown in broker logs and metrics.
    public var clientID: String
    /// Consumer group `session.timeout.ms`.
    public var sessionTimeoutMilliseconds: Int
    /// Consumer `max.poll.interval.ms`.
    public var maxPollIntervalMilliseconds: Int
    /// Consumer `heartbeat.interval.ms`.
    public var heartbeatIntervalMilliseconds: Int
    /// Consumer `fetch.wait.max.ms`: how long the broker may hold a fetch with no data.
    public var fetchWaitMaxMilliseconds: Int
    /// Producer `linger.ms`: how long to wait for more records to batch.
    public var lingerMilliseconds: Int
    /// Any further librdkafka properties; they are applied last and win.
    public var properties: [String: String]

    public init(
        bootstrapServers: String,
        clientID: String = "styrbord",
        sessionTimeoutMilliseconds: Int = 45_000,
        maxPollIntervalMilliseconds: Int = 300_000,
        heartbeatIntervalMilliseconds: Int = 3_000,
        fetchWaitMaxMilliseconds: Int = 500,
        lingerMilliseconds: Int = 5,
        properties: [String: String] = [:]
    ) {
        self.bootstrapServers = bootstrapServers
        self.clientID = clientID
        self.sessionTimeoutMilliseconds = sessionTimeoutMilliseconds
        self.maxPollIntervalMilliseconds = maxPollIntervalMilliseconds
        self.heartbeatIntervalMilliseconds = heartbeatIntervalMilliseconds
        self.fetchWaitMaxMilliseconds = fetchWaitMaxMilliseconds
        self.lingerMilliseconds = lingerMilliseconds
        self.properties = properties
    }

    /// The local development profile for the Tansu broker: short group timeouts (with
    /// librdkafka's defaults a first JoinGroup can hang for minutes against Tansu) and a
    /// short fetch wait (Tansu answers a waiting fetch only when it expires).
    public static func localProfile(bootstrapServers: String, clientID: String = "styrbord") -> Self {
        Self(
            bootstrapServers: bootstrapServers, clientID: clientID,
            sessionTimeoutMilliseconds: 6_000, maxPollIntervalMilliseconds: 7_000,
            heartbeatIntervalMilliseconds: 500, fetchWaitMaxMilliseconds: 10, lingerMilliseconds: 0)
    }

    /// Turns environment entries `<prefix>SECURITY_PROTOCOL=SASL_SSL` into librdkafka
    /// properties (`security.protocol`): lower-cased, `_` becomes `.`. librdkafka's
    /// property names use dots only, so the mapping is unambiguous.
    public static func properties(fromEnvironment environment: [String: String], prefix: String)
        -> [String: String]
    {
        var result: [String: String] = [:]
        for (name, value) in environment where name.hasPrefix(prefix) && name.count > prefix.count {
            let property = name.dropFirst(prefix.count).lowercased().replacingOccurrences(of: "_", with: ".")
            result[property] = value
        }
        return result
    }

    func producerProperties() -> [String: String] {
        var all: [String: String] = [
            "bootstrap.servers": bootstrapServers,
            "client.id": clientID,
            "enable.idempotence": "true",
            "acks": "all",
            "linger.ms": String(lingerMilliseconds),
        ]
        all.merge(properties) { _, override in override }
        return all
    }

    func consumerProperties(groupID: String) -> [String: String] {
        var all: [String: String] = [
            "bootstrap.servers": bootstrapServers,
            "client.id": clientID,
            "group.id": groupID,
            // Offsets are stored only after the caller processed a message, and committed
            // explicitly: see KafkaConsumer.
            "enable.auto.commit": "false",
            "enable.auto.offset.store": "false",
            "auto.offset.reset": "earliest",
            "session.timeout.ms": String(sessionTimeoutMilliseconds),
            "max.poll.interval.ms": String(maxPollIntervalMilliseconds),
            "heartbeat.interval.ms": String(heartbeatIntervalMilliseconds),
            "fetch.wait.max.ms": String(fetchWaitMaxMilliseconds),
        ]
        all.merge(properties) { _, override in override }
        // Producer-only settings an operator may have set for both would make the
        // consumer refuse to start with a confusing message.
        for producerOnly in ["enable.idempotence", "acks", "linger.ms"] { all[producerOnly] = nil }
        return all
    }

    func adminProperties() -> [String: String] {
        var all: [String: String] = ["bootstrap.servers": bootstrapServers, "client.id": clientID + "-admin"]
        all.merge(properties) { _, override in override }
        for clientSpecific in ["enable.idempotence", "acks", "linger.ms", "group.id"] { all[clientSpecific] = nil }
        return all
    }
}
