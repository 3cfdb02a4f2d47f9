/// `GET /v1/attachments/{id}/upload` and the answer to every `PUT /v1/attachments/{id}/content`:
/// how much of an attachment's bytes the server holds.
public struct UploadStatus: Hashable, Sendable, Codable {
    public var attachment: String
    /// The attachment's declared size in bytes.
    public var size: Int64
    /// Bytes the server holds; the next chunk starts here.
    public var received: Int64
    /// True once the bytes arrived whole and matched the attachment's SHA-256 (nothing more to send).
    public var complete: Bool

    public init(attachment: String, size: Int64, received: Int64, complete: Bool) {
        self.attachment = attachment
        self.size = size
        self.received = received
        self.complete = complete
    }
}
