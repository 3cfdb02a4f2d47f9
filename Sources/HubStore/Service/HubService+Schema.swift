import Foundation
import HubEngine
import SyncCore

extension HubService {
    // MARK: - The company's schema

    /// Publishes one step of the company's schema (a field added, choices added, a field
    /// retired) at the next revision, with its audit entry, in one transaction.
    ///
    /// The step is checked against the schema of that same transaction
    /// (``Schema/check(_:)``): a clashing or duplicate name, an unknown record type or field, a
    /// rule that does not fit the field's kind, a bad choice: each refused with a sentence that
    /// says what to do, and nothing written. Laptops learn the step from their next pull, before
    /// any row that uses it.
    @discardableResult
    public func publish(_ step: SchemaStep, by actor: Actor) throws -> PublishedStep {
        let now = clock()
        return try storage.write { reader in
            let current = try schemas.schema(reader)
            do throws(SchemaStepError) {
                try current.check(step)
            } catch {
                throw HubError.invalidSchemaStep(error.description)
            }
            let published = PublishedStep(
                revision: current.revision + 1, step: step, at: now, by: actor.user, feedPosition: try reader.meta().seq)
            var writes = HubWrites(
                audit: [AuditWrite(Self.auditAction(step), target: Self.auditTarget(step), detail: step.summary, by: actor, at: now)])
            writes.schemaSteps = [published]
            return (published, writes)
        }
    }

    /// Every step the company has published, by revision.
    public func schemaSteps() throws -> [PublishedStep] {
        try storage.read { try $0.schemaSteps() }
    }

    /// The steps a laptop that knows revision `known` has not seen, read in `reader`'s transaction
    /// (nil when it is up to date).
    func schemaUpdate(after known: Int, reader: Storage.Reader) throws -> SchemaUpdate? {
        let revision = try reader.schemaRevision()
        guard revision > known else { return nil }
        let steps = try reader.schemaSteps().filter { $0.revision > known }
        return SchemaUpdate(revision: revision, steps: steps)
    }

    static func auditAction(_ step: SchemaStep) -> String {
        switch step {
        case .addField: return "field.add"
        case .addChoices: return "field.choices"
        case .retireField: return "field.retire"
        case .renameField: return "field.rename"
        case .addEntity: return "entity.add"
        }
    }

    static func auditTarget(_ step: SchemaStep) -> String {
        switch step {
        case let .addField(field): return "\(field.entity).\(field.name)"
        case let .addChoices(entity, field, _), let .retireField(entity, field): return "\(entity).\(field)"
        case let .renameField(entity, from, _): return "\(entity).\(from)"
        case let .addEntity(entity): return entity
        }
    }
}

extension HubService {
    // MARK: - Releases

    /// Brings the stored rows to this release's schema, once, when the store was written by an
    /// older one: a field a later release renamed goes by its new name in every row (values,
    /// stamps, set members), each row then back in the feed so laptops take the new shape. The
    /// store's version moves in the same transaction, so it runs once whatever happens.
    func upgradeStoredRows() throws {
        let stored = try storage.read { try $0.storedSchemaVersion() }
        guard stored <= schema.version else {
            // A newer server upgraded the store: this one would plan under names it no longer holds.
            throw HubError.storage(
                "the store was upgraded to schema \(stored) by a newer satchel-server, and this one knows schema "
                    + "\(schema.version); run the newer server on it (every server of one store runs the same release)")
        }
        guard stored < schema.version else { return }
        let renames = schema.releaseSteps(after: stored).compactMap { step -> (entity: String, from: String, to: String)? in
            if case let .renameField(entity, from, to) = step { return (entity, from, to) }
            return nil
        }
        try storage.write { reader in
            // Again in the write: another server of a shared store may have upgraded it meanwhile.
            guard try reader.storedSchemaVersion() < schema.version else { return ((), HubWrites()) }
            let draft = try draft(reader)
            if !renames.isEmpty {
                let entities = Set(renames.map(\.entity))
                for row in try reader.feed(after: 0, through: nil, liveOnly: false, scope: .all, limit: Int.max) {
                    var state = try WireJSON.decode(RowState.self, fromText: row.state)
                    guard entities.contains(state.entity) else { continue }
                    let before = state
                    for rename in renames where rename.entity == state.entity {
                        if let value = state.values.removeValue(forKey: rename.from) { state.values[rename.to] = value }
                        if let stamp = state.stamps.removeValue(forKey: rename.from) { state.stamps[rename.to] = stamp }
                        if let members = state.members.removeValue(forKey: rename.from) { state.members[rename.to] = members }
                    }
                    if state != before { try draft.save(state) }
                }
            }
            var writes = HubWrites(plan: draft.plan)
            writes.schemaVersion = schema.version
            return ((), writes)
        }
    }
}
