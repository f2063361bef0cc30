import Domain
import Foundation
import ServiceKit

/// The budget input (underlag till budget) of a round: the decided portfolio — every
/// current decision that prioritises — summed per organisation and financing type. Built
/// from the stored decisions only, so its totals reconcile with them by construction.
struct BudgetInput: Codable, Sendable {
    struct Line: Codable, Sendable {
        var organisationId: OrganisationID
        var financingType: FinancingType
        var initiatives: Int
        /// The cost falling in the budget year as recorded with each decision.
        var budgetYearCost: SEK
        var decisionIds: [UUID]
    }

    struct Total: Codable, Sendable {
        var financingType: FinancingType
        var initiatives: Int
        var budgetYearCost: SEK
        /// The round's budget for the financing type, when it has one.
        var budget: SEK?
    }

    var roundId: UUID
    var budgetYear: Int
    var lines: [Line]
    var totals: [Total]
    var initiatives: Int
    var budgetYearCost: SEK

    init(round: Round, decisions: [Decision]) {
        roundId = round.roundId
        budgetYear = round.budgetYear
        let prioritised = decisions.filter { $0.outcome == .prioritised && $0.current }
        var grouped: [String: Line] = [:]
        for decision in prioritised {
            let financing = decision.financingType ?? .ownBudget
            let key = "\(decision.organisationId.rawValue)|\(financing.rawValue)"
            var line = grouped[key]
                ?? Line(organisationId: decision.organisationId, financingType: financing, initiatives: 0, budgetYearCost: .zero, decisionIds: [])
            line.initiatives += 1
            line.budgetYearCost = line.budgetYearCost + (decision.budgetYearCost ?? .zero)
            line.decisionIds.append(decision.decisionId)
            grouped[key] = line
        }
        let lines = grouped.values.sorted {
            ($0.organisationId.rawValue, $0.financingType.rawValue) < ($1.organisationId.rawValue, $1.financingType.rawValue)
        }
        self.lines = lines
        totals = FinancingType.allCases.compactMap { financing in
            let matching = lines.filter { $0.financingType == financing }
            guard !matching.isEmpty || round.budgets[financing.rawValue] != nil else { return nil }
            return Total(
                financingType: financing, initiatives: matching.reduce(0) { $0 + $1.initiatives },
                budgetYearCost: matching.reduce(.zero) { $0 + $1.budgetYearCost }, budget: round.budgets[financing.rawValue])
        }
        initiatives = prioritised.count
        budgetYearCost = lines.reduce(.zero) { $0 + $1.budgetYearCost }
    }

    /// Only the lines of one organisation (what an organisation sees of the common round).
    func only(_ organisation: OrganisationID) -> BudgetInput {
        var copy = self
        copy.lines = lines.filter { $0.organisationId == organisation }
        copy.totals = totals.map { total in
            let matching = copy.lines.filter { $0.financingType == total.financingType }
            return Total(
                financingType: total.financingType, initiatives: matching.reduce(0) { $0 + $1.initiatives },
                budgetYearCost: matching.reduce(.zero) { $0 + $1.budgetYearCost }, budget: nil)
        }
        copy.initiatives = copy.lines.reduce(0) { $0 + $1.initiatives }
        copy.budgetYearCost = copy.lines.reduce(.zero) { $0 + $1.budgetYearCost }
        return copy
    }

    /// Semicolon CSV for Swedish spreadsheets: one line per organisation and financing
    /// type, then a total per financing type and a grand total.
    var csv: String {
        var text = CSVWriter.byteOrderMark
        text += CSVWriter.line(["budgetår", "organisation", "finansieringstyp", "antal insatser", "kostnad budgetår (kr)", "beslut"])
        for line in lines {
            text += CSVWriter.line([
                String(budgetYear), line.organisationId.rawValue, line.financingType.rawValue, String(line.initiatives),
                line.budgetYearCost.amount.description, line.decisionIds.map { $0.uuidString }.joined(separator: " "),
            ])
        }
        for total in totals {
            text += CSVWriter.line([
                String(budgetYear), "summa", total.financingType.rawValue, String(total.initiatives),
                total.budgetYearCost.amount.description, "",
            ])
        }
        text += CSVWriter.line([String(budgetYear), "summa", "alla", String(initiatives), budgetYearCost.amount.description, ""])
        return text
    }
}
