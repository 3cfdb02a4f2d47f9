import Foundation
import GRDB
import HubEngine
import SyncCore

extension SQLiteHubStorage {
    /// The hub's schema, migration by migration: each one runs once per store, in order, and is
    /// never edited after it shipped (a change is a new migration).
    static func migrator(schema: Schema, replicaID: ReplicaID?) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("hub-v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE hub_meta (
                        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                        replica_id TEXT NOT NULL,
                        seq INTEGER NOT NULL DEFAULT 0,
                        counter INTEGER NOT NULL DEFAULT 0,
                        hlc INTEGER NOT NULL DEFAULT 0,
                        schema_version INTEGER NOT NULL
                    );
                    CREATE TABLE hub_row (
                        entity TEXT NOT NULL,
                        row_id TEXT NOT NULL,
                        seq INTEGER NOT NULL,
                        deleted INTEGER NOT NULL,
                        account_id TEXT,
                        state TEXT NOT NULL,
                        PRIMARY KEY (entity, row_id)
                    ) WITHOUT ROWID;
                    CREATE UNIQUE INDEX hub_row_seq ON hub_row(seq);
                    CREATE INDEX hub_row_account ON hub_row(account_id);
                    CREATE TABLE hub_account (
                        account_id TEXT PRIMARY KEY,
                        territory TEXT,
                        owner TEXT
                    ) WITHOUT ROWID;
                    CREATE TABLE hub_user (
                        name TEXT PRIMARY KEY,
                        role TEXT NOT NULL,
                        territories TEXT NOT NULL,
                        manager TEXT,
                        enrollment_hash TEXT,
                        created_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE hub_device (
                        replica_id TEXT PRIMARY KEY,
                        user TEXT NOT NULL REFERENCES hub_user(name),
                        device TEXT NOT NULL,
                        credential_hash TEXT NOT NULL UNIQUE,
                        created_at INTEGER NOT NULL,
                        retired INTEGER NOT NULL DEFAULT 0
                    ) WITHOUT ROWID;
                    CREATE TABLE hub_key (
                        entity TEXT NOT NULL,
                        key_name TEXT NOT NULL,
                        key_value TEXT NOT NULL,
                        row_id TEXT NOT NULL,
                        PRIMARY KEY (entity, key_name, row_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX hub_key_value ON hub_key(entity, key_name, key_value);
                    CREATE TABLE hub_replica (
                        replica_id TEXT PRIMARY KEY,
                        high_water INTEGER NOT NULL,
                        user TEXT NOT NULL,
                        device TEXT NOT NULL,
                        last_push_at INTEGER
                    ) WITHOUT ROWID;
                    CREATE TABLE hub_outcome (
                        replica_id TEXT NOT NULL,
                        counter INTEGER NOT NULL,
                        outcome TEXT NOT NULL,
                        PRIMARY KEY (replica_id, counter)
                    ) WITHOUT ROWID;
                    CREATE TABLE hub_conflict (
                        id TEXT PRIMARY KEY,
                        entity TEXT NOT NULL,
                        row_id TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        status TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
                        body TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        resolution TEXT,
                        resolved_by TEXT,
                        resolved_at INTEGER
                    ) WITHOUT ROWID;
                    CREATE INDEX hub_conflict_status ON hub_conflict(status, created_at);
                    CREATE INDEX hub_conflict_row ON hub_conflict(entity, row_id);
                    """)
            try db.cachedStatement(sql: "INSERT INTO hub_meta (singleton, replica_id, schema_version) VALUES (1, ?, ?)")
                .execute(arguments: [
                    (replicaID ?? ReplicaID("hub-" + ReplicaID.random().rawValue)).rawValue, schema.version,
                ])
        }
        migrator.registerMigration("hub-v2-former-holders") { db in
            // Who held an account before a transfer, so their offline work is kept, not refused.
            try db.execute(
                sql: """
                    CREATE TABLE hub_account_former (
                        account_id TEXT NOT NULL,
                        territory TEXT,
                        owner TEXT,
                        until INTEGER NOT NULL
                    );
                    CREATE INDEX hub_account_former_account ON hub_account_former(account_id);
                    """)
        }
        migrator.registerMigration("hub-v3-snapshot-states") { db in
            // States are stored in the wire's row-snapshot layout (see RowState), so pages are
            // spliced instead of decoded and encoded again: rewrite the older ones.
            let rows = try Row.fetchAll(db, sql: "SELECT entity, row_id, state FROM hub_row")
            for row in rows {
                let state = try WireJSON.decode(RowState.self, fromText: row["state"])
                try db.execute(
                    sql: "UPDATE hub_row SET state = ? WHERE entity = ? AND row_id = ?",
                    arguments: [try WireJSON.text(state), row["entity"], row["row_id"]])
            }
        }
        migrator.registerMigration("hub-v4-history-and-departures") { db in
            // Every event of every record, for `satchel … history`; and where each transfer sits
            // in the feed, so the former holder's replica learns the account left it.
            try db.execute(
                sql: """
                    CREATE TABLE hub_history (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        entity TEXT NOT NULL,
                        row_id TEXT NOT NULL,
                        entry TEXT NOT NULL
                    );
                    CREATE INDEX hub_history_row ON hub_history(entity, row_id, id);
                    ALTER TABLE hub_account_former ADD COLUMN seq INTEGER;
                    ALTER TABLE hub_account_former ADD COLUMN new_owner TEXT;
                    ALTER TABLE hub_account_former ADD COLUMN moved_by TEXT;
                    CREATE INDEX hub_account_former_seq ON hub_account_former(seq);
                    """)
        }
        migrator.registerMigration("hub-v5-redirects") { db in
            // Where the id of a record merged into another now leads.
            try db.execute(
                sql: """
                    CREATE TABLE hub_redirect (
                        entity TEXT NOT NULL,
                        from_id TEXT NOT NULL,
                        to_id TEXT NOT NULL,
                        merged_at INTEGER NOT NULL,
                        merged_by TEXT NOT NULL,
                        PRIMARY KEY (entity, from_id)
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("hub-v6-natural-keys") { _ in
            // Filed every row's keys again when tax ids became compact; hub-v13 does it again.
        }
        migrator.registerMigration("hub-v7-compaction") { db in
            // How far each device has pulled (compaction stays below the slowest active one),
            // devices an admin retired from that count, and how far tombstones were purged.
            try db.execute(
                sql: """
                    ALTER TABLE hub_device ADD COLUMN pulled_to INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE hub_device ADD COLUMN dormant INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE hub_meta ADD COLUMN compacted_to INTEGER NOT NULL DEFAULT 0;
                    """)
        }
        migrator.registerMigration("hub-v8-redirect-feed") { db in
            // Where each merge sits in the feed, so laptops learn the merged-away id's new target.
            try db.execute(
                sql: """
                    ALTER TABLE hub_redirect ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
                    CREATE INDEX hub_redirect_seq ON hub_redirect(seq);
                    """)
        }
        migrator.registerMigration("hub-v9-feed-positions") { db in
            // Transfers and merges recorded before they had a place in the feed get one now, so
            // laptops learn of them on their next pull.
            for row in try Row.fetchAll(db, sql: "SELECT rowid FROM hub_account_former WHERE seq IS NULL ORDER BY rowid") {
                try db.execute(
                    sql: "UPDATE hub_account_former SET seq = ? WHERE rowid = ?",
                    arguments: [try Self.nextSeq(db), row["rowid"] as Int64])
            }
            for row in try Row.fetchAll(db, sql: "SELECT entity, from_id FROM hub_redirect WHERE seq = 0") {
                try db.execute(
                    sql: "UPDATE hub_redirect SET seq = ? WHERE entity = ? AND from_id = ?",
                    arguments: [try Self.nextSeq(db), row["entity"] as String, row["from_id"] as String])
            }
        }
        migrator.registerMigration("hub-v10-trust") { db in
            // Enrollment tokens expire; users are disabled and devices revoked by an admin; every
            // admin action is recorded. A token issued before this migration has no expiry.
            try db.execute(
                sql: """
                    ALTER TABLE hub_user ADD COLUMN enrollment_expires_at INTEGER;
                    ALTER TABLE hub_user ADD COLUMN disabled_at INTEGER;
                    ALTER TABLE hub_device ADD COLUMN revoked_at INTEGER;
                    ALTER TABLE hub_device ADD COLUMN revoked_by TEXT;
                    CREATE TABLE hub_audit (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        at INTEGER NOT NULL,
                        actor TEXT NOT NULL,
                        device TEXT NOT NULL,
                        action TEXT NOT NULL,
                        target TEXT NOT NULL,
                        detail TEXT NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("hub-v11-credential-rotation") { db in
            // A rotated credential waits here until its device first uses it; until then the old
            // one still works, so an answer lost on the way cannot lock a laptop out.
            try db.execute(
                sql: """
                    ALTER TABLE hub_device ADD COLUMN next_credential_hash TEXT;
                    CREATE INDEX hub_device_next_credential ON hub_device(next_credential_hash);
                    """)
        }
        migrator.registerMigration("hub-v12-seen-positions") { db in
            // Where in the feed each change became visible, and how far the feed was sent to each
            // device: together they bound what a laptop can claim to have seen. Changes stored
            // before this have position 0 (visible to all), so no honest claim is cut.
            try db.execute(
                sql: """
                    ALTER TABLE hub_outcome ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE hub_device ADD COLUMN sent_to INTEGER NOT NULL DEFAULT 0;
                    """)
        }
        migrator.registerMigration("hub-v13-duplicate-keys") { db in
            // Duplicates are found as people type them (legal forms, phone formats, e-mail
            // domains, near names in one city): a row is filed under several values of one key
            // (each word of its name), and every live row under its new keys.
            try db.execute(
                sql: """
                    DROP TABLE hub_key;
                    CREATE TABLE hub_key (
                        entity TEXT NOT NULL,
                        key_name TEXT NOT NULL,
                        key_value TEXT NOT NULL,
                        row_id TEXT NOT NULL,
                        PRIMARY KEY (entity, key_name, key_value, row_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX hub_key_row ON hub_key(entity, row_id);
                    """)
            try Self.fileKeysAgain(schema: schema, db: db)
        }
        migrator.registerMigration("hub-v14-console") { db in
            // The admin console: passwords (bcrypt), signed-in sessions (by the SHA-256 of their id,
            // so every server of a store knows them) and a tally of pushes per day for its chart.
            try db.execute(
                sql: """
                    ALTER TABLE hub_user ADD COLUMN password_hash TEXT;
                    CREATE TABLE hub_session (
                        id_hash TEXT PRIMARY KEY,
                        user TEXT NOT NULL REFERENCES hub_user(name),
                        csrf TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX hub_session_user ON hub_session(user);
                    CREATE TABLE hub_activity (
                        day INTEGER PRIMARY KEY,
                        pushes INTEGER NOT NULL,
                        applied INTEGER NOT NULL,
                        merged INTEGER NOT NULL,
                        queued INTEGER NOT NULL,
                        rejected INTEGER NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("hub-v15-pull-times") { db in
            // When each device last pulled, for the console's "last sync".
            try db.execute(sql: "ALTER TABLE hub_device ADD COLUMN pulled_at INTEGER")
        }
        migrator.registerMigration("hub-v16-schema-steps") { db in
            // The company's own schema: each published step (a field added, a choice added, a
            // field retired) by revision, which laptops learn from their pulls.
            try db.execute(
                sql: """
                    CREATE TABLE hub_schema (
                        revision INTEGER PRIMARY KEY,
                        step TEXT NOT NULL,
                        at INTEGER NOT NULL,
                        by_user TEXT NOT NULL,
                        feed_position INTEGER NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("hub-v17-placed-rows") { db in
            // A scoped pull used to walk every row written since its cursor, everyone's, and join
            // each to its root's place: the server's biggest cost with many laptops, growing with
            // the sales force. Each row now carries its root's territory and owner, so a pull
            // reads only its own scope's rows, through (territory, seq) and (owner, seq). A row's
            // insert copies them from hub_account (``SQLiteHubStorage/apply(_:db:)``; rows an
            // older server inserted without them are mended when the store is opened); these
            // triggers keep them in step when a root is placed, moves or goes, or a row changes
            // root.
            try db.execute(
                sql: """
                    ALTER TABLE hub_row ADD COLUMN territory TEXT;
                    ALTER TABLE hub_row ADD COLUMN owner TEXT;
                    UPDATE hub_row SET (territory, owner) = (
                        SELECT a.territory, a.owner FROM hub_account a WHERE a.account_id = hub_row.account_id)
                        WHERE account_id IS NOT NULL;
                    CREATE INDEX hub_row_territory ON hub_row(territory, seq) WHERE territory IS NOT NULL;
                    CREATE INDEX hub_row_owner ON hub_row(owner, seq) WHERE owner IS NOT NULL;
                    CREATE TRIGGER hub_row_rerooted AFTER UPDATE OF account_id ON hub_row BEGIN
                        UPDATE hub_row SET (territory, owner) = (
                            SELECT a.territory, a.owner FROM hub_account a WHERE a.account_id = NEW.account_id)
                            WHERE entity = NEW.entity AND row_id = NEW.row_id;
                    END;
                    CREATE TRIGGER hub_account_placed AFTER INSERT ON hub_account BEGIN
                        UPDATE hub_row SET territory = NEW.territory, owner = NEW.owner
                            WHERE account_id = NEW.account_id AND (territory IS NOT NEW.territory OR owner IS NOT NEW.owner);
                    END;
                    CREATE TRIGGER hub_account_moved AFTER UPDATE ON hub_account BEGIN
                        UPDATE hub_row SET territory = NEW.territory, owner = NEW.owner
                            WHERE account_id = NEW.account_id AND (territory IS NOT NEW.territory OR owner IS NOT NEW.owner);
                    END;
                    CREATE TRIGGER hub_account_gone AFTER DELETE ON hub_account BEGIN
                        UPDATE hub_row SET territory = NULL, owner = NULL WHERE account_id = OLD.account_id;
                    END;
                    """)
        }
        migrator.registerMigration("hub-v18-unplaced-rows") { db in
            // Rows without their root's place (inserted by a server older than hub-v17) are found
            // through an index when the store opens, not by reading every row. Builds of
            // 2026-12-07 between two commits created a per-insert trigger for them that cost the
            // merge 17 %; it goes.
            try db.execute(
                sql: """
                    DROP TRIGGER IF EXISTS hub_row_placed;
                    CREATE INDEX hub_row_unplaced ON hub_row(account_id)
                        WHERE territory IS NULL AND owner IS NULL AND account_id IS NOT NULL;
                    """)
        }
        return migrator
    }
}
