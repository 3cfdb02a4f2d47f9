import Foundation
import HubPostgres
import HubStore
import SatchelModel
import SyncCore

/// The hub in a PostgreSQL database, which any number of `satchel-server` processes may share.
public enum PostgresServerStore {
    /// The environment variable that names the database when `--database` is not given.
    public static let environmentVariable = "SATCHEL_DATABASE_URL"

    /// Opens (migrating if needed) the hub in the database `url` names
    /// (`postgres://USER:PASSWORD@HOST:PORT/DB`).
    public static func open(
        url: String, schema: Schema = CRMSchema.schema, clock: @escaping WallClock = systemWallClock
    ) throws -> PostgresHub {
        try PostgresHub.open(url: url, schema: schema, clock: clock)
    }
}
