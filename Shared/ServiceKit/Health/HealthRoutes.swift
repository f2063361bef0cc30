import Hummingbird
import Messaging
import Persistence
import Prometheus

/// `GET /health/live`, `GET /health/ready` and `GET /metrics` for the orchestrator.
public struct HealthChecks: Sendable {
    private let pool: PostgresPool
    private let producer: KafkaProducer
    private let registry: PrometheusCollectorRegistry
    private let timeout: Duration

    public init(pool: PostgresPool, producer: KafkaProducer, registry: PrometheusCollectorRegistry,
                timeout: Duration = .seconds(2)) {
        self.pool = pool
        self.producer = producer
        self.registry = registry
        self.timeout = timeout
    }

    /// Whether the database and the broker answer, checked concurrently.
    public func readiness() async -> (database: Bool, broker: Bool) {
        async let database = pool.isReachable()
        async let broker = producer.isBrokerReachable(timeout: timeout)
        return await (database, broker)
    }

    /// The paths it serves, which need no bearer token (orchestrators and Prometheus call them).
    public static let paths: Set<String> = ["/health/live", "/health/ready", "/metrics"]

    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.get("health/live") { _, _ in
            Self.json(status: .ok, #"{"status":"live"}"#)
        }
        router.get("health/ready") { _, _ in
            let (database, broker) = await readiness()
            let ready = database && broker
            return Self.json(
                status: ready ? .ok : .serviceUnavailable,
                #"{"status":"\#(ready ? "ready" : "not-ready")","database":\#(database),"broker":\#(broker)}"#)
        }
        router.get("metrics") { _, _ in
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: buffer)))
        }
    }

    private static func json(status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}
