import SyncCore

/// A plan being made: the store's view with the plan's own writes layered on top, so every
/// step of an operation reads what the steps before it decided, exactly as it would in a
/// store that had written them already.
///
/// One draft serves one operation, inside the store's transaction; ``plan`` is what the store
/// applies when the operation is done.
public final class PlanDraft {
    public let view: any HubView
    /// The schema this operation is planned under (the built-in one with the company's steps).
    public let schema: Schema
    /// The feed never hands out a position below the wall clock in microseconds: a store
    /// restored from a backup would otherwise reuse positions replicas have pulled past.
    let wallMicros: Int64
    private var meta: HubMeta
    private var metaChanged = false
    private var rowWrites: [String: HubPlan.RowWrite] = [:]
    private var rowsOf: [String: Set<String>] = [:]
    /// The planned rows filed under each duplicate key, by entity.
    private var filed: [String: [DuplicateKey: Set<String>]] = [:]
    /// Rows resent under another root, by `entity/id`.
    private var movedRoots: [String: String] = [:]
    private var redirects: [String: HubPlan.RedirectWrite] = [:]
    private var outcomes: [HubPlan.OutcomeWrite] = []
    private var conflicts: [HubPlan.ConflictWrite] = []
    private var settlements: [HubPlan.Settlement] = []
    private var resends: [HubPlan.Resend] = []
    private var departures: [HubPlan.Departure] = []
    private var history: [HubPlan.HistoryWrite] = []
    private var marks: [ReplicaID: HubPlan.ReplicaMark] = [:]

    public init(view: any HubView, schema: Schema, wallMicros: Int64) throws {
        self.view = view
        self.schema = schema
        self.wallMicros = wallMicros
        self.meta = try view.meta()
    }

    /// What to write.
    public var plan: HubPlan {
        var plan = HubPlan()
        plan.rows = rowWrites.values.sorted { $0.seq < $1.seq }
        plan.outcomes = outcomes
        plan.conflicts = conflicts
        plan.settlements = settlements
        plan.resends = resends
        plan.departures = departures
        plan.redirects = redirects.values.sorted { $0.seq < $1.seq }
        plan.history = history
        plan.replicaMarks = marks.values.sorted { $0.replica.rawValue < $1.replica.rawValue }
        plan.meta = metaChanged ? meta : nil
        return plan
    }

    // MARK: - Reading through the plan

    /// The hub's counters as the plan leaves them so far.
    public var hubMeta: HubMeta { meta }

    public func row(_ entity: String, id: String) throws -> RowState? {
        if let write = rowWrites[entity + "/" + id] { return write.state }
        return try view.row(entity, id: id)
    }

    public func storedRoot(_ entity: String, id: String) throws -> String?? {
        let key = entity + "/" + id
        if let write = rowWrites[key] { return .some(write.root) }
        if let moved = movedRoots[key] { return .some(moved) }
        return try view.storedRoot(entity, id: id)
    }

    /// The rows under root `id` (itself left out), as `(entity, id)`, in that order.
    public func rows(under root: String) throws -> [(entity: String, id: String)] {
        let rootEntity = schema.placement?.root
        var found: [String: (entity: String, id: String)] = [:]
        for row in try view.rows(under: root) {
            let key = row.entity + "/" + row.id
            if let write = rowWrites[key], write.root != root { continue }
            if let moved = movedRoots[key], moved != root { continue }
            found[key] = row
        }
        for (key, write) in rowWrites where write.root == root && found[key] == nil {
            if write.state.entity == rootEntity && write.state.id == root { continue }
            found[key] = (write.state.entity, write.state.id)
        }
        for (key, moved) in movedRoots where moved == root && found[key] == nil && rowWrites[key] == nil {
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            found[key] = (parts[0], parts[1])
        }
        return found.values.sorted { ($0.entity, $0.id) < ($1.entity, $1.id) }
    }

    /// Ids of live rows of `entity` whose `field` holds the text `value`, in id order.
    public func rows(_ entity: String, where field: String, is value: String) throws -> [String] {
        var ids = Set(try view.rows(entity, where: field, is: value))
        for id in rowsOf[entity] ?? [] {
            guard let state = rowWrites[entity + "/" + id]?.state else { continue }
            if !state.isDeleted && state.values[field]?.textValue == value { ids.insert(id) } else { ids.remove(id) }
        }
        return ids.sorted()
    }

    /// Where the id of a merged-away record of `entity` leads now.
    public func redirect(_ entity: String, id: String) throws -> String? {
        if let planned = redirects[entity + "/" + id] { return planned.redirection.to }
        return try view.redirect(entity, id: id)
    }

    /// The merges whose kept record is `entity/id`.
    public func redirects(_ entity: String, to id: String) throws -> [Redirection] {
        var found: [String: Redirection] = [:]
        for stored in try view.redirects(entity, to: id) where redirects[entity + "/" + stored.from] == nil {
            found[stored.from] = stored
        }
        for planned in redirects.values where planned.redirection.entity == entity && planned.redirection.to == id {
            found[planned.redirection.from] = planned.redirection
        }
        return found.values.sorted { $0.from < $1.from }
    }

    public func location(ofRoot id: String) throws -> Placement.Location? {
        if let placement = schema.placement, let write = rowWrites[placement.root + "/" + id] { return write.location }
        return try view.location(ofRoot: id)
    }

    /// The queue item `id` as the plan leaves it so far.
    public func conflict(_ id: String) throws -> QueuedConflict? {
        var item = try view.conflict(id)
        if item == nil, let queued = conflicts.first(where: { $0.conflict.id == id }) {
            item = QueuedConflict(conflict: queued.conflict, isOpen: true, createdAt: queued.createdAt)
        }
        if let settled = settlements.last(where: { $0.id == id }) {
            item?.isOpen = false
            item?.resolution = settled.choice
            item?.resolvedBy = settled.by
            item?.resolvedAt = settled.at
        }
        return item
    }

    public func highWater(of replica: ReplicaID) throws -> UInt64 {
        if let mark = marks[replica] { return mark.highWater }
        return try view.highWater(of: replica)
    }

    /// The root a row with this state hangs under: itself for a root, else its parent chain's
    /// root (the schema's ``Placement``). `pending` adds rows not yet planned, by `entity/id`.
    public func rootID(of state: RowState, pending: [String: String?] = [:]) throws -> String? {
        guard let placement = schema.placement else { return nil }
        if state.entity == placement.root { return state.id }
        guard let entity = schema.entity(state.entity), let parentField = entity.parentField,
            let field = entity.field(parentField), case .reference(let parentEntity) = field.type,
            let parentID = state.values[parentField]?.textValue
        else { return nil }
        return try rootID(ofRow: parentEntity, id: parentID, pending: pending)
    }

    /// The root of the row `entity/id`, planned, pending or stored.
    func rootID(ofRow entity: String, id: String, pending: [String: String?] = [:]) throws -> String? {
        if entity == schema.placement?.root { return id }
        if let known = pending[entity + "/" + id] { return known }
        return try storedRoot(entity, id: id) ?? nil
    }

    /// Whether `scope` covers root `id` (a root the hub does not hold yet is in scope: it is
    /// being created, and placed by its own values).
    func scope(_ scope: ReadScope, covers rootID: String?) throws -> Bool {
        if scope.everything { return true }
        guard let rootID else { return false }
        guard let location = try location(ofRoot: rootID) else { return true }
        return scope.contains(location)
    }

    /// Whether `scope` held root `id` before a transfer moved it away.
    func scope(_ scope: ReadScope, formerlyHeld rootID: String?) throws -> Bool {
        guard let rootID else { return false }
        return try view.formerLocations(ofRoot: rootID).contains(where: scope.contains)
    }

    /// Ids of live rows of `entity`, other than `excluding`, filed under any of `keys`: at most
    /// ``DuplicateKey/crowd`` per key and none for a crowded broad key.
    func candidates(_ entity: String, keys: Set<DuplicateKey>, excluding: String) throws -> [String] {
        // Stored rows the plan has refiled can fill the page: ask for as many more.
        let plannedCount = rowsOf[entity]?.count ?? 0
        var found: Set<String> = []
        for key in keys.sorted() {
            var ids = try view.rows(entity, filedUnder: key, excluding: excluding, limit: DuplicateKey.crowd + 1 + plannedCount)
                .filter { id in rowWrites[entity + "/" + id].map { $0.keys.contains(key) } ?? true }
            let listed = Set(ids)
            ids += (filed[entity]?[key] ?? []).sorted().filter { id in id != excluding && !listed.contains(id) }
            found.formUnion(key.candidates(among: Array(ids.prefix(DuplicateKey.crowd + 1))))
        }
        return found.sorted()
    }

    /// What the merger may ask while this plan is made.
    public func environment(writer: Writer) -> MergeEnvironment {
        MergeEnvironment(
            writer: writer,
            lookup: { [self] entity, id in try? row(entity, id: id) },
            candidates: { [self] entity, keys, excluding in (try? candidates(entity, keys: keys, excluding: excluding)) ?? [] })
    }

    // MARK: - Writing into the plan

    /// The next position of the feed.
    public func nextSeq() -> Int64 {
        meta.seq = max(meta.seq + 1, wallMicros)
        metaChanged = true
        return meta.seq
    }

    /// Plans a row's new state at the next position of the feed.
    public func save(_ state: RowState) throws {
        let key = state.entity + "/" + state.id
        let root = try rootID(of: state)
        let location = schema.placement.flatMap { $0.root == state.entity ? $0.location(of: state.values) : nil }
        let matcher = schema.entity(state.entity)?.duplicates
        let keys = state.isDeleted ? [] : matcher.map { $0.keys(of: state.values) } ?? []
        for old in rowWrites[key]?.keys ?? [] { filed[state.entity]?[old]?.remove(state.id) }
        for new in keys { filed[state.entity, default: [:]][new, default: []].insert(state.id) }
        rowWrites[key] = HubPlan.RowWrite(
            state: state, seq: nextSeq(), root: root, location: location, keys: keys, refile: matcher != nil)
        rowsOf[state.entity, default: []].insert(state.id)
    }

    /// A change stamped with the hub's own replica id, next counter and clock. Its outcome is
    /// stored like a laptop's, so a claim to have seen it is bounded the same way (a laptop can
    /// have seen it only from a page sent after it).
    public func hubChange(
        _ entity: String, id: String, now: Int64, context: VersionVector, operation: Change.Operation
    ) -> Change {
        meta.counter += 1
        var clock = HybridClock(last: meta.hlc)
        meta.hlc = clock.tickRecovering(wallMilliseconds: now)
        metaChanged = true
        outcomes.append(
            HubPlan.OutcomeWrite(replica: meta.replica, counter: meta.counter, outcome: .applied, visibleAt: meta.seq + 1))
        return Change(
            dot: Dot(replica: meta.replica, counter: meta.counter), hlc: meta.hlc, wallTime: now, entity: entity,
            rowID: id, context: context, operation: operation)
    }

    /// Sets the hub's clock (a push moves it past every change it admitted).
    func setClock(_ hlc: HLCTimestamp) {
        meta.hlc = hlc
        metaChanged = true
    }

    func answer(_ outcome: MergeOutcome, replica: ReplicaID, counter: UInt64, visibleAt: Int64) {
        outcomes.append(HubPlan.OutcomeWrite(replica: replica, counter: counter, outcome: outcome, visibleAt: visibleAt))
    }

    public func queue(_ conflict: Conflict, at now: Int64) {
        conflicts.append(HubPlan.ConflictWrite(conflict: conflict, createdAt: now))
    }

    /// Sends a stored row again, unchanged, at the next position of the feed; filed under
    /// `root` from now on when one is given.
    func resend(_ entity: String, id: String, movingTo root: String? = nil) {
        resends.append(HubPlan.Resend(entity: entity, id: id, seq: nextSeq(), root: root))
        if let root { movedRoots[entity + "/" + id] = root }
    }

    /// Plans that `redirection.from` leads to `redirection.to`, at the next position of the feed.
    func redirect(_ redirection: Redirection) {
        redirects[redirection.entity + "/" + redirection.from] = HubPlan.RedirectWrite(
            redirection: redirection, seq: nextSeq())
    }

    /// Notes that root `id` left `location` by a transfer, at the next position of the feed.
    func depart(_ root: String, from location: Placement.Location, to owner: String, by admin: String, at now: Int64) {
        departures.append(
            HubPlan.Departure(root: root, from: location, until: now, seq: nextSeq(), newOwner: owner, movedBy: admin))
    }

    /// Closes queue item `id` with the admin's choice.
    public func settle(_ id: String, choice: ConflictChoice, by user: String, at now: Int64) {
        settlements.append(HubPlan.Settlement(id: id, choice: choice, by: user, at: now))
    }

    public func record(_ entry: HistoryEntry, entity: String, id: String) {
        history.append(HubPlan.HistoryWrite(entity: entity, id: id, entry: entry))
    }

    func mark(_ replica: ReplicaID, highWater: UInt64, writer: Writer, at now: Int64) {
        marks[replica] = HubPlan.ReplicaMark(
            replica: replica, highWater: highWater, user: writer.user, device: writer.device, at: now)
    }
}
