import Foundation
import HubEngine
import SatchelModel
import SatchelTestSupport
import SyncCore
import Testing

/// A laptop as the planner sees one: a replica id, its counter and its clock.
struct Laptop {
    let replica: ReplicaID
    let writer: Writer
    var counter: UInt64 = 0
    var milliseconds: Int64 = 1_000_000

    init(_ name: String, user: String, privileged: Bool = false) {
        replica = ReplicaID(name)
        writer = Writer(user: user, device: name, isPrivileged: privileged)
    }

    mutating func change(
        _ entity: String, _ id: String, _ operation: Change.Operation, seen context: VersionVector = VersionVector()
    ) -> Change {
        counter += 1
        milliseconds += 1
        return Change(
            dot: Dot(replica: replica, counter: counter), hlc: HLCTimestamp(milliseconds: milliseconds),
            wallTime: milliseconds, entity: entity, rowID: id, context: context, operation: operation)
    }

    func changeset(_ changes: [Change]) -> Changeset {
        Changeset(replica: replica, user: writer.user, device: writer.device, schemaVersion: CRMSchema.version, changes: changes)
    }
}

/// The push planner on its own: every case runs against a store made of dictionaries, so what
/// is checked is the policy, with no SQL anywhere.
struct PushPlanTests {
    static let north = ReadScope(territories: ["north"], owners: ["alice"])
    static let now: Int64 = 1_000_500

    /// A store holding one account in each of two territories, written by the office.
    static func store() throws -> (MemoryHubStore, Laptop) {
        let store = MemoryHubStore(schema: CRMSchema.schema)
        var office = Laptop("office", user: "admin", privileged: true)
        try store.push(
            office.changeset([
                office.change("account", "acc-nord", .insert(["name": .text("Nord SA"), "territory": .text("north")])),
                office.change("account", "acc-sud", .insert(["name": .text("Sud SA"), "territory": .text("south")])),
            ]), as: office.writer, now: now)
        return (store, office)
    }

    @Test func aRepsNewAccountAndContactArePlacedAnsweredAndFiledInFeedOrder() throws {
        let (store, _) = try Self.store()
        var alice = Laptop("alice-1", user: "alice")
        let draft = try PlanDraft(view: store, schema: store.schema, wallMicros: 1)
        let response = try store.planner.push(
            alice.changeset([
                alice.change("account", "acc-new", .insert(["name": .text("Optique Lille")])),
                alice.change("contact", "con-1", .insert(["account_id": .text("acc-new"), "name": .text("Ana")])),
            ]), as: alice.writer, scope: Self.north, homeTerritory: "north", now: Self.now, sentTo: .max, into: draft)
        #expect(response.outcomes.map(\.outcome) == [.applied, .applied])
        #expect(response.highWater == 2)

        let plan = draft.plan
        #expect(plan.rows.map { "\($0.state.entity)/\($0.state.id)" } == ["account/acc-new", "contact/con-1"])
        #expect(plan.rows.map(\.seq) == plan.rows.map(\.seq).sorted(), "feed positions grow")
        let account = try #require(plan.rows.first { $0.state.id == "acc-new" })
        #expect(account.location == Placement.Location(territory: "north", owner: "alice"), "placed by the hub's own change")
        #expect(plan.rows.first { $0.state.id == "con-1" }?.root == "acc-new")
        #expect(plan.replicaMarks.map(\.highWater) == [2])
        let hubOutcomes = plan.outcomes.filter { $0.replica == store.hub.replica }
        #expect(hubOutcomes.count == 2, "the hub's owner and territory writes are dots of its own")
        #expect(plan.history.filter { $0.entry.kind == .server }.count == 2)
        #expect(plan.meta?.counter == store.hub.counter + 2)

        store.apply(plan)
        #expect(store.location(ofRoot: "acc-new") == Placement.Location(territory: "north", owner: "alice"))
    }

    @Test func aReplayedPushGetsTheSameAnswersAndPlansNothing() throws {
        let (store, _) = try Self.store()
        var alice = Laptop("alice-1", user: "alice")
        let changeset = alice.changeset([
            alice.change("account", "acc-nord", .update(field: "phone", value: .text("0320"), base: .null)),
            alice.change("account", "acc-sud", .update(field: "phone", value: .text("0490"), base: .null)),
        ])
        let first = try store.push(changeset, as: alice.writer, scope: Self.north, now: Self.now)
        #expect(first.outcomes.map(\.outcome.kind) == ["applied", "rejected"])
        let draft = try PlanDraft(view: store, schema: store.schema, wallMicros: 1)
        let again = try store.planner.push(
            changeset, as: alice.writer, scope: Self.north, now: Self.now + 9, sentTo: .max, into: draft)
        #expect(again == first)
        #expect(draft.plan.isEmpty)
    }

    @Test func aPushThatSkipsChangesIsRefusedWhole() throws {
        let (store, _) = try Self.store()
        var alice = Laptop("alice-1", user: "alice")
        _ = alice.change("account", "acc-nord", .update(field: "phone", value: .text("1"), base: .null))
        let late = alice.change("account", "acc-nord", .update(field: "phone", value: .text("2"), base: .null))
        #expect(throws: HubError.gap(expected: 1, got: 2)) {
            try store.push(alice.changeset([late]), as: alice.writer, scope: Self.north, now: Self.now)
        }
        #expect(store.highWater(of: alice.replica) == 0)
        #expect(store.row("account", id: "acc-nord")?.values["phone"] ?? .null == .null)
    }

    @Test func aRecordOutsideTheScopeReadsExactlyLikeOneThatDoesNotExist() throws {
        let (store, _) = try Self.store()
        let before = store.rows["account/acc-sud"]
        var alice = Laptop("alice-1", user: "alice")
        let response = try store.push(
            alice.changeset([
                alice.change("account", "acc-sud", .update(field: "phone", value: .text("0490"), base: .null)),
                alice.change("account", "acc-none", .update(field: "phone", value: .text("0490"), base: .null)),
                alice.change("contact", "con-2", .insert(["account_id": .text("acc-sud"), "name": .text("Eve")])),
                alice.change("contact", "con-3", .insert(["account_id": .text("acc-none"), "name": .text("Eve")])),
            ]), as: alice.writer, scope: Self.north, now: Self.now)
        let rejections = response.outcomes.map { outcome -> Rejection? in
            if case .rejected(let rejection) = outcome.outcome { return rejection }
            return nil
        }
        #expect(rejections.allSatisfy { $0?.rule == "scope" })
        #expect(rejections[0]?.reason == "there is no account acc-sud that you can see")
        #expect(rejections[1]?.reason == "there is no account acc-none that you can see")
        #expect(rejections[2]?.reason.replacingOccurrences(of: "acc-sud", with: "X")
            == rejections[3]?.reason.replacingOccurrences(of: "acc-none", with: "X"))
        #expect(store.rows["account/acc-sud"]?.seq == before?.seq, "not touched: not its version, nor its feed position")
        #expect(!store.history.contains { $0.id == "acc-sud" && $0.entry.user == "alice" })
        #expect(store.row("contact", id: "con-2") == nil && store.row("contact", id: "con-3") == nil)
    }

    /// A context claiming more than the hub had sent the laptop is cut to what was sent: the
    /// change then meets the write it never saw as concurrent, and the field's rule decides.
    @Test func aContextClaimingUnsentWritesIsCutToWhatWasSent() throws {
        func run(sentAfterRename: Bool) throws -> MergeOutcome? {
            var (store, office) = try Self.store()
            let sentBeforeRename = store.hub.seq
            let renamed = try store.push(
                office.changeset([
                    office.change(
                        "account", "acc-nord", .update(field: "name", value: .text("Nord SAS"), base: .text("Nord SA")),
                        seen: store.row("account", id: "acc-nord")!.version)
                ]), as: office.writer, now: Self.now)
            #expect(renamed.outcomes.map(\.outcome) == [.applied])
            var alice = Laptop("alice-1", user: "alice")
            // Alice claims to have seen the rename whether or not it was sent to her.
            let claimed = store.row("account", id: "acc-nord")!.version
            let response = try store.push(
                alice.changeset([
                    alice.change(
                        "account", "acc-nord", .update(field: "name", value: .text("Nord Lille"), base: .text("Nord SAS")),
                        seen: claimed)
                ]), as: alice.writer, scope: Self.north, now: Self.now,
                sentTo: sentAfterRename ? store.hub.seq : sentBeforeRename)
            return response.outcomes.first?.outcome
        }
        #expect(try run(sentAfterRename: true) == .applied)
        guard case .queued(let conflict) = try run(sentAfterRename: false) else {
            Issue.record("a claim past what was sent must meet the rename as concurrent (name is a review field)")
            return
        }
        #expect(conflict.field == "name" && conflict.rule == "review")
    }

    /// A row planned earlier in a push is found by the duplicate search of a later change in it.
    @Test func aDuplicateCreatedEarlierInTheSamePushIsFound() throws {
        let (store, _) = try Self.store()
        var alice = Laptop("alice-1", user: "alice")
        let response = try store.push(
            alice.changeset([
                alice.change("account", "acc-a", .insert(["name": .text("Optique Lille"), "tax_id": .text("FR40123456789")])),
                alice.change("account", "acc-b", .insert(["name": .text("Lille Optique"), "tax_id": .text("FR 40 123 456 789")])),
            ]), as: alice.writer, scope: Self.north, homeTerritory: "north", now: Self.now)
        #expect(response.outcomes.first?.outcome == .applied)
        guard case .queued(let conflict) = response.outcomes.last?.outcome else {
            Issue.record("no duplicate candidate: \(response.outcomes)")
            return
        }
        #expect(conflict.kind == .duplicateCandidate && conflict.relatedRowIDs == ["acc-a"])
        #expect(store.conflicts[conflict.id] != nil, "queued for an admin")
    }

    @Test func aChangeFromAClockFarAheadIsRejectedAndTheRestGoesOn() throws {
        let (store, _) = try Self.store()
        var alice = Laptop("alice-1", user: "alice")
        let good = alice.change("account", "acc-nord", .update(field: "phone", value: .text("1"), base: .null))
        var ahead = alice.change("account", "acc-nord", .update(field: "city", value: .text("Lille"), base: .null))
        ahead.hlc = HLCTimestamp(milliseconds: Self.now + HybridClock.defaultMaxForwardDrift + 60_000)
        let response = try store.push(alice.changeset([good, ahead]), as: alice.writer, scope: Self.north, now: Self.now)
        #expect(response.outcomes.map(\.outcome.kind) == ["applied", "rejected"])
        #expect(store.row("account", id: "acc-nord")?.values["phone"] == .text("1"))
        #expect(store.row("account", id: "acc-nord")?.values["city"] ?? .null == .null)
        #expect(store.row("account", id: "acc-nord")?.version.covers(ahead.dot) == true, "judged, so it is in the version")
    }

    @Test func aFormerHoldersEditWaitsForTheNewOwnerAndTheirNewVisitGoesIn() throws {
        let (store, _) = try Self.store()
        store.former["acc-sud"] = [Placement.Location(territory: "north", owner: nil)]
        var alice = Laptop("alice-1", user: "alice")
        let response = try store.push(
            alice.changeset([
                alice.change("account", "acc-sud", .update(field: "phone", value: .text("0490"), base: .null)),
                alice.change(
                    "visit", "vis-1",
                    .insert([
                        "account_id": .text("acc-sud"), "rep": .text("alice"), "started_at": .integer(Self.now),
                        "channel": .text("phone"), "purpose": .text("renewal"),
                    ])),
            ]), as: alice.writer, scope: Self.north, now: Self.now)
        guard case .queued(let conflict) = response.outcomes.first?.outcome else {
            Issue.record("the former holder's edit must be queued: \(response.outcomes)")
            return
        }
        #expect(conflict.kind == .transferred && conflict.rule == "transfer")
        #expect(store.row("account", id: "acc-sud")?.values["phone"] ?? .null == .null)
        #expect(response.outcomes.last?.outcome.kind == "applied", "\(response.outcomes)")
    }
}
