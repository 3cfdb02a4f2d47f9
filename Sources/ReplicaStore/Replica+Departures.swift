import Foundation
import GRDB
import SyncCore

extension Replica {
    // MARK: - Departures

    /// Drops every departed record (and everything under it) that has nothing of this
    /// replica's still waiting to be pushed, and tells the user. A record with pending changes
    /// stays until the hub has acknowledged them: the user's work is pushed first, then it goes.
    /// Runs with capture off (``withCaptureOff(_:_:)``).
    func dropDeparted(now: Int64, db: Database) throws {
        let departures = try String.fetchAll(db.cachedStatement(sql: "SELECT departure FROM _departed"))
            .map { try WireJSON.decode(Departure.self, fromText: $0) }
        guard !departures.isEmpty else { return }
        try Replica.withCaptureOff(db) {
            for departure in departures {
                let rows = try descendants(of: departure.entity, id: departure.id, db: db)
                let pending = try rows.contains { entity, id in
                    try Bool.fetchOne(
                        db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM _outbox WHERE entity = ? AND row_id = ?)"),
                        arguments: [entity, id]) ?? false
                }
                guard !pending else { continue }
                for (entity, id) in rows.reversed() {
                    try db.cachedStatement(sql: "DELETE FROM \(SQLMapping.quote(entity)) WHERE id = ?").execute(arguments: [
                        id
                    ])
                    try db.cachedStatement(sql: "DELETE FROM _row_meta WHERE entity = ? AND row_id = ?")
                        .execute(arguments: [entity, id])
                    try db.cachedStatement(sql: "DELETE FROM _held_snapshot WHERE entity = ? AND row_id = ?")
                        .execute(arguments: [entity, id])
                }
                try db.cachedStatement(sql: "DELETE FROM _departed WHERE entity = ? AND row_id = ?")
                    .execute(arguments: [departure.entity, departure.id])
                let others = rows.count - 1
                try db.cachedStatement(
                    sql: """
                        INSERT INTO _notice (kind, entity, row_id, title, message, received_at) VALUES ('departed', ?, ?, ?, ?, ?)
                        """
                ).execute(arguments: [
                    departure.entity, departure.id, departure.title,
                    "moved to \(departure.to) by \(departure.by); removed from this laptop"
                        + (others > 0 ? " with the \(others) record\(others == 1 ? "" : "s") under it" : ""),
                    now,
                ])
            }
        }
    }

    /// A record and every row under it through the schema's parent references, parents first.
    func descendants(of entity: String, id: String, db: Database) throws -> [(entity: String, id: String)] {
        var found: [(entity: String, id: String)] = []
        var level: [(entity: String, id: String)] = []
        if try Replica.row(try schema.requireEntityOrThrow(entity), id: id, db: db) != nil { level = [(entity, id)] }
        while !level.isEmpty {
            found += level
            var next: [(entity: String, id: String)] = []
            for parent in level {
                for (child, field) in schema.references(to: parent.entity, parentsOnly: true) {
                    let column = SQLMapping.quote(SQLMapping.columns(field)[0].name)
                    for childID in try String.fetchAll(
                        db.cachedStatement(sql: "SELECT id FROM \(SQLMapping.quote(child.name)) WHERE \(column) = ?"),
                        arguments: [parent.id])
                    {
                        next.append((child.name, childID))
                    }
                }
            }
            level = next
        }
        return found
    }

    /// Where the id (or a unique prefix of 4+ characters of the id) of a record merged into
    /// another leads now; nil when no merged record matches.
    public func redirect(_ entity: String, id: String) throws -> (from: String, to: String)? {
        try writer.read { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT from_id, to_id FROM _redirect WHERE entity = ? AND (from_id = ? OR (length(?) >= 4 AND
                            substr(from_id, 1, length(?)) = ?)) LIMIT 2
                        """),
                arguments: [entity, id, id, id, id])
            guard rows.count == 1 else { return nil }
            return (rows[0]["from_id"], rows[0]["to_id"])
        }
    }

    /// How many rows of each type hang directly under a record (through parent references).
    public func childCounts(of entity: String, id: String) throws -> [String: Int] {
        try writer.read { db in
            var counts: [String: Int] = [:]
            for (child, field) in schema.references(to: entity, parentsOnly: true) {
                let column = SQLMapping.quote(SQLMapping.columns(field)[0].name)
                let count =
                    try Int.fetchOne(
                        db.cachedStatement(
                            sql: "SELECT COUNT(*) FROM \(SQLMapping.quote(child.name)) WHERE \(column) = ?"),
                        arguments: [id]) ?? 0
                if count > 0 { counts[child.name] = count }
            }
            return counts
        }
    }

    /// What this laptop was told about records that left it, newest first.
    public func notices(unseenOnly: Bool = false) throws -> [Notice] {
        try writer.read { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT * FROM _notice \(unseenOnly ? "WHERE seen = 0" : "") ORDER BY id DESC")
            ).map {
                Notice(
                    kind: $0["kind"], entity: $0["entity"], rowID: $0["row_id"], title: $0["title"],
                    message: $0["message"],
                    receivedAt: $0["received_at"])
            }
        }
    }
}

/// Something the laptop tells its user that is not about one of their changes: an account
/// moved to someone else and left this laptop.
public struct Notice: Hashable, Sendable, Codable {
    public var kind: String
    public var entity: String
    public var rowID: String
    public var title: String
    public var message: String
    public var receivedAt: Int64
}
