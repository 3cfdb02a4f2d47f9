/// How concurrent writes to one field are settled. Declared per field; evaluated by ``Merger``.
///
/// Each rule's behaviour lives in its ``FieldMergeStrategy``; the merge loop only asks the
/// strategy, so a new rule is a new strategy, not a new branch in the loop.
public enum FieldRule: String, Hashable, Sendable, Codable, CaseIterable {
    /// The higher HLC wins (replica id breaks ties); the loser's value stays in its writer's
    /// outcome (merged, with the winning value).
    case lastWriterWins = "last-writer-wins"
    /// The current value stays; a concurrent different value is queued for an admin.
    case review
    /// Only privileged writers (the server, an admin) may write; a rep's write is rejected.
    case serverOwned = "server-owned"
    /// The value only grows: concurrent or late writes keep the maximum.
    case max
    /// The value only shrinks: concurrent or late writes keep the minimum.
    case min
    /// A set where concurrent additions are united; a removal removes only what its writer saw.
    case addWinsSet = "add-wins-set"
    /// Three-way line merge against the common base; overlapping edits go to review.
    case textMerge = "text-merge"

    /// The strategy that implements this rule.
    public var strategy: any FieldMergeStrategy {
        switch self {
        case .lastWriterWins: return LastWriterWinsStrategy()
        case .review: return ReviewStrategy()
        case .serverOwned: return ServerOwnedStrategy()
        case .max: return ExtremumStrategy(keepsLarger: true)
        case .min: return ExtremumStrategy(keepsLarger: false)
        case .addWinsSet: return AddWinsSetStrategy()
        case .textMerge: return TextMergeStrategy()
        }
    }
}
