import Foundation
import HubEngine
import HubStore
import SatchelModel
import SyncCore

/// A hub store in dictionaries: the planner's view answered from memory and its plans applied
/// to memory. It is what the planner's tests run against, and the smallest second backend: what
/// it must do is all a store must do for a push.
public final class MemoryHubStore: HubView, @unchecked Sendable {
    public struct StoredRow: Sendable {
        public var state: RowState
        public var seq: Int64
        public var root: String?
        public var keys: Set<DuplicateKey>
    }

    public let schema: Schema
    public let planner: HubPlanner
    public internal(set) var rows: [String: StoredRow] = [:]
    public internal(set) var locations: [String: Placement.Location] = [:]
    public var former: [String: [Placement.Location]] = [:]
    /// Merged-away ids and where they lead, by `entity/id`.
    public internal(set) var redirects: [String: (redirection: Redirection, seq: Int64)] = [:]
    public internal(set) var highWaters: [ReplicaID: UInt64] = [:]
    public internal(set) var outcomes: [ReplicaID: [UInt64: (outcome: MergeOutcome, visibleAt: Int64)]] = [:]
    public internal(set) var conflicts: [String: QueuedConflict] = [:]
    public internal(set) var history: [HubPlan.HistoryWrite] = []
    public internal(set) var hub: HubMeta
    /// Every transfer's departure, in feed order (what pull pages report as `departed`).
    public internal(set) var departures: [HubPlan.Departure] = []
    /// How far the feed was sent to each replica (the bound of its next push's context).
    public internal(set) var sent: [ReplicaID: Int64] = [:]
    /// The directory, as ``HubService`` keeps it through this store (see `MemoryHubStore+Storage`).
    public internal(set) var userRecords: [String: UserRecord] = [:]
    public internal(set) var deviceRecords: [ReplicaID: DeviceRecord] = [:]
    /// When each replica last pushed.
    public internal(set) var lastPushes: [ReplicaID: Int64] = [:]
    /// Console sessions by the hash of their id, and the pushes tallied per day.
    public internal(set) var sessions: [String: ConsoleSession] = [:]
    public internal(set) var activityDays: [Int64: ActivityDay] = [:]
    /// The company's published schema steps, by revision.
    public internal(set) var schemaLog: [PublishedStep] = []
    /// The release schema version the rows are written in.
    public internal(set) var storedVersion: Int
    /// The admin actions, oldest first.
    public internal(set) var audit: [AuditEntry] = []
    /// The highest feed position whose tombstones were purged.
    public internal(set) var compacted: Int64 = 0
    /// Serialises transactions when a ``HubService`` runs over this store.
    let lock = NSLock()
    /// Attachments' bytes, in memory too.
    public let blobs: any BlobStorage = MemoryBlobStorage()
    /// The wall clock in microseconds the next plan is made at.
    public var wallMicros: Int64 = 1
    /// The wall clock in milliseconds, for the operations that take no explicit `now`.
    public let clock: @Sendable () -> Int64

    public init(
        schema: Schema, replica: ReplicaID = ReplicaID("hub"), maxClockDrift: Int64 = HybridClock.defaultMaxForwardDrift,
        clock: @escaping @Sendable () -> Int64 = { 1 }
    ) {
        self.schema = schema
        self.storedVersion = schema.version
        self.planner = HubPlanner(schema: schema, maxClockDrift: maxClockDrift)
        self.hub = HubMeta(replica: replica, counter: 0, hlc: .zero, seq: 0)
        self.clock = clock
    }

    // MARK: - HubView

    public func row(_ entity: String, id: String) -> RowState? { rows[entity + "/" + id]?.state }

    public func storedRoot(_ entity: String, id: String) -> String?? {
        guard let row = rows[entity + "/" + id] else { return nil }
        return .some(row.root)
    }

    public func location(ofRoot id: String) -> Placement.Location? { locations[id] }
    public func formerLocations(ofRoot id: String) -> [Placement.Location] { former[id] ?? [] }
    public func rows(under root: String) -> [(entity: String, id: String)] {
        rows.values.filter { $0.root == root && !($0.state.entity == schema.placement?.root && $0.state.id == root) }
            .map { (entity: $0.state.entity, id: $0.state.id) }.sorted { ($0.entity, $0.id) < ($1.entity, $1.id) }
    }

    public func redirect(_ entity: String, id: String) -> String? { redirects[entity + "/" + id]?.redirection.to }
    public func highWater(of replica: ReplicaID) -> UInt64 { highWaters[replica] ?? 0 }
    public func outcome(of replica: ReplicaID, counter: UInt64) -> MergeOutcome? { outcomes[replica]?[counter]?.outcome }

    public func oldestUnsent(of replica: ReplicaID, atOrBelow counter: UInt64, sentTo: Int64) -> UInt64? {
        var oldest: UInt64?
        for (stored, entry) in (outcomes[replica] ?? [:]).sorted(by: { $0.key > $1.key }) where stored <= counter {
            if entry.visibleAt <= sentTo { break }
            oldest = stored
        }
        return oldest
    }

    public func conflict(_ id: String) -> QueuedConflict? { conflicts[id] }
    public func meta() -> HubMeta { hub }

    /// This store publishes no schema step: its schema is the built-in one.
    public func currentSchema() -> Schema { schema }

    public func rows(_ entity: String, filedUnder key: DuplicateKey, excluding id: String, limit: Int) -> [String] {
        Array(
            rows.values.filter { $0.state.entity == entity && $0.state.id != id && $0.keys.contains(key) }
                .map(\.state.id).sorted().prefix(limit))
    }

    public func values(_ entity: String, field: String) -> Set<String> {
        Set(rows.values.filter { $0.state.entity == entity }.compactMap { $0.state.values[field]?.textValue })
    }

    public func rows(_ entity: String, where field: String, is value: String) -> [String] {
        rows.values.filter { $0.state.entity == entity && !$0.state.isDeleted && $0.state.values[field]?.textValue == value }
            .map(\.state.id).sorted()
    }

    public func redirects(_ entity: String, to id: String) -> [Redirection] {
        redirects.values.map(\.redirection).filter { $0.entity == entity && $0.to == id }.sorted { $0.from < $1.from }
    }

    public func openConflicts(_ entity: String, kind: Conflict.Kind) -> [QueuedConflict] {
        conflicts(includeResolved: false).filter { $0.conflict.entity == entity && $0.conflict.kind == kind }
    }

    // MARK: - Applying plans

    public func apply(_ plan: HubPlan) {
        for write in plan.rows {
            rows[write.state.entity + "/" + write.state.id] = StoredRow(
                state: write.state, seq: write.seq, root: write.root, keys: write.keys)
            if let location = write.location { locations[write.state.id] = location }
        }
        for write in plan.outcomes {
            outcomes[write.replica, default: [:]][write.counter] = (write.outcome, write.visibleAt)
        }
        for write in plan.conflicts where conflicts[write.conflict.id] == nil {
            conflicts[write.conflict.id] = QueuedConflict(conflict: write.conflict, isOpen: true, createdAt: write.createdAt)
        }
        for settled in plan.settlements {
            conflicts[settled.id]?.isOpen = false
            conflicts[settled.id]?.resolution = settled.choice
            conflicts[settled.id]?.resolvedBy = settled.by
            conflicts[settled.id]?.resolvedAt = settled.at
        }
        for resend in plan.resends {
            rows[resend.entity + "/" + resend.id]?.seq = resend.seq
            if let root = resend.root { rows[resend.entity + "/" + resend.id]?.root = root }
        }
        for write in plan.redirects {
            redirects[write.redirection.entity + "/" + write.redirection.from] = (write.redirection, write.seq)
        }
        for departure in plan.departures {
            former[departure.root, default: []].append(departure.from)
            departures.append(departure)
        }
        history += plan.history
        for mark in plan.replicaMarks { highWaters[mark.replica] = mark.highWater }
        if let meta = plan.meta { hub = meta }
    }

    /// Plans a resolution against this store and applies the plan (or nothing, when it throws).
    @discardableResult
    public func resolve(_ id: String, choice: ConflictChoice, by resolver: String, now: Int64) throws -> RowState? {
        let draft = try PlanDraft(view: self, schema: schema, wallMicros: wallMicros)
        let result = try planner.resolve(id, choice: choice, by: resolver, now: now, into: draft)
        apply(draft.plan)
        return result
    }

    /// Plans a transfer against this store and applies the plan (or nothing, when it throws).
    @discardableResult
    public func transfer(_ id: String, to user: String, territories: [String], by admin: String, now: Int64) throws
        -> RowState?
    {
        let draft = try PlanDraft(view: self, schema: schema, wallMicros: wallMicros)
        let result = try planner.transfer(id, to: user, territories: territories, by: admin, now: now, into: draft)
        apply(draft.plan)
        return result
    }

    /// Plans a merge of two records against this store and applies the plan (or nothing, when it
    /// throws). `territories` answers which territories a user holds.
    @discardableResult
    public func mergeRecords(
        _ entity: String, keep: String, merge other: String, take: [String] = [], by admin: String, now: Int64,
        territories: [String: [String]] = [:]
    ) throws -> MergeReport {
        let draft = try PlanDraft(view: self, schema: schema, wallMicros: wallMicros)
        let report = try planner.mergeRecords(
            entity, keep: keep, merge: other, take: take, by: admin, now: now, territories: { territories[$0] },
            into: draft)
        apply(draft.plan)
        return report
    }

    /// Plans an import against this store and applies the plan (or nothing, when it throws).
    @discardableResult
    public func importRecords(_ records: [ImportRecord], by user: String = "import", now: Int64, skipBad: Bool = false)
        throws -> ImportReport
    {
        let draft = try PlanDraft(view: self, schema: schema, wallMicros: wallMicros)
        let report = try planner.importRecords(records, by: user, now: now, skipBad: skipBad, into: draft)
        apply(draft.plan)
        return report
    }

    /// Plans a push against this store and applies the plan (or nothing, when planning throws).
    @discardableResult
    public func push(
        _ changeset: Changeset, as writer: Writer, scope: ReadScope = .all, homeTerritory: String? = nil, now: Int64,
        sentTo: Int64 = .max
    ) throws -> PushResponse {
        let draft = try PlanDraft(view: self, schema: schema, wallMicros: wallMicros)
        let response = try planner.push(
            changeset, as: writer, scope: scope, homeTerritory: homeTerritory, now: now, sentTo: sentTo, into: draft)
        apply(draft.plan)
        return response
    }

    // MARK: - The operations a server answers, at the clock's time

    /// A push at the clock's time, its context believed up to what was sent to its replica.
    public func push(
        _ changeset: Changeset, as writer: Writer, scope: ReadScope = .all, homeTerritory: String? = nil
    ) throws -> PushResponse {
        let now = clock()
        wallMicros = max(wallMicros, now * 1000)
        return try push(
            changeset, as: writer, scope: scope, homeTerritory: homeTerritory, now: now,
            sentTo: sent[changeset.replica] ?? 0)
    }

    /// A resolution at the clock's time (`device` names who acted for an audit trail, which this
    /// store does not keep).
    @discardableResult
    public func resolve(_ id: String, choice: ConflictChoice, by resolver: String, from device: String) throws -> RowState? {
        let now = clock()
        wallMicros = max(wallMicros, now * 1000)
        return try resolve(id, choice: choice, by: resolver, now: now)
    }

    /// The rows in `scope` changed since `cursor`, each once with its latest state, in feed
    /// order, with the roots that left the scope in the same range: what the SQLite hub's pull
    /// answers, read from memory.
    public func pull(
        since cursor: Int64, limit: Int = 500, scope: ReadScope = .all, for reader: ReplicaID?, knownSchema: Int = 0
    ) -> PullResponse {
        let limit = max(1, limit)
        let changed = rows.values.filter { $0.seq > cursor && covers(scope, root: $0.root) }.sorted { $0.seq < $1.seq }
        let page = Array(changed.prefix(limit))
        let hasMore = changed.count > limit
        let end = hasMore ? (page.last?.seq ?? cursor) : max(cursor, hub.seq)
        if let reader { sent[reader] = max(sent[reader] ?? 0, end) }
        let departed = departed(from: scope, after: cursor, upTo: end)
        return PullResponse(
            rows: page.map { row in
                RowSnapshot(
                    entity: row.state.entity, id: row.state.id, seq: row.seq, values: row.state.values,
                    version: row.state.version, deleted: row.state.isDeleted, stamps: row.state.stamps)
            },
            cursor: end, hasMore: hasMore, departed: departed.isEmpty ? nil : departed,
            schema: schemaLog.last.map { $0.revision > knownSchema ? SchemaUpdate(revision: $0.revision, steps: schemaLog.filter { $0.revision > knownSchema }) : nil } ?? nil)
    }

    /// The queue, oldest first; only open items unless `includeResolved`.
    public func conflicts(includeResolved: Bool = false) -> [QueuedConflict] {
        conflicts.values.filter { includeResolved || $0.isOpen }
            .sorted { ($0.createdAt, $0.conflict.id) < ($1.createdAt, $1.conflict.id) }
    }

    /// Checks what must hold whatever was applied: feed positions unique and within the feed,
    /// every row filed under its own key, every root's place as its values say, stored
    /// outcomes within their replica's high-water mark, queue items about known record types.
    public func check() -> [String] {
        var problems: [String] = []
        var positions: [Int64: String] = [:]
        for (key, row) in rows.sorted(by: { $0.key < $1.key }) {
            let name = "\(row.state.entity) \(row.state.id)"
            if key != row.state.entity + "/" + row.state.id { problems.append("\(name): stored under \(key)") }
            if row.seq > hub.seq { problems.append("\(name): its feed position is past the feed's end") }
            if let other = positions.updateValue(name, forKey: row.seq) {
                problems.append("\(name) and \(other) share feed position \(row.seq)")
            }
            if let placement = schema.placement, row.state.entity == placement.root,
                locations[row.state.id] != placement.location(of: row.state.values)
            {
                problems.append("\(name): its territory and owner disagree with its stored place")
            }
        }
        for (replica, stored) in outcomes where replica != hub.replica {
            if let top = stored.keys.max(), top > highWater(of: replica) {
                problems.append("replica \(replica): outcomes stored past its high-water mark")
            }
        }
        for item in conflicts.values where schema.entity(item.conflict.entity) == nil {
            problems.append("conflict \(item.conflict.id) is about \(item.conflict.entity), a record type the schema does not have")
        }
        return problems
    }

    /// Everything the store holds as text in a fixed order: equal dumps, equal stores.
    public func dump() -> String {
        var lines: [String] = ["# hub \(hub)"]
        for (key, row) in rows.sorted(by: { $0.key < $1.key }) {
            lines.append("row \(key) seq \(row.seq) root \(row.root ?? "-") keys \(row.keys.map { "\($0)" }.sorted()) \(RowJSON.rowState(row.state))")
        }
        for (id, location) in locations.sorted(by: { $0.key < $1.key }) { lines.append("place \(id) \(location)") }
        for (replica, stored) in outcomes.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            for (counter, entry) in stored.sorted(by: { $0.key < $1.key }) {
                lines.append("outcome \(replica):\(counter) \(entry.outcome) at \(entry.visibleAt)")
            }
        }
        for (replica, mark) in highWaters.sorted(by: { $0.key.rawValue < $1.key.rawValue }) { lines.append("high-water \(replica) \(mark)") }
        for item in conflicts(includeResolved: true) { lines.append("conflict \(item)") }
        for write in history { lines.append("history \(write.entity) \(write.id) \(write.entry)") }
        for departure in departures { lines.append("departure \(departure)") }
        return lines.joined(separator: "\n")
    }

    func covers(_ scope: ReadScope, root: String?) -> Bool {
        if scope.everything { return true }
        guard let root, let location = locations[root] else { return false }
        return scope.contains(location)
    }

    /// The roots that left `scope` in `(cursor, end]`: held at one of the moves in the range,
    /// not held now; the last move says where each went.
    private func departed(from scope: ReadScope, after cursor: Int64, upTo end: Int64) -> [Departure] {
        guard !scope.everything, end > cursor else { return [] }
        let moves = departures.filter { $0.seq > cursor && $0.seq <= end }
        let heldBefore = Set(moves.filter { scope.contains($0.from) }.map(\.root))
        var seen: Set<String> = []
        var result: [Departure] = []
        for move in moves.reversed() where seen.insert(move.root).inserted {
            guard heldBefore.contains(move.root), !covers(scope, root: move.root) else { continue }
            let entity = schema.placement?.root ?? ""
            let title = rows[entity + "/" + move.root].map { schema.entity(entity)?.title(of: $0.state.values, id: move.root) ?? move.root } ?? move.root
            result.append(Departure(entity: entity, id: move.root, title: title, to: move.newOwner, by: move.movedBy, seq: move.seq))
        }
        return result.sorted { $0.seq < $1.seq }
    }
}
