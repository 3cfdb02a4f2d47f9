import SyncCore

/// The CRM, declared in SyncCore's terms: every entity, field and rule in one readable table.
///
/// `Docs/conflict-rules.md` is this table in prose; ``CRMSchema/rulesMarkdown()`` prints it, and
/// a test checks the document lists every field with the rule declared here.
public enum CRMSchema {
    /// The company's currency: a bare amount on a new record ("--amount 12000") is in it; on an
    /// existing record a bare amount keeps the record's currency.
    public static let defaultCurrency = "EUR"

    /// The schema version replicas and the server agree on.
    /// (2: attachments; a laptop on 2 is told to wait for a server on 1, whose pushes a server
    /// on 2 still takes.)
    public static let version = 2

    public static let schema = Schema(
        version: version,
        entities: [
            account, contact, visit, opportunity, quote, quoteLine, order, orderLine, ticket, task, attachment,
        ],
        placement: placement, files: files, releases: releases)

    /// The built-in steps of each release (``SchemaRelease``): what a laptop or a server store
    /// made by an older release applies when it opens, and how a change written under an older
    /// schema is read. `Docs/schema-evolution.md` says how to write the next one.
    public static let releases = [
        SchemaRelease(version: 2, steps: [.addEntity("attachment")])
    ]

    /// An attachment describes one photo or document; its bytes are uploaded apart and kept by
    /// their SHA-256, counted against the quota of the rep who attached it.
    public static let files = FileFields(
        entity: "attachment", hashField: "sha256", sizeField: "size", mediaTypeField: "media_type", uploadedField: "uploaded_at",
        ownerField: "attached_by")

    /// A book of business is a set of accounts: an account's territory and owner decide who sees
    /// it and every record under it; an account a rep creates is theirs, in their territory.
    public static let placement = Placement(root: "account", territoryField: "territory", ownerField: "owner")

    // MARK: - Vocabularies

    public static let accountTypes = ["consumer", "business", "intermediary", "public"]
    public static let valueTiers = ["key", "development", "maintenance", "opportunity"]
    /// The customer-condition alphabet: upper case has the attribute (Money, Authority, Need).
    public static let manCodes = ["M+A+N", "M+A+n", "M+a+N", "m+A+N", "m+A+n", "M+a+n", "m+a+n", "m+a+N"]
    public static let creditRatings = ["AAA", "AA", "A", "BBB", "BB", "B", "C", "D"]
    public static let creditStatuses = ["ok", "watch", "hold"]
    public static let visitChannels = ["face_to_face", "phone", "video", "email", "event", "other"]
    public static let ticketTypes = ["repair", "installation", "maintenance", "complaint", "inquiry"]
    public static let ticketLevels = ["standard", "priority", "critical"]
    public static let taskPriorities = ["low", "normal", "high"]

    // MARK: - State machines

    /// Customer lifecycle (待识别 → 潜在 → 机会 → 订单客户 → 用户, and churn/win-back).
    public static let lifecycle = StateMachine(
        field: "lifecycle_state",
        states: ["to_be_identified", "potential", "opportunity", "order_customer", "user", "lost"],
        initial: ["to_be_identified", "potential", "opportunity", "order_customer", "user"],
        transitions: [
            "to_be_identified": ["potential", "lost"],
            "potential": ["opportunity", "lost"],
            "opportunity": ["potential", "order_customer", "lost"],
            "order_customer": ["user", "lost"],
            "user": ["order_customer", "lost"],
            "lost": ["potential", "opportunity", "order_customer"],
        ])

    public static let openStages = ["prospecting", "follow_up", "negotiation", "quote", "contract"]
    public static let closedStages = ["closed_won", "closed_lost"]

    /// Opportunity stages: open stages move freely among themselves; closing needs a reason
    /// (and a lost reason when lost); a closed opportunity is archived.
    public static let opportunityStages = StateMachine(
        field: "stage",
        states: openStages + closedStages,
        initial: Set(openStages),
        transitions: Dictionary(
            uniqueKeysWithValues: openStages.map { stage in
                (stage, Set(openStages + closedStages).subtracting([stage]))
            } + closedStages.map { ($0, []) }),
        requirements: ["closed_won": ["close_reason"], "closed_lost": ["close_reason", "lost_reason"]])

    public static let quoteStatuses = StateMachine(
        field: "status",
        states: ["draft", "issued", "accepted", "rejected", "superseded"],
        initial: ["draft"],
        transitions: [
            "draft": ["issued", "superseded"],
            "issued": ["accepted", "rejected", "superseded"],
            "accepted": [], "rejected": [], "superseded": [],
        ])

    /// Orders: a rep drafts and submits; approval and execution belong to the server.
    public static let orderStatuses = StateMachine(
        field: "status",
        states: ["draft", "submitted", "approved", "in_execution", "closed", "cancelled"],
        initial: ["draft", "submitted"],
        transitions: [
            "draft": ["submitted", "cancelled"],
            "submitted": ["draft", "approved", "cancelled"],
            "approved": ["in_execution", "cancelled"],
            "in_execution": ["closed"],
            "closed": [], "cancelled": [],
        ],
        privilegedTargets: ["approved", "in_execution", "closed"])

    public static let lockedOrderStatuses: Set<String> = ["approved", "in_execution", "closed"]

    public static let ticketStatuses = StateMachine(
        field: "status",
        states: ["open", "assigned", "in_progress", "resolved", "closed"],
        initial: ["open", "assigned"],
        transitions: [
            "open": ["assigned", "in_progress", "resolved"],
            "assigned": ["open", "in_progress", "resolved"],
            "in_progress": ["assigned", "resolved"],
            "resolved": ["in_progress", "closed"],
            "closed": [],
        ],
        requirements: ["resolved": ["resolution"], "closed": ["resolution"]])

    public static let taskStatuses = StateMachine(
        field: "status",
        states: ["open", "done", "cancelled"],
        initial: ["open"],
        transitions: ["open": ["done", "cancelled"], "done": ["open"], "cancelled": ["open"]])
}
