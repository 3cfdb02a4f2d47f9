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

/// A normalised key under which two rows are probably the same real-world thing.
///
/// A new row whose key matches a live row of the same entity becomes a duplicate candidate:
/// it is kept, and a conflict asks an admin whether to merge the two.
public struct NaturalKey: Hashable, Sendable {
    /// How each part of the key is normalised before comparing.
    public enum Normalization: String, Hashable, Sendable {
        /// Keep only digits (phone numbers, tax ids); fewer than 6 digits is no key.
        case digits
        /// Case-fold, keep letters and digits, collapse the rest (names, cities).
        case words
        /// Case-fold, keep letters and digits only ("FR 40 123-456" is "fr40123456"): identifiers
        /// written with or without spaces and dashes (tax ids).
        case compact
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
            case .digits:
                part = String(text.unicodeScalars.filter { ("0"..."9").contains($0) }.map(Character.init))
                if part.count < 6 { return nil }
            case .words:
                part = text.lowercased().split { !$0.isLetter && !$0.isNumber }.joined(separator: " ")
                if part.isEmpty { return nil }
            case .compact:
                part = String(text.lowercased().filter { $0.isLetter || $0.isNumber })
                if part.isEmpty { return nil }
            }
            parts.append(part)
        }
        return parts.joined(separator: "|")
    }
}
