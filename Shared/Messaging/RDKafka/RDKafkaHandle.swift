import Blocking
import CRdKafka
import Logging

/// The only place that owns an `rd_kafka_t`. librdkafka handles are thread-safe for the
/// calls we make (produce, poll, flush, metadata, commit, assign), which is why this box
/// may be `@unchecked Sendable`; nothing outside this module sees the pointer.
final class RDKafkaHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    /// Context for C callbacks (logger, rebalance bookkeeping). Retained here so it
    /// outlives `rd_kafka_destroy`, during which librdkafka may still log.
    let context: RDKafkaContext

    init(type: rd_kafka_type_t, properties: [String: String], context: RDKafkaContext,
         configure: (OpaquePointer) -> Void = { _ in }) throws(KafkaError)
    {
        try RDKafkaVersion.requireSupported()
        let conf = try RDKafkaConfig.make(properties)
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(context).toOpaque())
        rd_kafka_conf_set_log_cb(conf, rdKafkaLogCallback)
        rd_kafka_conf_set_error_cb(conf, rdKafkaErrorCallback)
        configure(conf)
        var errorText = [CChar](repeating: 0, count: 512)
        // On success rd_kafka_new takes ownership of conf; on failure it stays ours.
        guard let pointer = rd_kafka_new(type, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(kind: .configuration, message: String(nulTerminated: errorText))
        }
        self.pointer = pointer
        self.context = context
    }

    deinit {
        rd_kafka_destroy(pointer)
    }
}

/// Shared state the C callbacks reach through `rd_kafka_opaque`.
final class RDKafkaContext: Sendable {
    let logger: Logger
    /// Set by the consumer; called inside `rd_kafka_consumer_poll` on the poll thread.
    let rebalance: (@Sendable (OpaquePointer, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> Void)?

    init(
        logger: Logger,
        rebalance: (@Sendable (OpaquePointer, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> Void)? = nil
    ) {
        self.logger = logger
        self.rebalance = rebalance
    }

    static func from(_ handle: OpaquePointer?) -> RDKafkaContext? {
        guard let handle, let opaque = rd_kafka_opaque(handle) else { return nil }
        return Unmanaged<RDKafkaContext>.fromOpaque(opaque).takeUnretainedValue()
    }
}

private let rdKafkaLogCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = {
    handle, level, facility, text in
    guard let context = RDKafkaContext.from(handle) else { return }
    let facilityText = facility.map { String(cString: $0) } ?? ""
    let message = text.map { String(cString: $0) } ?? ""
    // syslog levels: 0–3 error, 4 warning, 5–6 notice/info, 7 debug.
    let logLevel: Logger.Level = switch level {
    case ...3: .error
    case 4: .warning
    case 5, 6: .info
    default: .debug
    }
    context.logger.log(level: logLevel, "librdkafka: \(message)", metadata: ["rdkafka.facility": .string(facilityText)])
}

private let rdKafkaErrorCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
    handle, code, reason, _ in
    guard let context = RDKafkaContext.from(handle) else { return }
    let text = reason.map { String(cString: $0) } ?? ""
    let name = String(cString: rd_kafka_err2name(rd_kafka_resp_err_t(code)))
    context.logger.warning("librdkafka error \(name): \(text)")
}

enum RDKafkaConfig {
    /// Builds an `rd_kafka_conf_t`; the caller owns it until `rd_kafka_new` takes it.
    static func make(_ properties: [String: String]) throws(KafkaError) -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError(kind: .configuration, message: "rd_kafka_conf_new failed (out of memory)")
        }
        var errorText = [CChar](repeating: 0, count: 512)
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
            if rd_kafka_conf_set(conf, name, value, &errorText, errorText.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                let reason = String(nulTerminated: errorText)
                throw KafkaError(kind: .configuration, message: "property \(name): \(reason)")
            }
        }
        return conf
    }
}

enum RDKafkaVersion {
    static let minimum: Int32 = 0x0202_00ff

    /// The linked librdkafka's version text, e.g. `2.8.0`.
    static var text: String { String(cString: rd_kafka_version_str()) }

    /// librdkafka < 2.2 fails the ApiVersions handshake against brokers that send tagged
    /// fields (fixed upstream in 2.2.0), so refuse to run rather than fail later.
    static func requireSupported() throws(KafkaError) {
        if rd_kafka_version() < minimum {
            throw KafkaError(
                kind: .unsupportedLibraryVersion,
                message: "librdkafka \(text) is linked but Styrbord needs 2.2 or newer (older versions "
                    + "cannot handshake with current brokers). Run scripts/install-librdkafka.sh, or "
                    + "install librdkafka1 and librdkafka-dev >= 2.2 from your distribution.")
        }
    }
}

extension KafkaError {
    /// The one place librdkafka error codes become Swift errors.
    init(code: rd_kafka_resp_err_t, kind: Kind = .broker, context: String? = nil) {
        let name = String(cString: rd_kafka_err2name(code))
        let text = String(cString: rd_kafka_err2str(code))
        let kind: Kind = code == RD_KAFKA_RESP_ERR__TIMED_OUT ? .timeout : kind
        self.init(
            kind: kind, code: code.rawValue,
            message: [context, "\(name): \(text)"].compactMap { $0 }.joined(separator: ": "),
            isRetriable: code == RD_KAFKA_RESP_ERR__TIMED_OUT || code == RD_KAFKA_RESP_ERR__TRANSPORT
                || code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || code == RD_KAFKA_RESP_ERR__QUEUE_FULL)
    }

    /// True when the error says this consumer is no longer the group member that owns its
    /// partitions (the assignment was lost, the generation moved on, a rebalance is under
    /// way): committing again cannot succeed until the next `poll` has rejoined the group.
    public var meansMembershipLost: Bool {
        let lost: [rd_kafka_resp_err_t] = [
            RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST, RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION, RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID,
            RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS, RD_KAFKA_RESP_ERR__STATE, RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID,
        ]
        return lost.contains { $0.rawValue == code }
    }

    /// Takes ownership of an `rd_kafka_error_t` and destroys it.
    init(consuming error: OpaquePointer, context: String? = nil) {
        let code = rd_kafka_error_code(error)
        let text = String(cString: rd_kafka_error_string(error))
        let retriable = rd_kafka_error_is_retriable(error) != 0
        rd_kafka_error_destroy(error)
        self.init(
            kind: code == RD_KAFKA_RESP_ERR__TIMED_OUT ? .timeout : .broker, code: code.rawValue,
            message: [context, text].compactMap { $0 }.joined(separator: ": "), isRetriable: retriable)
    }
}
