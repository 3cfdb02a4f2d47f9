/// How an entity's rows are created.
public enum InsertRule: String, Hashable, Sendable, Codable {
    /// Ordinary records: inserted once, then edited field by field.
    case mutable
    /// Immutable events: inserts never conflict; updates and deletes are rejected.
    case appendOnly = "append-only"
}

/// What happens when a delete meets a concurrent edit.
public enum DeleteRule: String, Hashable, Sendable, Codable {
    /// Keep the edited row and queue the delete for review (the default for CRM records).
    case editWinsAndQueue = "edit-wins-and-queue"
    /// The delete wins; the concurrent edit is rejected with the rule's name.
    case deleteWins = "delete-wins"
    /// Rows are never deleted (append-only events).
    case never
}

/// How an entity finds the live rows that are probably the same real-world thing as a new one.
///
/// A store files every live row under its ``keys(of:)`` and, when a row is inserted, gathers the
/// rows that share any key with it; ``match(_:_:)`` then judges each candidate. A new row that
/// matches is kept, and a conflict asks an admin whether to merge, with each match's reason.
/// Keys are cheap and broad (they only gather candidates); the judgement is precise.
public protocol DuplicateMatcher: Sendable {
    /// What is compared, in a few words for documentation ("tax id, phone, name and city").
    var summary: String { get }
    /// The keys a row is filed under; rows sharing one are compared.
    func keys(of values: [String: FieldValue]) -> Set<DuplicateKey>
    /// Whether `candidate` is probably the same thing as `row`, and why; nil when not.
    func match(_ row: [String: FieldValue], _ candidate: [String: FieldValue]) -> DuplicateMatch?
}

/// A key a row is filed under for duplicate detection: `value` is already normalised.
///
/// A store gathers at most ``crowd`` rows under one key, so that one insert costs a bounded
/// number of comparisons however large the company grows. A *broad* key (one word of a name)
/// only narrows the search; shared by more than ``crowd`` rows it says nothing ("customer" in
/// Lille) and is skipped. A precise key (a phone number, a tax id) shared by that many rows still
/// gathers its first ``crowd``.
public struct DuplicateKey: Hashable, Sendable, Comparable {
    public var name: String
    public var value: String
    public var isBroad: Bool

    /// The most rows gathered under one key.
    public static let crowd = 64

    public init(_ name: String, _ value: String, broad: Bool = false) {
        self.name = name
        self.value = value
        self.isBroad = broad
    }

    /// Of the rows a store found under this key (it need read no more than `crowd + 1`), the
    /// ones to compare: none for a crowded broad key, else at most ``crowd``.
    public func candidates(among found: [String]) -> ArraySlice<String> {
        found.count > Self.crowd && isBroad ? [] : found.prefix(Self.crowd)
    }

    public static func < (lhs: DuplicateKey, rhs: DuplicateKey) -> Bool {
        (lhs.name, lhs.value) < (rhs.name, rhs.value)
    }
}

/// Why two rows are probably the same thing.
public struct DuplicateMatch: Hashable, Sendable {
    /// The signal that matched ("tax id", "phone", "name and city"); the conflict's rule is
    /// `natural-key:<signal>`.
    public var signal: String
    /// The reason, for an admin ("same phone 970 555 0188").
    public var reason: String

    public init(signal: String, reason: String) {
        self.signal = signal
        self.reason = reason
    }
}

/// The simplest matcher: rows are the same thing when one of their normalised keys is equal.
public struct NaturalKeys: DuplicateMatcher {
    public var keys: [NaturalKey]

    public init(_ keys: [NaturalKey]) {
        self.keys = keys
    }

    public var summary: String { keys.map(\.name).joined(separator: ", ") }

    public func keys(of values: [String: FieldValue]) -> Set<DuplicateKey> {
        Set(keys.compactMap { key in key.key(of: values).map { DuplicateKey(key.name, $0) } })
    }

    public func match(_ row: [String: FieldValue], _ candidate: [String: FieldValue]) -> DuplicateMatch? {
        for key in keys {
            guard let mine = key.key(of: row), mine == key.key(of: candidate) else { continue }
            let shown = key.fields.compactMap { row[$0]?.textValue }.joined(separator: ", ")
            return DuplicateMatch(signal: key.name, reason: "same \(key.name) \(shown)")
        }
        return nil
    }
}

/// A normalised key under which two rows are probably the same real-world thing.
public struct NaturalKey: Hashable, Sendable {
    /// How each part of the key is normalised before comparing.
    public enum Normalization: String, Hashable, Sendable {
        /// Case-fold, keep letters and digits, collapse the rest (e-mail addresses, codes). A
        /// matcher that needs more (legal forms, phone formats) is its own `DuplicateMatcher`.
        case words
    }

    public var name: String
    public var fields: [String]
    public var normalization: [Normalization]

    public init(name: String, fields: [(String, Normalization)]) {
        self.name = name
        self.fields = fields.map(\.0)
        self.normalization = fields.map(\.1)
    }

    /// The normalised key of a row, or nil when any part is empty.
    public func key(of values: [String: FieldValue]) -> String? {
        var parts: [String] = []
        for (field, normalization) in zip(fields, normalization) {
            guard let text = values[field]?.textValue else { return nil }
            let part: String
            switch normalization {
            case .words:
                part = text.lowercased().split { !$0.isLetter && !$0.isNumber }.joined(separator: " ")
                if part.isEmpty { return nil }
            }
            parts.append(part)
        }
        return parts.joined(separator: "|")
    }
}
