import ArgumentParser
import Foundation
import ReplicaStore
import SatchelModel
import SyncCore

/// The shared shape of record commands: add, edit, show and list against the replica.
enum Records {
    /// The schema this command runs under: the replica's (built in, with the company's fields
    /// it has learned) once the command has opened it, the built-in one before.
    nonisolated(unsafe) static var known = CRMSchema.schema

    static func schema(_ entity: String) -> EntitySchema { known.entity(entity)! }

    /// Creates a record and prints it (with `--json`, an object with "id").
    static func add(_ entity: String, values: [String: FieldValue], options: GlobalOptions, id: String? = nil) throws {
        let replica = try options.openReplica()
        let id = try replica.insert(entity, id: id, values: values)
        try show(entity, id: id, replica: replica, options: options)
    }

    /// Creates a record from its typed options and `--set` assignments over `base` (what the
    /// command sets itself: defaults, a status), and prints it.
    static func add(
        _ entity: String, fields: some FieldOptions, assignments: [String], base: [String: FieldValue] = [:], options: GlobalOptions
    ) throws {
        let replica = try options.openReplica()
        let values = base.merging(try values(of: fields, assignments: assignments, entity: entity, replica: replica, current: nil)) { $1 }
        let id = try replica.insert(entity, values: values)
        try show(entity, id: id, replica: replica, options: options)
    }

    /// Options `add` needs (the parser takes them as optional, since `edit` shares them).
    static func require(_ options: [(name: String, value: String?)], adding label: String) throws {
        let missing = options.filter { $0.value == nil }.map(\.name)
        guard missing.isEmpty else {
            throw ValidationError("adding \(label) needs \(missing.joined(separator: " and "))")
        }
    }

    /// Sets fields of a record and prints it.
    static func edit(_ entity: String, id: String, values: [String: FieldValue], options: GlobalOptions) throws {
        try edit(entity, id: id, options: options) { _, _ in values }
    }

    /// Sets the fields `values` computes from the record as it is, and prints it.
    static func edit(
        _ entity: String, id: String, options: GlobalOptions,
        values: (_ replica: Replica, _ current: [String: FieldValue]) throws -> [String: FieldValue]
    ) throws {
        let replica = try options.openReplica()
        let id = try resolve(entity, id, replica: replica)
        guard let current = try replica.row(entity, id: id) else { throw ReplicaError.unknownRecord(entity: entity, id: id) }
        let values = try values(replica, current)
        guard !values.isEmpty else { throw CLIError("nothing to change; give an option such as --set FIELD=VALUE") }
        try replica.update(entity, id: id, set: values)
        try show(entity, id: id, replica: replica, options: options)
    }

    static func show(_ entity: String, id: String, replica: Replica, options: GlobalOptions) throws {
        let id = try resolve(entity, id, replica: replica)
        guard let values = try replica.row(entity, id: id) else {
            throw ReplicaError.unknownRecord(entity: entity, id: id)
        }
        let output = Output(options)
        if output.json {
            try output.printJSON(Output.jsonRecord(id: id, values: values))
        } else {
            output.record(schema(entity), id: id, values: values)
        }
    }

    /// Prints rows as a table of `columns` (or, with `--json`, an array of records).
    static func list(
        _ entity: String, rows: [(id: String, values: [String: FieldValue])], columns: [String], limit: Int?,
        options: GlobalOptions
    ) throws {
        let rows = limit.map { Array(rows.prefix($0)) } ?? rows
        let output = Output(options)
        if output.json {
            try output.printJSON(rows.map { Output.jsonRecord(id: $0.id, values: $0.values) })
            return
        }
        let schema = schema(entity)
        output.table(
            ["ID"] + columns.map { $0.uppercased().replacingOccurrences(of: "_", with: " ") },
            rows.map { row in
                [String(row.id.prefix(8))]
                    + columns.map { name in
                        let value = row.values[name] ?? .null
                        let type = schema.field(name)?.type ?? .text(maxLength: 0)
                        if case .reference = type, let id = value.textValue { return String(id.prefix(8)) }
                        return value.isNull ? "" : Output.display(value, type)
                    }
            })
    }

    /// Accepts a full id or a unique prefix of at least 4 characters (tables show 8).
    static func resolve(_ entity: String, _ id: String, replica: Replica) throws -> String {
        if try replica.row(entity, id: id) != nil { return id }
        guard id.count >= 4 else { throw ReplicaError.unknownRecord(entity: entity, id: id) }
        let matches = try replica.ids(entity, prefix: id)
        switch matches.count {
        case 1: return matches[0]
        case 0:
            // A record merged into another: its id leads to the kept one.
            if let redirect = try replica.redirect(entity, id: id), try replica.row(entity, id: redirect.to) != nil {
                FileHandle.standardError.write(
                    Data(
                        TextHygiene.escapedForTerminal(
                            "satchel: \(entity) \(redirect.from.prefix(8)) was merged into \(redirect.to.prefix(8)); showing that\n"
                        ).utf8))
                return redirect.to
            }
            throw ReplicaError.unknownRecord(entity: entity, id: id)
        default: throw CLIError("'\(id)' matches \(matches.count) \(entity) records; give more of the id")
        }
    }
}

/// `--where FIELD=VALUE` filters of a list: any field, built in or the company's own, each value
/// read as the field's type (an empty VALUE matches records without one).
struct WhereOption: ParsableArguments {
    @Option(name: .customLong("where"), help: "Only records whose FIELD holds VALUE, as FIELD=VALUE (repeat to narrow).")
    var conditions: [String] = []

    /// The rows of `entity` that meet every condition.
    func filter(_ rows: [(id: String, values: [String: FieldValue])], entity: String) throws
        -> [(id: String, values: [String: FieldValue])]
    {
        guard !conditions.isEmpty else { return rows }
        let wanted = try conditions.map { condition -> (String, FieldValue) in
            guard let equals = condition.firstIndex(of: "=") else {
                throw CLIError("--where takes FIELD=VALUE, not '\(condition)'")
            }
            let name = String(condition[..<equals]).trimmingCharacters(in: .whitespaces)
            let text = String(condition[condition.index(after: equals)...])
            return (name, try Assignments.value(text, field: name, entity: Records.schema(entity)))
        }
        return rows.filter { row in
            wanted.allSatisfy { name, value in
                let held = row.values[name] ?? .null
                return value.isBlank ? held.isBlank : held == value
            }
        }
    }
}
