/// One event in a record's life, as the server recorded it: a change someone pushed and what
/// became of it, or something the server itself did (a resolution, a transfer, an import, a
/// placement).
public struct HistoryEntry: Hashable, Sendable, Codable {
    public enum Kind: String, Hashable, Sendable, Codable {
        /// A change a replica pushed; `outcome` says what became of it.
        case change
        /// An admin settled a queued conflict; `value` is what the field holds now.
        case resolution
        /// The record's account moved to another owner.
        case transfer
        /// Two records found to be the same were merged: this one kept, merged away, or moved
        /// from one to the other.
        case merge
        /// The record came in through an import.
        case `import`
        /// The server set a field itself (an account a rep created placed in their territory).
        case server
    }

    public var kind: Kind
    /// When the server recorded it, Unix milliseconds.
    public var at: Int64
    public var user: String
    public var device: String
    /// A change's writer clock, Unix milliseconds, and its hybrid logical clock.
    public var wall: Int64?
    public var hlc: HLCTimestamp?
    /// `insert`, `update` or `delete`.
    public var op: String?
    public var field: String?
    /// The value written (an update or a resolution).
    public var value: FieldValue?
    /// The values an insert wrote.
    public var values: [String: FieldValue]?
    /// A change's outcome: `applied`, `merged`, `queued` or `rejected`.
    public var outcome: String?
    /// Why: the rule that merged it, the conflict's explanation, the refusal's reason, the transfer.
    public var detail: String?

    public init(
        kind: Kind, at: Int64, user: String, device: String, wall: Int64? = nil, hlc: HLCTimestamp? = nil, op: String? = nil,
        field: String? = nil, value: FieldValue? = nil, values: [String: FieldValue]? = nil, outcome: String? = nil,
        detail: String? = nil
    ) {
        self.kind = kind
        self.at = at
        self.user = user
        self.device = device
        self.wall = wall
        self.hlc = hlc
        self.op = op
        self.field = field
        self.value = value
        self.values = values
        self.outcome = outcome
        self.detail = detail
    }
}

/// `GET /v1/history/{entity}/{id}`: every recorded event of one record, oldest first.
public struct HistoryResponse: Hashable, Sendable, Codable {
    public var entity: String
    public var id: String
    public var entries: [HistoryEntry]

    public init(entity: String, id: String, entries: [HistoryEntry]) {
        self.entity = entity
        self.id = id
        self.entries = entries
    }
}

/// A record merged into another: its id now leads to the kept record (in a pull page's `redirects`).
public struct Redirect: Hashable, Sendable, Codable {
    public var entity: String
    public var from: String
    public var to: String

    public init(entity: String, from: String, to: String) {
        self.entity = entity
        self.from = from
        self.to = to
    }
}

/// A record that left the reader's scope since its cursor (in a pull page's `departed`): its
/// holder changed, so the reader's replica drops it and everything under it, and says so.
public struct Departure: Hashable, Sendable, Codable {
    /// The root record that moved (the row everything else hangs under).
    public var entity: String
    public var id: String
    public var title: String
    /// Who holds it now, and who moved it.
    public var to: String
    public var by: String
    /// The feed position of the move.
    public var seq: Int64

    public init(entity: String, id: String, title: String, to: String, by: String, seq: Int64) {
        self.entity = entity
        self.id = id
        self.title = title
        self.to = to
        self.by = by
        self.seq = seq
    }
}
