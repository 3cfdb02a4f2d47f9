import HubEngine
import SyncCore

/// A hub store in dictionaries: the planner's view answered from memory and its plans applied
/// to memory. It is what the planner's tests run against, and the smallest second backend: what
/// it must do is all a store must do for a push.
final class MemoryHubStore: HubView {
    struct StoredRow {
        var state: RowState
        var seq: Int64
        var root: String?
        var keys: Set<DuplicateKey>
    }

    let schema: Schema
    let planner: HubPlanner
    private(set) var rows: [String: StoredRow] = [:]
    private(set) var locations: [String: Placement.Location] = [:]
    var former: [String: [Placement.Location]] = [:]
    var redirects: [String: String] = [:]
    private(set) var highWaters: [ReplicaID: UInt64] = [:]
    private(set) var outcomes: [ReplicaID: [UInt64: (outcome: MergeOutcome, visibleAt: Int64)]] = [:]
    private(set) var conflicts: [String: (conflict: Conflict, createdAt: Int64)] = [:]
    private(set) var history: [HubPlan.HistoryWrite] = []
    private(set) var hub: HubMeta
    /// The wall clock in microseconds the next plan is made at.
    var wallMicros: Int64 = 1

    init(schema: Schema, replica: ReplicaID = ReplicaID("hub")) {
        self.schema = schema
        self.planner = HubPlanner(schema: schema)
        self.hub = HubMeta(replica: replica, counter: 0, hlc: .zero, seq: 0)
    }

    // MARK: - HubView

    func row(_ entity: String, id: String) -> RowState? { rows[entity + "/" + id]?.state }

    func storedRoot(_ entity: String, id: String) -> String?? {
        guard let row = rows[entity + "/" + id] else { return nil }
        return .some(row.root)
    }

    func location(ofRoot id: String) -> Placement.Location? { locations[id] }
    func formerLocations(ofRoot id: String) -> [Placement.Location] { former[id] ?? [] }
    func redirect(_ entity: String, id: String) -> String? { redirects[entity + "/" + id] }
    func highWater(of replica: ReplicaID) -> UInt64 { highWaters[replica] ?? 0 }
    func outcome(of replica: ReplicaID, counter: UInt64) -> MergeOutcome? { outcomes[replica]?[counter]?.outcome }

    func oldestUnsent(of replica: ReplicaID, atOrBelow counter: UInt64, sentTo: Int64) -> UInt64? {
        var oldest: UInt64?
        for (stored, entry) in (outcomes[replica] ?? [:]).sorted(by: { $0.key > $1.key }) where stored <= counter {
            if entry.visibleAt <= sentTo { break }
            oldest = stored
        }
        return oldest
    }

    func meta() -> HubMeta { hub }

    func rows(_ entity: String, filedUnder key: DuplicateKey, excluding id: String, limit: Int) -> [String] {
        Array(
            rows.values.filter { $0.state.entity == entity && $0.state.id != id && $0.keys.contains(key) }
                .map(\.state.id).sorted().prefix(limit))
    }

    // MARK: - Applying plans

    func apply(_ plan: HubPlan) {
        for write in plan.rows {
            rows[write.state.entity + "/" + write.state.id] = StoredRow(
                state: write.state, seq: write.seq, root: write.root, keys: write.keys)
            if let location = write.location { locations[write.state.id] = location }
        }
        for write in plan.outcomes {
            outcomes[write.replica, default: [:]][write.counter] = (write.outcome, write.visibleAt)
        }
        for write in plan.conflicts where conflicts[write.conflict.id] == nil {
            conflicts[write.conflict.id] = (write.conflict, write.createdAt)
        }
        history += plan.history
        for mark in plan.replicaMarks { highWaters[mark.replica] = mark.highWater }
        if let meta = plan.meta { hub = meta }
    }

    /// Plans a push against this store and applies the plan (or nothing, when planning throws).
    @discardableResult
    func push(
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
