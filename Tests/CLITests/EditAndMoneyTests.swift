import Foundation
import SatchelTestSupport
import Testing

/// One way to edit: every typed option of `add` works on `edit`, for every record type; and
/// money as people type it, on `edit --set` and on an admin's `--value`.
struct EditAndMoneyTests {

    /// A money value from a JSON record, as "1500050 EUR".
    static func money(_ value: Any?) -> String? {
        guard let object = value as? [String: Any], let minor = object["minor"] as? Int, let currency = object["currency"] as? String
        else { return nil }
        return "\(minor) \(currency)"
    }

    @Test func everyTypedOptionOfAddWorksOnEdit() throws {
        let office = try Office()
        let alice = try office.laptop("alice", role: "rep", territory: "north")
        func id(_ arguments: [String]) throws -> String {
            try #require(try alice.ok(arguments + ["--json"]).object()["id"] as? String)
        }
        func edited(_ arguments: [String]) throws -> [String: Any] { try alice.ok(arguments + ["--json"]).object() }

        let account = try id(["account", "add", "--name", "Bolt SA"])
        let other = try id(["account", "add", "--name", "Rivet SARL"])
        let shown = try edited([
            "account", "edit", account, "--name", "Bolt SAS", "--phone", "+33 1 40 00 00 00", "--email", "info@bolt.example",
            "--address", "1 rue de la Paix", "--city", "Paris", "--industry", "tools", "--tier", "key", "--type", "business",
            "--tax-id", "FR 12 345", "--set", "visit_interval_days=21",
        ])
        let expected: [String: Any] = [
            "name": "Bolt SAS", "phone": "+33 1 40 00 00 00", "email": "info@bolt.example", "address": "1 rue de la Paix",
            "city": "Paris", "industry": "tools", "value_tier": "key", "type": "business", "tax_id": "FR 12 345",
            "visit_interval_days": 21,
        ]
        #expect(NSDictionary(dictionary: shown.filter { expected[$0.key] != nil }) == NSDictionary(dictionary: expected))

        let contact = try id(["contact", "add", "--account", account, "--name", "Jo", "--decision-maker"])
        let person = try edited([
            "contact", "edit", contact, "--account", String(other.prefix(8)), "--name", "Jo Martin", "--title", "Buyer",
            "--phone", "0600000000", "--email", "jo@rivet.example", "--no-decision-maker",
        ])
        #expect(person["account_id"] as? String == other && person["name"] as? String == "Jo Martin")
        #expect(person["title"] as? String == "Buyer" && person["phone"] as? String == "0600000000")
        #expect(person["email"] as? String == "jo@rivet.example" && person["decision_maker"] as? Bool == false)

        let opp = try id(["opp", "add", "--account", account, "--name", "Drills", "--amount", "1200"])
        let deal = try edited([
            "opp", "edit", opp, "--account", other, "--name", "Drills and saws", "--amount", "1,500.50", "--stage", "negotiation",
            "--probability", "60", "--close", "2027-03-31",
        ])
        #expect(deal["account_id"] as? String == other && deal["name"] as? String == "Drills and saws")
        #expect(Self.money(deal["amount"]) == "150050 EUR")
        #expect(deal["stage"] as? String == "negotiation" && deal["probability"] as? Int == 60)
        #expect(deal["expected_close"] as? String == "2027-03-31")
        let dollars = try edited(["opp", "edit", opp, "--amount", "2000", "--currency", "usd"])
        #expect(Self.money(dollars["amount"]) == "200000 USD")

        let quote = try id(["quote", "add", "--opp", opp, "--valid-until", "2027-01-31"])
        #expect(try edited(["quote", "edit", quote, "--valid-until", "2027-02-28"])["valid_until"] as? String == "2027-02-28")

        let order = try id(["order", "add", "--account", account, "--total", "900"])
        let placed = try edited([
            "order", "edit", order, "--account", other, "--quote", quote, "--total", "€ 1.250,00", "--delivery", "2027-02-01",
        ])
        #expect(placed["account_id"] as? String == other && placed["quote_id"] as? String == quote)
        #expect(placed["opportunity_id"] as? String == opp && placed["requested_delivery"] as? String == "2027-02-01")
        #expect(Self.money(placed["total"]) == "125000 EUR")

        let ticket = try id(["ticket", "add", "--account", account, "--type", "repair", "--subject", "Broken drill"])
        let raised = try edited([
            "ticket", "edit", ticket, "--account", other, "--type", "complaint", "--level", "priority", "--subject", "Late drill",
            "--description", "Three weeks late", "--contact", contact,
        ])
        #expect(raised["account_id"] as? String == other && raised["type"] as? String == "complaint")
        #expect(raised["level"] as? String == "priority" && raised["subject"] as? String == "Late drill")
        #expect(raised["description"] as? String == "Three weeks late" && raised["contact_id"] as? String == contact)

        let task = try id(["task", "add", "--account", account, "--subject", "Call back"])
        let todo = try edited(["task", "edit", task, "--account", other, "--subject", "Call Jo", "--due", "2027-01-05", "--priority", "high"])
        #expect(todo["account_id"] as? String == other && todo["subject"] as? String == "Call Jo")
        #expect(todo["due"] as? String == "2027-01-05" && todo["priority"] as? String == "high")

        // Contacts and opportunities list, show and filter like every other record.
        #expect(try alice.ok(["contact", "list", "--json"]).array().count == 1)
        #expect(try alice.ok(["contact", "list", "--account", account, "--json"]).array().isEmpty)
        #expect(try alice.ok(["opp", "list", "--state", "negotiation", "--json"]).array().count == 1)
        #expect(try alice.ok(["task", "list", "--state", "open", "--account", other, "--json"]).array().count == 1)
        #expect(try alice.ok(["contact", "show", String(contact.prefix(8))]).output.contains("Jo Martin"))

        // Everything above synced as ordinary changes.
        let summary = try alice.ok(["sync", "--json"]).object()
        #expect(summary["rejected"] as? Int == 0 && summary["pushed"] as? Int == summary["applied"] as? Int)

        // Bad combinations get one line and change nothing.
        let pending = try alice.ok(["status", "--json"]).object()["pending"] as? Int
        let cases: [([String], String)] = [
            (["account", "edit", account, "--phone", "1", "--set", "phone=2"], "phone is given by an option and by --set"),
            (["account", "edit", account, "--set", "phone=1", "--set", "phone=2"], "phone is set twice"),
            (["account", "edit", account], "nothing to change"),
            (["opp", "edit", opp, "--currency", "USD"], "give --amount too"),
            (["opp", "edit", opp, "--amount", "EUR 10", "--currency", "USD"], "is not in --currency USD"),
            (["opp", "edit", opp, "--amount", "10", "--currency", "EUX"], "--currency 'EUX' is not a currency code"),
            (["task", "edit", task, "--priority", "urgent"], "must be one of"),
            (["contact", "edit", contact, "--account", "nope"], "there is no account with id nope"),
            (["contact", "list", "--state", "open"], "contact records have no state"),
            (["task", "add", "--subject", "x"], "adding a task needs --account"),
            (["ticket", "add", "--account", account], "adding a ticket needs --type and --subject"),
        ]
        for (arguments, message) in cases {
            let result = try alice.run(arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.error.contains(message), "\(arguments): \(result.error)")
            #expect(result.error.split(separator: "\n").count == 1, "one line: \(result.error)")
        }
        #expect(try alice.ok(["status", "--json"]).object()["pending"] as? Int == pending)
    }

    @Test func moneyIsReadAsPeopleTypeIt() throws {
        let office = try Office()
        let root = try office.laptop("root", role: "admin")
        let account = try #require(
            try root.ok(["account", "add", "--name", "Acme", "--set", "territory=north", "--json"]).object()["id"] as? String)
        try root.ok(["sync"])
        let alice = try office.laptop("alice", role: "rep", territory: "north")
        let bob = try office.laptop("bob", role: "rep", territory: "north")

        func amount(_ cli: CLI, _ id: String) throws -> String? {
            Self.money(try cli.ok(["opp", "show", id, "--json"]).object()["amount"])
        }
        // A bare amount on a new opportunity is in the company's currency, or in --currency.
        let opp = try #require(
            try alice.ok(["opp", "add", "--account", account, "--name", "Fleet", "--amount", "12000", "--json"]).object()["id"] as? String)
        #expect(try amount(alice, opp) == "1200000 EUR")
        let usd = try #require(
            try alice.ok(["opp", "add", "--account", account, "--name", "Export", "--amount", "500", "--currency", "USD", "--json"])
                .object()["id"] as? String)

        // Every format, on --set and on the typed option; a bare amount keeps the record's currency.
        let formats: [(String, Int64, String)] = [
            ("15000", 1_500_000, "EUR"), ("15,000", 1_500_000, "EUR"), ("15000.50", 1_500_050, "EUR"),
            ("EUR 15000", 1_500_000, "EUR"), ("15000 EUR", 1_500_000, "EUR"), ("€15000", 1_500_000, "EUR"),
            ("1.234,56", 123_456, "EUR"), ("15 000", 1_500_000, "EUR"), ("£99.99", 9_999, "GBP"), ("CNY 8000", 800_000, "CNY"),
        ]
        for (text, minor, currency) in formats {
            try alice.ok(["opp", "edit", opp, "--set", "amount=\(text)"])
            #expect(try amount(alice, opp) == "\(minor) \(currency)", "\(text)")
            try alice.ok(["opp", "edit", opp, "--set", "amount=1 EUR"])
            try alice.ok(["opp", "edit", opp, "--amount", text])
            #expect(try amount(alice, opp) == "\(minor) \(currency)", "--amount \(text)")
        }
        try alice.ok(["opp", "edit", usd, "--set", "amount=15,000"])
        #expect(try amount(alice, usd) == "1500000 USD", "a bare amount keeps USD")
        try alice.ok(["opp", "edit", usd, "--amount", "$16000"])
        #expect(try amount(alice, usd) == "1600000 USD", "the record's currency settles '$'")

        // Ambiguous or unknown currencies and amounts: one line, nothing written.
        try alice.ok(["opp", "edit", opp, "--set", "amount=15000 EUR"])
        let pending = try alice.ok(["status", "--json"]).object()["pending"] as? Int
        for (text, message) in [
            ("$15000", "'$' could be USD, CAD"), ("¥15000", "'¥' could be JPY, CNY"), ("15000 EUX", "'EUX' is not a currency code"),
            ("15.000", "is ambiguous"), ("15,00,0", "is not an amount"), ("fifteen", "has no amount"),
        ] {
            for arguments in [["--set", "amount=\(text)"], ["--amount", text]] {
                let result = try alice.run(["opp", "edit", opp] + arguments)
                #expect(result.status != 0, "\(text)")
                #expect(result.error.contains(message), "\(text): \(result.error)")
                #expect(result.error.split(separator: "\n").count == 1, "one line: \(result.error)")
            }
        }
        #expect(try alice.ok(["status", "--json"]).object()["pending"] as? Int == pending)
        #expect(try amount(alice, opp) == "1500000 EUR")

        // Two reps change the amount offline; the admin enters a bare amount in its currency.
        try alice.ok(["sync"])
        try bob.ok(["sync"])
        try office.goOffline {
            try alice.ok(["opp", "edit", opp, "--set", "amount=14000"])
            try bob.ok(["opp", "edit", opp, "--amount", "13,000"])
        }
        try alice.ok(["sync"])
        #expect(try bob.ok(["sync", "--json"]).object()["queued"] as? Int == 1)
        let conflicts = try root.ok(["admin", "conflicts", "list", "--json"]).array()
        let conflict = try #require((conflicts.first?["conflict"] as? [String: Any])?["id"] as? String)
        let unknown = try root.run(["admin", "conflicts", "resolve", conflict, "--value", "13500 XYZ"])
        #expect(unknown.status != 0 && unknown.error.contains("'XYZ' is not a currency code"), "\(unknown.error)")
        try root.ok(["admin", "conflicts", "resolve", String(conflict.prefix(8)), "--value", "13500"])
        for laptop in [alice, bob] { try laptop.ok(["sync"]) }
        #expect(try amount(alice, opp) == "1350000 EUR")
        #expect(try amount(bob, opp) == "1350000 EUR")
    }
}
