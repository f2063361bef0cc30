import Contracts
import Domain
import Persistence

extension Outbox {
    /// Wraps a contract payload in a CloudEvent about `initiative` and adds it to the
    /// outbox in the caller's transaction; the initiative id is the Kafka key.
    /// - Parameter traceParent: the `traceparent` of what caused it (an incoming event or
    ///   request); the event continues that trace with a span of its own.
    @discardableResult
    public static func enqueue<Payload: EventPayload>(
        _ payload: Payload, about initiative: InitiativeID, topic: String, source: String, traceParent: String? = nil,
        on connection: PostgresConnection
    ) async throws -> CloudEvent {
        try await enqueue(
            payload, key: initiative.description, subject: initiative.description, topic: topic, source: source,
            traceParent: traceParent, on: connection)
    }

    /// The same for events about something other than an initiative (an organisation, an
    /// exemption): `key` orders its events, `subject` names it in the CloudEvent.
    @discardableResult
    public static func enqueue<Payload: EventPayload>(
        _ payload: Payload, key: String, subject: String, topic: String, source: String, traceParent: String? = nil,
        on connection: PostgresConnection
    ) async throws -> CloudEvent {
        let event = try CloudEvent(
            payload, source: source, subject: subject, extensions: [TraceParent.header: TraceParent.child(of: traceParent)])
        try await enqueue(event, topic: topic, key: key, on: connection)
        return event
    }
}
