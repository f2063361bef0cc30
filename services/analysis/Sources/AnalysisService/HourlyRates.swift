import Domain
import Foundation
import Persistence
import ServiceKit

/// One organisation's hourly rate (timpris) for internal staff time; `default` is the city's.
struct HourlyRate: Codable, Sendable, Equatable {
    /// An organisation id, or `default` for every organisation without its own rate.
    var organisationId: String
    var rate: SEK
    var note: String
    var updatedAt: Date
}

/// `PUT /v1/hourly-rates/{organisation}`.
struct HourlyRateInput: Codable, Sendable {
    var rate: SEK
    var note: String?

    func validationProblems() -> [Problem.InvalidParameter] {
        var problems: [Problem.InvalidParameter] = []
        if rate <= .zero || rate > SEK(100_000) { problems.append(.init(name: "rate", reason: "must be more than 0 and at most 100000 kr per hour")) }
        if rate.amount != rate.amount.rounded(scale: 2) { problems.append(.init(name: "rate", reason: "must be in whole öre (at most 2 decimals)")) }
        if let note, note.count > 1000 { problems.append(.init(name: "note", reason: "must be at most 1000 characters")) }
        return problems
    }
}

/// The table of hourly rates, seeded with the city's default by the migration.
struct HourlyRateRepository: Sendable {
    static let defaultKey = "default"
    let pool: PostgresPool

    /// The organisation's own rate, else the city's default, else the built-in default.
    func rate(for organisation: OrganisationID, on connection: PostgresConnection) async throws -> SEK {
        let rows = try await connection.query(
            """
            SELECT rate FROM hourly_rates WHERE organisation_id IN ($1, $2)
            ORDER BY organisation_id = $2 LIMIT 1
            """, [organisation.rawValue, Self.defaultKey])
        return try rows.first.map { SEK(try $0.decode("rate", as: Decimal.self)) } ?? CostModelDefaults.hourlyRate
    }

    func list() async throws -> [HourlyRate] {
        try await pool.withConnection { connection in
            try await connection.query("SELECT * FROM hourly_rates ORDER BY organisation_id = $1 DESC, organisation_id", [Self.defaultKey])
        }.map(Self.decode)
    }

    func set(_ organisation: String, _ input: HourlyRateInput, on connection: PostgresConnection) async throws -> HourlyRate {
        let rows = try await connection.query(
            """
            INSERT INTO hourly_rates (organisation_id, rate, note, updated_at) VALUES ($1, $2, $3, now())
            ON CONFLICT (organisation_id) DO UPDATE SET rate = EXCLUDED.rate, note = EXCLUDED.note, updated_at = now()
            RETURNING *
            """, [organisation, input.rate.amount, input.note ?? ""])
        return try rows.first.map(Self.decode).orThrow(Problem.notFound("hourly rate \(organisation)"))
    }

    static func decode(_ row: PostgresRow) throws -> HourlyRate {
        HourlyRate(
            organisationId: try row.decode("organisation_id"), rate: SEK(try row.decode("rate", as: Decimal.self)),
            note: try row.decode("note"), updatedAt: try row.decode("updated_at"))
    }
}
