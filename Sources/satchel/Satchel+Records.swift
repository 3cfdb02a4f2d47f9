import ArgumentParser
import Foundation
import ReplicaStore
import SatchelModel
import SyncCore

/// A record type a generic subcommand works on.
protocol EntityKind {
    static var entity: String { get }
}

/// Show/list/edit/history subcommands that are the same for every record type.
protocol RecordKind: EntityKind {
    static var columns: [String] { get }
}

struct GenericShow<Kind: RecordKind>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "show", abstract: "Show \(Records.schema(Kind.entity).labelWithArticle).")
    }
    @Argument(help: "The id (or a unique prefix).") var id: String
    @OptionGroup var options: GlobalOptions

    func run() throws { try Records.show(Kind.entity, id: id, replica: try options.openReplica(), options: options) }
}

struct GenericHistory<Kind: EntityKind>: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "history", abstract: RecordHistory.abstract)
    }
    @Argument(help: "The id (or a unique prefix).") var id: String
    @Flag(help: "Do not ask the server; show only what this laptop knows.") var offline = false
    @OptionGroup var options: GlobalOptions

    func run() async throws { try await RecordHistory.show(Kind.entity, id: id, offline: offline, options: options) }
}

struct GenericEdit<Kind: EditableKind>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "edit", abstract: "Change fields of \(Records.schema(Kind.entity).labelWithArticle) (works offline).",
            discussion: "Every option of 'add' works here too; --set reaches any other field.")
    }
    @Argument(help: "The id (or a unique prefix).") var id: String
    @OptionGroup var fields: Kind.Fields
    @Option(name: .customLong("set"), help: "A field to change, as FIELD=VALUE (repeat; an empty VALUE clears it).") var assignments: [String] = []
    @OptionGroup var options: GlobalOptions

    func run() throws {
        try Records.edit(Kind.entity, id: id, options: options) { replica, current in
            try Records.values(of: fields, assignments: assignments, entity: Kind.entity, replica: replica, current: current)
        }
    }
}

struct GenericList<Kind: RecordKind>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "list", abstract: "List every \(Records.schema(Kind.entity).label), or one account's, by \(Records.schema(Kind.entity).titleField ?? "id").")
    }
    @Option(help: "Only this account's (id or unique prefix).") var account: String?
    @Option(help: "Only those in this state (its status or stage).") var state: String?
    @OptionGroup var filter: WhereOption
    @OptionGroup var limitOption: LimitOption
    @OptionGroup var options: GlobalOptions

    func validate() throws {
        guard let state else { return }
        let schema = Records.schema(Kind.entity)
        guard let machine = schema.stateMachines.first else {
            throw ValidationError("\(schema.label) records have no state to filter by; leave out --state")
        }
        if !machine.states.contains(state) {
            throw ValidationError("--state must be one of \(machine.states.joined(separator: ", "))")
        }
    }

    func run() throws {
        let replica = try options.openReplica()
        let schema = Records.schema(Kind.entity)
        let accountID = try account.map { try Records.resolve("account", $0, replica: replica) }
        let stateField = schema.stateMachines.first?.field
        let rows = try filter.filter(try replica.rows(Kind.entity), entity: Kind.entity).filter { row in
            (accountID == nil || row.values["account_id"]?.textValue == accountID)
                && (state == nil || row.values[stateField ?? ""]?.textValue == state)
        }
        let title = schema.titleField ?? "id"
        let sorted = rows.sorted { a, b in
            let (x, y) = (a.values[title]?.textValue ?? "", b.values[title]?.textValue ?? "")
            let order = x.localizedStandardCompare(y)
            return order == .orderedSame ? a.id < b.id : order == .orderedAscending
        }
        try Records.list(Kind.entity, rows: sorted, columns: Kind.columns, limit: limitOption.limit, options: options)
    }
}

/// Sets a state-machine field (status) with optional extra fields.
enum StatusMove {
    static func run(_ entity: String, id: String, status: String, extra: [String: FieldValue] = [:], options: GlobalOptions) throws {
        try Records.edit(entity, id: id, values: extra.merging(["status": .text(status)]) { $1 }, options: options)
    }
}

// MARK: - Quotes

extension Satchel {
    struct Quotes: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "quote", abstract: "Versioned quotes; lines are final once the quote is issued.",
            subcommands: [Add.self, Line.self, SetStatus.self, GenericEdit<QuoteKind>.self, GenericShow<QuoteKind>.self,
                GenericList<QuoteKind>.self, GenericHistory<QuoteKind>.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "add", abstract: "Draft a quote for an opportunity (the next version).")
            @Option(help: "The opportunity id (or a unique prefix).") var opp: String
            @OptionGroup var fields: QuoteFields
            @Option(name: .customLong("set"), help: "Any other field, as FIELD=VALUE (repeat).") var assignments: [String] = []
            @OptionGroup var options: GlobalOptions

            func run() throws {
                let replica = try options.openReplica()
                let oppID = try Records.resolve("opportunity", opp, replica: replica)
                let opportunity = try replica.row("opportunity", id: oppID) ?? [:]
                let earlier = try replica.rows("quote").filter { $0.values["opportunity_id"]?.textValue == oppID }
                let latest = earlier.max { ($0.values["version"]?.integerValue ?? 0) < ($1.values["version"]?.integerValue ?? 0) }
                var values: [String: FieldValue] = [
                    "opportunity_id": .text(oppID), "account_id": opportunity["account_id"] ?? .null, "status": .text("draft"),
                    "version": .integer((latest?.values["version"]?.integerValue ?? 0) + 1),
                ]
                if let latest { values["supersedes"] = .text(latest.id) }
                try Records.add("quote", fields: fields, assignments: assignments, base: values, options: options)
            }
        }

        struct Line: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "line", abstract: "Add a line to a draft quote.")
            @Argument(help: "The quote id (or a unique prefix).") var quote: String
            @Option(help: "The product.") var product: String
            @Option(help: "How many.") var quantity: Int
            @Option(help: "Unit price: 125, 125.50, \"EUR 125\" or €125 (a bare price is in \(CRMSchema.defaultCurrency)).") var price: String
            @Option(help: "Discount in percent.") var discount: Int?
            @OptionGroup var options: GlobalOptions

            func run() throws {
                let replica = try options.openReplica()
                var values: [String: FieldValue] = ["quote_id": .text(try Records.resolve("quote", quote, replica: replica))]
                values.merge(
                    try Records.typed(
                        [("product", product), ("quantity", String(quantity)), ("unit_price", price), ("discount_pct", discount.map(String.init))],
                        entity: "quote_line", current: nil)
                ) { $1 }
                try Records.add("quote_line", values: values, options: options)
            }
        }

        struct SetStatus: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "status", abstract: "Move a quote: issued, accepted, rejected or superseded.")
            @Argument(help: "The quote id (or a unique prefix).") var id: String
            @Argument(help: "The new status.") var status: String
            @OptionGroup var options: GlobalOptions

            func run() throws { try StatusMove.run("quote", id: id, status: status, options: options) }
        }
    }
}

// MARK: - Orders

extension Satchel {
    struct Orders: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "order", abstract: "Orders: draft and submit offline; approval belongs to the company.",
            subcommands: [Add.self, Line.self, Submit.self, GenericEdit<OrderKind>.self, GenericShow<OrderKind>.self, GenericList<OrderKind>.self,
                GenericHistory<OrderKind>.self, GenericAttach<OrderKind>.self, GenericAttachments<OrderKind>.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "add", abstract: "Draft an order.")
            @OptionGroup var fields: OrderFields
            @Option(name: .customLong("set"), help: "Any other field, as FIELD=VALUE (repeat).") var assignments: [String] = []
            @OptionGroup var options: GlobalOptions

            func validate() throws { try Records.require([("--account", fields.account)], adding: "an order") }

            func run() throws {
                try Records.add("order", fields: fields, assignments: assignments, base: ["status": .text("draft")], options: options)
            }
        }

        struct Line: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "line", abstract: "Add a line to an order that is not yet approved.")
            @Argument(help: "The order id (or a unique prefix).") var order: String
            @Option(help: "The product.") var product: String
            @Option(help: "How many.") var quantity: Int
            @Option(help: "Unit price: 125, 125.50, \"EUR 125\" or €125 (a bare price is in \(CRMSchema.defaultCurrency)).") var price: String
            @OptionGroup var options: GlobalOptions

            func run() throws {
                let replica = try options.openReplica()
                var values: [String: FieldValue] = ["order_id": .text(try Records.resolve("order", order, replica: replica))]
                values.merge(
                    try Records.typed([("product", product), ("quantity", String(quantity)), ("unit_price", price)], entity: "order_line", current: nil)
                ) { $1 }
                try Records.add("order_line", values: values, options: options)
            }
        }

        struct Submit: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "submit", abstract: "Submit a draft order for approval.")
            @Argument(help: "The order id (or a unique prefix).") var id: String
            @OptionGroup var options: GlobalOptions

            func run() throws { try StatusMove.run("order", id: id, status: "submitted", options: options) }
        }
    }
}

// MARK: - Tickets

extension Satchel {
    struct Tickets: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ticket", abstract: "Service requests and complaints.",
            subcommands: [Add.self, SetStatus.self, GenericEdit<TicketKind>.self, GenericShow<TicketKind>.self, GenericList<TicketKind>.self,
                GenericHistory<TicketKind>.self, GenericAttach<TicketKind>.self, GenericAttachments<TicketKind>.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "add", abstract: "Open a service ticket.")
            @OptionGroup var fields: TicketFields
            @Option(name: .customLong("set"), help: "Any other field, as FIELD=VALUE (repeat).") var assignments: [String] = []
            @OptionGroup var options: GlobalOptions

            func validate() throws {
                try Records.require([("--account", fields.account), ("--type", fields.type), ("--subject", fields.subject)], adding: "a ticket")
            }

            func run() throws {
                try Records.add(
                    "ticket", fields: fields, assignments: assignments, base: ["status": .text("open"), "level": .text("standard")],
                    options: options)
            }
        }

        struct SetStatus: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "status", abstract: "Move a ticket: assigned, in_progress, resolved (needs --resolution) or closed.")
            @Argument(help: "The ticket id (or a unique prefix).") var id: String
            @Argument(help: "The new status.") var status: String
            @Option(help: "How it was solved.") var resolution: String?
            @OptionGroup var options: GlobalOptions

            func run() throws {
                try StatusMove.run("ticket", id: id, status: status, extra: resolution.map { ["resolution": .text($0)] } ?? [:], options: options)
            }
        }
    }
}

// MARK: - Tasks

extension Satchel {
    struct Tasks: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "task", abstract: "Follow-ups and to-dos.",
            subcommands: [Add.self, Done.self, GenericEdit<TaskKind>.self, GenericShow<TaskKind>.self, GenericList<TaskKind>.self,
                GenericHistory<TaskKind>.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "add", abstract: "Add a task.")
            @OptionGroup var fields: TaskFields
            @Option(name: .customLong("set"), help: "Any other field, as FIELD=VALUE (repeat).") var assignments: [String] = []
            @OptionGroup var options: GlobalOptions

            func validate() throws {
                try Records.require([("--account", fields.account), ("--subject", fields.subject)], adding: "a task")
            }

            func run() throws {
                try Records.add("task", fields: fields, assignments: assignments, base: ["status": .text("open")], options: options)
            }
        }

        struct Done: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "done", abstract: "Mark a task done.")
            @Argument(help: "The task id (or a unique prefix).") var id: String
            @OptionGroup var options: GlobalOptions

            func run() throws { try StatusMove.run("task", id: id, status: "done", options: options) }
        }
    }
}
