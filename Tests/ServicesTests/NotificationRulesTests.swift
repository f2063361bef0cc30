import Contracts
import Domain
import Foundation
@testable import NotificationsService
import Testing

@Suite("Who is told what (notification rules)")
struct NotificationRulesTests {
    static let initiative = InitiativeID()
    static let summary = AnalysisSummary(
        oneOffCost: SEK(1_200_000), annualCost: SEK(250_000), annualBenefit: SEK(900_000), lifetimeYears: 5, note: "")

    static func event<P: EventPayload>(_ payload: P) throws -> CloudEvent {
        try CloudEvent(payload, source: "/styrbord/test", subject: initiative.description)
    }

    static func completed(track: Track) throws -> CloudEvent {
        try event(
            AnalysisCompletedV1(
                initiativeId: initiative, organisationId: OrganisationID("funktionsstod")!, track: track, title: "Epsilon",
                analysingOrganisationId: OrganisationID(track == .common ? "intraservice" : "funktionsstod")!,
                summary: summary, completedAt: Date()))
    }

    @Test("a common-track analysis informs the supplier's board and tells SSG a proposal awaits it")
    func commonTrackAnalysis() throws {
        let planned = try NotificationRules.notifications(for: Self.completed(track: .common))
        #expect(planned.map { "\($0.organisation)/\($0.role)/\($0.kind)" }.sorted() == [
            "funktionsstod/submitter/need-analysed", "intraservice/board/supplier-board-informed",
            "slk/ssg/proposal-awaits-ssg",
        ])
        #expect(planned.filter(\.mandatory).count == 2, "the guideline's informing duties are mandatory")
    }

    @Test("an organisation-specific analysis goes to the organisation's own board, not SSG")
    func ownTrackAnalysis() throws {
        let planned = try NotificationRules.notifications(for: Self.completed(track: .organisationSpecific))
        #expect(planned.contains { $0.organisation == "funktionsstod" && $0.role == "board" && $0.kind == "proposal-awaits-board" })
        #expect(!planned.contains { $0.role == "ssg" })
    }

    @Test("a decision tells the customer in Swedish first, with outcome, date and rationale")
    func decisionMessage() throws {
        let decision = try Self.event(
            DecisionMadeV1(
                decisionId: UUID(), initiativeId: Self.initiative, organisationId: OrganisationID("utbildning")!,
                track: .organisationSpecific, title: "Vklass och IST", outcome: .deferred, financingType: nil,
                decidingBody: .organisationBoard, rationale: "Avvaktar budget 2027.", decidedOn: "2026-11-20",
                followedBySLK: false))
        let planned = try NotificationRules.notifications(for: decision)
        let message = try #require(planned.first)
        #expect(planned.count == 1)
        #expect(message.organisation == "utbildning" && message.role == "submitter")
        #expect(message.titleSwedish == "Beslut: Vklass och IST är uppskjuten")
        #expect(message.bodySwedish.contains("2026-11-20") && message.bodySwedish.contains("Avvaktar budget 2027."))
        #expect(message.titleEnglish == "Decision: Vklass och IST is deferred")
    }

    @Test("events no rule names produce no notification")
    func unknownEvents() throws {
        let other = CloudEvent(source: "/x", type: "se.goteborg.styrbord.something.else.v1", data: Array("{}".utf8))
        #expect(try NotificationRules.notifications(for: other).isEmpty)
        let submitted = try Self.event(
            NeedSubmittedV1(
                initiativeId: Self.initiative, organisationId: OrganisationID("utbildning")!, track: .common, title: "t",
                description: "d", category: .other, driver: .ownNeed, targetGroups: [.employees], submittedAt: Date()))
        #expect(try NotificationRules.notifications(for: submitted).isEmpty)
    }

    @Test("data that does not match the event type's contract is an error, not a silent skip")
    func malformedData() {
        let broken = CloudEvent(source: "/x", type: DecisionMadeV1.eventType, data: Array(#"{"title":1}"#.utf8))
        #expect(throws: DecodingError.self) { try NotificationRules.notifications(for: broken) }
    }
}
