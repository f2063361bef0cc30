import Contracts
import Domain
import Foundation
import Persistence
import ServiceKit

/// Stores analysis cases and their events together: every change and the event announcing
/// it commit in one transaction (outbox).
struct AnalysisRepository: Sendable {
    let pool: PostgresPool
    let eventSource: String
    let rates: HourlyRateRepository

    // MARK: Reading

    func find(_ id: InitiativeID, visibleTo identity: Identity) async throws -> AnalysisRecord {
        let record = try await pool.withConnection { try await find(id, on: $0, lock: false) }
        guard let record, AnalysisAccess.canRead(record, identity) else {
            throw Problem.notFound("no analysis for \(id) that you can see")
        }
        return record
    }

    private func find(_ id: InitiativeID, on connection: PostgresConnection, lock: Bool) async throws -> AnalysisRecord? {
        try await connection.query(
            "SELECT * FROM analysis_cases WHERE initiative_id = $1" + (lock ? " FOR UPDATE" : ""), [id.rawValue]
        ).first.map(Self.decode)
    }

    /// The case locked for change, when the caller may change it; 404 when it does not
    /// exist or is hidden from the caller, 403 when they may read but not write.
    private func lockedForChange(
        _ id: InitiativeID, by identity: Identity, ifMatch version: Int?, action: String, on connection: PostgresConnection
    ) async throws -> AnalysisRecord {
        guard let record = try await find(id, on: connection, lock: true), AnalysisAccess.canRead(record, identity) else {
            throw Problem.notFound("no analysis for \(id) that you can see; it opens when intake's event arrives")
        }
        try AnalysisAccess.requireWriter(record, identity, to: action)
        if let version, record.version != version { throw Problem.preconditionFailed(current: record.etag) }
        return record
    }

    func list(_ page: PageRequest, status: String?, visibleTo identity: Identity) async throws -> Page<AnalysisCase> {
        let all = identity.hasAny([.admin, .ssg, .auditor])
        let rows = try await pool.withConnection { connection in
            try await connection.query(
                """
                SELECT * FROM analysis_cases
                WHERE seq > $1 AND ($2::text IS NULL OR status = $2)
                  AND ($4::boolean OR organisation_id = $5 OR analysing_organisation_id = $5)
                ORDER BY seq LIMIT $3
                """,
                [page.afterSequence, status, page.limit + 1, all, identity.organisationId.rawValue])
        }
        return try Page.from(rows, limit: page.limit) { try Self.decode($0).resource }
    }

    // MARK: Changing

    /// Replaces the cost-benefit lines; the organisation's hourly rate is fixed into them.
    func recordCostBenefit(
        _ id: InitiativeID, _ input: CostBenefitInput, ifMatch version: Int, by identity: Identity,
        on connection: PostgresConnection
    ) async throws -> AnalysisRecord {
        var record = try await lockedForChange(
            id, by: identity, ifMatch: version, action: "recording a cost-benefit analysis", on: connection)
        try requireOpen(record)
        let rate = try await rates.rate(for: record.organisationId, on: connection)
        let stored = StoredCostBenefit(input: input, hourlyRate: rate, recordedBy: identity.subject, recordedAt: Date())
        record.costBenefit = stored
        try await save(&record, column: "cost_benefit", PostgresJSON(stored), by: identity, action: "cost-benefit recorded", on: connection)
        return record
    }

    func recordRisk(
        _ id: InitiativeID, _ input: RiskAssessmentInput, ifMatch version: Int, by identity: Identity,
        on connection: PostgresConnection
    ) async throws -> AnalysisRecord {
        var record = try await lockedForChange(
            id, by: identity, ifMatch: version, action: "recording a risk and security assessment", on: connection)
        try requireOpen(record)
        let stored = StoredRisk(input: input, recordedBy: identity.subject, recordedAt: Date())
        record.risk = stored
        try await save(&record, column: "risk", PostgresJSON(stored), by: identity, action: "risk assessment recorded", on: connection)
        return record
    }

    /// The ranked candidates for reuse: catalogue services and other initiatives.
    func reuseCandidates(_ id: InitiativeID, visibleTo identity: Identity, limit: Int) async throws -> [ReuseCandidate] {
        let record = try await find(id, visibleTo: identity)
        return try await pool.withConnection { try await ReuseSearch.candidates(for: record, limit: limit, on: $0) }
    }

    func recordReuse(
        _ id: InitiativeID, _ input: ReuseInput, ifMatch version: Int, by identity: Identity, on connection: PostgresConnection
    ) async throws -> AnalysisRecord {
        var record = try await lockedForChange(
            id, by: identity, ifMatch: version, action: "recording the reuse decision", on: connection)
        try requireOpen(record)
        if let kind = input.candidateKind, let candidate = input.candidateId, input.decision != .new {
            let exists = try await connection.query(
                kind == .service
                    ? "SELECT 1 FROM service_catalogue WHERE service_id = $1"
                    : "SELECT 1 FROM analysis_cases WHERE initiative_id::text = lower($1)",
                [candidate])
            guard !exists.isEmpty else {
                throw Problem.validation([.init(name: "candidateId", reason: "names no \(kind.rawValue) known to the analysis service")])
            }
        }
        let stored = StoredReuse(
            decision: input.decision, reason: input.reason.trimmingCharacters(in: .whitespacesAndNewlines),
            candidateKind: input.decision == .new ? nil : input.candidateKind,
            candidateId: input.decision == .new ? nil : input.candidateId?.lowercased(), recordedBy: identity.subject,
            recordedAt: Date())
        record.reuse = stored
        try await save(&record, column: "reuse", PostgresJSON(stored), by: identity, action: "reuse decision recorded", on: connection)
        return record
    }

    func recordSupplierBoardInformed(
        _ id: InitiativeID, _ input: SupplierBoardInformationInput, ifMatch version: Int?, by identity: Identity,
        on connection: PostgresConnection
    ) async throws -> AnalysisRecord {
        var record = try await lockedForChange(
            id, by: identity, ifMatch: version, action: "recording that the supplier's board was informed", on: connection)
        try requireOpen(record)
        guard record.track == .common else {
            throw Problem.conflict(
                "analysis \(id) is on the organisation-specific track; only common-track analyses go through a supplier's board")
        }
        let stored = StoredSupplierBoardInformation(
            informedOn: input.informedOn, board: input.board.trimmingCharacters(in: .whitespaces),
            reference: input.reference, recordedBy: identity.subject, recordedAt: Date())
        record.supplierBoardInformed = stored
        try await save(&record, column: "supplier_board_informed", PostgresJSON(stored), by: identity, action: "supplier board informed", on: connection)
        return record
    }

    /// Completes an open, complete case and announces it; completing a completed case
    /// again returns it unchanged (a retried request must not announce twice).
    func complete(
        _ id: InitiativeID, with input: CompletionRequest, ifMatch version: Int?, by identity: Identity,
        traceParent: String?, on connection: PostgresConnection
    ) async throws -> AnalysisRecord {
        var record = try await lockedForChange(id, by: identity, ifMatch: version, action: "completing an analysis", on: connection)
        guard record.status == .open else { return record }
        let completeness = record.completeness
        guard completeness.readyToComplete, let costBenefit = record.costBenefit, let risk = record.risk else {
            throw Problem.incomplete(completeness)
        }
        let figures = CostBenefitCalculator.figures(for: costBenefit.input, hourlyRate: costBenefit.hourlyRate)
        let summary = AnalysisSummary(
            oneOffCost: figures.oneOffCost, annualCost: figures.annualCost, annualBenefit: figures.annualBenefit,
            lifetimeYears: figures.lifetimeYears, note: input.note ?? costBenefit.input.note ?? "")
        let now = Date()
        try await connection.execute(
            """
            UPDATE analysis_cases SET status = 'completed', completed_at = $2, updated_at = $2, summary = $3::jsonb,
                version = version + 1
            WHERE initiative_id = $1
            """, [id.rawValue, now, PostgresJSON(summary)])
        try await AnalysisHistory.record(id, actor: identity.subject, action: "completed", at: now, on: connection)
        record.status = .completed
        record.completedAt = now
        record.updatedAt = now
        record.summary = summary
        record.version += 1
        try await Outbox.enqueue(
            AnalysisCompletedV1(
                initiativeId: id, organisationId: record.organisationId, track: record.track, title: record.title,
                analysingOrganisationId: record.analysingOrganisationId, summary: summary, completedAt: now,
                costBenefit: figures, benefits: costBenefit.input.benefits, classification: risk.input.classification,
                dpiaRequired: risk.input.dpia.required, reuseDecision: record.reuse?.decision),
            about: id, topic: Topic.analysis, source: eventSource, traceParent: traceParent, on: connection)
        return record
    }

    private func requireOpen(_ record: AnalysisRecord) throws(Problem) {
        guard record.status == .open else {
            throw Problem.conflict("analysis \(record.initiativeId) is completed and can no longer change")
        }
    }

    /// Writes one part (a jsonb column whose name is a constant of this file) and bumps the version.
    private func save(
        _ record: inout AnalysisRecord, column: String, _ value: some PostgresEncodable, by identity: Identity,
        action: String, on connection: PostgresConnection
    ) async throws {
        let now = Date()
        try await connection.execute(
            "UPDATE analysis_cases SET \(column) = $2::jsonb, updated_at = $3, version = version + 1 WHERE initiative_id = $1",
            [record.initiativeId.rawValue, value, now])
        try await AnalysisHistory.record(record.initiativeId, actor: identity.subject, action: action, at: now, on: connection)
        record.version += 1
        record.updatedAt = now
    }

    /// Assigns the case to an analyst of the analysing organisation (or takes it off them
    /// with `null`).
    func assign(
        _ id: InitiativeID, _ input: AssignmentInput, ifMatch version: Int?, by identity: Identity,
        on connection: PostgresConnection
    ) async throws -> AnalysisRecord {
        var record = try await lockedForChange(id, by: identity, ifMatch: version, action: "assigning an analysis", on: connection)
        try requireOpen(record)
        let now = Date()
        try await connection.execute(
            "UPDATE analysis_cases SET assignee = $2, updated_at = $3, version = version + 1 WHERE initiative_id = $1",
            [id.rawValue, input.analyst, now])
        try await AnalysisHistory.record(
            id, actor: identity.subject, action: "assigned", detail: input.analyst ?? "(unassigned)", at: now, on: connection)
        record.assignee = input.analyst
        record.version += 1
        record.updatedAt = now
        return record
    }

    func history(_ id: InitiativeID, visibleTo identity: Identity) async throws -> [AnalysisHistory.Entry] {
        _ = try await find(id, visibleTo: identity)
        let rows = try await pool.withConnection {
            try await $0.query("SELECT * FROM analysis_history WHERE initiative_id = $1 ORDER BY seq", [id.rawValue])
        }
        return try rows.map(AnalysisHistory.Entry.init(row:))
    }

    static func decode(_ row: PostgresRow) throws -> AnalysisRecord {
        AnalysisRecord(
            initiativeId: try row.initiativeID(), organisationId: try row.organisationID("organisation_id"),
            analysingOrganisationId: try row.organisationID("analysing_organisation_id"),
            track: try row.decode("track", as: Track.self), title: try row.decode("title"),
            description: try row.decode("description"),
            status: try row.decode("status", as: AnalysisStatus.self), version: try row.decode("version"),
            openedAt: try row.decode("opened_at"), updatedAt: try row.decode("updated_at", as: Date?.self),
            completedAt: try row.decode("completed_at", as: Date?.self),
            summary: try row.decode("summary", as: PostgresJSON<AnalysisSummary>?.self)?.value,
            costBenefit: try row.decode("cost_benefit", as: PostgresJSON<StoredCostBenefit>?.self)?.value,
            risk: try row.decode("risk", as: PostgresJSON<StoredRisk>?.self)?.value,
            reuse: try row.decode("reuse", as: PostgresJSON<StoredReuse>?.self)?.value,
            supplierBoardInformed: try row.decode(
                "supplier_board_informed", as: PostgresJSON<StoredSupplierBoardInformation>?.self)?.value,
            assignee: try row.decode("assignee", as: String?.self), origin: try row.decode("origin"))
    }
}

extension CalendarDate {
    /// Today in Sweden.
    static var todayInSweden: CalendarDate? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Stockholm") ?? .gmt
        let parts = calendar.dateComponents([.year, .month, .day], from: Date())
        guard let year = parts.year, let month = parts.month, let day = parts.day else { return nil }
        func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return CalendarDate("\(year)-\(pad(month))-\(pad(day))")
    }
}
