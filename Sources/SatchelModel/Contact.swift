import SyncCore

extension CRMSchema {
    /// A person at a customer (联系人); one account has many.
    public static let contact = EntitySchema(
        name: "contact", label: "contact",
        fields: [
            FieldSchema(
                "account_id", .reference(entity: "account"), .review, required: true, label: "account",
                reason: "Moving a contact to another customer changes who sees it; concurrent moves need a person."),
            FieldSchema(
                "name", .text(maxLength: 200), .lastWriterWins, required: true,
                reason: "Spelling corrections; the latest wins."),
            FieldSchema(
                "title", .text(maxLength: 200), .lastWriterWins,
                reason: "People change jobs; the most recent report wins."),
            FieldSchema(
                "phone", .text(maxLength: 40), .lastWriterWins,
                reason: "Contact details; the most recent correction wins."),
            FieldSchema(
                "email", .text(maxLength: 254), .lastWriterWins,
                reason: "Contact details; the most recent correction wins."),
            FieldSchema(
                "birthday", .date, .lastWriterWins,
                reason: "A fact with one right answer; the latest correction wins."),
            FieldSchema(
                "decision_maker", .bool, .lastWriterWins, label: "decision maker",
                reason: "Latest knowledge of who holds authority (the A of M+A+N) wins."),
            FieldSchema(
                "notes", .text(maxLength: 20_000), .textMerge,
                reason: "Free text; concurrent edits to different lines both survive."),
        ],
        deleteRule: .editWinsAndQueue,
        duplicates: NaturalKeys([NaturalKey(name: "email", fields: [("email", .words)])]),
        titleField: "name", parentField: "account_id")
}
