import Domain
import Foundation
import Persistence
import ServiceKit

/// What a reuse candidate is: a service of the catalogue or another initiative.
enum ReuseCandidateKind: String, ClosedSet {
    case service, initiative
}

/// One ranked candidate for reuse, with the Swedish terms it shares with the case.
struct ReuseCandidate: Codable, Sendable, Equatable {
    var kind: ReuseCandidateKind
    /// A catalogue service id or an initiative id.
    var id: String
    var title: String
    /// The supplier (services) or the organisation that has the need (initiatives).
    var organisationId: String
    /// 0–1: half full-text rank (normalised rank / (rank + 1)), half trigram similarity.
    var score: Decimal
    var matchedTerms: [String]
}

/// `PUT /v1/analyses/{id}/reuse`: the analyst's decision and why.
struct ReuseInput: Codable, Sendable, Equatable {
    var decision: ReuseDecision
    var reason: String
    /// The candidate reused or extended (required for those decisions).
    var candidateKind: ReuseCandidateKind?
    var candidateId: String?

    func validationProblems() -> [Problem.InvalidParameter] {
        var problems: [Problem.InvalidParameter] = []
        if !(3...5000).contains(reason.trimmingCharacters(in: .whitespacesAndNewlines).count) {
            problems.append(.init(name: "reason", reason: "must be 3 to 5000 characters: why this decision"))
        }
        if decision != .new {
            if candidateKind == nil { problems.append(.init(name: "candidateKind", reason: "is required to reuse or extend: service or initiative")) }
            if candidateId.map({ !(1...200).contains($0.count) }) ?? true {
                problems.append(.init(name: "candidateId", reason: "is required to reuse or extend: which service or initiative"))
            }
        }
        return problems
    }
}

struct StoredReuse: Codable, Sendable, Equatable {
    var decision: ReuseDecision
    var reason: String
    var candidateKind: ReuseCandidateKind?
    var candidateId: String?
    var recordedBy: String
    var recordedAt: Date
}

/// The search: PostgreSQL's Swedish full-text search finds candidates sharing a stemmed
/// term with the case's title and description, trigram similarity (pg_trgm) ranks near
/// spellings and compound words the stemmer splits differently.
enum ReuseSearch {
    /// The case's own text, as one OR query of its lexemes.
    static let sql = """
        WITH q AS (
            SELECT string_agg(quote_literal(lexeme), ' | ')::tsquery AS query, array_agg(lexeme) AS lexemes
            FROM unnest(to_tsvector('swedish', $1::text))
        ),
        found AS (
            SELECT 'service' AS kind, c.service_id AS id, c.name AS title, c.supplier_id AS organisation_id, c.search,
                   c.name || ' ' || c.description AS text
            FROM service_catalogue c, q WHERE c.search @@ q.query
            UNION ALL
            SELECT 'initiative', a.initiative_id::text, a.title, a.organisation_id, a.search, a.title || ' ' || a.description
            FROM analysis_cases a, q WHERE a.search @@ q.query AND a.initiative_id <> $2
        )
        SELECT kind, id, title, organisation_id,
               round((0.5 * ts_rank(found.search, q.query, 32) + 0.5 * public.similarity(found.text, $1::text))::numeric, 3) AS score,
               ARRAY(SELECT l FROM unnest(q.lexemes) AS l WHERE found.search @@ quote_literal(l)::tsquery ORDER BY l) AS matched
        FROM found, q
        ORDER BY score DESC, id LIMIT $3
        """

    static func candidates(for record: AnalysisRecord, limit: Int, on connection: PostgresConnection) async throws -> [ReuseCandidate] {
        try await candidates(text: record.title + " " + record.description, excluding: record.initiativeId, limit: limit, on: connection)
    }

    static func candidates(text: String, excluding initiative: InitiativeID, limit: Int, on connection: PostgresConnection)
        async throws -> [ReuseCandidate]
    {
        let rows = try await connection.query(sql, [text, initiative.rawValue, limit])
        return try rows.map { row in
            ReuseCandidate(
                kind: try row.decode("kind", as: ReuseCandidateKind.self), id: try row.decode("id"),
                title: try row.decode("title"), organisationId: try row.decode("organisation_id"),
                score: try row.decode("score", as: Decimal.self), matchedTerms: try row.decode("matched", as: [String].self))
        }
    }
}

/// The reuse ranking as the service computes it, for the reuse-precision benchmark
/// (styrbord-bench reuse-precision): no case is excluded.
public enum ReuseRanking {
    public struct Ranked: Sendable, Equatable {
        /// `service` or `initiative`.
        public let kind: String
        /// A catalogue service id or an initiative id.
        public let id: String
        public let score: Decimal
    }

    public static func rank(_ text: String, limit: Int, on connection: PostgresConnection) async throws -> [Ranked] {
        try await ReuseSearch.candidates(text: text, excluding: InitiativeID(), limit: limit, on: connection).map {
            Ranked(kind: $0.kind.rawValue, id: $0.id, score: $0.score)
        }
    }
}
