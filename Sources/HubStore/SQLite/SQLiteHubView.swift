import Foundation
import GRDB
import HubEngine
import SatchelModel
import SyncCore

/// The SQLite storage's reader: the planner's view and the service's queries, answered from the
/// open transaction.
///
/// One view serves one transaction, and nothing is written while an operation plans (its writes
/// are applied after), so what the view read once stays true until the transaction ends: a row
/// read for its root (placement is judged first) is not looked up again when the merge reads
/// its state.
public final class SQLiteHubView: HubReader {
    let db: Database
    let schema: Schema
    /// Rows read so far.
    private var stored = StoredRowCache()

    init(db: Database, schema: Schema) {
        self.db = db
        self.schema = schema
    }

    private func storedRow(_ entity: String, id: String) throws -> (state: String, root: String?)? {
        try stored.row(entity, id: id) {
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT state, account_id FROM hub_row WHERE entity = ? AND row_id = ?"),
                arguments: [entity, id]
            ).map { (state: $0["state"] as String, root: $0["account_id"] as String?) }
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
        try Self.location(ofRoot: id, db: db)
    }

    static func location(ofRoot id: String, db: Database) throws -> Placement.Location? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT territory, owner FROM hub_account WHERE account_id = ?"), arguments: [id])
        else { return nil }
        return Placement.Location(territory: row["territory"], owner: row["owner"])
    }

    public func formerLocations(ofRoot id: String) throws -> [Placement.Location] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT territory, owner FROM hub_account_former WHERE account_id = ?"),
            arguments: [id]
        ).map { Placement.Location(territory: $0["territory"], owner: $0["owner"]) }
    }

    public func rows(under root: String) throws -> [(entity: String, id: String)] {
        guard let placement = schema.placement else { return [] }
        return try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT entity, row_id FROM hub_row WHERE account_id = ? AND NOT (entity = ? AND row_id = ?) ORDER BY entity, row_id"),
            arguments: [root, placement.root, root]
        ).map { (entity: $0["entity"], id: $0["row_id"]) }
    }

    public func redirect(_ entity: String, id: String) throws -> String? {
        try String.fetchOne(
            db.cachedStatement(sql: "SELECT to_id FROM hub_redirect WHERE entity = ? AND from_id = ?"),
            arguments: [entity, id])
    }

    public func highWater(of replica: ReplicaID) throws -> UInt64 {
        UInt64(
            try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT high_water FROM hub_replica WHERE replica_id = ?"),
                arguments: [replica.rawValue])
                ?? 0)
    }

    public func outcome(of replica: ReplicaID, counter: UInt64) throws -> MergeOutcome? {
        try String.fetchOne(
            db.cachedStatement(sql: "SELECT outcome FROM hub_outcome WHERE replica_id = ? AND counter = ?"),
            arguments: [replica.rawValue, Int64(counter)]
        ).map { try WireJSON.decode(MergeOutcome.self, fromText: $0) }
    }

    public func oldestUnsent(of replica: ReplicaID, atOrBelow counter: UInt64, sentTo: Int64) throws -> UInt64? {
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

    public func conflict(_ id: String) throws -> QueuedConflict? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM hub_conflict WHERE id = ?"), arguments: [id]).map(Self.queued)
    }

    public func meta() throws -> HubMeta {
        let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT replica_id, counter, hlc, seq FROM hub_meta"))
        return HubMeta(
            replica: ReplicaID(row?["replica_id"] ?? ""), counter: UInt64(row?["counter"] ?? Int64(0)),
            hlc: HLCTimestamp(packed: row?["hlc"] ?? 0), seq: row?["seq"] ?? 0)
    }

    public func rows(_ entity: String, filedUnder key: DuplicateKey, excluding id: String, limit: Int) throws -> [String] {
        try String.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT row_id FROM hub_key WHERE entity = ? AND key_name = ? AND key_value = ? AND row_id != ?
                    LIMIT ?
                    """),
            arguments: [entity, key.name, key.value, id, limit])
    }

    public func values(_ entity: String, field: String) throws -> Set<String> {
        Set(
            try String.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT DISTINCT json_extract(state, '$.values.' || ?) FROM hub_row
                            WHERE entity = ? AND json_extract(state, '$.values.' || ?) IS NOT NULL
                        """),
                arguments: [field, entity, field]))
    }

    public func rows(_ entity: String, where field: String, is value: String) throws -> [String] {
        try String.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT row_id FROM hub_row WHERE entity = ? AND deleted = 0
                        AND json_extract(state, '$.values.' || ?) = ? ORDER BY row_id
                    """),
            arguments: [entity, field, value])
    }

    public func redirects(_ entity: String, to id: String) throws -> [Redirection] {
        try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT from_id, merged_at, merged_by FROM hub_redirect WHERE entity = ? AND to_id = ? ORDER BY from_id"),
            arguments: [entity, id]
        ).map { Redirection(entity: entity, from: $0["from_id"], to: id, mergedAt: $0["merged_at"], mergedBy: $0["merged_by"]) }
    }

    public func openConflicts(_ entity: String, kind: Conflict.Kind) throws -> [QueuedConflict] {
        try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT * FROM hub_conflict WHERE status = 'open' AND kind = ? AND entity = ? ORDER BY created_at, id"),
            arguments: [kind.rawValue, entity]
        ).map(Self.queued)
    }
}

extension SQLiteHubView {
    // MARK: - The feed

    public func feed(after: Int64, through: Int64?, liveOnly: Bool, scope: ReadScope, limit: Int) throws -> [FeedRow] {
        var range = "seq > ?"
        var bounds: StatementArguments = [after]
        if let through {
            range += " AND seq <= ?"
            bounds += [through]
        }
        if liveOnly { range += " AND deleted = 0" }
        guard !scope.everything else {
            return try Row.fetchAll(
                db.cachedStatement(sql: "SELECT seq, state FROM hub_row WHERE \(range) ORDER BY seq LIMIT ?"),
                arguments: bounds + [limit]
            ).map { FeedRow(seq: $0["seq"], state: $0["state"]) }
        }
        // The page's positions first, then their states, from the scope's own index entries (a
        // row carries its root's territory and owner): a pull reads its scope's changes, not
        // everyone's since its cursor. Each territory and owner gives at most a page, so a page
        // far behind reads a page's worth per branch, not the whole scope; a scope of more than
        // `Self.pagedBranches` (a manager of many reps) reads its entries through two lists
        // instead, since SQLite allows at most 500 terms in a compound SELECT.
        let territories = scope.territories.sorted()
        let owners = scope.owners.sorted()
        guard !territories.isEmpty || !owners.isEmpty else { return [] }
        let positions: String
        var arguments = StatementArguments()
        if territories.count + owners.count <= Self.pagedBranches {
            let branches = territories.map { ("territory", $0) } + owners.map { ("owner", $0) }
            positions = branches.map { column, _ in
                "SELECT seq FROM (SELECT seq FROM hub_row WHERE \(column) = ? AND \(range) ORDER BY seq LIMIT ?)"
            }.joined(separator: " UNION ")
            for (_, value) in branches { arguments += [value] + bounds + [limit] }
        } else {
            positions = """
                SELECT seq FROM hub_row WHERE territory IN (SELECT value FROM json_each(?)) AND \(range)
                UNION SELECT seq FROM hub_row WHERE owner IN (SELECT value FROM json_each(?)) AND \(range)
                """
            arguments = [try WireJSON.text(territories)] + bounds + [try WireJSON.text(owners)] + bounds
        }
        arguments += [limit]
        return try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT seq, state FROM hub_row WHERE seq IN (\(positions) ORDER BY seq LIMIT ?) ORDER BY seq"),
            arguments: arguments
        ).map { FeedRow(seq: $0["seq"], state: $0["state"]) }
    }

    /// The most territories and owners a scoped page reads a page of each from.
    static let pagedBranches = 32

    public func compactedTo() throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT compacted_to FROM hub_meta")) ?? 0
    }

    public func moves(after: Int64, through: Int64) throws -> [HubPlan.Departure] {
        try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT account_id, territory, owner, until, seq, new_owner, moved_by FROM hub_account_former
                    WHERE seq > ? AND seq <= ? ORDER BY seq
                    """),
            arguments: [after, through]
        ).map {
            HubPlan.Departure(
                root: $0["account_id"], from: Placement.Location(territory: $0["territory"], owner: $0["owner"]),
                until: $0["until"] ?? 0, seq: $0["seq"], newOwner: $0["new_owner"] ?? "", movedBy: $0["moved_by"] ?? "")
        }
    }

    public func redirects(after: Int64, through: Int64) throws -> [Redirection] {
        try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT entity, from_id, to_id, merged_at, merged_by FROM hub_redirect WHERE seq > ? AND seq <= ? ORDER BY seq"),
            arguments: [after, through]
        ).map {
            Redirection(entity: $0["entity"], from: $0["from_id"], to: $0["to_id"], mergedAt: $0["merged_at"], mergedBy: $0["merged_by"])
        }
    }

    public func feedRow(_ entity: String, id: String) throws -> FeedRow? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT seq, state FROM hub_row WHERE entity = ? AND row_id = ?"), arguments: [entity, id]
        ).map { FeedRow(seq: $0["seq"], state: $0["state"]) }
    }

    public func liveRows(_ entity: String) throws -> [RowState] {
        try String.fetchAll(
            db.cachedStatement(sql: "SELECT state FROM hub_row WHERE entity = ? AND deleted = 0 ORDER BY row_id"),
            arguments: [entity]
        ).map { try WireJSON.decode(RowState.self, fromText: $0) }
    }

    public func history(_ entity: String, id: String) throws -> [HistoryEntry] {
        try String.fetchAll(
            db.cachedStatement(sql: "SELECT entry FROM hub_history WHERE entity = ? AND row_id = ? ORDER BY id"),
            arguments: [entity, id]
        ).map { try WireJSON.decode(HistoryEntry.self, fromText: $0) }
    }

    public func tombstones(through: Int64) throws -> (count: Int, last: Int64?) {
        let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT COUNT(*) AS n, MAX(seq) AS last FROM hub_row WHERE deleted = 1 AND seq <= ?"),
            arguments: [through])
        return (count: row?["n"] ?? 0, last: row?["last"])
    }

    // MARK: - The queue and the audit log

    public func conflicts(matching filter: ConflictFilter) throws -> [QueuedConflict] {
        try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT c.* FROM hub_conflict c
                    LEFT JOIN hub_row r ON r.entity = c.entity AND r.row_id = c.row_id
                    LEFT JOIN hub_account a ON a.account_id = r.account_id
                    WHERE (? OR c.status = 'open') AND (? IS NULL OR c.entity = ?)
                        AND (? IS NULL OR a.territory = ?) AND (? IS NULL OR c.created_at <= ?)
                    ORDER BY c.created_at, c.id
                    """),
            arguments: [
                filter.includeResolved, filter.entity, filter.entity, filter.territory, filter.territory,
                filter.queuedBefore, filter.queuedBefore,
            ]
        ).map(Self.queued)
    }

    public func openConflictCount() throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM hub_conflict WHERE status = 'open'")) ?? 0
    }

    public func auditEntries(limit: Int) throws -> [AuditEntry] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM hub_audit ORDER BY id DESC LIMIT ?"), arguments: [limit]).map {
            AuditEntry(
                id: $0["id"], at: $0["at"], actor: $0["actor"], device: $0["device"], action: $0["action"],
                target: $0["target"], detail: $0["detail"])
        }
    }

    static func queued(_ row: Row) throws -> QueuedConflict {
        QueuedConflict(
            conflict: try WireJSON.decode(Conflict.self, fromText: row["body"]),
            isOpen: (row["status"] as String) == "open",
            createdAt: row["created_at"],
            resolution: try (row["resolution"] as String?).map { try WireJSON.decode(ConflictChoice.self, fromText: $0) },
            resolvedBy: row["resolved_by"], resolvedAt: row["resolved_at"])
    }

    // MARK: - The directory

    public func users() throws -> [UserInfo] {
        try Row.fetchAll(db, sql: "SELECT * FROM hub_user ORDER BY name").map(Self.userInfo)
    }

    public func user(_ name: String) throws -> UserInfo? {
        try Row.fetchOne(db, sql: "SELECT * FROM hub_user WHERE name = ?", arguments: [name]).map(Self.userInfo)
    }

    public func passwordHash(of user: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT password_hash FROM hub_user WHERE name = ?", arguments: [user])
    }

    public func consoleSession(idHash: String) throws -> ConsoleSession? {
        try Row.fetchOne(db, sql: "SELECT * FROM hub_session WHERE id_hash = ?", arguments: [idHash]).map { row in
            ConsoleSession(
                idHash: row["id_hash"], user: row["user"], csrf: row["csrf"], createdAt: row["created_at"],
                expiresAt: row["expires_at"])
        }
    }

    public func storedSchemaVersion() throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT schema_version FROM hub_meta")) ?? 0
    }

    public func schemaRevision() throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(MAX(revision), 0) FROM hub_schema")) ?? 0
    }

    public func schemaSteps() throws -> [PublishedStep] {
        try Row.fetchAll(db, sql: "SELECT * FROM hub_schema ORDER BY revision").map { row in
            PublishedStep(
                revision: row["revision"], step: try WireJSON.decode(SchemaStep.self, fromText: row["step"]), at: row["at"],
                by: row["by_user"], feedPosition: row["feed_position"])
        }
    }

    public func activity(fromDay: Int64) throws -> [ActivityDay] {
        try Row.fetchAll(db, sql: "SELECT * FROM hub_activity WHERE day >= ? ORDER BY day", arguments: [fromDay]).map { row in
            ActivityDay(
                day: row["day"], pushes: row["pushes"], applied: row["applied"], merged: row["merged"], queued: row["queued"],
                rejected: row["rejected"])
        }
    }

    public func enrollment(hash: String) throws -> (user: UserInfo, expiresAt: Int64?)? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM hub_user WHERE enrollment_hash = ?", arguments: [hash])
        else { return nil }
        return (user: try Self.userInfo(row), expiresAt: row["enrollment_expires_at"])
    }

    public func device(credentialHash: String) throws -> (device: DeviceInfo, offered: Bool)? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT d.replica_id, d.device, d.revoked_at, d.revoked_by, d.credential_hash, u.* FROM hub_device d
                        JOIN hub_user u ON u.name = d.user WHERE d.credential_hash = ? OR d.next_credential_hash = ?
                        """),
                arguments: [credentialHash, credentialHash])
        else { return nil }
        return (device: try Self.deviceInfo(row), offered: (row["credential_hash"] as String) != credentialHash)
    }

    public func device(_ replica: ReplicaID) throws -> DeviceInfo? {
        try Row.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT d.replica_id, d.device, d.revoked_at, d.revoked_by, u.* FROM hub_device d
                    JOIN hub_user u ON u.name = d.user WHERE d.replica_id = ?
                    """),
            arguments: [replica.rawValue]
        ).map(Self.deviceInfo)
    }

    public func devices() throws -> [DeviceStatus] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT d.replica_id, d.user, d.device, d.pulled_to, d.pulled_at, d.dormant, d.revoked_at, d.created_at, r.last_push_at
                FROM hub_device d LEFT JOIN hub_replica r ON r.replica_id = d.replica_id WHERE d.retired = 0
                ORDER BY d.user, d.device
                """
        ).map {
            DeviceStatus(
                replicaID: ReplicaID($0["replica_id"]), user: $0["user"], device: $0["device"], pulledTo: $0["pulled_to"],
                lastPushAt: $0["last_push_at"], retiredFromCompaction: $0["dormant"], revokedAt: $0["revoked_at"],
                createdAt: $0["created_at"], lastPullAt: $0["pulled_at"])
        }
    }

    public func sentMark(of replica: ReplicaID) throws -> Int64 {
        try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT sent_to FROM hub_device WHERE replica_id = ?"), arguments: [replica.rawValue]) ?? 0
    }

    static func userInfo(_ row: Row) throws -> UserInfo {
        UserInfo(
            name: row["name"], role: Role(rawValue: row["role"]) ?? .rep,
            territories: try WireJSON.decode([String].self, fromText: row["territories"]), manager: row["manager"],
            disabled: (row["disabled_at"] as Int64?) == nil ? nil : true)
    }

    static func deviceInfo(_ row: Row) throws -> DeviceInfo {
        DeviceInfo(
            replicaID: ReplicaID(row["replica_id"]), user: try userInfo(row), device: row["device"],
            revokedAt: row["revoked_at"], revokedBy: row["revoked_by"])
    }
}
