import SyncCore

/// What a push may claim, checked against what the hub knows: where each change puts a record,
/// which dots its context says it has seen, and what its answer may say about other records.
extension HubPlanner {
    /// The hub's verdicts on where a push's changes would put records.
    struct PlacementVerdicts {
        /// Changes refused before merging, with the reason the writer reads.
        var rejected: [Dot: Rejection] = [:]
        /// Rows the writer may not see (`entity/id`): their changes are refused and the rows are
        /// not touched at all.
        var unseenRows: Set<String> = []
        /// Edits and deletes by a former holder of the record's root, queued for the new holders.
        var transferred: Set<Dot> = []
    }

    /// Judges every change by each place it touches: where the record is now (it must be in
    /// `scope`, or have been before a transfer) and where it would be after the change (every
    /// reference it writes must name a record the writer may see, and a root's placing fields
    /// must leave it in `scope`). Which fields place a record comes from the schema's
    /// ``Placement`` and parent references.
    ///
    /// A missing record and one outside the scope get the same answer, so a refusal tells the
    /// writer nothing about other territories.
    func judgePlacement(_ changes: [Change], scope: ReadScope, draft: PlanDraft) throws -> PlacementVerdicts {
        var verdicts = PlacementVerdicts()
        guard let placement = schema.placement else { return verdicts }
        // Rows this push creates, with their roots, so later changes in the push can be placed;
        // and rows whose insert was refused (later changes to them are answered by the merger).
        var created: [String: String?] = [:]
        var refusedRows: Set<String> = []
        for change in changes {
            let key = change.entity + "/" + change.rowID
            guard let entity = schema.entity(change.entity) else { continue }
            if verdicts.unseenRows.contains(key) {
                verdicts.rejected[change.dot] = Self.unseen(entity, change.rowID)
                continue
            }
            if refusedRows.contains(key) { continue }
            let isInsert: Bool
            if case .insert = change.operation { isInsert = true } else { isInsert = false }
            let stored = try draft.storedRoot(change.entity, id: change.rowID)
            let isNew = created[key] == nil && stored == nil
            if isNew && !isInsert {
                // A change to a record the hub does not hold reads exactly like one to a record
                // the writer may not see: no answer tells which ids exist elsewhere. (A writer who
                // sees everything has nothing hidden from it: the merger says "there is no …".)
                if !scope.everything {
                    verdicts.unseenRows.insert(key)
                    verdicts.rejected[change.dot] = Self.unseen(entity, change.rowID)
                }
                continue
            }

            // Where the record is now.
            if !isNew {
                let root: String? = created[key] ?? stored ?? nil
                if try !draft.scope(scope, covers: root) {
                    if try draft.scope(scope, formerlyHeld: root) {
                        if !isInsert { verdicts.transferred.insert(change.dot) }
                        continue
                    }
                    verdicts.unseenRows.insert(key)
                    verdicts.rejected[change.dot] = Self.unseen(entity, change.rowID)
                    continue
                }
            }

            // Where the change would put it.
            let written: [String: FieldValue]
            switch change.operation {
            case .insert(let values): written = values
            case .update(let field, let value, _): written = [field: value]
            case .delete: written = [:]
            }
            var refusal: Rejection?
            for name in written.keys.sorted() {
                guard let field = entity.field(name), case .reference(let target) = field.type,
                    let id = written[name]?.textValue, let targetEntity = schema.entity(target)
                else { continue }
                let targetKey = target + "/" + id
                var visible = false
                if !refusedRows.contains(targetKey), !verdicts.unseenRows.contains(targetKey) {
                    let targetRoot: String?
                    var exists = true
                    if let known = created[targetKey] {
                        targetRoot = known
                    } else if let stored = try draft.storedRoot(target, id: id) {
                        targetRoot = stored
                    } else {
                        targetRoot = nil
                        exists = false
                    }
                    visible =
                        try exists
                        && (draft.scope(scope, covers: targetRoot)
                            // A former holder's new records (visits) under the account still go in.
                            || (isNew && name == entity.parentField && draft.scope(scope, formerlyHeld: targetRoot)))
                }
                if !visible {
                    refusal = Rejection(
                        rule: "scope",
                        reason:
                            "there is no \(targetEntity.label) \(id) that you can see: it was deleted, never reached the server, "
                            + "or is outside your territories",
                        remedy: name == entity.parentField
                            ? "record it again under another \(targetEntity.label)"
                            : "choose another \(targetEntity.label), or leave \(field.label) empty")
                    break
                }
            }
            if refusal == nil, entity.name == placement.root, !scope.everything,
                placement.rootFields.contains(where: { written[$0] != nil })
            {
                var location = isNew ? Placement.Location(territory: nil, owner: nil) : try draft.location(ofRoot: change.rowID)
                    ?? Placement.Location(territory: nil, owner: nil)
                if let value = written[placement.territoryField] { location.territory = value.textValue }
                if let value = written[placement.ownerField] { location.owner = value.textValue }
                let placedByHub = isNew && location == Placement.Location(territory: nil, owner: nil)
                if !placedByHub && !scope.contains(location) {
                    refusal = Rejection(
                        rule: "scope",
                        reason: "this would move \(entity.labelWithArticle) outside your territories",
                        remedy: "ask your manager or an admin to transfer it")
                }
            }
            if let refusal {
                verdicts.rejected[change.dot] = refusal
                if isNew { refusedRows.insert(key) }
                continue
            }
            if isNew {
                created[key] = try draft.rootID(
                    of: RowState(entity: change.entity, id: change.rowID, values: written), pending: created)
            }
        }
        return verdicts
    }

    private static func unseen(_ entity: EntitySchema, _ id: String) -> Rejection {
        Rejection(
            rule: "scope", reason: "there is no \(entity.label) \(id) that you can see",
            remedy: "a record outside your territories is changed by its owner, your manager or an admin")
    }

    /// The answer a writer with `scope` may read: a duplicate candidate that matches records
    /// outside the scope says only that such a record exists, never which.
    public func redacted(_ outcome: MergeOutcome, for scope: ReadScope, draft: PlanDraft) throws -> MergeOutcome {
        guard !scope.everything, case .queued(var conflict) = outcome, conflict.kind == .duplicateCandidate,
            !conflict.relatedRowIDs.isEmpty
        else { return outcome }
        var visible: [String] = []
        for id in conflict.relatedRowIDs {
            let root = try draft.rootID(ofRow: conflict.entity, id: id)
            if root != nil, try draft.location(ofRoot: root ?? "").map(scope.contains) == true {
                visible.append(id)
            }
        }
        guard visible.count < conflict.relatedRowIDs.count else { return outcome }
        let entity = schema.entity(conflict.entity)
        let label = entity?.label ?? conflict.entity
        let titles = try visible.compactMap { id -> String? in
            guard let title = try draft.row(conflict.entity, id: id).map({ entity?.title(of: $0.values, id: id) ?? id })
            else { return nil }
            return conflict.reasons?[id].map { "\(title) (\($0))" } ?? title
        }
        let writer = conflict.contenders.first?.stamp.user ?? "someone"
        conflict.relatedRowIDs = visible
        conflict.reasons = conflict.reasons?.filter { visible.contains($0.key) }
        conflict.explanation =
            titles.isEmpty
            ? "\(writer) created \(conflict.rowTitle), a possible duplicate of a record outside your territory; "
                + "an admin will review."
            : "\(writer) created \(conflict.rowTitle), which may be the same \(label) as "
                + titles.prefix(3).joined(separator: "; ") + (titles.count > 3 ? " and \(titles.count - 3) more " : " ")
                + "or as a record outside your territory; an admin will review."
        return .queued(conflict)
    }
}

/// What the pushing device can have seen of each replica, looked up once a push: a change's
/// causal context is believed only up to it (``VersionVector/clamped(for:seen:)``).
///
/// A laptop learns of other replicas' changes only from the pages and snapshots the hub sends
/// it, so it cannot have seen a change that became visible after the furthest position sent to
/// it (`sentTo`). Each stored change knows the position from which a page could carry it (its
/// outcome's `visibleAt`, the hub's own changes included), and positions grow with counters,
/// so the bound for a replica is the counter just before its oldest change not yet sent. A
/// forged claim is thereby cut to what was sent: the change meets the writes it never saw as
/// concurrent, and their field rules decide (a review field queues it), exactly as for an
/// honest laptop that had not pulled them.
struct CausalBound {
    private let view: any HubView
    private let sentTo: Int64
    private let meta: HubMeta
    private var known: [ReplicaID: UInt64] = [:]

    init(view: any HubView, meta: HubMeta, sentTo: Int64) {
        self.view = view
        self.meta = meta
        self.sentTo = sentTo
    }

    mutating func clamp(_ context: VersionVector, of dot: Dot) throws -> VersionVector {
        try context.clamped(for: dot) { replica in try seen(replica) }
    }

    private mutating func seen(_ replica: ReplicaID) throws -> UInt64 {
        if let counter = known[replica] { return counter }
        var counter = replica == meta.replica ? meta.counter : try view.highWater(of: replica)
        if let oldest = try view.oldestUnsent(of: replica, atOrBelow: counter, sentTo: sentTo) { counter = oldest - 1 }
        known[replica] = counter
        return counter
    }
}
