import Contracts
import Domain
import Foundation
import Persistence
import ServiceKit

/// One meeting or exchange with the supplier before the exemption was decided.
struct DialogueEntry: Codable, Sendable, Equatable {
    var date: CalendarDate
    var participants: String
    var summary: String
}

/// What an organisation sends to register a board-decided exemption (avsteg) from a
/// mandatory base service (bastjänst).
struct ExemptionInput: Codable, Sendable {
    var organisationId: OrganisationID
    var supplierId: OrganisationID
    var baseService: String
    var motivation: String
    var dialogue: [DialogueEntry]
    var boardDecision: BoardDecision

    func validationProblems() -> [Problem.InvalidParameter] {
        var problems: [Problem.InvalidParameter] = []
        func check(_ ok: Bool, _ name: String, _ reason: String) {
            if !ok { problems.append(.init(name: name, reason: reason)) }
        }
        check((2...200).contains(baseService.trimmingCharacters(in: .whitespaces).count), "baseService", "must be 2 to 200 characters")
        check(
            (10...10_000).contains(motivation.trimmingCharacters(in: .whitespacesAndNewlines).count), "motivation",
            "must be 10 to 10000 characters: why the base service does not fit")
        check(
            (1...50).contains(dialogue.count), "dialogue",
            "must record 1 to 50 exchanges with the supplier: the guideline requires dialogue before an exemption")
        for (index, entry) in dialogue.enumerated() {
            check((1...500).contains(entry.participants.count), "dialogue[\(index)].participants", "must be 1 to 500 characters")
            check((1...5000).contains(entry.summary.count), "dialogue[\(index)].summary", "must be 1 to 5000 characters")
            check(entry.date <= boardDecision.decidedOn, "dialogue[\(index)].date", "must not be after the board's decision")
        }
        check((2...200).contains(boardDecision.board.count), "boardDecision.board", "must be 2 to 200 characters")
        check((1...100).contains(boardDecision.reference.count), "boardDecision.reference", "must be 1 to 100 characters")
        return problems
    }
}

/// An exemption as the API (and the report) returns it.
struct ExemptionResource: Codable, Sendable {
    /// A UUID in lowercase.
    var exemptionId: String
    var organisationId: OrganisationID
    var supplierId: OrganisationID
    var baseService: String
    var motivation: String
    var dialogue: [DialogueEntry]
    var boardDecision: BoardDecision
    var registeredBy: String
    var registeredAt: Date
}

struct ExemptionRepository: Sendable {
    let pool: PostgresPool
    let eventSource: String
    let organisations: OrganisationRepository

    func register(_ input: ExemptionInput, by identity: Identity, traceParent: String?, on connection: PostgresConnection)
        async throws -> ExemptionResource
    {
        try identity.require(anyOf: [.submitter, .admin], to: "registering an exemption")
        try identity.require(organisation: input.organisationId, to: "registering an exemption")
        _ = try await organisations.requireActive(input.organisationId, field: "organisationId", on: connection)
        _ = try await organisations.requireActive(input.supplierId, field: "supplierId", kind: .supplier, on: connection)
        let exemption = ExemptionResource(
            exemptionId: UUID().uuidString.lowercased(), organisationId: input.organisationId, supplierId: input.supplierId,
            baseService: input.baseService.trimmingCharacters(in: .whitespaces), motivation: input.motivation,
            dialogue: input.dialogue, boardDecision: input.boardDecision, registeredBy: identity.subject,
            registeredAt: Date())
        try await connection.execute(
            """
            INSERT INTO exemptions (exemption_id, organisation_id, supplier_id, base_service, motivation, dialogue, board,
                                    decided_on, decision_reference, registered_by, registered_at)
            VALUES ($1::uuid, $2, $3, $4, $5, $6::jsonb, $7, $8::date, $9, $10, $11)
            """,
            [exemption.exemptionId, exemption.organisationId.rawValue, exemption.supplierId.rawValue,
             exemption.baseService, exemption.motivation, PostgresJSON(exemption.dialogue),
             exemption.boardDecision.board, exemption.boardDecision.decidedOn.description,
             exemption.boardDecision.reference, exemption.registeredBy, exemption.registeredAt])
        let key = exemption.exemptionId
        try await Outbox.enqueue(
            ExemptionRegisteredV1(
                exemptionId: exemption.exemptionId, organisationId: exemption.organisationId,
                supplierId: exemption.supplierId, baseService: exemption.baseService, motivation: exemption.motivation,
                boardDecision: exemption.boardDecision, registeredBy: exemption.registeredBy,
                registeredAt: exemption.registeredAt),
            key: key, subject: key, topic: Topic.intake, source: eventSource, traceParent: traceParent, on: connection)
        return exemption
    }

    /// Everyone sees their own organisation's exemptions; suppliers those from their
    /// services; SSG, auditors and admins all.
    func list(_ page: PageRequest, organisation: String?, visibleTo identity: Identity) async throws -> Page<ExemptionResource> {
        let all = identity.hasAny([.ssg, .auditor, .admin])
        let rows = try await pool.withConnection { connection in
            try await connection.query(
                """
                SELECT * FROM exemptions
                WHERE seq > $1 AND ($2::text IS NULL OR organisation_id = $2)
                  AND ($3::boolean OR organisation_id = $4 OR supplier_id = $4)
                ORDER BY seq LIMIT $5
                """, [page.afterSequence, organisation, all, identity.organisationId.rawValue, page.limit + 1])
        }
        return try Page.from(rows, limit: page.limit, decode: Self.decode)
    }

    /// One exemption, if the caller may see it (the same rule as `list`).
    func find(_ id: UUID, visibleTo identity: Identity) async throws -> ExemptionResource {
        let rows = try await pool.withConnection { connection in
            try await connection.query(
                "SELECT * FROM exemptions WHERE exemption_id = $1 AND ($2::boolean OR organisation_id = $3 OR supplier_id = $3)",
                [id, identity.hasAny([.ssg, .auditor, .admin]), identity.organisationId.rawValue])
        }
        return try rows.first.map(Self.decode).orThrow(Problem.notFound("no exemption \(id.uuidString.lowercased()) that you can see"))
    }

    static func decode(_ row: PostgresRow) throws -> ExemptionResource {
        let decided = try row.decode("decided_on", as: String.self)
        return ExemptionResource(
            exemptionId: try row.decode("exemption_id", as: UUID.self).uuidString.lowercased(), organisationId: try row.organisationID("organisation_id"),
            supplierId: try row.organisationID("supplier_id"), baseService: try row.decode("base_service"),
            motivation: try row.decode("motivation"),
            dialogue: try row.decode("dialogue", as: PostgresJSON<[DialogueEntry]>.self).value,
            boardDecision: BoardDecision(
                board: try row.decode("board"), decidedOn: try CalendarDate(decided).orThrow("decided_on \(decided)"),
                reference: try row.decode("decision_reference")),
            registeredBy: try row.decode("registered_by"), registeredAt: try row.decode("registered_at"))
    }
}
