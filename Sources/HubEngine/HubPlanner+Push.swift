import SyncCore

extension HubPlanner {
    /// Plans the merge of a replica's changeset, exactly once.
    ///
    /// Changes the hub has already processed (counter at or below the replica's high-water
    /// mark) get their stored outcomes back and plan nothing, so a retried, duplicated or late
    /// push is harmless. A changeset that starts beyond the high-water mark plus one is refused
    /// with ``HubError/gap(expected:got:)``: accepting it would hide the missing changes. A
    /// change whose HLC is further ahead of the hub's clock than ``maxClockDrift`` is rejected
    /// by the clock rule; the rest of the push goes on.
    ///
    /// Every new change is judged, with the permissions of now, by each place it touches (see
    /// ``judgePlacement(_:scope:draft:)``): one outside `scope` gets a `rejected` outcome (rule
    /// `scope`) that names nothing of other territories, and the rest of the push goes on. Each
    /// change's causal context is believed only up to what the hub had sent this device when it
    /// pushed (`sentTo`, a feed position; see ``CausalBound``): a claim to have seen more is
    /// cut, so the change meets the writes it never saw as concurrent and their field rules
    /// decide. A root a rep creates (an account) is placed in `homeTerritory` and owned by the
    /// rep, by a change the hub makes in the same plan.
    public func push(
        _ changeset: Changeset, as writer: Writer, scope: ReadScope = .all, homeTerritory: String? = nil, now: Int64,
        sentTo: Int64, into draft: PlanDraft
    ) throws -> PushResponse {
        try changeset.validateStructure()
        guard changeset.schemaVersion <= schema.version else {
            throw HubError.schemaTooNew(found: changeset.schemaVersion, supported: schema.version)
        }
        // Written under an older release: its renamed fields go by their names of now.
        let changeset = schema.mapped(changeset)
        let view = draft.view
        let replica = changeset.replica
        let highWater = try draft.highWater(of: replica)
        if let first = changeset.changes.first?.dot.counter, first > highWater + 1 {
            throw HubError.gap(expected: highWater + 1, got: first)
        }
        var answers: [ChangeOutcome] = []
        for change in changeset.changes where change.dot.counter <= highWater {
            answers.append(
                ChangeOutcome(
                    counter: change.dot.counter,
                    outcome: try view.outcome(of: replica, counter: change.dot.counter) ?? .applied))
        }

        var hubClock = HybridClock(last: draft.hubMeta.hlc, maxForwardDrift: maxClockDrift)
        let environment = draft.environment(writer: writer)
        var seen = CausalBound(view: view, meta: draft.hubMeta, sentTo: sentTo)
        var fresh: [Change] = []
        for original in changeset.changes where original.dot.counter > highWater {
            var change = try redirected(original, view: view)
            change.context = try seen.clamp(change.context, of: change.dot)
            fresh.append(change)
        }
        guard !fresh.isEmpty else {
            // A replay: the same answers, and not one byte of the store changes.
            return PushResponse(outcomes: answers.sorted { $0.counter < $1.counter }, highWater: highWater)
        }
        let verdicts = try judgePlacement(fresh, scope: scope, draft: draft)
        let transferred = verdicts.transferred
        for run in Self.runs(of: fresh) {
            var admitted: [Change] = []
            var refused: [(Change, MergeOutcome)] = []
            for change in run {
                do throws(ClockError) {
                    _ = try hubClock.receive(change.hlc, wallMilliseconds: now)
                    admitted.append(change)
                } catch {
                    let rejection = Rejection(
                        rule: "clock", reason: error.description,
                        remedy: "set this laptop's date and time correctly, then make the change again")
                    refused.append((change, .rejected(rejection)))
                }
            }
            let first = run[0]
            let before = try draft.row(first.entity, id: first.rowID)
            // No page can carry this run's changes before the next position of the feed.
            let visibleAt = draft.hubMeta.seq + 1
            for change in admitted where transferred.contains(change.dot) {
                refused.append((change, .queued(transferConflict(change, row: before, writer: writer))))
            }
            admitted.removeAll { transferred.contains($0.dot) }
            for change in admitted {
                guard let rejection = verdicts.rejected[change.dot] else { continue }
                refused.append((change, .rejected(rejection)))
            }
            admitted.removeAll { verdicts.rejected[$0.dot] != nil }
            // A record the writer may not see is not touched at all: not its version, not
            // its history, not its place in the feed.
            let unseen = verdicts.unseenRows.contains(first.entity + "/" + first.rowID)
            let result =
                admitted.isEmpty
                ? RowMerge(row: before, outcomes: [])
                : merger.merge(admitted, into: before, environment: environment)
            let outcomes = (result.outcomes + refused).sorted { $0.change.dot.counter < $1.change.dot.counter }
            if !unseen, var after = result.row {
                // The row's version records every change judged against it, refused ones
                // included, and a row whose change was not taken as written goes back into the
                // feed even when its values did not move: the writer's replica then pulls the
                // hub's verdict, and can tell that the state it pulled already includes it.
                for (change, outcome) in outcomes
                where outcome.kind == "rejected" || transferred.contains(change.dot) {
                    after.version.record(change.dot)
                }
                if after != before || outcomes.contains(where: { $0.outcome != .applied }) {
                    try draft.save(after)
                }
                // A root created and deleted in the same push is gone already: nothing to place
                // (placing it would be refused, and with it the whole push, for ever).
                if before == nil, let placement = schema.placement, after.entity == placement.root, !after.isDeleted,
                    !writer.isPrivileged, placement.location(of: after.values) == .init(territory: nil, owner: nil)
                {
                    var assignment: [String: FieldValue] = [placement.ownerField: .text(writer.user)]
                    if let homeTerritory { assignment[placement.territoryField] = .text(homeTerritory) }
                    try writeAsHub(after.entity, id: after.id, assignment, by: "server", now: now, into: draft)
                }
            }
            for (change, fullOutcome) in outcomes {
                // The queue keeps the whole story for admins; the writer's answer and the
                // record's history say nothing of records outside the writer's scope.
                let outcome = try redacted(fullOutcome, for: scope, draft: draft)
                if case .queued(let conflict) = fullOutcome { draft.queue(conflict, at: now) }
                draft.answer(outcome, replica: replica, counter: change.dot.counter, visibleAt: visibleAt)
                answers.append(ChangeOutcome(counter: change.dot.counter, outcome: outcome))
                if unseen { continue }
                draft.record(
                    Self.historyEntry(change, outcome: outcome, writer: writer, at: now), entity: change.entity,
                    id: change.rowID)
            }
        }
        let newHighWater = max(highWater, changeset.changes.last?.dot.counter ?? 0)
        draft.mark(replica, highWater: newHighWater, writer: writer, at: now)
        draft.setClock(hubClock.last)
        return PushResponse(outcomes: answers.sorted { $0.counter < $1.counter }, highWater: newHighWater)
    }

    /// The queue item for an edit or delete by a former holder of the record's root.
    func transferConflict(_ change: Change, row: RowState?, writer: Writer) -> Conflict {
        let entity = schema.entity(change.entity)
        let title = row.flatMap { state in entity?.title(of: state.values, id: state.id) } ?? change.rowID
        let stamp = FieldStamp(
            dot: change.dot, hlc: change.hlc, wall: change.wallTime, user: writer.user, device: writer.device)
        var contenders: [Contender] = []
        var field: String?
        var base: FieldValue = .null
        var what = "deleted"
        switch change.operation {
        case .update(let name, let value, let old):
            field = name
            base = old
            what = "changed the \(entity?.field(name)?.label ?? name) of"
            if let current = row?.stamps[name] {
                contenders.append(Contender(value: row?.values[name] ?? .null, stamp: current, isCurrent: true))
            }
            contenders.append(Contender(value: value, stamp: stamp, isCurrent: false))
        default:
            contenders.append(Contender(value: .null, action: .delete, stamp: stamp, isCurrent: false))
        }
        return Conflict(
            id: change.dot.description, kind: .transferred, entity: change.entity, rowID: change.rowID, rowTitle: title,
            field: field, rule: "transfer", base: base, contenders: contenders,
            explanation:
                "\(writer.user) (\(writer.device)) \(what) \(title) after it moved to another owner; "
                + "the change waits for the new owner's review.")
    }

    /// Splits changes into maximal runs on the same row, keeping their order. Changes made in
    /// one local transaction on one row (a stage and its close reason) stay together, so the
    /// row's invariants judge them as one.
    public static func runs(of changes: [Change]) -> [[Change]] {
        var runs: [[Change]] = []
        for change in changes {
            if let last = runs.last?.last, last.entity == change.entity, last.rowID == change.rowID {
                runs[runs.count - 1].append(change)
            } else {
                runs.append([change])
            }
        }
        return runs
    }
}
