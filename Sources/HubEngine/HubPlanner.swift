import SyncCore

/// The hub's sync policy with no storage in it: given an operation and a ``PlanDraft`` over
/// the store's view, it decides every write into the draft and returns the answer. Like the
/// ``Merger`` it builds on, it is pure; storing is the caller's job.
///
/// ```swift
/// let draft = try PlanDraft(view: view, schema: schema, wallMicros: micros)
/// let response = try planner.push(changeset, as: writer, scope: scope, now: now, sentTo: sent, into: draft)
/// try store.apply(draft.plan)   // one transaction
/// ```
public struct HubPlanner: Sendable {
    public let schema: Schema
    public let merger: Merger
    /// How far ahead of the hub's clock a change's HLC may be before it is refused.
    public let maxClockDrift: Int64

    public init(schema: Schema, maxClockDrift: Int64 = HybridClock.defaultMaxForwardDrift) {
        self.schema = schema
        self.merger = Merger(schema: schema)
        self.maxClockDrift = maxClockDrift
    }

    /// Writes fields as the hub's own replica (a privileged writer).
    ///
    /// The change's context covers the row's whole history, so it applies everywhere as the
    /// latest word. Returns the row's new state.
    @discardableResult
    public func writeAsHub(
        _ entity: String, id: String, _ values: [String: FieldValue], by user: String, now: Int64,
        history: Bool = true, into draft: PlanDraft
    ) throws -> RowState? {
        var state = try draft.row(entity, id: id)
        let environment = draft.environment(writer: Writer(user: user, device: "server", isPrivileged: true))
        for (field, value) in values.sorted(by: { $0.key < $1.key }) {
            let change = draft.hubChange(
                entity, id: id, now: now, context: state?.version ?? VersionVector(),
                operation: .update(field: field, value: value, base: state?.values[field] ?? .null))
            let merged = merger.merge([change], into: state, environment: environment)
            if case .rejected(let rejection) = merged.outcomes.first?.outcome {
                throw HubError.invalidResolution("\(rejection.reason); \(rejection.remedy)")
            }
            state = merged.row
            if history {
                draft.record(
                    HistoryEntry(
                        kind: .server, at: now, user: user, device: "server", wall: now, hlc: change.hlc, op: "update",
                        field: field, value: value),
                    entity: entity, id: id)
            }
        }
        if let state { try draft.save(state) }
        return state
    }

    /// The history entry of a pushed change and its outcome.
    public static func historyEntry(_ change: Change, outcome: MergeOutcome, writer: Writer, at now: Int64) -> HistoryEntry {
        var entry = HistoryEntry(
            kind: .change, at: now, user: writer.user, device: writer.device, wall: change.wallTime, hlc: change.hlc,
            op: change.operation.name, outcome: outcome.kind)
        switch change.operation {
        case let .insert(values): entry.values = values
        case let .update(field, value, _):
            entry.field = field
            entry.value = value
        case .delete: break
        }
        switch outcome {
        case .applied: break
        case let .merged(winner, rule): entry.detail = "\(rule): the field now holds \(winner)"
        case let .queued(conflict): entry.detail = conflict.explanation
        case let .rejected(rejection): entry.detail = rejection.reason
        }
        return entry
    }

    /// A pushed change as it applies after merges: an edit of a merged-away record goes to the
    /// record it was merged into, and a reference naming one names the kept record. (A delete of
    /// a merged-away record stays where it was: it must not remove the kept one.)
    func redirected(_ change: Change, view: any HubView) throws -> Change {
        var change = change
        if case .update = change.operation, let target = try view.redirect(change.entity, id: change.rowID) {
            change.rowID = target
        }
        guard let entity = schema.entity(change.entity) else { return change }
        func target(_ field: FieldSchema, _ value: FieldValue) throws -> FieldValue? {
            guard case .reference(let parent) = field.type, let id = value.textValue,
                let target = try view.redirect(parent, id: id)
            else { return nil }
            return .text(target)
        }
        switch change.operation {
        case .insert(var values):
            for field in entity.fields {
                if let value = values[field.name], let moved = try target(field, value) { values[field.name] = moved }
            }
            change.operation = .insert(values)
        case .update(let name, let value, let base):
            if let field = entity.field(name), let moved = try target(field, value) {
                change.operation = .update(field: name, value: moved, base: base)
            }
        case .delete:
            break
        }
        return change
    }
}
