import Foundation
import Messaging
import TestSupport
import Testing

@Suite("Consumer groups against the real broker")
struct ConsumerGroupTests {
    @Test("a restarted group member resumes from the committed offset: no loss, no duplicate over 10,000 records")
    func restartResumesExactly() async throws {
        let topic = TestStack.unique("resume")
        let total = 10_000
        try await TestStack.createTopics([topic], partitions: 3)
        let producer = try KafkaProducer(configuration: TestStack.kafka(), logger: TestStack.logger)
        let acknowledged = ManagedCounter()
        for index in 0..<total {
            try producer.enqueue(KafkaOutgoingMessage(topic: topic, key: "k\(index % 97)", value: Array(String(index).utf8))) {
                if case .success = $0 { acknowledged.increment() }
            }
        }
        try await producer.flush()
        await producer.shutdown()
        #expect(acknowledged.value == total)

        let group = TestStack.unique("group")
        var seen: [Int: Int] = [:]
        func record(_ batch: [KafkaMessage]) {
            for message in batch {
                let number = Int(String(decoding: message.value, as: UTF8.self)) ?? -1
                seen[number, default: 0] += 1
            }
        }

        // First member: process about half, commit after each batch, leave the group.
        let first = try KafkaConsumer(configuration: TestStack.kafka(), groupID: group, topics: [topic], logger: TestStack.logger)
        var processedByFirst = 0
        try await waitUntil("the first member to process half", timeout: .seconds(60)) {
            let batch = await first.poll(maxMessages: 500)
            record(batch)
            processedByFirst += batch.count
            await first.markProcessed(batch)
            try await first.commit()
            return processedByFirst >= total / 2
        }
        await first.close()

        // Second member of the same group: continues after the committed offsets.
        let second = try KafkaConsumer(configuration: TestStack.kafka(), groupID: group, topics: [topic], logger: TestStack.logger)
        try await waitUntil("the second member to finish", timeout: .seconds(60)) {
            let batch = await second.poll(maxMessages: 500)
            record(batch)
            await second.markProcessed(batch)
            try await second.commit()
            return seen.count >= total
        }
        // Nothing more arrives: a short drain finds no further records.
        let extra = await second.poll(maxMessages: 500, timeout: .milliseconds(500))
        record(extra)
        await second.close()

        #expect(processedByFirst < total, "the first member must not have taken everything")
        #expect(seen.count == total, "every record arrived")
        #expect(seen.values.allSatisfy { $0 == 1 }, "no record arrived twice")
        #expect(Set(seen.keys) == Set(0..<total))
    }

    @Test("a member that leaves hands over exactly at its committed offset; marks after leaving change nothing")
    func revokedPartitionsAreNotCommitted() async throws {
        let topic = TestStack.unique("revoke")
        try await TestStack.createTopics([topic], partitions: 1)
        let producer = try KafkaProducer(configuration: TestStack.kafka(), logger: TestStack.logger)
        for index in 0..<10 {
            _ = try await producer.send(KafkaOutgoingMessage(topic: topic, key: "k", value: [UInt8(index)]))
        }
        await producer.shutdown()

        let group = TestStack.unique("group")
        let first = try KafkaConsumer(configuration: TestStack.kafka(), groupID: group, topics: [topic], logger: TestStack.logger)
        var batch: [KafkaMessage] = []
        try await waitUntil("records for the first member") {
            batch += await first.poll()
            return batch.count == 10
        }
        // Commit the first three, then leave: the partition is revoked.
        await first.markProcessed(Array(batch.prefix(3)))
        try await first.commit()
        await first.close()
        // A late mark for the revoked partition must not move the group's offset.
        await first.markProcessed(batch)

        let second = try KafkaConsumer(configuration: TestStack.kafka(), groupID: group, topics: [topic], logger: TestStack.logger)
        var resumed: [KafkaMessage] = []
        try await waitUntil("records for the second member") {
            resumed += await second.poll()
            return resumed.count >= 7
        }
        await second.close()
        #expect(resumed.first?.offset == 3)
        #expect(resumed.count == 7)
    }
}

/// A counter shared with delivery callbacks.
final class ManagedCounter: Sendable {
    private let storage = Mutex(0)
    func increment() { storage.withLock { $0 += 1 } }
    var value: Int { storage.withLock { $0 } }
}

import Synchronization
