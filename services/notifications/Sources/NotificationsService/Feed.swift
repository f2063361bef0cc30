import Domain
import Foundation
import Persistence
import ServiceKit

/// A notification as the feed shows it to one caller (`readAt` is the caller's own).
struct NotificationResource: Codable, Sendable {
    struct Text: Codable, Sendable {
        var title: String
        /// What happened.
        var body: String
        /// What the recipient is expected to do, and by when.
        var action: String?
    }

    var notificationId: UUID
    var initiativeId: InitiativeID?
    /// Set when it is about an exemption (avsteg), which is no initiative; lowercase UUID.
    var exemptionId: String?
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
    var dueOn: String?
    var link: String?
    var rulesVersion: Int?
    var createdAt: Date
    var readAt: Date?
}

extension NotificationResource {
    init(row: PostgresRow) throws {
        self.init(
            notificationId: try row.decode("notification_id"),
            initiativeId: try row.decode("initiative_id", as: UUID?.self).map(InitiativeID.init),
            exemptionId: try row.decode("exemption_id", as: UUID?.self).map { $0.uuidString.lowercased() },
            eventId: try row.decode("event_id"), eventType: try row.decode("event_type"),
            recipientOrganisation: try row.decode("recipient_organisation"),
            recipientRole: try row.decode("recipient_role"), channel: try row.decode("channel"),
            kind: try row.decode("kind"), mandatory: try row.decode("mandatory"),
            sv: Text(title: try row.decode("title_sv"), body: try row.decode("body_sv"), action: try row.decode("action_sv", as: String?.self)),
            en: Text(title: try row.decode("title_en"), body: try row.decode("body_en"), action: try row.decode("action_en", as: String?.self)),
            dueOn: try row.decode("due_on", as: String?.self), link: try row.decode("link", as: String?.self),
            rulesVersion: try row.decode("rules_version", as: Int?.self), createdAt: try row.decode("created_at"),
            readAt: try row.decode("read_at", as: Date?.self))
    }
}

/// Who sees a notification addressed to an organisation and a role: auditors and admins
/// all; SSG members everything addressed to SSG (they come from many organisations);
/// everyone else what is addressed to their organisation and one of their roles, and
/// what is addressed to their organisation's board (the board has no login: its
/// preparers in the organisation carry the information to it).
struct Audience: Sendable {
    var everything: Bool
    var ssg: Bool
    var organisation: String
    var roles: [String]

    init(_ identity: Identity) {
        everything = identity.hasAny([.auditor, .admin])
        ssg = identity.has(.ssg)
        organisation = identity.organisationId.rawValue
        roles = identity.roles.map(\.rawValue).sorted()
    }

    /// The SQL condition on `n`, with its parameters numbered from `first`.
    func condition(from first: Int) -> String {
        """
        ($\(first)::boolean OR ($\(first + 1)::boolean AND n.recipient_role = 'ssg')
         OR (n.recipient_organisation = $\(first + 2) AND (n.recipient_role = ANY($\(first + 3)::text[]) OR n.recipient_role = 'board')))
        """
    }

    var parameters: [(any PostgresEncodable)?] { [everything, ssg, organisation, roles] }
}

struct FeedRepository: Sendable {
    struct Filter: Sendable {
        var organisation: String?
        var role: String?
        var initiative: String?
        var exemption: String?
        var unreadOnly: Bool
    }

    let pool: PostgresPool
    let rules: NotificationRules

    static let columns = """
        n.seq, n.notification_id, n.event_id, n.event_type, n.initiative_id, n.exemption_id, n.recipient_organisation,
        n.recipient_role, n.channel, n.kind, n.mandatory, n.title_sv, n.body_sv, n.action_sv, n.title_en, n.body_en,
        n.action_en, n.due_on::text AS due_on, n.link, n.rules_version, n.created_at, r.read_at
        """

    /// The caller's feed: what they may see, without the optional kinds they muted or
    /// moved off the in-app channel, each with the caller's own read state.
    func list(_ page: PageRequest, filter: Filter, visibleTo identity: Identity, hiding hidden: [String]) async throws
        -> Page<NotificationResource>
    {
        let audience = Audience(identity)
        let rows = try await pool.withConnection { connection in
            try await connection.query(
                """
                SELECT \(Self.columns)
                FROM notifications n
                LEFT JOIN notification_reads r ON r.notification_id = n.notification_id AND r.subject = $1
                WHERE n.seq > $2 AND ($3::text IS NULL OR n.recipient_organisation = $3)
                  AND ($4::text IS NULL OR n.recipient_role = $4) AND ($5::uuid IS NULL OR n.initiative_id = $5::uuid)
                  AND ($6::uuid IS NULL OR n.exemption_id = $6::uuid) AND (NOT $7::boolean OR r.read_at IS NULL)
                  AND NOT (n.kind = ANY($8::text[])) AND \(audience.condition(from: 9))
                ORDER BY n.seq LIMIT $13
                """,
                [identity.subject, page.afterSequence, filter.organisation, filter.role, filter.initiative,
                 filter.exemption, filter.unreadOnly, hidden] + audience.parameters + [page.limit + 1])
        }
        return try Page.from(rows, limit: page.limit, decode: NotificationResource.init(row:))
    }

    /// One notification the caller may see; 404 otherwise (whether it exists or not).
    func find(_ id: UUID, visibleTo identity: Identity, on connection: PostgresConnection? = nil) async throws
        -> NotificationResource
    {
        let audience = Audience(identity)
        let sql = """
            SELECT \(Self.columns)
            FROM notifications n
            LEFT JOIN notification_reads r ON r.notification_id = n.notification_id AND r.subject = $1
            WHERE n.notification_id = $2 AND \(audience.condition(from: 3))
            """
        let parameters: [(any PostgresEncodable)?] = [identity.subject, id] + audience.parameters
        let rows: [PostgresRow]
        if let connection {
            rows = try await connection.query(sql, parameters)
        } else {
            rows = try await pool.withConnection { try await $0.query(sql, parameters) }
        }
        return try rows.first.map(NotificationResource.init(row:))
            .orThrow(Problem.notFound("no notification \(id.uuidString) that you can see"))
    }

    /// Marks a notification read for the caller; reading it again keeps the first time.
    func markRead(_ id: UUID, by identity: Identity, on connection: PostgresConnection) async throws -> NotificationResource {
        _ = try await find(id, visibleTo: identity, on: connection)
        try await connection.execute(
            """
            INSERT INTO notification_reads (notification_id, subject, organisation_id, read_at)
            VALUES ($1, $2, $3, $4) ON CONFLICT (notification_id, subject) DO NOTHING
            """, [id, identity.subject, identity.organisationId.rawValue, Date()])
        return try await find(id, visibleTo: identity, on: connection)
    }

    /// When whom was informed of what, for the guideline's informing duties about one
    /// initiative or exemption: every mandatory notification with who read it when.
    func evidence(_ page: PageRequest, initiative: String?, exemption: String?) async throws -> Page<EvidenceItem> {
        let (rows, reads) = try await pool.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT n.seq, n.notification_id, n.initiative_id, n.exemption_id, n.kind, n.rules_version, n.event_id,
                       n.event_type, n.event_time, n.recipient_organisation, n.recipient_role, n.channel, n.title_sv,
                       n.title_en, n.created_at
                FROM notifications n
                WHERE n.mandatory AND n.seq > $1 AND ($2::uuid IS NULL OR n.initiative_id = $2::uuid)
                  AND ($3::uuid IS NULL OR n.exemption_id = $3::uuid)
                ORDER BY n.seq LIMIT $4
                """, [page.afterSequence, initiative, exemption, page.limit + 1])
            let ids = try rows.prefix(page.limit).map { try $0.decode("notification_id", as: UUID.self) }
            let reads = try await connection.query(
                """
                SELECT notification_id, subject, organisation_id, read_at FROM notification_reads
                WHERE notification_id = ANY($1::uuid[]) ORDER BY read_at
                """, [ids])
            return (rows, reads)
        }
        var readsByNotification: [UUID: [EvidenceItem.Read]] = [:]
        for row in reads {
            readsByNotification[try row.decode("notification_id"), default: []].append(
                EvidenceItem.Read(
                    subject: try row.decode("subject"), organisationId: try row.decode("organisation_id"),
                    readAt: try row.decode("read_at")))
        }
        return try Page.from(rows, limit: page.limit) { row in
            let id = try row.decode("notification_id", as: UUID.self)
            let kind = try row.decode("kind", as: String.self)
            return EvidenceItem(
                notificationId: id, initiativeId: try row.decode("initiative_id", as: UUID?.self).map(InitiativeID.init),
                exemptionId: try row.decode("exemption_id", as: UUID?.self).map { $0.uuidString.lowercased() },
                kind: kind, duty: rules.kinds[kind]?.duty, rulesVersion: try row.decode("rules_version", as: Int?.self),
                eventId: try row.decode("event_id"), eventType: try row.decode("event_type"),
                eventTime: try row.decode("event_time", as: Date?.self),
                recipientOrganisation: try row.decode("recipient_organisation"),
                recipientRole: try row.decode("recipient_role"), channel: try row.decode("channel"),
                titleSv: try row.decode("title_sv"), titleEn: try row.decode("title_en"),
                informedAt: try row.decode("created_at"), readBy: readsByNotification[id] ?? [])
        }
    }
}

/// One informing duty fulfilled: what (kind, duty, title), whom (organisation, role,
/// channel), when (informedAt; the event's own time), and who has read it since.
struct EvidenceItem: Encodable, Sendable {
    struct Read: Encodable, Sendable {
        var subject: String
        var organisationId: String
        var readAt: Date
    }

    var notificationId: UUID
    var initiativeId: InitiativeID?
    var exemptionId: String?
    var kind: String
    var duty: NotificationRules.Duty?
    var rulesVersion: Int?
    var eventId: String
    var eventType: String
    var eventTime: Date?
    var recipientOrganisation: String
    var recipientRole: String
    var channel: String
    var titleSv: String
    var titleEn: String
    var informedAt: Date
    var readBy: [Read]
}
