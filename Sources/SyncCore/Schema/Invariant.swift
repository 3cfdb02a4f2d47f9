/// Who is writing: decides server-owned fields and privileged state moves.
public struct Writer: Hashable, Sendable, Codable {
    public var user: String
    public var device: String
    /// True for the server's own resolver and for admins; false for reps and managers.
    public var isPrivileged: Bool

    public init(user: String, device: String, isPrivileged: Bool) {
        self.user = user
        self.device = device
        self.isPrivileged = isPrivileged
    }
}

/// A business rule a row must satisfy.
///
/// The check sees the row before and after, and may look up other rows (an order line asks
/// whether its order is approved). A change that breaks an invariant is rejected with the
/// invariant's name. Where the check runs depends on its ``Scope``.
public struct Invariant: Sendable {
    /// When an invariant is judged.
    public enum Scope: String, Hashable, Sendable {
        /// After every single change, against the row just before it: the allowed moves of a
        /// state machine. A rep's offline sequence of valid steps passes.
        case eachChange
        /// Once a batch of changes to one row is merged, against the row before the batch: rules
        /// that several fields satisfy together (a closed deal and its close reason), which a
        /// rep writes in one transaction but which arrive as separate field changes, and rules
        /// about the record as it stood (archived deals, locked orders).
        case batch
    }

    public var name: String
    /// The fields whose changes this invariant judges; changes to other fields never trip it.
    public var fields: Set<String>
    public var scope: Scope
    public var check: @Sendable (InvariantInput) -> Violation?

    public init(
        name: String, fields: Set<String>, scope: Scope = .batch,
        check: @escaping @Sendable (InvariantInput) -> Violation?
    ) {
        self.name = name
        self.fields = fields
        self.scope = scope
        self.check = check
    }
}

/// What an ``Invariant`` judges.
public struct InvariantInput {
    /// The row before the batch, or nil for a new row.
    public var before: [String: FieldValue]?
    /// The row after the batch (for a delete: its last values).
    public var after: [String: FieldValue]
    /// True when the batch deletes the row.
    public var deleting: Bool
    public var writer: Writer
    /// Looks up the live values of another row.
    public var lookup: (_ entity: String, _ id: String) -> [String: FieldValue]?

    public init(
        before: [String: FieldValue]?, after: [String: FieldValue], deleting: Bool = false, writer: Writer,
        lookup: @escaping (_ entity: String, _ id: String) -> [String: FieldValue]?
    ) {
        self.before = before
        self.after = after
        self.deleting = deleting
        self.writer = writer
        self.lookup = lookup
    }
}

/// Why an invariant failed and what to do about it.
public struct Violation: Hashable, Sendable {
    public var reason: String
    public var remedy: String

    public init(reason: String, remedy: String) {
        self.reason = reason
        self.remedy = remedy
    }
}
