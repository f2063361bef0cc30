import ServiceLifecycle

/// Keeps a shared resource (pool, producer) alive in the service group and closes it on
/// graceful shutdown. Listed first, it is shut down last, after everything that uses it.
public struct ClosingService: Service {
    private let close: @Sendable () async -> Void

    public init(close: @escaping @Sendable () async -> Void) {
        self.close = close
    }

    public func run() async throws {
        // Returns when shutdown begins (or throws on cancellation); close either way.
        try? await gracefulShutdown()
        await close()
    }
}
