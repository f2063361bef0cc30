import Contracts
import Domain
import Foundation
@testable import NotificationsService
import ServiceKit
import Testing

@Suite("Who is told what (notification rules)")
struct NotificationRulesTests {
    /// The rules file the service ships (Data/rules.v1.json).
    static let rules = Result { try NotificationRules.bundled() }
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
        let planned = try Self.rules.get().notifications(for: Self.completed(track: .common))
        #expect(planned.map { "\($0.organisation)/\($0.role)/\($0.kind)" }.sorted() == [
            "funktionsstod/submitter/need-analysed", "intraservice/board/supplier-board-informed",
            "slk/ssg/proposal-awaits-ssg",
        ])
        #expect(planned.filter(\.mandatory).count == 2, "the guideline's informing duties are mandatory")
    }

    @Test("an organisation-specific analysis goes to the organisation's own board, not SSG")
    func ownTrackAnalysis() throws {
        let planned = try Self.rules.get().notifications(for: Self.completed(track: .organisationSpecific))
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
        let planned = try Self.rules.get().notifications(for: decision)
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
        #expect(try Self.rules.get().notifications(for: other).isEmpty)
        let submitted = try Self.event(
            NeedSubmittedV1(
                initiativeId: Self.initiative, organisationId: OrganisationID("utbildning")!, track: .common, title: "t",
                description: "d", category: .other, driver: .ownNeed, targetGroups: [.employees], submittedAt: Date()))
        #expect(try Self.rules.get().notifications(for: submitted).isEmpty)
    }

    @Test("data that does not match the event type's contract is an error, not a silent skip")
    func malformedData() {
        let broken = CloudEvent(source: "/x", type: DecisionMadeV1.eventType, data: Array(#"{"title":1}"#.utf8))
        #expect(throws: DecodingError.self) { try Self.rules.get().notifications(for: broken) }
    }
}

@Suite("The rules file is the source of who is told what")
struct NotificationRulesFileTests {
    static let rules = Result { try NotificationRules.bundled() }
    static let at = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18T…Z

    static func exemption() throws -> CloudEvent {
        let id = UUID().uuidString.lowercased()
        return try CloudEvent(
            ExemptionRegisteredV1(
                exemptionId: id, organisationId: OrganisationID("goteborg-energi")!, supplierId: OrganisationID("intraservice")!,
                baseService: "E-post och kalender", motivation: "Bolaget har krav på separat drift enligt säkerhetsskyddslagen.",
                boardDecision: BoardDecision(board: "Göteborg Energi AB:s styrelse", decidedOn: CalendarDate("2026-10-01")!, reference: "§ 42"),
                registeredBy: "u1", registeredAt: at),
            source: "/styrbord/intake", subject: id, time: at)
    }

    @Test("an exemption (avsteg) informs SSG, mandatorily, about the exemption rather than an initiative")
    func exemptionInformsSSG() throws {
        let event = try Self.exemption()
        let planned = try Self.rules.get().notifications(for: event)
        let ssg = try #require(planned.first { $0.kind == "exemption-registered" })
        #expect(ssg.organisation == "slk" && ssg.role == "ssg" && ssg.mandatory)
        #expect(ssg.exemptionId == event.subject && ssg.initiativeId == nil)
        #expect(ssg.titleSwedish == "Avsteg från bastjänst: E-post och kalender (goteborg-energi)")
        #expect(ssg.bodySwedish.contains("Göteborg Energi AB:s styrelse beslutade 2026-10-01 (§ 42)"))
        #expect(ssg.link == "/avsteg/\(event.subject ?? "")")
        #expect(planned.contains { $0.organisation == "intraservice" && $0.role == "supplier" && !$0.mandatory })
    }

    @Test("a supplier proposal tells SSG (mandatory) and every customer whose need it answers")
    func proposalTellsSSGAndCustomers() throws {
        let initiative = InitiativeID()
        let event = try CloudEvent(
            SupplierProposalSubmittedV1(
                initiativeId: initiative, supplierId: OrganisationID("intraservice")!, title: "Gemensam e-tjänsteplattform",
                description: "d", category: .efficiency, goalArea: nil, answersNeeds: [InitiativeID(), InitiativeID()],
                customerOrganisationIds: [OrganisationID("funktionsstod")!, OrganisationID("utbildning")!],
                expectedBenefits: [], roughCost: nil, submittedBy: "u2", submittedAt: Self.at),
            source: "/styrbord/intake", subject: initiative.description, time: Self.at)
        let planned = try Self.rules.get().notifications(for: event)
        #expect(planned.map { "\($0.organisation)/\($0.role)/\($0.kind)/\($0.mandatory)" }.sorted() == [
            "funktionsstod/submitter/supplier-proposal-for-customer/false", "slk/ssg/supplier-proposal-awaits-ssg/true",
            "utbildning/submitter/supplier-proposal-for-customer/false",
        ])
        let ssg = try #require(planned.first { $0.role == "ssg" })
        #expect(ssg.bodySwedish == "intraservice föreslår en gemensam satsning som svarar mot behov hos funktionsstod, utbildning.")
        #expect(ssg.dueOn == "2026-12-18", "due 30 days after the event")
        #expect(ssg.actionSwedish.hasSuffix("senast 2026-12-18."))
        #expect(ssg.initiativeId == initiative.description)
    }

    @Test("messages name organisations and boards from the registry, and the id while it is unknown")
    func organisationNames() throws {
        let directory = [
            "goteborg-energi": OrganisationNames(name: "Göteborg Energi AB", board: "Göteborg Energi AB:s styrelse"),
            "intraservice": OrganisationNames(name: "Intraservice", board: "Nämnden för Intraservice"),
        ]
        let planned = try Self.rules.get().notifications(for: Self.exemption(), directory: directory)
        let ssg = try #require(planned.first { $0.kind == "exemption-registered" })
        #expect(ssg.titleSwedish == "Avsteg från bastjänst: E-post och kalender (Göteborg Energi AB)")
        #expect(ssg.bodySwedish.contains("från Intraservice. Motivering"))
        let texts = #"{"title":"{organisationId|address}","body":"b","action":"a"}"#
        #expect(throws: NotificationRulesError.self) {
            try NotificationRules.parse(Data(#"{"version":1,"kinds":{"k":{"mandatory":false,"sv":\#(texts),"en":\#(texts)}},"events":{}}"#.utf8))
        }
    }

    @Test("taking a rule out of the file takes its notifications away; a rule only in a file produces them")
    func fileIsTheSource() throws {
        let data = try Data(contentsOf: try NotificationRules.bundledFile())
        var document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var events = try #require(document["events"] as? [String: Any])
        events.removeValue(forKey: ExemptionRegisteredV1.eventType)
        events["se.goteborg.styrbord.something.new.v1"] = [
            ["kind": "need-analysed", "when": ["track": "common"], "to": [["organisationField": "organisationId", "role": "analyst"]]]
        ]
        document["events"] = events
        document["version"] = 2
        let edited = try NotificationRules.parse(JSONSerialization.data(withJSONObject: document))
        #expect(try edited.notifications(for: Self.exemption()).isEmpty)
        let initiative = InitiativeID()
        func newEvent(track: String) -> CloudEvent {
            CloudEvent(
                source: "/x", type: "se.goteborg.styrbord.something.new.v1", subject: initiative.description,
                data: Array(#"{"initiativeId":"\#(initiative)","organisationId":"utbildning","title":"IST","track":"\#(track)"}"#.utf8))
        }
        let planned = try edited.notifications(for: newEvent(track: "common"))
        #expect(planned.map { "\($0.organisation)/\($0.role)/\($0.kind)/v\($0.rulesVersion)" } == ["utbildning/analyst/need-analysed/v2"])
        #expect(planned.first?.titleSwedish == "Ert behov är analyserat: IST")
        #expect(try edited.notifications(for: newEvent(track: "organisation-specific")).isEmpty, "the when condition holds")
    }

    @Test("a rules file naming an undeclared kind or a mandatory kind without its duty is refused at load")
    func invalidFilesAreRefused() {
        let undeclared = #"{"version":1,"kinds":{},"events":{"t":[{"kind":"nope","to":[{"organisation":"slk","role":"ssg"}]}]}}"#
        #expect(throws: NotificationRulesError.self) { try NotificationRules.parse(Data(undeclared.utf8)) }
        let texts = #"{"title":"t","body":"b","action":"a"}"#
        let noDuty = #"{"version":1,"kinds":{"k":{"mandatory":true,"sv":\#(texts),"en":\#(texts)}},"events":{}}"#
        #expect(throws: NotificationRulesError.self) { try NotificationRules.parse(Data(noDuty.utf8)) }
    }

    @Test("a placeholder the event lacks is an error naming the field, never an empty gap")
    func missingFieldIsAnError() throws {
        let texts = #"{"title":"{nothere}","body":"b","action":"a"}"#
        let rules = try NotificationRules.parse(Data(
            #"{"version":1,"kinds":{"k":{"mandatory":false,"sv":\#(texts),"en":\#(texts)}},"events":{"t":[{"kind":"k","to":[{"organisation":"slk","role":"ssg"}]}]}}"#.utf8))
        let event = CloudEvent(source: "/x", type: "t", data: Array(#"{"initiativeId":"x"}"#.utf8))
        #expect(throws: NotificationRulesError.missingField(eventType: "t", field: "nothere")) {
            try rules.notifications(for: event)
        }
    }
}

@Suite("Notification preferences")
struct PreferencesRulesTests {
    static let rules = Result { try NotificationRules.bundled() }

    @Test("a mandatory kind cannot be muted nor taken off the in-app channel; the problem names the rule")
    func mandatoryCannotBeMuted() throws {
        let input = PreferencesInput(
            kinds: ["decision-made": KindPreference(muted: true, channels: nil),
                    "exemption-registered": KindPreference(muted: nil, channels: ["email"])],
            digest: nil)
        let problems = input.validationProblems(rules: try Self.rules.get())
        #expect(problems.map(\.name) == ["kinds.decision-made.muted", "kinds.exemption-registered.channels"])
        #expect(problems.first?.reason.contains("decision-made is mandatory in notification rules v1") == true)
    }

    @Test("an optional kind can be muted or moved to e-mail; unknown kinds, channels and digests are refused")
    func optionalKinds() throws {
        let rules = try Self.rules.get()
        let fine = PreferencesInput(
            kinds: ["need-analysed": KindPreference(muted: true, channels: nil),
                    "analysis-assigned": KindPreference(muted: false, channels: ["email"]),
                    "decision-made": KindPreference(muted: false, channels: ["in-app", "email"])],
            digest: "daily")
        #expect(fine.validationProblems(rules: rules).isEmpty)
        let hidden = PreferencesResource(subject: "s", organisationId: "o", kinds: fine.kinds, digest: "daily", updatedAt: nil)
        #expect(hidden.hiddenKinds(in: rules) == ["analysis-assigned", "need-analysed"])
        let bad = PreferencesInput(kinds: ["no-such": KindPreference(muted: true, channels: nil),
                                           "need-analysed": KindPreference(muted: nil, channels: ["pigeon"])], digest: "weekly")
        #expect(bad.validationProblems(rules: rules).map(\.name) == ["kinds.need-analysed.channels[0]", "kinds.no-such", "digest"])
    }
}
