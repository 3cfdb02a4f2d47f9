/// `POST /v1/enroll`: a laptop trades a one-time enrollment token for a device credential.
public struct EnrollRequest: Hashable, Sendable, Codable {
    public var token: String
    /// A human name for the device ("alice-thinkpad").
    public var device: String

    public init(token: String, device: String) {
        self.token = token
        self.device = device
    }
}

/// The answer to an enrollment: who the device belongs to, its replica id and its credential.
public struct EnrollResponse: Hashable, Sendable, Codable {
    public var replica: ReplicaID
    /// The bearer credential for every later request; the server keeps only its hash.
    public var credential: String
    public var user: String
    public var role: String
    public var device: String
    /// The schema version the server speaks.
    public var schema: Int

    public init(replica: ReplicaID, credential: String, user: String, role: String, device: String, schema: Int) {
        self.replica = replica
        self.credential = credential
        self.user = user
        self.role = role
        self.device = device
        self.schema = schema
    }
}

/// One page of a bootstrap: live rows visible to the device as of a fixed snapshot.
///
/// The first page fixes `snapshot` (the feed's sequence number at that moment); later pages ask
/// with `snapshot` and `after`. Once `hasMore` is false the replica pulls from `snapshot` on,
/// which brings whatever changed while it bootstrapped.
public struct BootstrapResponse: Hashable, Sendable, Codable {
    public var rows: [RowSnapshot]
    public var snapshot: Int64
    /// The sequence number of the last row of this page.
    public var after: Int64
    public var hasMore: Bool
    /// Steps of the company's schema the laptop does not know yet (see ``PullResponse/schema``).
    public var schema: SchemaUpdate?

    public init(rows: [RowSnapshot], snapshot: Int64, after: Int64, hasMore: Bool) {
        self.rows = rows
        self.snapshot = snapshot
        self.after = after
        self.hasMore = hasMore
    }

    private enum CodingKeys: String, CodingKey { case rows, table, snapshot, after, hasMore, schema }

    /// Reads either layout of the rows (``PageLayout``): `table` when the page has one.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        rows = try c.decodeIfPresent(RowTable.Decoded.self, forKey: .table)?.rows
            ?? c.decode([RowSnapshot].self, forKey: .rows)
        snapshot = try c.decode(Int64.self, forKey: .snapshot)
        after = try c.decode(Int64.self, forKey: .after)
        hasMore = try c.decode(Bool.self, forKey: .hasMore)
        schema = try c.decodeIfPresent(SchemaUpdate.self, forKey: .schema)
    }

    /// Writes the first layout, `rows` (the server writes a `table` page itself).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(rows, forKey: .rows)
        try c.encode(snapshot, forKey: .snapshot)
        try c.encode(after, forKey: .after)
        try c.encode(hasMore, forKey: .hasMore)
        try c.encodeIfPresent(schema, forKey: .schema)
    }
}
