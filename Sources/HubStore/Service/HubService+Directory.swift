import Foundation
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

/// A device as the directory and the compaction see it.
public struct DeviceStatus: Hashable, Sendable {
    public var replicaID: ReplicaID
    public var user: String
    public var device: String
    public var pulledTo: Int64
    public var lastPushAt: Int64?
    /// When its last pull's mark was written (within a second of the pull; nil before this was kept).
    public var lastPullAt: Int64?
    /// Retired from compaction by an admin.
    public var retiredFromCompaction: Bool
    /// When an admin revoked its credential (a revoked device holds nothing back either).
    public var revokedAt: Int64?
    public var createdAt: Int64

    public init(
        replicaID: ReplicaID, user: String, device: String, pulledTo: Int64, lastPushAt: Int64?, retiredFromCompaction: Bool,
        revokedAt: Int64?, createdAt: Int64, lastPullAt: Int64? = nil
    ) {
        self.lastPullAt = lastPullAt
        self.replicaID = replicaID
        self.user = user
        self.device = device
        self.pulledTo = pulledTo
        self.lastPushAt = lastPushAt
        self.retiredFromCompaction = retiredFromCompaction
        self.revokedAt = revokedAt
        self.createdAt = createdAt
    }
}

extension HubService {
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
        try storage.write { reader in
            if try reader.user(user.name) != nil { throw HubError.userExists(user.name) }
            if let manager = user.manager {
                guard let found = try reader.user(manager), found.role != .rep else {
                    throw HubError.invalidUser("the manager '\(manager)' must be an existing manager or admin")
                }
            }
            var added = user
            added.disabled = nil
            let detail =
                "role \(user.role.rawValue)"
                + (user.territories.isEmpty ? "" : ", territories \(user.territories.joined(separator: ","))")
                + (user.manager.map { ", manager \($0)" } ?? "") + Self.expiryNote(expiresAt)
            return (
                (),
                HubWrites(
                    audit: [AuditWrite("user.add", target: user.name, detail: detail, by: actor, at: now)],
                    directory: [.addUser(added, enrollmentHash: enrollmentHash, expiresAt: expiresAt, at: now)])
            )
        }
    }

    static func expiryNote(_ expiresAt: Int64?) -> String {
        guard let expiresAt else { return "" }
        return "; enrollment token expires "
            + ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(expiresAt) / 1000))
    }

    /// Replaces a user's enrollment token (the old one stops working).
    public func setEnrollmentHash(_ hash: String, for name: String, expiresAt: Int64? = nil, by actor: Actor = .serverOperator)
        throws
    {
        let now = clock()
        try storage.write { reader in
            guard let user = try reader.user(name) else { throw HubError.unknownUser(name) }
            guard user.disabled != true else { throw HubError.userDisabled(name) }
            return (
                (),
                HubWrites(
                    audit: [
                        AuditWrite(
                            "user.token", target: name, detail: "new enrollment token" + Self.expiryNote(expiresAt), by: actor,
                            at: now)
                    ],
                    directory: [.setEnrollment(user: name, hash: hash, expiresAt: expiresAt)])
            )
        }
    }

    /// Disables a user: every device of theirs is refused from the next request on, and they
    /// cannot enroll a new one. Their records and pending work stay.
    @discardableResult
    public func disableUser(_ name: String, by actor: Actor = .serverOperator) throws -> UserInfo {
        let now = clock()
        return try storage.write { reader in
            guard var user = try reader.user(name) else { throw HubError.unknownUser(name) }
            user.disabled = true
            return (
                user,
                HubWrites(
                    audit: [AuditWrite("user.disable", target: name, detail: "every device of \(name) cut off", by: actor, at: now)],
                    directory: [.disableUser(name, at: now), .closeSessions(user: name)])
            )
        }
    }

    /// Every user, by name.
    public func users() throws -> [UserInfo] {
        try storage.read { try $0.users() }
    }

    public func user(_ name: String) throws -> UserInfo? {
        try storage.read { try $0.user(name) }
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
        return try storage.write { reader in
            guard let (user, expiresAt) = try reader.enrollment(hash: enrollmentHash) else { return (nil, HubWrites()) }
            if let expiresAt, expiresAt <= now { throw HubError.tokenExpired(user.name) }
            guard user.disabled != true else { throw HubError.userDisabled(user.name) }
            return (
                DeviceInfo(replicaID: replicaID, user: user, device: device),
                HubWrites(directory: [
                    .setEnrollment(user: user.name, hash: nil, expiresAt: expiresAt),
                    .addDevice(replicaID, user: user.name, device: device, credentialHash: credentialHash, at: now),
                ])
            )
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
        guard let found = try storage.read({ try $0.device(credentialHash: credentialHash) }) else { return nil }
        if found.offered {
            try storage.write { _ in
                ((), HubWrites(directory: [.adoptCredential(found.device.replicaID, hash: credentialHash)]))
            }
        }
        return found.device
    }

    /// Issues a device a new credential (by hash). The old one keeps working until the device
    /// first uses the new one, and then stops: an answer lost on the way never locks a laptop
    /// out (it asks again, and the unused credential is replaced). Nothing else changes.
    public func rotateCredential(of replica: ReplicaID, newHash: String) throws {
        let now = clock()
        try storage.write { reader in
            guard let device = try reader.device(replica), device.revokedAt == nil else {
                throw HubError.unknownDevice(replica.rawValue)
            }
            return (
                (),
                HubWrites(
                    audit: [
                        AuditWrite(
                            "device.rotate", target: replica.rawValue, detail: "new credential issued to the device",
                            by: Actor(user: device.user.name, device: device.device), at: now)
                    ],
                    directory: [.offerCredential(replica, hash: newHash)])
            )
        }
    }

    /// Revokes a device: its credential opens nothing from the next request on. What it pushed
    /// stays; what it did not push stays on the laptop.
    @discardableResult
    public func revokeDevice(_ replica: ReplicaID, by actor: Actor = .serverOperator) throws -> DeviceStatus {
        let now = clock()
        try storage.write { reader in
            guard let device = try reader.device(replica) else { throw HubError.unknownDevice(replica.rawValue) }
            return (
                (),
                HubWrites(
                    audit: [
                        AuditWrite(
                            "device.revoke", target: replica.rawValue,
                            detail: "credential of \(device.user.name) (\(device.device)) revoked", by: actor, at: now)
                    ],
                    directory: [.revokeDevice(replica, by: actor.user, at: now)])
            )
        }
        guard let status = try devices().first(where: { $0.replicaID == replica }) else {
            throw HubError.unknownDevice(replica.rawValue)
        }
        return status
    }

    /// Every enrolled device with how far it has pulled.
    public func devices() throws -> [DeviceStatus] {
        try flushPullMarks()
        return try storage.read { try $0.devices() }
    }

    /// Retires a device from compaction: a laptop lost, replaced or away for good no longer
    /// holds tombstones on the server. Its credential stays valid: if it comes back, its first
    /// pull asks it to download a fresh copy (after its pending changes are pushed).
    public func retireDevice(_ replica: ReplicaID, by actor: Actor = .serverOperator) throws {
        let now = clock()
        try storage.write { reader in
            guard try reader.device(replica) != nil else { throw HubError.unknownDevice(replica.rawValue) }
            var writes = HubWrites(
                audit: [AuditWrite("device.retire", target: replica.rawValue, detail: "retired from compaction", by: actor, at: now)],
                directory: [.retireDevice(replica)])
            takeMarks(into: &writes)
            return ((), writes)
        }
    }

    /// The most recent admin actions, newest first.
    public func auditEntries(limit: Int = 200) throws -> [AuditEntry] {
        try storage.read { try $0.auditEntries(limit: max(1, limit)) }
    }
}
