import SyncCore

/// Which roots of a book of business (and everything under them) a reader may see and write.
public struct ReadScope: Hashable, Sendable {
    /// Everything (admins and the server itself).
    public var everything: Bool
    public var territories: Set<String>
    /// Roots owned by these users are visible whatever their territory.
    public var owners: Set<String>

    public static let all = ReadScope(everything: true, territories: [], owners: [])

    public init(everything: Bool = false, territories: Set<String>, owners: Set<String>) {
        self.everything = everything
        self.territories = territories
        self.owners = owners
    }

    /// Whether a root with this territory and owner is in scope.
    public func contains(territory: String?, owner: String?) -> Bool {
        everything || territory.map(territories.contains) == true || owner.map(owners.contains) == true
    }

    public func contains(_ location: Placement.Location) -> Bool {
        contains(territory: location.territory, owner: location.owner)
    }
}
