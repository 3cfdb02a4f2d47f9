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

    public init(
        maxBodyBytes: Int = 8 << 20, maxInflatedBytes: Int = 32 << 20, maxChangesPerPush: Int = 5000,
        maxPageSize: Int = 2000
    ) {
        self.maxBodyBytes = maxBodyBytes
        self.maxInflatedBytes = maxInflatedBytes
        self.maxChangesPerPush = maxChangesPerPush
        self.maxPageSize = maxPageSize
    }
}
