import SyncCore

extension CRMSchema {
    /// A service request or complaint (服务工单 / 投诉).
    public static let ticket = EntitySchema(
        name: "ticket", label: "service ticket",
        fields: [
            FieldSchema(
                "account_id", .reference(entity: "account"), .review, required: true, label: "account",
                reason: "The customer served; decides visibility."),
            FieldSchema(
                "contact_id", .reference(entity: "contact"), .lastWriterWins, label: "contact",
                reason: "Who raised it; the latest correction wins."),
            FieldSchema(
                "type", .enumeration(ticketTypes), .lastWriterWins, required: true, label: "service type",
                reason: "Classification; latest wins."),
            FieldSchema(
                "level", .enumeration(ticketLevels), .review, required: true, label: "service level",
                reason: "Decides response time and cost; a disagreement needs a person."),
            FieldSchema(
                "status", .enumeration(ticketStatuses.states), .review, required: true,
                reason: "Guarded: open → assigned → in progress → resolved → closed."),
            FieldSchema(
                "subject", .text(maxLength: 200), .lastWriterWins, required: true, reason: "A label; latest wins."),
            FieldSchema(
                "description", .text(maxLength: 20_000), .textMerge,
                reason: "Free text; concurrent edits to different lines both survive."),
            FieldSchema(
                "assignee", .text(maxLength: 64), .review,
                reason: "Dispatch: two different technicians sent to one job need a person to choose."),
            FieldSchema("due", .date, .lastWriterWins, reason: "Scheduling; latest wins."),
            FieldSchema(
                "resolution", .text(maxLength: 5000), .lastWriterWins,
                reason: "Required to resolve; written with the status."),
            FieldSchema(
                "customer_feedback", .text(maxLength: 5000), .serverOwned, label: "customer feedback",
                reason: "Feeds service KPIs and may concern the rep; recorded by the service desk, not the laptop."),
        ],
        deleteRule: .editWinsAndQueue,
        stateMachines: [ticketStatuses],
        titleField: "subject", parentField: "account_id")
}
