import Domain
import Hummingbird

/// Who is calling: the verified claims of their bearer token.
public struct Identity: Sendable, Equatable {
    /// `sub`: the person's stable id at the identity provider.
    public var subject: String
    /// `org`: the organisation the person acts for.
    public var organisationId: OrganisationID
    /// `roles`: what the person may do.
    public var roles: Set<Role>
    /// `name` and `email`, when the identity provider sends them (notifications use them).
    public var name: String?
    public var email: String?

    public init(subject: String, organisationId: OrganisationID, roles: Set<Role>, name: String? = nil, email: String? = nil) {
        self.subject = subject
        self.organisationId = organisationId
        self.roles = roles
        self.name = name
        self.email = email
    }

    public func has(_ role: Role) -> Bool { roles.contains(role) }

    public func hasAny(_ candidates: Set<Role>) -> Bool { !roles.isDisjoint(with: candidates) }

    /// Throws 403 unless the caller has one of `candidates`.
    public func require(anyOf candidates: Set<Role>, to action: String) throws(Problem) {
        guard hasAny(candidates) else {
            throw Problem.forbidden(
                "\(action) needs one of the roles \(candidates.map(\.rawValue).sorted().joined(separator: ", "))")
        }
    }

    /// Throws 403 unless the caller acts for `organisation` or is an admin.
    public func require(organisation: OrganisationID, to action: String) throws(Problem) {
        guard organisationId == organisation || has(.admin) else {
            throw Problem.forbidden("\(action) is only allowed for organisation \(organisation); you act for \(organisationId)")
        }
    }
}

extension Problem {
    public static func unauthorized(_ detail: String) -> Problem {
        Problem(
            status: .unauthorized, type: "https://styrbord.goteborg.se/problems/unauthenticated",
            title: "Inloggning krävs / Authentication required", detail: detail)
    }

    public static func forbidden(_ detail: String) -> Problem {
        Problem(
            status: .forbidden, type: "https://styrbord.goteborg.se/problems/forbidden",
            title: "Åtkomst nekad / Forbidden", detail: detail)
    }
}
