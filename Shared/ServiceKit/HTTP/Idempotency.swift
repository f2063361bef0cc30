import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Persistence

/// The answer to a write, as it is stored for repeats of the same request.
public struct StoredResponse: Sendable {
    public var status: HTTPResponse.Status
    public var body: [UInt8]
    public var location: String?
    public var etag: String?

    public init(status: HTTPResponse.Status, body: [UInt8], location: String? = nil, etag: String? = nil) {
        self.status = status
        self.body = body
        self.location = location
        self.etag = etag
    }

    /// A JSON answer encoded with the project's settings.
    public static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok, location: String? = nil, etag: String? = nil)
        throws -> StoredResponse
    {
        StoredResponse(status: status, body: Array(try JSONResponse.encoder.encode(value)), location: location, etag: etag)
    }

    public func response(replayed: Bool = false) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let location { headers[.location] = location }
        if let etag { headers[.eTag] = etag }
        if replayed, let name = HTTPField.Name("Idempotent-Replayed") { headers[name] = "true" }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// `Idempotency-Key` for writes: the effect and the remembered answer commit in one
/// transaction, keyed by (caller, key). The same key with the same request (same route and
/// If-Match, the same body bytes — a retry re-sends what it sent) gets the first answer again, marked `Idempotent-Replayed: true`;
/// the same key with a different request is a 422 problem. Two concurrent requests with
/// one key: the second waits on the key's row and then answers as a repeat.
public enum Idempotency {
    /// SHA-256 of a request body, hex.
    public static func digest(_ bytes: some Sequence<UInt8>) -> String {
        hex(SHA256.hash(data: Array(bytes)))
    }

    /// Lowercase hexadecimal of a digest (without `String(format:)`, which is slow on Linux).
    public static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        for byte in digest {
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func perform(
        key: String?, caller: String, scope: String, requestHash: String, pool: PostgresPool,
        _ work: (PostgresConnection) async throws -> StoredResponse
    ) async throws -> (StoredResponse, replayed: Bool) {
        guard let key else { return (try await pool.withTransaction { try await work($0) }, false) }
        if let stored = try await lookup(key: key, caller: caller, scope: scope, requestHash: requestHash, pool: pool) {
            return (stored, true)
        }
        do {
            let response = try await pool.withTransaction { connection in
                let response = try await work(connection)
                try await remember(
                    response, key: key, caller: caller, scope: scope, requestHash: requestHash, on: connection)
                return response
            }
            return (response, false)
        } catch let error as PostgresError where isKeyConflict(error) {
            // A concurrent request with this key committed first; our work rolled back.
            guard let stored = try await lookup(key: key, caller: caller, scope: scope, requestHash: requestHash, pool: pool)
            else { throw error }
            return (stored, true)
        }
    }

    /// Remembers `response` for (caller, key) inside the caller's transaction; a unique
    /// violation means a concurrent request with the key won (roll back, then `lookup`).
    public static func remember(
        _ response: StoredResponse, key: String, caller: String, scope: String, requestHash: String,
        on connection: PostgresConnection
    ) async throws {
        try await connection.execute(
            "INSERT INTO idempotency_keys (\(columns)) VALUES ($1, $2, $3, $4, $5, $6::bytea, $7, $8)",
            row(response, key: key, caller: caller, scope: scope, requestHash: requestHash))
    }

    /// The remembered answers' columns, in the order of `row(…)`.
    public static let columns = "subject, key, scope, request_hash, status, body, location, etag"

    /// A remembered answer's values (cast `body` to bytea), for a statement that writes it
    /// together with the effect.
    public static func row(_ response: StoredResponse, key: String, caller: String, scope: String, requestHash: String)
        -> [(any PostgresEncodable)?]
    {
        [caller, key, scope, requestHash, Int(response.status.code), PostgresBytes(response.body), response.location,
         response.etag]
    }

    /// What else besides the body makes two requests with one key the same request: the
    /// method, the path and the version named by `If-Match`.
    public static func scope(of request: Request) -> String {
        "\(request.method) \(request.uri.path)" + (request.headers[.ifMatch].map { " If-Match \($0)" } ?? "")
    }

    /// True when `error` is another request with the same (caller, key) having committed first.
    public static func isKeyConflict(_ error: any Error) -> Bool {
        guard let error = error as? PostgresError else { return false }
        return error.isUniqueViolation && error.message.contains("idempotency_keys")
    }

    /// The remembered answer for (caller, key); nil when there is none, a 422 problem when
    /// the key was used for another request.
    public static func lookup(key: String, caller: String, scope: String, requestHash: String, pool: PostgresPool)
        async throws -> StoredResponse?
    {
        let rows = try await pool.withConnection { connection in
            try await connection.query(
                "SELECT scope, request_hash, status, body, location, etag FROM idempotency_keys WHERE subject = $1 AND key = $2",
                [caller, key])
        }
        guard let row = rows.first else { return nil }
        guard try row.decode("scope", as: String.self) == scope, try row.decode("request_hash", as: String.self) == requestHash
        else {
            throw Problem.validation([
                .init(name: "Idempotency-Key", reason: "was already used with a different request; use a new key for a new request")
            ])
        }
        return StoredResponse(
            status: HTTPResponse.Status(code: try row.decode("status", as: Int.self)),
            body: try row.decode("body", as: PostgresBytes.self).bytes, location: try row.decode("location", as: String?.self),
            etag: try row.decode("etag", as: String?.self))
    }
}

extension Request {
    /// Collects the body (at most `limit` bytes; 413 problem beyond it).
    public func collectBody(context: some RequestContext, limit: Int = 1_048_576) async throws -> ByteBuffer {
        do {
            return try await body.collect(upTo: limit)
        } catch {
            throw Problem(status: .contentTooLarge, detail: "the body is larger than \(limit) bytes")
        }
    }
}

extension Idempotency {
    /// A POST or PUT handled the project's way: the caller must be authenticated, the body
    /// is read once (at most `limit` bytes), and with an `Idempotency-Key` the answer is
    /// remembered in the same transaction as `work`'s effect.
    public static func respond(
        to request: Request, context: StyrbordRequestContext, pool: PostgresPool, limit: Int = 262_144,
        _ work: (ByteBuffer, Identity, PostgresConnection) async throws -> StoredResponse
    ) async throws -> Response {
        let identity = try context.requireIdentity()
        let body = try await request.collectBody(context: context, limit: limit)
        let (stored, replayed) = try await perform(
            key: try request.idempotencyKey(), caller: identity.subject, scope: scope(of: request),
            requestHash: digest(body.readableBytesView), pool: pool
        ) { connection in try await work(body, identity, connection) }
        return stored.response(replayed: replayed)
    }
}
