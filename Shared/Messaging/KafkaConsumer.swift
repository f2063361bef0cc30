import Blocking
import CRdKafka
import Logging
import Synchronization

/// A consumer in a group with manual, after-processing commits.
///
/// The intended loop is: `poll` a batch → process each record (for Styrbord: apply it in a
/// database transaction) → `markProcessed` → `commit`. Offsets are only stored for records
/// the caller marked, and librdkafka refuses to store offsets of partitions this member
/// no longer owns, so a rebalance never commits a revoked partition's offset. On
/// revocation the offsets already marked are committed before the partitions are given
/// up, so the next owner starts right after the last processed record.
///
/// All librdkafka calls run on one dedicated serial queue, never on Swift's cooperative
/// pool; the rebalance callback runs inside `poll` on that queue.
public final class KafkaConsumer: Sendable {
    private let handle: RDKafkaHandle
    private let worker: BlockingWorker
    private let logger: Logger
    private let closed = Atomic<Bool>(false)
    public let groupID: String

    public init(
        configuration: KafkaConfiguration, groupID: String, topics: [String], logger: Logger
    ) throws(KafkaError) {
        self.logger = logger
        self.groupID = groupID
        let context = RDKafkaContext(logger: logger, rebalance: { handle, code, partitions in
            KafkaConsumer.rebalance(handle, code, partitions, logger: logger)
        })
        self.handle = try RDKafkaHandle(
            type: RD_KAFKA_CONSUMER, properties: configuration.consumerProperties(groupID: groupID),
            context: context
        ) { conf in
            rd_kafka_conf_set_rebalance_cb(conf, rebalanceCallback)
        }
        self.worker = BlockingWorker(label: "styrbord.kafka.consumer.\(groupID)")
        // Serve the main queue (errors, logs) from the consumer poll too.
        rd_kafka_poll_set_consumer(handle.pointer)
        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics {
            rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA)
        }
        let code = rd_kafka_subscribe(handle.pointer, list)
        if code != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(code: code, context: "subscribe to \(topics.joined(separator: ","))")
        }
    }

    /// Waits up to `timeout` for the first record, then takes whatever else is already
    /// fetched, up to `maxMessages`. Returns an empty array when nothing arrived.
    public func poll(maxMessages: Int = 500, timeout: Duration = .milliseconds(100)) async -> [KafkaMessage] {
        let handle = self.handle
        let logger = self.logger
        let milliseconds = timeout.clampedMilliseconds
        return await worker.run { () -> [KafkaMessage] in
            var batch: [KafkaMessage] = []
            guard maxMessages > 0 else { return batch }
            batch.reserveCapacity(min(maxMessages, 1024))
            var topicNames = TopicNameCache()
            func take(_ record: UnsafeMutablePointer<rd_kafka_message_t>) {
                defer { rd_kafka_message_destroy(record) }
                if record.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    if record.pointee.err != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                        logger.warning("consumer error", metadata: ["error": "\(KafkaError(code: record.pointee.err))"])
                    }
                    return
                }
                batch.append(KafkaMessage(copying: record, topicNames: &topicNames))
            }
            // The first record may take up to `timeout`; what is already fetched after it is
            // taken in chunks (one queue lock per chunk instead of one per record).
            guard let first = rd_kafka_consumer_poll(handle.pointer, milliseconds) else { return batch }
            take(first)
            guard batch.count < maxMessages, let queue = rd_kafka_queue_get_consumer(handle.pointer) else { return batch }
            defer { rd_kafka_queue_destroy(queue) }
            let chunk = min(maxMessages, 256)
            withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<rd_kafka_message_t>?.self, capacity: chunk) { records in
                while batch.count < maxMessages {
                    let taken = rd_kafka_consume_batch_queue(queue, 0, records.baseAddress, min(chunk, maxMessages - batch.count))
                    guard taken > 0 else { break }
                    for index in 0..<taken {
                        if let record = records[index] { take(record) }
                    }
                }
            }
            return batch
        }
    }

    /// Records that these messages were processed: the next `commit` moves the group's
    /// offset past them. Messages of partitions this member no longer owns are ignored.
    public func markProcessed(_ messages: [KafkaMessage]) async {
        guard !messages.isEmpty else { return }
        var highest: [PartitionKey: Int64] = [:]
        for message in messages {
            let key = PartitionKey(topic: message.topic, partition: message.partition)
            highest[key] = max(highest[key] ?? -1, message.offset)
        }
        let offsets = highest
        let handle = self.handle
        let logger = self.logger
        await worker.run { () -> Void in
            let list = rd_kafka_topic_partition_list_new(Int32(offsets.count))
            defer { if let list { rd_kafka_topic_partition_list_destroy(list) } }
            for (key, offset) in offsets {
                let entry = rd_kafka_topic_partition_list_add(list, key.topic, key.partition)
                entry?.pointee.offset = offset + 1
            }
            guard let list else { return }
            _ = rd_kafka_offsets_store(handle.pointer, list)
            for index in 0..<Int(list.pointee.cnt) {
                let entry = list.pointee.elems[index]
                if entry.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    logger.debug(
                        "offset not stored: partition no longer assigned",
                        metadata: ["topic": "\(String(cString: entry.topic))", "partition": "\(entry.partition)"])
                }
            }
        }
    }

    /// Commits the stored offsets to the group coordinator and waits for its answer.
    public func commit() async throws(KafkaError) {
        let handle = self.handle
        try await worker.run { () throws(KafkaError) -> Void in
            let code = rd_kafka_commit(handle.pointer, nil, 0)
            if code != RD_KAFKA_RESP_ERR_NO_ERROR && code != RD_KAFKA_RESP_ERR__NO_OFFSET {
                throw KafkaError(code: code, context: "commit offsets")
            }
        }
    }

    /// Moves each partition of `messages` back to the lowest offset among them, so they are
    /// fetched and returned by `poll` again (pre-fetched records of those partitions are
    /// dropped). For a batch cut short: what was not processed is not skipped. Partitions
    /// this member no longer owns (or all, when its assignment was lost) are left alone:
    /// the group hands them out again from the committed offsets.
    public func rewind(to messages: [KafkaMessage]) async throws(KafkaError) {
        guard !messages.isEmpty else { return }
        var lowest: [PartitionKey: Int64] = [:]
        for message in messages {
            let key = PartitionKey(topic: message.topic, partition: message.partition)
            lowest[key] = min(lowest[key] ?? message.offset, message.offset)
        }
        let offsets = lowest
        let handle = self.handle
        try await worker.run { () throws(KafkaError) -> Void in
            guard rd_kafka_assignment_lost(handle.pointer) == 0 else { return }
            let owned = Set(Self.assigned(handle))
            let targets = offsets.filter { owned.contains($0.key) }
            guard !targets.isEmpty else { return }
            guard let list = rd_kafka_topic_partition_list_new(Int32(targets.count)) else {
                throw KafkaError(kind: .broker, message: "could not allocate a partition list to rewind")
            }
            defer { rd_kafka_topic_partition_list_destroy(list) }
            for (key, offset) in targets {
                rd_kafka_topic_partition_list_add(list, key.topic, key.partition)?.pointee.offset = offset
            }
            if let error = rd_kafka_seek_partitions(handle.pointer, list, 10_000) {
                throw KafkaError(consuming: error, context: "rewind partitions")
            }
            for index in 0..<Int(list.pointee.cnt) where list.pointee.elems[index].err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(code: list.pointee.elems[index].err, context: "rewind \(String(cString: list.pointee.elems[index].topic))")
            }
        }
    }

    /// The partitions currently assigned to this member.
    public func assignment() async -> [(topic: String, partition: Int32)] {
        let handle = self.handle
        let keys: [PartitionKey] = await worker.run { () -> [PartitionKey] in Self.assigned(handle) }
        return keys.map { ($0.topic, $0.partition) }
    }

    /// The assigned partitions; call on the worker queue.
    private static func assigned(_ handle: RDKafkaHandle) -> [PartitionKey] {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>? = nil
        guard rd_kafka_assignment(handle.pointer, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return [] }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        return UnsafeBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt)).map {
            PartitionKey(topic: String(cString: $0.topic), partition: $0.partition)
        }
    }

    /// How far this member is behind on each assigned partition: the partition's high
    /// watermark (as last seen by the fetcher, no broker round trip) minus the position the
    /// member will fetch next. Partitions without a known position yet are left out.
    public func lag() async -> [(topic: String, partition: Int32, lag: Int64)] {
        let handle = self.handle
        let rows: [PartitionLag] = await worker.run { () -> [PartitionLag] in
            var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>? = nil
            guard rd_kafka_assignment(handle.pointer, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return [] }
            defer { rd_kafka_topic_partition_list_destroy(list) }
            guard rd_kafka_position(handle.pointer, list) == RD_KAFKA_RESP_ERR_NO_ERROR else { return [] }
            var result: [PartitionLag] = []
            for element in UnsafeBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt)) {
                var low: Int64 = -1
                var high: Int64 = -1
                guard element.offset >= 0,
                    rd_kafka_get_watermark_offsets(handle.pointer, element.topic, element.partition, &low, &high)
                        == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0
                else { continue }
                result.append(
                    PartitionLag(topic: String(cString: element.topic), partition: element.partition, lag: max(0, high - element.offset)))
            }
            return result
        }
        return rows.map { ($0.topic, $0.partition, $0.lag) }
    }

    private struct PartitionLag: Sendable {
        var topic: String
        var partition: Int32
        var lag: Int64
    }

    /// Commits what was marked, leaves the group (so its partitions move at once, not after
    /// the session timeout) and stops. Safe to call twice.
    public func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        do { try await commit() } catch {
            logger.warning("final commit failed", metadata: ["error": "\(error)"])
        }
        let handle = self.handle
        let logger = self.logger
        await worker.run { () -> Void in
            let code = rd_kafka_consumer_close(handle.pointer)
            if code != RD_KAFKA_RESP_ERR_NO_ERROR {
                logger.warning("leaving the consumer group failed", metadata: ["error": "\(KafkaError(code: code))"])
            }
        }
    }

    /// Called by librdkafka inside `rd_kafka_consumer_poll`, on the worker queue.
    fileprivate static func rebalance(
        _ handle: OpaquePointer, _ code: rd_kafka_resp_err_t,
        _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>, logger: Logger
    ) {
        let cooperative = String(cString: rd_kafka_rebalance_protocol(handle)) == "COOPERATIVE"
        let described = UnsafeBufferPointer(start: partitions.pointee.elems, count: Int(partitions.pointee.cnt))
            .map { "\(String(cString: $0.topic))[\($0.partition)]" }.joined(separator: ",")
        if code == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
            logger.info("partitions assigned", metadata: ["partitions": "\(described)"])
            if cooperative {
                if let error = rd_kafka_incremental_assign(handle, partitions) {
                    logger.error("incremental assign failed", metadata: ["error": "\(KafkaError(consuming: error))"])
                }
            } else {
                _ = rd_kafka_assign(handle, partitions)
            }
        } else {
            logger.info("partitions revoked", metadata: ["partitions": "\(described)"])
            // Everything marked so far was processed by this member: commit it while the
            // partitions are still ours, then give them up (their stored offsets go too).
            let commitCode = rd_kafka_commit(handle, nil, 0)
            if commitCode != RD_KAFKA_RESP_ERR_NO_ERROR && commitCode != RD_KAFKA_RESP_ERR__NO_OFFSET {
                logger.warning("commit on revoke failed", metadata: ["error": "\(KafkaError(code: commitCode))"])
            }
            if cooperative {
                if let error = rd_kafka_incremental_unassign(handle, partitions) {
                    logger.error("incremental unassign failed", metadata: ["error": "\(KafkaError(consuming: error))"])
                }
            } else {
                _ = rd_kafka_assign(handle, nil)
            }
        }
    }
}

private let rebalanceCallback: @convention(c) (OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, UnsafeMutableRawPointer?) -> Void = {
    handle, code, partitions, _ in
    guard let handle, let partitions, let context = RDKafkaContext.from(handle), let rebalance = context.rebalance else { return }
    rebalance(handle, code, partitions)
}

private struct PartitionKey: Hashable, Sendable {
    let topic: String
    let partition: Int32
}

/// Topic names resolved once per batch instead of once per record.
private struct TopicNameCache {
    private var last: (OpaquePointer, String)?

    mutating func name(of topic: OpaquePointer?) -> String {
        guard let topic else { return "" }
        if let last, last.0 == topic { return last.1 }
        let name = String(cString: rd_kafka_topic_name(topic))
        last = (topic, name)
        return name
    }
}

extension KafkaMessage {
    fileprivate init(copying record: UnsafeMutablePointer<rd_kafka_message_t>, topicNames: inout TopicNameCache) {
        let message = record.pointee
        let key: [UInt8]? = message.key.map { Array(UnsafeRawBufferPointer(start: $0, count: message.key_len)) }
        let value: [UInt8] = message.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: message.len)) } ?? []
        var headers: [KafkaHeader] = []
        var headerList: OpaquePointer? = nil
        if rd_kafka_message_headers(record, &headerList) == RD_KAFKA_RESP_ERR_NO_ERROR, let headerList {
            var index = 0
            var name: UnsafePointer<CChar>? = nil
            var headerValue: UnsafeRawPointer? = nil
            var size = 0
            while rd_kafka_header_get_all(headerList, index, &name, &headerValue, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                let bytes = headerValue.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }
                headers.append(KafkaHeader(key: name.map { String(cString: $0) } ?? "", value: bytes))
                index += 1
            }
        }
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(record, &timestampType)
        self.init(
            topic: topicNames.name(of: message.rkt), partition: message.partition, offset: message.offset,
            key: key, value: value, headers: headers,
            timestampMilliseconds: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp)
    }
}
