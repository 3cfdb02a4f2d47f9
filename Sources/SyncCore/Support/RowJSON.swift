import Foundation

/// Hand-written JSON for what the stores write for every row and change (a row's state, its
/// version vector and field stamps, a history entry): the same JSON the Codable encoders
/// produce, sorted keys included, without their per-value overhead. A bootstrap of 10,000 rows
/// writes 20,000 of them; a merge of 10,000 changes, 20,000 more. Values of rarer kinds (money,
/// locations, sets) fall back to the encoder.
public enum RowJSON {
    /// A JSON string literal.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20: out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// `{"replica": counter, …}`, replicas sorted.
    public static func versionVector(_ vector: VersionVector) -> String {
        "{" + vector.counters.sorted { $0.key.rawValue < $1.key.rawValue }
            .map { quoted($0.key.rawValue) + ":" + String($0.value) }.joined(separator: ",") + "}"
    }

    /// A row's stamps grouped by stamp, as ``FieldStamps`` encodes them.
    public static func fieldStamps(_ stamps: [String: FieldStamp]) -> String {
        "[" + FieldStamps.groups(stamps).map { group in
            let stamp = group.stamp
            var object = "{\"device\":" + quoted(stamp.device) + ",\"dot\":" + dot(stamp.dot)
                + ",\"fields\":[" + group.fields.map(quoted).joined(separator: ",") + "]"
                + ",\"hlc\":" + String(stamp.hlc.packed)
            if !stamp.merged.isEmpty { object += ",\"merged\":[" + stamp.merged.map(dot).joined(separator: ",") + "]" }
            return object + ",\"user\":" + quoted(stamp.user) + ",\"wall\":" + String(stamp.wall) + "}"
        }.joined(separator: ",") + "]"
    }

    static func dot(_ dot: Dot) -> String {
        "{\"counter\":" + String(dot.counter) + ",\"replica\":" + quoted(dot.replica.rawValue) + "}"
    }

    /// A field value; text, integers, booleans and null by hand, the rest through the encoder.
    public static func fieldValue(_ value: FieldValue) -> String {
        switch value {
        case .null: return "null"
        case let .text(text): return quoted(text)
        case let .integer(number): return String(number)
        case let .bool(flag): return flag ? "true" : "false"
        default: return encoded(value)
        }
    }

    /// An object of field values, keys sorted.
    public static func fieldValues(_ values: [String: FieldValue]) -> String {
        "{" + values.sorted { $0.key < $1.key }.map { quoted($0.key) + ":" + fieldValue($0.value) }.joined(separator: ",") + "}"
    }

    static func stamp(_ stamp: FieldStamp) -> String {
        var object = "{\"device\":" + quoted(stamp.device) + ",\"dot\":" + dot(stamp.dot) + ",\"hlc\":" + String(stamp.hlc.packed)
        if !stamp.merged.isEmpty { object += ",\"merged\":[" + stamp.merged.map(dot).joined(separator: ",") + "]" }
        return object + ",\"user\":" + quoted(stamp.user) + ",\"wall\":" + String(stamp.wall) + "}"
    }

    /// A row's state, as ``RowState``'s `Codable` writes it.
    public static func rowState(_ state: RowState) -> String {
        var object = "{\"deleted\":" + (state.deleted == nil ? "false" : "true")
        if let deleted = state.deleted { object += ",\"deletedBy\":" + stamp(deleted) }
        object += ",\"entity\":" + quoted(state.entity) + ",\"id\":" + quoted(state.id)
        if !state.members.isEmpty { object += ",\"members\":" + encoded(state.members) }
        return object + ",\"stamps\":" + fieldStamps(state.stamps) + ",\"values\":" + fieldValues(state.values)
            + ",\"version\":" + versionVector(state.version) + "}"
    }

    /// A history entry, as ``HistoryEntry``'s `Codable` writes it.
    public static func historyEntry(_ entry: HistoryEntry) -> String {
        var parts = ["\"at\":" + String(entry.at)]
        if let detail = entry.detail { parts.append("\"detail\":" + quoted(detail)) }
        parts.append("\"device\":" + quoted(entry.device))
        if let field = entry.field { parts.append("\"field\":" + quoted(field)) }
        if let hlc = entry.hlc { parts.append("\"hlc\":" + String(hlc.packed)) }
        parts.append("\"kind\":" + quoted(entry.kind.rawValue))
        if let op = entry.op { parts.append("\"op\":" + quoted(op)) }
        if let outcome = entry.outcome { parts.append("\"outcome\":" + quoted(outcome)) }
        parts.append("\"user\":" + quoted(entry.user))
        if let value = entry.value { parts.append("\"value\":" + fieldValue(value)) }
        if let values = entry.values { parts.append("\"values\":" + fieldValues(values)) }
        if let wall = entry.wall { parts.append("\"wall\":" + String(wall)) }
        return "{" + parts.joined(separator: ",") + "}"
    }

    private static func encoded(_ value: some Encodable) -> String {
        // The shared encoder cannot fail on these plain values.
        (try? WireJSON.encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}
