import GRDB
import HubEngine
import SyncCore

extension Hub {
    // MARK: - History

    /// Every recorded event of one record, oldest first (empty for a record the hub never saw).
    public func history(_ entity: String, id: String) throws -> [HistoryEntry] {
        try writer.read { db in
            try String.fetchAll(
                db.cachedStatement(sql: "SELECT entry FROM hub_history WHERE entity = ? AND row_id = ? ORDER BY id"),
                arguments: [entity, id]
            ).map { try WireJSON.decode(HistoryEntry.self, fromText: $0) }
        }
    }

    /// The history of a record the reader may see; nil when the hub has no such record or it
    /// is outside `scope`.
    public func history(_ entity: String, id: String, scope: ReadScope) throws -> [HistoryEntry]? {
        try writer.read { db in
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT account_id FROM hub_row WHERE entity = ? AND row_id = ?"),
                    arguments: [entity, id]),
                try Hub.scope(scope, covers: row["account_id"] as String?, db: db)
            else { return nil }
            return try String.fetchAll(
                db.cachedStatement(sql: "SELECT entry FROM hub_history WHERE entity = ? AND row_id = ? ORDER BY id"),
                arguments: [entity, id]
            ).map { try WireJSON.decode(HistoryEntry.self, fromText: $0) }
        }
    }

    static func record(_ entry: HistoryEntry, entity: String, id: String, db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO hub_history (entity, row_id, entry) VALUES (?, ?, ?)")
            .execute(arguments: [entity, id, RowJSON.historyEntry(entry)])
    }

    // MARK: - Departures

    /// The accounts that left `scope` in the feed positions `(cursor, end]`: a transfer moved
    /// them from a placement the scope covered to one it does not.
    static func departures(_ scope: ReadScope, after cursor: Int64, upTo end: Int64, schema: Schema, db: Database) throws
        -> [Departure]
    {
        guard !scope.everything, end > cursor else { return [] }
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT f.account_id, f.territory, f.owner, f.seq, f.new_owner, f.moved_by,
                        a.territory AS now_territory, a.owner AS now_owner, r.state
                    FROM hub_account_former f
                    LEFT JOIN hub_account a ON a.account_id = f.account_id
                    LEFT JOIN hub_row r ON r.entity = 'account' AND r.row_id = f.account_id
                    WHERE f.seq > ? AND f.seq <= ? ORDER BY f.seq
                    """),
            arguments: [cursor, end])
        // An account moved more than once in the range left the reader if the reader held it
        // at any of those moves and does not hold it now; the last move says where it went.
        var heldBefore: Set<String> = []
        for row in rows where scope.contains(territory: row["territory"], owner: row["owner"]) {
            heldBefore.insert(row["account_id"])
        }
        var departures: [Departure] = []
        var seen: Set<String> = []
        for row in rows.reversed() {
            let id: String = row["account_id"]
            guard !seen.contains(id) else { continue }
            seen.insert(id)
            guard heldBefore.contains(id), !scope.contains(territory: row["now_territory"], owner: row["now_owner"])
            else { continue }
            let root = schema.placement?.root ?? ""
            let title = try (row["state"] as String?).map { try WireJSON.decode(RowState.self, fromText: $0) }
                .map { schema.entity(root)?.title(of: $0.values, id: id) ?? id } ?? id
            departures.append(
                Departure(
                    entity: root, id: id, title: title, to: row["new_owner"] ?? "", by: row["moved_by"] ?? "",
                    seq: row["seq"]))
        }
        return departures.sorted { $0.seq < $1.seq }
    }
}
