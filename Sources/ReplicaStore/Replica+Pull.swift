import Foundation
import GRDB
import SyncCore

extension Replica {
    // MARK: - Applying pulled rows

    /// Applies one pulled page atomically and idempotently, and advances the pull cursor with it.
    ///
    /// Each row takes the hub's state, except fields this replica has changed and not yet had
    /// acknowledged: those keep the local value until the push's outcome comes back. While a row
    /// has such pending changes its version vector is left alone, so a later local write is never
    /// stamped as having seen a value the rep was not shown; the hub's state of such a row is
    /// held and applied when the pending changes are acknowledged. Nothing applied here is captured.
    ///
    /// Company schema steps the page brings are learned first, in the same transaction
    /// (``learn(_:builtIn:cursor:db:)``): the page's rows are applied under the schema they lead to.
    public func apply(_ page: PullResponse) throws {
        let now = clock()
        let learned: Schema? = try writer.write { db in
            let cursor = try Replica.identity(db).pullCursor
            let learned = try page.schema.flatMap { try Replica.learn($0, builtIn: schemas.builtIn, cursor: cursor, db: db) }
            let schema = learned?.schema ?? self.schema
            try Replica.withCaptureOff(db) {
                var upserts = UpsertStatements()
                for snapshot in page.rows {
                    guard let entity = schema.entity(snapshot.entity) else { continue }
                    try applyRemote(snapshot, entity: entity, upserts: &upserts, db: db)
                }
                for redirect in page.redirects ?? [] {
                    try db.cachedStatement(
                        sql: "INSERT OR REPLACE INTO _redirect (entity, from_id, to_id) VALUES (?, ?, ?)"
                    ).execute(arguments: [redirect.entity, redirect.from, redirect.to])
                }
                for departure in page.departed ?? [] {
                    try db.cachedStatement(
                        sql: "INSERT OR REPLACE INTO _departed (entity, row_id, departure) VALUES (?, ?, ?)"
                    ).execute(arguments: [departure.entity, departure.id, try WireJSON.text(departure)])
                }
                try dropDeparted(now: now, db: db)
            }
            try db.cachedStatement(
                sql: "UPDATE _replica SET pull_cursor = MAX(pull_cursor, ?), last_sync_at = ?"
            ).execute(arguments: [page.cursor, now])
            if let rewind = learned?.rewind {
                try db.cachedStatement(sql: "UPDATE _replica SET pull_cursor = MIN(pull_cursor, ?)").execute(arguments: [rewind])
            }
            return learned?.schema
        }
        if let learned { schemas.current = learned }
    }

    /// Applies one bootstrap page atomically, remembering how far the bootstrap got; the last
    /// page marks the replica bootstrapped and starts the pull cursor at the snapshot.
    public func apply(bootstrap page: BootstrapResponse) throws {
        let now = clock()
        let learned: Schema? = try writer.write { db in
            // A snapshot needs no rewind: its rows are read with the steps they use.
            let learned = try page.schema.flatMap { try Replica.learn($0, builtIn: schemas.builtIn, cursor: 0, db: db) }?.schema
            let schema = learned ?? self.schema
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
            try Replica.withCaptureOff(db) {
                var upserts = UpsertStatements()
                for snapshot in page.rows {
                    guard let entity = schema.entity(snapshot.entity) else { continue }
                    if pristine && !snapshot.deleted {
                        try upsert(snapshot, entity: entity, keeping: [], upserts: &upserts, db: db)
                        try writeMeta(of: snapshot, version: snapshot.version, entity: entity, db: db)
                    } else {
                        try applyRemote(snapshot, entity: entity, upserts: &upserts, db: db)
                    }
                }
            }
            if page.hasMore {
                try db.cachedStatement(
                    sql: "UPDATE _replica SET bootstrap_snapshot = ?, bootstrap_after = ?"
                ).execute(arguments: [page.snapshot, page.after])
            } else {
                try db.cachedStatement(
                    sql: """
                        UPDATE _replica SET bootstrap_snapshot = NULL, bootstrap_after = 0, bootstrapped = 1,
                            pull_cursor = MAX(pull_cursor, ?), last_sync_at = ?
                        """
                ).execute(arguments: [page.snapshot, now])
            }
            return learned
        }
        if let learned { schemas.current = learned }
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
            let mine = (row["value"] as String?).flatMap { try? WireJSON.decode(FieldValue.self, fromText: $0) }
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
            try Replica.withCaptureOff(db) {
                for entity in schema.entities {
                    try db.execute(sql: "DELETE FROM \(SQLMapping.quote(entity.name))")
                }
            }
            try db.execute(sql: "DELETE FROM _row_meta; DELETE FROM _held_snapshot; DELETE FROM _departed")
            try db.execute(
                sql: "UPDATE _replica SET pull_cursor = 0, bootstrapped = 0, bootstrap_snapshot = NULL, bootstrap_after = 0")
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

    /// Runs `body` with capture off: what it writes is the hub's state, not the rep's work, so no
    /// trigger records it in the outbox. Capture is back on when `body` returns; if it throws, the
    /// transaction rolls the flag back with everything else. A nested call leaves capture off
    /// until the outermost one ends.
    static func withCaptureOff<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        let alreadyOff = try Bool.fetchOne(db.cachedStatement(sql: "SELECT applying FROM _replica")) ?? false
        if !alreadyOff { try db.cachedStatement(sql: "UPDATE _replica SET applying = 1").execute() }
        let result = try body()
        if !alreadyOff { try db.cachedStatement(sql: "UPDATE _replica SET applying = 0").execute() }
        return result
    }

    /// The insert-or-update of each entity's every field, prepared once for a page: its SQL is
    /// not rebuilt for every row. (A row keeping some fields, rare, builds its own.)
    struct UpsertStatements {
        private var statements: [String: Statement] = [:]

        mutating func statement(_ entity: EntitySchema, keeping: Set<String>, db: Database) throws -> Statement {
            guard keeping.isEmpty else { return try db.cachedStatement(sql: Replica.upsertSQL(entity, keeping: keeping)) }
            if let statement = statements[entity.name] { return statement }
            let statement = try db.cachedStatement(sql: Replica.upsertSQL(entity, keeping: []))
            statements[entity.name] = statement
            return statement
        }
    }

    /// Writes the hub's values of a row into its table, but for the fields in `keeping` (this
    /// replica's pending ones), inserting the row if it is new.
    private func upsert(
        _ snapshot: RowSnapshot, entity: EntitySchema, keeping: Set<String>, upserts: inout UpsertStatements, db: Database
    ) throws {
        var arguments: [(any DatabaseValueConvertible)?] = [snapshot.id]
        arguments.reserveCapacity(entity.fields.count + 1)
        for field in entity.fields where !keeping.contains(field.name) {
            let value = (try? field.type.validate(snapshot.values[field.name] ?? .null)) ?? .null
            arguments += SQLMapping.columnValues(value, field: field)
        }
        try upserts.statement(entity, keeping: keeping, db: db).execute(arguments: StatementArguments(arguments))
    }

    /// The insert-or-update of a row's fields, all but `keeping`, in the order ``upsert`` binds them.
    static func upsertSQL(_ entity: EntitySchema, keeping: Set<String>) -> String {
        var columns = ["id"]
        for field in entity.fields where !keeping.contains(field.name) {
            columns += SQLMapping.columns(field).map(\.name)
        }
        let quoted = columns.map(SQLMapping.quote)
        return """
            INSERT INTO \(SQLMapping.quote(entity.name)) (\(quoted.joined(separator: ", ")))
            VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))
            ON CONFLICT (id) DO UPDATE SET \(quoted.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", "))
            """
    }

    /// Records the version vector and field stamps a row now holds.
    private func writeMeta(of snapshot: RowSnapshot, version: VersionVector, entity: EntitySchema, db: Database) throws {
        try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO _row_meta (entity, row_id, version, stamps) VALUES (?, ?, ?, ?)"
        ).execute(arguments: [
            entity.name, snapshot.id, RowJSON.versionVector(version), snapshot.stamps.map(RowJSON.fieldStamps),
        ])
    }

    /// Applies one row the hub sent: its state, except fields of this replica's still waiting to
    /// be pushed; a row with such fields keeps the hub's state aside until they are acknowledged.
    /// The caller has turned capture off (``withCaptureOff(_:_:)``).
    func applyRemote(_ snapshot: RowSnapshot, entity: EntitySchema, upserts: inout UpsertStatements, db: Database) throws {
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
            try upsert(snapshot, entity: entity, keeping: exists ? pendingFields : [], upserts: &upserts, db: db)
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
            ).execute(arguments: [entity.name, snapshot.id, try WireJSON.text(snapshot)])
        } else {
            try db.cachedStatement(sql: "DELETE FROM _held_snapshot WHERE entity = ? AND row_id = ?").execute(
                arguments: [entity.name, snapshot.id])
            var version = try Replica.version(entity.name, id: snapshot.id, db: db)
            version.merge(snapshot.version)
            try writeMeta(of: snapshot, version: version, entity: entity, db: db)
        }
    }
}
