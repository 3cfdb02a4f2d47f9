import SyncCore

/// Errors of the hub. Each description says what to do next.
public enum HubError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The push starts after changes the hub has not seen; the replica must send from `expected`.
    case gap(expected: UInt64, got: UInt64)
    case unknownConflict(String)
    case alreadyResolved(String)
    case invalidResolution(String)
    case schemaTooNew(found: Int, supported: Int)
    case unknownUser(String)
    case userExists(String)
    case invalidUser(String)
    /// A schema step that cannot be taken (a clashing name, an unknown type…), with why.
    case invalidSchemaStep(String)
    case storage(String)
    /// The feed before `cursor` was compacted: the reader may have missed a tombstone.
    case rebaselineRequired(cursor: Int64, compactedTo: Int64)
    /// The enrollment token of this user is past its expiry.
    case tokenExpired(String)
    /// An admin disabled this user.
    case userDisabled(String)
    /// No device has this replica id.
    case unknownDevice(String)

    public var description: String {
        switch self {
        case .gap(let expected, let got):
            return "the push starts at change \(got) but the server has seen up to \(expected - 1); "
                + "send the changes from \(expected) on"
        case .unknownConflict(let id):
            return "there is no conflict \(id); list them with 'satchel admin conflicts list'"
        case .alreadyResolved(let id):
            return "conflict \(id) is already resolved; see its history with 'satchel admin conflicts show \(id)'"
        case .invalidResolution(let detail):
            return detail
        case .schemaTooNew(let found, let supported):
            return "the changes were written with schema \(found), but this server knows schema \(supported); "
                + "wait for the server's upgrade before this laptop syncs (its changes stay on it)"
        case .unknownUser(let name):
            return "there is no user '\(name)'; list them with 'satchel-server user list'"
        case .userExists(let name):
            return
                "a user named '\(name)' already exists; pick another name, or issue a new token with 'satchel-server user token \(name)'"
        case .invalidUser(let detail), .invalidSchemaStep(let detail):
            return detail
        case .storage(let detail):
            return "the server store failed: \(detail)"
        case .tokenExpired:
            return "the enrollment token has expired; ask an admin for a new one ('satchel-server user token NAME')"
        case .userDisabled(let name):
            return "the user \(name) is disabled; ask an admin"
        case .unknownDevice(let id):
            return "there is no device \(id); 'satchel-server device list' shows their replica ids"
        case .rebaselineRequired:
            return "the server compacted its history past this laptop's position (it was away for long); "
                + "push your changes, then download a fresh copy (satchel sync does both)"
        }
    }
}
