import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Persistence
import ServiceKit

/// One queued delivery of an event to a subscription, as `GET …/deliveries` lists it.
struct WebhookDeliveryResource: Codable, Sendable {
    var deliveryId: UUID
    var subscriptionId: UUID
    var eventId: String
    var eventType: String
    /// `pending` (waiting or retrying), `delivered`, or `failed` (given up).
    var status: String
    var attempts: Int
    var nextAttemptAt: Date?
    var lastError: String?
    var createdAt: Date
    var deliveredAt: Date?

    init(row: PostgresRow) throws {
        deliveryId = try row.decode("delivery_id")
        subscriptionId = try row.decode("subscription_id")
        eventId = try row.decode("event_id")
        eventType = try row.decode("event_type")
        status = try row.decode("status")
        attempts = try row.decode("attempts")
        nextAttemptAt = status == "pending" ? try row.decode("next_attempt_at", as: Date.self) : nil
        lastError = try row.decode("last_error")
        createdAt = try row.decode("created_at")
        deliveredAt = try row.decode("delivered_at")
    }
}

/// One attempt to deliver, successful or not.
struct WebhookAttemptResource: Codable, Sendable {
    var attempt: Int
    var startedAt: Date
    var durationMs: Int
    var statusCode: Int?
    var error: String?
    var succeeded: Bool

    init(row: PostgresRow) throws {
        attempt = try row.decode("attempt")
        startedAt = try row.decode("started_at")
        durationMs = try row.decode("duration_ms")
        statusCode = try row.decode("status_code")
        error = try row.decode("error")
        succeeded = try row.decode("succeeded")
    }
}

extension NotificationsService {
    static func addWebhookRoutes(to router: Router<StyrbordRequestContext>, pool: PostgresPool) {
        let subscriptions = WebhookSubscriptionRepository(pool: pool)

        router.post("v1/webhooks") { request, context in
            try await Idempotency.respond(to: request, context: context, pool: pool) { body, identity, connection in
                let input = try JSONRequest.decode(WebhookSubscriptionInput.self, from: body)
                let created = try await subscriptions.create(input, by: identity, on: connection)
                return try .json(created, status: .created, location: created.location, etag: created.etag)
            }
        }
        router.get("v1/webhooks") { request, context in
            try JSONResponse.make(try await subscriptions.list(try PageRequest(request), visibleTo: try context.requireIdentity()))
        }
        router.get("v1/webhooks/:subscription") { _, context in
            let found = try await subscriptions.find(try context.subscriptionParameter(), visibleTo: try context.requireIdentity())
            return try JSONResponse.make(found, headers: [.eTag: found.etag])
        }
        router.put("v1/webhooks/:subscription") { request, context in
            let id = try context.subscriptionParameter()
            let version = try request.ifMatchVersion()
            return try await Idempotency.respond(to: request, context: context, pool: pool) { body, identity, connection in
                let input = try JSONRequest.decode(WebhookSubscriptionInput.self, from: body)
                let changed = try await subscriptions.replace(id, with: input, ifMatch: version ?? 0, by: identity, on: connection)
                return try .json(changed, etag: changed.etag)
            }
        }
        router.delete("v1/webhooks/:subscription") { request, context in
            let id = try context.subscriptionParameter()
            return try await Idempotency.respond(to: request, context: context, pool: pool) { _, identity, connection in
                try await subscriptions.delete(id, by: identity, on: connection)
                return StoredResponse(status: .noContent, body: [])
            }
        }
        router.post("v1/webhooks/:subscription/pause") { request, context in
            let id = try context.subscriptionParameter()
            return try await Idempotency.respond(to: request, context: context, pool: pool) { body, identity, connection in
                let input = body.readableBytes == 0 ? PauseInput() : try JSONRequest.decode(PauseInput.self, from: body)
                let paused = try await subscriptions.pause(id, reason: input.reason, by: identity, on: connection)
                return try .json(paused, etag: paused.etag)
            }
        }
        router.post("v1/webhooks/:subscription/resume") { request, context in
            let id = try context.subscriptionParameter()
            return try await Idempotency.respond(to: request, context: context, pool: pool) { _, identity, connection in
                let resumed = try await subscriptions.resume(id, by: identity, on: connection)
                return try .json(resumed, etag: resumed.etag)
            }
        }
        router.post("v1/webhooks/:subscription/rotate-secret") { request, context in
            let id = try context.subscriptionParameter()
            return try await Idempotency.respond(to: request, context: context, pool: pool) { body, identity, connection in
                let input = body.readableBytes == 0
                    ? SecretRotationInput() : try JSONRequest.decode(SecretRotationInput.self, from: body)
                let rotated = try await subscriptions.rotateSecret(
                    id, graceHours: input.graceHours ?? 24, by: identity, on: connection)
                return try .json(rotated, etag: rotated.etag)
            }
        }

        router.get("v1/webhooks/:subscription/deliveries") { request, context in
            let identity = try context.requireIdentity()
            let id = try context.subscriptionParameter()
            let status = try request.queryChoice("status", allowed: ["pending", "delivered", "failed"])
            let page = try PageRequest(request)
            _ = try await subscriptions.find(id, visibleTo: identity)
            let rows = try await pool.withConnection {
                try await $0.query(
                    """
                    SELECT d.*, e.event_type FROM webhook_deliveries d JOIN webhook_events e ON e.event_id = d.event_id
                    WHERE d.subscription_id = $1 AND ($2::text IS NULL OR d.status = $2::text) AND d.seq > $3
                    ORDER BY d.seq LIMIT $4
                    """, [id, status, Int64(page.cursor ?? "0") ?? 0, page.limit + 1])
            }
            return try JSONResponse.make(try Page.from(rows, limit: page.limit, decode: WebhookDeliveryResource.init(row:)))
        }
        router.get("v1/webhooks/:subscription/deliveries/:delivery/attempts") { _, context in
            let identity = try context.requireIdentity()
            let id = try context.subscriptionParameter()
            let delivery = try context.deliveryParameter()
            _ = try await subscriptions.find(id, visibleTo: identity)
            let rows = try await pool.withConnection { connection in
                let owned = try await connection.query(
                    "SELECT 1 FROM webhook_deliveries WHERE delivery_id = $1 AND subscription_id = $2", [delivery, id])
                guard !owned.isEmpty else { throw Problem.notFound("no delivery \(delivery.uuidString.lowercased()) of this subscription") }
                return try await connection.query(
                    "SELECT * FROM webhook_attempts WHERE delivery_id = $1 ORDER BY seq", [delivery])
            }
            return try JSONResponse.make(["items": try rows.map(WebhookAttemptResource.init(row:))])
        }
        router.post("v1/webhooks/:subscription/deliveries/:delivery/redeliver") { request, context in
            let id = try context.subscriptionParameter()
            let delivery = try context.deliveryParameter()
            return try await Idempotency.respond(to: request, context: context, pool: pool) { _, identity, connection in
                try identity.require(anyOf: WebhookSubscriptionRepository.managers, to: "redelivering a webhook delivery")
                let rows = try await connection.query(
                    """
                    UPDATE webhook_deliveries d SET status = 'pending', next_attempt_at = now(), leased_until = NULL
                    FROM webhook_events e
                    WHERE d.delivery_id = $1 AND d.subscription_id = $2 AND e.event_id = d.event_id
                      AND EXISTS (SELECT 1 FROM webhook_subscriptions s WHERE s.subscription_id = $2 AND s.status <> 'deleted')
                    RETURNING d.*, e.event_type
                    """, [delivery, id])
                guard let row = rows.first else {
                    throw Problem.notFound("no delivery \(delivery.uuidString.lowercased()) of webhook \(id.uuidString.lowercased())")
                }
                return try .json(try WebhookDeliveryResource(row: row), status: .accepted)
            }
        }
    }
}

extension RequestContext {
    func subscriptionParameter() throws(Problem) -> UUID {
        guard let id = parameters.get("subscription").flatMap(UUID.init(uuidString:)) else {
            throw Problem.validation([.init(name: "subscription", reason: "must be a webhook subscription id (UUID)")])
        }
        return id
    }

    func deliveryParameter() throws(Problem) -> UUID {
        guard let id = parameters.get("delivery").flatMap(UUID.init(uuidString:)) else {
            throw Problem.validation([.init(name: "delivery", reason: "must be a delivery id (UUID)")])
        }
        return id
    }
}
