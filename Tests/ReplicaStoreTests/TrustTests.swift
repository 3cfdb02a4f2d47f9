import Foundation
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
        let history = try hub.history("account", id: "acc-new").map { $0.detail ?? "" }.joined()
        #expect(!history.contains("Sud Optique") && !history.contains("acc-sud"), "history: \(history)")
        let queued = try hub.conflict(told.id).conflict
        #expect(queued.relatedRowIDs == ["acc-sud"])
        #expect(queued.explanation.contains("Sud Optique"))
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
}
