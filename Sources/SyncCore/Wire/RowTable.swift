/// How a pull or bootstrap page lays out its rows.
///
/// `rows`, the first layout, writes every row as a whole object, as the hub stores it: each row
/// repeats its field names, its stamps' replica ids, users and devices, and its whole version
/// vector. `table` (``RowTable``) writes what repeats once per page and each row as an array;
/// the benchmark's compressed bootstrap is 28 % smaller so (1.19 × the zlib'd raw rows instead of
/// 1.65 ×; Docs/performance.md). A laptop asks for it with
/// `layout=table`; a server that does not know the parameter answers `rows`, and a laptop reads
/// both.
public enum PageLayout: String, Sendable {
    case rows
    case table
}

/// The columnar layout of a page's rows, the `table` member of a pull or bootstrap page:
///
/// ```
/// {"replicas": ["hub-7e16…", "bench-rep-33"],
///  "writers":  [["import", "server"], ["rep-33", "laptop"]],
///  "entities": [["account", ["city", "credit_limit", "name", …]]],
///  "rows": [[0, "acc-00000", 1796652303766015, false, ["Austin", 1113298, "Delta Labs", …],
///            [1, 156],
///            [[0, 1, 1796652303766, 0, 0, [0, 2]], [1, 82, 1736163601079, 0, 1, [1]]]]]}
/// ```
///
/// A row is `[entity, id, seq, deleted, values, version, stamps]`:
/// - `entity` indexes `entities`, whose entry names the record type and the fields this page
///   carries for it; `values` follows that field list (null where the row has no value; a null
///   and an absent field mean the same to a replica, so a reader drops nulls).
/// - `seq` is the row's sequence number less the previous row's in the page (the first row's is
///   itself). Rows keep their page order.
/// - `version` lists pairs `replica, counter` for the entries of the version vector that its
///   stamps do not imply: each stamp's dot implies its replica's entry up to that counter, and a
///   pair overrides it (a counter of 0 removes the entry).
/// - `stamps` is null, or one array per group of fields sharing a stamp:
///   `[replica, counter, wall, hlc, writer, fields]` and, for a value combined from concurrent
///   writes, `merged` as pairs `replica, counter`. `hlc` is the packed clock reading less
///   `wall` × 2¹⁶ (wrapping), so 0 when the reading was the wall time itself; `writer` indexes
///   `writers` (user, device); `fields` index the entity's field list.
///
/// Every index must point into its list, and a pair list has an even length; otherwise the page
/// does not decode.
public enum RowTable {
    /// The table of `rows`, as JSON text.
    public static func json(_ rows: [RowSnapshot]) -> String {
        write(rows.map(Entry.init))
    }

    /// The table of rows given as the hub stores them (``RowJSON/rowState(_:)``, with the row's
    /// sequence number): the same text as ``json(_:)`` of their snapshots, each state read once
    /// without building a state or a value. A state it does not take so (an older layout, a
    /// value only `JSONDecoder` reads, such as a location) goes to `decode`, row by row; without
    /// `decode` it throws ``JSONReader/Unreadable``.
    public static func json(
        states: [(seq: Int64, state: String)], otherwise decode: ((Int64, String) throws -> RowSnapshot)? = nil
    ) throws -> String {
        write(
            try states.map { item in
                do {
                    return try JSONReader.read(item.state) { reader in try Entry.read(&reader, seq: item.seq) }
                } catch let declined as JSONReader.Unreadable {
                    guard let decode else { throw declined }
                    return Entry(try decode(item.seq, item.state))
                }
            })
    }

    /// One row, ready to be written: its values already JSON.
    struct Entry {
        var entity: String
        var id: String
        var seq: Int64
        var deleted: Bool
        var values: [(name: String, json: [UInt8])]
        var version: [ReplicaID: UInt64]
        /// Nil when the row carries no stamps.
        var groups: [FieldStamps.Group]?

    }

    private static func write(_ rows: [Entry]) -> String {
        var replicas = Index<ReplicaID>()
        var writers = Index<Writer>()
        var entities = Index<String>()
        var fieldNames: [String: Set<String>] = [:]
        // The rows of an entity nearly all carry the same names, in the same (sorted) order: a
        // row whose names are the ones last met for its entity adds none, and comparing them
        // costs less than hashing each into the set (a bootstrap page is 2,000 rows).
        var lastNames: [String: [String]] = [:]
        for row in rows {
            entities.insert(row.entity)
            var names = row.values.map(\.name)
            for group in row.groups ?? [] { names += group.fields }
            guard lastNames[row.entity] != names else { continue }
            fieldNames[row.entity, default: []].formUnion(names)
            lastNames[row.entity] = names
        }
        let fields = fieldNames.mapValues { $0.sorted() }
        let fieldIndex = fields.mapValues { names in
            Dictionary(uniqueKeysWithValues: names.enumerated().map { ($0.element, $0.offset) })
        }

        var body = JSONWriter(capacity: rows.count * 200)
        var previousSeq: Int64 = 0
        var cells: [[UInt8]?] = []
        // Each entity's last row's value names and their columns, reused while they repeat.
        var lastSlots: [String: (names: [String], slots: [Int])] = [:]
        for (position, row) in rows.enumerated() {
            if position > 0 { body.byte(UInt8(ascii: ",")) }
            let index = fieldIndex[row.entity] ?? [:]
            body.byte(UInt8(ascii: "["))
            body.uint(UInt64(entities.insert(row.entity)))
            body.byte(UInt8(ascii: ","))
            body.string(row.id)
            body.byte(UInt8(ascii: ","))
            body.int(row.seq &- previousSeq)
            previousSeq = row.seq
            body.byte(UInt8(ascii: ","))
            body.bool(row.deleted)
            body.raw(",[")
            cells.removeAll(keepingCapacity: true)
            cells.append(contentsOf: repeatElement(nil, count: index.count))
            let slots: [Int]
            if let last = lastSlots[row.entity], last.names.count == row.values.count,
                zip(last.names, row.values).allSatisfy({ $0 == $1.name })
            {
                slots = last.slots
            } else {
                slots = row.values.map { index[$0.name]! }
                lastSlots[row.entity] = (row.values.map(\.name), slots)
            }
            for (value, slot) in zip(row.values, slots) { cells[slot] = value.json }
            for (offset, cell) in cells.enumerated() {
                if offset > 0 { body.byte(UInt8(ascii: ",")) }
                if let cell { body.append(bytes: cell) } else { body.raw("null") }
            }
            body.raw("],[")
            var implied: [ReplicaID: UInt64] = [:]
            for group in row.groups ?? [] {
                implied[group.stamp.dot.replica] = max(implied[group.stamp.dot.replica] ?? 0, group.stamp.dot.counter)
            }
            var pairs: [(ReplicaID, UInt64)] = []
            for (replica, counter) in row.version where implied[replica] != counter {
                pairs.append((replica, counter))
            }
            for (replica, _) in implied where row.version[replica] == nil { pairs.append((replica, 0)) }
            pairs.sort { $0.0.rawValue < $1.0.rawValue }
            for (offset, pair) in pairs.enumerated() {
                if offset > 0 { body.byte(UInt8(ascii: ",")) }
                body.uint(UInt64(replicas.insert(pair.0)))
                body.byte(UInt8(ascii: ","))
                body.uint(pair.1)
            }
            body.raw("],")
            if let groups = row.groups {
                body.byte(UInt8(ascii: "["))
                for (offset, group) in groups.enumerated() {
                    if offset > 0 { body.byte(UInt8(ascii: ",")) }
                    let stamp = group.stamp
                    body.byte(UInt8(ascii: "["))
                    body.uint(UInt64(replicas.insert(stamp.dot.replica)))
                    body.byte(UInt8(ascii: ","))
                    body.uint(stamp.dot.counter)
                    body.byte(UInt8(ascii: ","))
                    body.int(stamp.wall)
                    body.byte(UInt8(ascii: ","))
                    body.int(stamp.hlc.packed &- (stamp.wall &<< 16))
                    body.byte(UInt8(ascii: ","))
                    body.uint(UInt64(writers.insert(Writer(user: stamp.user, device: stamp.device))))
                    body.raw(",[")
                    for (offset, field) in group.fields.map({ index[$0]! }).sorted().enumerated() {
                        if offset > 0 { body.byte(UInt8(ascii: ",")) }
                        body.uint(UInt64(field))
                    }
                    body.byte(UInt8(ascii: "]"))
                    if !stamp.merged.isEmpty {
                        body.raw(",[")
                        for (offset, dot) in stamp.merged.enumerated() {
                            if offset > 0 { body.byte(UInt8(ascii: ",")) }
                            body.uint(UInt64(replicas.insert(dot.replica)))
                            body.byte(UInt8(ascii: ","))
                            body.uint(dot.counter)
                        }
                        body.byte(UInt8(ascii: "]"))
                    }
                    body.byte(UInt8(ascii: "]"))
                }
                body.byte(UInt8(ascii: "]"))
            } else {
                body.raw("null")
            }
            body.byte(UInt8(ascii: "]"))
        }

        var out = JSONWriter(capacity: body.bytes.count + 4096)
        out.raw(#"{"replicas":["#)
        for (offset, replica) in replicas.items.enumerated() {
            if offset > 0 { out.byte(UInt8(ascii: ",")) }
            out.string(replica.rawValue)
        }
        out.raw(#"],"writers":["#)
        for (offset, writer) in writers.items.enumerated() {
            if offset > 0 { out.byte(UInt8(ascii: ",")) }
            out.byte(UInt8(ascii: "["))
            out.string(writer.user)
            out.byte(UInt8(ascii: ","))
            out.string(writer.device)
            out.byte(UInt8(ascii: "]"))
        }
        out.raw(#"],"entities":["#)
        for (offset, entity) in entities.items.enumerated() {
            if offset > 0 { out.byte(UInt8(ascii: ",")) }
            out.byte(UInt8(ascii: "["))
            out.string(entity)
            out.raw(",[")
            for (offset, name) in (fields[entity] ?? []).enumerated() {
                if offset > 0 { out.byte(UInt8(ascii: ",")) }
                out.string(name)
            }
            out.raw("]]")
        }
        out.raw(#"],"rows":["#)
        out.append(body)
        out.raw("]}")
        return out.text
    }

    private struct Writer: Hashable {
        var user: String
        var device: String
    }

    /// Items numbered in the order they are first met.
    private struct Index<Item: Hashable> {
        private(set) var items: [Item] = []
        private var numbers: [Item: Int] = [:]

        @discardableResult
        mutating func insert(_ item: Item) -> Int {
            if let number = numbers[item] { return number }
            numbers[item] = items.count
            items.append(item)
            return items.count - 1
        }
    }
}

// MARK: - From a stored state

extension RowTable.Entry {
    /// A stored row state, as ``RowJSON/rowState(_:)`` writes it: read for what a page carries,
    /// each value kept as its JSON. Declines (``JSONReader/Unreadable``) what
    /// ``RowJSON/readRowState(_:)`` would decline in the members a page carries, and stamps in
    /// the older layout (an object of field to stamp) or in groups that ``FieldStamps/groups(_:)``
    /// would not have written. `members`, the hub's own, is not sent and only skipped (the `rows`
    /// layout's splice does not read it either).
    static func read(_ reader: inout JSONReader, seq: Int64) throws -> RowTable.Entry {
        var entity: String?
        var id: String?
        var values: [(name: String, json: [UInt8])]?
        var version: [ReplicaID: UInt64]?
        var groups: [FieldStamps.Group]?
        var deletedFlag: Bool?
        var deletedBy = false
        try reader.object { reader, key in
            switch key {
            case "entity": entity = try reader.string()
            case "id": id = try reader.string()
            case "values":
                var list: [(name: String, json: [UInt8])] = []
                try reader.object { reader, name in
                    // Only what the hand reader takes, so a value `JSONDecoder` must read (a
                    // location, a fraction) sends the page down the decoding path.
                    let json = try reader.rawValue { reader in _ = try RowJSON.readValue(&reader) }
                    list.append((name, json))
                }
                values = list
            case "stamps":
                guard try reader.peek() == UInt8(ascii: "[") else { throw JSONReader.Unreadable() }
                var list: [FieldStamps.Group] = []
                try reader.array { reader in
                    let (stamp, fields) = try RowJSON.readStamp(&reader, group: true)
                    guard let fields, !fields.isEmpty else { throw JSONReader.Unreadable() }
                    list.append(FieldStamps.Group(fields: fields, stamp: stamp))
                }
                groups = list
            case "version": version = try RowJSON.readVersionVector(&reader).counters
            case "deleted":
                guard try reader.peek() != UInt8(ascii: "{") else { throw JSONReader.Unreadable() }
                if try !reader.null() { deletedFlag = try reader.bool() }
            case "deletedBy":
                if try !reader.null() {
                    _ = try RowJSON.readStamp(&reader)
                    deletedBy = true
                }
            default: try reader.skipValue()
            }
        }
        guard let entity, let id, let values, let version, deletedFlag != true || deletedBy else {
            throw JSONReader.Unreadable()
        }
        // Groups as ``FieldStamps/groups(_:)`` writes them: distinct stamps, each field once,
        // fields sorted, groups by their first field. Anything else is left to the decoder,
        // which folds them into one stamp per field.
        if let groups {
            for (offset, group) in groups.enumerated() {
                guard zip(group.fields, group.fields.dropFirst()).allSatisfy({ $0 < $1 }),
                    groups[..<offset].allSatisfy({ Self.disjoint($0.fields, group.fields) }),
                    offset == 0 || groups[offset - 1].fields[0] < group.fields[0],
                    !groups[..<offset].contains(where: { $0.stamp == group.stamp })
                else { throw JSONReader.Unreadable() }
            }
        }
        return RowTable.Entry(
            entity: entity, id: id, seq: seq, deleted: deletedFlag == true, values: values, version: version,
            groups: groups ?? [])
    }
}

extension RowTable.Entry {
    /// Whether two ascending lists share no item: one walk down both (a row has a few groups of
    /// a few fields; a set would hash every field).
    static func disjoint(_ first: [String], _ second: [String]) -> Bool {
        var (i, j) = (0, 0)
        while i < first.count, j < second.count {
            if first[i] == second[j] { return false }
            if first[i] < second[j] { i += 1 } else { j += 1 }
        }
        return true
    }

    /// A row snapshot, each value written as JSON (the memberwise initializer stays, for
    /// ``read(_:seq:)``).
    init(_ row: RowSnapshot) {
        self.init(
            entity: row.entity, id: row.id, seq: row.seq, deleted: row.deleted,
            values: row.values.map { name, value in
                var out = JSONWriter(capacity: 16)
                RowJSON.write(value, to: &out)
                return (name, out.bytes)
            },
            version: row.version.counters, groups: row.stamps.map(FieldStamps.groups))
    }
}

// MARK: - Reading

extension RowTable {
    /// The rows of a table, by hand; throws ``JSONReader/Unreadable`` where `JSONDecoder` must
    /// decide (see ``Decoded``).
    static func read(_ reader: inout JSONReader) throws -> [RowSnapshot] {
        var replicas: [ReplicaID]?
        var writers: [(user: String, device: String)]?
        var entities: [(name: String, fields: [String])]?
        var rows: [RowSnapshot]?
        var failed = false
        try reader.object { reader, key in
            switch key {
            case "replicas":
                var list: [ReplicaID] = []
                try reader.array { reader in list.append(try RowJSON.readReplica(&reader)) }
                replicas = list
            case "writers":
                var list: [(String, String)] = []
                try reader.array { reader in
                    var pair: [String] = []
                    try reader.array { reader in pair.append(try reader.string()) }
                    guard pair.count == 2 else { throw JSONReader.Unreadable() }
                    list.append((pair[0], pair[1]))
                }
                writers = list
            case "entities":
                var list: [(String, [String])] = []
                try reader.array { reader in
                    var name: String?
                    var fields: [String]?
                    var position = 0
                    try reader.array { reader in
                        switch position {
                        case 0: name = try reader.string()
                        case 1:
                            var names: [String] = []
                            try reader.array { reader in names.append(try reader.string()) }
                            fields = names
                        default: throw JSONReader.Unreadable()
                        }
                        position += 1
                    }
                    guard let name, let fields else { throw JSONReader.Unreadable() }
                    list.append((name, fields))
                }
                entities = list
            case "rows":
                // The lists a row points into come first in every table this code writes; a
                // table written otherwise goes to the decoder.
                guard let replicas, let writers, let entities else {
                    failed = true
                    try reader.skipValue()
                    return
                }
                var list: [RowSnapshot] = []
                var seq: Int64 = 0
                try reader.array { reader in
                    list.append(try readRow(&reader, seq: &seq, replicas: replicas, writers: writers, entities: entities))
                }
                rows = list
            default: try reader.skipValue()
            }
        }
        guard !failed, let rows else { throw JSONReader.Unreadable() }
        return rows
    }

    private static func readRow(
        _ reader: inout JSONReader, seq: inout Int64, replicas: [ReplicaID],
        writers: [(user: String, device: String)], entities: [(name: String, fields: [String])]
    ) throws -> RowSnapshot {
        func item<T>(_ list: [T], _ number: UInt64) throws -> T {
            guard number < list.count else { throw JSONReader.Unreadable() }
            return list[Int(number)]
        }
        var entity: (name: String, fields: [String])?
        var id: String?
        var deleted: Bool?
        var values: [String: FieldValue] = [:]
        var pairs: [(ReplicaID, UInt64)] = []
        var stamps: [String: FieldStamp]?
        var position = 0
        try reader.array { reader in
            switch position {
            case 0: entity = try item(entities, try reader.uint64())
            case 1: id = try reader.string()
            case 2: seq = seq &+ (try reader.int64())
            case 3: deleted = try reader.bool()
            case 4:
                guard let fields = entity?.fields else { throw JSONReader.Unreadable() }
                values.reserveCapacity(fields.count)
                var index = 0
                try reader.array { reader in
                    let value = try RowJSON.readValue(&reader)
                    let name = try item(fields, UInt64(index))
                    if value != .null { values[name] = value }
                    index += 1
                }
                guard index == fields.count else { throw JSONReader.Unreadable() }
            case 5: pairs = try readPairs(&reader, replicas: replicas)
            case 6:
                guard let fields = entity?.fields else { throw JSONReader.Unreadable() }
                guard try !reader.null() else { break }
                // Sized for a stamp a field, and each group's members read into locals: a
                // bootstrap reads some hundred thousand of them.
                var map: [String: FieldStamp] = [:]
                map.reserveCapacity(fields.count)
                try reader.array { reader in
                    var replica: UInt64 = 0, counter: UInt64 = 0, wall: Int64 = 0, logical: Int64 = 0, writer: UInt64 = 0
                    var covered: [String] = []
                    var merged: [Dot] = []
                    var part = 0
                    try reader.array { reader in
                        switch part {
                        case 0: replica = try reader.uint64()
                        case 1: counter = try reader.uint64()
                        case 2: wall = try reader.int64()
                        case 3: logical = try reader.int64()
                        case 4: writer = try reader.uint64()
                        case 5: try reader.array { reader in covered.append(try item(fields, try reader.uint64())) }
                        case 6: merged = try readPairs(&reader, replicas: replicas).map { Dot(replica: $0.0, counter: $0.1) }
                        default: throw JSONReader.Unreadable()
                        }
                        part += 1
                    }
                    guard part >= 6 else { throw JSONReader.Unreadable() }
                    let author = try item(writers, writer)
                    let packed = logical &+ (wall &<< 16)
                    guard packed >= 0 else { throw JSONReader.Unreadable() }
                    let stamp = FieldStamp(
                        dot: Dot(replica: try item(replicas, replica), counter: counter),
                        hlc: HLCTimestamp(packed: packed), wall: wall, user: author.user, device: author.device,
                        merged: merged)
                    for field in covered { map[field] = stamp }
                }
                stamps = map
            default: throw JSONReader.Unreadable()
            }
            position += 1
        }
        guard position == 7, let entity, let id, let deleted else { throw JSONReader.Unreadable() }
        return RowSnapshot(
            entity: entity.name, id: id, seq: seq, values: values,
            version: Self.version(pairs, stamps: stamps), deleted: deleted, stamps: stamps)
    }

    private static func readPairs(_ reader: inout JSONReader, replicas: [ReplicaID]) throws -> [(ReplicaID, UInt64)] {
        var numbers: [UInt64] = []
        try reader.array { reader in numbers.append(try reader.uint64()) }
        guard numbers.count % 2 == 0 else { throw JSONReader.Unreadable() }
        return try stride(from: 0, to: numbers.count, by: 2).map { index in
            guard numbers[index] < replicas.count else { throw JSONReader.Unreadable() }
            return (replicas[Int(numbers[index])], numbers[index + 1])
        }
    }

    /// The version vector its stamps imply, with `pairs` over it.
    static func version(_ pairs: [(ReplicaID, UInt64)], stamps: [String: FieldStamp]?) -> VersionVector {
        var counters: [ReplicaID: UInt64] = [:]
        for stamp in (stamps ?? [:]).values {
            counters[stamp.dot.replica] = max(counters[stamp.dot.replica] ?? 0, stamp.dot.counter)
        }
        for (replica, counter) in pairs { counters[replica] = counter == 0 ? nil : counter }
        return VersionVector(counters)
    }
}

// MARK: - Reading through the decoder

extension RowTable {
    /// A table read through `Codable`: what the hand reader declines (a location value, a number
    /// with a fraction, members in another order) and every error message.
    struct Decoded: Decodable {
        var rows: [RowSnapshot]

        private enum CodingKeys: String, CodingKey { case replicas, writers, entities, rows }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let replicas = try c.decode([String].self, forKey: .replicas).map { text in
                guard ReplicaID.isValid(text) else {
                    throw DecodingError.dataCorruptedError(
                        forKey: .replicas, in: c, debugDescription: "a replica id is 1 to 64 characters")
                }
                return ReplicaID(text)
            }
            let writers = try c.decode([[String]].self, forKey: .writers)
            guard writers.allSatisfy({ $0.count == 2 }) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .writers, in: c, debugDescription: "a writer is a pair of user and device")
            }
            var entities: [(name: String, fields: [String])] = []
            var list = try c.nestedUnkeyedContainer(forKey: .entities)
            while !list.isAtEnd {
                var entry = try list.nestedUnkeyedContainer()
                let name = try entry.decode(String.self)
                let fields = try entry.decode([String].self)
                guard entry.isAtEnd else { throw Self.corrupt(entry, "an entity is a name and a field list") }
                entities.append((name, fields))
            }
            var rows: [RowSnapshot] = []
            var seq: Int64 = 0
            var container = try c.nestedUnkeyedContainer(forKey: .rows)
            while !container.isAtEnd {
                var row = try container.nestedUnkeyedContainer()
                let entity = try Self.item(entities, try row.decode(UInt64.self), in: row)
                let id = try row.decode(String.self)
                seq = seq &+ (try row.decode(Int64.self))
                let deleted = try row.decode(Bool.self)
                let cells = try row.decode([FieldValue].self)
                guard cells.count == entity.fields.count else {
                    throw Self.corrupt(row, "a row has one value for each of its entity's fields")
                }
                var values: [String: FieldValue] = [:]
                for (name, value) in zip(entity.fields, cells) where value != .null { values[name] = value }
                let pairs = try Self.pairs(try row.decode([UInt64].self), replicas: replicas, in: row)
                var stamps: [String: FieldStamp]?
                if try !row.decodeNil() {
                    var map: [String: FieldStamp] = [:]
                    var groups = try row.nestedUnkeyedContainer()
                    while !groups.isAtEnd {
                        var group = try groups.nestedUnkeyedContainer()
                        let replica = try Self.item(replicas, try group.decode(UInt64.self), in: group)
                        let counter = try group.decode(UInt64.self)
                        let wall = try group.decode(Int64.self)
                        let packed = (try group.decode(Int64.self)) &+ (wall &<< 16)
                        guard packed >= 0 else { throw Self.corrupt(group, "a clock reading is not negative") }
                        let writer = try Self.item(writers, try group.decode(UInt64.self), in: group)
                        let covered = try group.decode([UInt64].self).map { try Self.item(entity.fields, $0, in: group) }
                        let merged =
                            group.isAtEnd
                            ? [] : try Self.pairs(try group.decode([UInt64].self), replicas: replicas, in: group).map {
                                Dot(replica: $0.0, counter: $0.1)
                            }
                        guard group.isAtEnd else { throw Self.corrupt(group, "a stamp has at most seven members") }
                        let stamp = FieldStamp(
                            dot: Dot(replica: replica, counter: counter), hlc: HLCTimestamp(packed: packed), wall: wall,
                            user: writer[0], device: writer[1], merged: merged)
                        for field in covered { map[field] = stamp }
                    }
                    stamps = map
                }
                guard row.isAtEnd else { throw Self.corrupt(row, "a row has seven members") }
                rows.append(
                    RowSnapshot(
                        entity: entity.name, id: id, seq: seq, values: values,
                        version: RowTable.version(pairs, stamps: stamps), deleted: deleted, stamps: stamps))
            }
            self.rows = rows
        }

        private static func corrupt(_ container: any UnkeyedDecodingContainer, _ message: String) -> DecodingError {
            DecodingError.dataCorrupted(.init(codingPath: container.codingPath, debugDescription: message))
        }

        private static func item<T>(_ list: [T], _ number: UInt64, in container: any UnkeyedDecodingContainer) throws -> T {
            guard number < list.count else { throw corrupt(container, "index \(number) is past the end of its list") }
            return list[Int(number)]
        }

        private static func pairs(_ numbers: [UInt64], replicas: [ReplicaID], in container: any UnkeyedDecodingContainer)
            throws -> [(ReplicaID, UInt64)]
        {
            guard numbers.count % 2 == 0 else { throw corrupt(container, "a list of pairs has an even length") }
            return try stride(from: 0, to: numbers.count, by: 2).map { index in
                (try item(replicas, numbers[index], in: container), numbers[index + 1])
            }
        }
    }
}
