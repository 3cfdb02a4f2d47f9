import Foundation
import SatchelTestSupport
import Testing

@testable import SyncCore

struct ChangesetCodecTests {
    static let replica = ReplicaID("6f1c2a9e-0d4b-4c59-9a4e-2f7b1d3c8e01")
    static let other = ReplicaID("b2d4f6a8-1c3e-4f5a-8b7c-9d0e1f2a3b4c")

    /// One change of every kind, carrying every kind of value.
    static let sample = Changeset(
        replica: replica, user: "alice", device: "alice-thinkpad", schemaVersion: 1,
        changes: [
            Change(
                dot: Dot(replica: replica, counter: 41), hlc: HLCTimestamp(milliseconds: 1_790_000_000_000, logical: 0),
                wallTime: 1_790_000_000_000, entity: "account", rowID: "acc-1", context: VersionVector(),
                operation: .insert([
                    "name": .text("Acme Ltd"), "city": .text("Lyon"), "mass_mail_opt_out": .bool(false),
                    "visit_interval_days": .integer(30), "tags": .stringSet(["key", "north"]), "notes": .null,
                ])),
            Change(
                dot: Dot(replica: replica, counter: 42), hlc: HLCTimestamp(milliseconds: 1_790_000_060_000, logical: 2),
                wallTime: 1_790_000_060_000, entity: "opportunity", rowID: "opp-7",
                context: VersionVector([replica: 12, other: 3]),
                operation: .update(
                    field: "amount", value: .money(Money(minor: 1_250_000, currency: "EUR")),
                    base: .money(Money(minor: 1_000_000, currency: "EUR")))),
            Change(
                dot: Dot(replica: replica, counter: 43), hlc: HLCTimestamp(milliseconds: 1_790_000_061_000, logical: 0),
                wallTime: 1_790_000_061_000, entity: "visit", rowID: "vis-3", context: VersionVector(),
                operation: .insert([
                    "account_id": .text("acc-1"), "location": .location(Location(lat: 45.764, lon: 4.8357)),
                    "started_at": .integer(1_790_000_000_000),
                ])),
            Change(
                dot: Dot(replica: replica, counter: 44), hlc: HLCTimestamp(milliseconds: 1_790_000_062_000, logical: 0),
                wallTime: 1_790_000_062_000, entity: "contact", rowID: "con-9", context: VersionVector([other: 8]),
                operation: .update(field: "title", value: .null, base: .text("Buyer"))),
            Change(
                dot: Dot(replica: replica, counter: 45), hlc: HLCTimestamp(milliseconds: 1_790_000_063_000, logical: 0),
                wallTime: 1_790_000_063_000, entity: "task", rowID: "tsk-2", context: VersionVector([replica: 40]),
                operation: .delete),
        ])

    @Test func goldenChangesetRoundTripsByteForByte() throws {
        let path = "changesets/every-kind.json"
        let encoded = try Self.sample.jsonData(prettyPrinted: true)
        if Fixtures.isRecording {
            try encoded.write(to: Fixtures.url(path))
            Issue.record("recorded \(path); run again without RECORD_FIXTURES")
            return
        }
        let golden = try Fixtures.data(path)
        let decoded = try Changeset(jsonData: golden)
        #expect(decoded == Self.sample)
        #expect(try decoded.jsonData(prettyPrinted: true) == golden)
    }

    @Test(arguments: try Fixtures.files(in: "changesets", withExtension: "json"))
    func everyGoldenFileDecodesAndReEncodesIdentically(_ path: String) throws {
        let golden = try Fixtures.data(path)
        #expect(try Changeset(jsonData: golden).jsonData(prettyPrinted: true) == golden)
    }

    /// The hand-written compact forms (a changeset, a push's answer, an outcome) are the bytes
    /// the shared encoder writes, for every kind of change and value and every kind of outcome,
    /// escapes included; and they read back (by hand) to what was written.
    @Test func handWrittenFormsAreTheEncodersBytes() throws {
        var tricky = Self.sample
        tricky.user = "zoë \"the\" /rep\\\n\t\u{01}"
        tricky.changes[0].operation = .insert(["näme": .text("a\u{1F}b/c"), "ünïcode": .text("日本"), "n": .integer(-7)])
        for changeset in [Self.sample, tricky] {
            let wire = ChangesetWire(
                format: Changeset.formatVersion, replica: changeset.replica, user: changeset.user, device: changeset.device,
                schema: changeset.schemaVersion, changes: changeset.changes.map(ChangeWire.init))
            #expect(try changeset.jsonData() == WireJSON.encoder.encode(wire))
            #expect(try Changeset(jsonData: changeset.jsonData()) == changeset)
        }
        let conflict = Conflict(
            id: "c1", kind: .field, entity: "account", rowID: "acc-1", rowTitle: "Acme", field: "phone", rule: "review",
            base: .text("1"), contenders: [], explanation: "two edits")
        let response = PushResponse(
            outcomes: [
                ChangeOutcome(counter: 41, outcome: .applied),
                ChangeOutcome(counter: 42, outcome: .merged(winner: .money(Money(minor: 5, currency: "EUR")), rule: "max")),
                ChangeOutcome(counter: 43, outcome: .queued(conflict)),
                ChangeOutcome(
                    counter: 44, outcome: .rejected(Rejection(rule: "scope", reason: "not yours", remedy: "ask \"admin\""))),
                ChangeOutcome(counter: 45, outcome: .applied),
            ], highWater: 45)
        #expect(try WireJSON.data(response) == WireJSON.encoder.encode(response))
        #expect(try WireJSON.decode(PushResponse.self, from: WireJSON.data(response)) == response)
        for item in response.outcomes {
            #expect(try WireJSON.text(item.outcome) == String(decoding: WireJSON.encoder.encode(item.outcome), as: UTF8.self))
        }
        // What the encoder cannot write is an error, as it was, not a value written otherwise.
        var offTheMap = Self.sample
        offTheMap.changes[2].operation = .insert(["location": .location(Location(lat: .nan, lon: 4.8))])
        #expect(throws: EncodingError.self) { try offTheMap.jsonData() }
        // What the laptop reads back from its outbox, by hand now, as the decoder would.
        let values: [String: FieldValue] = ["a": .text("x\"y"), "b": .integer(3), "c": .null, "d": .stringSet(["p", "q"])]
        #expect(try WireJSON.decode([String: FieldValue].self, fromText: RowJSON.fieldValues(values)) == values)
        let vector = VersionVector([Self.replica: 12, Self.other: 3])
        #expect(try WireJSON.decode(VersionVector.self, fromText: RowJSON.versionVector(vector)) == vector)
        #expect(try WireJSON.decode(FieldValue.self, fromText: #"{"currency":"EUR","minor":5}"#) == .money(Money(minor: 5, currency: "EUR")))
    }

    @Test func nullUpdateValueIsKeptApartFromAMissingOne() throws {
        let json = try String(decoding: Self.sample.jsonData(), as: UTF8.self)
        #expect(json.contains(#""base":"Buyer","context":{"b2d4f6a8-1c3e-4f5a-8b7c-9d0e1f2a3b4c":8}"#))
        #expect(json.contains(#""value":null"#))
        let missing = json.replacingOccurrences(of: #","value":null"#, with: "")
        #expect(throws: ChangesetError.self) { try Changeset(jsonData: Data(missing.utf8)) }
    }

    @Test func compressedFormRoundTrips() throws {
        let compressed = try Self.sample.compressedData()
        #expect(compressed.count < (try Self.sample.jsonData()).count)
        #expect(try Changeset(compressedData: compressed) == Self.sample)
    }

    @Test func refusesAnUnsupportedFormat() throws {
        let json = String(decoding: try Self.sample.jsonData(), as: UTF8.self)
            .replacingOccurrences(of: #""format":1"#, with: #""format":2"#)
        #expect(throws: ChangesetError.unsupportedFormat(2)) { try Changeset(jsonData: Data(json.utf8)) }
    }

    @Test func refusesCountersThatAreNotConsecutive() throws {
        var swapped = Self.sample
        swapped.changes.swapAt(0, 1)
        let data = try swapped.jsonData()
        #expect(throws: ChangesetError.countersNotConsecutive(after: 42, got: 41)) { try Changeset(jsonData: data) }
        var holed = Self.sample
        holed.changes.remove(at: 2)
        #expect(throws: ChangesetError.countersNotConsecutive(after: 42, got: 44)) { try holed.validateStructure() }
    }

    @Test func refusesAnotherReplicasDot() {
        var changeset = Self.sample
        changeset.changes[1].dot.replica = Self.other
        #expect(throws: ChangesetError.self) { try changeset.validateStructure() }
    }

    @Test(arguments: [
        "", "{", "[]", #"{"format":1}"#, "\u{FF}\u{FE}",
        #"{"format":1,"replica":"r","user":"u","device":"d","schema":1,"changes":[{"counter":1,"hlc":1,"wall":1,"entity":"a","row":"x","context":{},"op":"explode"}]}"#,
        #"{"format":1,"replica":"r","user":"u","device":"d","schema":1,"changes":[{"counter":1,"hlc":-5,"wall":1,"entity":"a","row":"x","context":{},"op":"delete"}]}"#,
        #"{"format":1,"replica":"r","user":"u","device":"d","schema":1,"changes":[{"counter":1,"hlc":1,"wall":1,"entity":"","row":"x","context":{},"op":"delete"}]}"#,
    ])
    func refusesMalformedInput(_ text: String) {
        #expect(throws: ChangesetError.self) { try Changeset(jsonData: Data(text.utf8)) }
    }
}

/// Row states are stored as wire snapshots with grouped stamps; states written before that
/// (stamps per field, `deleted` as the delete's stamp) still read as the same state.
struct RowStateCodingTests {
    static let writer = ReplicaID("6f1c2a9e-0d4b-4c59-9a4e-2f7b1d3c8e01")
    static let stamp = FieldStamp(
        dot: Dot(replica: writer, counter: 3), hlc: HLCTimestamp(milliseconds: 1_790_000_000_000), wall: 1_790_000_000_000,
        user: "alice", device: "alice-thinkpad")
    static let later = FieldStamp(
        dot: Dot(replica: writer, counter: 4), hlc: HLCTimestamp(milliseconds: 1_790_000_060_000), wall: 1_790_000_060_000,
        user: "alice", device: "alice-thinkpad", merged: [Dot(replica: ReplicaID("bob"), counter: 2)])

    static let tombstone = RowState(
        entity: "account", id: "acc-1", values: ["name": .text("Acme"), "city": .text("Lyon"), "notes": .text("x")],
        stamps: ["name": stamp, "city": stamp, "notes": later], members: ["tags": ["key": Dot(replica: writer, counter: 3)]],
        version: VersionVector([writer: 5]), deleted: stamp)

    @Test func groupedStampsRoundTripAndShareOneStampPerGroup() throws {
        let json = try WireJSON.encoder.encode(Self.tombstone)
        #expect(try WireJSON.decoder.decode(RowState.self, from: json) == Self.tombstone)
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        let groups = try #require(object["stamps"] as? [[String: Any]])
        #expect(groups.map { $0["fields"] as? [String] } == [["city", "name"], ["notes"]])
        #expect(object["deleted"] as? Bool == true && object["deletedBy"] != nil)
        // The stored state reads as a wire row snapshot once its seq is put in front.
        let snapshot = try WireJSON.decoder.decode(
            RowSnapshot.self, from: Data(#"{"seq":9,"#.utf8) + json.dropFirst())
        #expect(snapshot.deleted && snapshot.seq == 9 && snapshot.stamps == Self.tombstone.stamps)
    }

    @Test func theOlderFormStillReads() throws {
        var old = try #require(
            try JSONSerialization.jsonObject(with: try WireJSON.encoder.encode(Self.tombstone)) as? [String: Any])
        old["stamps"] = try Self.tombstone.stamps.mapValues {
            try JSONSerialization.jsonObject(with: try WireJSON.encoder.encode($0))
        }
        old["deleted"] = old.removeValue(forKey: "deletedBy")
        let data = try JSONSerialization.data(withJSONObject: old)
        #expect(try WireJSON.decoder.decode(RowState.self, from: data) == Self.tombstone)
        old.removeValue(forKey: "deleted")
        let live = try WireJSON.decoder.decode(RowState.self, from: try JSONSerialization.data(withJSONObject: old))
        #expect(live.deleted == nil && live.stamps == Self.tombstone.stamps)
    }
}

extension RowStateCodingTests {
    @Test func handWrittenJSONIsTheEncodersJSON() throws {
        let vector = VersionVector([Self.writer: 5, ReplicaID("hub-1"): 12, ReplicaID("ö\"quoted\"/x"): 1])
        #expect(RowJSON.versionVector(vector) == String(decoding: try WireJSON.encoder.encode(vector), as: UTF8.self))
        let stamps = Self.tombstone.stamps.merging(
            ["name": FieldStamp(dot: Dot(replica: ReplicaID("a\\b"), counter: 1), hlc: HLCTimestamp(packed: 7), wall: 3,
                user: "zoë \"z\"", device: "pc/2")]) { $1 }
        #expect(RowJSON.fieldStamps(stamps) == String(decoding: try WireJSON.encoder.encode(FieldStamps.Map(stamps)), as: UTF8.self))
        #expect(try WireJSON.decoder.decode(FieldStamps.Map.self, from: Data(RowJSON.fieldStamps(stamps).utf8)).stamps == stamps)
    }
}

extension RowStateCodingTests {
    @Test func handWrittenRowStatesAndHistoryAreTheEncodersJSON() throws {
        func encoded(_ value: some Encodable) throws -> String { String(decoding: try WireJSON.encoder.encode(value), as: UTF8.self) }
        var live = Self.tombstone
        live.deleted = nil
        live.members = [:]
        live.values["amount"] = .money(Money(minor: 1_250_000, currency: "EUR"))
        live.values["tags"] = .stringSet(["key", "north"])
        live.values["opt_out"] = .bool(true)
        live.values["visits"] = .integer(-3)
        live.values["where"] = .location(Location(lat: 50.63, lon: 3.06))
        live.values["empty"] = .null
        live.values["quote \" and \\ and é"] = .text("line\nnext\ttab\u{08}\u{0C}\u{01}\u{1F}\r/")
        for state in [Self.tombstone, live] {
            #expect(RowJSON.rowState(state) == (try encoded(state)))
            #expect(try WireJSON.decoder.decode(RowState.self, from: Data(RowJSON.rowState(state).utf8)) == state)
        }
        let entries = [
            HistoryEntry(kind: .change, at: 5, user: "alice", device: "pc", wall: 4, hlc: HLCTimestamp(packed: 9), op: "insert",
                values: live.values, outcome: "applied"),
            HistoryEntry(kind: .resolution, at: 6, user: "root", device: "server", op: "update", field: "name", value: .text("Acme"),
                detail: "settled \"it\""),
            HistoryEntry(kind: .transfer, at: 7, user: "root", device: "server"),
        ]
        for entry in entries {
            #expect(RowJSON.historyEntry(entry) == (try encoded(entry)))
        }
    }
}
