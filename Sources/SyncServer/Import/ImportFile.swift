import CSV
import Foundation
import HubEngine
import HubStore
import SatchelModel
import SyncCore

/// Reads a company's existing accounts, contacts, visits and opportunities for `satchel-server import`.
///
/// Two formats, chosen by the file's extension (Docs/operations.md shows both):
/// - `.jsonl`: one JSON object per line, `{"record": "account", "id": "…", "name": "…", …}` with
///   field values in their wire form (Protocol/README.md);
/// - `.csv`: a header row `record,id,<field>,<field>…`, then one record per row, values as text:
///   money `1250.00 EUR`, sets `a;b;c`, booleans `true`/`false`, timestamps in milliseconds or
///   ISO 8601, locations `lat,lon`; an empty cell is no value.
///
/// `record` is `account`, `contact`, `visit` or `opportunity` (an account's own `type` field,
/// its customer type, is an ordinary column); `id` may be empty, and a fresh id is made. Every problem
/// is reported with its line; a file with one is imported not at all.
public enum ImportFile {
    public static let importableEntities: Set<String> = ["account", "contact", "visit", "opportunity"]

    /// The records of a file and every problem found, with its line.
    public struct Contents: Sendable {
        public var records: [Hub.ImportRecord] = []
        public var problems: [String] = []
    }

    /// Reads a file, throwing if any line is bad (with every bad line listed).
    public static func read(path: String, schema: Schema = CRMSchema.schema) throws -> [Hub.ImportRecord] {
        let contents = try readAll(path: path, schema: schema)
        guard contents.problems.isEmpty else {
            throw ImportError(contents.problems.count == 1 ? contents.problems[0] : contents.problems.joined(separator: "\n"))
        }
        return contents.records
    }

    /// Reads a file, keeping the good records and listing every bad line.
    public static func readAll(path: String, schema: Schema = CRMSchema.schema) throws -> Contents {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ImportError("cannot read \(path); check the path and its permissions")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ImportError("\(path) is not UTF-8 text; save it as UTF-8 and try again")
        }
        if path.lowercased().hasSuffix(".jsonl") || path.lowercased().hasSuffix(".ndjson") {
            return try collect(text, schema: schema, reader: readJSONLines)
        }
        if path.lowercased().hasSuffix(".csv") {
            return try collect(text, schema: schema, reader: readCSV)
        }
        throw ImportError("\(path) is neither .csv nor .jsonl; name it by its format")
    }

    static func collect(
        _ text: String, schema: Schema, reader: (String, Schema, (String) -> Void) throws -> [Hub.ImportRecord]
    ) throws -> Contents {
        var contents = Contents()
        contents.records = try reader(text, schema) { contents.problems.append($0) }
        return contents
    }

    /// Reads JSON lines, throwing at the first bad line.
    public static func readJSONLines(_ text: String, schema: Schema) throws -> [Hub.ImportRecord] {
        try readJSONLines(text, schema, { problem in throw ImportError(problem) } as (String) throws -> Void)
    }

    /// Reads CSV, throwing at the first bad line.
    public static func readCSV(_ text: String, schema: Schema) throws -> [Hub.ImportRecord] {
        try readCSV(text, schema, { problem in throw ImportError(problem) } as (String) throws -> Void)
    }

    static func readJSONLines(_ text: String, _ schema: Schema, _ report: (String) throws -> Void) throws -> [Hub.ImportRecord] {
        var records: [Hub.ImportRecord] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let origin = "line \(index + 1)"
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            let object: [String: FieldValue]
            do {
                object = try WireJSON.decoder.decode([String: FieldValue].self, from: Data(line.utf8))
            } catch {
                try report("\(origin): not a JSON object of field values (\(WireJSON.describe(error)))")
                continue
            }
            var values = object
            let type = values.removeValue(forKey: "record")?.textValue ?? ""
            let id = values.removeValue(forKey: "id")?.textValue ?? ""
            do {
                records.append(try record(type: type, id: id, values: values, origin: origin, schema: schema))
            } catch let error as ImportError {
                try report(error.description)
            }
        }
        return records
    }

    static func readCSV(_ text: String, _ schema: Schema, _ report: (String) throws -> Void) throws -> [Hub.ImportRecord] {
        let reader: CSVReader
        do {
            reader = try CSVReader(string: text, hasHeaderRow: true)
        } catch {
            throw ImportError("the CSV could not be read: \(error)")
        }
        guard let header = reader.headerRow, header.first?.lowercased() == "record", header.count >= 2,
            header[1].lowercased() == "id"
        else {
            throw ImportError("line 1: the header must start with record,id and then name fields")
        }
        var records: [Hub.ImportRecord] = []
        var line = 1
        while let row = reader.next() {
            line += 1
            let origin = "line \(line)"
            do {
                guard row.count == header.count else {
                    throw ImportError("\(origin): \(row.count) cells, but the header has \(header.count)")
                }
                let type = row[0]
                guard let entity = schema.entity(type), importableEntities.contains(type) else {
                    throw ImportError("\(origin): record must be \(importableList), not '\(type)'")
                }
                var values: [String: FieldValue] = [:]
                for (name, cell) in zip(header.dropFirst(2), row.dropFirst(2)) where !cell.isEmpty {
                    guard let field = entity.field(name) else {
                        throw ImportError("\(origin): \(type) has no field '\(name)'")
                    }
                    values[name] = try parse(cell, as: field, origin: origin)
                }
                records.append(try record(type: type, id: row[1], values: values, origin: origin, schema: schema))
            } catch let error as ImportError {
                try report(error.description)
            }
        }
        return records
    }

    static let importableList = "account, contact, visit or opportunity"

    static func record(type: String, id: String, values: [String: FieldValue], origin: String, schema: Schema) throws
        -> Hub.ImportRecord
    {
        guard let entity = schema.entity(type), importableEntities.contains(type) else {
            throw ImportError("\(origin): record must be \(importableList), not '\(type)'")
        }
        guard id.count <= 64 else { throw ImportError("\(origin): an id is at most 64 characters") }
        do {
            let checked = try entity.validateInsert(values)
            return Hub.ImportRecord(
                entity: type, id: id.isEmpty ? UUID().uuidString.lowercased() : id, values: checked, origin: origin)
        } catch {
            throw ImportError("\(origin): \(error)")
        }
    }

    /// Parses one CSV cell as a field's type.
    static func parse(_ cell: String, as field: FieldSchema, origin: String) throws -> FieldValue {
        guard let value = field.type.parse(cell) else {
            throw ImportError("\(origin): \(field.name) '\(cell.prefix(40))' is not \(field.type.phrase)")
        }
        return value
    }
}

/// A problem in an import file, with its line.
public struct ImportError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
