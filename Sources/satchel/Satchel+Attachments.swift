import ArgumentParser
import Foundation
import ReplicaStore
import SatchelModel
import SyncClient
import SyncCore

enum VisitKind: EntityKind { static let entity = "visit" }

enum AttachmentKind: RecordKind {
    static let entity = "attachment"
    static let columns = ["file_name", "size", "media_type", "caption", "attached_by"]
}

/// `satchel <type> attach ID FILE`: the same for every record type files go with.
struct GenericAttach<Kind: EntityKind>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "attach",
            abstract: "Attach a photo or document to \(Records.schema(Kind.entity).labelWithArticle) (works offline).",
            discussion: """
                The file is copied into the replica folder under its SHA-256 (later changes to the original change \
                nothing) and sent by the next 'satchel sync'. Photos (jpg, png, gif, webp), PDFs, text and csv files, \
                and Word, Excel and PowerPoint documents, up to 25 MB (SATCHEL_MAX_ATTACHMENT_MB when the company's \
                server takes another size).
                """)
    }
    @Argument(help: "The record's id (or a unique prefix).") var id: String
    @Argument(help: "The file to attach.") var file: String
    @Option(help: "A line saying what it shows.") var caption: String?
    @OptionGroup var options: GlobalOptions

    func run() throws {
        let replica = try options.openReplica()
        let ownerID = try Records.resolve(Kind.entity, id, replica: replica)
        // The server's per-file limit, when the company raised or lowered it from 25 MB.
        let limit = ProcessInfo.processInfo.environment["SATCHEL_MAX_ATTACHMENT_MB"].flatMap(Int64.init)
            .map { min(max($0, 1), 4096) * 1_000_000 }
        let attachment = try replica.attach(
            file: file, to: Kind.entity, id: ownerID, caption: caption, maxBytes: limit ?? AttachmentMedia.defaultMaxBytes)
        try Records.show("attachment", id: attachment, replica: replica, options: options)
    }
}

/// `satchel <type> attachments ID`: the files of one record and where their bytes are.
struct GenericAttachments<Kind: EntityKind>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "attachments", abstract: "List the files attached to \(Records.schema(Kind.entity).labelWithArticle).")
    }
    @Argument(help: "The record's id (or a unique prefix).") var id: String
    @OptionGroup var options: GlobalOptions

    func run() throws {
        let replica = try options.openReplica()
        let ownerID = try Records.resolve(Kind.entity, id, replica: replica)
        let rows = try replica.attachmentsWithState(of: Kind.entity, id: ownerID)
        let output = Output(options)
        if output.json {
            try output.printJSON(
                rows.map { row in Output.jsonRecord(id: row.id, values: row.values).merging(["state": .text(row.state.rawValue)]) { $1 } })
            return
        }
        output.table(
            ["ID", "FILE", "SIZE", "TYPE", "CAPTION", "STATE"],
            rows.map { row in
                [
                    String(row.id.prefix(8)), row.values["file_name"]?.textValue ?? "",
                    FileSize.text(row.values["size"]?.integerValue ?? 0), row.values["media_type"]?.textValue ?? "",
                    row.values["caption"]?.textValue ?? "", row.state.rawValue,
                ]
            })
    }
}

/// A file's size as people read it.
enum FileSize {
    static func text(_ bytes: Int64) -> String {
        if bytes >= 1_000_000 { return String(format: "%.1f MB", Double(bytes) / 1_000_000) }
        if bytes >= 1000 { return String(format: "%.0f kB", Double(bytes) / 1000) }
        return "\(bytes) B"
    }
}

extension Satchel {
    struct Attachments: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "attachment", abstract: "Files attached to records: get, show, list, history, delete.",
            subcommands: [
                Get.self, GenericShow<AttachmentKind>.self, GenericList<AttachmentKind>.self, GenericHistory<AttachmentKind>.self,
                Delete.self,
            ])

        struct Deleted: Encodable {
            var id: String
            var deleted: Bool
        }

        struct Delete: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "delete",
                abstract: "Remove an attachment from its record (works offline; its file is no longer sent or shown).")
            @Argument(help: "The attachment's id (or a unique prefix).") var id: String
            @OptionGroup var options: GlobalOptions

            func run() throws {
                let replica = try options.openReplica()
                let id = try Records.resolve("attachment", id, replica: replica)
                let name = try replica.row("attachment", id: id)?["file_name"]?.textValue ?? id
                try replica.deleteAttachment(id)
                let output = Output(options)
                if output.json {
                    try output.printJSON(Deleted(id: id, deleted: true))
                } else {
                    print("Removed \(name) (attachment \(id.prefix(8))); the next sync tells the others.")
                }
            }
        }

        struct Get: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "get",
                abstract: "Copy an attachment's file out, downloading it first when this laptop does not have it.")
            @Argument(help: "The attachment's id (or a unique prefix).") var id: String
            @Option(help: "Where to write the file (default: its name, in the current folder).") var out: String?
            @OptionGroup var options: GlobalOptions

            func run() async throws {
                let replica = try options.openReplica()
                let id = try Records.resolve("attachment", id, replica: replica)
                guard let row = try replica.row("attachment", id: id) else {
                    throw ReplicaError.unknownRecord(entity: "attachment", id: id)
                }
                var source = replica.attachmentFile(sha256: row["sha256"]?.textValue ?? "")
                if source == nil {
                    source = try await options.client().download(attachment: id, progress: ProgressBar.callback())
                    ProgressBar.finish()
                }
                let name = (row["file_name"]?.textValue ?? id).replacingOccurrences(of: "/", with: "_")
                let target = out ?? name
                let manager = FileManager.default
                if manager.fileExists(atPath: target) {
                    throw CLIError("\(target) exists; give another --out, or move it away first")
                }
                do {
                    try manager.copyItem(atPath: source!, toPath: target)
                } catch {
                    throw CLIError("cannot write \(target); check the folder's permissions and free space")
                }
                let output = Output(options)
                if output.json {
                    try output.printJSON(["id": id, "file": target])
                } else {
                    print("Wrote \(target) (\(FileSize.text(row["size"]?.integerValue ?? 0))).")
                }
            }
        }
    }
}
