import Foundation
import TestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The five service processes started from the built executables against a database of
/// their own (provisioned by scripts/provision-db.sh) and a Tansu broker of their own, so
/// tests neither see nor disturb anything else on the local stack.
final class RunningSystem: @unchecked Sendable {
    static let services = ["intake", "analysis", "prioritisation", "benefits", "notifications"]

    let database: String
    let brokerPort: Int
    /// The services this system runs (all five unless a test needs fewer).
    let running: [String]
    let ports: [String: Int]
    let logDirectory: URL
    private let lock = NSLock()
    private var processes: [String: Process] = [:]
    private var broker: PrivateBroker?

    static var environment: [String: String] { ProcessInfo.processInfo.environment }
    static var pgPort: String { environment["STYRBORD_PG_PORT"] ?? "55432" }

    /// Further variables every service process gets (an SMTP sink's address, say).
    let extraEnvironment: [String: String]

    init(only running: [String] = RunningSystem.services, environment extra: [String: String] = [:]) async throws {
        self.running = running
        extraEnvironment = extra
        database = "e2e_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(10)
        brokerPort = try freeLoopbackPort()
        var ports: [String: Int] = [:]
        for service in Self.services { ports[service] = try freeLoopbackPort() }
        self.ports = ports
        logDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("styrbord-\(database)")
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
        let provision = try await runProcessDetached(URL(fileURLWithPath: "/usr/bin/env"), ["bash", "scripts/provision-db.sh", database])
        guard provision.status == 0 else { throw SystemError("provisioning failed: \(provision.output)") }
        try startBroker()
        for service in running { try start(service) }
        for service in running { try await waitUntilReady(service) }
    }

    func url(_ service: String, _ path: String) -> URL {
        URL(string: "http://127.0.0.1:\(ports[service] ?? 0)\(path)")!
    }

    var adminDatabaseURL: String { "postgresql://postgres@127.0.0.1:\(Self.pgPort)/\(database)" }

    func databaseURL(asRoleOf service: String) -> String {
        "postgresql://styrbord_\(service)@127.0.0.1:\(Self.pgPort)/\(database)"
    }

    private func startBroker() throws {
        broker = try PrivateBroker(port: brokerPort)
    }

    /// Starts one service process; `instance` and `port` start a further instance of it.
    func start(_ service: String, instance: String? = nil, port: Int? = nil, environment more: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = productsDirectory.appendingPathComponent("styrbord-\(service)")
        process.arguments = ["serve"]
        var environment = Self.environment
        environment["STYRBORD_HTTP_HOST"] = "127.0.0.1"
        environment["STYRBORD_HTTP_PORT"] = String(port ?? ports[service] ?? 0)
        environment["STYRBORD_DATABASE_URL"] = databaseURL(asRoleOf: service)
        environment["STYRBORD_KAFKA_BROKERS"] = "127.0.0.1:\(brokerPort)"
        environment["STYRBORD_KAFKA_PROFILE"] = "local"
        environment["STYRBORD_TOPIC_PARTITIONS"] = "3"
        environment["STYRBORD_LOG_LEVEL"] = "info"
        environment["STYRBORD_AUTH_HMAC_KEYS"] = TestTokens.secret
        environment.merge(extraEnvironment) { _, extra in extra }
        environment.merge(more) { _, extra in extra }
        process.environment = environment
        let log = logDirectory.appendingPathComponent("\(instance ?? service).log")
        if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        lock.withLock { processes[instance ?? service] = process }
    }

    /// Kills a service outright (SIGKILL), as a crash or an OOM kill would.
    func kill(_ service: String) {
        guard let process = lock.withLock({ processes.removeValue(forKey: service) }) else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func waitUntilReady(_ service: String, timeout: Duration = .seconds(120)) async throws {
        try await waitUntil("\(service) ready (log: \(logDirectory.path)/\(service).log)", timeout: timeout, every: .milliseconds(100)) {
            guard lock.withLock({ processes[service]?.isRunning }) == true else {
                throw SystemError("\(service) exited; see \(logDirectory.path)/\(service).log")
            }
            return (try? await HTTP.get(url(service, "/health/ready")).status) == 200
        }
    }

    /// Stops everything: services gracefully, then the broker, then drops the database.
    func shutDown() {
        let running = lock.withLock { () -> [Process] in
            defer { processes = [:] }
            return Array(processes.values)
        }
        for process in running { process.terminate() }
        for process in running {
            let deadline = Date().addingTimeInterval(15)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        }
        broker?.stop()
        _ = try? runCommand(["psql", "-q", "-X", "postgresql://postgres@127.0.0.1:\(Self.pgPort)/postgres",
                                      "-c", "DROP DATABASE IF EXISTS \(database) WITH (FORCE)"])
    }

    /// Holds real responses to the services' OpenAPI documents (scripts/check-contracts.py).
    func checkAgainstOpenAPI(_ replies: [HTTP.Reply]) throws -> (passed: Bool, output: String) {
        let byPort = Dictionary(uniqueKeysWithValues: ports.map { ($0.value, $0.key) })
        let manifest: [[String: Any]] = replies.map { reply in
            var path = reply.url.path
            if let query = reply.url.query { path += "?" + query }
            return [
                "service": byPort[reply.url.port ?? 0] ?? "unknown", "method": reply.method, "path": path,
                "status": reply.status, "contentType": reply.contentType ?? "",
                "body": reply.json ?? String(decoding: reply.body, as: UTF8.self),
            ]
        }
        let file = logDirectory.appendingPathComponent("responses-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: manifest).write(to: file)
        let result = try runCommand(["python3", "scripts/check-contracts.py", "responses", file.path])
        return (result.status == 0, result.output)
    }
}

typealias SystemError = TestFailure

/// A tiny JSON-over-HTTP client on URLSession.
enum HTTP {
    struct Reply: Sendable {
        let method: String
        let url: URL
        let status: Int
        let body: Data
        var json: Any? { try? JSONSerialization.jsonObject(with: body) }
        var object: [String: Any] { json as? [String: Any] ?? [:] }
        var contentType: String?
        var headers: [String: String] = [:]

        func header(_ name: String) -> String? {
            headers.first { $0.key.lowercased() == name.lowercased() }?.value
        }
    }

    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 10
        return URLSession(configuration: configuration)
    }()

    /// What requests carry unless they say otherwise: an admin of the city office, who
    /// may act for every organisation (the walking skeleton's tests are not about access).
    static let adminToken = TestTokens.mint(subject: "test-admin", organisation: "slk", roles: ["admin"])

    static func get(_ url: URL, token: String? = adminToken) async throws -> Reply {
        try await send(URLRequest(url: url), token: token)
    }

    static func post(_ url: URL, _ body: [String: Any], headers: [String: String] = [:], token: String? = adminToken)
        async throws -> Reply
    {
        // Sorted keys: the same dictionary is the same bytes, as a client's retry is.
        try await send(
            url, method: "POST", body: try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]), headers: headers,
            token: token)
    }

    static func send(
        _ url: URL, method: String, body: Data?, contentType: String = "application/json", headers: [String: String] = [:],
        token: String? = adminToken
    ) async throws -> Reply {
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.httpBody = body
        if body != nil { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        return try await send(request, token: token)
    }

    static func send(_ request: URLRequest, token: String? = adminToken) async throws -> Reply {
        var request = request
        if let token, request.value(forHTTPHeaderField: "Authorization") == nil {
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        }
        let (data, response) = try await session.data(for: request)
        let http = response as? HTTPURLResponse
        return Reply(
            method: request.httpMethod ?? "GET", url: request.url!, status: http?.statusCode ?? 0, body: data,
            contentType: http?.value(forHTTPHeaderField: "Content-Type"), headers: http?.allHeaderFields as? [String: String] ?? [:])
    }

    /// Retries through connection failures and 5xx (a service being restarted) until
    /// `accept` holds for the reply or `timeout` passes.
    static func retrying(
        timeout: Duration = .seconds(90), _ what: String, _ call: () async throws -> Reply, until accept: (Reply) -> Bool
    ) async throws -> Reply {
        let deadline = ContinuousClock.now + timeout
        var last: String = "no attempt"
        while ContinuousClock.now < deadline {
            do {
                let reply = try await call()
                if accept(reply) { return reply }
                last = "status \(reply.status): \(String(decoding: reply.body.prefix(300), as: UTF8.self))"
            } catch {
                last = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw SystemError("\(what) did not succeed: \(last)")
    }
}
