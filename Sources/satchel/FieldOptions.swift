import ArgumentParser
import ReplicaStore
import SatchelModel
import SyncCore

/// The typed options of one record type (`--phone`, `--amount`), declared once and shared by
/// its `add` and `edit` commands: whatever `add` takes, `edit` takes too, beside `--set`.
protocol FieldOptions: ParsableArguments {
    /// The fields these options set. `current` is the record being edited (nil when adding): a
    /// bare amount keeps its currency.
    func values(replica: Replica, current: [String: FieldValue]?) throws -> [String: FieldValue]
}

/// A record type whose `edit` takes typed options.
protocol EditableKind: RecordKind {
    associatedtype Fields: FieldOptions
}

extension Records {
    /// Typed option texts as field values (nil texts are options not given).
    static func typed(_ pairs: [(String, String?)], entity: String, current: [String: FieldValue]?) throws -> [String: FieldValue] {
        var values: [String: FieldValue] = [:]
        for (field, text) in pairs {
            guard let text else { continue }
            values[field] = try Assignments.value(text, field: field, entity: schema(entity), current: current?[field])
        }
        return values
    }

    /// The id a typed option names (a full id or a unique prefix), as a field value; nil when
    /// the option was not given.
    static func reference(to entity: String, _ text: String?, replica: Replica) throws -> FieldValue? {
        try text.map { .text(try resolve(entity, $0, replica: replica)) }
    }

    /// `--set` assignments and typed options together; a field given both ways is an error.
    static func values(
        of fields: some FieldOptions, assignments: [String], entity: String, replica: Replica, current: [String: FieldValue]?
    ) throws -> [String: FieldValue] {
        var values = try Assignments.parse(assignments, entity: schema(entity), current: current)
        for (name, value) in try fields.values(replica: replica, current: current) {
            guard values[name] == nil else { throw CLIError("\(name) is given by an option and by --set; give it once") }
            values[name] = value
        }
        return values
    }
}

// MARK: - Accounts

enum AccountKind: EditableKind {
    static let entity = "account"
    static let columns = ["name", "city", "phone", "value_tier", "territory", "owner"]
    typealias Fields = AccountFields
}

struct AccountFields: FieldOptions {
    @Option(help: "The customer's name (needed to add).") var name: String?
    @Option(help: "Phone number.") var phone: String?
    @Option(help: "Email address.") var email: String?
    @Option(help: "Street address.") var address: String?
    @Option(help: "City.") var city: String?
    @Option(help: "Industry.") var industry: String?
    @Option(help: "Value tier: key, development, maintenance or opportunity.") var tier: String?
    @Option(help: "Customer type: consumer, business, intermediary or public.") var type: String?
    @Option(name: .customLong("tax-id"), help: "Tax id.") var taxID: String?

    func values(replica: Replica, current: [String: FieldValue]?) throws -> [String: FieldValue] {
        try Records.typed(
            [("name", name), ("phone", phone), ("email", email), ("address", address), ("city", city), ("industry", industry),
             ("value_tier", tier), ("type", type), ("tax_id", taxID)],
            entity: "account", current: current)
    }
}

// MARK: - Contacts

enum ContactKind: EditableKind {
    static let entity = "contact"
    static let columns = ["name", "title", "phone", "email", "decision_maker"]
    typealias Fields = ContactFields
}

struct ContactFields: FieldOptions {
    @Option(help: "The account id or a unique prefix (needed to add).") var account: String?
    @Option(help: "The person's name (needed to add).") var name: String?
    @Option(help: "Job title.") var title: String?
    @Option(help: "Phone number.") var phone: String?
    @Option(help: "Email address.") var email: String?
    @Flag(
        name: .customLong("decision-maker"), inversion: .prefixedNo,
        help: "This person decides (the A of M+A+N), or not.")
    var decisionMaker: Bool?

    func values(replica: Replica, current: [String: FieldValue]?) throws -> [String: FieldValue] {
        var values = try Records.typed(
            [("name", name), ("title", title), ("phone", phone), ("email", email)], entity: "contact", current: current)
        values["account_id"] = try Records.reference(to: "account", account, replica: replica)
        if let decisionMaker { values["decision_maker"] = .bool(decisionMaker) }
        return values
    }
}

// MARK: - Opportunities

enum OpportunityKind: EditableKind {
    static let entity = "opportunity"
    static let columns = ["name", "stage", "amount", "probability", "expected_close"]
    typealias Fields = OpportunityFields
}

struct OpportunityFields: FieldOptions {
    @Option(help: "The account id or a unique prefix (needed to add).") var account: String?
    @Option(help: "What the deal is (needed to add).") var name: String?
    @Option(
        help: """
            Expected amount (needed to add): 12000, 12,000.50, "EUR 12000", 12000 EUR or €12000; \
            a bare amount is in --currency, else the opportunity's own currency, else \(CRMSchema.defaultCurrency).
            """)
    var amount: String?
    @Option(help: "The currency of a bare --amount (an ISO code such as EUR, USD or CNY).") var currency: String?
    @Option(help: "Stage: prospecting (when adding, the default), follow_up, negotiation, quote or contract.") var stage: String?
    @Option(help: "Probability in percent.") var probability: Int?
    @Option(name: .customLong("close"), help: "Expected close date (YYYY-MM-DD).") var expectedClose: String?

    func validate() throws {
        if currency != nil, amount == nil { throw ValidationError("--currency says which currency --amount is in; give --amount too") }
    }

    func values(replica: Replica, current: [String: FieldValue]?) throws -> [String: FieldValue] {
        var values = try Records.typed(
            [("name", name), ("stage", stage), ("probability", probability.map(String.init)), ("expected_close", expectedClose)],
            entity: "opportunity", current: current)
        values["account_id"] = try Records.reference(to: "account", account, replica: replica)
        if let amount {
            var basis = current?["amount"]
            if let currency {
                let code = currency.uppercased()
                guard Money.isoCodes.contains(code) else {
                    throw CLIError("--currency '\(currency)' is not a currency code; write one such as EUR, USD or CNY")
                }
                basis = .money(Money(minor: 0, currency: code))
            }
            let money = try Assignments.value(amount, field: "amount", entity: Records.schema("opportunity"), current: basis)
            if let code = basis?.moneyValue?.currency, currency != nil, money.moneyValue?.currency != code {
                throw CLIError("--amount '\(amount)' is not in --currency \(code); give the currency once")
            }
            values["amount"] = money
        }
        return values
    }
}

// MARK: - Quotes

enum QuoteKind: EditableKind {
    static let entity = "quote"
    static let columns = ["opportunity_id", "version", "status", "valid_until"]
    typealias Fields = QuoteFields
}

/// A quote's opportunity is fixed when it is drafted (versions follow one another), so `--opp`
/// belongs to `quote add` alone.
struct QuoteFields: FieldOptions {
    @Option(name: .customLong("valid-until"), help: "Offer validity (YYYY-MM-DD).") var validUntil: String?

    func values(replica: Replica, current: [String: FieldValue]?) throws -> [String: FieldValue] {
        try Records.typed([("valid_until", validUntil)], entity: "quote", current: current)
    }
}

// MARK: - Orders

enum OrderKind: EditableKind {
    static let entity = "order"
    static let columns = ["account_id", "status", "total", "requested_delivery", "number"]
    typealias Fields = OrderFields
}

struct OrderFields: FieldOptions {
    @Option(help: "The account id or a unique prefix (needed to add).") var account: String?
    @Option(help: "The quote it follows (id or unique prefix).") var quote: String?
    @Option(help: "Total: 12500, 12,500.00, \"EUR 12500\" or €12500 (a bare amount keeps the order's currency).") var total: String?
    @Option(help: "Requested delivery date (YYYY-MM-DD).") var delivery: String?

    func values(replica: Replica, current: [String: FieldValue]?) throws -> [String: FieldValue] {
        var values = try Records.typed([("total", total), ("requested_delivery", delivery)], entity: "order", current: current)
        values["account_id"] = try Records.reference(to: "account", account, replica: replica)
        if let quote {
            let quoteID = try Records.resolve("quote", quote, replica: replica)
            values["quote_id"] = .text(quoteID)
            values["opportunity_id"] = try replica.row("quote", id: quoteID)?["opportunity_id"] ?? .null
        }
        return values
    }
}

// MARK: - Tickets

enum TicketKind: EditableKind {
    static let entity = "ticket"
    static let columns = ["subject", "type", "level", "status", "assignee", "due"]
    typealias Fields = TicketFields
}

struct TicketFields: FieldOptions {
    @Option(help: "The account id or a unique prefix (needed to add).") var account: String?
    @Option(help: "repair, installation, maintenance, complaint or inquiry (needed to add).") var type: String?
    @Option(help: "standard (when adding, the default), priority or critical.") var level: String?
    @Option(help: "What it is about (needed to add).") var subject: String?
    @Option(help: "Details.") var description: String?
    @Option(help: "Who raised it (contact id or unique prefix).") var contact: String?

    func values(replica: Replica, current: [String: FieldValue]?) throws -> [String: FieldValue] {
        var values = try Records.typed(
            [("type", type), ("level", level), ("subject", subject), ("description", description)], entity: "ticket", current: current)
        values["account_id"] = try Records.reference(to: "account", account, replica: replica)
        values["contact_id"] = try Records.reference(to: "contact", contact, replica: replica)
        return values
    }
}

// MARK: - Tasks

enum TaskKind: EditableKind {
    static let entity = "task"
    static let columns = ["subject", "due", "status", "priority", "assignee"]
    typealias Fields = TaskFields
}

struct TaskFields: FieldOptions {
    @Option(help: "The account id or a unique prefix (needed to add).") var account: String?
    @Option(help: "What to do (needed to add).") var subject: String?
    @Option(help: "Due date (YYYY-MM-DD).") var due: String?
    @Option(help: "low, normal or high.") var priority: String?

    func values(replica: Replica, current: [String: FieldValue]?) throws -> [String: FieldValue] {
        var values = try Records.typed([("subject", subject), ("due", due), ("priority", priority)], entity: "task", current: current)
        values["account_id"] = try Records.reference(to: "account", account, replica: replica)
        return values
    }
}
