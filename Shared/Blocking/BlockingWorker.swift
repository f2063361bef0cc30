import Dispatch

/// A serial queue for blocking C calls (libpq queries, librdkafka polls and flushes), so
/// they never run on Swift's cooperative thread pool: Dispatch gives a blocked serial
/// queue a thread of its own. Work submitted to one worker runs one at a time, in order.
public final class BlockingWorker: Sendable {
    private let queue: DispatchQueue

    public init(label: String) {
        queue = DispatchQueue(label: label)
    }

    /// Runs `body` on the worker's queue and returns its result to the caller.
    public func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: Result { () throws(E) -> T in try body() })
            }
        }
        return try result.get()
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
