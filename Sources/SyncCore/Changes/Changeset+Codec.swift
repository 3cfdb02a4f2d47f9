import Foundation

// MARK: - Wire form

/// The JSON form of a changeset (format 1), specified in `Protocol/README.md` and
/// `Protocol/schemas/changeset.schema.json`.
struct ChangesetWire: Codable {
    var format: Int
    var replica: ReplicaID
    var user: String
    var device: String
    var schema: Int
    var changes: [ChangeWire]
}

struct ChangeWire: Codable {
    var counter: UInt64
    var hlc: HLCTimestamp
    var wall: Int64
    var entity: String
    var row: String
    var context: VersionVector
    var op: String
    var values: [String: FieldValue]?
    var field: String?
    var value: FieldValue?
    var base: FieldValue?

    // `value` and `base` may be JSON null, which is a real value here; keep it apart from "absent".
    enum CodingKeys: String, CodingKey {
        case counter, hlc, wall, entity, row, context, op, values, field, value, base
    }

    init(
        counter: UInt64, hlc: HLCTimestamp, wall: Int64, entity: String, row: String, context: VersionVector, op: String,
        values: [String: FieldValue]?, field: String?, value: FieldValue?, base: FieldValue?
    ) {
        self.counter = counter
        self.hlc = hlc
        self.wall = wall
        self.entity = entity
        self.row = row
        self.context = context
        self.op = op
        self.values = values
        self.field = field
        self.value = value
        self.base = base
    }

    init(_ change: Change) {
        counter = change.dot.counter
        hlc = change.hlc
        wall = change.wallTime
        entity = change.entity
        row = change.rowID
        context = change.context
        op = change.operation.name
        switch change.operation {
        case let .insert(values): self.values = values
        case let .update(field, value, base):
            self.field = field
            self.value = value
            self.base = base
        case .delete: break
        }
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        counter = try c.decode(UInt64.self, forKey: .counter)
        hlc = try c.decode(HLCTimestamp.self, forKey: .hlc)
        wall = try c.decode(Int64.self, forKey: .wall)
        entity = try c.decode(String.self, forKey: .entity)
        row = try c.decode(String.self, forKey: .row)
        context = try c.decode(VersionVector.self, forKey: .context)
        op = try c.decode(String.self, forKey: .op)
        values = try c.decodeIfPresent([String: FieldValue].self, forKey: .values)
        field = try c.decodeIfPresent(String.self, forKey: .field)
        value = c.contains(.value) ? try c.decode(FieldValue.self, forKey: .value) : nil
        base = c.contains(.base) ? try c.decode(FieldValue.self, forKey: .base) : nil
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(counter, forKey: .counter)
        try c.encode(hlc, forKey: .hlc)
        try c.encode(wall, forKey: .wall)
        try c.encode(entity, forKey: .entity)
        try c.encode(row, forKey: .row)
        try c.encode(context, forKey: .context)
        try c.encode(op, forKey: .op)
        try c.encodeIfPresent(values, forKey: .values)
        try c.encodeIfPresent(field, forKey: .field)
        if let value { try c.encode(value, forKey: .value) }
        if let base { try c.encode(base, forKey: .base) }
    }

    func change(replica: ReplicaID) throws(ChangesetError) -> Change {
        let operation: Change.Operation
        switch op {
        case "insert":
            guard let values else { throw .malformed("insert \(counter) has no values") }
            operation = .insert(values)
        case "update":
            guard let field, let value else { throw .malformed("update \(counter) needs field and value") }
            operation = .update(field: field, value: value, base: base ?? .null)
        case "delete":
            operation = .delete
        default:
            throw .malformed("change \(counter) has unknown op '\(op)' (insert, update or delete)")
        }
        guard TextHygiene.isSafeID(entity), TextHygiene.isSafeID(row) else {
            throw .malformed(
                "change \(counter) needs an entity and a row id of 1 to 64 letters, digits, '-', '_', '.' or ':'")
        }
        return Change(
            dot: Dot(replica: replica, counter: counter), hlc: hlc, wallTime: wall, entity: entity, rowID: row,
            context: context, operation: operation)
    }
}

// MARK: - Codec

extension Changeset {
    /// Encodes the changeset as canonical JSON (sorted keys); `prettyPrinted` is the form the
    /// golden files in `Fixtures/changesets/` hold, so their diffs stay readable.
    public func jsonData(prettyPrinted: Bool = false) throws -> Data {
        let wire = ChangesetWire(
            format: Changeset.formatVersion, replica: replica, user: user, device: device, schema: schemaVersion,
            changes: changes.map(ChangeWire.init))
        return try prettyPrinted ? WireJSON.prettyEncoder.encode(wire) : WireJSON.data(wire)
    }

    /// Decodes and structurally checks a changeset from JSON.
    ///
    /// - Throws: ``ChangesetError`` for an unsupported format, malformed JSON, a change that
    ///   belongs to another replica, or counters that are not consecutive.
    public init(jsonData data: Data) throws(ChangesetError) {
        let wire: ChangesetWire
        do {
            wire = try WireJSON.decode(ChangesetWire.self, from: data)
        } catch {
            if let format = try? WireJSON.decoder.decode(FormatProbe.self, from: data).format,
                format != Changeset.formatVersion
            {
                throw .unsupportedFormat(format)
            }
            throw .malformed(WireJSON.describe(error))
        }
        guard wire.format == Changeset.formatVersion else { throw .unsupportedFormat(wire.format) }
        var changes: [Change] = []
        changes.reserveCapacity(wire.changes.count)
        for change in wire.changes {
            changes.append(try change.change(replica: wire.replica))
        }
        self.init(replica: wire.replica, user: wire.user, device: wire.device, schemaVersion: wire.schema, changes: changes)
        try validateStructure()
    }

    /// Encodes as JSON and compresses with zlib (the compact form for upload and storage).
    public func compressedData() throws -> Data {
        try Compression.deflate(jsonData(), format: .zlib)
    }

    /// Inflates (zlib or gzip) and decodes, refusing more than `limit` inflated bytes.
    public init(compressedData data: Data, limit: Int = 64 << 20) throws(ChangesetError) {
        try self.init(jsonData: Compression.inflate(data, limit: limit))
    }
}

private struct FormatProbe: Decodable {
    var format: Int
}

/// The JSON coders the wire uses: sorted keys, no escaped slashes.
public enum WireJSON {
    /// Shared: configured once and never changed, and safe to use from any thread.
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Sorted keys, indented: for golden files and examples people read.
    public static var prettyEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        return encoder
    }

    public static let decoder = JSONDecoder()

    /// Any Encodable as compact JSON text (how stores keep messages in a text column).
    public static func text(_ value: some Encodable) throws -> String {
        String(decoding: try data(value), as: UTF8.self)
    }

    /// Any Encodable as compact JSON, sorted keys: what the hot paths send and keep for every
    /// change (a changeset, a push's answer, an outcome) written by hand (``HandWrite``), the
    /// same bytes as ``encoder``'s; every other type through ``encoder``.
    public static func data(_ value: some Encodable) throws -> Data {
        guard let writing = value as? any HandWrite else { return try encoder.encode(value) }
        var out = JSONWriter(capacity: 1024)
        try writing.write(to: &out)
        return Data(out.bytes)
    }

    /// A value back from JSON text.
    public static func decode<T: Decodable>(_ type: T.Type, fromText text: String) throws -> T {
        if let reading = type as? any HandRead.Type,
            let value = try? JSONReader.read(text, { try reading.read(&$0) }) as? T
        {
            return value
        }
        return try decoder.decode(type, from: Data(text.utf8))
    }

    /// A value back from JSON. What the hub and the client decode for every row (a stored
    /// state, a page, a changeset) is read by hand (``HandRead``); anything the hand reader
    /// declines, and every other type, goes through `JSONDecoder`, whose errors users see.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        if let reading = type as? any HandRead.Type,
            let value = try? JSONReader.read(data, { try reading.read(&$0) }) as? T
        {
            return value
        }
        return try decoder.decode(type, from: data)
    }

    /// A one-line description of a decoding error, with the path to the bad value.
    public static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "" : " at \(keys.hasPrefix(".") ? String(keys.dropFirst()) : keys)"
        }
        switch error {
        case let .typeMismatch(type, context): return "expected \(type)\(path(context))"
        case let .valueNotFound(type, context): return "missing \(type)\(path(context))"
        case let .keyNotFound(key, context): return "missing key '\(key.stringValue)'\(path(context))"
        case let .dataCorrupted(context):
            let underlying = context.underlyingError.map { " (\(($0 as NSError).localizedDescription))" } ?? ""
            return "\(context.debugDescription)\(path(context))\(underlying)"
        @unknown default: return "\(error)"
        }
    }
}
