import Foundation
import GRDB
import HubEngine
import SatchelModel
import SyncCore

/// A device the hub knows: whose it is and its replica id.
public struct DeviceInfo: Hashable, Sendable {
    public var replicaID: ReplicaID
    public var user: UserInfo
    public var device: String
    /// When an admin revoked the device's credential (it then opens nothing), and who did.
    public var revokedAt: Int64?
    public var revokedBy: String?

    public init(replicaID: ReplicaID, user: UserInfo, device: String, revokedAt: Int64? = nil, revokedBy: String? = nil) {
        self.replicaID = replicaID
        self.user = user
        self.device = device
        self.revokedAt = revokedAt
        self.revokedBy = revokedBy
    }
}

/// Who did an admin action, and from where: a user and their device, or an operator at the
/// server's own command line.
public struct Actor: Hashable, Sendable {
    public var user: String
    public var device: String

    public init(user: String, device: String) {
        self.user = user
        self.device = device
    }

    /// Someone at the server machine's command line (`satchel-server user add …`).
    public static let serverOperator = Actor(user: "operator", device: "satchel-server")
}

extension Hub {
    // MARK: - Users

    /// Registers a user. The caller generates the enrollment token and passes only its hash.
    public func addUser(_ user: UserInfo, enrollmentHash: String, expiresAt: Int64? = nil, by actor: Actor = .serverOperator)
        throws
    {
        guard UserInfo.isValidName(user.name) else {
            throw HubError.invalidUser("a user name is 1 to 64 letters, digits, dots, dashes or underscores")
        }
        guard user.role != .rep || !user.territories.isEmpty else {
            throw HubError.invalidUser("a rep needs at least one territory (--territory T)")
        }
        for territory in user.territories {
            guard !territory.isEmpty, territory.utf8.count <= 64, TextHygiene.problem(in: territory, multiline: false) == nil
            else {
                throw HubError.invalidUser("a territory is 1 to 64 bytes without control characters, not '\(territory.prefix(64))'")
            }
        }
        let now = clock()
        try writer.write { db in
            if try Hub.user(user.name, db: db) != nil { throw HubError.userExists(user.name) }
            if let manager = user.manager {
                guard let found = try Hub.user(manager, db: db), found.role != .rep else {
                    throw HubError.invalidUser("the manager '\(manager)' must be an existing manager or admin")
                }
            }
            try db.execute(
                sql: """
                    INSERT INTO hub_user (name, role, territories, manager, enrollment_hash, enrollment_expires_at, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    user.name, user.role.rawValue, try WireJSON.text(user.territories), user.manager, enrollmentHash,
                    expiresAt, now,
                ])
            try Hub.audit(
                "user.add", target: user.name,
                detail: "role \(user.role.rawValue)"
                    + (user.territories.isEmpty ? "" : ", territories \(user.territories.joined(separator: ","))")
                    + (user.manager.map { ", manager \($0)" } ?? "") + Hub.expiryNote(expiresAt),
                by: actor, at: now, db: db)
        }
    }

    static func expiryNote(_ expiresAt: Int64?) -> String {
        guard let expiresAt else { return "" }
        return "; enrollment token expires " + Hub.isoTime(expiresAt)
    }

    static func isoTime(_ milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    /// Replaces a user's enrollment token (the old one stops working).
    public func setEnrollmentHash(_ hash: String, for name: String, expiresAt: Int64? = nil, by actor: Actor = .serverOperator)
        throws
    {
        let now = clock()
        try writer.write { db in
            guard let user = try Hub.user(name, db: db) else { throw HubError.unknownUser(name) }
            guard user.disabled != true else { throw HubError.userDisabled(name) }
            try db.execute(
                sql: "UPDATE hub_user SET enrollment_hash = ?, enrollment_expires_at = ? WHERE name = ?",
                arguments: [hash, expiresAt, name])
            try Hub.audit("user.token", target: name, detail: "new enrollment token" + Hub.expiryNote(expiresAt), by: actor, at: now, db: db)
        }
    }

    /// Disables a user: every device of theirs is refused from the next request on, and they
    /// cannot enroll a new one. Their records and pending work stay.
    @discardableResult
    public func disableUser(_ name: String, by actor: Actor = .serverOperator) throws -> UserInfo {
        let now = clock()
        return try writer.write { db in
            guard try Hub.user(name, db: db) != nil else { throw HubError.unknownUser(name) }
            try db.execute(
                sql: "UPDATE hub_user SET disabled_at = COALESCE(disabled_at, ?), enrollment_hash = NULL WHERE name = ?",
                arguments: [now, name])
            try Hub.audit("user.disable", target: name, detail: "every device of \(name) cut off", by: actor, at: now, db: db)
            return try Hub.user(name, db: db) ?? UserInfo(name: name, role: .rep)
        }
    }

    /// Every user, by name.
    public func users() throws -> [UserInfo] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM hub_user ORDER BY name").map(Hub.userInfo)
        }
    }

    public func user(_ name: String) throws -> UserInfo? {
        try writer.read { db in try Hub.user(name, db: db) }
    }

    static func user(_ name: String, db: Database) throws -> UserInfo? {
        try Row.fetchOne(db, sql: "SELECT * FROM hub_user WHERE name = ?", arguments: [name]).map(userInfo)
    }

    static func userInfo(_ row: Row) throws -> UserInfo {
        UserInfo(
            name: row["name"], role: Role(rawValue: row["role"]) ?? .rep,
            territories: try WireJSON.decode([String].self, fromText: row["territories"]), manager: row["manager"],
            disabled: (row["disabled_at"] as Int64?) == nil ? nil : true)
    }

    // MARK: - Devices

    /// Trades a one-time enrollment token (by hash) for a device: a new replica id bound to the
    /// user, and a credential (by hash). The token is spent.
    public func enroll(enrollmentHash: String, device: String, credentialHash: String) throws -> DeviceInfo? {
        try enroll(enrollmentHash: enrollmentHash, device: device, credentialHash: credentialHash, replicaID: .random())
    }

    /// Enrolls with a given replica id (simulations that must replay exactly).
    public func enroll(
        enrollmentHash: String, device: String, credentialHash: String, replicaID: ReplicaID
    ) throws -> DeviceInfo? {
        let now = clock()
        return try writer.write { db in
            guard let row = try Row.fetchOne(
                db, sql: "SELECT * FROM hub_user WHERE enrollment_hash = ?", arguments: [enrollmentHash])
            else { return nil }
            let user = try Hub.userInfo(row)
            if let expiresAt = row["enrollment_expires_at"] as Int64?, expiresAt <= now {
                throw HubError.tokenExpired(user.name)
            }
            guard user.disabled != true else { throw HubError.userDisabled(user.name) }
            let replica = replicaID
            try db.execute(sql: "UPDATE hub_user SET enrollment_hash = NULL WHERE name = ?", arguments: [user.name])
            try db.execute(
                sql: "INSERT INTO hub_device (replica_id, user, device, credential_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [replica.rawValue, user.name, device, credentialHash, now])
            return DeviceInfo(replicaID: replica, user: user, device: device)
        }
    }

    /// The device a credential (by hash) belongs to, with its user's current role and territories.
    /// A revoked device and a disabled user are returned as such (``DeviceInfo/revokedAt``,
    /// ``UserInfo/disabled``): the caller refuses them with a reason.
    ///
    /// The first use of a rotated credential makes it the device's only one (the old one stops
    /// working then, not before: see ``rotateCredential(of:newHash:)``).
    ///
    /// A credential nobody issued costs one read; only a rotated credential's first use writes.
    public func device(credentialHash: String) throws -> DeviceInfo? {
        let found = try writer.read { db -> (device: DeviceInfo, rotated: Bool)? in
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT d.replica_id, d.device, d.revoked_at, d.revoked_by, d.credential_hash, u.* FROM hub_device d
                            JOIN hub_user u ON u.name = d.user WHERE d.credential_hash = ? OR d.next_credential_hash = ?
                            """),
                    arguments: [credentialHash, credentialHash])
            else { return nil }
            let device = DeviceInfo(
                replicaID: ReplicaID(row["replica_id"]), user: try Hub.userInfo(row), device: row["device"],
                revokedAt: row["revoked_at"], revokedBy: row["revoked_by"])
            return (device, (row["credential_hash"] as String) != credentialHash)
        }
        guard let found else { return nil }
        if found.rotated {
            try writer.write { db in
                try db.execute(
                    sql: """
                        UPDATE hub_device SET credential_hash = next_credential_hash, next_credential_hash = NULL
                        WHERE replica_id = ? AND next_credential_hash = ?
                        """,
                    arguments: [found.device.replicaID.rawValue, credentialHash])
            }
        }
        return found.device
    }

    /// Issues a device a new credential (by hash). The old one keeps working until the device
    /// first uses the new one, and then stops: an answer lost on the way never locks a laptop
    /// out (it asks again, and the unused credential is replaced). Nothing else changes.
    public func rotateCredential(of replica: ReplicaID, newHash: String) throws {
        let now = clock()
        try writer.write { db in
            try db.execute(
                sql: "UPDATE hub_device SET next_credential_hash = ? WHERE replica_id = ? AND revoked_at IS NULL",
                arguments: [newHash, replica.rawValue])
            guard db.changesCount == 1 else { throw HubError.unknownDevice(replica.rawValue) }
            let owner = try Row.fetchOne(db, sql: "SELECT user, device FROM hub_device WHERE replica_id = ?", arguments: [replica.rawValue])
            try Hub.audit(
                "device.rotate", target: replica.rawValue, detail: "new credential issued to the device",
                by: Actor(user: owner?["user"] ?? "?", device: owner?["device"] ?? "?"), at: now, db: db)
        }
    }

    /// Revokes a device: its credential opens nothing from the next request on. What it pushed
    /// stays; what it did not push stays on the laptop.
    @discardableResult
    public func revokeDevice(_ replica: ReplicaID, by actor: Actor = .serverOperator) throws -> DeviceStatus {
        let now = clock()
        try writer.write { db in
            try db.execute(
                sql: "UPDATE hub_device SET revoked_at = COALESCE(revoked_at, ?), revoked_by = COALESCE(revoked_by, ?) WHERE replica_id = ?",
                arguments: [now, actor.user, replica.rawValue])
            guard db.changesCount == 1 else { throw HubError.unknownDevice(replica.rawValue) }
            let owner = try String.fetchOne(db, sql: "SELECT user || ' (' || device || ')' FROM hub_device WHERE replica_id = ?", arguments: [replica.rawValue]) ?? ""
            try Hub.audit("device.revoke", target: replica.rawValue, detail: "credential of \(owner) revoked", by: actor, at: now, db: db)
        }
        guard let status = try devices().first(where: { $0.replicaID == replica }) else {
            throw HubError.unknownDevice(replica.rawValue)
        }
        return status
    }

    /// What `user` may see now: admins everything; managers their own and their team's
    /// territories and accounts; reps their territories and the accounts they own.
    public func scope(of user: UserInfo) throws -> ReadScope {
        switch user.role {
        case .admin:
            return .all
        case .rep:
            return ReadScope(territories: Set(user.territories), owners: [user.name])
        case .manager:
            let team = try users().filter { $0.manager == user.name }
            return ReadScope(
                territories: Set(user.territories + team.flatMap(\.territories)),
                owners: Set([user.name] + team.map(\.name)))
        }
    }
}
