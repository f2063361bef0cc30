import Hummingbird
import Logging

/// The request context of every Styrbord route: Hummingbird's core plus the caller's
/// verified identity (nil only on the public paths: health, metrics).
public struct StyrbordRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var identity: Identity?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        identity = nil
    }

    /// The caller; a 401 problem if the route was reached without one.
    public func requireIdentity() throws(Problem) -> Identity {
        guard let identity else { throw Problem.unauthorized("this endpoint needs a bearer token") }
        return identity
    }
}

/// Every request needs `Authorization: Bearer <jwt>` except the listed public paths.
/// Failures are 401 problems with a `WWW-Authenticate` challenge.
public struct AuthenticationMiddleware: RouterMiddleware {
    public typealias Context = StyrbordRequestContext
    let authority: TokenAuthority
    let publicPaths: Set<String>

    public init(authority: TokenAuthority, publicPaths: Set<String>) {
        self.authority = authority
        self.publicPaths = publicPaths
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        if publicPaths.contains(request.uri.path) { return try await next(request, context) }
        var context = context
        do throws(Problem) {
            guard let header = request.headers[.authorization] else {
                throw Problem.unauthorized("send Authorization: Bearer <token>")
            }
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw Problem.unauthorized("the Authorization header must be 'Bearer <token>'")
            }
            context.identity = try await authority.identity(fromToken: String(parts[1]))
        } catch {
            var response = try error.response(from: request, context: context)
            response.headers[.wwwAuthenticate] = "Bearer realm=\"styrbord\", error=\"invalid_token\""
            return response
        }
        context.logger[metadataKey: "subject"] = .string(context.identity?.subject ?? "")
        return try await next(request, context)
    }
}
