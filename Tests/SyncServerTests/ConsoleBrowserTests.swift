import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import SatchelTestSupport
import Testing

/// The admin console in a real headless Chromium (Debian's chromium + chromium-driver, over
/// WebDriver), against the built `satchel-server` and real `satchel` laptops.
///
/// Each page visited is saved for the docs and the HTML validator when asked:
/// `SATCHEL_CONSOLE_SCREENSHOTS=DIR` (PNGs, as in Docs/console/) and `SATCHEL_CONSOLE_HTML=DIR`
/// (the HTML exactly as the server sent it). Without a browser installed the suite is skipped,
/// unless `SATCHEL_REQUIRE_BROWSER=1` (CI) makes that a failure.
@Suite(.serialized, .enabled(if: Browser.isAvailable || Browser.isRequired))
struct ConsoleBrowserTests {
    static let password = "correct horse battery staple"

    /// An admin of the console, with their password set by the server's own command.
    func consoleAdmin(_ name: String, in office: Office) throws {
        try office.addUser(name, role: "admin")
        let set = try ServerProcess.run(["user", "password", name, "--data", office.data], input: Self.password + "\n")
        guard set.status == 0 else { throw CocoaError(.coderReadCorrupt, userInfo: [NSLocalizedDescriptionKey: set.error]) }
    }

    /// Opens a browser, runs `body`, and always quits it.
    func withBrowser(width: Int = 1280, height: Int = 800, _ body: (Browser) async throws -> Void) async throws {
        let browser = try await Browser.start(width: width, height: height)
        do {
            try await body(browser)
        } catch {
            browser.quit()
            throw error
        }
        browser.quit()
    }

    func signIn(_ browser: Browser, _ office: Office, as name: String, capture: Bool = false) async throws {
        try await browser.go(office.url("/admin"))
        try await browser.wait(for: "#sign-in")
        #expect(try await browser.currentURL().path == "/admin/login")
        if capture { try await save(browser, office, "login") }
        try await browser.type("#user", name)
        try await browser.type("#password", Self.password)
        try await browser.click("#sign-in")
        try await browser.wait(for: "header.top")
    }

    /// Saves the page for the docs (a screenshot) and the validator (its HTML as sent).
    func save(_ browser: Browser, _ office: Office, _ name: String) async throws {
        let environment = ProcessInfo.processInfo.environment
        if let folder = environment["SATCHEL_CONSOLE_SCREENSHOTS"] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try await browser.screenshot().write(to: URL(fileURLWithPath: folder + "/\(name).png"))
        }
        if let folder = environment["SATCHEL_CONSOLE_HTML"] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            var request = URLRequest(url: try await browser.currentURL())
            if let session = try await browser.cookie("satchel_session") {
                request.setValue("satchel_session=\(session)", forHTTPHeaderField: "Cookie")
            }
            let (data, _) = try await URLSession.shared.data(for: request)
            try data.write(to: URL(fileURLWithPath: folder + "/\(name).html"))
            let (css, _) = try await URLSession.shared.data(from: office.url("/admin/assets/console.css"))
            try css.write(to: URL(fileURLWithPath: folder + "/console.css"))
        }
    }

    // MARK: - Acceptance

    @Test func anAdminSignsInAndResolvesAConflictMadeByTwoLaptops() async throws {
        let office = try Office()
        try consoleAdmin("ada", in: office)
        let root = try office.laptop("root", role: "admin")
        let acme = try #require(
            try root.ok(["account", "add", "--name", "Acme Ltd", "--city", "Lille", "--set", "territory=north", "--set", "credit_rating=A", "--json"])
                .object()["id"] as? String)
        try root.ok(["sync"])
        let alice = try office.laptop("alice", role: "rep", territory: "north")
        let bob = try office.laptop("bob", role: "rep", territory: "north")
        // Both change the credit rating before either hears of the other's change.
        try alice.ok(["account", "edit", acme, "--set", "credit_rating=AA"])
        try bob.ok(["account", "edit", acme, "--set", "credit_rating=B"])
        try alice.ok(["sync"])
        #expect(try bob.ok(["sync", "--json"]).object()["queued"] as? Int == 1)

        try await withBrowser { browser in
            try await signIn(browser, office, as: "ada", capture: true)
            #expect(try await browser.text("h1") == "Dashboard")
            #expect(try await browser.pageText().contains("Open conflicts: 1"))
            try await save(browser, office, "dashboard")

            try await browser.click("nav a[href='/admin/conflicts']")
            try await browser.wait(for: "table caption")
            #expect(try await browser.pageText().contains("Acme Ltd"))
            try await save(browser, office, "conflicts")
            try await browser.select("#territory", value: "north")
            try await browser.click(".filters button")
            try await browser.wait(untilURLContains: "territory=north")
            #expect(try await browser.pageText().contains("Acme Ltd"))

            try await browser.click("table a[href^='/admin/conflicts/']")
            try await browser.wait(for: "form.resolve")
            let page = try await browser.pageText()
            #expect(page.contains("alice") && page.contains("bob") && page.contains("AA") && page.contains("credit_rating"))
            try await save(browser, office, "conflict")

            // The admin enters a value neither laptop had.
            try await browser.click("#enter-value")
            try await browser.type("#value", "BBB")
            try await browser.click("#resolve")
            try await browser.wait(for: ".flash")
            #expect(try await browser.text(".flash").contains("Resolved"))
            #expect(try await browser.pageText().contains("entered BBB"))
            try await browser.click(".facts a")
            try await browser.wait(for: ".timeline")
            #expect(try await browser.pageText().contains("resolved credit_rating to BBB"))
            try await save(browser, office, "record")
            // The account goes to Bob.
            try await browser.select("#to", value: "bob")
            try await browser.click("#transfer")
            try await browser.wait(for: ".flash")
            #expect(try await browser.text(".flash").contains("Transferred"))
            #expect(try await browser.pageText().contains("transferred by ada"))
        }
        for laptop in [alice, bob] {
            try laptop.ok(["sync"])
            #expect(try laptop.ok(["account", "show", acme, "--json"]).object()["credit_rating"] as? String == "BBB")
        }
        #expect(try bob.ok(["account", "show", acme, "--json"]).object()["owner"] as? String == "bob")
        let audit = try ServerProcess.run(["audit", "--data", office.data])
        #expect(audit.output.contains("console.sign-in") && audit.output.contains("conflict.resolve"), "\(audit.output)")
        #expect(audit.output.contains("account.transfer"))
    }

    @Test func anAdminMergesADuplicatePairPickingFieldsFromEither() async throws {
        let office = try Office()
        try consoleAdmin("ada", in: office)
        let alice = try office.laptop("alice", role: "rep", territory: "north")
        let bob = try office.laptop("bob", role: "rep", territory: "north")
        let dupont = try #require(
            try alice.ok(["account", "add", "--name", "Dupont SA", "--city", "Lille", "--tax-id", "FR 40 123 456 789", "--json"])
                .object()["id"] as? String)
        let twin = try #require(
            try bob.ok(["account", "add", "--name", "Dupont S.A.", "--city", "Lille", "--tax-id", "FR40123456789", "--phone", "0320112233", "--json"])
                .object()["id"] as? String)
        try alice.ok(["visit", "log", "--account", dupont, "--purpose", "first call", "--outcome", "demo"])
        try bob.ok(["visit", "log", "--account", twin, "--purpose", "demo", "--outcome", "fleet"])
        try alice.ok(["sync"])
        try bob.ok(["sync"])

        try await withBrowser { browser in
            try await signIn(browser, office, as: "ada")
            try await browser.click("nav a[href='/admin/duplicates']")
            try await browser.wait(for: "table")
            #expect(try await browser.pageText().contains("Dupont"))
            try await save(browser, office, "duplicates")
            try await browser.click("table a[href^='/admin/duplicates/']")
            try await browser.wait(for: "#merge")
            let page = try await browser.pageText()
            // What moves is shown before it happens: one visit under each.
            #expect(page.contains("under it 1 visit"), "\(page)")
            #expect(page.contains("same tax id"))
            try await save(browser, office, "duplicate")
            // Keep Alice's record, take Bob's phone.
            try await browser.click("#keep-\(dupont)")
            try await browser.click("#phone-right")
            try await browser.click("#merge")
            try await browser.wait(for: ".flash")
            #expect(try await browser.text(".flash").contains("Merged"))
        }
        try alice.ok(["sync"])
        #expect(try alice.ok(["visit", "list", "--account", dupont, "--json"]).array().count == 2)
        #expect(try alice.ok(["account", "show", dupont, "--json"]).object()["phone"] as? String == "0320112233")
        try bob.ok(["sync"])
        #expect(try bob.ok(["account", "list", "--json"]).array().count == 1)
    }

    @Test func anAdminRevokesADeviceAndAddsAUser() async throws {
        let office = try Office()
        try consoleAdmin("ada", in: office)
        let alice = try office.laptop("alice", role: "rep", territory: "north")
        try alice.ok(["account", "add", "--name", "Shelf Co"])
        try alice.ok(["sync"])

        var token = ""
        try await withBrowser { browser in
            try await signIn(browser, office, as: "ada")
            try await browser.click("nav a[href='/admin/devices']")
            try await browser.wait(for: "table")
            #expect(try await browser.pageText().contains("alice-laptop"))
            try await save(browser, office, "devices")
            try await browser.click("button[aria-label='Revoke alice-laptop of alice']")
            try await browser.wait(for: ".flash")
            #expect(try await browser.text(".flash").contains("Revoked"))
            #expect(try await browser.pageText().contains("revoked"))

            // A new user, the token shown once on the page.
            try await browser.click("nav a[href='/admin/users']")
            try await browser.wait(for: "#add-user")
            try await browser.type("#new-name", "carol")
            try await browser.select("#new-role", value: "rep")
            try await browser.type("#new-territories", "south")
            try await browser.click("#add-user")
            try await browser.wait(for: ".token")
            token = try await browser.text(".token code").components(separatedBy: "--token ").last ?? ""
            try await save(browser, office, "users")

            // A field of the company's own, declared from the console.
            try await browser.click("nav a[href='/admin/fields']")
            try await browser.wait(for: "#add-field")
            try await browser.select("#field-entity", value: "account")
            try await browser.type("#field-name", "segment")
            try await browser.select("#field-kind", value: "choice")
            try await browser.type("#field-choices", "smb, enterprise")
            try await browser.type("#field-label", "market segment")
            try await browser.select("#field-rule", value: "review")
            try await browser.click("#add-field")
            try await browser.wait(for: ".flash")
            #expect(try await browser.text(".flash").contains("Laptops learn the field at their next sync"))
            #expect(try await browser.pageText().contains("choice: smb, enterprise"))
            try await save(browser, office, "fields")
            try await browser.click("nav a[href='/admin/audit']")
            try await browser.wait(for: "table")
            #expect(try await browser.pageText().contains("device.revoke"))
            try await save(browser, office, "audit")
        }
        let refused = try alice.run(["sync"])
        #expect(refused.status != 0)
        #expect(refused.error.contains("revoked by ada"), "\(refused.error)")
        // The token the page showed enrolls a laptop.
        let carol = CLI(home: office.root + "/carol")
        try carol.ok(["login", "--server", office.server.url.absoluteString, "--token", token, "--device", "carol-laptop"])
        // And the laptop knows the field the console added.
        #expect(try carol.ok(["schema", "account"]).output.contains("account.segment *"))
    }

    @Test func aRepIsRefusedAndAForgedPostChangesNothing() async throws {
        let office = try Office()
        try consoleAdmin("ada", in: office)
        let alice = try office.laptop("alice", role: "rep", territory: "north")
        let bob = try office.laptop("bob", role: "rep", territory: "north")
        let shop = try #require(try alice.ok(["account", "add", "--name", "Corner Shop", "--json"]).object()["id"] as? String)
        try alice.ok(["sync"])
        try bob.ok(["sync"])
        try alice.ok(["account", "edit", shop, "--set", "value_tier=key"])
        try bob.ok(["account", "edit", shop, "--set", "value_tier=maintenance"])
        try alice.ok(["sync"])
        try bob.ok(["sync"])

        // A rep gets no console password, and their sign-in is refused like any wrong one.
        let refusedPassword = try ServerProcess.run(["user", "password", "alice", "--data", office.data], input: Self.password + "\n")
        #expect(refusedPassword.status != 0 && refusedPassword.error.contains("alice is a rep"))
        try await withBrowser { browser in
            try await browser.go(office.url("/admin/login"))
            try await browser.wait(for: "#sign-in")
            try await browser.type("#user", "alice")
            try await browser.type("#password", Self.password)
            try await browser.click("#sign-in")
            try await browser.wait(for: "#login-error")
            #expect(try await browser.currentURL().path == "/admin/login")
            #expect(try await browser.cookie("satchel_session") == nil)
            try await save(browser, office, "login-refused")

            // Signed in as the admin, a form whose token was tampered with changes nothing.
            try await signIn(browser, office, as: "ada")
            try await browser.go(office.url("/admin/conflicts"))
            try await browser.click("table a[href^='/admin/conflicts/']")
            try await browser.wait(for: "form.resolve")
            let conflictURL = try await browser.currentURL()
            try await browser.execute(
                "document.querySelector('form.resolve input[name=csrf]').value = 'forged'; document.querySelector('form.resolve').submit();")
            try await browser.wait(for: "p.error")
            #expect(try await browser.text("h1") == "Not allowed")
            #expect(try await browser.pageText().contains("nothing was changed"))
            try await browser.go(conflictURL)
            try await browser.wait(for: "form.resolve")
            let facts = try await browser.text(".facts")
            #expect(facts.contains("open") && !facts.contains("Resolution"), "\(facts)")
        }
        let open = try ServerProcess.run(["audit", "--data", office.data]).output
        #expect(!open.contains("conflict.resolve"))
    }

    @Test func theKeyboardAloneSignsInAndAPhoneWidthReadsWithoutSidewaysScrolling() async throws {
        let office = try Office()
        try consoleAdmin("ada", in: office)
        try await withBrowser(width: 390, height: 844) { browser in
            try await browser.go(office.url("/admin/login"))
            try await browser.wait(for: "#sign-in")
            // Tab from the top: the skip link, then the user name, then the password.
            try await browser.press(Browser.tab)
            try await browser.press(Browser.tab)
            #expect(try await browser.focusedID() == "user")
            try await browser.press("ada" + Browser.tab)
            #expect(try await browser.focusedID() == "password")
            try await browser.press(Self.password + Browser.enter)
            try await browser.wait(for: "header.top")
            #expect(try await browser.text("h1") == "Dashboard")
            let fits = try await browser.execute("return document.documentElement.scrollWidth <= window.innerWidth;") as? Bool
            #expect(fits == true)
            try await save(browser, office, "dashboard-phone")

            // Signing out ends the session on the server: its cookie opens nothing afterwards.
            let session = try #require(try await browser.cookie("satchel_session"))
            try await browser.click(".signout button")
            try await browser.wait(for: "#sign-in")
            #expect(try await browser.pageText().contains("You are signed out."))
            var request = URLRequest(url: office.url("/admin/devices"))
            request.setValue("satchel_session=\(session)", forHTTPHeaderField: "Cookie")
            let (_, response) = try await URLSession.shared.data(for: request)
            #expect(response.url?.path == "/admin/login")
        }
    }
}
