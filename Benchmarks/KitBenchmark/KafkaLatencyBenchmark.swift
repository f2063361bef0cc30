import ArgumentParser
import Foundation
import Messaging
import Synchronization

/// The broker's own produce→consume latency at a steady rate, with the kit and the
/// services' client settings (local profile): the yardstick beside which
/// scripts/bench-latency.sh prints the end-to-end figures.
struct KafkaLatencyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-latency", abstract: "Produce→consume latency (p50/p99) at a steady rate.")

    @OptionGroup var kafka: KafkaOptions
    @Option(help: "Records per second.") var rate: Double = 20
    @Option(help: "Seconds to run.") var duration: Double = 30

    func run() async throws {
        let logger = kafka.logger("styrbord-bench")
        var configuration = KafkaConfiguration.localProfile(bootstrapServers: kafka.brokers, clientID: "bench-latency")
        configuration.lingerMilliseconds = 0
        let topic = "bench-latency-\(UUID().uuidString.lowercased().prefix(8))"
        try await KafkaAdmin(configuration: configuration, logger: logger).ensureTopics(
            [TopicSpecification(name: topic, partitions: 1, replicationFactor: 1)])
        let consumer = try KafkaConsumer(
            configuration: configuration, groupID: "bench-latency-\(UUID().uuidString)", topics: [topic], logger: logger)
        let producer = try KafkaProducer(configuration: configuration, logger: logger)
        let clock = ContinuousClock()
        let origin = clock.now
        func nanosecondsSinceOrigin() -> Int64 {
            let (seconds, attoseconds) = (clock.now - origin).components
            return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        }

        // Wait until the consumer owns the partition: a warm-up record must come back.
        _ = try await producer.send(KafkaOutgoingMessage(topic: topic, key: "warm-up", value: Array("-1".utf8)))
        var warmedUp = false
        let warmUpDeadline = clock.now + .seconds(60)
        while !warmedUp && clock.now < warmUpDeadline {
            warmedUp = !(await consumer.poll(maxMessages: 10, timeout: .milliseconds(200))).isEmpty
        }
        guard warmedUp else { throw ValidationError("the consumer received nothing within 60 s") }

        let count = Int(rate * duration)
        let start = clock.now
        let sender = Task {
            for index in 0..<count {
                try await clock.sleep(until: start + .seconds(Double(index) / rate))
                let stamp = String(nanosecondsSinceOrigin())
                try producer.enqueue(KafkaOutgoingMessage(topic: topic, key: "k", value: Array(stamp.utf8))) { _ in }
            }
        }
        var latencies: [Double] = []
        let deadline = start + .seconds(duration + 30)
        while latencies.count < count && clock.now < deadline {
            for message in await consumer.poll(maxMessages: 100, timeout: .milliseconds(100)) {
                let received = nanosecondsSinceOrigin()
                if let sent = Int64(String(decoding: message.value, as: UTF8.self)), sent >= 0 {
                    latencies.append(Double(received - sent) / 1_000_000)
                }
            }
        }
        try await sender.value
        await consumer.close()
        await producer.shutdown()
        guard !latencies.isEmpty else { throw ValidationError("no record came back") }
        BenchmarkResult(
            name: "kafka-latency", count: latencies.count, seconds: duration, extra: latencyFields(latencies)
        ).print()
    }
}
