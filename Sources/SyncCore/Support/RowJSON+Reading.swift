import Foundation

/// A type read by hand on the hot paths, through ``WireJSON/decode(_:from:)``: what the hub
/// reads for every change (a stored row state, a pushed changeset) and what a laptop reads for
/// every row it pulls (a page). `JSONDecoder` builds a tree of the whole document and then walks
/// it through `Codable`'s containers, which cost more than the SQLite work of a change; these
/// read the bytes once. What ``JSONReader`` does not take (a location, a number with a fraction,
/// a layout it was not taught) is decoded by `JSONDecoder` instead, so the result and every
/// error are `JSONDecoder`'s.
protocol HandRead {
    /// Reads one value; throws ``JSONReader/Unreadable`` where `JSONDecoder` must decide.
    static func read(_ reader: inout JSONReader) throws -> Self
}

extension RowState: HandRead {
    static func read(_ reader: inout JSONReader) throws -> RowState { try RowJSON.readRowState(&reader) }
}

extension RowJSON {
    /// A row's state as ``rowState(_:)`` (or `RowState`'s `Codable`) wrote it.
    static func readRowState(_ reader: inout JSONReader) throws -> RowState {
        var entity: String?
        var id: String?
        var values: [String: FieldValue]?
        var stamps: [String: FieldStamp]?
        var members: [String: [String: Dot]]?
        var version: VersionVector?
        var deletedFlag: Bool?
        var deletedStamp: FieldStamp?
        var deletedBy: FieldStamp?
        try reader.object { reader, key in
            switch key {
            case "entity": entity = try reader.string()
            case "id": id = try reader.string()
            case "values": values = try readValues(&reader)
            case "stamps": stamps = try readStamps(&reader)
            case "members":
                if try !reader.null() {
                    var all: [String: [String: Dot]] = [:]
                    try reader.object { reader, field in
                        var dots: [String: Dot] = [:]
                        try reader.object { reader, member in dots[member] = try readDot(&reader) }
                        all[field] = dots
                    }
                    members = all
                }
            case "version": version = try readVersionVector(&reader)
            case "deleted":
                switch try reader.peek() {
                case UInt8(ascii: "t"), UInt8(ascii: "f"): deletedFlag = try reader.bool()
                case UInt8(ascii: "n"): _ = try reader.null()
                default: deletedStamp = try readStamp(&reader)
                }
            case "deletedBy": if try !reader.null() { deletedBy = try readStamp(&reader) }
            default: try reader.skipValue()
            }
        }
        guard let entity, let id, let values, let version else { throw JSONReader.Unreadable() }
        let deleted: FieldStamp?
        switch deletedFlag {
        case true?:
            guard let deletedBy else { throw JSONReader.Unreadable() }
            deleted = deletedBy
        case false?: deleted = nil
        case nil: deleted = deletedStamp
        }
        return RowState(
            entity: entity, id: id, values: values, stamps: stamps ?? [:], members: members ?? [:], version: version,
            deleted: deleted)
    }

    // MARK: - Parts

    /// A field value, as ``FieldValue``'s `Codable` reads it; a location goes to the fallback.
    static func readValue(_ reader: inout JSONReader) throws -> FieldValue {
        switch try reader.peek() {
        case UInt8(ascii: "n"):
            _ = try reader.null()
            return .null
        case UInt8(ascii: "\""): return .text(try reader.string())
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool(try reader.bool())
        case UInt8(ascii: "["):
            var members: [String] = []
            try reader.array { reader in members.append(try reader.string()) }
            return .stringSet(members)
        case UInt8(ascii: "{"):
            var minor: Int64?
            var currency: String?
            try reader.object { reader, key in
                switch key {
                case "minor": minor = try reader.int64()
                case "currency": currency = try reader.string()
                default: throw JSONReader.Unreadable()
                }
            }
            guard let minor, let currency else { throw JSONReader.Unreadable() }
            return .money(Money(minor: minor, currency: currency))
        default: return .integer(try reader.int64())
        }
    }

    static func readValues(_ reader: inout JSONReader) throws -> [String: FieldValue] {
        var values: [String: FieldValue] = [:]
        try reader.object { reader, key in values[key] = try readValue(&reader) }
        return values
    }

    static func readReplica(_ reader: inout JSONReader) throws -> ReplicaID {
        let text = try reader.string()
        guard ReplicaID.isValid(text) else { throw JSONReader.Unreadable() }
        return ReplicaID(text)
    }

    static func readVersionVector(_ reader: inout JSONReader) throws -> VersionVector {
        var counters: [ReplicaID: UInt64] = [:]
        try reader.object { reader, key in
            guard ReplicaID.isValid(key) else { throw JSONReader.Unreadable() }
            counters[ReplicaID(key)] = try reader.uint64()
        }
        return VersionVector(counters)
    }

    static func readHLC(_ reader: inout JSONReader) throws -> HLCTimestamp {
        let packed = try reader.int64()
        guard packed >= 0 else { throw JSONReader.Unreadable() }
        return HLCTimestamp(packed: packed)
    }

    static func readDot(_ reader: inout JSONReader) throws -> Dot {
        var replica: ReplicaID?
        var counter: UInt64?
        try reader.object { reader, key in
            switch key {
            case "replica": replica = try readReplica(&reader)
            case "counter": counter = try reader.uint64()
            default: try reader.skipValue()
            }
        }
        guard let replica, let counter else { throw JSONReader.Unreadable() }
        return Dot(replica: replica, counter: counter)
    }

    static func readStamp(_ reader: inout JSONReader) throws -> FieldStamp {
        try readStamp(&reader, group: false).stamp
    }

    /// A stamp object; for a stamp group of ``FieldStamps`` (`group`), also the fields it covers.
    static func readStamp(_ reader: inout JSONReader, group: Bool) throws -> (stamp: FieldStamp, fields: [String]?) {
        var dot: Dot?
        var hlc: HLCTimestamp?
        var wall: Int64?
        var user: String?
        var device: String?
        var merged: [Dot] = []
        var fields: [String]?
        try reader.object { reader, key in
            switch key {
            case "dot": dot = try readDot(&reader)
            case "hlc": hlc = try readHLC(&reader)
            case "wall": wall = try reader.int64()
            case "user": user = try reader.string()
            case "device": device = try reader.string()
            case "merged":
                if try !reader.null() { try reader.array { reader in merged.append(try readDot(&reader)) } }
            case "fields" where group:
                var list: [String] = []
                try reader.array { reader in list.append(try reader.string()) }
                fields = list
            default: try reader.skipValue()
            }
        }
        guard let dot, let hlc, let wall, let user, let device else { throw JSONReader.Unreadable() }
        return (FieldStamp(dot: dot, hlc: hlc, wall: wall, user: user, device: device, merged: merged), fields)
    }

    /// A row's stamps in either form ``FieldStamps`` reads; nil for null.
    static func readStamps(_ reader: inout JSONReader) throws -> [String: FieldStamp]? {
        var stamps: [String: FieldStamp] = [:]
        switch try reader.peek() {
        case UInt8(ascii: "n"):
            _ = try reader.null()
            return nil
        case UInt8(ascii: "["):
            try reader.array { reader in
                let (stamp, fields) = try readStamp(&reader, group: true)
                guard let fields else { throw JSONReader.Unreadable() }
                for field in fields { stamps[field] = stamp }
            }
        default:
            try reader.object { reader, field in stamps[field] = try readStamp(&reader) }
        }
        return stamps
    }
}


// MARK: - Changesets

extension ChangesetWire: HandRead {
    static func read(_ reader: inout JSONReader) throws -> ChangesetWire {
        var format: Int?
        var replica: ReplicaID?
        var user: String?
        var device: String?
        var schema: Int?
        var changes: [ChangeWire]?
        try reader.object { reader, key in
            switch key {
            case "format": format = Int(exactly: try reader.int64())
            case "replica": replica = try RowJSON.readReplica(&reader)
            case "user": user = try reader.string()
            case "device": device = try reader.string()
            case "schema": schema = Int(exactly: try reader.int64())
            case "changes":
                var list: [ChangeWire] = []
                try reader.array { reader in list.append(try ChangeWire.read(&reader)) }
                changes = list
            default: try reader.skipValue()
            }
        }
        guard let format, let replica, let user, let device, let schema, let changes else {
            throw JSONReader.Unreadable()
        }
        return ChangesetWire(format: format, replica: replica, user: user, device: device, schema: schema, changes: changes)
    }
}

extension ChangeWire {
    static func read(_ reader: inout JSONReader) throws -> ChangeWire {
        var counter: UInt64?
        var hlc: HLCTimestamp?
        var wall: Int64?
        var entity: String?
        var row: String?
        var context: VersionVector?
        var op: String?
        var values: [String: FieldValue]?
        var field: String?
        var value: FieldValue?
        var base: FieldValue?
        try reader.object { reader, key in
            switch key {
            case "counter": counter = try reader.uint64()
            case "hlc": hlc = try RowJSON.readHLC(&reader)
            case "wall": wall = try reader.int64()
            case "entity": entity = try reader.string()
            case "row": row = try reader.string()
            case "context": context = try RowJSON.readVersionVector(&reader)
            case "op": op = try reader.string()
            case "values": if try !reader.null() { values = try RowJSON.readValues(&reader) }
            case "field": if try !reader.null() { field = try reader.string() }
            // `value` and `base` may be JSON null, which is a real value here.
            case "value": value = try RowJSON.readValue(&reader)
            case "base": base = try RowJSON.readValue(&reader)
            default: try reader.skipValue()
            }
        }
        guard let counter, let hlc, let wall, let entity, let row, let context, let op else {
            throw JSONReader.Unreadable()
        }
        return ChangeWire(
            counter: counter, hlc: hlc, wall: wall, entity: entity, row: row, context: context, op: op, values: values,
            field: field, value: value, base: base)
    }
}

// MARK: - Pages

extension RowSnapshot: HandRead {
    /// A row of a page: a stored state with its `seq` spliced in front (`members` and
    /// `deletedBy` are the hub's own and skipped).
    static func read(_ reader: inout JSONReader) throws -> RowSnapshot {
        var entity: String?
        var id: String?
        var seq: Int64?
        var values: [String: FieldValue]?
        var version: VersionVector?
        var deleted: Bool?
        var stamps: [String: FieldStamp]?
        try reader.object { reader, key in
            switch key {
            case "entity": entity = try reader.string()
            case "id": id = try reader.string()
            case "seq": seq = try reader.int64()
            case "values": values = try RowJSON.readValues(&reader)
            case "version": version = try RowJSON.readVersionVector(&reader)
            case "deleted": deleted = try reader.bool()
            case "stamps": stamps = try RowJSON.readStamps(&reader)
            default: try reader.skipValue()
            }
        }
        guard let entity, let id, let seq, let values, let version, let deleted else { throw JSONReader.Unreadable() }
        return RowSnapshot(
            entity: entity, id: id, seq: seq, values: values, version: version, deleted: deleted, stamps: stamps)
    }

    static func readRows(_ reader: inout JSONReader) throws -> [RowSnapshot] {
        var rows: [RowSnapshot] = []
        try reader.array { reader in rows.append(try read(&reader)) }
        return rows
    }
}

extension PullResponse: HandRead {
    static func read(_ reader: inout JSONReader) throws -> PullResponse {
        var rows: [RowSnapshot]?
        var table: [RowSnapshot]?
        var cursor: Int64?
        var hasMore: Bool?
        var departed: [Departure]?
        var redirects: [Redirect]?
        var highWater: UInt64?
        var schema: SchemaUpdate?
        try reader.object { reader, key in
            switch key {
            case "rows" where table == nil: rows = try RowSnapshot.readRows(&reader)
            case "table":
                table = try RowTable.read(&reader)
                rows = table
            case "cursor": cursor = try reader.int64()
            case "hasMore": hasMore = try reader.bool()
            // Rare, and small: the decoder reads them from their own bytes.
            case "departed": departed = try reader.null() ? nil : try reader.decodeValue([Departure].self)
            case "redirects": redirects = try reader.null() ? nil : try reader.decodeValue([Redirect].self)
            case "highWater": highWater = try reader.null() ? nil : try reader.uint64()
            case "schema": schema = try reader.null() ? nil : try reader.decodeValue(SchemaUpdate.self)
            default: try reader.skipValue()
            }
        }
        guard let rows, let cursor, let hasMore else { throw JSONReader.Unreadable() }
        return PullResponse(
            rows: rows, cursor: cursor, hasMore: hasMore, departed: departed, redirects: redirects, highWater: highWater,
            schema: schema)
    }
}

extension BootstrapResponse: HandRead {
    static func read(_ reader: inout JSONReader) throws -> BootstrapResponse {
        var rows: [RowSnapshot]?
        var table: [RowSnapshot]?
        var snapshot: Int64?
        var after: Int64?
        var hasMore: Bool?
        var schema: SchemaUpdate?
        try reader.object { reader, key in
            switch key {
            case "rows" where table == nil: rows = try RowSnapshot.readRows(&reader)
            case "table":
                table = try RowTable.read(&reader)
                rows = table
            case "schema": schema = try reader.null() ? nil : try reader.decodeValue(SchemaUpdate.self)
            case "snapshot": snapshot = try reader.int64()
            case "after": after = try reader.int64()
            case "hasMore": hasMore = try reader.bool()
            default: try reader.skipValue()
            }
        }
        guard let rows, let snapshot, let after, let hasMore else { throw JSONReader.Unreadable() }
        var response = BootstrapResponse(rows: rows, snapshot: snapshot, after: after, hasMore: hasMore)
        response.schema = schema
        return response
    }
}

// MARK: - A laptop's outbox and its answers

extension FieldValue: HandRead {
    static func read(_ reader: inout JSONReader) throws -> FieldValue { try RowJSON.readValue(&reader) }
}

extension VersionVector: HandRead {
    static func read(_ reader: inout JSONReader) throws -> VersionVector { try RowJSON.readVersionVector(&reader) }
}

extension Dictionary: HandRead where Key == String, Value == FieldValue {
    static func read(_ reader: inout JSONReader) throws -> [String: FieldValue] { try RowJSON.readValues(&reader) }
}

extension PushResponse: HandRead {
    /// The answer to a push: an `applied` outcome (nearly every one) is read by hand, any other
    /// (its conflict, its rejection) by `JSONDecoder` from its own bytes.
    static func read(_ reader: inout JSONReader) throws -> PushResponse {
        var outcomes: [ChangeOutcome]?
        var highWater: UInt64?
        try reader.object { reader, key in
            switch key {
            case "highWater": highWater = try reader.uint64()
            case "outcomes":
                var list: [ChangeOutcome] = []
                try reader.array { reader in
                    var counter: UInt64?
                    var outcome: MergeOutcome?
                    try reader.object { reader, key in
                        switch key {
                        case "counter": counter = try reader.uint64()
                        case "outcome":
                            let bytes = try reader.rawValue { try $0.skipValue() }
                            outcome =
                                bytes.elementsEqual(
                                    UnsafeBufferPointer(
                                        start: MergeOutcome.appliedJSON.utf8Start,
                                        count: MergeOutcome.appliedJSON.utf8CodeUnitCount))
                                ? .applied : try WireJSON.decoder.decode(MergeOutcome.self, from: Data(bytes))
                        default: try reader.skipValue()
                        }
                    }
                    guard let counter, let outcome else { throw JSONReader.Unreadable() }
                    list.append(ChangeOutcome(counter: counter, outcome: outcome))
                }
                outcomes = list
            default: try reader.skipValue()
            }
        }
        guard let outcomes, let highWater else { throw JSONReader.Unreadable() }
        return PushResponse(outcomes: outcomes, highWater: highWater)
    }
}
