import SyncCore

extension CRMSchema {
    /// A customer (客户): the root of a rep's book of business.
    public static let account = EntitySchema(
        name: "account", label: "account",
        fields: [
            FieldSchema(
                "customer_no", .text(maxLength: 32), .serverOwned, label: "customer number",
                reason: "Assigned by the company's ERP when the account is registered; a laptop never invents one."),
            FieldSchema(
                "name", .text(maxLength: 200), .review, required: true,
                reason: "The name is how everyone finds the customer; two different renames need a person to choose."),
            FieldSchema(
                "tax_id", .text(maxLength: 32), .review, label: "tax id",
                reason: "Identifies the legal entity and feeds duplicate detection; a wrong one must not win by clock."),
            FieldSchema(
                "industry", .text(maxLength: 100), .lastWriterWins,
                reason: "Descriptive; the latest correction is the best one."),
            FieldSchema(
                "type", .enumeration(accountTypes), .lastWriterWins, label: "customer type",
                reason: "Descriptive classification (consumer, business, intermediary, public); latest wins."),
            FieldSchema(
                "phone", .text(maxLength: 40), .lastWriterWins,
                reason: "Contact details change in the field; the most recent correction wins; the losing writer is told, with the winning value."),
            FieldSchema(
                "email", .text(maxLength: 254), .lastWriterWins,
                reason: "Contact details change in the field; the most recent correction wins."),
            FieldSchema(
                "address", .text(maxLength: 500), .lastWriterWins,
                reason: "Contact details change in the field; the most recent correction wins."),
            FieldSchema(
                "city", .text(maxLength: 100), .lastWriterWins,
                reason: "Part of the address; the most recent correction wins."),
            FieldSchema(
                "territory", .text(maxLength: 64), .serverOwned,
                reason: "Decides who sees the account; territories are allocated centrally (no order grabbing)."),
            FieldSchema(
                "owner", .text(maxLength: 64), .serverOwned,
                reason: "Managers allocate customers to reps (domain rule 1); ownership moves only by transfer."),
            FieldSchema(
                "value_tier", .enumeration(valueTiers), .review, label: "value tier",
                reason: "The tier (key, development, maintenance, opportunity) drives visit cadence and effort; "
                    + "disagreement needs a manager."),
            FieldSchema(
                "man_code", .enumeration(manCodes), .review, label: "M+A+N code",
                reason: "A qualification judgement (money, authority, need); two reps judging differently is worth a look."),
            FieldSchema(
                "lifecycle_state", .enumeration(lifecycle.states), .review, label: "lifecycle state",
                reason: "Guarded state machine; concurrent different moves are not comparable by time."),
            FieldSchema(
                "credit_rating", .enumeration(creditRatings), .review, label: "credit rating",
                reason: "Money is at stake: a rep may propose a rating, but a conflicting one goes to finance's queue."),
            FieldSchema(
                "credit_status", .enumeration(creditStatuses), .serverOwned, label: "credit status",
                reason: "Finance sets the credit alert (ok, watch, hold); read-only on laptops."),
            FieldSchema(
                "visit_interval_days", .integer(range: 1...365), .review, label: "visit interval",
                reason: "Set per customer level by managers; a disagreement needs a person."),
            FieldSchema(
                "mass_mail_opt_out", .bool, .max, label: "mass-mail opt-out",
                reason: "Most restrictive wins: if anyone recorded the opt-out concurrently, the customer stays opted out."),
            FieldSchema(
                "first_contacted_at", .timestamp, .min, label: "first contacted",
                reason: "Only moves back: when reps report first contact concurrently, the earliest stands (new-customer counts)."),
            FieldSchema(
                "last_contacted_at", .timestamp, .max, label: "last contacted",
                reason: "Only moves forward: concurrent visits keep the latest contact time."),
            FieldSchema(
                "notes", .text(maxLength: 20_000), .textMerge,
                reason: "Free text several reps add to; concurrent edits to different lines both survive."),
            FieldSchema(
                "tags", .stringSet, .addWinsSet,
                reason: "Labels are added independently; concurrent additions all survive, removals only of what was seen."),
        ],
        deleteRule: .editWinsAndQueue,
        duplicates: CompanyMatcher(),
        stateMachines: [lifecycle],
        titleField: "name", indexes: [["city"], ["value_tier"]])
}
