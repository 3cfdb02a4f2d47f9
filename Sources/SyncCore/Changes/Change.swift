/// One captured write: a field write, a row insert or a tombstone.
///
/// Every change carries its ``Dot``, the HLC reading and wall time of the moment it was made,
/// and its causal context: the row's version vector as the writing replica knew it then. The
/// merger compares that context with the dot of the value it would replace; the clock is never
/// used to detect concurrency.
public struct Change: Hashable, Sendable {
    public var dot: Dot
    public var hlc: HLCTimestamp
    /// The writer's wall clock when the change was made (Unix milliseconds), for people.
    public var wallTime: Int64
    public var entity: String
    public var rowID: String
    public var context: VersionVector
    public var operation: Operation

    /// What the change does.
    public enum Operation: Hashable, Sendable {
        /// Creates a row with these values.
        case insert([String: FieldValue])
        /// Sets one field; `base` is the value the writer replaced (the common base of a merge).
        case update(field: String, value: FieldValue, base: FieldValue)
        /// Deletes the row (a tombstone).
        case delete

        public var name: String {
            switch self {
            case .insert: return "insert"
            case .update: return "update"
            case .delete: return "delete"
            }
        }
    }

    public init(
        dot: Dot, hlc: HLCTimestamp, wallTime: Int64, entity: String, rowID: String, context: VersionVector,
        operation: Operation
    ) {
        self.dot = dot
        self.hlc = hlc
        self.wallTime = wallTime
        self.entity = entity
        self.rowID = rowID
        self.context = context
        self.operation = operation
    }

    /// The fields this change writes.
    public var fields: Set<String> {
        switch operation {
        case let .insert(values): return Set(values.keys)
        case let .update(field, _, _): return [field]
        case .delete: return []
        }
    }
}
