import Domain
import Foundation
import Persistence
import ServiceKit

/// What happened to a case, in order: opened (from a need or a proposal), assigned, each
/// part recorded, completed — who, when.
enum AnalysisHistory {
    struct Entry: Codable, Sendable, Equatable {
        var at: Date
        var actor: String
        var action: String
        var detail: String?

        init(row: PostgresRow) throws {
            at = try row.decode("at")
            actor = try row.decode("actor")
            action = try row.decode("action")
            detail = try row.decode("detail")
        }
    }

    static func record(
        _ id: InitiativeID, actor: String, action: String, detail: String? = nil, at: Date, on connection: PostgresConnection
    ) async throws {
        try await connection.execute(
            "INSERT INTO analysis_history (initiative_id, at, actor, action, detail) VALUES ($1, $2, $3, $4, $5)",
            [id.rawValue, at, actor, action, detail])
    }
}

/// `PUT /v1/analyses/{id}/assignee`: the analyst's subject (as in their token), or null.
struct AssignmentInput: Codable, Sendable, Equatable {
    var analyst: String?

    func validationProblems() -> [Problem.InvalidParameter] {
        guard let analyst else { return [] }
        let trimmed = analyst.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty || trimmed.count > 200 || trimmed != analyst {
            return [.init(name: "analyst", reason: "must be the analyst's user id (1–200 characters, no surrounding spaces) or null")]
        }
        return []
    }
}
