import SyncCore

/// `POST /v1/admin/users`: registers a user; the body is the user as ``UserInfo`` encodes it.
public typealias AddUserRequest = UserInfo

/// The answer to `POST /v1/admin/users`: the user and their one-time enrollment token.
public struct AddUserResponse: Hashable, Sendable, Codable {
    public var user: UserInfo
    /// Shown once; the server keeps only its hash.
    public var enrollmentToken: String

    public init(user: UserInfo, enrollmentToken: String) {
        self.user = user
        self.enrollmentToken = enrollmentToken
    }
}

/// `GET /v1/admin/users`.
public struct UserListResponse: Hashable, Sendable, Codable {
    public var users: [UserInfo]

    public init(users: [UserInfo]) {
        self.users = users
    }
}

/// One item of the conflict queue as the admin API shows it.
public struct ConflictRecord: Hashable, Sendable, Codable {
    public var conflict: Conflict
    public var status: String
    public var createdAt: Int64
    /// How it was resolved: "keep-current", "keep-incoming" or "value".
    public var resolution: String?
    /// The value entered, for a "value" resolution.
    public var resolutionValue: FieldValue?
    public var resolvedBy: String?
    public var resolvedAt: Int64?

    public init(
        conflict: Conflict, status: String, createdAt: Int64, resolution: String? = nil,
        resolutionValue: FieldValue? = nil, resolvedBy: String? = nil, resolvedAt: Int64? = nil
    ) {
        self.conflict = conflict
        self.status = status
        self.createdAt = createdAt
        self.resolution = resolution
        self.resolutionValue = resolutionValue
        self.resolvedBy = resolvedBy
        self.resolvedAt = resolvedAt
    }
}

/// `GET /v1/admin/conflicts`.
public struct ConflictListResponse: Hashable, Sendable, Codable {
    public var conflicts: [ConflictRecord]

    public init(conflicts: [ConflictRecord]) {
        self.conflicts = conflicts
    }
}

/// `POST /v1/admin/conflicts/{id}/resolve`: keep one side, or enter a value.
public struct ResolveRequest: Hashable, Sendable, Codable {
    /// "current" or "incoming"; absent when `value` is given.
    public var keep: String?
    public var value: FieldValue?

    public init(keep: String? = nil, value: FieldValue? = nil) {
        self.keep = keep
        self.value = value
    }

    private enum CodingKeys: String, CodingKey { case keep, value }

    // `{"value": null}` empties the field; an absent `value` is no value at all.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        keep = try c.decodeIfPresent(String.self, forKey: .keep)
        value = c.contains(.value) ? try c.decode(FieldValue.self, forKey: .value) : nil
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(keep, forKey: .keep)
        if let value { try c.encode(value, forKey: .value) }
    }
}

/// `POST /v1/admin/accounts/{id}/transfer`: gives an account (and what hangs under it) to another user.
public struct TransferRequest: Hashable, Sendable, Codable {
    public var to: String

    public init(to: String) {
        self.to = to
    }
}

/// `POST /v1/admin/records/{entity}/{keep}/merge`: merge record `from` into `keep`.
public struct MergeRequest: Hashable, Sendable, Codable {
    /// The id of the record that goes away (its id then leads to the kept one).
    public var from: String
    /// Fields whose value is taken from `from`; every other field keeps the kept record's value.
    public var take: [String]

    public init(from: String, take: [String] = []) {
        self.from = from
        self.take = take
    }
}

/// The answer to a merge: the kept record as replicas receive it, what moved to it, and the
/// queue items the merge settled.
public struct MergeResponse: Hashable, Sendable, Codable {
    public var kept: RowSnapshot
    /// Rows re-parented from the merged-away record, by record type.
    public var moved: [String: Int]
    public var settledConflicts: [String]

    public init(kept: RowSnapshot, moved: [String: Int], settledConflicts: [String]) {
        self.kept = kept
        self.moved = moved
        self.settledConflicts = settledConflicts
    }
}

/// One recorded admin action (`GET /v1/admin/audit`, `satchel-server audit`).
public struct AuditEntry: Hashable, Sendable, Codable {
    public var id: Int64
    /// Milliseconds since the epoch.
    public var at: Int64
    /// The user who acted (`operator` at the server's own command line).
    public var actor: String
    /// The device they acted from (`satchel-server` at the server's command line).
    public var device: String
    /// What was done: `user.add`, `user.disable`, `user.token`, `device.revoke`, `device.retire`,
    /// `device.rotate`, `conflict.resolve`, `record.merge`, `account.transfer`, `import`, `compact`.
    public var action: String
    public var target: String
    public var detail: String

    public init(id: Int64, at: Int64, actor: String, device: String, action: String, target: String, detail: String) {
        self.id = id
        self.at = at
        self.actor = actor
        self.device = device
        self.action = action
        self.target = target
        self.detail = detail
    }
}

/// `GET /v1/admin/audit`.
public struct AuditListResponse: Hashable, Sendable, Codable {
    public var entries: [AuditEntry]

    public init(entries: [AuditEntry]) {
        self.entries = entries
    }
}

/// An enrolled device as admins see it (`GET /v1/admin/devices`).
public struct DeviceRecord: Hashable, Sendable, Codable {
    public var replica: String
    public var user: String
    public var device: String
    public var createdAt: Int64
    public var lastPushAt: Int64?
    /// When it last pulled (absent when the server has not seen it pull since it kept this).
    public var lastPullAt: Int64?
    public var pulledTo: Int64
    /// `active`, `revoked` (its credential opens nothing) or `retired` (from compaction).
    public var status: String

    public init(
        replica: String, user: String, device: String, createdAt: Int64, lastPushAt: Int64?, pulledTo: Int64, status: String,
        lastPullAt: Int64? = nil
    ) {
        self.lastPullAt = lastPullAt
        self.replica = replica
        self.user = user
        self.device = device
        self.createdAt = createdAt
        self.lastPushAt = lastPushAt
        self.pulledTo = pulledTo
        self.status = status
    }
}

/// `GET /v1/admin/devices`.
public struct DeviceListResponse: Hashable, Sendable, Codable {
    public var devices: [DeviceRecord]

    public init(devices: [DeviceRecord]) {
        self.devices = devices
    }
}

/// `POST /v1/device/rotate`: the device's new credential (the old one no longer works).
public struct RotateResponse: Hashable, Sendable, Codable {
    public var credential: String

    public init(credential: String) {
        self.credential = credential
    }
}

/// `POST /v1/admin/fields`: adds a field of the company's own; the body is the field as
/// ``CustomField`` encodes it. The answer (201) is the ``PublishedStep``.
public typealias AddFieldRequest = CustomField

/// `POST /v1/admin/fields/{entity}/{name}/choices`: values to add to a choice field's list.
public struct AddChoicesRequest: Hashable, Sendable, Codable {
    public var add: [String]

    public init(add: [String]) {
        self.add = add
    }
}

/// One field as `GET /v1/admin/fields` lists it.
public struct FieldRecord: Hashable, Sendable, Codable {
    public var entity: String
    public var name: String
    /// The field's type in words ("text", "enum", "money"…).
    public var type: String
    /// A choice field's values (absent otherwise).
    public var choices: [String]?
    public var rule: String
    public var label: String
    /// Whether the company added it (false: built in).
    public var custom: Bool
    /// Why the rule was chosen, or who added the field and when.
    public var reason: String
    /// Why it takes no more values ("retired by ada, 2026-12-07"); absent while it does.
    public var retired: String?

    public init(
        entity: String, name: String, type: String, choices: [String]?, rule: String, label: String, custom: Bool,
        reason: String, retired: String?
    ) {
        self.entity = entity
        self.name = name
        self.type = type
        self.choices = choices
        self.rule = rule
        self.label = label
        self.custom = custom
        self.reason = reason
        self.retired = retired
    }

    /// Every field of `schema`, record type by record type, retired ones last in each.
    public static func all(in schema: Schema, customOnly: Bool = false) -> [FieldRecord] {
        schema.entities.flatMap { entity in
            let live = entity.fields.map { field in
                FieldRecord(field, entity: entity, retired: nil)
            }
            let retired = entity.retired.map { FieldRecord($0.field, entity: entity, retired: $0.reason) }
            return (live + retired).filter { !customOnly || $0.custom }
        }
    }

    init(_ field: FieldSchema, entity: EntitySchema, retired: String?) {
        var choices: [String]?
        if case .enumeration(let members) = field.type { choices = members }
        self.init(
            entity: entity.name, name: field.name, type: field.type.name, choices: choices, rule: field.rule.rawValue,
            label: field.label, custom: entity.isCustom(field.name), reason: field.reason, retired: retired)
    }
}

/// `GET /v1/admin/fields`: the company's schema revision, its fields and every step published.
public struct FieldListResponse: Hashable, Sendable, Codable {
    public var revision: Int
    /// The fields the company added, retired ones included.
    public var fields: [FieldRecord]
    public var steps: [PublishedStep]

    public init(revision: Int, fields: [FieldRecord], steps: [PublishedStep]) {
        self.revision = revision
        self.fields = fields
        self.steps = steps
    }
}
