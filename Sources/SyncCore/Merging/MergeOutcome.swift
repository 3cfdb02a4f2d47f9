/// What became of one pushed change. Every change gets exactly one.
public enum MergeOutcome: Hashable, Sendable {
    /// The change took effect as written.
    case applied
    /// A rule settled a concurrent write; `winner` is the value the field now holds
    /// (which may be the writer's, someone else's, or a combination).
    case merged(winner: FieldValue, rule: String)
    /// The change waits in the conflict queue.
    case queued(Conflict)
    /// The change was refused; nothing of it took effect.
    case rejected(Rejection)

    public var kind: String {
        switch self {
        case .applied: return "applied"
        case .merged: return "merged"
        case .queued: return "queued"
        case .rejected: return "rejected"
        }
    }
}

/// Why a change was refused, by which rule, and what the writer can do.
public struct Rejection: Hashable, Sendable, Codable {
    public var rule: String
    public var reason: String
    public var remedy: String

    public init(rule: String, reason: String, remedy: String) {
        self.rule = rule
        self.reason = reason
        self.remedy = remedy
    }
}

// MARK: - Codable

extension MergeOutcome: Codable {
    private enum CodingKeys: String, CodingKey {
        case kind, winner, rule, conflict, rejection
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .kind) {
        case "applied": self = .applied
        case "merged":
            self = .merged(winner: try c.decode(FieldValue.self, forKey: .winner), rule: try c.decode(String.self, forKey: .rule))
        case "queued": self = .queued(try c.decode(Conflict.self, forKey: .conflict))
        case "rejected": self = .rejected(try c.decode(Rejection.self, forKey: .rejection))
        case let other:
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: c, debugDescription: "unknown outcome '\(other)'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        switch self {
        case .applied: break
        case let .merged(winner, rule):
            try c.encode(winner, forKey: .winner)
            try c.encode(rule, forKey: .rule)
        case let .queued(conflict): try c.encode(conflict, forKey: .conflict)
        case let .rejected(rejection): try c.encode(rejection, forKey: .rejection)
        }
    }
}
