import Foundation
import Persistence

/// The kit's own migrations (outbox, inbox), stream `kit`, run before a service's own.
public enum KitMigrations {
    public static func all() throws(PostgresError) -> [Migration] {
        guard let folder = Bundle.module.url(forResource: "Migrations", withExtension: nil)?.appendingPathComponent("kit") else {
            throw PostgresError(kind: .migration, message: "the kit's migrations are missing from the ServiceKit resource bundle")
        }
        return try Migration.load(from: folder, stream: "kit")
    }
}
