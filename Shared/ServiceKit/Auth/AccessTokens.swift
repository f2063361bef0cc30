import Domain
import Foundation
import JWTKit

/// How services verify bearer tokens: the issuer and audience they expect and the keys
/// that may sign. Keys come from configuration only (`STYRBORD_AUTH_*`).
public struct AuthConfiguration: Sendable {
    /// One shared HMAC-SHA256 secret, optionally named by a key id (`kid` header).
    public struct SharedSecret: Sendable {
        public var keyID: String?
        public var secret: String
    }

    public var issuer: String
    public var audience: String
    /// HS256 secrets; the first one signs tokens minted by the `token` command. Several
    /// at once let an operator rotate: add the new one, re-issue, remove the old.
    public var sharedSecrets: [SharedSecret]
    /// A JWKS document (the identity provider's public keys, RS256/ES256/EdDSA) as text.
    public var jwks: String?

    public init(issuer: String, audience: String, sharedSecrets: [SharedSecret], jwks: String? = nil) {
        self.issuer = issuer
        self.audience = audience
        self.sharedSecrets = sharedSecrets
        self.jwks = jwks
    }

    /// Parses `kid:secret,kid:secret` (or a bare `secret`); secrets must be at least 32 characters.
    static func parseSharedSecrets(_ text: String) -> Result<[SharedSecret], ConfigurationError> {
        var secrets: [SharedSecret] = []
        for entry in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
            let secret = SharedSecret(keyID: parts.count == 2 ? parts[0] : nil, secret: parts.count == 2 ? parts[1] : parts[0])
            guard secret.secret.count >= 32 else {
                return .failure(
                    ConfigurationError(
                        variable: "STYRBORD_AUTH_HMAC_KEYS",
                        problem: "has a secret shorter than 32 characters; generate one with `openssl rand -hex 32`"))
            }
            secrets.append(secret)
        }
        if secrets.count > 1, secrets.contains(where: { $0.keyID == nil }) {
            return .failure(
                ConfigurationError(
                    variable: "STYRBORD_AUTH_HMAC_KEYS",
                    problem: "names several secrets, so each needs a key id: kid:secret,kid:secret"))
        }
        return .success(secrets)
    }
}

/// The claims of a Styrbord access token (OIDC style): `sub`, `org`, `roles`, `iss`,
/// `aud`, `exp`, `iat`, and optionally `name` and `email`.
struct AccessTokenClaims: JWTPayload {
    var sub: SubjectClaim
    var org: String
    var roles: [String]
    var iss: IssuerClaim
    var aud: AudienceClaim
    var exp: ExpirationClaim
    var iat: IssuedAtClaim?
    var name: String?
    var email: String?

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

/// Verifies bearer tokens into an `Identity`, and mints tokens for local use.
public struct TokenAuthority: Sendable {
    private let keys: JWTKeyCollection
    private let configuration: AuthConfiguration

    public init(configuration: AuthConfiguration) async throws(ConfigurationError) {
        self.configuration = configuration
        let keys = JWTKeyCollection()
        for secret in configuration.sharedSecrets {
            await keys.add(
                hmac: HMACKey(from: secret.secret), digestAlgorithm: .sha256,
                kid: secret.keyID.map { JWKIdentifier(string: $0) })
        }
        if let jwks = configuration.jwks {
            do {
                try await keys.add(jwksJSON: jwks)
            } catch {
                throw ConfigurationError(
                    variable: "STYRBORD_AUTH_JWKS_FILE", problem: "is not a JWKS document the service can use: \(error)")
            }
        }
        guard !configuration.sharedSecrets.isEmpty || configuration.jwks != nil else {
            throw ConfigurationError(
                variable: "STYRBORD_AUTH_HMAC_KEYS",
                problem: "is required unless STYRBORD_AUTH_JWKS_FILE is set: the service must be able to verify tokens")
        }
        self.keys = keys
    }

    /// The identity a bearer token proves; 401 with the reason when it proves nothing.
    public func identity(fromToken token: String, now: Date = Date()) async throws(Problem) -> Identity {
        let claims: AccessTokenClaims
        do {
            claims = try await keys.verify(token, as: AccessTokenClaims.self, iteratingKeys: true)
        } catch let error as JWTError where error.errorType == .claimVerificationFailure {
            throw Problem.unauthorized("the token has expired; sign in again")
        } catch {
            throw Problem.unauthorized("the token is malformed or its signature does not verify")
        }
        guard claims.iss.value == configuration.issuer else {
            throw Problem.unauthorized("the token was issued by '\(claims.iss.value)', not '\(configuration.issuer)'")
        }
        guard claims.aud.value.contains(configuration.audience) else {
            throw Problem.unauthorized("the token is not meant for audience '\(configuration.audience)'")
        }
        guard let organisation = OrganisationID(claims.org) else {
            throw Problem.unauthorized("the token's org claim '\(claims.org)' is not an organisation id")
        }
        // Roles this system does not know (other applications' roles) are ignored.
        let roles = Set(claims.roles.compactMap(Role.init(rawValue:)))
        return Identity(
            subject: claims.sub.value, organisationId: organisation, roles: roles, name: claims.name, email: claims.email)
    }

    /// A token for `identity`, signed with the first shared secret (the `token` command
    /// and tests use it; production tokens come from the city's identity provider).
    public func mint(_ identity: Identity, lifetime: Duration = .seconds(3600), now: Date = Date()) async throws -> String {
        guard let signing = configuration.sharedSecrets.first else {
            throw ConfigurationError(variable: "STYRBORD_AUTH_HMAC_KEYS", problem: "is needed to mint tokens")
        }
        let claims = AccessTokenClaims(
            sub: SubjectClaim(value: identity.subject), org: identity.organisationId.rawValue,
            roles: identity.roles.map(\.rawValue).sorted(), iss: IssuerClaim(value: configuration.issuer),
            aud: AudienceClaim(value: [configuration.audience]),
            exp: ExpirationClaim(value: now.addingTimeInterval(Double(lifetime.components.seconds))),
            iat: IssuedAtClaim(value: now), name: identity.name, email: identity.email)
        return try await keys.sign(claims, kid: signing.keyID.map { JWKIdentifier(string: $0) })
    }
}
