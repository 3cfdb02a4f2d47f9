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
