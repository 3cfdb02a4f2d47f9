import GRDB
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

extension Hub {
    /// The root a row belongs to: itself for a root, else its parent chain's root (the schema's
    /// ``Placement``). Nil when the schema places nothing, or the chain names no parent.
    static func rootID(
        of state: RowState, schema: Schema, db: Database, pending: [String: String?] = [:]
    ) throws -> String? {
        guard let placement = schema.placement else { return nil }
        if state.entity == placement.root { return state.id }
        guard let entity = schema.entity(state.entity), let parentField = entity.parentField,
            let field = entity.field(parentField), case .reference(let parentEntity) = field.type,
            let parentID = state.values[parentField]?.textValue
        else { return nil }
        return try rootID(ofRow: parentEntity, id: parentID, schema: schema, db: db, pending: pending)
    }

    /// The root of the stored (or, through `pending`, just created) row `entity/id`.
    static func rootID(
        ofRow entity: String, id: String, schema: Schema, db: Database, pending: [String: String?] = [:]
    ) throws -> String? {
        if entity == schema.placement?.root { return id }
        if let known = pending[entity + "/" + id] { return known }
        return try String.fetchOne(
            db.cachedStatement(sql: "SELECT account_id FROM hub_row WHERE entity = ? AND row_id = ?"),
            arguments: [entity, id])
    }

    /// Whether `scope` covers root `id` (a root the hub has not stored yet is in scope: it is
    /// being created by this push, and placed by its own values).
    static func scope(_ scope: ReadScope, covers rootID: String?, db: Database) throws -> Bool {
        if scope.everything { return true }
        guard let rootID else { return false }
        guard let location = try location(ofRoot: rootID, db: db) else { return true }
        return scope.contains(location)
    }

    /// Where a stored root sits (nil when the hub holds no such root).
    static func location(ofRoot rootID: String, db: Database) throws -> Placement.Location? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT territory, owner FROM hub_account WHERE account_id = ?"),
                arguments: [rootID])
        else { return nil }
        return Placement.Location(territory: row["territory"], owner: row["owner"])
    }

    /// Whether `scope` held root `id` before a transfer moved it away.
    static func scope(_ scope: ReadScope, formerlyHeld rootID: String?, db: Database) throws -> Bool {
        guard let rootID else { return false }
        return try Row.fetchAll(
            db.cachedStatement(sql: "SELECT territory, owner FROM hub_account_former WHERE account_id = ?"),
            arguments: [rootID]
        ).contains { scope.contains(territory: $0["territory"], owner: $0["owner"]) }
    }

    /// The SQL condition (on `hub_row r` joined with `hub_account a`) that keeps rows in scope.
    static func scopeCondition(_ scope: ReadScope) throws -> (sql: String, arguments: StatementArguments) {
        if scope.everything { return ("1", []) }
        return (
            "(a.territory IN (SELECT value FROM json_each(?)) OR a.owner IN (SELECT value FROM json_each(?)))",
            [try SQLMapping.json(scope.territories.sorted()), try SQLMapping.json(scope.owners.sorted())]
        )
    }
}
