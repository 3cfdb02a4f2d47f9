import Foundation
import ReplicaStore
import SatchelModel
import SyncCore

/// Everything a command prints: tables and records for people, one JSON document with `--json`.
struct Output {
    let json: Bool
    /// Colour and bold only on a terminal, and never when NO_COLOR is set (no-color.org).
    let isTerminal = isatty(STDOUT_FILENO) == 1 && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty

    init(_ options: GlobalOptions) {
        json = options.json
    }

    // MARK: - JSON

    func printJSON(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// A record as JSON: its fields in wire form, plus `id`.
    static func jsonRecord(id: String, values: [String: FieldValue]) -> [String: FieldValue] {
        values.merging(["id": .text(id)]) { $1 }
    }

    // MARK: - People

    /// Bold on a terminal, plain elsewhere.
    func bold(_ text: String) -> String { isTerminal ? "\u{1B}[1m\(text)\u{1B}[0m" : text }

    /// Coloured by outcome on a terminal.
    func outcome(_ kind: String) -> String {
        guard isTerminal else { return kind }
        let colour: String
        switch kind {
        case "applied": colour = "32"
        case "merged": colour = "36"
        case "queued": colour = "33"
        case "rejected", "overridden": colour = "31"
        case "accepted": colour = "32"
        default: return kind
        }
        return "\u{1B}[\(colour)m\(kind)\u{1B}[0m"
    }

    /// An aligned table with a header row.
    func table(_ header: [String], _ rows: [[String]]) {
        guard !rows.isEmpty else {
            print("(none)")
            return
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        print(bold(line(header)))
        for row in rows { print(line(row)) }
    }

    /// One record as aligned "label  value" lines, empty fields left out.
    func record(_ entity: EntitySchema, id: String, values: [String: FieldValue]) {
        var lines = [("id", id)]
        for field in entity.fields {
            let value = values[field.name] ?? .null
            if value.isNull || value.isBlank { continue }
            lines.append((field.name, Output.display(value, field.type)))
        }
        let width = lines.map(\.0.count).max() ?? 0
        for (label, value) in lines {
            let shown = value.replacingOccurrences(of: "\n", with: "\n" + String(repeating: " ", count: width + 2))
            print("\(bold(label.padding(toLength: width, withPad: " ", startingAt: 0)))  \(shown)")
        }
    }

    /// A value for people: times in the local time zone, booleans as yes/no.
    static func display(_ value: FieldValue, _ type: FieldType) -> String {
        if case .timestamp = type, let milliseconds = value.integerValue { return time(milliseconds) }
        return value.description
    }

    static func time(_ milliseconds: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = .current
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }
}

/// Parses `FIELD=VALUE` assignments against an entity's fields.
enum Assignments {
    /// `current` is the record being changed (nil for a new one): a bare amount of money keeps
    /// its currency.
    static func parse(_ assignments: [String], entity: EntitySchema, current: [String: FieldValue]? = nil) throws
        -> [String: FieldValue]
    {
        var values: [String: FieldValue] = [:]
        for assignment in assignments {
            guard let equals = assignment.firstIndex(of: "=") else {
                throw CLIError("--set takes FIELD=VALUE, not '\(assignment)'")
            }
            let name = String(assignment[..<equals]).trimmingCharacters(in: .whitespaces)
            let text = String(assignment[assignment.index(after: equals)...])
            guard values[name] == nil else { throw CLIError("\(name) is set twice; give it once") }
            values[name] = try value(text, field: name, entity: entity, current: current?[name])
        }
        return values
    }

    /// One typed value; `current` is the field's value now (a bare amount keeps its currency,
    /// else the company's ``CRMSchema/defaultCurrency``).
    static func value(_ text: String, field name: String, entity: EntitySchema, current: FieldValue? = nil) throws -> FieldValue {
        if let retired = entity.retiredField(name) {
            throw CLIError("\(entity.name).\(name) was \(retired.reason) and takes no more values")
        }
        guard let field = entity.field(name) else {
            let known = entity.fields.map(\.name).joined(separator: ", ")
            throw CLIError(
                "\(entity.label) has no field '\(name)'; its fields are \(known) (a field your company added lately arrives with 'satchel sync')")
        }
        if case .money = field.type, !text.isEmpty {
            do {
                return .money(try Money.parse(text, defaultCurrency: current?.moneyValue?.currency ?? CRMSchema.defaultCurrency))
            } catch {
                throw CLIError("\(entity.name).\(name): \(error)")
            }
        }
        guard let value = field.type.parse(text, timeZone: .current) else {
            throw CLIError("\(entity.name).\(name) '\(text)' is not \(field.type.phrase)")
        }
        return value
    }
}
