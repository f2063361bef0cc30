import Contracts
import Crypto
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Persistence
import ServiceKit

/// An integration's subscription to the event catalogue: where to deliver, which event
/// types (none listed: all), and its state. The signing secret is shown only in the
/// answer that creates or rotates it (`secret`), never when listed.
struct WebhookSubscription: Codable, Sendable {
    var subscriptionId: UUID
    var url: String
    var description: String
    var eventTypes: [String]
    /// `active` or `paused` (by an admin, or after repeated failed deliveries).
    var status: String
    var pausedReason: String?
    var consecutiveFailures: Int
    /// Until then deliveries are signed with the previous secret too (after a rotation).
    var previousSecretValidUntil: Date?
    var createdBy: String
    var createdAt: Date
    var updatedAt: Date
    var version: Int
    var secret: String?

    var etag: String { "\"\(version)\"" }
    var location: String { "/v1/webhooks/\(subscriptionId.uuidString.lowercased())" }

    init(row: PostgresRow, revealingSecret: Bool = false) throws {
        subscriptionId = try row.decode("subscription_id")
        url = try row.decode("url")
        description = try row.decode("description")
        eventTypes = try row.decode("event_types")
        status = try row.decode("status")
        pausedReason = try row.decode("paused_reason")
        consecutiveFailures = try row.decode("consecutive_failures")
        let until = try row.decode("previous_secret_until", as: Date?.self)
        previousSecretValidUntil = until.flatMap { $0 > Date() ? $0 : nil }
        createdBy = try row.decode("created_by")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
        version = try row.decode("version")
        secret = revealingSecret ? try row.decode("secret") : nil
    }
}

/// What `POST /v1/webhooks` and `PUT /v1/webhooks/{id}` send.
struct WebhookSubscriptionInput: Codable, Sendable {
    var url: String
    var description: String
    var eventTypes: [String]?

    static var knownEventTypes: Set<String> { Set(EventCatalogue.all.map { $0.eventType }) }

    /// Every broken rule, each naming its field.
    func validationProblems() -> [Problem.InvalidParameter] {
        var problems: [Problem.InvalidParameter] = []
        if let reason = Self.urlProblem(url) { problems.append(.init(name: "url", reason: reason)) }
        let trimmed = description.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty || trimmed.count > 500 {
            problems.append(.init(name: "description", reason: "must be 1–500 characters saying who receives and why"))
        }
        let known = Self.knownEventTypes
        for (index, type) in (eventTypes ?? []).enumerated() where !known.contains(type) {
            problems.append(
                .init(name: "eventTypes[\(index)]", reason: "\(type) is not an event type of the catalogue (docs/events/README.md)"))
        }
        return problems
    }

    static func urlProblem(_ text: String) -> String? {
        guard text.utf8.count <= 2_000, let url = URL(string: text), let scheme = url.scheme?.lowercased() else {
            return "must be an absolute http or https URL of at most 2000 characters"
        }
        guard scheme == "https" || scheme == "http" else { return "must use https (or http on a trusted network), not \(scheme)" }
        guard let host = url.host, !host.isEmpty else { return "must name a host" }
        guard url.user == nil && url.password == nil else {
            return "must not carry credentials: deliveries are signed instead (see the signature recipe)"
        }
        guard url.fragment == nil else { return "must not have a fragment" }
        return nil
    }

    /// The filter as stored: each type once, in catalogue order of first mention.
    var normalisedEventTypes: [String] {
        var seen: Set<String> = []
        return (eventTypes ?? []).filter { seen.insert($0).inserted }
    }
}

/// `POST /v1/webhooks/{id}/rotate-secret`: how long the old secret keeps signing too.
struct SecretRotationInput: Codable, Sendable {
    var graceHours: Int?
}

/// `POST /v1/webhooks/{id}/pause`: why (shown to whoever looks at the subscription).
struct PauseInput: Codable, Sendable {
    var reason: String?
}

/// Subscriptions in the service's schema. Admins manage them; auditors read them.
struct WebhookSubscriptionRepository: Sendable {
    let pool: PostgresPool

    static let managers: Set<Role> = [.admin]
    static let readers: Set<Role> = [.admin, .auditor]

    /// A signing secret: 32 random bytes, hex, behind a recognisable prefix. The receiver
    /// uses the whole text, prefix included, as the HMAC key (its UTF-8 bytes).
    static func newSecret() -> String {
        "whsec_" + Idempotency.hex(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    func create(_ input: WebhookSubscriptionInput, by identity: Identity, on connection: PostgresConnection) async throws
        -> WebhookSubscription
    {
        try identity.require(anyOf: Self.managers, to: "registering a webhook")
        try Problem.throwIfAny(input.validationProblems())
        let rows = try await connection.query(
            """
            INSERT INTO webhook_subscriptions (subscription_id, url, description, event_types, secret, status, created_by,
                                               created_at, updated_at)
            VALUES (gen_random_uuid(), $1, $2, $3, $4, 'active', $5, now(), now())
            RETURNING *
            """,
            [input.url, input.description.trimmingCharacters(in: .whitespacesAndNewlines), input.normalisedEventTypes,
             Self.newSecret(), identity.subject])
        return try WebhookSubscription(row: rows[0], revealingSecret: true)
    }

    func list(_ page: PageRequest, visibleTo identity: Identity) async throws -> Page<WebhookSubscription> {
        try identity.require(anyOf: Self.readers, to: "reading webhook subscriptions")
        let after = Int64(page.cursor ?? "0") ?? 0
        let rows = try await pool.withConnection {
            try await $0.query(
                "SELECT * FROM webhook_subscriptions WHERE status <> 'deleted' AND seq > $1 ORDER BY seq LIMIT $2",
                [after, page.limit + 1])
        }
        return try Page.from(rows, limit: page.limit) { try WebhookSubscription(row: $0) }
    }

    func find(_ id: UUID, visibleTo identity: Identity) async throws -> WebhookSubscription {
        try identity.require(anyOf: Self.readers, to: "reading webhook subscriptions")
        let rows = try await pool.withConnection {
            try await $0.query("SELECT * FROM webhook_subscriptions WHERE subscription_id = $1 AND status <> 'deleted'", [id])
        }
        return try WebhookSubscription(row: try rows.first.orThrow(Self.notFound(id)))
    }

    static func notFound(_ id: UUID) -> Problem {
        Problem.notFound("no webhook subscription \(id.uuidString.lowercased())")
    }

    /// Locks the subscription for a change, or answers 404.
    private func lock(_ id: UUID, on connection: PostgresConnection) async throws -> WebhookSubscription {
        let rows = try await connection.query(
            "SELECT * FROM webhook_subscriptions WHERE subscription_id = $1 AND status <> 'deleted' FOR UPDATE", [id])
        return try WebhookSubscription(row: try rows.first.orThrow(Self.notFound(id)))
    }

    func replace(
        _ id: UUID, with input: WebhookSubscriptionInput, ifMatch version: Int, by identity: Identity,
        on connection: PostgresConnection
    ) async throws -> WebhookSubscription {
        try identity.require(anyOf: Self.managers, to: "changing a webhook")
        try Problem.throwIfAny(input.validationProblems())
        let current = try await lock(id, on: connection)
        guard current.version == version else { throw Problem.preconditionFailed(current: current.etag) }
        let rows = try await connection.query(
            """
            UPDATE webhook_subscriptions SET url = $2, description = $3, event_types = $4, updated_at = now(),
                version = version + 1
            WHERE subscription_id = $1 RETURNING *
            """,
            [id, input.url, input.description.trimmingCharacters(in: .whitespacesAndNewlines), input.normalisedEventTypes])
        return try WebhookSubscription(row: rows[0])
    }

    /// Stops deliveries until resumed; queued ones wait, and new events still queue.
    func pause(_ id: UUID, reason: String?, by identity: Identity, on connection: PostgresConnection) async throws
        -> WebhookSubscription
    {
        try identity.require(anyOf: Self.managers, to: "pausing a webhook")
        _ = try await lock(id, on: connection)
        let rows = try await connection.query(
            """
            UPDATE webhook_subscriptions SET status = 'paused', paused_reason = $2, updated_at = now(), version = version + 1
            WHERE subscription_id = $1 RETURNING *
            """, [id, reason ?? "paused by \(identity.subject)"])
        return try WebhookSubscription(row: rows[0])
    }

    /// Active again: the failure count starts over and every waiting delivery is due now.
    func resume(_ id: UUID, by identity: Identity, on connection: PostgresConnection) async throws -> WebhookSubscription {
        try identity.require(anyOf: Self.managers, to: "resuming a webhook")
        _ = try await lock(id, on: connection)
        let rows = try await connection.query(
            """
            UPDATE webhook_subscriptions SET status = 'active', paused_reason = NULL, consecutive_failures = 0,
                updated_at = now(), version = version + 1
            WHERE subscription_id = $1 RETURNING *
            """, [id])
        try await connection.execute(
            "UPDATE webhook_deliveries SET next_attempt_at = now() WHERE subscription_id = $1 AND status = 'pending'", [id])
        return try WebhookSubscription(row: rows[0])
    }

    /// A new secret; the old one keeps signing beside it for `graceHours` (default 24).
    func rotateSecret(_ id: UUID, graceHours: Int, by identity: Identity, on connection: PostgresConnection) async throws
        -> WebhookSubscription
    {
        try identity.require(anyOf: Self.managers, to: "rotating a webhook's secret")
        guard (0...168).contains(graceHours) else {
            throw Problem.validation([.init(name: "graceHours", reason: "must be 0–168 hours")])
        }
        _ = try await lock(id, on: connection)
        let rows = try await connection.query(
            """
            UPDATE webhook_subscriptions SET previous_secret = secret, secret = $2,
                previous_secret_until = now() + make_interval(hours => $3), updated_at = now(), version = version + 1
            WHERE subscription_id = $1 RETURNING *
            """, [id, Self.newSecret(), graceHours])
        return try WebhookSubscription(row: rows[0], revealingSecret: true)
    }

    /// Ends the subscription; what was still waiting is marked failed with the reason.
    func delete(_ id: UUID, by identity: Identity, on connection: PostgresConnection) async throws {
        try identity.require(anyOf: Self.managers, to: "deleting a webhook")
        _ = try await lock(id, on: connection)
        try await connection.execute(
            "UPDATE webhook_subscriptions SET status = 'deleted', updated_at = now(), version = version + 1 WHERE subscription_id = $1",
            [id])
        try await connection.execute(
            """
            UPDATE webhook_deliveries SET status = 'failed', last_error = 'the subscription was deleted'
            WHERE subscription_id = $1 AND status = 'pending'
            """, [id])
    }
}
