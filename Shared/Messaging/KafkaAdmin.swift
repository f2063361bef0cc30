import Blocking
import CRdKafka
import Logging

/// What a topic must look like.
public struct TopicSpecification: Sendable, Equatable {
    public var name: String
    public var partitions: Int
    public var replicationFactor: Int
    /// Topic-level configuration such as `min.insync.replicas` or `retention.ms`.
    public var config: [String: String]

    public init(name: String, partitions: Int, replicationFactor: Int, config: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.config = config
    }
}

/// Creates and verifies topics at start-up.
public final class KafkaAdmin: Sendable {
    private let handle: RDKafkaHandle
    private let worker: BlockingWorker
    private let logger: Logger

    public init(configuration: KafkaConfiguration, logger: Logger) throws(KafkaError) {
        self.logger = logger
        self.handle = try RDKafkaHandle(
            type: RD_KAFKA_PRODUCER, properties: configuration.adminProperties(),
            context: RDKafkaContext(logger: logger))
        self.worker = BlockingWorker(label: "styrbord.kafka.admin")
    }

    /// Creates the topics that do not exist and checks that the existing ones have at
    /// least the specified partitions. A topic with fewer partitions is an error: keys
    /// would hash differently from what the deployment expects.
    public func ensureTopics(_ topics: [TopicSpecification], timeout: Duration = .seconds(30)) async throws(KafkaError) {
        guard !topics.isEmpty else { return }
        let handle = self.handle
        let logger = self.logger
        let milliseconds = timeout.clampedMilliseconds
        try await worker.run { () throws(KafkaError) -> Void in
            try Self.create(topics, handle: handle, timeoutMilliseconds: milliseconds, logger: logger)
            let counts = try RDKafkaMetadata.partitionCounts(
                handle, topics: Set(topics.map(\.name)), timeoutMilliseconds: milliseconds)
            for topic in topics {
                guard let count = counts[topic.name] else {
                    throw KafkaError(kind: .broker, message: "topic \(topic.name) is missing after creation")
                }
                if count < topic.partitions {
                    throw KafkaError(
                        kind: .configuration,
                        message: "topic \(topic.name) has \(count) partitions, \(topic.partitions) required; "
                            + "add partitions with the cluster's tools (see docs/operations.md)")
                }
            }
        }
    }

    private static func create(
        _ topics: [TopicSpecification], handle: RDKafkaHandle, timeoutMilliseconds: Int32, logger: Logger
    ) throws(KafkaError) {
        var errorText = [CChar](repeating: 0, count: 512)
        var newTopics: [OpaquePointer?] = []
        defer { newTopics.forEach { rd_kafka_NewTopic_destroy($0) } }
        for topic in topics {
            guard let newTopic = rd_kafka_NewTopic_new(
                topic.name, Int32(topic.partitions), Int32(topic.replicationFactor), &errorText, errorText.count)
            else {
                throw KafkaError(kind: .configuration, message: "topic \(topic.name): \(String(nulTerminated: errorText))")
            }
            newTopics.append(newTopic)
            for (name, value) in topic.config.sorted(by: { $0.key < $1.key }) {
                let code = rd_kafka_NewTopic_set_config(newTopic, name, value)
                if code != RD_KAFKA_RESP_ERR_NO_ERROR {
                    throw KafkaError(code: code, kind: .configuration, context: "topic \(topic.name) config \(name)")
                }
            }
        }
        let queue = rd_kafka_queue_new(handle.pointer)
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(handle.pointer, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        _ = rd_kafka_AdminOptions_set_operation_timeout(options, timeoutMilliseconds, &errorText, errorText.count)
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeoutMilliseconds, &errorText, errorText.count)
        newTopics.withUnsafeMutableBufferPointer { buffer in
            rd_kafka_CreateTopics(handle.pointer, buffer.baseAddress, buffer.count, options, queue)
        }
        guard let event = rd_kafka_queue_poll(queue, timeoutMilliseconds + 1000) else {
            throw KafkaError(kind: .timeout, message: "no answer to CreateTopics within \(timeoutMilliseconds) ms")
        }
        defer { rd_kafka_event_destroy(event) }
        let eventCode = rd_kafka_event_error(event)
        if eventCode != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(code: eventCode, context: "CreateTopics: \(String(cString: rd_kafka_event_error_string(event)))")
        }
        guard let result = rd_kafka_event_CreateTopics_result(event) else {
            throw KafkaError(kind: .broker, message: "CreateTopics returned no result")
        }
        var count = 0
        guard let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return }
        for index in 0..<count {
            let topicResult = results[index]
            let code = rd_kafka_topic_result_error(topicResult)
            let name = String(cString: rd_kafka_topic_result_name(topicResult))
            switch code {
            case RD_KAFKA_RESP_ERR_NO_ERROR:
                logger.info("topic created", metadata: ["topic": "\(name)"])
            case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
                logger.debug("topic exists", metadata: ["topic": "\(name)"])
            default:
                let text = rd_kafka_topic_result_error_string(topicResult).map { String(cString: $0) } ?? ""
                throw KafkaError(code: code, context: "create topic \(name): \(text)")
            }
        }
    }

    /// True when a broker answered a metadata request within `timeout`.
    public func isBrokerReachable(timeout: Duration = .seconds(2)) async -> Bool {
        await RDKafkaMetadata.ping(handle, worker: worker, timeout: timeout)
    }
}
