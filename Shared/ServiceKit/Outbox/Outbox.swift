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

extension Outbox {
    /// Adds many events in one statement (bulk imports): the same rows `enqueue` writes.
    public static func enqueueBatch(_ events: [(event: CloudEvent, key: String)], topic: String, on connection: PostgresConnection)
        async throws
    {
        guard !events.isEmpty else { return }
        struct Row: Codable, Sendable {
            var event_id: String
            var event_type: String
            var message_key: String
            var headers: [String: String]
            var payload: String
        }
        let rows = events.map { item in
            var headers: [String: String] = [:]
            for header in CloudEventKafkaCodec.headers(for: item.event) { headers[header.key] = header.text }
            return Row(
                event_id: item.event.id, event_type: item.event.type, message_key: item.key, headers: headers,
                payload: Data(item.event.data).base64EncodedString())
        }
        try await connection.execute(
            """
            INSERT INTO outbox (event_id, event_type, topic, message_key, headers, payload)
            SELECT r.event_id, r.event_type, $2, r.message_key, r.headers, decode(r.payload, 'base64')
            FROM jsonb_to_recordset($1::jsonb) AS r(event_id text, event_type text, message_key text, headers jsonb, payload text)
            """, [PostgresJSON(rows), topic])
    }
}
