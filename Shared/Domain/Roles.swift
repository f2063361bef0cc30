/// What a person may do in Styrbord, carried as the `roles` claim of their access token.
public enum Role: String, ClosedSet {
    /// Registers and follows their own organisation's needs (behovsägare, verksamhetsutvecklare).
    case submitter
    /// Analyses needs: an organisation's own analyst (track 1) or a supplier's (track 2).
    case analyst
    /// A supplier of common services (Intraservice, Inköp och upphandling, Demokrati och
    /// medborgarservice): proposes common initiatives and sees the common track.
    case supplier
    /// A member of the strategic coordination group (strategisk samordningsgrupp, SSG).
    case ssg
    /// Nyttoägare: owns benefits in the customer organisation and records follow-ups.
    case benefitOwner = "benefit-owner"
    /// Reads everything, changes nothing (stadsrevisionen, internal control).
    case auditor
    /// Manages reference data (organisations) and may act for any organisation.
    case admin
}
