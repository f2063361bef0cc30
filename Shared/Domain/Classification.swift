/// A closed set of values named by their raw strings. Decoding an unknown value says
/// which values are allowed, so an API client reads the rule, not a Swift type name.
public protocol ClosedSet: RawRepresentable, CaseIterable, Codable, Sendable where RawValue == String {}

extension ClosedSet {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(rawValue: text) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "must be one of \(Self.allCases.map(\.rawValue).joined(separator: ", ")); got '\(text)'"))
        }
        self = value
    }
}

/// The two tracks (spår) of the steering model.
public enum Track: String, ClosedSet {
    /// Verksamhetsspecifik: the organisation's own systems and initiatives, own budget,
    /// decided by its own board.
    case organisationSpecific = "organisation-specific"
    /// Gemensam: common services and initiatives, proposed by a supplier, valued and
    /// prioritised by the strategic coordination group (SSG).
    case common
}

/// What kind of change a need asks for (kategori).
public enum NeedCategory: String, ClosedSet {
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
public enum NeedDriver: String, ClosedSet {
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
public enum TargetGroup: String, ClosedSet {
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
public enum OrganisationKind: String, ClosedSet {
    /// Förvaltning, led by a nämnd.
    case administration
    /// Kommunalt bolag, led by a bolagsstyrelse.
    case company
    /// Leverantör of common services (Intraservice, Inköp och upphandling, …).
    case supplier
}
