import Foundation
import GRDB
import SyncCore

extension Replica {
    /// The replica's own schema version (its bookkeeping tables), independent of the CRM schema version.
    static let storeVersion = 1

    /// Builds the migrator: bookkeeping tables, one table per entity, and the capture triggers.
    static func migrator(schema: Schema, replicaID: ReplicaID) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE _replica (
                        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                        id TEXT NOT NULL,
                        user TEXT NOT NULL DEFAULT '',
                        device TEXT NOT NULL DEFAULT '',
                        privileged INTEGER NOT NULL DEFAULT 0,
                        counter INTEGER NOT NULL DEFAULT 0,
                        hlc INTEGER NOT NULL DEFAULT 0,
                        applying INTEGER NOT NULL DEFAULT 0,
                        schema_version INTEGER NOT NULL,
                        pull_cursor INTEGER NOT NULL DEFAULT 0,
                        bootstrap_snapshot INTEGER,
                        bootstrap_after INTEGER NOT NULL DEFAULT 0,
                        bootstrapped INTEGER NOT NULL DEFAULT 0,
                        last_sync_at INTEGER
                    );
                    CREATE TABLE _outbox (
                        counter INTEGER PRIMARY KEY,
                        hlc INTEGER NOT NULL,
                        wall INTEGER NOT NULL,
                        entity TEXT NOT NULL,
                        row_id TEXT NOT NULL,
                        op TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
                        field TEXT,
                        value TEXT,
                        base TEXT,
                        context TEXT NOT NULL
                    );
                    CREATE INDEX _outbox_row ON _outbox(entity, row_id);
                    CREATE TABLE _outcome (
                        counter INTEGER PRIMARY KEY,
                        entity TEXT NOT NULL,
                        row_id TEXT NOT NULL,
                        op TEXT NOT NULL,
                        field TEXT,
                        value TEXT,
                        kind TEXT NOT NULL,
                        detail TEXT NOT NULL,
                        received_at INTEGER NOT NULL,
                        seen INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE INDEX _outcome_row ON _outcome(entity, row_id, field);
                    CREATE TABLE _held_snapshot (
                        entity TEXT NOT NULL,
                        row_id TEXT NOT NULL,
                        snapshot TEXT NOT NULL,
                        PRIMARY KEY (entity, row_id)
                    ) WITHOUT ROWID;
                    CREATE TABLE _row_meta (
                        entity TEXT NOT NULL,
                        row_id TEXT NOT NULL,
                        version TEXT NOT NULL,
                        stamps TEXT,
                        PRIMARY KEY (entity, row_id)
                    ) WITHOUT ROWID;
                    """)
            try db.execute(
                sql: "INSERT INTO _replica (singleton, id, schema_version) VALUES (1, ?, ?)",
                arguments: [replicaID.rawValue, schema.version])
            for entity in schema.entities {
                try createTable(entity, db: db)
                try createTriggers(entity, db: db)
                try createIndexes(entity, db: db)
            }
        }
        migrator.registerMigration("v2-departures-and-notices") { db in
            // Records that left this laptop's scope (dropped once nothing of ours is pending on
            // them), and what the laptop tells its user about such events.
            try db.execute(
                sql: """
                    CREATE TABLE _departed (
                        entity TEXT NOT NULL,
                        row_id TEXT NOT NULL,
                        departure TEXT NOT NULL,
                        PRIMARY KEY (entity, row_id)
                    ) WITHOUT ROWID;
                    CREATE TABLE _notice (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        kind TEXT NOT NULL,
                        entity TEXT NOT NULL,
                        row_id TEXT NOT NULL,
                        title TEXT NOT NULL,
                        message TEXT NOT NULL,
                        received_at INTEGER NOT NULL,
                        seen INTEGER NOT NULL DEFAULT 0
                    );
                    """)
        }
        migrator.registerMigration("v3-redirects") { db in
            // Ids of records merged into others, and where they lead now.
            try db.execute(
                sql: """
                    CREATE TABLE _redirect (
                        entity TEXT NOT NULL,
                        from_id TEXT NOT NULL,
                        to_id TEXT NOT NULL,
                        PRIMARY KEY (entity, from_id)
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v4-kept-acknowledged") { db in
            // Changes the server acknowledged, kept for a while: a server restored from a backup
            // older than them gets them again (see Replica.requeueAcknowledged).
            try db.execute(
                sql: """
                    CREATE TABLE _sent (
                        counter INTEGER PRIMARY KEY,
                        hlc INTEGER NOT NULL,
                        wall INTEGER NOT NULL,
                        entity TEXT NOT NULL,
                        row_id TEXT NOT NULL,
                        op TEXT NOT NULL,
                        field TEXT,
                        value TEXT,
                        base TEXT,
                        context TEXT NOT NULL,
                        acknowledged_at INTEGER NOT NULL
                    );
                    CREATE INDEX _sent_acknowledged ON _sent(acknowledged_at);
                    """)
        }
        migrator.registerMigration("v5-attachments") { db in
            // Record types added to the schema since the replica was made (attachments, in
            // schema 2): their tables and triggers, empty until a pull fills them.
            for entity in schema.entities where try !db.tableExists(entity.name) {
                try createTable(entity, db: db)
                try createTriggers(entity, db: db)
                try createIndexes(entity, db: db)
            }
            // Attachments whose bytes this laptop still has to send.
            try db.execute(
                sql: """
                    CREATE TABLE _upload (
                        attachment_id TEXT PRIMARY KEY NOT NULL,
                        sha256 TEXT NOT NULL,
                        size INTEGER NOT NULL,
                        file_name TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        last_error TEXT
                    );
                    """)
            // The version this migration brings (attachments came with 2), not the opening
            // binary's: a later release's steps still run on a replica made under 1.
            try db.execute(sql: "UPDATE _replica SET schema_version = MAX(schema_version, ?)", arguments: [min(2, schema.version)])
        }
        migrator.registerMigration("v6-company-schema") { db in
            // The company's own schema steps this laptop has learned from its pulls, by revision.
            try db.execute(
                sql: """
                    CREATE TABLE _schema_step (
                        revision INTEGER PRIMARY KEY,
                        step TEXT NOT NULL,
                        at INTEGER NOT NULL,
                        by_user TEXT NOT NULL,
                        feed_position INTEGER NOT NULL
                    );
                    """)
        }
        return migrator
    }

    static func createTable(_ entity: EntitySchema, db: Database) throws {
        // A retired field has a column too, never captured: every replica has the same columns.
        let columns = (entity.fields + entity.retired.map(\.field)).flatMap(SQLMapping.columns).map { "\(SQLMapping.quote($0.name)) \($0.type)" }
        try db.execute(
            sql: "CREATE TABLE \(SQLMapping.quote(entity.name)) (id TEXT PRIMARY KEY NOT NULL, "
                + columns.joined(separator: ", ") + ")")
    }

    /// Indexes every reference field (an account's contacts, visits, deals…), the title field
    /// (searches and sorted lists by name) and the lookups the entity declares.
    static func createIndexes(_ entity: EntitySchema, db: Database) throws {
        for fields in entity.indexes {
            let columns = fields.flatMap { name in entity.field(name).map { SQLMapping.columns($0).map(\.name) } ?? [] }
            try db.execute(
                sql: "CREATE INDEX \(SQLMapping.quote("\(entity.name)_by_\(fields.joined(separator: "_"))")) "
                    + "ON \(SQLMapping.quote(entity.name))(\(columns.map(SQLMapping.quote).joined(separator: ", ")))")
        }
        for field in entity.fields {
            let isReference: Bool
            if case .reference = field.type { isReference = true } else { isReference = false }
            guard isReference || field.name == entity.titleField else { continue }
            try db.execute(
                sql: "CREATE INDEX \(SQLMapping.quote("\(entity.name)_\(field.name)")) ON \(SQLMapping.quote(entity.name))"
                    + "(\(SQLMapping.quote(field.name))\(isReference ? "" : " COLLATE NOCASE"))")
        }
    }

    /// Writes the triggers that capture every write of `entity` into the outbox, in the same
    /// transaction as the write, whatever code path made it. They stay silent while the replica
    /// applies pulled rows (`_replica.applying = 1`).
    ///
    /// Each captured write takes the next counter and HLC reading from `_replica`, records the
    /// row's version vector as its causal context, then adds its own dot to that vector.
    static func createTriggers(_ entity: EntitySchema, db: Database) throws {
        let table = SQLMapping.quote(entity.name)
        let name = SQLMapping.literal(entity.name)
        let capturing = "(SELECT applying FROM _replica) = 0"
        let stamp = "UPDATE _replica SET counter = counter + 1, hlc = satchel_hlc_next(hlc);"
        let context = "COALESCE((SELECT version FROM _row_meta WHERE entity = \(name) AND row_id = NEW.id), '{}')"
        let recordDot = """
            INSERT INTO _row_meta (entity, row_id, version)
                SELECT \(name), NEW.id, json_object(id, counter) FROM _replica WHERE 1
                ON CONFLICT (entity, row_id) DO UPDATE SET
                    version = json_set(version, '$."' || (SELECT id FROM _replica) || '"', (SELECT counter FROM _replica));
            """

        try db.execute(
            sql: """
                CREATE TRIGGER \(SQLMapping.quote("_\(entity.name)_id_fixed")) BEFORE UPDATE OF id ON \(table)
                WHEN NEW.id IS NOT OLD.id
                BEGIN SELECT RAISE(ABORT, 'record ids never change; create a new record instead'); END;
                """)

        let valuesObject =
            "json_object("
            + entity.fields.map { "\(SQLMapping.literal($0.name)), json(\(SQLMapping.jsonExpression($0, alias: "NEW")))" }
            .joined(separator: ", ") + ")"
        try db.execute(
            sql: """
                CREATE TRIGGER \(SQLMapping.quote("_\(entity.name)_capture_insert")) AFTER INSERT ON \(table)
                WHEN \(capturing)
                BEGIN
                    \(stamp)
                    INSERT INTO _outbox (counter, hlc, wall, entity, row_id, op, value, context)
                        SELECT counter, hlc, satchel_wall(), \(name), NEW.id, 'insert', \(valuesObject), \(context)
                        FROM _replica;
                    \(recordDot)
                END;
                """)

        if entity.insertRule == .appendOnly {
            let message = SQLMapping.literal(
                "\(entity.labelWithArticle) cannot be changed once recorded; record a new \(entity.label) that corrects it")
            try db.execute(
                sql: """
                    CREATE TRIGGER \(SQLMapping.quote("_\(entity.name)_append_only_update")) BEFORE UPDATE ON \(table)
                    WHEN \(capturing)
                    BEGIN SELECT RAISE(ABORT, \(message)); END;
                    CREATE TRIGGER \(SQLMapping.quote("_\(entity.name)_append_only_delete")) BEFORE DELETE ON \(table)
                    WHEN \(capturing)
                    BEGIN SELECT RAISE(ABORT, \(message)); END;
                    """)
            return
        }

        for field in entity.fields {
            let columns = SQLMapping.columns(field).map { SQLMapping.quote($0.name) }.joined(separator: ", ")
            let new = SQLMapping.jsonExpression(field, alias: "NEW")
            let old = SQLMapping.jsonExpression(field, alias: "OLD")
            try db.execute(
                sql: """
                    CREATE TRIGGER \(SQLMapping.quote("_\(entity.name)_capture_\(field.name)"))
                    AFTER UPDATE OF \(columns) ON \(table)
                    WHEN \(capturing) AND (\(new)) IS NOT (\(old))
                    BEGIN
                        \(stamp)
                        INSERT INTO _outbox (counter, hlc, wall, entity, row_id, op, field, value, base, context)
                            SELECT counter, hlc, satchel_wall(), \(name), NEW.id, 'update',
                                \(SQLMapping.literal(field.name)), \(new), \(old), \(context)
                            FROM _replica;
                        \(recordDot)
                    END;
                    """)
        }

        try db.execute(
            sql: """
                CREATE TRIGGER \(SQLMapping.quote("_\(entity.name)_capture_delete")) AFTER DELETE ON \(table)
                WHEN \(capturing)
                BEGIN
                    \(stamp.replacingOccurrences(of: "NEW.", with: "OLD."))
                    INSERT INTO _outbox (counter, hlc, wall, entity, row_id, op, context)
                        SELECT counter, hlc, satchel_wall(), \(name), OLD.id, 'delete',
                            \(context.replacingOccurrences(of: "NEW.", with: "OLD."))
                        FROM _replica;
                    \(recordDot.replacingOccurrences(of: "NEW.", with: "OLD."))
                END;
                """)
    }
}
