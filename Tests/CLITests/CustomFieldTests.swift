import Foundation
import SatchelTestSupport
import Testing

/// The company's own fields with the real binaries: declared once by an admin, learned by every
/// laptop from its next sync, merged by their declared rule, and retired without losing a value.
struct CustomFieldTests {

    @Test func aChoiceFieldReachesALaptopThatWasOfflineWithPendingEdits() throws {
        let office = try Office()
        let ada = try office.laptop("ada", role: "admin")
        let alice = try office.laptop("alice", role: "rep", territory: "north")
        let bob = try office.laptop("bob", role: "rep", territory: "north")
        let acme = try #require(try alice.ok(["account", "add", "--name", "Acme Ltd", "--city", "Lille", "--json"]).object()["id"] as? String)
        try alice.ok(["sync"])
        try bob.ok(["sync"])

        // Bob works offline: two edits and a visit (which moves the account's contact times) wait.
        try bob.ok(["account", "edit", acme, "--phone", "+33 3 20 00 00 00", "--city", "Roubaix"])
        try bob.ok(["visit", "log", "--account", acme, "--purpose", "demo", "--outcome", "trial agreed"])
        let pending = try #require(try bob.ok(["status", "--json"]).object()["pending"] as? Int)
        #expect(pending >= 3)

        // Meanwhile the admin adds a choice field, and Alice (online) sets it.
        let added = try ada.ok([
            "admin", "field", "add", "account", "segment", "--type", "choice", "--choices", "smb,enterprise", "--rule", "review",
            "--label", "market segment",
        ])
        #expect(added.output.contains("account.segment added (choice: smb, enterprise, review): company schema revision 1"))
        try alice.ok(["sync"])
        #expect(try alice.ok(["account", "edit", acme, "--set", "segment=enterprise", "--json"]).object()["segment"] as? String == "enterprise")
        try alice.ok(["sync"])

        // Bob comes back: everything he had is applied, and he learns the field with Alice's value.
        let summary = try bob.ok(["sync", "--json"]).object()
        #expect(summary["pushed"] as? Int == pending && summary["applied"] as? Int == pending)
        #expect(summary["rejected"] as? Int == 0 && summary["queued"] as? Int == 0)
        let shown = try bob.ok(["account", "show", acme, "--json"]).object()
        #expect(shown["segment"] as? String == "enterprise")
        #expect(shown["phone"] as? String == "+33 3 20 00 00 00" && shown["city"] as? String == "Roubaix")
        #expect(try bob.ok(["account", "show", acme]).output.contains("enterprise"))
        let schema = try bob.ok(["schema", "account", "--json"]).object()
        let segment = try #require((schema["fields"] as? [[String: Any]])?.first { $0["name"] as? String == "segment" })
        #expect(segment["rule"] as? String == "review" && segment["custom"] as? Bool == true)
        #expect(segment["choices"] as? [String] == ["smb", "enterprise"])
        #expect(schema["revision"] as? Int == 1)
        #expect(try bob.ok(["schema", "account"]).output.contains("account.segment *"))

        // Lists, exports and reports reach the field with no new binary.
        #expect(try bob.ok(["account", "list", "--where", "segment=enterprise", "--json"]).array().map { $0["id"] as? String } == [acme])
        #expect(try bob.ok(["account", "list", "--where", "segment=smb", "--json"]).array().isEmpty)
        let csv = office.root + "/accounts.csv"
        try bob.ok(["export", "accounts", "--csv", csv])
        let exported = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        #expect(exported.first?.hasSuffix(",segment") == true && exported.dropFirst().first?.hasSuffix(",enterprise") == true)
        // The server's import reads the company's fields too; a file it cannot take into a fresh
        // data directory creates nothing there.
        let fresh = office.root + "/fresh-data"
        let refused = try ServerProcess.run(["import", csv, "--data", fresh])
        #expect(refused.status != 0 && refused.error.contains("segment"), "\(refused.error)")
        #expect(!FileManager.default.fileExists(atPath: fresh))
        let newco = office.root + "/newco.csv"
        try "record,id,name,territory,segment\naccount,acc-newco,Newco,north,smb\n".write(toFile: newco, atomically: true, encoding: .utf8)
        try office.goOffline {
            let imported = try ServerProcess.run(["import", newco, "--data", office.data])
            #expect(imported.status == 0 && imported.output.contains("Imported 1 record"), "\(imported.error)")
        }
        try bob.ok(["sync"])
        #expect(try bob.ok(["account", "show", "acc-newco", "--json"]).object()["segment"] as? String == "smb")
        let report = try bob.ok(["report", "visits", "--by", "segment", "--json"]).object()
        let groups = (report["body"] as? [[String: Any]] ?? []).compactMap { $0["group"] as? String }
        #expect(groups == ["enterprise"])

        // A conflicting edit follows the field's declared rule: review sends it to the queue.
        try ada.ok(["admin", "field", "choices", "account", "segment", "--add", "midmarket"])
        try alice.ok(["sync"])
        try bob.ok(["sync"])
        try alice.ok(["account", "edit", acme, "--set", "segment=smb"])
        try bob.ok(["account", "edit", acme, "--set", "segment=midmarket"])
        #expect(try alice.ok(["sync", "--json"]).object()["applied"] as? Int == 1)
        #expect(try bob.ok(["sync", "--json"]).object()["queued"] as? Int == 1)
        let queue = try ada.ok(["admin", "conflicts", "list", "--json"]).array()
        let conflict = try #require(queue.first?["conflict"] as? [String: Any])
        #expect(queue.count == 1 && conflict["field"] as? String == "segment" && conflict["rule"] as? String == "review")
        #expect(try bob.ok(["account", "show", acme, "--json"]).object()["segment"] as? String == "smb")
    }

    @Test func anOfflineEditOfAFieldRetiredMeanwhileIsRejectedAndKeptInHistory() throws {
        let office = try Office()
        let ada = try office.laptop("ada", role: "admin")
        let bob = try office.laptop("bob", role: "rep", territory: "north")
        try ada.ok(["admin", "field", "add", "account", "region_code", "--type", "text"])
        let acme = try #require(try bob.ok(["account", "add", "--name", "Acme Ltd", "--json"]).object()["id"] as? String)
        try bob.ok(["sync"])
        try bob.ok(["account", "edit", acme, "--set", "region_code=N-59", "--phone", "0320000000"])

        #expect(try ada.ok(["admin", "field", "retire", "account", "region_code"]).output.contains("account.region_code retired"))
        let summary = try bob.ok(["sync", "--json"]).object()
        #expect(summary["pushed"] as? Int == 2 && summary["applied"] as? Int == 1 && summary["rejected"] as? Int == 1)

        // 'satchel status' tells it once, with the reason.
        let status = try bob.ok(["status"]).output
        let line = try #require(status.split(separator: "\n").first { $0.contains("region_code") })
        #expect(line.contains("rejected") && line.contains("the field region code of an account was retired by ada"))
        #expect(line.contains("the value you entered stays in the record's history"))

        let history = try bob.ok(["account", "history", acme, "--json"]).object()
        let entry = try #require((history["everyone"] as? [[String: Any]] ?? []).first { $0["field"] as? String == "region_code" })
        #expect(entry["outcome"] as? String == "rejected")
        #expect(String(describing: entry["value"] ?? "").contains("N-59"))

        // The laptop knows the field is retired: no new value, and it is no longer shown.
        let again = try bob.run(["account", "edit", acme, "--set", "region_code=N-62"])
        #expect(again.status != 0 && again.error.contains("account.region_code was retired by ada"))
        #expect(again.error.split(separator: "\n").count == 1)
        #expect(try bob.ok(["account", "show", acme, "--json"]).object()["region_code"] == nil)
        #expect(try bob.ok(["schema", "account"]).output.contains("Retired (retired by ada"))
    }

    @Test func badFieldDeclarationsAreOneLineErrorsThatChangeNothing() throws {
        let office = try Office()
        let ada = try office.laptop("ada", role: "admin")
        let bob = try office.laptop("bob", role: "rep", territory: "north")
        try ada.ok(["admin", "field", "add", "account", "segment", "--type", "choice", "--choices", "smb,enterprise"])
        let before = try ada.ok(["admin", "field", "list", "--json"]).object()

        let attempts: [([String], String)] = [
            (["account", "size", "--type", "huge"], "there is no field type 'huge'; use one of text, number, money, date, bool, choice"),
            (["account", "segment", "--type", "text"], "account already has a field 'segment'; choose another name"),
            (["account", "phone", "--type", "text"], "'phone' is a built-in field of account; choose another name"),
            (["gizmo", "colour", "--type", "text"], "there is no record type 'gizmo'"),
            (["account", "Colour", "--type", "text"], "is not a field name"),
            (["account", "size", "--type", "choice"], "a choice field needs its values"),
            (["account", "size", "--type", "text", "--rule", "max"], "a text field cannot use the rule 'max'"),
            (["account", "size", "--type", "text", "--rule", "sometimes"], "there is no rule 'sometimes'"),
        ]
        for (arguments, message) in attempts {
            let result = try ada.run(["admin", "field", "add"] + arguments)
            #expect(result.status != 0, "\(arguments) must fail")
            #expect(result.error.contains(message), "\(arguments): \(result.error)")
            #expect(result.error.split(separator: "\n").count == 1)
        }
        #expect(try ada.run(["admin", "field", "choices", "account", "segment", "--add", "smb"]).error.contains("'smb' is a choice already"))
        #expect(try ada.run(["admin", "field", "retire", "account", "name"]).error.contains("account.name is built in"))
        #expect(try bob.run(["admin", "field", "add", "account", "x", "--type", "text"]).error.contains("403 forbidden"))
        let after = try ada.ok(["admin", "field", "list", "--json"]).object()
        #expect(after["revision"] as? Int == 1 && (after["fields"] as? [Any])?.count == (before["fields"] as? [Any])?.count)

        // A value outside the list is refused on the laptop, and nothing is captured.
        try bob.ok(["sync"])
        let acme = try #require(try bob.ok(["account", "add", "--name", "Acme Ltd", "--json"]).object()["id"] as? String)
        let pending = try bob.ok(["status", "--json"]).object()["pending"] as? Int
        let wrong = try bob.run(["account", "edit", acme, "--set", "segment=huge"])
        #expect(wrong.status != 0 && wrong.error.contains("must be one of smb, enterprise"))
        #expect(wrong.error.split(separator: "\n").count == 1)
        #expect(try bob.ok(["status", "--json"]).object()["pending"] as? Int == pending)
    }
}
