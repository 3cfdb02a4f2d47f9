import SyncCore

extension CRMSchema {
    /// A sales order or contract (销售订单 / 合同). Drafted and submitted on the laptop; approved
    /// and executed by the company. Once approved its commercial fields and lines are locked.
    public static let order = EntitySchema(
        name: "order", label: "order",
        fields: [
            FieldSchema(
                "account_id", .reference(entity: "account"), .review, required: true, label: "account",
                reason: "The customer ordering; decides visibility."),
            FieldSchema(
                "opportunity_id", .reference(entity: "opportunity"), .review, label: "opportunity",
                reason: "The deal this order closes."),
            FieldSchema("quote_id", .reference(entity: "quote"), .review, label: "quote", reason: "The accepted quote."),
            FieldSchema(
                "number", .text(maxLength: 32), .serverOwned, label: "order number",
                reason: "Issued by the ERP on approval."),
            FieldSchema(
                "status", .enumeration(orderStatuses.states), .review,
                reason: "Guarded: draft → submitted → approved → in execution → closed; approval is server-owned."),
            FieldSchema(
                "total", .money, .review,
                reason: "A price: a conflicting figure must be reviewed, never picked by clock."),
            FieldSchema(
                "requested_delivery", .date, .lastWriterWins, label: "requested delivery",
                reason: "The customer's latest wish wins while the order is a draft."),
            FieldSchema(
                "special", .bool, .review, label: "special order",
                reason: "Special orders take another approval path; a disagreement needs a person."),
            FieldSchema(
                "notes", .text(maxLength: 20_000), .textMerge,
                reason: "Free text; concurrent edits to different lines both survive."),
        ],
        deleteRule: .editWinsAndQueue,
        invariants: [
            Invariant(
                name: "order.locked-after-approval",
                fields: ["account_id", "opportunity_id", "quote_id", "total", "requested_delivery", "special"]
            ) { input in
                guard let status = input.before?["status"]?.textValue, lockedOrderStatuses.contains(status),
                    !input.writer.isPrivileged
                else { return nil }
                let locked = ["account_id", "opportunity_id", "quote_id", "total", "requested_delivery", "special"]
                guard input.deleting || locked.contains(where: { input.before?[$0] != input.after[$0] }) else { return nil }
                return Violation(
                    reason: "the order is \(status); its commercial terms are locked",
                    remedy: "ask for a change order through your manager")
            }
        ],
        stateMachines: [orderStatuses],
        titleField: "number", parentField: "account_id")

    /// A line of an order; editable while the order is a draft or submitted, locked after approval.
    public static let orderLine = EntitySchema(
        name: "order_line", label: "order line",
        fields: [
            FieldSchema(
                "order_id", .reference(entity: "order"), .review, required: true, label: "order",
                reason: "Set when the line is added."),
            FieldSchema(
                "product", .text(maxLength: 200), .review, required: true,
                reason: "Order lines are commercial terms: conflicting edits go to review."),
            FieldSchema(
                "quantity", .integer(range: 1...1_000_000_000), .review, required: true,
                reason: "Order lines are commercial terms: conflicting edits go to review."),
            FieldSchema(
                "unit_price", .money, .review, required: true, label: "unit price",
                reason: "A price: conflicting edits go to review."),
        ],
        deleteRule: .editWinsAndQueue,
        invariants: [
            Invariant(name: "order_line.locked-after-approval", fields: ["order_id", "product", "quantity", "unit_price"]) {
                input in
                guard !input.writer.isPrivileged,
                    let orderID = (input.before?["order_id"] ?? input.after["order_id"])?.textValue,
                    let status = input.lookup("order", orderID)?["status"]?.textValue,
                    lockedOrderStatuses.contains(status)
                else { return nil }
                return Violation(
                    reason: "the order is \(status); its lines are locked",
                    remedy: "ask for a change order through your manager")
            }
        ],
        titleField: "product", parentField: "order_id")
}
