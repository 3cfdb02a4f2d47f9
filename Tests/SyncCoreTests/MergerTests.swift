import SatchelTestSupport
import SyncCore
import Testing

struct MergerTests {
    let replica = ReplicaID("a")
    let merger = Merger(schema: TestSchema.schema)
    let rep = MergeEnvironment(writer: Writer(user: "alice", device: "laptop", isPrivileged: false))

    func change(_ counter: UInt64, _ operation: Change.Operation, context: VersionVector) -> Change {
        Change(
            dot: Dot(replica: replica, counter: counter), hlc: HLCTimestamp(milliseconds: Int64(counter) * 1000),
            wallTime: Int64(counter) * 1000, entity: "item", rowID: "row", context: context, operation: operation)
    }

    /// A delete meeting an insert it did not see names one of the insert's fields in its conflict:
    /// the first declared, however the row's stamps happen to be ordered in memory (a state read
    /// back from a store and one built in place must give the same conflict; the store-contract
    /// test found them naming different fields).
    @Test func aDeleteAgainstUnseenFieldsWrittenTogetherNamesTheFirstDeclared() throws {
        let insert = change(
            1, .insert(["code": .text("C"), "body": .text("B"), "title": .text("W"), "rating": .text("a")]),
            context: VersionVector())
        let inserted = try #require(merger.merge([insert], into: nil, environment: rep).row)
        var fields: Set<String?> = []
        for capacity in [0, 4, 16, 64, 256] {
            var state = inserted
            var stamps: [String: FieldStamp] = [:]
            stamps.reserveCapacity(capacity)
            for (name, stamp) in inserted.stamps.sorted(by: { $0.key > $1.key }) { stamps[name] = stamp }
            state.stamps = stamps
            let delete = Change(
                dot: Dot(replica: ReplicaID("b"), counter: 1), hlc: HLCTimestamp(milliseconds: 5000), wallTime: 5000,
                entity: "item", rowID: "row", context: VersionVector(), operation: .delete)
            guard case .queued(let conflict) = merger.merge([delete], into: state, environment: rep).outcomes.first?.outcome
            else {
                Issue.record("an unseen edit must queue the delete")
                return
            }
            fields.insert(conflict.field)
        }
        #expect(fields == ["title"])
    }

    @Test func anInvariantBlamesTheLatestStepAndKeepsTheValidOnes() throws {
        // Given: new → active (valid), then active → done without the note "done" needs.
        let insert = change(1, .insert(["title": .text("W"), "phase": .text("new")]), context: VersionVector())
        let activate = change(2, .update(field: "phase", value: .text("active"), base: .text("new")), context: VersionVector([replica: 1]))
        let finish = change(3, .update(field: "phase", value: .text("done"), base: .text("active")), context: VersionVector([replica: 2]))

        // When
        let result = merger.merge([insert, activate, finish], into: nil, environment: rep)

        // Then
        #expect(result.outcomes.map(\.outcome.kind) == ["applied", "applied", "rejected"])
        #expect(result.row?.values["phase"] == .text("active"))
        guard case let .rejected(rejection) = result.outcomes[2].outcome else { return }
        #expect(rejection.rule == "item.phase-requirements")
        #expect(rejection.reason.contains("done note"))
    }

    @Test func theNoteAndTheMoveInOneBatchSatisfyTheInvariant() throws {
        let insert = change(1, .insert(["title": .text("W"), "phase": .text("new")]), context: VersionVector())
        let activate = change(2, .update(field: "phase", value: .text("active"), base: .text("new")), context: VersionVector([replica: 1]))
        let finish = change(3, .update(field: "phase", value: .text("done"), base: .text("active")), context: VersionVector([replica: 2]))
        let note = change(4, .update(field: "done_note", value: .text("shipped"), base: .null), context: VersionVector([replica: 3]))
        let result = merger.merge([insert, activate, finish, note], into: nil, environment: rep)
        #expect(result.outcomes.allSatisfy { $0.outcome == .applied })
        #expect(result.row?.values["phase"] == .text("done"))
    }

    @Test func mergingTheSameBatchTwiceChangesNothing() throws {
        let insert = change(1, .insert(["title": .text("W")]), context: VersionVector())
        let rename = change(2, .update(field: "title", value: .text("X"), base: .text("W")), context: VersionVector([replica: 1]))
        let once = merger.merge([insert, rename], into: nil, environment: rep)
        let twice = merger.merge([insert, rename], into: once.row, environment: rep)
        #expect(twice.row == once.row)
        #expect(twice.outcomes.map(\.outcome) == [.applied, .applied])
    }

    @Test func anUnknownEntityIsRejectedWithARemedy() {
        var stray = change(1, .insert(["x": .text("y")]), context: VersionVector())
        stray.entity = "spaceship"
        let result = merger.merge([stray], into: nil, environment: rep)
        guard case let .rejected(rejection) = result.outcomes[0].outcome else {
            Issue.record("expected a rejection")
            return
        }
        #expect(rejection.rule == "schema")
        #expect(result.row == nil)
    }
}

extension MergerTests {
    @Test func aRowCreatedAndMovedOfflineIsJudgedStepByStep() {
        // A record created offline and moved on before the first sync: each step was legal on
        // the laptop, so each is legal at the hub, although the final state is not initial.
        let insert = change(1, .insert(["title": .text("W"), "phase": .text("new")]), context: VersionVector())
        let activate = change(2, .update(field: "phase", value: .text("active"), base: .text("new")), context: VersionVector([replica: 1]))
        let result = merger.merge([insert, activate], into: nil, environment: rep)
        #expect(result.outcomes.map(\.outcome) == [.applied, .applied])
        #expect(result.row?.values["phase"] == .text("active"))
    }

    @Test func aSkippedStepIsRejectedEvenInsideABatch() {
        let insert = change(1, .insert(["title": .text("W"), "phase": .text("new")]), context: VersionVector())
        let skip = change(2, .update(field: "phase", value: .text("done"), base: .text("new")), context: VersionVector([replica: 1]))
        let note = change(3, .update(field: "done_note", value: .text("x"), base: .null), context: VersionVector([replica: 2]))
        let result = merger.merge([insert, skip, note], into: nil, environment: rep)
        #expect(result.outcomes.map(\.outcome.kind) == ["applied", "rejected", "applied"])
        #expect(result.row?.values["phase"] == .text("new"))
    }
}

extension MergerTests {
    @Test func aStateOnceSetCannotBeCleared() {
        let insert = change(1, .insert(["title": .text("W"), "phase": .text("new")]), context: VersionVector())
        let clear = change(2, .update(field: "phase", value: .null, base: .text("new")), context: VersionVector([replica: 1]))
        let result = merger.merge([insert, clear], into: nil, environment: rep)
        #expect(result.outcomes.map(\.outcome.kind) == ["applied", "rejected"])
        #expect(result.row?.values["phase"] == .text("new"))
    }

    @Test func aRecordWithoutAStateEntersTheMachineAtTheStart() {
        let insert = change(1, .insert(["title": .text("W")]), context: VersionVector())
        let jump = change(2, .update(field: "phase", value: .text("active"), base: .null), context: VersionVector([replica: 1]))
        let start = change(3, .update(field: "phase", value: .text("new"), base: .null), context: VersionVector([replica: 1]))
        #expect(merger.merge([insert, jump], into: nil, environment: rep).outcomes.map(\.outcome.kind) == ["applied", "rejected"])
        #expect(merger.merge([insert, start], into: nil, environment: rep).outcomes.map(\.outcome.kind) == ["applied", "applied"])
    }
}

extension MergerTests {
    @Test func aWriterWhoWasNotShownAMergeCannotOverwriteIt() {
        // Given: the body is merged from two concurrent edits, one of them by replica a.
        let b = ReplicaID("b")
        let insert = change(1, .insert(["title": .text("W"), "body": .text("one\ntwo\nthree")]), context: VersionVector())
        let base = merger.merge([insert], into: nil, environment: rep).row
        var byB = change(1, .update(field: "body", value: .text("one\ntwo\nthree\nfour"), base: .text("one\ntwo\nthree")), context: VersionVector([replica: 1]))
        byB.dot = Dot(replica: b, counter: 1)
        let afterB = merger.merge([byB], into: base, environment: rep).row
        let byA = change(2, .update(field: "body", value: .text("ONE\ntwo\nthree"), base: .text("one\ntwo\nthree")), context: VersionVector([replica: 1]))
        let merged = merger.merge([byA], into: afterB, environment: rep)
        #expect(merged.row?.values["body"] == .text("ONE\ntwo\nthree\nfour"))

        // When: a, who never saw B's line, edits again from its own text.
        let again = change(3, .update(field: "body", value: .text("ONE\nTWO\nthree"), base: .text("ONE\ntwo\nthree")), context: VersionVector([replica: 2]))
        let result = merger.merge([again], into: merged.row, environment: rep)

        // Then: B's line survives; the write is merged, not applied over it.
        #expect(result.outcomes.first?.outcome.kind == "merged")
        #expect(result.row?.values["body"] == .text("ONE\nTWO\nthree\nfour"))
    }

    /// Seed 190056 of the long simulation: a text-merged value holds a write its next writer never
    /// saw. That writer's context covers the value's own dot but not the write merged into it, so
    /// its edit of the same line is concurrent with that write and goes to review; once it has seen
    /// the merged value, the same edit applies.
    @Test func aWriterWhoNeverSawAMergedInWriteIsConcurrentWithIt() throws {
        let one = ReplicaID("rep-1")
        let four = ReplicaID("rep-4")
        let base = "line one\nline two\nline three\n"
        func edit(_ replica: ReplicaID, _ counter: UInt64, _ text: String, base: String, context: VersionVector) -> Change {
            Change(
                dot: Dot(replica: replica, counter: counter), hlc: HLCTimestamp(milliseconds: 1_000 * Int64(counter)),
                wallTime: 1_000 * Int64(counter), entity: "item", rowID: "row", context: context,
                operation: .update(field: "body", value: .text(text), base: .text(base)))
        }
        let insert = change(1, .insert(["title": .text("W"), "body": .text(base)]), context: VersionVector())
        let seeded = try #require(merger.merge([insert], into: nil, environment: rep).row)
        // rep-1 edits line two; rep-4, concurrently, line three: the hub merges them, and the
        // stamp of the result (rep-4's) holds rep-1's write.
        let fromOne = edit(one, 1, "line one\nrep1 edited line 2\nline three\n", base: base, context: VersionVector([replica: 1]))
        let fromFour = edit(four, 1, "line one\nline two\nrep4 edited line 3\n", base: base, context: VersionVector([replica: 1]))
        let merged = try #require(merger.merge([fromOne], into: seeded, environment: rep).row)
        let combined = merger.merge([fromFour], into: merged, environment: rep)
        #expect(combined.outcomes.first?.outcome.kind == "merged")
        let row = try #require(combined.row)
        #expect(row.values["body"] == .text("line one\nrep1 edited line 2\nrep4 edited line 3\n"))
        #expect(row.stamps["body"]?.dot == Dot(replica: four, counter: 1))
        #expect(row.stamps["body"]?.merged == [Dot(replica: one, counter: 1)])

        // rep-4, before it pulls the merge, edits line two too: its context covers the value's dot
        // (its own write) but not rep-1's, and both changed line two.
        let unseen = edit(
            four, 2, "line one\nrep4 edited line 2\nrep4 edited line 3\n", base: "line one\nline two\nrep4 edited line 3\n",
            context: VersionVector([replica: 1, four: 1]))
        #expect(row.stamps["body"]?.isCovered(by: unseen.context) == false)
        guard case .queued(let conflict) = merger.merge([unseen], into: row, environment: rep).outcomes.first?.outcome else {
            Issue.record("an edit of a line the writer never saw changed was not queued")
            return
        }
        #expect(conflict.rule == FieldRule.textMerge.rawValue)

        // After pulling the merged value, the same edit is causally later and applies as written.
        let seen = edit(
            four, 2, "line one\nrep4 edited line 2\nrep4 edited line 3\n",
            base: "line one\nrep1 edited line 2\nrep4 edited line 3\n", context: VersionVector([replica: 1, four: 1, one: 1]))
        let after = merger.merge([seen], into: row, environment: rep)
        #expect(after.outcomes.first?.outcome == .applied)
        #expect(after.row?.values["body"] == .text("line one\nrep4 edited line 2\nrep4 edited line 3\n"))
    }
}

/// A causal context is believed only as far as the receiver has seen each replica.
struct ContextClampTests {
    @Test func aForgedContextIsCutToWhatWasSeen() {
        let writer = Dot(replica: ReplicaID("alice"), counter: 5)
        let seen: [ReplicaID: UInt64] = [ReplicaID("bob"): 7]
        let forged = VersionVector([ReplicaID("bob"): 1_000, ReplicaID("ghost"): 50, ReplicaID("alice"): 90])
        let clamped = forged.clamped(for: writer) { seen[$0] ?? 0 }
        #expect(clamped == VersionVector([ReplicaID("bob"): 7, ReplicaID("alice"): 4]))
        let honest = VersionVector([ReplicaID("bob"): 3, ReplicaID("alice"): 4])
        #expect(honest.clamped(for: writer) { seen[$0] ?? 0 } == honest)
        #expect(VersionVector([ReplicaID("alice"): 1]).clamped(for: Dot(replica: ReplicaID("alice"), counter: 1)) { _ in 0 }.isEmpty)
    }
}
