/// What the merger may ask of the store around the row it merges into.
public struct MergeEnvironment {
    /// Who is writing (decides server-owned fields and privileged state moves).
    public var writer: Writer
    /// Looks up another row's state (for invariants that span rows).
    public var lookup: (_ entity: String, _ id: String) -> RowState?
    /// Returns the ids of live rows of `entity`, other than `excluding`, filed under any of
    /// `keys` (see ``DuplicateMatcher``), each once: at most ``DuplicateKey/crowd`` per key, and
    /// none for a broad key shared by more.
    public var candidates: (_ entity: String, _ keys: Set<DuplicateKey>, _ excluding: String) -> [String]

    public init(
        writer: Writer,
        lookup: @escaping (_ entity: String, _ id: String) -> RowState? = { _, _ in nil },
        candidates: @escaping (_ entity: String, _ keys: Set<DuplicateKey>, _ excluding: String) -> [String] = {
            _, _, _ in []
        }
    ) {
        self.writer = writer
        self.lookup = lookup
        self.candidates = candidates
    }
}

/// The result of merging a batch of changes into one row.
public struct RowMerge: Sendable {
    /// The row after the batch; nil when it did not exist and still does not.
    public var row: RowState?
    /// One outcome per change, in the order given.
    public var outcomes: [(change: Change, outcome: MergeOutcome)]

    public init(row: RowState?, outcomes: [(change: Change, outcome: MergeOutcome)]) {
        self.row = row
        self.outcomes = outcomes
    }

    /// The conflicts the batch queued.
    public var conflicts: [Conflict] {
        outcomes.compactMap {
            if case let .queued(conflict) = $0.outcome { return conflict }
            return nil
        }
    }
}

/// The merge engine: applies incoming changes to a row's authoritative state and gives every
/// change an explicit outcome.
///
/// The merger is pure: it reads the row it is given and the environment, and returns the new
/// row and the outcomes; storing them is the caller's job, in one transaction. Field rules are
/// looked up in the ``Schema`` and evaluated by their ``FieldMergeStrategy``; entity rules
/// (append-only, delete rules, natural keys, invariants) come from the ``EntitySchema``.
///
/// ```swift
/// let merger = Merger(schema: schema)
/// let result = merger.merge(changeset.changes, into: storedRow, environment: .init(writer: rep))
/// for (change, outcome) in result.outcomes { print(change.dot, outcome.kind) }
/// ```
public struct Merger: Sendable {
    public let schema: Schema

    public init(schema: Schema) {
        self.schema = schema
    }

    /// Merges `changes` (all for one row, in counter order) into `row`.
    ///
    /// Changes whose dot the row has already seen are reported as applied and change nothing,
    /// so merging the same batch twice is harmless. After the batch, the entity's invariants are
    /// checked against the row as it was before; when one fails, the latest change that touched
    /// its fields is rejected with its name and the batch is merged again without it, until every
    /// invariant holds.
    public func merge(_ changes: [Change], into row: RowState?, environment: MergeEnvironment) -> RowMerge {
        var excluded: [Dot: Rejection] = [:]
        while true {
            var result = mergeOnce(changes, into: row, environment: environment, excluded: excluded)
            // A tombstone still holds the record's last values: an edit that brings it back is
            // judged against them, not as a new record.
            let before = row?.values
            guard let entity = schema.entity(changes.first?.entity ?? ""), let after = result.row,
                !(after.isDeleted && (row?.isDeleted ?? true))
            else { return result }
            var newlyExcluded = false
            for invariant in entity.invariants where invariant.scope == .batch {
                let input = InvariantInput(
                    before: before, after: after.values, deleting: after.isDeleted, writer: environment.writer,
                    lookup: { entity, id in
                        guard let other = environment.lookup(entity, id), !other.isDeleted else { return nil }
                        return other.values
                    })
                guard let violation = invariant.check(input) else { continue }
                let culprits = result.outcomes.filter { item in
                    if case .rejected = item.outcome { return false }
                    switch item.change.operation {
                    case .insert, .delete: return true
                    case .update: break
                    }
                    return !item.change.fields.isDisjoint(with: invariant.fields)
                }
                // Blame the latest change that touched the invariant's fields, then judge again:
                // an earlier, valid step in the same batch keeps its effect.
                if let culprit = culprits.last(where: { excluded[$0.change.dot] == nil }) {
                    excluded[culprit.change.dot] = Rejection(
                        rule: invariant.name, reason: violation.reason, remedy: violation.remedy)
                    newlyExcluded = true
                    break
                }
            }
            if !newlyExcluded {
                result.outcomes = result.outcomes.map { item in
                    (item.change, excluded[item.change.dot].map(MergeOutcome.rejected) ?? item.outcome)
                }
                return result
            }
        }
    }

    // MARK: - One pass

    private func mergeOnce(
        _ changes: [Change], into initial: RowState?, environment: MergeEnvironment, excluded: [Dot: Rejection]
    ) -> RowMerge {
        var row = initial
        var outcomes: [(change: Change, outcome: MergeOutcome)] = []
        for change in changes {
            if let rejection = excluded[change.dot] {
                outcomes.append((change, .rejected(rejection)))
                continue
            }
            if let row, row.version.covers(change.dot) {
                outcomes.append((change, .applied))
                continue
            }
            let previous = row
            var outcome: MergeOutcome
            switch schema.entity(change.entity) {
            case nil:
                outcome = .rejected(
                    Rejection(
                        rule: "schema", reason: "there is no record type '\(change.entity)'",
                        remedy: "update satchel; this server does not know that record type"))
            case let entity?:
                let stamp = FieldStamp(
                    dot: change.dot, hlc: change.hlc, wall: change.wallTime, user: environment.writer.user,
                    device: environment.writer.device)
                switch change.operation {
                case let .insert(values):
                    outcome = insert(values, change: change, stamp: stamp, entity: entity, row: &row, environment: environment)
                case let .update(field, value, base):
                    outcome = update(
                        field: field, value: value, base: base, change: change, stamp: stamp, entity: entity, row: &row,
                        environment: environment)
                case .delete:
                    outcome = delete(change: change, stamp: stamp, entity: entity, row: &row)
                }
            }
            if case .rejected = outcome {
            } else if let entity = schema.entity(change.entity),
                let violation = stepViolation(entity, change: change, before: previous, after: row, environment: environment)
            {
                row = previous
                outcome = .rejected(violation)
            }
            if case .rejected = outcome {} else { row?.version.record(change.dot) }
            outcomes.append((change, outcome))
        }
        return RowMerge(row: row, outcomes: outcomes)
    }

    /// Judges the ``Invariant/Scope/eachChange`` invariants of one change.
    private func stepViolation(
        _ entity: EntitySchema, change: Change, before: RowState?, after: RowState?, environment: MergeEnvironment
    ) -> Rejection? {
        guard let after else { return nil }
        let beforeValues = before?.values
        if after.isDeleted && (before?.isDeleted ?? true) { return nil }
        let input = InvariantInput(
            before: beforeValues, after: after.values, deleting: after.isDeleted, writer: environment.writer,
            lookup: { entity, id in
                guard let other = environment.lookup(entity, id), !other.isDeleted else { return nil }
                return other.values
            })
        for invariant in entity.invariants where invariant.scope == .eachChange {
            switch change.operation {
            case .update(let field, _, _) where !invariant.fields.contains(field): continue
            default: break
            }
            if let violation = invariant.check(input) {
                return Rejection(rule: invariant.name, reason: violation.reason, remedy: violation.remedy)
            }
        }
        return nil
    }

    // MARK: - Insert

    private func insert(
        _ values: [String: FieldValue], change: Change, stamp: FieldStamp, entity: EntitySchema, row: inout RowState?,
        environment: MergeEnvironment
    ) -> MergeOutcome {
        guard row == nil else {
            return .rejected(
                Rejection(
                    rule: "identity", reason: "\(entity.labelWithArticle) with id \(change.rowID) already exists",
                    remedy: "create it again; satchel gives every new record a fresh id"))
        }
        let checked: [String: FieldValue]
        do {
            checked = try entity.validateInsert(values)
        } catch {
            return .rejected(Rejection(rule: "schema", reason: error.description, remedy: "correct the value and save again"))
        }
        if !environment.writer.isPrivileged,
            let owned = entity.fields.first(where: { $0.rule == .serverOwned && !(checked[$0.name]?.isNull ?? true) })
        {
            return .rejected(
                Rejection(
                    rule: FieldRule.serverOwned.rawValue,
                    reason: "\(owned.label) is set by the company, not on a laptop",
                    remedy: "create the \(entity.label) without \(owned.label)"))
        }
        var state = RowState(entity: entity.name, id: change.rowID, values: checked)
        for (name, value) in checked where !value.isNull {
            state.stamps[name] = stamp
            if entity.field(name)?.rule == .addWinsSet, let members = value.setValue {
                state.members[name] = Dictionary(uniqueKeysWithValues: members.map { ($0, change.dot) })
            }
        }
        row = state
        if let matcher = entity.duplicates {
            let keys = matcher.keys(of: checked)
            var matches: [(id: String, title: String, match: DuplicateMatch)] = []
            if !keys.isEmpty {
                for id in environment.candidates(entity.name, keys, change.rowID) {
                    guard let other = environment.lookup(entity.name, id), !other.isDeleted,
                        let match = matcher.match(checked, other.values)
                    else { continue }
                    matches.append((id, entity.title(of: other.values, id: id), match))
                }
            }
            if !matches.isEmpty {
                matches.sort { $0.id < $1.id }
                let title = entity.title(of: checked, id: change.rowID)
                var described = matches.prefix(3).map { "\($0.title) (\($0.match.reason))" }.joined(separator: "; ")
                if matches.count > 3 { described += " and \(matches.count - 3) more" }
                return .queued(
                    Conflict(
                        id: change.dot.description, kind: .duplicateCandidate, entity: entity.name, rowID: change.rowID,
                        rowTitle: title, field: nil, rule: "natural-key:\(matches[0].match.signal)", base: .null,
                        contenders: [Contender(value: .null, action: .insert, stamp: stamp, isCurrent: false)],
                        relatedRowIDs: matches.map(\.id),
                        reasons: Dictionary(uniqueKeysWithValues: matches.map { ($0.id, $0.match.reason) }),
                        explanation:
                            "\(stamp.user) created \(title), which may be the same \(entity.label) as \(described); "
                            + "an admin will review."))
            }
        }
        return .applied
    }

    // MARK: - Update

    private func update(
        field name: String, value: FieldValue, base: FieldValue, change: Change, stamp: FieldStamp,
        entity: EntitySchema, row: inout RowState?, environment: MergeEnvironment
    ) -> MergeOutcome {
        guard entity.insertRule != .appendOnly else {
            return .rejected(
                Rejection(
                    rule: InsertRule.appendOnly.rawValue, reason: "\(entity.labelWithArticle) cannot be changed once recorded",
                    remedy: "record a new \(entity.label) that corrects it"))
        }
        guard var state = row else {
            return .rejected(
                Rejection(
                    rule: "identity", reason: "there is no \(entity.label) \(change.rowID)",
                    remedy: "sync to fetch it, or create it first"))
        }
        let incoming: FieldValue
        let field: FieldSchema
        do {
            incoming = try entity.validateUpdate(field: name, value)
            field = entity.field(name)!
        } catch .retiredField(_, _, let reason) {
            let label = entity.retiredField(name)?.field.label ?? name
            return .rejected(
                Rejection(
                    rule: "retired", reason: "the field \(label) of \(entity.labelWithArticle) was \(reason); it takes no more values",
                    remedy: "nothing to do: the value you entered stays in the record's history"))
        } catch {
            return .rejected(Rejection(rule: "schema", reason: error.description, remedy: "correct the value and save again"))
        }
        var resurrected: FieldStamp?
        if let tombstone = state.deleted {
            if change.context.covers(tombstone.dot) || entity.deleteRule != .editWinsAndQueue {
                return .rejected(
                    Rejection(
                        rule: change.context.covers(tombstone.dot) ? "deleted" : entity.deleteRule.rawValue,
                        reason: "\(entity.title(of: state.values, id: state.id)) was deleted by \(tombstone.user)",
                        remedy: "create it again if it is still needed"))
            }
            // Edit wins: the row comes back with the edit, and the delete goes to review below.
            state.deleted = nil
            resurrected = tombstone
        }
        let write = FieldWrite(
            field: field, current: state.values[name] ?? .null, currentStamp: state.stamps[name],
            currentMembers: state.members[name] ?? [:], incoming: incoming, base: base, incomingStamp: stamp,
            context: change.context, writer: environment.writer)
        var outcome: MergeOutcome
        switch field.rule.strategy.resolve(write) {
        case .adopt:
            state.values[name] = incoming
            state.stamps[name] = stamp
            if field.rule == .addWinsSet {
                state.members[name] = Dictionary(uniqueKeysWithValues: (incoming.setValue ?? []).map { ($0, change.dot) })
            }
            outcome = write.isConcurrent ? .merged(winner: incoming, rule: field.rule.rawValue) : .applied
        case .keep:
            outcome = .merged(winner: write.current, rule: field.rule.rawValue)
        case let .combine(combined, members):
            if combined != write.current {
                state.values[name] = combined
                var combinedStamp = stamp
                if write.isConcurrent, combined != incoming, let current = write.currentStamp {
                    // The writer has not seen this value: it holds the other side's writes too.
                    combinedStamp.merged = Array(Set([current.dot] + current.merged).subtracting([stamp.dot])).sorted()
                }
                state.stamps[name] = combinedStamp
            }
            if let members { state.members[name] = members }
            outcome = combined == incoming && !write.isConcurrent ? .applied : .merged(winner: combined, rule: field.rule.rawValue)
        case let .queue(reason):
            let title = entity.title(of: state.values, id: state.id)
            let current = write.currentStamp!
            outcome = .queued(
                Conflict(
                    id: change.dot.description, kind: .field, entity: entity.name, rowID: state.id, rowTitle: title,
                    field: name, rule: field.rule.rawValue, base: base,
                    contenders: [
                        Contender(value: write.current, stamp: current, isCurrent: true),
                        Contender(value: incoming, stamp: stamp, isCurrent: false),
                    ],
                    explanation:
                        "\(Merger.who(current)) and \(Merger.who(stamp)) both changed the \(field.label) of \(title) "
                        + "while offline; \(reason)."))
        case let .reject(rejection):
            return .rejected(rejection)
        }
        if let tombstone = resurrected {
            let title = entity.title(of: state.values, id: state.id)
            outcome = .queued(
                Conflict(
                    id: change.dot.description, kind: .deleteVersusEdit, entity: entity.name, rowID: state.id,
                    rowTitle: title, field: name, rule: entity.deleteRule.rawValue, base: base,
                    contenders: [
                        Contender(value: .null, action: .delete, stamp: tombstone, isCurrent: true),
                        Contender(value: incoming, stamp: stamp, isCurrent: false),
                    ],
                    explanation:
                        "\(Merger.who(tombstone)) deleted \(title) while \(Merger.who(stamp)) was changing its "
                        + "\(field.label); the \(entity.label) was kept and the delete needs review."))
        }
        row = state
        return outcome
    }

    // MARK: - Delete

    private func delete(change: Change, stamp: FieldStamp, entity: EntitySchema, row: inout RowState?) -> MergeOutcome {
        guard entity.deleteRule != .never else {
            return .rejected(
                Rejection(
                    rule: entity.insertRule == .appendOnly ? InsertRule.appendOnly.rawValue : "no-delete",
                    reason: "\(entity.labelWithArticle) cannot be deleted once recorded",
                    remedy: entity.insertRule == .appendOnly
                        ? "record a new \(entity.label) that corrects it" : "ask an admin to archive it instead"))
        }
        guard var state = row else {
            return .rejected(
                Rejection(
                    rule: "identity", reason: "there is no \(entity.label) \(change.rowID)",
                    remedy: "nothing to do: it does not exist"))
        }
        if state.isDeleted { return .applied }
        if entity.deleteRule == .editWinsAndQueue,
            // The latest unseen edit; of edits made together (an insert's fields share a stamp)
            // the field declared first, so every store and replica names the same one.
            let unseen = state.stamps.filter({ !$0.value.isCovered(by: change.context) }).max(by: { lhs, rhs in
                lhs.value.hlc != rhs.value.hlc
                    ? lhs.value.hlc < rhs.value.hlc : entity.fieldIndex(lhs.key) > entity.fieldIndex(rhs.key)
            })
        {
            let title = entity.title(of: state.values, id: state.id)
            let label = entity.field(unseen.key)?.label ?? unseen.key
            return .queued(
                Conflict(
                    id: change.dot.description, kind: .deleteVersusEdit, entity: entity.name, rowID: state.id,
                    rowTitle: title, field: unseen.key, rule: entity.deleteRule.rawValue, base: .null,
                    contenders: [
                        Contender(value: state.values[unseen.key] ?? .null, stamp: unseen.value, isCurrent: true),
                        Contender(value: .null, action: .delete, stamp: stamp, isCurrent: false),
                    ],
                    explanation:
                        "\(Merger.who(stamp)) deleted \(title) while \(Merger.who(unseen.value)) was changing its "
                        + "\(label); the \(entity.label) was kept and the delete needs review."))
        }
        state.deleted = stamp
        row = state
        return .applied
    }

    static func who(_ stamp: FieldStamp) -> String {
        "\(stamp.user) (\(stamp.device))"
    }
}
