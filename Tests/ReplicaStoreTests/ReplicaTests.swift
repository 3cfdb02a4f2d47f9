import Foundation
import ReplicaStore
import SatchelModel
import SatchelTestSupport
import SyncCore
import Testing

struct ReplicaTests {
    let clock = ManualClock()

    func makeReplica() throws -> Replica {
        let replica = try Replica.inMemory(schema: CRMSchema.schema, replicaID: ReplicaID("laptop-1"), clock: clock.wallClock)
        try replica.setWriter(user: "alice", device: "alice-laptop")
        return replica
    }

    // MARK: - The file

    @Test func replicaFileIsOwnerOnlyAndInWALMode() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("satchel-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("replica.sqlite").path
        let replica = try Replica.open(at: path, schema: CRMSchema.schema, replicaID: ReplicaID("r1"), clock: clock.wallClock)
        try replica.insert("account", values: ["name": .text("Acme")])
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))

        // Reopening keeps the identity and the data.
        let reopened = try Replica.open(at: path, schema: CRMSchema.schema, clock: clock.wallClock)
        #expect(try reopened.identity().replicaID == ReplicaID("r1"))
        #expect(try reopened.rows("account").count == 1)
    }

    @Test func aFileThatIsNotADatabaseGetsAClearError() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("garbage-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: path))
        #expect {
            try Replica.open(at: path, schema: CRMSchema.schema)
        } throws: { error in
            guard let error = error as? ReplicaError, case .notAReplica = error else { return false }
            return error.description.contains("log in again")
        }
    }

    // MARK: - Capture

    @Test func anInsertIsCapturedWithADotAndAnEmptyContext() throws {
        let replica = try makeReplica()
        let id = try replica.insert("account", values: ["name": .text("Acme Ltd"), "city": .text("Lyon")])
        let changeset = try #require(try replica.pendingChangeset())
        #expect(changeset.user == "alice")
        #expect(changeset.changes.count == 1)
        let change = changeset.changes[0]
        #expect(change.dot == Dot(replica: ReplicaID("laptop-1"), counter: 1))
        #expect(change.hlc.milliseconds == clock.now)
        #expect(change.context.isEmpty)
        guard case let .insert(values) = change.operation else {
            Issue.record("expected an insert, got \(change.operation)")
            return
        }
        #expect(values["name"] == .text("Acme Ltd"))
        #expect(values["tags"] == .null)
        #expect(try replica.version("account", id: id) == VersionVector([ReplicaID("laptop-1"): 1]))
    }

    @Test func anUpdateCapturesEachChangedFieldWithBaseAndContext() throws {
        let replica = try makeReplica()
        let id = try replica.insert("account", values: ["name": .text("Acme"), "phone": .text("1")])
        clock.advance(by: 1000)
        try replica.update("account", id: id, set: ["phone": .text("2"), "name": .text("Acme"), "tags": .stringSet(["b", "a"])])
        let changes = try #require(try replica.pendingChangeset()).changes
        #expect(changes.count == 3, "the unchanged name is not captured")
        let updates = changes.dropFirst().map(\.operation)
        #expect(updates.contains(.update(field: "phone", value: .text("2"), base: .text("1"))))
        #expect(updates.contains(.update(field: "tags", value: .stringSet(["a", "b"]), base: .null)))
        #expect(changes[1].context == VersionVector([ReplicaID("laptop-1"): 1]))
        #expect(changes[2].context == VersionVector([ReplicaID("laptop-1"): 2]))
        #expect(changes[1].hlc > changes[0].hlc && changes[2].hlc > changes[1].hlc)
    }

    @Test func rawSQLWritesAreCapturedToo() throws {
        let replica = try makeReplica()
        let id = try replica.insert("account", values: ["name": .text("Acme")])
        try replica.execute(sql: "UPDATE account SET phone = '+33 1' WHERE id = ?", arguments: [id])
        try replica.execute(sql: "DELETE FROM account WHERE id = ?", arguments: [id])
        let ops = try #require(try replica.pendingChangeset()).changes.map(\.operation)
        #expect(ops.map(\.name) == ["insert", "update", "delete"])
        #expect(ops[1] == .update(field: "phone", value: .text("+33 1"), base: .null))
    }

    @Test func aVisitCannotBeChangedEvenByRawSQL() throws {
        let replica = try makeReplica()
        let account = try replica.insert("account", values: ["name": .text("Acme")])
        let visit = try replica.insert(
            "visit",
            values: [
                "account_id": .text(account), "rep": .text("alice"), "started_at": .integer(clock.now),
                "channel": .text("phone"), "purpose": .text("intro"),
            ])
        #expect(throws: (any Error).self) {
            try replica.execute(sql: "UPDATE visit SET purpose = 'x' WHERE id = ?", arguments: [visit])
        }
        #expect(throws: ReplicaError.self) { try replica.delete("visit", id: visit) }
        // The account, the visit, and the account's first and last contact the visit moved.
        #expect(try replica.pendingCount() == 4)
    }

    @Test func aVisitMovesItsAccountsContactTimesInTheSameWrite() throws {
        let replica = try makeReplica()
        let account = try replica.insert("account", values: ["name": .text("Acme")])
        func visit(at start: Int64, minutes: Int64 = 30) throws {
            try replica.insert(
                "visit",
                values: [
                    "account_id": .text(account), "rep": .text("alice"), "started_at": .integer(start),
                    "ended_at": .integer(start + minutes * 60_000), "channel": .text("phone"), "purpose": .text("call"),
                ])
        }
        func contact() throws -> (first: Int64?, last: Int64?) {
            let row = try replica.row("account", id: account)
            return (row?["first_contacted_at"]?.integerValue, row?["last_contacted_at"]?.integerValue)
        }
        let noon = clock.now
        try visit(at: noon)
        #expect(try contact() == (noon, noon))
        try visit(at: noon - 86_400_000)
        #expect(try contact() == (noon - 86_400_000, noon), "an earlier visit moves only the first contact back")
        try visit(at: noon + 3_600_000)
        #expect(try contact() == (noon - 86_400_000, noon + 3_600_000), "a later one moves only the last contact on")

        // A visit that is refused moves nothing.
        let pending = try replica.pendingCount()
        #expect(throws: ReplicaError.self) { try visit(at: noon + 7_200_000, minutes: -10) }
        #expect(try contact() == (noon - 86_400_000, noon + 3_600_000))
        #expect(try replica.pendingCount() == pending)

        // The moves travel as the account's own field changes.
        let changes = try #require(try replica.pendingChangeset()).changes.filter { $0.entity == "account" }
        #expect(changes.map(\.operation.name) == ["insert", "update", "update", "update", "update"])
    }

    // MARK: - Bad input changes nothing

    @Test func invalidInputWritesNothing() throws {
        let replica = try makeReplica()
        let id = try replica.insert("account", values: ["name": .text("Acme")])
        let before = try replica.pendingCount()
        #expect(throws: ReplicaError.invalid(.invalidValue(field: "account.value_tier", reason: "must be one of key, development, maintenance, opportunity"))) {
            try replica.update("account", id: id, set: ["value_tier": .text("gold"), "phone": .text("1")])
        }
        #expect(throws: ReplicaError.invalid(.unknownField(entity: "account", field: "colour"))) {
            try replica.update("account", id: id, set: ["colour": .text("red")])
        }
        #expect(throws: ReplicaError.unknownRecord(entity: "account", id: "nope")) {
            try replica.update("account", id: "nope", set: ["phone": .text("1")])
        }
        #expect(throws: ReplicaError.unknownRecord(entity: "account", id: "nope")) {
            try replica.insert("contact", values: ["account_id": .text("nope"), "name": .text("Bo")])
        }
        #expect(throws: ReplicaError.invalid(.missingRequired(entity: "account", field: "name"))) {
            try replica.insert("account", values: ["city": .text("Lyon")])
        }
        #expect(try replica.pendingCount() == before)
        #expect(try replica.row("account", id: id)?["phone"] == .null)
    }

    @Test func serverOwnedFieldsAreRefusedOnTheLaptop() throws {
        let replica = try makeReplica()
        let id = try replica.insert("account", values: ["name": .text("Acme")])
        #expect(throws: ReplicaError.self) { try replica.update("account", id: id, set: ["credit_status": .text("hold")]) }
        #expect(throws: ReplicaError.self) {
            try replica.insert("account", values: ["name": .text("B"), "owner": .text("alice")])
        }
        #expect(try replica.pendingCount() == 1)
    }

    @Test func closingAnOpportunityNeedsAReasonInTheSameWrite() throws {
        let replica = try makeReplica()
        let account = try replica.insert("account", values: ["name": .text("Acme")])
        let opportunity = try replica.insert(
            "opportunity", values: ["account_id": .text(account), "name": .text("Deal"), "stage": .text("negotiation")])
        #expect {
            try replica.update("opportunity", id: opportunity, set: ["stage": .text("closed_won")])
        } throws: { error in
            (error as? ReplicaError).map { "\($0)".contains("close reason") } ?? false
        }
        #expect(try replica.row("opportunity", id: opportunity)?["stage"] == .text("negotiation"))
        try replica.update(
            "opportunity", id: opportunity, set: ["stage": .text("closed_won"), "close_reason": .text("signed")])
        #expect(try replica.row("opportunity", id: opportunity)?["stage"] == .text("closed_won"))
        #expect(throws: ReplicaError.self) {
            try replica.update("opportunity", id: opportunity, set: ["name": .text("Renamed")])
        }
    }

    @Test func aRepCannotApproveAnOrder() throws {
        let replica = try makeReplica()
        let account = try replica.insert("account", values: ["name": .text("Acme")])
        let order = try replica.insert("order", values: ["account_id": .text(account), "status": .text("draft")])
        try replica.update("order", id: order, set: ["status": .text("submitted")])
        #expect(throws: ReplicaError.self) { try replica.update("order", id: order, set: ["status": .text("approved")]) }
    }

    // MARK: - Applying pulled rows

    func snapshot(_ id: String, seq: Int64, _ values: [String: FieldValue], version: VersionVector = VersionVector([ReplicaID("hub"): 1]), deleted: Bool = false) -> RowSnapshot {
        RowSnapshot(entity: "account", id: id, seq: seq, values: values, version: version, deleted: deleted)
    }

    @Test func applyingAPageIsNotCapturedAndIsIdempotent() throws {
        let replica = try makeReplica()
        let page = PullResponse(
            rows: [snapshot("a1", seq: 5, ["name": .text("Acme"), "phone": .text("1")])], cursor: 5, hasMore: false)
        try replica.apply(page)
        try replica.apply(page)
        #expect(try replica.pendingCount() == 0)
        #expect(try replica.row("account", id: "a1")?["phone"] == .text("1"))
        #expect(try replica.identity().pullCursor == 5)
        #expect(try replica.version("account", id: "a1") == VersionVector([ReplicaID("hub"): 1]))

        try replica.apply(PullResponse(rows: [snapshot("a1", seq: 6, ["name": .text("Acme")], deleted: true)], cursor: 6, hasMore: false))
        #expect(try replica.row("account", id: "a1") == nil)
        #expect(try replica.pendingCount() == 0)
    }

    @Test func pendingLocalFieldsSurviveAPullUntilAcknowledged() throws {
        let replica = try makeReplica()
        try replica.apply(PullResponse(rows: [snapshot("a1", seq: 1, ["name": .text("Acme"), "phone": .text("1")])], cursor: 1, hasMore: false))
        try replica.update("account", id: "a1", set: ["phone": .text("mine")])
        let hubVersion = VersionVector([ReplicaID("hub"): 1, ReplicaID("other"): 4])
        try replica.apply(
            PullResponse(
                rows: [snapshot("a1", seq: 2, ["name": .text("Acme Ltd"), "phone": .text("theirs")], version: hubVersion)],
                cursor: 2, hasMore: false))
        let row = try #require(try replica.row("account", id: "a1"))
        #expect(row["phone"] == .text("mine"), "the pending local value stays")
        #expect(row["name"] == .text("Acme Ltd"), "other fields follow the hub")
        #expect(try replica.version("account", id: "a1")[ReplicaID("other")] == 0, "no unseen dots enter the context")

        // Once the push is acknowledged, the next pull brings the hub's verdict.
        let pending = try #require(try replica.pendingChangeset())
        try replica.acknowledge(
            PushResponse(outcomes: [ChangeOutcome(counter: pending.changes[0].dot.counter, outcome: .merged(winner: .text("theirs"), rule: "last-writer-wins"))], highWater: 1))
        #expect(try replica.pendingCount() == 0)
        #expect(try replica.outcomes(unseenOnly: true).first?.outcome.kind == "merged")
        try replica.apply(
            PullResponse(rows: [snapshot("a1", seq: 3, ["name": .text("Acme Ltd"), "phone": .text("theirs")], version: hubVersion)], cursor: 3, hasMore: false))
        #expect(try replica.row("account", id: "a1")?["phone"] == .text("theirs"))
        #expect(try replica.version("account", id: "a1")[ReplicaID("other")] == 4)
    }

    @Test func aRowDeletedAtTheHubStaysWhileItHasUnpushedEdits() throws {
        let replica = try makeReplica()
        try replica.apply(PullResponse(rows: [snapshot("a1", seq: 1, ["name": .text("Acme")])], cursor: 1, hasMore: false))
        try replica.update("account", id: "a1", set: ["phone": .text("mine")])
        let tombstone = snapshot("a1", seq: 2, ["name": .text("Acme")], version: VersionVector([ReplicaID("hub"): 2]), deleted: true)
        try replica.apply(PullResponse(rows: [tombstone], cursor: 2, hasMore: false))
        #expect(try replica.row("account", id: "a1")?["phone"] == .text("mine"), "the rep's edit stays visible")

        // The hub rejects the edit (delete wins) and the held tombstone, which already counted
        // the edit, is applied with the acknowledgement.
        let pending = try #require(try replica.pendingChangeset()).changes[0].dot
        var judged = tombstone
        judged.version.record(pending)
        try replica.apply(PullResponse(rows: [judged], cursor: 3, hasMore: false))
        try replica.acknowledge(
            PushResponse(
                outcomes: [ChangeOutcome(counter: pending.counter, outcome: .rejected(Rejection(rule: "deleted", reason: "gone", remedy: "none")))],
                highWater: pending.counter))
        #expect(try replica.row("account", id: "a1") == nil)
    }

    // MARK: - Local queries

    @Test func searchFindsAccountsByNameCityAndPhoneDigits() throws {
        let replica = try makeReplica()
        let acme = try replica.insert("account", values: ["name": .text("Acme Ltd"), "city": .text("Lyon"), "phone": .text("+33 4-72 10 20 30")])
        let bolt = try replica.insert("account", values: ["name": .text("Bolt 100% SA"), "city": .text("Paris")])
        #expect(try replica.searchAccounts("acme").map(\.id) == [acme])
        #expect(try replica.searchAccounts("PARIS").map(\.id) == [bolt])
        #expect(try replica.searchAccounts("472102").map(\.id) == [acme])
        #expect(try replica.searchAccounts("100%").map(\.id) == [bolt])
        #expect(try replica.searchAccounts("%").map(\.id) == [bolt], "% is literal, not a wildcard")
        #expect(try replica.searchAccounts("_").isEmpty)
        #expect(try replica.searchAccounts("").count == 2)
        #expect(try replica.searchAccounts("", limit: 1).count == 1)
    }

    @Test func overdueAccountsFollowTheirIntervalOrTheirTier() throws {
        let replica = try makeReplica()
        let day: Int64 = 86_400_000
        let now = clock.now
        let key = try replica.insert("account", values: ["name": .text("Key"), "value_tier": .text("key")])
        let custom = try replica.insert("account", values: ["name": .text("Custom"), "visit_interval_days": .integer(5)])
        let fresh = try replica.insert("account", values: ["name": .text("Fresh"), "value_tier": .text("opportunity")])
        let never = try replica.insert("account", values: ["name": .text("Never")])
        for (account, daysAgo) in [(key, Int64(20)), (custom, 6), (fresh, 10)] {
            try replica.insert(
                "visit",
                values: [
                    "account_id": .text(account), "rep": .text("alice"), "started_at": .integer(now - daysAgo * day),
                    "channel": .text("face_to_face"), "purpose": .text("check-in"),
                ])
        }
        let overdue = try replica.overdueAccounts(asOf: now)
        #expect(overdue.map(\.id) == [key, custom, never])
        #expect(overdue.map(\.daysOverdue) == [6, 1, nil])
        #expect(overdue.map(\.intervalDays) == [14, 5, 90])
        #expect(try replica.visits(ofAccount: key).count == 1)
        #expect(try replica.visits(since: now - 7 * day).count == 1)
    }

    @Test func openPipelineSumsByStageAndWeightsByProbability() throws {
        let replica = try makeReplica()
        let account = try replica.insert("account", values: ["name": .text("Acme")])
        func deal(_ stage: String, _ minor: Int64, _ probability: Int64) throws {
            try replica.insert(
                "opportunity",
                values: [
                    "account_id": .text(account), "name": .text("\(stage) \(minor)"), "stage": .text(stage),
                    "amount": .money(Money(minor: minor, currency: "EUR")), "probability": .integer(probability),
                ])
        }
        try deal("negotiation", 10_000, 50)
        try deal("negotiation", 30_000, 10)
        try deal("prospecting", 5_000, 20)
        let won = try replica.insert("opportunity", values: ["account_id": .text(account), "name": .text("Won"), "stage": .text("contract")])
        try replica.update("opportunity", id: won, set: ["stage": .text("closed_won"), "close_reason": .text("signed")])
        let pipeline = try replica.openPipeline()
        #expect(pipeline.map(\.stage) == ["prospecting", "negotiation"])
        #expect(pipeline[1].count == 2)
        #expect(pipeline[1].amount == ["EUR": 40_000])
        #expect(pipeline[1].weighted == ["EUR": 8_000])
        #expect(pipeline[0].weighted == ["EUR": 1_000])
        #expect(try replica.contacts(ofAccount: account).isEmpty)
    }
}
