import SyncCore

extension CRMSchema {
    /// A quote (报价) for an opportunity. Quotes are versioned: a changed offer is a new quote
    /// that supersedes the old one, and lines are append-only, so successive quotes never
    /// silently disagree.
    public static let quote = EntitySchema(
        name: "quote", label: "quote",
        fields: [
            FieldSchema(
                "opportunity_id", .reference(entity: "opportunity"), .review, required: true, label: "opportunity",
                reason: "Set when the quote is drafted."),
            FieldSchema(
                "account_id", .reference(entity: "account"), .review, required: true, label: "account",
                reason: "Set when the quote is drafted; decides visibility."),
            FieldSchema(
                "version", .integer(range: 1...10_000), .review, required: true,
                reason: "Numbering of successive quotes; two reps numbering differently need a person."),
            FieldSchema(
                "supersedes", .reference(entity: "quote"), .review,
                reason: "The earlier quote this one replaces."),
            FieldSchema(
                "status", .enumeration(quoteStatuses.states), .review,
                reason: "Guarded: draft, issued, then accepted, rejected or superseded."),
            FieldSchema(
                "valid_until", .date, .lastWriterWins, label: "valid until", reason: "Offer validity; latest wins."),
            FieldSchema(
                "notes", .text(maxLength: 20_000), .textMerge,
                reason: "Free text; concurrent edits to different lines both survive."),
        ],
        deleteRule: .editWinsAndQueue,
        stateMachines: [quoteStatuses],
        titleField: "opportunity_id", parentField: "account_id")

    /// A line of a quote: append-only, and only while the quote is a draft.
    public static let quoteLine = EntitySchema(
        name: "quote_line", label: "quote line",
        fields: [
            FieldSchema(
                "quote_id", .reference(entity: "quote"), .lastWriterWins, required: true, label: "quote",
                reason: "Append-only."),
            FieldSchema("product", .text(maxLength: 200), .lastWriterWins, required: true, reason: "Append-only."),
            FieldSchema("quantity", .integer(range: 1...1_000_000_000), .lastWriterWins, required: true, reason: "Append-only."),
            FieldSchema("unit_price", .money, .lastWriterWins, required: true, label: "unit price", reason: "Append-only."),
            FieldSchema(
                "discount_pct", .integer(range: 0...100), .lastWriterWins, label: "discount", reason: "Append-only."),
        ],
        insertRule: .appendOnly,
        invariants: [
            Invariant(name: "quote_line.draft-only", fields: ["quote_id"]) { input in
                guard input.before == nil, let quoteID = input.after["quote_id"]?.textValue,
                    let status = input.lookup("quote", quoteID)?["status"]?.textValue, status != "draft"
                else { return nil }
                return Violation(
                    reason: "the quote is \(status); its lines are final",
                    remedy: "create a new version of the quote")
            }
        ],
        titleField: "product", parentField: "quote_id")
}
