import AnalysisService
import ArgumentParser
import Foundation
import Persistence

/// Precision of the analysis service's reuse candidates (issue 5) on the labelled set in
/// bench/reuse-labels.json: the known initiatives are loaded as analysis cases beside the
/// service catalogue, each query is ranked exactly as a new case would be, and the top 3
/// are compared with the candidates an analyst would want. Run by scripts/bench-reuse.sh
/// on a database the analysis migrations have set up.
struct ReusePrecisionBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reuse-precision", abstract: "Top-3 precision of the reuse candidates on a labelled set.")

    @Option(help: "The analysis database, as a role that may write the schema.") var databaseUrl: String
    @Option(help: "The analysis schema.") var schema = "analysis"
    @Option(help: "The labelled set.") var labels = "bench/reuse-labels.json"
    @Option(help: "Log level (standard error).") var logLevel = "warning"

    struct Labels: Decodable {
        struct Initiative: Decodable {
            var key: String
            var organisation: String
            var title: String
            var description: String
        }
        struct Query: Decodable {
            var text: String
            var relevant: [String]
        }
        var initiatives: [Initiative]
        var queries: [Query]
    }

    func run() async throws {
        let set = try JSONDecoder().decode(Labels.self, from: Data(contentsOf: URL(fileURLWithPath: labels)))
        let pool = PostgresPool(
            configuration: PostgresConfiguration(connectionString: databaseUrl, maximumConnections: 2, searchPath: schema),
            logger: makeLogger("styrbord-bench", level: logLevel))
        defer { pool.close() }
        var keyOfId: [String: String] = [:]
        try await pool.withTransaction { connection in
            for initiative in set.initiatives {
                let id = UUID()
                keyOfId[id.uuidString.lowercased()] = initiative.key
                try await connection.execute(
                    """
                    INSERT INTO analysis_cases (initiative_id, organisation_id, analysing_organisation_id, track, title,
                                                description, status, opened_at)
                    VALUES ($1, $2, $2, 'organisation-specific', $3, $4, 'open', now())
                    """, [id, initiative.organisation, initiative.title, initiative.description])
            }
        }
        var precisionSum = 0.0
        var hits = 0
        var relevantFound = 0
        var pairs = 0
        let started = ContinuousClock.now
        for query in set.queries {
            let ranked = try await pool.withConnection { try await ReuseRanking.rank(query.text, limit: 3, on: $0) }
            let top = ranked.map { $0.kind == "initiative" ? keyOfId[$0.id] ?? $0.id : $0.id }
            let relevant = Set(query.relevant)
            let found = top.filter(relevant.contains).count
            // Of the top 3, the share that is relevant, out of as many as could be
            // (a query with one relevant candidate is perfect with it first among 3).
            precisionSum += Double(found) / Double(min(3, relevant.count))
            hits += found > 0 ? 1 : 0
            relevantFound += found
            pairs += relevant.count
            FileHandle.standardError.write(Data(
                "\(found == 0 ? "MISS" : "hit ") \(query.text) → \(top.joined(separator: ", "))\n".utf8))
        }
        let seconds = (ContinuousClock.now - started).seconds
        let count = set.queries.count
        BenchmarkResult(
            name: "reuse-precision", count: count, seconds: seconds,
            extra: [("pairs", String(pairs)), ("precision_at_3", String(format: "%.3f", precisionSum / Double(count))),
                    ("hit_rate_at_3", String(format: "%.3f", Double(hits) / Double(count))),
                    ("recall_at_3", String(format: "%.3f", Double(relevantFound) / Double(pairs)))]
        ).print()
    }
}
