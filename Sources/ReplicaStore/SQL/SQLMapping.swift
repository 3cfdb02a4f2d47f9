import Foundation
import GRDB
import SyncCore

/// How a schema maps onto SQLite tables: one table per entity, one or two columns per field.
///
/// | field type | columns |
/// |---|---|
/// | text, enum, reference, date | `name TEXT` |
/// | integer, timestamp | `name INTEGER` |
/// | bool | `name INTEGER` (0 or 1) |
/// | money | `name_minor INTEGER`, `name_currency TEXT` |
/// | location | `name_lat REAL`, `name_lon REAL` |
/// | set of strings | `name TEXT` holding a sorted JSON array |
///
/// The same mapping writes the change-capture triggers, reads rows back as ``FieldValue``s
/// (through one JSON expression per field) and writes pulled rows.
enum SQLMapping {
    /// Quotes an identifier for SQL ("order" is a keyword).
    static func quote(_ identifier: String) -> String {
        // A name seldom holds a quote: the common case skips Foundation's search and copy.
        guard identifier.utf8.contains(UInt8(ascii: "\"")) else { return "\"" + identifier + "\"" }
        return "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Quotes a string literal for SQL.
    static func literal(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "'")) else { return "'" + text + "'" }
        return "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// The column definitions of a field.
    static func columns(_ field: FieldSchema) -> [(name: String, type: String)] {
        switch field.type {
        case .text, .enumeration, .reference, .date: return [(field.name, "TEXT")]
        case .integer, .timestamp, .bool: return [(field.name, "INTEGER")]
        case .money: return [(field.name + "_minor", "INTEGER"), (field.name + "_currency", "TEXT")]
        case .location: return [(field.name + "_lat", "REAL"), (field.name + "_lon", "REAL")]
        case .stringSet: return [(field.name, "TEXT")]
        }
    }

    /// An SQL expression that renders the field of row alias `alias` as JSON text ('null' for NULL).
    static func jsonExpression(_ field: FieldSchema, alias: String) -> String {
        func column(_ name: String) -> String { "\(alias).\(quote(name))" }
        switch field.type {
        case .text, .enumeration, .reference, .date, .integer, .timestamp:
            return "json_quote(\(column(field.name)))"
        case .bool:
            let c = column(field.name)
            return "(CASE WHEN \(c) IS NULL THEN 'null' WHEN \(c) THEN 'true' ELSE 'false' END)"
        case .money:
            let minor = column(field.name + "_minor")
            let currency = column(field.name + "_currency")
            return "(CASE WHEN \(minor) IS NULL THEN 'null' ELSE json_object('minor', \(minor), 'currency', \(currency)) END)"
        case .location:
            let lat = column(field.name + "_lat")
            let lon = column(field.name + "_lon")
            return "(CASE WHEN \(lat) IS NULL THEN 'null' ELSE json_object('lat', \(lat), 'lon', \(lon)) END)"
        case .stringSet:
            let c = column(field.name)
            return "(CASE WHEN \(c) IS NULL THEN 'null' WHEN json_valid(\(c)) THEN json(\(c)) ELSE json_quote(\(c)) END)"
        }
    }

    /// A SELECT list that reads `id` and every field of `entity` as JSON text.
    static func selectList(_ entity: EntitySchema, alias: String) -> String {
        (["\(alias).id AS id"] + entity.fields.map { "\(jsonExpression($0, alias: alias)) AS \(quote($0.name))" })
            .joined(separator: ", ")
    }

    /// Decodes a row read with ``selectList(_:alias:)``.
    static func decodeRow(_ row: Row, entity: EntitySchema) throws -> (id: String, values: [String: FieldValue]) {
        let id: String = row["id"]
        var values: [String: FieldValue] = [:]
        for field in entity.fields {
            let json: String = row[field.name] ?? "null"
            values[field.name] = try decodeValue(json, field: field, entity: entity.name)
        }
        return (id, values)
    }

    /// Decodes a stored value. It is not checked against the field's type: a value some other
    /// tool wrote with raw SQL is still shown (and the hub rejects it with a reason when pushed).
    static func decodeValue(_ json: String, field: FieldSchema, entity: String) throws -> FieldValue {
        do {
            return try WireJSON.decode(FieldValue.self, fromText: json)
        } catch {
            throw ReplicaError.corruptValue(entity: entity, field: field.name, detail: "\(error)")
        }
    }

    /// The column values that store `value` in `field`'s columns.
    static func columnValues(_ value: FieldValue, field: FieldSchema) -> [(any DatabaseValueConvertible)?] {
        switch (field.type, value) {
        case (.money, .null), (.location, .null): return [nil, nil]
        case (_, .null): return [nil]
        case let (_, .text(text)): return [text]
        case let (_, .integer(number)): return [number]
        case let (_, .bool(flag)): return [flag ? 1 : 0]
        case let (_, .money(money)): return [money.minor, money.currency]
        case let (_, .location(point)): return [point.lat, point.lon]
        case let (_, .stringSet(members)):
            let data = (try? WireJSON.encoder.encode(members.sorted())) ?? Data("[]".utf8)
            return [String(decoding: data, as: UTF8.self)]
        }
    }
}
