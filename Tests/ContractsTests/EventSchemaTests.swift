import Contracts
import Domain
import Foundation
import TestSupport
import Testing

/// Holds the Swift contract types to the published JSON Schemas: every event type is
/// encoded exactly as the services encode it and validated by scripts/check-contracts.py.
@Suite("Event contracts match their published JSON Schemas")
struct EventSchemaTests {
    static let initiative = InitiativeID()
    static let organisation = OrganisationID("aldre-vard-omsorg")!
    static let summary = AnalysisSummary(
        oneOffCost: SEK(Decimal(string: "1200000.50")!), annualCost: SEK(250_000), annualBenefit: SEK(900_000),
        lifetimeYears: 5, note: "Internt arbete omräknat till 650 kr/h")

    static let samples: [any EventPayload] = [
        OverlapDetectedV1(
            overlapId: UUID(), initiativeId: initiative, organisationId: organisation,
            title: "Automatiserade beslut om trygghetslarm", otherInitiativeId: InitiativeID(),
            otherOrganisationId: OrganisationID("funktionsstod")!, otherTitle: "Automatiserad handläggning av trygghetslarm",
            supplierId: OrganisationID("intraservice")!, score: Decimal(string: "0.306")!,
            matchedTerms: ["beslut", "trygghetslarm"], detectedAt: Date()),
        NeedSubmittedV1(
            initiativeId: initiative, organisationId: organisation, track: .organisationSpecific,
            title: "Automatiserade beslut om trygghetslarm", description: "RPA för personer 65+", category: .efficiency,
            driver: .ownNeed, targetGroups: [.residents, .employees], submittedAt: Date()),
        AnalysisOpenedV1(
            initiativeId: initiative, organisationId: organisation, track: .common, title: "Epsilon",
            analysingOrganisationId: OrganisationID("intraservice")!, openedAt: Date()),
        AnalysisCompletedV1(
            initiativeId: initiative, organisationId: organisation, track: .common, title: "Epsilon",
            analysingOrganisationId: OrganisationID("intraservice")!, summary: summary, completedAt: Date()),
        AnalysisCompletedV1(
            initiativeId: initiative, organisationId: organisation, track: .common, title: "Epsilon",
            analysingOrganisationId: OrganisationID("intraservice")!, summary: summary, completedAt: Date(),
            costBenefit: CostBenefitCalculator.figures(
                for: CostBenefitInput(
                    lifetimeYears: 5,
                    costs: [CostLine(description: "Införande", timing: .oneOff, kind: .internal, hours: Hours(300))],
                    benefits: [
                        BenefitLine(description: "Frigjord tid", stakeholder: .employees, kind: .economic, annualHours: Hours(Decimal(string: "120.5")!)),
                        BenefitLine(description: "Nöjdare brukare", stakeholder: .residents, kind: .qualitative, score: 4, indicator: "NKI"),
                    ]),
                hourlyRate: SEK(650)),
            benefits: [BenefitLine(description: "Frigjord tid", stakeholder: .employees, kind: .economic, annualAmount: SEK(78_325))],
            classification: InformationClassification(confidentiality: 3, integrity: 2, availability: 2), dpiaRequired: true,
            reuseDecision: .extend),
        DecisionMadeV1(
            decisionId: UUID(), initiativeId: initiative, organisationId: organisation, track: .common, title: "Epsilon",
            outcome: .prioritised, financingType: .costAllocation, decidingBody: .ssg, rationale: "Hög nytta",
            decidedOn: "2026-11-20", followedBySLK: true),
        DecisionMadeV1(
            decisionId: UUID(), initiativeId: initiative, organisationId: organisation, track: .organisationSpecific,
            title: "Nattkamera", outcome: .rejected, financingType: nil, decidingBody: .organisationBoard,
            rationale: "Avslås", decidedOn: "2026-11-20", followedBySLK: false),
        DecisionMadeV1.changedInRound(initiative: initiative, organisation: organisation),
        BenefitPlanCreatedV1(
            planId: UUID(), initiativeId: initiative, organisationId: organisation, title: "Epsilon", createdAt: Date()),
        NeedDraftedV1(
            initiativeId: initiative, organisationId: organisation, track: .common, title: "Läkemedelsautomater i hemmet",
            draftedBy: "anna", draftedAt: Date()),
        NeedUpdatedV1(
            initiativeId: initiative, organisationId: organisation, changedFields: ["description", "roughCost"],
            need: fullNeed, version: 3, updatedBy: "anna", updatedAt: Date()),
        NeedWithdrawnV1(
            initiativeId: initiative, organisationId: organisation, previousStatus: "submitted",
            reason: "Löses inom befintligt avtal", withdrawnBy: "anna", withdrawnAt: Date()),
        SupplierProposalSubmittedV1(
            initiativeId: InitiativeID(), supplierId: OrganisationID("intraservice")!, title: "Gemensamt planeringssystem",
            description: "Epsilon för två välfärdsnämnder", category: .businessSystemProcurement,
            goalArea: .efficiencyInnovationBalance, answersNeeds: [initiative, InitiativeID()],
            customerOrganisationIds: [organisation, OrganisationID("funktionsstod")!],
            expectedBenefits: fullNeed.expectedBenefits ?? [], roughCost: RoughCost(oneOff: SEK(2_000_000)),
            submittedBy: "lev-1", submittedAt: Date()),
        SupplierProposalSubmittedV1(
            initiativeId: InitiativeID(), supplierId: OrganisationID("intraservice")!, title: "Utan valfria fält",
            description: "Minsta möjliga förslag", category: .other, goalArea: nil, answersNeeds: [initiative],
            customerOrganisationIds: [organisation], expectedBenefits: [], roughCost: nil, submittedBy: "lev-1",
            submittedAt: Date()),
        ExemptionRegisteredV1(
            exemptionId: UUID().uuidString.lowercased(), organisationId: OrganisationID("goteborg-energi")!,
            supplierId: OrganisationID("intraservice")!, baseService: "Arbetsplatstjänst",
            motivation: "Driftmiljön för elnätet kräver egen klientplattform",
            boardDecision: BoardDecision(board: "Styrelsen för Göteborg Energi AB", decidedOn: CalendarDate("2026-10-15")!, reference: "§ 42"),
            registeredBy: "erik", registeredAt: Date()),
        OrganisationRegisteredV1(
            organisation: OrganisationRecord(
                organisationId: organisation, name: "Äldre samt vård- och omsorgsförvaltningen", kind: .administration,
                board: "Äldre samt vård- och omsorgsnämnden", active: true),
            registeredAt: Date()),
        OrganisationUpdatedV1(
            organisation: OrganisationRecord(
                organisationId: OrganisationID("got-event")!, name: "Got Event AB", kind: .company,
                board: "Styrelsen för Got Event AB", active: false),
            changedFields: ["active"], updatedAt: Date()),
        fullNeed,
    ] + benefitSamples

    /// The benefits service's events (issue 7).
    static let benefitSamples: [any EventPayload] = [
        BenefitPlanAgreedV1(
            planId: UUID(), initiativeId: initiative, organisationId: organisation, title: "Trygghetslarm", revision: 1,
            benefitCount: 3, agreedBy: "anna", agreedAt: Date()),
        BenefitPlanRevisedV1(
            planId: UUID(), initiativeId: initiative, organisationId: organisation, title: "Trygghetslarm", revision: 2,
            reason: "Ny indikator", benefitCount: 3, revisedBy: "anna", revisedAt: Date()),
        InitiativePhaseChangedV1(
            initiativeId: initiative, organisationId: organisation, title: "Trygghetslarm", from: .develop, to: .implement,
            goLiveOn: CalendarDate("2026-03-01")!, managementPlanReference: nil, changedBy: "anna", changedAt: Date()),
        InitiativePhaseChangedV1(
            initiativeId: initiative, organisationId: organisation, title: "Trygghetslarm", from: .implement, to: .management,
            goLiveOn: CalendarDate("2026-03-01")!, managementPlanReference: "Förvaltningsplan 2026", changedBy: "anna",
            changedAt: Date()),
        BenefitDeviatingV1(
            deviationId: UUID(), initiativeId: initiative, organisationId: organisation, title: "Trygghetslarm", benefitId: UUID(),
            benefitDescription: "Snabbare besked", share: Decimal(string: "-0.05")!, expectedShare: Decimal(string: "0.5")!,
            measuredOn: CalendarDate("2026-09-01")!, detectedAt: Date()),
        FollowUpDueV1(followUpNotice),
        FollowUpOverdueV1(followUpNotice),
        InitiativeEvaluatedV1(
            initiativeId: initiative, organisationId: organisation, title: "Trygghetslarm",
            outcomes: [
                .init(benefitId: UUID(), description: "Snabbare besked", status: .realised, share: Decimal(string: "1.05")),
                .init(benefitId: UUID(), description: "Nöjdare brukare", status: .notMeasured, share: nil),
            ],
            lessonsLearned: "Mät utgångsläget före införandet.", evaluatedBy: "anna", evaluatedAt: Date()),
        BenefitPlanCancelledV1(
            planId: UUID(), initiativeId: initiative, organisationId: organisation, title: "Trygghetslarm", decisionId: UUID(),
            outcome: .rejected, reason: "Avslås", previousStatus: "agreed", cancelledAt: Date()),
        BenefitPlanReopenedV1(
            planId: UUID(), initiativeId: initiative, organisationId: organisation, title: "Trygghetslarm", decisionId: UUID(),
            status: "draft", reopenedAt: Date()),
    ]

    static let followUpNotice = FollowUpNotice(
        followUpId: UUID(), initiativeId: initiative, organisationId: organisation,
        ownerOrganisationId: OrganisationID("funktionsstod")!, title: "Trygghetslarm", benefitId: UUID(),
        benefitDescription: "Snabbare besked", months: 6, dueOn: CalendarDate("2026-09-01")!)

    /// A submission with every optional field of v1 set.
    static let fullNeed = NeedSubmittedV1(
        initiativeId: initiative, organisationId: organisation, track: .common, title: "Läkemedelsautomater",
        description: "Påminnelser och dosering i hemmet", category: .qualityRaising, driver: .cityWideChange,
        targetGroups: [.residents], submittedAt: Date(), goalArea: .internalExternalBalance, urgency: .high,
        expectedBenefits: [
            ExpectedBenefit(description: "Färre missade doser", stakeholder: .residents, kind: .qualitative),
            ExpectedBenefit(
                description: "Frigjord tid för hemtjänsten", stakeholder: .employees, kind: .economic,
                annualValue: SEK(Decimal(string: "350000.50")!)),
        ],
        roughCost: RoughCost(oneOff: SEK(800_000), annual: SEK(120_000)), submittedBy: "anna")

    static func check(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let result = try await runProcessDetached(
            URL(fileURLWithPath: "/usr/bin/env"), ["python3", "scripts/check-contracts.py"] + arguments)
        return (result.status, result.output)
    }

    @Test("every sample of every event type validates against its schema")
    func samplesValidate() async throws {
        #expect(Set(Self.samples.map { type(of: $0).eventType }) == Set(EventCatalogue.all.map { $0.eventType }))
        for sample in Self.samples {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("event-\(UUID().uuidString).json")
            try EventJSON.encoder.encode(sample).write(to: file)
            let result = try await Self.check(["event", type(of: sample).eventType, file.path])
            #expect(result.status == 0, "\(type(of: sample).eventType): \(result.output)")
        }
    }

    @Test("the schemas reject data that breaks the contract")
    func schemasReject() async throws {
        var data = try JSONSerialization.jsonObject(with: EventJSON.encoder.encode(Self.samples[0])) as? [String: Any] ?? [:]
        data["track"] = "sideways"
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("event-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: data).write(to: file)
        let result = try await Self.check(["event", NeedSubmittedV1.eventType, file.path])
        #expect(result.status != 0)
    }

    @Test("the AsyncAPI and OpenAPI documents are valid and name every event type and topic")
    func documentsAreValid() async throws {
        let result = try await Self.check(["all"])
        #expect(result.status == 0, "\(result.output)")
    }
}

extension DecisionMadeV1 {
    /// A decision with the prioritisation issue's optional fields: in a round, with a case
    /// number and a criteria version, changing an earlier decision.
    static func changedInRound(initiative: InitiativeID, organisation: OrganisationID) -> DecisionMadeV1 {
        var decision = DecisionMadeV1(
            decisionId: UUID(), initiativeId: initiative, organisationId: organisation, track: .common, title: "Epsilon",
            outcome: .deferred, financingType: nil, decidingBody: .ssg, rationale: "Skjuts upp till 2028",
            decidedOn: "2026-12-03", followedBySLK: false)
        decision.roundId = UUID()
        decision.caseNumber = "SLK-2026-00123"
        decision.criteriaVersion = 2
        decision.supersedesDecisionId = UUID()
        return decision
    }
}
