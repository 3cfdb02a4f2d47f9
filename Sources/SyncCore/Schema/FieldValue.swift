import Foundation

/// An amount of money in minor units (cents) with its ISO 4217 currency code.
public struct Money: Hashable, Sendable, Codable, CustomStringConvertible {
    public var minor: Int64
    public var currency: String

    public init(minor: Int64, currency: String) {
        self.minor = minor
        self.currency = currency
    }

    /// The amount in major units with two decimals, without the currency: "1250.00".
    public var amountText: String {
        let sign = minor < 0 ? "-" : ""
        let cents = minor.magnitude % 100
        return "\(sign)\(minor.magnitude / 100).\(cents < 10 ? "0" : "")\(cents)"
    }

    /// "1250.00 EUR": what ``FieldType/parse(_:timeZone:)`` reads back.
    public var description: String { "\(amountText) \(currency)" }
}

/// A point on the earth, in decimal degrees.
public struct Location: Hashable, Sendable, Codable, CustomStringConvertible {
    public var lat: Double
    public var lon: Double

    public init(lat: Double, lon: Double) {
        self.lat = lat
        self.lon = lon
    }

    public var description: String { "\(lat),\(lon)" }
}

/// The value of one field, as the sync engine carries it.
///
/// The JSON form is the natural one: `null`, a string, an integer, a boolean, an object
/// `{"minor":…,"currency":…}` for money, `{"lat":…,"lon":…}` for a location, and an array of
/// strings for a set. Texts, dates, enumeration members and references are strings;
/// timestamps are integers (Unix milliseconds). Which reading applies comes from the field's
/// ``FieldType``; ``FieldType/validate(_:)`` checks a decoded value against it.
public enum FieldValue: Hashable, Sendable {
    case null
    case text(String)
    case integer(Int64)
    case bool(Bool)
    case money(Money)
    case location(Location)
    case stringSet([String])

    public var isNull: Bool { self == .null }

    public var textValue: String? {
        if case let .text(value) = self { return value }
        return nil
    }

    public var integerValue: Int64? {
        if case let .integer(value) = self { return value }
        return nil
    }

    public var boolValue: Bool? {
        if case let .bool(value) = self { return value }
        return nil
    }

    public var moneyValue: Money? {
        if case let .money(value) = self { return value }
        return nil
    }

    public var setValue: [String]? {
        if case let .stringSet(value) = self { return value }
        return nil
    }

    /// Returns whether the value is null, an empty text or an empty set.
    public var isBlank: Bool {
        switch self {
        case .null: return true
        case let .text(text): return text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        case let .stringSet(set): return set.isEmpty
        default: return false
        }
    }
}

extension FieldValue: CustomStringConvertible {
    /// A short human rendering, used in explanations and tables.
    public var description: String {
        switch self {
        case .null: return "(empty)"
        case let .text(value): return value
        case let .integer(value): return String(value)
        case let .bool(value): return value ? "yes" : "no"
        case let .money(value): return value.description
        case let .location(value): return value.description
        case let .stringSet(value): return value.isEmpty ? "(empty)" : value.joined(separator: ", ")
        }
    }
}

extension FieldValue: Codable {
    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // The most common kinds first: every miss costs a thrown error.
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(String.self) {
            self = .text(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode([String].self) {
            self = .stringSet(value)
        } else if let object = try? decoder.container(keyedBy: AnyKey.self) {
            let keys = Set(object.allKeys.map(\.stringValue))
            if keys == ["minor", "currency"] {
                self = .money(try container.decode(Money.self))
            } else if keys == ["lat", "lon"] {
                self = .location(try container.decode(Location.self))
            } else {
                throw DecodingError.dataCorruptedError(
                    in: container,
                    debugDescription: "an object value is money {minor, currency} or a location {lat, lon}")
            }
        } else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "a field value is null, a string, an integer, a boolean, money, a location or a set")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case let .text(value): try container.encode(value)
        case let .integer(value): try container.encode(value)
        case let .bool(value): try container.encode(value)
        case let .money(value): try container.encode(value)
        case let .location(value): try container.encode(value)
        case let .stringSet(value): try container.encode(value)
        }
    }
}
