import Blocking
import CRdKafka

enum RDKafkaMetadata {
    /// A broker-list metadata request: the cheapest round trip that proves a broker answers.
    static func ping(_ handle: RDKafkaHandle, worker: BlockingWorker, timeout: Duration) async -> Bool {
        let milliseconds = timeout.clampedMilliseconds
        return await worker.run { () -> Bool in
            var metadata: UnsafePointer<rd_kafka_metadata>? = nil
            let code = rd_kafka_metadata(handle.pointer, 0, nil, &metadata, milliseconds)
            if let metadata { rd_kafka_metadata_destroy(metadata) }
            return code == RD_KAFKA_RESP_ERR_NO_ERROR
        }
    }

    /// Partition counts of the named topics that exist; missing topics are absent.
    static func partitionCounts(
        _ handle: RDKafkaHandle, topics: Set<String>, timeoutMilliseconds: Int32
    ) throws(KafkaError) -> [String: Int] {
        var metadata: UnsafePointer<rd_kafka_metadata>? = nil
        let code = rd_kafka_metadata(handle.pointer, 1, nil, &metadata, timeoutMilliseconds)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw KafkaError(code: code, context: "metadata request")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        var counts: [String: Int] = [:]
        let all = UnsafeBufferPointer(start: metadata.pointee.topics, count: Int(metadata.pointee.topic_cnt))
        for topic in all {
            let name = String(cString: topic.topic)
            if topics.contains(name), topic.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                counts[name] = Int(topic.partition_cnt)
            }
        }
        return counts
    }
}
