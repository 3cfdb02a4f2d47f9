/// A new row that moves fields of the row it references, in the same write: a visit's start
/// reaches its account's last and first contact.
///
/// Each target field's own merge rule says which way it moves: a ``FieldRule/max`` field only
/// moves forward (to a later value), a ``FieldRule/min`` field only moves back. The same rules
/// then settle concurrent moves from several laptops, so the propagated value needs no rule of
/// its own. The store applies ``changes(for:to:)`` in the transaction that inserts the row; the
/// moved fields travel as ordinary captured changes.
public struct Propagation: Hashable, Sendable {
    /// The reference field of the new row that names the row to move.
    public var reference: String
    /// The field of the new row whose value is carried.
    public var source: String
    /// The fields of the referenced row that move (each of rule max or min).
    public var targets: [String]

    public init(reference: String, source: String, targets: [String]) {
        self.reference = reference
        self.source = source
        self.targets = targets
    }

    /// The fields of `target` (a row of `entity`) that `row` moves, with their new values; empty
    /// when none moves (the target is already later, or earlier, than the row's value).
    public func changes(
        for row: [String: FieldValue], to target: [String: FieldValue], entity: EntitySchema
    ) -> [String: FieldValue] {
        guard let value = row[source], let carried = ExtremumStrategy.rank(value) else { return [:] }
        var changes: [String: FieldValue] = [:]
        for name in targets {
            guard let field = entity.field(name) else { continue }
            let current = target[name].flatMap(ExtremumStrategy.rank)
            switch field.rule {
            case .max where current.map({ carried > $0 }) ?? true: changes[name] = value
            case .min where current.map({ carried < $0 }) ?? true: changes[name] = value
            default: break
            }
        }
        return changes
    }

    /// What is wrong with this propagation in `schema` for rows of `entity`, if anything: the
    /// reference must name an entity, the source exist, and each target be a max or min field of
    /// the source's type.
    public func problems(in schema: Schema, entity: EntitySchema) -> [String] {
        guard case .reference(let targetName)? = entity.field(reference)?.type,
            let targetEntity = schema.entity(targetName)
        else { return ["\(entity.name).\(reference) is not a reference to an entity"] }
        guard let source = entity.field(source) else { return ["\(entity.name) has no field \(self.source)"] }
        return targets.compactMap { name in
            guard let field = targetEntity.field(name) else { return "\(targetName) has no field \(name)" }
            guard field.rule == .max || field.rule == .min else {
                return "\(targetName).\(name) moves by propagation, so its rule must be max or min"
            }
            return field.type == source.type ? nil : "\(targetName).\(name) is not of the type of \(entity.name).\(source.name)"
        }
    }
}
