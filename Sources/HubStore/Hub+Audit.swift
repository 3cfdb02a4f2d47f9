import GRDB
import HubEngine
import SatchelModel
import SyncCore

extension Hub {
    /// Records an admin action in the same transaction as the action itself: if the action
    /// rolls back, so does its record.
    static func audit(
        _ action: String, target: String, detail: String, by actor: Actor, at now: Int64, db: Database
    ) throws {
        try db.cachedStatement(
            sql: "INSERT INTO hub_audit (at, actor, device, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)"
        ).execute(arguments: [now, actor.user, actor.device, action, target, detail])
    }

    /// The most recent admin actions, newest first.
    public func auditEntries(limit: Int = 200) throws -> [AuditEntry] {
        try writer.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM hub_audit ORDER BY id DESC LIMIT ?"), arguments: [max(1, limit)]
            ).map {
                AuditEntry(
                    id: $0["id"], at: $0["at"], actor: $0["actor"], device: $0["device"], action: $0["action"],
                    target: $0["target"], detail: $0["detail"])
            }
        }
    }
}
