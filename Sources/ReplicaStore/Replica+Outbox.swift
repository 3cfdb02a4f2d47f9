import Foundation
import GRDB
import SyncCore

extension Replica {
    // MARK: - Outbox

    /// The number of captured changes not yet acknowledged by the hub.
    public func pendingCount() throws -> Int {
        try writer.read { db in try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM _outbox")) ?? 0 }
    }

    /// The captured changes not yet acknowledged, oldest first, as one changeset (nil when none).
    ///
    /// Reading the outbox changes nothing: a push that fails or whose answer is lost is simply
    /// read and sent again, and the hub's high-water mark makes the repeat harmless.
    public func pendingChangeset(limit: Int = 5000) throws -> Changeset? {
        try writer.read { db in
            let me = try Replica.identity(db)
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT counter, hlc, wall, entity, row_id, op, field, value, base, context FROM _outbox
                        ORDER BY counter LIMIT ?
                        """),
                arguments: [limit])
            guard !rows.isEmpty else { return nil }
            let changes = try rows.map { try change(from: $0, replica: me.replicaID) }
            return Changeset(
                replica: me.replicaID, user: me.user, device: me.device, schemaVersion: schema.version, changes: changes
            )
        }
    }

    /// A change from its outbox row (`counter, hlc, wall, entity, row_id, op, field, value, base,
    /// context`, read by position).
    private func change(from row: Row, replica: ReplicaID) throws -> Change {
        let entityName: String = row[3]
        let entity = try schema.requireEntityOrThrow(entityName)
        let op: String = row[5]
        let operation: Change.Operation
        switch op {
        case "insert":
            let values = try WireJSON.decode([String: FieldValue].self, fromText: row[7])
            operation = .insert(values)
        case "update":
            let name: String = row[6]
            // A field retired since the change was made still travels: the hub answers it.
            guard let field = entity.field(name) ?? entity.retiredField(name)?.field else {
                throw ReplicaError.invalid(.unknownField(entity: entityName, field: name))
            }
            // A value the schema refuses (written by raw SQL) still travels: the hub rejects it
            // with a reason the rep sees, instead of the outbox jamming here.
            let text: String? = row[7]
            let value = (try? WireJSON.decode(FieldValue.self, fromText: text ?? "")) ?? .text(text ?? "")
            let base = (try? SQLMapping.decodeValue(row[8] ?? "null", field: field, entity: entityName)) ?? .null
            operation = .update(field: name, value: value, base: base)
        default:
            operation = .delete
        }
        return Change(
            dot: Dot(replica: replica, counter: UInt64(row[0] as Int64)), hlc: HLCTimestamp(packed: row[1]),
            wallTime: row[2], entity: entityName, rowID: row[4],
            context: try WireJSON.decode(VersionVector.self, fromText: row[9]), operation: operation)
    }

    // MARK: - Acknowledged changes, kept

    /// How long acknowledged changes are kept for a server restored from a backup: 30 days.
    public static let acknowledgedRetention: Int64 = 30 * 24 * 3600 * 1000

    /// The highest counter the server has acknowledged (0 when none is kept).
    public func acknowledgedThrough() throws -> UInt64 {
        try writer.read { db in
            UInt64(try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(counter) FROM _sent")) ?? 0)
        }
    }

    /// Puts the acknowledged changes after `highWater` back in the outbox, because the server
    /// says it holds only up to there (it was restored from a backup). They are pushed again
    /// with their original counters, clocks and contexts; the server takes them as new.
    ///
    /// - Returns: how many changes were put back.
    /// - Throws: ``ReplicaError/invalid(_:)`` when the changes right after `highWater` are no
    ///   longer kept (older than the retention): the server lost them for good.
    @discardableResult
    public func requeueAcknowledged(after highWater: UInt64) throws -> Int {
        try writer.write { db in
            let kept = try Int.fetchOne(
                db.cachedStatement(sql: "SELECT COUNT(*) FROM _sent WHERE counter > ?"), arguments: [Int64(highWater)]) ?? 0
            guard kept > 0 else { return 0 }
            let first = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT MIN(counter) FROM _sent WHERE counter > ?"), arguments: [Int64(highWater)]) ?? 0
            guard first == Int64(highWater) + 1 else {
                throw ReplicaError.lostOnServer(from: highWater + 1, keptFrom: UInt64(first))
            }
            try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO _outbox (counter, hlc, wall, entity, row_id, op, field, value, base, context)
                    SELECT counter, hlc, wall, entity, row_id, op, field, value, base, context FROM _sent WHERE counter > ?
                    """
            ).execute(arguments: [Int64(highWater)])
            try db.cachedStatement(sql: "DELETE FROM _sent WHERE counter > ?").execute(arguments: [Int64(highWater)])
            try reopenUploads(db)
            return kept
        }
    }

    /// Records the hub's outcomes for pushed changes and removes them from the outbox, in one
    /// transaction. Outcomes for counters no longer in the outbox are ignored (a repeated answer).
    ///
    /// A row pulled while it had pending changes was held back (see ``apply(_:)``); once the
    /// hub's held state covers an acknowledged change, that state is applied here, so a verdict
    /// that arrived before its answer is not missed.
    public func acknowledge(_ response: PushResponse) throws {
        let now = clock()
        try writer.write { db in
            try db.cachedStatement(sql: "DELETE FROM _sent WHERE acknowledged_at < ?").execute(arguments: [
                now - Replica.acknowledgedRetention
            ])
            var touched: [(entity: String, rowID: String, dot: Dot, refused: Bool)] = []
            let me = try Replica.identity(db)
            // The changes answered, read once; an answer for a change no longer in the outbox (a
            // repeated answer) finds nothing and is ignored, and so is a second answer for one.
            var pending: [Int64: (entity: String, rowID: String, op: String)] = [:]
            if let first = response.outcomes.map(\.counter).min(), let last = response.outcomes.map(\.counter).max() {
                for row in try Row.fetchAll(
                    db.cachedStatement(sql: "SELECT counter, entity, row_id, op FROM _outbox WHERE counter BETWEEN ? AND ?"),
                    arguments: [Int64(first), Int64(last)])
                {
                    pending[row[0]] = (row[1], row[2], row[3])
                }
            }
            var refusedInserts: [(entity: String, rowID: String)] = []
            // Each answer as [counter, kind, detail, seen]: one statement records them all, and the
            // same list moves them from the outbox; an outcome repeated (most are "applied") is
            // encoded once.
            var answers: [String] = []
            var details: [MergeOutcome: String] = [:]
            for item in response.outcomes {
                let counter = Int64(item.counter)
                guard let change = pending.removeValue(forKey: counter) else { continue }
                let detail: String
                if let known = details[item.outcome] {
                    detail = known
                } else {
                    detail = try WireJSON.text(item.outcome)
                    details[item.outcome] = detail
                }
                answers.append(
                    "[\(counter),\(RowJSON.quoted(item.outcome.kind)),\(RowJSON.quoted(detail)),\(item.outcome == .applied ? 1 : 0)]")
                var refused = false
                if case .rejected = item.outcome { refused = true }
                touched.append((change.entity, change.rowID, Dot(replica: me.replicaID, counter: item.counter), refused))
                // A refused insert never reached the hub: the row leaves the laptop too (its values
                // stay in the outcome, for the rep to see and enter again).
                if refused, change.op == "insert" { refusedInserts.append((change.entity, change.rowID)) }
            }
            let list = "[" + answers.joined(separator: ",") + "]"
            try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO _outcome
                        (counter, entity, row_id, op, field, value, kind, detail, received_at, seen)
                    SELECT o.counter, o.entity, o.row_id, o.op, o.field, o.value,
                        json_extract(a.value, '$[1]'), json_extract(a.value, '$[2]'), ?, json_extract(a.value, '$[3]')
                    FROM json_each(?) AS a JOIN _outbox AS o ON o.counter = json_extract(a.value, '$[0]')
                    """
            ).execute(arguments: [now, list])
            // The answered changes move from the outbox to the kept ones, all at once.
            try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO _sent
                        (counter, hlc, wall, entity, row_id, op, field, value, base, context, acknowledged_at)
                    SELECT counter, hlc, wall, entity, row_id, op, field, value, base, context, ? FROM _outbox
                    WHERE counter IN (SELECT json_extract(value, '$[0]') FROM json_each(?))
                    """
            ).execute(arguments: [now, list])
            try db.cachedStatement(
                sql: "DELETE FROM _outbox WHERE counter IN (SELECT json_extract(value, '$[0]') FROM json_each(?))"
            ).execute(arguments: [list])
            for (entityName, rowID) in refusedInserts {
                guard let entity = schema.entity(entityName) else { continue }
                try Replica.withCaptureOff(db) {
                    try db.cachedStatement(sql: "DELETE FROM \(SQLMapping.quote(entity.name)) WHERE id = ?").execute(
                        arguments: [rowID])
                }
            }
            // Rows held back are rare: most answers find none, and skip the look-ups.
            let anyHeld = try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM _held_snapshot)")) ?? false
            try Replica.withCaptureOff(db) {
                // One schema for the whole loop: the prepared upserts follow its field lists.
                let current = self.schema
                var upserts = UpsertStatements()
                for (entity, rowID, dot, refused) in anyHeld ? touched : [] {
                    guard
                        let text = try String.fetchOne(
                            db.cachedStatement(sql: "SELECT snapshot FROM _held_snapshot WHERE entity = ? AND row_id = ?"),
                            arguments: [entity, rowID]),
                        let schema = current.entity(entity)
                    else { continue }
                    let held = try WireJSON.decode(RowSnapshot.self, fromText: text)
                    // The held state settles the row once it covers our change; also when the hub
                    // refused the change (it took no effect, and a row the hub no longer holds is never
                    // fed again), and for a tombstone once nothing of ours on the row is left to push
                    // (our edit went to the record it was merged into).
                    let nothingLeft =
                        try
                        !(Bool.fetchOne(
                            db.cachedStatement(
                                sql: "SELECT EXISTS (SELECT 1 FROM _outbox WHERE entity = ? AND row_id = ?)"),
                            arguments: [entity, rowID]) ?? false)
                    if held.version.covers(dot) || refused || (held.deleted && nothingLeft) {
                        try applyRemote(held, entity: schema, upserts: &upserts, db: db)
                    }
                }
                try dropDeparted(now: now, db: db)
            }
        }
    }

    /// The outcome the hub gave each of this replica's pushed changes, newest first.
    public func outcomes(unseenOnly: Bool = false) throws -> [RecordedOutcome] {
        try writer.read { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT * FROM _outcome \(unseenOnly ? "WHERE seen = 0" : "") ORDER BY counter DESC")
            ).map { row in
                RecordedOutcome(
                    counter: UInt64(row["counter"] as Int64), entity: row["entity"], rowID: row["row_id"],
                    op: row["op"],
                    status: row["kind"],
                    field: row["field"], value: row["value"],
                    outcome: try WireJSON.decode(MergeOutcome.self, fromText: row["detail"]),
                    receivedAt: row["received_at"])
            }
        }
    }

    /// Marks every recorded outcome as seen by the rep.
    public func markOutcomesSeen() throws {
        try writer.write { db in
            try db.cachedStatement(sql: "UPDATE _outcome SET seen = 1 WHERE seen = 0").execute()
            try db.cachedStatement(sql: "UPDATE _notice SET seen = 1 WHERE seen = 0").execute()
        }
    }
}

/// The outcome of one of this replica's changes, as the hub reported it.
public struct RecordedOutcome: Hashable, Sendable {
    public var counter: UInt64
    public var entity: String
    public var rowID: String
    public var op: String
    /// The outcome kind, or what became of it since: "overridden" (someone overwrote it, or a
    /// resolution went the other way) or "accepted" (a resolution kept it).
    public var status: String
    public var field: String?
    /// What the rep wrote, as JSON (the field's value, or an insert's values); nil for a delete.
    public var value: String?
    public var outcome: MergeOutcome
    public var receivedAt: Int64
}
