import Contracts
import Foundation
import Messaging
import ServiceKit
import Testing

@Suite("CloudEvents binary mode on Kafka headers")
struct CloudEventKafkaCodecTests {
    static let sample = CloudEvent(
        id: "7f1c2a4e-0000-4000-8000-000000000001", source: "/styrbord/intake", type: "se.goteborg.styrbord.need.submitted.v1",
        time: Date(timeIntervalSince1970: 1_795_000_000.25), subject: "initiative-1", dataSchema: "https://example.invalid/schema.json",
        data: Array(#"{"title":"Automatiserade beslut om trygghetslarm"}"#.utf8),
        extensions: ["traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "partitionkey": "initiative-1"])

    static func received(_ message: KafkaOutgoingMessage) -> KafkaMessage {
        KafkaMessage(topic: message.topic, partition: 0, offset: 0, key: message.key, value: message.value,
                     headers: message.headers, timestampMilliseconds: nil)
    }

    @Test("an event survives encoding to headers and decoding back")
    func roundTrip() throws {
        let message = CloudEventKafkaCodec.message(for: Self.sample, topic: "t", key: "initiative-1")
        #expect(message.headers[header: "ce_specversion"]?.text == "1.0")
        #expect(message.headers[header: "ce_id"]?.text == Self.sample.id)
        #expect(message.headers[header: "content-type"]?.text == "application/json")
        #expect(message.headers[header: "traceparent"]?.text == Self.sample.extensions["traceparent"])
        #expect(message.headers[header: "ce_partitionkey"]?.text == "initiative-1")
        #expect(message.key == Array("initiative-1".utf8))
        let decoded = try CloudEventKafkaCodec.decode(Self.received(message))
        #expect(decoded == Self.sample)
    }

    @Test("a record without the required attributes is refused, naming the attribute")
    func missingAttributes() {
        for missing in ["ce_specversion", "ce_id", "ce_source", "ce_type"] {
            var message = CloudEventKafkaCodec.message(for: Self.sample, topic: "t", key: "k")
            message.headers.removeAll { $0.key == missing }
            let expected: CloudEventError = .missingAttribute(String(missing.dropFirst(3)))
            #expect(throws: expected) { try CloudEventKafkaCodec.decode(Self.received(message)) }
        }
    }

    @Test("another spec version or a malformed time is refused")
    func wrongVersionOrTime() {
        var message = CloudEventKafkaCodec.message(for: Self.sample, topic: "t", key: "k")
        message.headers = message.headers.map { $0.key == "ce_specversion" ? KafkaHeader(key: $0.key, text: "0.3") : $0 }
        #expect(throws: CloudEventError.unsupportedSpecVersion("0.3")) { try CloudEventKafkaCodec.decode(Self.received(message)) }
        message = CloudEventKafkaCodec.message(for: Self.sample, topic: "t", key: "k")
        message.headers = message.headers.map { $0.key == "ce_time" ? KafkaHeader(key: $0.key, text: "igår") : $0 }
        #expect(throws: CloudEventError.invalidTime("igår")) { try CloudEventKafkaCodec.decode(Self.received(message)) }
    }

    @Test("times are written as RFC 3339 in UTC")
    func timeFormat() {
        let text = RFC3339.format(Date(timeIntervalSince1970: 0.5))
        #expect(text == "1970-01-01T00:00:00.500Z")
        #expect(RFC3339.parse("2026-11-26T15:12:03Z") == Date(timeIntervalSince1970: 1_795_705_923))
        #expect(RFC3339.parse("2026-11-26T16:12:03.000+01:00") == Date(timeIntervalSince1970: 1_795_705_923))
    }
}

@Suite("Configuration from the environment")
struct EnvironmentReaderTests {
    @Test("a missing required variable is named in the error")
    func missingRequired() {
        var reader = EnvironmentReader([:])
        _ = reader.string("STYRBORD_DATABASE_URL", default: nil, "where the database is")
        #expect(throws: ConfigurationError(variable: "STYRBORD_DATABASE_URL", problem: "is required: where the database is")) {
            try reader.validate()
        }
    }

    @Test("a malformed number is named with the allowed range, and defaults apply when unset")
    func malformedNumber() {
        var reader = EnvironmentReader(["STYRBORD_HTTP_PORT": "åtta"])
        let port = reader.int("STYRBORD_HTTP_PORT", default: 8080, in: 1...65535, "HTTP port")
        let size = reader.int("STYRBORD_POOL_SIZE", default: 10, in: 1...500, "pool size")
        #expect(port == 8080)
        #expect(size == 10)
        #expect(reader.errors.map(\.variable) == ["STYRBORD_HTTP_PORT"])
        #expect(reader.errors.first?.problem.contains("1 to 65535") == true)
        #expect(reader.declared.map(\.name) == ["STYRBORD_HTTP_PORT", "STYRBORD_POOL_SIZE"])
    }
}
