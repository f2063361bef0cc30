import Blocking

/// A session of its own that `LISTEN`s on one channel, so a waiter wakes as soon as
/// another session's transaction that sent `NOTIFY` commits, instead of polling.
public final class PostgresListener: Sendable {
    private let connection: PostgresConnection
    public let channel: String

    private init(connection: PostgresConnection, channel: String) {
        self.connection = connection
        self.channel = channel
    }

    /// Opens a session and starts listening; the channel must be a plain identifier.
    public static func listen(configuration: PostgresConfiguration, channel: String) async throws(PostgresError)
        -> PostgresListener
    {
        guard SQLIdentifier.isValid(channel) else {
            throw PostgresError(kind: .server, message: "channel name \(channel) must match [a-z_][a-z0-9_]{0,62}")
        }
        let connection = try await PostgresConnection.connect(
            conninfo: configuration.conninfo, label: "styrbord.postgres.listen.\(channel)")
        try await connection.executeScript("LISTEN \(SQLIdentifier.quote(channel))")
        return PostgresListener(connection: connection, channel: channel)
    }

    /// Waits until a notification arrives (true) or `timeout` passes (false).
    public func wait(timeout: Duration) async throws(PostgresError) -> Bool {
        try await connection.waitForNotification(timeout: timeout)
    }

    /// False once the session broke; open a new listener then.
    public var isUsable: Bool { connection.isUsable }
}

extension PostgresConnection {
    func waitForNotification(timeout: Duration) async throws(PostgresError) -> Bool {
        let raw = self.raw
        let milliseconds = timeout.clampedMilliseconds
        return try await worker.run { () throws(PostgresError) -> Bool in
            try raw.waitForNotification(timeoutMilliseconds: milliseconds)
        }
    }
}
