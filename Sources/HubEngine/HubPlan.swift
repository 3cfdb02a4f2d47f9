import SyncCore

/// Everything one hub operation writes, decided before anything is written: the store applies
/// it in one transaction, or not at all.
///
/// Positions in the feed are decided here too (each row write carries its `seq`), so a store
/// writes exactly what it is given and answers nothing of its own.
public struct HubPlan: Sendable {
    /// A row's new state, where it sits, and the keys it is filed under for duplicate search.
    public struct RowWrite: Sendable {
        public var state: RowState
        /// Its position in the feed.
        public var seq: Int64
        /// The root it hangs under (nil when the schema places nothing or its chain names none).
        public var root: String?
        /// For a root, where it now sits (the store keeps roots' places apart for scope queries).
        public var location: Placement.Location?
        /// The duplicate keys of a live row; empty for a tombstone.
        public var keys: Set<DuplicateKey>
        /// Whether the row's entity declares a duplicate matcher, so its filing is replaced by
        /// `keys`; without one the row was never filed and there is nothing to replace.
        public var refile: Bool
    }

    /// The answer stored for a change, returned again when the change is pushed again.
    public struct OutcomeWrite: Sendable {
        public var replica: ReplicaID
        public var counter: UInt64
        public var outcome: MergeOutcome
        /// The first feed position from which a page could carry the change's effect.
        public var visibleAt: Int64
    }

    /// A conflict for the queue (kept when the queue already holds one with its id).
    public struct ConflictWrite: Sendable {
        public var conflict: Conflict
        public var createdAt: Int64
    }

    /// A row sent again, unchanged, at a new position of the feed (everything under a
    /// transferred root, so its new holders pull it), and filed under another root when its
    /// chain now leads there (rows under a root merged into another).
    public struct Resend: Sendable {
        public var entity: String
        public var id: String
        public var seq: Int64
        /// The root it now hangs under; nil when that does not change.
        public var root: String?
    }

    /// A merged-away record's id leading to the record it was merged into, at a position of the
    /// feed (so replicas that may see the kept record learn it).
    public struct RedirectWrite: Sendable {
        public var redirection: Redirection
        public var seq: Int64
    }

    /// Where a root sat before a transfer moved it: its former holders' work is still taken
    /// (queued for the new holder), and their laptops learn that it left them.
    public struct Departure: Sendable {
        public var root: String
        public var from: Placement.Location
        public var until: Int64
        /// The feed position of the transfer.
        public var seq: Int64
        public var newOwner: String
        public var movedBy: String

        public init(root: String, from: Placement.Location, until: Int64, seq: Int64, newOwner: String, movedBy: String) {
            self.root = root
            self.from = from
            self.until = until
            self.seq = seq
            self.newOwner = newOwner
            self.movedBy = movedBy
        }
    }

    /// A queue item settled by an admin's choice.
    public struct Settlement: Sendable {
        public var id: String
        public var choice: ConflictChoice
        public var by: String
        public var at: Int64
    }

    /// An entry of a record's history, in the order written.
    public struct HistoryWrite: Sendable {
        public var entity: String
        public var id: String
        public var entry: HistoryEntry
    }

    /// How far a replica's changes have been processed, and by whom it was last pushed.
    public struct ReplicaMark: Sendable {
        public var replica: ReplicaID
        public var highWater: UInt64
        public var user: String
        public var device: String
        public var at: Int64
    }

    /// Row writes in feed order, each row at most once (its last state).
    public internal(set) var rows: [RowWrite] = []
    public internal(set) var outcomes: [OutcomeWrite] = []
    public internal(set) var conflicts: [ConflictWrite] = []
    public internal(set) var settlements: [Settlement] = []
    public internal(set) var resends: [Resend] = []
    public internal(set) var departures: [Departure] = []
    public internal(set) var redirects: [RedirectWrite] = []
    public internal(set) var history: [HistoryWrite] = []
    public internal(set) var replicaMarks: [ReplicaMark] = []
    /// The hub's counters after the plan; nil when the plan leaves them as they were.
    public internal(set) var meta: HubMeta?

    public init() {}

    /// Whether applying the plan would change nothing.
    public var isEmpty: Bool {
        rows.isEmpty && outcomes.isEmpty && conflicts.isEmpty && settlements.isEmpty && resends.isEmpty && departures.isEmpty && redirects.isEmpty
            && history.isEmpty && replicaMarks.isEmpty && meta == nil
    }
}
