/// How to reach PostgreSQL and how many sessions to keep.
public struct PostgresConfiguration: Sendable {
    /// A libpq connection string or URI, e.g. `postgresql://intake@db:5432/styrbord?sslmode=verify-full`
    /// or `host=db1,db2 target_session_attrs=read-write`. Empty: libpq reads the PG*
    /// environment variables, `.pgpass` and service files, exactly as psql does.
    public var connectionString: String
    /// Most sessions open at once.
    public var maximumConnections: Int
    /// How long a caller waits for a free session before failing.
    public var acquireTimeout: Duration
    /// Sets `search_path` on every new session, so a service's SQL names its own tables
    /// without a schema prefix.
    public var searchPath: String?
    /// Sent as `application_name`, shown in `pg_stat_activity`.
    public var applicationName: String

    public init(
        connectionString: String, maximumConnections: Int = 10, acquireTimeout: Duration = .seconds(10),
        searchPath: String? = nil, applicationName: String = "styrbord"
    ) {
        self.connectionString = connectionString
        self.maximumConnections = maximumConnections
        self.acquireTimeout = acquireTimeout
        self.searchPath = searchPath
        self.applicationName = applicationName
    }

    /// The connection string with our settings added as libpq parameters. A URI gets them
    /// as query parameters, a keyword string as `key=value` pairs.
    var conninfo: String {
        var settings: [(String, String)] = [("application_name", applicationName)]
        var options = ["-c TimeZone=UTC", "-c DateStyle=ISO,YMD"]
        if let searchPath { options.append("-c search_path=\(searchPath)") }
        settings.append(("options", options.joined(separator: " ")))
        let isURI = connectionString.hasPrefix("postgresql://") || connectionString.hasPrefix("postgres://")
        if isURI {
            let separator = connectionString.contains("?") ? "&" : "?"
            let query = settings.map { "\($0.0)=\(Self.percentEncode($0.1))" }.joined(separator: "&")
            return connectionString + separator + query
        }
        let pairs = settings.map { "\($0.0)='\($0.1.replacingQuotes())'" }.joined(separator: " ")
        return connectionString.isEmpty ? pairs : connectionString + " " + pairs
    }

    private static func percentEncode(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let digits = Array("0123456789ABCDEF".unicodeScalars)
                result += "%"
                result.unicodeScalars.append(digits[Int(byte >> 4)])
                result.unicodeScalars.append(digits[Int(byte & 0xF)])
            }
        }
        return result
    }
}

extension String {
    /// Escapes a value for a single-quoted libpq keyword/value pair.
    fileprivate func replacingQuotes() -> String {
        var result = ""
        for scalar in unicodeScalars {
            if scalar == "'" || scalar == "\\" { result += "\\" }
            result.unicodeScalars.append(scalar)
        }
        return result
    }
}
