import Contracts
import Domain
import Foundation
import Hummingbird
import Persistence
import ServiceKit

/// What an admin sends to register an organisation or replace its entry.
struct OrganisationInput: Codable, Sendable {
    var organisationId: OrganisationID
    var name: String
    var kind: OrganisationKind
    var board: String
    var active: Bool?

    func validationProblems() -> [Problem.InvalidParameter] {
        var problems: [Problem.InvalidParameter] = []
        if !(2...200).contains(name.trimmingCharacters(in: .whitespaces).count) {
            problems.append(.init(name: "name", reason: "must be 2 to 200 characters"))
        }
        if !(2...200).contains(board.trimmingCharacters(in: .whitespaces).count) {
            problems.append(.init(name: "board", reason: "must be 2 to 200 characters"))
        }
        return problems
    }

    var record: OrganisationRecord {
        OrganisationRecord(
            organisationId: organisationId, name: name.trimmingCharacters(in: .whitespaces), kind: kind,
            board: board.trimmingCharacters(in: .whitespaces), active: active ?? true)
    }
}

/// An organisation as the API returns it.
struct OrganisationResource: Codable, Sendable {
    var organisationId: OrganisationID
    var name: String
    var kind: OrganisationKind
    var board: String
    var active: Bool
    var version: Int

    var record: OrganisationRecord {
        OrganisationRecord(organisationId: organisationId, name: name, kind: kind, board: board, active: active)
    }
}

/// The organisations file shipped with the service (`Data/organisations.json`).
struct OrganisationsFile: Codable {
    var organisations: [OrganisationInput]
}

/// The registry of organisations: förvaltningar and bolag (customers) and the suppliers
/// of common services, each with its board.
struct OrganisationRepository: Sendable {
    let pool: PostgresPool
    let eventSource: String

    /// Registers the organisations of the shipped file that the registry does not have
    /// yet (admins' later edits are kept); each new one is announced.
    func seed(from url: URL) async throws -> Int {
        let data = try Data(contentsOf: url)
        let file = try JSONDecoder().decode(OrganisationsFile.self, from: data)
        return try await pool.withTransaction { connection in
            var registered = 0
            for input in file.organisations where try await insert(input.record, on: connection) {
                registered += 1
            }
            return registered
        }
    }

    /// Inserts unless present; true (and an event) when it was new.
    private func insert(_ record: OrganisationRecord, on connection: PostgresConnection) async throws -> Bool {
        let rows = try await connection.query(
            """
            INSERT INTO organisations (organisation_id, name, kind, board, active) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (organisation_id) DO NOTHING RETURNING organisation_id
            """, [record.organisationId.rawValue, record.name, record.kind.rawValue, record.board, record.active])
        guard !rows.isEmpty else { return false }
        try await Outbox.enqueue(
            OrganisationRegisteredV1(organisation: record, registeredAt: Date()), key: record.organisationId.rawValue,
            subject: record.organisationId.rawValue, topic: Topic.intake, source: eventSource, on: connection)
        return true
    }

    func register(_ input: OrganisationInput, on connection: PostgresConnection) async throws -> OrganisationResource {
        guard try await insert(input.record, on: connection) else {
            throw Problem(
                status: .conflict, title: "Finns redan / Already exists",
                detail: "organisation \(input.organisationId) is already registered; change it with PUT")
        }
        return try await find(input.organisationId, on: connection).orThrow(Problem.notFound("no organisation \(input.organisationId)"))
    }

    func update(_ id: OrganisationID, _ input: OrganisationInput, ifMatch version: Int, on connection: PostgresConnection)
        async throws -> OrganisationResource
    {
        guard input.organisationId == id else {
            throw Problem.validation([.init(name: "organisationId", reason: "must match the organisation in the path")])
        }
        guard let current = try await find(id, on: connection, lock: true) else {
            throw Problem.notFound("no organisation \(id)")
        }
        guard current.version == version else { throw Problem.preconditionFailed(current: "\"\(current.version)\"") }
        let record = input.record
        var changed: [String] = []
        if record.name != current.name { changed.append("name") }
        if record.kind != current.kind { changed.append("kind") }
        if record.board != current.board { changed.append("board") }
        if record.active != current.active { changed.append("active") }
        guard !changed.isEmpty else { return current }
        try await connection.execute(
            """
            UPDATE organisations SET name = $2, kind = $3, board = $4, active = $5, version = version + 1, updated_at = now()
            WHERE organisation_id = $1
            """, [id.rawValue, record.name, record.kind.rawValue, record.board, record.active])
        try await Outbox.enqueue(
            OrganisationUpdatedV1(organisation: record, changedFields: changed, updatedAt: Date()), key: id.rawValue,
            subject: id.rawValue, topic: Topic.intake, source: eventSource, on: connection)
        return try await find(id, on: connection).orThrow(Problem.notFound("no organisation \(id)"))
    }

    func find(_ id: OrganisationID, on connection: PostgresConnection, lock: Bool = false) async throws -> OrganisationResource? {
        try await connection.query(
            "SELECT * FROM organisations WHERE organisation_id = $1" + (lock ? " FOR UPDATE" : ""), [id.rawValue]
        ).first.map(Self.decode)
    }

    func find(_ id: OrganisationID) async throws -> OrganisationResource? {
        try await pool.withConnection { try await find(id, on: $0) }
    }

    /// The organisation, which must be registered and active; a 422 naming `field` otherwise.
    func requireActive(_ id: OrganisationID, field: String, kind: OrganisationKind? = nil, on connection: PostgresConnection)
        async throws -> OrganisationResource
    {
        guard let organisation = try await find(id, on: connection), organisation.active else {
            throw Problem.validation([.init(name: field, reason: "is not an active organisation in the registry (GET /v1/organisations)")])
        }
        if let kind, organisation.kind != kind {
            throw Problem.validation([.init(name: field, reason: "must be an organisation of kind \(kind.rawValue)")])
        }
        return organisation
    }

    func list(_ page: PageRequest, kind: String?) async throws -> Page<OrganisationResource> {
        let rows = try await pool.withConnection { connection in
            try await connection.query(
                "SELECT * FROM organisations WHERE seq > $1 AND ($2::text IS NULL OR kind = $2) ORDER BY seq LIMIT $3",
                [page.afterSequence, kind, page.limit + 1])
        }
        return try Page.from(rows, limit: page.limit, decode: Self.decode)
    }

    static func decode(_ row: PostgresRow) throws -> OrganisationResource {
        OrganisationResource(
            organisationId: try row.organisationID("organisation_id"), name: try row.decode("name"),
            kind: try row.decode("kind", as: OrganisationKind.self), board: try row.decode("board"),
            active: try row.decode("active"), version: try row.decode("version"))
    }
}
