import Foundation

/// A CloudEvents 1.0 event (https://github.com/cloudevents/spec, v1.0.2). On Kafka it
/// travels in binary content mode: attributes as `ce_*` headers, `data` as the record
/// value, `content-type` as its own header (see `CloudEventKafkaCodec` in ServiceKit).
public struct CloudEvent: Sendable, Equatable {
    public static let specVersion = "1.0"

    /// Unique per source; consumers deduplicate on (source, id) — Styrbord's ids are UUIDs,
    /// unique on their own.
    public var id: String
    /// The producing service, e.g. `/styrbord/intake`.
    public var source: String
    /// Reverse-DNS type with a version suffix, e.g. `se.goteborg.styrbord.need.submitted.v1`.
    public var type: String
    public var time: Date?
    /// What the event is about inside the source: Styrbord uses the initiative id.
    public var subject: String?
    /// Media type of `data`; always `application/json` for Styrbord's own events.
    public var dataContentType: String?
    /// URI of the JSON Schema `data` follows.
    public var dataSchema: String?
    public var data: [UInt8]
    /// Extension attributes, e.g. `traceparent` (W3C trace context).
    public var extensions: [String: String]

    public init(
        id: String = UUID().uuidString.lowercased(), source: String, type: String, time: Date? = Date(),
        subject: String? = nil, dataContentType: String? = "application/json", dataSchema: String? = nil,
        data: [UInt8], extensions: [String: String] = [:]
    ) {
        self.id = id
        self.source = source
        self.type = type
        self.time = time
        self.subject = subject
        self.dataContentType = dataContentType
        self.dataSchema = dataSchema
        self.data = data
        self.extensions = extensions
    }

    /// Builds an event whose data is the JSON form of a contract type.
    public init<Payload: EventPayload>(
        _ payload: Payload, source: String, subject: String?, id: String = UUID().uuidString.lowercased(),
        time: Date = Date(), extensions: [String: String] = [:]
    ) throws {
        self.init(
            id: id, source: source, type: Payload.eventType, time: time, subject: subject,
            dataContentType: "application/json", dataSchema: Payload.schemaURI,
            data: Array(try EventJSON.encoder.encode(payload)), extensions: extensions)
    }

    /// Decodes `data` as the contract type this event's `type` names.
    public func decode<Payload: EventPayload>(_ type: Payload.Type) throws -> Payload {
        guard self.type == Payload.eventType else {
            throw CloudEventError.unexpectedType(expected: Payload.eventType, actual: self.type)
        }
        return try EventJSON.decoder.decode(Payload.self, from: Data(data))
    }
}

/// A versioned event contract: its data type, its CloudEvents type and its schema.
public protocol EventPayload: Codable, Sendable {
    /// The CloudEvents `type`, ending in the contract version (`.v1`).
    static var eventType: String { get }
    /// Where the JSON Schema of this version is documented.
    static var schemaURI: String { get }
}

/// Why bytes could not be read as a CloudEvent.
public enum CloudEventError: Error, Sendable, Equatable, CustomStringConvertible {
    case missingAttribute(String)
    case unsupportedSpecVersion(String)
    case invalidTime(String)
    case unexpectedType(expected: String, actual: String)

    public var description: String {
        switch self {
        case .missingAttribute(let name): "required CloudEvents attribute \(name) is missing or empty"
        case .unsupportedSpecVersion(let version): "CloudEvents specversion \(version) is not supported (expected 1.0)"
        case .invalidTime(let text): "CloudEvents time \(text) is not RFC 3339"
        case .unexpectedType(let expected, let actual): "expected event type \(expected), got \(actual)"
        }
    }
}

/// The JSON settings every event contract uses: ISO 8601 dates, sorted keys. One shared
/// encoder and decoder (both are Sendable and keep no state between calls): making one
/// per call was a measurable part of a request's CPU time.
public enum EventJSON {
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}
