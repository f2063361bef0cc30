import Contracts
import Domain
import Foundation
import ServiceKit

/// An indicator value: exact decimal text in JSON (`"12.5"`); a JSON number is accepted too.
struct Quantity: Codable, Sendable, Equatable {
    var value: Decimal

    init(_ value: Decimal) { self.value = value }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            guard let parsed = SEK(exactly: text) else {
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: decoder.codingPath,
                        debugDescription: "must be a number such as \"12\" or \"7.5\" (a point, not a comma); got '\(text)'"))
            }
            value = parsed.amount
        } else {
            value = try container.decode(Decimal.self)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value.description)
    }
}

/// A value on a date: a benefit's baseline (utgångsläge) or target (målvärde).
struct Reading: Codable, Sendable, Equatable {
    var value: Quantity
    var date: CalendarDate
}

/// Who owns a benefit (nyttoägare): an organisation and a person in it.
struct BenefitOwner: Codable, Sendable, Equatable {
    var organisationId: OrganisationID
    var name: String
    var email: String?
}

/// One benefit of a benefit realisation plan.
struct PlannedBenefit: Codable, Sendable, Equatable {
    var benefitId: UUID
    var description: String
    var kind: BenefitKind
    /// Intressent: the group that gets the benefit.
    var stakeholder: TargetGroup
    var owner: BenefitOwner?
    var indicator: String?
    var unit: String?
    var baseline: Reading?
    var target: Reading?
    var measurementMethod: String?
    /// Economic benefits: the value in kronor per year when realised.
    var economicValue: SEK?
    /// Follow-ups in months after go-live (default 6 and 12).
    var followUpMonths: [Int]

    static let defaultFollowUpMonths = [6, 12]

    /// A benefit line of the analysis as the first draft of a planned benefit.
    init(line: BenefitLine) {
        benefitId = UUID()
        description = line.description
        kind = line.kind
        stakeholder = line.stakeholder
        indicator = line.indicator ?? (line.annualHours != nil ? "Frigjorda arbetstimmar per år" : nil)
        unit = line.annualHours != nil && line.indicator == nil ? "timmar" : nil
        economicValue = line.annualAmount
        followUpMonths = Self.defaultFollowUpMonths
    }

    init(input: BenefitInput, id: UUID) {
        benefitId = id
        description = input.description.trimmingCharacters(in: .whitespacesAndNewlines)
        kind = input.kind
        stakeholder = input.stakeholder
        owner = input.owner.map {
            BenefitOwner(organisationId: $0.organisationId, name: $0.name.trimmingCharacters(in: .whitespaces), email: $0.email)
        }
        indicator = input.indicator
        unit = input.unit
        baseline = input.baseline
        target = input.target
        measurementMethod = input.measurementMethod
        economicValue = input.economicValue
        followUpMonths = input.followUpMonths ?? Self.defaultFollowUpMonths
    }

    /// What agreeing needs and is missing, as (field, reason).
    var missingForAgreement: [(String, String)] {
        var missing: [(String, String)] = []
        if owner == nil { missing.append(("owner", "is required to agree the plan: the benefit owner (nyttoägare)")) }
        if (indicator ?? "").isEmpty { missing.append(("indicator", "is required to agree the plan")) }
        if (unit ?? "").isEmpty { missing.append(("unit", "is required to agree the plan")) }
        if baseline == nil { missing.append(("baseline", "is required to agree the plan: value and date of today's level")) }
        if target == nil { missing.append(("target", "is required to agree the plan: value and date to reach")) }
        if (measurementMethod ?? "").isEmpty { missing.append(("measurementMethod", "is required to agree the plan")) }
        return missing
    }
}

/// A benefit as a plan edit sends it; without `benefitId` it is a new benefit.
struct BenefitInput: Codable, Sendable {
    var benefitId: UUID?
    var description: String
    var kind: BenefitKind
    var stakeholder: TargetGroup
    var owner: BenefitOwner?
    var indicator: String?
    var unit: String?
    var baseline: Reading?
    var target: Reading?
    var measurementMethod: String?
    var economicValue: SEK?
    var followUpMonths: [Int]?
}

/// `PUT /v1/plans/{id}`: the whole benefit list and the goal areas; a `reason` is
/// required once the plan is agreed (the change becomes a new revision).
struct PlanInput: Codable, Sendable {
    var benefits: [BenefitInput]
    var goalAreas: [GoalArea]?
    var reason: String?

    func validationProblems() -> [Problem.InvalidParameter] {
        var problems: [Problem.InvalidParameter] = []
        func check(_ ok: Bool, _ name: String, _ reason: String) {
            if !ok { problems.append(.init(name: name, reason: reason)) }
        }
        check(benefits.count <= 100, "benefits", "must have at most 100 benefits")
        if let reason { check(reason.count <= 2000, "reason", "must be at most 2000 characters") }
        var seen = Set<UUID>()
        for (index, benefit) in benefits.enumerated() {
            let path = "benefits[\(index)]"
            check((1...500).contains(benefit.description.trimmingCharacters(in: .whitespacesAndNewlines).count),
                  "\(path).description", "must be 1 to 500 characters")
            if let id = benefit.benefitId { check(seen.insert(id).inserted, "\(path).benefitId", "appears twice") }
            if let owner = benefit.owner {
                check((1...200).contains(owner.name.trimmingCharacters(in: .whitespaces).count), "\(path).owner.name",
                      "must be 1 to 200 characters")
                if let email = owner.email { check(email.contains("@") && email.count <= 254, "\(path).owner.email", "must be an e-mail address") }
            }
            if let indicator = benefit.indicator { check((1...300).contains(indicator.count), "\(path).indicator", "must be 1 to 300 characters") }
            if let unit = benefit.unit { check((1...50).contains(unit.count), "\(path).unit", "must be 1 to 50 characters") }
            if let method = benefit.measurementMethod {
                check((1...1000).contains(method.count), "\(path).measurementMethod", "must be 1 to 1000 characters")
            }
            if let value = benefit.economicValue { check(value >= .zero, "\(path).economicValue", "must not be negative") }
            if let baseline = benefit.baseline, let target = benefit.target {
                check(target.date > baseline.date, "\(path).target.date", "must be after the baseline date")
                check(target.value != baseline.value, "\(path).target.value",
                      "must differ from the baseline value: a benefit is a planned change")
            }
            if let months = benefit.followUpMonths {
                check((1...10).contains(months.count), "\(path).followUpMonths", "must list 1 to 10 follow-ups")
                check(months.allSatisfy { (1...120).contains($0) }, "\(path).followUpMonths", "must be months from 1 to 120 after go-live")
                check(zip(months, months.dropFirst()).allSatisfy { $0 < $1 }, "\(path).followUpMonths",
                      "must be in increasing order without repeats")
            }
        }
        return problems
    }
}

/// `POST /v1/plans/{id}/phase`.
struct PhaseInput: Codable, Sendable {
    var phase: InitiativePhase
    /// Entering implement: the go-live date (default today; may be in the past).
    var goLiveOn: CalendarDate?
    /// Entering management: the management plan (förvaltningsplan).
    var managementPlanReference: String?
}

/// `POST /v1/plans/{id}/benefits/{benefitId}/measurements`.
struct MeasurementInput: Codable, Sendable {
    var value: Quantity
    var measuredOn: CalendarDate
    var source: String
    var comment: String?

    func validationProblems(today: CalendarDate) -> [Problem.InvalidParameter] {
        var problems: [Problem.InvalidParameter] = []
        if measuredOn > today { problems.append(.init(name: "measuredOn", reason: "must not be in the future")) }
        if !(1...300).contains(source.trimmingCharacters(in: .whitespaces).count) {
            problems.append(.init(name: "source", reason: "must be 1 to 300 characters: where the value comes from"))
        }
        if let comment, comment.count > 2000 { problems.append(.init(name: "comment", reason: "must be at most 2000 characters")) }
        return problems
    }
}

/// `POST /v1/plans/{id}/deviations/{deviationId}/action`: what the board decided.
struct DeviationActionInput: Codable, Sendable {
    /// The deciding board (nämnd / styrelse).
    var board: String
    var decidedOn: CalendarDate
    var action: String
    var reference: String?

    func validationProblems(today: CalendarDate) -> [Problem.InvalidParameter] {
        var problems: [Problem.InvalidParameter] = []
        if !(2...200).contains(board.trimmingCharacters(in: .whitespaces).count) {
            problems.append(.init(name: "board", reason: "must be 2 to 200 characters"))
        }
        if decidedOn > today { problems.append(.init(name: "decidedOn", reason: "must not be in the future")) }
        if !(1...2000).contains(action.trimmingCharacters(in: .whitespacesAndNewlines).count) {
            problems.append(.init(name: "action", reason: "must be 1 to 2000 characters"))
        }
        if let reference, reference.count > 200 { problems.append(.init(name: "reference", reason: "must be at most 200 characters")) }
        return problems
    }
}

/// The stored decision on a deviation.
struct DeviationAction: Codable, Sendable {
    var board: String
    var decidedOn: CalendarDate
    var action: String
    var reference: String?
    var recordedBy: String
    var recordedAt: Date
}

/// `POST /v1/plans/{id}/evaluation`.
struct EvaluationInput: Codable, Sendable {
    /// Erfarenhetsåtervinning: what the city should learn from the initiative.
    var lessonsLearned: String
    var comments: [String: String]?

    func validationProblems() -> [Problem.InvalidParameter] {
        var problems: [Problem.InvalidParameter] = []
        if !(1...10_000).contains(lessonsLearned.trimmingCharacters(in: .whitespacesAndNewlines).count) {
            problems.append(.init(name: "lessonsLearned", reason: "must be 1 to 10000 characters"))
        }
        for (key, text) in comments ?? [:] where UUID(uuidString: key) == nil || text.count > 2000 {
            problems.append(.init(name: "comments.\(key)", reason: "keys must be benefit ids and comments at most 2000 characters"))
        }
        return problems
    }
}

/// The stored evaluation: planned against realised per benefit.
struct Evaluation: Codable, Sendable {
    struct Outcome: Codable, Sendable {
        var benefitId: UUID
        var description: String
        var indicator: String?
        var unit: String?
        var baseline: Reading?
        /// The target of the agreed baseline (what was promised).
        var agreedTarget: Reading?
        /// The target of the current revision.
        var plannedTarget: Reading?
        var realised: Reading?
        var share: String?
        var status: RealisationStatus
        var comment: String?
    }

    var outcomes: [Outcome]
    var lessonsLearned: String
    var evaluatedBy: String
    var evaluatedAt: Date
}

/// `PUT /v1/plans/{id}/publication`.
struct PublicationInput: Codable, Sendable {
    var published: Bool
}
