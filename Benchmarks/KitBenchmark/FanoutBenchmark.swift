import ArgumentParser
import Contracts
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Messaging
import Persistence
import ServiceKit
import Synchronization

/// The notifications service's fan-out (issue 8), against a running notifications service
/// that has webhook subscriptions to `exemption.registered` pointing at this command's own
/// receiver (scripts/bench-fanout.sh sets that up):
///
/// 1. throughput — a burst of exemption events on the intake topic; how fast they become
///    recorded notifications (two per event: SSG and the supplier) and signed webhook
///    deliveries (one per subscription);
/// 2. latency — the same events at a steady rate; p50/p99 from producing the event to the
///    webhook arriving at the receiver.
struct FanoutBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fanout", abstract: "Events → notifications and webhook deliveries (throughput, p50/p99).")

    @OptionGroup var kafka: KafkaOptions
    @Option(help: "The notifications database as a role that reads its schema.") var databaseUrl: String
    @Option(help: "The notifications schema.") var schema = "notifications"
    @Option(help: "Port of this command's webhook receiver.") var receiverPort: Int
    @Option(help: "Webhook subscriptions the service has to this receiver.") var subscriptions = 2
    @Option(help: "Events in the throughput burst.") var events = 2_000
    @Option(help: "Events per second in the latency phase.") var rate: Double = 50
    @Option(help: "Seconds of the latency phase.") var duration: Double = 20

    /// What the receiver has seen: per event id, when its first delivery arrived per
    /// subscription; and how many deliveries in all.
    final class Arrivals: Sendable {
        private let state = Mutex<(count: Int, first: [String: [ContinuousClock.Instant]])>((0, [:]))
        func record(_ eventId: String, at instant: ContinuousClock.Instant) {
            state.withLock { state in
                state.count += 1
                state.first[eventId, default: []].append(instant)
            }
        }
        var count: Int { state.withLock { $0.count } }
        func arrivals(of eventId: String) -> [ContinuousClock.Instant] { state.withLock { $0.first[eventId] ?? [] } }
    }

    func run() async throws {
        let logger = kafka.logger("styrbord-bench")
        let arrivals = Arrivals()
        let router = Router()
        router.post("hook") { request, _ -> HTTPResponse.Status in
            let instant = ContinuousClock.now
            if let id = request.headers[HTTPField.Name("Styrbord-Webhook-Event-Id")!] { arrivals.record(id, at: instant) }
            return .noContent
        }
        let receiver = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: receiverPort)), logger: logger)
        let receiving = Task { try await receiver.runService() }
        defer { receiving.cancel() }

        let pool = PostgresPool(
            configuration: PostgresConfiguration(connectionString: databaseUrl, maximumConnections: 2, searchPath: schema),
            logger: logger)
        defer { pool.close() }
        func notifications() async throws -> Int {
            try await pool.withConnection { try await $0.query("SELECT count(*) AS n FROM notifications")[0].decode("n", as: Int.self) }
        }

        var configuration = kafka.configuration(clientID: "bench-fanout")
        configuration.lingerMilliseconds = 0
        let producer = try KafkaProducer(configuration: configuration, logger: logger)
        let source = EventSource.of(service: "intake")
        for (id, name, kind, board) in [
            ("utbildning", "Utbildningsförvaltningen", OrganisationKind.administration, "Utbildningsnämnden"),
            ("intraservice", "Intraservice", .supplier, "Nämnden för Intraservice"),
        ] {
            guard let organisation = OrganisationID(id) else { continue }
            let event = try CloudEvent(
                OrganisationRegisteredV1(
                    organisation: OrganisationRecord(organisationId: organisation, name: name, kind: kind, board: board, active: true),
                    registeredAt: Date()),
                source: source, subject: id)
            _ = try await producer.send(CloudEventKafkaCodec.message(for: event, topic: Topic.intake, key: id))
        }
        func exemption() throws -> CloudEvent {
            let id = UUID().uuidString.lowercased()
            guard let utbildning = OrganisationID("utbildning"), let intraservice = OrganisationID("intraservice"),
                  let date = CalendarDate("2026-10-15") else { throw ValidationError("fixed test data is invalid") }
            return try CloudEvent(
                ExemptionRegisteredV1(
                    exemptionId: id, organisationId: utbildning, supplierId: intraservice, baseService: "Arbetsplatstjänst",
                    motivation: "Skolornas elevdatorer kräver en egen hanteringsplattform för provtillfällen.",
                    boardDecision: BoardDecision(board: "Utbildningsnämnden", decidedOn: date, reference: "§ 112"),
                    registeredBy: "bench", registeredAt: Date()),
                source: source, subject: id)
        }

        // Warm-up: one event all the way through, so the service's consumer is assigned.
        let clock = ContinuousClock()
        let warmUp = try exemption()
        try await produce(warmUp, with: producer)
        try await waitFor("the warm-up delivery", timeout: .seconds(120)) { arrivals.count >= subscriptions }
        let baseNotifications = try await notifications()
        let baseDeliveries = arrivals.count

        // 1. Throughput.
        let burst = try (0..<events).map { _ in try exemption() }
        let started = clock.now
        for event in burst {
            try producer.enqueue(CloudEventKafkaCodec.message(for: event, topic: Topic.intake, key: event.subject ?? "")) { _ in }
        }
        var notificationsDone: Duration?
        var deliveriesDone: Duration?
        let deadline = clock.now + .seconds(600)
        while (notificationsDone == nil || deliveriesDone == nil) && clock.now < deadline {
            if notificationsDone == nil, try await notifications() - baseNotifications >= 2 * events {
                notificationsDone = clock.now - started
            }
            if deliveriesDone == nil, arrivals.count - baseDeliveries >= subscriptions * events {
                deliveriesDone = clock.now - started
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        guard let notificationsDone, let deliveriesDone else {
            throw ValidationError("the burst was not through within 600 s")
        }
        BenchmarkResult(
            name: "fanout-notifications", count: events, seconds: notificationsDone.seconds,
            extra: [("notifications", String(2 * events))]
        ).print()
        BenchmarkResult(
            name: "fanout-webhooks", count: events, seconds: deliveriesDone.seconds,
            extra: [("deliveries", String(subscriptions * events)),
                    ("deliveries_per_s", String(format: "%.1f", Double(subscriptions * events) / deliveriesDone.seconds))]
        ).print()

        // 2. Latency at a steady rate.
        let count = Int(rate * duration)
        let steady = try (0..<count).map { _ in try exemption() }
        let sent = Mutex<[String: ContinuousClock.Instant]>([:])
        let start = clock.now
        for (index, event) in steady.enumerated() {
            try await clock.sleep(until: start + .seconds(Double(index) / rate))
            sent.withLock { $0[event.id] = clock.now }
            try producer.enqueue(CloudEventKafkaCodec.message(for: event, topic: Topic.intake, key: event.subject ?? "")) { _ in }
        }
        try await waitFor("every steady-rate delivery", timeout: .seconds(120)) {
            steady.allSatisfy { arrivals.arrivals(of: $0.id).count >= subscriptions }
        }
        var latencies: [Double] = []
        for event in steady {
            guard let at = sent.withLock({ $0[event.id] }) else { continue }
            for arrival in arrivals.arrivals(of: event.id) { latencies.append((arrival - at).seconds * 1_000) }
        }
        BenchmarkResult(
            name: "fanout-latency", count: latencies.count, seconds: duration, extra: latencyFields(latencies)
        ).print()
        await producer.shutdown()
    }

    private func produce(_ event: CloudEvent, with producer: KafkaProducer) async throws {
        _ = try await producer.send(CloudEventKafkaCodec.message(for: event, topic: Topic.intake, key: event.subject ?? ""))
    }

    private func waitFor(_ what: String, timeout: Duration, _ condition: () throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw ValidationError("timed out waiting for \(what)")
    }
}
