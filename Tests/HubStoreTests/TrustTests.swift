import Foundation
import HubEngine
import HubStore
import ReplicaStore
import SatchelModel
import SatchelTestSupport
import SyncCore
import Testing

/// What a push may claim, checked by the hub: where records end up, what contexts say, and what
/// the answer may tell a rep about other territories.
struct TrustTests {
    static let north = ReadScope(territories: ["north"], owners: ["alice"])

    static func hub() throws -> Hub {
        let hub = try Hub.inMemory(schema: CRMSchema.schema)
        try hub.importRecords([
            Hub.ImportRecord(
                entity: "account", id: "acc-sud",
                values: ["name": .text("Sud Optique"), "territory": .text("south"), "tax_id": .text("FR 40 123 456 789")],
                origin: "1"),
            Hub.ImportRecord(entity: "account", id: "acc-nord", values: ["name": .text("Nord SA"), "territory": .text("north")], origin: "2"),
        ])
        return hub
    }

    static func alice() throws -> (Replica, Writer) {
        let replica = try Replica.inMemory(schema: CRMSchema.schema, replicaID: ReplicaID("alice-1"))
        try replica.setWriter(user: "alice", device: "laptop", isPrivileged: false)
        return (replica, Writer(user: "alice", device: "laptop", isPrivileged: false))
    }

    @Test func aDuplicateInAnotherTerritoryIsNamedToAdminsOnly() throws {
        let hub = try Self.hub()
        let (replica, writer) = try Self.alice()
        _ = try replica.insert("account", id: "acc-new", values: ["name": .text("Optique du Sud"), "tax_id": .text("FR40123456789")])
        let changeset = try #require(try replica.pendingChangeset())
        let response = try hub.push(changeset, as: writer, scope: Self.north, homeTerritory: "north")
        guard case .queued(let told) = response.outcomes.first?.outcome else {
            Issue.record("no duplicate candidate: \(response.outcomes)")
            return
        }
        #expect(told.explanation.contains("a possible duplicate of a record outside your territory; an admin will review"))
        #expect(!told.explanation.contains("Sud Optique") && !told.relatedRowIDs.contains("acc-sud"))
        #expect(told.reasons?.isEmpty ?? true, "no reason about a record outside the scope: \(told.reasons ?? [:])")
        let history = try hub.history("account", id: "acc-new").map { $0.detail ?? "" }.joined()
        #expect(!history.contains("Sud Optique") && !history.contains("acc-sud"), "history: \(history)")
        let queued = try hub.conflict(told.id).conflict
        #expect(queued.relatedRowIDs == ["acc-sud"])
        #expect(queued.explanation.contains("Sud Optique"))
        #expect(queued.reasons == ["acc-sud": "same tax id FR40123456789"])
    }

    @Test func aDuplicateOfRecordsOnBothSidesNamesOnlyTheWritersOwnWithTheirReasons() throws {
        let hub = try Self.hub()
        try hub.importRecords([
            Hub.ImportRecord(
                entity: "account", id: "acc-nord-optique",
                values: ["name": .text("Nord Optique"), "territory": .text("north"), "phone": .text("0320112233")], origin: "3")
        ])
        let (replica, writer) = try Self.alice()
        _ = try replica.insert(
            "account", id: "acc-new",
            values: ["name": .text("Optique Nord"), "tax_id": .text("FR40123456789"), "phone": .text("03 20 11 22 33")])
        let response = try hub.push(try #require(try replica.pendingChangeset()), as: writer, scope: Self.north, homeTerritory: "north")
        guard case .queued(let told) = response.outcomes.first?.outcome else {
            Issue.record("no duplicate candidate: \(response.outcomes)")
            return
        }
        #expect(told.relatedRowIDs == ["acc-nord-optique"])
        #expect(told.reasons == ["acc-nord-optique": "same phone 320 112 233"])
        #expect(told.explanation.contains("Nord Optique (same phone 320 112 233) or as a record outside your territory"), "\(told.explanation)")
        for secret in ["Sud Optique", "acc-sud", "tax id"] {
            #expect(!told.explanation.contains(secret), "\(secret): \(told.explanation)")
        }
        let queued = try hub.conflict(told.id).conflict
        #expect(Set(queued.relatedRowIDs) == ["acc-sud", "acc-nord-optique"])
        #expect(queued.reasons?["acc-sud"] == "same tax id FR40123456789")
    }

    @Test func adminActionsAreAuditedInTheirOwnTransaction() throws {
        let hub = try Self.hub()
        try hub.addUser(UserInfo(name: "bob", role: .rep, territories: ["north"]), enrollmentHash: "h", by: Actor(user: "root", device: "console"))
        try hub.disableUser("bob", by: Actor(user: "root", device: "console"))
        #expect(throws: HubError.unknownUser("nobody")) { try hub.disableUser("nobody") }
        let entries = try hub.auditEntries()
        #expect(entries.map(\.action) == ["user.disable", "user.add", "import"])
        #expect(entries[0].actor == "root" && entries[0].device == "console" && entries[0].target == "bob")
        #expect(try hub.user("bob")?.disabled == true)
    }

    @Test func aMissingRecordAndAnotherTerritorysReadAlike() throws {
        let hub = try Self.hub()
        let (_, writer) = try Self.alice()
        let replica = ReplicaID("alice-1")
        let changes = ["acc-sud", "acc-ghost", "acc-nord"].enumerated().map { index, id in
            Change(
                dot: Dot(replica: replica, counter: UInt64(index + 1)), hlc: HLCTimestamp(milliseconds: 1_790_000_000_000),
                wallTime: 1_790_000_000_000, entity: "account", rowID: id, context: VersionVector(),
                operation: .update(field: "phone", value: .text("+33 9"), base: .null))
        }
        let before = try hub.row("account", id: "acc-sud")
        let response = try hub.push(
            Changeset(replica: replica, user: "alice", device: "laptop", schemaVersion: 1, changes: changes), as: writer,
            scope: Self.north)
        let reasons = response.outcomes.map { outcome -> String in
            guard case .rejected(let refusal) = outcome.outcome else { return outcome.outcome.kind }
            return refusal.rule + ": " + refusal.reason
        }
        #expect(reasons[0] == "scope: there is no account acc-sud that you can see")
        #expect(reasons[1] == "scope: there is no account acc-ghost that you can see")
        #expect(reasons[2] == "applied", "the rest of the push goes on")
        #expect(try hub.row("account", id: "acc-sud") == before, "another territory's record is not touched")
        #expect(try hub.history("account", id: "acc-sud").allSatisfy { $0.user != "alice" })
    }

    /// A laptop cannot claim to have seen a write the hub never sent it. Bob claims alice's rename
    /// of Nord SA before pulling it: the claim is cut, his rename meets hers as concurrent, and
    /// the name (a review field) queues it instead of overwriting hers. After a pull, the same
    /// kind of claim is true and is believed.
    @Test func aContextIsBelievedOnlyAsFarAsTheFeedWasSentToTheDevice() throws {
        let hub = try Self.hub()
        let clock: Replica.WallClock = { 1_790_000_000_000 }
        let alice = try InProcessSync.enroll(user: "alice", hub: hub, clock: clock, replicaID: ReplicaID("alice-1"))
        let bob = try InProcessSync.enroll(user: "bob", hub: hub, clock: clock, replicaID: ReplicaID("bob-1"))
        let bobWriter = Writer(user: "bob", device: "bob-laptop", isPrivileged: false)
        try alice.update("account", id: "acc-nord", set: ["name": .text("Nord Optique")])
        try InProcessSync.push(alice, to: hub, as: Writer(user: "alice", device: "alice-laptop", isPrivileged: false))

        try bob.update("account", id: "acc-nord", set: ["name": .text("Nord SARL")])
        var forged = try #require(try bob.pendingChangeset())
        let everything = try #require(try hub.row("account", id: "acc-nord")).version
        #expect(everything.covers(Dot(replica: ReplicaID("alice-1"), counter: 1)))
        forged.changes[0].context = everything
        let answer = try hub.push(forged, as: bobWriter)
        #expect(answer.outcomes.map(\.outcome.kind) == ["queued"], "\(answer.outcomes)")
        #expect(try hub.row("account", id: "acc-nord")?.values["name"] == .text("Nord Optique"), "alice's name stays")
        try bob.acknowledge(answer)

        try InProcessSync.pull(bob, from: hub)
        try bob.update("account", id: "acc-nord", set: ["name": .text("Nord Optique SARL")])
        let honest = try #require(try InProcessSync.push(bob, to: hub, as: bobWriter))
        #expect(honest.outcomes.map(\.outcome.kind) == ["applied"], "\(honest.outcomes)")
        #expect(try hub.row("account", id: "acc-nord")?.values["name"] == .text("Nord Optique SARL"))
    }

    /// What a crashed server sent before its marks reached the disk is not known, so a hub opened
    /// again believes claims up to the feed's end at its opening: an honest laptop is never cut
    /// short, and a claim on what was written after the opening is cut as before.
    @Test func aHubOpenedAgainBelievesClaimsUpToWhereItWasOpened() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("satchel-trust-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("hub.sqlite").path
        let first = try Hub.open(at: path, schema: CRMSchema.schema)
        try first.importRecords([
            Hub.ImportRecord(entity: "account", id: "acc-nord", values: ["name": .text("Nord SA"), "territory": .text("north")], origin: "1")
        ])
        let writer = Writer(user: "bob", device: "bob-laptop", isPrivileged: false)
        func rename(_ counter: UInt64, to name: String, on hub: Hub) throws -> String {
            let context = try #require(try hub.row("account", id: "acc-nord")).version
            let change = Change(
                dot: Dot(replica: ReplicaID("bob-1"), counter: counter), hlc: HLCTimestamp(milliseconds: 1_790_000_000_000 + Int64(counter)),
                wallTime: 1_790_000_000_000, entity: "account", rowID: "acc-nord", context: context,
                operation: .update(field: "name", value: .text(name), base: .text("Nord SA")))
            let changeset = Changeset(replica: ReplicaID("bob-1"), user: "bob", device: "bob-laptop", schemaVersion: 1, changes: [change])
            return try hub.push(changeset, as: writer).outcomes[0].outcome.kind
        }
        #expect(try rename(1, to: "Nord SARL", on: first) == "queued", "the import came after this hub was opened")
        let second = try Hub.open(at: path, schema: CRMSchema.schema)
        #expect(try rename(2, to: "Nord GmbH", on: second) == "applied", "everything before the opening may have been sent")
    }
}
