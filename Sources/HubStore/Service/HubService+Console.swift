import Foundation
import HubEngine
import SatchelModel
import SyncCore

/// What the admin console asks of the hub beyond the API's operations: passwords, sessions that
/// every server of a store knows, the per-day tally of pushes, and two reads that help an admin
/// decide (what a merge would move, whether a record is in someone's reach).
extension HubService {
    // MARK: - Passwords

    /// Sets a user's console password (the caller passes its slow hash, never the password),
    /// or removes it with nil; either way their open console sessions end. Reps do not sign in
    /// to the console, so they get no password.
    public func setPassword(hash: String?, for name: String, by actor: Actor = .serverOperator) throws {
        let now = clock()
        try storage.write { reader in
            guard let user = try reader.user(name) else { throw HubError.unknownUser(name) }
            guard user.disabled != true else { throw HubError.userDisabled(name) }
            guard user.role != .rep || hash == nil else {
                throw HubError.invalidUser("\(name) is a rep; only admins and managers sign in to the console")
            }
            return (
                (),
                HubWrites(
                    audit: [
                        AuditWrite(
                            "user.password", target: name, detail: hash == nil ? "console password removed" : "console password set",
                            by: actor, at: now)
                    ],
                    directory: [.setPassword(user: name, hash: hash), .closeSessions(user: name)])
            )
        }
    }

    /// The slow hash of a user's console password (nil when they have none).
    public func passwordHash(of name: String) throws -> String? {
        try storage.read { try $0.passwordHash(of: name) }
    }

    // MARK: - Sessions

    /// Records a signed-in session (and forgets those that expired), with an audit entry.
    public func openConsoleSession(_ session: ConsoleSession, from address: String) throws {
        let now = clock()
        try storage.write { _ in
            (
                (),
                HubWrites(
                    audit: [
                        AuditWrite(
                            "console.sign-in", target: session.user, detail: "from \(address.prefix(64))",
                            by: Actor(user: session.user, device: "console"), at: now)
                    ],
                    directory: [.dropSessions(expiredBefore: now), .openSession(session)])
            )
        }
    }

    /// The live session whose id has this hash, with its user as the directory holds them now:
    /// nil when there is none, it expired, or the user was disabled or lost the console.
    public func consoleSession(idHash: String) throws -> (session: ConsoleSession, user: UserInfo)? {
        let now = clock()
        return try storage.read { reader in
            guard let session = try reader.consoleSession(idHash: idHash), session.expiresAt > now,
                let user = try reader.user(session.user), user.disabled != true, user.role != .rep
            else { return nil }
            return (session, user)
        }
    }

    /// Ends a session (signing out), with an audit entry.
    public func closeConsoleSession(idHash: String, by actor: Actor) throws {
        let now = clock()
        try storage.write { _ in
            (
                (),
                HubWrites(
                    audit: [AuditWrite("console.sign-out", target: actor.user, detail: "session ended", by: actor, at: now)],
                    directory: [.closeSession(idHash: idHash)])
            )
        }
    }

    // MARK: - Reads for the console

    /// The pushes of the last `days` days (today included), one entry per day, oldest first;
    /// a day without pushes is there with zeros.
    public func activity(days: Int) throws -> [ActivityDay] {
        let today = ActivityDay.day(of: clock())
        let first = today - Int64(max(days, 1) - 1)
        let held = Dictionary(try storage.read { try $0.activity(fromDay: first) }.map { ($0.day, $0) }) { a, _ in a }
        return (first...today).map { held[$0] ?? ActivityDay(day: $0) }
    }

    /// What a merge of `entity/id` into another record would move: the live records that refer
    /// to it, counted by type.
    public func mergePreview(_ entity: String, id: String) throws -> [String: Int] {
        try storage.read { reader in
            var moved: [String: Int] = [:]
            for (child, field) in schema.references(to: entity, parentsOnly: false) {
                let count = try reader.rows(child.name, where: field.name, is: id).count
                if count > 0 { moved[child.name, default: 0] += count }
            }
            return moved
        }
    }

    /// The feed's last position (how far behind it a device's pulls are is measured from here).
    public func feedHead() throws -> Int64 {
        try storage.read { try $0.meta().seq }
    }

    /// Whether `scope` reaches the stored record `entity/id` (false when the hub does not hold it).
    public func covers(_ scope: ReadScope, entity: String, id: String) throws -> Bool {
        try storage.read { reader in
            guard let root = try reader.storedRoot(entity, id: id) else { return false }
            return try Self.scope(scope, covers: root, reader: reader)
        }
    }
}
