import GRDB
import HubEngine
import SyncCore

extension Hub {
    /// Whether `scope` covers root `id` (a root the hub has not stored yet is in scope: it is
    /// being created by this push, and placed by its own values).
    static func scope(_ scope: ReadScope, covers rootID: String?, db: Database) throws -> Bool {
        if scope.everything { return true }
        guard let rootID else { return false }
        guard let location = try SQLiteHubView.location(ofRoot: rootID, db: db) else { return true }
        return scope.contains(location)
    }

    /// The SQL condition (on `hub_row r` joined with `hub_account a`) that keeps rows in scope.
    static func scopeCondition(_ scope: ReadScope) throws -> (sql: String, arguments: StatementArguments) {
        if scope.everything { return ("1", []) }
        return (
            "(a.territory IN (SELECT value FROM json_each(?)) OR a.owner IN (SELECT value FROM json_each(?)))",
            [try WireJSON.text(scope.territories.sorted()), try WireJSON.text(scope.owners.sorted())]
        )
    }
}
