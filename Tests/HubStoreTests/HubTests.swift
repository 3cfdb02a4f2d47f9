import Foundation
import HubEngine
import HubStore
import ReplicaStore
import SatchelModel
import SatchelTestSupport
import SyncCore
import Testing

struct HubTests {
    let clock = ManualClock()
    let alice = Writer(user: "alice", device: "alice-laptop", isPrivileged: false)
    let bob = Writer(user: "bob", device: "bob-laptop", isPrivileged: false)

    func makeHub(maxClockDrift: Int64 = HybridClock.defaultMaxForwardDrift) throws -> Hub {
        try Hub.inMemory(schema: CRMSchema.schema, clock: clock.wallClock, maxClockDrift: maxClockDrift)
    }

    func makeReplica(_ name: String, hub: Hub) throws -> Replica {
        try InProcessSync.enroll(user: name, hub: hub, clock: clock.wallClock, replicaID: ReplicaID(name + "-replica"))
    }

    // MARK: - Pages in their wire form

    @Test func encodedPagesAreTheTypedPagesWithoutDecoding() throws {
        let hub = try makeHub()
        let replica = try makeReplica("alice", hub: hub)
        let acme = try replica.insert("account", values: ["name": .text("Acme"), "tags": .stringSet(["key", "north"])])
        try replica.update("account", id: acme, set: ["phone": .text("+33 1"), "notes": .text("met Marie")])
        let task = try replica.insert("task", values: ["account_id": .text(acme), "subject": .text("Call"), "status": .text("open")])
        try replica.delete("task", id: task)
        try replica.insert("account", values: ["name": .text("Bolt")])
        _ = try hub.push(try #require(try replica.pendingChangeset()), as: alice)

        for limit in [1, 2, 500] {
            var cursor: Int64 = 0
            while true {
                let typed = try hub.pull(since: cursor, limit: limit, for: nil)
                let encoded = try hub.pullEncoded(since: cursor, limit: limit, for: nil)
                #expect(try WireJSON.decoder.decode(PullResponse.self, from: encoded.json) == typed)
                #expect(encoded.rowCount == typed.rows.count && encoded.next == typed.cursor && encoded.hasMore == typed.hasMore)
                cursor = typed.cursor
                if !typed.hasMore { break }
            }
            var position: (snapshot: Int64?, after: Int64) = (nil, 0)
            while true {
                let typed = try hub.bootstrap(snapshot: position.snapshot, after: position.after, limit: limit, for: nil)
                let encoded = try hub.bootstrapEncoded(snapshot: position.snapshot, after: position.after, limit: limit, for: nil)
                #expect(try WireJSON.decoder.decode(BootstrapResponse.self, from: encoded.json) == typed)
                #expect(encoded.snapshot == typed.snapshot && encoded.next == typed.after)
                position = (typed.snapshot, typed.after)
                if !typed.hasMore { break }
            }
        }
        let all = try hub.pull(since: 0, for: nil)
        #expect(all.rows.contains { $0.id == task && $0.deleted }, "tombstones travel in pulls")
        #expect(all.rows.first { $0.id == acme }?.stamps?["phone"]?.user == "alice")
    }

    /// A scoped pull reads the rows whose root sits in its territories or belongs to its owners,
    /// by the place the root has now: each row carries a copy of its root's place, which the store
    /// keeps in step through imports, a transfer, and a row matched both ways (listed once).
    @Test func aScopedPullReadsRowsByTheirRootsPlaceNow() throws {
        let hub = try makeHub()
        for (name, territory) in [("alice", "north"), ("bob", "south"), ("carol", "west")] {
            try hub.addUser(UserInfo(name: name, role: .rep, territories: [territory]), enrollmentHash: name)
        }
        try hub.importRecords([
            Hub.ImportRecord(
                entity: "account", id: "acme", values: ["name": .text("Acme"), "territory": .text("north")], origin: "test"),
            Hub.ImportRecord(entity: "contact", id: "ann", values: ["account_id": .text("acme"), "name": .text("Ann")], origin: "test"),
            Hub.ImportRecord(
                entity: "account", id: "bolt", values: ["name": .text("Bolt"), "territory": .text("south")], origin: "test"),
            Hub.ImportRecord(
                entity: "account", id: "crest",
                values: ["name": .text("Crest"), "territory": .text("north"), "owner": .text("carol")], origin: "test"),
            Hub.ImportRecord(
                entity: "account", id: "dune",
                values: ["name": .text("Dune"), "territory": .text("north"), "owner": .text("alice")], origin: "test"),
        ])
        func scope(_ name: String) throws -> ReadScope { try hub.scope(of: try #require(try hub.user(name))) }
        func pulled(_ name: String, since: Int64 = 0, limit: Int = 500) throws -> [String] {
            try hub.pull(since: since, limit: limit, scope: try scope(name), for: nil).rows.map(\.id)
        }
        #expect(try pulled("alice") == ["acme", "ann", "crest", "dune"], "dune is hers twice over, listed once")
        #expect(try pulled("bob") == ["bolt"])
        #expect(try pulled("carol") == ["crest"], "by owner")
        #expect(try pulled("alice", limit: 2) == ["acme", "ann"], "a page is the first rows in feed order")
        // A manager of many reps: more territories than SQLite allows terms in one compound SELECT.
        let wide = ReadScope(territories: Set(["north"] + (0..<600).map { "t\($0)" }), owners: Set(["carol"] + (0..<100).map { "u\($0)" }))
        #expect(try hub.pull(since: 0, scope: wide, for: nil).rows.map(\.id) == ["acme", "ann", "crest", "dune"])
        #expect(try hub.pull(since: 0, limit: 3, scope: wide, for: nil).rows.map(\.id) == ["acme", "ann", "crest"])

        let before = try hub.pull(since: 0, scope: .all, for: nil).cursor
        try hub.transferAccount("acme", to: "bob", by: "root")
        #expect(try pulled("alice", since: before).isEmpty, "nothing of Acme reaches its former holder")
        #expect(try pulled("bob", since: before) == ["acme", "ann"], "Acme and what hangs under it reach Bob")
        #expect(try pulled("alice") == ["crest", "dune"])
        #expect(try hub.bootstrap(scope: try scope("bob"), for: nil).rows.map(\.id).sorted() == ["acme", "ann", "bolt"])
        #expect(try hub.check().isEmpty)
    }

    @Test func anAccountMovedTwiceStillLeavesItsFirstHolder() throws {
        let hub = try makeHub()
        for (name, territory) in [("alice", "north"), ("bob", "south"), ("carol", "west")] {
            try hub.addUser(UserInfo(name: name, role: .rep, territories: [territory]), enrollmentHash: name)
        }
        try hub.importRecords([Hub.ImportRecord(
            entity: "account", id: "acme", values: ["name": .text("Acme"), "territory": .text("north")], origin: "test")])
        let alice = try hub.scope(of: try #require(try hub.user("alice")))
        let start = try hub.pull(since: 0, scope: alice, for: nil).cursor
        try hub.transferAccount("acme", to: "bob", by: "root")
        try hub.transferAccount("acme", to: "carol", by: "root")
        let page = try hub.pull(since: start, scope: alice, for: nil)
        #expect(page.departed?.map(\.id) == ["acme"] && page.departed?.first?.to == "carol")
        let bob = try hub.scope(of: try #require(try hub.user("bob")))
        #expect(try hub.pull(since: start, scope: bob, for: nil).departed?.map(\.id) == ["acme"], "bob held it in between")
        let carol = try hub.scope(of: try #require(try hub.user("carol")))
        #expect(try hub.pull(since: start, scope: carol, for: nil).departed == nil)
    }

    @Test func aNewRowUnderARecordDeletedAndCompactedIsRefusedWithoutJammingThePush() throws {
        let hub = try makeHub()
        try hub.importRecords([Hub.ImportRecord(entity: "account", id: "gone", values: ["name": .text("Gone SA")], origin: "test")])
        let replica = try makeReplica("alice", hub: hub)
        let admin = try makeReplica("root", hub: hub)
        // Offline, Alice adds a contact to the account (and names it), while the account is deleted.
        let contact = try replica.insert("contact", values: ["account_id": .text("gone"), "name": .text("Ann")])
        try replica.update("contact", id: contact, set: ["title": .text("Buyer")])
        try replica.update("account", id: "gone", set: ["phone": .text("+33 1")])
        try admin.delete("account", id: "gone")
        _ = try InProcessSync.push(admin, to: hub, as: Writer(user: "root", device: "root-laptop", isPrivileged: true))
        try hub.compact()
        #expect(try hub.row("account", id: "gone") == nil, "no device holds compaction back here")

        let response = try #require(try InProcessSync.push(replica, to: hub, as: alice))
        #expect(response.outcomes.map(\.outcome.kind) == ["rejected", "rejected", "rejected"])
        guard case let .rejected(refusal) = response.outcomes[0].outcome else { return }
        #expect(
            refusal.reason
                == "there is no account gone that you can see: it was deleted, never reached the server, or is outside your territories")
        #expect(try replica.pendingCount() == 0, "answered, not jammed")
        #expect(try hub.row("contact", id: contact) == nil)
    }

    // MARK: - Exactly once

    /// A rep who creates an account and deletes it before syncing pushes both: the hub places
    /// nothing that is already gone, answers both, and the outbox moves on (it used to refuse the
    /// whole push, for ever).
    @Test func anAccountCreatedAndDeletedBeforeItsFirstPushIsAnswered() throws {
        let hub = try makeHub()
        let replica = try makeReplica("alice", hub: hub)
        let gone = try replica.insert("account", values: ["name": .text("Typo Ltd")])
        try replica.delete("account", id: gone)
        let kept = try replica.insert("account", values: ["name": .text("Right Ltd")])
        let response = try #require(try InProcessSync.push(replica, to: hub, as: alice))
        #expect(response.outcomes.map(\.outcome) == [.applied, .applied, .applied])
        #expect(try replica.pendingCount() == 0)
        #expect(try hub.row("account", id: gone)?.isDeleted == true)
        #expect(try hub.row("account", id: kept)?.values["owner"] == .text("alice"))
        #expect(try hub.check().isEmpty)
    }

    @Test func aReplayedPushIsANoOpWithTheSameOutcomes() throws {
        let hub = try makeHub()
        let replica = try makeReplica("alice", hub: hub)
        let id = try replica.insert("account", values: ["name": .text("Acme")])
        try replica.update("account", id: id, set: ["phone": .text("1")])
        let changeset = try #require(try replica.pendingChangeset())
        let first = try hub.push(changeset, as: alice)
        let feed = try hub.pull(since: 0, for: nil)
        let second = try hub.push(changeset, as: alice)
        #expect(first == second)
        #expect(first.outcomes.map(\.outcome) == [.applied, .applied])
        #expect(try hub.pull(since: 0, for: nil) == feed, "nothing changed on the replay")
        #expect(try hub.highWater(of: changeset.replica) == 2)
    }

    @Test func aPushOverlappingTheHighWaterAppliesOnlyTheNewPart() throws {
        let hub = try makeHub()
        let replica = try makeReplica("alice", hub: hub)
        let id = try replica.insert("account", values: ["name": .text("Acme")])
        let early = try #require(try replica.pendingChangeset())
        _ = try hub.push(early, as: alice)
        try replica.update("account", id: id, set: ["phone": .text("1")])
        let both = try #require(try replica.pendingChangeset())
        #expect(both.changes.count == 2)
        let response = try hub.push(both, as: alice)
        #expect(response.outcomes.map(\.counter) == [1, 2])
        #expect(try hub.row("account", id: id)?.values["phone"] == .text("1"))
    }

    @Test func aPushWithAGapIsRefusedAndChangesNothing() throws {
        let hub = try makeHub()
        let replica = try makeReplica("alice", hub: hub)
        try replica.insert("account", values: ["name": .text("A")])
        try replica.insert("account", values: ["name": .text("B")])
        var changeset = try #require(try replica.pendingChangeset())
        changeset.changes.removeFirst()
        #expect(throws: HubError.gap(expected: 1, got: 2)) { try hub.push(changeset, as: alice) }
        #expect(try hub.pull(since: 0, for: nil).rows.isEmpty)
        #expect(try hub.highWater(of: changeset.replica) == 0)
    }

    @Test func aChangeStampedTooFarInTheFutureIsRejectedByTheClockRule() throws {
        let hub = try makeHub(maxClockDrift: 60_000)
        let replica = try makeReplica("alice", hub: hub)
        try replica.insert("account", values: ["name": .text("Now")])
        clock.advance(by: 3_600_000)  // the laptop's clock runs an hour ahead
        try replica.insert("account", values: ["name": .text("Future")])
        clock.advance(by: -3_600_000)
        let response = try #require(try InProcessSync.push(replica, to: hub, as: alice))
        #expect(response.outcomes.map(\.outcome.kind) == ["applied", "rejected"])
        guard case let .rejected(rejection) = response.outcomes[1].outcome else { return }
        #expect(rejection.rule == "clock")
        #expect(rejection.reason.contains("ahead"))
        #expect(try hub.liveRows("account").map { $0.values["name"] } == [.text("Now")])
    }

    @Test func aRejectedChangeDoesNotHoldBackTheRestOfThePush() throws {
        // Raw SQL on the laptop wrote a value the schema refuses: the hub rejects that change
        // with a reason and applies the others.
        let hub = try makeHub()
        let replica = try makeReplica("alice", hub: hub)
        let id = try replica.insert("account", values: ["name": .text("Acme")])
        try replica.execute(sql: "UPDATE account SET value_tier = 'gold' WHERE id = ?", arguments: [id])
        try replica.update("account", id: id, set: ["phone": .text("1")])
        let response = try #require(try InProcessSync.push(replica, to: hub, as: alice))
        #expect(response.outcomes.map(\.outcome.kind) == ["applied", "rejected", "applied"])
        #expect(try hub.row("account", id: id)?.values["value_tier"] == .null)
    }

    // MARK: - Pull

    @Test func pullPagesThroughEveryRowOnceWithItsLatestState() throws {
        let hub = try makeHub()
        let replica = try makeReplica("alice", hub: hub)
        var ids: [String] = []
        for n in 0..<5 { ids.append(try replica.insert("account", values: ["name": .text("A\(n)")])) }
        try InProcessSync.push(replica, to: hub, as: alice)
        let first = try hub.pull(since: 0, limit: 2, for: nil)
        #expect(first.rows.count == 2 && first.hasMore)
        // A row of the first page changes while the reader pages on: it moves to the end.
        try replica.update("account", id: ids[0], set: ["phone": .text("new")])
        try InProcessSync.push(replica, to: hub, as: alice)
        var seen: [String: RowSnapshot] = [:]
        var cursor = first.cursor
        first.rows.forEach { seen[$0.id] = $0 }
        while true {
            let page = try hub.pull(since: cursor, limit: 2, for: nil)
            page.rows.forEach { seen[$0.id] = $0 }
            cursor = page.cursor
            if !page.hasMore { break }
        }
        #expect(Set(seen.keys) == Set(ids))
        #expect(seen[ids[0]]?.values["phone"] == .text("new"))
        #expect(try hub.pull(since: cursor, for: nil).rows.isEmpty)
    }

    // MARK: - Conflicts

    @Test func aReviewConflictIsExplainedResolvedAndReachesEveryReplica() throws {
        let hub = try makeHub()
        let setup = try makeReplica("admin", hub: hub)
        let id = try setup.insert("account", values: ["name": .text("Acme Ltd"), "credit_rating": .text("A")])
        try InProcessSync.push(setup, to: hub, as: Writer(user: "admin", device: "console", isPrivileged: true))
        let a = try makeReplica("alice", hub: hub)
        let b = try makeReplica("bob", hub: hub)

        // Both change the credit rating offline.
        clock.advance(by: 1000)
        try a.update("account", id: id, set: ["credit_rating": .text("AA")])
        clock.advance(by: 1000)
        try b.update("account", id: id, set: ["credit_rating": .text("B")])
        let first = try #require(try InProcessSync.push(a, to: hub, as: alice))
        let second = try #require(try InProcessSync.push(b, to: hub, as: bob))
        #expect(first.outcomes.map(\.outcome) == [.applied])
        guard case let .queued(conflict) = second.outcomes.first?.outcome else {
            Issue.record("expected a queued conflict, got \(second.outcomes)")
            return
        }
        #expect(conflict.base == .text("A"))
        #expect(conflict.contenders.map(\.value) == [.text("AA"), .text("B")])
        #expect(conflict.contenders.map(\.stamp.user) == ["alice", "bob"])
        #expect(conflict.explanation == "alice (alice-laptop) and bob (bob-laptop) both changed the credit rating of Acme Ltd while offline; credit rating needs review.")
        #expect(try hub.conflicts().map(\.conflict.id) == [conflict.id])

        // The admin keeps Bob's value; the resolution dominates both and reaches everyone.
        try hub.resolve(conflict.id, choice: .keepIncoming, by: "admin")
        #expect(try hub.conflicts().isEmpty)
        #expect(try hub.conflicts(includeResolved: true).first?.resolution == .keepIncoming)
        #expect(throws: HubError.alreadyResolved(conflict.id)) { try hub.resolve(conflict.id, choice: .keepCurrent, by: "admin") }
        for replica in [a, b, setup] {
            try InProcessSync.pull(replica, from: hub)
            #expect(try replica.row("account", id: id)?["credit_rating"] == .text("B"))
        }
        // A later edit by Alice, made after seeing the resolution, applies without a new conflict.
        try a.update("account", id: id, set: ["credit_rating": .text("BBB")])
        #expect(try InProcessSync.push(a, to: hub, as: alice)?.outcomes.map(\.outcome) == [.applied])
    }

    @Test func aResolutionByValueIsValidated() throws {
        let hub = try makeHub()
        let setup = try makeReplica("admin", hub: hub)
        let id = try setup.insert("account", values: ["name": .text("Acme"), "value_tier": .text("key")])
        try InProcessSync.push(setup, to: hub, as: alice)
        let a = try makeReplica("alice", hub: hub)
        let b = try makeReplica("bob", hub: hub)
        try a.update("account", id: id, set: ["value_tier": .text("development")])
        try b.update("account", id: id, set: ["value_tier": .text("maintenance")])
        try InProcessSync.push(a, to: hub, as: alice)
        let response = try #require(try InProcessSync.push(b, to: hub, as: bob))
        guard case let .queued(conflict) = response.outcomes[0].outcome else {
            Issue.record("expected a conflict")
            return
        }
        #expect(throws: HubError.self) { try hub.resolve(conflict.id, choice: .value(.text("platinum")), by: "admin") }
        #expect(try hub.conflicts().count == 1, "a refused resolution leaves the conflict open")
        try hub.resolve(conflict.id, choice: .value(.text("opportunity")), by: "admin")
        #expect(try hub.row("account", id: id)?.values["value_tier"] == .text("opportunity"))
    }

    @Test func aDeleteConcurrentWithAnEditIsQueuedAndCanBeConfirmed() throws {
        let hub = try makeHub()
        let setup = try makeReplica("admin", hub: hub)
        let id = try setup.insert("account", values: ["name": .text("Acme")])
        try InProcessSync.push(setup, to: hub, as: alice)
        let a = try makeReplica("alice", hub: hub)
        let b = try makeReplica("bob", hub: hub)
        try a.update("account", id: id, set: ["phone": .text("1")])
        try b.delete("account", id: id)
        try InProcessSync.push(a, to: hub, as: alice)
        let response = try #require(try InProcessSync.push(b, to: hub, as: bob))
        guard case let .queued(conflict) = response.outcomes[0].outcome else {
            Issue.record("expected a delete-vs-edit conflict")
            return
        }
        #expect(conflict.kind == .deleteVersusEdit)
        try InProcessSync.pull(b, from: hub)
        #expect(try b.row("account", id: id)?["phone"] == .text("1"), "the deleter gets the kept row back")
        try hub.resolve(conflict.id, choice: .keepIncoming, by: "admin")  // confirm the delete
        for replica in [a, b] {
            try InProcessSync.pull(replica, from: hub)
            #expect(try replica.row("account", id: id) == nil)
        }
    }

    @Test func anEditThatOutlivesADeleteIsKeptWithWhatTheRepWrote() throws {
        let hub = try makeHub()
        let setup = try makeReplica("admin", hub: hub)
        let id = try setup.insert("account", values: ["name": .text("Acme"), "credit_rating": .text("A")])
        try InProcessSync.push(setup, to: hub, as: alice)
        let a = try makeReplica("alice", hub: hub)
        let b = try makeReplica("bob", hub: hub)
        try b.delete("account", id: id)
        try InProcessSync.push(b, to: hub, as: bob)
        try a.update("account", id: id, set: ["phone": .text("555 1234")])
        let response = try #require(try InProcessSync.push(a, to: hub, as: alice))
        guard case let .queued(conflict) = response.outcomes[0].outcome else {
            Issue.record("expected a delete-vs-edit conflict")
            return
        }
        #expect(conflict.contenders.map(\.action) == [.delete, .write])
        #expect(try hub.row("account", id: id)?.isDeleted == false, "the edit brought the account back")
        try hub.resolve(conflict.id, choice: .keepIncoming, by: "admin")
        #expect(try hub.row("account", id: id)?.values["phone"] == .text("555 1234"))
        try InProcessSync.pull(b, from: hub)
        #expect(try b.row("account", id: id)?["phone"] == .text("555 1234"))
    }

    @Test func aPushWrittenWithANewerSchemaIsRefused() throws {
        let hub = try makeHub()
        let replica = try makeReplica("alice", hub: hub)
        try replica.insert("account", values: ["name": .text("Acme")])
        var changeset = try #require(try replica.pendingChangeset())
        changeset.schemaVersion = CRMSchema.version + 1
        #expect(throws: HubError.schemaTooNew(found: CRMSchema.version + 1, supported: CRMSchema.version)) {
            try hub.push(changeset, as: alice)
        }
        #expect(try hub.pull(since: 0, for: nil).rows.isEmpty)
    }

    @Test func twoRepsCreatingTheSameCustomerMakeADuplicateCandidate() throws {
        let hub = try makeHub()
        let a = try makeReplica("alice", hub: hub)
        let b = try makeReplica("bob", hub: hub)
        let first = try a.insert("account", values: ["name": .text("Café Dupont"), "city": .text("Lyon")])
        let second = try b.insert("account", values: ["name": .text("CAFÉ  DUPONT"), "city": .text("lyon")])
        try InProcessSync.push(a, to: hub, as: alice)
        let response = try #require(try InProcessSync.push(b, to: hub, as: bob))
        guard case let .queued(conflict) = response.outcomes[0].outcome else {
            Issue.record("expected a duplicate candidate")
            return
        }
        #expect(conflict.kind == .duplicateCandidate)
        #expect(conflict.relatedRowIDs == [first])
        #expect(conflict.rule == "natural-key:name and city")
        #expect(Set(try hub.liveRows("account").map(\.id)) == [first, second], "nobody's account is dropped")
    }
}
