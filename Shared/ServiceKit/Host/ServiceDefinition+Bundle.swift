import Foundation
import Persistence

extension Migration {
    /// Loads a service's migrations from the `Migrations` folder of its resource bundle.
    public static func service(in bundle: Bundle, service: String) throws -> [Migration] {
        guard let folder = bundle.url(forResource: "Migrations", withExtension: nil) else {
            throw PostgresError(
                kind: .migration,
                message: "the \(service) migrations are missing: install the resource bundle next to the executable")
        }
        return try Migration.load(from: folder, stream: "service")
    }
}
