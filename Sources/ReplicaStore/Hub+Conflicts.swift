import GRDB
import HubEngine
import SyncCore

/// A conflict as the queue stores it: the record, its status and, once resolved, how.
public struct QueuedConflict: Hashable, Sendable {
    public var conflict: Conflict
    public var isOpen: Bool
    public var createdAt: Int64
    public var resolution: ConflictChoice?
    public var resolvedBy: String?
    public var resolvedAt: Int64?
}

/// How an admin settles a conflict.
public enum ConflictChoice: Hashable, Sendable, Codable {
    /// How the history says it.
    public var phrase: String {
        switch self {
        case .keepCurrent: "kept the current value"
        case .keepIncoming: "kept the incoming value"
        case let .value(value): "entered \(value)"
        case let .merged(into): "merged the pair into \(into)"
        }
    }

    /// Keep the value the row held when the conflict arose (for a delete-vs-edit: the live row
    /// if it was live, the delete if it was deleted; for a duplicate: keep both records).
    case keepCurrent
    /// Keep the incoming contender (for a delete-vs-edit: whichever side arrived second).
    case keepIncoming
    /// Enter a new value (field conflicts only).
    case value(FieldValue)
    /// A duplicate candidate settled by merging the pair into this record (``Hub/mergeRecords(_:keep:merge:take:by:)``).
    case merged(into: String)
}

/// Which queue items to list.
public struct ConflictFilter: Hashable, Sendable {
    public var includeResolved: Bool
    /// Only items about this record type (`account`, `opportunity`, …).
    public var entity: String?
    /// Only items queued by this rule: its full name (`review`, `natural-key:tax id`) or the part
    /// before the colon (`natural-key`).
    public var rule: String?
    /// Only items whose record's account is in this territory.
    public var territory: String?
    /// Only items queued at or before this time (Unix ms): the ones waiting longest.
    public var queuedBefore: Int64?

    public init(
        includeResolved: Bool = false, entity: String? = nil, rule: String? = nil, territory: String? = nil,
        queuedBefore: Int64? = nil
    ) {
        self.includeResolved = includeResolved
        self.entity = entity
        self.rule = rule
        self.territory = territory
        self.queuedBefore = queuedBefore
    }
}

extension Hub {
    /// The queue, oldest first; only open items unless `includeResolved`.
    /// The number of open conflicts (an indexed count, for `/metrics`).
    public func openConflictCount() throws -> Int {
        try writer.read { db in
            try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM hub_conflict WHERE status = 'open'")) ?? 0
        }
    }

    public func conflicts(includeResolved: Bool = false) throws -> [QueuedConflict] {
        try conflicts(matching: ConflictFilter(includeResolved: includeResolved))
    }

    /// The queue items `filter` selects, oldest first.
    public func conflicts(matching filter: ConflictFilter) throws -> [QueuedConflict] {
        try writer.read { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT c.* FROM hub_conflict c
                        LEFT JOIN hub_row r ON r.entity = c.entity AND r.row_id = c.row_id
                        LEFT JOIN hub_account a ON a.account_id = r.account_id
                        WHERE (? OR c.status = 'open') AND (? IS NULL OR c.entity = ?)
                            AND (? IS NULL OR a.territory = ?) AND (? IS NULL OR c.created_at <= ?)
                        ORDER BY c.created_at, c.id
                        """),
                arguments: [
                    filter.includeResolved, filter.entity, filter.entity, filter.territory, filter.territory,
                    filter.queuedBefore, filter.queuedBefore,
                ]
            ).map(Hub.queued).filter { item in
                guard let rule = filter.rule else { return true }
                return item.conflict.rule == rule || item.conflict.rule.split(separator: ":").first.map(String.init) == rule
            }
        }
    }

    /// One queue item, open or resolved.
    public func conflict(_ id: String) throws -> QueuedConflict {
        try writer.read { db in
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT * FROM hub_conflict WHERE id = ?"), arguments: [id])
            else {
                throw HubError.unknownConflict(id)
            }
            return try Hub.queued(row)
        }
    }

    private static func queued(_ row: Row) throws -> QueuedConflict {
        QueuedConflict(
            conflict: try SQLMapping.decode(Conflict.self, from: row["body"]),
            isOpen: (row["status"] as String) == "open",
            createdAt: row["created_at"],
            resolution: try (row["resolution"] as String?).map { try SQLMapping.decode(ConflictChoice.self, from: $0) },
            resolvedBy: row["resolved_by"], resolvedAt: row["resolved_at"])
    }

    /// Resolves a conflict with a change that dominates every contender, so it reaches every
    /// replica and wins everywhere. Returns the row's new state.
    ///
    /// The change is made by the hub's own replica, with a causal context covering the row's
    /// whole history and every contender, and is merged like any other change (as a privileged
    /// writer), so the row's rules and invariants still hold.
    @discardableResult
    public func resolve(
        _ id: String, choice: ConflictChoice, by resolver: String, from device: String = Actor.serverOperator.device
    ) throws -> RowState? {
        let now = clock()
        return try writer.write { db in
            try Hub.audit("conflict.resolve", target: id, detail: choice.phrase, by: Actor(user: resolver, device: device), at: now, db: db)
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT * FROM hub_conflict WHERE id = ?"), arguments: [id])
            else {
                throw HubError.unknownConflict(id)
            }
            let item = try Hub.queued(row)
            guard item.isOpen else { throw HubError.alreadyResolved(id) }
            let conflict = item.conflict
            guard let entity = schema.entity(conflict.entity) else {
                throw HubError.invalidResolution("the record type \(conflict.entity) no longer exists")
            }
            let state = try Hub.row(conflict.entity, id: conflict.rowID, db: db)
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
                let change = try hubChange(
                    conflict.entity, id: conflict.rowID, now: now, context: context, operation: operation, db: db)
                let merged = try merger.merge(
                    [change], into: state,
                    environment: environment(
                        writer: Writer(user: resolver, device: "server", isPrivileged: true), db: db))
                guard let outcome = merged.outcomes.first?.outcome else {
                    throw HubError.invalidResolution("the resolution produced no outcome")
                }
                if case .rejected(let rejection) = outcome {
                    throw HubError.invalidResolution("the resolution breaks \(rejection.rule): \(rejection.reason)")
                }
                if let after = merged.row {
                    try save(after, db: db)
                }
                result = merged.row
            }
            var entry = HistoryEntry(
                kind: .resolution, at: now, user: resolver, device: "server", op: operation?.name,
                field: conflict.field, detail: "settled conflict \(conflict.id) (\(conflict.rule)): \(choice.phrase)")
            if case let .update(_, value, _)? = operation { entry.value = value }
            try Hub.record(entry, entity: conflict.entity, id: conflict.rowID, db: db)
            try db.cachedStatement(
                sql:
                    "UPDATE hub_conflict SET status = 'resolved', resolution = ?, resolved_by = ?, resolved_at = ? WHERE id = ?"
            ).execute(arguments: [try SQLMapping.json(choice), resolver, now, id])
            return result
        }
    }
}
