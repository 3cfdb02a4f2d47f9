import Foundation
import GRDB

/// The physical limit: the same edits as plain SQLite upserts, no sync machinery at all.
///
/// As the peers' `sqlite-raw`: an on-disk WAL database with `synchronous=NORMAL`, the accounts
/// bulk-loaded in one transaction, then every rep's operations in arrival order as individual
/// prepared statements (`INSERT … ON CONFLICT(id) DO UPDATE SET field = …`, visit `INSERT`,
/// `DELETE`) in one transaction.
struct RawSQLite {
    let workload: Workload
    let queue: DatabaseQueue

    init(workload: Workload, file: String) throws {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: file + suffix) }
        self.workload = workload
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL")
        }
        queue = try DatabaseQueue(path: file, configuration: configuration)
        try queue.write { db in
            let columns = WorkloadSchema.accountFields.map {
                "\($0) \(WorkloadSchema.integerFields.contains($0) ? "INTEGER" : "TEXT")"
            }
            try db.execute(
                sql: """
                    CREATE TABLE accounts (id TEXT PRIMARY KEY, \(columns.joined(separator: ", ")));
                    CREATE TABLE visits (id TEXT PRIMARY KEY, account_id TEXT, rep TEXT, ts INTEGER, kind TEXT,
                        outcome TEXT, notes TEXT);
                    """)
        }
    }

    static func argument(_ value: Workload.Value?) -> (any DatabaseValueConvertible)? {
        switch value {
        case let .integer(number)?: number
        case let .text(text)?: text
        case nil: nil
        }
    }

    func load() throws {
        let fields = WorkloadSchema.accountFields
        try queue.write { db in
            let statement = try db.makeStatement(
                sql: "INSERT INTO accounts (id, \(fields.joined(separator: ", "))) VALUES (?\(String(repeating: ", ?", count: fields.count)))")
            for account in workload.accounts {
                let values: [(any DatabaseValueConvertible)?] = [account.id] + fields.map { RawSQLite.argument(account.values[$0]) }
                try statement.execute(arguments: StatementArguments(values))
            }
        }
    }

    func applyAll() throws {
        try queue.write { db in
            var upserts: [String: Statement] = [:]
            for field in WorkloadSchema.accountFields {
                upserts[field] = try db.makeStatement(
                    sql: "INSERT INTO accounts (id, \(field)) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET \(field) = excluded.\(field)")
            }
            let visit = try db.makeStatement(
                sql: "INSERT INTO visits (id, \(WorkloadSchema.visitFields.joined(separator: ", "))) VALUES (?, ?, ?, ?, ?, ?, ?)")
            let delete = try db.makeStatement(sql: "DELETE FROM accounts WHERE id = ?")
            for rep in workload.arrival {
                for op in workload.ops[rep] {
                    switch op.kind {
                    case .update:
                        try upserts[op.field!]!.execute(arguments: [op.id, RawSQLite.argument(op.value)])
                    case .insert:
                        let values: [(any DatabaseValueConvertible)?] =
                            [op.id] + WorkloadSchema.visitFields.map { RawSQLite.argument(op.row?[$0]) }
                        try visit.execute(arguments: StatementArguments(values))
                    case .delete:
                        try delete.execute(arguments: [op.id])
                    }
                }
            }
        }
    }

    func state() throws -> WorkloadState {
        try queue.read { db in
            var state = WorkloadState()
            for row in try Row.fetchAll(db, sql: "SELECT * FROM accounts") {
                var values: [String: Workload.Value] = [:]
                for field in WorkloadSchema.accountFields { values[field] = RawSQLite.value(row[field]) }
                state.accounts[row["id"]] = values
            }
            for row in try Row.fetchAll(db, sql: "SELECT * FROM visits") {
                var values: [String: Workload.Value] = [:]
                for field in WorkloadSchema.visitFields { values[field] = RawSQLite.value(row[field]) }
                state.visits[row["id"]] = values
            }
            return state
        }
    }

    static func value(_ value: DatabaseValue) -> Workload.Value? {
        switch value.storage {
        case let .int64(number): .integer(number)
        case let .string(text): .text(text)
        default: nil
        }
    }

    static func sqliteVersion() -> String {
        (try? DatabaseQueue().read { db in try String.fetchOne(db, sql: "SELECT sqlite_version()") }) ?? "unknown"
    }
}

/// What the raw ceiling measured in one run.
struct RawSample {
    var load: Timing
    var apply: Timing
}

extension RawSQLite {
    static func run(workload: Workload, file: String) throws -> RawSample {
        let raw = try RawSQLite(workload: workload, file: file)
        let (_, load) = try Timing.measure { try raw.load() }
        let (_, apply) = try Timing.measure { try raw.applyAll() }
        return RawSample(load: load, apply: apply)
    }
}
