import Foundation
import HubEngine
import SatchelModel
import SyncCore

/// The hub: every row's merged state, the change feed replicas pull, the conflict queue, the
/// directory of users and devices, and the per-replica high-water marks that make pushes
/// exactly-once, kept by a ``HubStorage``.
///
/// The service is the hub's policy over its storage: the planner decides every write of a push,
/// a merge, a resolution, a transfer and an import; the service decides what a page carries and
/// who may see what, checks the directory's rules and writes each admin action's audit entry;
/// the storage loads, applies and answers. Each public method is one transaction: a push is
/// applied whole or not at all.
///
/// The embedded store is SQLite (``Hub``, this service over ``SQLiteHubStorage``); tests and
/// simulations use one in memory.
///
/// ```swift
/// let hub = try Hub.inMemory(schema: CRMSchema.schema)
/// let response = try hub.push(changeset, as: Writer(user: "alice", device: "laptop", isPrivileged: false))
/// let page = try hub.pull(since: 0, limit: 500, for: changeset.replica)
/// ```
public struct HubService<Storage: HubStorage>: Sendable {
    public let storage: Storage
    /// The built-in schema, as this release declares it. The schema each operation runs under is
    /// this one with the company's published steps (``currentSchema()``), read in the operation's
    /// own transaction, so every server of a shared store knows a field the moment it is added.
    public let schema: Schema
    /// The built-in schema with the company's steps, for the revision last read.
    let schemas: SchemaCache
    /// How far each device has pulled and been sent, kept in memory and written with the next write.
    let pullMarks = PullMarks()
    /// The feed's end when this hub was opened: a laptop may have been sent anything up to it by
    /// an earlier process whose marks did not reach the storage.
    let openedAt: Int64
    let clock: WallClock
    /// How far ahead of the hub's clock a change's HLC may be before it is refused.
    public let maxClockDrift: Int64

    /// A hub over `storage`, whose schema is already migrated.
    public init(
        storage: Storage, schema: Schema, clock: @escaping WallClock = systemWallClock,
        maxClockDrift: Int64 = HybridClock.defaultMaxForwardDrift
    ) throws {
        self.storage = storage
        self.schema = schema
        self.schemas = SchemaCache(builtIn: schema)
        self.clock = clock
        self.maxClockDrift = maxClockDrift
        openedAt = try storage.read { try $0.meta().seq }
        try upgradeStoredRows()
    }

    // MARK: - Transactions

    /// A draft over `reader`, for one operation. The feed's positions never fall below the
    /// hub's clock in microseconds (``PlanDraft/nextSeq()`` says why).
    func draft(_ reader: Storage.Reader) throws -> PlanDraft {
        try PlanDraft(view: reader, schema: schemas.schema(reader), wallMicros: clock() * 1000)
    }

    /// The sync policy for an operation planned in `draft`, under the draft's schema.
    func planner(_ draft: PlanDraft) -> HubPlanner {
        HubPlanner(schema: draft.schema, maxClockDrift: maxClockDrift)
    }

    /// The built-in schema with every step the company has published.
    public func currentSchema() throws -> Schema {
        try storage.read { try schemas.schema($0) }
    }

    /// Plans one operation with a fresh draft and writes its plan, with `audit` when given, in
    /// one transaction.
    func planned<T>(audit: AuditWrite? = nil, _ body: (PlanDraft, Storage.Reader) throws -> T) throws -> T {
        try storage.write { reader in
            let draft = try draft(reader)
            let result = try body(draft, reader)
            return (result, HubWrites(plan: draft.plan, audit: audit.map { [$0] } ?? []))
        }
    }

    /// The pull marks waiting to be written, taken for the transaction about to write them.
    func takeMarks(into writes: inout HubWrites) {
        let taken = pullMarks.take()
        writes.pulled = taken.pulled
        if !taken.pulled.isEmpty { writes.pulledAt = clock() }
        writes.sent = taken.sent
    }

    // MARK: - Reading

    /// The hub's own replica id (the resolver's dots carry it).
    public func replicaID() throws -> ReplicaID {
        try storage.read { try $0.meta().replica }
    }

    /// The stored state of a row, tombstones included.
    public func row(_ entity: String, id: String) throws -> RowState? {
        try storage.read { try $0.row(entity, id: id) }
    }

    /// The stored row as replicas receive it, with its sequence number in the feed.
    public func snapshot(_ entity: String, id: String) throws -> RowSnapshot? {
        try storage.read { try $0.feedRow(entity, id: id).map(Self.snapshot) }
    }

    /// Every live row of `entity`, ordered by id.
    public func liveRows(_ entity: String) throws -> [RowState] {
        try storage.read { try $0.liveRows(entity) }
    }

    /// The high-water mark of `replica`: the highest counter the hub has processed.
    public func highWater(of replica: ReplicaID) throws -> UInt64 {
        try storage.read { try $0.highWater(of: replica) }
    }

    /// Where a merged-away record's id leads now (nil when it was never merged).
    public func redirect(_ entity: String, id: String) throws -> String? {
        try storage.read { try $0.redirect(entity, id: id) }
    }

    /// Whether `scope` covers the root `rootID` (a root the hub has not stored yet is in scope:
    /// it is being created by this push, and placed by its own values).
    static func scope(_ scope: ReadScope, covers rootID: String?, reader: Storage.Reader) throws -> Bool {
        if scope.everything { return true }
        guard let rootID else { return false }
        guard let location = try reader.location(ofRoot: rootID) else { return true }
        return scope.contains(location)
    }

    static func snapshot(_ row: FeedRow) throws -> RowSnapshot {
        let state = try WireJSON.decode(RowState.self, fromText: row.state)
        return RowSnapshot(
            entity: state.entity, id: state.id, seq: row.seq, values: state.values, version: state.version,
            deleted: state.isDeleted, stamps: state.stamps)
    }
}

/// The schema with the company's steps, rebuilt only when the store's revision moves.
final class SchemaCache: @unchecked Sendable {
    let builtIn: Schema
    private let lock = NSLock()
    private var current: Schema

    init(builtIn: Schema) {
        self.builtIn = builtIn
        self.current = builtIn
    }

    /// The schema at the revision `reader` sees.
    func schema(_ reader: some HubReader) throws -> Schema {
        let revision = try reader.schemaRevision()
        if let known = lock.withLock({ current.revision == revision ? current : nil }) { return known }
        let schema = builtIn.applying(try reader.schemaSteps())
        lock.withLock {
            // Another transaction may have read a later revision meanwhile; keep the later one.
            if schema.revision >= current.revision { current = schema }
        }
        return schema
    }
}
