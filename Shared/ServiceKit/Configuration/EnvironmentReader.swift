/// A configuration problem, naming the variable and what is wrong with it.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible, Equatable {
    public let variable: String
    public let problem: String

    public init(variable: String, problem: String) {
        self.variable = variable
        self.problem = problem
    }

    public var description: String { "configuration: \(variable) \(problem)" }
}

/// Reads typed settings from environment variables, with validation that names the
/// variable and the rule when a value is missing or malformed.
///
/// Every variable read is recorded with its meaning and default (`declared`), so the
/// configuration reference in docs/ is generated from the same definitions the code uses.
public struct EnvironmentReader: Sendable {
    /// One variable as the code declared it.
    public struct Declaration: Sendable, Equatable {
        public let name: String
        public let meaning: String
        public let defaultValue: String?
        public let isSecret: Bool
    }

    private let values: [String: String]
    public private(set) var declared: [Declaration] = []
    public private(set) var errors: [ConfigurationError] = []

    public init(_ values: [String: String]) {
        self.values = values
    }

    /// All variables that start with `prefix`, for pass-through settings (librdkafka properties).
    public func withPrefix(_ prefix: String) -> [String: String] {
        values.filter { $0.key.hasPrefix(prefix) }
    }

    /// A text setting; `nil` default makes it required.
    public mutating func string(_ name: String, default defaultValue: String?, _ meaning: String, secret: Bool = false)
        -> String
    {
        declared.append(Declaration(name: name, meaning: meaning, defaultValue: defaultValue, isSecret: secret))
        if let value = values[name], !value.isEmpty { return value }
        if let defaultValue { return defaultValue }
        errors.append(ConfigurationError(variable: name, problem: "is required: \(meaning)"))
        return ""
    }

    /// A whole-number setting within `range`.
    public mutating func int(_ name: String, default defaultValue: Int, in range: ClosedRange<Int>, _ meaning: String)
        -> Int
    {
        declared.append(Declaration(name: name, meaning: meaning, defaultValue: String(defaultValue), isSecret: false))
        guard let text = values[name], !text.isEmpty else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            errors.append(
                ConfigurationError(
                    variable: name,
                    problem: "must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(text)'"))
            return defaultValue
        }
        return value
    }

    /// A true/false setting (`true`/`false`, `1`/`0`, `yes`/`no`).
    public mutating func bool(_ name: String, default defaultValue: Bool, _ meaning: String) -> Bool {
        declared.append(Declaration(name: name, meaning: meaning, defaultValue: String(defaultValue), isSecret: false))
        guard let text = values[name]?.lowercased(), !text.isEmpty else { return defaultValue }
        switch text {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default:
            errors.append(ConfigurationError(variable: name, problem: "must be true or false, got '\(text)'"))
            return defaultValue
        }
    }

    /// One of a fixed set of values.
    public mutating func choice<T: RawRepresentable & CaseIterable>(
        _ name: String, default defaultValue: T, _ meaning: String
    ) -> T where T.RawValue == String {
        declared.append(Declaration(name: name, meaning: meaning, defaultValue: defaultValue.rawValue, isSecret: false))
        guard let text = values[name], !text.isEmpty else { return defaultValue }
        guard let value = T(rawValue: text) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            errors.append(ConfigurationError(variable: name, problem: "must be one of \(allowed), got '\(text)'"))
            return defaultValue
        }
        return value
    }

    /// Records a problem found by a rule across variables.
    public mutating func fail(_ name: String, _ problem: String) {
        errors.append(ConfigurationError(variable: name, problem: problem))
    }

    /// Throws the first problem found, so a service refuses to start with a clear message.
    public func validate() throws(ConfigurationError) {
        if let first = errors.first { throw first }
    }
}
