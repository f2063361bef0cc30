import Domain
import Foundation
import Persistence

extension PostgresRow {
    /// Decodes a text column holding an enum's raw value.
    public func decode<T: RawRepresentable>(_ column: String, as type: T.Type) throws -> T where T.RawValue == String {
        let text = try decode(column, as: String.self)
        return try T(rawValue: text).orThrow("\(column): unknown value \(text)")
    }

    public func initiativeID(_ column: String = "initiative_id") throws -> InitiativeID {
        InitiativeID(try decode(column, as: UUID.self))
    }

    public func organisationID(_ column: String) throws -> OrganisationID {
        let text = try decode(column, as: String.self)
        return try OrganisationID(text).orThrow("\(column): \(text)")
    }
}

extension Page {
    /// Builds a page from rows fetched with `LIMIT limit + 1` ordered by the `seq` column;
    /// the extra row only tells that there is a next page.
    public static func from(_ rows: [PostgresRow], limit: Int, decode: (PostgresRow) throws -> Item) throws -> Page {
        let items = try rows.prefix(limit).map(decode)
        let next = rows.count > limit ? try rows[limit - 1].decode("seq", as: Int64.self) : nil
        return Page(items: items, nextCursor: next.map(String.init))
    }
}

extension PageRequest {
    /// The `seq` after which the page starts.
    public var afterSequence: Int64 { cursor.flatMap(Int64.init) ?? 0 }
}
