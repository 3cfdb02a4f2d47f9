/// Who wrote a value, and when: the dot, HLC and wall time plus the writer's user and device.
public struct FieldStamp: Hashable, Sendable, Codable {
    public var dot: Dot
    public var hlc: HLCTimestamp
    public var wall: Int64
    public var user: String
    public var device: String
    /// For a value a rule combined from concurrent writes (a merged text, a maximum): the other
    /// writes it contains. A later write replaces it as causal only if it has seen all of them,
    /// so nobody overwrites a merge they were never shown.
    public var merged: [Dot]

    public init(dot: Dot, hlc: HLCTimestamp, wall: Int64, user: String, device: String, merged: [Dot] = []) {
        self.dot = dot
        self.hlc = hlc
        self.wall = wall
        self.user = user
        self.device = device
        self.merged = merged
    }

    /// Whether a writer with this causal context has seen the value (every write in it).
    public func isCovered(by context: VersionVector) -> Bool {
        context.covers(dot) && merged.allSatisfy(context.covers)
    }

    private enum CodingKeys: String, CodingKey { case dot, hlc, wall, user, device, merged }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dot = try c.decode(Dot.self, forKey: .dot)
        hlc = try c.decode(HLCTimestamp.self, forKey: .hlc)
        wall = try c.decode(Int64.self, forKey: .wall)
        user = try c.decode(String.self, forKey: .user)
        device = try c.decode(String.self, forKey: .device)
        merged = try c.decodeIfPresent([Dot].self, forKey: .merged) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(dot, forKey: .dot)
        try c.encode(hlc, forKey: .hlc)
        try c.encode(wall, forKey: .wall)
        try c.encode(user, forKey: .user)
        try c.encode(device, forKey: .device)
        if !merged.isEmpty { try c.encode(merged, forKey: .merged) }
    }

    /// Orders stamps for last-writer-wins: HLC first, then replica id.
    public func wins(over other: FieldStamp) -> Bool {
        (hlc, dot.replica) > (other.hlc, other.dot.replica)
    }
}

/// The authoritative state of one row: values, who wrote each, and the row's version vector.
public struct RowState: Hashable, Sendable, Codable {
    public var entity: String
    public var id: String
    public var values: [String: FieldValue]
    /// For every field with a value, the stamp of the write that produced it.
    public var stamps: [String: FieldStamp]
    /// For add-wins set fields: each present member and the dot of the write that added it.
    public var members: [String: [String: Dot]]
    /// Every write applied to or judged against this row.
    public var version: VersionVector
    /// The stamp of the delete, when the row is a tombstone.
    public var deleted: FieldStamp?

    public init(
        entity: String, id: String, values: [String: FieldValue] = [:], stamps: [String: FieldStamp] = [:],
        members: [String: [String: Dot]] = [:], version: VersionVector = VersionVector(), deleted: FieldStamp? = nil
    ) {
        self.entity = entity
        self.id = id
        self.values = values
        self.stamps = stamps
        self.members = members
        self.version = version
        self.deleted = deleted
    }

    public var isDeleted: Bool { deleted != nil }
}
