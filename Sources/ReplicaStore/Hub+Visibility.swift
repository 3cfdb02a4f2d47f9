import GRDB
import SatchelModel
import SyncCore

/// Which accounts (and everything under them) a reader may see and write.
public struct ReadScope: Hashable, Sendable {
    /// Everything (admins and the server itself).
    public var everything: Bool
    public var territories: Set<String>
    /// Accounts owned by these users are visible whatever their territory.
    public var owners: Set<String>

    public static let all = ReadScope(everything: true, territories: [], owners: [])

    public init(everything: Bool = false, territories: Set<String>, owners: Set<String>) {
        self.everything = everything
        self.territories = territories
        self.owners = owners
    }

    /// Whether an account with this territory and owner is in scope.
    public func contains(territory: String?, owner: String?) -> Bool {
        everything || territory.map(territories.contains) == true || owner.map(owners.contains) == true
    }
}

extension Hub {
    /// The account a row belongs to: itself for an account, else its parent chain's account.
    static func accountID(
        of state: RowState, schema: Schema, db: Database, pending: [String: String?] = [:]
    ) throws -> String? {
        if state.entity == "account" { return state.id }
        guard let entity = schema.entity(state.entity), let parentField = entity.parentField,
            let field = entity.field(parentField), case .reference(let parentEntity) = field.type,
            let parentID = state.values[parentField]?.textValue
        else { return nil }
        if parentEntity == "account" { return parentID }
        if let known = pending[parentEntity + "/" + parentID] { return known }
        return try String.fetchOne(
            db.cachedStatement(sql: "SELECT account_id FROM hub_row WHERE entity = ? AND row_id = ?"),
            arguments: [parentEntity, parentID])
    }

    /// The account a change will touch: the stored row's, or for an insert the one its values name.
    static func accountID(of change: Change, schema: Schema, db: Database) throws -> String? {
        if let stored = try String.fetchOne(
            db.cachedStatement(sql: "SELECT account_id FROM hub_row WHERE entity = ? AND row_id = ?"),
            arguments: [change.entity, change.rowID])
        {
            return stored
        }
        guard case .insert(let values) = change.operation else { return nil }
        return try accountID(
            of: RowState(entity: change.entity, id: change.rowID, values: values), schema: schema, db: db)
    }

    /// Whether `scope` covers account `id` (an account the hub has not seen yet is in scope:
    /// it is being created by this push).
    static func scope(_ scope: ReadScope, covers accountID: String?, db: Database) throws -> Bool {
        if scope.everything { return true }
        guard let accountID else { return false }
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT territory, owner FROM hub_account WHERE account_id = ?"),
                arguments: [accountID])
        else { return true }
        return scope.contains(territory: row["territory"], owner: row["owner"])
    }

    /// Whether `scope` held account `id` before a transfer moved it away.
    static func scope(_ scope: ReadScope, formerlyHeld accountID: String?, db: Database) throws -> Bool {
        guard let accountID else { return false }
        return try Row.fetchAll(
            db.cachedStatement(sql: "SELECT territory, owner FROM hub_account_former WHERE account_id = ?"),
            arguments: [accountID]
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
