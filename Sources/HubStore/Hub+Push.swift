import GRDB
import HubEngine
import SyncCore

extension Hub {
    /// Merges a replica's changeset, exactly once, in one transaction: the planner decides every
    /// write (``HubPlanner/push(_:as:scope:homeTerritory:now:sentTo:into:)`` says how), and the
    /// store writes the plan whole, with the pull marks that are due, or nothing.
    ///
    /// Each change's causal context is believed only up to the feed position the hub had sent
    /// this device (``sentBound(_:marks:openedAt:db:)``).
    public func push(
        _ changeset: Changeset, as writer: Writer, scope: ReadScope = .all, homeTerritory: String? = nil
    ) throws -> PushResponse {
        let now = clock()
        return try self.writer.write { db in
            let draft = try draft(db)
            let response = try planner.push(
                changeset, as: writer, scope: scope, homeTerritory: homeTerritory, now: now,
                sentTo: try Hub.sentBound(changeset.replica, marks: pullMarks, openedAt: openedAt, db: db), into: draft)
            let plan = draft.plan
            guard !plan.isEmpty else { return response }
            try Hub.apply(plan, db: db)
            try flushPullMarks(db)
            return response
        }
    }
}
