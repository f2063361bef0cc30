import ArgumentParser
import Foundation
import Logging
import Messaging

/// `styrbord-bench`: the root command. Each subcommand measures one thing and prints one line
/// `RESULT name=… messages=… seconds=… rate=…` on standard output (diagnostics go to
/// standard error), so scripts can set it next to the native tools' figures.
@main
struct StyrbordBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "styrbord-bench",
        abstract: "Throughput of Styrbord's Kafka and PostgreSQL kits.",
        discussion: """
            Run all of them against librdkafka's rdkafka_performance and pgbench with \
            scripts/bench-kits.sh.
            """,
        subcommands: [
            KafkaCreateTopics.self, KafkaProduceBenchmark.self, KafkaConsumeBenchmark.self,
            PostgresInsertBenchmark.self, KafkaLatencyBenchmark.self, FanoutBenchmark.self,
            ReusePrecisionBenchmark.self,
            SelectionBenchmark.self,
        ])
}

/// Where the broker is and how the clients batch; shared by the Kafka subcommands.
struct KafkaOptions: ParsableArguments {
    @Option(help: "Bootstrap servers (default: $STYRBORD_KAFKA_BROKERS or 127.0.0.1:59092).")
    var brokers: String = ProcessInfo.processInfo.environment["STYRBORD_KAFKA_BROKERS"] ?? "127.0.0.1:59092"

    @Option(help: "Producer linger.ms; set the native tool to the same value.")
    var lingerMs: Int = 5

    @Option(help: "Log level for the kit's and librdkafka's messages (standard error).")
    var logLevel: String = "warning"

    /// The kit's local profile (short group timeouts, fetch.wait.max.ms 10) with the
    /// benchmark's linger: the native tool is given the same librdkafka properties.
    func configuration(clientID: String) -> KafkaConfiguration {
        var configuration = KafkaConfiguration.localProfile(bootstrapServers: brokers, clientID: clientID)
        configuration.lingerMilliseconds = lingerMs
        return configuration
    }

    func logger(_ label: String) -> Logger {
        makeLogger(label, level: logLevel)
    }
}

func makeLogger(_ label: String, level: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = Logger.Level(rawValue: level) ?? .warning
    return logger
}

/// One machine-readable result line on standard output.
struct BenchmarkResult {
    var name: String
    var count: Int
    var seconds: Double
    var extra: [(String, String)] = []

    var rate: Double { seconds > 0 ? Double(count) / seconds : 0 }

    func print() {
        var fields = [
            ("name", name), ("messages", String(count)),
            ("seconds", String(format: "%.4f", seconds)), ("rate", String(format: "%.0f", rate)),
        ]
        fields.append(contentsOf: extra)
        let line = "RESULT " + fields.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}

extension Duration {
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) * 1e-18
    }
}

/// A failure the benchmark reports in words rather than with a stack of types.
struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// p50, p99 and the largest of a set of latencies in milliseconds, as result fields.
func latencyFields(_ milliseconds: [Double]) -> [(String, String)] {
    let sorted = milliseconds.sorted()
    guard let largest = sorted.last else { return [("p50_ms", "n/a"), ("p99_ms", "n/a"), ("max_ms", "n/a")] }
    func percentile(_ p: Double) -> Double {
        sorted[min(sorted.count - 1, Int((p / 100 * Double(sorted.count - 1)).rounded()))]
    }
    return [("p50_ms", String(format: "%.2f", percentile(50))), ("p99_ms", String(format: "%.2f", percentile(99))),
            ("max_ms", String(format: "%.2f", largest))]
}
