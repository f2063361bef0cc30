import Contracts
import Domain
import Foundation
import Logging
import Metrics
import Persistence
import ServiceKit
import ServiceLifecycle

/// The scheduled follow-up job: finds follow-ups due within the reminder window
/// (`follow-up.due`) and past their date without a measurement (`follow-up.overdue`),
/// of plans that are not evaluated or cancelled.
/// Safe with any number of instances: each round claims rows with `FOR UPDATE SKIP
/// LOCKED` and, in the same transaction, marks (follow-up, kind) as announced under a
/// primary key and writes the event to the outbox — one event per follow-up and kind, ever.
struct FollowUpJob: Service {
    struct Options: Sendable {
        var interval: Duration = .seconds(60)
        var reminderDays: Int = 14

        /// Reads `STYRBORD_FOLLOWUP_JOB_INTERVAL_SECONDS` and `STYRBORD_FOLLOWUP_REMINDER_DAYS`
        /// (declared with their defaults in `ServiceConfiguration`).
        static func load(from environment: [String: String]) throws -> Options {
            var options = Options()
            if let text = environment["STYRBORD_FOLLOWUP_JOB_INTERVAL_SECONDS"], !text.isEmpty {
                guard let seconds = Int(text), (1...86_400).contains(seconds) else {
                    throw ConfigurationError(
                        variable: "STYRBORD_FOLLOWUP_JOB_INTERVAL_SECONDS",
                        problem: "must be a whole number of seconds from 1 to 86400; got '\(text)'")
                }
                options.interval = .seconds(seconds)
            }
            if let text = environment["STYRBORD_FOLLOWUP_REMINDER_DAYS"], !text.isEmpty {
                guard let days = Int(text), (0...365).contains(days) else {
                    throw ConfigurationError(
                        variable: "STYRBORD_FOLLOWUP_REMINDER_DAYS", problem: "must be a whole number of days from 0 to 365; got '\(text)'")
                }
                options.reminderDays = days
            }
            return options
        }
    }

    /// The job's name in `styrbord_job_last_success_timestamp_seconds{job_name=…}`.
    static let jobName = "overdue-follow-ups"

    let pool: PostgresPool
    let eventSource: String
    let options: Options
    let logger: Logger
    private let lastSuccess: Gauge

    init(pool: PostgresPool, eventSource: String, options: Options, logger: Logger) {
        self.pool = pool
        self.eventSource = eventSource
        self.options = options
        self.logger = logger
        lastSuccess = Gauge(label: "styrbord_job_last_success_timestamp_seconds", dimensions: [("job_name", Self.jobName)])
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    var announced = 0
                    repeat {
                        announced = try await runOnce(today: CalendarDate.todayInStockholm)
                    } while announced > 0 && !Task.isCancelled
                    lastSuccess.record(Date().timeIntervalSince1970)
                    try await Task.sleep(for: options.interval)
                } catch is CancellationError {
                    break
                } catch {
                    logger.warning("follow-up round failed; retrying", metadata: ["error": "\(error)"])
                    do { try await Task.sleep(for: .seconds(1)) } catch { break }
                }
            }
        }
    }

    /// One round of at most `limit` follow-ups; returns how many events it wrote.
    @discardableResult
    func runOnce(today: CalendarDate, limit: Int = 100) async throws -> Int {
        try await pool.withTransaction { connection in
            let rows = try await connection.query(
                """
                SELECT f.follow_up_id, f.initiative_id, f.benefit_id, f.months, f.due_on::text AS due_on_text,
                       CASE WHEN f.due_on < $1::date THEN 'overdue' ELSE 'due' END AS kind,
                       p.organisation_id, p.title, p.benefits
                FROM follow_ups f JOIN benefit_plans p ON p.initiative_id = f.initiative_id
                WHERE f.due_on <= $1::date + $2::int AND p.phase <> 'evaluated'
                  -- a cancelled plan (its initiative deferred or rejected) is no longer followed up
                  AND p.status <> 'cancelled'
                  -- only benefits of the current revision (one a revision removed is no longer followed up)
                  AND p.benefits @> jsonb_build_array(jsonb_build_object('benefitId', upper(f.benefit_id::text)))
                  AND NOT EXISTS (
                      SELECT 1 FROM follow_up_notices n WHERE n.follow_up_id = f.follow_up_id
                        AND n.kind = CASE WHEN f.due_on < $1::date THEN 'overdue' ELSE 'due' END)
                  AND NOT EXISTS (
                      SELECT 1 FROM measurements m WHERE m.initiative_id = f.initiative_id AND m.benefit_id = f.benefit_id
                        AND m.measured_on >= f.due_on - $2::int)
                ORDER BY f.due_on LIMIT $3
                FOR UPDATE OF f SKIP LOCKED
                """, [today.description, options.reminderDays, limit])
            var written = 0
            for row in rows {
                let followUpId: UUID = try row.decode("follow_up_id")
                let kind: String = try row.decode("kind")
                // The primary key is the guard: a concurrent instance that claimed the row
                // after this transaction commits finds the notice and writes nothing.
                let claimed = try await connection.execute(
                    "INSERT INTO follow_up_notices (follow_up_id, kind, emitted_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    [followUpId, kind, Date()])
                guard claimed == 1 else { continue }
                let benefitId: UUID = try row.decode("benefit_id")
                let organisation = try row.organisationID("organisation_id")
                let benefits = try row.decode("benefits", as: PostgresJSON<[PlannedBenefit]>.self).value
                let benefit = benefits.first { $0.benefitId == benefitId }
                let initiative = try row.initiativeID()
                let notice = FollowUpNotice(
                    followUpId: followUpId, initiativeId: initiative, organisationId: organisation,
                    ownerOrganisationId: benefit?.owner?.organisationId ?? organisation, title: try row.decode("title"),
                    benefitId: benefitId, benefitDescription: benefit?.description ?? "", months: try row.decode("months"),
                    dueOn: try CalendarDate(try row.decode("due_on_text", as: String.self)).orThrow("due_on"))
                if kind == "overdue" {
                    try await Outbox.enqueue(FollowUpOverdueV1(notice), about: initiative, topic: Topic.benefits, source: eventSource, on: connection)
                } else {
                    try await Outbox.enqueue(FollowUpDueV1(notice), about: initiative, topic: Topic.benefits, source: eventSource, on: connection)
                }
                written += 1
            }
            return written
        }
    }
}
