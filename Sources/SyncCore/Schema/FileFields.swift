/// Where a schema keeps files whose bytes travel apart from their records, declared once so that
/// the server's policy never names an entity or a field of its own (as ``Placement`` does for
/// who holds a record).
///
/// A record of ``entity`` describes one file; the hub keeps the bytes by their hash, checks them
/// against the record when they arrive, and then sets ``uploadedField`` itself.
///
/// ```swift
/// FileFields(entity: "scan", hashField: "digest", sizeField: "bytes", mediaTypeField: "kind",
///            uploadedField: "stored_at", ownerField: "scanned_by")
/// ```
public struct FileFields: Hashable, Sendable {
    /// The entity whose records describe files.
    public var entity: String
    /// The file's SHA-256, 64 lower-case hex digits (text, set once).
    public var hashField: String
    /// The file's size in bytes (integer, set once).
    public var sizeField: String
    /// The file's media type, such as `image/jpeg` (text, set once).
    public var mediaTypeField: String
    /// When the hub received the whole file and found it matched (a server-owned timestamp).
    public var uploadedField: String
    /// The user whose quota the file counts against (text; the writer of the record).
    public var ownerField: String

    public init(
        entity: String, hashField: String, sizeField: String, mediaTypeField: String, uploadedField: String, ownerField: String
    ) {
        self.entity = entity
        self.hashField = hashField
        self.sizeField = sizeField
        self.mediaTypeField = mediaTypeField
        self.uploadedField = uploadedField
        self.ownerField = ownerField
    }

    /// What a record of ``entity`` declares of its file.
    public func file(in values: [String: FieldValue]) -> DeclaredFile {
        DeclaredFile(
            hash: values[hashField]?.textValue ?? "", size: values[sizeField]?.integerValue ?? 0,
            mediaType: values[mediaTypeField]?.textValue ?? "", isUploaded: !(values[uploadedField]?.isNull ?? true),
            owner: values[ownerField]?.textValue ?? "")
    }
}

/// One file as its record declares it (``FileFields/file(in:)``).
public struct DeclaredFile: Hashable, Sendable {
    public var hash: String
    public var size: Int64
    public var mediaType: String
    public var isUploaded: Bool
    public var owner: String

    public init(hash: String, size: Int64, mediaType: String, isUploaded: Bool, owner: String) {
        self.hash = hash
        self.size = size
        self.mediaType = mediaType
        self.isUploaded = isUploaded
        self.owner = owner
    }
}
