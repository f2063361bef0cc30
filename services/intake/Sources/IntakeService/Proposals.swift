import Contracts
import Domain
import Foundation
import Persistence
import ServiceKit

/// What a supplier sends to propose a common initiative (track 2) from customer dialogue.
struct ProposalInput: Codable, Sendable {
    var title: String
    var description: String
    var category: NeedCategory
    var goalArea: GoalArea?
    /// The customer needs (common track, submitted) the proposal answers.
    var answersNeeds: [InitiativeID]
    var expectedBenefits: [ExpectedBenefit]?
    var roughCost: RoughCost?

    func validationProblems() -> [Problem.InvalidParameter] {
        var problems: [Problem.InvalidParameter] = []
        if !(3...200).contains(title.trimmingCharacters(in: .whitespacesAndNewlines).count) {
            problems.append(.init(name: "title", reason: "must be 3 to 200 characters"))
        }
        if description.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty || description.count > 10_000 {
            problems.append(.init(name: "description", reason: "must be 1 to 10000 characters"))
        }
        if !(1...100).contains(answersNeeds.count) || Set(answersNeeds).count != answersNeeds.count {
            problems.append(.init(name: "answersNeeds", reason: "must name 1 to 100 different needs"))
        }
        if (expectedBenefits ?? []).count > 50 {
            problems.append(.init(name: "expectedBenefits", reason: "must have at most 50 benefits"))
        }
        return problems
    }
}

/// A supplier proposal as the API returns it.
struct ProposalResource: Codable, Sendable {
    var initiativeId: InitiativeID
    var supplierId: OrganisationID
    var title: String
    var description: String
    var category: NeedCategory
    var goalArea: GoalArea?
    var answersNeeds: [InitiativeID]
    var customerOrganisationIds: [OrganisationID]
    var expectedBenefits: [ExpectedBenefit]
    var roughCost: RoughCost?
    var submittedBy: String
    var submittedAt: Date
}

/// Supplier proposals and the needs they answer.
struct ProposalRepository: Sendable {
    let pool: PostgresPool
    let eventSource: String
    let organisations: OrganisationRepository
    let needs: NeedRepository

    func submit(_ input: ProposalInput, by identity: Identity, traceParent: String?, on connection: PostgresConnection)
        async throws -> ProposalResource
    {
        try identity.require(anyOf: [.supplier, .admin], to: "proposing a common initiative")
        _ = try await organisations.requireActive(
            identity.organisationId, field: "(token) org", kind: .supplier, on: connection)
        var customers: Set<OrganisationID> = []
        for (index, needID) in input.answersNeeds.enumerated() {
            guard let need = try await needs.find(needID, on: connection) else {
                throw Problem.validation([.init(name: "answersNeeds[\(index)]", reason: "no need \(needID)")])
            }
            guard need.track == .common, need.status == .submitted else {
                throw Problem.validation([
                    .init(name: "answersNeeds[\(index)]", reason: "must be a submitted need on the common track")
                ])
            }
            customers.insert(need.organisationId)
        }
        let proposal = ProposalResource(
            initiativeId: InitiativeID(), supplierId: identity.organisationId,
            title: input.title.trimmingCharacters(in: .whitespacesAndNewlines), description: input.description,
            category: input.category, goalArea: input.goalArea, answersNeeds: input.answersNeeds,
            customerOrganisationIds: customers.sorted { $0.rawValue < $1.rawValue },
            expectedBenefits: input.expectedBenefits ?? [], roughCost: input.roughCost, submittedBy: identity.subject,
            submittedAt: Date())
        try await connection.execute(
            """
            INSERT INTO proposals (initiative_id, supplier_id, title, description, category, goal_area, expected_benefits,
                                   rough_cost, customer_organisation_ids, submitted_by, submitted_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10, $11)
            """,
            [proposal.initiativeId.rawValue, proposal.supplierId.rawValue, proposal.title, proposal.description,
             proposal.category.rawValue, proposal.goalArea?.rawValue, PostgresJSON(proposal.expectedBenefits),
             proposal.roughCost.map(PostgresJSON.init), proposal.customerOrganisationIds.map(\.rawValue),
             proposal.submittedBy, proposal.submittedAt])
        try await connection.execute(
            "INSERT INTO proposal_needs (proposal_id, need_id) SELECT $1, unnest($2::uuid[])",
            [proposal.initiativeId.rawValue, proposal.answersNeeds.map(\.rawValue)])
        try await Outbox.enqueue(
            SupplierProposalSubmittedV1(
                initiativeId: proposal.initiativeId, supplierId: proposal.supplierId, title: proposal.title,
                description: proposal.description, category: proposal.category, goalArea: proposal.goalArea,
                answersNeeds: proposal.answersNeeds, customerOrganisationIds: proposal.customerOrganisationIds,
                expectedBenefits: proposal.expectedBenefits, roughCost: proposal.roughCost,
                submittedBy: proposal.submittedBy, submittedAt: proposal.submittedAt),
            about: proposal.initiativeId, topic: Topic.intake, source: eventSource, traceParent: traceParent,
            on: connection)
        return proposal
    }

    func find(_ id: InitiativeID) async throws -> ProposalResource? {
        try await pool.withConnection { connection in
            try await connection.query("SELECT \(Self.columns) FROM proposals WHERE initiative_id = $1", [id.rawValue])
                .first.map(Self.decode)
        }
    }

    func list(_ page: PageRequest, supplier: String?, customer: String?) async throws -> Page<ProposalResource> {
        let rows = try await pool.withConnection { connection in
            try await connection.query(
                """
                SELECT \(Self.columns) FROM proposals
                WHERE seq > $1 AND ($2::text IS NULL OR supplier_id = $2)
                  AND ($3::text IS NULL OR $3 = ANY (customer_organisation_ids))
                ORDER BY seq LIMIT $4
                """, [page.afterSequence, supplier, customer, page.limit + 1])
        }
        return try Page.from(rows, limit: page.limit, decode: Self.decode)
    }

    static let columns = """
        proposals.*, ARRAY(SELECT need_id FROM proposal_needs WHERE proposal_id = proposals.initiative_id
        ORDER BY need_id) AS answers
        """

    static func decode(_ row: PostgresRow) throws -> ProposalResource {
        ProposalResource(
            initiativeId: try row.initiativeID(), supplierId: try row.organisationID("supplier_id"),
            title: try row.decode("title"), description: try row.decode("description"),
            category: try row.decode("category", as: NeedCategory.self),
            goalArea: try row.decode("goal_area", as: String?.self).flatMap(GoalArea.init(rawValue:)),
            answersNeeds: try row.decode("answers", as: [UUID].self).map(InitiativeID.init),
            customerOrganisationIds: try row.decode("customer_organisation_ids", as: [String].self).compactMap(OrganisationID.init),
            expectedBenefits: try row.decode("expected_benefits", as: PostgresJSON<[ExpectedBenefit]>.self).value,
            roughCost: try row.decode("rough_cost", as: PostgresJSON<RoughCost>?.self)?.value,
            submittedBy: try row.decode("submitted_by"), submittedAt: try row.decode("submitted_at"))
    }
}
