import ArgumentParser
import Foundation
import Messaging
import Synchronization

/// Creates topics up front, so the native tool and the kit write to topics of the same shape.
struct KafkaCreateTopics: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-create-topics", abstract: "Create benchmark topics (idempotent).")

    @OptionGroup var kafka: KafkaOptions

    @Option(name: .customLong("topic"), help: "A topic to create; repeat for more.")
    var topics: [String]

    @Option(help: "Partitions per topic.")
    var partitions: Int = 1

    func run() async throws {
        let admin = try KafkaAdmin(
            configuration: kafka.configuration(clientID: "styrbord-bench"), logger: kafka.logger("bench.admin"))
        try await admin.ensureTopics(
            topics.map { TopicSpecification(name: $0, partitions: partitions, replicationFactor: 1) })
    }
}

/// Produce throughput: `messages` records of `size` bytes through `KafkaProducer.enqueue`
/// with the kit's producer settings (idempotent, acks=all). The clock starts once the
/// producer exists (as rdkafka_performance's does) and stops at the last delivery report.
struct KafkaProduceBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-produce", abstract: "Produce N records and count broker acknowledgements.")

    @OptionGroup var kafka: KafkaOptions

    @Option(help: "Topic to produce to (use a fresh one per run).")
    var topic: String

    @Option(help: "Records to produce.")
    var messages: Int = 300_000

    @Option(help: "Value size in bytes.")
    var size: Int = 200

    @Option(help: "Give up waiting for acknowledgements after this many seconds.")
    var timeoutSeconds: Int = 120

    @Option(help: "Name on the RESULT line.")
    var name: String = "swift-kafka-produce"

    func validate() throws {
        guard messages > 0, size >= 0 else { throw ValidationError("messages must be > 0 and size >= 0") }
    }

    func run() async throws {
        let producer = try KafkaProducer(
            configuration: kafka.configuration(clientID: "styrbord-bench-producer"),
            logger: kafka.logger("bench.producer"))
        // One value, shared by every record (copy-on-write: no per-record copy on our side;
        // the kit hands it to librdkafka with RD_KAFKA_MSG_F_COPY).
        let value = (0..<size).map { UInt8(ascii: "a") &+ UInt8($0 % 26) }
        let message = KafkaOutgoingMessage(topic: topic, key: nil, value: value)
        let tally = DeliveryTally(expected: messages)

        let start = ContinuousClock.now
        for _ in 0..<messages {
            try producer.enqueue(message) { tally.record($0) }
        }
        let enqueued = ContinuousClock.now
        do {
            try await producer.flush(timeout: .seconds(timeoutSeconds))
        } catch {
            FileHandle.standardError.write(Data("flush: \(error)\n".utf8))
        }
        let end = tally.completedAt ?? ContinuousClock.now
        await producer.shutdown(timeout: .seconds(5))

        let counts = tally.counts
        BenchmarkResult(
            name: name, count: counts.acked, seconds: (end - start).seconds,
            extra: [
                ("failed", String(counts.failed)), ("size", String(size)),
                ("enqueue_seconds", String(format: "%.4f", (enqueued - start).seconds)),
            ]
        ).print()
        if let firstError = tally.firstError {
            throw BenchmarkFailure("\(counts.failed) deliveries failed; first: \(firstError)")
        }
        if counts.acked != messages {
            throw BenchmarkFailure("only \(counts.acked) of \(messages) records were acknowledged")
        }
    }
}

/// Counts delivery reports from librdkafka's delivery thread and notes when the last arrived.
final class DeliveryTally: Sendable {
    private let expected: Int
    private let acked = Atomic<Int>(0)
    private let failed = Atomic<Int>(0)
    private let finish = Mutex<(at: ContinuousClock.Instant?, firstError: String?)>((nil, nil))

    init(expected: Int) { self.expected = expected }

    func record(_ result: Result<KafkaDeliveryReport, KafkaError>) {
        let done: Int
        switch result {
        case .success:
            done = acked.wrappingAdd(1, ordering: .relaxed).newValue + failed.load(ordering: .relaxed)
        case .failure(let error):
            done = failed.wrappingAdd(1, ordering: .relaxed).newValue + acked.load(ordering: .relaxed)
            finish.withLock { state in
                if state.firstError == nil { state.firstError = "\(error)" }
            }
        }
        if done >= expected {
            let now = ContinuousClock.now
            finish.withLock { state in
                if state.at == nil { state.at = now }
            }
        }
    }

    var counts: (acked: Int, failed: Int) { (acked.load(ordering: .relaxed), failed.load(ordering: .relaxed)) }
    var completedAt: ContinuousClock.Instant? { finish.withLock { $0.at } }
    var firstError: String? { finish.withLock { $0.firstError } }
}

/// Consume throughput: a new group reads `messages` records from the start of a topic
/// through `KafkaConsumer.poll`. Timed from the first record to the last, like
/// rdkafka_performance; joining the group is not part of the figure.
struct KafkaConsumeBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-consume", abstract: "Consume N records with a new consumer group.")

    @OptionGroup var kafka: KafkaOptions

    @Option(help: "Topic to read (already holding at least N records).")
    var topic: String

    @Option(help: "Records to consume.")
    var messages: Int = 300_000

    @Option(help: "Consumer group (default: a new one each run, so it starts at the beginning).")
    var group: String?

    @Option(help: "maxMessages per poll call.")
    var batch: Int = 500

    @Option(help: "Give up after this many seconds.")
    var timeoutSeconds: Int = 120

    @Option(help: "Name on the RESULT line.")
    var name: String = "swift-kafka-consume"

    func validate() throws {
        guard messages > 0, batch > 0 else { throw ValidationError("messages and batch must be > 0") }
    }

    func run() async throws {
        let groupID = group ?? "styrbord-bench-\(UUID().uuidString.prefix(8).lowercased())"
        let consumer = try KafkaConsumer(
            configuration: kafka.configuration(clientID: "styrbord-bench-consumer"), groupID: groupID,
            topics: [topic], logger: kafka.logger("bench.consumer"))
        let deadline = ContinuousClock.now + .seconds(timeoutSeconds)
        var received = 0
        var bytes = 0
        var first: ContinuousClock.Instant?
        var polls = 0
        while received < messages {
            let records = await consumer.poll(maxMessages: batch, timeout: .milliseconds(100))
            if first != nil { polls += 1 }
            if records.isEmpty {
                if ContinuousClock.now > deadline { break }
                continue
            }
            if first == nil { first = .now }
            received += records.count
            for record in records { bytes += record.value.count }
        }
        let end = ContinuousClock.now
        await consumer.close()

        let seconds = first.map { (end - $0).seconds } ?? 0
        // Polls after the first record: how well the kit batches (at most `batch` per poll).
        BenchmarkResult(
            name: name, count: received, seconds: seconds,
            extra: [("bytes", String(bytes)), ("polls", String(polls))]
        ).print()
        if received < messages {
            throw BenchmarkFailure("only \(received) of \(messages) records arrived within \(timeoutSeconds) s")
        }
    }
}
