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

extension RowState {
    private enum CodingKeys: String, CodingKey { case entity, id, values, stamps, members, version, deleted, deletedBy }

    // The JSON is a row snapshot of the wire (entity, id, values, version, deleted, stamps) plus
    // `members` and `deletedBy`, which readers of snapshots ignore: the hub sends a stored state
    // with its sequence number spliced in, without decoding it. Older states, whose `deleted` was
    // the delete's stamp (or absent), are still read.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        entity = try c.decode(String.self, forKey: .entity)
        id = try c.decode(String.self, forKey: .id)
        values = try c.decode([String: FieldValue].self, forKey: .values)
        stamps = try FieldStamps.decode(from: c, forKey: .stamps) ?? [:]
        members = try c.decodeIfPresent([String: [String: Dot]].self, forKey: .members) ?? [:]
        version = try c.decode(VersionVector.self, forKey: .version)
        if let flag = try? c.decodeIfPresent(Bool.self, forKey: .deleted) {
            deleted = flag ? try c.decode(FieldStamp.self, forKey: .deletedBy) : nil
        } else {
            deleted = try c.decodeIfPresent(FieldStamp.self, forKey: .deleted)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(entity, forKey: .entity)
        try c.encode(id, forKey: .id)
        try c.encode(values, forKey: .values)
        try FieldStamps.encode(stamps, to: &c, forKey: .stamps)
        if !members.isEmpty { try c.encode(members, forKey: .members) }
        try c.encode(version, forKey: .version)
        try c.encode(deleted != nil, forKey: .deleted)
        try c.encodeIfPresent(deleted, forKey: .deletedBy)
    }
}

/// A row's field stamps as they are stored and sent: grouped by stamp.
///
/// Most fields of a row share one stamp (the insert or import that created the row), so the
/// stamps travel as a list of groups, each a stamp with the fields it covers:
/// `[{"fields": ["city", "name"], "dot": …, "hlc": …, "wall": …, "user": …, "device": …}]`.
/// A row of twelve fields with one later edit carries two stamps instead of twelve. The older
/// form, an object of field name to stamp, is still read.
public enum FieldStamps {
    struct Group: Codable {
        var fields: [String]
        var stamp: FieldStamp

        private enum CodingKeys: String, CodingKey { case fields }

        init(fields: [String], stamp: FieldStamp) {
            self.fields = fields
            self.stamp = stamp
        }

        init(from decoder: any Decoder) throws {
            fields = try decoder.container(keyedBy: CodingKeys.self).decode([String].self, forKey: .fields)
            stamp = try FieldStamp(from: decoder)
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(fields, forKey: .fields)
            try stamp.encode(to: encoder)
        }
    }

    /// The groups, in a fixed order (by their first field), fields sorted within each.
    static func groups(_ stamps: [String: FieldStamp]) -> [Group] {
        // A row has a few distinct stamps, usually one to three: comparing with each group found
        // so far costs less than hashing every stamp's strings.
        var groups: [Group] = []
        for (field, stamp) in stamps {
            if let index = groups.firstIndex(where: { $0.stamp == stamp }) {
                groups[index].fields.append(field)
            } else {
                groups.append(Group(fields: [field], stamp: stamp))
            }
        }
        for index in groups.indices { groups[index].fields.sort() }
        return groups.sorted { $0.fields[0] < $1.fields[0] }
    }

    public static func encode<Key: CodingKey>(
        _ stamps: [String: FieldStamp], to container: inout KeyedEncodingContainer<Key>, forKey key: Key
    ) throws {
        try container.encode(groups(stamps), forKey: key)
    }

    /// Reads either form; nil when the key is absent or null.
    public static func decode<Key: CodingKey>(from container: KeyedDecodingContainer<Key>, forKey key: Key) throws
        -> [String: FieldStamp]?
    {
        guard container.contains(key), try !container.decodeNil(forKey: key) else { return nil }
        if let groups = try? container.decode([Group].self, forKey: key) {
            var stamps: [String: FieldStamp] = [:]
            for group in groups {
                for field in group.fields { stamps[field] = group.stamp }
            }
            return stamps
        }
        return try container.decode([String: FieldStamp].self, forKey: key)
    }
}

extension FieldStamps {
    /// A row's stamps as one value, encoded grouped (see ``FieldStamps``); either form decodes.
    public struct Map: Codable, Hashable, Sendable {
        public var stamps: [String: FieldStamp]

        public init(_ stamps: [String: FieldStamp]) { self.stamps = stamps }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let groups = try? container.decode([Group].self) {
                var stamps: [String: FieldStamp] = [:]
                for group in groups {
                    for field in group.fields { stamps[field] = group.stamp }
                }
                self.stamps = stamps
            } else {
                stamps = try container.decode([String: FieldStamp].self)
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(FieldStamps.groups(stamps))
        }
    }
}
