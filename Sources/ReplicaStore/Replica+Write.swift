import Foundation
import GRDB
import SyncCore

extension Replica {
    // MARK: - Local writes

    /// Creates a row and returns its id. The values are checked against the schema, the
    /// entity's invariants and the references; on any error nothing is written.
    @discardableResult
    public func insert(_ entity: String, id: String? = nil, values: [String: FieldValue]) throws -> String {
        let schema = try self.schema.requireEntityOrThrow(entity)
        let id = id ?? UUID().uuidString.lowercased()
        let row: [String: FieldValue]
        do {
            row = try schema.validateInsert(values)
        } catch {
            throw ReplicaError.invalid(error)
        }
        try writer.write { db in
            try requireSchemaUnchanged(db)
            try insertChecked(schema, id: id, row: row, db: db)
        }
        return id
    }

    /// Refuses a write checked against a schema older than the file's: another process (a sync)
    /// learned company steps meanwhile, and the capture triggers follow them, so a value checked
    /// before could be written without being captured. Nothing is written; the schema is reloaded.
    func requireSchemaUnchanged(_ db: Database) throws {
        guard try Replica.companyRevision(db) != schema.revision else { return }
        schemas.current = schemas.builtIn.applying(try Replica.companySteps(db))
        throw ReplicaError.notAllowed(
            reason: "this laptop learned new fields from a sync while the command ran", remedy: "run the command again")
    }

    /// Inserts a row already checked against the schema, in the caller's transaction: the
    /// writer's rights, the id, references and invariants, then the row and what it moves.
    func insertChecked(_ schema: EntitySchema, id: String, row: [String: FieldValue], db: Database) throws {
        let me = try Replica.identity(db)
        if !me.isPrivileged,
            let owned = schema.fields.first(where: { $0.rule == .serverOwned && !(row[$0.name]?.isNull ?? true) })
        {
            throw ReplicaError.notAllowed(
                reason: "\(owned.label) is set by the company, not on a laptop",
                remedy: "leave \(owned.label) empty")
        }
        guard try Replica.row(schema, id: id, db: db) == nil else {
            throw ReplicaError.notAllowed(
                reason: "\(schema.labelWithArticle) with id \(id) exists", remedy: "use another id")
        }
        try checkReferences(row, entity: schema, db: db)
        try checkInvariants(schema, before: nil, after: row, deleting: false, identity: me, db: db)
        var columns = ["id"]
        var arguments: [(any DatabaseValueConvertible)?] = [id]
        for field in schema.fields {
            columns += SQLMapping.columns(field).map(\.name)
            arguments += SQLMapping.columnValues(row[field.name] ?? .null, field: field)
        }
        try db.cachedStatement(
            sql:
                "INSERT INTO \(SQLMapping.quote(schema.name)) (\(columns.map(SQLMapping.quote).joined(separator: ", "))) "
                + "VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))"
        ).execute(arguments: StatementArguments(arguments))
        // The rows this one moves (a visit's account), in the same transaction.
        for propagation in schema.propagations {
            guard case .reference(let name)? = schema.field(propagation.reference)?.type,
                let targetID = row[propagation.reference]?.textValue, let target = self.schema.entity(name),
                let before = try Replica.row(target, id: targetID, db: db)
            else { continue }
            let moved = propagation.changes(for: row, to: before, entity: target)
            if !moved.isEmpty { try write(moved, to: target, id: targetID, before: before, identity: me, db: db) }
        }
    }

    /// Sets fields of a live row in one transaction; each changed field becomes one captured change.
    public func update(_ entity: String, id: String, set changes: [String: FieldValue]) throws {
        let schema = try self.schema.requireEntityOrThrow(entity)
        guard schema.insertRule != .appendOnly else {
            throw ReplicaError.notAllowed(
                reason: "\(schema.labelWithArticle) cannot be changed once recorded",
                remedy: "record a new \(schema.label) that corrects it")
        }
        var checked: [String: FieldValue] = [:]
        for (name, value) in changes {
            do {
                checked[name] = try schema.validateUpdate(field: name, value)
            } catch {
                throw ReplicaError.invalid(error)
            }
        }
        try writer.write { db in
            try requireSchemaUnchanged(db)
            let me = try Replica.identity(db)
            guard let before = try Replica.row(schema, id: id, db: db) else {
                throw ReplicaError.unknownRecord(entity: entity, id: id)
            }
            if !me.isPrivileged,
                let owned = checked.keys.compactMap(schema.field).first(where: { $0.rule == .serverOwned }),
                checked[owned.name] != before[owned.name]
            {
                throw ReplicaError.notAllowed(
                    reason: "\(owned.label) is set by the company, not on a laptop",
                    remedy: "ask an admin or your manager to change \(owned.label)")
            }
            try write(checked, to: schema, id: id, before: before, identity: me, db: db)
        }
    }

    /// Writes checked values over a live row (`before`), after its references and invariants.
    private func write(
        _ checked: [String: FieldValue], to schema: EntitySchema, id: String, before: [String: FieldValue],
        identity: Identity, db: Database
    ) throws {
        let after = before.merging(checked) { $1 }
        try checkReferences(checked, entity: schema, db: db)
        try checkInvariants(schema, before: before, after: after, deleting: false, identity: identity, db: db)
        var assignments: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        for field in schema.fields where checked[field.name] != nil {
            for (column, value) in zip(SQLMapping.columns(field), SQLMapping.columnValues(checked[field.name]!, field: field)) {
                assignments.append("\(SQLMapping.quote(column.name)) = ?")
                arguments.append(value)
            }
        }
        guard !assignments.isEmpty else { return }
        arguments.append(id)
        try db.cachedStatement(
            sql: "UPDATE \(SQLMapping.quote(schema.name)) SET \(assignments.joined(separator: ", ")) WHERE id = ?"
        ).execute(arguments: StatementArguments(arguments))
    }

    /// Deletes a live row (a tombstone travels to the hub).
    public func delete(_ entity: String, id: String) throws {
        let schema = try self.schema.requireEntityOrThrow(entity)
        guard schema.deleteRule != .never else {
            throw ReplicaError.notAllowed(
                reason: "\(schema.labelWithArticle) cannot be deleted once recorded",
                remedy: "record a new \(schema.label) that corrects it")
        }
        try writer.write { db in
            try requireSchemaUnchanged(db)
            try deleteChecked(schema, id: id, db: db)
        }
    }

    /// Deletes a live row in the caller's transaction, after its invariants.
    func deleteChecked(_ schema: EntitySchema, id: String, db: Database) throws {
        let me = try Replica.identity(db)
        guard let before = try Replica.row(schema, id: id, db: db) else {
            throw ReplicaError.unknownRecord(entity: schema.name, id: id)
        }
        try checkInvariants(schema, before: before, after: before, deleting: true, identity: me, db: db)
        try db.cachedStatement(sql: "DELETE FROM \(SQLMapping.quote(schema.name)) WHERE id = ?").execute(arguments: [id])
    }

    // MARK: - Checks

    private func checkReferences(_ values: [String: FieldValue], entity: EntitySchema, db: Database) throws {
        for field in entity.fields {
            guard case .reference(let target) = field.type, let id = values[field.name]?.textValue,
                let targetSchema = schema.entity(target)
            else { continue }
            let exists = try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM \(SQLMapping.quote(targetSchema.name)) WHERE id = ?)",
                arguments: [id])
            if exists != true {
                throw ReplicaError.unknownRecord(entity: target, id: id)
            }
        }
    }

    private func checkInvariants(
        _ entity: EntitySchema, before: [String: FieldValue]?, after: [String: FieldValue], deleting: Bool,
        identity: Identity, db: Database
    ) throws {
        let schema = self.schema
        var lookupError: (any Error)?
        let input = InvariantInput(
            before: before, after: after, deleting: deleting,
            writer: Writer(user: identity.user, device: identity.device, isPrivileged: identity.isPrivileged),
            lookup: { name, id in
                guard let other = schema.entity(name) else { return nil }
                do {
                    return try Replica.row(other, id: id, db: db)
                } catch {
                    lookupError = error
                    return nil
                }
            })
        for invariant in entity.invariants {
            if let violation = invariant.check(input) {
                throw ReplicaError.ruleViolated(
                    rule: invariant.name, reason: violation.reason, remedy: violation.remedy)
            }
            if let lookupError { throw lookupError }
        }
    }
}
