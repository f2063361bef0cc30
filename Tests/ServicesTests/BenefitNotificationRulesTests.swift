import Contracts
import Domain
import Foundation
@testable import NotificationsService
import Testing

/// The rules for the benefits service's follow-up events: reminders to the benefit owner,
/// escalation to owner and board, deviations to the board — Swedish first.
@Suite("Who is told about benefit follow-ups (notification rules)")
struct BenefitNotificationRulesTests {
    static let initiative = InitiativeID()
    static let notice = FollowUpNotice(
        followUpId: UUID(), initiativeId: initiative, organisationId: OrganisationID("utbildning")!,
        ownerOrganisationId: OrganisationID("aldre-vard-omsorg")!, title: "Gemensam lärplattform", benefitId: UUID(),
        benefitDescription: "Färre manuella moment", months: 6, dueOn: CalendarDate("2026-09-01")!)

    static func planned<P: EventPayload>(_ payload: P) throws -> [PlannedNotification] {
        try NotificationRulesTests.rules.get().notifications(
            for: try CloudEvent(payload, source: "/styrbord/benefits", subject: initiative.description))
    }

    @Test("a follow-up due soon reminds the benefit owner's organisation with the date")
    func reminder() throws {
        let planned = try Self.planned(FollowUpDueV1(Self.notice))
        #expect(planned.map { "\($0.organisation)/\($0.role)/\($0.kind)" } == ["aldre-vard-omsorg/benefit-owner/follow-up-due"])
        let message = try #require(planned.first)
        #expect(message.titleSwedish == "Uppföljning av nytta snart: Gemensam lärplattform")
        #expect(message.bodySwedish.contains("Färre manuella moment") && message.bodySwedish.contains("2026-09-01"))
        #expect(message.bodySwedish.contains("6 månader"))
        #expect(message.mandatory)
    }

    @Test("an overdue follow-up is escalated to the benefit owner and the initiative's board")
    func escalation() throws {
        let planned = try Self.planned(FollowUpOverdueV1(Self.notice))
        #expect(planned.map { "\($0.organisation)/\($0.role)/\($0.kind)" }.sorted() == [
            "aldre-vard-omsorg/benefit-owner/follow-up-overdue", "utbildning/board/follow-up-overdue",
        ])
        #expect(planned.first?.titleEnglish == "Benefit follow-up overdue: Gemensam lärplattform")
    }

    @Test("a deviating benefit goes to the board with the share reached and expected")
    func deviation() throws {
        let planned = try Self.planned(
            BenefitDeviatingV1(
                deviationId: UUID(), initiativeId: Self.initiative, organisationId: OrganisationID("aldre-vard-omsorg")!,
                title: "Trygghetslarm", benefitId: UUID(), benefitDescription: "Snabbare besked", share: Decimal(string: "0.1")!,
                expectedShare: Decimal(string: "0.4959")!, measuredOn: CalendarDate("2025-07-01")!, detectedAt: Date()))
        let message = try #require(planned.first)
        #expect(planned.count == 1 && message.organisation == "aldre-vard-omsorg" && message.role == "board")
        #expect(message.bodySwedish.contains("2025-07-01 nått 10 % av den planerade förändringen"))
        #expect(message.bodySwedish.contains("borde den ha nått 49.6 %"))
        #expect(message.titleSwedish == "Nytta avviker från planen: Trygghetslarm")
    }

    @Test("a cancelled plan tells the benefit owners why, in Swedish first; a reopened one that it applies again")
    func cancelledAndReopened() throws {
        let plan = UUID()
        let cancelled = try Self.planned(
            BenefitPlanCancelledV1(
                planId: plan, initiativeId: Self.initiative, organisationId: OrganisationID("aldre-vard-omsorg")!,
                title: "Trygghetslarm", decisionId: UUID(), outcome: .rejected, reason: "Budgeten räcker inte.",
                previousStatus: "agreed", cancelledAt: Date()))
        let message = try #require(cancelled.first)
        #expect(cancelled.count == 1 && message.organisation == "aldre-vard-omsorg" && message.role == "benefit-owner")
        #expect(message.titleSwedish == "Nyttorealiseringsplanen gäller inte längre: Trygghetslarm")
        #expect(message.bodySwedish == "Ett nytt beslut ersätter prioriteringen: satsningen är avslagen. Motivering: Budgeten räcker inte.")
        #expect(message.bodyEnglish.contains("the initiative is rejected"))
        #expect(!message.mandatory)
        let reopened = try Self.planned(
            BenefitPlanReopenedV1(
                planId: plan, initiativeId: Self.initiative, organisationId: OrganisationID("aldre-vard-omsorg")!,
                title: "Trygghetslarm", decisionId: UUID(), status: "agreed", reopenedAt: Date()))
        #expect(reopened.map { "\($0.organisation)/\($0.role)/\($0.kind)" } == ["aldre-vard-omsorg/benefit-owner/benefit-plan-reopened"])
        #expect(reopened.first?.titleSwedish == "Nyttorealiseringsplanen gäller igen: Trygghetslarm")
    }
}
