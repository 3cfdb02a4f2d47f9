import GRDB
import HubEngine
import SatchelModel
import SyncCore

extension Hub {
    /// Merges record `other` into record `keep`, in one transaction, with an audit entry: the
    /// planner decides every write (``HubPlanner/mergeRecords(_:keep:merge:take:by:now:territories:into:)``
    /// says what a merge does and refuses), and the store writes the plan whole or nothing.
    @discardableResult
    public func mergeRecords(
        _ entity: String, keep: String, merge other: String, take: [String], by admin: String,
        from device: String = Actor.serverOperator.device
    ) throws -> MergeReport {
        let now = clock()
        return try writer.write { db in
            let draft = try draft(db)
            let report = try planner.mergeRecords(
                entity, keep: keep, merge: other, take: take, by: admin, now: now,
                territories: { try Hub.user($0, db: db)?.territories }, into: draft)
            try Hub.audit(
                "record.merge", target: "\(entity) \(keep)",
                detail: "merged \(other) into it" + (take.isEmpty ? "" : ", taking \(take.sorted().joined(separator: ", "))"),
                by: Actor(user: admin, device: device), at: now, db: db)
            try Hub.apply(draft.plan, db: db)
            return report
        }
    }

    /// The merges in feed positions `(cursor, end]` whose kept record `scope` may see.
    static func redirects(_ scope: ReadScope, after cursor: Int64, upTo end: Int64, db: Database) throws -> [Redirect] {
        guard end > cursor else { return [] }
        return try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT d.entity, d.from_id, d.to_id, r.account_id FROM hub_redirect d
                    LEFT JOIN hub_row r ON r.entity = d.entity AND r.row_id = d.to_id
                    WHERE d.seq > ? AND d.seq <= ? ORDER BY d.seq
                    """),
            arguments: [cursor, end]
        ).filter { try Hub.scope(scope, covers: $0["account_id"] as String?, db: db) }
            .map { Redirect(entity: $0["entity"], from: $0["from_id"], to: $0["to_id"]) }
    }

    /// Where a merged-away record's id leads now (nil when it was never merged).
    public func redirect(_ entity: String, id: String) throws -> String? {
        try writer.read { db in try Hub.redirect(entity, id: id, db: db) }
    }

    static func redirect(_ entity: String, id: String, db: Database) throws -> String? {
        try String.fetchOne(
            db.cachedStatement(sql: "SELECT to_id FROM hub_redirect WHERE entity = ? AND from_id = ?"),
            arguments: [entity, id])
    }
}
