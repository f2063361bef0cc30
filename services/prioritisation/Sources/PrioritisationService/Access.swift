import Domain
import ServiceKit

/// Who may do what in prioritisation. SSG members score and decide the common track; an
/// organisation's own track is scored and decided by its leadership, here its members
/// holding the `ssg` role (the director who sits in SSG speaks for its leadership);
/// admins may record decisions for any body; auditors read everything and change nothing;
/// SSG members see every round (not every round's individual scores); everyone else sees
/// the SSG rounds and their own organisation's, its candidates and the published decisions.
enum PrioritisationAccess {
    static func readsEverything(_ identity: Identity) -> Bool { identity.hasAny([.admin, .auditor]) }

    /// Members of the deciding body: they score, prepare, run selections and decide.
    static func isMember(_ identity: Identity, body: DecidingBody, organisation: OrganisationID?) -> Bool {
        guard identity.has(.ssg) else { return false }
        return body == .ssg || identity.organisationId == organisation
    }

    static func canSeeRound(_ round: Round, _ identity: Identity) -> Bool {
        readsEverything(identity) || identity.has(.ssg) || round.decidingBody == .ssg
            || round.organisationId == identity.organisationId
    }

    /// Sees every candidate of the round and each member's individual scores.
    static func seesWholeRound(_ round: Round, _ identity: Identity) -> Bool {
        readsEverything(identity) || isMember(identity, body: round.decidingBody, organisation: round.organisationId)
    }

    static func requireMember(_ round: Round, _ identity: Identity, to action: String) throws(Problem) {
        guard isMember(identity, body: round.decidingBody, organisation: round.organisationId) else {
            throw Problem.forbidden(
                round.decidingBody == .ssg
                    ? "\(action) is for members of the strategic coordination group (role ssg)"
                    : "\(action) is for the leadership of \(round.organisationId?.rawValue ?? "the organisation") (role ssg in that organisation)")
        }
    }

    /// Members, or an admin (who records decisions on a body's behalf).
    static func requireDecider(body: DecidingBody, organisation: OrganisationID, _ identity: Identity) throws(Problem) {
        if identity.has(.admin) { return }
        guard isMember(identity, body: body, organisation: organisation) else {
            throw Problem.forbidden(
                body == .ssg
                    ? "recording a decision on the common track is for members of the strategic coordination group (role ssg)"
                    : "recording a decision on \(organisation)'s own track is for its leadership (role ssg in that organisation)")
        }
    }

    /// Decisions are published: the common track's to everyone signed in, an own-track
    /// decision to its organisation, SSG members, auditors and admins.
    static func canSeeDecision(track: Track, organisation: OrganisationID, _ identity: Identity) -> Bool {
        readsEverything(identity) || track == .common || identity.has(.ssg) || identity.organisationId == organisation
    }
}
