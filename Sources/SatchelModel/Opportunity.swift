import SyncCore

extension CRMSchema {
    /// A sales opportunity (商机) moving through the funnel.
    public static let opportunity = EntitySchema(
        name: "opportunity", label: "opportunity",
        fields: [
            FieldSchema(
                "account_id", .reference(entity: "account"), .review, required: true, label: "account",
                reason: "Re-homing a deal changes who sees it; concurrent moves need a person."),
            FieldSchema(
                "name", .text(maxLength: 200), .lastWriterWins, required: true,
                reason: "A label; the latest wording wins."),
            FieldSchema(
                "amount", .money, .review,
                reason: "Expected deal amount drives the forecast; two different figures need the owner to decide."),
            FieldSchema(
                "probability", .integer(range: 0...100), .lastWriterWins,
                reason: "The rep's current estimate; the latest estimate wins."),
            FieldSchema(
                "stage", .enumeration(opportunityStages.states), .review,
                reason: "Guarded state machine; two reps moving one deal differently need a person."),
            FieldSchema(
                "expected_close", .date, .lastWriterWins, label: "expected close",
                reason: "An estimate; the latest wins."),
            FieldSchema(
                "close_reason", .text(maxLength: 500), .lastWriterWins, label: "close reason",
                reason: "Required to close; written together with the stage."),
            FieldSchema(
                "lost_reason", .text(maxLength: 500), .lastWriterWins, label: "lost reason",
                reason: "Required to close as lost (丢单原因 analysis)."),
            FieldSchema(
                "competitor", .text(maxLength: 200), .lastWriterWins,
                reason: "Latest competitive intelligence wins; the other writer is told which value won."),
            FieldSchema(
                "owner", .text(maxLength: 64), .serverOwned,
                reason: "Managers assign opportunities by ability (domain rule 18)."),
            FieldSchema(
                "notes", .text(maxLength: 20_000), .textMerge,
                reason: "Free text; concurrent edits to different lines both survive."),
        ],
        deleteRule: .editWinsAndQueue,
        invariants: [
            Invariant(name: "opportunity.archived", fields: ["account_id", "name", "amount", "probability", "stage",
                "expected_close", "close_reason", "lost_reason", "competitor", "notes"]) { input in
                guard let stage = input.before?["stage"]?.textValue, closedStages.contains(stage),
                    !input.writer.isPrivileged, input.deleting || input.before != input.after
                else { return nil }
                return Violation(
                    reason: "the opportunity is closed (\(stage)) and archived",
                    remedy: "open a new opportunity for new business")
            }
        ],
        stateMachines: [opportunityStages],
        titleField: "name", parentField: "account_id", indexes: [["stage"]])
}
