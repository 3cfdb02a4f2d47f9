import GRDB
import HubEngine
import SyncCore

extension HubService where Storage == SQLiteHubStorage {
    /// Checks the store's invariants and returns every problem found (empty when it is sound):
    /// SQLite's own integrity; every row's state readable and agreeing with its columns (entity,
    /// id, tombstone, root, feed position); every root's place in `hub_account` as its values say,
    /// and every row's copy of its root's place (what scoped pulls read) agreeing with it;
    /// high-water marks at or above every stored outcome; conflicts about known record types.
    ///
    /// It reads only: run it on a live store or on a copy (`satchel-server check`).
    public func check() throws -> [String] {
        try storage.writer.read { db in
            var problems: [String] = []
            // SQLite 3.40 reports NOT NULL columns of WITHOUT ROWID tables as "NULL value in T.C"
            // when the column comes before a primary-key column, even when no value is NULL
            // (hub_key here): such lines are checked again with a plain query.
            var integrity: [String] = []
            for line in try String.fetchAll(db, sql: "PRAGMA integrity_check") where line != "ok" {
                if line.hasPrefix("NULL value in "), case let parts = line.dropFirst(14).split(separator: "."), parts.count == 2,
                    try Int.fetchOne(
                        db,
                        sql: "SELECT COUNT(*) FROM \(SQLiteHubStorage.quote(String(parts[0]))) WHERE \(SQLiteHubStorage.quote(String(parts[1]))) IS NULL"
                    ) == 0
                {
                    continue
                }
                integrity.append(line)
            }
            if !integrity.isEmpty { problems.append("SQLite integrity: " + integrity.prefix(5).joined(separator: "; ")) }
            let feedEnd = try SQLiteHubStorage.currentSeq(db)
            let draft = try draft(SQLiteHubView(db: db, schema: schema))
            let rows = try Row.fetchCursor(db, sql: "SELECT entity, row_id, seq, deleted, account_id, state FROM hub_row")
            while let row = try rows.next() {
                let entity: String = row["entity"]
                let id: String = row["row_id"]
                let name = "\(entity) \(id)"
                guard schema.entity(entity) != nil else {
                    problems.append("\(name): no such record type in schema \(schema.version)")
                    continue
                }
                let state: RowState
                do {
                    state = try WireJSON.decode(RowState.self, fromText: row["state"] as String)
                } catch {
                    problems.append("\(name): its stored state cannot be read (\(error))")
                    continue
                }
                if state.entity != entity || state.id != id { problems.append("\(name): its state names \(state.entity) \(state.id)") }
                if state.isDeleted != row["deleted"] { problems.append("\(name): the tombstone flag disagrees with its state") }
                if (row["seq"] as Int64) > feedEnd { problems.append("\(name): its feed position is past the feed's end") }
                let root = try draft.rootID(of: state)
                // A root that cannot be computed (a parent compacted away) is not a disagreement.
                if !state.isDeleted, let root, root != row["account_id"] {
                    problems.append("\(name): filed under \(row["account_id"] as String? ?? "nothing"), but it hangs under \(root)")
                }
                if let placement = schema.placement, entity == placement.root {
                    let stored = try SQLiteHubView.location(ofRoot: id, db: db)
                    if stored != placement.location(of: state.values) {
                        problems.append("\(name): its territory and owner disagree with hub_account")
                    }
                }
            }
            let misplaced = try Row.fetchAll(
                db,
                sql: """
                    SELECT r.entity, r.row_id FROM hub_row r LEFT JOIN hub_account a ON a.account_id = r.account_id
                    WHERE r.territory IS NOT a.territory OR r.owner IS NOT a.owner LIMIT 20
                    """)
            for row in misplaced {
                problems.append(
                    "\(row["entity"] as String) \(row["row_id"] as String): the territory and owner it is pulled by disagree with its root's in hub_account")
            }
            let marks = try Row.fetchAll(
                db,
                sql: """
                    SELECT o.replica_id, MAX(o.counter) AS top, r.high_water FROM hub_outcome o
                    LEFT JOIN hub_replica r ON r.replica_id = o.replica_id
                    WHERE o.replica_id <> (SELECT replica_id FROM hub_meta) GROUP BY o.replica_id
                    """)
            for mark in marks where (mark["high_water"] as Int64? ?? 0) < (mark["top"] as Int64) {
                problems.append("replica \(mark["replica_id"] as String): outcomes stored past its high-water mark")
            }
            for entity in try String.fetchAll(db, sql: "SELECT DISTINCT entity FROM hub_conflict") where schema.entity(entity) == nil {
                problems.append("conflicts about \(entity), a record type schema \(schema.version) does not have")
            }
            return problems
        }
    }
}
