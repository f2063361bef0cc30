import Contracts
import Domain
import Foundation
import HTTPTypes
import Persistence
import ServiceKit

/// Which needs a caller may see: SSG, auditors and admins all; everyone their own
/// organisation's; suppliers also every common-track need that is not a draft.
struct NeedVisibility: Sendable {
    let all: Bool
    let organisation: String
    let commonTrack: Bool

    init(_ identity: Identity) {
        all = identity.hasAny([.admin, .ssg, .auditor])
        organisation = identity.organisationId.rawValue
        commonTrack = identity.has(.supplier)
    }

    func allows(_ need: NeedResource) -> Bool {
        all || need.organisationId.rawValue == organisation
            || (commonTrack && need.track == .common && need.status != .draft)
    }

    /// The same rule as SQL over `needs`, with its three parameters starting at `$first`.
    func condition(first: Int) -> String {
        "($\(first)::boolean OR organisation_id = $\(first + 1) OR ($\(first + 2)::boolean AND track = 'common' AND status <> 'draft'))"
    }

    var parameters: [(any PostgresEncodable)?] { [all, organisation, commonTrack] }
}

/// Only submitters of the need's own organisation (and admins) change needs.
func requireNeedWriter(_ identity: Identity, organisation: OrganisationID, action: String) throws(Problem) {
    try identity.require(anyOf: [.submitter, .admin], to: action)
    try identity.require(organisation: organisation, to: action)
}

/// Stores needs and their events together: every change and the event announcing it
/// commit in one transaction.
struct NeedRepository: Sendable {
    let pool: PostgresPool
    let eventSource: String
    let organisations: OrganisationRepository

    static let columns = """
        needs.*, ARRAY(SELECT proposal_id FROM proposal_needs WHERE need_id = needs.initiative_id ORDER BY proposal_id)
        AS answered_by
        """

    /// Registers a need as a draft or submits it at once: the row, its event and (with an
    /// `Idempotency-Key`) the remembered answer are written by one statement — one round trip,
    /// atomic without a transaction, nothing when the organisation is not active. A key
    /// another request already used surfaces as `Idempotency.isKeyConflict`.
    func register(
        _ input: NeedInput, by identity: Identity, traceParent: String?,
        idempotency: (key: String, scope: String, requestHash: String)?
    ) async throws -> StoredResponse? {
        let need = input.normalised
        let now = Date()
        let status: NeedStatus = input.draft == true ? .draft : .submitted
        let submitted = status == .submitted
        let resource = NeedResource(
            initiativeId: InitiativeID(), organisationId: need.organisationId, track: need.track, title: need.title,
            description: need.description, category: need.category, driver: need.driver, goalArea: need.goalArea,
            targetGroups: need.targetGroups, expectedBenefits: need.expectedBenefits ?? [], roughCost: need.roughCost,
            urgency: need.urgency, contact: need.contact, links: need.links ?? [], status: status, version: 1,
            createdBy: identity.subject, submittedBy: submitted ? identity.subject : nil, createdAt: now, updatedAt: now,
            submittedAt: submitted ? now : nil, withdrawnAt: nil, withdrawalReason: nil, answeredByProposals: [])
        let id = resource.initiativeId
        let trace = [TraceParent.header: TraceParent.child(of: traceParent)]
        let event = submitted
            ? try CloudEvent(resource.submittedEvent, source: eventSource, subject: id.description, time: now, extensions: trace)
            : try CloudEvent(
                NeedDraftedV1(
                    initiativeId: id, organisationId: need.organisationId, track: need.track, title: need.title,
                    draftedBy: identity.subject, draftedAt: now),
                source: eventSource, subject: id.description, time: now, extensions: trace)
        let response = try StoredResponse.json(resource, status: .created, location: "/v1/needs/\(id)", etag: resource.etag)
        // The structured fields are taken from the answer's JSON ($10), which is encoded
        // anyway, rather than encoded once more each.
        let values: [(any PostgresEncodable)?] = [
            id.rawValue, need.organisationId.rawValue, need.track.rawValue, need.title, need.description,
            need.category.rawValue, need.driver.rawValue, need.goalArea?.rawValue, need.targetGroups.map(\.rawValue),
            String(decoding: response.body, as: UTF8.self), need.urgency?.rawValue, status.rawValue, identity.subject, now,
            submitted ? now : nil, submitted ? identity.subject : nil,
        ]
        let remembered = idempotency.map {
            Idempotency.row(response, key: $0.key, caller: identity.subject, scope: $0.scope, requestHash: $0.requestHash)
        } ?? Array(repeating: nil, count: 8)
        let rows = try await pool.withConnection { connection in
            try await connection.query(
                """
                WITH org AS (SELECT 1 FROM organisations WHERE organisation_id = $2::text AND active),
                need AS (
                    INSERT INTO needs (initiative_id, organisation_id, track, title, description, category, driver,
                                       goal_area, target_groups, expected_benefits, rough_cost, urgency, contact, links,
                                       status, created_by, created_at, updated_at, submitted_at, submitted_by)
                    SELECT $1::uuid, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::text, $9::text[],
                           answer -> 'expectedBenefits', NULLIF(answer -> 'roughCost', 'null'), $11::text,
                           NULLIF(answer -> 'contact', 'null'), answer -> 'links', $12::text, $13::text,
                           $14::timestamptz, $14::timestamptz, $15::timestamptz, $16::text
                    FROM org, (SELECT $10::jsonb AS answer) a
                    RETURNING initiative_id
                ), event AS (
                    INSERT INTO outbox (\(Outbox.columns))
                    SELECT $17::text, $18::text, $19::text, $20::text, $21::jsonb, $22::bytea FROM need
                    RETURNING 1
                ), remembered AS (
                    INSERT INTO idempotency_keys (\(Idempotency.columns))
                    SELECT $23::text, $24::text, $25::text, $26::text, $27::integer, $28::bytea, $29::text, $30::text
                    FROM need WHERE $24::text IS NOT NULL
                    RETURNING 1
                )
                SELECT (SELECT count(*) FROM need) AS created, (SELECT count(*) FROM event) AS events
                """, values + Outbox.row(for: event, topic: Topic.intake, key: id.description) + remembered)
        }
        guard try rows.first?.decode("created", as: Int.self) == 1 else { return nil }
        return response
    }

    /// Replaces a need's editable fields at the version the caller read. A submitted
    /// need's edit is announced with the fields that changed; a withdrawn need is final.
    func update(
        _ id: InitiativeID, with input: NeedInput, ifMatch version: Int, by identity: Identity, traceParent: String?,
        on connection: PostgresConnection
    ) async throws -> NeedResource {
        let current = try await lockedVisible(id, by: identity, on: connection)
        try requireNeedWriter(identity, organisation: current.organisationId, action: "changing a need")
        guard current.version == version else { throw Problem.preconditionFailed(current: current.etag) }
        guard current.status != .withdrawn else { throw Problem.conflict("need \(id) is withdrawn and can no longer change") }
        guard input.organisationId == current.organisationId else {
            throw Problem.validation([.init(name: "organisationId", reason: "cannot change; register a new need instead")])
        }
        let need = input.normalised
        let changed = need.changedFields(comparedTo: current.input)
        guard !changed.isEmpty else { return current }
        let now = Date()
        try await connection.execute(
            """
            UPDATE needs SET track = $2, title = $3, description = $4, category = $5, driver = $6, goal_area = $7,
                target_groups = $8, expected_benefits = $9::jsonb, rough_cost = $10::jsonb, urgency = $11,
                contact = $12::jsonb, links = $13::jsonb, version = version + 1, updated_at = $14
            WHERE initiative_id = $1
            """,
            [id.rawValue, need.track.rawValue, need.title, need.description, need.category.rawValue,
             need.driver.rawValue, need.goalArea?.rawValue, need.targetGroups.map(\.rawValue),
             PostgresJSON(need.expectedBenefits ?? []), need.roughCost.map(PostgresJSON.init), need.urgency?.rawValue,
             need.contact.map(PostgresJSON.init), PostgresJSON(need.links ?? []), now])
        let updated = try await find(id, on: connection).orThrow(Problem.notFound("no need \(id)"))
        if current.status == .submitted {
            try await Outbox.enqueue(
                NeedUpdatedV1(
                    initiativeId: id, organisationId: updated.organisationId, changedFields: changed,
                    need: updated.submittedEvent, version: updated.version, updatedBy: identity.subject, updatedAt: now),
                about: id, topic: Topic.intake, source: eventSource, traceParent: traceParent, on: connection)
        }
        return updated
    }

    /// draft → submitted.
    func submit(_ id: InitiativeID, ifMatch version: Int?, by identity: Identity, traceParent: String?, on connection: PostgresConnection)
        async throws -> NeedResource
    {
        let current = try await lockedVisible(id, by: identity, on: connection)
        try requireNeedWriter(identity, organisation: current.organisationId, action: "submitting a need")
        if let version, current.version != version { throw Problem.preconditionFailed(current: current.etag) }
        guard current.status == .draft else {
            throw Problem.conflict("need \(id) is \(current.status.rawValue); only a draft can be submitted")
        }
        _ = try await organisations.requireActive(current.organisationId, field: "organisationId", on: connection)
        let now = Date()
        try await connection.execute(
            """
            UPDATE needs SET status = 'submitted', submitted_at = $2, submitted_by = $3, updated_at = $2,
                version = version + 1 WHERE initiative_id = $1
            """, [id.rawValue, now, identity.subject])
        let submitted = try await find(id, on: connection).orThrow(Problem.notFound("no need \(id)"))
        try await Outbox.enqueue(
            submitted.submittedEvent, about: id, topic: Topic.intake, source: eventSource, traceParent: traceParent,
            on: connection)
        return submitted
    }

    /// draft or submitted → withdrawn, with the reason.
    func withdraw(
        _ id: InitiativeID, reason: String, ifMatch version: Int?, by identity: Identity, traceParent: String?,
        on connection: PostgresConnection
    ) async throws -> NeedResource {
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...2000).contains(trimmed.count) else {
            throw Problem.validation([.init(name: "reason", reason: "must be 1 to 2000 characters")])
        }
        let current = try await lockedVisible(id, by: identity, on: connection)
        try requireNeedWriter(identity, organisation: current.organisationId, action: "withdrawing a need")
        if let version, current.version != version { throw Problem.preconditionFailed(current: current.etag) }
        guard current.status != .withdrawn else { throw Problem.conflict("need \(id) is already withdrawn") }
        let now = Date()
        try await connection.execute(
            """
            UPDATE needs SET status = 'withdrawn', withdrawn_at = $2, withdrawal_reason = $3, updated_at = $2,
                version = version + 1 WHERE initiative_id = $1
            """, [id.rawValue, now, trimmed])
        try await Outbox.enqueue(
            NeedWithdrawnV1(
                initiativeId: id, organisationId: current.organisationId, previousStatus: current.status.rawValue,
                reason: trimmed, withdrawnBy: identity.subject, withdrawnAt: now),
            about: id, topic: Topic.intake, source: eventSource, traceParent: traceParent, on: connection)
        return try await find(id, on: connection).orThrow(Problem.notFound("no need \(id)"))
    }

    /// The need locked for change; 404 when it does not exist or the caller may not see it.
    private func lockedVisible(_ id: InitiativeID, by identity: Identity, on connection: PostgresConnection) async throws
        -> NeedResource
    {
        let row = try await connection.query(
            "SELECT \(Self.columns) FROM needs WHERE initiative_id = $1 FOR UPDATE", [id.rawValue]
        ).first
        guard let need = try row.map(Self.decode), NeedVisibility(identity).allows(need) else {
            throw Problem.notFound("no need \(id) that you can see")
        }
        return need
    }

    func find(_ id: InitiativeID, visibleTo identity: Identity) async throws -> NeedResource {
        let need = try await pool.withConnection { try await find(id, on: $0) }
        guard let need, NeedVisibility(identity).allows(need) else { throw Problem.notFound("no need \(id) that you can see") }
        return need
    }

    func find(_ id: InitiativeID, on connection: PostgresConnection) async throws -> NeedResource? {
        try await connection.query("SELECT \(Self.columns) FROM needs WHERE initiative_id = $1", [id.rawValue]).first.map(Self.decode)
    }

    struct ListFilter: Sendable {
        var organisation: String?
        var status: String?
        var track: String?
    }

    func list(_ page: PageRequest, filter: ListFilter, visibleTo identity: Identity) async throws -> Page<NeedResource> {
        let visibility = NeedVisibility(identity)
        let rows = try await pool.withConnection { connection in
            try await connection.query(
                """
                SELECT \(Self.columns) FROM needs
                WHERE seq > $1 AND ($2::text IS NULL OR organisation_id = $2) AND ($3::text IS NULL OR status = $3)
                  AND ($4::text IS NULL OR track = $4) AND \(visibility.condition(first: 6))
                ORDER BY seq LIMIT $5
                """,
                [page.afterSequence, filter.organisation, filter.status, filter.track, page.limit + 1] + visibility.parameters)
        }
        return try Page.from(rows, limit: page.limit, decode: Self.decode)
    }

    static func decode(_ row: PostgresRow) throws -> NeedResource {
        NeedResource(
            initiativeId: try row.initiativeID(), organisationId: try row.organisationID("organisation_id"),
            track: try row.decode("track", as: Track.self), title: try row.decode("title"),
            description: try row.decode("description"), category: try row.decode("category", as: NeedCategory.self),
            driver: try row.decode("driver", as: NeedDriver.self),
            goalArea: try row.decode("goal_area", as: String?.self).flatMap(GoalArea.init(rawValue:)),
            targetGroups: try row.decode("target_groups", as: [String].self).compactMap(TargetGroup.init(rawValue:)),
            expectedBenefits: try row.decode("expected_benefits", as: PostgresJSON<[ExpectedBenefit]>.self).value,
            roughCost: try row.decode("rough_cost", as: PostgresJSON<RoughCost>?.self)?.value,
            urgency: try row.decode("urgency", as: String?.self).flatMap(Urgency.init(rawValue:)),
            contact: try row.decode("contact", as: PostgresJSON<Contact>?.self)?.value,
            links: try row.decode("links", as: PostgresJSON<[Link]>.self).value,
            status: try row.decode("status", as: NeedStatus.self), version: try row.decode("version"),
            createdBy: try row.decode("created_by"), submittedBy: try row.decode("submitted_by", as: String?.self),
            createdAt: try row.decode("created_at"),
            updatedAt: try row.decode("updated_at"), submittedAt: try row.decode("submitted_at", as: Date?.self),
            withdrawnAt: try row.decode("withdrawn_at", as: Date?.self),
            withdrawalReason: try row.decode("withdrawal_reason", as: String?.self),
            answeredByProposals: try row.decode("answered_by", as: [UUID].self).map(InitiativeID.init))
    }
}
