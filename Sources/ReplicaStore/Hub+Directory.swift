import Foundation
import GRDB
import SatchelModel
import SyncCore

/// A device the hub knows: whose it is and its replica id.
public struct DeviceInfo: Hashable, Sendable {
    public var replicaID: ReplicaID
    public var user: UserInfo
    public var device: String
}

extension Hub {
    // MARK: - Users

    /// Registers a user. The caller generates the enrollment token and passes only its hash.
    public func addUser(_ user: UserInfo, enrollmentHash: String) throws {
        guard UserInfo.isValidName(user.name) else {
            throw HubError.invalidUser("a user name is 1 to 64 letters, digits, dots, dashes or underscores")
        }
        guard user.role != .rep || !user.territories.isEmpty else {
            throw HubError.invalidUser("a rep needs at least one territory (--territory T)")
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
                    INSERT INTO hub_user (name, role, territories, manager, enrollment_hash, created_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    user.name, user.role.rawValue, try SQLMapping.json(user.territories), user.manager, enrollmentHash, now,
                ])
        }
    }

    /// Replaces a user's enrollment token (the old one stops working).
    public func setEnrollmentHash(_ hash: String, for name: String) throws {
        try writer.write { db in
            guard try Hub.user(name, db: db) != nil else { throw HubError.unknownUser(name) }
            try db.execute(sql: "UPDATE hub_user SET enrollment_hash = ? WHERE name = ?", arguments: [hash, name])
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
            territories: try SQLMapping.decode([String].self, from: row["territories"]), manager: row["manager"])
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
            let replica = replicaID
            try db.execute(sql: "UPDATE hub_user SET enrollment_hash = NULL WHERE name = ?", arguments: [user.name])
            try db.execute(
                sql: "INSERT INTO hub_device (replica_id, user, device, credential_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [replica.rawValue, user.name, device, credentialHash, now])
            return DeviceInfo(replicaID: replica, user: user, device: device)
        }
    }

    /// The device a credential (by hash) belongs to, with its user's current role and territories.
    public func device(credentialHash: String) throws -> DeviceInfo? {
        try writer.read { db in
            guard let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT d.replica_id, d.device, u.* FROM hub_device d JOIN hub_user u ON u.name = d.user
                    WHERE d.credential_hash = ? AND d.retired = 0
                    """,
                arguments: [credentialHash])
            else { return nil }
            return DeviceInfo(replicaID: ReplicaID(row["replica_id"]), user: try Hub.userInfo(row), device: row["device"])
        }
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
