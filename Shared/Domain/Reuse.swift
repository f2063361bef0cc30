/// The analyst's answer to "could an existing solution in the city be reused?"
/// (återanvändning), recorded before an analysis can be completed.
public enum ReuseDecision: String, ClosedSet {
    /// Återanvänd: an existing service or initiative meets the need as it is.
    case reuse
    /// Utöka: an existing service or initiative is extended to meet it.
    case extend
    /// Nytt: nothing fits; a new solution is needed.
    case new
}
