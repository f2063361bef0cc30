import Domain
import Hummingbird

extension RequestContext {
    /// The initiative id in the path (`/…/:id`); a 422 problem when it is not a UUID.
    public func initiativeParameter(_ name: String = "id") throws -> InitiativeID {
        guard let id = parameters.get(name).flatMap(InitiativeID.init) else {
            throw Problem.validation([.init(name: name, reason: "must be an initiative id (UUID)")])
        }
        return id
    }
}

extension Request {
    /// An optional query parameter that must be one of `allowed`; a 422 problem otherwise.
    public func queryChoice(_ name: String, allowed: [String]) throws -> String? {
        guard let value = uri.queryParameters[Substring(name)].map(String.init) else { return nil }
        guard allowed.contains(value) else {
            throw Problem.validation([.init(name: name, reason: "must be one of \(allowed.joined(separator: ", "))")])
        }
        return value
    }
}
