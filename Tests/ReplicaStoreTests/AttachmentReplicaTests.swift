import Foundation
import ReplicaStore
import SatchelModel
import SatchelTestSupport
import SyncCore
import Testing

/// Attaching on the laptop: the file is checked, copied under its hash and recorded with its
/// upload pending, in one step; a bad file gets one line and changes nothing.
struct AttachmentReplicaTests {
    struct Laptop {
        let folder: String
        let replica: Replica
        let account: String
        let visit: String

        init() throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("satchel-attach-\(UUID().uuidString)").path
            replica = try Replica.open(at: folder + "/replica.sqlite", schema: CRMSchema.schema)
            try replica.setWriter(user: "ana", device: "laptop")
            account = try replica.insert("account", values: ["name": .text("Shelf Co")])
            visit = try replica.insert(
                "visit",
                values: [
                    "account_id": .text(account), "rep": .text("ana"), "started_at": .integer(1_700_000_000_000),
                    "channel": .text("phone"), "purpose": .text("Call"),
                ])
        }

        func file(_ name: String, _ bytes: Data) throws -> String {
            let path = folder + "/" + name
            try bytes.write(to: URL(fileURLWithPath: path))
            return path
        }

        /// What attaching may change: attachment rows, pending uploads, pending changes, stored files.
        func state() throws -> [String] {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: folder + "/attachments")) ?? []
            return [
                "rows \(try replica.rows("attachment").count)", "uploads \(try replica.pendingUploads().count)",
                "pending \(try replica.pendingCount())", "files " + files.sorted().joined(separator: " "),
            ]
        }
    }

    @Test func aFileIsCopiedUnderItsHashAndRecordedWithItsUploadPending() throws {
        let laptop = try Laptop()
        defer { try? FileManager.default.removeItem(atPath: laptop.folder) }
        let bytes = Data("%PDF-1.4\nprice list\n".utf8)
        let id = try laptop.replica.attach(file: try laptop.file("prices.pdf", bytes), to: "visit", id: laptop.visit, caption: "2027")
        let row = try #require(try laptop.replica.row("attachment", id: id))
        #expect(row["account_id"] == .text(laptop.account))
        #expect(row["visit_id"] == .text(laptop.visit))
        #expect(row["media_type"] == .text("application/pdf"))
        #expect(row["size"] == .integer(Int64(bytes.count)))
        #expect(row["attached_by"] == .text("ana"))
        #expect(row["uploaded_at"] == .null)
        let sha256 = try #require(row["sha256"]?.textValue)
        let stored = try #require(laptop.replica.attachmentFile(sha256: sha256))
        #expect(try Data(contentsOf: URL(fileURLWithPath: stored)) == bytes)
        #expect(try laptop.replica.pendingUploads().map(\.attachmentID) == [id])
        #expect(try laptop.replica.attachmentsWithState(of: "visit", id: laptop.visit).map(\.state) == [.sending])
        // The same file again is another attachment of the same bytes, kept once on the laptop.
        let again = try laptop.replica.attach(file: try laptop.file("copy.pdf", bytes), to: "account", id: laptop.account)
        #expect(try laptop.replica.attachments(of: "account", id: laptop.account).map(\.id).sorted() == [id, again].sorted())
        #expect(try laptop.state().last == "files \(sha256)")
        // Removed before it was sent: its upload goes with it, in the same step.
        try laptop.replica.deleteAttachment(id)
        #expect(try laptop.replica.row("attachment", id: id) == nil)
        #expect(try laptop.replica.pendingUploads().map(\.attachmentID) == [again])
        // The file stays while another attachment names it, and goes with the last one.
        #expect(try laptop.replica.pruneAttachmentFiles() == 0)
        #expect(laptop.replica.attachmentFile(sha256: sha256) != nil)
        try laptop.replica.deleteAttachment(again)
        #expect(try laptop.replica.pruneAttachmentFiles() == 1)
        #expect(laptop.replica.attachmentFile(sha256: sha256) == nil)
    }

    @Test func aBadFileGetsOneLineAndChangesNothing() throws {
        let laptop = try Laptop()
        defer { try? FileManager.default.removeItem(atPath: laptop.folder) }
        let before = try laptop.state()
        let cases: [(String, () throws -> String)] = [
            ("is empty", { try laptop.replica.attach(file: try laptop.file("empty.jpg", Data()), to: "visit", id: laptop.visit) }),
            ("cannot read", { try laptop.replica.attach(file: laptop.folder + "/missing.jpg", to: "visit", id: laptop.visit) }),
            ("cannot read", { try laptop.replica.attach(file: laptop.folder, to: "visit", id: laptop.visit) }),
            (
                "does not hold what its name says",
                { try laptop.replica.attach(file: try laptop.file("fake.jpg", Data("%PDF-1.4".utf8)), to: "visit", id: laptop.visit) }
            ),
            (
                "is not a kind of file",
                { try laptop.replica.attach(file: try laptop.file("tool.exe", Data([0x4D, 0x5A, 0])), to: "visit", id: laptop.visit) }
            ),
            (
                "larger than",
                {
                    try laptop.replica.attach(
                        file: try laptop.file("big.jpg", Data([0xFF, 0xD8, 0xFF]) + Data(count: 2000)), to: "visit", id: laptop.visit,
                        maxBytes: 1000)
                }
            ),
            ("there is no visit", { try laptop.replica.attach(file: try laptop.file("ok.jpg", Data([0xFF, 0xD8, 0xFF])), to: "visit", id: "nope") }),
            ("not attached to", { try laptop.replica.attach(file: try laptop.file("ok2.jpg", Data([0xFF, 0xD8, 0xFF])), to: "contact", id: "x") }),
        ]
        for (expected, attach) in cases {
            do {
                _ = try attach()
                Issue.record("attaching should have failed with '\(expected)'")
            } catch {
                let message = "\(error)"
                #expect(message.contains(expected), "\(message)")
                #expect(!message.contains("\n"))
            }
        }
        #expect(try laptop.state() == before)
    }

    @Test func aReplicaFromBeforeAttachmentsGainsTheirTableWhenOpened() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("satchel-old-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // Schema 1, as the release before attachments declared it: no attachment record type.
        let old = Schema(version: 1, entities: CRMSchema.schema.entities.filter { $0.name != "attachment" }, placement: CRMSchema.placement)
        let path = folder + "/replica.sqlite"
        let first = try Replica.open(at: path, schema: old)
        let account = try first.insert("account", values: ["name": .text("Kept Ltd")])
        let pending = try first.pendingCount()
        try first.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v5-attachments'")
        try first.execute(sql: "DROP TABLE _upload")

        let upgraded = try Replica.open(at: path, schema: CRMSchema.schema)
        #expect(try upgraded.pendingCount() == pending)
        // Not logged in: nobody could be charged for a file.
        #expect(throws: ReplicaError.self) {
            try upgraded.attach(file: try { () throws -> String in
                try Data("note".utf8).write(to: URL(fileURLWithPath: folder + "/early.txt"))
                return folder + "/early.txt"
            }(), to: "account", id: account)
        }
        try upgraded.setWriter(user: "ana", device: "laptop")
        #expect(try upgraded.row("account", id: account)?["name"] == .text("Kept Ltd"))
        let id = try upgraded.attach(file: try { () throws -> String in
            let file = folder + "/n.txt"
            try Data("note".utf8).write(to: URL(fileURLWithPath: file))
            return file
        }(), to: "account", id: account)
        #expect(try upgraded.pendingCount() == pending + 1)
        #expect(try upgraded.pendingUploads().map(\.attachmentID) == [id])
    }
}
