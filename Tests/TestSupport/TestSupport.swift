import Crypto
import Foundation

/// A condition did not hold within its deadline, or a helper process failed.
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Polls `condition` until it holds or `timeout` passes; tests never sleep a fixed time.
public func waitUntil(
    _ what: String, timeout: Duration = .seconds(60), every interval: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: interval)
    }
    if try await condition() { return }
    throw TestFailure("timed out waiting for \(what)")
}

/// Runs a program to its end and returns its exit status, how it ended and its output.
@discardableResult
public func runProcess(_ executable: URL, _ arguments: [String]) throws
    -> (status: Int32, reason: Process.TerminationReason, output: String)
{
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, process.terminationReason, String(decoding: data, as: UTF8.self))
}

/// Runs a command found on PATH (or a script through bash) from the package root.
@discardableResult
public func runCommand(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let result = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), arguments)
    return (result.status, result.output)
}

/// The folder holding the test bundle and the package's other built products.
public var productsDirectory: URL {
    URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
}

/// Hands out a loopback port no other caller in this test process has had, and that is
/// free now. Ports come from below the kernel's ephemeral range (32768–60999 here), so
/// an outgoing connection can never take one between handing it out and the service
/// binding it, and parallel suites never get the same port: an earlier version asked the
/// kernel for port 0, and two suites' services were once given one port, so one suite's
/// requests reached the other suite's service.
public func freeLoopbackPort() throws -> Int {
    try PortAllocator.shared.next()
}

private final class PortAllocator: @unchecked Sendable {
    static let shared = PortAllocator()
    private static let range = 21_000..<32_000
    private let lock = NSLock()
    private var cursor = range.lowerBound + Int(getpid()) % (range.count / 2)

    func next() throws -> Int {
        try lock.withLock {
            for _ in 0..<Self.range.count {
                let candidate = cursor
                cursor = cursor + 1 == Self.range.upperBound ? Self.range.lowerBound : cursor + 1
                if Self.isFree(candidate) { return candidate }
            }
            throw TestFailure("no free loopback port in \(Self.range)")
        }
    }

    private static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        } == 0
    }
}

/// A Tansu broker of a test's own on a free port, so stopping it disturbs nothing else.
public final class PrivateBroker: @unchecked Sendable {
    public let port: Int
    private let lock = NSLock()
    private var process: Process?

    public init(port: Int? = nil) throws {
        self.port = try port ?? freeLoopbackPort()
        try start()
    }

    public var address: String { "127.0.0.1:\(port)" }

    public func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.tansuPath())
        process.arguments = ["broker", "--listener-url", "tcp://\(address)", "--advertised-listener-url", "tcp://\(address)",
                             "--storage-engine", "memory://tansu/"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        lock.withLock { self.process = process }
    }

    /// Kills the broker outright, as a crash would (Tansu's graceful stop waits for its
    /// clients to disconnect, which a test's own producer never does).
    public func stop() {
        guard let process = lock.withLock({ () -> Process? in
            defer { self.process = nil }
            return self.process
        }) else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }

    /// The Tansu binary: `STYRBORD_TANSU`, or where scripts/stack.sh finds it.
    public static func tansuPath() throws -> String {
        if let path = ProcessInfo.processInfo.environment["STYRBORD_TANSU"] { return path }
        let result = try runCommand(["bash", "scripts/stack.sh", "tansu-path"])
        guard result.status == 0 else { throw TestFailure("Tansu not found: \(result.output)") }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// `runProcess` on a thread of its own: waiting for a child process must not occupy one of
/// Swift's few cooperative threads, or every other test stalls meanwhile.
public func runProcessDetached(_ executable: URL, _ arguments: [String]) async throws
    -> (status: Int32, reason: Process.TerminationReason, output: String)
{
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try runProcess(executable, arguments) })
        }
        thread.start()
    }
}

/// Access tokens for tests, made independently of the service kit (plain HS256 over the
/// JSON claims), so the services are shown to accept any standard JWT, not only their own.
public enum TestTokens {
    /// The shared secret the test processes give the services (`STYRBORD_AUTH_HMAC_KEYS`).
    public static let secret: String = (0..<4).map { _ in String(UInt64.random(in: 0...UInt64.max), radix: 16) }.joined()
        .padding(toLength: 64, withPad: "0", startingAt: 0)

    public static func mint(
        subject: String, organisation: String, roles: [String], secret: String = TestTokens.secret,
        issuer: String = "styrbord", audience: String = "styrbord", expiresIn seconds: Int = 3600, email: String? = nil
    ) -> String {
        func base64URL(_ data: some DataProtocol) -> String {
            Data(data).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }
        let now = Int(Date().timeIntervalSince1970)
        var claims: [String: Any] = [
            "sub": subject, "org": organisation, "roles": roles, "iss": issuer, "aud": audience, "iat": now,
            "exp": now + seconds,
        ]
        if let email { claims["email"] = email }
        let header = base64URL(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let payload = base64URL((try? JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys])) ?? Data())
        let signature = HMAC<SHA256>.authenticationCode(
            for: Data("\(header).\(payload)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return "\(header).\(payload).\(base64URL(Array(signature)))"
    }
}
