import Contracts
import Crypto
import Domain
import Foundation
import Hummingbird
import Persistence
import ServiceKit

/// Bulk import of needs from CSV (`POST /v1/needs/imports`, `Content-Type: text/csv`).
///
/// The body is read as a stream: rows are parsed, validated and written in batches inside
/// one transaction, so memory stays flat whatever the file's size. Any invalid row rolls
/// the whole import back and the answer is a 422 listing every broken rule as
/// `rows[LINE].field` (nothing half-imported). Each row has an import key — its
/// organisation and `referens` column, or a digest of its content — so importing the same
/// file again adds nothing.
struct NeedImporter: Sendable {
    let pool: PostgresPool
    let eventSource: String
    let organisations: OrganisationRepository

    static let bodyLimit = 256 * 1_048_576
    static let batchSize = 500
    static let reportLimit = 1000

    struct Summary: Codable, Sendable {
        var rows: Int
        var imported: Int
        var duplicates: Int
        var drafts: Int
    }

    func handle(_ request: Request, context: StyrbordRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        try identity.require(anyOf: [.submitter, .admin], to: "importing needs")
        guard let type = request.headers[.contentType]?.lowercased(), type.hasPrefix("text/csv") else {
            throw Problem(
                status: .unsupportedMediaType, title: "Fel innehållstyp / Unsupported media type",
                detail: "send the file as Content-Type: text/csv; charset=utf-8")
        }
        let key = try request.idempotencyKey()
        let scope = "\(request.method) \(request.uri.path)"
        do {
            let (stored, replayed) = try await pool.withTransaction { connection in
                var run = ImportRun(importer: self, identity: identity, connection: connection)
                var hasher = SHA256()
                var received = 0
                for try await chunk in request.body {
                    received += chunk.readableBytes
                    guard received <= Self.bodyLimit else {
                        throw Problem(status: .contentTooLarge, detail: "the file is larger than \(Self.bodyLimit) bytes")
                    }
                    hasher.update(data: chunk.readableBytesView)
                    try await run.feed(chunk.readableBytesView)
                }
                let requestHash = Idempotency.hex(hasher.finalize())
                if let key, let stored = try await Idempotency.lookup(
                    key: key, caller: identity.subject, scope: scope, requestHash: requestHash, pool: pool)
                {
                    throw Replay(stored: stored)
                }
                let summary = try await run.finish()
                let response = try StoredResponse.json(summary, status: .created)
                if let key {
                    try await Idempotency.remember(
                        response, key: key, caller: identity.subject, scope: scope, requestHash: requestHash,
                        on: connection)
                }
                return (response, false)
            }
            return stored.response(replayed: replayed)
        } catch let replay as Replay {
            return replay.stored.response(replayed: true)
        }
    }

    /// Rolls the transaction back and answers with the remembered response.
    private struct Replay: Error {
        let stored: StoredResponse
    }
}

extension StringProtocol {
    /// Without leading and trailing white space (spaces, tabs, line breaks), in plain Swift:
    /// Foundation's trimming bridges every string, which showed in bulk imports' profiles.
    var trimmedWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        if first == scalars.startIndex && scalars.index(after: last) == scalars.endIndex { return String(self) }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}

/// One import in progress: the CSV reader, the header's column map, the batch being
/// filled and the problems found so far.
private struct ImportRun {
    let importer: NeedImporter
    let identity: Identity
    let connection: PostgresConnection
    var reader = CSVReader(fieldLimit: 20_000)
    var columns: [ImportColumn: Int]?
    var batch: [ImportedNeed] = []
    var keysInFile: Set<String> = []
    var problems: [Problem.InvalidParameter] = []
    var problemCount = 0
    var summary = NeedImporter.Summary(rows: 0, imported: 0, duplicates: 0, drafts: 0)
    var activeOrganisations: [OrganisationID: Bool] = [:]

    init(importer: NeedImporter, identity: Identity, connection: PostgresConnection) {
        self.importer = importer
        self.identity = identity
        self.connection = connection
    }

    mutating func feed(_ bytes: some Sequence<UInt8>) async throws {
        let records: [CSVReader.Record]
        do { records = try reader.feed(bytes) } catch { throw Self.problem(error) }
        for record in records { try await take(record) }
    }

    mutating func finish() async throws -> NeedImporter.Summary {
        let records: [CSVReader.Record]
        do { records = try reader.finish() } catch { throw Self.problem(error) }
        for record in records { try await take(record) }
        guard columns != nil else {
            throw Problem.validation([.init(name: "(file)", reason: "is empty: the first line must name the columns")])
        }
        try await flush()
        guard problemCount == 0 else {
            var problem = Problem.validation(problems)
            problem = Problem(
                status: problem.status, type: problem.type, title: problem.title,
                detail: "\(problemCount) problem(s) in \(summary.rows) row(s); nothing was imported. Correct the rows and send the whole file again.",
                invalidParameters: problems)
            throw problem
        }
        return summary
    }

    static func problem(_ error: CSVReader.ReadError) -> Problem {
        switch error {
        case .invalidUTF8(let line):
            Problem.validation([.init(name: "rows[\(line)]", reason: "is not UTF-8 text; save the file as CSV UTF-8")])
        case .unterminatedQuote(let line):
            Problem.validation([.init(name: "rows[\(line)]", reason: "opens a quoted field that never ends")])
        case .fieldTooLong(let line, let limit):
            Problem.validation([.init(name: "rows[\(line)]", reason: "has a field longer than \(limit) bytes")])
        }
    }

    mutating func report(_ line: Int, _ field: String, _ reason: String) {
        problemCount += 1
        if problems.count < NeedImporter.reportLimit { problems.append(.init(name: "rows[\(line)].\(field)", reason: reason)) }
    }

    private mutating func take(_ record: CSVReader.Record) async throws {
        guard let columns else {
            try readHeader(record)
            return
        }
        summary.rows += 1
        guard let need = await parse(record, columns: columns) else { return }
        guard keysInFile.insert(need.importKey).inserted else {
            summary.duplicates += 1
            return
        }
        batch.append(need)
        if batch.count >= NeedImporter.batchSize { try await flush() }
    }

    private mutating func readHeader(_ record: CSVReader.Record) throws {
        var map: [ImportColumn: Int] = [:]
        var unknown: [String] = []
        for (index, name) in record.fields.enumerated() {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let column = ImportColumn.named(trimmed) else {
                unknown.append(trimmed)
                continue
            }
            map[column] = index
        }
        var problems: [Problem.InvalidParameter] = unknown.map {
            .init(name: "columns.\($0)", reason: "is not a known column; known: \(ImportColumn.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        for column in ImportColumn.required where map[column] == nil {
            problems.append(.init(name: "columns.\(column.rawValue)", reason: "is required (Swedish: \(column.swedish))"))
        }
        try Problem.throwIfAny(problems)
        columns = map
    }

    /// One row as a need, or nil with its problems reported.
    private mutating func parse(_ record: CSVReader.Record, columns: [ImportColumn: Int]) async -> ImportedNeed? {
        let line = record.line
        let before = problemCount
        func value(_ column: ImportColumn) -> String? {
            guard let index = columns[column], index < record.fields.count else { return nil }
            let text = record.fields[index].trimmedWhitespace
            return text.isEmpty ? nil : text
        }
        func choice<T: ClosedSet>(_ column: ImportColumn, _ type: T.Type, swedish: [String: T]) -> T? {
            guard let text = value(column) else { return nil }
            if let parsed = T(rawValue: text.lowercased()) ?? swedish[text.lowercased()] { return parsed }
            report(
                line, column.rawValue,
                "must be one of \((T.allCases.map(\.rawValue) + swedish.keys.sorted()).joined(separator: ", ")); got '\(text)'")
            return nil
        }
        func money(_ column: ImportColumn) -> SEK? {
            guard let text = value(column) else { return nil }
            // Swedish spreadsheets write 1 200 000,50 (spaces, no-break spaces, a decimal comma, "kr").
            var cleaned = String(text.filter { !$0.isWhitespace })
            if cleaned.hasSuffix("kr") { cleaned.removeLast(2) }
            if !cleaned.contains("."), cleaned.filter({ $0 == "," }).count == 1 {
                cleaned = String(cleaned.map { $0 == "," ? "." : $0 })
            }
            guard let amount = SEK(exactly: cleaned) else {
                report(line, column.rawValue, "must be an amount in kronor such as 1200000 or 650,10; got '\(text)'")
                return nil
            }
            return amount
        }

        var organisation = identity.organisationId
        if let text = value(.organisationId) {
            if let parsed = OrganisationID(text) { organisation = parsed } else {
                report(line, "organisationId", "must be an organisation id (a-z, 0-9, -); got '\(text)'")
            }
        }
        if organisation != identity.organisationId && !identity.has(.admin) {
            report(line, "organisationId", "must be your own organisation (\(identity.organisationId))")
        } else if await !isActive(organisation) {
            report(line, "organisationId", "is not an active organisation in the registry")
        }
        let track = choice(.track, Track.self, swedish: ImportColumn.swedishTracks)
        let category = choice(.category, NeedCategory.self, swedish: ImportColumn.swedishCategories)
        let driver = choice(.driver, NeedDriver.self, swedish: ImportColumn.swedishDrivers)
        let goalArea = choice(.goalArea, GoalArea.self, swedish: ImportColumn.swedishGoalAreas)
        let urgency = choice(.urgency, Urgency.self, swedish: ImportColumn.swedishUrgencies)
        var groups: [TargetGroup] = []
        for part in (value(.targetGroups) ?? "").split(whereSeparator: { "|,;".contains($0) }) {
            let text = part.trimmedWhitespace.lowercased()
            if let group = TargetGroup(rawValue: text) ?? ImportColumn.swedishTargetGroups[text] {
                if !groups.contains(group) { groups.append(group) }
            } else {
                report(line, "targetGroups", "'\(text)' is not a target group (invånare, brukare, medarbetare, näringsliv, besökare)")
            }
        }
        let oneOff = money(.roughCostOneOff)
        let annual = money(.roughCostAnnual)
        let status = value(.status)?.lowercased()
        let draft: Bool
        switch status {
        case nil, "submitted", "inskickad", "inskickat": draft = false
        case "draft", "utkast": draft = true
        case let other?:
            report(line, "status", "must be submitted (inskickad) or draft (utkast); got '\(other)'")
            draft = false
        }
        for column in ImportColumn.required where value(column) == nil && column != .targetGroups {
            report(line, column.rawValue, "is required")
        }
        if value(.targetGroups) == nil { report(line, "targetGroups", "is required") }
        var contact: Contact?
        if let name = value(.contactName) { contact = Contact(name: name, email: value(.contactEmail), phone: nil) }
        guard problemCount == before, let track, let category, let driver else { return nil }
        let input = NeedInput(
            organisationId: organisation, track: track, title: value(.title) ?? "", description: value(.description) ?? "",
            category: category, driver: driver, goalArea: goalArea, targetGroups: groups, expectedBenefits: [],
            roughCost: oneOff == nil && annual == nil ? nil : RoughCost(oneOff: oneOff, annual: annual), urgency: urgency,
            contact: contact, links: [], draft: draft)
        for problem in input.validationProblems() { report(line, problem.name, problem.reason) }
        guard problemCount == before else { return nil }
        let normalised = input.normalised
        let key: String
        if let reference = value(.reference) {
            key = "\(organisation):ref:\(reference)"
        } else {
            // The row's content decides: the same row in another file is the same need.
            let content = [
                normalised.track.rawValue, normalised.title, normalised.description, normalised.category.rawValue,
                normalised.driver.rawValue, normalised.goalArea?.rawValue ?? "", normalised.targetGroups.map(\.rawValue).joined(separator: ","),
                normalised.urgency?.rawValue ?? "", oneOff?.description ?? "", annual?.description ?? "",
                contact?.name ?? "", contact?.email ?? "", draft ? "draft" : "submitted",
            ].joined(separator: "\u{1F}")
            key = "\(organisation):sha256:\(Idempotency.digest(Array(content.utf8)))"
        }
        return ImportedNeed(input: normalised, draft: draft, importKey: key)
    }

    private mutating func isActive(_ organisation: OrganisationID) async -> Bool {
        if let known = activeOrganisations[organisation] { return known }
        let active = (try? await importer.organisations.find(organisation, on: connection))??.active ?? false
        activeOrganisations[organisation] = active
        return active
    }

    /// Writes the batch (unless the import already failed: then nothing is written and
    /// the rest of the file is only checked). One statement inserts the needs and, for
    /// those that are new (the import key decides), their events into the outbox: the
    /// event data is built by PostgreSQL from the inserted rows, which keeps a
    /// 100 000-row import fast. Its shape is `NeedSubmittedV1` / `NeedDraftedV1`; the
    /// import test validates the events written here against the published schemas.
    private mutating func flush() async throws {
        defer { batch.removeAll(keepingCapacity: true) }
        guard problemCount == 0, !batch.isEmpty else { return }
        let now = Date()
        let jsonNow = String(decoding: try EventJSON.encoder.encode([now]), as: UTF8.self)  // ["2026-…Z"]
        func column(_ value: (ImportedNeed) -> String?) -> PostgresNullableTextArray {
            PostgresNullableTextArray(batch.map(value))
        }
        let rows = try await connection.query(
            """
            WITH input AS (
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                                     $8::jsonb[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
                                     $14::text[], $15::text[])
                    AS r(organisation_id, track, title, description, category, driver, goal_area, target_groups, one_off,
                         annual, urgency, contact_name, contact_email, status, import_key)
            ), prepared AS (
                -- Ids, event ids and W3C trace contexts (a new trace per imported need) are made
                -- here: a random UUID per row from Swift cost more than the rest of the row.
                SELECT input.*, gen_random_uuid() AS initiative_id, gen_random_uuid()::text AS event_id,
                       '00-' || replace(gen_random_uuid()::text, '-', '') || '-'
                           || substr(replace(gen_random_uuid()::text, '-', ''), 1, 16) || '-01' AS traceparent,
                       CASE WHEN one_off IS NULL AND annual IS NULL THEN NULL
                            ELSE jsonb_strip_nulls(jsonb_build_object('oneOff', one_off, 'annual', annual)) END AS rough_cost,
                       CASE WHEN contact_name IS NULL THEN NULL
                            ELSE jsonb_strip_nulls(jsonb_build_object('name', contact_name, 'email', contact_email)) END AS contact
                FROM input
            ), inserted AS (
                INSERT INTO needs (initiative_id, organisation_id, track, title, description, category, driver, goal_area,
                                   target_groups, rough_cost, urgency, contact, status, import_key, created_by, created_at,
                                   updated_at, submitted_at, submitted_by)
                SELECT initiative_id, organisation_id, track, title, description, category, driver, goal_area,
                       ARRAY(SELECT jsonb_array_elements_text(target_groups)), rough_cost, urgency, contact, status,
                       import_key, $16, $17, $17, CASE WHEN status = 'submitted' THEN $17::timestamptz END,
                       CASE WHEN status = 'submitted' THEN $16 END
                FROM prepared
                ON CONFLICT (import_key) DO NOTHING
                RETURNING initiative_id
            )
            INSERT INTO outbox (event_id, event_type, topic, message_key, headers, payload)
            SELECT p.event_id, CASE p.status WHEN 'draft' THEN $20::text ELSE $18::text END, $22::text, p.initiative_id::text,
                   jsonb_build_object(
                       'ce_specversion', '1.0', 'ce_id', p.event_id, 'ce_source', $24::text,
                       'ce_type', CASE p.status WHEN 'draft' THEN $20::text ELSE $18::text END, 'ce_time', $23::text,
                       'ce_subject', p.initiative_id::text,
                       'ce_dataschema', CASE p.status WHEN 'draft' THEN $21::text ELSE $19::text END,
                       'content-type', 'application/json', 'traceparent', p.traceparent),
                   convert_to((CASE p.status
                       WHEN 'draft' THEN jsonb_build_object(
                           'initiativeId', p.initiative_id::text, 'organisationId', p.organisation_id, 'track', p.track,
                           'title', p.title, 'draftedBy', $16::text, 'draftedAt', $25::jsonb -> 0)
                       ELSE jsonb_strip_nulls(jsonb_build_object(
                           'initiativeId', p.initiative_id::text, 'organisationId', p.organisation_id, 'track', p.track,
                           'title', p.title, 'description', p.description, 'category', p.category, 'driver', p.driver,
                           'targetGroups', p.target_groups, 'submittedAt', $25::jsonb -> 0, 'goalArea', p.goal_area,
                           'urgency', p.urgency, 'expectedBenefits', '[]'::jsonb, 'roughCost', p.rough_cost,
                           'submittedBy', $16::text))
                   END)::text, 'UTF8')
            FROM prepared p JOIN inserted USING (initiative_id)
            RETURNING event_type
            """,
            [column { $0.input.organisationId.rawValue }, column { $0.input.track.rawValue }, column { $0.input.title },
             column { $0.input.description }, column { $0.input.category.rawValue }, column { $0.input.driver.rawValue },
             column { $0.input.goalArea?.rawValue },
             column { need in "[" + need.input.targetGroups.map { "\"\($0.rawValue)\"" }.joined(separator: ",") + "]" },
             column { $0.input.roughCost?.oneOff?.amount.description }, column { $0.input.roughCost?.annual?.amount.description },
             column { $0.input.urgency?.rawValue }, column { $0.input.contact?.name }, column { $0.input.contact?.email },
             column { $0.draft ? "draft" : "submitted" }, column { $0.importKey },
             identity.subject, now, NeedSubmittedV1.eventType, NeedSubmittedV1.schemaURI, NeedDraftedV1.eventType,
             NeedDraftedV1.schemaURI, Topic.intake, RFC3339.format(now), importer.eventSource, jsonNow])
        let drafts = try rows.filter { try $0.decode("event_type", as: String.self) == NeedDraftedV1.eventType }.count
        summary.imported += rows.count
        summary.drafts += drafts
        summary.duplicates += batch.count - rows.count
    }
}

private struct ImportedNeed {
    var input: NeedInput
    var draft: Bool
    var importKey: String
}

/// The columns an import file may have, by their English names or Swedish headers.
enum ImportColumn: String, CaseIterable, Hashable {
    case organisationId, track, title, description, category, driver, goalArea, targetGroups, urgency
    case roughCostOneOff, roughCostAnnual, contactName, contactEmail, reference, status

    static let required: [ImportColumn] = [.track, .title, .description, .category, .driver, .targetGroups]

    var swedish: String {
        switch self {
        case .organisationId: "organisation"
        case .track: "spår"
        case .title: "titel"
        case .description: "beskrivning"
        case .category: "kategori"
        case .driver: "drivkraft"
        case .goalArea: "målområde"
        case .targetGroups: "målgrupper"
        case .urgency: "angelägenhet"
        case .roughCostOneOff: "engångskostnad"
        case .roughCostAnnual: "årlig kostnad"
        case .contactName: "kontaktperson"
        case .contactEmail: "e-post"
        case .reference: "referens"
        case .status: "status"
        }
    }

    private static let aliases: [String: ImportColumn] = {
        var map: [String: ImportColumn] = [:]
        for column in allCases {
            map[column.rawValue.lowercased()] = column
            map[column.swedish] = column
        }
        let extra: [String: ImportColumn] = [
            "förvaltning": .organisationId, "organisation_id": .organisationId, "rubrik": .title,
            "behov": .title, "målgrupp": .targetGroups, "brådska": .urgency, "engångskostnad (kr)": .roughCostOneOff,
            "årlig kostnad (kr)": .roughCostAnnual, "löpande kostnad": .roughCostAnnual, "kontakt": .contactName,
            "epost": .contactEmail, "id": .reference, "anledning": .driver,
        ]
        map.merge(extra) { first, _ in first }
        return map
    }()

    static func named(_ header: String) -> ImportColumn? { aliases[header.lowercased()] }

    static let swedishTracks: [String: Track] = ["verksamhetsspecifik": .organisationSpecific, "gemensam": .common]
    static let swedishCategories: [String: NeedCategory] = [
        "upphandling av verksamhetssystem": .businessSystemProcurement, "kvalitetshöjande": .qualityRaising,
        "effektiviserande": .efficiency, "övrigt": .other,
    ]
    static let swedishDrivers: [String: NeedDriver] = [
        "eget behov": .ownNeed, "ny lag": .newLaw, "lagkrav": .newLaw, "stadsövergripande förändring": .cityWideChange,
        "avtal löper ut": .contractExpiry,
    ]
    static let swedishGoalAreas: [String: GoalArea] = [
        "1": .efficiencyInnovationBalance, "2": .internalExternalBalance, "3": .transparencyAccessibility,
        "4": .competenceSupply,
    ]
    static let swedishUrgencies: [String: Urgency] = ["låg": .low, "medel": .medium, "hög": .high, "akut": .critical]
    static let swedishTargetGroups: [String: TargetGroup] = [
        "invånare": .residents, "brukare": .residents, "invånare/brukare": .residents, "medarbetare": .employees,
        "näringsliv": .business, "besökare": .visitors,
    ]
}
