import SyncCore
import Testing

/// The rule matrix: one case per field rule, entity rule and situation, in the neutral words of
/// ``TestSchema``. A row is written by replica A, then one change arrives from replica B that
/// either saw A's latest write (causal) or did not (concurrent). The Merger's tests run it
/// directly and the planner's tests run it through a hub, so both answer the same table.
public enum RuleMatrix {
    public static let a = ReplicaID("replica-a")
    public static let b = ReplicaID("replica-b")
    public static let rep = Writer(user: "bob", device: "bob-laptop", isPrivileged: false)
    public static let admin = Writer(user: "root", device: "console", isPrivileged: true)
    /// Who makes A's writes.
    public static let alice = Writer(user: "alice", device: "alice-laptop", isPrivileged: false)

    /// How the incoming change relates to A's latest write.
    public enum Situation: String, Sendable {
        case causal, concurrent
    }

    public struct Case: Sendable, CustomTestStringConvertible {
        public var name: String
        public var entity = "item"
        /// Values of the insert made by A at counter 1.
        public var base: [String: FieldValue] = ["title": .text("Widget")]
        /// A's second write (counter 2), if any.
        public var current: (field: String, value: FieldValue)?
        /// A deletes the row at counter 3.
        public var currentDelete = false
        public var situation: Situation
        public var incoming: Change.Operation
        public var writer = RuleMatrix.rep
        /// Expected outcome kind and, for the row, expected value of the field (or deletion).
        public var expectedKind: String
        public var expectedField: String?
        public var expectedValue: FieldValue?
        public var expectDeleted = false
        public var expectedConflictKind: Conflict.Kind?
        /// B's HLC milliseconds; A's latest write is at 2000.
        public var incomingMilliseconds: Int64 = 2500

        public var testDescription: String { name }
    }

    public static let cases: [Case] = [
        // last-writer-wins
        Case(
            name: "lww causal applies", current: ("title", .text("A")), situation: .causal,
            incoming: .update(field: "title", value: .text("B"), base: .text("A")), expectedKind: "applied",
            expectedField: "title", expectedValue: .text("B"), incomingMilliseconds: 1500),
        Case(
            name: "lww concurrent newer wins", current: ("title", .text("A")), situation: .concurrent,
            incoming: .update(field: "title", value: .text("B"), base: .text("Widget")), expectedKind: "merged",
            expectedField: "title", expectedValue: .text("B")),
        Case(
            name: "lww concurrent older loses", current: ("title", .text("A")), situation: .concurrent,
            incoming: .update(field: "title", value: .text("B"), base: .text("Widget")), expectedKind: "merged",
            expectedField: "title", expectedValue: .text("A"), incomingMilliseconds: 1500),
        Case(
            name: "lww equal clocks: higher replica id wins", current: ("title", .text("A")), situation: .concurrent,
            incoming: .update(field: "title", value: .text("B"), base: .text("Widget")), expectedKind: "merged",
            expectedField: "title", expectedValue: .text("B"), incomingMilliseconds: 2000),
        Case(
            name: "different fields never conflict", current: ("title", .text("A")), situation: .concurrent,
            incoming: .update(field: "rating", value: .text("b"), base: .null), expectedKind: "applied",
            expectedField: "rating", expectedValue: .text("b")),
        // review
        Case(
            name: "review causal applies", current: ("rating", .text("a")), situation: .causal,
            incoming: .update(field: "rating", value: .text("c"), base: .text("a")), expectedKind: "applied",
            expectedField: "rating", expectedValue: .text("c")),
        Case(
            name: "review concurrent different is queued", current: ("rating", .text("a")), situation: .concurrent,
            incoming: .update(field: "rating", value: .text("c"), base: .null), expectedKind: "queued",
            expectedField: "rating", expectedValue: .text("a"), expectedConflictKind: .field),
        Case(
            name: "review concurrent equal merges", current: ("rating", .text("a")), situation: .concurrent,
            incoming: .update(field: "rating", value: .text("a"), base: .null), expectedKind: "merged",
            expectedField: "rating", expectedValue: .text("a")),
        // server-owned
        Case(
            name: "server-owned write by a rep is rejected", situation: .causal,
            incoming: .update(field: "status_code", value: .text("hold"), base: .null), expectedKind: "rejected",
            expectedField: "status_code", expectedValue: .null),
        Case(
            name: "server-owned write by an admin applies", situation: .causal,
            incoming: .update(field: "status_code", value: .text("hold"), base: .null), writer: admin,
            expectedKind: "applied", expectedField: "status_code", expectedValue: .text("hold")),
        Case(
            name: "server-owned value in a rep's insert is rejected", base: [:], situation: .causal,
            incoming: .insert(["title": .text("New"), "status_code": .text("ok")]), expectedKind: "rejected"),
        // max / min
        Case(
            name: "max concurrent larger wins", current: ("high", .integer(5)), situation: .concurrent,
            incoming: .update(field: "high", value: .integer(9), base: .null), expectedKind: "merged",
            expectedField: "high", expectedValue: .integer(9), incomingMilliseconds: 1500),
        Case(
            name: "max concurrent smaller loses even when later", current: ("high", .integer(5)), situation: .concurrent,
            incoming: .update(field: "high", value: .integer(3), base: .null), expectedKind: "merged",
            expectedField: "high", expectedValue: .integer(5)),
        Case(
            name: "max causal correction applies", current: ("high", .integer(5)), situation: .causal,
            incoming: .update(field: "high", value: .integer(3), base: .integer(5)), expectedKind: "applied",
            expectedField: "high", expectedValue: .integer(3)),
        Case(
            name: "min concurrent smaller wins", current: ("low", .integer(5)), situation: .concurrent,
            incoming: .update(field: "low", value: .integer(2), base: .null), expectedKind: "merged",
            expectedField: "low", expectedValue: .integer(2), incomingMilliseconds: 1500),
        Case(
            name: "bool max: true (most restrictive) wins", current: ("flag", .bool(true)), situation: .concurrent,
            incoming: .update(field: "flag", value: .bool(false), base: .null), expectedKind: "merged",
            expectedField: "flag", expectedValue: .bool(true)),
        // add-wins set
        Case(
            name: "set concurrent additions unite", current: ("labels", .stringSet(["x"])), situation: .concurrent,
            incoming: .update(field: "labels", value: .stringSet(["y"]), base: .null), expectedKind: "merged",
            expectedField: "labels", expectedValue: .stringSet(["x", "y"])),
        Case(
            name: "set removal of an unseen addition keeps it", base: ["title": .text("W"), "labels": .stringSet(["x"])],
            current: ("labels", .stringSet(["x", "z"])), situation: .concurrent,
            incoming: .update(field: "labels", value: .stringSet([]), base: .stringSet(["x"])), expectedKind: "merged",
            expectedField: "labels", expectedValue: .stringSet(["z"])),
        Case(
            name: "set removal of a seen member removes it", current: ("labels", .stringSet(["x", "z"])),
            situation: .causal, incoming: .update(field: "labels", value: .stringSet(["z"]), base: .stringSet(["x", "z"])),
            expectedKind: "applied", expectedField: "labels", expectedValue: .stringSet(["z"])),
        // text merge
        Case(
            name: "text causal applies", current: ("body", .text("l1\nl2")), situation: .causal,
            incoming: .update(field: "body", value: .text("l1\nL2"), base: .text("l1\nl2")), expectedKind: "applied",
            expectedField: "body", expectedValue: .text("l1\nL2")),
        Case(
            name: "text concurrent disjoint lines merge", base: ["title": .text("W"), "body": .text("l1\nl2\nl3")],
            current: ("body", .text("L1\nl2\nl3")), situation: .concurrent,
            incoming: .update(field: "body", value: .text("l1\nl2\nL3"), base: .text("l1\nl2\nl3")),
            expectedKind: "merged", expectedField: "body", expectedValue: .text("L1\nl2\nL3")),
        Case(
            name: "text concurrent same line is queued", base: ["title": .text("W"), "body": .text("l1\nl2")],
            current: ("body", .text("A\nl2")), situation: .concurrent,
            incoming: .update(field: "body", value: .text("B\nl2"), base: .text("l1\nl2")), expectedKind: "queued",
            expectedField: "body", expectedValue: .text("A\nl2"), expectedConflictKind: .field),
        // append-only
        Case(
            name: "append-only concurrent inserts both land", entity: "event", base: ["what": .text("call")],
            situation: .concurrent, incoming: .insert(["what": .text("visit")]), expectedKind: "applied"),
        Case(
            name: "append-only update is rejected", entity: "event", base: ["what": .text("call")],
            situation: .concurrent, incoming: .update(field: "what", value: .text("visit"), base: .text("call")),
            expectedKind: "rejected", expectedField: "what", expectedValue: .text("call")),
        Case(
            name: "append-only delete is rejected", entity: "event", base: ["what": .text("call")], situation: .causal,
            incoming: .delete, expectedKind: "rejected", expectedField: "what", expectedValue: .text("call")),
        // edit vs delete
        Case(
            name: "delete concurrent with an edit is queued and the row kept", current: ("title", .text("A")),
            situation: .concurrent, incoming: .delete, expectedKind: "queued", expectedField: "title",
            expectedValue: .text("A"), expectedConflictKind: .deleteVersusEdit),
        Case(
            name: "delete after seeing every edit applies", current: ("title", .text("A")), situation: .causal,
            incoming: .delete, expectedKind: "applied", expectDeleted: true),
        Case(
            name: "edit concurrent with a delete resurrects and queues", currentDelete: true, situation: .concurrent,
            incoming: .update(field: "title", value: .text("B"), base: .text("Widget")), expectedKind: "queued",
            expectedField: "title", expectedValue: .text("B"), expectedConflictKind: .deleteVersusEdit),
        Case(
            name: "edit after seeing the delete is rejected", currentDelete: true, situation: .causal,
            incoming: .update(field: "title", value: .text("B"), base: .text("Widget")), expectedKind: "rejected",
            expectDeleted: true),
        Case(
            name: "delete-wins entity rejects a concurrent edit", entity: "memo", base: ["text": .text("hi")],
            currentDelete: true, situation: .concurrent,
            incoming: .update(field: "text", value: .text("bye"), base: .text("hi")), expectedKind: "rejected",
            expectDeleted: true),
        // natural key
        Case(
            name: "insert with a taken natural key is a duplicate candidate",
            base: ["title": .text("W"), "code": .text("X-1")], situation: .concurrent,
            incoming: .insert(["title": .text("W2"), "code": .text("x 1")]), expectedKind: "queued",
            expectedConflictKind: .duplicateCandidate),
        // invariants / state machine
        Case(
            name: "state machine forbids a skipped step", base: ["title": .text("W"), "phase": .text("new")],
            situation: .causal, incoming: .update(field: "phase", value: .text("done"), base: .text("new")),
            expectedKind: "rejected", expectedField: "phase", expectedValue: .text("new")),
        Case(
            name: "state machine allows a legal step", base: ["title": .text("W"), "phase": .text("new")],
            situation: .causal, incoming: .update(field: "phase", value: .text("active"), base: .text("new")),
            expectedKind: "applied", expectedField: "phase", expectedValue: .text("active")),
        Case(
            name: "privileged state is refused to a rep", base: ["title": .text("W"), "phase": .text("new")],
            current: ("phase", .text("active")), situation: .causal,
            incoming: .update(field: "phase", value: .text("sealed"), base: .text("active")), expectedKind: "rejected",
            expectedField: "phase", expectedValue: .text("active")),
        Case(
            name: "privileged state is allowed to an admin", base: ["title": .text("W"), "phase": .text("new")],
            current: ("phase", .text("active")), situation: .causal,
            incoming: .update(field: "phase", value: .text("sealed"), base: .text("active")), writer: admin,
            expectedKind: "applied", expectedField: "phase", expectedValue: .text("sealed")),
        Case(
            name: "a state requiring a field is refused without it", base: ["title": .text("W"), "phase": .text("new")],
            current: ("phase", .text("active")), situation: .causal,
            incoming: .update(field: "phase", value: .text("done"), base: .text("active")), expectedKind: "rejected",
            expectedField: "phase", expectedValue: .text("active")),
        Case(
            name: "an insert may not start in a non-initial state", base: [:], situation: .causal,
            incoming: .insert(["title": .text("W"), "phase": .text("active")]), expectedKind: "rejected"),
        // schema
        Case(
            name: "an unknown field is rejected", situation: .causal,
            incoming: .update(field: "colour", value: .text("red"), base: .null), expectedKind: "rejected"),
        Case(
            name: "a value of the wrong type is rejected", situation: .causal,
            incoming: .update(field: "high", value: .text("lots"), base: .null), expectedKind: "rejected",
            expectedField: "high", expectedValue: .null),
        Case(
            name: "a required field cannot be cleared", situation: .causal,
            incoming: .update(field: "title", value: .null, base: .text("Widget")), expectedKind: "rejected",
            expectedField: "title", expectedValue: .text("Widget")),
    ]
}
