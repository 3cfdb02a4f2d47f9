import ArgumentParser
import Foundation
import ReplicaStore
import SatchelModel
import SyncClient
import SyncCore

extension Satchel {
    struct Login: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "login",
            abstract: "Enroll this laptop with a one-time token and download your book of business.")

        @Option(help: "The sync server, e.g. https://crm.example.com:8417.") var server: String
        @Option(
            help: "The enrollment token an admin gave you; '-' reads it from standard input (default: $SATCHEL_TOKEN), so it stays out of 'ps' and your shell history.")
        var token: String?
        @Option(help: "A name for this laptop (default: the host name).") var device: String?
        @Option(help: "Trust this CA certificate (PEM) for the server, instead of the system's; remembered.") var ca: String?
        @Flag(
            name: .customLong("insecure-http"),
            help: "Allow plain http:// to another machine (UNSAFE: anyone on the network can read and change what you sync).")
        var insecureHTTP = false
        @OptionGroup var options: GlobalOptions

        func validate() throws {
            guard let url = URL(string: server), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil
            else { throw ValidationError("--server must be an http:// or https:// address, not '\(server)'") }
        }

        /// The token from --token, standard input (--token -) or SATCHEL_TOKEN.
        func enrollmentToken() throws -> String {
            var text = token
            if text == "-" {
                text = readLine(strippingNewline: true)
            } else if text == nil {
                text = ProcessInfo.processInfo.environment["SATCHEL_TOKEN"]
            }
            guard let value = text?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
                throw CLIError("give the enrollment token with --token - (read from standard input) or in SATCHEL_TOKEN")
            }
            return value
        }

        func run() async throws {
            let manager = FileManager.default
            if manager.fileExists(atPath: options.replicaPath) {
                let existing = try? options.credentials()
                throw CLIError(
                    "this folder already holds \(existing.map { "\($0.user)'s replica" } ?? "a replica") (\(options.directory)); "
                        + "use --home for another one")
            }
            let name = device ?? ProcessInfo.processInfo.hostName
            let url = URL(string: server)!
            if let ca, !manager.isReadableFile(atPath: ca) {
                throw CLIError("cannot read the CA certificate \(ca); give the PEM file your admin sent")
            }
            // Refused here, before anything connects, when plain HTTP would cross a network.
            let transport = try SyncClient.transport(for: url, certificateAuthority: ca, allowsInsecureHTTP: insecureHTTP)
            let secret = try enrollmentToken()
            let enrolled = try await SyncClient.enroll(server: url, token: secret, device: name, transport: transport)
            try manager.createDirectory(atPath: options.directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            var savedCA: String?
            if let ca {
                let copy = (options.directory as NSString).appendingPathComponent(Credentials.caFileName)
                guard manager.createFile(atPath: copy, contents: manager.contents(atPath: ca), attributes: [.posixPermissions: 0o600])
                else { throw CLIError("cannot write \(copy); check the folder's permissions") }
                // Kept by name, found beside credentials.json wherever the folder is reached from.
                savedCA = Credentials.caFileName
            }
            let replica = try Replica.open(at: options.replicaPath, schema: CRMSchema.schema, replicaID: enrolled.replica)
            try replica.setWriter(
                user: enrolled.user, device: enrolled.device, isPrivileged: Role(rawValue: enrolled.role)?.isPrivileged ?? false)
            try Credentials(
                server: server, credential: enrolled.credential, replica: enrolled.replica.rawValue, user: enrolled.user,
                role: enrolled.role, device: enrolled.device, ca: savedCA, insecureHTTP: insecureHTTP ? true : nil
            ).save(to: options.credentialsPath)
            let client = try options.client()
            let summary = try await client.sync(progress: ProgressBar.callback())
            ProgressBar.finish()
            let output = Output(options)
            if output.json {
                try output.printJSON(LoginResult(user: enrolled.user, role: enrolled.role, replica: enrolled.replica.rawValue, pulled: summary.pulled))
            } else {
                print("Logged in as \(enrolled.user) (\(enrolled.role)) on \(enrolled.device); \(summary.pulled) records downloaded.")
            }
        }

        struct LoginResult: Encodable {
            var user: String
            var role: String
            var replica: String
            var pulled: Int
        }
    }

    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sync",
            abstract: "Push your changes and files, then pull everyone else's; prints what became of yours.",
            discussion: """
                Files attached offline are sent after the changes, each resuming where a cut connection left it. \
                Other people's files stay on the server until 'satchel attachment get', or until a sync with \
                --attachments fetches every file of your book up to --attachment-cap.
                """)

        @Flag(help: "Also download the files of your book that this laptop lacks.") var attachments = false
        @Option(
            name: .customLong("attachment-cap"),
            help: "With --attachments, skip files larger than this many MB (they wait for 'satchel attachment get').")
        var attachmentCap: Int = 25
        @OptionGroup var options: GlobalOptions

        func validate() throws {
            guard (1...1_000_000).contains(attachmentCap) else { throw ValidationError("--attachment-cap is 1 to 1000000 MB") }
        }

        func run() async throws {
            let client = try options.client()
            let summary = try await client.sync(
                downloadingAttachmentsUpTo: attachments ? Int64(attachmentCap) * 1_000_000 : nil, progress: ProgressBar.callback())
            ProgressBar.finish()
            let output = Output(options)
            if output.json {
                try output.printJSON(summary)
                return
            }
            print(
                "Pushed \(summary.pushed): \(summary.applied) \(output.outcome("applied")), \(summary.merged) \(output.outcome("merged")), "
                    + "\(summary.queued) \(output.outcome("queued")), \(summary.rejected) \(output.outcome("rejected")). "
                    + "Pulled \(summary.pulled).")
            let files = summary.attachments
            if files.uploaded + files.waiting + files.downloaded + files.skipped + files.failed.count > 0 {
                var parts: [String] = []
                if files.uploaded > 0 { parts.append("sent \(files.uploaded) file\(files.uploaded == 1 ? "" : "s")") }
                if files.waiting > 0 { parts.append("\(files.waiting) still to send") }
                if files.downloaded > 0 { parts.append("fetched \(files.downloaded)") }
                if files.skipped > 0 { parts.append("\(files.skipped) over the cap left on the server") }
                if !files.failed.isEmpty { parts.append("\(files.failed.count) could not be fetched (tried again next time)") }
                print("Files: " + parts.joined(separator: ", ") + ".")
                for failure in files.failed { print("  \(failure)") }
            }
            if summary.merged + summary.queued + summary.rejected + files.waiting > 0 {
                print("Run 'satchel status' to see what happened to your changes.")
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Pending changes, the last sync, and what happened to your changes since you last looked.")

        @OptionGroup var options: GlobalOptions

        func run() throws {
            let replica = try options.openReplica()
            let identity = try replica.identity()
            let report = try StatusReport.make(replica: replica)
            try replica.markOutcomesSeen()
            let output = Output(options)
            if output.json {
                try output.printJSON(report)
                return
            }
            print("\(identity.user) on \(identity.device): \(report.pending) change\(report.pending == 1 ? "" : "s") waiting to sync.")
            print("Last sync: \(report.lastSyncAt.map(Output.time) ?? "never").")
            for upload in report.uploads {
                print(
                    "File \(upload.fileName) (attachment \(upload.attachment.prefix(8)), \(FileSize.text(upload.size))) waiting to upload"
                        + (upload.lastError.map { ": \($0)" } ?? "") + ".")
            }
            for notice in report.notices {
                if notice.entity.isEmpty {
                    print("\(notice.title) \(notice.message).")
                } else {
                    print("\(notice.entity.capitalized) \(notice.title) (\(notice.rowID.prefix(8))) \(notice.message).")
                }
            }
            if report.changes.isEmpty {
                print("Nothing new about your changes.")
                return
            }
            output.table(
                ["OUTCOME", "RECORD", "FIELD", "YOURS", "NOW", "WHY"],
                report.changes.map { change in
                    let type = change.field.flatMap { replica.schema.entity(change.entity)?.field($0)?.type } ?? .text(maxLength: 0)
                    return [
                        output.outcome(change.outcome), "\(change.entity) \(change.id.prefix(8))", change.field ?? change.op,
                        change.yours.map { Output.display($0, type) } ?? "", change.now.map { Output.display($0, type) } ?? "", change.why,
                    ]
                })
        }
    }
}

/// What `satchel status` reports.
struct StatusReport: Encodable {
    var pending: Int
    var lastSyncAt: Int64?
    var changes: [Item]
    /// Records that left this laptop (an account transferred to someone else), not yet shown.
    var notices: [Notice] = []
    /// Attachments whose bytes are still to send, with the last refusal if any.
    var uploads: [Upload] = []

    struct Upload: Encodable {
        var attachment: String
        var fileName: String
        var size: Int64
        var lastError: String?
    }

    struct Item: Encodable {
        var counter: UInt64
        var outcome: String
        var entity: String
        var id: String
        var op: String
        var field: String?
        /// What you wrote and what the record holds now, in wire form.
        var yours: FieldValue?
        var now: FieldValue?
        var why: String
        var conflict: String?
    }

    /// Unseen outcomes that are not plain "applied": merged, queued, rejected, and what became
    /// of applied or queued changes since (overridden, accepted).
    static func make(replica: Replica) throws -> StatusReport {
        let identity = try replica.identity()
        var items: [Item] = []
        for recorded in try replica.outcomes(unseenOnly: true) {
            let current = try recorded.field.flatMap { name in try replica.row(recorded.entity, id: recorded.rowID)?[name] }
            let mine = recorded.value.flatMap { try? WireJSON.decoder.decode(FieldValue.self, from: Data($0.utf8)) }
            func item(_ outcome: String, _ why: String, now: FieldValue? = current, conflict: String? = nil) -> Item {
                Item(
                    counter: recorded.counter, outcome: outcome, entity: recorded.entity, id: recorded.rowID, op: recorded.op,
                    field: recorded.field, yours: recorded.op == "update" ? mine : nil, now: now, why: why, conflict: conflict)
            }
            let writer = try recorded.field.flatMap { try replica.stamps(recorded.entity, id: recorded.rowID)[$0] }
                .map { "\($0.user) (\($0.device))" } ?? "someone else"
            switch (recorded.status, recorded.outcome) {
            case ("overridden", .queued(let conflict)):
                items.append(item("overridden", "the conflict was resolved by \(writer) for another value", conflict: conflict.id))
            case ("overridden", _):
                items.append(item("overridden", "changed since by \(writer)"))
            case ("settled", .queued(let conflict)):
                items.append(
                    item(
                        "settled",
                        conflict.kind == .duplicateCandidate
                            ? "merged into the \(conflict.entity) it duplicated; what was under it moved there"
                            : "the record was removed when the conflict was settled",
                        now: nil, conflict: conflict.id))
            case ("accepted", .queued(let conflict)):
                items.append(item("accepted", "the conflict was resolved in favour of your value", conflict: conflict.id))
            case (_, .applied):
                continue
            case let (_, .merged(winner, rule)):
                guard winner != mine else { continue }
                items.append(item("merged", "\(rule): another value won", now: winner))
            case let (_, .queued(conflict)):
                items.append(item("queued", conflict.explanation, conflict: conflict.id))
            case let (_, .rejected(rejection)):
                items.append(item("rejected", "\(rejection.reason); \(rejection.remedy)"))
            }
        }
        return StatusReport(
            pending: try replica.pendingCount(), lastSyncAt: identity.lastSyncAt, changes: items,
            notices: try replica.notices(unseenOnly: true),
            uploads: try replica.pendingUploads().map {
                Upload(attachment: $0.attachmentID, fileName: $0.fileName, size: $0.size, lastError: $0.lastError)
            })
    }
}

/// A progress line on a terminal's standard error for large transfers; silent elsewhere.
enum ProgressBar {
    static let enabled = isatty(STDERR_FILENO) == 1
    nonisolated(unsafe) static var shown = false

    static func callback() -> @Sendable (SyncClient.Progress) -> Void {
        { progress in
            guard enabled else { return }
            let text: String
            switch progress {
            case let .pushing(sent, total):
                guard total >= 200 else { return }
                let width = 30
                let filled = total == 0 ? width : min(width, width * sent / max(total, 1))
                text = "pushing [\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] \(sent)/\(total)"
            case let .pulling(rows), let .bootstrapping(rows):
                guard rows >= 500 else { return }
                text = "downloading… \(rows) records"
            case let .uploading(file, done, total), let .downloading(file, done, total):
                guard total >= 1_000_000 else { return }
                let width = 30
                let filled = min(width, Int(Int64(width) * done / max(total, 1)))
                let verb = { if case .uploading = progress { return "sending" } else { return "fetching" } }()
                text = "\(verb) \(file.prefix(30)) [\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] "
                    + "\(Int(100 * done / max(total, 1)))%\u{1B}[K"
            }
            FileHandle.standardError.write(Data("\r\(text)".utf8))
            shown = true
        }
    }

    static func finish() {
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
