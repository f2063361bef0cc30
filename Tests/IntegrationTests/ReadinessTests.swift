import Foundation
import Hummingbird
import HummingbirdTesting
import Messaging
import Persistence
import Prometheus
import ServiceKit
import TestSupport
import Testing

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
