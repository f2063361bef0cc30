import Contracts
import Foundation
import Logging
import Synchronization

/// Writes one JSON object per line to standard output: `time`, `level`, `service`,
/// `logger`, `message`, and the metadata as flat keys. Log collectors parse it as is.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String
    private let service: String

    public init(label: String, service: String, level: Logger.Level) {
        self.label = label
        self.service = service
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var object: [String: String] = metadata.merging(event.metadata ?? [:]) { _, new in new }
            .mapValues { "\($0)" }
        object["time"] = RFC3339.format(Date())
        object["level"] = event.level.rawValue
        object["service"] = service
        object["logger"] = label
        object["message"] = "\(event.message)"
        if event.level >= .warning { object["source"] = "\(event.file):\(event.line)" }
        guard var line = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        line.append(0x0A)
        JSONLogOutput.write(line)
    }

    /// Installs the handler for the whole process; call once from `main`.
    public static func bootstrap(service: String, level: Logger.Level) {
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, service: service, level: level) }
    }
}

/// Serialises writes so lines from concurrent tasks never interleave.
private enum JSONLogOutput {
    static let lock = Mutex(())
    static func write(_ data: Data) {
        lock.withLock { _ in FileHandle.standardOutput.write(data) }
    }
}
