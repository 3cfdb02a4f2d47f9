import SyncCore

/// The standard workload's tables (`crm-50x200`, ../shared/bench/WORKLOAD.md) declared in
/// SyncCore's terms, with the rule the CRM gives each kind of field.
///
/// The workload's `accounts` table is not the CRM's account (its `owner` is free text a rep
/// edits, it has `credit_limit` and `annual_revenue`), so the benchmark declares it as it is
/// rather than bending the data. The rules follow the CRM's choices for the same kinds of
/// field (Docs/conflict-rules.md): contact details by last writer, money and identity by review,
/// notes by text merge. Visits are append-only, as in the CRM.
public enum WorkloadSchema {
    public static let version = 1

    /// The twelve account fields, in the workload's order.
    public static let accountFields = [
        "name", "industry", "tier", "phone", "email", "address", "city", "owner", "credit_limit", "annual_revenue",
        "status", "notes",
    ]
    public static let integerFields: Set<String> = ["credit_limit", "annual_revenue"]
    public static let visitFields = ["account_id", "rep", "ts", "kind", "outcome", "notes"]

    /// Accounts are placed by their territory (and, as the hub always did for this table, by the
    /// free-text owner): reps see their own accounts and the key accounts.
    public static let schema = Schema(
        version: version, entities: [account, visit],
        placement: Placement(root: "account", territoryField: "territory", ownerField: "owner"))

    static let account = EntitySchema(
        name: "account",
        fields: [
            FieldSchema("name", .text(maxLength: 200), .review, reason: "Identity: two renames need a person (CRM: name)."),
            FieldSchema("industry", .text(maxLength: 100), .lastWriterWins, reason: "Descriptive (CRM: industry)."),
            FieldSchema("tier", .text(maxLength: 32), .review, reason: "Drives effort (CRM: value tier)."),
            FieldSchema("phone", .text(maxLength: 40), .lastWriterWins, reason: "Contact detail (CRM: phone)."),
            FieldSchema("email", .text(maxLength: 254), .lastWriterWins, reason: "Contact detail (CRM: email)."),
            FieldSchema("address", .text(maxLength: 500), .lastWriterWins, reason: "Contact detail (CRM: address)."),
            FieldSchema("city", .text(maxLength: 100), .lastWriterWins, reason: "Contact detail (CRM: city)."),
            FieldSchema("owner", .text(maxLength: 64), .lastWriterWins, reason: "Free text in this workload."),
            FieldSchema(
                "credit_limit", .integer(range: 0...Int64.max), .review,
                reason: "Money is at stake (CRM: credit rating)."),
            FieldSchema(
                "annual_revenue", .integer(range: 0...Int64.max), .lastWriterWins, reason: "Descriptive figure."),
            FieldSchema("status", .text(maxLength: 32), .lastWriterWins, reason: "Descriptive."),
            FieldSchema("notes", .text(maxLength: 20_000), .textMerge, reason: "Free text (CRM: notes)."),
            FieldSchema(
                "territory", .text(maxLength: 64), .serverOwned,
                reason: "Placement for visibility: the rep's own accounts, or key-accounts (not part of the digest)."),
        ],
        deleteRule: .editWinsAndQueue, titleField: "name")

    static let visit = EntitySchema(
        name: "visit",
        fields: [
            FieldSchema("account_id", .reference(entity: "account"), .lastWriterWins, required: true, reason: "Append-only."),
            FieldSchema("rep", .text(maxLength: 64), .lastWriterWins, reason: "Append-only."),
            FieldSchema("ts", .integer(range: 0...Int64.max), .lastWriterWins, reason: "Append-only."),
            FieldSchema("kind", .text(maxLength: 32), .lastWriterWins, reason: "Append-only."),
            FieldSchema("outcome", .text(maxLength: 32), .lastWriterWins, reason: "Append-only."),
            FieldSchema("notes", .text(maxLength: 2000), .lastWriterWins, reason: "Append-only."),
        ],
        insertRule: .appendOnly, deleteRule: .never, parentField: "account_id")
}
