import Crypto
import Foundation
import SyncCore

/// Enrollment tokens and device credentials: 32 random bytes, base64url; stored as SHA-256.
public enum Tokens {
    /// A new random secret with a readable prefix ("sat_enroll_…", "sat_device_…").
    public static func generate(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let encoded = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return "sat_\(prefix)_\(encoded)"
    }

    /// How long an enrollment token stays valid unless said otherwise: 7 days.
    public static let defaultLifetime: Duration = .seconds(7 * 24 * 3600)

    /// The expiry (milliseconds since the epoch) of a token issued now that lives `lifetime`.
    public static func expiry(after lifetime: Duration, now: Date = Date()) -> Int64 {
        Int64((now.timeIntervalSince1970 * 1000).rounded(.down)) + lifetime.components.seconds * 1000
    }

    /// The hex SHA-256 of a secret: what the store keeps.
    public static func hash(_ secret: String) -> String {
        Hex.string(SHA256.hash(data: Data(secret.utf8)))
    }
}
