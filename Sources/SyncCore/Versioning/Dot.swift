/// One event in the history of a replica: the replica that made a write and its counter there.
///
/// Counters start at 1 and grow by one with every write a replica captures, so a replica's
/// dots are contiguous and a single high-water mark says which of them a peer has seen.
public struct Dot: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var replica: ReplicaID
    public var counter: UInt64

    public init(replica: ReplicaID, counter: UInt64) {
        self.replica = replica
        self.counter = counter
    }

    public static func < (lhs: Dot, rhs: Dot) -> Bool {
        (lhs.replica, lhs.counter) < (rhs.replica, rhs.counter)
    }

    public var description: String { "\(replica.rawValue):\(counter)" }
}
