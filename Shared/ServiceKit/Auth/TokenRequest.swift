import Domain

/// The arguments of `styrbord-<service> token`: mints a token for local use with the
/// service's own configured secret.
struct TokenRequest {
    static let usage = """
        token --subject ID --organisation ORG --role ROLE [--role ROLE…] [--name NAME] [--email ADDRESS] [--ttl SECONDS]
          roles: \(Role.allCases.map(\.rawValue).joined(separator: ", "))
        """

    var identity: Identity
    var lifetime: Duration

    init(arguments: [String]) throws(ConfigurationError) {
        var subject: String?
        var organisation: OrganisationID?
        var roles: Set<Role> = []
        var name: String?
        var email: String?
        var seconds = 3600
        var remaining = arguments[...]
        func fail(_ problem: String) -> ConfigurationError {
            ConfigurationError(variable: "token", problem: "\(problem)\nusage: \(Self.usage)")
        }
        while let flag = remaining.popFirst() {
            guard let value = remaining.popFirst() else { throw fail("\(flag) needs a value") }
            switch flag {
            case "--subject": subject = value
            case "--organisation", "--org":
                guard let parsed = OrganisationID(value) else { throw fail("'\(value)' is not an organisation id") }
                organisation = parsed
            case "--role":
                guard let role = Role(rawValue: value) else { throw fail("'\(value)' is not a role") }
                roles.insert(role)
            case "--name": name = value
            case "--email": email = value
            case "--ttl":
                guard let parsed = Int(value), (1...31_536_000).contains(parsed) else {
                    throw fail("--ttl must be 1 to 31536000 seconds")
                }
                seconds = parsed
            default: throw fail("unknown argument \(flag)")
            }
        }
        guard let subject, let organisation, !roles.isEmpty else {
            throw fail("--subject, --organisation and at least one --role are required")
        }
        identity = Identity(subject: subject, organisationId: organisation, roles: roles, name: name, email: email)
        lifetime = .seconds(seconds)
    }
}
