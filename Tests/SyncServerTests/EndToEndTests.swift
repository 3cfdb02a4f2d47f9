import Foundation
import HubStore
import ReplicaStore
import SatchelModel
import SatchelTestSupport
import SyncClient
import SyncCore
import SyncServer
import Testing

/// A company on a live server on loopback: an admin, two reps of the north territory and one of
/// the south, each with a laptop replica syncing over HTTP.
struct EndToEndTests {
    struct Company {
        let server: LiveServer
        let admin: SyncClient
        let alice: SyncClient
        let bob: SyncClient
        let carol: SyncClient
        let acme: String
        let globex: String

        static func start(_ backend: Backend) async throws -> Company {
            let server = try await LiveServer.start(backend: backend)
            let admin = try await server.laptop("root", role: .admin)
            let alice = try await server.laptop("alice", role: .rep, territories: ["north"])
            let bob = try await server.laptop("bob", role: .rep, territories: ["north"])
            let carol = try await server.laptop("carol", role: .rep, territories: ["south"])
            let acme = try admin.replica.insert(
                "account",
                values: [
                    "name": .text("Acme Ltd"), "city": .text("Lille"), "territory": .text("north"), "owner": .text("alice"),
                    "credit_rating": .text("A"),
                ])
            let globex = try admin.replica.insert(
                "account", values: ["name": .text("Globex"), "city": .text("Nice"), "territory": .text("south")])
            _ = try await admin.sync()
            return Company(server: server, admin: admin, alice: alice, bob: bob, carol: carol, acme: acme, globex: globex)
        }

        /// Sends a raw request with a credential (or none).
        func raw(_ method: String, _ path: String, credential: String?, headers: [String: String] = [:], body: Data?) async throws
            -> TransportResponse
        {
            var all = headers
            if let credential { all["Authorization"] = "Bearer \(credential)" }
            return try await HTTPTransport(baseURL: server.url).send(
                TransportRequest(method: method, path: path, headers: all, body: body))
        }
    }

    // MARK: - The day

    @Test(arguments: Backend.available) func offlineEditsConflictAndAResolutionReachEveryReplica(backend: Backend) async throws {
        let company = try await Company.start(backend)
        defer { Task { await company.server.stop() } }
        for laptop in [company.alice, company.bob, company.carol] { _ = try await laptop.sync() }
        #expect(try company.alice.replica.row("account", id: company.acme)?["name"] == .text("Acme Ltd"))
        #expect(try company.carol.replica.row("account", id: company.acme) == nil, "the south rep does not see north")
        #expect(try company.carol.replica.row("account", id: company.globex) != nil)

        // Offline: both north reps edit Acme; Alice also logs a visit, Bob fixes the phone.
        try company.alice.replica.update("account", id: company.acme, set: ["credit_rating": .text("AA")])
        try company.alice.replica.insert(
            "visit",
            values: [
                "account_id": .text(company.acme), "rep": .text("alice"), "started_at": .integer(1_790_000_000_000),
                "channel": .text("face_to_face"), "purpose": .text("renewal"),
            ])
        try company.bob.replica.update("account", id: company.acme, set: ["credit_rating": .text("B"), "phone": .text("+33 3 20 00 00 00")])

        // Her visit also moved Acme's first and last contact: four changes.
        let first = try await company.alice.sync()
        #expect(first.pushed == 4 && first.applied == 4)
        let second = try await company.bob.sync()
        #expect(second.pushed == 2 && second.applied == 1 && second.queued == 1)

        // The admin sees the explained conflict over HTTP and keeps Bob's value.
        let queue = try await company.admin.request("GET", "/v1/admin/conflicts", as: ConflictListResponse.self)
        let item = try #require(queue.conflicts.first)
        #expect(queue.conflicts.count == 1)
        #expect(item.conflict.field == "credit_rating")
        #expect(item.conflict.base == .text("A"))
        #expect(item.conflict.explanation.contains("alice") && item.conflict.explanation.contains("bob"))
        let resolved = try await company.admin.request(
            "POST", "/v1/admin/conflicts/\(item.conflict.id)/resolve", body: ResolveRequest(keep: "incoming"),
            as: ConflictRecord.self)
        #expect(resolved.status == "resolved")

        // Everyone syncs; the three replicas that see Acme hold the same Acme.
        for laptop in [company.admin, company.alice, company.bob, company.carol] { _ = try await laptop.sync() }
        let states = try [company.admin, company.alice, company.bob].map { try $0.replica.row("account", id: company.acme) }
        #expect(states.allSatisfy { $0 == states[0] })
        #expect(states[0]?["credit_rating"] == .text("B"))
        #expect(states[0]?["phone"] == .text("+33 3 20 00 00 00"))
        for laptop in [company.alice, company.bob] {
            #expect(try laptop.replica.visits(ofAccount: company.acme).count == 1)
            #expect(try laptop.replica.pendingCount() == 0)
        }
        #expect(try company.carol.replica.visits().isEmpty)
    }

    @Test(arguments: Backend.available) func aRepsNewAccountLandsInTheirTerritoryForTheirColleagues(backend: Backend) async throws {
        let company = try await Company.start(backend)
        defer { Task { await company.server.stop() } }
        let id = try company.alice.replica.insert("account", values: ["name": .text("Initech"), "city": .text("Arras")])
        _ = try await company.alice.sync()
        _ = try await company.bob.sync()
        _ = try await company.carol.sync()
        #expect(try company.alice.replica.row("account", id: id)?["territory"] == .text("north"))
        #expect(try company.alice.replica.row("account", id: id)?["owner"] == .text("alice"))
        #expect(try company.bob.replica.row("account", id: id)?["name"] == .text("Initech"))
        #expect(try company.carol.replica.row("account", id: id) == nil)
    }

    @Test(arguments: Backend.available) func aTransferredAccountReachesItsNewOwnerWithEverythingUnderIt(backend: Backend) async throws {
        let company = try await Company.start(backend)
        defer { Task { await company.server.stop() } }
        let contact = try company.admin.replica.insert("contact", values: ["account_id": .text(company.acme), "name": .text("Jeanne")])
        _ = try await company.admin.sync()
        _ = try await company.carol.sync()
        #expect(try company.carol.replica.row("contact", id: contact) == nil)

        let moved = try await company.admin.request(
            "POST", "/v1/admin/accounts/\(company.acme)/transfer", body: TransferRequest(to: "carol"), as: RowSnapshot.self)
        #expect(moved.values["owner"] == .text("carol"))
        #expect(moved.values["territory"] == .text("south"))
        #expect(moved.seq > 0)

        _ = try await company.carol.sync()
        #expect(try company.carol.replica.row("account", id: company.acme)?["owner"] == .text("carol"))
        #expect(try company.carol.replica.row("contact", id: contact)?["name"] == .text("Jeanne"))

        // A rep may not transfer.
        await #expect(throws: SyncClientError.self) {
            _ = try await company.bob.request(
                "POST", "/v1/admin/accounts/\(company.acme)/transfer", body: TransferRequest(to: "bob"), as: RowSnapshot.self)
        }
    }

    @Test(arguments: Backend.available) func theFormerOwnersOfflineWorkIsKeptForTheNewOwnerNotRefused(backend: Backend) async throws {
        let company = try await Company.start(backend)
        defer { Task { await company.server.stop() } }
        _ = try await company.alice.sync()
        _ = try await company.carol.sync()

        // Offline, Alice edits Acme and logs a visit; meanwhile Acme moves to Carol.
        try company.alice.replica.update("account", id: company.acme, set: ["phone": .text("+33 3 20 99 99 99")])
        try company.alice.replica.insert(
            "visit",
            values: [
                "account_id": .text(company.acme), "rep": .text("alice"), "started_at": .integer(1_790_000_000_000),
                "channel": .text("phone"), "purpose": .text("handover"),
            ])
        _ = try await company.admin.request(
            "POST", "/v1/admin/accounts/\(company.acme)/transfer", body: TransferRequest(to: "carol"), as: RowSnapshot.self)

        // Her sync goes through: the visit is history and lands; the edit, and the first and last
        // contact the visit moved, wait for review.
        let summary = try await company.alice.sync()
        #expect(summary.applied == 1 && summary.queued == 3 && summary.rejected == 0, "\(summary)")
        #expect(try company.alice.replica.pendingCount() == 0)
        let queue = try await company.admin.request("GET", "/v1/admin/conflicts", as: ConflictListResponse.self)
        #expect(queue.conflicts.count == 3)
        let item = try #require(queue.conflicts.first { $0.conflict.kind == .transferred && $0.conflict.field == "phone" })
        #expect(item.conflict.explanation.contains("after it moved to another owner"))

        // The admin keeps Alice's phone; Carol gets it, and the visit.
        _ = try await company.admin.request(
            "POST", "/v1/admin/conflicts/\(item.conflict.id)/resolve", body: ResolveRequest(keep: "incoming"), as: ConflictRecord.self)
        _ = try await company.carol.sync()
        #expect(try company.carol.replica.row("account", id: company.acme)?["phone"] == .text("+33 3 20 99 99 99"))
        #expect(try company.carol.replica.visits(ofAccount: company.acme).count == 1)
    }

    @Test(arguments: Backend.available) func aTransferLeavesTheFormerHoldersLaptopsOnlyAfterTheirWorkIsPushedAndTellsThem(backend: Backend) async throws {
        let company = try await Company.start(backend)
        defer { Task { await company.server.stop() } }
        let contact = try company.admin.replica.insert("contact", values: ["account_id": .text(company.acme), "name": .text("Jeanne")])
        _ = try await company.admin.sync()
        for laptop in [company.alice, company.bob, company.carol] { _ = try await laptop.sync() }
        #expect(try company.bob.replica.row("contact", id: contact) != nil)

        // Alice edits Acme offline; Acme (north) moves to Carol (south) meanwhile.
        try company.alice.replica.update("account", id: company.acme, set: ["phone": .text("+33 3 20 00 00 01")])
        _ = try await company.admin.request(
            "POST", "/v1/admin/accounts/\(company.acme)/transfer", body: TransferRequest(to: "carol"), as: RowSnapshot.self)

        // A pull alone does not drop what Alice has not pushed yet.
        _ = try await company.alice.pull()
        #expect(try company.alice.replica.row("account", id: company.acme)?["phone"] == .text("+33 3 20 00 00 01"))
        #expect(try company.alice.replica.notices().isEmpty)

        // Her sync pushes the edit (queued for the new owner's side), then the account leaves her laptop.
        let summary = try await company.alice.sync()
        #expect(summary.queued == 1)
        #expect(try company.alice.replica.row("account", id: company.acme) == nil)
        #expect(try company.alice.replica.row("contact", id: contact) == nil, "everything under it goes too")
        let notice = try #require(try company.alice.replica.notices(unseenOnly: true).first)
        #expect(notice.rowID == company.acme && notice.title == "Acme Ltd")
        #expect(notice.message == "moved to carol by root; removed from this laptop with the 1 record under it")

        // Bob held it through the territory: his laptop lets it go on his next sync as well.
        _ = try await company.bob.sync()
        #expect(try company.bob.replica.row("account", id: company.acme) == nil)
        #expect(try company.bob.replica.notices().count == 1)
        // Carol has it all; the admin (who sees everything) still has it.
        _ = try await company.carol.sync()
        #expect(try company.carol.replica.row("contact", id: contact) != nil)
        _ = try await company.admin.sync()
        #expect(try company.admin.replica.row("account", id: company.acme) != nil && company.admin.replica.notices().isEmpty)

        // Nothing a rep did is lost, and the history says who did what.
        let queued = try await company.admin.request("GET", "/v1/admin/conflicts?rule=transfer", as: ConflictListResponse.self)
        let item = try #require(queued.conflicts.first)
        _ = try await company.admin.request(
            "POST", "/v1/admin/conflicts/\(item.conflict.id)/resolve", body: ResolveRequest(keep: "incoming"),
            as: ConflictRecord.self)
        let history = try await company.carol.request("GET", "/v1/history/account/\(company.acme)", as: HistoryResponse.self)
        #expect(history.entries.map(\.kind) == [.change, .transfer, .change, .resolution])
        #expect(history.entries[0].op == "insert" && history.entries[0].user == "root")
        #expect(history.entries[1].detail == "moved from alice (north) to carol (south)")
        #expect(history.entries[2].user == "alice" && history.entries[2].device == "alice-laptop")
        #expect(history.entries[2].outcome == "queued" && history.entries[2].value == .text("+33 3 20 00 00 01"))
        #expect(history.entries[3].value == .text("+33 3 20 00 00 01") && history.entries[3].user == "root")
        // Alice no longer sees Acme: its history is not hers to read.
        await #expect(throws: SyncClientError.self) {
            _ = try await company.alice.request("GET", "/v1/history/account/\(company.acme)", as: HistoryResponse.self)
        }
        // The transfer and the resolution are in the audit trail, with who did them and from where.
        let audit = try await company.admin.request("GET", "/v1/admin/audit", as: AuditListResponse.self).entries
        let transfer = try #require(audit.first { $0.action == "account.transfer" })
        #expect(transfer.target == "account \(company.acme)" && transfer.detail == "to carol" && transfer.actor == "root")
        let resolution = try #require(audit.first { $0.action == "conflict.resolve" })
        #expect(resolution.target == item.conflict.id && resolution.detail == "kept the incoming value")
        #expect(resolution.device == transfer.device && !resolution.device.isEmpty)
        #expect(audit.map(\.id) == audit.map(\.id).sorted(by: >), "newest first")
    }

    @Test(arguments: Backend.available) func theQueueFiltersByTerritoryRuleAgeAndEntity(backend: Backend) async throws {
        let company = try await Company.start(backend)
        defer { Task { await company.server.stop() } }
        for laptop in [company.alice, company.bob, company.carol] { _ = try await laptop.sync() }
        // Two reviews: the credit rating of Acme (north), and of Globex (south).
        try company.alice.replica.update("account", id: company.acme, set: ["credit_rating": .text("BB")])
        try company.bob.replica.update("account", id: company.acme, set: ["credit_rating": .text("AAA")])
        try company.carol.replica.update("account", id: company.globex, set: ["credit_rating": .text("C")])
        try company.admin.replica.update("account", id: company.globex, set: ["credit_rating": .text("D")])
        for laptop in [company.alice, company.bob, company.carol, company.admin] { _ = try await laptop.sync() }

        func count(_ query: String) async throws -> Int {
            try await company.admin.request("GET", "/v1/admin/conflicts?\(query)", as: ConflictListResponse.self).conflicts.count
        }
        #expect(try await count("status=open") == 2)
        #expect(try await count("territory=north") == 1)
        #expect(try await count("territory=south") == 1)
        #expect(try await count("territory=west") == 0)
        #expect(try await count("rule=review") == 2)
        #expect(try await count("rule=natural-key") == 0)
        #expect(try await count("entity=account&territory=south") == 1)
        #expect(try await count("entity=opportunity") == 0)
        #expect(try await count("olderThan=0m") == 2)
        #expect(try await count("olderThan=1d") == 0)
        for bad in ["olderThan=soon", "olderThan=3y", "entity=customer"] {
            await #expect(throws: SyncClientError.self, "\(bad) is refused") { _ = try await count(bad) }
        }
    }

    @Test(arguments: Backend.available) func aDuplicatePairIsMergedWithItsChildrenOnEveryReplicaAndNobodysVisitIsLost(backend: Backend) async throws {
        let company = try await Company.start(backend)
        defer { Task { await company.server.stop() } }
        for laptop in [company.alice, company.bob] { _ = try await laptop.sync() }
        func visit(_ laptop: SyncClient, _ account: String, _ purpose: String) throws {
            try laptop.replica.insert(
                "visit",
                values: [
                    "account_id": .text(account), "rep": .text(laptop.replica.identity().user),
                    "started_at": .integer(1_790_000_000_000), "channel": .text("face_to_face"), "purpose": .text(purpose),
                ])
        }
        // Offline, both reps create the same customer (same tax id), each with work under it.
        let dupont = try company.alice.replica.insert(
            "account", values: ["name": .text("Dupont SA"), "tax_id": .text("FR 40 123 456 789"), "city": .text("Lille")])
        let contact = try company.alice.replica.insert("contact", values: ["account_id": .text(dupont), "name": .text("Marc Dupont")])
        try visit(company.alice, dupont, "first call")
        let twin = try company.bob.replica.insert(
            "account",
            values: [
                "name": .text("Dupont S.A."), "tax_id": .text("FR40123456789"), "city": .text("Lille"), "phone": .text("+33 3 20 11 22 33"),
            ])
        try visit(company.bob, twin, "demo")
        let deal = try company.bob.replica.insert(
            "opportunity", values: ["account_id": .text(twin), "name": .text("Dupont fleet"), "stage": .text("prospecting")])
        _ = try await company.alice.sync()
        let bobsDay = try await company.bob.sync()
        #expect(bobsDay.queued == 1, "the second customer is a duplicate candidate, not a silent second account")

        let candidates = try await company.admin.request(
            "GET", "/v1/admin/conflicts?rule=natural-key", as: ConflictListResponse.self).conflicts
        let candidate = try #require(candidates.first)
        #expect(candidates.count == 1 && candidate.conflict.rowID == twin && candidate.conflict.relatedRowIDs == [dupont])

        // Meanwhile, offline again, Bob logs another visit on his Dupont and corrects its city.
        try visit(company.bob, twin, "follow-up")
        try company.bob.replica.update("account", id: twin, set: ["city": .text("Roubaix")])

        // The admin merges Bob's record into Alice's, taking his phone.
        let merged = try await company.admin.request(
            "POST", "/v1/admin/records/account/\(dupont)/merge", body: MergeRequest(from: twin, take: ["phone"]),
            as: MergeResponse.self)
        #expect(merged.moved == ["opportunity": 1, "visit": 1])
        #expect(merged.settledConflicts == [candidate.conflict.id])
        #expect(merged.kept.values["phone"] == .text("+33 3 20 11 22 33") && merged.kept.values["name"] == .text("Dupont SA"))

        // Bob's later work lands on the kept record; every laptop ends with one Dupont and all the work.
        let late = try await company.bob.sync()
        #expect(late.rejected == 0)
        for laptop in [company.alice, company.bob, company.admin] { _ = try await laptop.sync() }
        for laptop in [company.alice, company.bob, company.admin] {
            #expect(try laptop.replica.row("account", id: twin) == nil)
            #expect(try laptop.replica.row("account", id: dupont)?["city"] == .text("Roubaix"))
            #expect(try laptop.replica.visits(ofAccount: dupont).count == 3, "nobody's visit is lost")
            #expect(try laptop.replica.row("opportunity", id: deal)?["account_id"] == .text(dupont))
            #expect(try laptop.replica.row("contact", id: contact)?["account_id"] == .text(dupont))
        }
        #expect(try company.server.hub.redirect("account", id: twin) == dupont)
        #expect(try company.bob.replica.redirect("account", id: twin)?.to == dupont, "the laptops learn where the id leads")
        #expect(try company.carol.replica.redirect("account", id: twin) == nil, "but only those who may see the kept record")
        let open = try await company.admin.request("GET", "/v1/admin/conflicts", as: ConflictListResponse.self).conflicts
        #expect(open.isEmpty)
        let history = try await company.admin.request("GET", "/v1/history/account/\(dupont)", as: HistoryResponse.self)
        #expect(history.entries.contains { $0.kind == .merge && $0.detail?.contains("taking its phone") == true })
        let audited = try await company.admin.request("GET", "/v1/admin/audit?limit=5", as: AuditListResponse.self).entries
        #expect(audited.contains { $0.action == "record.merge" && $0.target == "account \(dupont)" && $0.detail.contains(twin) })
        // A merged record cannot be merged again, and nothing merges into itself.
        await #expect(throws: SyncClientError.self) {
            _ = try await company.admin.request(
                "POST", "/v1/admin/records/account/\(dupont)/merge", body: MergeRequest(from: twin), as: MergeResponse.self)
        }
        await #expect(throws: SyncClientError.self) {
            _ = try await company.admin.request(
                "POST", "/v1/admin/records/account/\(dupont)/merge", body: MergeRequest(from: dupont), as: MergeResponse.self)
        }
        // A merge never moves work between holders: accounts of different territories, or taking
        // the territory, are refused (a transfer does that, and tells the laptops).
        for request in [MergeRequest(from: company.globex), MergeRequest(from: company.acme, take: ["territory"])] {
            do {
                _ = try await company.admin.request(
                    "POST", "/v1/admin/records/account/\(dupont)/merge", body: request, as: MergeResponse.self)
                Issue.record("the merge of \(request.from) should be refused")
            } catch let SyncClientError.refused(error, status) {
                #expect(status == 400 && (error.message.contains("transfer") || error.message.contains("territory")))
            }
        }
        #expect(try company.server.hub.row("account", id: company.globex)?.isDeleted == false)
    }

    @Test(arguments: Backend.available) func aLaptopAwayAcrossACompactionRejoinsWithItsWorkAndNothingDeletedComesBack(backend: Backend) async throws {
        let company = try await Company.start(backend)
        defer { Task { await company.server.stop() } }
        let hub = company.server.hub
        let yard = try company.admin.replica.insert(
            "account", values: ["name": .text("Yard & Co"), "city": .text("Lens"), "territory": .text("north")])
        _ = try await company.admin.sync()
        for laptop in [company.alice, company.bob] { _ = try await laptop.sync() }

        // Alice goes on the road: she edits Acme and Yard offline. Meanwhile Bob deletes Yard.
        try company.alice.replica.update("account", id: company.acme, set: ["phone": .text("+33 3 21 00 00 00")])
        try company.alice.replica.update("account", id: yard, set: ["city": .text("Arras")])
        try company.bob.replica.delete("account", id: yard)
        for laptop in [company.bob, company.admin, company.carol] { _ = try await laptop.sync() }
        #expect(try company.admin.replica.row("account", id: yard) == nil)
        // A pull acknowledges what came before it: one more sync each says they have the tombstone.
        for laptop in [company.bob, company.admin, company.carol] { _ = try await laptop.sync() }

        // Alice's laptop holds the tombstone on the server until an admin retires it.
        let held = try hub.compact(by: .serverOperator)
        #expect(held.purged == 0 && held.holdingBack.contains("alice (alice-laptop)"))
        try hub.retireDevice(try company.alice.replica.identity().replicaID, by: .serverOperator)
        let compacted = try hub.compact(by: .serverOperator)
        #expect(compacted.purged == 1)
        #expect(try hub.row("account", id: yard) == nil, "the tombstone is gone for good")
        #expect(try hub.auditEntries(limit: 3).map(\.action) == ["compact", "device.retire", "compact"])

        // Alice comes back: her work is pushed, the deleted account does not come back, and her
        // laptop re-baselines to exactly the server's state.
        let summary = try await company.alice.sync()
        #expect(summary.pushed == 2 && summary.applied == 1 && summary.rejected == 1)
        #expect(try hub.row("account", id: company.acme)?.values["phone"] == .text("+33 3 21 00 00 00"))
        #expect(try hub.row("account", id: yard) == nil)
        #expect(try company.alice.replica.row("account", id: yard) == nil)
        #expect(try company.alice.replica.row("account", id: company.acme)?["phone"] == .text("+33 3 21 00 00 00"))
        #expect(try company.alice.replica.identity().isBootstrapped)
        #expect(try company.alice.replica.notices(unseenOnly: true).contains { $0.kind == "rebaseline" })
        let refused = try #require(try company.alice.replica.outcomes().first { $0.rowID == yard })
        #expect(refused.status == "rejected", "her edit of the deleted account is answered, not dropped silently")
        // Back in the fold: she counts for compaction again, and a later sync is an ordinary pull.
        _ = try await company.alice.sync()
        #expect(try hub.devices().first { $0.user == "alice" }?.retiredFromCompaction == false)
        #expect(try company.alice.replica.rows("account").map(\.id).sorted() == (try company.bob.replica.rows("account").map(\.id).sorted()))
    }

    // MARK: - Exactly once

    @Test(arguments: Backend.available) func aReplayedPushIsANoOpWithTheSameAnswer(backend: Backend) async throws {
        let company = try await Company.start(backend)
        defer { Task { await company.server.stop() } }
        _ = try await company.alice.sync()
        try company.alice.replica.update("account", id: company.acme, set: ["phone": .text("1")])
        let changeset = try #require(try company.alice.replica.pendingChangeset())
        let body = try changeset.jsonData()
        let first = try await company.raw("POST", "/v1/sync/push", credential: company.alice.configuration.credential, body: body)
        let dump = try company.server.hub.dump()
        let again = try await company.raw("POST", "/v1/sync/push", credential: company.alice.configuration.credential, body: body)
        #expect(first.status == 200 && again.status == 200)
        #expect(first.body == again.body)
        #expect(try company.server.hub.dump() == dump)
    }

    @Test(arguments: Backend.available) func aLostAnswerIsRetriedAndAnsweredTheSame(backend: Backend) async throws {
        let server = try await LiveServer.start(backend: backend)
        defer { Task { await server.stop() } }
        let flaky = FlakyTransport(base: HTTPTransport(baseURL: server.url), dropAnswers: 1)
        let alice = try await server.laptop("alice", role: .rep, territories: ["north"], transport: flaky)
        _ = try await alice.sync()
        try alice.replica.insert("account", values: ["name": .text("Umbrella")])
        flaky.arm()
        let summary = try await alice.sync()
        #expect(summary.applied == 1)
        #expect(flaky.dropped == 1, "the first answer was lost after the server committed")
        #expect(try alice.replica.pendingCount() == 0)
        #expect(try server.hub.liveRows("account").count == 1)
    }

    @Test(arguments: Backend.available) func anInterruptedPullResumesFromTheLastAppliedPage(backend: Backend) async throws {
        let server = try await LiveServer.start(backend: backend)
        defer { Task { await server.stop() } }
        let admin = try await server.laptop("root", role: .admin)
        for n in 0..<25 { try admin.replica.insert("account", values: ["name": .text("Customer \(n)"), "territory": .text("north")]) }
        _ = try await admin.sync()
        let cut = FlakyTransport(base: HTTPTransport(baseURL: server.url), failAfter: 3)
        let alice = try await server.laptop("alice", role: .rep, territories: ["north"], transport: cut, pageSize: 4)
        // Bootstrap is interrupted after three requests; the replica keeps the pages it applied.
        await #expect(throws: SyncClientError.self) { _ = try await alice.sync() }
        let partial = try alice.replica.rows("account").count
        #expect(partial == 12)
        cut.heal()
        _ = try await alice.sync()
        #expect(try alice.replica.rows("account").count == 25)
        #expect(try alice.replica.identity().isBootstrapped)
    }

    /// A laptop asks for the table layout; a page in either layout carries the same rows.
    @Test(arguments: Backend.available) func bothPageLayoutsCarryTheSameRows(backend: Backend) async throws {
        let company = try await Company.start(backend)
        defer { Task { await company.server.stop() } }
        try company.admin.replica.insert("account", values: ["name": .text("Initech"), "territory": .text("north"), "tags": .stringSet(["key"])])
        try company.admin.replica.update("account", id: company.acme, set: ["phone": .text("+33 1"), "notes": .text("met")])
        _ = try await company.admin.sync()
        _ = try await company.alice.sync()
        #expect(try company.alice.replica.rows("account").count == 2)
        let credential = company.alice.configuration.credential
        func read(_ path: String, _ data: Data) throws -> [RowSnapshot] {
            path.contains("pull")
                ? try WireJSON.decode(PullResponse.self, from: data).rows
                : try WireJSON.decode(BootstrapResponse.self, from: data).rows
        }
        for path in ["/v1/sync/pull?since=0", "/v1/sync/bootstrap?limit=1"] {
            let rows = try await company.raw("GET", path + "&layout=rows", credential: credential, body: nil)
            let table = try await company.raw("GET", path + "&layout=table", credential: credential, body: nil)
            #expect(rows.status == 200 && table.status == 200)
            #expect(String(decoding: table.body, as: UTF8.self).hasPrefix(#"{"table":{"replicas":["#))
            #expect(String(decoding: rows.body, as: UTF8.self).hasPrefix(#"{"rows":["#))
            let expected = try read(path, rows.body).map { row in
                var row = row
                row.values = row.values.filter { $0.value != FieldValue.null }
                return row
            }
            #expect(!expected.isEmpty)
            #expect(try read(path, table.body) == expected, "\(path)")
        }
    }

    // MARK: - Refusals change nothing

    @Test(arguments: Backend.available) func hostileRequestsGetTheirErrorAndChangeNothing(backend: Backend) async throws {
        let company = try await Company.start(backend)
        defer { Task { await company.server.stop() } }
        _ = try await company.carol.sync()
        _ = try await company.alice.sync()
        try company.alice.replica.update("account", id: company.acme, set: ["phone": .text("2")])
        let changeset = try #require(try company.alice.replica.pendingChangeset())
        let aliceCredential = company.alice.configuration.credential
        let dump = try company.server.hub.dump()

        func expectRefusal(
            _ response: TransportResponse, _ status: Int, _ code: ProtocolError.Code,
            sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            #expect(response.status == status, sourceLocation: sourceLocation)
            let error = try WireJSON.decoder.decode(ErrorResponse.self, from: response.body).error
            #expect(error.code == code, sourceLocation: sourceLocation)
            #expect(!error.message.isEmpty, sourceLocation: sourceLocation)
            #expect(try company.server.hub.dump() == dump, "a refused request changed the store", sourceLocation: sourceLocation)
        }

        // No credential, and a made-up one.
        try expectRefusal(try await company.raw("POST", "/v1/sync/push", credential: nil, body: try changeset.jsonData()), 401, .unauthenticated)
        try expectRefusal(
            try await company.raw("POST", "/v1/sync/push", credential: "sat_device_forged", body: try changeset.jsonData()), 401,
            .badCredential)
        // Carol pushes Alice's changes under Alice's replica id.
        try expectRefusal(
            try await company.raw("POST", "/v1/sync/push", credential: company.carol.configuration.credential, body: try changeset.jsonData()),
            403, .forgedReplica)
        // Malformed JSON, an unknown field, a wrong-typed value.
        try expectRefusal(try await company.raw("POST", "/v1/sync/push", credential: aliceCredential, body: Data("{\"format\":1,".utf8)), 400, .malformed)
        var unknownField = changeset
        unknownField.changes[0].operation = .update(field: "password", value: .text("x"), base: .null)
        try expectRefusal(try await company.raw("POST", "/v1/sync/push", credential: aliceCredential, body: try unknownField.jsonData()), 400, .unknownField)
        var wrongType = changeset
        wrongType.changes[0].operation = .update(field: "visit_interval_days", value: .text("soon"), base: .null)
        try expectRefusal(try await company.raw("POST", "/v1/sync/push", credential: aliceCredential, body: try wrongType.jsonData()), 400, .invalidValue)
        // A gzip bomb: 40 MiB of zeros in a few KiB.
        let bomb = try Compression.deflate(Data(count: 40 << 20), format: .gzip)
        try expectRefusal(
            try await company.raw("POST", "/v1/sync/push", credential: aliceCredential, headers: ["Content-Encoding": "gzip"], body: bomb),
            413, .tooLarge)
        // A bad page size, an unknown route, an admin route for a rep.
        try expectRefusal(try await company.raw("GET", "/v1/sync/pull?limit=0", credential: aliceCredential, body: nil), 400, .invalidRequest)
        // A page layout nobody offers.
        for path in ["/v1/sync/pull?layout=columns", "/v1/sync/bootstrap?layout=TABLE"] {
            let response = try await company.raw("GET", path, credential: aliceCredential, body: nil)
            try expectRefusal(response, 400, .invalidRequest)
            let message = try WireJSON.decoder.decode(ErrorResponse.self, from: response.body).error.message
            #expect(message.hasPrefix("layout must be rows or table"), "\(message)")
        }
        try expectRefusal(try await company.raw("GET", "/v1/nothing", credential: aliceCredential, body: nil), 404, .notFound)
        try expectRefusal(try await company.raw("GET", "/v1/admin/conflicts", credential: aliceCredential, body: nil), 403, .forbidden)
        // An enrollment token never issued (a spent one is in Fixtures/hostile/http).
        try expectRefusal(
            try await company.raw(
                "POST", "/v1/enroll", credential: nil, body: try WireJSON.encoder.encode(EnrollRequest(token: "sat_enroll_nope", device: "x"))),
            401, .badToken)

        // Carol (south) writes to Acme (north) under her own replica id: refused as an outcome that
        // says no more than "no such record you can see", and Acme is not touched at all.
        let acmeBefore = try company.server.hub.row("account", id: company.acme)
        var intrusion = changeset
        intrusion.replica = try company.carol.replica.identity().replicaID
        intrusion.changes = intrusion.changes.map { var change = $0; change.dot.replica = intrusion.replica; change.dot.counter = 1; return change }
        let answer = try await company.raw(
            "POST", "/v1/sync/push", credential: company.carol.configuration.credential, body: try intrusion.jsonData())
        #expect(answer.status == 200)
        let outcomes = try WireJSON.decoder.decode(PushResponse.self, from: answer.body).outcomes
        guard case .rejected(let refusal) = outcomes.first?.outcome else {
            Issue.record("the intrusion was not rejected: \(outcomes)")
            return
        }
        #expect(refusal.rule == "scope")
        #expect(refusal.reason == "there is no account \(company.acme) that you can see")
        #expect(try company.server.hub.row("account", id: company.acme) == acmeBefore)
        #expect(try company.server.hub.history("account", id: company.acme).allSatisfy { $0.user != "carol" })

        // The honest push still goes through afterwards.
        let summary = try await company.alice.sync()
        #expect(summary.applied == 1)
    }

    @Test(arguments: Backend.available) func healthAndMetricsAnswer(backend: Backend) async throws {
        let company = try await Company.start(backend)
        defer { Task { await company.server.stop() } }
        let health = try await company.raw("GET", "/health", credential: nil, body: nil)
        #expect(health.status == 200)
        #expect(try WireJSON.decoder.decode(HealthResponse.self, from: health.body).status == "ok")
        let metrics = try await company.raw("GET", "/metrics", credential: nil, body: nil)
        let text = String(decoding: metrics.body, as: UTF8.self)
        #expect(text.contains("satchel_push_changes_total{outcome=\"applied\"} 2"))
        #expect(text.contains("satchel_open_conflicts 0"))
    }
}

/// A transport that loses answers or fails after a number of requests, as networks do.
final class FlakyTransport: SyncTransport, @unchecked Sendable {
    private let base: HTTPTransport
    private let lock = NSLock()
    private var armed = false
    private var toDrop: Int
    private var remaining: Int?
    private(set) var dropped = 0

    init(base: HTTPTransport, dropAnswers: Int = 0, failAfter: Int? = nil) {
        self.base = base
        self.toDrop = dropAnswers
        self.remaining = failAfter
        self.armed = failAfter != nil
    }

    func arm() { lock.withLock { armed = true } }
    func heal() { lock.withLock { remaining = nil; armed = false } }

    func send(_ request: TransportRequest) async throws -> TransportResponse {
        let failNow: Bool = lock.withLock {
            guard armed, let left = remaining else { return false }
            if left <= 0 { return true }
            remaining = left - 1
            return false
        }
        if failNow { throw SyncClientError.transport("the network went away") }
        let response = try await base.send(request)
        let drop: Bool = lock.withLock {
            guard armed, toDrop > 0, request.method == "POST" else { return false }
            toDrop -= 1
            dropped += 1
            return true
        }
        if drop { throw SyncClientError.transport("the answer was lost") }
        return response
    }
}
