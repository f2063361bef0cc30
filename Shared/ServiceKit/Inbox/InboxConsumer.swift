import Contracts
import Foundation
import Logging
import Messaging
import Metrics
import Persistence
import ServiceLifecycle

/// Thrown by an event handler when an event can never be applied (its data does not
/// match the contract, it refers to something that cannot exist): the event goes to the
/// dead-letter topic with this reason and the partition moves on.
public struct EventRejected: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Applies one event inside the consumer's transaction. Write state changes and any
/// outgoing events (through `Outbox.enqueue`) on `connection`.
public typealias EventHandler = @Sendable (_ event: CloudEvent, _ connection: PostgresConnection) async throws -> Void

/// Consumes topics as one consumer group and applies each event exactly once.
///
/// Per record: decode the CloudEvent from the headers (undecodable → dead-letter topic);
/// then, in one database transaction, insert the event id into `inbox` (`ON CONFLICT DO
/// NOTHING`: a redelivery stops here) and run the handler. Only after the transaction
/// committed is the offset marked and committed. A handler that throws `EventRejected`
/// sends the record to the dead-letter topic with the reason; any other error (database
/// down, say) is retried with backoff without skipping the record.
public struct InboxConsumer: Service {
    public struct Options: Sendable {
        public var batchSize: Int = 200
        public var pollTimeout: Duration = .milliseconds(100)
        public var initialBackoff: Duration = .milliseconds(100)
        public var maximumBackoff: Duration = .seconds(5)
        /// How long one polled batch may be worked on before the rest is handed back to the
        /// consumer (rewound) and `poll` is called again. It must stay well under the
        /// consumer's `max.poll.interval.ms`, or the broker takes the partitions away.
        public var batchTimeBudget: Duration = .seconds(2)
        /// Commit attempts per batch before going back to polling; the offsets stay stored
        /// and the next commit carries them.
        public var commitAttempts: Int = 3
        public init() {}
    }

    /// Where records that cannot be applied go, with the reason in the `dlq-reason` header.
    public let deadLetterTopic: String
    private let name: String
    private let consumer: KafkaConsumer
    private let producer: KafkaProducer
    private let pool: PostgresPool
    private let handler: EventHandler
    private let options: Options
    private let logger: Logger
    private let applied: Counter
    private let duplicates: Counter
    private let deadLettered: Counter
    private let assignedPartitions: Gauge

    /// - Parameters:
    ///   - name: the consumer's name, also its inbox key and the Kafka group id.
    public init(
        name: String, consumer: KafkaConsumer, producer: KafkaProducer, pool: PostgresPool,
        deadLetterTopic: String, options: Options = Options(), logger: Logger, handler: @escaping EventHandler
    ) {
        self.name = name
        self.consumer = consumer
        self.producer = producer
        self.pool = pool
        self.deadLetterTopic = deadLetterTopic
        self.options = options
        self.logger = logger
        self.handler = handler
        self.applied = Counter(label: "styrbord_events_applied_total", dimensions: [("consumer", name)])
        self.duplicates = Counter(label: "styrbord_events_duplicate_total", dimensions: [("consumer", name)])
        self.deadLettered = Counter(label: "styrbord_events_dead_lettered_total", dimensions: [("consumer", name)])
        self.assignedPartitions = Gauge(label: "styrbord_consumer_assigned_partitions", dimensions: [("consumer", name)])
    }

    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await loop() }
        } catch is CancellationError {
        }
        await consumer.close()
    }

    private func loop() async throws {
        var lastAssignmentCheck = ContinuousClock.now - .seconds(60)
        while !Task.isCancelled {
            if ContinuousClock.now - lastAssignmentCheck > .seconds(1) {
                // How many partitions this instance owns: shows how a scaled-out group shares them.
                assignedPartitions.record(await consumer.assignment().count)
                for partition in await consumer.lag() {
                    Gauge(
                        label: "styrbord_consumer_lag",
                        dimensions: [("consumer", name), ("topic", partition.topic), ("partition", String(partition.partition))]
                    ).record(partition.lag)
                }
                lastAssignmentCheck = .now
            }
            let batch = await consumer.poll(maxMessages: options.batchSize, timeout: options.pollTimeout)
            if batch.isEmpty { continue }
            let started = ContinuousClock.now
            var done: [KafkaMessage] = []
            var cancelled = false
            for message in batch {
                // A slow batch is cut short (at least one record per batch), so `poll` is
                // called well within the broker's max.poll.interval.
                if !done.isEmpty && ContinuousClock.now - started > options.batchTimeBudget { break }
                do {
                    try await processWithRetry(message)
                    done.append(message)
                } catch is CancellationError {
                    // Stop here: what was applied is marked and committed below; the rest
                    // is delivered again to whoever owns the partition next.
                    cancelled = true
                    break
                }
            }
            await consumer.markProcessed(done)
            try await commitWithRetry()
            if cancelled { break }
            if done.count < batch.count { try await rewind(Array(batch[done.count...])) }
        }
    }

    /// Hands the unprocessed rest of a batch back to the consumer, so the next polls return
    /// it again. If that fails the partitions cannot be trusted to resume at the right
    /// record, so the consumer stops (the service exits and restarts from the committed
    /// offsets; the inbox makes the redelivery harmless).
    private func rewind(_ rest: [KafkaMessage]) async throws {
        do {
            try await consumer.rewind(to: rest)
            logger.debug("batch cut short; the rest is fetched again", metadata: ["records": "\(rest.count)"])
        } catch {
            logger.error("could not rewind a batch cut short; stopping the consumer", metadata: ["error": "\(error)"])
            throw error
        }
    }

    private func processWithRetry(_ message: KafkaMessage) async throws {
        var backoff = options.initialBackoff
        while true {
            do {
                try await process(message)
                return
            } catch let error where !(error is CancellationError) {
                logger.warning(
                    "applying an event failed; retrying",
                    metadata: ["error": "\(error)", "topic": "\(message.topic)", "partition": "\(message.partition)",
                               "offset": "\(message.offset)"])
                try await Task.sleep(for: backoff)
                backoff = min(backoff * 2, options.maximumBackoff)
            }
        }
    }

    /// Commits what was marked. The effects are stored and the inbox knows the ids, so a
    /// commit that does not happen only means a harmless redelivery: after a few attempts,
    /// or at once when this member no longer owns the partitions, it goes back to polling
    /// (only `poll` lets librdkafka rejoin the group; retrying the commit forever would
    /// keep the consumer out of its group for good).
    private func commitWithRetry() async throws {
        var backoff = options.initialBackoff
        for attempt in 1...max(1, options.commitAttempts) {
            do {
                try await consumer.commit()
                return
            } catch {
                if error.meansMembershipLost {
                    logger.info(
                        "offsets not committed: the partitions were taken away; polling again to rejoin the group",
                        metadata: ["error": "\(error)"])
                    return
                }
                logger.warning("offset commit failed", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
                if Task.isCancelled || attempt >= options.commitAttempts { return }
                try await Task.sleep(for: backoff)
                backoff = min(backoff * 2, options.maximumBackoff)
            }
        }
    }

    /// Applies one record; returns normally when it was applied, was a duplicate or went
    /// to the dead-letter topic.
    func process(_ message: KafkaMessage) async throws {
        let event: CloudEvent
        do {
            event = try CloudEventKafkaCodec.decode(message)
        } catch {
            try await deadLetter(message, reason: "not a CloudEvent: \(error)")
            return
        }
        do {
            let isNew = try await pool.withTransaction { connection in
                let inserted = try await connection.execute(
                    """
                    INSERT INTO inbox (consumer, event_id, event_type, topic, kafka_partition, kafka_offset)
                    VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING
                    """, [name, event.id, event.type, message.topic, message.partition, message.offset])
                guard inserted == 1 else { return false }
                try await handler(event, connection)
                return true
            }
            if isNew { applied.increment() } else { duplicates.increment() }
        } catch let rejection as EventRejected {
            try await deadLetter(message, reason: rejection.reason)
        } catch let decoding as DecodingError {
            try await deadLetter(message, reason: "data does not match \(event.type): \(decoding)")
        }
    }

    /// Publishes the record unchanged to the dead-letter topic with the reason and where
    /// it came from, and waits for the broker's acknowledgement before moving on. The
    /// inbox then remembers the record by its place in the log (`kafka:<topic>/<partition>/
    /// <offset>`; a malformed record has no event id), so a redelivery after a rebalance
    /// does not dead-letter it twice.
    private func deadLetter(_ message: KafkaMessage, reason: String) async throws {
        let key = "kafka:\(message.topic)/\(message.partition)/\(message.offset)"
        let seen = try await pool.withConnection { connection in
            try await connection.query("SELECT 1 AS seen FROM inbox WHERE consumer = $1 AND event_id = $2", [name, key])
        }
        guard seen.isEmpty else {
            duplicates.increment()
            return
        }
        logger.error(
            "event sent to the dead-letter topic",
            metadata: ["reason": "\(reason)", "topic": "\(message.topic)", "partition": "\(message.partition)",
                       "offset": "\(message.offset)"])
        var headers = message.headers
        headers.append(KafkaHeader(key: "dlq-reason", text: reason))
        headers.append(KafkaHeader(key: "dlq-consumer", text: name))
        headers.append(KafkaHeader(key: "dlq-original-topic", text: message.topic))
        headers.append(KafkaHeader(key: "dlq-original-partition", text: String(message.partition)))
        headers.append(KafkaHeader(key: "dlq-original-offset", text: String(message.offset)))
        _ = try await producer.send(
            KafkaOutgoingMessage(topic: deadLetterTopic, key: message.key, value: message.value, headers: headers))
        try await pool.withConnection { connection in
            try await connection.execute(
                """
                INSERT INTO inbox (consumer, event_id, event_type, topic, kafka_partition, kafka_offset)
                VALUES ($1, $2, 'dead-letter', $3, $4, $5) ON CONFLICT DO NOTHING
                """, [name, key, message.topic, message.partition, message.offset])
        }
        deadLettered.increment()
    }
}
