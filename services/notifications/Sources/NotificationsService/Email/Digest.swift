import Foundation
import Logging
import Persistence
import ServiceLifecycle

/// When digests close: daily at `STYRBORD_DIGEST_HOUR` (7) Swedish time, or — for
/// development and tests — every `STYRBORD_DIGEST_INTERVAL_SECONDS` when that is set.
struct DigestSchedule: Sendable, Equatable {
    var hour = 7
    var intervalSeconds = 0

    static func load(from environment: [String: String]) throws(SMTPError) -> DigestSchedule {
        var schedule = DigestSchedule()
        if let text = environment["STYRBORD_DIGEST_HOUR"], !text.isEmpty {
            guard let hour = Int(text), (0...23).contains(hour) else {
                throw SMTPError(stage: "configuration", reply: "STYRBORD_DIGEST_HOUR must be an hour 0–23, not \(text)")
            }
            schedule.hour = hour
        }
        if let text = environment["STYRBORD_DIGEST_INTERVAL_SECONDS"], !text.isEmpty {
            guard let seconds = Int(text), (0...86_400).contains(seconds) else {
                throw SMTPError(
                    stage: "configuration", reply: "STYRBORD_DIGEST_INTERVAL_SECONDS must be 0–86400 seconds, not \(text)")
            }
            schedule.intervalSeconds = seconds
        }
        return schedule
    }

    /// The end of the last period that is over at `now`: what arrived before it goes into
    /// the digests of that period.
    func lastPeriodEnd(before now: Date) -> Date {
        if intervalSeconds > 0 {
            let seconds = now.timeIntervalSince1970
            return Date(timeIntervalSince1970: (seconds / Double(intervalSeconds)).rounded(.down) * Double(intervalSeconds))
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Stockholm") ?? .gmt
        let today = calendar.date(bySettingHour: hour, minute: 0, second: 0, of: now) ?? now
        return today <= now ? today : calendar.date(byAdding: .day, value: -1, to: today) ?? today
    }
}

/// Makes and sends digests for people with `digest: daily`. Each round, under a
/// transaction-scoped advisory lock (one composer at a time across instances), gathers
/// every waiting entry from before the last period end into one digest per person — the
/// unique (person, period end) makes a repeat a no-op — then sends due digests like single
/// e-mails: locked with `SKIP LOCKED`, marked sent in the same transaction, retried with
/// backoff on failure.
struct DigestService: Service {
    let pool: PostgresPool
    let client: SMTPClient
    let schedule: DigestSchedule
    let logger: Logger

    var roundInterval: Duration {
        schedule.intervalSeconds > 0 ? .milliseconds(max(200, schedule.intervalSeconds * 250)) : .seconds(30)
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await compose(periodEnd: schedule.lastPeriodEnd(before: Date()))
                    while try await sendDue() > 0 {}
                    try await Task.sleep(for: roundInterval)
                } catch is CancellationError {
                    break
                } catch {
                    logger.warning("digest round failed; retrying", metadata: ["error": "\(error)"])
                    do { try await Task.sleep(for: .seconds(1)) } catch { break }
                }
            }
        }
    }

    /// Gathers the entries from before `periodEnd` into digests; returns how many it made.
    @discardableResult
    func compose(periodEnd: Date) async throws -> Int {
        try await pool.withTransaction { connection in
            try await connection.execute("SELECT pg_advisory_xact_lock(hashtext('styrbord_digest_compose'))")
            let made = try await connection.query(
                """
                INSERT INTO digests (digest_id, subject, address, period_end, entries, created_at, next_attempt_at)
                SELECT gen_random_uuid(), e.subject, p.email, $1, count(*), now(), now()
                FROM digest_entries e JOIN preferences p ON p.subject = e.subject AND p.email IS NOT NULL
                WHERE e.digest_id IS NULL AND e.created_at < $1
                GROUP BY e.subject, p.email
                ON CONFLICT (subject, period_end) DO NOTHING
                RETURNING digest_id
                """, [periodEnd])
            try await connection.execute(
                """
                UPDATE digest_entries e SET digest_id = d.digest_id FROM digests d
                WHERE d.subject = e.subject AND d.period_end = $1 AND e.digest_id IS NULL AND e.created_at < $1
                """, [periodEnd])
            return made.count
        }
    }

    /// Sends a batch of due digests; returns how many it attempted.
    func sendDue(limit: Int = 10) async throws -> Int {
        let client = client
        return try await pool.withTransaction { connection in
            let digests = try await connection.query(
                """
                SELECT digest_id, address, attempts FROM digests
                WHERE sent_at IS NULL AND next_attempt_at <= now()
                ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED
                """, [limit])
            for digest in digests {
                let id = try digest.decode("digest_id", as: UUID.self)
                let address = try digest.decode("address", as: String.self)
                let items = try await connection.query(
                    """
                    SELECT n.title_sv, n.action_sv, n.title_en, n.action_en, n.due_on::text AS due_on, n.link
                    FROM digest_entries e JOIN notifications n ON n.notification_id = e.notification_id
                    WHERE e.digest_id = $1 ORDER BY n.seq
                    """, [id])
                let message = try Self.message(digestId: id, from: client.configuration.from, to: address, items: items)
                do {
                    try await client.send(to: address, message: message)
                    try await connection.execute(
                        "UPDATE digests SET sent_at = now(), attempts = attempts + 1, last_error = NULL WHERE digest_id = $1", [id])
                } catch {
                    let attempts = try digest.decode("attempts", as: Int.self) + 1
                    logger.warning("digest not delivered", metadata: ["digest": "\(id)", "error": "\(error)"])
                    try await connection.execute(
                        """
                        UPDATE digests SET attempts = $2, last_error = $3, next_attempt_at = now() + make_interval(secs => $4)
                        WHERE digest_id = $1
                        """, [id, attempts, "\(error)", EmailQueue.retryDelaySeconds(afterAttempts: attempts)])
                }
            }
            return digests.count
        }
    }

    /// Swedish first, English second: one line per notification with what to do, by
    /// when, and the link.
    static func message(digestId: UUID, from: String, to: String, items: [PostgresRow]) throws -> String {
        let count = items.count
        var swedish = ["Styrbord: \(count) \(count == 1 ? "ny notis" : "nya notiser") sedan förra sammanfattningen", ""]
        var english = ["", "-- In English --", "", "Styrbord: \(count) new notification\(count == 1 ? "" : "s") since the last digest", ""]
        for item in items {
            let due = try item.decode("due_on", as: String?.self)
            let link = try item.decode("link", as: String?.self)
            var sv = "• " + (try item.decode("title_sv", as: String.self))
            if let action = try item.decode("action_sv", as: String?.self) { sv += " — " + action }
            if let due { sv += " (senast \(due))" }
            if let link { sv += " " + link }
            var en = "• " + (try item.decode("title_en", as: String.self))
            if let action = try item.decode("action_en", as: String?.self) { en += " — " + action }
            if let due { en += " (due \(due))" }
            swedish.append(sv)
            english.append(en)
        }
        return EmailQueue.compose(
            id: digestId, from: from, to: to, subject: "Styrbord: daglig sammanfattning (\(count))",
            lines: swedish + english, date: Date())
    }
}
