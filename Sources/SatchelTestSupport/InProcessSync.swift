import Foundation
import HubStore
import ReplicaStore
import SatchelModel
import SyncCore

/// Moves changes between replicas and a hub in the same process: the sync protocol without
/// the network, for tests and simulations.
public enum InProcessSync {
    /// Pushes the replica's outbox to the hub and records the outcomes on the replica.
    @discardableResult
    public static func push(_ replica: Replica, to hub: Hub, as writer: Writer) throws -> PushResponse? {
        guard let changeset = try replica.pendingChangeset() else { return nil }
        let response = try hub.push(changeset, as: writer)
        try replica.acknowledge(response)
        return response
    }

    /// Pulls every page since the replica's cursor.
    public static func pull(_ replica: Replica, from hub: Hub, pageSize: Int = 100) throws {
        while true {
            let identity = try replica.identity()
            let page = try hub.pull(
                since: identity.pullCursor, limit: pageSize, for: identity.replicaID, knownSchema: try replica.schemaRevision())
            try replica.apply(page)
            // A step learned from the page may send the cursor back (see Replica.learn).
            if try !page.hasMore && replica.identity().pullCursor >= page.cursor { return }
        }
    }

    /// A fresh replica writing as `user`, with the hub's current state.
    public static func enroll(
        user: String, hub: Hub, clock: @escaping Replica.WallClock, replicaID: ReplicaID = .random()
    ) throws -> Replica {
        let replica = try Replica.inMemory(schema: CRMSchema.schema, replicaID: replicaID, clock: clock)
        try replica.setWriter(user: user, device: "\(user)-laptop")
        try pull(replica, from: hub)
        return replica
    }

    /// The live rows of every entity, as comparable data: entity → id → values.
    public static func state(of replica: Replica) throws -> [String: [String: [String: FieldValue]]] {
        var state: [String: [String: [String: FieldValue]]] = [:]
        for entity in replica.schema.entities {
            state[entity.name] = Dictionary(uniqueKeysWithValues: try replica.rows(entity.name).map { ($0.id, $0.values) })
        }
        return state
    }

    /// The hub's live rows in the same shape.
    public static func state(of hub: some SimulationHub) throws -> [String: [String: [String: FieldValue]]] {
        var state: [String: [String: [String: FieldValue]]] = [:]
        for entity in try hub.currentSchema().entities {
            var rows: [String: [String: FieldValue]] = [:]
            for row in try hub.liveRows(entity.name) {
                rows[row.id] = entity.fields.reduce(into: [:]) { $0[$1.name] = row.values[$1.name] ?? .null }
            }
            state[entity.name] = rows
        }
        return state
    }
}
