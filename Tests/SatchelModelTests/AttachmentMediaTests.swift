import Foundation
import SatchelModel
import SyncCore
import Testing

/// Which files Satchel carries: by name and by their first bytes, both.
struct AttachmentMediaTests {
    @Test func aFileIsJudgedByItsNameAndItsFirstBytes() throws {
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0]
        let pdf = Array("%PDF-1.7\n".utf8)
        let zip: [UInt8] = [0x50, 0x4B, 0x03, 0x04, 20, 0, 0, 0] + Array("[Content_Types].xml".utf8)
        let jar: [UInt8] = [0x50, 0x4B, 0x03, 0x04, 20, 0, 0, 0] + Array("META-INF/MANIFEST.MF".utf8)
        #expect(try AttachmentMedia.mediaType(fileName: "shelf.JPG", prefix: jpeg).get() == "image/jpeg")
        #expect(try AttachmentMedia.mediaType(fileName: "logo.png", prefix: png).get() == "image/png")
        #expect(try AttachmentMedia.mediaType(fileName: "prices.pdf", prefix: pdf).get() == "application/pdf")
        #expect(try AttachmentMedia.mediaType(fileName: "order.docx", prefix: zip).get() == AttachmentMedia.docx)
        #expect(try AttachmentMedia.mediaType(fileName: "notes.txt", prefix: Array("Café, 3 boxes\n".utf8)).get() == "text/plain")
        #expect(try AttachmentMedia.mediaType(fileName: "list.csv", prefix: Array("a,b\n1,2\n".utf8)).get() == "text/csv")

        // A renamed executable is not a photo; an unknown kind says what is carried.
        let elf: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0]
        #expect(throws: AttachmentProblem.self) { try AttachmentMedia.mediaType(fileName: "photo.jpg", prefix: elf).get() }
        #expect(throws: AttachmentProblem.self) { try AttachmentMedia.mediaType(fileName: "report.pdf", prefix: jpeg).get() }
        #expect(throws: AttachmentProblem.self) { try AttachmentMedia.mediaType(fileName: "tool.exe", prefix: zip).get() }
        #expect(throws: AttachmentProblem.self) { try AttachmentMedia.mediaType(fileName: "app.docx", prefix: jar).get() }
        #expect(throws: AttachmentProblem.self) { try AttachmentMedia.mediaType(fileName: "noext", prefix: pdf).get() }
        // Text is UTF-8 without NUL bytes; a multi-byte character cut by the sniffed prefix is fine.
        #expect(!AttachmentMedia.content([0x61, 0x00, 0x62], matches: "text/plain"))
        #expect(!AttachmentMedia.content([0x61, 0xC3, 0x28], matches: "text/plain"))
        // (Callers pass exactly the first sniffLength bytes, as the laptop and the server do.)
        let cut = Array(repeating: UInt8(0x61), count: AttachmentMedia.sniffLength - 1) + [0xC3]
        #expect(cut.count == AttachmentMedia.sniffLength)
        #expect(AttachmentMedia.content(cut, matches: "text/csv"))
        #expect(!AttachmentMedia.content(Array(cut.dropFirst()), matches: "text/csv"), "a shorter file ending mid-character is not text")
        guard case .failure(let problem) = AttachmentMedia.mediaType(fileName: "photo.jpg", prefix: elf) else {
            Issue.record("an executable named photo.jpg was taken for a photo")
            return
        }
        #expect(problem.description == "photo.jpg does not hold what its name says (image/jpeg)")
    }

    @Test func anAttachmentsFileIsSetOnceAndBelongsToOneRecordUnderItsAccount() throws {
        let entity = try #require(CRMSchema.schema.entity("attachment"))
        let base: [String: FieldValue] = [
            "account_id": .text("a1"), "visit_id": .text("v1"), "file_name": .text("f.jpg"), "media_type": .text("image/jpeg"),
            "size": .integer(10), "sha256": .text(String(repeating: "0", count: 64)), "attached_by": .text("ana"),
            "attached_at": .integer(1),
        ]
        let rep = Writer(user: "ana", device: "d", isPrivileged: false)
        func violations(before: [String: FieldValue]?, after: [String: FieldValue], visitAccount: String = "a1") -> [String] {
            entity.invariants.compactMap { invariant in
                invariant.check(
                    InvariantInput(before: before, after: after, writer: rep) { entity, _ in
                        entity == "visit" ? ["account_id": .text(visitAccount)] : nil
                    }
                ).map { _ in invariant.name }
            }
        }
        #expect(violations(before: nil, after: base).isEmpty)
        #expect(violations(before: base, after: base.merging(["caption": .text("new caption")]) { $1 }).isEmpty)
        #expect(violations(before: base, after: base.merging(["sha256": .text(String(repeating: "1", count: 64))]) { $1 })
            == ["attachment.file-set-once"])
        #expect(violations(before: nil, after: base.merging(["sha256": .text("not a hash")]) { $1 }) == ["attachment.sha256"])
        #expect(violations(before: nil, after: base.merging(["attached_by": .text("ben")]) { $1 }) == ["attachment.attached-by-writer"])
        #expect(violations(before: nil, after: base.merging(["order_id": .text("o1")]) { $1 }) == ["attachment.one-record"])
        #expect(violations(before: nil, after: base, visitAccount: "a2") == ["attachment.one-record"])
    }
}
