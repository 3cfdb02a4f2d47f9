import SyncCore

extension HubPlanner {
    /// Resolves a conflict with a change that dominates every contender, so it reaches every
    /// replica and wins everywhere. Returns the row's new state.
    ///
    /// The change is made by the hub's own replica, with a causal context covering the row's
    /// whole history and every contender, and is merged like any other change (as a privileged
    /// writer), so the row's rules and invariants still hold.
    @discardableResult
    public func resolve(_ id: String, choice: ConflictChoice, by resolver: String, now: Int64, into draft: PlanDraft) throws
        -> RowState?
    {
        guard let item = try draft.conflict(id) else { throw HubError.unknownConflict(id) }
        guard item.isOpen else { throw HubError.alreadyResolved(id) }
        let conflict = item.conflict
        guard let entity = schema.entity(conflict.entity) else {
            throw HubError.invalidResolution("the record type \(conflict.entity) no longer exists")
        }
        let state = try draft.row(conflict.entity, id: conflict.rowID)
        var context = state?.version ?? VersionVector()
        for contender in conflict.contenders { context.record(contender.stamp.dot) }

        let operation: Change.Operation?
        switch (conflict.kind, choice) {
        case (.duplicateCandidate, .value):
            throw HubError.invalidResolution(
                "a duplicate candidate is settled by keeping both records (or by merging them), not by a value")
        case (.duplicateCandidate, _):
            operation = nil
        case (.deleteVersusEdit, .value):
            throw HubError.invalidResolution(
                "a delete-vs-edit conflict is settled by keeping one side, not by a value")
        case (.deleteVersusEdit, _):
            let chosen = conflict.contenders.first { $0.isCurrent == (choice == .keepCurrent) }
            if chosen?.action == .delete {
                operation = .delete
            } else if let chosen, !chosen.isCurrent, let field = conflict.field, let state, !state.isDeleted,
                state.values[field] != chosen.value
            {
                // Keeping the edit keeps what the rep wrote, even where the field's own rule had kept another value.
                operation = .update(field: field, value: chosen.value, base: state.values[field] ?? .null)
            } else {
                operation = nil
            }
        case (.transferred, .keepCurrent):
            operation = nil
        case (.transferred, _) where state?.isDeleted ?? true:
            operation = nil
        case (.transferred, let choice):
            let incoming = conflict.contenders.first { !$0.isCurrent }
            if incoming?.action == .delete {
                guard case .keepIncoming = choice else {
                    throw HubError.invalidResolution(
                        "a transferred delete is settled by keeping one side, not by a value")
                }
                operation = .delete
            } else if let field = conflict.field {
                var value = incoming?.value ?? .null
                if case .value(let entered) = choice {
                    do throws(SchemaError) {
                        value = try entity.validateUpdate(field: field, entered)
                    } catch {
                        throw HubError.invalidResolution(error.description)
                    }
                }
                operation = .update(field: field, value: value, base: state?.values[field] ?? .null)
            } else {
                operation = nil
            }
        case (.field, _) where state?.isDeleted ?? true:
            // The record is gone (deleted after the conflict arose): there is nothing left to
            // write, and the item closes as history.
            operation = nil
        case (.field, _) where conflict.field.map { entity.field($0) == nil && entity.retiredField($0) != nil } ?? false:
            // The field was retired after the conflict arose: it takes no value, and the item
            // closes as history (both contenders stay in it).
            operation = nil
        case (.field, _):
            guard let field = conflict.field, entity.field(field) != nil else {
                throw HubError.invalidResolution("the conflict names no field")
            }
            let value: FieldValue
            switch choice {
            case .keepCurrent: value = conflict.contenders.first { $0.isCurrent }?.value ?? .null
            case .keepIncoming: value = conflict.contenders.first { !$0.isCurrent }?.value ?? .null
            case .value(let entered):
                do throws(SchemaError) {
                    value = try entity.validateUpdate(field: field, entered)
                } catch {
                    throw HubError.invalidResolution(error.description)
                }
            case .merged:
                throw HubError.invalidResolution("only a duplicate candidate is settled by merging")
            }
            operation = .update(field: field, value: value, base: state?.values[field] ?? .null)
        }

        var result = state
        if let operation {
            let change = draft.hubChange(
                conflict.entity, id: conflict.rowID, now: now, context: context, operation: operation)
            let merged = merger.merge(
                [change], into: state,
                environment: draft.environment(writer: Writer(user: resolver, device: "server", isPrivileged: true)))
            guard let outcome = merged.outcomes.first?.outcome else {
                throw HubError.invalidResolution("the resolution produced no outcome")
            }
            if case .rejected(let rejection) = outcome {
                throw HubError.invalidResolution("the resolution breaks \(rejection.rule): \(rejection.reason)")
            }
            if let after = merged.row {
                try draft.save(after)
            }
            result = merged.row
        }
        var entry = HistoryEntry(
            kind: .resolution, at: now, user: resolver, device: "server", op: operation?.name,
            field: conflict.field, detail: "settled conflict \(conflict.id) (\(conflict.rule)): \(choice.phrase)")
        if case let .update(_, value, _)? = operation { entry.value = value }
        draft.record(entry, entity: conflict.entity, id: conflict.rowID)
        draft.settle(id, choice: choice, by: resolver, at: now)
        return result
    }
}

extension HubPlanner {
    /// Gives a root (an account) to another user: the owner changes, and the territory follows
    /// the new owner's first territory (`territories`, from the directory) when the root's is not
    /// one of theirs. Everything under the root goes back into the feed, so the new holder's
    /// replica pulls it, and the former place is kept so the former holder's work is not lost.
    @discardableResult
    public func transfer(
        _ id: String, to user: String, territories: [String], by admin: String, now: Int64, into draft: PlanDraft
    ) throws -> RowState? {
        guard let placement = schema.placement else {
            throw HubError.invalidResolution("this schema places no record, so none can be transferred")
        }
        let root = placement.root
        let label = schema.entity(root)?.label ?? root
        guard let account = try draft.row(root, id: id), !account.isDeleted else {
            throw HubError.invalidUser("there is no \(label) \(id)")
        }
        var values: [String: FieldValue] = [placement.ownerField: .text(user)]
        let location = placement.location(of: account.values)
        if let first = territories.first, location.territory.map({ !territories.contains($0) }) ?? true {
            values[placement.territoryField] = .text(first)
        }
        let state = try writeAsHub(root, id: id, values, by: admin, now: now, history: false, into: draft)
        draft.depart(id, from: location, to: user, by: admin, at: now)
        let newTerritory = values[placement.territoryField]?.textValue ?? location.territory
        draft.record(
            HistoryEntry(
                kind: .transfer, at: now, user: admin, device: "server", field: placement.ownerField, value: .text(user),
                detail: "moved from \(location.owner ?? "nobody")\(location.territory.map { " (\($0))" } ?? "") to \(user)"
                    + "\(newTerritory.map { " (\($0))" } ?? "")"),
            entity: root, id: id)
        for child in try draft.rows(under: id) { draft.resend(child.entity, id: child.id) }
        return state
    }
}
