import Contracts
import Domain
import Foundation
import Hummingbird
import Logging
import Persistence
import ServiceKit

/// The notifications service: records, per recipient, what the steering model says they
/// must be told (the rules file `Data/rules.v1.json`), readable as an in-app feed per
/// person with read state, muted by preference where the guideline allows, and as
/// evidence of the guideline's informing duties.
public enum NotificationsService {
    /// The rules shipped with the service, read once; a broken file stops the start.
    static let bundledRules = Result { () throws(NotificationRulesError) -> NotificationRules in
        try NotificationRules.bundled()
    }

    public static let definition = ServiceDefinition(
        name: "notifications", defaultPort: 8085,
        migrations: { try Migration.service(in: .module, service: "notifications") },
        publishes: [], consumes: Topic.all,
        handler: { event, connection in try await handle(event, rules: try bundledRules.get(), on: connection) },
        prepare: { resources in
            let rules = try bundledRules.get()
            resources.logger.info(
                "notification rules loaded",
                metadata: ["version": "\(rules.version)", "kinds": "\(rules.kinds.count)", "events": "\(rules.events.count)"])
        },
        backgroundServices: { resources, environment in
            let webhooks = WebhookDeliveryService(
                pool: resources.pool, configuration: try WebhookConfiguration.load(from: environment), logger: resources.logger)
            guard let smtp = try SMTPConfiguration.load(from: environment) else {
                resources.logger.warning("no STYRBORD_SMTP_HOST: e-mail deliveries are queued but not sent")
                return [webhooks]
            }
            let client = SMTPClient(configuration: smtp)
            return [
                webhooks, EmailDeliveryService(pool: resources.pool, client: client, logger: resources.logger),
                DigestService(
                    pool: resources.pool, client: client, schedule: try DigestSchedule.load(from: environment),
                    logger: resources.logger),
            ]
        },
        routes: { router, resources in
            do {
                addRoutes(to: router, resources: resources, rules: try bundledRules.get())
            } catch {
                // `prepare` has already stopped the start with this error; nothing to serve.
                resources.logger.critical("notification rules unusable", metadata: ["error": "\(error)"])
            }
        })

    /// Records the notifications `event` causes inside the inbox transaction: once per
    /// (event, recipient organisation, role, channel), whatever the redelivery.
    static func handle(_ event: CloudEvent, rules: NotificationRules, on connection: PostgresConnection) async throws {
        try await WebhookQueue.enqueue(event, on: connection)
        switch event.type {
        case OrganisationRegisteredV1.eventType:
            return try await remember(try event.decode(OrganisationRegisteredV1.self).organisation, on: connection)
        case OrganisationUpdatedV1.eventType:
            return try await remember(try event.decode(OrganisationUpdatedV1.self).organisation, on: connection)
        default:
            break
        }
        guard rules.handles(event.type) else { return }
        let planned: [PlannedNotification]
        do {
            planned = try rules.notifications(for: event, directory: try await directory(on: connection))
        } catch let error as NotificationRulesError {
            throw EventRejected(error.description)
        }
        guard !planned.isEmpty else { return }
        for notification in planned {
            let initiative = notification.initiativeId ?? (notification.exemptionId == nil ? event.subject : nil)
            if let initiative, InitiativeID(initiative) == nil {
                throw EventRejected("event \(event.type) names \(initiative) as its initiative, which is not a UUID")
            }
            if let exemption = notification.exemptionId, UUID(uuidString: exemption) == nil {
                throw EventRejected("event \(event.type) names \(exemption) as its exemption, which is not a UUID")
            }
            guard initiative != nil || notification.exemptionId != nil else {
                throw EventRejected("event \(event.type) names neither an initiative nor an exemption")
            }
            try await connection.execute(
                """
                INSERT INTO notifications (notification_id, event_id, event_type, initiative_id, exemption_id,
                    recipient_organisation, recipient_role, kind, mandatory, title_sv, body_sv, action_sv,
                    title_en, body_en, action_en, due_on, link, rules_version, event_time, created_at)
                VALUES ($1, $2, $3, $4::uuid, $5::uuid, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::date, $17, $18,
                        $19, $20)
                ON CONFLICT (event_id, recipient_organisation, recipient_role, channel) DO NOTHING
                """,
                [UUID(), event.id, event.type, initiative, notification.exemptionId, notification.organisation,
                 notification.role, notification.kind, notification.mandatory, notification.titleSwedish,
                 notification.bodySwedish, notification.actionSwedish, notification.titleEnglish,
                 notification.bodyEnglish, notification.actionEnglish, notification.dueOn, notification.link,
                 notification.rulesVersion, event.time, Date()])
        }
        try await EmailQueue.enqueue(forEvent: event.id, on: connection)
    }

    /// Keeps an organisation's names as the registry last announced them.
    static func remember(_ organisation: OrganisationRecord, on connection: PostgresConnection) async throws {
        try await connection.execute(
            """
            INSERT INTO organisations (organisation_id, name, board, active, updated_at) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (organisation_id) DO UPDATE
                SET name = EXCLUDED.name, board = EXCLUDED.board, active = EXCLUDED.active, updated_at = EXCLUDED.updated_at
            """,
            [organisation.organisationId.rawValue, organisation.name, organisation.board, organisation.active, Date()])
    }

    /// The organisations' names for the messages (the registry is a few dozen rows).
    static func directory(on connection: PostgresConnection) async throws -> [String: OrganisationNames] {
        let rows = try await connection.query("SELECT organisation_id, name, board FROM organisations")
        var directory: [String: OrganisationNames] = [:]
        for row in rows {
            directory[try row.decode("organisation_id")] = OrganisationNames(name: try row.decode("name"), board: try row.decode("board"))
        }
        return directory
    }

    static func addRoutes(to router: Router<StyrbordRequestContext>, resources: ServiceResources, rules: NotificationRules) {
        let pool = resources.pool
        let feed = FeedRepository(pool: pool, rules: rules)
        let preferences = PreferencesRepository(pool: pool, rules: rules)

        router.get("v1/notifications") { request, context in
            let identity = try context.requireIdentity()
            let query = request.uri.queryParameters
            var problems: [Problem.InvalidParameter] = []
            let initiative = query["initiativeId"].map(String.init)
            if let initiative, InitiativeID(initiative) == nil {
                problems.append(.init(name: "initiativeId", reason: "must be a UUID"))
            }
            let exemption = query["exemptionId"].map(String.init)
            if let exemption, UUID(uuidString: exemption) == nil {
                problems.append(.init(name: "exemptionId", reason: "must be a UUID"))
            }
            try Problem.throwIfAny(problems)
            let filter = FeedRepository.Filter(
                organisation: query["organisationId"].map(String.init), role: query["role"].map(String.init),
                initiative: initiative, exemption: exemption,
                unreadOnly: try request.queryChoice("unread", allowed: ["true", "false"]) == "true")
            let hidden = try await preferences.find(identity.subject)?.hiddenKinds(in: rules) ?? []
            return try JSONResponse.make(
                try await feed.list(try PageRequest(request), filter: filter, visibleTo: identity, hiding: hidden))
        }
        router.get("v1/notifications/:notification") { _, context in
            let identity = try context.requireIdentity()
            let id = try context.notificationParameter()
            return try JSONResponse.make(try await feed.find(id, visibleTo: identity))
        }
        router.post("v1/notifications/:notification/read") { request, context in
            let id = try context.notificationParameter()
            return try await Idempotency.respond(to: request, context: context, pool: pool) { _, identity, connection in
                try .json(try await feed.markRead(id, by: identity, on: connection))
            }
        }

        router.get("v1/notification-kinds") { _, context in
            _ = try context.requireIdentity()
            return try JSONResponse.make(KindCatalogue(rules: rules))
        }

        router.get("v1/preferences") { _, context in
            let identity = try context.requireIdentity()
            return try JSONResponse.make(
                try await preferences.find(identity.subject) ?? PreferencesResource.defaults(for: identity))
        }
        router.put("v1/preferences") { request, context in
            try await Idempotency.respond(to: request, context: context, pool: pool) { body, identity, connection in
                let input = try JSONRequest.decode(PreferencesInput.self, from: body)
                try Problem.throwIfAny(input.validationProblems(rules: rules, email: identity.email))
                return try .json(try await preferences.replace(with: input, for: identity, on: connection))
            }
        }

        addWebhookRoutes(to: router, pool: pool)

        router.get("v1/evidence") { request, context in
            let identity = try context.requireIdentity()
            try identity.require(anyOf: [.ssg, .auditor, .admin], to: "reading the evidence of informing duties")
            let query = request.uri.queryParameters
            let initiative = query["initiativeId"].map(String.init)
            let exemption = query["exemptionId"].map(String.init)
            var problems: [Problem.InvalidParameter] = []
            switch (initiative, exemption) {
            case (nil, nil), (.some, .some):
                problems.append(.init(name: "initiativeId", reason: "give exactly one of initiativeId and exemptionId"))
            case (.some(let text), nil) where InitiativeID(text) == nil:
                problems.append(.init(name: "initiativeId", reason: "must be a UUID"))
            case (nil, .some(let text)) where UUID(uuidString: text) == nil:
                problems.append(.init(name: "exemptionId", reason: "must be a UUID"))
            default: break
            }
            try Problem.throwIfAny(problems)
            return try JSONResponse.make(
                try await feed.evidence(try PageRequest(request), initiative: initiative, exemption: exemption))
        }
    }
}

extension Problem {
    /// Throws a 422 listing every broken rule, when there is any.
    static func throwIfAny(_ problems: [InvalidParameter]) throws(Problem) {
        if !problems.isEmpty { throw Problem.validation(problems) }
    }
}

extension RequestContext {
    /// The notification id in the path; a 422 problem when it is not a UUID.
    func notificationParameter(_ name: String = "notification") throws(Problem) -> UUID {
        guard let id = parameters.get(name).flatMap(UUID.init(uuidString:)) else {
            throw Problem.validation([.init(name: name, reason: "must be a notification id (UUID)")])
        }
        return id
    }
}

/// The notification kinds the rules declare, for clients that offer preferences.
struct KindCatalogue: Encodable, Sendable {
    struct Entry: Encodable, Sendable {
        var kind: String
        var mandatory: Bool
        var duty: NotificationRules.Duty?
        var eventTypes: [String]
    }

    var rulesVersion: Int
    var kinds: [Entry]

    init(rules: NotificationRules) {
        rulesVersion = rules.version
        kinds = rules.kinds.keys.sorted().compactMap { id in
            guard let kind = rules.kinds[id] else { return nil }
            let events = rules.events.filter { $0.value.contains { $0.kind == id } }.keys.sorted()
            return Entry(kind: id, mandatory: kind.mandatory, duty: kind.duty, eventTypes: events)
        }
    }
}
