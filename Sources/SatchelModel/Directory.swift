/// What a user may do: reps work their territories, managers their team's, admins everything.
public enum Role: String, Hashable, Sendable, Codable, CaseIterable {
    case rep
    case manager
    case admin

    /// Admins write server-owned fields and privileged states; reps and managers do not.
    public var isPrivileged: Bool { self == .admin }
}

/// A user of the company's Satchel: a rep, a manager or an admin.
public struct UserInfo: Hashable, Sendable, Codable {
    public var name: String
    public var role: Role
    public var territories: [String]
    /// The manager of a rep (a user name), if any.
    public var manager: String?
    /// True once an admin disabled the user (every device of theirs is cut off); absent otherwise.
    public var disabled: Bool?

    public init(name: String, role: Role, territories: [String] = [], manager: String? = nil, disabled: Bool? = nil) {
        self.name = name
        self.role = role
        self.territories = territories
        self.manager = manager
        self.disabled = disabled
    }

    /// Checks a user name: 1 to 64 letters, digits, dots, dashes or underscores.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64
            && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSetASCII.isNameCharacter($0)) }
    }
}

enum CharacterSetASCII {
    static func isNameCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", ".", "-", "_": return true
        default: return false
        }
    }
}
