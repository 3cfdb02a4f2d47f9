/// The authoritative state of one row as a replica receives it.
public struct RowSnapshot: Hashable, Sendable, Codable {
    public var entity: String
    public var id: String
    /// The hub's sequence number of the row's latest change.
    public var seq: Int64
    public var values: [String: FieldValue]
    public var version: VersionVector
    public var deleted: Bool
    /// Who wrote each field's current value, when and from which device (for history).
    public var stamps: [String: FieldStamp]?

    public init(
        entity: String, id: String, seq: Int64, values: [String: FieldValue], version: VersionVector, deleted: Bool,
        stamps: [String: FieldStamp]? = nil
    ) {
        self.entity = entity
        self.id = id
        self.seq = seq
        self.values = values
        self.version = version
        self.deleted = deleted
        self.stamps = stamps
    }

    private enum CodingKeys: String, CodingKey { case entity, id, seq, values, version, deleted, stamps }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        entity = try c.decode(String.self, forKey: .entity)
        id = try c.decode(String.self, forKey: .id)
        seq = try c.decode(Int64.self, forKey: .seq)
        values = try c.decode([String: FieldValue].self, forKey: .values)
        version = try c.decode(VersionVector.self, forKey: .version)
        deleted = try c.decode(Bool.self, forKey: .deleted)
        stamps = try FieldStamps.decode(from: c, forKey: .stamps)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(entity, forKey: .entity)
        try c.encode(id, forKey: .id)
        try c.encode(seq, forKey: .seq)
        try c.encode(values, forKey: .values)
        try c.encode(version, forKey: .version)
        try c.encode(deleted, forKey: .deleted)
        if let stamps { try FieldStamps.encode(stamps, to: &c, forKey: .stamps) }
    }
}

/// One page of a pull: every row changed since the cursor, each once, in sequence order.
///
/// A row that changes again while a replica pages through moves to the end of the feed, so
/// following `cursor` until `hasMore` is false always ends with every row's latest state.
public struct PullResponse: Hashable, Sendable, Codable {
    public var rows: [RowSnapshot]
    /// The cursor to ask from next: the sequence number of the last row in this page.
    public var cursor: Int64
    public var hasMore: Bool
    /// Records that left the reader's scope up to `cursor` (absent when none).
    public var departed: [Departure]?
    /// Records merged into others up to `cursor`, whose ids now lead to the kept ones (absent when none).
    public var redirects: [Redirect]?
    /// The server's high-water mark of the pulling replica: the last of its changes the server
    /// holds. Lower than what the laptop was told before means the server was restored from a
    /// backup; the laptop pushes its kept changes after it again. Absent from in-process pulls.
    public var highWater: UInt64?
    /// Steps of the company's schema after the revision the laptop said it knows (absent when
    /// it is up to date). A laptop applies them before the page's rows, in the same transaction.
    public var schema: SchemaUpdate?

    public init(
        rows: [RowSnapshot], cursor: Int64, hasMore: Bool, departed: [Departure]? = nil, redirects: [Redirect]? = nil,
        highWater: UInt64? = nil, schema: SchemaUpdate? = nil
    ) {
        self.schema = schema
        self.redirects = redirects
        self.highWater = highWater
        self.rows = rows
        self.cursor = cursor
        self.hasMore = hasMore
        self.departed = departed
    }

    private enum CodingKeys: String, CodingKey { case rows, table, cursor, hasMore, departed, redirects, highWater, schema }

    /// Reads either layout of the rows (``PageLayout``): `table` when the page has one.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        rows = try c.decodeIfPresent(RowTable.Decoded.self, forKey: .table)?.rows
            ?? c.decode([RowSnapshot].self, forKey: .rows)
        cursor = try c.decode(Int64.self, forKey: .cursor)
        hasMore = try c.decode(Bool.self, forKey: .hasMore)
        departed = try c.decodeIfPresent([Departure].self, forKey: .departed)
        redirects = try c.decodeIfPresent([Redirect].self, forKey: .redirects)
        highWater = try c.decodeIfPresent(UInt64.self, forKey: .highWater)
        schema = try c.decodeIfPresent(SchemaUpdate.self, forKey: .schema)
    }

    /// Writes the first layout, `rows` (the server writes a `table` page itself).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(rows, forKey: .rows)
        try c.encode(cursor, forKey: .cursor)
        try c.encode(hasMore, forKey: .hasMore)
        try c.encodeIfPresent(departed, forKey: .departed)
        try c.encodeIfPresent(redirects, forKey: .redirects)
        try c.encodeIfPresent(highWater, forKey: .highWater)
        try c.encodeIfPresent(schema, forKey: .schema)
    }
}
