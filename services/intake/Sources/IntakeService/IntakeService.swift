import Contracts
import Domain
import Foundation
import Hummingbird
import Logging
import Persistence
import ServiceKit

/// The intake service: the front door of *behov och kravställning*. Keeps the registry of
/// organisations, needs (draft → submitted → withdrawn), supplier proposals, exemptions
/// (avsteg) and bulk imports, and announces every change on `Topic.intake`.
public enum IntakeService {
    public static let definition = ServiceDefinition(
        name: "intake", defaultPort: 8081,
        migrations: { try Migration.service(in: .module, service: "intake") },
        publishes: [Topic.intake], consumes: [], handler: nil,
        prepare: { resources in
            guard let file = Bundle.module.url(forResource: "Data/organisations", withExtension: "json") else {
                throw Problem.notFound("the organisations file is missing from the intake resource bundle")
            }
            let registered = try await OrganisationRepository(pool: resources.pool, eventSource: resources.eventSource)
                .seed(from: file)
            resources.logger.info("organisation registry loaded", metadata: ["new": "\(registered)"])
        },
        routes: { router, resources in addRoutes(to: router, resources: resources) })

    /// The largest JSON body a write accepts.
    static let bodyLimit = 262_144

    static func addRoutes(to router: Router<StyrbordRequestContext>, resources: ServiceResources) {
        let pool = resources.pool
        let organisations = OrganisationRepository(pool: pool, eventSource: resources.eventSource)
        let needs = NeedRepository(pool: pool, eventSource: resources.eventSource, organisations: organisations)
        let proposals = ProposalRepository(
            pool: pool, eventSource: resources.eventSource, organisations: organisations, needs: needs)
        let exemptions = ExemptionRepository(pool: pool, eventSource: resources.eventSource, organisations: organisations)
        let importer = NeedImporter(pool: pool, eventSource: resources.eventSource, organisations: organisations)

        // Organisations: everyone reads, admins change.
        router.get("v1/organisations") { request, context in
            _ = try context.requireIdentity()
            let kind = try request.queryChoice("kind", allowed: OrganisationKind.allCases.map(\.rawValue))
            return try JSONResponse.make(try await organisations.list(try PageRequest(request), kind: kind))
        }
        router.get("v1/organisations/:organisation") { _, context in
            _ = try context.requireIdentity()
            let id = try context.organisationParameter()
            let organisation = try await organisations.find(id).orThrow(Problem.notFound("no organisation \(id)"))
            return try JSONResponse.make(organisation, headers: [.eTag: "\"\(organisation.version)\""])
        }
        router.post("v1/organisations") { request, context in
            try await Idempotency.respond(to: request, context: context, pool: pool) { body, identity, connection in
                try identity.require(anyOf: [.admin], to: "registering an organisation")
                let input = try JSONRequest.decode(OrganisationInput.self, from: body)
                try Problem.throwIfAny(input.validationProblems())
                let organisation = try await organisations.register(input, on: connection)
                return try .json(
                    organisation, status: .created, location: "/v1/organisations/\(organisation.organisationId)",
                    etag: "\"\(organisation.version)\"")
            }
        }
        router.put("v1/organisations/:organisation") { request, context in
            let id = try context.organisationParameter()
            let version = try request.ifMatchVersion()
            return try await Idempotency.respond(to: request, context: context, pool: pool) { body, identity, connection in
                try identity.require(anyOf: [.admin], to: "changing an organisation")
                let input = try JSONRequest.decode(OrganisationInput.self, from: body)
                try Problem.throwIfAny(input.validationProblems())
                let organisation = try await organisations.update(id, input, ifMatch: version ?? 0, on: connection)
                return try .json(organisation, etag: "\"\(organisation.version)\"")
            }
        }

        // Needs (behov).
        // The hot path of city-wide intake: one statement writes the need, its event and the
        // remembered answer; a repeat with the same key finds its answer on the key conflict.
        router.post("v1/needs") { request, context in
            let identity = try context.requireIdentity()
            let body = try await request.collectBody(context: context, limit: bodyLimit)
            let input = try JSONRequest.decode(NeedInput.self, from: body)
            try requireNeedWriter(identity, organisation: input.organisationId, action: "registering a need")
            try Problem.throwIfAny(input.validationProblems())
            let key = try request.idempotencyKey()
            let scope = Idempotency.scope(of: request)
            let hash = Idempotency.digest(body.readableBytesView)
            func replay() async throws -> Response? {
                guard let key else { return nil }
                return try await Idempotency.lookup(key: key, caller: identity.subject, scope: scope, requestHash: hash, pool: pool)?
                    .response(replayed: true)
            }
            do {
                guard let stored = try await needs.register(
                    input, by: identity, traceParent: request.traceParent,
                    idempotency: key.map { ($0, scope, hash) })
                else {
                    if let answer = try await replay() { return answer }
                    throw Problem.validation([
                        .init(name: "organisationId", reason: "is not an active organisation in the registry (GET /v1/organisations)")
                    ])
                }
                return stored.response()
            } catch where Idempotency.isKeyConflict(error) {
                guard let answer = try await replay() else { throw error }
                return answer
            }
        }
        router.get("v1/needs") { request, context in
            let identity = try context.requireIdentity()
            let filter = NeedRepository.ListFilter(
                organisation: request.uri.queryParameters["organisationId"].map(String.init),
                status: try request.queryChoice("status", allowed: NeedStatus.allCases.map(\.rawValue)),
                track: try request.queryChoice("track", allowed: Track.allCases.map(\.rawValue)))
            return try JSONResponse.make(try await needs.list(try PageRequest(request), filter: filter, visibleTo: identity))
        }
        router.get("v1/needs/:id") { _, context in
            let need = try await needs.find(try context.initiativeParameter(), visibleTo: try context.requireIdentity())
            return try JSONResponse.make(need, headers: [.eTag: need.etag])
        }
        router.put("v1/needs/:id") { request, context in
            let id = try context.initiativeParameter()
            let version = try request.ifMatchVersion()
            return try await Idempotency.respond(to: request, context: context, pool: pool, limit: bodyLimit) { body, identity, connection in
                let input = try JSONRequest.decode(NeedInput.self, from: body)
                try Problem.throwIfAny(input.validationProblems())
                let need = try await needs.update(
                    id, with: input, ifMatch: version ?? 0, by: identity, traceParent: request.traceParent, on: connection)
                return try .json(need, etag: need.etag)
            }
        }
        router.post("v1/needs/:id/submit") { request, context in
            let id = try context.initiativeParameter()
            let version = try request.ifMatchVersion(required: false)
            return try await Idempotency.respond(to: request, context: context, pool: pool) { _, identity, connection in
                let need = try await needs.submit(id, ifMatch: version, by: identity, traceParent: request.traceParent, on: connection)
                return try .json(need, etag: need.etag)
            }
        }
        router.post("v1/needs/:id/withdraw") { request, context in
            let id = try context.initiativeParameter()
            let version = try request.ifMatchVersion(required: false)
            return try await Idempotency.respond(to: request, context: context, pool: pool) { body, identity, connection in
                let input = try JSONRequest.decode(WithdrawalInput.self, from: body)
                let need = try await needs.withdraw(
                    id, reason: input.reason, ifMatch: version, by: identity, traceParent: request.traceParent,
                    on: connection)
                return try .json(need, etag: need.etag)
            }
        }
        router.post("v1/needs/imports") { request, context in
            try await importer.handle(request, context: context)
        }

        // Supplier proposals (track 2): every signed-in role reads them.
        router.post("v1/proposals") { request, context in
            try await Idempotency.respond(to: request, context: context, pool: pool, limit: bodyLimit) { body, identity, connection in
                try identity.require(anyOf: [.supplier, .admin], to: "proposing a common initiative")
                let input = try JSONRequest.decode(ProposalInput.self, from: body)
                try Problem.throwIfAny(input.validationProblems())
                let proposal = try await proposals.submit(input, by: identity, traceParent: request.traceParent, on: connection)
                return try .json(proposal, status: .created, location: "/v1/proposals/\(proposal.initiativeId)")
            }
        }
        router.get("v1/proposals") { request, context in
            _ = try context.requireIdentity()
            let query = request.uri.queryParameters
            return try JSONResponse.make(
                try await proposals.list(
                    try PageRequest(request), supplier: query["supplierId"].map(String.init),
                    customer: query["customerOrganisationId"].map(String.init)))
        }
        router.get("v1/proposals/:id") { _, context in
            _ = try context.requireIdentity()
            let id = try context.initiativeParameter()
            return try JSONResponse.make(try await proposals.find(id).orThrow(Problem.notFound("no proposal \(id)")))
        }

        // Exemptions (avsteg).
        router.post("v1/exemptions") { request, context in
            try await Idempotency.respond(to: request, context: context, pool: pool, limit: bodyLimit) { body, identity, connection in
                let input = try JSONRequest.decode(ExemptionInput.self, from: body)
                try identity.require(anyOf: [.submitter, .admin], to: "registering an exemption")
                try identity.require(organisation: input.organisationId, to: "registering an exemption")
                try Problem.throwIfAny(input.validationProblems())
                let exemption = try await exemptions.register(input, by: identity, traceParent: request.traceParent, on: connection)
                return try .json(exemption, status: .created, location: "/v1/exemptions/\(exemption.exemptionId)")
            }
        }
        router.get("v1/exemptions/:exemption") { _, context in
            guard let id = context.parameters.get("exemption").flatMap(UUID.init(uuidString:)) else {
                throw Problem.validation([.init(name: "exemption", reason: "must be an exemption id (UUID)")])
            }
            return try JSONResponse.make(try await exemptions.find(id, visibleTo: try context.requireIdentity()))
        }
        router.get("v1/exemptions") { request, context in
            let identity = try context.requireIdentity()
            let page = try await exemptions.list(
                try PageRequest(request), organisation: request.uri.queryParameters["organisationId"].map(String.init),
                visibleTo: identity)
            if try request.queryChoice("format", allowed: ["json", "csv"]) == "csv" {
                return ExemptionReport.csv(page)
            }
            return try JSONResponse.make(page)
        }
    }
}

extension Problem {
    /// Throws a 422 listing every broken rule, when there is any.
    static func throwIfAny(_ problems: [InvalidParameter]) throws(Problem) {
        if !problems.isEmpty { throw Problem.validation(problems) }
    }
}

extension RequestContext {
    /// The organisation id in the path; a 422 problem when it is not one.
    func organisationParameter(_ name: String = "organisation") throws(Problem) -> OrganisationID {
        guard let id = parameters.get(name).flatMap(OrganisationID.init) else {
            throw Problem.validation([.init(name: name, reason: "must be an organisation id (a-z, 0-9, -)")])
        }
        return id
    }
}
