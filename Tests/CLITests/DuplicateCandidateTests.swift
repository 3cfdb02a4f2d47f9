import Foundation
import SatchelTestSupport
import Testing

/// Two reps meet the same customer offline and type it differently; the server proposes one
/// candidate with its reason, the admin merges it, and a rep elsewhere learns nothing of it.
struct DuplicateCandidateTests {
    @Test func twoSpellingsOfOneCustomerBecomeOneCandidateWithItsReasonAndAreMerged() throws {
        let office = try Office()
        let root = try office.laptop("root", role: "admin")
        let alice = try office.laptop("alice", role: "rep", territory: "north")
        let bob = try office.laptop("bob", role: "rep", territory: "north")
        let carol = try office.laptop("carol", role: "rep", territory: "south")

        var summit = "", twin = ""
        try office.goOffline {
            summit = try #require(
                try alice.ok(["account", "add", "--name", "Summit Orthodontics", "--city", "Denver", "--phone", "+1 (970) 555-0188", "--json"])
                    .object()["id"] as? String)
            twin = try #require(
                try bob.ok(["account", "add", "--name", "Summit Orthodontics LLC", "--city", "denver", "--phone", "970-555-0188", "--json"])
                    .object()["id"] as? String)
            try alice.ok(["visit", "log", "--account", summit, "--purpose", "intro", "--outcome", "wants aligners"])
            try bob.ok(["visit", "log", "--account", twin, "--purpose", "demo", "--outcome", "follow up"])
        }
        try alice.ok(["sync"])
        #expect(try bob.ok(["sync", "--json"]).object()["queued"] as? Int == 1)
        let told = try bob.ok(["status"]).output
        #expect(told.contains("may be the same account as Summit Orthodontics (names match once 'LLC' is removed; same city)"), "\(told)")

        // The admin sees one candidate, with its reason, in the list and in the comparison.
        try root.ok(["sync"])
        let candidates = try root.ok(["admin", "duplicates", "list", "--json"]).array()
        #expect(candidates.count == 1)
        let conflict = try #require(candidates.first?["conflict"] as? [String: Any])
        let id = try #require(conflict["id"] as? String)
        #expect((conflict["reasons"] as? [String: String])?[summit] == "names match once 'LLC' is removed; same city")
        let listed = try root.ok(["admin", "duplicates", "list"]).output
        #expect(listed.contains("Summit Orthodontics LLC") && listed.contains("names match once 'LLC' is removed; same city"), "\(listed)")
        let shown = try root.ok(["admin", "duplicates", "show", String(id.prefix(8))]).output
        #expect(shown.contains("why \(summit.prefix(8)): names match once 'LLC' is removed; same city"), "\(shown)")
        #expect(shown.contains("under \(twin.prefix(8)): 1 visit"))

        // Carol, in the south, types the same customer: queued, but told nothing about the north.
        let third = try carol.ok(["account", "add", "--name", "SUMMIT ORTHODONTICS, INC.", "--city", "Denver", "--phone", "970.555.0188"])
        #expect(third.status == 0)
        #expect(try carol.ok(["sync", "--json"]).object()["queued"] as? Int == 1)
        let carolsView = try carol.ok(["status"]).output
        #expect(carolsView.contains("a possible duplicate of a record outside your territory"), "\(carolsView)")
        for secret in [summit, String(summit.prefix(8)), twin, "LLC", "same phone", "970 555 0188", "alice", "bob"] {
            #expect(!carolsView.contains(secret), "carol learns \(secret): \(carolsView)")
        }

        // The admin merges Bob's into Alice's; both reps end with one account and both visits.
        try root.ok(["admin", "duplicates", "merge", String(summit.prefix(8)), String(twin.prefix(8))])
        for laptop in [alice, bob] {
            try laptop.ok(["sync"])
            let accounts = try laptop.ok(["account", "list", "--search", "summit", "--json"]).array()
            #expect(accounts.count == 1 && accounts.first?["id"] as? String == summit)
            #expect(try laptop.ok(["visit", "list", "--account", summit, "--json"]).array().count == 2)
        }
        let settled = try root.ok(["admin", "duplicates", "list", "--all", "--json"]).array()
        #expect(settled.contains { ($0["conflict"] as? [String: Any])?["id"] as? String == id && $0["resolution"] as? String == "merged" })
    }
}
