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
                db.cachedStatement(sql: "SELECT * FROM _outbox ORDER BY counter LIMIT ?"), arguments: [limit])
            guard !rows.isEmpty else { return nil }
            let changes = try rows.map { try change(from: $0, replica: me.replicaID) }
            return Changeset(
                replica: me.replicaID, user: me.user, device: me.device, schemaVersion: schema.version, changes: changes
            )
        }
    }

    private func change(from row: Row, replica: ReplicaID) throws -> Change {
        let entityName: String = row["entity"]
        let entity = try schema.requireEntityOrThrow(entityName)
        let op: String = row["op"]
        let operation: Change.Operation
        switch op {
        case "insert":
            let values = try SQLMapping.decode([String: FieldValue].self, from: row["value"])
            operation = .insert(values)
        case "update":
            let name: String = row["field"]
            guard let field = entity.field(name) else {
                throw ReplicaError.invalid(.unknownField(entity: entityName, field: name))
            }
            // A value the schema refuses (written by raw SQL) still travels: the hub rejects it
            // with a reason the rep sees, instead of the outbox jamming here.
            let value = (try? SQLMapping.decode(FieldValue.self, from: row["value"])) ?? .text(row["value"] ?? "")
            let base = (try? SQLMapping.decodeValue(row["base"] ?? "null", field: field, entity: entityName)) ?? .null
            operation = .update(field: name, value: value, base: base)
        default:
            operation = .delete
        }
        return Change(
            dot: Dot(replica: replica, counter: UInt64(row["counter"] as Int64)), hlc: HLCTimestamp(packed: row["hlc"]),
            wallTime: row["wall"], entity: entityName, rowID: row["row_id"],
            context: try SQLMapping.decode(VersionVector.self, from: row["context"]), operation: operation)
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
            for item in response.outcomes {
                guard
                    let row = try Row.fetchOne(
                        db.cachedStatement(
                            sql: "SELECT entity, row_id, op, field, value FROM _outbox WHERE counter = ?"),
                        arguments: [Int64(item.counter)])
                else { continue }
                try db.cachedStatement(
                    sql: """
                        INSERT OR REPLACE INTO _outcome
                            (counter, entity, row_id, op, field, value, kind, detail, received_at, seen)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """
                ).execute(arguments: [
                    Int64(item.counter), row["entity"], row["row_id"], row["op"], row["field"], row["value"],
                    item.outcome.kind, try SQLMapping.json(item.outcome), now, item.outcome == .applied,
                ])
                try db.cachedStatement(
                    sql: """
                        INSERT OR REPLACE INTO _sent
                            (counter, hlc, wall, entity, row_id, op, field, value, base, context, acknowledged_at)
                        SELECT counter, hlc, wall, entity, row_id, op, field, value, base, context, ? FROM _outbox
                        WHERE counter = ?
                        """
                ).execute(arguments: [now, Int64(item.counter)])
                try db.cachedStatement(sql: "DELETE FROM _outbox WHERE counter = ?").execute(arguments: [
                    Int64(item.counter)
                ])
                var refused = false
                if case .rejected = item.outcome { refused = true }
                touched.append(
                    (row["entity"], row["row_id"], Dot(replica: me.replicaID, counter: item.counter), refused))
                // A refused insert never reached the hub: the row leaves the laptop too (its values
                // stay in the outcome, for the rep to see and enter again).
                if case .rejected = item.outcome, (row["op"] as String) == "insert",
                    let entity = schema.entity(row["entity"])
                {
                    try db.cachedStatement(sql: "UPDATE _replica SET applying = 1").execute()
                    try db.cachedStatement(sql: "DELETE FROM \(SQLMapping.quote(entity.name)) WHERE id = ?").execute(
                        arguments: [row["row_id"] as String])
                    try db.cachedStatement(sql: "UPDATE _replica SET applying = 0").execute()
                }
            }
            try db.cachedStatement(sql: "UPDATE _replica SET applying = 1").execute()
            for (entity, rowID, dot, refused) in touched {
                guard
                    let text = try String.fetchOne(
                        db.cachedStatement(sql: "SELECT snapshot FROM _held_snapshot WHERE entity = ? AND row_id = ?"),
                        arguments: [entity, rowID]),
                    let schema = self.schema.entity(entity)
                else { continue }
                let held = try SQLMapping.decode(RowSnapshot.self, from: text)
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
                    try apply(held, entity: schema, db: db)
                }
            }
            try dropDeparted(now: now, db: db)
            try db.cachedStatement(sql: "UPDATE _replica SET applying = 0").execute()
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
                    outcome: try SQLMapping.decode(MergeOutcome.self, from: row["detail"]),
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

    // MARK: - Applying pulled rows

    /// Applies one pulled page atomically and idempotently, and advances the pull cursor with it.
    ///
    /// Each row takes the hub's state, except fields this replica has changed and not yet had
    /// acknowledged: those keep the local value until the push's outcome comes back. While a row
    /// has such pending changes its version vector is left alone, so a later local write is never
    /// stamped as having seen a value the rep was not shown; the hub's state of such a row is
    /// held and applied when the pending changes are acknowledged. Nothing applied here is captured.
    public func apply(_ page: PullResponse) throws {
        let now = clock()
        try writer.write { db in
            try db.cachedStatement(sql: "UPDATE _replica SET applying = 1").execute()
            for snapshot in page.rows {
                guard let entity = schema.entity(snapshot.entity) else { continue }
                try apply(snapshot, entity: entity, db: db)
            }
            for redirect in page.redirects ?? [] {
                try db.cachedStatement(
                    sql: "INSERT OR REPLACE INTO _redirect (entity, from_id, to_id) VALUES (?, ?, ?)"
                ).execute(arguments: [redirect.entity, redirect.from, redirect.to])
            }
            for departure in page.departed ?? [] {
                try db.cachedStatement(
                    sql: "INSERT OR REPLACE INTO _departed (entity, row_id, departure) VALUES (?, ?, ?)"
                ).execute(arguments: [departure.entity, departure.id, try SQLMapping.json(departure)])
            }
            try dropDeparted(now: now, db: db)
            try db.cachedStatement(
                sql: "UPDATE _replica SET applying = 0, pull_cursor = MAX(pull_cursor, ?), last_sync_at = ?"
            ).execute(arguments: [page.cursor, now])
        }
    }

    /// Applies one bootstrap page atomically, remembering how far the bootstrap got; the last
    /// page marks the replica bootstrapped and starts the pull cursor at the snapshot.
    public func apply(bootstrap page: BootstrapResponse) throws {
        let now = clock()
        try writer.write { db in
            try db.cachedStatement(sql: "UPDATE _replica SET applying = 1").execute()
            // A first bootstrap on a laptop with no work of its own (the usual case) writes each
            // row as it comes: nothing pending can be held back, no outcome can be overridden,
            // and each row appears once in a snapshot. Anything else takes the general path.
            let pristine =
                try Bool.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT bootstrapped = 0 AND pull_cursor = 0 AND NOT EXISTS (SELECT 1 FROM _outbox)
                                AND NOT EXISTS (SELECT 1 FROM _outcome) FROM _replica
                            """)) ?? false
            for snapshot in page.rows {
                guard let entity = schema.entity(snapshot.entity) else { continue }
                if pristine && !snapshot.deleted {
                    try insertFresh(snapshot, entity: entity, db: db)
                } else {
                    try apply(snapshot, entity: entity, db: db)
                }
            }
            if page.hasMore {
                try db.cachedStatement(
                    sql: "UPDATE _replica SET applying = 0, bootstrap_snapshot = ?, bootstrap_after = ?"
                ).execute(arguments: [page.snapshot, page.after])
            } else {
                try db.cachedStatement(
                    sql: """
                        UPDATE _replica SET applying = 0, bootstrap_snapshot = NULL, bootstrap_after = 0, bootstrapped = 1,
                            pull_cursor = MAX(pull_cursor, ?), last_sync_at = ?
                        """
                ).execute(arguments: [page.snapshot, now])
            }
        }
    }

    /// Follows what became of this replica's latest change to each field of a pulled row, so
    /// `satchel status` tells the rep once: an applied value someone has since overwritten
    /// becomes "overridden"; a queued one becomes "accepted" or "overridden" when an admin's
    /// resolution (a change written by the server) settles it.
    private func noteOverrides(_ snapshot: RowSnapshot, stamps: [String: FieldStamp], db: Database) throws {
        let me = try Replica.identity(db).replicaID
        let latest = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT o.counter, o.field, o.value, o.kind FROM _outcome o
                    WHERE o.entity = ? AND o.row_id = ? AND o.op = 'update' AND o.kind IN ('applied', 'queued')
                        AND o.counter = (SELECT MAX(counter) FROM _outcome WHERE entity = o.entity AND row_id = o.row_id AND field = o.field)
                    """),
            arguments: [snapshot.entity, snapshot.id])
        for row in latest {
            let field: String = row["field"]
            guard let stamp = stamps[field], stamp.dot.replica != me else { continue }
            let mine = (row["value"] as String?).flatMap { try? SQLMapping.decode(FieldValue.self, from: $0) }
            let kept = mine == (snapshot.values[field] ?? .null)
            let status: String
            if (row["kind"] as String) == "queued" {
                guard stamp.device == "server" else { continue }
                status = kept ? "accepted" : "overridden"
            } else {
                guard !kept else { continue }
                status = "overridden"
            }
            try db.cachedStatement(sql: "UPDATE _outcome SET kind = ?, seen = 0 WHERE counter = ?").execute(arguments: [
                status, row["counter"] as Int64,
            ])
        }
    }

    /// Records a successful sync (for `satchel status`).
    public func markSynced() throws {
        let now = clock()
        try writer.write { db in
            try db.cachedStatement(sql: "UPDATE _replica SET last_sync_at = ?").execute(arguments: [now])
        }
    }

    // MARK: - Departures

    /// Drops every departed record (and everything under it) that has nothing of this
    /// replica's still waiting to be pushed, and tells the user. A record with pending changes
    /// stays until the hub has acknowledged them: the user's work is pushed first, then it goes.
    /// Runs with capture off (`applying = 1` is set by the caller or here).
    func dropDeparted(now: Int64, db: Database) throws {
        let departures = try String.fetchAll(db.cachedStatement(sql: "SELECT departure FROM _departed"))
            .map { try SQLMapping.decode(Departure.self, from: $0) }
        guard !departures.isEmpty else { return }
        try db.cachedStatement(sql: "UPDATE _replica SET applying = 1").execute()
        for departure in departures {
            let rows = try descendants(of: departure.entity, id: departure.id, db: db)
            let pending = try rows.contains { entity, id in
                try Bool.fetchOne(
                    db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM _outbox WHERE entity = ? AND row_id = ?)"),
                    arguments: [entity, id]) ?? false
            }
            guard !pending else { continue }
            for (entity, id) in rows.reversed() {
                try db.cachedStatement(sql: "DELETE FROM \(SQLMapping.quote(entity)) WHERE id = ?").execute(arguments: [
                    id
                ])
                try db.cachedStatement(sql: "DELETE FROM _row_meta WHERE entity = ? AND row_id = ?")
                    .execute(arguments: [entity, id])
                try db.cachedStatement(sql: "DELETE FROM _held_snapshot WHERE entity = ? AND row_id = ?")
                    .execute(arguments: [entity, id])
            }
            try db.cachedStatement(sql: "DELETE FROM _departed WHERE entity = ? AND row_id = ?")
                .execute(arguments: [departure.entity, departure.id])
            let others = rows.count - 1
            try db.cachedStatement(
                sql: """
                    INSERT INTO _notice (kind, entity, row_id, title, message, received_at) VALUES ('departed', ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                departure.entity, departure.id, departure.title,
                "moved to \(departure.to) by \(departure.by); removed from this laptop"
                    + (others > 0 ? " with the \(others) record\(others == 1 ? "" : "s") under it" : ""),
                now,
            ])
        }
        try db.cachedStatement(sql: "UPDATE _replica SET applying = 0").execute()
    }

    /// A record and every row under it through the schema's parent references, parents first.
    func descendants(of entity: String, id: String, db: Database) throws -> [(entity: String, id: String)] {
        var found: [(entity: String, id: String)] = []
        var level: [(entity: String, id: String)] = []
        if try Replica.row(try schema.requireEntityOrThrow(entity), id: id, db: db) != nil { level = [(entity, id)] }
        while !level.isEmpty {
            found += level
            var next: [(entity: String, id: String)] = []
            for parent in level {
                for (child, field) in schema.references(to: parent.entity, parentsOnly: true) {
                    let column = SQLMapping.quote(SQLMapping.columns(field)[0].name)
                    for childID in try String.fetchAll(
                        db.cachedStatement(sql: "SELECT id FROM \(SQLMapping.quote(child.name)) WHERE \(column) = ?"),
                        arguments: [parent.id])
                    {
                        next.append((child.name, childID))
                    }
                }
            }
            level = next
        }
        return found
    }

    /// Empties the replica's copy of the records for a fresh download (the server compacted its
    /// history past this replica's position), keeping its own bookkeeping: outcomes, notices.
    ///
    /// Refused while changes of this replica wait to be pushed: they must reach the server first.
    public func startRebaseline() throws {
        let now = clock()
        try writer.write { db in
            guard try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM _outbox")) == 0 else {
                throw ReplicaError.notAllowed(
                    reason:
                        "the server asks this laptop to download a fresh copy, and changes of yours are not pushed yet",
                    remedy: "run 'satchel sync' again when the network is steady; nothing is lost meanwhile")
            }
            try db.cachedStatement(sql: "UPDATE _replica SET applying = 1").execute()
            for entity in schema.entities {
                try db.execute(sql: "DELETE FROM \(SQLMapping.quote(entity.name))")
            }
            try db.execute(sql: "DELETE FROM _row_meta; DELETE FROM _held_snapshot; DELETE FROM _departed")
            try db.execute(
                sql: """
                    UPDATE _replica SET applying = 0, pull_cursor = 0, bootstrapped = 0, bootstrap_snapshot = NULL,
                        bootstrap_after = 0
                    """)
            try db.execute(
                sql: """
                    INSERT INTO _notice (kind, entity, row_id, title, message, received_at)
                    VALUES ('rebaseline', '', '', 'This laptop', ?, ?)
                    """,
                arguments: [
                    "was away while the server compacted its history; it downloaded a fresh copy (your changes were pushed first)",
                    now,
                ])
        }
    }

    /// Where the id (or a unique prefix of 4+ characters of the id) of a record merged into
    /// another leads now; nil when no merged record matches.
    public func redirect(_ entity: String, id: String) throws -> (from: String, to: String)? {
        try writer.read { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT from_id, to_id FROM _redirect WHERE entity = ? AND (from_id = ? OR (length(?) >= 4 AND
                            substr(from_id, 1, length(?)) = ?)) LIMIT 2
                        """),
                arguments: [entity, id, id, id, id])
            guard rows.count == 1 else { return nil }
            return (rows[0]["from_id"], rows[0]["to_id"])
        }
    }

    /// How many rows of each type hang directly under a record (through parent references).
    public func childCounts(of entity: String, id: String) throws -> [String: Int] {
        try writer.read { db in
            var counts: [String: Int] = [:]
            for (child, field) in schema.references(to: entity, parentsOnly: true) {
                let column = SQLMapping.quote(SQLMapping.columns(field)[0].name)
                let count =
                    try Int.fetchOne(
                        db.cachedStatement(
                            sql: "SELECT COUNT(*) FROM \(SQLMapping.quote(child.name)) WHERE \(column) = ?"),
                        arguments: [id]) ?? 0
                if count > 0 { counts[child.name] = count }
            }
            return counts
        }
    }

    /// What this laptop was told about records that left it, newest first.
    public func notices(unseenOnly: Bool = false) throws -> [Notice] {
        try writer.read { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT * FROM _notice \(unseenOnly ? "WHERE seen = 0" : "") ORDER BY id DESC")
            ).map {
                Notice(
                    kind: $0["kind"], entity: $0["entity"], rowID: $0["row_id"], title: $0["title"],
                    message: $0["message"],
                    receivedAt: $0["received_at"])
            }
        }
    }

    /// Writes a bootstrapped row into a replica that has no work of its own.
    private func insertFresh(_ snapshot: RowSnapshot, entity: EntitySchema, db: Database) throws {
        var columns = ["id"]
        var arguments: [(any DatabaseValueConvertible)?] = [snapshot.id]
        for field in entity.fields {
            let value = (try? field.type.validate(snapshot.values[field.name] ?? .null)) ?? .null
            columns += SQLMapping.columns(field).map(\.name)
            arguments += SQLMapping.columnValues(value, field: field)
        }
        let quoted = columns.map(SQLMapping.quote)
        try db.cachedStatement(
            sql: """
                INSERT INTO \(SQLMapping.quote(entity.name)) (\(quoted.joined(separator: ", ")))
                VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))
                ON CONFLICT (id) DO UPDATE SET \(quoted.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", "))
                """
        ).execute(arguments: StatementArguments(arguments))
        try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO _row_meta (entity, row_id, version, stamps) VALUES (?, ?, ?, ?)"
        ).execute(arguments: [
            entity.name, snapshot.id, RowJSON.versionVector(snapshot.version), snapshot.stamps.map(RowJSON.fieldStamps),
        ])
    }

    private func apply(_ snapshot: RowSnapshot, entity: EntitySchema, db: Database) throws {
        let table = SQLMapping.quote(entity.name)
        let pending = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT op, field FROM _outbox WHERE entity = ? AND row_id = ?"),
            arguments: [entity.name, snapshot.id])
        let pendingFields = Set(pending.compactMap { $0["field"] as String? })
        let pendingDelete = pending.contains { ($0["op"] as String) == "delete" }
        let exists =
            try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM \(table) WHERE id = ?)"), arguments: [snapshot.id]
            ) ?? false

        if snapshot.deleted && !pending.isEmpty {
            // Deleted at the hub while this laptop has unpushed edits: the row stays until the hub
            // has judged them (edit-wins may bring it back); the held snapshot settles it.
        } else if snapshot.deleted {
            try db.cachedStatement(sql: "DELETE FROM \(table) WHERE id = ?").execute(arguments: [snapshot.id])
            // A record of ours that waited as a duplicate candidate and is now gone was merged
            // into the one it duplicated: the rep hears it once.
            try db.cachedStatement(
                sql: """
                    UPDATE _outcome SET kind = 'settled', seen = 0
                    WHERE entity = ? AND row_id = ? AND op = 'insert' AND kind = 'queued'
                    """
            ).execute(arguments: [entity.name, snapshot.id])
        } else if !pendingDelete {
            var columns = ["id"]
            var arguments: [(any DatabaseValueConvertible)?] = [snapshot.id]
            for field in entity.fields where !(exists && pendingFields.contains(field.name)) {
                let value = (try? field.type.validate(snapshot.values[field.name] ?? .null)) ?? .null
                columns += SQLMapping.columns(field).map(\.name)
                arguments += SQLMapping.columnValues(value, field: field)
            }
            let quoted = columns.map(SQLMapping.quote)
            try db.cachedStatement(
                sql: """
                    INSERT INTO \(table) (\(quoted.joined(separator: ", ")))
                    VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))
                    ON CONFLICT (id) DO UPDATE SET \(quoted.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", "))
                    """
            ).execute(arguments: StatementArguments(arguments))
        }
        if !snapshot.deleted, let stamps = snapshot.stamps {
            try noteOverrides(snapshot, stamps: stamps, db: db)
        }
        if !snapshot.deleted {
            // A record that left and came back (transferred away and back) stays.
            try db.cachedStatement(sql: "DELETE FROM _departed WHERE entity = ? AND row_id = ?")
                .execute(arguments: [entity.name, snapshot.id])
        }
        if !pending.isEmpty {
            // Keep the hub's state of this row until the pending changes are acknowledged.
            try db.cachedStatement(
                sql: "INSERT OR REPLACE INTO _held_snapshot (entity, row_id, snapshot) VALUES (?, ?, ?)"
            ).execute(arguments: [entity.name, snapshot.id, try SQLMapping.json(snapshot)])
        } else {
            try db.cachedStatement(sql: "DELETE FROM _held_snapshot WHERE entity = ? AND row_id = ?").execute(
                arguments: [entity.name, snapshot.id])
            var version = try Replica.version(entity.name, id: snapshot.id, db: db)
            version.merge(snapshot.version)
            try db.cachedStatement(
                sql: "INSERT OR REPLACE INTO _row_meta (entity, row_id, version, stamps) VALUES (?, ?, ?, ?)"
            ).execute(arguments: [
                entity.name, snapshot.id, RowJSON.versionVector(version), snapshot.stamps.map(RowJSON.fieldStamps),
            ])
        }
    }
}

/// Something the laptop tells its user that is not about one of their changes: an account
/// moved to someone else and left this laptop.
public struct Notice: Hashable, Sendable, Codable {
    public var kind: String
    public var entity: String
    public var rowID: String
    public var title: String
    public var message: String
    public var receivedAt: Int64
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
