import Foundation
import SatchelTestSupport
@testable import SyncCore
import Testing

/// The hand-written readers of row states and changesets (``JSONReader``, `RowJSON+Reading`)
/// must return what `JSONDecoder` returns, or decline and leave the bytes to it.
struct JSONReaderTests {
    // MARK: - Random values

    static let texts = [
        "Acme", "", "Müller & Söhne", "line\nbreak", "tab\there", "quote \" and \\ backslash", "slash / ok",
        "bell \u{07} nul \u{00}", "emoji 🧳 and 𝄞", "中文", "\u{1F}", "ünïcödé", "a/b\\c\"d",
    ]

    static func text(_ rng: inout SeededGenerator) -> String {
        rng.chance(0.3) ? "t\(rng.next() % 1000)" : texts.randomElement(using: &rng)!
    }

    static func replica(_ rng: inout SeededGenerator) -> ReplicaID {
        ReplicaID(["rep-1", "rep-2", "hub", "6f1c2a9e-0d4b-4c59-9a4e-2f7b1d3c8e01", "rép-ü"].randomElement(using: &rng)!)
    }

    static func value(_ rng: inout SeededGenerator, locations: Bool) -> FieldValue {
        switch rng.next() % (locations ? 8 : 7) {
        case 0: return .null
        case 1, 2: return .text(text(&rng))
        case 3: return .integer([0, -1, 42, Int64.max, Int64.min, 1_790_000_000_000].randomElement(using: &rng)!)
        case 4: return .bool(rng.chance(0.5))
        case 5: return .money(Money(minor: Int64(rng.next() % 1_000_000) - 500, currency: "EUR"))
        case 6: return .stringSet((0..<Int(rng.next() % 3)).map { _ in text(&rng) })
        default: return .location(Location(lat: 48.8566, lon: 2.3522))
        }
    }

    static func stamp(_ rng: inout SeededGenerator) -> FieldStamp {
        FieldStamp(
            dot: Dot(replica: replica(&rng), counter: rng.next() % 500 + 1),
            hlc: HLCTimestamp(milliseconds: 1_790_000_000_000 + Int64(rng.next() % 1000), logical: UInt16(rng.next() % 3)),
            wall: 1_790_000_000_000, user: text(&rng), device: text(&rng),
            merged: rng.chance(0.2) ? [Dot(replica: replica(&rng), counter: 7)] : [])
    }

    static func rowState(_ rng: inout SeededGenerator, locations: Bool = false) -> RowState {
        var values: [String: FieldValue] = [:]
        var stamps: [String: FieldStamp] = [:]
        let shared = stamp(&rng)
        for index in 0..<Int(rng.next() % 6) {
            let field = rng.chance(0.2) ? "fïeld \"\(index)\"" : "f\(index)"
            values[field] = value(&rng, locations: locations)
            stamps[field] = rng.chance(0.7) ? shared : stamp(&rng)
        }
        var members: [String: [String: Dot]] = [:]
        if rng.chance(0.3) { members["tags"] = ["key": Dot(replica: replica(&rng), counter: 3)] }
        var version = VersionVector()
        for _ in 0..<Int(rng.next() % 3) { version = version.merging(VersionVector([replica(&rng): rng.next() % 100 + 1])) }
        return RowState(
            entity: "account", id: "acc-\(rng.next() % 100)", values: values, stamps: stamps, members: members,
            version: version, deleted: rng.chance(0.2) ? stamp(&rng) : nil)
    }

    static func changeset(_ rng: inout SeededGenerator) -> Changeset {
        let replica = ReplicaID("rep-\(rng.next() % 5)")
        let changes = (1...UInt64(rng.next() % 5 + 1)).map { counter -> Change in
            let operation: Change.Operation
            switch rng.next() % 3 {
            case 0:
                operation = .insert(Dictionary(uniqueKeysWithValues: (0..<3).map { ("f\($0)", value(&rng, locations: false)) }))
            case 1: operation = .update(field: "f1", value: value(&rng, locations: false), base: value(&rng, locations: false))
            default: operation = .delete
            }
            return Change(
                dot: Dot(replica: replica, counter: counter), hlc: HLCTimestamp(milliseconds: 1_790_000_000_000),
                wallTime: 1_790_000_000_000, entity: "account", rowID: "acc-\(rng.next() % 9)",
                context: VersionVector([ReplicaID("hub"): rng.next() % 9 + 1]), operation: operation)
        }
        return Changeset(replica: replica, user: text(&rng), device: "laptop", schemaVersion: 1, changes: changes)
    }

    /// The hand reader alone, without the fallback: nil where it declines.
    static func readState(_ text: String) -> RowState? {
        try? JSONReader.read(text) { try RowJSON.readRowState(&$0) }
    }

    static func readChangeset(_ data: Data) -> ChangesetWire? {
        try? JSONReader.read(data) { try ChangesetWire.read(&$0) }
    }

    // MARK: - Tests

    @Test func rowStatesReadByHandEqualWhatWasWritten() throws {
        var rng = SeededGenerator(seed: 13)
        for _ in 0..<500 {
            let state = Self.rowState(&rng)
            // Both writers: the hand-written one the hub uses, and Codable's.
            for text in [RowJSON.rowState(state), try WireJSON.text(state)] {
                let read = try #require(Self.readState(text), "the reader declined \(text)")
                #expect(read == state)
                #expect(try WireJSON.decode(RowState.self, fromText: text) == state)
            }
        }
    }

    @Test func whatTheReaderDeclinesTheDecoderStillReads() throws {
        var rng = SeededGenerator(seed: 14)
        var declined = 0
        for _ in 0..<200 {
            let state = Self.rowState(&rng, locations: true)
            let text = RowJSON.rowState(state)
            if Self.readState(text) == nil { declined += 1 }
            #expect(try WireJSON.decode(RowState.self, fromText: text) == state)
        }
        #expect(declined > 0, "some states held a location, which only the decoder reads")
        // The older layouts: stamps as an object of field to stamp, `deleted` as the stamp itself.
        let stamp = #"{"device":"d","dot":{"counter":3,"replica":"r"},"hlc":65536,"user":"u","wall":5}"#
        let old = #"{"entity":"account","id":"a","values":{"name":"N"},"stamps":{"name":\#(stamp)},"version":{"r":3},"deleted":\#(stamp)}"#
        let state = try WireJSON.decode(RowState.self, fromText: old)
        #expect(state == (try WireJSON.decode(RowState.self, fromText: old)))
        #expect(state.isDeleted && state.stamps["name"]?.dot == Dot(replica: ReplicaID("r"), counter: 3))
    }

    @Test func narrowOnPurpose() throws {
        let base = #"{"deleted":false,"entity":"account","id":"a","stamps":[],"values":{"n":1},"version":{}}"#
        #expect(Self.readState(base) != nil)
        // A key twice, a number with a fraction or exponent, a leading zero, trailing bytes, a
        // raw control character, invalid UTF-8: the reader declines every one.
        for text in [
            #"{"deleted":false,"entity":"account","entity":"x","id":"a","stamps":[],"values":{},"version":{}}"#,
            #"{"deleted":false,"entity":"account","id":"a","stamps":[],"values":{"n":1.0},"version":{}}"#,
            #"{"deleted":false,"entity":"account","id":"a","stamps":[],"values":{"n":1e3},"version":{}}"#,
            #"{"deleted":false,"entity":"account","id":"a","stamps":[],"values":{"n":01},"version":{}}"#,
            base + "x", "{\"deleted\":false,\"entity\":\"acc\u{01}\",\"id\":\"a\",\"values\":{},\"version\":{}}",
        ] {
            #expect(Self.readState(text) == nil, "\(text)")
        }
        // Keys out of order are read (a page's tail is not sorted), and a key twice is found
        // there too, late in the object or early.
        let unsorted = #"{"entity":"account","deleted":false,"id":"a","stamps":[],"values":{"n":1},"version":{}}"#
        #expect(Self.readState(unsorted) != nil && Self.readState(unsorted) == Self.readState(base))
        for twice in [
            #"{"entity":"account","deleted":false,"id":"a","stamps":[],"values":{"n":1},"version":{},"id":"b"}"#,
            #"{"id":"a","deleted":false,"entity":"account","id":"b","stamps":[],"values":{"n":1},"version":{}}"#,
            #"{"deleted":false,"entity":"account","id":"a","stamps":[],"values":{"n":1,"m":2,"n":3},"version":{}}"#,
        ] {
            #expect(Self.readState(twice) == nil, "\(twice)")
        }
        // Objects out of order nested 200 deep, each value skipped by the reader: read once,
        // not once more at every level (which would never end).
        var nested = "0"
        for _ in 0..<200 { nested = #"{"b":\#(nested),"a":0}"# }
        let deep = #"{"deleted":false,"entity":"account","id":"a","skip":\#(nested),"stamps":[],"values":{"n":1},"version":{}}"#
        #expect(Self.readState(deep) == Self.readState(base))
        var invalid = Array(base.utf8)
        invalid[invalid.firstIndex(of: UInt8(ascii: "c"))!] = 0xFF  // inside "account"
        #expect((try? JSONReader.read(Data(invalid)) { try RowJSON.readRowState(&$0) }) == nil)
        #expect((try? WireJSON.decoder.decode(RowState.self, from: Data(invalid))) == nil)
        // Escapes, a surrogate pair among them, read as the decoder reads them.
        let escaped = #"{"deleted":false,"entity":"account","id":"a\u00e9\ud83e\uddf3\n\/","values":{},"version":{}}"#
        #expect(Self.readState(escaped)?.id == "aé🧳\n/")
        #expect(Self.readState(escaped) == (try WireJSON.decode(RowState.self, fromText: escaped)))
    }

    @Test func changesetsReadByHandEqualWhatWasWritten() throws {
        var rng = SeededGenerator(seed: 15)
        for _ in 0..<300 {
            let changeset = Self.changeset(&rng)
            let data = try changeset.jsonData()
            #expect(Self.readChangeset(data) != nil, "the reader declined \(String(decoding: data, as: UTF8.self))")
            #expect(try Changeset(jsonData: data) == changeset)
            #expect(try Changeset(jsonData: changeset.jsonData(prettyPrinted: true)) == changeset)
        }
    }

    /// Damaged documents: wherever the reader takes one, the decoder must take it too and read
    /// the same value.
    @Test func damagedDocumentsAreReadAsTheDecoderReadsThemOrDeclined() throws {
        var rng = SeededGenerator(seed: 16)
        let alphabet = Array(#"{}[]:,"\ 0123456789-.eEtrufalsn"#.utf8) + [0x0A, 0xC3, 0xA9, 0xFF]
        var taken = 0
        for round in 0..<3000 {
            var bytes: [UInt8]
            let isState = round % 2 == 0
            if isState {
                bytes = Array(RowJSON.rowState(Self.rowState(&rng)).utf8)
            } else {
                bytes = Array(try Self.changeset(&rng).jsonData())
            }
            for _ in 0..<Int(rng.next() % 3 + 1) {
                let at = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 3 {
                case 0: bytes.remove(at: at)
                case 1: bytes.insert(alphabet.randomElement(using: &rng)!, at: at)
                default: bytes[at] = alphabet.randomElement(using: &rng)!
                }
            }
            let data = Data(bytes)
            if isState {
                guard let read = try? JSONReader.read(data, { try RowJSON.readRowState(&$0) }) else { continue }
                taken += 1
                let decoded = try? WireJSON.decoder.decode(RowState.self, from: data)
                #expect(decoded == read, "\(String(decoding: data, as: UTF8.self))")
            } else {
                guard let read = Self.readChangeset(data) else { continue }
                taken += 1
                let decoded = try? WireJSON.decoder.decode(ChangesetWire.self, from: data)
                #expect(decoded.map(Self.made) == Self.made(read), "\(String(decoding: data, as: UTF8.self))")
            }
        }
        // Many damages land in a value and leave valid JSON (a digit changed, a letter in a text).
        #expect(taken > 100)
    }

    /// What a ChangesetWire (not Equatable) makes: its header and each change (nil where refused).
    struct Made: Equatable {
        var header: [String]
        var changes: [Change?]
    }

    static func made(_ wire: ChangesetWire) -> Made {
        Made(
            header: ["\(wire.format)", wire.replica.rawValue, wire.user, wire.device, "\(wire.schema)"],
            changes: wire.changes.map { try? $0.change(replica: wire.replica) })
    }
}
