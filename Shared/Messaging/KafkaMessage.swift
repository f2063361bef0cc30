/// One Kafka record header. Values are raw bytes; CloudEvents attributes are UTF-8 text.
public struct KafkaHeader: Sendable, Equatable {
    public var key: String
    public var value: [UInt8]?

    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }

    public init(key: String, text: String) {
        self.key = key
        self.value = Array(text.utf8)
    }

    /// The value as UTF-8 text, `nil` when absent or not valid UTF-8.
    public var text: String? {
        value.flatMap { String(validating: $0, as: UTF8.self) }
    }
}

extension Array where Element == KafkaHeader {
    /// The first header with this key.
    public subscript(header key: String) -> KafkaHeader? {
        first { $0.key == key }
    }
}

/// A record to produce.
public struct KafkaOutgoingMessage: Sendable {
    public var topic: String
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [KafkaHeader]
    /// An explicit partition; `nil` lets the partitioner hash the key.
    public var partition: Int32?

    public init(
        topic: String, key: [UInt8]?, value: [UInt8], headers: [KafkaHeader] = [], partition: Int32? = nil
    ) {
        self.topic = topic
        self.key = key
        self.value = value
        self.headers = headers
        self.partition = partition
    }

    public init(topic: String, key: String, value: [UInt8], headers: [KafkaHeader] = []) {
        self.init(topic: topic, key: Array(key.utf8), value: value, headers: headers)
    }
}

/// Where the broker stored a produced record.
public struct KafkaDeliveryReport: Sendable, Equatable {
    public let topic: String
    public let partition: Int32
    public let offset: Int64
}

/// A consumed record.
public struct KafkaMessage: Sendable, Equatable {
    public let topic: String
    public let partition: Int32
    public let offset: Int64
    public let key: [UInt8]?
    public let value: [UInt8]
    public let headers: [KafkaHeader]
    /// Milliseconds since the epoch as the broker or producer stamped it; `nil` if absent.
    public let timestampMilliseconds: Int64?

    public init(
        topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8],
        headers: [KafkaHeader], timestampMilliseconds: Int64?
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
    }

    /// The key as UTF-8 text.
    public var keyText: String? { key.flatMap { String(validating: $0, as: UTF8.self) } }
}
