import Foundation
import GRDB
import HubEngine
import SyncCore

/// A page of the change feed or of a bootstrap in its wire form.
public struct EncodedPage: Sendable {
    /// The page's JSON (a `PullResponse` or a `BootstrapResponse`).
    public var json: Data
    public var rowCount: Int
    public var hasMore: Bool
    /// Where the next page starts: a pull's `cursor`, a bootstrap's `after`.
    public var next: Int64
    /// A bootstrap's snapshot (nil for a pull).
    public var snapshot: Int64?

    /// The page's JSON with one more member at the end of its object (`value` is JSON already).
    public func appending(field name: String, value: String) -> Data {
        var json = self.json
        guard json.last == UInt8(ascii: "}") else { return json }
        json.removeLast()
        json.append(contentsOf: ",\"\(name)\":\(value)}".utf8)
        return json
    }
}

/// The hub's authoritative store: every row's merged state, the change feed replicas pull,
/// the conflict queue, and the per-replica high-water marks that make pushes exactly-once.
///
/// The sync server wraps a `Hub`; tests and simulations use one directly, in memory. Each
/// public method is one transaction: a push is applied whole or not at all.
///
/// ```swift
/// let hub = try Hub.inMemory(schema: CRMSchema.schema)
/// let response = try hub.push(changeset, as: Writer(user: "alice", device: "laptop", isPrivileged: false))
/// let page = try hub.pull(since: 0, limit: 500, for: changeset.replica)
/// ```
public struct Hub: Sendable {
    let writer: any DatabaseWriter
    /// How far each device has pulled, kept in memory and written with the next write.
    let pullMarks = PullMarks()
    /// The feed's end when this hub was opened: a laptop may have been sent anything up to it by
    /// an earlier process whose marks did not reach the disk.
    let openedAt: Int64
    public let schema: Schema
    /// The sync policy: every write of a push is planned by it, then applied here.
    let planner: HubPlanner
    var merger: Merger { planner.merger }
    let clock: WallClock
    /// How far ahead of the hub's clock a change's HLC may be before it is refused.
    public let maxClockDrift: Int64

    public static func open(
        at path: String, schema: Schema, clock: @escaping WallClock = systemWallClock,
        maxClockDrift: Int64 = HybridClock.defaultMaxForwardDrift
    ) throws -> Hub {
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
        return try Hub(writer: pool, schema: schema, clock: clock, maxClockDrift: maxClockDrift)
    }

    /// The writer connection's `PRAGMA synchronous` (2 is FULL: a commit waits for the disk).
    public func synchronousMode() throws -> Int {
        try writer.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    public static func inMemory(
        schema: Schema, clock: @escaping WallClock = systemWallClock,
        maxClockDrift: Int64 = HybridClock.defaultMaxForwardDrift, replicaID: ReplicaID? = nil
    ) throws -> Hub {
        try Hub(
            writer: DatabaseQueue(), schema: schema, clock: clock, maxClockDrift: maxClockDrift, replicaID: replicaID)
    }

    init(
        writer: any DatabaseWriter, schema: Schema, clock: @escaping WallClock, maxClockDrift: Int64,
        replicaID: ReplicaID? = nil
    ) throws {
        self.writer = writer
        self.schema = schema
        self.planner = HubPlanner(schema: schema, maxClockDrift: maxClockDrift)
        self.clock = clock
        self.maxClockDrift = maxClockDrift
        try Hub.migrator(schema: schema, replicaID: replicaID).migrate(writer)
        openedAt = try writer.read { db in try Hub.currentSeq(db) }
    }

    // MARK: - Reading

    /// The hub's own replica id (the resolver's dots carry it).
    public func replicaID() throws -> ReplicaID {
        try writer.read { db in
            ReplicaID(try String.fetchOne(db.cachedStatement(sql: "SELECT replica_id FROM hub_meta")) ?? "")
        }
    }

    /// The stored state of a row, tombstones included.
    public func row(_ entity: String, id: String) throws -> RowState? {
        try writer.read { db in try Hub.row(entity, id: id, db: db) }
    }

    static func row(_ entity: String, id: String, db: Database) throws -> RowState? {
        guard
            let text = try String.fetchOne(
                db.cachedStatement(sql: "SELECT state FROM hub_row WHERE entity = ? AND row_id = ?"),
                arguments: [entity, id])
        else { return nil }
        return try WireJSON.decode(RowState.self, fromText: text)
    }

    /// Every live row of `entity`, ordered by id.
    public func liveRows(_ entity: String) throws -> [RowState] {
        try writer.read { db in
            try String.fetchAll(
                db.cachedStatement(sql: "SELECT state FROM hub_row WHERE entity = ? AND deleted = 0 ORDER BY row_id"),
                arguments: [entity]
            ).map { try WireJSON.decode(RowState.self, fromText: $0) }
        }
    }

    /// The high-water mark of `replica`: the highest counter the hub has processed.
    public func highWater(of replica: ReplicaID) throws -> UInt64 {
        try writer.read { db in try Hub.highWater(replica, db: db) }
    }

    static func highWater(_ replica: ReplicaID, db: Database) throws -> UInt64 {
        UInt64(
            try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT high_water FROM hub_replica WHERE replica_id = ?"),
                arguments: [replica.rawValue])
                ?? 0)
    }

    // MARK: - Pull

    /// Returns the rows in `scope` changed since `cursor`, each once with its latest state, at
    /// most `limit`.
    ///
    /// The page is read in one transaction, so it is consistent; `cursor` in the answer is the
    /// sequence number of its last row (or, when nothing in scope changed, the feed's end, so a
    /// reader does not scan the same out-of-scope rows again).
    ///
    /// `reader` is the replica the page goes to: the hub notes how far the feed was sent to it,
    /// which bounds what its next push may claim to have seen (``CausalBound``). Pass nil only
    /// for a reader that never pushes (an admin's listing, a test's look at the feed).
    public func pull(since cursor: Int64, limit: Int = 500, scope: ReadScope = .all, for reader: ReplicaID?) throws
        -> PullResponse
    {
        let page = try pullPage(since: cursor, limit: limit, scope: scope, reader: reader)
        return PullResponse(
            rows: try page.rows.map(Hub.snapshot), cursor: page.cursor, hasMore: page.hasMore,
            departed: page.departed.isEmpty ? nil : page.departed, redirects: page.redirects.isEmpty ? nil : page.redirects)
    }

    /// The same page as ``pull(since:limit:scope:)``, as the JSON the wire carries. The stored
    /// states are spliced in as they are, with their sequence numbers, without being decoded.
    public func pullEncoded(since cursor: Int64, limit: Int = 500, scope: ReadScope = .all, for reader: ReplicaID?)
        throws -> EncodedPage
    {
        let page = try pullPage(since: cursor, limit: limit, scope: scope, reader: reader)
        var tail = "\"cursor\":\(page.cursor),\"hasMore\":\(page.hasMore)"
        if !page.departed.isEmpty {
            tail += ",\"departed\":" + String(decoding: try WireJSON.encoder.encode(page.departed), as: UTF8.self)
        }
        if !page.redirects.isEmpty {
            tail += ",\"redirects\":" + String(decoding: try WireJSON.encoder.encode(page.redirects), as: UTF8.self)
        }
        return EncodedPage(
            json: Hub.encodedPage(page.rows, tail: tail),
            rowCount: page.rows.count, hasMore: page.hasMore, next: page.cursor, snapshot: nil)
    }

    private func pullPage(since cursor: Int64, limit: Int, scope: ReadScope, reader: ReplicaID?) throws
        -> (rows: [StoredRow], cursor: Int64, hasMore: Bool, departed: [Departure], redirects: [Redirect])
    {
        let limit = max(1, limit)
        let condition = try Hub.scopeCondition(scope)
        let page = try writer.read { db in
            // Checked in the page's own read: a compaction either happened before it (and the
            // reader is told to re-baseline) or did not touch what it reads.
            if cursor > 0, let compacted = try Int64.fetchOne(db.cachedStatement(sql: "SELECT compacted_to FROM hub_meta")),
                cursor < compacted
            {
                throw HubError.rebaselineRequired(cursor: cursor, compactedTo: compacted)
            }
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT r.seq, r.state FROM hub_row r LEFT JOIN hub_account a ON a.account_id = r.account_id
                        WHERE r.seq > ? AND \(condition.sql) ORDER BY r.seq LIMIT ?
                        """),
                arguments: [cursor] + condition.arguments + [limit + 1]
            ).map { StoredRow(seq: $0["seq"], state: $0["state"]) }
            let hasMore = rows.count > limit
            let page = Array(rows.prefix(limit))
            let end = hasMore ? (page.last?.seq ?? cursor) : max(cursor, try Hub.currentSeq(db))
            return (
                rows: page, cursor: end, hasMore: hasMore,
                departed: try Hub.departures(scope, after: cursor, upTo: end, schema: schema, db: db),
                redirects: try Hub.redirects(scope, after: cursor, upTo: end, db: db)
            )
        }
        noteSent(reader, upTo: page.cursor)
        return page
    }

    /// One page of the live rows in `scope` as of `snapshot` (the feed's end when nil), after
    /// sequence number `after`. Tombstones are left out: a new replica needs no history.
    /// `reader` as for ``pull(since:limit:scope:for:)``.
    public func bootstrap(
        snapshot: Int64? = nil, after: Int64 = 0, limit: Int = 500, scope: ReadScope = .all, for reader: ReplicaID?
    ) throws -> BootstrapResponse {
        let page = try bootstrapPage(snapshot: snapshot, after: after, limit: limit, scope: scope, reader: reader)
        return BootstrapResponse(
            rows: try page.rows.map(Hub.snapshot), snapshot: page.snapshot, after: page.after, hasMore: page.hasMore)
    }

    /// The same page as ``bootstrap(snapshot:after:limit:scope:)``, as the JSON the wire carries.
    public func bootstrapEncoded(
        snapshot: Int64? = nil, after: Int64 = 0, limit: Int = 500, scope: ReadScope = .all, for reader: ReplicaID?
    ) throws -> EncodedPage {
        let page = try bootstrapPage(snapshot: snapshot, after: after, limit: limit, scope: scope, reader: reader)
        return EncodedPage(
            json: Hub.encodedPage(
                page.rows, tail: "\"snapshot\":\(page.snapshot),\"after\":\(page.after),\"hasMore\":\(page.hasMore)"),
            rowCount: page.rows.count, hasMore: page.hasMore, next: page.after, snapshot: page.snapshot)
    }

    private func bootstrapPage(snapshot: Int64?, after: Int64, limit: Int, scope: ReadScope, reader: ReplicaID?) throws
        -> (rows: [StoredRow], snapshot: Int64, after: Int64, hasMore: Bool)
    {
        let limit = max(1, limit)
        let condition = try Hub.scopeCondition(scope)
        let page = try writer.read { db in
            let snapshot = try snapshot ?? Hub.currentSeq(db)
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT r.seq, r.state FROM hub_row r LEFT JOIN hub_account a ON a.account_id = r.account_id
                        WHERE r.seq > ? AND r.seq <= ? AND r.deleted = 0 AND \(condition.sql) ORDER BY r.seq LIMIT ?
                        """),
                arguments: [after, snapshot] + condition.arguments + [limit + 1]
            ).map { StoredRow(seq: $0["seq"], state: $0["state"]) }
            let hasMore = rows.count > limit
            let page = Array(rows.prefix(limit))
            return (rows: page, snapshot: snapshot, after: hasMore ? (page.last?.seq ?? after) : snapshot, hasMore: hasMore)
        }
        // Every row of the snapshot may arrive, whichever page carries it.
        noteSent(reader, upTo: page.snapshot)
        return page
    }

    /// A row of the feed as stored: its sequence number and its state's JSON.
    struct StoredRow {
        var seq: Int64
        var state: String
    }

    /// `{"rows":[…],<tail>}` with each stored state turned into a row snapshot by putting its
    /// `seq` in front (a stored state is a snapshot without it; see ``RowState``).
    static func encodedPage(_ rows: [StoredRow], tail: String) -> Data {
        var json = Data()
        json.reserveCapacity(rows.reduce(64 + tail.utf8.count) { $0 + $1.state.utf8.count + 32 })
        json.append(contentsOf: #"{"rows":["#.utf8)
        for (index, row) in rows.enumerated() {
            if index > 0 { json.append(UInt8(ascii: ",")) }
            json.append(contentsOf: #"{"seq":"#.utf8)
            json.append(contentsOf: String(row.seq).utf8)
            json.append(UInt8(ascii: ","))
            json.append(contentsOf: row.state.utf8.dropFirst())
        }
        json.append(contentsOf: "],".utf8)
        json.append(contentsOf: tail.utf8)
        json.append(UInt8(ascii: "}"))
        return json
    }

    static func snapshot(_ row: StoredRow) throws -> RowSnapshot {
        let state = try WireJSON.decode(RowState.self, fromText: row.state)
        return RowSnapshot(
            entity: state.entity, id: state.id, seq: row.seq, values: state.values, version: state.version,
            deleted: state.isDeleted, stamps: state.stamps)
    }

    static func snapshot(_ row: Row) throws -> RowSnapshot {
        try snapshot(StoredRow(seq: row["seq"], state: row["state"]))
    }

    static func currentSeq(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT seq FROM hub_meta")) ?? 0
    }

    /// Writes a consistent, compact copy of the whole store to a new file at `path` (SQLite's
    /// `VACUUM INTO`), while the hub goes on serving.
    public func backup(to path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw HubError.storage("\(path) exists; choose a new file for the copy")
        }
        try writer.writeWithoutTransaction { db in
            try db.cachedStatement(sql: "VACUUM INTO ?").execute(arguments: [path])
        }
        chmod(path, 0o600)
    }

    // MARK: - Storage helpers

    /// The next position of the feed, for the writes an operation makes outside a plan (a
    /// transfer's departure, a merge's redirect); the same rule as ``PlanDraft/nextSeq()``.
    static func nextSeq(_ db: Database) throws -> Int64 {
        let floor = Int64((Date().timeIntervalSince1970 * 1_000_000).rounded(.down))
        try db.cachedStatement(sql: "UPDATE hub_meta SET seq = MAX(seq + 1, ?)").execute(arguments: [floor])
        return try Int64.fetchOne(db.cachedStatement(sql: "SELECT seq FROM hub_meta")) ?? 0
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
}

extension Hub {
    /// Every table of the store as text, in a fixed order: two dumps are equal exactly when the
    /// stores hold the same data. Tests use it to prove a refused request changed nothing.
    public func dump() throws -> String {
        try writer.read { db in
            var lines: [String] = []
            let tables = try String.fetchAll(
                db.cachedStatement(
                    sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'hub_%' ORDER BY name"))
            for table in tables {
                lines.append("# \(table)")
                for row in try Row.fetchAll(
                    db.cachedStatement(sql: "SELECT * FROM \(Hub.quote(table)) ORDER BY 1, 2"))
                {
                    lines.append(row.description)
                }
            }
            return lines.joined(separator: "\n")
        }
    }
}

extension Hub {
    /// Quotes an identifier for SQL.
    static func quote(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
