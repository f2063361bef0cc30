/// The two tracks (spår) of the steering model.
public enum Track: String, Sendable, Codable, CaseIterable {
    /// Verksamhetsspecifik: the organisation's own systems and initiatives, own budget,
    /// decided by its own board.
    case organisationSpecific = "organisation-specific"
    /// Gemensam: common services and initiatives, proposed by a supplier, valued and
    /// prioritised by the strategic coordination group (SSG).
    case common
}

/// What kind of change a need asks for (kategori).
public enum NeedCategory: String, Sendable, Codable, CaseIterable {
    /// Upphandling av verksamhetssystem.
    case businessSystemProcurement = "business-system-procurement"
    /// Kvalitetshöjande.
    case qualityRaising = "quality-raising"
    /// Effektiviserande.
    case efficiency
    /// Övrigt.
    case other
}

/// Why the need arises now (drivkraft).
public enum NeedDriver: String, Sendable, Codable, CaseIterable {
    /// Eget behov.
    case ownNeed = "own-need"
    /// Ny lagstiftning: legal requirements come first in prioritisation.
    case newLaw = "new-law"
    /// Stadsövergripande förändring.
    case cityWideChange = "city-wide-change"
    /// Avtal som löper ut.
    case contractExpiry = "contract-expiry"
}

/// Who benefits (målgrupp).
public enum TargetGroup: String, Sendable, Codable, CaseIterable {
    /// Invånare och brukare.
    case residents
    /// Medarbetare.
    case employees
    /// Näringsliv.
    case business
    /// Besökare.
    case visitors
}

/// The kind of organisation in the city.
public enum OrganisationKind: String, Sendable, Codable, CaseIterable {
    /// Förvaltning, led by a nämnd.
    case administration
    /// Kommunalt bolag, led by a bolagsstyrelse.
    case company
    /// Leverantör of common services (Intraservice, Inköp och upphandling, …).
    case supplier
}
