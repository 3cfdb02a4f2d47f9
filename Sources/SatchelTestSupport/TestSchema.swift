import SyncCore

/// A small schema with one field per rule and one entity per entity rule, in neutral words.
public enum TestSchema {
    public static let item = EntitySchema(
        name: "item",
        fields: [
            FieldSchema("title", .text(maxLength: 100), .lastWriterWins, required: true, reason: "test"),
            FieldSchema("rating", .enumeration(["a", "b", "c"]), .review, reason: "test"),
            FieldSchema("status_code", .text(maxLength: 50), .serverOwned, label: "status code", reason: "test"),
            FieldSchema("high", .integer(range: 0...1000), .max, reason: "test"),
            FieldSchema("low", .integer(range: 0...1000), .min, reason: "test"),
            FieldSchema("flag", .bool, .max, reason: "test"),
            FieldSchema("labels", .stringSet, .addWinsSet, reason: "test"),
            FieldSchema("body", .text(maxLength: 10_000), .textMerge, reason: "test"),
            FieldSchema("phase", .enumeration(["new", "active", "done", "sealed"]), .review, reason: "test"),
            FieldSchema("done_note", .text(maxLength: 100), .lastWriterWins, reason: "test"),
            FieldSchema("code", .text(maxLength: 20), .lastWriterWins, reason: "test"),
        ],
        deleteRule: .editWinsAndQueue,
        duplicates: NaturalKeys([NaturalKey(name: "code", fields: [("code", .words)])]),
        stateMachines: [
            StateMachine(
                field: "phase", states: ["new", "active", "done", "sealed"], initial: ["new"],
                transitions: ["new": ["active"], "active": ["done", "sealed"], "done": [], "sealed": []],
                privilegedTargets: ["sealed"], requirements: ["done": ["done_note"]])
        ],
        titleField: "title")

    public static let event = EntitySchema(
        name: "event",
        fields: [FieldSchema("what", .text(maxLength: 100), .lastWriterWins, required: true, reason: "test")],
        insertRule: .appendOnly)

    public static let memo = EntitySchema(
        name: "memo",
        fields: [FieldSchema("text", .text(maxLength: 100), .lastWriterWins, reason: "test")],
        deleteRule: .deleteWins)

    public static let schema = Schema(version: 1, entities: [item, event, memo])
}
