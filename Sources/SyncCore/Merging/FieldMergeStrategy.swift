/// Everything a rule needs to judge one incoming field write against the current value.
public struct FieldWrite: Sendable {
    public var field: FieldSchema
    public var current: FieldValue
    /// Nil when no write has ever set the field (an insert stamps every non-null field it sets;
    /// a field set and later cleared keeps the stamp of the clearing write).
    public var currentStamp: FieldStamp?
    /// Members of an add-wins set and the dots that added them.
    public var currentMembers: [String: Dot]
    public var incoming: FieldValue
    /// The value the writer replaced.
    public var base: FieldValue
    public var incomingStamp: FieldStamp
    /// The writer's causal context for the row.
    public var context: VersionVector
    public var writer: Writer

    /// True when the writer had not seen the current value: the two writes are concurrent.
    public var isConcurrent: Bool {
        guard let currentStamp else { return false }
        return !currentStamp.isCovered(by: context)
    }
}

/// A rule's verdict on one field write.
public enum FieldResolution: Hashable, Sendable {
    /// The incoming value takes the field.
    case adopt
    /// The current value stays; the incoming one lost by rule.
    case keep
    /// The field takes a combination of both (a max, a set union, a merged text).
    case combine(FieldValue, members: [String: Dot]?)
    /// The current value stays and the incoming one goes to the conflict queue.
    case queue(reason: String)
    /// The write is refused.
    case reject(Rejection)
}

/// The behaviour of one ``FieldRule``.
public protocol FieldMergeStrategy: Sendable {
    func resolve(_ write: FieldWrite) -> FieldResolution
}

// MARK: - The strategies

/// Last-writer-wins: causal writes apply; concurrent ones compare (HLC, replica id).
public struct LastWriterWinsStrategy: FieldMergeStrategy {
    public func resolve(_ write: FieldWrite) -> FieldResolution {
        guard write.isConcurrent, let current = write.currentStamp else { return .adopt }
        return write.incomingStamp.wins(over: current) ? .adopt : .keep
    }
}

/// Review: causal writes apply; a concurrent different value is queued and the current one stays.
public struct ReviewStrategy: FieldMergeStrategy {
    public func resolve(_ write: FieldWrite) -> FieldResolution {
        guard write.isConcurrent else { return .adopt }
        if write.incoming == write.current { return .keep }
        return .queue(reason: "\(write.field.label) needs review")
    }
}

/// Server-owned: only privileged writers; between them, last-writer-wins.
public struct ServerOwnedStrategy: FieldMergeStrategy {
    public func resolve(_ write: FieldWrite) -> FieldResolution {
        guard write.writer.isPrivileged else {
            return .reject(
                Rejection(
                    rule: FieldRule.serverOwned.rawValue,
                    reason: "\(write.field.label) is set by the company, not on a laptop",
                    remedy: "ask an admin or your manager to change \(write.field.label)"))
        }
        return LastWriterWinsStrategy().resolve(write)
    }
}

/// Max or min: concurrent writes keep the larger (or smaller) value, so the field only moves
/// one way whatever the order of arrival. Integers and timestamps compare numerically; for a
/// boolean, true is the larger (so "most restrictive wins" for an opt-out flag). A write made
/// after seeing the current value applies as written: a person may correct a wrong value.
public struct ExtremumStrategy: FieldMergeStrategy {
    public var keepsLarger: Bool

    public func resolve(_ write: FieldWrite) -> FieldResolution {
        guard write.isConcurrent else { return .adopt }
        guard let incoming = Self.rank(write.incoming) else { return .keep }
        guard let current = Self.rank(write.current) else { return .adopt }
        let incomingWins = keepsLarger ? incoming > current : incoming < current
        return incomingWins ? .adopt : .keep
    }

    static func rank(_ value: FieldValue) -> Int64? {
        switch value {
        case let .integer(number): return number
        case let .bool(flag): return flag ? 1 : 0
        default: return nil
        }
    }
}

/// Add-wins set (an observed-remove set): additions always land; a removal removes a member
/// only if the writer had seen the write that added it.
public struct AddWinsSetStrategy: FieldMergeStrategy {
    public func resolve(_ write: FieldWrite) -> FieldResolution {
        let incoming = Set(write.incoming.setValue ?? [])
        let base = Set(write.base.setValue ?? [])
        var members = write.currentMembers
        if members.isEmpty, let current = write.current.setValue, let stamp = write.currentStamp {
            for member in current { members[member] = stamp.dot }
        }
        for removed in base.subtracting(incoming) {
            if let added = members[removed], write.context.covers(added) {
                members[removed] = nil
            }
        }
        for added in incoming.subtracting(base) {
            members[added] = write.incomingStamp.dot
        }
        // A member the writer kept but never re-added stays with its original dot.
        return .combine(.stringSet(members.keys.sorted()), members: members)
    }
}

/// Text merge: concurrent edits are merged line by line against the base; overlaps go to review.
public struct TextMergeStrategy: FieldMergeStrategy {
    public func resolve(_ write: FieldWrite) -> FieldResolution {
        guard write.isConcurrent else { return .adopt }
        let base = write.base.textValue ?? ""
        let current = write.current.textValue ?? ""
        let incoming = write.incoming.textValue ?? ""
        guard let merged = TextMerge.merge(base: base, ours: current, theirs: incoming) else {
            return .queue(reason: "both edited the same lines of \(write.field.label)")
        }
        return .combine(merged.isEmpty && write.incoming.isNull ? .null : .text(merged), members: nil)
    }
}
