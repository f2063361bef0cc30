import Contracts
import Domain
import Foundation

/// A notification the steering model says someone must get.
struct PlannedNotification: Sendable, Equatable {
    /// Who: an organisation and a role in it.
    var organisation: String
    var role: String
    var kind: String
    /// The guideline's informing duties cannot be muted.
    var mandatory: Bool
    var titleSwedish: String
    var bodySwedish: String
    var actionSwedish: String
    var titleEnglish: String
    var bodyEnglish: String
    var actionEnglish: String
    /// By when the recipient is expected to act (YYYY-MM-DD), when the kind says so.
    var dueOn: String?
    /// Where in Styrbord the recipient acts (a path; the front end adds its host).
    var link: String?
    /// What it is about: an initiative, or an exemption (avsteg) which is none.
    var initiativeId: String?
    var exemptionId: String?
    /// The version of the rules file that planned it.
    var rulesVersion: Int
}

/// An organisation's names as the registry announces them, for messages that say
/// "Utbildningsnämnden" rather than `utbildning`.
struct OrganisationNames: Sendable, Equatable {
    var name: String
    var board: String
}

/// Why a rules file cannot be used or an event cannot be turned into notifications.
enum NotificationRulesError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(String)
    case invalid(String)
    case missingField(eventType: String, field: String)

    var description: String {
        switch self {
        case .unreadable(let reason): "the notification rules cannot be read: \(reason)"
        case .invalid(let reason): "the notification rules are invalid: \(reason)"
        case .missingField(let eventType, let field):
            "a \(eventType) event has no usable field \(field), which the notification rules need"
        }
    }
}

/// The rules file (`Data/rules.v1.json`): from event type to notification kinds, and from
/// each kind to its recipients by organisation and role, whether it is one of the
/// guideline's informing duties, and its Swedish and English texts. DOMAIN.md's
/// "Notifications named by the model" is written down there, not in code.
struct NotificationRules: Sendable, Decodable {
    /// Texts in one language; `{field}` placeholders name fields of the event's data.
    struct Texts: Sendable, Decodable, Equatable {
        var title: String
        var body: String
        var action: String
    }

    /// The guideline's duty a mandatory kind fulfils, for the evidence.
    struct Duty: Sendable, Codable, Equatable {
        var sv: String
        var en: String
    }

    /// One notification type (`kind`): texts, whether mandatory, link and due date.
    struct Kind: Sendable, Decodable {
        var mandatory: Bool
        var duty: Duty?
        var link: String?
        var dueInDays: Int?
        var sv: Texts
        var en: Texts
    }

    /// A recipient: a fixed organisation, or the organisation(s) an event field names.
    struct Recipient: Sendable, Decodable {
        var organisation: String?
        var organisationField: String?
        var role: String
    }

    /// One kind an event causes, optionally only when fields have given values.
    struct Rule: Sendable, Decodable {
        var kind: String
        var when: [String: String]?
        var to: [Recipient]
    }

    struct Translation: Sendable, Decodable {
        var sv: String
        var en: String
    }

    var version: Int
    var values: [String: [String: Translation]]?
    var kinds: [String: Kind]
    var events: [String: [Rule]]

    /// The rules shipped with the service.
    static func bundled() throws(NotificationRulesError) -> NotificationRules {
        try load(from: try bundledFile())
    }

    /// Where the shipped rules file is.
    static func bundledFile() throws(NotificationRulesError) -> URL {
        guard let file = Bundle.module.url(forResource: "Data/rules.v1", withExtension: "json") else {
            throw .unreadable("Data/rules.v1.json is missing from the notifications resource bundle")
        }
        return file
    }

    static func load(from file: URL) throws(NotificationRulesError) -> NotificationRules {
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            throw .unreadable("\(file.lastPathComponent): \(error.localizedDescription)")
        }
        return try parse(data, name: file.lastPathComponent)
    }

    /// Parses and checks a rules document: every rule names a declared kind, every
    /// recipient names exactly one organisation source and a role, texts are not empty.
    static func parse(_ data: Data, name: String = "rules") throws(NotificationRulesError) -> NotificationRules {
        let rules: NotificationRules
        do {
            rules = try JSONDecoder().decode(NotificationRules.self, from: data)
        } catch {
            throw .unreadable("\(name) is not a rules document: \(error)")
        }
        guard rules.version >= 1 else { throw .invalid("\(name): version must be 1 or more") }
        for (type, eventRules) in rules.events {
            for rule in eventRules {
                guard rules.kinds[rule.kind] != nil else {
                    throw .invalid("\(name): \(type) names kind \(rule.kind), which is not declared under kinds")
                }
                guard !rule.to.isEmpty else { throw .invalid("\(name): \(type) → \(rule.kind) has no recipients") }
                for recipient in rule.to {
                    guard (recipient.organisation == nil) != (recipient.organisationField == nil) else {
                        throw .invalid("\(name): a recipient of \(type) → \(rule.kind) needs either organisation or organisationField")
                    }
                    if let fixed = recipient.organisation, OrganisationID(fixed) == nil {
                        throw .invalid("\(name): \(fixed) in \(type) → \(rule.kind) is not an organisation id")
                    }
                    guard !recipient.role.isEmpty else { throw .invalid("\(name): a recipient of \(type) → \(rule.kind) has no role") }
                }
            }
        }
        for (id, kind) in rules.kinds {
            for texts in [kind.sv, kind.en] where texts.title.isEmpty || texts.body.isEmpty || texts.action.isEmpty {
                throw .invalid("\(name): kind \(id) has an empty title, body or action")
            }
            for template in [kind.sv.title, kind.sv.body, kind.sv.action, kind.en.title, kind.en.body, kind.en.action]
                + (kind.link.map { [$0] } ?? [])
            {
                for placeholder in placeholders(in: template) {
                    let parts = placeholder.split(separator: "|", omittingEmptySubsequences: false)
                    guard !placeholder.isEmpty, parts.count <= 2, parts.count == 1 || ["name", "board"].contains(parts[1]) else {
                        throw .invalid("\(name): kind \(id) has the placeholder {\(placeholder)}; use {field}, {field|name} or {field|board}")
                    }
                }
            }
            if kind.mandatory && kind.duty == nil {
                throw .invalid("\(name): mandatory kind \(id) must name the guideline's duty it fulfils")
            }
        }
        return rules
    }

    /// The notifications an event causes. Data of a known contract type that does not
    /// match the contract is a `DecodingError`; a field the rules need but the event lacks
    /// is a `NotificationRulesError`.
    /// Whether any rule names `eventType`.
    func handles(_ eventType: String) -> Bool { !(events[eventType] ?? []).isEmpty }

    /// `{field|name}` and `{field|board}` take an organisation's names from `directory`
    /// (the id itself while the registry has not announced it).
    func notifications(for event: CloudEvent, directory: [String: OrganisationNames] = [:]) throws -> [PlannedNotification] {
        guard let eventRules = events[event.type], !eventRules.isEmpty else { return [] }
        if let contract = EventCatalogue.all.first(where: { $0.eventType == event.type }) {
            _ = try EventJSON.decoder.decode(contract, from: Data(event.data))
        }
        let data = EventData(try JSONSerialization.jsonObject(with: Data(event.data)))
        let initiativeId = data.text("initiativeId")
        let exemptionId = data.text("exemptionId")
        let dueBase = event.time ?? Date()
        var planned: [PlannedNotification] = []
        for rule in eventRules where (rule.when ?? [:]).allSatisfy({ data.text($0.key) == $0.value }) {
            guard let kind = kinds[rule.kind] else { continue }
            let due = kind.dueInDays.map {
                ISO8601DateFormatter.string(
                    from: dueBase.addingTimeInterval(Double($0) * 86_400), timeZone: .gmt, formatOptions: [.withFullDate])
            }
            func render(_ template: String, _ language: KeyPath<Translation, String>) throws -> String {
                try fill(template, eventType: event.type) { placeholder in
                    let parts = placeholder.split(separator: "|", maxSplits: 1).map(String.init)
                    let field = parts[0]
                    if field == "due" { return due ?? "" }
                    if parts.count == 2 {
                        guard let ids = data.texts(field) else { return nil }
                        return ids.map { id in
                            directory[id].map { parts[1] == "board" ? $0.board : $0.name } ?? id
                        }.joined(separator: ", ")
                    }
                    guard let value = data.text(field) else { return nil }
                    return values?[field]?[value]?[keyPath: language] ?? value
                }
            }
            for recipient in rule.to {
                let organisations: [String]
                if let fixed = recipient.organisation {
                    organisations = [fixed]
                } else if let field = recipient.organisationField, let named = data.texts(field), !named.isEmpty {
                    organisations = named
                } else {
                    throw NotificationRulesError.missingField(eventType: event.type, field: recipient.organisationField ?? "")
                }
                for organisation in organisations {
                    planned.append(
                        PlannedNotification(
                            organisation: organisation, role: recipient.role, kind: rule.kind, mandatory: kind.mandatory,
                            titleSwedish: try render(kind.sv.title, \.sv), bodySwedish: try render(kind.sv.body, \.sv),
                            actionSwedish: try render(kind.sv.action, \.sv),
                            titleEnglish: try render(kind.en.title, \.en), bodyEnglish: try render(kind.en.body, \.en),
                            actionEnglish: try render(kind.en.action, \.en), dueOn: due,
                            link: try kind.link.map { try render($0, \.sv) }, initiativeId: initiativeId,
                            exemptionId: exemptionId, rulesVersion: version))
                }
            }
        }
        return planned
    }

    /// Replaces every `{field}` in `template` with `value(field)`; a field the event lacks
    /// is an error rather than an empty gap in a message to a city employee.
    private func fill(_ template: String, eventType: String, value: (String) -> String?) throws -> String {
        var result = ""
        var rest = template[...]
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else {
                throw NotificationRulesError.invalid("an unclosed { in \(template)")
            }
            let field = String(rest[rest.index(after: open)..<close])
            guard let text = value(field) else {
                throw NotificationRulesError.missingField(eventType: eventType, field: field)
            }
            result += text
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }
}

/// The `{…}` placeholders of a template, without braces.
private func placeholders(in template: String) -> [String] {
    var found: [String] = []
    var rest = template[...]
    while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
        found.append(String(rest[rest.index(after: open)..<close]))
        rest = rest[rest.index(after: close)...]
    }
    return found
}

/// An event's JSON data, read by dotted paths (`boardDecision.board`).
private struct EventData {
    let root: Any

    init(_ root: Any) { self.root = root }

    func value(_ path: String) -> Any? {
        path.split(separator: ".").reduce(Optional(root)) { node, key in (node as? [String: Any])?[String(key)] }
    }

    /// A scalar as text; a list of scalars joined with ", ".
    func text(_ path: String) -> String? {
        switch value(path) {
        case let string as String: string
        case let number as NSNumber: number.stringValue
        case is [Any]: texts(path)?.joined(separator: ", ")
        default: nil
        }
    }

    /// A string or a list of strings, as a list.
    func texts(_ path: String) -> [String]? {
        switch value(path) {
        case let string as String: [string]
        case let list as [Any]: list.compactMap { $0 as? String }
        default: nil
        }
    }
}
