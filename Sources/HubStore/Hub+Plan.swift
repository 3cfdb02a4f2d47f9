import Foundation
import GRDB
import HubEngine
import SyncCore

/// The SQLite store's side of the planner's seam: a view that answers from the open
/// transaction, and the one place that writes a plan.
///
/// One view serves one operation, and nothing is written while the operation plans (the plan is
/// applied after), so what the view read once stays true until the operation ends: a row read
/// for its root (placement is judged first) is not looked up again when the merge reads its
/// state.
final class SQLiteHubView: HubView {
    let db: Database
    let schema: Schema
    /// Rows read so far, by `entity/id`: the stored state's JSON and its root; nil for a row the
    /// store does not hold.
    private var stored: [String: (state: String, root: String?)?] = [:]

    init(db: Database, schema: Schema) {
        self.db = db
        self.schema = schema
    }

    private func storedRow(_ entity: String, id: String) throws -> (state: String, root: String?)? {
        let key = entity + "/" + id
        if let known = stored[key] { return known }
        let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT state, account_id FROM hub_row WHERE entity = ? AND row_id = ?"),
            arguments: [entity, id]
        ).map { (state: $0["state"] as String, root: $0["account_id"] as String?) }
        stored[key] = .some(row)
        return row
    }

    func row(_ entity: String, id: String) throws -> RowState? {
        try storedRow(entity, id: id).map { try WireJSON.decode(RowState.self, fromText: $0.state) }
    }

    func storedRoot(_ entity: String, id: String) throws -> String?? {
        guard let row = try storedRow(entity, id: id) else { return nil }
        return .some(row.root)
    }

    func location(ofRoot id: String) throws -> Placement.Location? {
        try Self.location(ofRoot: id, db: db)
    }

    static func location(ofRoot id: String, db: Database) throws -> Placement.Location? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT territory, owner FROM hub_account WHERE account_id = ?"), arguments: [id])
        else { return nil }
        return Placement.Location(territory: row["territory"], owner: row["owner"])
    }

    func formerLocations(ofRoot id: String) throws -> [Placement.Location] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT territory, owner FROM hub_account_former WHERE account_id = ?"),
            arguments: [id]
        ).map { Placement.Location(territory: $0["territory"], owner: $0["owner"]) }
    }

    func rows(under root: String) throws -> [(entity: String, id: String)] {
        guard let placement = schema.placement else { return [] }
        return try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT entity, row_id FROM hub_row WHERE account_id = ? AND NOT (entity = ? AND row_id = ?) ORDER BY entity, row_id"),
            arguments: [root, placement.root, root]
        ).map { (entity: $0["entity"], id: $0["row_id"]) }
    }

    func redirect(_ entity: String, id: String) throws -> String? {
        try Hub.redirect(entity, id: id, db: db)
    }

    func highWater(of replica: ReplicaID) throws -> UInt64 {
        try Hub.highWater(replica, db: db)
    }

    func outcome(of replica: ReplicaID, counter: UInt64) throws -> MergeOutcome? {
        try String.fetchOne(
            db.cachedStatement(sql: "SELECT outcome FROM hub_outcome WHERE replica_id = ? AND counter = ?"),
            arguments: [replica.rawValue, Int64(counter)]
        ).map { try WireJSON.decode(MergeOutcome.self, fromText: $0) }
    }

    func oldestUnsent(of replica: ReplicaID, atOrBelow counter: UInt64, sentTo: Int64) throws -> UInt64? {
        // Newest first, down to the first change that had been sent: usually one row.
        let newest = try Row.fetchCursor(
            db.cachedStatement(
                sql: "SELECT counter, seq FROM hub_outcome WHERE replica_id = ? AND counter <= ? ORDER BY counter DESC"),
            arguments: [replica.rawValue, Int64(counter)])
        var oldest: UInt64?
        while let row = try newest.next() {
            if (row["seq"] as Int64) <= sentTo { break }
            oldest = UInt64(row["counter"] as Int64)
        }
        return oldest
    }

    func conflict(_ id: String) throws -> QueuedConflict? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM hub_conflict WHERE id = ?"), arguments: [id]).map(Hub.queued)
    }

    func meta() throws -> HubMeta {
        let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT replica_id, counter, hlc, seq FROM hub_meta"))
        return HubMeta(
            replica: ReplicaID(row?["replica_id"] ?? ""), counter: UInt64(row?["counter"] ?? Int64(0)),
            hlc: HLCTimestamp(packed: row?["hlc"] ?? 0), seq: row?["seq"] ?? 0)
    }

    func rows(_ entity: String, filedUnder key: DuplicateKey, excluding id: String, limit: Int) throws -> [String] {
        try String.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT row_id FROM hub_key WHERE entity = ? AND key_name = ? AND key_value = ? AND row_id != ?
                    LIMIT ?
                    """),
            arguments: [entity, key.name, key.value, id, limit])
    }

    func rows(_ entity: String, where field: String, is value: String) throws -> [String] {
        try String.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT row_id FROM hub_row WHERE entity = ? AND deleted = 0
                        AND json_extract(state, '$.values.' || ?) = ? ORDER BY row_id
                    """),
            arguments: [entity, field, value])
    }

    func redirects(_ entity: String, to id: String) throws -> [Redirection] {
        try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT from_id, merged_at, merged_by FROM hub_redirect WHERE entity = ? AND to_id = ? ORDER BY from_id"),
            arguments: [entity, id]
        ).map { Redirection(entity: entity, from: $0["from_id"], to: id, mergedAt: $0["merged_at"], mergedBy: $0["merged_by"]) }
    }

    func openConflicts(_ entity: String, kind: Conflict.Kind) throws -> [QueuedConflict] {
        try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT * FROM hub_conflict WHERE status = 'open' AND kind = ? AND entity = ? ORDER BY created_at, id"),
            arguments: [kind.rawValue, entity]
        ).map(Hub.queued)
    }
}

extension Hub {
    /// A draft over this transaction, for one operation.
    func draft(_ db: Database) throws -> PlanDraft {
        try PlanDraft(
            view: SQLiteHubView(db: db, schema: schema), schema: schema,
            wallMicros: Int64((Date().timeIntervalSince1970 * 1_000_000).rounded(.down)))
    }

    /// Writes a plan in the caller's transaction.
    static func apply(_ plan: HubPlan, db: Database) throws {
        for write in plan.rows {
            let state = write.state
            try db.cachedStatement(
                sql:
                    "INSERT OR REPLACE INTO hub_row (entity, row_id, seq, deleted, account_id, state) VALUES (?, ?, ?, ?, ?, ?)"
            ).execute(arguments: [state.entity, state.id, write.seq, state.isDeleted, write.root, RowJSON.rowState(state)])
            if let location = write.location {
                try db.cachedStatement(
                    sql: "INSERT OR REPLACE INTO hub_account (account_id, territory, owner) VALUES (?, ?, ?)"
                ).execute(arguments: [state.id, location.territory, location.owner])
            }
            if write.refile {
                try db.cachedStatement(sql: "DELETE FROM hub_key WHERE entity = ? AND row_id = ?")
                    .execute(arguments: [state.entity, state.id])
                try file(state, under: write.keys, db: db)
            }
        }
        for write in plan.outcomes {
            try db.cachedStatement(
                sql: "INSERT OR REPLACE INTO hub_outcome (replica_id, counter, outcome, seq) VALUES (?, ?, ?, ?)"
            ).execute(arguments: [
                write.replica.rawValue, Int64(write.counter),
                write.outcome == .applied ? #"{"kind":"applied"}"# : try WireJSON.text(write.outcome), write.visibleAt,
            ])
        }
        for write in plan.conflicts {
            let conflict = write.conflict
            try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO hub_conflict (id, entity, row_id, kind, status, body, created_at)
                    VALUES (?, ?, ?, ?, 'open', ?, ?)
                    """
            ).execute(arguments: [
                conflict.id, conflict.entity, conflict.rowID, conflict.kind.rawValue, try WireJSON.text(conflict),
                write.createdAt,
            ])
        }
        for settled in plan.settlements {
            try db.cachedStatement(
                sql: "UPDATE hub_conflict SET status = 'resolved', resolution = ?, resolved_by = ?, resolved_at = ? WHERE id = ?"
            ).execute(arguments: [try WireJSON.text(settled.choice), settled.by, settled.at, settled.id])
        }
        for resend in plan.resends {
            if let root = resend.root {
                try db.cachedStatement(sql: "UPDATE hub_row SET seq = ?, account_id = ? WHERE entity = ? AND row_id = ?")
                    .execute(arguments: [resend.seq, root, resend.entity, resend.id])
            } else {
                try db.cachedStatement(sql: "UPDATE hub_row SET seq = ? WHERE entity = ? AND row_id = ?")
                    .execute(arguments: [resend.seq, resend.entity, resend.id])
            }
        }
        for write in plan.redirects {
            let redirection = write.redirection
            try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO hub_redirect (entity, from_id, to_id, merged_at, merged_by, seq)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                redirection.entity, redirection.from, redirection.to, redirection.mergedAt, redirection.mergedBy, write.seq,
            ])
        }
        for departure in plan.departures {
            try db.cachedStatement(
                sql: """
                    INSERT INTO hub_account_former (account_id, territory, owner, until, seq, new_owner, moved_by)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                departure.root, departure.from.territory, departure.from.owner, departure.until, departure.seq,
                departure.newOwner, departure.movedBy,
            ])
        }
        for write in plan.history {
            try record(write.entry, entity: write.entity, id: write.id, db: db)
        }
        for mark in plan.replicaMarks {
            try db.cachedStatement(
                sql: """
                    INSERT INTO hub_replica (replica_id, high_water, user, device, last_push_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (replica_id) DO UPDATE SET
                        high_water = excluded.high_water, user = excluded.user, device = excluded.device,
                        last_push_at = excluded.last_push_at
                    """
            ).execute(arguments: [mark.replica.rawValue, Int64(mark.highWater), mark.user, mark.device, mark.at])
        }
        if let meta = plan.meta {
            try db.cachedStatement(sql: "UPDATE hub_meta SET seq = ?, hlc = ?, counter = ?")
                .execute(arguments: [meta.seq, meta.hlc.packed, Int64(meta.counter)])
        }
    }

    /// Plans with a fresh draft over this transaction and writes the plan.
    func planned<T>(_ db: Database, _ body: (PlanDraft) throws -> T) throws -> T {
        let draft = try draft(db)
        let result = try body(draft)
        try Hub.apply(draft.plan, db: db)
        return result
    }
}
