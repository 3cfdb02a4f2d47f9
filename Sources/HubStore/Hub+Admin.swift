import Foundation
import GRDB
import HubEngine
import SatchelModel
import SyncCore

extension Hub {
    // MARK: - Import

    public typealias ImportRecord = HubEngine.ImportRecord
    public typealias ImportReport = HubEngine.ImportReport

    /// Imports records as the company's own data (privileged inserts by the hub), in one
    /// transaction with an audit entry.
    ///
    /// Every record is checked (``HubPlanner/importRecords(_:by:now:skipBad:into:)`` says how).
    /// With `skipBad` false, any problem imports nothing and throws ``HubError/invalidUser(_:)``
    /// listing every problem; with `skipBad` the good records go in and the report lists the
    /// refused ones.
    @discardableResult
    public func importRecords(
        _ records: [ImportRecord], by user: String = "import", from device: String = Actor.serverOperator.device,
        skipBad: Bool = false
    ) throws -> ImportReport {
        let now = clock()
        return try writer.write { db in
            let draft = try draft(db)
            let report = try planner.importRecords(records, by: user, now: now, skipBad: skipBad, into: draft)
            try Hub.audit(
                "import", target: "\(records.count) records",
                detail: skipBad ? "bad records skipped" : "all or nothing", by: Actor(user: user, device: device), at: now,
                db: db)
            try Hub.apply(draft.plan, db: db)
            return report
        }
    }

    // MARK: - Transfer

    /// Gives an account to another user: the owner changes, and the territory follows the new
    /// owner's first territory when the account's is not one of theirs. The rows under the
    /// account move with it (visibility follows the account).
    @discardableResult
    public func transferAccount(
        _ id: String, to user: String, by admin: String, from device: String = Actor.serverOperator.device
    ) throws -> RowState? {
        let now = clock()
        return try writer.write { db in
            guard let target = try Hub.user(user, db: db) else { throw HubError.unknownUser(user) }
            let root = schema.placement?.root ?? ""
            try Hub.audit("account.transfer", target: "\(root) \(id)", detail: "to \(user)", by: Actor(user: admin, device: device), at: now, db: db)
            return try planned(db) { draft in
                try planner.transfer(id, to: user, territories: target.territories, by: admin, now: now, into: draft)
            }
        }
    }

    /// The stored row as replicas receive it, with its sequence number in the feed.
    public func snapshot(_ entity: String, id: String) throws -> RowSnapshot? {
        try writer.read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT seq, state FROM hub_row WHERE entity = ? AND row_id = ?"),
                arguments: [entity, id]
            ).map(Hub.snapshot)
        }
    }
}
