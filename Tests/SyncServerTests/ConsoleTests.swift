import Foundation
import HubEngine
import HubPostgres
import HubStore
import ReplicaStore
import SatchelModel
import SatchelTestSupport
import SyncClient
import SyncCore
@testable import SyncServer
import Testing

/// The console's rules at the HTTP level, on every storage: sessions, CSRF, the sign-in's rate
/// limit, roles and scope. (The pages themselves, in a real browser: ConsoleBrowserTests.)
struct ConsoleTests {
    static let password = "correct horse battery staple"

    /// A server with an admin of the console.
    static func start(_ backend: Backend, limits: ServerLimits = ServerLimits()) async throws -> LiveServer {
        let server = try await LiveServer.start(backend: backend, limits: limits)
        _ = try server.addUser("ada", role: .admin)
        try server.hub.setPassword(hash: try ConsolePasswords.hash(password), for: "ada", by: .serverOperator)
        return server
    }

    static func with(_ backend: Backend, limits: ServerLimits = ServerLimits(), _ body: (LiveServer) async throws -> Void)
        async throws
    {
        let server = try await start(backend, limits: limits)
        do {
            try await body(server)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test(arguments: Backend.available) func signingInSetsAStrictSessionAndSigningOutEndsItOnTheServer(backend: Backend) async throws {
        try await Self.with(backend) { server in
            let browser = WebClient(base: server.url)
            let unsigned = try await browser.get("/admin/conflicts?rule=review")
            #expect(unsigned.status == 303 && unsigned.header("Location") == "/admin/login?next=/admin/conflicts%3Frule%3Dreview")

            let signedIn = try await browser.signIn("ada", password: Self.password, next: "/admin/devices")
            #expect(signedIn.status == 303 && signedIn.header("Location") == "/admin/devices")
            let cookie = try #require(signedIn.setCookies.first { $0.hasPrefix("satchel_session=") })
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/admin"))
            #expect(cookie.contains("; Secure"), "Secure even here: browsers keep it from 127.0.0.1, and a TLS proxy may front the server")
            let session = try #require(browser.cookies["satchel_session"])
            let page = try await browser.get("/admin/devices")
            #expect(page.status == 200 && page.body.contains("<h1>Devices</h1>"))
            #expect(page.header("Content-Security-Policy")?.contains("default-src 'none'") == true)
            #expect(page.header("X-Frame-Options") == "DENY" && page.header("Cache-Control") == "no-store")

            let missing = try await browser.get("/admin/no/such/page")
            #expect(missing.status == 404 && missing.header("Content-Type")?.hasPrefix("text/html") == true)
            #expect(missing.body.contains("There is no such console page"))

            let out = try await browser.post("/admin/logout", [("csrf", page.csrf ?? "")])
            #expect(out.status == 303 && out.header("Location") == "/admin/login?signedOut=1")
            #expect(browser.cookies["satchel_session"] == nil)
            // The old cookie, replayed, opens nothing: the session is gone from the store.
            let replay = WebClient(base: server.url)
            replay.cookies["satchel_session"] = session
            #expect(try await replay.get("/admin/devices").status == 303)
            let actions = try server.hub.auditEntries(limit: 10).map(\.action)
            #expect(actions.contains("console.sign-in") && actions.contains("console.sign-out"))
        }
    }

    @Test(arguments: Backend.available) func wrongPasswordsGetOneGenericAnswerAndTheLimitHoldsEvenTheRightOne(backend: Backend) async throws {
        let limits = ServerLimits(rates: .custom(enrollBurst: 100, failedBurst: 3, credentialBurst: 1000, perSecond: 0.001))
        try await Self.with(backend, limits: limits) { server in
            let browser = WebClient(base: server.url)
            let unknown = try await browser.signIn("nobody", password: Self.password)
            let wrong = try await browser.signIn("ada", password: "not the password at all")
            #expect(unknown.status == 401 && wrong.status == 401)
            let message = "The user name or password is not right, or this user does not use the console."
            #expect(unknown.body.contains(message) && wrong.body.contains(message))
            #expect(browser.cookies["satchel_session"] == nil)
            _ = try await browser.signIn("ada", password: "still not it, sorry")
            // Three failures from this address: the right password now waits too, and guesses
            // sent all at once are all held back (none is checked).
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<8 {
                    group.addTask { try await WebClient(base: server.url).signIn("ada", password: "guess number \(index)").status }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == 429 }, "\(statuses)")
            let held = try await browser.signIn("ada", password: Self.password)
            #expect(held.status == 429 && held.header("Retry-After") != nil)
            #expect(held.body.contains("Too many failed sign-ins"))
            #expect(browser.cookies["satchel_session"] == nil)
        }
    }

    @Test(arguments: Backend.available) func repsAndDisabledUsersAreRefusedWhateverTheStoreHolds(backend: Backend) async throws {
        try await Self.with(backend) { server in
            _ = try server.addUser("alice", role: .rep, territories: ["north"])
            #expect(throws: HubError.self) {
                try server.hub.setPassword(hash: try ConsolePasswords.hash(Self.password), for: "alice", by: .serverOperator)
            }
            // Even a password written into the store behind the service's back does not let a rep in.
            let hash = try ConsolePasswords.hash(Self.password)
            let writes = HubWrites(directory: [.setPassword(user: "alice", hash: hash)])
            if let hub = server.hub as? Hub {
                try hub.storage.write { _ in ((), writes) }
            } else if let hub = server.hub as? PostgresHub {
                try hub.storage.write { _ in ((), writes) }
            }
            #expect(try server.hub.passwordHash(of: "alice") == hash)
            let rep = WebClient(base: server.url)
            #expect(try await rep.signIn("alice", password: Self.password).status == 401)
            #expect(rep.cookies["satchel_session"] == nil)

            // A disabled admin's open session stops at once.
            _ = try server.addUser("bea", role: .admin)
            try server.hub.setPassword(hash: try ConsolePasswords.hash(Self.password), for: "bea", by: .serverOperator)
            let bea = WebClient(base: server.url)
            #expect(try await bea.signIn("bea", password: Self.password).status == 303)
            #expect(try await bea.get("/admin").status == 200)
            try server.hub.disableUser("bea", by: .serverOperator)
            #expect(try await bea.get("/admin").status == 303)
            #expect(try await bea.signIn("bea", password: Self.password).status == 401)
        }
    }

    @Test(arguments: Backend.available) func aPostWithoutTheSessionsOwnTokenChangesNothing(backend: Backend) async throws {
        try await Self.with(backend) { server in
            _ = try server.addUser("bob", role: .rep, territories: ["north"])
            let admin = WebClient(base: server.url)
            _ = try await admin.signIn("ada", password: Self.password)
            let other = WebClient(base: server.url)
            _ = try await other.signIn("ada", password: Self.password)
            let otherToken = try #require(try await other.get("/admin/users").csrf)

            for fields in [[(String, String)](), [("csrf", "")], [("csrf", "forged")], [("csrf", otherToken)]] {
                let answer = try await admin.post("/admin/users/bob/disable", fields)
                #expect(answer.status == 403, "\(fields)")
                #expect(answer.body.contains("nothing was changed"))
            }
            // No session at all: to the sign-in page, nothing done.
            let stranger = WebClient(base: server.url)
            let refused = try await stranger.post("/admin/users/bob/disable", [("csrf", otherToken)])
            #expect(refused.status == 303 && refused.header("Location") == "/admin/login")
            #expect(try server.hub.user("bob")?.disabled != true)
            #expect(!(try server.hub.auditEntries(limit: 50).contains { $0.action == "user.disable" }))

            // A sign-in form posted without its own cookie (from another site) is refused too.
            let forged = WebClient(base: server.url)
            let login = try await forged.get("/admin/login")
            forged.cookies = [:]
            let answer = try await forged.post("/admin/login", [("csrf", login.csrf ?? ""), ("user", "ada"), ("password", Self.password)])
            #expect(answer.status == 403 && forged.cookies["satchel_session"] == nil)

            // With the session's token, the same action works and is audited.
            let token = try #require(try await admin.get("/admin/users").csrf)
            let done = try await admin.post("/admin/users/bob/disable", [("csrf", token)])
            #expect(done.status == 303 && done.header("Location") == "/admin/users?done=disabled")
            #expect(try server.hub.user("bob")?.disabled == true)
            #expect(try server.hub.auditEntries(limit: 5).first { $0.action == "user.disable" }?.actor == "ada")
        }
    }

    @Test(arguments: Backend.available) func aManagerSeesTheirTeamsConflictsAndResolvesNothing(backend: Backend) async throws {
        try await Self.with(backend) { server in
            let admin = try await server.laptop("root", role: .admin)
            _ = try server.addUser("max", role: .manager, territories: ["north"])
            try server.hub.setPassword(hash: try ConsolePasswords.hash(Self.password), for: "max", by: .serverOperator)
            var ids: [String: String] = [:]
            for territory in ["north", "south"] {
                ids[territory] = try admin.replica.insert(
                    "account", values: ["name": .text("Shop \(territory)"), "territory": .text(territory), "credit_rating": .text("A")])
            }
            _ = try await admin.sync()
            for territory in ["north", "south"] {
                let first = try await server.laptop("\(territory)-1", role: .rep, territories: [territory])
                let second = try await server.laptop("\(territory)-2", role: .rep, territories: [territory])
                _ = try await first.sync()
                _ = try await second.sync()
                try first.replica.update("account", id: ids[territory]!, set: ["credit_rating": .text("AA")])
                try second.replica.update("account", id: ids[territory]!, set: ["credit_rating": .text("B")])
                _ = try await first.sync()
                _ = try await second.sync()
            }
            // Two north reps create the same customer: a duplicate candidate, for admins only (its
            // explanation names the matching records, wherever they are).
            let twin1 = try await server.laptop("north-3", role: .rep, territories: ["north"])
            let twin2 = try await server.laptop("north-4", role: .rep, territories: ["north"])
            _ = try twin1.replica.insert("account", values: ["name": .text("Dupont SA"), "tax_id": .text("FR40123456789")])
            _ = try twin2.replica.insert("account", values: ["name": .text("Dupont S.A."), "tax_id": .text("FR 40 123 456 789")])
            _ = try await twin1.sync()
            _ = try await twin2.sync()
            let candidate = try #require(try server.hub.conflicts(matching: ConflictFilter()).first { $0.conflict.kind == .duplicateCandidate })
            let open = try server.hub.conflicts(matching: ConflictFilter()).filter { $0.conflict.kind != .duplicateCandidate }
            #expect(open.count == 2)
            let north = try #require(open.first { $0.conflict.rowID == ids["north"] })
            let south = try #require(open.first { $0.conflict.rowID == ids["south"] })

            let manager = WebClient(base: server.url)
            _ = try await manager.signIn("max", password: Self.password)
            let list = try await manager.get("/admin/conflicts")
            #expect(list.status == 200 && list.body.contains("Shop north") && !list.body.contains("Shop south"))
            #expect(!list.body.contains("Dupont"))
            let duplicate = try await manager.get("/admin/conflicts/" + candidate.conflict.id.replacingOccurrences(of: ":", with: "%3A"))
            #expect(duplicate.status == 404 && !duplicate.body.contains("Dupont"))
            #expect(!(try await manager.get("/admin").body.contains("<svg")), "the company-wide tally is for admins")
            #expect(!list.body.contains("href=\"/admin/devices\""), "no Devices link for a manager")
            let elsewhere = try await manager.get("/admin/conflicts/" + south.conflict.id.replacingOccurrences(of: ":", with: "%3A"))
            #expect(elsewhere.status == 404 && !elsewhere.body.contains("Shop south"))
            // Another territory's record reads like a missing one, and cannot be transferred.
            let southRecord = try await manager.get("/admin/records/account/" + ids["south"]!)
            #expect(southRecord.status == 404 && !southRecord.body.contains("Shop south"))
            #expect(try await manager.get("/admin/records/account/" + ids["north"]!).body.contains("Shop north"))
            let token = try #require(list.csrf)
            let moved = try await manager.post("/admin/records/account/\(ids["south"]!)/transfer", [("csrf", token), ("to", "south-1")])
            #expect(moved.status == 403 || moved.status == 404)
            #expect(try server.hub.row("account", id: ids["south"]!)?.values["owner"] != .text("south-1"))
            let path = "/admin/conflicts/" + north.conflict.id.replacingOccurrences(of: ":", with: "%3A")
            let page = try await manager.get(path)
            #expect(page.status == 200 && page.body.contains("Resolving conflicts needs an admin"))
            let resolve = try await manager.post(path + "/resolve", [("csrf", page.csrf ?? ""), ("choice", "current")])
            #expect(resolve.status == 403)
            #expect(try server.hub.conflict(north.conflict.id).isOpen)
            #expect(try await manager.get("/admin/devices").status == 403)

            // The admin resolves it with an entered value; a bad value is refused and changes nothing.
            let console = WebClient(base: server.url)
            _ = try await console.signIn("ada", password: Self.password)
            let adminToken = try #require(try await console.get(path).csrf)
            let bad = try await console.post(path + "/resolve", [("csrf", adminToken), ("choice", "value"), ("value", "Z")])
            #expect(bad.status == 400 && bad.body.contains("must be one of AAA"))
            #expect(try server.hub.conflict(north.conflict.id).isOpen)
            let good = try await console.post(path + "/resolve", [("csrf", adminToken), ("choice", "value"), ("value", "BBB")])
            #expect(good.status == 303)
            #expect(try server.hub.row("account", id: ids["north"]!)?.values["credit_rating"] == .text("BBB"))
        }
    }

    @Test func aLongQueueIsShownOldestFirstAPageAtATime() async throws {
        try await Self.with(.sqlite) { server in
            let alice = try await server.laptop("alice", role: .rep, territories: ["north"])
            for index in 0...201 {
                _ = try alice.replica.insert("account", values: ["name": .text("Dupont \(index)"), "tax_id": .text("FR40123456789")])
            }
            _ = try await alice.sync()
            let candidates = try server.hub.conflicts(matching: ConflictFilter()).count
            #expect(candidates > ConsoleController.pageSize)
            let console = WebClient(base: server.url)
            _ = try await console.signIn("ada", password: Self.password)
            for path in ["/admin/conflicts", "/admin/duplicates"] {
                let page = try await console.get(path)
                #expect(page.body.contains("The oldest \(ConsoleController.pageSize) of \(candidates)"), "\(path)")
                let rows = page.body.components(separatedBy: "<tr><td><a href=\"/admin/").count - 1
                #expect(rows == ConsoleController.pageSize, "\(path): \(rows) rows")
            }
        }
    }

    @Test func afterSigningInTheBrowserStaysOnThisServer() async throws {
        try await Self.with(.sqlite) { server in
            for next in ["//evil.example/admin", "https://evil.example/", "/admin/../v1/admin/users", "/admin\\@evil.example", "/elsewhere"] {
                let browser = WebClient(base: server.url)
                let answer = try await browser.signIn("ada", password: Self.password, next: next)
                let location = answer.header("Location") ?? ""
                #expect(answer.status == 303 && location == "/admin", "\(next) → \(location)")
            }
        }
    }

    @Test(arguments: Backend.available) func pushesAreTalliedByDayWithTheirOutcomes(backend: Backend) async throws {
        try await Self.with(backend) { server in
            let alice = try await server.laptop("alice", role: .rep, territories: ["north"])
            _ = try alice.replica.insert("account", values: ["name": .text("Shop One")])
            _ = try alice.replica.insert("account", values: ["name": .text("Shop Two")])
            let first = try #require(try alice.replica.pendingChangeset())
            let writer = Writer(user: "alice", device: "alice-laptop", isPrivileged: false)
            let scope = try server.hub.scope(of: try #require(try server.hub.user("alice")))
            _ = try server.hub.push(first, as: writer, scope: scope, homeTerritory: "north")
            // The same push again (a lost answer), then one that resends it with one change more:
            // only what the hub answers for the first time is counted.
            _ = try server.hub.push(first, as: writer, scope: scope, homeTerritory: "north")
            _ = try alice.replica.insert("account", values: ["name": .text("Shop Three")])
            let more = try #require(try alice.replica.pendingChangeset())
            #expect(more.changes.count == first.changes.count + 1)
            _ = try server.hub.push(more, as: writer, scope: scope, homeTerritory: "north")
            _ = try await alice.sync()  // nothing new to push
            let today = try #require(try server.hub.activity(days: 3).last)
            #expect(today.pushes == 2 && today.applied == more.changes.count && today.queued == 0 && today.rejected == 0, "\(today), \(first.changes.count) then \(more.changes.count) changes")
            #expect(try server.hub.activity(days: 3).count == 3)
            let console = WebClient(base: server.url)
            _ = try await console.signIn("ada", password: Self.password)
            let dashboard = try await console.get("/admin")
            #expect(dashboard.body.contains("Pushes in all: 2.") && dashboard.body.contains("<svg"))
            // The laptop's last pull is kept, and the Devices page shows it beside its last push.
            let device = try #require(try server.hub.devices().first { $0.user == "alice" })
            #expect(device.lastPullAt != nil && device.lastPushAt != nil)
            let devices = try await console.get("/admin/devices")
            #expect(devices.body.contains("Last pull") && !devices.body.contains(">never<"))
        }
    }
}
