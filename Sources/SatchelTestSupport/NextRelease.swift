import SatchelModel
import SyncCore

/// The CRM schema as a next release of Satchel would declare it: `account.industry` renamed
/// `sector` and `account.email` retired, with the release's declared steps. Tests open files and
/// stores written by this release with it.
public enum NextRelease {
    public static var schema: Schema {
        let account = CRMSchema.account
        let fields = account.fields.map { field -> FieldSchema in
            guard field.name == "industry" else { return field }
            return FieldSchema("sector", field.type, field.rule, label: "sector", reason: field.reason)
        }
        let renamed = EntitySchema(
            name: account.name, label: account.label, fields: fields, insertRule: account.insertRule, deleteRule: account.deleteRule,
            duplicates: account.duplicates, stateMachines: account.stateMachines, titleField: account.titleField,
            parentField: account.parentField, indexes: account.indexes, propagations: account.propagations)
        let current = CRMSchema.schema
        return Schema(
            version: current.version + 1, entities: current.entities.map { $0.name == "account" ? renamed : $0 },
            placement: current.placement, files: current.files,
            releases: current.releases + [
                SchemaRelease(
                    version: current.version + 1,
                    steps: [.renameField(entity: "account", from: "industry", to: "sector"), .retireField(entity: "account", field: "email")])
            ])
    }
}
