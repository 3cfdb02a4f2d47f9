import Foundation
import ReplicaStore
import SatchelModel
import SyncCore

/// The embedded default: one SQLite database (WAL) in the data directory.
///
/// One SQLite store means one server process; several servers need the PostgreSQL store
/// (Docs/decisions/0005).
public enum SQLiteServerStore {
    /// The database file inside a data directory.
    public static let fileName = "satchel.sqlite"

    /// Opens (creating the directory and database if needed) the store in `directory`.
    public static func open(directory: String, clock: @escaping Replica.WallClock = Replica.systemClock) throws -> Hub {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw ProtocolError(.invalidRequest, "\(directory) is a file, not a data directory; choose another --data")
            }
        } else {
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        return try Hub.open(at: (directory as NSString).appendingPathComponent(fileName), schema: CRMSchema.schema, clock: clock)
    }
}
