import Contracts
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Persistence
import ServiceKit

/// The register's filters: `organisationId`, `goalArea`, `status`, `ssgPrioritised`.
struct RegisterFilter: Sendable {
    var organisationId: OrganisationID?
    var goalArea: GoalArea?
    var status: RealisationStatus?
    var ssgPrioritised: Bool?

    init(_ request: Request) throws {
        organisationId = try request.organisationQuery()
        goalArea = try request.queryChoice("goalArea", allowed: GoalArea.allCases.map(\.rawValue)).flatMap(GoalArea.init(rawValue:))
        status = try request.queryChoice("status", allowed: RealisationStatus.allCases.map(\.rawValue))
            .flatMap(RealisationStatus.init(rawValue:))
        ssgPrioritised = try request.queryChoice("ssgPrioritised", allowed: ["true", "false"]).map { $0 == "true" }
    }
}

/// One benefit in the register and the open feed: planned against realised, no person.
struct RegisterBenefit: Encodable, Sendable {
    var benefitId: UUID
    var description: String
    var kind: BenefitKind
    var stakeholder: TargetGroup
    var indicator: String?
    var unit: String?
    var baseline: Reading?
    var target: Reading?
    /// The target of the agreed baseline, when it differs from the current one.
    var agreedTarget: Reading?
    var economicValue: SEK?
    var realised: Reading?
    var share: String?
    var status: RealisationStatus
}

/// One initiative of the benefit register (nyttoregister).
struct RegisterEntry: Encodable, Sendable {
    var initiativeId: InitiativeID
    var title: String
    var organisationId: OrganisationID
    var phase: InitiativePhase
    var goLiveOn: CalendarDate?
    var goalAreas: [GoalArea]
    var ssgPrioritised: Bool
    var planStatus: String
    var revision: Int
    var status: RealisationStatus
    var plannedEconomicValue: SEK
    var realisedEconomicValue: SEK
    var benefits: [RegisterBenefit]
}

/// The open feed's item: what an organisation chose to publish, without personal data.
struct PublicInitiative: Encodable, Sendable {
    var initiativeId: InitiativeID
    var title: String
    var organisationId: OrganisationID
    var phase: InitiativePhase
    var goLiveOn: CalendarDate?
    var goalAreas: [GoalArea]
    var status: RealisationStatus
    var benefits: [RegisterBenefit]
}

/// `GET /v1/realisation`: the city's (or one organisation's) benefits by status, with
/// one line per organisation.
struct RealisationReport: Encodable, Sendable {
    struct OrganisationLine: Encodable, Sendable {
        var organisationId: OrganisationID
        var initiatives: Int
        var realisation: RealisationSummary
    }

    var scope: String
    var initiatives: Int
    var initiativesByStatus: [String: Int]
    var realisation: RealisationSummary
    var organisations: [OrganisationLine]
}

struct RegisterRepository: Sendable {
    let pool: PostgresPool

    /// The plans matching `condition` in creation order (at most `limit`), their latest
    /// measurements and their agreed baselines.
    private func plans(
        where condition: String, _ parameters: [(any PostgresEncodable)?], limit: Int? = nil, on connection: PostgresConnection
    ) async throws -> ([PlanRecord], [PostgresRow], [InitiativeID: [UUID: MeasurementRecord]], [InitiativeID: [PlannedBenefit]])
    {
        let rows = try await connection.query(
            "SELECT \(PlanRecord.columns) FROM benefit_plans WHERE \(condition) ORDER BY seq" + (limit.map { " LIMIT \($0)" } ?? ""),
            parameters)
        let plans = try rows.map(PlanRecord.init(row:))
        let ids = plans.map(\.initiativeId)
        let latest = try await LatestMeasurements.load(ids, on: connection)
        var agreed: [InitiativeID: [PlannedBenefit]] = [:]
        if !ids.isEmpty {
            for row in try await connection.query(
                "SELECT initiative_id, benefits FROM plan_revisions WHERE revision = 1 AND initiative_id = ANY($1::uuid[])",
                [ids.map(\.rawValue.uuidString)])
            {
                agreed[try row.initiativeID()] = try row.decode("benefits", as: PostgresJSON<[PlannedBenefit]>.self).value
            }
        }
        return (plans, rows, latest, agreed)
    }

    static func entry(_ plan: PlanRecord, latest: [UUID: MeasurementRecord], agreed: [PlannedBenefit]) -> RegisterEntry {
        let benefits = plan.benefits.map { benefit in
            let measured = latest[benefit.benefitId]
            let agreedTarget = agreed.first { $0.benefitId == benefit.benefitId }?.target
            return RegisterBenefit(
                benefitId: benefit.benefitId, description: benefit.description, kind: benefit.kind,
                stakeholder: benefit.stakeholder, indicator: benefit.indicator, unit: benefit.unit, baseline: benefit.baseline,
                target: benefit.target, agreedTarget: agreedTarget == benefit.target ? nil : agreedTarget,
                economicValue: benefit.economicValue, realised: measured.map { Reading(value: $0.value, date: $0.measuredOn) },
                share: measured?.share, status: measured?.status ?? .notMeasured)
        }
        let summary = RealisationSummary.of(plan.benefits.map { ($0, latest[$0.benefitId]) })
        return RegisterEntry(
            initiativeId: plan.initiativeId, title: plan.title, organisationId: plan.organisationId, phase: plan.phase,
            goLiveOn: plan.goLiveOn, goalAreas: plan.goalAreas, ssgPrioritised: plan.ssgPrioritised, planStatus: plan.status,
            revision: plan.revision, status: summary.status, plannedEconomicValue: summary.plannedEconomicValue,
            realisedEconomicValue: summary.realisedEconomicValue, benefits: benefits)
    }

    /// The register: SSG, auditors and admins see the city, others their organisation.
    /// The status filter applies to the initiative's roll-up, after the page is read, so
    /// a filtered page may be shorter than `limit`; follow `nextCursor` to the end.
    func list(_ filter: RegisterFilter, page: PageRequest, visibleTo identity: Identity) async throws -> Page<RegisterEntry> {
        let all = identity.hasAny([.admin, .ssg, .auditor])
        return try await pool.withConnection { connection in
            let (plans, rows, latest, agreed) = try await plans(
                where: """
                    seq > $1 AND ($2::boolean OR organisation_id = $3) AND ($4::text IS NULL OR organisation_id = $4)
                      AND ($5::text IS NULL OR $5 = ANY(goal_areas)) AND ($6::boolean IS NULL OR ssg_prioritised = $6)
                    """,
                [page.afterSequence, all, identity.organisationId.rawValue, filter.organisationId?.rawValue,
                 filter.goalArea?.rawValue, filter.ssgPrioritised],
                limit: page.limit + 1, on: connection)
            let entries = plans.prefix(page.limit).map {
                Self.entry($0, latest: latest[$0.initiativeId] ?? [:], agreed: agreed[$0.initiativeId] ?? [])
            }.filter { filter.status == nil || $0.status == filter.status }
            let next = rows.count > page.limit ? try rows[page.limit - 1].decode("seq", as: Int64.self) : nil
            return Page(items: entries, nextCursor: next.map(String.init))
        }
    }

    /// The open feed: published initiatives only, not cancelled ones, and no names or
    /// e-mail addresses.
    func publicFeed(page: PageRequest) async throws -> Page<PublicInitiative> {
        try await pool.withConnection { connection in
            let (plans, rows, latest, agreed) = try await plans(
                where: "published AND status <> 'cancelled' AND seq > $1", [page.afterSequence], limit: page.limit + 1, on: connection)
            let items = plans.prefix(page.limit).map { plan in
                let entry = Self.entry(plan, latest: latest[plan.initiativeId] ?? [:], agreed: agreed[plan.initiativeId] ?? [])
                return PublicInitiative(
                    initiativeId: entry.initiativeId, title: entry.title, organisationId: entry.organisationId, phase: entry.phase,
                    goLiveOn: entry.goLiveOn, goalAreas: entry.goalAreas, status: entry.status, benefits: entry.benefits)
            }
            let next = rows.count > page.limit ? try rows[page.limit - 1].decode("seq", as: Int64.self) : nil
            return Page(items: items, nextCursor: next.map(String.init))
        }
    }

    /// Roll-up per organisation and for the city (or one organisation) of agreed plans.
    func realisation(organisation: OrganisationID?, visibleTo identity: Identity) async throws -> RealisationReport {
        let all = identity.hasAny([.admin, .ssg, .auditor])
        if let organisation, !all { try identity.require(organisation: organisation, to: "reading another organisation's realisation") }
        let scopeOrganisation = organisation ?? (all ? nil : identity.organisationId)
        return try await pool.withConnection { connection in
            let (plans, _, latest, _) = try await plans(
                where: "status = 'agreed' AND ($1::text IS NULL OR organisation_id = $1)", [scopeOrganisation?.rawValue],
                on: connection)
            var initiativesByStatus = Dictionary(uniqueKeysWithValues: RealisationStatus.allCases.map { ($0.rawValue, 0) })
            var everything: [(PlannedBenefit, MeasurementRecord?)] = []
            var perOrganisation: [OrganisationID: (Int, [(PlannedBenefit, MeasurementRecord?)])] = [:]
            for plan in plans {
                let pairs = plan.benefits.map { ($0, latest[plan.initiativeId]?[$0.benefitId]) }
                initiativesByStatus[RealisationSummary.of(pairs).status.rawValue, default: 0] += 1
                everything += pairs
                let current = perOrganisation[plan.organisationId] ?? (0, [])
                perOrganisation[plan.organisationId] = (current.0 + 1, current.1 + pairs)
            }
            return RealisationReport(
                scope: scopeOrganisation.map { "organisation:\($0)" } ?? "city", initiatives: plans.count,
                initiativesByStatus: initiativesByStatus, realisation: RealisationSummary.of(everything),
                organisations: perOrganisation.sorted { $0.key.rawValue < $1.key.rawValue }.map {
                    .init(organisationId: $0.key, initiatives: $0.value.0, realisation: RealisationSummary.of($0.value.1))
                })
        }
    }
}

/// The register as CSV, Swedish headers, one line per benefit.
enum RegisterCSV {
    static let header = [
        "initiativ_id", "titel", "organisation", "fas", "målområden", "ssg_prioriterad", "initiativets_status", "nytta_id",
        "nytta", "indikator", "enhet", "utgångsvärde", "utgångsdatum", "målvärde", "måldatum", "utfall", "utfallsdatum",
        "realiseringsgrad", "nyttans_status", "ekonomiskt_värde_kr",
    ]

    static func response(_ page: Page<RegisterEntry>) -> Response {
        var text = CSVWriter.byteOrderMark + CSVWriter.line(header)
        for entry in page.items {
            let initiative = [
                entry.initiativeId.description, entry.title, entry.organisationId.rawValue, entry.phase.rawValue,
                entry.goalAreas.map(\.rawValue).joined(separator: ","), entry.ssgPrioritised ? "ja" : "nej", entry.status.rawValue,
            ]
            if entry.benefits.isEmpty { text += CSVWriter.line(initiative + Array(repeating: "", count: header.count - initiative.count)) }
            for benefit in entry.benefits {
                text += CSVWriter.line(
                    initiative + [
                        benefit.benefitId.uuidString, benefit.description, benefit.indicator ?? "", benefit.unit ?? "",
                        benefit.baseline?.value.value.description ?? "", benefit.baseline?.date.description ?? "",
                        benefit.target?.value.value.description ?? "", benefit.target?.date.description ?? "",
                        benefit.realised?.value.value.description ?? "", benefit.realised?.date.description ?? "",
                        benefit.share ?? "", benefit.status.rawValue, benefit.economicValue?.amount.description ?? "",
                    ])
            }
        }
        var headers: HTTPFields = [.contentType: "text/csv; charset=utf-8"]
        if let cursor = page.nextCursor, let name = HTTPField.Name("Next-Cursor") { headers[name] = cursor }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
