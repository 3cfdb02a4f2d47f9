import HubEngine
import HubStore
import PostgresNIO
import SyncCore

extension PostgresHubStorage: HubTableExporting {
    public func exportTables() throws -> [HubTable] {
        try read { view in try view.exportTables() }
    }

    /// Fills this empty hub with `tables` (another storage's export) in one transaction, and
    /// commits only if reading them back gives exactly `tables`; otherwise nothing is kept.
    /// Returns how many rows each table received.
    @discardableResult
    public func importTables(_ tables: [HubTable]) throws -> [(table: String, rows: Int)] {
        try write { view in
            let holding = try view.rows(
                """
                SELECT (SELECT COUNT(*) FROM hub_row) + (SELECT COUNT(*) FROM hub_user) + (SELECT COUNT(*) FROM hub_device)
                    + (SELECT COUNT(*) FROM hub_outcome) + (SELECT COUNT(*) FROM hub_audit)
                """
            ).first?.decode(Int64.self) ?? 0
            guard holding == 0 else {
                throw HubError.storage(
                    "the database at \(location) already holds a hub (\(holding) rows of records, users, devices, answers or audit); copy into an empty database")
            }
            var counts: [(table: String, rows: Int)] = []
            for table in tables {
                guard let layout = HubTables.layout.first(where: { $0.name == table.name }), layout.columns.map(\.name) == table.columns
                else { throw HubError.storage("the copy's table \(table.name) does not have the layout this server knows") }
                if table.name == "hub_meta" {
                    guard table.rows.count == 1, let row = table.rows.first else {
                        throw HubError.storage("the copied hub_meta has \(table.rows.count) rows, not 1")
                    }
                    try view.execute(
                        PostgresQuery(
                            unsafeSQL: "UPDATE hub_meta SET " + table.columns.enumerated().map { "\($0.element) = $\($0.offset + 1)" }
                                .joined(separator: ", ") + " WHERE singleton = 1",
                            binds: try Self.bindings(row)))
                } else {
                    let placeholders = table.columns.indices.map { "$\($0 + 1)" }.joined(separator: ", ")
                    let sql =
                        "INSERT INTO \(table.name) (\(table.columns.joined(separator: ", ")))"
                        + (layout.generated == nil ? "" : " OVERRIDING SYSTEM VALUE") + " VALUES (\(placeholders))"
                    for row in table.rows {
                        try view.execute(PostgresQuery(unsafeSQL: sql, binds: try Self.bindings(row)))
                    }
                    if let generated = layout.generated {
                        // The next generated id follows the copied ones.
                        _ = try view.rows(
                            PostgresQuery(
                                unsafeSQL: """
                                    SELECT setval(pg_get_serial_sequence('\(table.name)', '\(generated)'),
                                        COALESCE(MAX(\(generated)), 1), MAX(\(generated)) IS NOT NULL) FROM \(table.name)
                                    """))
                    }
                }
                counts.append((table.name, table.rows.count))
            }
            if let difference = HubTables.difference(tables, try view.exportTables()) {
                throw HubError.storage("the copy does not read back equal (\(difference)); nothing was kept")
            }
            return (counts, HubWrites())
        }
    }

    static func bindings(_ row: [HubValue]) throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: row.count)
        for value in row {
            switch value {
            case .null: bindings.appendNull()
            case .integer(let number): bindings.append(number)
            case .text(let text): bindings.append(text)
            case .bool(let flag): bindings.append(flag)
            }
        }
        return bindings
    }
}

extension PostgresHubView {
    func exportTables() throws -> [HubTable] {
        try HubTables.layout.map { layout in
            let query = PostgresQuery(
                unsafeSQL: "SELECT \(layout.columns.map(\.name).joined(separator: ", ")) FROM \(layout.name) ORDER BY \(layout.key.joined(separator: ", "))")
            let values = try rows(query).map { row in
                try zip(row, layout.columns).map { cell, column -> HubValue in
                    switch column.kind {
                    case .integer:
                        if column.name == "schema_version" { return try cell.decode(Int32?.self).map { .integer(Int64($0)) } ?? .null }
                        return try cell.decode(Int64?.self).map { .integer($0) } ?? .null
                    case .text: return try cell.decode(String?.self).map { .text($0) } ?? .null
                    case .bool: return try cell.decode(Bool?.self).map { .bool($0) } ?? .null
                    }
                }
            }
            return HubTable(name: layout.name, columns: layout.columns.map(\.name), rows: values)
        }
    }
}
