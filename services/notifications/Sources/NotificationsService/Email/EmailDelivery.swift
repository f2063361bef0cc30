import Foundation
import Logging
import Persistence
import ServiceLifecycle

/// E-mail for people who asked for it (`channels: ["in-app", "email"]` in their
/// preferences): one delivery row per (notification, person), written in the same inbox
/// transaction as the notification, so a redelivered event queues nothing twice.
enum EmailQueue {
    /// Queues e-mail of the notifications `eventId` caused to every person who is a
    /// recipient of one (the same audience as the feed, without the read-everything
    /// roles), wants e-mail for its kind, has not muted it, and has an address.
    static func enqueue(forEvent eventId: String, on connection: PostgresConnection) async throws {
        // People with `digest: daily` get the notification in their next digest instead.
        try await connection.execute(
            """
            WITH recipients AS (
                SELECT n.notification_id, p.subject, p.email, COALESCE(p.document ->> 'digest', 'none') = 'daily' AS daily
                FROM notifications n
                JOIN preferences p ON p.email IS NOT NULL
                  AND (p.document -> 'kinds' -> n.kind -> 'channels') ? 'email'
                  AND COALESCE((p.document -> 'kinds' -> n.kind ->> 'muted')::boolean, false) = false
                  AND (('ssg' = ANY(p.roles) AND n.recipient_role = 'ssg')
                       OR (p.organisation_id = n.recipient_organisation
                           AND (n.recipient_role = ANY(p.roles) OR n.recipient_role = 'board')))
                WHERE n.event_id = $1
            ), singles AS (
                INSERT INTO email_deliveries (delivery_id, notification_id, subject, address, created_at, next_attempt_at)
                SELECT gen_random_uuid(), notification_id, subject, email, now(), now() FROM recipients WHERE NOT daily
                ON CONFLICT (notification_id, subject) DO NOTHING
            )
            INSERT INTO digest_entries (notification_id, subject, created_at)
            SELECT notification_id, subject, now() FROM recipients WHERE daily
            ON CONFLICT (notification_id, subject) DO NOTHING
            """, [eventId])
    }

    /// The message: Swedish first, English second; `Message-ID` is the delivery id, so a
    /// resend after a crash between the server's acceptance and our bookkeeping carries
    /// the same id and mail clients show it once.
    static func message(
        deliveryId: UUID, from: String, to: String, titleSv: String, bodySv: String, actionSv: String?, titleEn: String,
        bodyEn: String, actionEn: String?, dueOn: String?, link: String?, date: Date
    ) -> String {
        var text = [titleSv, "", bodySv]
        if let actionSv { text += ["", actionSv] }
        if let link { text += ["", "Länk: \(link)"] }
        text += ["", "-- In English --", "", titleEn, "", bodyEn]
        if let actionEn { text += ["", actionEn] }
        if let dueOn { text += ["", "Senast / Due: \(dueOn)"] }
        return compose(id: deliveryId, from: from, to: to, subject: titleSv, lines: text, date: date)
    }

    /// Seconds before the next try of an e-mail or digest that failed `attempts` times:
    /// doubling from 2 s, at most 15 min.
    static func retryDelaySeconds(afterAttempts attempts: Int) -> Double {
        Double(min(1 << min(attempts, 10), 900))
    }

    /// An RFC 5322 message: UTF-8 text in base64, the subject encoded (RFC 2047), and the
    /// id as `Message-ID`, so a resend carries the same id and mail clients show it once.
    static func compose(id: UUID, from: String, to: String, subject: String, lines: [String], date: Date) -> String {
        let body = Data(lines.joined(separator: "\r\n").utf8).base64EncodedString(
            options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        let headers = [
            "From: Styrbord <\(from)>", "To: <\(to)>", "Subject: =?UTF-8?B?\(Data(subject.utf8).base64EncodedString())?=",
            "Date: \(formatter.string(from: date))", "Message-ID: <\(id.uuidString.lowercased())@styrbord>",
            "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64",
        ]
        return (headers + ["", body]).joined(separator: "\r\n")
    }
}

/// Sends queued e-mail: locks a batch of due deliveries (`FOR UPDATE SKIP LOCKED`, so
/// instances share the work), sends each over SMTP and marks it sent in the same
/// transaction; a failure is recorded with the reason and retried with exponential
/// backoff. At-least-once towards the SMTP server (only a crash after the server accepted
/// a message and before the commit resends it, with the same Message-ID); exactly one
/// delivery per (notification, person).
struct EmailDeliveryService: Service {
    let pool: PostgresPool
    let client: SMTPClient
    let logger: Logger
    var idleInterval: Duration = .milliseconds(200)

    init(pool: PostgresPool, client: SMTPClient, logger: Logger) {
        self.pool = pool
        self.client = client
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    if try await deliverBatch() == 0 { try await Task.sleep(for: idleInterval) }
                } catch is CancellationError {
                    break
                } catch {
                    logger.warning("e-mail round failed; retrying", metadata: ["error": "\(error)"])
                    do { try await Task.sleep(for: .seconds(1)) } catch { break }
                }
            }
        }
    }

    /// One batch; returns how many deliveries it attempted.
    func deliverBatch(limit: Int = 20) async throws -> Int {
        let client = client
        let from = client.configuration.from
        return try await pool.withTransaction { connection in
            let rows = try await connection.query(
                """
                SELECT d.delivery_id, d.address, d.attempts, n.title_sv, n.body_sv, n.action_sv, n.title_en, n.body_en,
                       n.action_en, n.due_on::text AS due_on, n.link
                FROM email_deliveries d JOIN notifications n ON n.notification_id = d.notification_id
                WHERE d.sent_at IS NULL AND d.next_attempt_at <= now()
                ORDER BY d.next_attempt_at LIMIT $1
                FOR UPDATE OF d SKIP LOCKED
                """, [limit])
            for row in rows {
                let id = try row.decode("delivery_id", as: UUID.self)
                let address = try row.decode("address", as: String.self)
                let message = EmailQueue.message(
                    deliveryId: id, from: from, to: address, titleSv: try row.decode("title_sv"),
                    bodySv: try row.decode("body_sv"), actionSv: try row.decode("action_sv", as: String?.self),
                    titleEn: try row.decode("title_en"), bodyEn: try row.decode("body_en"),
                    actionEn: try row.decode("action_en", as: String?.self), dueOn: try row.decode("due_on", as: String?.self),
                    link: try row.decode("link", as: String?.self), date: Date())
                do {
                    try await client.send(to: address, message: message)
                    try await connection.execute(
                        "UPDATE email_deliveries SET sent_at = now(), attempts = attempts + 1, last_error = NULL WHERE delivery_id = $1",
                        [id])
                } catch let error as SMTPError {
                    let attempts = try row.decode("attempts", as: Int.self) + 1
                    logger.warning("e-mail not delivered", metadata: ["delivery": "\(id)", "error": "\(error)"])
                    try await connection.execute(
                        """
                        UPDATE email_deliveries SET attempts = $2, last_error = $3,
                            next_attempt_at = now() + make_interval(secs => $4)
                        WHERE delivery_id = $1
                        """, [id, attempts, error.description, EmailQueue.retryDelaySeconds(afterAttempts: attempts)])
                }
            }
            return rows.count
        }
    }
}
