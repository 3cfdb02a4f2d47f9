import Foundation

/// The identity of one replica: a laptop database, or the hub's own resolver.
///
/// Replica ids are lowercase UUID strings in production; tests may use any non-empty string.
/// They order lexically, which makes them the final tie-break wherever two writes compare equal.
public struct ReplicaID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    /// Returns a fresh random replica id.
    public static func random() -> ReplicaID {
        ReplicaID(UUID().uuidString.lowercased())
    }

    public init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer().decode(String.self)
        guard ReplicaID.isValid(value) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "a replica id is 1 to 64 characters"))
        }
        self.rawValue = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// What a decoder accepts as a replica id: 1 to 64 characters (the `Codable` decoders and
    /// the hand reader alike).
    static func isValid(_ text: String) -> Bool {
        !text.isEmpty && (text.utf8.count <= 64 || text.count <= 64)
    }

    public static func < (lhs: ReplicaID, rhs: ReplicaID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { rawValue }
}
