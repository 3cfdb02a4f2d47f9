extension Schema {
    /// Checks every change of a changeset against the schema: the entity and fields exist and
    /// every value fits its field's type, length and required-ness.
    ///
    /// A changeset that passes may still have changes the merger rejects by rule (a server-owned
    /// field, a forbidden state move); those are outcomes, not malformed input.
    ///
    /// - Throws: the first ``SchemaError``, naming the change's counter in ``SchemaError/invalidValue(field:reason:)``.
    public func validate(_ changeset: Changeset) throws(SchemaError) {
        for change in changeset.changes {
            let entity = try requireEntity(change.entity)
            switch change.operation {
            case let .insert(values):
                _ = try entity.validateInsert(values)
            case let .update(field, value, base):
                _ = try entity.validateUpdate(field: field, value)
                guard let schema = entity.field(field) else { continue }
                do {
                    _ = try schema.type.validate(base)
                } catch {
                    throw .invalidValue(field: "\(entity.name).\(field)", reason: "has a base value that is not a \(schema.type.name)")
                }
            case .delete:
                break
            }
        }
    }
}
