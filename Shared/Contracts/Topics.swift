/// Kafka topics of the event catalogue (docs/events/asyncapi.yaml). Each service publishes
/// to its own topic; records are keyed by initiative id so one initiative's events stay
/// ordered.
public enum Topic {
    /// Intake events: needs registered and submitted (behov).
    public static let intake = "styrbord.intake.events.v1"
    /// Analysis events: cases opened and completed (kostnads- och nyttoanalys …).
    public static let analysis = "styrbord.analysis.events.v1"
    /// Prioritisation events: decisions (prioritering och beslut).
    public static let prioritisation = "styrbord.prioritisation.events.v1"
    /// Benefit events: plans and follow-ups (nyttorealisering).
    public static let benefits = "styrbord.benefits.events.v1"

    public static let all = [intake, analysis, prioritisation, benefits]

    /// Where a service's consumer puts records it cannot apply.
    public static func deadLetter(service: String) -> String { "styrbord.dlq.\(service)" }
}

/// CloudEvents `source` of each service.
public enum EventSource {
    public static func of(service: String) -> String { "/styrbord/\(service)" }
}
