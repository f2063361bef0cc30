import Contracts
import Foundation
import Logging
import Messaging
import Persistence
import ServiceKit
import TestSupport
import Testing

/// A service schema with the kit's tables and an `effects` table the test handler writes.
struct ServiceSchemaFixture {
    let schema: String
    let pool: PostgresPool

    static func make(_ prefix: String) async throws -> ServiceSchemaFixture {
        let schema = TestStack.unique(prefix)
        let pool = TestStack.pool(schema: schema)
        try await Migrator(pool: pool, schema: schema, logger: TestStack.logger).migrate(
            try KitMigrations.all() + [
                Migration(stream: "service", version: 1, name: "effects",
                          sql: "CREATE TABLE effects (event_id text NOT NULL, subject text); CREATE TABLE state (v int);")
            ])
        return ServiceSchemaFixture(schema: schema, pool: pool)
    }

    /// How often each event's effect was applied.
    func effectCounts() async throws -> [String: Int] {
        let rows = try await pool.withConnection { try await $0.query("SELECT event_id, count(*) AS n FROM effects GROUP BY event_id") }
        var counts: [String: Int] = [:]
        for row in rows { counts[try row.decode("event_id")] = try row.decode("n", as: Int.self) }
        return counts
    }

    /// A consumer that records each applied event in `effects`; `work` runs first in the
    /// handler (to make applying an event take time).
    func inbox(
        topic: String, deadLetterTopic: String, producer: KafkaProducer, options: InboxConsumer.Options = .init(),
        name: String = TestStack.unique("inbox"), groupID: String? = nil,
        work: @escaping @Sendable (CloudEvent) async throws -> Void = { _ in }
    ) throws -> InboxConsumer {
        let consumer = try KafkaConsumer(
            configuration: TestStack.kafka(), groupID: groupID ?? name, topics: [topic], logger: TestStack.logger)
        return InboxConsumer(
            name: name, consumer: consumer, producer: producer, pool: pool, deadLetterTopic: deadLetterTopic,
            options: options, logger: TestStack.logger
        ) { event, connection in
            if event.type == "test.rejected.v1" { throw EventRejected("the test contract rejects this event") }
            try await work(event)
            try await connection.execute("INSERT INTO effects (event_id, subject) VALUES ($1, $2)", [event.id, event.subject])
        }
    }
}

@Suite("Outbox and inbox against the real database and broker")
struct OutboxInboxTests {
    static func event(_ index: Int) -> CloudEvent {
        CloudEvent(source: "/styrbord/tests", type: "test.happened.v1", subject: "initiative-\(index % 3)",
                   data: Array(#"{"n":\#(index)}"#.utf8), extensions: ["traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"])
    }

    @Test("a relay killed between publish and mark-sent still yields exactly one effect per event")
    func relayCrashYieldsExactlyOnce() async throws {
        let fixture = try await ServiceSchemaFixture.make("outbox")
        defer { fixture.pool.close() }
        let topic = TestStack.unique("events")
        let deadLetters = TestStack.unique("dlq")
        try await TestStack.createTopics([topic, deadLetters], partitions: 1)

        let events = (0..<20).map(Self.event)
        try await fixture.pool.withTransaction { connection in
            try await connection.execute("INSERT INTO state VALUES ($1)", [1])
            for event in events {
                try await Outbox.enqueue(event, topic: topic, key: event.subject ?? "", on: connection)
            }
        }

        let relayArguments = ["relay", "--database-url", TestStack.databaseURL, "--schema", fixture.schema, "--brokers", TestStack.brokers]
        let crashed = try await runProduct("KitProbe", relayArguments + ["--kill-after-publish"])
        #expect(crashed.reason == .uncaughtSignal && crashed.status == SIGKILL, "\(crashed.output)")
        #expect(crashed.output.contains("published 20, killing before mark"))
        let unpublished = try await fixture.pool.withConnection {
            try await $0.query("SELECT count(*) AS n FROM outbox WHERE published_at IS NULL")
        }
        #expect(try unpublished[0].decode("n", as: Int.self) == 20, "the crash happened before marking")

        let resumed = try await runProduct("KitProbe", relayArguments)
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.output.contains("relayed 20"))

        // A sentinel after the duplicates: once it is applied, every earlier record of the
        // single partition was processed.
        let producer = try KafkaProducer(configuration: TestStack.kafka(), logger: TestStack.logger)
        let sentinel = Self.event(99)
        _ = try await producer.send(CloudEventKafkaCodec.message(for: sentinel, topic: topic, key: "sentinel"))

        let inbox = try fixture.inbox(topic: topic, deadLetterTopic: deadLetters, producer: producer)
        let running = Task { try await inbox.run() }
        try await waitUntil("the sentinel's effect", timeout: .seconds(60)) {
            try await fixture.effectCounts()[sentinel.id] != nil
        }
        running.cancel()
        _ = try? await running.value
        await producer.shutdown()

        let counts = try await fixture.effectCounts()
        #expect(counts.count == 21)
        #expect(events.allSatisfy { counts[$0.id] == 1 }, "each event applied exactly once: \(counts)")
        let inboxRows = try await fixture.pool.withConnection { try await $0.query("SELECT count(*) AS n FROM inbox") }
        #expect(try inboxRows[0].decode("n", as: Int.self) == 21)
    }

    @Test("a malformed record goes to the dead-letter topic with the reason, and the next good one is applied")
    func malformedRecordIsDeadLettered() async throws {
        let fixture = try await ServiceSchemaFixture.make("dlq")
        defer { fixture.pool.close() }
        let topic = TestStack.unique("events")
        let deadLetters = TestStack.unique("dlq")
        try await TestStack.createTopics([topic, deadLetters], partitions: 1)
        let producer = try KafkaProducer(configuration: TestStack.kafka(), logger: TestStack.logger)

        _ = try await producer.send(KafkaOutgoingMessage(topic: topic, key: "bad", value: Array("not an event".utf8)))
        var rejected = Self.event(2)
        rejected.type = "test.rejected.v1"
        _ = try await producer.send(CloudEventKafkaCodec.message(for: rejected, topic: topic, key: "rejected"))
        let good = Self.event(1)
        _ = try await producer.send(CloudEventKafkaCodec.message(for: good, topic: topic, key: "good"))

        let name = TestStack.unique("inbox")
        let inbox = try fixture.inbox(topic: topic, deadLetterTopic: deadLetters, producer: producer, name: name)
        let running = Task { try await inbox.run() }
        try await waitUntil("the good event's effect", timeout: .seconds(60)) {
            try await fixture.effectCounts()[good.id] == 1
        }
        running.cancel()
        _ = try? await running.value

        // The same consumer reads the whole topic again (a new group, as after lost offsets):
        // the records it dead-lettered are remembered and not dead-lettered twice. The
        // sentinel after them shows the replay got past them.
        let sentinel = Self.event(3)
        _ = try await producer.send(CloudEventKafkaCodec.message(for: sentinel, topic: topic, key: "good"))
        let replay = try fixture.inbox(
            topic: topic, deadLetterTopic: deadLetters, producer: producer, name: name, groupID: TestStack.unique("replay"))
        let replaying = Task { try await replay.run() }
        try await waitUntil("the sentinel's effect", timeout: .seconds(60)) { try await fixture.effectCounts()[sentinel.id] == 1 }
        replaying.cancel()
        _ = try? await replaying.value
        await producer.shutdown()

        let reader = try KafkaConsumer(
            configuration: TestStack.kafka(), groupID: TestStack.unique("reader"), topics: [deadLetters], logger: TestStack.logger)
        var dead: [KafkaMessage] = []
        try await waitUntil("the dead-letter topic read to its end", timeout: .seconds(30)) {
            dead += await reader.poll()
            guard dead.count >= 2 else { return false }
            let lag = await reader.lag()
            return !lag.isEmpty && lag.allSatisfy { $0.lag == 0 }
        }
        await reader.close()
        #expect(dead.count == 2)
        let first = try #require(dead.first)
        #expect(String(decoding: first.value, as: UTF8.self) == "not an event")
        #expect(first.keyText == "bad")
        #expect(first.headers[header: "dlq-reason"]?.text?.contains("specversion") == true)
        #expect(first.headers[header: "dlq-original-topic"]?.text == topic)
        #expect(first.headers[header: "dlq-original-offset"]?.text == "0")
        #expect(dead[1].headers[header: "dlq-reason"]?.text == "the test contract rejects this event")
        #expect(dead[1].headers[header: "ce_id"]?.text == rejected.id)
        #expect(try await fixture.effectCounts() == [good.id: 1, sentinel.id: 1], "nothing of the bad records was applied")
    }

    @Test("redelivering an applied event is acknowledged without a second effect")
    func redeliveryHasNoEffect() async throws {
        let fixture = try await ServiceSchemaFixture.make("redeliver")
        defer { fixture.pool.close() }
        let topic = TestStack.unique("events")
        let deadLetters = TestStack.unique("dlq")
        try await TestStack.createTopics([topic, deadLetters], partitions: 1)
        let producer = try KafkaProducer(configuration: TestStack.kafka(), logger: TestStack.logger)
        let event = Self.event(5)
        for _ in 0..<3 {
            _ = try await producer.send(CloudEventKafkaCodec.message(for: event, topic: topic, key: "k"))
        }
        let sentinel = Self.event(6)
        _ = try await producer.send(CloudEventKafkaCodec.message(for: sentinel, topic: topic, key: "k"))
        let inbox = try fixture.inbox(topic: topic, deadLetterTopic: deadLetters, producer: producer)
        let running = Task { try await inbox.run() }
        try await waitUntil("the sentinel's effect", timeout: .seconds(60)) {
            try await fixture.effectCounts()[sentinel.id] == 1
        }
        running.cancel()
        _ = try? await running.value
        await producer.shutdown()
        #expect(try await fixture.effectCounts() == [event.id: 1, sentinel.id: 1])
    }

    @Test("a slow batch is cut short and the rest fetched again: every event applied once")
    func slowBatchIsRewound() async throws {
        let fixture = try await ServiceSchemaFixture.make("rewind")
        defer { fixture.pool.close() }
        let topic = TestStack.unique("events")
        let deadLetters = TestStack.unique("dlq")
        try await TestStack.createTopics([topic, deadLetters], partitions: 1)
        let producer = try KafkaProducer(configuration: TestStack.kafka(), logger: TestStack.logger)
        let events = (0..<12).map(Self.event)
        for event in events { _ = try await producer.send(CloudEventKafkaCodec.message(for: event, topic: topic, key: "k")) }
        // Each event takes 150 ms to apply and a batch may take 400 ms: all twelve arrive in
        // the first poll, so the batch is cut short several times. A rest that were not
        // fetched again would be skipped for good.
        var options = InboxConsumer.Options()
        options.batchTimeBudget = .milliseconds(400)
        let inbox = try fixture.inbox(topic: topic, deadLetterTopic: deadLetters, producer: producer, options: options) { _ in
            try await Task.sleep(for: .milliseconds(150))
        }
        let running = Task { try await inbox.run() }
        try await waitUntil("all twelve effects", timeout: .seconds(60)) { try await fixture.effectCounts().count == events.count }
        running.cancel()
        _ = try? await running.value
        await producer.shutdown()
        #expect(try await fixture.effectCounts() == Dictionary(uniqueKeysWithValues: events.map { ($0.id, 1) }))
    }

    @Test("a consumer that outlasts max.poll.interval on one event rejoins its group and applies what follows, each once")
    func rejoinsAfterMaxPollInterval() async throws {
        let fixture = try await ServiceSchemaFixture.make("rejoin")
        defer { fixture.pool.close() }
        let topic = TestStack.unique("events")
        let deadLetters = TestStack.unique("dlq")
        try await TestStack.createTopics([topic, deadLetters], partitions: 1)
        let producer = try KafkaProducer(configuration: TestStack.kafka(), logger: TestStack.logger)
        let events = (0..<10).map(Self.event)
        for event in events { _ = try await producer.send(CloudEventKafkaCodec.message(for: event, topic: topic, key: "k")) }
        // The first event takes longer than the local profile's max.poll.interval (7 s), so
        // librdkafka leaves the group while it is applied and the commit after it fails.
        // Before the fix the consumer retried that commit forever and never polled again.
        let slow = events[0].id
        let inbox = try fixture.inbox(topic: topic, deadLetterTopic: deadLetters, producer: producer) { event in
            if event.id == slow { try await Task.sleep(for: .seconds(9)) }
        }
        let running = Task { try await inbox.run() }
        try await waitUntil("the events after the slow one", timeout: .seconds(90)) {
            try await fixture.effectCounts().count == events.count
        }
        running.cancel()
        _ = try? await running.value
        await producer.shutdown()
        #expect(try await fixture.effectCounts() == Dictionary(uniqueKeysWithValues: events.map { ($0.id, 1) }))
    }
}
