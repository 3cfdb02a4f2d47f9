import Foundation

/// A guarded state machine over one enumeration field.
///
/// It lists the allowed moves, the states only a privileged writer (the server or an admin)
/// may enter, and the fields a state requires. ``invariants(entity:)`` turns it into the
/// ``Invariant``s that the merger and the replica both enforce.
public struct StateMachine: Hashable, Sendable {
    public var field: String
    public var states: [String]
    /// The states a new row may start in.
    public var initial: Set<String>
    /// For every state, the states it may move to.
    public var transitions: [String: Set<String>]
    /// States that only a privileged writer may move a row into.
    public var privilegedTargets: Set<String>
    /// Fields that must be non-blank while a row is in a state.
    public var requirements: [String: [String]]

    public init(
        field: String, states: [String], initial: Set<String>, transitions: [String: Set<String>],
        privilegedTargets: Set<String> = [], requirements: [String: [String]] = [:]
    ) {
        self.field = field
        self.states = states
        self.initial = initial
        self.transitions = transitions
        self.privilegedTargets = privilegedTargets
        self.requirements = requirements
    }

    /// Returns whether a move from `from` to `to` is allowed.
    public func allows(from: String, to: String) -> Bool {
        from == to || transitions[from, default: []].contains(to)
    }

    /// The invariants that enforce this machine: every move is allowed and privileged states
    /// are entered by privileged writers (judged at each change), and a state's required fields
    /// are present (judged once the batch is merged, since they travel as separate changes).
    public func invariants(entity: String) -> [Invariant] {
        let machine = self
        let transitions = Invariant(name: "\(entity).\(field)-transitions", fields: [field], scope: .eachChange) { input in
            let before = input.before?[machine.field]?.textValue
            guard let state = input.after[machine.field]?.textValue else {
                // A state, once set, cannot be cleared: that would reopen every move.
                return before.map {
                    Violation(reason: "\(machine.field) cannot be cleared (it is \($0))", remedy: "move it to another state instead")
                }
            }
            if let before {
                if !machine.allows(from: before, to: state) {
                    let allowed = machine.transitions[before, default: []].sorted()
                    return Violation(
                        reason: "\(machine.field) cannot move from \(before) to \(state)",
                        remedy: allowed.isEmpty
                            ? "\(before) is final; create a new record instead"
                            : "from \(before) it may move to \(allowed.joined(separator: ", "))")
                }
            } else if !machine.initial.contains(state), !input.writer.isPrivileged {
                // A new record, or one whose state was never set, enters the machine at the start
                // (the company's own imports of history may start anywhere).
                return Violation(
                    reason: "\(input.before == nil ? "a new record" : "a record without \(machine.field)") cannot start in \(machine.field) \(state)",
                    remedy: "start in \(machine.initial.sorted().joined(separator: " or "))")
            }
            if machine.privilegedTargets.contains(state), before != state, !input.writer.isPrivileged {
                return Violation(
                    reason: "only the server or an admin may set \(machine.field) to \(state)",
                    remedy: "submit it and wait for approval")
            }
            return nil
        }
        guard !requirements.isEmpty else { return [transitions] }
        let involved = Set([field] + requirements.values.flatMap { $0 })
        let required = Invariant(name: "\(entity).\(field)-requirements", fields: involved, scope: .batch) { input in
            guard let state = input.after[machine.field]?.textValue else { return nil }
            for required in machine.requirements[state, default: []] where input.after[required]?.isBlank ?? true {
                return Violation(
                    reason: "\(machine.field) \(state) needs \(required.replacingOccurrences(of: "_", with: " "))",
                    remedy: "give \(required) a value in the same change")
            }
            return nil
        }
        return [transitions, required]
    }
}
