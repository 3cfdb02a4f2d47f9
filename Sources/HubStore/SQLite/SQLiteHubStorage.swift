import Foundation
import GRDB
import HubEngine
import SatchelModel
import SyncCore

/// The hub on SQLite, the embedded default: ``HubService`` over ``SQLiteHubStorage``.
public typealias Hub = HubService<SQLiteHubStorage>

/// The hub's storage in one SQLite database (WAL; a pool of readers and one writer), or in
/// memory for tests and simulations.
///
/// It loads (``SQLiteHubView`` answers the planner's and the service's queries from the open
/// transaction), applies (``apply(_:db:)`` writes one operation's ``HubWrites``) and answers;
/// it decides nothing.
public struct SQLiteHubStorage: HubStorage {
    let writer: any DatabaseWriter
    let commits: CommitGroup
    let schema: Schema
    /// Attachments' bytes: files beside the database (``blobDirectory(for:)``), or in memory.
    public let blobs: any BlobStorage

    /// Where the attachments of the database at `path` are kept: `satchel.sqlite`'s in
    /// `satchel.blobs` beside it.
    public static func blobDirectory(for path: String) -> String {
        (path as NSString).deletingPathExtension + ".blobs"
    }

    /// Opens (creating and migrating) the database file at `path`, and its blob folder.
    public static func open(at path: String, schema: Schema, replicaID: ReplicaID? = nil) throws -> SQLiteHubStorage {
        let manager = FileManager.default
        if !manager.fileExists(atPath: path) {
            guard manager.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw HubError.storage("cannot create \(path)")
            }
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        // Every pull and push reads rows all over the store: map the file (up to 1 GiB) instead
        // of copying each page through read(2), and keep 16 MiB of pages per connection.
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -16384")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        // A push is answered only after its commit reached the disk: in WAL mode, NORMAL (which GRDB
        // sets) may lose the last commits in a power cut after the laptop was told "ok". The writer
        // is the only connection that commits.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        // The WAL stays copied back into the file every 1,000 pages, SQLite's default. At 16,384
        // the in-process merge gained 3-19 % (a copy serves many pushes), but pulls and bootstraps
        // under load lost more: pages read from a long WAL are looked up in its index and read
        // with pread instead of the map (Docs/performance.md, 2026-12-07).
        let blobs: FileBlobStorage
        do {
            blobs = try FileBlobStorage(directory: blobDirectory(for: path))
        } catch let error as BlobStorageError {
            throw HubError.storage("\(error)")
        }
        return try SQLiteHubStorage(writer: pool, schema: schema, replicaID: replicaID, blobs: blobs)
    }

    /// A new database in memory.
    public static func inMemory(schema: Schema, replicaID: ReplicaID? = nil) throws -> SQLiteHubStorage {
        try SQLiteHubStorage(writer: DatabaseQueue(), schema: schema, replicaID: replicaID, blobs: MemoryBlobStorage())
    }

    init(writer: any DatabaseWriter, schema: Schema, replicaID: ReplicaID?, blobs: any BlobStorage) throws {
        self.writer = writer
        self.commits = CommitGroup(writer: writer)
        self.schema = schema
        self.blobs = blobs
        let migrator = Self.migrator(schema: schema, replicaID: replicaID)
        // A store a newer server migrated keeps data this one does not know how to keep up to
        // date (a row's copy of its root's place, say): refuse it rather than write beside it.
        if let newer = try writer.read({ db in
            try migrator.hasBeenSuperseded(db) ? try migrator.appliedIdentifiers(db).subtracting(migrator.migrations).sorted() : nil
        }) {
            throw HubError.storage(
                "this store was written by a newer satchel-server (it has \(newer.joined(separator: ", "))); run that release or a later one")
        }
        try migrator.migrate(writer)
        try writer.write { db in try Self.placeUnplacedRows(db) }
    }

    /// Gives rows inserted without their root's place (by a server older than `hub-v17`, run on
    /// the store after a newer one migrated it) the place `hub_account` holds; an index
    /// (`hub_row_unplaced`) holds exactly the rows it looks at.
    static func placeUnplacedRows(_ db: Database) throws {
        try db.execute(
            sql: """
                UPDATE hub_row SET (territory, owner) = (
                    SELECT a.territory, a.owner FROM hub_account a WHERE a.account_id = hub_row.account_id)
                WHERE territory IS NULL AND owner IS NULL AND account_id IS NOT NULL AND EXISTS (
                    SELECT 1 FROM hub_account a
                    WHERE a.account_id = hub_row.account_id AND (a.territory IS NOT NULL OR a.owner IS NOT NULL))
                """)
    }

    public func read<T>(_ body: (SQLiteHubView) throws -> T) throws -> T {
        try writer.read { db in try body(SQLiteHubView(db: db, schema: schema)) }
    }

    /// Concurrent writes share a transaction and its commit (``CommitGroup``); each stays whole
    /// or nothing, and returns only after its commit.
    public func write<T>(_ body: (SQLiteHubView) throws -> (result: T, writes: HubWrites)) throws -> T {
        try commits.write { db in
            let (result, writes) = try body(SQLiteHubView(db: db, schema: schema))
            try Self.apply(writes, db: db)
            // A new schema step or release ends the transaction: the operations after it read the
            // schema (which the service caches) only once it is committed.
            return (result, !writes.schemaSteps.isEmpty || writes.schemaVersion != nil)
        }
    }

    /// How many write operations finished so far, and in how many transactions.
    public var commitCounts: (operations: Int, commits: Int) { commits.counts }
}

extension HubService where Storage == SQLiteHubStorage {
    /// Opens (creating the file if needed) the SQLite hub at `path`.
    public static func open(
        at path: String, schema: Schema, clock: @escaping WallClock = systemWallClock,
        maxClockDrift: Int64 = HybridClock.defaultMaxForwardDrift
    ) throws -> Hub {
        try Hub(storage: .open(at: path, schema: schema), schema: schema, clock: clock, maxClockDrift: maxClockDrift)
    }

    /// A hub in memory (tests and simulations).
    public static func inMemory(
        schema: Schema, clock: @escaping WallClock = systemWallClock,
        maxClockDrift: Int64 = HybridClock.defaultMaxForwardDrift, replicaID: ReplicaID? = nil
    ) throws -> Hub {
        try Hub(
            storage: .inMemory(schema: schema, replicaID: replicaID), schema: schema, clock: clock,
            maxClockDrift: maxClockDrift)
    }

    /// A setting of the writer connection that bears on durability and the disk, as `PRAGMA name`
    /// reads it: `synchronous` (2 is FULL: a commit waits for the disk) or `wal_autocheckpoint`.
    /// Any other name is refused (some pragmas act when read).
    public func writerSetting(_ name: String) throws -> Int {
        guard ["synchronous", "wal_autocheckpoint"].contains(name) else {
            throw HubError.storage("\(name) is not a setting writerSetting reads")
        }
        return try storage.writer.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA \(name)") ?? -1 }
    }

    /// Writes a consistent, compact copy of the whole store to a new file at `path` (SQLite's
    /// `VACUUM INTO`), while the hub goes on serving.
    public func backup(to path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw HubError.storage("\(path) exists; choose a new file for the copy")
        }
        try storage.writer.writeWithoutTransaction { db in
            try db.cachedStatement(sql: "VACUUM INTO ?").execute(arguments: [path])
        }
        chmod(path, 0o600)
    }
}

extension SQLiteHubStorage {
    // MARK: - Applying

    /// Writes one operation's writes in the caller's transaction, in the order ``HubWrites`` gives.
    static func apply(_ writes: HubWrites, db: Database) throws {
        for (replica, position) in writes.pulled {
            try db.cachedStatement(
                sql: "UPDATE hub_device SET pulled_to = MAX(pulled_to, ?), dormant = 0 WHERE replica_id = ?"
            ).execute(arguments: [position, replica.rawValue])
            if let at = writes.pulledAt {
                try db.cachedStatement(sql: "UPDATE hub_device SET pulled_at = MAX(COALESCE(pulled_at, 0), ?) WHERE replica_id = ?")
                    .execute(arguments: [at, replica.rawValue])
            }
        }
        for (replica, position) in writes.sent {
            try db.cachedStatement(sql: "UPDATE hub_device SET sent_to = MAX(sent_to, ?) WHERE replica_id = ?")
                .execute(arguments: [position, replica.rawValue])
        }
        try apply(writes.plan, db: db)
        for write in writes.directory { try apply(write, db: db) }
        if let purge = writes.purge {
            try db.execute(sql: "DELETE FROM hub_row WHERE deleted = 1 AND seq <= ?", arguments: [purge.through])
            try db.execute(sql: "UPDATE hub_meta SET compacted_to = MAX(compacted_to, ?)", arguments: [purge.compactedTo])
        }
        if let day = writes.activity {
            try db.cachedStatement(
                sql: """
                    INSERT INTO hub_activity (day, pushes, applied, merged, queued, rejected) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (day) DO UPDATE SET pushes = pushes + excluded.pushes, applied = applied + excluded.applied,
                        merged = merged + excluded.merged, queued = queued + excluded.queued, rejected = rejected + excluded.rejected
                    """
            ).execute(arguments: [day.day, day.pushes, day.applied, day.merged, day.queued, day.rejected])
        }
        if let version = writes.schemaVersion {
            try db.execute(sql: "UPDATE hub_meta SET schema_version = MAX(schema_version, ?)", arguments: [version])
        }
        for published in writes.schemaSteps {
            try db.execute(
                sql: "INSERT INTO hub_schema (revision, step, at, by_user, feed_position) VALUES (?, ?, ?, ?, ?)",
                arguments: [published.revision, try WireJSON.text(published.step), published.at, published.by, published.feedPosition])
        }
        for entry in writes.audit {
            try db.cachedStatement(
                sql: "INSERT INTO hub_audit (at, actor, device, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)"
            ).execute(arguments: [entry.at, entry.actor.user, entry.actor.device, entry.action, entry.target, entry.detail])
        }
    }

    static func apply(_ write: DirectoryWrite, db: Database) throws {
        switch write {
        case .addUser(let user, let hash, let expiresAt, let at):
            try db.execute(
                sql: """
                    INSERT INTO hub_user (name, role, territories, manager, enrollment_hash, enrollment_expires_at, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    user.name, user.role.rawValue, try WireJSON.text(user.territories), user.manager, hash, expiresAt, at,
                ])
        case .setEnrollment(let user, let hash, let expiresAt):
            try db.execute(
                sql: "UPDATE hub_user SET enrollment_hash = ?, enrollment_expires_at = ? WHERE name = ?",
                arguments: [hash, expiresAt, user])
        case .disableUser(let name, let at):
            try db.execute(
                sql: "UPDATE hub_user SET disabled_at = COALESCE(disabled_at, ?), enrollment_hash = NULL WHERE name = ?",
                arguments: [at, name])
        case .addDevice(let replica, let user, let device, let hash, let at):
            try db.execute(
                sql: "INSERT INTO hub_device (replica_id, user, device, credential_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [replica.rawValue, user, device, hash, at])
        case .offerCredential(let replica, let hash):
            try db.execute(
                sql: "UPDATE hub_device SET next_credential_hash = ? WHERE replica_id = ?", arguments: [hash, replica.rawValue])
        case .adoptCredential(let replica, let hash):
            try db.execute(
                sql: """
                    UPDATE hub_device SET credential_hash = next_credential_hash, next_credential_hash = NULL
                    WHERE replica_id = ? AND next_credential_hash = ?
                    """,
                arguments: [replica.rawValue, hash])
        case .revokeDevice(let replica, let by, let at):
            try db.execute(
                sql: """
                    UPDATE hub_device SET revoked_at = COALESCE(revoked_at, ?), revoked_by = COALESCE(revoked_by, ?)
                    WHERE replica_id = ?
                    """,
                arguments: [at, by, replica.rawValue])
        case .retireDevice(let replica):
            try db.execute(sql: "UPDATE hub_device SET dormant = 1 WHERE replica_id = ?", arguments: [replica.rawValue])
        case .setPassword(let user, let hash):
            try db.execute(sql: "UPDATE hub_user SET password_hash = ? WHERE name = ?", arguments: [hash, user])
        case .openSession(let session):
            try db.execute(
                sql: "INSERT INTO hub_session (id_hash, user, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [session.idHash, session.user, session.csrf, session.createdAt, session.expiresAt])
        case .closeSession(let idHash):
            try db.execute(sql: "DELETE FROM hub_session WHERE id_hash = ?", arguments: [idHash])
        case .closeSessions(let user):
            try db.execute(sql: "DELETE FROM hub_session WHERE user = ?", arguments: [user])
        case .dropSessions(let before):
            try db.execute(sql: "DELETE FROM hub_session WHERE expires_at < ?", arguments: [before])
        }
    }

    /// Writes a plan in the caller's transaction.
    static func apply(_ plan: HubPlan, db: Database) throws {
        for write in plan.rows {
            let state = write.state
            // The row carries its root's place as stored now; when this write moves the root
            // itself, the place written next moves its rows (hub_account's triggers).
            try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO hub_row (entity, row_id, seq, deleted, account_id, state, territory, owner)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, (SELECT territory FROM hub_account WHERE account_id = ?5),
                        (SELECT owner FROM hub_account WHERE account_id = ?5))
                    """
            ).execute(arguments: [state.entity, state.id, write.seq, state.isDeleted, write.root, RowJSON.rowState(state)])
            if let location = write.location {
                // Written only when it changes: a move rewrites the place of every row under it.
                try db.cachedStatement(
                    sql: """
                        INSERT INTO hub_account (account_id, territory, owner) VALUES (?, ?, ?)
                        ON CONFLICT (account_id) DO UPDATE SET territory = excluded.territory, owner = excluded.owner
                            WHERE territory IS NOT excluded.territory OR owner IS NOT excluded.owner
                        """
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
                try WireJSON.text(write.outcome), write.visibleAt,
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
            try db.cachedStatement(sql: "INSERT INTO hub_history (entity, row_id, entry) VALUES (?, ?, ?)")
                .execute(arguments: [write.entity, write.id, RowJSON.historyEntry(write.entry)])
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

    // MARK: - Storage helpers

    static func currentSeq(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT seq FROM hub_meta")) ?? 0
    }

    /// The next position of the feed, for the migrations that move rows in the feed; the same
    /// rule as ``PlanDraft/nextSeq()``.
    static func nextSeq(_ db: Database) throws -> Int64 {
        let floor = Int64((Date().timeIntervalSince1970 * 1_000_000).rounded(.down))
        try db.cachedStatement(sql: "UPDATE hub_meta SET seq = MAX(seq + 1, ?)").execute(arguments: [floor])
        return try currentSeq(db)
    }

    static func file(_ state: RowState, under keys: Set<DuplicateKey>, db: Database) throws {
        for key in keys {
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO hub_key (entity, key_name, key_value, row_id) VALUES (?, ?, ?, ?)")
                .execute(arguments: [state.entity, key.name, key.value, state.id])
        }
    }

    /// Files every live row under the keys the schema's matchers give it today.
    static func fileKeysAgain(schema: Schema, db: Database) throws {
        try db.execute(sql: "DELETE FROM hub_key")
        for row in try Row.fetchAll(db, sql: "SELECT state FROM hub_row WHERE deleted = 0") {
            let state = try WireJSON.decode(RowState.self, fromText: row["state"])
            guard let matcher = schema.entity(state.entity)?.duplicates else { continue }
            try file(state, under: matcher.keys(of: state.values), db: db)
        }
    }

    /// Quotes an identifier for SQL.
    static func quote(_ identifier: String) -> String {
        // A name seldom holds a quote: the common case skips Foundation's search and copy.
        guard identifier.utf8.contains(UInt8(ascii: "\"")) else { return "\"" + identifier + "\"" }
        return "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

extension SQLiteHubStorage: HubTableExporting {
    public func exportTables() throws -> [HubTable] {
        // Where this store's names differ from the layout's.
        let expressions = [
            "hub_account_former.position": "rowid", "hub_device.user_name": "\"user\"", "hub_replica.user_name": "\"user\"",
            "hub_session.user_name": "\"user\"",
        ]
        return try writer.read { db in
            try HubTables.layout.map { layout in
                let select = layout.columns.map { column in
                    expressions[layout.name + "." + column.name] ?? Self.quote(column.name)
                }.joined(separator: ", ")
                let order = layout.key.map { expressions[layout.name + "." + $0] ?? Self.quote($0) }.joined(separator: ", ")
                let rows = try Row.fetchAll(db, sql: "SELECT \(select) FROM \(layout.name) ORDER BY \(order)").map { row in
                    layout.columns.indices.map { index -> HubValue in
                        let value: DatabaseValue = row[index]
                        switch (value.storage, layout.columns[index].kind) {
                        case (.null, _): return .null
                        case (.int64(let number), .bool): return .bool(number != 0)
                        case (.int64(let number), _): return .integer(number)
                        case (.string(let text), _): return .text(text)
                        case (.double(let number), _): return .integer(Int64(number))
                        case (.blob(let data), _): return .text(String(decoding: data, as: UTF8.self))
                        }
                    }
                }
                return HubTable(name: layout.name, columns: layout.columns.map(\.name), rows: rows)
            }
        }
    }
}
