import Contracts
import Crypto
import Domain
import Foundation
import Hummingbird
import Persistence
import ServiceKit

/// Bulk import of needs from CSV (`POST /v1/needs/imports`, `Content-Type: text/csv`).
///
/// The service reads the header line itself (delimiter `;` or `,`, English names or
/// Swedish headers, a byte-order mark ignored) and streams the rest of the body straight
/// into PostgreSQL with `COPY … FROM STDIN` into a temporary table, so memory stays flat
/// whatever the file's size and rows are never handled one by one in Swift. In the same
/// transaction SQL maps the Swedish values, checks every rule a need must meet, and either
/// answers 422 listing each broken rule as `rows[N].field` (N counts records, the header
/// being 1; nothing is kept) or inserts the new needs and their events in one statement.
/// Each row has an import key — its organisation and `referens`, or a digest of its
/// content — so importing the same file again adds nothing.
struct NeedImporter: Sendable {
    let pool: PostgresPool
    let eventSource: String
    let organisations: OrganisationRepository

    static let bodyLimit = 256 * 1_048_576
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
                var body = ImportBody(request.body.makeAsyncIterator())
                let header = try await body.readHeader()
                let run = ImportRun(importer: self, identity: identity, connection: connection, header: header)
                let summary = try await run.run(copying: &body)
                let requestHash = Idempotency.hex(body.hasher.finalize())
                if let key, let stored = try await Idempotency.lookup(
                    key: key, caller: identity.subject, scope: scope, requestHash: requestHash, pool: pool)
                {
                    throw Replay(stored: stored)
                }
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

/// The request body as it arrives: the header line first, then the rest in chunks; every
/// byte goes into the digest that identifies the request for `Idempotency-Key`.
private struct ImportBody {
    var iterator: RequestBody.AsyncIterator
    var hasher = SHA256()
    var received = 0
    /// Bytes after the header line that arrived with it.
    var leftover: [UInt8] = []

    init(_ iterator: RequestBody.AsyncIterator) {
        self.iterator = iterator
    }

    mutating func next() async throws -> [UInt8]? {
        guard let chunk = try await iterator.next() else { return nil }
        received += chunk.readableBytes
        guard received <= NeedImporter.bodyLimit else {
            throw Problem(status: .contentTooLarge, detail: "the file is larger than \(NeedImporter.bodyLimit) bytes")
        }
        let bytes = Array(chunk.readableBytesView)
        hasher.update(data: bytes)
        return bytes
    }

    /// The header's fields and the delimiter it uses.
    mutating func readHeader() async throws -> ImportHeader {
        var pending: [UInt8] = []
        var end: Int?
        while end == nil, let bytes = try await next() {
            let start = pending.count
            pending.append(contentsOf: bytes)
            end = pending[start...].firstIndex(of: UInt8(ascii: "\n"))
            guard pending.count <= 65_536 || end != nil else {
                throw Problem.validation([.init(name: "rows[1]", reason: "the header line is longer than 64 KiB")])
            }
        }
        let lineEnd = end ?? pending.count
        leftover = lineEnd < pending.count ? Array(pending[(lineEnd + 1)...]) : []
        var reader = CSVReader()
        let records: [CSVReader.Record]
        do {
            records = try reader.feed(pending[..<lineEnd]) + reader.finish()
        } catch {
            throw Problem.validation([.init(name: "rows[1]", reason: "the header line is not readable CSV (UTF-8)")])
        }
        guard let fields = records.first?.fields, fields.contains(where: { !$0.isEmpty }) else {
            throw Problem.validation([.init(name: "(file)", reason: "is empty: the first line must name the columns")])
        }
        return ImportHeader(fields: fields, delimiter: reader.delimiter == UInt8(ascii: ";") ? ";" : ",")
    }
}

private struct ImportHeader {
    var fields: [String]
    var delimiter: String
}

/// One import: the header's column map, the COPY into a temporary table, the checks and
/// the insert, all in the caller's transaction.
private struct ImportRun {
    let importer: NeedImporter
    let identity: Identity
    let connection: PostgresConnection
    let header: ImportHeader

    /// The temporary table's column (`cN`) of each known column.
    func columns() throws -> [ImportColumn: String] {
        var map: [ImportColumn: String] = [:]
        var problems: [Problem.InvalidParameter] = []
        for (index, name) in header.fields.enumerated() {
            let trimmed = name.trimmedWhitespace
            if trimmed.isEmpty { continue }
            guard let column = ImportColumn.named(trimmed) else {
                problems.append(
                    .init(
                        name: "columns.\(trimmed)",
                        reason: "is not a known column; known: \(ImportColumn.allCases.map(\.rawValue).joined(separator: ", "))"))
                continue
            }
            map[column] = "c\(index + 1)"
        }
        for column in ImportColumn.required where map[column] == nil {
            problems.append(.init(name: "columns.\(column.rawValue)", reason: "is required (Swedish: \(column.swedish))"))
        }
        try Problem.throwIfAny(problems)
        return map
    }

    func run(copying body: inout ImportBody) async throws -> NeedImporter.Summary {
        let map = try columns()
        let names = (1...header.fields.count).map { "c\($0)" }
        // The file's rows are sorted (duplicates) and joined in memory rather than on disk.
        try await connection.executeScript(
            "SET LOCAL work_mem = '64MB'; CREATE TEMP TABLE import_rows (record bigint GENERATED ALWAYS AS IDENTITY, "
                + names.map { "\($0) text" }.joined(separator: ", ") + ") ON COMMIT DROP")
        do {
            let copy = "COPY import_rows (\(names.joined(separator: ", "))) FROM STDIN "
                + "WITH (FORMAT csv, DELIMITER '\(header.delimiter)', ENCODING 'UTF8')"
            try await connection.copyIn(copy) { writer in
                if !body.leftover.isEmpty { try await writer.write(body.leftover) }
                while let bytes = try await body.next() { try await writer.write(bytes) }
            }
        } catch let error as PostgresError where error.kind == .server {
            throw Problem.validation([.init(name: "rows", reason: Self.describeCopyError(error))])
        }
        try await fillValues(map)
        try await check()
        return try await insert()
    }

    /// PostgreSQL's own words for a file it cannot read, its line number moved to the
    /// file's (COPY counts from the first line after the header).
    static func describeCopyError(_ error: PostgresError) -> String {
        var text = error.message
        if let detail = error.detail { text += " (\(detail))" }
        guard let range = text.range(of: #"line [0-9]+"#, options: .regularExpression),
            let number = Int(text[range].dropFirst(5))
        else { return text }
        return text.replacingCharacters(in: range, with: "line \(number + 1) of the file")
    }

    /// The values of every row, mapped and normalised (Swedish values to the API's).
    /// Fills `import_values` with every row mapped and normalised (Swedish values to the
    /// API's), target groups split set-wise and the registry's view of the organisation.
    func fillValues(_ map: [ImportColumn: String]) async throws {
        func raw(_ column: ImportColumn) -> String { map[column].map { "NULLIF(btrim(r.\($0)), '')" } ?? "NULL::text" }
        // `maps.m` is the value maps, cast from the parameter once (a `$1::jsonb` per row
        // parsed the whole document for every lookup).
        func mapped(_ column: ImportColumn, _ table: String) -> String { "(maps.m -> '\(table)' ->> lower(\(raw(column))))" }
        func money(_ column: ImportColumn) -> String {
            // Swedish spreadsheets write 1 200 000,50 (spaces, no-break spaces, a decimal comma, "kr").
            let cleaned = "regexp_replace(\(raw(column)), '[[:space:]\\u00a0]+|kr$', '', 'g')"
            let point = "CASE WHEN \(cleaned) ~ '^[0-9]+,[0-9]+$' THEN replace(\(cleaned), ',', '.') ELSE \(cleaned) END"
            return "CASE WHEN \(point) ~ '^(0|[1-9][0-9]*)([.][0-9]+)?$' THEN trim_scale((\(point))::numeric)::text END"
        }
        let groupsColumn = map[.targetGroups].map { "r.\($0)" } ?? "NULL::text"
        try await connection.executeScript(
            """
            CREATE TEMP TABLE import_values (
                record bigint PRIMARY KEY, org_raw text, org text, track_raw text, track text, title text, description text,
                category_raw text, category text, driver_raw text, driver text, goal_raw text, goal_area text,
                urgency_raw text, urgency text, status_raw text, status_mapped text, status text, groups_raw text,
                groups jsonb, groups_bad text, one_off_raw text, one_off text, annual_raw text, annual text,
                contact_name text, contact_email text, reference text, registered_id text, registered_active boolean
            ) ON COMMIT DROP
            """)
        try await connection.execute(
            """
            WITH maps AS (SELECT $1::jsonb AS m),
            -- Target groups are split once per distinct cell, not once per row: a file of
            -- 100 000 needs has a handful of different target-group cells.
            raws AS (
                SELECT DISTINCT lower(\(groupsColumn)) AS raw FROM import_rows r
            ), parts AS (
                SELECT raws.raw, btrim(t.x) AS x, t.n, maps.m -> 'targetGroup' ->> btrim(t.x) AS g
                FROM raws CROSS JOIN maps, regexp_split_to_table(raws.raw, '[|,;]') WITH ORDINALITY AS t(x, n)
                WHERE btrim(t.x) <> ''
            ), firsts AS (
                SELECT raw, g, min(n) AS n FROM parts WHERE g IS NOT NULL GROUP BY raw, g
            ), grouped AS (
                SELECT raw, jsonb_agg(g ORDER BY n) AS groups FROM firsts GROUP BY raw
            ), bad AS (
                SELECT raw, string_agg(DISTINCT x, ', ') AS groups_bad FROM parts WHERE g IS NULL GROUP BY raw
            ), v AS (
                SELECT r.record,
                       \(raw(.organisationId)) AS org_raw, COALESCE(\(raw(.organisationId)), $2) AS org,
                       \(raw(.track)) AS track_raw, \(mapped(.track, "track")) AS track,
                       \(raw(.title)) AS title, \(raw(.description)) AS description,
                       \(raw(.category)) AS category_raw, \(mapped(.category, "category")) AS category,
                       \(raw(.driver)) AS driver_raw, \(mapped(.driver, "driver")) AS driver,
                       \(raw(.goalArea)) AS goal_raw, \(mapped(.goalArea, "goalArea")) AS goal_area,
                       \(raw(.urgency)) AS urgency_raw, \(mapped(.urgency, "urgency")) AS urgency,
                       \(raw(.status)) AS status_raw, \(mapped(.status, "status")) AS status_mapped,
                       COALESCE(\(mapped(.status, "status")), 'submitted') AS status,
                       \(raw(.targetGroups)) AS groups_raw, grouped.groups, bad.groups_bad,
                       \(raw(.roughCostOneOff)) AS one_off_raw, \(money(.roughCostOneOff)) AS one_off,
                       \(raw(.roughCostAnnual)) AS annual_raw, \(money(.roughCostAnnual)) AS annual,
                       \(raw(.contactName)) AS contact_name, \(raw(.contactEmail)) AS contact_email,
                       \(raw(.reference)) AS reference
                FROM import_rows r CROSS JOIN maps
                     LEFT JOIN grouped ON grouped.raw = lower(\(groupsColumn))
                     LEFT JOIN bad ON bad.raw = lower(\(groupsColumn))
            )
            INSERT INTO import_values
            SELECT v.*, o.organisation_id, o.active FROM v LEFT JOIN organisations o ON o.organisation_id = v.org
            """, [parameters[0], parameters[1]])
    }

    /// The value maps, the caller's organisation and whether it is an admin: the first
    /// three parameters of both statements.
    var parameters: [(any PostgresEncodable)?] {
        func table<T: ClosedSet>(_ type: T.Type, _ swedish: [String: T]) -> [String: String] {
            var result: [String: String] = [:]
            for value in T.allCases { result[value.rawValue] = value.rawValue }
            for (text, value) in swedish { result[text] = value.rawValue }
            return result
        }
        let maps: [String: [String: String]] = [
            "track": table(Track.self, ImportColumn.swedishTracks),
            "category": table(NeedCategory.self, ImportColumn.swedishCategories),
            "driver": table(NeedDriver.self, ImportColumn.swedishDrivers),
            "goalArea": table(GoalArea.self, ImportColumn.swedishGoalAreas),
            "urgency": table(Urgency.self, ImportColumn.swedishUrgencies),
            "targetGroup": table(TargetGroup.self, ImportColumn.swedishTargetGroups),
            "status": ["submitted": "submitted", "inskickad": "submitted", "inskickat": "submitted", "draft": "draft", "utkast": "draft"],
        ]
        return [PostgresJSON(maps), identity.organisationId.rawValue, identity.has(.admin)]
    }

    /// The rule text for a value outside its closed set, naming what is allowed.
    static func oneOf<T: ClosedSet>(_ type: T.Type, _ swedish: [String: T], raw: String) -> String {
        let allowed = (T.allCases.map(\.rawValue) + swedish.keys.sorted()).joined(separator: ", ")
        return "'must be one of \(allowed); got ''' || \(raw) || ''''"
    }

    /// Every broken rule of every row; a 422 listing them when there is any.
    func check() async throws {
        let amount = "'must be an amount in kronor such as 1200000 or 650,10; got ''' || "
        let rules: [(field: String, condition: String, reason: String)] = [
            ("organisationId", "org_raw IS NOT NULL AND org_raw !~ '^[a-z0-9-]{2,64}$'",
             "'must be an organisation id (a-z, 0-9, -); got ''' || org_raw || ''''"),
            ("organisationId", "org ~ '^[a-z0-9-]{2,64}$' AND org <> $1 AND NOT $2::boolean",
             "'must be your own organisation (' || $1 || ')'"),
            ("organisationId",
             "org ~ '^[a-z0-9-]{2,64}$' AND (org = $1 OR $2::boolean) AND (registered_id IS NULL OR NOT registered_active)",
             "'is not an active organisation in the registry'"),
            ("track", "track_raw IS NULL", "'is required'"),
            ("track", "track_raw IS NOT NULL AND track IS NULL", Self.oneOf(Track.self, ImportColumn.swedishTracks, raw: "track_raw")),
            ("category", "category_raw IS NULL", "'is required'"),
            ("category", "category_raw IS NOT NULL AND category IS NULL",
             Self.oneOf(NeedCategory.self, ImportColumn.swedishCategories, raw: "category_raw")),
            ("driver", "driver_raw IS NULL", "'is required'"),
            ("driver", "driver_raw IS NOT NULL AND driver IS NULL",
             Self.oneOf(NeedDriver.self, ImportColumn.swedishDrivers, raw: "driver_raw")),
            ("goalArea", "goal_raw IS NOT NULL AND goal_area IS NULL",
             Self.oneOf(GoalArea.self, ImportColumn.swedishGoalAreas, raw: "goal_raw")),
            ("urgency", "urgency_raw IS NOT NULL AND urgency IS NULL",
             Self.oneOf(Urgency.self, ImportColumn.swedishUrgencies, raw: "urgency_raw")),
            ("status", "status_raw IS NOT NULL AND status_mapped IS NULL",
             "'must be submitted (inskickad) or draft (utkast); got ''' || status_raw || ''''"),
            ("title", "title IS NULL", "'is required'"),
            ("title", "char_length(title) NOT BETWEEN 3 AND 200", "'must be 3 to 200 characters'"),
            ("description", "description IS NULL", "'is required'"),
            ("description", "char_length(description) > 10000", "'must be 1 to 10000 characters'"),
            ("targetGroups", "groups_raw IS NULL OR (groups_bad IS NULL AND groups IS NULL)", "'is required'"),
            ("targetGroups", "groups_bad IS NOT NULL",
             "'''' || groups_bad || ''' is not a target group (invånare, brukare, medarbetare, näringsliv, besökare)'"),
            ("roughCostOneOff", "one_off_raw IS NOT NULL AND one_off IS NULL", amount + "one_off_raw || ''''"),
            ("roughCostAnnual", "annual_raw IS NOT NULL AND annual IS NULL", amount + "annual_raw || ''''"),
            ("contactName", "char_length(contact_name) > 200", "'must be 1 to 200 characters'"),
            ("contactEmail",
             "contact_email IS NOT NULL AND (char_length(contact_email) > 254 OR contact_email !~ '^[^@[:space:]]+@[^@[:space:]]+[.][^@[:space:]]+$')",
             "'must be an e-mail address'"),
        ]
        // One scan finds the rows that break any rule (usually none); only those are
        // examined rule by rule.
        let checks = rules.map { rule in
            "SELECT record, '\(rule.field)' AS field, \(rule.reason) AS reason FROM v WHERE \(rule.condition)"
        }.joined(separator: "\n UNION ALL ")
        let anyRule = rules.map { "(\($0.condition))" }.joined(separator: " OR ")
        let rows = try await connection.query(
            """
            WITH v AS MATERIALIZED (SELECT * FROM import_values WHERE \(anyRule)), problems AS (\(checks))
            SELECT record, field, reason, count(*) OVER () AS total, (SELECT count(*) FROM import_rows) AS records
            FROM problems ORDER BY record, field LIMIT \(NeedImporter.reportLimit)
            """, [parameters[1], parameters[2]])
        guard let first = rows.first else { return }
        let total = try first.decode("total", as: Int.self)
        let records = try first.decode("records", as: Int.self)
        let problems = try rows.map { row in
            Problem.InvalidParameter(
                name: "rows[\(try row.decode("record", as: Int.self) + 1)].\(try row.decode("field", as: String.self))",
                reason: try row.decode("reason", as: String.self))
        }
        let validation = Problem.validation(problems)
        throw Problem(
            status: validation.status, type: validation.type, title: validation.title,
            detail: "\(total) problem(s) in \(records) row(s); nothing was imported. Correct the rows and send the whole file again."
                + (total > problems.count ? " The first \(problems.count) are listed." : ""),
            invalidParameters: problems)
    }

    /// Inserts the new needs (one per import key; a key already stored is a duplicate) and
    /// their events. PostgreSQL builds the event data from the inserted rows; its shape is
    /// `NeedSubmittedV1` / `NeedDraftedV1`, and the import test validates what is written
    /// here against the published schemas and headers.
    func insert() async throws -> NeedImporter.Summary {
        let now = Date()
        let jsonNow = String(decoding: try EventJSON.encoder.encode([now]), as: UTF8.self)  // ["2026-…Z"]
        let rows = try await connection.query(
            """
            WITH v AS (SELECT * FROM import_values), keyed AS (
                SELECT DISTINCT ON (import_key) * FROM (
                    SELECT v.*, CASE WHEN reference IS NOT NULL THEN org || ':ref:' || reference
                        ELSE org || ':sha256:' || encode(sha256(convert_to(concat_ws(chr(31), track, title, description,
                            category, driver, goal_area, groups::text, urgency, one_off, annual, contact_name, contact_email,
                            status), 'UTF8')), 'hex') END AS import_key
                    FROM v) k
                ORDER BY import_key, record
            ), prepared AS (
                -- Ids, event ids and W3C trace contexts (a new trace per imported need).
                SELECT keyed.*, gen_random_uuid() AS initiative_id, gen_random_uuid()::text AS event_id,
                       '00-' || replace(gen_random_uuid()::text, '-', '') || '-'
                           || substr(replace(gen_random_uuid()::text, '-', ''), 1, 16) || '-01' AS traceparent,
                       CASE WHEN one_off IS NULL AND annual IS NULL THEN NULL
                            ELSE jsonb_strip_nulls(jsonb_build_object('oneOff', one_off, 'annual', annual)) END AS rough_cost,
                       CASE WHEN contact_name IS NULL THEN NULL
                            ELSE jsonb_strip_nulls(jsonb_build_object('name', contact_name, 'email', contact_email)) END AS contact
                FROM keyed
            ), inserted AS (
                INSERT INTO needs (initiative_id, organisation_id, track, title, description, category, driver, goal_area,
                                   target_groups, rough_cost, urgency, contact, status, import_key, created_by, created_at,
                                   updated_at, submitted_at, submitted_by)
                SELECT initiative_id, org, track, title, description, category, driver, goal_area,
                       ARRAY(SELECT jsonb_array_elements_text(groups)), rough_cost, urgency, contact, status,
                       import_key, $1::text, $2::timestamptz, $2::timestamptz,
                       CASE WHEN status = 'submitted' THEN $2::timestamptz END, CASE WHEN status = 'submitted' THEN $1::text END
                FROM prepared
                ON CONFLICT (import_key) DO NOTHING
                RETURNING initiative_id
            ), events AS (
                INSERT INTO outbox (event_id, event_type, topic, message_key, headers, payload)
                SELECT p.event_id, CASE p.status WHEN 'draft' THEN $5::text ELSE $3::text END, $7::text, p.initiative_id::text,
                       jsonb_build_object(
                           'ce_specversion', '1.0', 'ce_id', p.event_id, 'ce_source', $9::text,
                           'ce_type', CASE p.status WHEN 'draft' THEN $5::text ELSE $3::text END, 'ce_time', $8::text,
                           'ce_subject', p.initiative_id::text,
                           'ce_dataschema', CASE p.status WHEN 'draft' THEN $6::text ELSE $4::text END,
                           'content-type', 'application/json', 'traceparent', p.traceparent),
                       convert_to((CASE p.status
                           WHEN 'draft' THEN jsonb_build_object(
                               'initiativeId', p.initiative_id::text, 'organisationId', p.org, 'track', p.track,
                               'title', p.title, 'draftedBy', $1::text, 'draftedAt', $10::jsonb -> 0)
                           ELSE jsonb_strip_nulls(jsonb_build_object(
                               'initiativeId', p.initiative_id::text, 'organisationId', p.org, 'track', p.track,
                               'title', p.title, 'description', p.description, 'category', p.category, 'driver', p.driver,
                               'targetGroups', p.groups, 'submittedAt', $10::jsonb -> 0, 'goalArea', p.goal_area,
                               'urgency', p.urgency, 'expectedBenefits', '[]'::jsonb, 'roughCost', p.rough_cost,
                               'submittedBy', $1::text))
                       END)::text, 'UTF8')
                FROM prepared p JOIN inserted USING (initiative_id)
                RETURNING event_type
            )
            SELECT (SELECT count(*) FROM import_rows) AS records, (SELECT count(*) FROM events) AS imported,
                   (SELECT count(*) FROM events WHERE event_type = $5::text) AS drafts
            """,
            [
                identity.subject, now, NeedSubmittedV1.eventType, NeedSubmittedV1.schemaURI, NeedDraftedV1.eventType,
                NeedDraftedV1.schemaURI, Topic.intake, RFC3339.format(now), importer.eventSource, jsonNow,
            ])
        let row = try rows.first.orThrow(Problem(status: .internalServerError, detail: "the import statement returned nothing"))
        let records = try row.decode("records", as: Int.self)
        let imported = try row.decode("imported", as: Int.self)
        return NeedImporter.Summary(
            rows: records, imported: imported, duplicates: records - imported, drafts: try row.decode("drafts", as: Int.self))
    }
}

extension StringProtocol {
    /// Without leading and trailing white space (spaces, tabs, line breaks), in plain Swift:
    /// Foundation's trimming bridges every string.
    var trimmedWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        if first == scalars.startIndex && scalars.index(after: last) == scalars.endIndex { return String(self) }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
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
