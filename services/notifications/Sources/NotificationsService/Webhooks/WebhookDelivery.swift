import AsyncHTTPClient
import Contracts
import Crypto
import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import Persistence
import ServiceKit
import ServiceLifecycle

/// How webhooks are delivered (`STYRBORD_WEBHOOK_*`, declared with the kit's variables so
/// the configuration reference lists them).
struct WebhookConfiguration: Sendable, Equatable {
    /// How long one delivery may take, connecting included.
    var timeout: Duration = .seconds(10)
    /// The first retry waits about this long; each further one twice as long (with jitter).
    var backoffBase: Duration = .seconds(1)
    var backoffMaximum: Duration = .seconds(3600)
    /// A delivery that failed this often is given up (`failed`, redeliverable by an admin).
    var maximumAttempts = 15
    /// A subscription whose deliveries failed this often in a row is paused.
    var pauseAfterFailures = 10
    /// Deliveries in flight at once per instance.
    var concurrency = 16

    static func load(from environment: [String: String]) throws(WebhookConfigurationError) -> WebhookConfiguration {
        func number(_ name: String, _ fallback: Int, in range: ClosedRange<Int>) throws(WebhookConfigurationError) -> Int {
            guard let text = environment[name], !text.isEmpty else { return fallback }
            guard let value = Int(text), range.contains(value) else {
                throw WebhookConfigurationError(variable: name, problem: "must be a whole number in \(range), not \(text)")
            }
            return value
        }
        var configuration = WebhookConfiguration()
        configuration.timeout = .milliseconds(try number("STYRBORD_WEBHOOK_TIMEOUT_MS", 10_000, in: 100...120_000))
        configuration.backoffBase = .milliseconds(try number("STYRBORD_WEBHOOK_BACKOFF_BASE_MS", 1_000, in: 1...600_000))
        configuration.backoffMaximum = .seconds(try number("STYRBORD_WEBHOOK_BACKOFF_MAX_SECONDS", 3_600, in: 1...86_400))
        configuration.maximumAttempts = try number("STYRBORD_WEBHOOK_MAX_ATTEMPTS", 15, in: 1...100)
        configuration.pauseAfterFailures = try number("STYRBORD_WEBHOOK_PAUSE_AFTER_FAILURES", 10, in: 1...1_000)
        configuration.concurrency = try number("STYRBORD_WEBHOOK_CONCURRENCY", 16, in: 1...256)
        return configuration
    }

    /// The wait before attempt `attempt + 1`: base × 2^(attempt − 1), at most the maximum,
    /// of which a random half ("equal jitter"), so failing receivers are not hit in step.
    func backoff(afterAttempt attempt: Int, random: Double = Double.random(in: 0...1)) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let ceiling = min(backoffBase.seconds * pow(2, Double(exponent)), backoffMaximum.seconds)
        return .milliseconds(Int64((ceiling / 2 + ceiling / 2 * random) * 1_000))
    }
}

struct WebhookConfigurationError: Error, CustomStringConvertible {
    var variable: String
    var problem: String
    var description: String { "\(variable) \(problem)" }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// The signature a receiver checks (docs/webhooks.md): HMAC-SHA256 with the
/// subscription's secret (its UTF-8 bytes, `whsec_` prefix included) over the decimal
/// Unix timestamp, a full stop, and the body bytes exactly as received; hex, as
/// `v1=<hex>`. While a rotated secret is still valid there is a second `v1=` entry.
enum WebhookSignature {
    static func sign(secret: String, timestamp: Int, body: some Sequence<UInt8>) -> String {
        var message = Array("\(timestamp).".utf8)
        message.append(contentsOf: body)
        let code = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Array(secret.utf8)))
        return "v1=" + Idempotency.hex(code)
    }

    static func header(secrets: [String], timestamp: Int, body: [UInt8]) -> String {
        secrets.map { sign(secret: $0, timestamp: timestamp, body: body) }.joined(separator: ", ")
    }
}

/// Queues an event for every subscription that wants it, in the inbox transaction that
/// applies the event: one delivery per (subscription, event), whatever the redelivery.
enum WebhookQueue {
    static func enqueue(_ event: CloudEvent, on connection: PostgresConnection) async throws {
        try await connection.execute(
            """
            WITH wanted AS (
                SELECT subscription_id FROM webhook_subscriptions
                WHERE status <> 'deleted' AND (cardinality(event_types) = 0 OR $2 = ANY(event_types))
            ), stored AS (
                INSERT INTO webhook_events (event_id, event_type, body, created_at)
                SELECT $1, $2, $3, now() WHERE EXISTS (SELECT 1 FROM wanted)
                ON CONFLICT (event_id) DO NOTHING
            )
            INSERT INTO webhook_deliveries (delivery_id, subscription_id, event_id, status, next_attempt_at, created_at)
            SELECT gen_random_uuid(), subscription_id, $1, 'pending', now(), now() FROM wanted
            ON CONFLICT (subscription_id, event_id) DO NOTHING
            """, [event.id, event.type, structuredJSON(event)])
    }

    /// The event in CloudEvents JSON format (structured mode): its attributes and its
    /// JSON data inline, or `data_base64` when the data is not JSON.
    static func structuredJSON(_ event: CloudEvent) -> String {
        var fields: [(String, String)] = [
            ("specversion", quoted(CloudEvent.specVersion)), ("id", quoted(event.id)), ("source", quoted(event.source)),
            ("type", quoted(event.type)),
        ]
        if let subject = event.subject { fields.append(("subject", quoted(subject))) }
        if let time = event.time { fields.append(("time", quoted(RFC3339.format(time)))) }
        if let type = event.dataContentType { fields.append(("datacontenttype", quoted(type))) }
        if let schema = event.dataSchema { fields.append(("dataschema", quoted(schema))) }
        for (name, value) in event.extensions.sorted(by: { $0.key < $1.key }) { fields.append((name, quoted(value))) }
        let isJSON = (event.dataContentType ?? "application/json").hasPrefix("application/json")
            && (try? JSONSerialization.jsonObject(with: Data(event.data), options: [.fragmentsAllowed])) != nil
        if isJSON {
            fields.append(("data", String(decoding: event.data, as: UTF8.self)))
        } else {
            fields.append(("data_base64", quoted(Data(event.data).base64EncodedString())))
        }
        return "{" + fields.map { "\(quoted($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// Sends queued webhook deliveries. Each instance claims due deliveries with a lease
/// (`FOR UPDATE SKIP LOCKED`, so instances share the work), sends them concurrently,
/// and records every attempt. A delivery whose sender died mid-way is sent again when its
/// lease runs out, with the same delivery id: at-least-once, deduplicable by receivers.
struct WebhookDeliveryService: Service {
    let pool: PostgresPool
    let configuration: WebhookConfiguration
    let logger: Logger
    var idleInterval: Duration = .milliseconds(500)

    func run() async throws {
        let client = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: .init(
                redirectConfiguration: .disallow,
                timeout: .init(connect: .init(configuration.timeout), read: .init(configuration.timeout))))
        let paused = Gauge(label: "styrbord_webhook_subscriptions_paused")
        await cancelWhenGracefulShutdown {
            var listener: PostgresListener?
            var lastCount = ContinuousClock.now - .seconds(60)
            while !Task.isCancelled {
                do {
                    if ContinuousClock.now - lastCount > .seconds(10) {
                        let rows = try await pool.withConnection {
                            try await $0.query("SELECT count(*) AS n FROM webhook_subscriptions WHERE status = 'paused'")
                        }
                        paused.record(try rows[0].decode("n", as: Int.self))
                        lastCount = .now
                    }
                    if listener?.isUsable != true {
                        listener = try? await PostgresListener.listen(
                            configuration: pool.configuration, channel: "styrbord_webhooks_" + (pool.configuration.searchPath ?? "notifications"))
                    }
                    if try await deliverBatch(with: client) == 0 {
                        if let listener { _ = try await listener.wait(timeout: idleInterval) } else { try await Task.sleep(for: idleInterval) }
                    }
                } catch is CancellationError {
                    break
                } catch {
                    logger.warning("webhook round failed; retrying", metadata: ["error": "\(error)"])
                    do { try await Task.sleep(for: .seconds(1)) } catch { break }
                }
            }
        }
        try? await client.shutdown()
    }

    struct Claimed: Sendable {
        var deliveryId: UUID
        var subscriptionId: UUID
        var attempt: Int
        var url: String
        var secrets: [String]
        var body: [UInt8]
        var eventId: String
        var eventType: String
    }

    /// Claims up to `concurrency` due deliveries, sends them all, records the outcomes.
    /// Returns how many it claimed.
    func deliverBatch(with client: HTTPClient) async throws -> Int {
        let lease = configuration.timeout.seconds * 2 + 5
        let claimed = try await pool.withTransaction { connection in
            try await connection.query(
                """
                WITH due AS (
                    SELECT d.delivery_id FROM webhook_deliveries d
                    JOIN webhook_subscriptions s ON s.subscription_id = d.subscription_id AND s.status = 'active'
                    WHERE d.status = 'pending' AND d.next_attempt_at <= now()
                      AND (d.leased_until IS NULL OR d.leased_until < now())
                    ORDER BY d.next_attempt_at LIMIT $1
                    FOR UPDATE OF d SKIP LOCKED
                )
                UPDATE webhook_deliveries d SET leased_until = now() + make_interval(secs => $2), attempts = d.attempts + 1
                FROM due, webhook_subscriptions s, webhook_events e
                WHERE d.delivery_id = due.delivery_id AND s.subscription_id = d.subscription_id AND e.event_id = d.event_id
                RETURNING d.delivery_id, d.subscription_id, d.attempts, d.event_id, s.url, s.secret,
                          CASE WHEN s.previous_secret_until > now() THEN s.previous_secret END AS previous_secret,
                          e.body, e.event_type
                """, [configuration.concurrency, lease])
            .map { row in
                Claimed(
                    deliveryId: try row.decode("delivery_id"), subscriptionId: try row.decode("subscription_id"),
                    attempt: try row.decode("attempts"), url: try row.decode("url"),
                    secrets: [try row.decode("secret", as: String.self)]
                        + [try row.decode("previous_secret", as: String?.self)].compactMap { $0 },
                    body: Array(try row.decode("body", as: String.self).utf8), eventId: try row.decode("event_id"),
                    eventType: try row.decode("event_type"))
            }
        }
        guard !claimed.isEmpty else { return 0 }
        await withTaskGroup(of: Void.self) { group in
            for delivery in claimed {
                group.addTask {
                    let outcome = await send(delivery, with: client)
                    do {
                        try await record(outcome, of: delivery)
                    } catch {
                        // The lease runs out and the delivery is tried again.
                        logger.warning(
                            "webhook outcome not recorded", metadata: ["delivery": "\(delivery.deliveryId)", "error": "\(error)"])
                    }
                }
            }
        }
        return claimed.count
    }

    struct Outcome: Sendable {
        var started: Date
        var duration: Duration
        var statusCode: Int?
        var error: String?
        var succeeded: Bool { error == nil }
    }

    func send(_ delivery: Claimed, with client: HTTPClient) async -> Outcome {
        let started = Date()
        let clock = ContinuousClock.now
        let timestamp = Int(started.timeIntervalSince1970)
        var request = HTTPClientRequest(url: delivery.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/cloudevents+json; charset=utf-8")
        request.headers.add(name: "User-Agent", value: "styrbord-webhooks/1")
        request.headers.add(name: "Styrbord-Webhook-Id", value: delivery.deliveryId.uuidString.lowercased())
        request.headers.add(name: "Styrbord-Webhook-Attempt", value: String(delivery.attempt))
        request.headers.add(name: "Styrbord-Webhook-Timestamp", value: String(timestamp))
        request.headers.add(name: "Styrbord-Webhook-Event-Id", value: delivery.eventId)
        request.headers.add(name: "Styrbord-Webhook-Event-Type", value: delivery.eventType)
        request.headers.add(
            name: "Styrbord-Webhook-Signature",
            value: WebhookSignature.header(secrets: delivery.secrets, timestamp: timestamp, body: delivery.body))
        request.body = .bytes(ByteBuffer(bytes: delivery.body))
        do {
            let response = try await client.execute(request, timeout: .init(configuration.timeout))
            // Read (and drop) a bounded answer so the connection can be reused.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            let code = Int(response.status.code)
            let error = (200..<300).contains(code) ? nil : "the receiver answered HTTP \(code)"
            return Outcome(started: started, duration: .now - clock, statusCode: code, error: error)
        } catch {
            return Outcome(started: started, duration: .now - clock, statusCode: nil, error: "\(error)")
        }
    }

    func record(_ outcome: Outcome, of delivery: Claimed) async throws {
        let configuration = configuration
        try await pool.withTransaction { connection in
            try await connection.execute(
                """
                INSERT INTO webhook_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, succeeded)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                """,
                [delivery.deliveryId, delivery.attempt, outcome.started,
                 Int(outcome.duration.seconds * 1_000), outcome.statusCode, outcome.error, outcome.succeeded])
            if outcome.succeeded {
                try await connection.execute(
                    """
                    UPDATE webhook_deliveries SET status = 'delivered', delivered_at = now(), leased_until = NULL, last_error = NULL
                    WHERE delivery_id = $1 AND status = 'pending'
                    """, [delivery.deliveryId])
                try await connection.execute(
                    "UPDATE webhook_subscriptions SET consecutive_failures = 0 WHERE subscription_id = $1 AND consecutive_failures <> 0",
                    [delivery.subscriptionId])
                return
            }
            let givingUp = delivery.attempt >= configuration.maximumAttempts
            try await connection.execute(
                """
                UPDATE webhook_deliveries SET status = CASE WHEN $2::boolean THEN 'failed' ELSE 'pending' END, leased_until = NULL,
                    last_error = $3, next_attempt_at = now() + make_interval(secs => $4)
                WHERE delivery_id = $1 AND status = 'pending'
                """,
                [delivery.deliveryId, givingUp, outcome.error, configuration.backoff(afterAttempt: delivery.attempt).seconds])
            let paused = try await connection.query(
                """
                UPDATE webhook_subscriptions SET consecutive_failures = consecutive_failures + 1,
                    status = CASE WHEN status = 'active' AND consecutive_failures + 1 >= $2 THEN 'paused' ELSE status END,
                    paused_reason = CASE WHEN status = 'active' AND consecutive_failures + 1 >= $2
                        THEN 'paused after ' || (consecutive_failures + 1) || ' failed deliveries in a row; the last: ' || $3::text
                        ELSE paused_reason END,
                    version = CASE WHEN status = 'active' AND consecutive_failures + 1 >= $2 THEN version + 1 ELSE version END
                WHERE subscription_id = $1
                RETURNING status
                """, [delivery.subscriptionId, configuration.pauseAfterFailures, outcome.error ?? ""])
            if (try? paused.first?.decode("status", as: String.self)) == "paused" {
                logger.warning("webhook subscription paused", metadata: ["subscription": "\(delivery.subscriptionId)"])
            }
        }
        Counter(label: "styrbord_webhook_attempts_total", dimensions: [("outcome", outcome.succeeded ? "delivered" : "failed")])
            .increment()
    }
}
