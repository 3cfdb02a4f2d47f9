import Foundation
import SatchelTestSupport
import Testing

/// The built `satchel` binary against the built `satchel-server`, over loopback.
struct CLITests {
    // MARK: - The admin's workflows

    @Test func duplicatesMergeTransferAndHistoryFromTheCommandLine() throws {
        let office = try Office()
        let root = try office.laptop("root", role: "admin")
        let acme = try #require(
            try root.ok(["account", "add", "--name", "Acme Ltd", "--set", "territory=north", "--set", "owner=alice", "--json"])
                .object()["id"] as? String)
        try root.ok(["sync"])
        let alice = try office.laptop("alice", role: "rep", territory: "north")
        let bob = try office.laptop("bob", role: "rep", territory: "north")
        let carol = try office.laptop("carol", role: "rep", territory: "south")

        // The same customer, twice, with a visit each.
        let dupont = try #require(
            try alice.ok(["account", "add", "--name", "Dupont SA", "--city", "Lille", "--tax-id", "FR 40 123 456 789", "--json"])
                .object()["id"] as? String)
        let twin = try #require(
            try bob.ok(["account", "add", "--name", "Dupont S.A.", "--city", "Lille", "--tax-id", "FR40123456789", "--phone", "0320112233", "--json"])
                .object()["id"] as? String)
        try alice.ok(["visit", "log", "--account", dupont, "--purpose", "first call", "--outcome", "demo"])
        try bob.ok(["visit", "log", "--account", twin, "--purpose", "demo", "--outcome", "fleet"])
        for laptop in [alice, bob, root] { try laptop.ok(["sync"]) }
        let candidates = try root.ok(["admin", "duplicates", "list", "--json"]).array()
        #expect(candidates.count == 1)
        let id = try #require((candidates.first?["conflict"] as? [String: Any])?["id"] as? String)
        let shown = try root.ok(["admin", "duplicates", "show", id]).output
        #expect(shown.contains("same tax id") && shown.contains("under \(dupont.prefix(8)): 1 visit"))
        let merged = try root.ok(["admin", "duplicates", "merge", String(dupont.prefix(8)), String(twin.prefix(8)), "--take", "phone"])
        #expect(merged.output.contains("moved over: 1 visit"))
        try alice.ok(["sync"])
        #expect(try alice.ok(["visit", "list", "--account", dupont, "--json"]).array().count == 2)
        #expect(try alice.ok(["account", "show", dupont, "--json"]).object()["phone"] as? String == "0320112233")
        let settled = try root.ok(["admin", "conflicts", "list", "--all", "--rule", "natural-key", "--json"]).array()
        #expect(settled.first?["resolution"] as? String == "merged")
        try bob.ok(["sync"])
        #expect(try bob.ok(["status"]).output.contains("merged into the account it duplicated"))
        let followed = try bob.ok(["account", "show", String(twin.prefix(8)), "--json"])
        #expect(try followed.object()["id"] as? String == dupont)
        #expect(followed.error.contains("was merged into \(dupont.prefix(8))"))

        // Bob edits Acme offline; an admin gives Acme to Carol; Bob's sync pushes, then lets go.
        try bob.ok(["account", "edit", acme, "--set", "phone=0320999999"])
        #expect(try root.ok(["account", "transfer", String(acme.prefix(8)), "--to", "carol"]).output.contains("to carol (territory south)"))
        #expect(try bob.ok(["sync"]).output.contains("1 queued"))
        #expect(try bob.ok(["status"]).output.contains("Account Acme Ltd (\(acme.prefix(8))) moved to carol by root; removed from this laptop."))
        #expect(try bob.run(["account", "show", acme]).status != 0)
        try carol.ok(["sync"])
        let history = try carol.ok(["account", "history", String(acme.prefix(8)), "--json"]).object()
        let kinds = (history["everyone"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
        #expect(kinds == ["change", "transfer", "change"])
        #expect(try carol.ok(["account", "history", String(acme.prefix(8))]).output.contains("moved from alice (north) to carol (south)"))
        // A rep may not transfer, and the queue's filters are checked.
        #expect(try alice.run(["account", "transfer", dupont, "--to", "bob"]).error.contains("403 forbidden"))
        #expect(try root.run(["admin", "conflicts", "list", "--older-than", "soon"]).error.contains("olderThan is a duration"))
    }

    // MARK: - A day in the field

    @Test func twoRepsDayWithAConflictTheAdminResolves() throws {
        let office = try Office()
        let admin = try office.laptop("root", role: "admin")
        let added = try admin.ok(
            ["account", "add", "--name", "Acme Ltd", "--city", "Lille", "--tier", "key", "--set", "territory=north",
             "--set", "credit_rating=A", "--json"])
        let acme = try #require(try added.object()["id"] as? String)
        try admin.ok(["sync"])
        let alice = try office.laptop("alice", role: "rep", territory: "north")
        let bob = try office.laptop("bob", role: "rep", territory: "north")
        #expect(try alice.ok(["account", "list", "--json"]).array().count == 1)

        // The day, with no server anywhere: both visit Acme and both change its credit rating.
        try office.goOffline {
            try alice.ok(["visit", "log", "--account", String(acme.prefix(8)), "--purpose", "renewal", "--outcome", "wants a quote", "--duration", "45"])
            try alice.ok(["account", "edit", acme, "--set", "credit_rating=AA"])
            try bob.ok(["visit", "log", "--account", acme, "--purpose", "service check", "--outcome", "ok", "--at", "2026-11-22T08:30"])
            try bob.ok(["account", "edit", acme, "--set", "credit_rating=B", "--set", "phone=+33 3 20 00 00 00"])
            let status = try bob.ok(["status", "--json"]).object()
            #expect(status["pending"] as? Int == 5)
            let sync = try bob.run(["sync"])
            #expect(sync.status != 0, "no server: sync fails, clearly")
            #expect(sync.error.hasPrefix("satchel: cannot reach"))
            #expect(sync.error.contains("nothing answers at that address (connection refused)"), "\(sync.error)")
            #expect(sync.error.split(separator: "\n").count == 1)
        }

        let first = try alice.ok(["sync", "--json"]).object()
        #expect(first["pushed"] as? Int == 4 && first["applied"] as? Int == 4)
        let second = try bob.ok(["sync", "--json"]).object()
        // Bob's visit time is earlier than Alice's: the contact times merge by max and min.
        #expect(second["pushed"] as? Int == 5 && second["queued"] as? Int == 1 && second["rejected"] as? Int == 0)
        let bobStatus = try bob.ok(["status", "--json"]).object()
        let queued = try #require((bobStatus["changes"] as? [[String: Any]])?.first)
        #expect(queued["outcome"] as? String == "queued")

        // The admin reads the queue and keeps Bob's rating.
        let conflicts = try admin.ok(["admin", "conflicts", "list", "--json"]).array()
        #expect(conflicts.count == 1)
        let id = try #require((conflicts.first?["conflict"] as? [String: Any])?["id"] as? String)
        let shown = try admin.ok(["admin", "conflicts", "show", id])
        #expect(shown.output.contains("both changed the credit rating of Acme Ltd"))
        #expect(shown.output.contains("alice") && shown.output.contains("bob"))
        // A prefix of the id is enough, as for records.
        try admin.ok(["admin", "conflicts", "resolve", String(id.prefix(8)), "--keep", "incoming"])
        #expect(try admin.ok(["admin", "conflicts", "list", "--json"]).array().isEmpty)

        for laptop in [alice, bob, admin] { try laptop.ok(["sync"]) }
        let aliceAcme = try alice.ok(["account", "show", acme, "--json"]).object()
        let bobAcme = try bob.ok(["account", "show", acme, "--json"]).object()
        #expect(NSDictionary(dictionary: aliceAcme) == NSDictionary(dictionary: bobAcme))
        #expect(aliceAcme["credit_rating"] as? String == "B")
        #expect(aliceAcme["phone"] as? String == "+33 3 20 00 00 00")
        let aliceVisits = try alice.ok(["visit", "list", "--account", acme, "--json"]).array()
        let bobVisits = try bob.ok(["visit", "list", "--account", acme, "--json"]).array()
        #expect(aliceVisits.count == 2)
        #expect(NSArray(array: aliceVisits) == NSArray(array: bobVisits))

        // Alice learns her rating was overridden.
        let aliceStatus = try alice.ok(["status", "--json"]).object()
        let changes = try #require(aliceStatus["changes"] as? [[String: Any]])
        #expect(changes.contains { $0["outcome"] as? String == "overridden" && $0["field"] as? String == "credit_rating" })
        let again = try alice.ok(["status", "--json"]).object()
        #expect((again["changes"] as? [Any])?.isEmpty == true, "seen once, then quiet")

        // Bob learns the admin kept his value.
        let bobLater = try #require(try bob.ok(["status", "--json"]).object()["changes"] as? [[String: Any]])
        #expect(bobLater.contains { $0["outcome"] as? String == "accepted" && $0["field"] as? String == "credit_rating" })

        let history = try alice.ok(["account", "history", acme]).output
        #expect(history.contains("credit_rating") && history.contains("root"))
    }

    // MARK: - Every command

    @Test func everyRecordCommandWorksOfflineAndSyncs() throws {
        let office = try Office()
        let alice = try office.laptop("alice", role: "rep", territory: "north")
        let account = try #require(try alice.ok(["account", "add", "--name", "Bolt SA", "--phone", "+33 1 00", "--email", "x@bolt.example",
            "--city", "Paris", "--industry", "tools", "--tier", "development", "--json"]).object()["id"] as? String)
        #expect(try alice.ok(["account", "list", "--search", "bolt", "--json"]).array().count == 1)
        #expect(try alice.ok(["account", "list", "--search", "nothing", "--json"]).array().isEmpty)
        try alice.ok(["account", "add", "--name", "Carrières Dupont", "--city", "Lens"])
        #expect(try alice.ok(["account", "list", "--search", "CARRIERES", "--json"]).array().count == 1, "case and accents fold")
        #expect(try alice.ok(["account", "list", "--search", "dupont 3", "--json"]).array().isEmpty, "words do not match phone digits")
        let contact = try #require(try alice.ok(["contact", "add", "--account", account, "--name", "Jo", "--title", "Buyer",
            "--decision-maker", "--json"]).object()["id"] as? String)
        #expect(try alice.ok(["contact", "list", "--account", account, "--json"]).array().count == 1)
        try alice.ok(["visit", "log", "--account", account, "--purpose", "intro", "--outcome", "good", "--contact", contact,
            "--location", "48.85,2.35", "--next-step", "send quote", "--next-visit", "2026-12-01", "--met-decision-maker"])
        #expect(try alice.ok(["visit", "list", "--since", "2020-01-01", "--json"]).array().count == 1)
        let opp = try #require(try alice.ok(["opp", "add", "--account", account, "--name", "Tools", "--amount", "1200.50",
            "--stage", "negotiation", "--json"]).object()["id"] as? String)
        try alice.ok(["opp", "edit", opp, "--set", "probability=60"])
        let quote = try #require(try alice.ok(["quote", "add", "--opp", opp, "--json"]).object()["id"] as? String)
        try alice.ok(["quote", "line", quote, "--product", "Drill", "--quantity", "3", "--price", "400.00 EUR"])
        try alice.ok(["quote", "status", quote, "issued"])
        let lineAfterIssue = try alice.run(["quote", "line", quote, "--product", "Saw", "--quantity", "1", "--price", "10.00 EUR"])
        #expect(lineAfterIssue.status != 0 && lineAfterIssue.error.contains("lines are final"))
        let order = try #require(try alice.ok(["order", "add", "--account", account, "--quote", quote, "--total", "1200.00 EUR",
            "--json"]).object()["id"] as? String)
        try alice.ok(["order", "line", order, "--product", "Drill", "--quantity", "3", "--price", "400.00 EUR"])
        try alice.ok(["order", "submit", order])
        let approve = try alice.run(["order", "edit", order, "--set", "status=approved"])
        #expect(approve.status != 0 && approve.error.contains("only the server or an admin"))
        let ticket = try #require(try alice.ok(["ticket", "add", "--account", account, "--type", "repair", "--subject", "Broken drill",
            "--json"]).object()["id"] as? String)
        try alice.ok(["ticket", "status", ticket, "resolved", "--resolution", "replaced"])
        let task = try #require(try alice.ok(["task", "add", "--account", account, "--subject", "Call back", "--due", "2026-12-02",
            "--json"]).object()["id"] as? String)
        try alice.ok(["task", "done", task])
        try alice.ok(["opp", "stage", opp, "closed_won", "--reason", "signed"])
        #expect(try alice.ok(["opp", "show", opp, "--json"]).object()["stage"] as? String == "closed_won")
        #expect(try alice.ok(["opp", "list", "--state", "closed_won", "--json"]).array().count == 1)
        for command in [["quote", "list"], ["order", "list"], ["ticket", "list"], ["task", "list"]] {
            #expect(try alice.ok(command + ["--json"]).array().count == 1, "\(command)")
        }

        let summary = try alice.ok(["sync", "--json"]).object()
        #expect(summary["rejected"] as? Int == 0)
        #expect(summary["pushed"] as? Int == summary["applied"] as? Int)
        #expect(try alice.ok(["account", "list", "--limit", "1", "--json"]).array().count == 1)
        #expect(try alice.ok(["status", "--json"]).object()["pending"] as? Int == 0)
    }

    @Test func badInputGetsOneLineAndChangesNothing() throws {
        let office = try Office()
        let alice = try office.laptop("alice", role: "rep", territory: "north")
        let account = try #require(try alice.ok(["account", "add", "--name", "Acme", "--json"]).object()["id"] as? String)
        let opp = try #require(try alice.ok(["opp", "add", "--account", account, "--name", "Deal", "--amount", "10", "--json"]).object()["id"] as? String)
        let before = try alice.ok(["status", "--json"]).object()["pending"] as? Int

        let cases: [([String], String)] = [
            (["account", "edit", account, "--set", "colour=red"], "account has no field 'colour'"),
            (["account", "edit", account, "--set", "value_tier=gold"], "must be one of"),
            (["account", "edit", "nope", "--set", "phone=1"], "there is no account with id nope"),
            (["visit", "log", "--account", account, "--purpose", "x", "--outcome", "y", "--at", "yesterday-ish"], "is not a time"),
            (["visit", "list", "--since", "31/12/2025"], "is not a date"),
            (["opp", "stage", opp, "closed_won"], "closing an opportunity needs --reason"),
            (["opp", "list", "--state", "flying"], "--state must be one of"),
            (["task", "list", "--limit=-2"], "--limit must be 1 or more"),
            (["opp", "stage", opp, "flying"], "must be one of"),
            (["account", "edit", account, "--set", "credit_status=hold"], "set by the company"),
            (["account", "list", "--limit", "0"], "--limit must be 1 or more"),
            (["account", "add"], "adding an account needs --name"),
        ]
        for (arguments, message) in cases {
            let result = try alice.run(arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.error.contains(message), "\(arguments): \(result.error)")
            #expect(result.error.split(separator: "\n").count == 1, "one line: \(result.error)")
            #expect(result.output.isEmpty)
        }
        #expect(try alice.ok(["status", "--json"]).object()["pending"] as? Int == before)

        // A replica file that is not a database gets a clear error, not a crash.
        try Data(repeating: 0x42, count: 4096).write(to: URL(fileURLWithPath: alice.home + "/replica.sqlite"))
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: alice.home + "/replica.sqlite" + suffix) }
        let corrupt = try alice.run(["account", "list"])
        #expect(corrupt.status != 0)
        #expect(corrupt.error.contains("is not a usable Satchel replica"))
        let nobody = try CLI(home: office.root + "/nobody").run(["account", "list"])
        #expect(nobody.error.contains("run 'satchel login"))
    }

    @Test func adminAddsAUserFromTheCommandLine() throws {
        let office = try Office()
        let admin = try office.laptop("root", role: "admin")
        let added = try admin.ok(["admin", "user", "add", "carol", "--role", "rep", "--territory", "south", "--json"]).object()
        #expect((added["enrollmentToken"] as? String)?.hasPrefix("sat_enroll_") == true)
        let carol = CLI(home: office.root + "/carol")
        try carol.ok(["login", "--server", office.server.url.absoluteString, "--token", added["enrollmentToken"] as! String])
        #expect(try admin.ok(["admin", "user", "list", "--json"]).array().count == 2)
        let rep = try carol.run(["admin", "conflicts", "list"])
        #expect(rep.status != 0 && rep.error.contains("forbidden"))
    }

    @Test func completionsAndHelpComeFromTheParser() throws {
        let cli = CLI(home: "/nonexistent")
        let bash = try cli.ok(["--generate-completion-script", "bash"])
        #expect(bash.output.contains("satchel") && bash.output.contains("account"))
        let help = try cli.ok(["visit", "log", "--help"])
        #expect(help.output.contains("--next-visit"))
    }
}
