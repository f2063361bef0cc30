import Foundation
import Messaging
import TestSupport
import Testing

@Suite("Kafka kit against the real broker")
struct KafkaRoundTripTests {
    @Test("a produced record comes back with its key, value and headers")
    func roundTripKeepsKeyAndHeaders() async throws {
        let topic = TestStack.unique("roundtrip")
        try await TestStack.createTopics([topic], partitions: 3)
        let producer = try KafkaProducer(configuration: TestStack.kafka(), logger: TestStack.logger)
        let report = try await producer.send(
            KafkaOutgoingMessage(
                topic: topic, key: "initiative-7", value: Array("Vklass och IST".utf8),
                headers: [KafkaHeader(key: "ce_type", text: "test.v1"), KafkaHeader(key: "empty", value: nil)]))
        #expect(report.topic == topic)
        #expect(report.offset >= 0)
        await producer.shutdown()

        let consumer = try KafkaConsumer(
            configuration: TestStack.kafka(), groupID: TestStack.unique("g"), topics: [topic], logger: TestStack.logger)
        var received: [KafkaMessage] = []
        try await waitUntil("the record") {
            received += await consumer.poll()
            return !received.isEmpty
        }
        await consumer.close()
        let message = try #require(received.first)
        #expect(message.keyText == "initiative-7")
        #expect(String(decoding: message.value, as: UTF8.self) == "Vklass och IST")
        #expect(message.headers[header: "ce_type"]?.text == "test.v1")
        #expect(message.headers[header: "empty"] != nil)
        #expect(message.headers[header: "empty"]?.value == nil)
        #expect(message.partition == report.partition)
        #expect(message.offset == report.offset)
        #expect(message.timestampMilliseconds != nil)
    }

    @Test("records with the same key land on one partition in order")
    func sameKeyKeepsOrder() async throws {
        let topic = TestStack.unique("order")
        try await TestStack.createTopics([topic], partitions: 4)
        let producer = try KafkaProducer(configuration: TestStack.kafka(), logger: TestStack.logger)
        var reports: [KafkaDeliveryReport] = []
        for index in 0..<20 {
            reports.append(try await producer.send(KafkaOutgoingMessage(topic: topic, key: "same", value: [UInt8(index)])))
        }
        await producer.shutdown()
        #expect(Set(reports.map(\.partition)).count == 1)
        #expect(reports.map(\.offset) == reports.map(\.offset).sorted())
    }

    @Test("producing to a topic name the broker cannot accept fails with librdkafka's reason")
    func invalidTopicFails() async throws {
        let producer = try KafkaProducer(configuration: TestStack.kafka(), logger: TestStack.logger)
        await #expect(throws: KafkaError.self) {
            try await producer.send(KafkaOutgoingMessage(topic: "", key: "k", value: [1]))
        }
        await producer.shutdown()
    }

    @Test("an unknown librdkafka property is rejected with its name")
    func unknownPropertyRejected() throws {
        var configuration = TestStack.kafka()
        configuration.properties["no.such.property"] = "1"
        #expect {
            _ = try KafkaProducer(configuration: configuration, logger: TestStack.logger)
        } throws: { error in
            (error as? KafkaError)?.kind == .configuration && "\(error)".contains("no.such.property")
        }
    }

    @Test("topic creation is idempotent and verifies partition counts")
    func ensureTopicsVerifies() async throws {
        let topic = TestStack.unique("topics")
        let admin = try KafkaAdmin(configuration: TestStack.kafka(), logger: TestStack.logger)
        try await admin.ensureTopics([TopicSpecification(name: topic, partitions: 2, replicationFactor: 1)])
        try await admin.ensureTopics([TopicSpecification(name: topic, partitions: 2, replicationFactor: 1)])
        await #expect(throws: KafkaError.self) {
            try await admin.ensureTopics([TopicSpecification(name: topic, partitions: 5, replicationFactor: 1)])
        }
    }

    @Test("the linked librdkafka is 2.2 or newer")
    func libraryVersionIsSupported() throws {
        try KafkaLibrary.requireSupportedVersion()
        let parts = KafkaLibrary.version.split(separator: ".").compactMap { Int($0) }
        #expect(parts.count >= 2)
        #expect(parts[0] > 2 || (parts[0] == 2 && parts[1] >= 2))
    }

    @Test("environment entries become librdkafka properties")
    func propertiesFromEnvironment() {
        let properties = KafkaConfiguration.properties(
            fromEnvironment: ["STYRBORD_RDKAFKA_SECURITY_PROTOCOL": "SASL_SSL", "STYRBORD_RDKAFKA_SASL_MECHANISMS": "SCRAM-SHA-512", "OTHER": "x"],
            prefix: "STYRBORD_RDKAFKA_")
        #expect(properties == ["security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512"])
    }
}
