import Contracts
import Foundation
import Messaging
import Persistence

/// Writes events into the service's outbox table inside the caller's transaction, so the
/// state change and the event that announces it commit (or roll back) together.
public enum Outbox {
    /// Adds one event to the outbox. Call inside `PostgresPool.withTransaction`.
    /// - Parameters:
    ///   - topic: the Kafka topic it goes to.
    ///   - key: the record key; Styrbord uses the initiative id so one initiative's events stay ordered.
    public static func enqueue(_ event: CloudEvent, topic: String, key: String, on connection: PostgresConnection)
        async throws(PostgresError)
    {
        try await connection.execute(
            "INSERT INTO outbox (\(columns)) VALUES ($1, $2, $3, $4, $5::jsonb, $6::bytea)",
            row(for: event, topic: topic, key: key))
    }

    /// The outbox's columns, in the order of `row(for:topic:key:)`.
    public static let columns = "event_id, event_type, topic, message_key, headers, payload"

    /// An outbox row's values (cast `headers` to jsonb and `payload` to bytea), for a
    /// statement that writes the event together with its state change.
    public static func row(for event: CloudEvent, topic: String, key: String) -> [(any PostgresEncodable)?] {
        var headers: [String: String] = [:]
        for header in CloudEventKafkaCodec.headers(for: event) { headers[header.key] = header.text }
        return [event.id, event.type, topic, key, PostgresJSON(headers), PostgresBytes(event.data)]
    }
}
