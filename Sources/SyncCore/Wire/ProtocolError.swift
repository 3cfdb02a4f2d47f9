/// The error every refused request carries: a stable code and a sentence that says what to do.
///
/// The code is an open set: an old client decodes a code a newer server invents, and shows its
/// message. The codes are listed in `Protocol/README.md`.
public struct ProtocolError: Error, Hashable, Sendable, Codable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let malformed = Code("malformed")
        public static let unsupportedVersion = Code("unsupported-version")
        public static let unsupportedEncoding = Code("unsupported-encoding")
        public static let unauthenticated = Code("unauthenticated")
        public static let badCredential = Code("bad-credential")
        public static let badToken = Code("bad-token")
        public static let forbidden = Code("forbidden")
        public static let forgedReplica = Code("forged-replica")
        public static let outOfScope = Code("out-of-scope")
        public static let gap = Code("gap")
        public static let tooLarge = Code("too-large")
        public static let tooManyChanges = Code("too-many-changes")
        public static let fieldTooLong = Code("field-too-long")
        public static let unknownEntity = Code("unknown-entity")
        public static let unknownField = Code("unknown-field")
        public static let invalidValue = Code("invalid-value")
        public static let notFound = Code("not-found")
        public static let conflict = Code("conflict")
        /// The feed before the pull's cursor was compacted: the replica must download a fresh copy.
        public static let rebaseline = Code("rebaseline")
        public static let invalidRequest = Code("invalid-request")
        public static let internalError = Code("internal")
        /// The device credential was revoked by an admin.
        public static let revoked = Code("revoked")
        /// The user was disabled by an admin.
        public static let userDisabled = Code("user-disabled")
        /// The enrollment token is past its expiry.
        public static let tokenExpired = Code("token-expired")
        /// Too many requests; the answer's `Retry-After` says when to try again.
        public static let rateLimited = Code("rate-limited")
        /// Uploaded bytes do not hash to the SHA-256 their record declares (422).
        public static let hashMismatch = Code("hash-mismatch")
        /// Uploaded bytes are not of the media type their record declares (415).
        public static let unsupportedMediaType = Code("unsupported-media-type")
        /// The user's uploaded files would pass their quota (413).
        public static let quotaExceeded = Code("quota-exceeded")
        /// A byte range outside the file (416).
        public static let rangeNotSatisfiable = Code("range-not-satisfiable")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// The JSON body of an error response: `{"error": {"code": …, "message": …}}`.
public struct ErrorResponse: Hashable, Sendable, Codable {
    public var error: ProtocolError

    public init(error: ProtocolError) {
        self.error = error
    }
}
