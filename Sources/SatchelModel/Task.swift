import SyncCore

extension CRMSchema {
    /// A to-do: a follow-up call, a document to send.
    public static let task = EntitySchema(
        name: "task", label: "task",
        fields: [
            FieldSchema(
                "account_id", .reference(entity: "account"), .review, required: true, label: "account",
                reason: "The customer it concerns; decides visibility."),
            FieldSchema(
                "subject", .text(maxLength: 200), .lastWriterWins, required: true, reason: "A label; latest wins."),
            FieldSchema("due", .date, .lastWriterWins, reason: "Rescheduling; latest wins."),
            FieldSchema(
                "status", .enumeration(taskStatuses.states), .lastWriterWins, required: true,
                reason: "Open, done or cancelled; the most recent decision wins and the other writer is told."),
            FieldSchema(
                "assignee", .text(maxLength: 64), .review,
                reason: "Who must do it; concurrent reassignments need a person."),
            FieldSchema(
                "priority", .enumeration(taskPriorities), .lastWriterWins, reason: "Latest wins."),
            FieldSchema(
                "notes", .text(maxLength: 20_000), .textMerge,
                reason: "Free text; concurrent edits to different lines both survive."),
        ],
        deleteRule: .deleteWins,
        stateMachines: [taskStatuses],
        titleField: "subject", parentField: "account_id")
}
