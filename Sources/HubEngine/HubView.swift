import SyncCore

/// What the planner reads of the hub's committed store: rows, where roots sit, what each replica
/// has pushed and been answered, and the duplicate-key index.
///
/// A store answers from its own transaction; the planner layers the writes it is planning on top
/// (``PlanDraft``), so a view never sees a plan. Every method is a point lookup or a bounded
/// range, shaped so that SQLite and PostgreSQL each answer it with one indexed query.
public protocol HubView {
    /// The stored state of `entity/id`, tombstones included.
    func row(_ entity: String, id: String) throws -> RowState?
    /// The root the stored row `entity/id` hangs under: nil when the hub holds no such row,
    /// `.some(nil)` when it holds one under no root.
    func storedRoot(_ entity: String, id: String) throws -> String??
    /// Where the stored root `id` sits; nil when the hub holds no such root.
    func location(ofRoot id: String) throws -> Placement.Location?
    /// Where root `id` sat before each transfer moved it.
    func formerLocations(ofRoot id: String) throws -> [Placement.Location]
    /// The rows stored under root `id` (itself left out), as `(entity, id)`.
    func rows(under root: String) throws -> [(entity: String, id: String)]
    /// Where the id of a merged-away record of `entity` leads now.
    func redirect(_ entity: String, id: String) throws -> String?
    /// The highest counter of `replica` the hub has processed.
    func highWater(of replica: ReplicaID) throws -> UInt64
    /// The stored answer to change `counter` of `replica` (nil when none is stored).
    func outcome(of replica: ReplicaID, counter: UInt64) throws -> MergeOutcome?
    /// Of `replica`'s changes at or below `counter`, newest first, the lowest counter of the run
    /// that became visible after feed position `sentTo` (so a page sent up to there could not
    /// carry them); nil when the newest such change had been visible by then.
    func oldestUnsent(of replica: ReplicaID, atOrBelow counter: UInt64, sentTo: Int64) throws -> UInt64?
    /// The queue item `id`, open or settled; nil when the queue holds none.
    func conflict(_ id: String) throws -> QueuedConflict?
    /// The hub's own replica id, counter and clock, and the feed's end.
    func meta() throws -> HubMeta
    /// Ids of live rows of `entity` filed under `key`, other than `excluding`: at most `limit`.
    func rows(_ entity: String, filedUnder key: DuplicateKey, excluding id: String, limit: Int) throws -> [String]
    /// Ids of live rows of `entity` whose field `field` holds the text `value` (the rows a
    /// reference names), in id order.
    func rows(_ entity: String, where field: String, is value: String) throws -> [String]
    /// The merges whose kept record is `entity/id` (every id that leads there now).
    func redirects(_ entity: String, to id: String) throws -> [Redirection]
    /// The open queue items of `kind` about rows of `entity`, oldest first.
    func openConflicts(_ entity: String, kind: Conflict.Kind) throws -> [QueuedConflict]
}

/// A merged-away record's id and the record it leads to now.
public struct Redirection: Hashable, Sendable {
    public var entity: String
    public var from: String
    public var to: String
    /// When and by whom the record was merged away.
    public var mergedAt: Int64
    public var mergedBy: String

    public init(entity: String, from: String, to: String, mergedAt: Int64, mergedBy: String) {
        self.entity = entity
        self.from = from
        self.to = to
        self.mergedAt = mergedAt
        self.mergedBy = mergedBy
    }
}

/// The hub's own counters: its replica id and last counter (its changes are dots like any
/// replica's), its hybrid clock, and the last position handed out in the feed.
public struct HubMeta: Hashable, Sendable {
    public var replica: ReplicaID
    public var counter: UInt64
    public var hlc: HLCTimestamp
    public var seq: Int64

    public init(replica: ReplicaID, counter: UInt64, hlc: HLCTimestamp, seq: Int64) {
        self.replica = replica
        self.counter = counter
        self.hlc = hlc
        self.seq = seq
    }
}
