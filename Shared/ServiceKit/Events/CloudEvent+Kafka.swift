import Contracts
import Messaging

/// CloudEvents Kafka protocol binding, binary content mode: attributes as `ce_`-prefixed
/// headers, `datacontenttype` as `content-type`, data as the record value, and the
/// partition key (the initiative id) as the record key.
public enum CloudEventKafkaCodec {
    public static let traceparent = "traceparent"

    public static func headers(for event: CloudEvent) -> [KafkaHeader] {
        var headers: [KafkaHeader] = [
            KafkaHeader(key: "ce_specversion", text: CloudEvent.specVersion),
            KafkaHeader(key: "ce_id", text: event.id),
            KafkaHeader(key: "ce_source", text: event.source),
            KafkaHeader(key: "ce_type", text: event.type),
        ]
        if let time = event.time { headers.append(KafkaHeader(key: "ce_time", text: RFC3339.format(time))) }
        if let subject = event.subject { headers.append(KafkaHeader(key: "ce_subject", text: subject)) }
        if let schema = event.dataSchema { headers.append(KafkaHeader(key: "ce_dataschema", text: schema)) }
        if let contentType = event.dataContentType { headers.append(KafkaHeader(key: "content-type", text: contentType)) }
        for (name, value) in event.extensions.sorted(by: { $0.key < $1.key }) {
            // W3C trace context keeps its own header name, as the Distributed Tracing
            // extension maps it; other extensions are ce_-prefixed.
            headers.append(KafkaHeader(key: name == traceparent || name == "tracestate" ? name : "ce_" + name, text: value))
        }
        return headers
    }

    public static func message(for event: CloudEvent, topic: String, key: String) -> KafkaOutgoingMessage {
        KafkaOutgoingMessage(topic: topic, key: key, value: event.data, headers: headers(for: event))
    }

    /// Reads a record as a CloudEvent; throws naming the attribute that is missing or wrong.
    public static func decode(_ message: KafkaMessage) throws(CloudEventError) -> CloudEvent {
        var attributes: [String: String] = [:]
        var extensions: [String: String] = [:]
        var contentType: String? = nil
        for header in message.headers {
            guard let text = header.text else { continue }
            if header.key == "content-type" {
                contentType = text
            } else if header.key == traceparent || header.key == "tracestate" {
                extensions[header.key] = text
            } else if header.key.hasPrefix("ce_") {
                attributes[String(header.key.dropFirst(3))] = text
            }
        }
        func required(_ name: String) throws(CloudEventError) -> String {
            guard let value = attributes.removeValue(forKey: name), !value.isEmpty else {
                throw .missingAttribute(name)
            }
            return value
        }
        let version = try required("specversion")
        guard version == CloudEvent.specVersion else { throw .unsupportedSpecVersion(version) }
        let id = try required("id")
        let source = try required("source")
        let type = try required("type")
        var time: Date? = nil
        if let text = attributes.removeValue(forKey: "time") {
            guard let parsed = RFC3339.parse(text) else { throw .invalidTime(text) }
            time = parsed
        }
        let subject = attributes.removeValue(forKey: "subject")
        let schema = attributes.removeValue(forKey: "dataschema")
        extensions.merge(attributes) { current, _ in current }
        return CloudEvent(
            id: id, source: source, type: type, time: time, subject: subject, dataContentType: contentType,
            dataSchema: schema, data: message.value, extensions: extensions)
    }
}

import struct Foundation.Date
