import Contracts
import Domain
import Foundation
import Persistence
import ServiceKit

/// The status of an action (insats) of the city's plan, as the city's follow-up words it.
enum ActionStatus: String, ClosedSet {
    case done = "klar"
    case ongoing = "pågår"
    case paused = "pausad"
    case hardToJudge = "svårbedömd"
}

/// `Data/city-plan.json`: the goal areas and actions of the city's plan for digitalisation.
struct CityPlanFile: Codable, Sendable {
    struct GoalAreaEntry: Codable, Sendable {
        var goalArea: GoalArea
        var number: Int
        var sv: String
        var en: String
    }

    struct ActionEntry: Codable, Sendable {
        var actionId: String
        var goalArea: GoalArea
        var status: ActionStatus
        var title: String
        var note: String
    }

    var asOf: String
    var goalAreas: [GoalAreaEntry]
    var actions: [ActionEntry]

    /// The shipped file, read once; `prepare` stops the start when it is unusable.
    static let shipped = Result { () throws -> CityPlanFile in try bundled() }

    /// The file shipped in the bundle; a missing or broken file stops the start with the reason.
    static func bundled() throws -> CityPlanFile {
        guard let url = Bundle.module.url(forResource: "Data/city-plan", withExtension: "json") else {
            throw CityPlanError("Data/city-plan.json is missing from the benefits resource bundle: install the bundle next to the executable")
        }
        do {
            return try JSONDecoder().decode(CityPlanFile.self, from: Data(contentsOf: url))
        } catch {
            throw CityPlanError("Data/city-plan.json cannot be read (\(error)); fix the file and start again")
        }
    }
}

/// Why the city plan could not be loaded.
struct CityPlanError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `PUT /v1/city-plan/actions/{actionId}`.
struct ActionStatusInput: Codable, Sendable {
    var status: ActionStatus
    var note: String

    func validationProblems() -> [Problem.InvalidParameter] {
        (1...2000).contains(note.trimmingCharacters(in: .whitespacesAndNewlines).count)
            ? [] : [.init(name: "note", reason: "must be 1 to 2000 characters: why the status is what it is")]
    }
}

struct ActionHistoryEntry: Encodable, Sendable {
    var status: ActionStatus
    var note: String
    var changedBy: String
    var changedAt: Date
}

struct ActionResource: Encodable, Sendable {
    var actionId: String
    var goalArea: GoalArea
    var title: String
    var status: ActionStatus
    var note: String
    var version: Int
    var updatedAt: Date
    var history: [ActionHistoryEntry]
}

struct LinkedInitiative: Encodable, Sendable {
    var initiativeId: InitiativeID
    var title: String
    var organisationId: OrganisationID
    var phase: InitiativePhase
}

struct GoalAreaResource: Encodable, Sendable {
    var goalArea: GoalArea
    var number: Int
    var sv: String
    var en: String
    var actions: [ActionResource]
    /// Initiatives whose plans name this goal area (those the caller may see).
    var initiatives: [LinkedInitiative]
}

struct CityPlanResource: Encodable, Sendable {
    var goalAreas: [GoalAreaResource]
}

/// The plan follow-up: actions per status, as the 12-of-17 table of the city's follow-up.
struct CityPlanReport: Encodable, Sendable {
    struct GoalAreaLine: Encodable, Sendable {
        var goalArea: GoalArea
        var number: Int
        var total: Int
        var byStatus: [String: Int]
    }

    var total: Int
    var done: Int
    var byStatus: [String: Int]
    var goalAreas: [GoalAreaLine]
    var summary: [String: String]
}

struct CityPlanRepository: Sendable {
    let pool: PostgresPool

    /// Adds the file's actions the table does not have; returns how many. Statuses changed
    /// through the API are kept.
    func seed(_ file: CityPlanFile) async throws -> Int {
        try await pool.withTransaction { connection in
            var added = 0
            for (position, action) in file.actions.enumerated() {
                let rows = try await connection.execute(
                    """
                    INSERT INTO city_plan_actions (action_id, goal_area, title, status, note, position, updated_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (action_id) DO NOTHING
                    """,
                    [action.actionId, action.goalArea.rawValue, action.title, action.status.rawValue, action.note, position, Date()])
                if rows == 1 {
                    added += 1
                    try await connection.execute(
                        """
                        INSERT INTO city_plan_action_history (action_id, status, note, changed_by, changed_at)
                        VALUES ($1, $2, $3, $4, $5)
                        """,
                        [action.actionId, action.status.rawValue, action.note, "uppföljning \(file.asOf)", Date()])
                }
            }
            return added
        }
    }

    private func actions(on connection: PostgresConnection, only actionId: String? = nil) async throws -> [ActionResource] {
        let history = try await connection.query(
            "SELECT * FROM city_plan_action_history WHERE ($1::text IS NULL OR action_id = $1) ORDER BY seq", [actionId])
        var byAction: [String: [ActionHistoryEntry]] = [:]
        for row in history {
            byAction[try row.decode("action_id"), default: []].append(
                ActionHistoryEntry(
                    status: try row.decode("status", as: ActionStatus.self), note: try row.decode("note"),
                    changedBy: try row.decode("changed_by"), changedAt: try row.decode("changed_at")))
        }
        return try await connection.query(
            "SELECT * FROM city_plan_actions WHERE ($1::text IS NULL OR action_id = $1) ORDER BY position", [actionId]
        ).map { row in
            let id: String = try row.decode("action_id")
            return ActionResource(
                actionId: id, goalArea: try row.decode("goal_area", as: GoalArea.self), title: try row.decode("title"),
                status: try row.decode("status", as: ActionStatus.self), note: try row.decode("note"),
                version: try row.decode("version"), updatedAt: try row.decode("updated_at"), history: byAction[id] ?? [])
        }
    }

    func plan(visibleTo identity: Identity) async throws -> CityPlanResource {
        let file = try CityPlanFile.shipped.get()
        let all = identity.hasAny([.admin, .ssg, .auditor])
        return try await pool.withConnection { connection in
            let actions = try await actions(on: connection)
            let linked = try await connection.query(
                """
                SELECT \(PlanRecord.columns) FROM benefit_plans
                WHERE cardinality(goal_areas) > 0 AND status <> 'cancelled' AND ($1::boolean OR organisation_id = $2 OR published)
                ORDER BY seq
                """, [all, identity.organisationId.rawValue]
            ).map(PlanRecord.init(row:))
            return CityPlanResource(
                goalAreas: file.goalAreas.map { area in
                    GoalAreaResource(
                        goalArea: area.goalArea, number: area.number, sv: area.sv, en: area.en,
                        actions: actions.filter { $0.goalArea == area.goalArea },
                        initiatives: linked.filter { $0.goalAreas.contains(area.goalArea) }.map {
                            LinkedInitiative(initiativeId: $0.initiativeId, title: $0.title, organisationId: $0.organisationId, phase: $0.phase)
                        })
                })
        }
    }

    func report() async throws -> CityPlanReport {
        let file = try CityPlanFile.shipped.get()
        let actions = try await pool.withConnection { connection in try await self.actions(on: connection) }
        func count(_ list: [ActionResource]) -> [String: Int] {
            var counts = Dictionary(uniqueKeysWithValues: ActionStatus.allCases.map { ($0.rawValue, 0) })
            for action in list { counts[action.status.rawValue, default: 0] += 1 }
            return counts
        }
        let done = actions.filter { $0.status == .done }.count
        return CityPlanReport(
            total: actions.count, done: done, byStatus: count(actions),
            goalAreas: file.goalAreas.map { area in
                let mine = actions.filter { $0.goalArea == area.goalArea }
                return .init(goalArea: area.goalArea, number: area.number, total: mine.count, byStatus: count(mine))
            },
            summary: [
                "sv": "\(done) av \(actions.count) insatser är klara.",
                "en": "\(done) of \(actions.count) actions are done.",
            ])
    }

    func setStatus(
        _ actionId: String, _ input: ActionStatusInput, ifMatch version: Int, by identity: Identity, on connection: PostgresConnection
    ) async throws -> ActionResource {
        let rows = try await connection.query(
            "SELECT version FROM city_plan_actions WHERE action_id = $1 FOR UPDATE", [actionId])
        guard let row = rows.first else { throw Problem.notFound("the city plan has no action \(actionId)") }
        let current: Int = try row.decode("version")
        guard current == version else { throw Problem.preconditionFailed(current: "\"\(current)\"") }
        let note = input.note.trimmingCharacters(in: .whitespacesAndNewlines)
        let now = Date()
        try await connection.execute(
            "UPDATE city_plan_actions SET status = $2, note = $3, version = version + 1, updated_at = $4 WHERE action_id = $1",
            [actionId, input.status.rawValue, note, now])
        try await connection.execute(
            "INSERT INTO city_plan_action_history (action_id, status, note, changed_by, changed_at) VALUES ($1, $2, $3, $4, $5)",
            [actionId, input.status.rawValue, note, identity.subject, now])
        return try await actions(on: connection, only: actionId).first.orThrow(Problem.notFound("the city plan has no action \(actionId)"))
    }
}
