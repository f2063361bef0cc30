import Contracts
import Domain

/// A notification the steering model says someone must get.
struct PlannedNotification: Sendable, Equatable {
    /// Who: an organisation and a role in it.
    var organisation: String
    var role: String
    var kind: String
    /// The guideline's informing duties cannot be muted (issue 8 adds preferences).
    var mandatory: Bool
    var titleSwedish: String
    var bodySwedish: String
    var titleEnglish: String
    var bodyEnglish: String
}

/// From event to recipients, as DOMAIN.md's "Notifications named by the model" lists
/// them. A pure function: no I/O, unit-tested.
enum NotificationRules {
    /// SSG is convened by the city executive office (Stadsledningskontoret).
    static let ssgOrganisation = "slk"

    static func notifications(for event: CloudEvent) throws -> [PlannedNotification] {
        switch event.type {
        case AnalysisOpenedV1.eventType:
            let opened = try event.decode(AnalysisOpenedV1.self)
            return [
                PlannedNotification(
                    organisation: opened.analysingOrganisationId.rawValue, role: "analyst", kind: "analysis-assigned",
                    mandatory: false,
                    titleSwedish: "Nytt behov att analysera: \(opened.title)",
                    bodySwedish: "Ett behov från \(opened.organisationId) väntar på kostnads- och nyttoanalys, risk- och säkerhetsbedömning och kontroll av återanvändning.",
                    titleEnglish: "New need to analyse: \(opened.title)",
                    bodyEnglish: "A need from \(opened.organisationId) awaits cost-benefit analysis, risk and security assessment and a reuse check.")
            ]
        case AnalysisCompletedV1.eventType:
            let analysis = try event.decode(AnalysisCompletedV1.self)
            var planned = [
                PlannedNotification(
                    organisation: analysis.organisationId.rawValue, role: "submitter", kind: "need-analysed",
                    mandatory: false,
                    titleSwedish: "Ert behov är analyserat: \(analysis.title)",
                    bodySwedish: "Analysen är klar och går vidare till prioritering.",
                    titleEnglish: "Your need has been analysed: \(analysis.title)",
                    bodyEnglish: "The analysis is complete and goes on to prioritisation.")
            ]
            if analysis.track == .common {
                planned.append(
                    PlannedNotification(
                        organisation: analysis.analysingOrganisationId.rawValue, role: "board",
                        kind: "supplier-board-informed", mandatory: true,
                        titleSwedish: "Information till nämnden: \(analysis.title)",
                        bodySwedish: "Analysen av en gemensam satsning skickas till Stadsledningskontoret. Nämnden informeras enligt riktlinjen innan underlaget går vidare.",
                        titleEnglish: "For the board's information: \(analysis.title)",
                        bodyEnglish: "The analysis of a common initiative goes to the city executive office. The board is informed, as the guideline requires, before it does."))
                planned.append(
                    PlannedNotification(
                        organisation: ssgOrganisation, role: "ssg", kind: "proposal-awaits-ssg", mandatory: true,
                        titleSwedish: "Förslag väntar på SSG: \(analysis.title)",
                        bodySwedish: "Ett analyserat förslag väntar på värdering och prioritering i strategiska samordningsgruppen.",
                        titleEnglish: "Proposal awaits SSG: \(analysis.title)",
                        bodyEnglish: "An analysed proposal awaits valuation and prioritisation by the strategic coordination group."))
            } else {
                planned.append(
                    PlannedNotification(
                        organisation: analysis.organisationId.rawValue, role: "board", kind: "proposal-awaits-board",
                        mandatory: true,
                        titleSwedish: "Förslag väntar på beslut: \(analysis.title)",
                        bodySwedish: "Ett analyserat förslag väntar på prioritering och beslut i förvaltningens ledning.",
                        titleEnglish: "Proposal awaits decision: \(analysis.title)",
                        bodyEnglish: "An analysed proposal awaits prioritisation and a decision by the organisation's leadership."))
            }
            return planned
        case DecisionMadeV1.eventType:
            let decision = try event.decode(DecisionMadeV1.self)
            let (swedish, english) = switch decision.outcome {
            case .prioritised: ("prioriterad", "prioritised")
            case .deferred: ("uppskjuten", "deferred")
            case .rejected: ("avslagen", "rejected")
            }
            return [
                PlannedNotification(
                    organisation: decision.organisationId.rawValue, role: "submitter", kind: "decision-made",
                    mandatory: true,
                    titleSwedish: "Beslut: \(decision.title) är \(swedish)",
                    bodySwedish: "Beslutet fattades \(decision.decidedOn). Motivering: \(decision.rationale)",
                    titleEnglish: "Decision: \(decision.title) is \(english)",
                    bodyEnglish: "Decided on \(decision.decidedOn). Rationale: \(decision.rationale)")
            ]
        case BenefitPlanCreatedV1.eventType:
            let plan = try event.decode(BenefitPlanCreatedV1.self)
            return [
                PlannedNotification(
                    organisation: plan.organisationId.rawValue, role: "benefit-owner", kind: "benefit-plan-created",
                    mandatory: true,
                    titleSwedish: "Nyttorealiseringsplan att fylla i: \(plan.title)",
                    bodySwedish: "Satsningen är prioriterad. Ange nyttor med indikator, utgångsläge, mål och uppföljningsdatum innan leveransen startar.",
                    titleEnglish: "Benefit realisation plan to fill in: \(plan.title)",
                    bodyEnglish: "The initiative is prioritised. State its benefits with indicator, baseline, target and follow-up dates before delivery starts.")
            ]
        default:
            return []
        }
    }
}
