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
            // Changes waiting to be pushed go under the new name (the changeset says the new version).
            let path = "'$.\"' || ? || '\"'"
            try db.execute(
                sql: "UPDATE _outbox SET field = ? WHERE entity = ? AND field = ?", arguments: [to, entity, from])
            try db.execute(
                sql: """
                    UPDATE _outbox SET value = json_set(json_remove(value, \(path)), '$."' || ? || '"', json_extract(value, \(path)))
                    WHERE entity = ? AND op = 'insert' AND json_type(value, \(path)) IS NOT NULL
                    """,
                arguments: [from, to, from, entity, from])
        }
        let current = schema.applying(try companySteps(db))
        for entity in current.entities { try reconcile(entity, db: db) }
        try db.execute(sql: "UPDATE _replica SET schema_version = ?", arguments: [schema.version])
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
        for field in entity.fields {
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
