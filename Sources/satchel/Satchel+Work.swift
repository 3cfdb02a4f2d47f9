import ArgumentParser
import Foundation
import ReplicaStore
import SatchelModel
import SyncCore

// MARK: - Contacts

extension Satchel {
    struct Contacts: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "contact", abstract: "People at your accounts.",
            subcommands: [
                Add.self, GenericEdit<ContactKind>.self, GenericShow<ContactKind>.self, GenericList<ContactKind>.self,
                GenericHistory<ContactKind>.self,
            ])
    }
}

extension Satchel.Contacts {
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Add a contact to an account (works offline).")

        @OptionGroup var fields: ContactFields
        @Option(name: .customLong("set"), help: "Any other field, as FIELD=VALUE (repeat).") var assignments: [String] = []
        @OptionGroup var options: GlobalOptions

        func validate() throws {
            try Records.require([("--account", fields.account), ("--name", fields.name)], adding: "a contact")
        }

        func run() throws { try Records.add("contact", fields: fields, assignments: assignments, options: options) }
    }
}

// MARK: - Visits

extension Satchel {
    struct Visits: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "visit", abstract: "Visits and other customer interactions.",
            subcommands: [Log.self, List.self, GenericAttach<VisitKind>.self, GenericAttachments<VisitKind>.self])
    }
}

extension Satchel.Visits {
    struct Log: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "log", abstract: "Log a visit (works offline; visits are never edited).")

        @Option(help: "The account id (or a unique prefix).") var account: String
        @Option(help: "Why you went.") var purpose: String
        @Option(help: "What came of it.") var outcome: String
        @Option(help: "A contact you met (repeat for more).") var contact: [String] = []
        @Option(help: "Notes.") var notes: String?
        @Option(help: "When it started (ISO 8601, local time if no zone; default now).") var at: String?
        @Option(help: "How long it lasted, in minutes.") var duration: Int?
        @Option(help: "Where, as LAT,LON.") var location: String?
        @Option(help: "face_to_face, phone, video, email, event or other.") var channel: String = "face_to_face"
        @Option(name: .customLong("next-step"), help: "The agreed next step.") var nextStep: String?
        @Option(name: .customLong("next-visit"), help: "When to visit next (YYYY-MM-DD).") var nextVisit: String?
        @Flag(name: .customLong("met-decision-maker"), help: "You met the person who decides.") var metDecisionMaker = false
        @OptionGroup var options: GlobalOptions

        func validate() throws {
            if let duration, !(1...1440).contains(duration) { throw ValidationError("--duration is 1 to 1440 minutes") }
        }

        func run() throws {
            let replica = try options.openReplica()
            let me = try replica.identity()
            let accountID = try Records.resolve("account", account, replica: replica)
            var started = Int64((Date().timeIntervalSince1970 * 1000).rounded())
            if let at {
                guard let parsed = FieldType.parseTimestamp(at, timeZone: .current) else {
                    throw CLIError("--at '\(at)' is not a time; write it like 2026-11-22T09:30 or 2026-11-22T09:30:00Z")
                }
                started = parsed
            }
            var values: [String: FieldValue] = [
                "account_id": .text(accountID), "rep": .text(me.user), "started_at": .integer(started),
                "purpose": .text(purpose), "outcome": .text(outcome),
            ]
            values.merge(
                try Records.typed(
                    [("channel", channel), ("notes", notes), ("next_step", nextStep), ("next_visit_due", nextVisit), ("location", location)],
                    entity: "visit", current: nil)
            ) { $1 }
            if let duration { values["ended_at"] = .integer(started + Int64(duration) * 60_000) }
            if !contact.isEmpty {
                values["contact_ids"] = .stringSet(try contact.map { try Records.resolve("contact", $0, replica: replica) })
            }
            if metDecisionMaker { values["met_decision_maker"] = .bool(true) }
            // The account's first and last contact move with the visit, in the same write.
            let id = try replica.insert("visit", values: values)
            try Records.show("visit", id: id, replica: replica, options: options)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List visits, newest first.")
        @Option(help: "Only this account's (id or unique prefix).") var account: String?
        @Option(help: "Only since this date (YYYY-MM-DD, local).") var since: String?
        @OptionGroup var filter: WhereOption
        @OptionGroup var limitOption: LimitOption
        @OptionGroup var options: GlobalOptions

        func run() throws {
            let replica = try options.openReplica()
            var from: Int64?
            if let since {
                guard CalendarDate(since) != nil, let parsed = FieldType.parseTimestamp(since, timeZone: .current) else {
                    throw CLIError("--since '\(since)' is not a date; write it like 2026-11-01")
                }
                from = parsed
            }
            let accountID = try account.map { try Records.resolve("account", $0, replica: replica) }
            let rows = try filter.filter(try replica.visits(ofAccount: accountID, since: from), entity: "visit")
            try Records.list("visit", rows: rows, columns: ["started_at", "account_id", "rep", "channel", "purpose", "outcome"], limit: limitOption.limit, options: options)
        }
    }
}

// MARK: - Opportunities

extension Satchel {
    struct Opportunities: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "opp", abstract: "Sales opportunities and their stages.",
            subcommands: [
                Add.self, GenericEdit<OpportunityKind>.self, Stage.self, GenericShow<OpportunityKind>.self,
                GenericList<OpportunityKind>.self, GenericHistory<OpportunityKind>.self, GenericAttach<OpportunityKind>.self,
                GenericAttachments<OpportunityKind>.self,
            ])
    }
}

extension Satchel.Opportunities {
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Open an opportunity (works offline).")
        @OptionGroup var fields: OpportunityFields
        @Option(name: .customLong("set"), help: "Any other field, as FIELD=VALUE (repeat).") var assignments: [String] = []
        @OptionGroup var options: GlobalOptions

        func validate() throws {
            try Records.require(
                [("--account", fields.account), ("--name", fields.name), ("--amount", fields.amount)], adding: "an opportunity")
        }

        func run() throws {
            try Records.add(
                "opportunity", fields: fields, assignments: assignments, base: ["stage": .text("prospecting")], options: options)
        }
    }

    struct Stage: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stage",
            abstract: "Move an opportunity to a stage; closing needs --reason (and a lost reason when lost).")
        @Argument(help: "The opportunity id (or a unique prefix).") var id: String
        @Argument(help: "prospecting, follow_up, negotiation, quote, contract, closed_won or closed_lost.") var stage: String
        @Option(help: "Why it closed (required to close).") var reason: String?
        @Option(name: .customLong("lost-reason"), help: "Why it was lost (defaults to --reason).") var lostReason: String?
        @OptionGroup var options: GlobalOptions

        func validate() throws {
            if CRMSchema.closedStages.contains(stage), reason == nil {
                throw ValidationError("closing an opportunity needs --reason TEXT (why it was \(stage == "closed_won" ? "won" : "lost"))")
            }
        }

        func run() throws {
            var values: [String: FieldValue] = ["stage": .text(stage)]
            if let reason { values["close_reason"] = .text(reason) }
            if stage == "closed_lost", let lost = lostReason ?? reason { values["lost_reason"] = .text(lost) }
            try Records.edit("opportunity", id: id, values: values, options: options)
        }
    }
}
