import Foundation

/// The type of a field, which decides how its values are checked and stored.
public enum FieldType: Hashable, Sendable {
    /// Text fields at least this long hold paragraphs (notes, descriptions): line breaks allowed.
    public static let longTextLength = 500

    /// Free text of at most `maxLength` characters (Unicode scalars). Text of at least
    /// ``longTextLength`` may hold line breaks and tabs; shorter text is one line.
    case text(maxLength: Int)
    /// A 64-bit integer within `range`.
    case integer(range: ClosedRange<Int64>)
    /// Money in minor units with a three-letter currency code.
    case money
    case bool
    /// A moment, as Unix milliseconds.
    case timestamp
    /// A calendar date, `YYYY-MM-DD`.
    case date
    /// One of a fixed list of members.
    case enumeration([String])
    /// The id of a row of another entity.
    case reference(entity: String)
    /// A set of short strings (each at most 64 characters), kept sorted.
    case stringSet
    /// A latitude/longitude pair.
    case location

    /// A short name for messages and docs.
    public var name: String {
        switch self {
        case .text: return "text"
        case .integer: return "integer"
        case .money: return "money"
        case .bool: return "bool"
        case .timestamp: return "timestamp"
        case .date: return "date"
        case .enumeration: return "enum"
        case let .reference(entity): return "reference to \(entity)"
        case .stringSet: return "set of strings"
        case .location: return "location"
        }
    }

    /// What a value of this type is, for messages: "a whole number", "an amount of money".
    public var phrase: String {
        switch self {
        case .text: return "text"
        case .integer: return "a whole number"
        case .money: return "an amount of money such as 15000 EUR"
        case .bool: return "true or false"
        case .timestamp: return "a time (ISO 8601 such as 2026-11-22T09:30, or Unix milliseconds)"
        case .date: return "a date (YYYY-MM-DD)"
        case .enumeration: return "one of its listed values"
        case let .reference(entity): return "the id of a \(entity)"
        case .stringSet: return "a set of strings"
        case .location: return "a location (latitude, longitude)"
        }
    }

    /// Checks a value against this type and returns its canonical form (sets sorted and deduplicated).
    ///
    /// Null is accepted by every type; whether a field may be null is the field's concern.
    /// - Throws: ``SchemaError/invalidValue(field:reason:)`` with `field` left empty for the
    ///   caller to fill in.
    public func validate(_ value: FieldValue) throws(SchemaError) -> FieldValue {
        func fail(_ reason: String) -> SchemaError { .invalidValue(field: "", reason: reason) }
        switch (self, value) {
        case (_, .null):
            return .null
        case let (.text(maxLength), .text(text)):
            // Counted in Unicode scalars, so a value is at most 4 × maxLength bytes whatever it holds.
            guard text.unicodeScalars.count <= maxLength else { throw fail("is longer than \(maxLength) characters") }
            guard !text.unicodeScalars.contains("\u{0}") else { throw fail("contains a NUL character") }
            if let problem = TextHygiene.problem(in: text, multiline: maxLength >= FieldType.longTextLength) {
                throw fail(problem)
            }
            return value
        case let (.integer(range), .integer(number)):
            guard range.contains(number) else {
                throw fail("must be between \(range.lowerBound) and \(range.upperBound)")
            }
            return value
        case let (.money, .money(money)):
            guard money.currency.count == 3, money.currency.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
                throw fail("needs a three-letter upper-case currency code such as EUR")
            }
            guard money.minor.magnitude <= 1_000_000_000_000_000 else { throw fail("is too large") }
            return value
        case (.bool, .bool):
            return value
        case let (.timestamp, .integer(milliseconds)):
            // Years 1970 to 9999.
            guard (0...253_402_300_799_999).contains(milliseconds) else {
                throw fail("is not a timestamp between 1970 and 9999")
            }
            return value
        case let (.date, .text(text)):
            guard CalendarDate(text) != nil else { throw fail("is not a date of the form YYYY-MM-DD") }
            return value
        case let (.enumeration(members), .text(text)):
            guard members.contains(text) else {
                throw fail("must be one of \(members.joined(separator: ", "))")
            }
            return value
        case let (.reference, .text(text)):
            guard TextHygiene.isSafeID(text) else { throw fail("is not a record id (1 to 64 letters, digits, '-', '_', '.', ':')") }
            return value
        case let (.stringSet, .stringSet(items)):
            guard items.count <= 256 else { throw fail("has more than 256 members") }
            for item in items {
                guard !item.isEmpty, item.unicodeScalars.count <= 64, !item.unicodeScalars.contains("\u{0}") else {
                    throw fail("members are 1 to 64 characters")
                }
                if let problem = TextHygiene.problem(in: item, multiline: false) { throw fail("member '\(item)' \(problem)") }
            }
            return .stringSet(Array(Set(items)).sorted())
        case let (.location, .location(point)):
            guard (-90...90).contains(point.lat), (-180...180).contains(point.lon) else {
                throw fail("is not a latitude,longitude pair")
            }
            return value
        default:
            throw fail("must be \(phrase)")
        }
    }
}

/// A calendar date without a time zone, `YYYY-MM-DD`.
public struct CalendarDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    /// Parses `YYYY-MM-DD`, returning nil for anything else or for a day the month lacks.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1...12).contains(month), (1...CalendarDate.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public var description: String {
        func pad(_ n: Int, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }
}
