/// An error from the Kafka client, carrying librdkafka's own reason.
public struct KafkaError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What went wrong, in the terms an operator acts on.
    public enum Kind: Sendable, Equatable {
        /// librdkafka older than 2.2 is linked: it cannot talk to current brokers.
        case unsupportedLibraryVersion
        /// A configuration property was rejected by librdkafka.
        case configuration
        /// A request to the broker failed (librdkafka's error code and name are in `code`).
        case broker
        /// The client was shut down while the operation was pending.
        case shutDown
        /// The broker did not answer in time.
        case timeout
    }

    public let kind: Kind
    /// librdkafka's numeric error code (`rd_kafka_resp_err_t`), 0 when not from librdkafka.
    public let code: Int32
    /// librdkafka's message, or ours.
    public let message: String
    /// True when librdkafka says a retry may succeed.
    public let isRetriable: Bool

    public init(kind: Kind, code: Int32 = 0, message: String, isRetriable: Bool = false) {
        self.kind = kind
        self.code = code
        self.message = message
        self.isRetriable = isRetriable
    }

    public var description: String {
        code == 0 ? "Kafka \(kind): \(message)" : "Kafka \(kind) (\(code)): \(message)"
    }
}
