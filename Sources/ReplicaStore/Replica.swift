import Foundation
import GRDB
import SyncCore

/// The rep's replica: one SQLite file (WAL, mode 0600) holding the book of business, the
/// outbox of captured changes and the sync bookkeeping.
///
/// Every write, through this API or any other SQL on the file, is captured by triggers into
/// the outbox in the same transaction. Each public method is one transaction that keeps its
/// invariant: a validated write and its outbox entry, or a pulled page and its cursor.
///
/// ```swift
/// let replica = try Replica.open(at: "~/.satchel/replica.sqlite", schema: CRMSchema.schema)
/// let id = try replica.insert("account", values: ["name": .text("Acme Ltd"), "city": .text("Lyon")])
/// try replica.update("account", id: id, set: ["phone": .text("+33 4 72 00 00 00")])
/// let changeset = try replica.pendingChangeset()   // what the next push uploads
/// ```
public struct Replica: Sendable {
    let writer: any DatabaseWriter
    /// The built-in schema and the company's steps this replica has learned.
    let schemas: SchemaBox
    /// The schema this replica holds: the built-in one with every company step it has pulled
    /// (custom fields added, choices added, fields retired). It moves when a pull brings steps.
    public var schema: Schema { schemas.current }
    /// The wall clock the capture triggers and the bookkeeping read.
    let clock: WallClock

    /// The wall clock, in Unix milliseconds; injected so tests control time.
    public typealias WallClock = SyncCore.WallClock

    public static let systemClock: WallClock = systemWallClock

    // MARK: - Opening

    /// Opens (creating if needed) the replica file at `path`, in WAL mode, readable by its owner only.
    ///
    /// - Parameter concurrentReads: a pool of connections, so reads run beside a write (a
    ///   long-lived process); false opens one connection, which is quicker to start (a command).
    public static func open(
        at path: String, schema: Schema, replicaID: ReplicaID = .random(), clock: @escaping WallClock = systemClock,
        concurrentReads: Bool = true
    ) throws -> Replica {
        let manager = FileManager.default
        if !manager.fileExists(atPath: path) {
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try manager.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
            guard manager.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw ReplicaError.notAReplica(path: path, detail: "the file cannot be created")
            }
        }
        do {
            var configuration = configuration(clock: clock)
            let writer: any DatabaseWriter
            if concurrentReads {
                writer = try DatabasePool(path: path, configuration: configuration)
            } else {
                configuration.journalMode = .wal
                writer = try DatabaseQueue(path: path, configuration: configuration)
            }
            return try Replica(writer: writer, schema: schema, replicaID: replicaID, clock: clock)
        } catch let error as DatabaseError where [.SQLITE_NOTADB, .SQLITE_CORRUPT].contains(error.resultCode) {
            throw ReplicaError.notAReplica(path: path, detail: error.message ?? "not a database")
        }
    }

    /// Opens a fresh replica in memory (for tests and simulations).
    public static func inMemory(
        schema: Schema, replicaID: ReplicaID = .random(), clock: @escaping WallClock = systemClock
    ) throws -> Replica {
        try Replica(
            writer: DatabaseQueue(configuration: configuration(clock: clock)), schema: schema, replicaID: replicaID,
            clock: clock)
    }

    /// Copies this replica to a new file as another replica: the same rows and cursors, a new
    /// identity with no writes of its own. Provisioning many laptops from one bootstrapped image
    /// (and the benchmark's fifty reps) costs a file copy instead of a bootstrap each.
    ///
    /// Refused while this replica has changes of its own: a copy would push them a second time
    /// under another name.
    public func clone(to path: String, as replicaID: ReplicaID, clock: @escaping WallClock = systemClock) throws
        -> Replica
    {
        try writer.read { db in
            let counter = try Int64.fetchOne(db.cachedStatement(sql: "SELECT counter FROM _replica")) ?? 0
            guard counter == 0, try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM _outbox")) == 0 else {
                throw ReplicaError.notAllowed(
                    reason: "this replica has writes of its own", remedy: "clone a replica that has only synced data")
            }
        }
        guard !FileManager.default.fileExists(atPath: path) else {
            throw ReplicaError.notAllowed(reason: "\(path) exists", remedy: "choose a new file for the copy")
        }
        try writer.writeWithoutTransaction { db in
            try db.cachedStatement(sql: "VACUUM INTO ?").execute(arguments: [path])
        }
        chmod(path, 0o600)
        let copy = try Replica.open(at: path, schema: schema, replicaID: replicaID, clock: clock)
        try copy.writer.write { db in
            try db.cachedStatement(
                sql: "UPDATE _replica SET id = ?, user = '', device = '', privileged = 0, counter = 0"
            ).execute(arguments: [replicaID.rawValue])
        }
        return copy
    }

    init(writer: any DatabaseWriter, schema: Schema, replicaID: ReplicaID, clock: @escaping WallClock) throws {
        self.writer = writer
        self.clock = clock
        self.schemas = SchemaBox(builtIn: schema)
        let found: Int
        do {
            // Checking first keeps an up-to-date replica's open free of any write.
            let migrator = Replica.migrator(schema: schema, replicaID: replicaID)
            if try !writer.read({ db in try migrator.hasCompletedMigrations(db) }) { try migrator.migrate(writer) }
            found =
                try writer.read { db in try Int.fetchOne(db.cachedStatement(sql: "SELECT schema_version FROM _replica")) }
                ?? 0
            guard found <= schema.version else { throw ReplicaError.schemaTooNew(found: found, supported: schema.version) }
            // Made by an older release: its declared steps, then the company's, in one transaction.
            if found < schema.version {
                try writer.write { db in try Replica.upgrade(from: found, to: schema, db: db) }
            }
            schemas.current = try writer.read { db in try schema.applying(Replica.companySteps(db)) }
        } catch let error as DatabaseError {
            throw ReplicaError.notAReplica(path: writer.path, detail: error.message ?? "\(error.resultCode)")
        }
    }

    /// Text as search compares it: case and accents folded ("Carrières" → "carrieres").
    public static func fold(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
    }

    static func configuration(clock: @escaping WallClock) -> Configuration {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = false
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // A bootstrap page of 2,000 rows dirties more than SQLite's default 2 MiB of cache,
            // which then spills pages to the WAL before the commit; 16 MiB holds a page's work.
            try db.execute(sql: "PRAGMA cache_size = -16384")
            db.add(
                function: DatabaseFunction("satchel_wall", argumentCount: 0, pure: false) { _ in clock() })
            db.add(
                function: DatabaseFunction("satchel_fold", argumentCount: 1, pure: true) { arguments in
                    String.fromDatabaseValue(arguments[0]).map(Replica.fold)
                })
            db.add(
                function: DatabaseFunction("satchel_hlc_next", argumentCount: 1, pure: false) { arguments in
                    var hlc = HybridClock(last: HLCTimestamp(packed: Int64.fromDatabaseValue(arguments[0]) ?? 0))
                    return hlc.tickRecovering(wallMilliseconds: clock()).packed
                })
        }
        return configuration
    }

    // MARK: - Identity

    /// Who this replica is: its id, the user and device it writes as, and its counters.
    public struct Identity: Hashable, Sendable {
        public var replicaID: ReplicaID
        public var user: String
        public var device: String
        public var isPrivileged: Bool
        /// The counter of the latest captured write.
        public var counter: UInt64
        public var hlc: HLCTimestamp
        public var pullCursor: Int64
        public var lastSyncAt: Int64?
        /// Whether the first full download has finished.
        public var isBootstrapped: Bool
        /// An unfinished bootstrap: its snapshot and the last sequence number applied.
        public var bootstrapProgress: (snapshot: Int64, after: Int64)?

        public static func == (lhs: Identity, rhs: Identity) -> Bool {
            lhs.replicaID == rhs.replicaID && lhs.user == rhs.user && lhs.device == rhs.device
                && lhs.counter == rhs.counter && lhs.pullCursor == rhs.pullCursor
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(replicaID)
            hasher.combine(counter)
        }
    }

    public func identity() throws -> Identity {
        try writer.read { db in try Replica.identity(db) }
    }

    static func identity(_ db: Database) throws -> Identity {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM _replica")) else {
            throw ReplicaError.notAReplica(path: db.description, detail: "its identity row is missing")
        }
        return Identity(
            replicaID: ReplicaID(row["id"]), user: row["user"], device: row["device"],
            isPrivileged: row["privileged"], counter: UInt64(row["counter"] as Int64),
            hlc: HLCTimestamp(packed: row["hlc"]),
            pullCursor: row["pull_cursor"], lastSyncAt: row["last_sync_at"], isBootstrapped: row["bootstrapped"],
            bootstrapProgress: (row["bootstrap_snapshot"] as Int64?).map { ($0, row["bootstrap_after"]) })
    }

    /// Sets the user and device this replica writes as (after enrollment).
    public func setWriter(user: String, device: String, isPrivileged: Bool = false) throws {
        try writer.write { db in
            try db.cachedStatement(sql: "UPDATE _replica SET user = ?, device = ?, privileged = ?").execute(arguments: [
                user, device, isPrivileged,
            ])
        }
    }

    /// Runs SQLite's integrity check; returns "ok" or the problems it found.
    public func integrityCheck() throws -> String {
        try writer.read { db in
            try String.fetchAll(db.cachedStatement(sql: "PRAGMA integrity_check")).joined(separator: "; ")
        }
    }

    /// Runs raw SQL against the replica, as any other tool on the laptop could; the capture
    /// triggers still record what it writes. For tests and repairs.
    public func execute(sql: String, arguments: [String?] = []) throws {
        try writer.write { db in try db.execute(sql: sql, arguments: StatementArguments(arguments)) }
    }

    // MARK: - Reading rows

    /// Returns the live row `id` of `entity`, or nil.
    public func row(_ entity: String, id: String) throws -> [String: FieldValue]? {
        let schema = try self.schema.requireEntityOrThrow(entity)
        return try writer.read { db in try Replica.row(schema, id: id, db: db) }
    }

    static func row(_ entity: EntitySchema, id: String, db: Database) throws -> [String: FieldValue]? {
        let sql =
            "SELECT \(SQLMapping.selectList(entity, alias: "t")) FROM \(SQLMapping.quote(entity.name)) t WHERE t.id = ?"
        return try Row.fetchOne(db.cachedStatement(sql: sql), arguments: [id]).map {
            try SQLMapping.decodeRow($0, entity: entity).values
        }
    }

    /// Returns every live row of `entity`, ordered by id.
    public func rows(_ entity: String) throws -> [(id: String, values: [String: FieldValue])] {
        let schema = try self.schema.requireEntityOrThrow(entity)
        return try writer.read { db in
            let sql =
                "SELECT \(SQLMapping.selectList(schema, alias: "t")) FROM \(SQLMapping.quote(schema.name)) t ORDER BY t.id"
            return try Row.fetchAll(db.cachedStatement(sql: sql)).map { try SQLMapping.decodeRow($0, entity: schema) }
        }
    }

    /// Returns the row's version vector as this replica knows it.
    public func version(_ entity: String, id: String) throws -> VersionVector {
        try writer.read { db in try Replica.version(entity, id: id, db: db) }
    }

    /// Who wrote each field's current value, as the hub last told this replica.
    public func stamps(_ entity: String, id: String) throws -> [String: FieldStamp] {
        try writer.read { db in
            guard
                let text = try String.fetchOne(
                    db.cachedStatement(sql: "SELECT stamps FROM _row_meta WHERE entity = ? AND row_id = ?"),
                    arguments: [entity, id])
            else { return [:] }
            return try WireJSON.decode(FieldStamps.Map.self, fromText: text).stamps
        }
    }

    static func version(_ entity: String, id: String, db: Database) throws -> VersionVector {
        guard
            let text = try String.fetchOne(
                db.cachedStatement(sql: "SELECT version FROM _row_meta WHERE entity = ? AND row_id = ?"),
                arguments: [entity, id])
        else { return VersionVector() }
        return try WireJSON.decode(VersionVector.self, fromText: text)
    }
}

extension Schema {
    func requireEntityOrThrow(_ name: String) throws(ReplicaError) -> EntitySchema {
        do {
            return try requireEntity(name)
        } catch {
            throw .invalid(error)
        }
    }
}

/// The schema a replica holds, shared by the copies of one ``Replica`` value and moved when a
/// pull brings company steps (after the transaction that applied them commits).
final class SchemaBox: @unchecked Sendable {
    let builtIn: Schema
    private let lock = NSLock()
    private var value: Schema

    init(builtIn: Schema) {
        self.builtIn = builtIn
        self.value = builtIn
    }

    var current: Schema {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}
