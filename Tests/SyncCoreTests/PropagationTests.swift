import Testing

@testable import SyncCore

/// A new row moves fields of the row it references; each target's own rule says which way.
struct PropagationTests {
    static let parent = EntitySchema(
        name: "parent",
        fields: [
            FieldSchema("latest", .timestamp, .max, reason: "test"),
            FieldSchema("earliest", .timestamp, .min, reason: "test"),
            FieldSchema("label", .text(maxLength: 10), .lastWriterWins, reason: "test"),
            FieldSchema("count", .integer(range: 0...10), .max, reason: "test"),
        ])
    static let propagation = Propagation(reference: "parent_id", source: "at", targets: ["latest", "earliest"])
    static let child = EntitySchema(
        name: "child",
        fields: [
            FieldSchema("parent_id", .reference(entity: "parent"), .lastWriterWins, reason: "test"),
            FieldSchema("at", .timestamp, .lastWriterWins, reason: "test"),
        ],
        propagations: [propagation])

    @Test func theTargetsRuleSaysWhichWayItMoves() {
        let row: [String: FieldValue] = ["parent_id": .text("p"), "at": .integer(500)]
        #expect(Self.propagation.changes(for: row, to: [:], entity: Self.parent) == ["latest": .integer(500), "earliest": .integer(500)])
        #expect(
            Self.propagation.changes(for: row, to: ["latest": .integer(400), "earliest": .integer(400)], entity: Self.parent)
                == ["latest": .integer(500)])
        #expect(
            Self.propagation.changes(for: row, to: ["latest": .integer(600), "earliest": .integer(600)], entity: Self.parent)
                == ["earliest": .integer(500)])
        #expect(
            Self.propagation.changes(for: row, to: ["latest": .integer(500), "earliest": .integer(500)], entity: Self.parent)
                .isEmpty, "equal values move nothing")
        #expect(Self.propagation.changes(for: ["parent_id": .text("p")], to: [:], entity: Self.parent).isEmpty, "no source, no move")
    }

    @Test func aPropagationIsCheckedAgainstTheSchema() {
        let schema = Schema(version: 1, entities: [Self.parent, Self.child])
        #expect(Self.propagation.problems(in: schema, entity: Self.child).isEmpty)
        let wrong = [
            Propagation(reference: "at", source: "at", targets: ["latest"]),
            Propagation(reference: "parent_id", source: "nothing", targets: ["latest"]),
            Propagation(reference: "parent_id", source: "at", targets: ["label"]),
            Propagation(reference: "parent_id", source: "at", targets: ["count"]),
            Propagation(reference: "parent_id", source: "at", targets: ["missing"]),
        ]
        let messages = wrong.map { $0.problems(in: schema, entity: Self.child).joined() }
        #expect(messages[0].contains("is not a reference"))
        #expect(messages[1].contains("has no field nothing"))
        #expect(messages[2].contains("its rule must be max or min"))
        #expect(messages[3].contains("is not of the type"))
        #expect(messages[4].contains("has no field missing"))
    }
}
