import Foundation
import SatchelTestSupport
import Testing

/// Every hostile argument list of `Fixtures/hostile/cli/arguments.json` against a logged-in
/// laptop: a one-line error, nothing on standard output, and nothing written.
struct CLICorpusTests {
    struct Case: Decodable {
        var name: String
        var args: [String]
        var error: String?
        var ok: Bool?
    }

    @Test func everyBadArgumentGetsOneLineAndWritesNothing() throws {
        let cases = try JSONDecoder().decode([Case].self, from: Fixtures.data("hostile/cli/arguments.json"))
        #expect(cases.count >= 20)
        let office = try Office()
        let alice = try office.laptop("alice", role: "rep", territory: "north")
        let account = try #require(try alice.ok(["account", "add", "--name", "Acme", "--json"]).object()["id"] as? String)
        let opp = try #require(
            try alice.ok(["opp", "add", "--account", account, "--name", "Deal", "--amount", "10", "--json"]).object()["id"] as? String)
        try alice.ok(["opp", "stage", opp, "closed_won", "--reason", "signed"])
        func fill(_ argument: String) -> String {
            argument.replacingOccurrences(of: "{{account}}", with: account).replacingOccurrences(of: "{{opp}}", with: opp)
        }
        func pending() throws -> Int { try alice.ok(["status", "--json"]).object()["pending"] as? Int ?? -1 }

        for testCase in cases where testCase.ok != true {
            let before = try pending()
            let result = try alice.run(testCase.args.map(fill))
            #expect(result.status != 0, "\(testCase.name) succeeded")
            #expect(result.error.contains(testCase.error ?? "?"), "\(testCase.name): \(result.error)")
            #expect(result.error.split(separator: "\n").count == 1, "\(testCase.name): more than one line: \(result.error)")
            #expect(!result.error.contains("Fatal error"), "\(testCase.name) crashed")
            #expect(result.output.isEmpty, "\(testCase.name) printed \(result.output)")
            #expect(try pending() == before, "\(testCase.name) wrote something")
        }
        // SQL-looking text is just text: stored as typed, harming nothing.
        for testCase in cases where testCase.ok == true {
            let result = try alice.run(testCase.args.map(fill))
            #expect(result.status == 0, "\(testCase.name): \(result.error)")
        }
        let shown = try alice.ok(["account", "show", account, "--json"]).object()
        #expect(shown["phone"] as? String == "1; DROP TABLE account")
        #expect(try alice.ok(["account", "list", "--json"]).array().count == 1)
    }
}
