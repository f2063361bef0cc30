import Foundation
import Logging
import Messaging
import Metrics
import Persistence
import ServiceLifecycle

/// Publishes outbox rows to Kafka in `position` order and marks them sent.
///
/// Each round runs in one transaction that first takes a transaction-level advisory lock
/// for the schema, so with several instances of a service exactly one relays at a time
/// and per-key order is kept. Rows are marked only after the broker acknowledged them
/// (idempotent producer, `acks=all`). A relay killed between publish and mark publishes
/// those rows again on restart: consumers' inboxes make that harmless. While the broker
/// is unreachable the relay backs off exponentially (up to `maximumBackoff`) and keeps
/// trying; nothing is dropped.
public struct OutboxRelay: Service {
    public struct Options: Sendable {
        /// Rows taken per round.
        public var batchSize: Int = 500
        /// Longest pause when the outbox is empty. The relay listens for the outbox
        /// trigger's NOTIFY and wakes at once when events are written; this bounds the wait
        /// when notifications are lost (a broken listening session is reopened).
        public var idleInterval: Duration = .milliseconds(500)
        public var initialBackoff: Duration = .milliseconds(100)
        public var maximumBackoff: Duration = .seconds(5)
        /// Published rows older than this are deleted.
        public var retention: Duration = .seconds(7 * 24 * 3600)

        public init() {}
    }

    private let pool: PostgresPool
    private let producer: KafkaProducer
    private let schema: String
    private let options: Options
    private let logger: Logger
    /// Runs after the broker acknowledged a batch and before it is marked; tests use it
    /// to kill the process at exactly that point.
    private let afterPublish: @Sendable ([Int64]) async -> Void
    private let published: Counter
    private let failures: Counter

    public init(
        pool: PostgresPool, producer: KafkaProducer, schema: String, options: Options = Options(), logger: Logger,
        afterPublish: @escaping @Sendable ([Int64]) async -> Void = { _ in }
    ) {
        self.pool = pool
        self.producer = producer
        self.schema = schema
        self.options = options
        self.logger = logger
        self.afterPublish = afterPublish
        self.published = Counter(label: "styrbord_outbox_published_total", dimensions: [("schema", schema)])
        self.failures = Counter(label: "styrbord_outbox_publish_failures_total", dimensions: [("schema", schema)])
        self.backlog = Gauge(label: "styrbord_outbox_backlog", dimensions: [("schema", schema)])
        self.oldestAge = Gauge(label: "styrbord_outbox_oldest_unpublished_age_seconds", dimensions: [("schema", schema)])
    }

    private let backlog: Gauge
    private let oldestAge: Gauge

    /// Events not yet published and how long the oldest has waited (for the alerts).
    private func recordBacklog() async throws {
        let rows = try await pool.withConnection { connection in
            try await connection.query(
                """
                SELECT count(*) AS waiting, COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS oldest
                FROM outbox WHERE published_at IS NULL
                """)
        }
        guard let row = rows.first else { return }
        backlog.record(try row.decode("waiting", as: Int.self))
        oldestAge.record(try row.decode("oldest", as: Double.self))
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown { try await loop() }
    }

    private func loop() async throws {
        var backoff = options.initialBackoff
        var lastCleanup = ContinuousClock.now
        var lastBacklog = ContinuousClock.now - .seconds(60)
        var listener: PostgresListener? = nil
        while !Task.isCancelled {
            do {
                if listener?.isUsable != true {
                    listener = try? await PostgresListener.listen(
                        configuration: pool.configuration, channel: "styrbord_outbox_" + schema)
                }
                let outcome = try await relayOnce()
                backoff = options.initialBackoff
                if outcome.published == 0 {
                    if let listener {
                        _ = try await listener.wait(timeout: options.idleInterval)
                    } else {
                        try await Task.sleep(for: options.idleInterval)
                    }
                }
                if ContinuousClock.now - lastBacklog > .seconds(5) {
                    try await recordBacklog()
                    lastBacklog = .now
                }
                if ContinuousClock.now - lastCleanup > .seconds(60) {
                    try await cleanUp()
                    lastCleanup = .now
                }
            } catch is CancellationError {
                break
            } catch {
                failures.increment()
                logger.warning("outbox relay round failed; retrying", metadata: ["error": "\(error)", "backoff": "\(backoff)"])
                do { try await Task.sleep(for: backoff) } catch { break }
                backoff = min(backoff * 2, options.maximumBackoff)
            }
        }
    }

    /// What one round did.
    public struct RoundOutcome: Sendable, Equatable {
        public var published: Int
        public var failed: Int
        /// True when another instance holds the relay lock.
        public var skipped: Bool
    }

    /// One round: lock, read a batch, publish, mark. Public for tests and tools.
    @discardableResult
    public func relayOnce() async throws -> RoundOutcome {
        try await pool.withTransaction { connection in
            let locked = try await connection.query(
                "SELECT pg_try_advisory_xact_lock(hashtext($1)::bigint) AS locked", ["styrbord.outbox." + schema])
            guard try locked.first?.decode("locked", as: Bool.self) == true else {
                return RoundOutcome(published: 0, failed: 0, skipped: true)
            }
            let rows = try await connection.query(
                """
                SELECT position, topic, message_key, headers::text AS headers, payload
                FROM outbox WHERE published_at IS NULL ORDER BY position LIMIT $1
                """, [options.batchSize])
            if rows.isEmpty { return RoundOutcome(published: 0, failed: 0, skipped: false) }
            let records = try rows.map { row throws(PostgresError) in
                OutboxRecord(
                    position: try row.decode("position"), topic: try row.decode("topic"),
                    key: try row.decode("message_key"),
                    headers: try row.decode("headers", as: PostgresJSON<[String: String]>.self).value,
                    payload: try row.decode("payload", as: PostgresBytes.self).bytes)
            }
            let results = await publish(records)
            // Keep per-key order: after a failure, later rows with the same key stay
            // unmarked too and go again with it.
            var failedKeys: Set<String> = []
            var sent: [Int64] = []
            var failed: [(Int64, String)] = []
            for (record, result) in zip(records, results) {
                if case .failure(let error) = result {
                    failedKeys.insert(record.key)
                    failed.append((record.position, "\(error)"))
                } else if !failedKeys.contains(record.key) {
                    sent.append(record.position)
                }
            }
            await afterPublish(sent)
            if !sent.isEmpty {
                try await connection.execute(
                    "UPDATE outbox SET published_at = now(), attempts = attempts + 1 WHERE position = ANY($1::bigint[])",
                    [sent])
                published.increment(by: sent.count)
            }
            for (position, reason) in failed {
                try await connection.execute(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE position = $1", [position, reason])
            }
            if !failed.isEmpty {
                throw PublishFailed(count: failed.count, firstReason: failed[0].1)
            }
            return RoundOutcome(published: sent.count, failed: 0, skipped: false)
        }
    }

    /// Hands every record to the producer at once and waits for all acknowledgements.
    private func publish(_ records: [OutboxRecord]) async -> [Result<KafkaDeliveryReport, KafkaError>] {
        await withTaskGroup(of: (Int, Result<KafkaDeliveryReport, KafkaError>).self) { group in
            for (index, record) in records.enumerated() {
                group.addTask {
                    let message = KafkaOutgoingMessage(
                        topic: record.topic, key: Array(record.key.utf8), value: record.payload,
                        headers: record.headers.sorted { $0.key < $1.key }.map { KafkaHeader(key: $0.key, text: $0.value) })
                    do throws(KafkaError) {
                        return (index, .success(try await producer.send(message)))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            var results = [Result<KafkaDeliveryReport, KafkaError>](
                repeating: .failure(KafkaError(kind: .shutDown, message: "not sent")), count: records.count)
            for await (index, result) in group { results[index] = result }
            return results
        }
    }

    private func cleanUp() async throws {
        let cutoff = Date().addingTimeInterval(-Double(options.retention.components.seconds))
        _ = try await pool.withConnection { connection in
            try await connection.execute(
                "DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < $1", [cutoff])
        }
    }
}

struct OutboxRecord: Sendable {
    let position: Int64
    let topic: String
    let key: String
    let headers: [String: String]
    let payload: [UInt8]
}

/// Some rows of a round could not be published; they stay in the outbox.
public struct PublishFailed: Error, CustomStringConvertible {
    public let count: Int
    public let firstReason: String
    public var description: String { "\(count) outbox rows not acknowledged by the broker; first reason: \(firstReason)" }
}
