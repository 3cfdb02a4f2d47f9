import Foundation
import SatchelTestSupport
@testable import SyncCore
import Testing

/// The columnar layout of a page (``RowTable``): every row reads back as it was written (a null
/// value aside, which means the same as no value), by the hand reader and by `JSONDecoder`, and a
/// damaged table is refused, never half read.
struct RowTableTests {
    /// A page's rows: random states of two record types, in sequence order.
    static func rows(_ rng: inout SeededGenerator, count: Int, locations: Bool = false) -> [RowSnapshot] {
        var seq: Int64 = 1_796_652_303_766_015
        return (0..<count).map { index in
            let state = JSONReaderTests.rowState(&rng, locations: locations)
            seq += Int64(rng.next() % 5) + 1
            return RowSnapshot(
                entity: index % 3 == 0 ? "visit" : state.entity, id: state.id, seq: seq, values: state.values,
                version: state.version, deleted: state.isDeleted, stamps: rng.chance(0.1) ? nil : state.stamps)
        }
    }

    /// What a replica keeps of a row: a null value is no value.
    static func kept(_ rows: [RowSnapshot]) -> [RowSnapshot] {
        rows.map { row in
            var row = row
            row.values = row.values.filter { $0.value != .null }
            return row
        }
    }

    static func page(_ rows: [RowSnapshot]) -> Data {
        Data((#"{"table":"# + RowTable.json(rows) + #","cursor":9,"hasMore":false}"#).utf8)
    }

    @Test func rowsReadBackAsWrittenByHandAndByTheDecoder() throws {
        var rng = SeededGenerator(seed: 21)
        for round in 0..<60 {
            let rows = Self.rows(&rng, count: round % 7 == 0 ? 0 : Int(rng.next() % 30) + 1)
            let page = Self.page(rows)
            let byHand = try #require(try? JSONReader.read(page) { try PullResponse.read(&$0) }, "the reader declined")
            #expect(byHand.rows == Self.kept(rows))
            #expect(try WireJSON.decoder.decode(PullResponse.self, from: page).rows == Self.kept(rows))
            #expect(try WireJSON.decode(PullResponse.self, from: page).cursor == 9)
        }
    }

    @Test func aBootstrapPageReadsItsTableToo() throws {
        var rng = SeededGenerator(seed: 22)
        let rows = Self.rows(&rng, count: 12)
        let page = Data((#"{"table":"# + RowTable.json(rows) + #","snapshot":5,"after":4,"hasMore":true}"#).utf8)
        let response = try WireJSON.decode(BootstrapResponse.self, from: page)
        #expect(response.rows == Self.kept(rows) && response.snapshot == 5 && response.after == 4 && response.hasMore)
        #expect(try WireJSON.decoder.decode(BootstrapResponse.self, from: page) == response)
    }

    @Test func whatTheReaderDeclinesTheDecoderReads() throws {
        var rng = SeededGenerator(seed: 23)
        var declined = 0
        for _ in 0..<40 {
            let rows = Self.rows(&rng, count: 8, locations: true)
            let page = Self.page(rows)
            if (try? JSONReader.read(page) { try PullResponse.read(&$0) }) == nil { declined += 1 }
            #expect(try WireJSON.decode(PullResponse.self, from: page).rows == Self.kept(rows))
        }
        #expect(declined > 0, "some rows held a location, which only the decoder reads")
    }

    @Test func theCornersOfAStampAndAVersionSurvive() throws {
        let hub = ReplicaID("hub")
        let rep = ReplicaID("rep-1")
        let other = ReplicaID("rep-2")
        // A clock ahead of the wall time and one behind it; a combined value; a version with an
        // entry no stamp implies, one above its stamp, and one below it (which only damage makes).
        let ahead = FieldStamp(
            dot: Dot(replica: rep, counter: 7), hlc: HLCTimestamp(milliseconds: 2_000, logical: 3), wall: 1_000,
            user: "bob", device: "laptop", merged: [Dot(replica: other, counter: 2), Dot(replica: hub, counter: 1)])
        let behind = FieldStamp(
            dot: Dot(replica: hub, counter: 4), hlc: HLCTimestamp(milliseconds: 5), wall: Int64.max, user: "import",
            device: "server")
        let huge = FieldStamp(
            dot: Dot(replica: other, counter: UInt64.max), hlc: HLCTimestamp(milliseconds: 9), wall: 9, user: "u",
            device: "d")
        let rows = [
            RowSnapshot(
                entity: "account", id: "d", seq: 3, values: ["name": .text("D")],
                version: VersionVector([other: UInt64.max]), deleted: false,
                // A stamp of a field without a value (it was cleared), and a counter past Int64.max.
                stamps: ["name": behind, "phone": huge]),
            RowSnapshot(
                entity: "account", id: "a", seq: 40, values: ["notes": .text("x"), "name": .text("N")],
                version: VersionVector([rep: 9, hub: 4, other: 2]), deleted: false,
                stamps: ["notes": ahead, "name": behind]),
            RowSnapshot(
                entity: "account", id: "b", seq: 12, values: [:], version: VersionVector([rep: 3]), deleted: true,
                stamps: ["name": ahead]),
            RowSnapshot(
                entity: "account", id: "c", seq: Int64.max, values: ["name": .text("C")], version: VersionVector(),
                deleted: false, stamps: nil),
        ]
        let page = Self.page(rows)
        #expect(try WireJSON.decode(PullResponse.self, from: page).rows == rows)
        #expect(try WireJSON.decoder.decode(PullResponse.self, from: page).rows == rows)
    }

    /// The server writes a table straight from the stored states; what it writes is what the
    /// decoded snapshots give, and what it cannot read so (a location, an older layout) it declines.
    @Test func storedStatesGiveTheTableTheirSnapshotsGive() throws {
        var rng = SeededGenerator(seed: 24)
        var declined = 0
        var written = 0
        for _ in 0..<200 {
            var states: [RowState] = []
            for _ in 0..<Int(rng.next() % 10) + 1 {
                states.append(JSONReaderTests.rowState(&rng, locations: rng.chance(0.05)))
            }
            let stored = states.enumerated().map { (seq: Int64($0.offset * 3 + 1), state: RowJSON.rowState($0.element)) }
            let snapshots = states.enumerated().map { offset, state in
                RowSnapshot(
                    entity: state.entity, id: state.id, seq: Int64(offset * 3 + 1), values: state.values,
                    version: state.version, deleted: state.isDeleted, stamps: state.stamps)
            }
            guard let table = try? RowTable.json(states: stored) else {
                declined += 1
                continue
            }
            written += 1
            #expect(table == RowTable.json(snapshots))
        }
        #expect(written > 100 && declined > 0, "\(written) written, \(declined) declined")
        // With a way to decode what it declines, every page is written, row by row, and gives the
        // same text: a page with one location costs that row alone its decoding.
        for _ in 0..<50 {
            var states: [RowState] = []
            for _ in 0..<Int(rng.next() % 10) + 1 { states.append(JSONReaderTests.rowState(&rng, locations: rng.chance(0.3))) }
            let stored = states.enumerated().map { (seq: Int64($0.offset), state: RowJSON.rowState($0.element)) }
            let snapshots = states.enumerated().map { offset, state in
                RowSnapshot(
                    entity: state.entity, id: state.id, seq: Int64(offset), values: state.values, version: state.version,
                    deleted: state.isDeleted, stamps: state.stamps)
            }
            var decoded = 0
            let table = try RowTable.json(states: stored) { seq, text in
                decoded += 1
                let state = try WireJSON.decode(RowState.self, fromText: text)
                return RowSnapshot(
                    entity: state.entity, id: state.id, seq: seq, values: state.values, version: state.version,
                    deleted: state.isDeleted, stamps: state.stamps)
            }
            #expect(table == RowTable.json(snapshots))
            let located = states.filter { state in
                state.values.values.contains { value in
                    if case .location = value { return true }
                    return false
                }
            }
            #expect(decoded == located.count)
        }
        // A field named twice in one group is not what the hub writes: declined.
        let twice = #"{"deleted":false,"entity":"account","id":"a","stamps":[{"device":"d","dot":{"counter":3,"replica":"r"},"fields":["name","name"],"hlc":65536,"user":"u","wall":5}],"values":{"name":"N"},"version":{"r":3}}"#
        #expect(throws: (any Error).self) { try RowTable.json(states: [(seq: 1, state: twice)]) }
        // The older layouts of a state: stamps by field, `deleted` as the stamp itself.
        let stamp = #"{"device":"d","dot":{"counter":3,"replica":"r"},"hlc":65536,"user":"u","wall":5}"#
        for old in [
            #"{"entity":"account","id":"a","values":{"name":"N"},"stamps":{"name":\#(stamp)},"version":{"r":3},"deleted":false}"#,
            #"{"entity":"account","id":"a","values":{"name":"N"},"stamps":[],"version":{"r":3},"deleted":\#(stamp)}"#,
        ] {
            #expect(throws: (any Error).self) { try RowTable.json(states: [(seq: 1, state: old)]) }
            let decoded = try WireJSON.decode(RowState.self, fromText: old)
            #expect(decoded.entity == "account")
        }
    }

    @Test func aDamagedTableIsRefusedWhole() throws {
        let good =
            #"{"table":{"replicas":["r"],"writers":[["u","d"]],"entities":[["account",["name"]]],"rows":[[0,"a",5,false,["N"],[],[[0,1,10,0,0,[0]]]]]},"cursor":5,"hasMore":false}"#
        #expect(try WireJSON.decode(PullResponse.self, from: Data(good.utf8)).rows.first?.version.counters == [ReplicaID("r"): 1])
        let damaged = [
            good.replacingOccurrences(of: #"[[0,"a""#, with: #"[[1,"a""#),  // no second entity
            good.replacingOccurrences(of: #"["N"]"#, with: #"["N",1]"#),  // more values than fields
            good.replacingOccurrences(of: #"["N"]"#, with: "[]"),  // fewer
            good.replacingOccurrences(of: "[[0,1,10,0,0,[0]]]", with: "[[1,1,10,0,0,[0]]]"),  // no second replica
            good.replacingOccurrences(of: "[[0,1,10,0,0,[0]]]", with: "[[0,1,10,0,1,[0]]]"),  // no second writer
            good.replacingOccurrences(of: "[[0,1,10,0,0,[0]]]", with: "[[0,1,10,0,0,[3]]]"),  // no fourth field
            good.replacingOccurrences(of: "false,[\"N\"],[]", with: "false,[\"N\"],[0]"),  // a pair cut short
            good.replacingOccurrences(of: "[[0,1,10,0,0,[0]]]", with: "[[0,1,-1,0,0,[0]]]"),  // a negative clock
            good.replacingOccurrences(of: #"[["u","d"]]"#, with: #"[["u"]]"#),  // a writer without a device
            good.replacingOccurrences(of: #""replicas":["r"]"#, with: #""replicas":[""]"#),  // an empty replica id
            good.replacingOccurrences(of: "[[0,1,10,0,0,[0]]]]]", with: "[[0,1,10,0,0,[0]]],1]]"),  // eight members
        ]
        for text in damaged {
            #expect(text != good)
            #expect(throws: (any Error).self, "\(text)") { try WireJSON.decode(PullResponse.self, from: Data(text.utf8)) }
        }
    }
}
