import ArgumentParser
import Foundation
import ReplicaStore
import SatchelModel
import SyncClient
import SyncCore

extension Satchel {
    struct Accounts: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "account", abstract: "Customers: add, edit, show, list, history, transfer, attach.",
            subcommands: [
                Add.self, GenericEdit<AccountKind>.self, GenericShow<AccountKind>.self, List.self, GenericHistory<AccountKind>.self,
                Transfer.self, GenericAttach<AccountKind>.self, GenericAttachments<AccountKind>.self,
            ])
    }
}

extension Satchel.Accounts {
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Add an account (works offline).")

        @OptionGroup var fields: AccountFields
        @Option(name: .customLong("set"), help: "Any other field, as FIELD=VALUE (repeat).") var assignments: [String] = []
        @OptionGroup var options: GlobalOptions

        func validate() throws { try Records.require([("--name", fields.name)], adding: "an account") }

        func run() throws { try Records.add("account", fields: fields, assignments: assignments, options: options) }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List accounts, or search them by name, city or phone.")

        @Option(help: "Only accounts whose name, city or phone contains this.") var search: String?
        @OptionGroup var filter: WhereOption
        @OptionGroup var limitOption: LimitOption
        @OptionGroup var options: GlobalOptions

        func run() throws {
            let rows = try filter.filter(try options.openReplica().searchAccounts(search ?? ""), entity: "account")
            try Records.list("account", rows: rows, columns: AccountKind.columns, limit: limitOption.limit, options: options)
        }
    }

    struct Transfer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "transfer",
            abstract: "Give an account, with everything under it, to another user (managers and admins, online).",
            discussion: """
                The new owner's laptop receives the account on its next sync. The former owner's laptop pushes \
                any changes it still holds (they wait in the queue for the new owner's side), then removes the \
                account and says so in 'satchel status'. For a short absence, transfer to a colleague and back.
                """)

        @Argument(help: "The account id (or a unique prefix).") var id: String
        @Option(help: "The user who takes the account over.") var to: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let replica = try options.openReplica()
            let id = try Records.resolve("account", id, replica: replica)
            let client = try options.client()
            let account = try await client.request(
                "POST", "/v1/admin/accounts/\(Satchel.Admin.pathComponent(id))/transfer", body: TransferRequest(to: to),
                as: RowSnapshot.self)
            let output = Output(options)
            if output.json {
                try output.printJSON(account)
                return
            }
            let title = CRMSchema.account.title(of: account.values, id: id)
            print(
                "Transferred \(title) to \(account.values["owner"]?.textValue ?? to)"
                    + "\(account.values["territory"]?.textValue.map { " (territory \($0))" } ?? ""). "
                    + "Their laptop gets it on its next sync; the former owner's laptop removes it on its next sync.")
        }
    }
}

/// `… history ID`: the record's story as this laptop knows it.
enum RecordHistory {
    struct Report: Encodable {
        var id: String
        var fields: [FieldLine]
        var yourChanges: [ChangeLine]
        var conflicts: [String]
        /// Every change by everyone, from the server (nil offline).
        var everyone: [HistoryEntry]?
    }

    struct FieldLine: Encodable {
        var field: String
        var value: FieldValue
        var user: String
        var device: String
        var at: Int64
    }

    struct ChangeLine: Encodable {
        var counter: UInt64
        var op: String
        var field: String?
        var value: FieldValue?
        var outcome: String
        var detail: String?
        var at: Int64?
    }

    static let abstract =
        "Every change to the record, by whom, from which device, and what became of it (from the server; offline, what this laptop knows)."

    static func show(_ entity: String, id: String, offline: Bool, options: GlobalOptions) async throws {
        let replica = try options.openReplica()
        let id = try Records.resolve(entity, id, replica: replica)
        guard let values = try replica.row(entity, id: id) else { throw ReplicaError.unknownRecord(entity: entity, id: id) }
        let schema = Records.schema(entity)
        let stamps = try replica.stamps(entity, id: id)
        let fields = schema.fields.compactMap { field -> FieldLine? in
            guard let stamp = stamps[field.name] else { return nil }
            return FieldLine(field: field.name, value: values[field.name] ?? .null, user: stamp.user, device: stamp.device, at: stamp.wall)
        }.sorted { $0.at > $1.at }
        var changes: [ChangeLine] = []
        var conflicts: [String] = []
        for pending in try replica.pendingChangeset()?.changes ?? [] where pending.entity == entity && pending.rowID == id {
            var value: FieldValue?
            if case let .update(_, newValue, _) = pending.operation { value = newValue }
            changes.append(
                ChangeLine(counter: pending.dot.counter, op: pending.operation.name, field: pending.fields.count == 1 ? pending.fields.first : nil,
                    value: value, outcome: "pending", detail: "not yet synced", at: pending.wallTime))
        }
        for recorded in try replica.outcomes() where recorded.entity == entity && recorded.rowID == id {
            var detail: String?
            switch recorded.outcome {
            case .applied: break
            case let .merged(winner, rule): detail = "\(rule) kept \(winner)"
            case let .queued(conflict):
                detail = conflict.explanation
                conflicts.append(conflict.id)
            case let .rejected(rejection): detail = "\(rejection.reason); \(rejection.remedy)"
            }
            let value = recorded.value.flatMap { try? WireJSON.decoder.decode(FieldValue.self, from: Data($0.utf8)) }
            changes.append(
                ChangeLine(counter: recorded.counter, op: recorded.op, field: recorded.field,
                    value: recorded.op == "update" ? value : nil, outcome: recorded.status, detail: detail, at: recorded.receivedAt))
        }
        var report = Report(id: id, fields: fields, yourChanges: changes.sorted { $0.counter > $1.counter }, conflicts: conflicts)
        var unreachable: String?
        if !offline {
            // One attempt: history is a look-up, and offline is the normal case on the road.
            let client = try options.client()
            var configuration = client.configuration
            configuration.maxAttempts = 1
            do {
                report.everyone = try await SyncClient(replica: client.replica, configuration: configuration).request(
                    "GET", "/v1/history/\(entity)/\(Satchel.Admin.pathComponent(id))", as: HistoryResponse.self
                ).entries
            } catch SyncClientError.transport {
                unreachable = "the server could not be reached"
            } catch SyncClientError.refused(let error, _) where error.code == .notFound {
                unreachable = "the server has no record of it yet (it has not been synced)"
            }
        }
        let output = Output(options)
        if output.json {
            try output.printJSON(report)
            return
        }
        print(output.bold("\(schema.label.capitalized) \(schema.title(of: values, id: id))"))
        if let everyone = report.everyone {
            print("Every change, oldest first (from the server):")
            output.table(
                ["WHEN", "WHO", "DEVICE", "WHAT", "VALUE", "OUTCOME", "DETAIL"],
                everyone.map { entry in
                    let type = entry.field.flatMap { schema.field($0)?.type } ?? .text(maxLength: 0)
                    let what: String
                    switch entry.kind {
                    case .change: what = entry.field.map { "set \($0)" } ?? entry.op ?? "change"
                    case .resolution: what = "resolved" + (entry.field.map { " \($0)" } ?? "")
                    case .transfer: what = "transferred"
                    case .merge: what = "merged"
                    case .import: what = "imported"
                    case .server: what = entry.field.map { "server set \($0)" } ?? "server"
                    }
                    return [
                        Output.time(entry.wall ?? entry.at), entry.user, entry.device, what,
                        entry.value.map { Output.display($0, type) } ?? "", entry.outcome.map(output.outcome) ?? "",
                        entry.detail ?? "",
                    ]
                })
        } else if let unreachable {
            print("(Everyone's changes are not shown: \(unreachable). This is what this laptop knows.)")
        }
        print("Fields, last change first:")
        output.table(
            ["FIELD", "VALUE", "BY", "DEVICE", "WHEN"],
            fields.map {
                [$0.field, Output.display($0.value, schema.field($0.field)?.type ?? .text(maxLength: 0)), $0.user, $0.device, Output.time($0.at)]
            })
        print("Your changes:")
        output.table(
            ["#", "CHANGE", "VALUE", "OUTCOME", "DETAIL"],
            report.yourChanges.map {
                let type = $0.field.flatMap { schema.field($0)?.type } ?? .text(maxLength: 0)
                return [String($0.counter), $0.field.map { "set \($0)" } ?? $0.op, $0.value.map { Output.display($0, type) } ?? "",
                    output.outcome($0.outcome), $0.detail ?? ""]
            })
    }
}
