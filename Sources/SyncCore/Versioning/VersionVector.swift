/// How two version vectors, or the events they summarise, relate causally.
public enum CausalOrder: String, Sendable, Hashable {
    /// Both have seen exactly the same events.
    case equal
    /// The left side has seen a strict subset of the right side's events.
    case before
    /// The left side has seen a strict superset of the right side's events.
    case after
    /// Each side has seen an event the other has not.
    case concurrent
}

/// A version vector that summarises which writes of which replicas a row (or a writer) has seen.
///
/// For every replica it holds the highest counter seen; since a replica's counters are
/// contiguous, that one number stands for all of its earlier writes. Comparing two vectors
/// tells whether one history contains the other or whether they are concurrent; a clock is
/// never consulted for that.
///
/// ```swift
/// var a = VersionVector()
/// a.record(Dot(replica: alice, counter: 3))
/// let b = VersionVector([bob: 1])
/// a.compare(to: b)                                   // .concurrent
/// a.covers(Dot(replica: alice, counter: 2))          // true
/// ```
public struct VersionVector: Hashable, Sendable, CustomStringConvertible {
    public private(set) var counters: [ReplicaID: UInt64]

    public init(_ counters: [ReplicaID: UInt64] = [:]) {
        self.counters = counters.filter { $0.value > 0 }
    }

    /// The highest counter seen from `replica`, or 0.
    public subscript(replica: ReplicaID) -> UInt64 {
        counters[replica] ?? 0
    }

    /// Returns whether the history summarised here includes `dot`.
    public func covers(_ dot: Dot) -> Bool {
        self[dot.replica] >= dot.counter
    }

    /// Records one event.
    public mutating func record(_ dot: Dot) {
        if dot.counter > self[dot.replica] {
            counters[dot.replica] = dot.counter
        }
    }

    /// Merges another vector into this one (the pointwise maximum).
    public mutating func merge(_ other: VersionVector) {
        for (replica, counter) in other.counters where counter > self[replica] {
            counters[replica] = counter
        }
    }

    /// Returns the pointwise maximum of two vectors.
    public func merging(_ other: VersionVector) -> VersionVector {
        var copy = self
        copy.merge(other)
        return copy
    }

    /// Compares two histories.
    public func compare(to other: VersionVector) -> CausalOrder {
        var someLess = false
        var someGreater = false
        for replica in Set(counters.keys).union(other.counters.keys) {
            let mine = self[replica]
            let theirs = other[replica]
            if mine < theirs { someLess = true }
            if mine > theirs { someGreater = true }
            if someLess && someGreater { return .concurrent }
        }
        switch (someLess, someGreater) {
        case (false, false): return .equal
        case (true, false): return .before
        case (false, true): return .after
        case (true, true): return .concurrent
        }
    }

    public var isEmpty: Bool { counters.isEmpty }

    public var description: String {
        "{" + counters.sorted { $0.key < $1.key }.map { "\($0.key.rawValue):\($0.value)" }.joined(separator: ", ") + "}"
    }
}

// MARK: - Codable

extension VersionVector: Codable {
    /// Encodes as a JSON object from replica id to counter.
    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode([String: UInt64].self)
        var counters: [ReplicaID: UInt64] = [:]
        for (key, value) in raw {
            guard ReplicaID.isValid(key) else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: "a replica id is 1 to 64 characters"))
            }
            counters[ReplicaID(key)] = value
        }
        self.init(counters)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Dictionary(uniqueKeysWithValues: counters.map { ($0.key.rawValue, $0.value) }))
    }
}

extension VersionVector {
    /// This context as far as it can be believed for the change `dot`: each other replica's entry
    /// cut to `seen(replica)` (what the receiver holds of it; 0 drops the entry), the writer's own
    /// entry cut to the change before `dot`.
    public func clamped(for dot: Dot, seen: (ReplicaID) throws -> UInt64) rethrows -> VersionVector {
        var bounded: [ReplicaID: UInt64] = [:]
        for (replica, counter) in counters {
            let limit = replica == dot.replica ? dot.counter - 1 : try seen(replica)
            let kept = Swift.min(counter, limit)
            if kept > 0 { bounded[replica] = kept }
        }
        return bounded == counters ? self : VersionVector(bounded)
    }
}
