import Foundation

/// Hand-written JSON for what the stores write for every row and change (a row's state, its
/// version vector and field stamps, a history entry): the same JSON the Codable encoders
/// produce, sorted keys included, without their per-value overhead. A bootstrap of 10,000 rows
/// writes 20,000 of them; a merge of 10,000 changes, 20,000 more. Values of rarer kinds (money,
/// locations, sets) fall back to the encoder.
public enum RowJSON {
    /// A JSON string literal.
    public static func quoted(_ text: String) -> String {
        var out = JSONWriter(capacity: text.utf8.count + 2)
        out.string(text)
        return out.text
    }

    /// `{"replica": counter, …}`, replicas sorted.
    public static func versionVector(_ vector: VersionVector) -> String {
        var out = JSONWriter(capacity: 64)
        write(vector, to: &out)
        return out.text
    }

    /// A row's stamps grouped by stamp, as ``FieldStamps`` encodes them.
    public static func fieldStamps(_ stamps: [String: FieldStamp]) -> String {
        var out = JSONWriter(capacity: 256)
        write(stamps, to: &out)
        return out.text
    }

    /// A field value; text, integers, booleans and null by hand, the rest through the encoder.
    public static func fieldValue(_ value: FieldValue) -> String {
        var out = JSONWriter(capacity: 32)
        write(value, to: &out)
        return out.text
    }

    /// An object of field values, keys sorted.
    public static func fieldValues(_ values: [String: FieldValue]) -> String {
        var out = JSONWriter(capacity: 256)
        write(values, to: &out)
        return out.text
    }

    /// A row's state, as ``RowState``'s `Codable` writes it.
    public static func rowState(_ state: RowState) -> String {
        var out = JSONWriter(capacity: 1024)
        out.raw("{\"deleted\":")
        out.bool(state.deleted != nil)
        if let deleted = state.deleted {
            out.raw(",\"deletedBy\":")
            write(deleted, to: &out)
        }
        out.raw(",\"entity\":")
        out.string(state.entity)
        out.raw(",\"id\":")
        out.string(state.id)
        if !state.members.isEmpty {
            out.raw(",\"members\":")
            out.append(encoded(state.members))
        }
        out.raw(",\"stamps\":")
        write(state.stamps, to: &out)
        out.raw(",\"values\":")
        write(state.values, to: &out)
        out.raw(",\"version\":")
        write(state.version, to: &out)
        out.byte(UInt8(ascii: "}"))
        return out.text
    }

    /// A history entry, as ``HistoryEntry``'s `Codable` writes it.
    public static func historyEntry(_ entry: HistoryEntry) -> String {
        var out = JSONWriter(capacity: 256)
        out.raw("{\"at\":")
        out.int(entry.at)
        if let detail = entry.detail {
            out.raw(",\"detail\":")
            out.string(detail)
        }
        out.raw(",\"device\":")
        out.string(entry.device)
        if let field = entry.field {
            out.raw(",\"field\":")
            out.string(field)
        }
        if let hlc = entry.hlc {
            out.raw(",\"hlc\":")
            out.int(hlc.packed)
        }
        out.raw(",\"kind\":")
        out.string(entry.kind.rawValue)
        if let op = entry.op {
            out.raw(",\"op\":")
            out.string(op)
        }
        if let outcome = entry.outcome {
            out.raw(",\"outcome\":")
            out.string(outcome)
        }
        out.raw(",\"user\":")
        out.string(entry.user)
        if let value = entry.value {
            out.raw(",\"value\":")
            write(value, to: &out)
        }
        if let values = entry.values {
            out.raw(",\"values\":")
            write(values, to: &out)
        }
        if let wall = entry.wall {
            out.raw(",\"wall\":")
            out.int(wall)
        }
        out.byte(UInt8(ascii: "}"))
        return out.text
    }

    // MARK: - Writing

    static func write(_ vector: VersionVector, to out: inout JSONWriter) {
        out.byte(UInt8(ascii: "{"))
        // Most rows were written by one replica: nothing to sort.
        if vector.counters.count == 1, let only = vector.counters.first {
            out.string(only.key.rawValue)
            out.byte(UInt8(ascii: ":"))
            out.uint(only.value)
            out.byte(UInt8(ascii: "}"))
            return
        }
        for (index, entry) in vector.counters.sorted(by: { $0.key.rawValue < $1.key.rawValue }).enumerated() {
            if index > 0 { out.byte(UInt8(ascii: ",")) }
            out.string(entry.key.rawValue)
            out.byte(UInt8(ascii: ":"))
            out.uint(entry.value)
        }
        out.byte(UInt8(ascii: "}"))
    }

    static func write(_ stamps: [String: FieldStamp], to out: inout JSONWriter) {
        out.byte(UInt8(ascii: "["))
        for (index, group) in FieldStamps.groups(stamps).enumerated() {
            if index > 0 { out.byte(UInt8(ascii: ",")) }
            let stamp = group.stamp
            out.raw("{\"device\":")
            out.string(stamp.device)
            out.raw(",\"dot\":")
            write(stamp.dot, to: &out)
            out.raw(",\"fields\":[")
            for (position, field) in group.fields.enumerated() {
                if position > 0 { out.byte(UInt8(ascii: ",")) }
                out.string(field)
            }
            out.raw("],\"hlc\":")
            out.int(stamp.hlc.packed)
            writeTail(of: stamp, to: &out)
        }
        out.byte(UInt8(ascii: "]"))
    }

    static func write(_ dot: Dot, to out: inout JSONWriter) {
        out.raw("{\"counter\":")
        out.uint(dot.counter)
        out.raw(",\"replica\":")
        out.string(dot.replica.rawValue)
        out.byte(UInt8(ascii: "}"))
    }

    static func write(_ value: FieldValue, to out: inout JSONWriter) {
        switch value {
        case .null: out.raw("null")
        case let .text(text): out.string(text)
        case let .integer(number): out.int(number)
        case let .bool(flag): out.bool(flag)
        default: out.append(encoded(value))
        }
    }

    static func write(_ values: [String: FieldValue], to out: inout JSONWriter) {
        writeObject(values, to: &out) { value, out in write(value, to: &out) }
    }

    /// `{"key": value, …}`, keys sorted, each value written by `each`.
    static func writeObject(
        _ values: [String: FieldValue], to out: inout JSONWriter, each: (FieldValue, inout JSONWriter) throws -> Void
    ) rethrows {
        out.byte(UInt8(ascii: "{"))
        for (index, entry) in values.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { out.byte(UInt8(ascii: ",")) }
            out.string(entry.key)
            out.byte(UInt8(ascii: ":"))
            try each(entry.value, &out)
        }
        out.byte(UInt8(ascii: "}"))
    }

    static func write(_ stamp: FieldStamp, to out: inout JSONWriter) {
        out.raw("{\"device\":")
        out.string(stamp.device)
        out.raw(",\"dot\":")
        write(stamp.dot, to: &out)
        out.raw(",\"hlc\":")
        out.int(stamp.hlc.packed)
        writeTail(of: stamp, to: &out)
    }

    /// `,"merged":[…],"user":…,"wall":…}`: the end every stamp object shares.
    private static func writeTail(of stamp: FieldStamp, to out: inout JSONWriter) {
        if !stamp.merged.isEmpty {
            out.raw(",\"merged\":[")
            for (index, dot) in stamp.merged.enumerated() {
                if index > 0 { out.byte(UInt8(ascii: ",")) }
                write(dot, to: &out)
            }
            out.byte(UInt8(ascii: "]"))
        }
        out.raw(",\"user\":")
        out.string(stamp.user)
        out.raw(",\"wall\":")
        out.int(stamp.wall)
        out.byte(UInt8(ascii: "}"))
    }

    private static func encoded(_ value: some Encodable) -> String {
        // The shared encoder cannot fail on these plain values.
        (try? WireJSON.encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}

// MARK: - What a laptop pushes and what it is answered

/// A type written by hand on the hot paths, through ``WireJSON/data(_:)`` and
/// ``WireJSON/text(_:)``: the bytes equal the shared `JSONEncoder`'s (sorted keys, no escaped
/// slashes), without its per-value overhead.
protocol HandWrite {
    /// Throws where the encoder throws (a value it cannot write, such as a location off the
    /// map), instead of writing something else.
    func write(to out: inout JSONWriter) throws
}

extension ChangesetWire: HandWrite {
    func write(to out: inout JSONWriter) throws {
        out.raw("{\"changes\":[")
        for (index, change) in changes.enumerated() {
            if index > 0 { out.byte(UInt8(ascii: ",")) }
            try change.write(to: &out)
        }
        out.raw("],\"device\":")
        out.string(device)
        out.raw(",\"format\":")
        out.int(Int64(format))
        out.raw(",\"replica\":")
        out.string(replica.rawValue)
        out.raw(",\"schema\":")
        out.int(Int64(schema))
        out.raw(",\"user\":")
        out.string(user)
        out.byte(UInt8(ascii: "}"))
    }
}

extension ChangeWire {
    func write(to out: inout JSONWriter) throws {
        out.byte(UInt8(ascii: "{"))
        if let base {
            out.raw("\"base\":")
            try RowJSON.writeExactly(base, to: &out)
            out.byte(UInt8(ascii: ","))
        }
        out.raw("\"context\":")
        RowJSON.write(context, to: &out)
        out.raw(",\"counter\":")
        out.uint(counter)
        out.raw(",\"entity\":")
        out.string(entity)
        if let field {
            out.raw(",\"field\":")
            out.string(field)
        }
        out.raw(",\"hlc\":")
        out.int(hlc.packed)
        out.raw(",\"op\":")
        out.string(op)
        out.raw(",\"row\":")
        out.string(row)
        if let value {
            out.raw(",\"value\":")
            try RowJSON.writeExactly(value, to: &out)
        }
        if let values {
            out.raw(",\"values\":")
            try RowJSON.writeObject(values, to: &out) { value, out in try RowJSON.writeExactly(value, to: &out) }
        }
        out.raw(",\"wall\":")
        out.int(wall)
        out.byte(UInt8(ascii: "}"))
    }
}

extension MergeOutcome: HandWrite {
    func write(to out: inout JSONWriter) throws {
        switch self {
        case .applied: out.raw(Self.appliedJSON)
        default: out.append(bytes: Array(try WireJSON.encoder.encode(self)))
        }
    }
}

extension MergeOutcome {
    /// `applied` as the encoder writes it: nearly every outcome, kept and sent as these bytes.
    static let appliedJSON: StaticString = #"{"kind":"applied"}"#
}

extension RowJSON {
    /// A field value as the encoder writes it, or the encoder's error.
    static func writeExactly(_ value: FieldValue, to out: inout JSONWriter) throws {
        switch value {
        case .null, .text, .integer, .bool: write(value, to: &out)
        default: out.append(bytes: Array(try WireJSON.encoder.encode(value)))
        }
    }
}

extension PushResponse: HandWrite {
    func write(to out: inout JSONWriter) throws {
        out.raw("{\"highWater\":")
        out.uint(highWater)
        out.raw(",\"outcomes\":[")
        for (index, item) in outcomes.enumerated() {
            if index > 0 { out.byte(UInt8(ascii: ",")) }
            out.raw("{\"counter\":")
            out.uint(item.counter)
            out.raw(",\"outcome\":")
            try item.outcome.write(to: &out)
            out.byte(UInt8(ascii: "}"))
        }
        out.raw("]}")
    }
}
