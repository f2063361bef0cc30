import Contracts
import Domain
import Foundation
import HTTPTypes
import Persistence
import ServiceKit

/// A decision (beslut) on an initiative as the benefits service remembers it.
struct KnownDecision: Sendable, Equatable {
    var decisionId: UUID
    /// The earlier decision this one changes (`supersedesDecisionId`).
    var supersedes: UUID?
    var outcome: DecisionOutcome
    /// The rationale (motivering); nil only for decisions taken over from plans made
    /// before the service remembered decisions.
    var rationale: String?
    /// The meeting date, `YYYY-MM-DD`.
    var decidedOn: String?
    /// The event's time (`ce_time`).
    var decidedAt: Date?

    init(
        decisionId: UUID, supersedes: UUID?, outcome: DecisionOutcome, rationale: String?, decidedOn: String?, decidedAt: Date?
    ) {
        self.decisionId = decisionId
        self.supersedes = supersedes
        self.outcome = outcome
        self.rationale = rationale
        self.decidedOn = decidedOn
        self.decidedAt = decidedAt
    }

    init(_ decision: DecisionMadeV1, at time: Date?) {
        self.init(
            decisionId: decision.decisionId, supersedes: decision.supersedesDecisionId, outcome: decision.outcome,
            rationale: decision.rationale, decidedOn: decision.decidedOn, decidedAt: time)
    }

    init(row: PostgresRow) throws {
        decisionId = try row.decode("decision_id")
        supersedes = try row.decode("supersedes", as: UUID?.self)
        outcome = try row.decode("outcome", as: DecisionOutcome.self)
        rationale = try row.decode("rationale", as: String?.self)
        decidedOn = try row.decode("decided_on_text", as: String?.self)
        decidedAt = try row.decode("decided_at", as: Date?.self)
    }

    static let columns = "decision_id, supersedes, outcome, rationale, decided_on::text AS decided_on_text, decided_at"
}

/// Which decision is in force, and what it means for the plan: pure rules, no I/O.
///
/// Prioritisation keeps one chain of decisions per initiative: the first names no earlier
/// decision, every change names the decision it replaces. Events may arrive in any order
/// and more than once, so the benefits service keeps every decision it has seen and asks
/// again, after each, which one is in force.
enum PlanDecisions {
    /// The decision in force among those known: one that no known decision supersedes;
    /// a change rather than the initiative's first decision (a change is always later);
    /// when a gap in the chain still leaves several, the latest meeting date, then the
    /// latest event time.
    static func inForce(_ decisions: [KnownDecision]) -> KnownDecision? {
        let superseded = Set(decisions.compactMap(\.supersedes))
        var heads = decisions.filter { !superseded.contains($0.decisionId) }
        if heads.contains(where: { $0.supersedes != nil }) { heads.removeAll { $0.supersedes == nil } }
        return heads.max { earlier, later in
            (earlier.decidedOn ?? "", earlier.decidedAt ?? .distantPast, earlier.decisionId.uuidString)
                < (later.decidedOn ?? "", later.decidedAt ?? .distantPast, later.decisionId.uuidString)
        }
    }

    /// The decisions in the order they were made, for reading: along the chain where it is
    /// known, otherwise by meeting date and event time.
    static func chronological(_ decisions: [KnownDecision]) -> [KnownDecision] {
        decisions.sorted { first, second in
            if second.supersedes == first.decisionId { return true }
            if first.supersedes == second.decisionId { return false }
            if (first.supersedes == nil) != (second.supersedes == nil) { return first.supersedes == nil }
            return (first.decidedOn ?? "", first.decidedAt ?? .distantPast, first.decisionId.uuidString)
                < (second.decidedOn ?? "", second.decidedAt ?? .distantPast, second.decisionId.uuidString)
        }
    }

    /// What the plan is now, as far as decisions matter.
    struct PlanState: Sendable, Equatable {
        var decisionId: UUID
        /// The decision that cancelled it, while it is cancelled.
        var cancelledBy: UUID?
        var evaluated: Bool
    }

    enum Action: Sendable, Equatable {
        /// The plan is already as the decision in force says.
        case nothing
        /// A prioritised initiative without a plan gets one.
        case create
        /// A deferred or rejected initiative's plan is cancelled.
        case cancel
        /// A cancelled plan whose initiative is prioritised again is open again.
        case reopen
        /// The plan keeps its state but now rests on (or was cancelled by) this decision.
        case follow
    }

    static func action(for plan: PlanState?, inForce decision: KnownDecision) -> Action {
        let prioritised = decision.outcome == .prioritised
        guard let plan else { return prioritised ? .create : .nothing }
        // An evaluated initiative is closed with its evaluation; a later decision changes nothing of it.
        if plan.evaluated { return .nothing }
        switch (plan.cancelledBy, prioritised) {
        case (nil, true): return plan.decisionId == decision.decisionId ? .nothing : .follow
        case (nil, false): return .cancel
        case (.some, true): return .reopen
        case (.some(let cancelling), false): return cancelling == decision.decisionId ? .nothing : .follow
        }
    }
}

/// Why a plan is closed: the decision that deferred or rejected its initiative.
struct PlanCancellation: Codable, Sendable, Equatable {
    var decisionId: UUID
    var outcome: DecisionOutcome
    /// The decision's rationale (motivering).
    var reason: String
    var decidedOn: String?
    var cancelledAt: Date
    /// The plan's status when it was cancelled (draft or agreed), to which it reopens.
    var previousStatus: String

    /// The 409 every change of a cancelled plan gets, Swedish first.
    func problem(_ initiative: InitiativeID) -> Problem {
        let swedish = outcome == .rejected ? "avslogs" : "sköts upp"
        return Problem(
            status: .conflict, type: "https://styrbord.goteborg.se/problems/plan-cancelled",
            title: "Nyttorealiseringsplanen är avbruten / The benefit plan is cancelled",
            detail: "Initiativet \(swedish) genom beslut \(decisionId.uuidString) (\(reason)); planen kan läsas men inte ändras. / "
                + "Initiative \(initiative) was \(outcome.rawValue) by decision \(decisionId.uuidString) (\(reason)); "
                + "its plan can be read but not changed.")
    }
}
