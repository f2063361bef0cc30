import Foundation

/// A thread of its own for blocking C calls (libpq queries, librdkafka polls and
/// flushes), so they never run on Swift's cooperative thread pool.
///
/// It is also a `TaskExecutor`: code that runs with it as the task executor preference
/// (`PostgresPool.withConnection` does this for a session's whole body) runs on this
/// thread, and `run` then calls the C function directly instead of hopping threads for
/// every statement. Work runs one job at a time, in order.
public final class BlockingWorker: TaskExecutor, @unchecked Sendable {
    // Safe to share: every mutable field of `state` is guarded by its condition.
    private let state: WorkerState

    public init(label: String) {
        let state = WorkerState()
        self.state = state
        state.executor = UnownedTaskExecutor(ordinary: self)
        let thread = Thread { state.serve() }
        thread.name = label
        thread.start()
        state.waitUntilStarted()
    }

    deinit {
        state.stop()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        state.submit(UnownedJob(job))
    }

    /// True when the caller already runs on this worker's thread.
    public var isCurrentThread: Bool { state.isCurrentThread }

    /// Runs `body` on the worker's thread (directly when already there) and returns its result.
    public func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        if isCurrentThread { return try body() }
        let result: Result<T, E> = await withTaskExecutorPreference(self) {
            Result { () throws(E) -> T in try body() }
        }
        return try result.get()
    }
}

/// The job queue and the thread's identity, shared between the worker and its thread.
private final class WorkerState: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var head = 0
    private var stopped = false
    private var thread: pthread_t?
    var executor: UnownedTaskExecutor?

    func serve() {
        condition.lock()
        thread = pthread_self()
        condition.broadcast()
        condition.unlock()
        while true {
            condition.lock()
            while head == jobs.count && !stopped { condition.wait() }
            if head == jobs.count && stopped {
                condition.unlock()
                return
            }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            }
            condition.unlock()
            if let executor { job.runSynchronously(on: executor) }
        }
    }

    func waitUntilStarted() {
        condition.lock()
        while thread == nil { condition.wait() }
        condition.unlock()
    }

    func submit(_ job: UnownedJob) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    var isCurrentThread: Bool {
        // Written once before the worker is handed out (waitUntilStarted), read-only after.
        guard let thread else { return false }
        return pthread_equal(thread, pthread_self()) != 0
    }
}

extension Duration {
    /// Whole milliseconds, clamped to what C APIs taking an `int` timeout accept.
    public var clampedMilliseconds: Int32 {
        let (seconds, attoseconds) = components
        return Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}

extension String {
    /// Decodes a NUL-terminated C buffer that a C API filled in (an error text, say).
    public init(nulTerminated buffer: [CChar]) {
        self = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
