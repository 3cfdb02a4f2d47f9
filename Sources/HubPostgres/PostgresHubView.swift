import HubEngine
import HubStore
import Logging
import PostgresNIO
import SatchelModel
import SyncCore

/// The PostgreSQL storage's reader, inside one transaction on one connection: the planner's
/// view and the service's queries, and the one place that writes ``HubWrites``.
///
/// As with SQLite, nothing is written while an operation plans, so a row read once (its state
/// and its root) is kept for the rest of the transaction.
public final class PostgresHubView: HubReader {
    let connection: PostgresConnection
    let schema: Schema
    let logger: Logger
    let location: String
    /// Rows read so far.
    private var stored = StoredRowCache()

    init(connection: PostgresConnection, schema: Schema, logger: Logger, location: String) {
        self.connection = connection
        self.schema = schema
        self.logger = logger
        self.location = location
    }

    // MARK: - Statements

    /// The rows a statement returns.
    func rows(_ query: PostgresQuery) throws -> [PostgresRow] {
        do {
            return try connection.query(query, logger: logger).wait().rows
        } catch {
            throw HubError.storage("the database at \(location) failed: \(Self.reason(error))")
        }
    }

    /// Runs a statement; returns how many rows it changed.
    @discardableResult
    func execute(_ query: PostgresQuery) throws -> Int {
        do {
            return try connection.query(query, logger: logger).wait().metadata.rows ?? 0
        } catch {
            throw HubError.storage("the database at \(location) failed: \(Self.reason(error))")
        }
    }

    /// What went wrong, in the server's words when it gave some (a PostgreSQL error hides them
    /// from its description).
    static func reason(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let info = error.serverInfo, let message = info[.message] {
            return message + (info[.sqlState].map { " (SQLSTATE \($0))" } ?? "")
        }
        if let underlying = error.underlying { return "\(underlying)" }
        return "\(error.code)"
    }

    // MARK: - The planner's view

    private func storedRow(_ entity: String, id: String) throws -> (state: String, root: String?)? {
        try stored.row(entity, id: id) {
            try rows("SELECT state, account_id FROM hub_row WHERE entity = \(entity) AND row_id = \(id)").first
                .map { try $0.decode((String, String?).self) }
                .map { (state: $0.0, root: $0.1) }
        }
    }

    public func row(_ entity: String, id: String) throws -> RowState? {
        try storedRow(entity, id: id).map { try WireJSON.decode(RowState.self, fromText: $0.state) }
    }

    public func storedRoot(_ entity: String, id: String) throws -> String?? {
        guard let row = try storedRow(entity, id: id) else { return nil }
        return .some(row.root)
    }

    public func location(ofRoot id: String) throws -> Placement.Location? {
        try rows("SELECT territory, owner FROM hub_account WHERE account_id = \(id)").first
            .map { try $0.decode((String?, String?).self) }
            .map { Placement.Location(territory: $0.0, owner: $0.1) }
    }

    public func formerLocations(ofRoot id: String) throws -> [Placement.Location] {
        try rows("SELECT territory, owner FROM hub_account_former WHERE account_id = \(id) ORDER BY position")
            .map { try $0.decode((String?, String?).self) }
            .map { Placement.Location(territory: $0.0, owner: $0.1) }
    }

    public func rows(under root: String) throws -> [(entity: String, id: String)] {
        guard let placement = schema.placement else { return [] }
        return try rows(
            """
            SELECT entity, row_id FROM hub_row WHERE account_id = \(root) AND NOT (entity = \(placement.root) AND row_id = \(root))
            ORDER BY entity, row_id
            """
        ).map { try $0.decode((String, String).self) }.map { (entity: $0.0, id: $0.1) }
    }

    public func redirect(_ entity: String, id: String) throws -> String? {
        try rows("SELECT to_id FROM hub_redirect WHERE entity = \(entity) AND from_id = \(id)").first?.decode(String.self)
    }

    public func highWater(of replica: ReplicaID) throws -> UInt64 {
        UInt64(try rows("SELECT high_water FROM hub_replica WHERE replica_id = \(replica.rawValue)").first?.decode(Int64.self) ?? 0)
    }

    public func outcome(of replica: ReplicaID, counter: UInt64) throws -> MergeOutcome? {
        try rows("SELECT outcome FROM hub_outcome WHERE replica_id = \(replica.rawValue) AND counter = \(Int64(counter))").first
            .map { try WireJSON.decode(MergeOutcome.self, fromText: try $0.decode(String.self)) }
    }

    public func oldestUnsent(of replica: ReplicaID, atOrBelow counter: UInt64, sentTo: Int64) throws -> UInt64? {
        // Newest first, down to the first change that had been sent: usually one row, so read
        // a few at a time.
        var oldest: UInt64?
        var below = Int64(counter)
        while true {
            let batch = try rows(
                """
                SELECT counter, seq FROM hub_outcome WHERE replica_id = \(replica.rawValue) AND counter <= \(below)
                ORDER BY counter DESC LIMIT 64
                """
            ).map { try $0.decode((Int64, Int64).self) }
            for (stored, seq) in batch {
                if seq <= sentTo { return oldest }
                oldest = UInt64(stored)
            }
            guard batch.count == 64, let last = batch.last else { return oldest }
            below = last.0 - 1
        }
    }

    public func conflict(_ id: String) throws -> QueuedConflict? {
        try rows("SELECT \(unescaped: Self.conflictColumns) FROM hub_conflict WHERE id = \(id)").first.map(Self.queued)
    }

    public func meta() throws -> HubMeta {
        guard let row = try rows("SELECT replica_id, counter, hlc, seq FROM hub_meta WHERE singleton = 1").first else {
            throw HubError.storage("the database at \(location) has no hub_meta row; it is not a Satchel hub")
        }
        let (replica, counter, hlc, seq) = try row.decode((String, Int64, Int64, Int64).self)
        return HubMeta(replica: ReplicaID(replica), counter: UInt64(counter), hlc: HLCTimestamp(packed: hlc), seq: seq)
    }

    public func rows(_ entity: String, filedUnder key: DuplicateKey, excluding id: String, limit: Int) throws -> [String] {
        try rows(
            """
            SELECT row_id FROM hub_key WHERE entity = \(entity) AND key_name = \(key.name) AND key_value = \(key.value)
                AND row_id <> \(id) LIMIT \(limit)
            """
        ).map { try $0.decode(String.self) }
    }

    public func values(_ entity: String, field: String) throws -> Set<String> {
        Set(
            try rows(
                """
                SELECT DISTINCT (state::jsonb -> 'values' ->> \(field)) FROM hub_row
                    WHERE entity = \(entity) AND (state::jsonb -> 'values' ->> \(field)) IS NOT NULL
                """
            ).map { try $0.decode(String.self) })
    }

    public func rows(_ entity: String, where field: String, is value: String) throws -> [String] {
        try rows(
            """
            SELECT row_id FROM hub_row WHERE entity = \(entity) AND NOT deleted
                AND (state::jsonb -> 'values' ->> \(field)) = \(value) ORDER BY row_id
            """
        ).map { try $0.decode(String.self) }
    }

    public func redirects(_ entity: String, to id: String) throws -> [Redirection] {
        try rows(
            "SELECT from_id, merged_at, merged_by FROM hub_redirect WHERE entity = \(entity) AND to_id = \(id) ORDER BY from_id"
        ).map { try $0.decode((String, Int64, String).self) }
            .map { Redirection(entity: entity, from: $0.0, to: id, mergedAt: $0.1, mergedBy: $0.2) }
    }

    public func openConflicts(_ entity: String, kind: Conflict.Kind) throws -> [QueuedConflict] {
        try rows(
            """
            SELECT \(unescaped: Self.conflictColumns) FROM hub_conflict
            WHERE status = 'open' AND kind = \(kind.rawValue) AND entity = \(entity) ORDER BY created_at, id
            """
        ).map(Self.queued)
    }

    // MARK: - The feed

    public func feed(after: Int64, through: Int64?, liveOnly: Bool, scope: ReadScope, limit: Int) throws -> [FeedRow] {
        let through = through ?? Int64.max
        guard !scope.everything else {
            return try rows(
                """
                SELECT seq, state FROM hub_row
                WHERE seq > \(after) AND seq <= \(through) AND (NOT \(liveOnly) OR NOT deleted)
                ORDER BY seq LIMIT \(limit)
                """
            ).map { try $0.decode((Int64, String).self) }.map { FeedRow(seq: $0.0, state: $0.1) }
        }
        // The page's positions from the scope's own index entries (a row carries its root's
        // territory and owner), then their states: a pull reads its scope's changes only. Each
        // territory and each owner is its own branch, stopped at a page by its `(territory, seq)`
        // or `(owner, seq)` index (a LATERAL subquery per value, so PostgreSQL's planner cannot
        // walk the whole feed in order instead, nor read a scope's every entry after the cursor).
        let territories = scope.territories.sorted()
        let owners = scope.owners.sorted()
        return try rows(
            """
            SELECT seq, state FROM hub_row WHERE seq IN (
                SELECT page.seq FROM unnest(\(territories)::text[]) AS scope(territory) CROSS JOIN LATERAL (
                    SELECT seq FROM hub_row WHERE territory = scope.territory
                        AND seq > \(after) AND seq <= \(through) AND (NOT \(liveOnly) OR NOT deleted)
                    ORDER BY seq LIMIT \(limit)) AS page
                UNION
                SELECT page.seq FROM unnest(\(owners)::text[]) AS scope(owner) CROSS JOIN LATERAL (
                    SELECT seq FROM hub_row WHERE owner = scope.owner
                        AND seq > \(after) AND seq <= \(through) AND (NOT \(liveOnly) OR NOT deleted)
                    ORDER BY seq LIMIT \(limit)) AS page
                ORDER BY seq LIMIT \(limit))
            ORDER BY seq
            """
        ).map { try $0.decode((Int64, String).self) }.map { FeedRow(seq: $0.0, state: $0.1) }
    }

    public func compactedTo() throws -> Int64 {
        try rows("SELECT compacted_to FROM hub_meta WHERE singleton = 1").first?.decode(Int64.self) ?? 0
    }

    public func moves(after: Int64, through: Int64) throws -> [HubPlan.Departure] {
        try rows(
            """
            SELECT account_id, territory, owner, until, seq, new_owner, moved_by FROM hub_account_former
            WHERE seq > \(after) AND seq <= \(through) ORDER BY seq
            """
        ).map { try $0.decode((String, String?, String?, Int64, Int64, String?, String?).self) }.map {
            HubPlan.Departure(
                root: $0.0, from: Placement.Location(territory: $0.1, owner: $0.2), until: $0.3, seq: $0.4,
                newOwner: $0.5 ?? "", movedBy: $0.6 ?? "")
        }
    }

    public func redirects(after: Int64, through: Int64) throws -> [Redirection] {
        try rows(
            """
            SELECT entity, from_id, to_id, merged_at, merged_by FROM hub_redirect
            WHERE seq > \(after) AND seq <= \(through) ORDER BY seq
            """
        ).map { try $0.decode((String, String, String, Int64, String).self) }
            .map { Redirection(entity: $0.0, from: $0.1, to: $0.2, mergedAt: $0.3, mergedBy: $0.4) }
    }

    public func feedRow(_ entity: String, id: String) throws -> FeedRow? {
        try rows("SELECT seq, state FROM hub_row WHERE entity = \(entity) AND row_id = \(id)").first
            .map { try $0.decode((Int64, String).self) }.map { FeedRow(seq: $0.0, state: $0.1) }
    }

    public func liveRows(_ entity: String) throws -> [RowState] {
        try rows("SELECT state FROM hub_row WHERE entity = \(entity) AND NOT deleted ORDER BY row_id")
            .map { try WireJSON.decode(RowState.self, fromText: try $0.decode(String.self)) }
    }

    public func history(_ entity: String, id: String) throws -> [HistoryEntry] {
        try rows("SELECT entry FROM hub_history WHERE entity = \(entity) AND row_id = \(id) ORDER BY id")
            .map { try WireJSON.decode(HistoryEntry.self, fromText: try $0.decode(String.self)) }
    }

    public func tombstones(through: Int64) throws -> (count: Int, last: Int64?) {
        guard let row = try rows("SELECT COUNT(*), MAX(seq) FROM hub_row WHERE deleted AND seq <= \(through)").first else {
            return (0, nil)
        }
        let (count, last) = try row.decode((Int64, Int64?).self)
        return (Int(count), last)
    }

    // MARK: - The queue and the audit trail

    static let conflictColumns = "id, body, status, created_at, resolution, resolved_by, resolved_at"

    static func queued(_ row: PostgresRow) throws -> QueuedConflict {
        let (_, body, status, createdAt, resolution, resolvedBy, resolvedAt) = try row.decode(
            (String, String, String, Int64, String?, String?, Int64?).self)
        return QueuedConflict(
            conflict: try WireJSON.decode(Conflict.self, fromText: body), isOpen: status == "open", createdAt: createdAt,
            resolution: try resolution.map { try WireJSON.decode(ConflictChoice.self, fromText: $0) },
            resolvedBy: resolvedBy, resolvedAt: resolvedAt)
    }

    public func conflicts(matching filter: ConflictFilter) throws -> [QueuedConflict] {
        try rows(
            """
            SELECT c.id, c.body, c.status, c.created_at, c.resolution, c.resolved_by, c.resolved_at FROM hub_conflict c
            LEFT JOIN hub_row r ON r.entity = c.entity AND r.row_id = c.row_id
            LEFT JOIN hub_account a ON a.account_id = r.account_id
            WHERE (\(filter.includeResolved) OR c.status = 'open') AND (\(filter.entity)::text IS NULL OR c.entity = \(filter.entity))
                AND (\(filter.territory)::text IS NULL OR a.territory = \(filter.territory))
                AND (\(filter.queuedBefore)::bigint IS NULL OR c.created_at <= \(filter.queuedBefore))
            ORDER BY c.created_at, c.id
            """
        ).map(Self.queued)
    }

    public func openConflictCount() throws -> Int {
        Int(try rows("SELECT COUNT(*) FROM hub_conflict WHERE status = 'open'").first?.decode(Int64.self) ?? 0)
    }

    public func auditEntries(limit: Int) throws -> [AuditEntry] {
        try rows("SELECT id, at, actor, device, action, target, detail FROM hub_audit ORDER BY id DESC LIMIT \(limit)")
            .map { try $0.decode((Int64, Int64, String, String, String, String, String).self) }
            .map { AuditEntry(id: $0.0, at: $0.1, actor: $0.2, device: $0.3, action: $0.4, target: $0.5, detail: $0.6) }
    }

    // MARK: - The directory

    static let userColumns = "u.name, u.role, u.territories, u.manager, u.disabled_at"

    static func userInfo(_ row: PostgresRandomAccessRow) throws -> UserInfo {
        UserInfo(
            name: try row["name"].decode(String.self), role: Role(rawValue: try row["role"].decode(String.self)) ?? .rep,
            territories: try WireJSON.decode([String].self, fromText: try row["territories"].decode(String.self)),
            manager: try row["manager"].decode(String?.self),
            disabled: try row["disabled_at"].decode(Int64?.self) == nil ? nil : true)
    }

    public func users() throws -> [UserInfo] {
        try rows("SELECT \(unescaped: Self.userColumns) FROM hub_user u ORDER BY u.name").map { try Self.userInfo($0.makeRandomAccess()) }
    }

    public func user(_ name: String) throws -> UserInfo? {
        try rows("SELECT \(unescaped: Self.userColumns) FROM hub_user u WHERE u.name = \(name)").first
            .map { try Self.userInfo($0.makeRandomAccess()) }
    }

    public func passwordHash(of user: String) throws -> String? {
        try rows("SELECT password_hash FROM hub_user WHERE name = \(user)").first?.decode(String?.self) ?? nil
    }

    public func consoleSession(idHash: String) throws -> ConsoleSession? {
        try rows("SELECT id_hash, user_name, csrf, created_at, expires_at FROM hub_session WHERE id_hash = \(idHash)").first
            .map { try $0.decode((String, String, String, Int64, Int64).self) }
            .map { ConsoleSession(idHash: $0.0, user: $0.1, csrf: $0.2, createdAt: $0.3, expiresAt: $0.4) }
    }

    public func storedSchemaVersion() throws -> Int {
        Int(try rows("SELECT schema_version FROM hub_meta WHERE singleton = 1").first?.decode(Int32.self) ?? 0)
    }

    public func schemaRevision() throws -> Int {
        Int(try rows("SELECT COALESCE(MAX(revision), 0)::bigint FROM hub_schema").first?.decode(Int64.self) ?? 0)
    }

    public func schemaSteps() throws -> [PublishedStep] {
        try rows("SELECT revision, step, at, by_user, feed_position FROM hub_schema ORDER BY revision")
            .map { try $0.decode((Int64, String, Int64, String, Int64).self) }
            .map {
                PublishedStep(
                    revision: Int($0.0), step: try WireJSON.decode(SchemaStep.self, fromText: $0.1), at: $0.2, by: $0.3,
                    feedPosition: $0.4)
            }
    }

    public func activity(fromDay: Int64) throws -> [ActivityDay] {
        try rows(
            "SELECT day, pushes, applied, merged, queued, rejected FROM hub_activity WHERE day >= \(fromDay) ORDER BY day"
        ).map { try $0.decode((Int64, Int64, Int64, Int64, Int64, Int64).self) }.map {
            ActivityDay(
                day: $0.0, pushes: Int($0.1), applied: Int($0.2), merged: Int($0.3), queued: Int($0.4), rejected: Int($0.5))
        }
    }

    public func enrollment(hash: String) throws -> (user: UserInfo, expiresAt: Int64?)? {
        guard
            let row = try rows(
                "SELECT \(unescaped: Self.userColumns), u.enrollment_expires_at FROM hub_user u WHERE u.enrollment_hash = \(hash)"
            ).first?.makeRandomAccess()
        else { return nil }
        return (user: try Self.userInfo(row), expiresAt: try row["enrollment_expires_at"].decode(Int64?.self))
    }

    static let deviceColumns = "d.replica_id, d.device, d.revoked_at, d.revoked_by, d.credential_hash, " + userColumns

    static func deviceInfo(_ row: PostgresRandomAccessRow) throws -> DeviceInfo {
        DeviceInfo(
            replicaID: ReplicaID(try row["replica_id"].decode(String.self)), user: try userInfo(row),
            device: try row["device"].decode(String.self), revokedAt: try row["revoked_at"].decode(Int64?.self),
            revokedBy: try row["revoked_by"].decode(String?.self))
    }

    public func device(credentialHash: String) throws -> (device: DeviceInfo, offered: Bool)? {
        guard
            let row = try rows(
                """
                SELECT \(unescaped: Self.deviceColumns) FROM hub_device d JOIN hub_user u ON u.name = d.user_name
                WHERE d.credential_hash = \(credentialHash) OR d.next_credential_hash = \(credentialHash)
                """
            ).first?.makeRandomAccess()
        else { return nil }
        return (device: try Self.deviceInfo(row), offered: try row["credential_hash"].decode(String.self) != credentialHash)
    }

    public func device(_ replica: ReplicaID) throws -> DeviceInfo? {
        try rows(
            """
            SELECT \(unescaped: Self.deviceColumns) FROM hub_device d JOIN hub_user u ON u.name = d.user_name
            WHERE d.replica_id = \(replica.rawValue)
            """
        ).first.map { try Self.deviceInfo($0.makeRandomAccess()) }
    }

    public func devices() throws -> [DeviceStatus] {
        try rows(
            """
            SELECT d.replica_id, d.user_name, d.device, d.pulled_to, d.dormant, d.revoked_at, d.created_at, r.last_push_at,
                d.pulled_at
            FROM hub_device d LEFT JOIN hub_replica r ON r.replica_id = d.replica_id
            ORDER BY d.user_name, d.device
            """
        ).map { try $0.decode((String, String, String, Int64, Bool, Int64?, Int64, Int64?, Int64?).self) }.map {
            DeviceStatus(
                replicaID: ReplicaID($0.0), user: $0.1, device: $0.2, pulledTo: $0.3, lastPushAt: $0.7,
                retiredFromCompaction: $0.4, revokedAt: $0.5, createdAt: $0.6, lastPullAt: $0.8)
        }
    }

    public func sentMark(of replica: ReplicaID) throws -> Int64 {
        try rows("SELECT sent_to FROM hub_device WHERE replica_id = \(replica.rawValue)").first?.decode(Int64.self) ?? 0
    }
}
