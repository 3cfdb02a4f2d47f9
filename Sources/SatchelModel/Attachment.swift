import SyncCore

extension CRMSchema {
    /// The record types a file may be attached to, each with the attachment's field that names it.
    /// An attachment always names the account too: the account places it (who may see it).
    public static let attachmentOwners: [(entity: String, field: String)] = [
        ("visit", "visit_id"), ("opportunity", "opportunity_id"), ("ticket", "ticket_id"), ("order", "order_id"),
        ("account", "account_id"),
    ]

    /// The fields an attachment's file is described by: set once, when the file is attached.
    public static let attachmentFileFields: Set<String> = ["file_name", "media_type", "size", "sha256", "attached_by", "attached_at"]

    /// A photo or document attached to a record (附件): a small synced record that names its
    /// file by SHA-256. The bytes travel apart from changesets; the server sets `uploaded_at`
    /// once they arrived and matched the hash.
    public static let attachment = EntitySchema(
        name: "attachment", label: "attachment",
        fields: [
            FieldSchema(
                "account_id", .reference(entity: "account"), .lastWriterWins, required: true, label: "account",
                reason: "The account of the record it is attached to: who may see the file follows it."),
            FieldSchema(
                "visit_id", .reference(entity: "visit"), .lastWriterWins, label: "visit",
                reason: "Set when attached to a visit."),
            FieldSchema(
                "opportunity_id", .reference(entity: "opportunity"), .lastWriterWins, label: "opportunity",
                reason: "Set when attached to an opportunity."),
            FieldSchema(
                "ticket_id", .reference(entity: "ticket"), .lastWriterWins, label: "ticket",
                reason: "Set when attached to a ticket."),
            FieldSchema(
                "order_id", .reference(entity: "order"), .lastWriterWins, label: "order",
                reason: "Set when attached to an order."),
            FieldSchema(
                "file_name", .text(maxLength: 255), .lastWriterWins, required: true, label: "file name",
                reason: "Set once: the file's name when it was attached."),
            FieldSchema(
                "media_type", .enumeration(AttachmentMedia.allowedTypes), .lastWriterWins, required: true,
                label: "media type", reason: "Set once; checked against the file's first bytes on both sides."),
            FieldSchema(
                "size", .integer(range: 1...(Int64(1) << 40)), .lastWriterWins, required: true,
                reason: "Set once: bytes; the server refuses more than its per-file limit."),
            FieldSchema(
                "sha256", .text(maxLength: 64), .lastWriterWins, required: true,
                reason: "Set once: names the bytes; the server refuses bytes that do not hash to it."),
            FieldSchema("caption", .text(maxLength: 500), .lastWriterWins, reason: "Any later edit wins."),
            FieldSchema(
                "attached_by", .text(maxLength: 64), .lastWriterWins, required: true, label: "attached by",
                reason: "Set once: who attached it."),
            FieldSchema(
                "attached_at", .timestamp, .lastWriterWins, required: true, label: "attached at",
                reason: "Set once: when."),
            FieldSchema(
                "uploaded_at", .timestamp, .serverOwned, label: "uploaded at",
                reason: "The server's: when the bytes arrived and matched; empty while uploading."),
        ],
        insertRule: .mutable, deleteRule: .deleteWins,
        invariants: [
            Invariant(name: "attachment.file-set-once", fields: attachmentFileFields) { input in
                guard let before = input.before,
                    attachmentFileFields.contains(where: { (before[$0] ?? .null) != (input.after[$0] ?? .null) })
                else { return nil }
                return Violation(
                    reason: "an attachment's file cannot be changed once attached",
                    remedy: "attach the new file; delete this attachment if it is wrong")
            },
            // The quota is charged to attached_by: a laptop may not charge someone else.
            Invariant(name: "attachment.attached-by-writer", fields: ["attached_by"]) { input in
                guard input.before == nil, !input.writer.isPrivileged, !input.writer.user.isEmpty,
                    let by = input.after["attached_by"]?.textValue, by != input.writer.user
                else { return nil }
                return Violation(
                    reason: "attached_by must be the user who attaches the file (\(input.writer.user)), not \(by)",
                    remedy: "attach the file with 'satchel visit attach'")
            },
            Invariant(name: "attachment.sha256", fields: ["sha256"]) { input in
                guard let hash = input.after["sha256"]?.textValue, !AttachmentMedia.isSHA256(hash) else { return nil }
                return Violation(
                    reason: "sha256 must be 64 lower-case hexadecimal digits", remedy: "attach the file with 'satchel visit attach'")
            },
            Invariant(name: "attachment.one-record", fields: ["account_id", "visit_id", "opportunity_id", "ticket_id", "order_id"]) {
                input in
                let named = attachmentOwners.filter { $0.entity != "account" && !(input.after[$0.field]?.isNull ?? true) }
                if named.count > 1 {
                    return Violation(
                        reason: "an attachment belongs to one record, not to \(named.map(\.field).joined(separator: " and "))",
                        remedy: "attach the file to each record separately")
                }
                // The record must be under the attachment's account, which decides who sees the file.
                // (An admin's merge moves both; it is not judged here.)
                guard let owner = named.first, !input.writer.isPrivileged, let id = input.after[owner.field]?.textValue,
                    let account = input.after["account_id"]?.textValue,
                    let record = input.lookup(owner.entity, id), record["account_id"]?.textValue != account
                else { return nil }
                return Violation(
                    reason: "the \(owner.entity) \(id) is not under the attachment's account",
                    remedy: "attach the file with 'satchel \(owner.entity == "opportunity" ? "opp" : owner.entity) attach'")
            },
        ],
        titleField: "file_name", parentField: "account_id", indexes: [["sha256"]])
}

/// Which files Satchel carries, judged by their name and by their first bytes alike, so a
/// renamed executable is not a "photo". Used by the laptop when a file is attached and by the
/// server when its bytes arrive.
public enum AttachmentMedia {
    /// The default per-file limit: 25 MB.
    public static let defaultMaxBytes: Int64 = 25 * 1_000_000

    public static let docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    public static let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    public static let pptx = "application/vnd.openxmlformats-officedocument.presentationml.presentation"

    /// Media types by file extension.
    public static let byExtension: [String: String] = [
        "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp",
        "pdf": "application/pdf", "txt": "text/plain", "csv": "text/csv", "docx": docx, "xlsx": xlsx, "pptx": pptx,
    ]

    /// Every media type an attachment may have.
    public static let allowedTypes: [String] = Array(Set(byExtension.values)).sorted()

    /// How many leading bytes ``sniff(_:)`` needs.
    public static let sniffLength = 4096

    /// The family of content the first bytes show: a media type for binary formats, "zip" for an
    /// Office document (a zip file), "text" for UTF-8 text, nil for anything else. A prefix of
    /// ``sniffLength`` bytes or more may end inside a character: that is not held against text.
    public static func sniff(_ prefix: some Collection<UInt8>) -> String? {
        let bytes = Array(prefix.prefix(sniffLength))
        func starts(_ magic: [UInt8], at offset: Int = 0) -> Bool {
            bytes.count >= offset + magic.count && Array(bytes[offset..<offset + magic.count]) == magic
        }
        if starts([0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return "image/gif" }
        if starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) { return "image/webp" }
        if starts(Array("%PDF-".utf8)) { return "application/pdf" }
        // An Office document is a zip whose first entries name its content types (a jar, an apk
        // or a plain zip does not).
        if starts([0x50, 0x4B, 0x03, 0x04]) {
            let marker = Array("[Content_Types].xml".utf8)
            let found = bytes.count >= marker.count && (0...(bytes.count - marker.count)).contains { Array(bytes[$0..<$0 + marker.count]) == marker }
            return found ? "zip" : nil
        }
        if !bytes.isEmpty, !bytes.contains(0), isUTF8(bytes, truncated: prefix.count >= sniffLength) { return "text" }
        return nil
    }

    /// Whether content whose first bytes are `prefix` may carry `mediaType`.
    public static func content(_ prefix: some Collection<UInt8>, matches mediaType: String) -> Bool {
        guard let family = sniff(prefix) else { return false }
        switch mediaType {
        case "text/plain", "text/csv": return family == "text"
        case docx, xlsx, pptx: return family == "zip"
        default: return family == mediaType
        }
    }

    /// The media type of a file named `name` whose first bytes are `prefix`, or why it cannot be attached.
    public static func mediaType(fileName name: String, prefix: some Collection<UInt8>) -> Result<String, AttachmentProblem> {
        let ext = name.split(separator: ".").count > 1 ? String(name.split(separator: ".").last!).lowercased() : ""
        guard let type = byExtension[ext] else {
            return .failure(
                AttachmentProblem(
                    "\(name) is not a kind of file Satchel carries; attach photos (jpg, png, gif, webp), PDFs, "
                        + "text or csv files, or Word, Excel and PowerPoint documents"))
        }
        guard content(prefix, matches: type) else {
            return .failure(AttachmentProblem("\(name) does not hold what its name says (\(type))"))
        }
        return .success(type)
    }

    /// Whether `text` is a hex SHA-256 as attachments name their bytes.
    public static func isSHA256(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// Whether `bytes` is UTF-8 (a sequence cut at the end of a `truncated` prefix is allowed).
    static func isUTF8(_ bytes: [UInt8], truncated: Bool) -> Bool {
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            let length: Int
            switch lead {
            case 0x00...0x7F: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: return false
            }
            if index + length > bytes.count { return truncated }
            for next in bytes[(index + 1)..<(index + length)] where next & 0xC0 != 0x80 { return false }
            index += length
        }
        return true
    }
}

/// Why a file cannot be attached, said so the user can act.
public struct AttachmentProblem: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
