import Foundation
import SatchelTestSupport
import Testing

/// The report and export commands as a manager runs them: three output forms, headers that
/// say period and scope, and files the server can import again.
struct ReportCommandTests {
    @Test func reportsPrintTablesJSONAndCSVWithTheirPeriodAndScope() throws {
        let office = try Office()
        let admin = try office.laptop("root", role: "admin")
        let account = try #require(try admin.ok(["account", "add", "--name", "Acme", "--tier", "key", "--set", "territory=north",
            "--set", "owner=alice", "--set", "lifecycle_state=potential", "--json"]).object()["id"] as? String)
        try admin.ok(["opp", "add", "--account", account, "--name", "Deal", "--amount", "1000", "--stage", "negotiation", "--set", "probability=50"])
        try admin.ok(["visit", "log", "--account", account, "--purpose", "p", "--outcome", "o", "--met-decision-maker"])
        try admin.ok(["sync"])

        let table = try admin.ok(["report", "pipeline"]).output
        #expect(table.contains("Period:") && table.contains("Scope:  the 1 account on root's laptop"))
        #expect(table.contains("alice  negotiation  1      1000.00 EUR  500.00 EUR"))
        let json = try admin.ok(["report", "pipeline", "--json"]).object()
        let body = try #require(json["body"] as? [String: Any])
        let rows = try #require(body["rows"] as? [[String: Any]])
        #expect(rows.first?["weighted"] as? Int == 50_000)
        #expect((json["header"] as? [String: Any])?["period"] as? String == "now (open deals as they stand)")
        let csv = try admin.ok(["report", "pipeline", "--csv"]).output.split(separator: "\n")
        #expect(csv.first == "rep,stage,count,currency,amount,weighted")
        #expect(csv.dropFirst().first == "alice,negotiation,1,EUR,1000.00,500.00")
        #expect(csv.count == 2, "one table, no second header in the stream")

        let visits = try admin.ok(["report", "visits", "--json"]).object()
        #expect(((visits["body"] as? [[String: Any]])?.first?["metDecisionMaker"] as? Double) == 1.0)
        for report in [["report", "overdue"], ["report", "lifecycle", "--since", "2020-01-01"], ["report", "tiers"], ["report", "visits", "--by", "week"]] {
            let output = try admin.ok(report).output
            #expect(output.contains("Period:") && output.contains("Scope:"), "\(report)")
        }
        let bad = try admin.run(["report", "visits", "--by", "planet"])
        #expect(bad.status != 0 && bad.error.contains("visits cannot be grouped by 'planet'; group by rep, account, week or one of"))
        #expect(try admin.run(["report", "visits", "--by", "no such"]).error.contains("--by is rep, account, week or a field of accounts"))
    }

    @Test func exportWritesWhatTheServerImportsAndImportReportsEveryBadLine() throws {
        let office = try Office()
        let admin = try office.laptop("root", role: "admin")
        for name in ["Acme, Ltd", "Bolt \"SA\"", "Café Dupont"] {
            try admin.ok(["account", "add", "--name", name, "--city", "Lille", "--set", "tags=a;b", "--set", "last_contacted_at=2026-11-01T09:30:00Z"])
        }
        let file = office.root + "/accounts.csv"
        #expect(try admin.ok(["export", "accounts", "--csv", file]).output.contains("Wrote 3 accounts"))
        let fresh = office.root + "/fresh"
        let imported = try ServerProcess.run(["import", file, "--data", fresh])
        #expect(imported.status == 0, "\(imported.error)")
        #expect(imported.output.contains("Imported 3 records"))

        let badFile = office.root + "/bad.csv"
        try """
            record,id,name,value_tier,city
            account,x1,Good One,key,Paris
            account,x2,,key,Paris
            account,x3,Bad Tier,gold,Paris
            account,x4,Good Two,,Lyon
            """.write(toFile: badFile, atomically: true, encoding: .utf8)
        let refused = try ServerProcess.run(["import", badFile, "--data", fresh])
        #expect(refused.status != 0)
        #expect(refused.error.contains("line 3: account.name is required"))
        #expect(refused.error.contains("line 4: account.value_tier must be one of"))
        let skipped = try ServerProcess.run(["import", badFile, "--skip-bad", "--data", fresh])
        #expect(skipped.status == 0)
        #expect(skipped.output.contains("Imported 2 records") && skipped.output.contains("Skipped 2"))
    }
}
