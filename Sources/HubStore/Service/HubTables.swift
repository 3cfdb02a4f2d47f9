/// A hub's tables as plain values, in one layout every storage shares: what is copied from one
/// storage into another (`satchel-server copy`, SQLite into PostgreSQL), and what proves the copy
/// equal, table by table and row by row.
public struct HubTable: Hashable, Sendable {
    public var name: String
    public var columns: [String]
    /// In the order of the table's key (``HubTables/layout``).
    public var rows: [[HubValue]]

    public init(name: String, columns: [String], rows: [[HubValue]]) {
        self.name = name
        self.columns = columns
        self.rows = rows
    }
}

/// One stored value.
public enum HubValue: Hashable, Sendable {
    case null
    case integer(Int64)
    case text(String)
    case bool(Bool)
}

/// The shared layout: each table, its columns with their kinds, and the key its rows are
/// ordered by. A storage maps its own names and types onto it.
public enum HubTables {
    public enum Kind: Sendable { case integer, text, bool }

    public struct Layout: Sendable {
        public var name: String
        public var columns: [(name: String, kind: Kind)]
        /// Columns of the key, in order.
        public var key: [String]
        /// The column a storage generates (an identity), kept as it was by a copy.
        public var generated: String?
    }

    public static let layout: [Layout] = [
        Layout(
            name: "hub_meta",
            columns: [
                ("replica_id", .text), ("seq", .integer), ("counter", .integer), ("hlc", .integer), ("schema_version", .integer),
                ("compacted_to", .integer),
            ], key: ["replica_id"]),
        Layout(
            name: "hub_row",
            columns: [
                ("entity", .text), ("row_id", .text), ("seq", .integer), ("deleted", .bool), ("account_id", .text), ("state", .text),
            ], key: ["entity", "row_id"]),
        Layout(name: "hub_account", columns: [("account_id", .text), ("territory", .text), ("owner", .text)], key: ["account_id"]),
        Layout(
            name: "hub_account_former",
            columns: [
                ("position", .integer), ("account_id", .text), ("territory", .text), ("owner", .text), ("until", .integer),
                ("seq", .integer), ("new_owner", .text), ("moved_by", .text),
            ], key: ["position"], generated: "position"),
        Layout(
            name: "hub_user",
            columns: [
                ("name", .text), ("role", .text), ("territories", .text), ("manager", .text), ("enrollment_hash", .text),
                ("enrollment_expires_at", .integer), ("disabled_at", .integer), ("created_at", .integer), ("password_hash", .text),
            ], key: ["name"]),
        Layout(
            name: "hub_device",
            columns: [
                ("replica_id", .text), ("user_name", .text), ("device", .text), ("credential_hash", .text),
                ("next_credential_hash", .text), ("created_at", .integer), ("pulled_to", .integer), ("sent_to", .integer),
                ("dormant", .bool), ("revoked_at", .integer), ("revoked_by", .text), ("pulled_at", .integer),
            ], key: ["replica_id"]),
        Layout(
            name: "hub_replica",
            columns: [
                ("replica_id", .text), ("high_water", .integer), ("user_name", .text), ("device", .text), ("last_push_at", .integer),
            ], key: ["replica_id"]),
        Layout(
            name: "hub_outcome", columns: [("replica_id", .text), ("counter", .integer), ("outcome", .text), ("seq", .integer)],
            key: ["replica_id", "counter"]),
        Layout(
            name: "hub_conflict",
            columns: [
                ("id", .text), ("entity", .text), ("row_id", .text), ("kind", .text), ("status", .text), ("body", .text),
                ("created_at", .integer), ("resolution", .text), ("resolved_by", .text), ("resolved_at", .integer),
            ], key: ["id"]),
        Layout(
            name: "hub_history", columns: [("id", .integer), ("entity", .text), ("row_id", .text), ("entry", .text)], key: ["id"],
            generated: "id"),
        Layout(
            name: "hub_redirect",
            columns: [
                ("entity", .text), ("from_id", .text), ("to_id", .text), ("merged_at", .integer), ("merged_by", .text), ("seq", .integer),
            ], key: ["entity", "from_id"]),
        Layout(
            name: "hub_audit",
            columns: [
                ("id", .integer), ("at", .integer), ("actor", .text), ("device", .text), ("action", .text), ("target", .text),
                ("detail", .text),
            ], key: ["id"], generated: "id"),
        Layout(
            name: "hub_key", columns: [("entity", .text), ("key_name", .text), ("key_value", .text), ("row_id", .text)],
            key: ["entity", "key_name", "key_value", "row_id"]),
        Layout(
            name: "hub_session",
            columns: [("id_hash", .text), ("user_name", .text), ("csrf", .text), ("created_at", .integer), ("expires_at", .integer)],
            key: ["id_hash"]),
        Layout(
            name: "hub_activity",
            columns: [
                ("day", .integer), ("pushes", .integer), ("applied", .integer), ("merged", .integer), ("queued", .integer),
                ("rejected", .integer),
            ], key: ["day"]),
        Layout(
            name: "hub_schema",
            columns: [("revision", .integer), ("step", .text), ("at", .integer), ("by_user", .text), ("feed_position", .integer)],
            key: ["revision"]),
    ]

    /// Where two exports differ, in words (nil when they are equal).
    public static func difference(_ a: [HubTable], _ b: [HubTable]) -> String? {
        for (left, right) in zip(a, b) {
            guard left.name == right.name else { return "table \(left.name) against \(right.name)" }
            guard left.rows.count == right.rows.count else {
                return "\(left.name): \(left.rows.count) rows against \(right.rows.count)"
            }
            for (index, (x, y)) in zip(left.rows, right.rows).enumerated() where x != y {
                return "\(left.name), row \(index + 1): \(x) against \(y)"
            }
        }
        return a.count == b.count ? nil : "\(a.count) tables against \(b.count)"
    }
}

/// A storage that can give its tables in the shared layout.
public protocol HubTableExporting {
    /// Every table in the shared layout (``HubTables``), read in one transaction.
    func exportTables() throws -> [HubTable]
}

extension HubService where Storage: HubTableExporting {
    /// Every table of the store as text, in a fixed order: two dumps are equal exactly when the
    /// stores hold the same data. Tests use it to prove a refused request changed nothing.
    public func dump() throws -> String {
        try storage.exportTables().map { table in
            (["# \(table.name) \(table.columns.joined(separator: ", "))"] + table.rows.map { "\($0)" }).joined(separator: "\n")
        }.joined(separator: "\n")
    }
}
