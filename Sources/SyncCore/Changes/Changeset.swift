/// The changes one replica uploads in one push, in counter order.
///
/// A changeset names its replica once; each change's dot is that replica plus the change's
/// counter. Counters in a changeset are strictly increasing, which lets the hub keep one
/// high-water mark per replica and ignore what it has already applied (exactly once).
public struct Changeset: Hashable, Sendable {
    /// The wire format version this type reads and writes.
    public static let formatVersion = 1

    public var replica: ReplicaID
    /// The user the changes were made as (the server replaces it with the authenticated user).
    public var user: String
    /// A human name of the device ("alice-thinkpad").
    public var device: String
    /// The schema version the replica wrote with.
    public var schemaVersion: Int
    public var changes: [Change]

    public init(replica: ReplicaID, user: String, device: String, schemaVersion: Int, changes: [Change]) {
        self.replica = replica
        self.user = user
        self.device = device
        self.schemaVersion = schemaVersion
        self.changes = changes
    }

    /// The first and last counter, or nil for an empty changeset.
    public var counterRange: ClosedRange<UInt64>? {
        guard let first = changes.first?.dot.counter, let last = changes.last?.dot.counter else { return nil }
        return first...last
    }

    /// Checks the structural promises of a changeset: every dot belongs to ``replica`` and the
    /// counters are consecutive (a replica's counters have no holes, so a gap means a lost change).
    public func validateStructure() throws(ChangesetError) {
        var previous: UInt64?
        for change in changes {
            guard change.dot.replica == replica else {
                throw .foreignDot(change.dot, expected: replica)
            }
            guard change.dot.counter >= 1, previous.map({ change.dot.counter == $0 + 1 }) ?? true else {
                throw .countersNotConsecutive(after: previous ?? 0, got: change.dot.counter)
            }
            previous = change.dot.counter
        }
    }
}

/// Errors in reading or checking a changeset.
public enum ChangesetError: Error, Hashable, Sendable, CustomStringConvertible {
    case unsupportedFormat(Int)
    case malformed(String)
    case foreignDot(Dot, expected: ReplicaID)
    case countersNotConsecutive(after: UInt64, got: UInt64)
    case compression(String)
    case tooLarge(limit: Int)

    public var description: String {
        switch self {
        case let .unsupportedFormat(version):
            return "changeset format \(version) is not supported (this build reads format \(Changeset.formatVersion)); "
                + "update satchel"
        case let .malformed(detail):
            return "the changeset is not valid: \(detail)"
        case let .foreignDot(dot, expected):
            return "change \(dot) does not belong to replica \(expected); a replica may only push its own changes"
        case let .countersNotConsecutive(after, got):
            return "change counters must be consecutive and start at 1 or more: \(got) follows \(after)"
        case let .compression(detail):
            return "the compressed data could not be read: \(detail)"
        case let .tooLarge(limit):
            return "the data inflates to more than \(limit) bytes; send it in smaller pieces"
        }
    }
}
