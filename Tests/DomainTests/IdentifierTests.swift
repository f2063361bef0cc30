import Domain
import Foundation
import Testing

@Suite("Domain identifiers and money")
struct IdentifierTests {
    @Test("organisation ids accept slugs and refuse anything else")
    func organisationIDs() {
        #expect(OrganisationID("aldre-vard-omsorg") != nil)
        #expect(OrganisationID("Äldre") == nil)
        #expect(OrganisationID("a") == nil)
        #expect(OrganisationID("with space") == nil)
    }

    @Test("initiative ids round-trip through JSON as lowercase UUID text")
    func initiativeIDJSON() throws {
        let id = InitiativeID()
        let data = try JSONEncoder().encode(id)
        #expect(String(decoding: data, as: UTF8.self) == "\"\(id.rawValue.uuidString.lowercased())\"")
        #expect(try JSONDecoder().decode(InitiativeID.self, from: data) == id)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(InitiativeID.self, from: Data("\"nej\"".utf8)) }
    }

    @Test("staff hours become money at the hourly rate, exactly")
    func staffCost() throws {
        let cost = SEK.staffCost(hours: Decimal(string: "120.5")!, hourlyRate: SEK(Decimal(string: "650.10")!))
        #expect(cost == SEK(Decimal(string: "78337.05")!))
        let decoded = try JSONDecoder().decode(SEK.self, from: Data("\"0.1\"".utf8)) + SEK(Decimal(string: "0.2")!)
        #expect(decoded == SEK(Decimal(string: "0.3")!))
    }
}

@Suite("Decoding what API clients send")
struct ClientInputTests {
    @Test("amounts are exact decimal strings; commas, exponents and junk are refused")
    func strictAmounts() throws {
        for good in ["0", "1200000", "650.10", "-0.5"] {
            #expect(SEK(exactly: good) != nil, "\(good)")
        }
        for bad in ["1,5", "0x10", "12abc", " 5", "+5", ".5", "00012", "1e3", "5.", ""] {
            #expect(SEK(exactly: bad) == nil, "\(bad)")
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(SEK.self, from: Data("\"\(bad)\"".utf8)) }
        }
    }

    @Test("an unknown enum value names the allowed values")
    func enumErrors() {
        do {
            _ = try JSONDecoder().decode(Track.self, from: Data("\"sideways\"".utf8))
            Issue.record("expected an error")
        } catch DecodingError.dataCorrupted(let context) {
            #expect(context.debugDescription == "must be one of organisation-specific, common; got 'sideways'")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("dates with signs or year zero are refused")
    func oddDates() {
        #expect(CalendarDate("+026-01-01") == nil)
        #expect(CalendarDate("0000-01-01") == nil)
    }
}
