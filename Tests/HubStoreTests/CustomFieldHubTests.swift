import Foundation
import HubEngine
import HubStore
import ReplicaStore
import SatchelModel
import SatchelTestSupport
import SyncCore
import Testing

/// The company's schema on the hub and in a replica, in process: steps published and checked,
/// learned from pulls before the rows that use them, merged by their rule, retired with an answer.
struct CustomFieldHubTests {
    let clock = ManualClock()
    let ada = Actor(user: "ada", device: "console")
    let alice = Writer(user: "alice", device: "alice-laptop", isPrivileged: false)
    let bob = Writer(user: "bob", device: "bob-laptop", isPrivileged: false)

    func makeHub() throws -> Hub { try Hub.inMemory(schema: CRMSchema.schema, clock: clock.wallClock) }

    func makeReplica(_ name: String, hub: Hub) throws -> Replica {
        try InProcessSync.enroll(user: name, hub: hub, clock: clock.wallClock, replicaID: ReplicaID(name + "-replica"))
    }

    static let segment = CustomField(entity: "account", name: "segment", kind: .choice, choices: ["smb", "enterprise"], rule: .review)

    @Test func aPublishedFieldIsLearnedFromThePullBeforeTheRowsThatUseIt() throws {
        let hub = try makeHub()
        let alice = try makeReplica("alice", hub: hub)
        let bob = try makeReplica("bob", hub: hub)
        let acme = try alice.insert("account", values: ["name": .text("Acme")])
        _ = try InProcessSync.push(alice, to: hub, as: self.alice)
        try InProcessSync.pull(bob, from: hub)

        let published = try hub.publish(.addField(Self.segment), by: ada)
        #expect(published.revision == 1 && published.by == "ada")
        #expect(try hub.currentSchema().entity("account")?.field("segment")?.rule == .review)
        #expect(try hub.auditEntries(limit: 5).first?.action == "field.add")

        // A page tells a laptop the steps after the revision it knows, and nothing when it is up to date.
        #expect(try hub.pull(since: 0, limit: 10, for: nil).schema?.steps.map(\.revision) == [1])
        #expect(try hub.pull(since: 0, limit: 10, for: nil, knownSchema: 1).schema == nil)

        try InProcessSync.pull(alice, from: hub)
        #expect(try alice.schemaRevision() == 1 && alice.schema.entity("account")?.field("segment") != nil)
        try alice.update("account", id: acme, set: ["segment": .text("enterprise")])
        #expect(try InProcessSync.push(alice, to: hub, as: self.alice)?.outcomes.map(\.outcome) == [.applied])

        // Bob never heard of the field: one pull brings the step and the row holding its value.
        #expect(bob.schema.entity("account")?.field("segment") == nil)
        try InProcessSync.pull(bob, from: hub)
        #expect(try bob.row("account", id: acme)?["segment"] == .text("enterprise"))
        #expect(try bob.schemaRevision() == 1)
        // A value outside the list is refused on the laptop, with nothing captured.
        let pending = try bob.pendingCount()
        #expect(throws: ReplicaError.self) { try bob.update("account", id: acme, set: ["segment": .text("huge")]) }
        #expect(try bob.pendingCount() == pending)

        // A conflict on the field, then the field retired: the item closes as history, no write.
        try InProcessSync.pull(bob, from: hub)
        try alice.update("account", id: acme, set: ["segment": .text("smb")])
        try bob.update("account", id: acme, set: ["segment": .text("smb")])
        _ = try InProcessSync.push(alice, to: hub, as: self.alice)
        try bob.update("account", id: acme, set: ["segment": .text("enterprise")])
        _ = try InProcessSync.push(bob, to: hub, as: self.bob)
        let queued = try #require(try hub.conflicts().first { $0.conflict.field == "segment" })
        try hub.publish(.retireField(entity: "account", field: "segment"), by: ada)
        let before = try #require(try hub.row("account", id: acme))
        try hub.resolve(queued.conflict.id, choice: .keepIncoming, by: "ada")
        #expect(try hub.conflicts().isEmpty)
        #expect(try hub.row("account", id: acme)?.values == before.values)
        #expect(try hub.check().isEmpty)
    }

    @Test func aReplicaFileKeepsWhatItLearnedAndAnOlderPullIsRewound() throws {
        let hub = try makeHub()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("satchel-fields-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/replica.sqlite"
        var replica = try Replica.open(at: path, schema: CRMSchema.schema, replicaID: ReplicaID("carol-replica"), clock: clock.wallClock)
        try replica.setWriter(user: "carol", device: "carol-laptop")
        try InProcessSync.pull(replica, from: hub)
        let acme = try replica.insert("account", values: ["name": .text("Acme")])
        _ = try InProcessSync.push(replica, to: hub, as: Writer(user: "carol", device: "carol-laptop", isPrivileged: false))
        try hub.publish(.addField(Self.segment), by: ada)
        let dave = try makeReplica("dave", hub: hub)
        try dave.update("account", id: acme, set: ["segment": .text("smb")])
        _ = try InProcessSync.push(dave, to: hub, as: Writer(user: "dave", device: "dave-laptop", isPrivileged: false))

        // An older binary pulled past the step without knowing it: the page with the step sends
        // the cursor back to where the step was published, and the next page brings the value.
        let feedEnd = try hub.pull(since: 0, limit: 500, for: nil).cursor
        try replica.apply(PullResponse(rows: [], cursor: feedEnd, hasMore: false))
        #expect(try replica.identity().pullCursor == feedEnd)
        try InProcessSync.pull(replica, from: hub)
        #expect(try replica.row("account", id: acme)?["segment"] == .text("smb"))

        // A second process on the same file (a command opened before a sync learned a step) is
        // told to run again instead of writing what the triggers of now would not capture.
        let stale = try Replica.open(at: path, schema: CRMSchema.schema, clock: clock.wallClock)
        try hub.publish(.addField(CustomField(entity: "account", name: "region", kind: .text, rule: .lastWriterWins)), by: ada)
        try InProcessSync.pull(replica, from: hub)
        #expect { try stale.update("account", id: acme, set: ["phone": .text("0320")]) } throws: {
            "\($0)".contains("run the command again")
        }
        try stale.update("account", id: acme, set: ["region": .text("Nord")])
        #expect(try stale.pendingChangeset()?.changes.last?.fields == ["region"])

        replica = try Replica.open(at: path, schema: CRMSchema.schema, clock: clock.wallClock)
        #expect(replica.schema.entity("account")?.isCustom("segment") == true)
        #expect(try replica.row("account", id: acme)?["segment"] == .text("smb"))
        // The capture triggers know the new column: an edit of it is a pending change.
        try replica.update("account", id: acme, set: ["segment": .text("enterprise")])
        #expect(try replica.pendingChangeset()?.changes.last?.fields == ["segment"])
    }

    @Test func aRetiredFieldAnswersAnEditWithARejectionKeptInHistory() throws {
        let hub = try makeHub()
        let bob = try makeReplica("bob", hub: hub)
        try hub.publish(.addField(CustomField(entity: "account", name: "region_code", kind: .text, rule: .lastWriterWins)), by: ada)
        try InProcessSync.pull(bob, from: hub)
        let acme = try bob.insert("account", values: ["name": .text("Acme"), "region_code": .text("N-1")])
        _ = try InProcessSync.push(bob, to: hub, as: self.bob)
        try bob.update("account", id: acme, set: ["region_code": .text("N-59")])

        try hub.publish(.retireField(entity: "account", field: "region_code"), by: ada)
        // The laptop learns the retirement before it pushes (a pull first): its pending edit of
        // the field still travels, and is answered.
        try InProcessSync.pull(bob, from: hub)
        #expect(try bob.pendingChangeset()?.changes.first?.fields == ["region_code"])
        let response = try #require(try InProcessSync.push(bob, to: hub, as: self.bob))
        guard case .rejected(let rejection) = response.outcomes.first?.outcome else {
            Issue.record("expected a rejection, got \(response.outcomes)")
            return
        }
        #expect(rejection.rule == "retired" && rejection.reason.contains("was retired by ada"))
        let entry = try #require(try hub.history("account", id: acme, scope: .all)?.last)
        #expect(entry.outcome == "rejected" && entry.value == .text("N-59"))
        // The stored value stays; the field takes no more writes, from a laptop or a new record.
        #expect(try hub.row("account", id: acme)?.values["region_code"] == .text("N-1"))
        try InProcessSync.pull(bob, from: hub)
        #expect(throws: ReplicaError.self) { try bob.update("account", id: acme, set: ["region_code": .text("N-62")]) }
        #expect(try bob.row("account", id: acme)?["region_code"] == nil)
        #expect(try hub.check().isEmpty)
    }

    @Test func stepsThatCannotBeTakenAreRefusedWithASentenceAndChangeNothing() throws {
        let hub = try makeHub()
        try hub.publish(.addField(Self.segment), by: ada)
        let before = try hub.dump()
        let refused: [(SchemaStep, String)] = [
            (.addField(Self.segment), "account already has a field 'segment'; choose another name"),
            (.addField(CustomField(entity: "account", name: "phone", kind: .text, rule: .lastWriterWins)), "'phone' is a built-in field of account"),
            (.addField(CustomField(entity: "gizmo", name: "colour", kind: .text, rule: .lastWriterWins)), "there is no record type 'gizmo'"),
            (.addField(CustomField(entity: "opportunity", name: "amount_minor", kind: .number, rule: .max)), "would be stored as 'amount_minor'"),
            (.addField(CustomField(entity: "account", name: "size", kind: .choice, rule: .review)), "a choice field needs its values"),
            (.addField(CustomField(entity: "account", name: "size", kind: .money, rule: .max)), "a money field cannot use the rule 'max'"),
            (.addField(CustomField(entity: "account", name: "size", kind: .text, choices: ["a"], rule: .review)), "only a choice field has choices"),
            (.addField(CustomField(entity: "account", name: "size", kind: .choice, choices: ["a", "a"], rule: .review)), "'a' is listed twice"),
            (.addField(CustomField(entity: "account", name: "rowid", kind: .text, rule: .review)), "'rowid' is a name the store keeps for a record's key"),
            (.addField(CustomField(entity: "account", name: "size", kind: .text, label: "", rule: .review)), "a label is one line"),
            (.addChoices(entity: "account", field: "segment", choices: ["smb"]), "'smb' is a choice already"),
            (.addChoices(entity: "account", field: "name", choices: ["x"]), "account.name is built in"),
            (.retireField(entity: "account", field: "nothing"), "account has no field 'nothing'"),
            (.renameField(entity: "account", from: "segment", to: "market"), "only a release of the software renames a field"),
        ]
        for (step, message) in refused {
            #expect {
                try hub.publish(step, by: ada)
            } throws: { error in
                "\(error)".contains(message)
            }
        }
        #expect(try hub.dump() == before)
        try hub.publish(.retireField(entity: "account", field: "segment"), by: ada)
        #expect { try hub.publish(.retireField(entity: "account", field: "segment"), by: ada) } throws: { "\($0)".contains("is retired already") }
        #expect { try hub.publish(.addField(Self.segment), by: ada) } throws: { "\($0)".contains("(retired); choose another name") }
    }

    @Test func aStoreWrittenByAnOlderReleaseTakesItsRenameOnceAndOldLaptopsAreMapped() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("satchel-hub-release-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/hub.sqlite"
        let alice: Replica
        let acme: String
        do {
            let old = try Hub.open(at: path, schema: CRMSchema.schema, clock: clock.wallClock)
            alice = try makeReplica("alice", hub: old)
            acme = try alice.insert("account", values: ["name": .text("Acme"), "industry": .text("tools")])
            _ = try InProcessSync.push(alice, to: old, as: self.alice)
        }
        let hub = try Hub.open(at: path, schema: NextRelease.schema, clock: clock.wallClock)
        let row = try #require(try hub.row("account", id: acme))
        #expect(row.values["sector"] == .text("tools") && row.values["industry"] == nil && row.stamps["sector"] != nil)
        let upgraded = try hub.dump()
        #expect(try Hub.open(at: path, schema: NextRelease.schema, clock: clock.wallClock).dump() == upgraded, "once only")
        // A server of the older release refuses the store the newer one upgraded.
        #expect {
            try Hub.open(at: path, schema: CRMSchema.schema, clock: clock.wallClock)
        } throws: { "\($0)".contains("upgraded to schema 3 by a newer satchel-server") }

        // A laptop still on the older release pushes the old name: it lands on the new one; its
        // edit of the field the release retired is answered, not lost.
        try alice.update("account", id: acme, set: ["industry": .text("hardware"), "email": .text("info@acme.example")])
        let outcomes = try #require(try InProcessSync.push(alice, to: hub, as: self.alice)).outcomes.map(\.outcome.kind)
        #expect(outcomes.sorted() == ["applied", "rejected"])
        #expect(try hub.row("account", id: acme)?.values["sector"] == .text("hardware"))
        // A laptop of the new release gets the row in its shape.
        let next = try Replica.inMemory(schema: NextRelease.schema, replicaID: ReplicaID("next"), clock: clock.wallClock)
        try InProcessSync.pull(next, from: hub)
        #expect(try next.row("account", id: acme)?["sector"] == .text("hardware"))
        #expect(try hub.check().isEmpty)
    }

    @Test func aChangeWrittenUnderAnOlderReleaseIsReadByTheNewNames() throws {
        // A release that renames a field: a laptop still on the old version pushes the old name.
        var schema = CRMSchema.schema
        schema.version += 1
        schema.releases.append(SchemaRelease(version: schema.version, steps: [.renameField(entity: "account", from: "phone_old", to: "phone")]))
        let old = Changeset(
            replica: ReplicaID("old"), user: "bob", device: "bob-laptop", schemaVersion: schema.version - 1,
            changes: [
                Change(
                    dot: Dot(replica: ReplicaID("old"), counter: 1), hlc: HLCTimestamp(packed: 1), wallTime: 1, entity: "account",
                    rowID: "a1", context: VersionVector(), operation: .insert(["name": .text("Acme"), "phone_old": .text("0320")])),
                Change(
                    dot: Dot(replica: ReplicaID("old"), counter: 2), hlc: HLCTimestamp(packed: 2), wallTime: 2, entity: "account",
                    rowID: "a1", context: VersionVector(), operation: .update(field: "phone_old", value: .text("0321"), base: .null)),
            ])
        let mapped = schema.mapped(old)
        #expect(mapped.schemaVersion == schema.version)
        #expect(mapped.changes[0].operation == .insert(["name": .text("Acme"), "phone": .text("0320")]))
        #expect(mapped.changes[1].operation == .update(field: "phone", value: .text("0321"), base: .null))
        #expect(throws: Never.self) { try schema.validate(mapped) }
        // A changeset already on the new version is left as it is.
        var current = old
        current.schemaVersion = schema.version
        #expect(schema.mapped(current) == current)
    }
}
