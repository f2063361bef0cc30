import Foundation
import Hummingbird
import Logging

/// An RFC 9457 problem detail, answered as `application/problem+json`.
public struct Problem: HTTPResponseError, Sendable {
    /// One invalid field: its JSON path and the rule it broke.
    public struct InvalidParameter: Codable, Sendable, Equatable {
        public var name: String
        public var reason: String
        public init(name: String, reason: String) {
            self.name = name
            self.reason = reason
        }
    }

    public let status: HTTPResponse.Status
    public let type: String
    public let title: String
    public let detail: String?
    public let invalidParameters: [InvalidParameter]

    public init(
        status: HTTPResponse.Status, type: String = "about:blank", title: String? = nil, detail: String? = nil,
        invalidParameters: [InvalidParameter] = []
    ) {
        self.status = status
        self.type = type
        self.title = title ?? status.reasonPhrase
        self.detail = detail
        self.invalidParameters = invalidParameters
    }

    public static func validation(_ parameters: [InvalidParameter]) -> Problem {
        Problem(
            status: .unprocessableContent, type: "https://styrbord.goteborg.se/problems/validation",
            title: "Ogiltig begäran / Invalid request",
            detail: parameters.map { "\($0.name): \($0.reason)" }.joined(separator: "; "), invalidParameters: parameters)
    }

    public static func notFound(_ detail: String) -> Problem {
        Problem(status: .notFound, title: "Hittades inte / Not found", detail: detail)
    }

    private struct Body: Encodable {
        let type: String
        let title: String
        let status: Int
        let detail: String?
        let instance: String?
        let invalidParams: [InvalidParameter]?

        enum CodingKeys: String, CodingKey {
            case type, title, status, detail, instance
            case invalidParams = "invalid-params"
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = Body(
            type: type, title: title, status: status.code, detail: detail, instance: request.uri.path,
            invalidParams: invalidParameters.isEmpty ? nil : invalidParameters)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(body)
        return Response(
            status: status, headers: [.contentType: "application/problem+json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Turns every error a route throws into problem+json: our `Problem`s as they are,
/// Hummingbird's own errors (unknown route, body too large) with their status, and
/// anything else as a 500 that reveals nothing internal.
public struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            return try problem.response(from: request, context: context)
        } catch let error as HTTPError {
            return try Problem(status: error.status, detail: error.body).response(from: request, context: context)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            return try Problem(status: .internalServerError, detail: "Internt fel / Internal error")
                .response(from: request, context: context)
        }
    }
}

extension Request {
    /// Decodes a JSON body; a malformed body becomes a 422 problem naming the field.
    public func decodeJSON<T: Decodable>(as type: T.Type, context: some RequestContext, limit: Int = 1_048_576)
        async throws -> T
    {
        try JSONRequest.decode(T.self, from: try await collectBody(context: context, limit: limit))
    }
}

/// JSON request bodies with the project's decoder settings.
public enum JSONRequest {
    /// ISO 8601 dates; one shared instance.
    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// Decodes `buffer`; a malformed body becomes a 422 problem naming the field and rule.
    public static func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
        do {
            return try decoder.decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw Problem.validation([error.invalidParameter])
        } catch {
            throw Problem.validation([.init(name: "(body)", reason: "not valid JSON")])
        }
    }
}

extension DecodingError {
    var invalidParameter: Problem.InvalidParameter {
        func path(_ codingPath: [any CodingKey]) -> String {
            let text = codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : (text.isEmpty ? "(body)" : text)
        }
        switch self {
        case .keyNotFound(let key, let context):
            return .init(name: path(context.codingPath + [key]), reason: "is required")
        case .typeMismatch(let type, let context):
            return .init(name: path(context.codingPath), reason: "must be \(Self.describe(type))")
        case .valueNotFound(let type, let context):
            return .init(name: path(context.codingPath), reason: "must be \(Self.describe(type)), not null")
        case .dataCorrupted(let context):
            return .init(name: path(context.codingPath), reason: context.debugDescription)
        @unknown default:
            return .init(name: "(body)", reason: "invalid")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type, is Int32.Type: "a whole number"
        case is Double.Type, is Decimal.Type: "a number"
        case is Bool.Type: "true or false"
        default: "\(type)"
        }
    }
}

/// JSON responses with the project's encoder settings.
public enum JSONResponse {
    /// Sorted keys, unescaped slashes, ISO 8601 dates; one shared instance.
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    public static func make<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws
        -> Response
    {
        var allHeaders = headers
        allHeaders[.contentType] = "application/json"
        return Response(status: status, headers: allHeaders, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}

/// A page of a list and the cursor of the next one.
public struct Page<Item: Encodable & Sendable>: Encodable, Sendable {
    public var items: [Item]
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

/// `?limit=` and `?cursor=` for keyset pagination.
public struct PageRequest: Sendable {
    public var limit: Int
    public var cursor: String?

    public init(_ request: Request, defaultLimit: Int = 50, maximumLimit: Int = 500) throws {
        let query = request.uri.queryParameters
        if let text = query["limit"].map(String.init) {
            guard let value = Int(text), (1...maximumLimit).contains(value) else {
                throw Problem.validation([.init(name: "limit", reason: "must be a whole number from 1 to \(maximumLimit)")])
            }
            limit = value
        } else {
            limit = defaultLimit
        }
        cursor = query["cursor"].map(String.init)
        if let cursor, Int64(cursor).map({ $0 < 0 }) ?? true {
            throw Problem.validation([.init(name: "cursor", reason: "must be the nextCursor of a previous page")])
        }
    }
}

extension Request {
    /// The `Idempotency-Key` header, validated (1–200 characters), or nil when absent.
    public func idempotencyKey() throws -> String? {
        guard let field = headers.first(where: { $0.name.canonicalName == "idempotency-key" }) else { return nil }
        guard (1...200).contains(field.value.count) else {
            throw Problem.validation([.init(name: "Idempotency-Key", reason: "must be 1 to 200 characters")])
        }
        return field.value
    }
}

extension Request {
    /// The caller's W3C `traceparent`, which events caused by this request continue.
    public var traceParent: String? {
        headers.first(where: { $0.name.canonicalName == TraceParent.header })?.value
    }
}
