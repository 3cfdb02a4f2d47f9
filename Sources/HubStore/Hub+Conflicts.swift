import GRDB
import HubEngine
import SyncCore

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

}

extension Hub {
    /// Resolves a conflict with a change that dominates every contender, so it reaches every
    /// replica and wins everywhere (``HubPlanner/resolve(_:choice:by:now:into:)`` decides it;
    /// the audit entry is written first, in the same transaction). Returns the row's new state.
    @discardableResult
    public func resolve(
        _ id: String, choice: ConflictChoice, by resolver: String, from device: String = Actor.serverOperator.device
    ) throws -> RowState? {
        let now = clock()
        return try writer.write { db in
            try Hub.audit("conflict.resolve", target: id, detail: choice.phrase, by: Actor(user: resolver, device: device), at: now, db: db)
            return try planned(db) { draft in try planner.resolve(id, choice: choice, by: resolver, now: now, into: draft) }
        }
    }

    static func queued(_ row: Row) throws -> QueuedConflict {
        QueuedConflict(
            conflict: try WireJSON.decode(Conflict.self, fromText: row["body"]),
            isOpen: (row["status"] as String) == "open",
            createdAt: row["created_at"],
            resolution: try (row["resolution"] as String?).map { try WireJSON.decode(ConflictChoice.self, fromText: $0) },
            resolvedBy: row["resolved_by"], resolvedAt: row["resolved_at"])
    }
}
