import Domain
import Foundation
import Testing

@testable import BenefitsService

/// Which decision is in force however the decisions arrive, and what it does to the plan.
@Suite("Benefit plans follow the decision in force")
struct PlanDecisionsTests {
    static func decision(
        _ outcome: DecisionOutcome, supersedes: KnownDecision? = nil, on day: String = "2026-11-20", at seconds: TimeInterval = 0
    ) -> KnownDecision {
        KnownDecision(
            decisionId: UUID(), supersedes: supersedes?.decisionId, outcome: outcome, rationale: "Motivering", decidedOn: day,
            decidedAt: Date(timeIntervalSince1970: 1_800_000_000 + seconds))
    }

    /// Every order of a list (the lists here are short).
    static func permutations<T>(_ items: [T]) -> [[T]] {
        guard items.count > 1 else { return [items] }
        return items.indices.flatMap { index in
            var rest = items
            let first = rest.remove(at: index)
            return permutations(rest).map { [first] + $0 }
        }
    }

    @Test("the newest decision of the chain is in force in every arrival order, even on the same day with older event times")
    func newestAlongTheChain() {
        let prioritised = Self.decision(.prioritised, at: 30)
        let deferred = Self.decision(.deferred, supersedes: prioritised, at: 20)
        let rejected = Self.decision(.rejected, supersedes: deferred, at: 10)
        for order in Self.permutations([prioritised, deferred, rejected]) {
            #expect(PlanDecisions.inForce(order) == rejected)
        }
        #expect(PlanDecisions.chronological([rejected, prioritised, deferred]) == [prioritised, deferred, rejected])
        #expect(PlanDecisions.inForce([]) == nil)
    }

    @Test("a late superseded decision never wins: a change beats the first decision, and a gap falls back to the meeting date")
    func gapsInTheChain() {
        let prioritised = Self.decision(.prioritised, on: "2026-11-20", at: 50)
        let deferred = Self.decision(.deferred, supersedes: prioritised, on: "2026-12-01")
        let reprioritised = Self.decision(.prioritised, supersedes: deferred, on: "2027-03-01")
        let rejected = Self.decision(.rejected, supersedes: reprioritised, on: "2027-06-01")
        // Only the first and the third arrived: the third is a change, so it is later.
        #expect(PlanDecisions.inForce([prioritised, reprioritised]) == reprioritised)
        // The second and the fourth: neither links to the other; the later meeting wins.
        #expect(PlanDecisions.inForce([rejected, deferred]) == rejected)
        #expect(PlanDecisions.inForce([deferred, rejected, prioritised]) == rejected)
    }

    @Test("prioritised makes a plan, deferred or rejected cancels it, prioritised again reopens it, the same decision again changes nothing")
    func actions() {
        let prioritised = Self.decision(.prioritised)
        let deferred = Self.decision(.deferred, supersedes: prioritised)
        let rejected = Self.decision(.rejected, supersedes: deferred)
        let again = Self.decision(.prioritised, supersedes: deferred)
        let open = PlanDecisions.PlanState(decisionId: prioritised.decisionId, cancelledBy: nil, evaluated: false)
        let cancelled = PlanDecisions.PlanState(decisionId: prioritised.decisionId, cancelledBy: deferred.decisionId, evaluated: false)

        #expect(PlanDecisions.action(for: nil, inForce: prioritised) == .create)
        #expect(PlanDecisions.action(for: nil, inForce: deferred) == .nothing, "no plan to cancel, none made")
        #expect(PlanDecisions.action(for: open, inForce: prioritised) == .nothing)
        #expect(PlanDecisions.action(for: open, inForce: deferred) == .cancel)
        #expect(PlanDecisions.action(for: cancelled, inForce: deferred) == .nothing)
        #expect(PlanDecisions.action(for: cancelled, inForce: rejected) == .follow, "still cancelled, by the newer decision")
        #expect(PlanDecisions.action(for: cancelled, inForce: again) == .reopen)
        #expect(PlanDecisions.action(for: open, inForce: again) == .follow, "a changed prioritisation: the plan rests on it")
        var evaluated = open
        evaluated.evaluated = true
        #expect(PlanDecisions.action(for: evaluated, inForce: rejected) == .nothing, "an evaluated initiative is closed")
    }
}
