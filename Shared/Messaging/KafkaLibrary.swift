/// Facts about the linked librdkafka.
public enum KafkaLibrary {
    /// The linked librdkafka's version, e.g. `2.8.0`.
    public static var version: String { RDKafkaVersion.text }

    /// Throws with what to install when the linked librdkafka is older than 2.2.
    public static func requireSupportedVersion() throws(KafkaError) {
        try RDKafkaVersion.requireSupported()
    }
}
