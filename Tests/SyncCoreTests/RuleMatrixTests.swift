import SatchelTestSupport
import SyncCore
import Testing

/// One case per rule × situation: a row written by replica A, then one incoming change from
/// replica B that either saw A's latest write (causal) or did not (concurrent).
struct RuleMatrixTests {
    static let merger = Merger(schema: TestSchema.schema)
    typealias Case = RuleMatrix.Case
    static let cases = RuleMatrix.cases

    @Test(arguments: cases)
    func ruleMatrix(_ testCase: Case) throws {
        // Given: A inserts the row (counter 1), maybe writes a field (2), maybe deletes it (3).
        let environment = MergeEnvironment(writer: RuleMatrix.alice)
        var row: RowState?
        var lastA: UInt64 = 0
        func byA(_ operation: Change.Operation, milliseconds: Int64) {
            lastA += 1
            let change = Change(
                dot: Dot(replica: RuleMatrix.a, counter: lastA), hlc: HLCTimestamp(milliseconds: milliseconds),
                wallTime: milliseconds, entity: testCase.entity, rowID: "row-1",
                context: row?.version ?? VersionVector(), operation: operation)
            let result = Self.merger.merge([change], into: row, environment: environment)
            #expect(result.outcomes.first?.outcome == .applied, "setup write by A did not apply")
            row = result.row
        }
        let insertedValues = testCase.base.isEmpty ? nil : testCase.base
        if let insertedValues { byA(.insert(insertedValues), milliseconds: 1000) }
        let seenAfterInsert = row?.version ?? VersionVector()
        if let current = testCase.current {
            byA(.update(field: current.field, value: current.value, base: row?.values[current.field] ?? .null), milliseconds: 2000)
        }
        if testCase.currentDelete { byA(.delete, milliseconds: 2000) }

        // When: B's change arrives, having seen everything (causal) or only the insert (concurrent).
        var rowID = "row-1"
        if case .insert = testCase.incoming, insertedValues != nil { rowID = "row-2" }
        let context = testCase.situation == .causal ? (row?.version ?? VersionVector()) : seenAfterInsert
        let incoming = Change(
            dot: Dot(replica: RuleMatrix.b, counter: 1), hlc: HLCTimestamp(milliseconds: testCase.incomingMilliseconds),
            wallTime: testCase.incomingMilliseconds, entity: testCase.entity, rowID: rowID, context: context,
            operation: testCase.incoming)
        let existing = row
        let target = rowID == "row-1" ? row : nil
        let result = Self.merger.merge(
            [incoming], into: target,
            environment: MergeEnvironment(
                writer: testCase.writer, lookup: { _, id in id == "row-1" ? existing : nil },
                candidates: { entity, keys, excluding in
                    guard let existing, entity == existing.entity, excluding != existing.id,
                        let matcher = TestSchema.schema.entity(entity)?.duplicates,
                        !keys.isDisjoint(with: matcher.keys(of: existing.values))
                    else { return [] }
                    return [existing.id]
                }))

        // Then
        let outcome = try #require(result.outcomes.first?.outcome)
        #expect(outcome.kind == testCase.expectedKind, "\(outcome)")
        if let field = testCase.expectedField {
            #expect(result.row?.values[field] == testCase.expectedValue)
        }
        #expect((result.row?.isDeleted ?? false) == testCase.expectDeleted)
        if case let .merged(winner, _) = outcome, let field = testCase.expectedField {
            #expect(winner == result.row?.values[field])
        }
        if let kind = testCase.expectedConflictKind {
            guard case let .queued(conflict) = outcome else {
                Issue.record("expected a \(kind) conflict, got \(outcome)")
                return
            }
            #expect(conflict.kind == kind)
            #expect(!conflict.explanation.isEmpty)
            #expect(conflict.contenders.contains { $0.stamp.dot == incoming.dot })
            if kind != .duplicateCandidate {
                #expect(conflict.contenders.count == 2)
                #expect(conflict.contenders.contains { $0.stamp.dot.replica == RuleMatrix.a && $0.isCurrent })
            } else {
                #expect(conflict.relatedRowIDs == ["row-1"])
            }
        }
        if case let .rejected(rejection) = outcome {
            #expect(!rejection.rule.isEmpty && !rejection.reason.isEmpty && !rejection.remedy.isEmpty)
            #expect(result.row == target, "a rejected change must leave the row untouched")
        }
    }
}
