import HubStore
import NIOCore

/// The limits every request is held to. A request beyond one gets a 4xx and changes nothing.
public struct ServerLimits: Hashable, Sendable {
    /// Bytes of request body as sent (compressed or not).
    public var maxBodyBytes: Int
    /// Bytes of request body after inflating gzip.
    public var maxInflatedBytes: Int
    /// Changes in one push.
    public var maxChangesPerPush: Int
    /// Rows in one pull or bootstrap page.
    public var maxPageSize: Int
    /// Bytes of body on routes that need no credential (enrollment).
    public var maxUnauthenticatedBodyBytes: Int
    /// A connection with no traffic for this long is closed.
    public var idleTimeout: Duration
    /// A request's head must arrive within this (of the connection opening or the last answer).
    public var headTimeout: Duration
    /// A request's body must arrive within this of its head.
    public var bodyTimeout: Duration
    /// Requests per device, failed sign-ins and enrollments per address.
    public var rates: RateLimits
    /// Bytes of one attachment and of one user's attachments.
    public var attachments: AttachmentLimits

    public init(
        maxBodyBytes: Int = 8 << 20, maxInflatedBytes: Int = 32 << 20, maxChangesPerPush: Int = 5000,
        maxPageSize: Int = 2000, maxUnauthenticatedBodyBytes: Int = 4096, idleTimeout: Duration = .seconds(60),
        headTimeout: Duration = .seconds(30), bodyTimeout: Duration = .seconds(120), rates: RateLimits = .standard,
        attachments: AttachmentLimits = AttachmentLimits()
    ) {
        self.maxBodyBytes = maxBodyBytes
        self.maxInflatedBytes = maxInflatedBytes
        self.maxChangesPerPush = maxChangesPerPush
        self.maxPageSize = maxPageSize
        self.maxUnauthenticatedBodyBytes = maxUnauthenticatedBodyBytes
        self.idleTimeout = idleTimeout
        self.headTimeout = headTimeout
        self.bodyTimeout = bodyTimeout
        self.rates = rates
        self.attachments = attachments
    }
}

extension TimeAmount {
    /// The same span as a NIO time amount.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
