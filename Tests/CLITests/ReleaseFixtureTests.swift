import Foundation
import SatchelTestSupport
import Testing

/// The files an earlier release left behind, opened by this one: a server's data directory and
/// two laptops' homes, one with a day of offline work never pushed (made by
/// `scripts/make-release-fixtures.sh` with that release's binaries; `manifest.json` says what).
/// The laptop pushes everything it had, its teammate gets all of it, and nothing is lost.
struct ReleaseFixtureTests {
    static let releases = ["2026-12-07-schema-2", "2026-12-07-page-layouts"]

    @Test(arguments: releases) func aReleasesStoreAndLaptopsOpenPushAndLoseNothing(release: String) throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("satchel-release-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.copyItem(at: Fixtures.url("releases/" + release), to: URL(fileURLWithPath: root))
        let manifest = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/manifest.json"))) as? [String: Any])
        func value(_ key: String) throws -> String { try #require(manifest[key] as? String, "manifest.\(key)") }

        let server = try ServerProcess(dataDirectory: root + "/server")
        defer { server.stop() }
        // The laptops knew the server at another port.
        for user in ["alice", "bob"] {
            let path = root + "/\(user)/credentials.json"
            var credentials = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
            credentials["server"] = server.url.absoluteString
            try JSONSerialization.data(withJSONObject: credentials).write(to: URL(fileURLWithPath: path))
        }
        let alice = CLI(home: root + "/alice")
        let bob = CLI(home: root + "/bob")

        let pending = try #require(manifest["pending"] as? Int)
        #expect(try alice.ok(["status", "--json"]).object()["pending"] as? Int == pending)
        let pushed = try alice.ok(["sync", "--json"]).object()
        #expect(pushed["pushed"] as? Int == pending && pushed["applied"] as? Int == pending, "\(pushed)")
        #expect(pushed["rejected"] as? Int == 0 && pushed["queued"] as? Int == 0)
        #expect((pushed["attachments"] as? [String: Any])?["uploaded"] as? Int == 1, "\(pushed)")
        #expect(try alice.ok(["status", "--json"]).object()["pending"] as? Int == 0)

        // Both days meet: Alice's phone and Bob's city on Acme, on both laptops.
        try bob.ok(["sync"])
        let acme = try value("acme")
        for laptop in [alice, bob] {
            let shown = try laptop.ok(["account", "show", acme, "--json"]).object()
            #expect(shown["phone"] as? String == "+33 3 20 00 00 00" && shown["city"] as? String == "Roubaix", "\(shown)")
        }
        #expect(try bob.ok(["account", "show", try value("shop"), "--json"]).object()["name"] as? String == "Offline Shop")
        let contacts = try bob.ok(["contact", "list", "--account", try value("shop"), "--json"]).array()
        #expect(contacts.map { $0["id"] as? String } == [try value("contact")])
        let visits = try bob.ok(["visit", "list", "--account", acme, "--json"]).array()
        #expect(visits.map { $0["id"] as? String } == [try value("visit")])
        try bob.ok(["attachment", "get", try value("attachment"), "--out", root + "/plan.txt"])
        #expect(try String(contentsOfFile: root + "/plan.txt", encoding: .utf8) == (try value("attachmentText")))

        // The store is sound after it all.
        server.stop()
        let check = try ServerProcess.run(["check", "--data", root + "/server"])
        #expect(check.status == 0, "\(check.output)\(check.error)")
    }
}
