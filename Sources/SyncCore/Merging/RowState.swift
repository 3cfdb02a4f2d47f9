/// Who wrote a value, and when: the dot, HLC and wall time plus the writer's user and device.
public struct FieldStamp: Hashable, Sendable, Codable {
    public var dot: Dot
    public var hlc: HLCTimestamp
    public var wall: Int64
    public var user: String
    public var device: String

    public init(dot: Dot, hlc: HLCTimestamp, wall: Int64, user: String, device: String) {
        self.dot = dot
        self.hlc = hlc
        self.wall = wall
        self.user = user
        self.device = device
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
