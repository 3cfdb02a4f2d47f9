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
                // A retired field is judged by the merge (a rejected outcome, kept in history);
                // its values must still be of its type.
                let retired = entity.retiredField(field)?.field
                if let retired {
                    do {
                        _ = try retired.type.validate(value)
                    } catch {
                        throw .invalidValue(field: "\(entity.name).\(field)", reason: "is not a \(retired.type.name)")
                    }
                } else {
                    _ = try entity.validateUpdate(field: field, value)
                }
                guard let schema = retired ?? entity.field(field) else { continue }
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
