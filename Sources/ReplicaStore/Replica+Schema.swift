import Foundation
import GRDB
import SyncCore

extension Replica {
    // MARK: - Schema changes

    /// The company schema revision this replica holds (0: none of the company's steps).
    public func schemaRevision() throws -> Int {
        try writer.read { db in try Replica.companyRevision(db) }
    }

    /// The company's steps this replica has learned, by revision.
    public func schemaSteps() throws -> [PublishedStep] {
        try writer.read { db in try Replica.companySteps(db) }
    }

    static func companyRevision(_ db: Database) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(MAX(revision), 0) FROM _schema_step")) ?? 0
    }

    static func companySteps(_ db: Database) throws -> [PublishedStep] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM _schema_step ORDER BY revision")).map { row in
            PublishedStep(
                revision: row["revision"], step: try WireJSON.decode(SchemaStep.self, fromText: row["step"]), at: row["at"],
                by: row["by_user"], feedPosition: row["feed_position"])
        }
    }

    /// Learns the company steps a page brings, in the page's transaction: records them, adds the
    /// columns of new fields (a column is never dropped), and writes the capture triggers again
    /// for every record type they touch, so a retired field is no longer captured and a new one is.
    ///
    /// Returns the schema the page's rows are then applied under (nil when nothing was new), and
    /// the lowest feed position of a new step that this laptop had already pulled past: rows
    /// from there may hold values of fields it did not know (an older binary pulled them), so the
    /// cursor goes back to it.
    static func learn(_ update: SchemaUpdate, builtIn: Schema, cursor: Int64, db: Database) throws
        -> (schema: Schema, rewind: Int64?)?
    {
        let known = try companyRevision(db)
        let fresh = update.steps.filter { $0.revision > known }.sorted { $0.revision < $1.revision }
        guard !fresh.isEmpty else { return nil }
        for published in fresh {
            try db.cachedStatement(
                sql: "INSERT INTO _schema_step (revision, step, at, by_user, feed_position) VALUES (?, ?, ?, ?, ?)"
            ).execute(arguments: [
                published.revision, try WireJSON.text(published.step), published.at, published.by, published.feedPosition,
            ])
        }
        let schema = builtIn.applying(try companySteps(db))
        for name in Set(fresh.map(\.step.entity)) {
            guard let entity = schema.entity(name) else { continue }
            try reconcile(entity, db: db)
        }
        let rewind = fresh.map(\.feedPosition).filter { $0 < cursor }.min()
        return (schema, rewind)
    }

    /// Brings the file made under schema `version` to `schema`'s release: each later release's
    /// declared steps (a renamed field's column renamed, and its pending changes with it; a new
    /// record type's table created), then every table's columns and triggers as the schema says.
    static func upgrade(from version: Int, to schema: Schema, db: Database) throws {
        for step in schema.releaseSteps(after: version) {
            guard case let .renameField(entity, from, to) = step, try db.tableExists(entity) else { continue }
            let columns = Set(try db.columns(in: entity).map(\.name))
            for suffix in ["", "_minor", "_currency", "_lat", "_lon"] where columns.contains(from + suffix) {
                try db.execute(
                    sql: "ALTER TABLE \(SQLMapping.quote(entity)) RENAME COLUMN \(SQLMapping.quote(from + suffix)) TO \(SQLMapping.quote(to + suffix))")
            }
            // Changes waiting to be pushed, and those kept for a server restored from a backup, go
            // under the new name (the changeset says the new version).
            for table in ["_outbox", "_sent"] {
                try db.execute(
                    sql: "UPDATE \(table) SET field = ? WHERE entity = ? AND field = ?", arguments: [to, entity, from])
                try renameKey(table: table, column: "value", at: "$", from: from, to: to, where: "entity = ? AND op = 'insert'",
                    arguments: [entity], db: db)
            }
            // The hub's states held back for rows with pending changes, too: their values, and
            // their stamps, which are stored in groups that list their fields.
            let held = try Row.fetchAll(
                db, sql: "SELECT row_id, snapshot FROM _held_snapshot WHERE entity = ?", arguments: [entity])
            for row in held {
                var snapshot = try WireJSON.decode(RowSnapshot.self, fromText: row["snapshot"] as String)
                if let value = snapshot.values.removeValue(forKey: from) { snapshot.values[to] = value }
                if let stamp = snapshot.stamps?.removeValue(forKey: from) { snapshot.stamps?[to] = stamp }
                try db.execute(
                    sql: "UPDATE _held_snapshot SET snapshot = ? WHERE entity = ? AND row_id = ?",
                    arguments: [try WireJSON.text(snapshot), entity, row["row_id"] as String])
            }
        }
        let current = schema.applying(try companySteps(db))
        for entity in current.entities { try reconcile(entity, db: db) }
        try db.execute(sql: "UPDATE _replica SET schema_version = ?", arguments: [schema.version])
        // The older binary applied pulled rows without what it did not know (a renamed field's
        // values, a new field's, a new record type's rows): pull everything again. Pulls are
        // idempotent, and pending changes keep their fields until they are answered.
        try db.execute(sql: "UPDATE _replica SET pull_cursor = 0 WHERE bootstrapped = 1")
    }

    /// Renames key `from` to `to` in the JSON object at `path` of `column`, in the rows of
    /// `table` that `condition` selects and that hold the key.
    private static func renameKey(
        table: String, column: String, at path: String, from: String, to: String, where condition: String,
        arguments: [String], db: Database
    ) throws {
        let old = "'\(path).\"' || ? || '\"'"
        try db.execute(
            sql: """
                UPDATE \(table) SET \(column) = json_set(json_remove(\(column), \(old)), '\(path).\"' || ? || '\"', json_extract(\(column), \(old)))
                WHERE \(condition) AND json_type(\(column), \(old)) IS NOT NULL
                """,
            arguments: StatementArguments([from, to, from] + arguments + [from]))
    }

    /// Makes `entity`'s table hold a column for every field it declares and its capture triggers
    /// match its fields of now.
    static func reconcile(_ entity: EntitySchema, db: Database) throws {
        guard try db.tableExists(entity.name) else {
            try createTable(entity, db: db)
            try createTriggers(entity, db: db)
            try createIndexes(entity, db: db)
            return
        }
        let existing = Set(try db.columns(in: entity.name).map(\.name))
        // A retired field keeps a column too (it is never captured again).
        for field in entity.fields + entity.retired.map(\.field) {
            for column in SQLMapping.columns(field) where !existing.contains(column.name) {
                try db.execute(
                    sql: "ALTER TABLE \(SQLMapping.quote(entity.name)) ADD COLUMN \(SQLMapping.quote(column.name)) \(column.type)")
            }
        }
        let triggers = try String.fetchAll(
            db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", arguments: [entity.name])
        for trigger in triggers { try db.execute(sql: "DROP TRIGGER \(SQLMapping.quote(trigger))") }
        try createTriggers(entity, db: db)
    }
}
