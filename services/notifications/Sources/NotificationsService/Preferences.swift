import Domain
import Foundation
import HTTPTypes
import Persistence
import ServiceKit

/// How a person wants one notification kind.
struct KindPreference: Codable, Sendable, Equatable {
    /// Muted kinds are not shown or sent to this person. Only optional kinds.
    var muted: Bool?
    /// Channels to use (`in-app`, `email`); absent means in-app only.
    var channels: [String]?
}

/// What `PUT /v1/preferences` sends: the whole preferences document, replacing the last.
struct PreferencesInput: Codable, Sendable, Equatable {
    var kinds: [String: KindPreference]
    /// `none` or `daily` (one digest e-mail a day instead of one per notification).
    var digest: String?

    static let channels = ["in-app", "email"]
    static let digests = ["none", "daily"]

    /// A pure check against the rules: unknown kinds and channels are refused, and so is
    /// muting a mandatory kind or taking it off the in-app channel (the guideline's
    /// informing duties reach the recipient whatever they prefer).
    func validationProblems(rules: NotificationRules, email: String? = "known") -> [Problem.InvalidParameter] {
        var problems: [Problem.InvalidParameter] = []
        for (id, preference) in kinds.sorted(by: { $0.key < $1.key }) {
            guard let kind = rules.kinds[id] else {
                problems.append(.init(name: "kinds.\(id)", reason: "is not a notification kind; see GET /v1/notification-kinds"))
                continue
            }
            let duty = kind.duty.map { " (\($0.sv) / \($0.en))" } ?? ""
            if kind.mandatory && preference.muted == true {
                problems.append(
                    .init(
                        name: "kinds.\(id).muted",
                        reason: "\(id) is mandatory in notification rules v\(rules.version)\(duty) and cannot be muted"))
            }
            if let channels = preference.channels {
                if channels.isEmpty {
                    problems.append(.init(name: "kinds.\(id).channels", reason: "must name at least one channel; mute the kind instead"))
                }
                for (index, channel) in channels.enumerated() where !Self.channels.contains(channel) {
                    problems.append(
                        .init(name: "kinds.\(id).channels[\(index)]", reason: "must be one of \(Self.channels.joined(separator: ", "))"))
                }
                if channels.contains("email") && email == nil {
                    problems.append(
                        .init(name: "kinds.\(id).channels", reason: "e-mail needs an address: your token carries no email claim"))
                }
                if kind.mandatory && !channels.isEmpty && !channels.contains("in-app") {
                    problems.append(
                        .init(
                            name: "kinds.\(id).channels",
                            reason: "\(id) is mandatory in notification rules v\(rules.version)\(duty) and must keep the in-app channel"))
                }
            }
        }
        if let digest, !Self.digests.contains(digest) {
            problems.append(.init(name: "digest", reason: "must be one of \(Self.digests.joined(separator: ", "))"))
        }
        return problems
    }
}

/// A person's preferences as the API returns them.
struct PreferencesResource: Codable, Sendable {
    var subject: String
    var organisationId: String
    var kinds: [String: KindPreference]
    var digest: String
    var updatedAt: Date?

    static func defaults(for identity: Identity) -> PreferencesResource {
        PreferencesResource(
            subject: identity.subject, organisationId: identity.organisationId.rawValue, kinds: [:], digest: "none",
            updatedAt: nil)
    }

    /// Kinds this person does not want in the in-app feed; mandatory kinds never.
    func hiddenKinds(in rules: NotificationRules) -> [String] {
        kinds.compactMap { id, preference in
            guard let kind = rules.kinds[id], !kind.mandatory else { return nil }
            let offInApp = preference.channels.map { !$0.contains("in-app") } ?? false
            return preference.muted == true || offInApp ? id : nil
        }.sorted()
    }
}

struct PreferencesRepository: Sendable {
    let pool: PostgresPool
    let rules: NotificationRules

    func find(_ subject: String) async throws -> PreferencesResource? {
        let rows = try await pool.withConnection { connection in
            try await connection.query(
                "SELECT subject, organisation_id, document, updated_at FROM preferences WHERE subject = $1", [subject])
        }
        return try rows.first.map(Self.decode)
    }

    func replace(with input: PreferencesInput, for identity: Identity, on connection: PostgresConnection) async throws
        -> PreferencesResource
    {
        let stored = PreferencesInput(kinds: input.kinds, digest: input.digest ?? "none")
        let rows = try await connection.query(
            """
            INSERT INTO preferences (subject, organisation_id, document, updated_at, roles, email)
            VALUES ($1, $2, $3::jsonb, $4, $5::text[], $6)
            ON CONFLICT (subject) DO UPDATE
                SET organisation_id = EXCLUDED.organisation_id, document = EXCLUDED.document,
                    updated_at = EXCLUDED.updated_at, roles = EXCLUDED.roles, email = EXCLUDED.email
            RETURNING subject, organisation_id, document, updated_at
            """,
            [identity.subject, identity.organisationId.rawValue, PostgresJSON(stored), Date(),
             identity.roles.map(\.rawValue).sorted(), identity.email])
        return try rows.first.map(Self.decode).orThrow(Problem(status: .internalServerError, detail: "the preferences were not stored"))
    }

    static func decode(_ row: PostgresRow) throws -> PreferencesResource {
        let document = try row.decode("document", as: PostgresJSON<PreferencesInput>.self).value
        return PreferencesResource(
            subject: try row.decode("subject"), organisationId: try row.decode("organisation_id"), kinds: document.kinds,
            digest: document.digest ?? "none", updatedAt: try row.decode("updated_at"))
    }
}
