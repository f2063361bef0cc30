import Contracts
import Domain
import Foundation
import Hummingbird
import Persistence
import ServiceKit

/// The analysis service: *kostnads- och nyttoanalys* and *risk- och säkerhetsbedömning*.
/// It opens a case for every submitted need; the analyst records the cost-benefit lines,
/// the risk and security assessment and (common track) that the supplier's board was
/// informed, and completes the case once every part is there (the completeness gate).
public enum AnalysisService {
    /// The supplier that analyses common-track needs until supplier proposals (issue 4)
    /// name the right one.
    static let defaultSupplier = "intraservice"

    public static let definition = ServiceDefinition(
        name: "analysis", defaultPort: 8082,
        migrations: { try Migration.service(in: .module, service: "analysis") },
        publishes: [Topic.analysis], consumes: [Topic.intake],
        handler: { event, connection in try await handle(event, on: connection) },
        prepare: { _ in _ = try OverlapDetection.threshold.get() },
        routes: { router, resources in addRoutes(to: router, resources: resources) })

    /// Opens a case for a submitted need or a supplier's proposal; other intake events are
    /// not this service's concern.
    static func handle(_ event: CloudEvent, on connection: PostgresConnection) async throws {
        let traceParent = event.extensions[TraceParent.header]
        switch event.type {
        case NeedSubmittedV1.eventType:
            let need = try event.decode(NeedSubmittedV1.self)
            let analysing = need.track == .common ? try OrganisationID(defaultSupplier).orThrow("supplier") : need.organisationId
            try await open(
                AnalysisOpenedV1(
                    initiativeId: need.initiativeId, organisationId: need.organisationId, track: need.track, title: need.title,
                    analysingOrganisationId: analysing, openedAt: Date()),
                description: need.description, origin: "need", actor: need.submittedBy ?? "intake", traceParent: traceParent,
                on: connection)
        case SupplierProposalSubmittedV1.eventType:
            // The supplier analyses its own proposal with the customers (track 2).
            let proposal = try event.decode(SupplierProposalSubmittedV1.self)
            try await open(
                AnalysisOpenedV1(
                    initiativeId: proposal.initiativeId, organisationId: proposal.supplierId, track: .common,
                    title: proposal.title, analysingOrganisationId: proposal.supplierId, openedAt: Date()),
                description: proposal.description, origin: "proposal", actor: proposal.submittedBy, traceParent: traceParent,
                on: connection)
        default:
            return
        }
    }

    /// Opens the case once (a redelivery finds it open and does nothing), announces it,
    /// and looks for other organisations' overlapping initiatives.
    static func open(
        _ opened: AnalysisOpenedV1, description: String, origin: String, actor: String, traceParent: String?,
        on connection: PostgresConnection
    ) async throws {
        let inserted = try await connection.execute(
            """
            INSERT INTO analysis_cases (initiative_id, organisation_id, analysing_organisation_id, track, title, description,
                                        status, opened_at, origin)
            VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8) ON CONFLICT (initiative_id) DO NOTHING
            """,
            [opened.initiativeId.rawValue, opened.organisationId.rawValue, opened.analysingOrganisationId.rawValue,
             opened.track.rawValue, opened.title, description, opened.openedAt, origin])
        guard inserted == 1 else { return }
        try await AnalysisHistory.record(
            opened.initiativeId, actor: actor, action: "opened", detail: "from a \(origin), analysed by \(opened.analysingOrganisationId)",
            at: opened.openedAt, on: connection)
        try await Outbox.enqueue(
            opened, about: opened.initiativeId, topic: Topic.analysis, source: EventSource.of(service: "analysis"),
            traceParent: traceParent, on: connection)
        try await OverlapDetection.detect(
            for: opened, description: description, threshold: try OverlapDetection.threshold.get(), traceParent: traceParent,
            on: connection)
    }

    /// The largest JSON body a write accepts.
    static let bodyLimit = 262_144

    static func addRoutes(to router: Router<StyrbordRequestContext>, resources: ServiceResources) {
        let pool = resources.pool
        let rates = HourlyRateRepository(pool: pool)
        let cases = AnalysisRepository(pool: pool, eventSource: resources.eventSource, rates: rates)

        router.get("v1/analyses") { request, context in
            let identity = try context.requireIdentity()
            let page = try PageRequest(request)
            let status = try request.queryChoice("status", allowed: AnalysisStatus.allCases.map(\.rawValue))
            return try JSONResponse.make(try await cases.list(page, status: status, visibleTo: identity))
        }
        router.get("v1/analyses/:id") { _, context in
            let identity = try context.requireIdentity()
            let found = try await cases.find(try context.initiativeParameter(), visibleTo: identity)
            return try JSONResponse.make(found.resource, headers: [.eTag: found.etag])
        }
        router.get("v1/analyses/:id/history") { _, context in
            let identity = try context.requireIdentity()
            return try JSONResponse.make(["items": try await cases.history(try context.initiativeParameter(), visibleTo: identity)])
        }
        router.put("v1/analyses/:id/assignee") { request, context in
            let id = try context.initiativeParameter()
            let version = try request.ifMatchVersion()
            return try await Idempotency.respond(to: request, context: context, pool: pool) { body, identity, connection in
                let input = try JSONRequest.decode(AssignmentInput.self, from: body)
                try Problem.throwIfAny(input.validationProblems())
                let record = try await cases.assign(id, input, ifMatch: version ?? 0, by: identity, on: connection)
                return try .json(record.resource, etag: record.etag)
            }
        }
        router.put("v1/analyses/:id/cost-benefit") { request, context in
            let id = try context.initiativeParameter()
            let version = try request.ifMatchVersion()
            return try await Idempotency.respond(to: request, context: context, pool: pool, limit: bodyLimit) { body, identity, connection in
                let input = try JSONRequest.decode(CostBenefitInput.self, from: body)
                try Problem.throwIfAny(input.problems().map { .init(name: $0.field, reason: $0.reason) })
                let record = try await cases.recordCostBenefit(id, input, ifMatch: version ?? 0, by: identity, on: connection)
                return try .json(record.resource, etag: record.etag)
            }
        }
        router.put("v1/analyses/:id/risk") { request, context in
            let id = try context.initiativeParameter()
            let version = try request.ifMatchVersion()
            return try await Idempotency.respond(to: request, context: context, pool: pool, limit: bodyLimit) { body, identity, connection in
                let input = try JSONRequest.decode(RiskAssessmentInput.self, from: body)
                try Problem.throwIfAny(input.problems().map { .init(name: $0.field, reason: $0.reason) })
                let record = try await cases.recordRisk(id, input, ifMatch: version ?? 0, by: identity, on: connection)
                return try .json(record.resource, etag: record.etag)
            }
        }
        router.get("v1/analyses/:id/reuse-candidates") { request, context in
            let identity = try context.requireIdentity()
            let id = try context.initiativeParameter()
            var limit = 10
            if let text = request.uri.queryParameters["limit"].map(String.init) {
                guard let value = Int(text), (1...50).contains(value) else {
                    throw Problem.validation([.init(name: "limit", reason: "must be a whole number from 1 to 50")])
                }
                limit = value
            }
            return try JSONResponse.make(
                Page(items: try await cases.reuseCandidates(id, visibleTo: identity, limit: limit), nextCursor: nil))
        }
        router.put("v1/analyses/:id/reuse") { request, context in
            let id = try context.initiativeParameter()
            let version = try request.ifMatchVersion()
            return try await Idempotency.respond(to: request, context: context, pool: pool) { body, identity, connection in
                let input = try JSONRequest.decode(ReuseInput.self, from: body)
                try Problem.throwIfAny(input.validationProblems())
                let record = try await cases.recordReuse(id, input, ifMatch: version ?? 0, by: identity, on: connection)
                return try .json(record.resource, etag: record.etag)
            }
        }
        router.post("v1/analyses/:id/supplier-board-informed") { request, context in
            let id = try context.initiativeParameter()
            let version = try request.ifMatchVersion(required: false)
            return try await Idempotency.respond(to: request, context: context, pool: pool) { body, identity, connection in
                let input = try JSONRequest.decode(SupplierBoardInformationInput.self, from: body)
                try Problem.throwIfAny(input.validationProblems(today: CalendarDate.todayInSweden))
                let record = try await cases.recordSupplierBoardInformed(id, input, ifMatch: version, by: identity, on: connection)
                return try .json(record.resource, etag: record.etag)
            }
        }
        router.post("v1/analyses/:id/complete") { request, context in
            let id = try context.initiativeParameter()
            let version = try request.ifMatchVersion(required: false)
            return try await Idempotency.respond(to: request, context: context, pool: pool) { body, identity, connection in
                let input = body.readableBytes == 0 ? CompletionRequest() : try JSONRequest.decode(CompletionRequest.self, from: body)
                try Problem.throwIfAny(input.validationProblems())
                let record = try await cases.complete(
                    id, with: input, ifMatch: version, by: identity, traceParent: request.traceParent, on: connection)
                return try .json(record.resource, etag: record.etag)
            }
        }

        // Hourly rates (timpris): everyone signed in reads them, admins set them.
        router.get("v1/hourly-rates") { _, context in
            _ = try context.requireIdentity()
            return try JSONResponse.make(Page(items: try await rates.list(), nextCursor: nil))
        }
        router.put("v1/hourly-rates/:organisation") { request, context in
            guard let key = context.parameters.get("organisation"),
                key == HourlyRateRepository.defaultKey || OrganisationID(key) != nil
            else {
                throw Problem.validation([.init(name: "organisation", reason: "must be an organisation id (a-z, 0-9, -) or default")])
            }
            return try await Idempotency.respond(to: request, context: context, pool: pool) { body, identity, connection in
                try identity.require(anyOf: [.admin], to: "setting an hourly rate")
                let input = try JSONRequest.decode(HourlyRateInput.self, from: body)
                try Problem.throwIfAny(input.validationProblems())
                return try .json(try await rates.set(key, input, on: connection))
            }
        }
    }
}

extension Problem {
    /// Throws a 422 listing every broken rule, when there is any.
    static func throwIfAny(_ problems: [InvalidParameter]) throws(Problem) {
        if !problems.isEmpty { throw Problem.validation(problems) }
    }
}
