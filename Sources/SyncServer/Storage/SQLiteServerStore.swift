import Foundation
import HubStore
import SatchelModel
import SyncCore

/// The embedded default: one SQLite database (WAL) in the data directory.
///
/// One SQLite store means one server process; several servers need the PostgreSQL store
/// (Docs/decisions/0005).
public enum SQLiteServerStore {
    /// The database file inside a data directory.
    public static let fileName = "satchel.sqlite"

    /// Takes the data directory's serving lock (`serve.lock`, an advisory `flock`), so that a
    /// second `satchel-server serve` on the same directory stops with a clear error. The lock is
    /// held until the process exits. Administrative commands (`user`, `import`) do not take it:
    /// SQLite serialises their writes with the server's.
    public static func lockForServing(directory: String) throws {
        let path = (directory as NSString).appendingPathComponent("serve.lock")
        let descriptor = Foundation.open(path, O_RDWR | O_CREAT, 0o600)
        guard descriptor >= 0 else {
            throw ProtocolError(.invalidRequest, "cannot open \(path); check the data directory's permissions")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw ProtocolError(
                .invalidRequest,
                "another satchel-server is already serving \(directory); stop it first (one SQLite store serves one process)")
        }
        // Deliberately left open: the lock lasts as long as the process.
    }

    /// Opens (creating the directory and database if needed) the store in `directory`.
    public static func open(
        directory: String, schema: Schema = CRMSchema.schema, clock: @escaping WallClock = systemWallClock
    ) throws -> Hub {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw ProtocolError(.invalidRequest, "\(directory) is a file, not a data directory; choose another --data")
            }
        } else {
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        return try Hub.open(at: (directory as NSString).appendingPathComponent(fileName), schema: schema, clock: clock)
    }
}
