import HubEngine
import SyncCore

/// A hub store in dictionaries: the planner's view answered from memory and its plans applied
/// to memory. It is what the planner's tests run against, and the smallest second backend: what
/// it must do is all a store must do for a push.
public final class MemoryHubStore: HubView {
    public struct StoredRow: Sendable {
        public var state: RowState
        public var seq: Int64
        public var root: String?
        public var keys: Set<DuplicateKey>
    }

    public let schema: Schema
    public let planner: HubPlanner
    public private(set) var rows: [String: StoredRow] = [:]
    public private(set) var locations: [String: Placement.Location] = [:]
    public var former: [String: [Placement.Location]] = [:]
    public var redirects: [String: String] = [:]
    public private(set) var highWaters: [ReplicaID: UInt64] = [:]
    public private(set) var outcomes: [ReplicaID: [UInt64: (outcome: MergeOutcome, visibleAt: Int64)]] = [:]
    public private(set) var conflicts: [String: QueuedConflict] = [:]
    public private(set) var history: [HubPlan.HistoryWrite] = []
    public private(set) var hub: HubMeta
    /// The wall clock in microseconds the next plan is made at.
    public var wallMicros: Int64 = 1

    public init(schema: Schema, replica: ReplicaID = ReplicaID("hub")) {
        self.schema = schema
        self.planner = HubPlanner(schema: schema)
        self.hub = HubMeta(replica: replica, counter: 0, hlc: .zero, seq: 0)
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

    public func redirect(_ entity: String, id: String) -> String? { redirects[entity + "/" + id] }
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

    public func rows(_ entity: String, filedUnder key: DuplicateKey, excluding id: String, limit: Int) -> [String] {
        Array(
            rows.values.filter { $0.state.entity == entity && $0.state.id != id && $0.keys.contains(key) }
                .map(\.state.id).sorted().prefix(limit))
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
        for resend in plan.resends { rows[resend.entity + "/" + resend.id]?.seq = resend.seq }
        for departure in plan.departures { former[departure.root, default: []].append(departure.from) }
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
}
