import Contracts
import Domain
import Foundation
import Persistence
import ServiceKit

/// Finds, for a newly opened case, other organisations' initiatives whose text overlaps
/// it — the same ranked search as the reuse candidates — and records and announces each
/// pair above the threshold once.
enum OverlapDetection {
    /// `STYRBORD_OVERLAP_THRESHOLD` (0–1, default 0.2): the score from which two needs
    /// count as overlapping. Read once at start; `prepare` refuses a malformed value.
    static let threshold: Result<Decimal, ConfigurationProblem> = threshold(
        from: ProcessInfo.processInfo.environment["STYRBORD_OVERLAP_THRESHOLD"])

    struct ConfigurationProblem: Error, CustomStringConvertible {
        var text: String
        var description: String { "STYRBORD_OVERLAP_THRESHOLD must be a number between 0 and 1, not \(text)" }
    }

    static func threshold(from text: String?) -> Result<Decimal, ConfigurationProblem> {
        guard let text, !text.isEmpty else { return .success(Decimal(string: "0.2") ?? 0) }
        guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")), value >= 0, value <= 1 else {
            return .failure(ConfigurationProblem(text: text))
        }
        return .success(value)
    }

    /// The overlaps of `record` with other organisations' initiatives, recorded and
    /// announced in the caller's transaction; a pair already known is skipped.
    static func detect(
        for record: AnalysisOpenedV1, description: String, threshold: Decimal, traceParent: String?,
        on connection: PostgresConnection
    ) async throws {
        let candidates = try await ReuseSearch.candidates(
            text: record.title + " " + description, excluding: record.initiativeId, limit: 20, on: connection)
        let overlapping = candidates.filter {
            $0.kind == .initiative && $0.organisationId != record.organisationId.rawValue && $0.score >= threshold
        }
        guard !overlapping.isEmpty else { return }
        let bestService = candidates.first { $0.kind == .service }?.organisationId
        for candidate in overlapping {
            guard let other = InitiativeID(candidate.id), let otherOrganisation = OrganisationID(candidate.organisationId)
            else { continue }
            let others = try await connection.query(
                "SELECT track, analysing_organisation_id FROM analysis_cases WHERE initiative_id = $1", [other.rawValue])
            let otherIsCommon = try others.first?.decode("track", as: String.self) == Track.common.rawValue
            let otherSupplier = try others.first?.decode("analysing_organisation_id", as: String.self)
            let supplierText = record.track == .common ? record.analysingOrganisationId.rawValue
                : otherIsCommon ? otherSupplier ?? AnalysisService.defaultSupplier
                : bestService ?? AnalysisService.defaultSupplier
            guard let supplier = OrganisationID(supplierText) else {
                throw EventRejected("the supplier \(supplierText) of an overlap is not an organisation id")
            }
            let overlap = OverlapDetectedV1(
                overlapId: UUID(), initiativeId: record.initiativeId, organisationId: record.organisationId,
                title: record.title, otherInitiativeId: other, otherOrganisationId: otherOrganisation,
                otherTitle: candidate.title, supplierId: supplier, score: candidate.score,
                matchedTerms: candidate.matchedTerms, detectedAt: Date())
            let recorded = try await connection.execute(
                """
                INSERT INTO overlap_pairs (overlap_id, initiative_id, other_initiative_id, supplier_id, score, matched_terms, detected_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING
                """,
                [overlap.overlapId, record.initiativeId.rawValue, other.rawValue, supplier.rawValue, overlap.score,
                 overlap.matchedTerms, overlap.detectedAt])
            guard recorded == 1 else { continue }
            try await Outbox.enqueue(
                overlap, about: record.initiativeId, topic: Topic.analysis, source: EventSource.of(service: "analysis"),
                traceParent: traceParent, on: connection)
        }
    }
}
