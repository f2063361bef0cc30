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
        var headers: [String: String] = [:]
        for header in CloudEventKafkaCodec.headers(for: event) { headers[header.key] = header.text }
        try await connection.execute(
            """
            INSERT INTO outbox (event_id, event_type, topic, message_key, headers, payload)
            VALUES ($1, $2, $3, $4, $5::jsonb, $6::bytea)
            """,
            [event.id, event.type, topic, key, PostgresJSON(headers), PostgresBytes(event.data)])
    }
}
