import SyncCore

extension CRMSchema {
    /// A visit or other interaction (拜访记录): an immutable event. Reps' visits accumulate and
    /// never conflict; a correction is a new visit.
    public static let visit = EntitySchema(
        name: "visit", label: "visit",
        fields: [
            FieldSchema(
                "account_id", .reference(entity: "account"), .lastWriterWins, required: true, label: "account",
                reason: "Append-only: set once when the visit is logged."),
            FieldSchema(
                "contact_ids", .stringSet, .addWinsSet, label: "contacts",
                reason: "Append-only: the contacts met, set once."),
            FieldSchema(
                "rep", .text(maxLength: 64), .lastWriterWins, required: true,
                reason: "Append-only: who visited."),
            FieldSchema(
                "started_at", .timestamp, .lastWriterWins, required: true, label: "start",
                reason: "Append-only: when the visit began."),
            FieldSchema(
                "ended_at", .timestamp, .lastWriterWins, label: "end", reason: "Append-only: when it ended."),
            FieldSchema(
                "channel", .enumeration(visitChannels), .lastWriterWins, required: true,
                reason: "Append-only: face to face, phone, video, email, event or other."),
            FieldSchema(
                "purpose", .text(maxLength: 500), .lastWriterWins, required: true, reason: "Append-only."),
            FieldSchema("outcome", .text(maxLength: 2000), .lastWriterWins, reason: "Append-only."),
            FieldSchema("notes", .text(maxLength: 20_000), .lastWriterWins, reason: "Append-only."),
            FieldSchema(
                "next_step", .text(maxLength: 500), .lastWriterWins, label: "next step", reason: "Append-only."),
            FieldSchema(
                "next_visit_due", .date, .lastWriterWins, label: "next visit due", reason: "Append-only."),
            FieldSchema(
                "met_decision_maker", .bool, .lastWriterWins, label: "met decision maker",
                reason: "Append-only; feeds the 'times met the decision maker' KPI."),
            FieldSchema("location", .location, .lastWriterWins, reason: "Append-only; optional."),
        ],
        insertRule: .appendOnly,
        invariants: [
            Invariant(name: "visit.ends-after-start", fields: ["started_at", "ended_at"]) { input in
                guard let start = input.after["started_at"]?.integerValue,
                    let end = input.after["ended_at"]?.integerValue, end < start
                else { return nil }
                return Violation(reason: "the visit ends before it starts", remedy: "check the time and the duration")
            }
        ],
        titleField: "purpose", parentField: "account_id", indexes: [["account_id", "started_at"], ["started_at"]],
        // A visit moves its account's last contact forward and its first contact back (domain:
        // "visit count and last-contact date" drive the cadence reports).
        propagations: [
            Propagation(reference: "account_id", source: "started_at", targets: ["last_contacted_at", "first_contacted_at"])
        ])
}
