import Foundation
import Hummingbird

extension Problem {
    /// 412: the resource changed since the caller read it.
    public static func preconditionFailed(current etag: String) -> Problem {
        Problem(
            status: .preconditionFailed, type: "https://styrbord.goteborg.se/problems/stale-version",
            title: "Ändrad av någon annan / Changed by someone else",
            detail: "the resource is now at version \(etag); read it again, apply your change and send If-Match: \(etag)")
    }

    /// 428: updates must say which version they change.
    public static let preconditionRequired = Problem(
        status: .preconditionRequired, type: "https://styrbord.goteborg.se/problems/if-match-required",
        title: "If-Match krävs / If-Match required",
        detail: "send If-Match with the ETag from your last read, so a concurrent change is not overwritten")

    /// 409: the change does not fit the resource's current state.
    public static func conflict(_ detail: String) -> Problem {
        Problem(status: .conflict, type: "https://styrbord.goteborg.se/problems/conflict", title: "Konflikt / Conflict", detail: detail)
    }
}

extension Request {
    /// The version named by `If-Match` (`"3"` or `W/"3"`); 428 when it is missing and
    /// `required`, 412 when it is not a version this API issued.
    public func ifMatchVersion(required: Bool = true) throws(Problem) -> Int? {
        guard let text = headers[.ifMatch] else {
            if required { throw Problem.preconditionRequired }
            return nil
        }
        var value = Substring(text.trimmingCharacters(in: .whitespaces))
        if value.hasPrefix("W/") { value = value.dropFirst(2) }
        guard value.count >= 3, value.first == "\"", value.last == "\"", let version = Int(value.dropFirst().dropLast()) else {
            throw Problem(
                status: .preconditionFailed, title: "Ogiltig If-Match / Invalid If-Match",
                detail: "If-Match must be an ETag this API sent, such as \"3\"")
        }
        return version
    }
}

extension Optional {
    /// The value, or `problem` thrown.
    public func orThrow(_ problem: @autoclosure () -> Problem) throws(Problem) -> Wrapped {
        guard let self else { throw problem() }
        return self
    }
}
