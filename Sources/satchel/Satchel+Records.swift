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

enum ContactKind: EntityKind { static let entity = "contact" }
enum OpportunityKind: EntityKind { static let entity = "opportunity" }

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

struct GenericEdit<Kind: RecordKind>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "edit", abstract: "Change fields (works offline).")
    }
    @Argument(help: "The id (or a unique prefix).") var id: String
    @Option(name: .customLong("set"), help: "A field to change, as FIELD=VALUE (repeat; an empty VALUE clears it).") var assignments: [String] = []
    @OptionGroup var options: GlobalOptions

    func run() throws {
        try Records.edit(Kind.entity, id: id, values: try Assignments.parse(assignments, entity: Records.schema(Kind.entity)), options: options)
    }
}

struct GenericList<Kind: RecordKind>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "list", abstract: "List every \(Records.schema(Kind.entity).label), or one account's.")
    }
    @Option(help: "Only this account's (id or unique prefix).") var account: String?
    @OptionGroup var limitOption: LimitOption
    @OptionGroup var options: GlobalOptions

    func run() throws {
        let replica = try options.openReplica()
        let accountID = try account.map { try Records.resolve("account", $0, replica: replica) }
        let rows = try replica.rows(Kind.entity).filter { accountID == nil || $0.values["account_id"]?.textValue == accountID }
        try Records.list(Kind.entity, rows: rows, columns: Kind.columns, limit: limitOption.limit, options: options)
    }
}

/// Sets a state-machine field (status) with optional extra fields.
enum StatusMove {
    static func run(_ entity: String, id: String, status: String, extra: [String: FieldValue] = [:], options: GlobalOptions) throws {
        try Records.edit(entity, id: id, values: extra.merging(["status": .text(status)]) { $1 }, options: options)
    }
}

// MARK: - Quotes

enum QuoteKind: RecordKind {
    static let entity = "quote"
    static let columns = ["opportunity_id", "version", "status", "valid_until"]
}

extension Satchel {
    struct Quotes: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "quote", abstract: "Versioned quotes; lines are final once the quote is issued.",
            subcommands: [Add.self, Line.self, SetStatus.self, GenericShow<QuoteKind>.self, GenericList<QuoteKind>.self,
                GenericHistory<QuoteKind>.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "add", abstract: "Draft a quote for an opportunity (the next version).")
            @Option(help: "The opportunity id (or a unique prefix).") var opp: String
            @Option(name: .customLong("valid-until"), help: "Offer validity (YYYY-MM-DD).") var validUntil: String?
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
                try Records.merge([("valid_until", validUntil)], into: &values, entity: "quote")
                try Records.add("quote", values: values, options: options)
            }
        }

        struct Line: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "line", abstract: "Add a line to a draft quote.")
            @Argument(help: "The quote id (or a unique prefix).") var quote: String
            @Option(help: "The product.") var product: String
            @Option(help: "How many.") var quantity: Int
            @Option(help: "Unit price with currency, e.g. \"125.00 EUR\".") var price: String
            @Option(help: "Discount in percent.") var discount: Int?
            @OptionGroup var options: GlobalOptions

            func run() throws {
                let replica = try options.openReplica()
                var values: [String: FieldValue] = ["quote_id": .text(try Records.resolve("quote", quote, replica: replica))]
                try Records.merge(
                    [("product", product), ("quantity", String(quantity)), ("unit_price", price), ("discount_pct", discount.map(String.init))],
                    into: &values, entity: "quote_line")
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

enum OrderKind: RecordKind {
    static let entity = "order"
    static let columns = ["account_id", "status", "total", "requested_delivery", "number"]
}

extension Satchel {
    struct Orders: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "order", abstract: "Orders: draft and submit offline; approval belongs to the company.",
            subcommands: [Add.self, Line.self, Submit.self, GenericEdit<OrderKind>.self, GenericShow<OrderKind>.self, GenericList<OrderKind>.self,
                GenericHistory<OrderKind>.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "add", abstract: "Draft an order.")
            @Option(help: "The account id (or a unique prefix).") var account: String
            @Option(help: "The quote it follows (id or unique prefix).") var quote: String?
            @Option(help: "Total with currency, e.g. \"12500.00 EUR\".") var total: String?
            @Option(help: "Requested delivery date (YYYY-MM-DD).") var delivery: String?
            @OptionGroup var options: GlobalOptions

            func run() throws {
                let replica = try options.openReplica()
                var values: [String: FieldValue] = [
                    "account_id": .text(try Records.resolve("account", account, replica: replica)), "status": .text("draft"),
                ]
                if let quote {
                    let quoteID = try Records.resolve("quote", quote, replica: replica)
                    values["quote_id"] = .text(quoteID)
                    values["opportunity_id"] = try replica.row("quote", id: quoteID)?["opportunity_id"] ?? .null
                }
                try Records.merge([("total", total), ("requested_delivery", delivery)], into: &values, entity: "order")
                try Records.add("order", values: values, options: options)
            }
        }

        struct Line: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "line", abstract: "Add a line to an order that is not yet approved.")
            @Argument(help: "The order id (or a unique prefix).") var order: String
            @Option(help: "The product.") var product: String
            @Option(help: "How many.") var quantity: Int
            @Option(help: "Unit price with currency, e.g. \"125.00 EUR\".") var price: String
            @OptionGroup var options: GlobalOptions

            func run() throws {
                let replica = try options.openReplica()
                var values: [String: FieldValue] = ["order_id": .text(try Records.resolve("order", order, replica: replica))]
                try Records.merge([("product", product), ("quantity", String(quantity)), ("unit_price", price)], into: &values, entity: "order_line")
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

enum TicketKind: RecordKind {
    static let entity = "ticket"
    static let columns = ["subject", "type", "level", "status", "assignee", "due"]
}

extension Satchel {
    struct Tickets: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ticket", abstract: "Service requests and complaints.",
            subcommands: [Add.self, SetStatus.self, GenericEdit<TicketKind>.self, GenericShow<TicketKind>.self, GenericList<TicketKind>.self,
                GenericHistory<TicketKind>.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "add", abstract: "Open a service ticket.")
            @Option(help: "The account id (or a unique prefix).") var account: String
            @Option(help: "repair, installation, maintenance, complaint or inquiry.") var type: String
            @Option(help: "standard, priority or critical.") var level: String = "standard"
            @Option(help: "What it is about.") var subject: String
            @Option(help: "Details.") var description: String?
            @Option(help: "Who raised it (contact id or unique prefix).") var contact: String?
            @OptionGroup var options: GlobalOptions

            func run() throws {
                let replica = try options.openReplica()
                var values: [String: FieldValue] = [
                    "account_id": .text(try Records.resolve("account", account, replica: replica)), "status": .text("open"),
                ]
                if let contact { values["contact_id"] = .text(try Records.resolve("contact", contact, replica: replica)) }
                try Records.merge(
                    [("type", type), ("level", level), ("subject", subject), ("description", description)], into: &values, entity: "ticket")
                try Records.add("ticket", values: values, options: options)
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

enum TaskKind: RecordKind {
    static let entity = "task"
    static let columns = ["subject", "due", "status", "priority", "assignee"]
}

extension Satchel {
    struct Tasks: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "task", abstract: "Follow-ups and to-dos.",
            subcommands: [Add.self, Done.self, GenericEdit<TaskKind>.self, GenericShow<TaskKind>.self, GenericList<TaskKind>.self,
                GenericHistory<TaskKind>.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "add", abstract: "Add a task.")
            @Option(help: "The account id (or a unique prefix).") var account: String
            @Option(help: "What to do.") var subject: String
            @Option(help: "Due date (YYYY-MM-DD).") var due: String?
            @Option(help: "low, normal or high.") var priority: String?
            @OptionGroup var options: GlobalOptions

            func run() throws {
                let replica = try options.openReplica()
                var values: [String: FieldValue] = [
                    "account_id": .text(try Records.resolve("account", account, replica: replica)), "status": .text("open"),
                ]
                try Records.merge([("subject", subject), ("due", due), ("priority", priority)], into: &values, entity: "task")
                try Records.add("task", values: values, options: options)
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
