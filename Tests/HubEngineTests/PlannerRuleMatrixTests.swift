import HubEngine
import SatchelTestSupport
import SyncCore
import Testing

/// The Merger's rule matrix (``RuleMatrix``) through the hub: A's writes and B's change are
/// pushed as changesets to the planner over an in-memory store, and what the store holds after
/// the plans are applied (the row, the stored outcome, the queue) must be what the rule says.
struct PlannerRuleMatrixTests {
    static let now: Int64 = 10_000

    @Test(arguments: RuleMatrix.cases)
    func ruleMatrixThroughTheHub(_ testCase: RuleMatrix.Case) throws {
        let store = MemoryHubStore(schema: TestSchema.schema)

        // Given: A inserts the row (counter 1), maybe writes a field (2), maybe deletes it (3),
        // each pushed as a changeset of its own by a laptop that saw the hub's row.
        var lastA: UInt64 = 0
        func byA(_ operation: Change.Operation, milliseconds: Int64) throws {
            lastA += 1
            let change = Change(
                dot: Dot(replica: RuleMatrix.a, counter: lastA), hlc: HLCTimestamp(milliseconds: milliseconds),
                wallTime: milliseconds, entity: testCase.entity, rowID: "row-1",
                context: store.row(testCase.entity, id: "row-1")?.version ?? VersionVector(), operation: operation)
            let response = try store.push(changeset(RuleMatrix.a, RuleMatrix.alice, [change]), as: RuleMatrix.alice, now: Self.now)
            #expect(response.outcomes.first?.outcome == .applied, "setup write by A did not apply")
        }
        let insertedValues = testCase.base.isEmpty ? nil : testCase.base
        if let insertedValues { try byA(.insert(insertedValues), milliseconds: 1000) }
        let seenAfterInsert = store.row(testCase.entity, id: "row-1")?.version ?? VersionVector()
        if let current = testCase.current {
            let base = store.row(testCase.entity, id: "row-1")?.values[current.field] ?? .null
            try byA(.update(field: current.field, value: current.value, base: base), milliseconds: 2000)
        }
        if testCase.currentDelete { try byA(.delete, milliseconds: 2000) }

        // When: B's change arrives, having seen everything (causal) or only the insert (concurrent).
        var rowID = "row-1"
        if case .insert = testCase.incoming, insertedValues != nil { rowID = "row-2" }
        let before = store.row(testCase.entity, id: rowID)
        let context =
            testCase.situation == .causal ? (store.row(testCase.entity, id: "row-1")?.version ?? VersionVector()) : seenAfterInsert
        let incoming = Change(
            dot: Dot(replica: RuleMatrix.b, counter: 1), hlc: HLCTimestamp(milliseconds: testCase.incomingMilliseconds),
            wallTime: testCase.incomingMilliseconds, entity: testCase.entity, rowID: rowID, context: context,
            operation: testCase.incoming)
        let response = try store.push(changeset(RuleMatrix.b, testCase.writer, [incoming]), as: testCase.writer, now: Self.now)

        // Then: the answer, and the store holds what the answer says.
        let outcome = try #require(response.outcomes.first?.outcome)
        #expect(outcome.kind == testCase.expectedKind, "\(outcome)")
        #expect(store.outcome(of: RuleMatrix.b, counter: 1) == outcome, "the stored outcome is the one answered")
        #expect(store.highWater(of: RuleMatrix.b) == 1)
        let row = store.row(testCase.entity, id: rowID)
        if let field = testCase.expectedField {
            #expect(row?.values[field] ?? .null == testCase.expectedValue ?? .null)
        }
        #expect((row?.isDeleted ?? false) == testCase.expectDeleted)
        if case let .merged(winner, _) = outcome, let field = testCase.expectedField {
            #expect(winner == row?.values[field])
        }
        let open = store.conflicts(includeResolved: false)
        if let kind = testCase.expectedConflictKind {
            guard case let .queued(conflict) = outcome else {
                Issue.record("expected a \(kind) conflict, got \(outcome)")
                return
            }
            #expect(conflict.kind == kind)
            #expect(open.map(\.conflict.id) == [conflict.id], "the queue holds the conflict, once")
            #expect(conflict.contenders.contains { $0.stamp.dot == incoming.dot })
            if kind == .duplicateCandidate {
                #expect(conflict.relatedRowIDs == ["row-1"])
            } else {
                #expect(conflict.contenders.contains { $0.stamp.dot.replica == RuleMatrix.a && $0.isCurrent })
            }
        } else {
            #expect(open.isEmpty, "nothing queued: \(open.map(\.conflict.explanation))")
        }
        if case .rejected = outcome {
            // The values stay; the version records the refused dot, so the writer's replica
            // can tell that the row it pulls back already holds the hub's verdict.
            #expect(row?.values == before?.values && row?.stamps == before?.stamps, "a rejected change must leave the values")
            #expect(row?.isDeleted == before?.isDeleted)
            if var expected = before?.version {
                expected.record(incoming.dot)
                #expect(row?.version == expected)
            }
        }
        #expect(store.check().isEmpty, "\(store.check())")
    }

    func changeset(_ replica: ReplicaID, _ writer: Writer, _ changes: [Change]) -> Changeset {
        Changeset(replica: replica, user: writer.user, device: writer.device, schemaVersion: TestSchema.schema.version, changes: changes)
    }
}
