import SyncCore

/// Errors of the laptop replica. Each description says what to do next.
public enum ReplicaError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownRecord(entity: String, id: String)
    case invalid(SchemaError)
    case ruleViolated(rule: String, reason: String, remedy: String)
    case notAllowed(reason: String, remedy: String)
    case corruptValue(entity: String, field: String, detail: String)
    case schemaTooNew(found: Int, supported: Int)
    case notAReplica(path: String, detail: String)
    /// The server holds this laptop's changes only up to `from - 1` and the laptop no longer
    /// keeps them from there (they are older than the retention).
    case lostOnServer(from: UInt64, keptFrom: UInt64)

    public var description: String {
        switch self {
        case let .unknownRecord(entity, id):
            return "there is no \(entity) with id \(id); check the id (list them with 'satchel \(entity) list')"
        case let .invalid(error):
            return error.description
        case let .ruleViolated(_, reason, remedy):
            return "\(reason); \(remedy)"
        case let .notAllowed(reason, remedy):
            return "\(reason); \(remedy)"
        case let .corruptValue(entity, field, detail):
            return "the replica holds an unreadable value in \(entity).\(field) (\(detail)); "
                + "restore the replica from a backup or log in again to rebuild it"
        case let .schemaTooNew(found, supported):
            return "this replica was written by a newer satchel (schema \(found), this one knows \(supported)); "
                + "update satchel"
        case let .lostOnServer(from, keptFrom):
            return "the server lost this laptop's changes from \(from) on (it was restored from an old backup), and this laptop "
                + "keeps them only from \(keptFrom); ask your admin to restore a newer backup"
        case let .notAReplica(path, detail):
            return "\(path) is not a usable Satchel replica (\(detail)); move it aside and log in again to rebuild it"
        }
    }
}
