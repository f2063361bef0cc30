import Contracts
import Domain
import Foundation
import Hummingbird
import Persistence
import ServiceKit

/// The notifications service: records, per recipient, what the steering model says they
/// must be told, readable as an in-app feed.
public enum NotificationsService {
    public static let definition = ServiceDefinition(
        name: "notifications", defaultPort: 8085,
        migrations: { try Migration.service(in: .module, service: "notifications") },
        publishes: [], consumes: Topic.all,
        handler: { event, connection in try await handle(event, on: connection) },
        routes: { router, resources in addRoutes(to: router, resources: resources) })

    static func handle(_ event: CloudEvent, on connection: PostgresConnection) async throws {
        let planned = try NotificationRules.notifications(for: event)
        guard !planned.isEmpty else { return }
        guard let initiative = event.subject.flatMap(InitiativeID.init) else {
            throw EventRejected("event \(event.type) has no initiative id as its subject")
        }
        for notification in planned {
            try await connection.execute(
                """
                INSERT INTO notifications (notification_id, event_id, event_type, initiative_id, recipient_organisation,
                    recipient_role, kind, mandatory, title_sv, body_sv, title_en, body_en, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                ON CONFLICT (event_id, recipient_organisation, recipient_role, channel) DO NOTHING
                """,
                [UUID(), event.id, event.type, initiative.rawValue, notification.organisation, notification.role,
                 notification.kind, notification.mandatory, notification.titleSwedish, notification.bodySwedish,
                 notification.titleEnglish, notification.bodyEnglish, Date()])
        }
    }

    static func addRoutes(to router: Router<StyrbordRequestContext>, resources: ServiceResources) {
        let pool = resources.pool
        router.get("v1/notifications") { request, _ in
            let page = try PageRequest(request)
            let query = request.uri.queryParameters
            let organisation = query["organisationId"].map(String.init)
            let role = query["role"].map(String.init)
            let initiative = query["initiativeId"].map(String.init)
            if let initiative, InitiativeID(initiative) == nil {
                throw Problem.validation([.init(name: "initiativeId", reason: "must be a UUID")])
            }
            let rows = try await pool.withConnection { connection in
                try await connection.query(
                    """
                    SELECT * FROM notifications
                    WHERE seq > $1 AND ($2::text IS NULL OR recipient_organisation = $2)
                      AND ($3::text IS NULL OR recipient_role = $3) AND ($4::uuid IS NULL OR initiative_id = $4::uuid)
                    ORDER BY seq LIMIT $5
                    """, [page.afterSequence, organisation, role, initiative, page.limit + 1])
            }
            return try JSONResponse.make(try Page.from(rows, limit: page.limit, decode: NotificationResource.init(row:)))
        }
    }
}

struct NotificationResource: Codable, Sendable {
    struct Text: Codable, Sendable {
        var title: String
        var body: String
    }

    var notificationId: UUID
    var initiativeId: InitiativeID
    var eventId: String
    var eventType: String
    var recipientOrganisation: String
    var recipientRole: String
    var channel: String
    var kind: String
    var mandatory: Bool
    /// Swedish first, English second.
    var sv: Text
    var en: Text
    var createdAt: Date
    var readAt: Date?
}

extension NotificationResource {
    init(row: PostgresRow) throws {
        self.init(
            notificationId: try row.decode("notification_id"), initiativeId: try row.initiativeID(),
            eventId: try row.decode("event_id"), eventType: try row.decode("event_type"),
            recipientOrganisation: try row.decode("recipient_organisation"),
            recipientRole: try row.decode("recipient_role"), channel: try row.decode("channel"),
            kind: try row.decode("kind"), mandatory: try row.decode("mandatory"),
            sv: Text(title: try row.decode("title_sv"), body: try row.decode("body_sv")),
            en: Text(title: try row.decode("title_en"), body: try row.decode("body_en")),
            createdAt: try row.decode("created_at"), readAt: try row.decode("read_at", as: Date?.self))
    }
}
