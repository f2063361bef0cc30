import Logging
import Synchronization

/// A bounded pool of database sessions.
///
/// Sessions open lazily up to `maximumConnections`; callers beyond that wait in line
/// (first come, first served) up to `acquireTimeout`. A session that broke is closed
/// instead of returned.
public final class PostgresPool: Sendable {
    public let configuration: PostgresConfiguration
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var idle: [PostgresConnection] = []
        var open = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Lease, any Error>)] = []
        var nextWaiterID: UInt64 = 0
        var closed = false
    }

    /// What a waiter is given: an idle session, or the right to open a new one.
    private enum Lease: Sendable {
        case existing(PostgresConnection)
        case openNew
    }

    public init(configuration: PostgresConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Lends a session for the duration of `body`. The body runs on the session's own
    /// thread, so its statements call libpq directly instead of hopping threads each.
    public func withConnection<T: Sendable>(
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await acquire()
        do {
            let result = try await withTaskExecutorPreference(connection.worker) { try await body(connection) }
            release(connection)
            return result
        } catch {
            release(connection)
            throw error
        }
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it
    /// throws (the error is rethrown unchanged).
    public func withTransaction<T: Sendable>(
        isolation: TransactionIsolation = .readCommitted,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withConnection { connection in
            try await connection.executeScript("BEGIN ISOLATION LEVEL \(isolation.sql)")
            let result: T
            do {
                result = try await body(connection)
            } catch {
                do { try await connection.executeScript("ROLLBACK") } catch let rollbackError {
                    logger.warning("rollback failed", metadata: ["error": "\(rollbackError)"])
                }
                throw error
            }
            try await connection.executeScript("COMMIT")
            return result
        }
    }

    /// True when a session can run `SELECT 1` now.
    public func isReachable() async -> Bool {
        do {
            return try await withConnection { connection in
                try await connection.query("SELECT 1").count == 1
            }
        } catch {
            return false
        }
    }

    /// Sessions open right now (idle and lent out).
    public var openConnections: Int { state.withLock { $0.open } }

    /// Closes idle sessions and fails waiting and future callers.
    public func close() {
        let (idle, waiters) = state.withLock { state in
            state.closed = true
            defer {
                state.idle = []
                state.waiters = []
            }
            state.open -= state.idle.count
            return (state.idle, state.waiters)
        }
        _ = idle  // released here: deinit closes each session
        for waiter in waiters {
            waiter.continuation.resume(throwing: PostgresError(kind: .pool, message: "the pool was closed"))
        }
    }

    private func acquire() async throws -> PostgresConnection {
        enum Decision { case use(PostgresConnection), open, wait, closed }
        let decision: Decision = state.withLock { state in
            if state.closed { return .closed }
            if let connection = state.idle.popLast() { return .use(connection) }
            if state.open < configuration.maximumConnections {
                state.open += 1
                return .open
            }
            return .wait
        }
        switch decision {
        case .use(let connection): return connection
        case .open: return try await openConnection()
        case .closed: throw PostgresError(kind: .pool, message: "the pool was closed")
        case .wait:
            switch try await waitForLease() {
            case .existing(let connection): return connection
            case .openNew: return try await openConnection()
            }
        }
    }

    private func openConnection() async throws -> PostgresConnection {
        do {
            return try await PostgresConnection.connect(
                conninfo: configuration.conninfo, label: "styrbord.postgres.\(configuration.applicationName)")
        } catch {
            // Give the slot back: a waiter may try again.
            handBack(nil)
            throw error
        }
    }

    private func waitForLease() async throws -> Lease {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        let timeout = configuration.acquireTimeout
        return try await withThrowingTaskGroup(of: Lease?.self) { group in
            group.addTask {
                try await withTaskCancellationHandler {
                    try await withCheckedThrowingContinuation { continuation in
                        let enqueued = self.state.withLock { state -> Bool in
                            if state.closed { return false }
                            state.waiters.append((id, continuation))
                            return true
                        }
                        if !enqueued {
                            continuation.resume(throwing: PostgresError(kind: .pool, message: "the pool was closed"))
                        }
                    }
                } onCancel: {
                    self.cancelWaiter(id)
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let lease = first else {
                throw PostgresError(
                    kind: .pool,
                    message: "no database session free within \(timeout) (\(configuration.maximumConnections) in use)")
            }
            return lease
        }
    }

    private func cancelWaiter(_ id: UInt64) {
        let continuation = state.withLock { state -> CheckedContinuation<Lease, any Error>? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index).continuation
        }
        continuation?.resume(throwing: CancellationError())
    }

    private func release(_ connection: PostgresConnection) {
        let usable = connection.isUsable && connection.raw.isIdleOutsideTransaction
        if !usable {
            logger.warning("closing a broken or mid-transaction database session")
        }
        handBack(usable ? connection : nil)
    }

    /// Gives a session (or, with nil, its slot) to the first waiter, or back to the pool.
    private func handBack(_ connection: PostgresConnection?) {
        let waiter = state.withLock { state -> (CheckedContinuation<Lease, any Error>, Lease)? in
            if !state.waiters.isEmpty && !state.closed {
                let waiter = state.waiters.removeFirst()
                return (waiter.continuation, connection.map(Lease.existing) ?? .openNew)
            }
            if let connection, !state.closed {
                state.idle.append(connection)
            } else {
                state.open -= 1
            }
            return nil
        }
        if let (continuation, lease) = waiter { continuation.resume(returning: lease) }
    }
}

/// Transaction isolation levels.
public enum TransactionIsolation: Sendable {
    case readCommitted, repeatableRead, serializable

    var sql: String {
        switch self {
        case .readCommitted: "READ COMMITTED"
        case .repeatableRead: "REPEATABLE READ"
        case .serializable: "SERIALIZABLE"
        }
    }
}
