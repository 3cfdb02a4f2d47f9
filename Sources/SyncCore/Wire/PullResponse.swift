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

    public init(rows: [RowSnapshot], cursor: Int64, hasMore: Bool) {
        self.rows = rows
        self.cursor = cursor
        self.hasMore = hasMore
    }
}
