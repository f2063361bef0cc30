import Foundation
import Hummingbird
import HummingbirdTesting
import Messaging
import Persistence
import Prometheus
import ServiceKit
import Testing

/// A Tansu broker of the test's own, so stopping it disturbs no other test.
final class PrivateBroker: @unchecked Sendable {
    let port: Int
    private var process: Process?

    init() throws {
        port = try freeLoopbackPort()
        try start()
    }

    var address: String { "127.0.0.1:\(port)" }

    func start() throws {
        let tansu = try tansuPath()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tansu)
        process.arguments = ["broker", "--listener-url", "tcp://127.0.0.1:\(port)",
                             "--advertised-listener-url", "tcp://127.0.0.1:\(port)", "--storage-engine", "memory://tansu/"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
    }

    /// Kills the broker outright, as a crash would (Tansu's graceful stop waits for its
    /// clients to disconnect, which the test's own producer never does).
    func stop() {
        guard let process else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    deinit { stop() }
}

private func tansuPath() throws -> String {
    if let path = TestStack.environment["STYRBORD_TANSU"] { return path }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["bash", "scripts/stack.sh", "tansu-path"]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Asks the kernel for a free loopback port.
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    guard bound == 0 else { throw TimedOut(what: "a free port") }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

@Suite("Health endpoints over a real socket")
struct ReadinessTests {
    @Test("readiness is false while the broker is stopped and true again after it returns")
    func readinessFollowsTheBroker() async throws {
        let broker = try PrivateBroker()
        let pool = TestStack.pool()
        defer { pool.close() }
        let producer = try KafkaProducer(configuration: TestStack.kafka(brokers: broker.address), logger: TestStack.logger)
        let health = HealthChecks(
            pool: pool, producer: producer, registry: PrometheusCollectorRegistry(), timeout: .milliseconds(500))
        let router = Router()
        health.addRoutes(to: router)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))

        try await app.test(.live) { client in
            func readyStatus() async throws -> HTTPResponse.Status {
                try await client.execute(uri: "/health/ready", method: .get).status
            }
            try await waitUntil("ready with the broker up") { try await readyStatus() == .ok }
            let live = try await client.execute(uri: "/health/live", method: .get)
            #expect(live.status == .ok)

            broker.stop()
            try await waitUntil("not ready with the broker down") { try await readyStatus() == .serviceUnavailable }
            let body = try await client.execute(uri: "/health/ready", method: .get).body
            #expect(String(buffer: body).contains(#""broker":false"#))
            #expect(String(buffer: body).contains(#""database":true"#))
            #expect(try await client.execute(uri: "/health/live", method: .get).status == .ok, "liveness does not depend on the broker")

            try broker.start()
            try await waitUntil("ready again with the broker back", timeout: .seconds(60)) { try await readyStatus() == .ok }
        }
        await producer.shutdown()
        broker.stop()
    }

    @Test("metrics are served in the Prometheus text format")
    func metricsEndpoint() async throws {
        let pool = TestStack.pool()
        defer { pool.close() }
        let producer = try KafkaProducer(configuration: TestStack.kafka(), logger: TestStack.logger)
        let registry = PrometheusCollectorRegistry()
        registry.makeCounter(name: "styrbord_test_total").increment(by: Int64(3))
        let router = Router()
        HealthChecks(pool: pool, producer: producer, registry: registry).addRoutes(to: router)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
            #expect(String(buffer: response.body).contains("styrbord_test_total 3"))
        }
        await producer.shutdown()
    }
}
