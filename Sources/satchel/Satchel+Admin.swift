import ArgumentParser
import Foundation
import ReplicaStore
import SatchelModel
import SyncClient
import SyncCore

extension Satchel {
    struct Admin: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "admin",
            abstract: "For admins, online: the conflict queue, duplicates, users and the company's fields.",
            subcommands: [Conflicts.self, Duplicates.self, Users.self, Fields.self])
    }
}

extension Satchel.Admin {
    struct Conflicts: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "conflicts",
            abstract: "What no rule could settle, explained.", subcommands: [List.self, Show.self, Resolve.self])
    }

    struct Duplicates: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "duplicates",
            abstract: "Records created twice (same tax id, phone, or name and city): list, compare, merge.",
            subcommands: [List.self, Show.self, Merge.self])
    }

    struct Users: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "user", abstract: "Register users.", subcommands: [Add.self, List.self])
    }
}

extension Satchel.Admin.Conflicts {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List open conflicts (--all for resolved ones too), oldest first.")
        @Flag(help: "Include resolved conflicts.") var all = false
        @Option(help: "Only conflicts about this record type (account, opportunity, …).") var entity: String?
        @Option(help: "Only conflicts queued by this rule (review, delete-vs-edit, transfer, natural-key, …).") var rule: String?
        @Option(help: "Only conflicts on accounts in this territory.") var territory: String?
        @Option(help: "Only conflicts waiting at least this long: 30m, 12h, 3d, 2w.") var olderThan: String?
        @OptionGroup var limitOption: LimitOption
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            var query = [URLQueryItem(name: "status", value: all ? "all" : "open")]
            for (name, value) in [("entity", entity), ("rule", rule), ("territory", territory), ("olderThan", olderThan)] {
                if let value { query.append(URLQueryItem(name: name, value: value)) }
            }
            var components = URLComponents()
            components.queryItems = query
            var items = try await options.client().request(
                "GET", "/v1/admin/conflicts?\(components.percentEncodedQuery ?? "")", as: ConflictListResponse.self
            ).conflicts
            if let limit = limitOption.limit { items = Array(items.prefix(limit)) }
            let output = Output(options)
            if output.json {
                try output.printJSON(items)
                return
            }
            output.table(
                ["ID", "STATUS", "RECORD", "FIELD", "RULE", "SINCE"],
                items.map {
                    [$0.conflict.id, $0.status, "\($0.conflict.entity) \($0.conflict.rowTitle)", $0.conflict.field ?? "",
                     $0.conflict.rule, Output.time($0.createdAt)]
                })
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Show a conflict: the base, every contender, the rule, why.")
        @Argument(help: "The conflict id (or a unique prefix of 4+ characters).") var id: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let client = try options.client()
            let id = try await Satchel.Admin.Conflicts.fullID(id, client: client)
            let item = try await client.request("GET", "/v1/admin/conflicts/\(Satchel.Admin.pathComponent(id))", as: ConflictRecord.self)
            let output = Output(options)
            if output.json {
                try output.printJSON(item)
                return
            }
            Satchel.Admin.Conflicts.describe(item, output: output)
        }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "resolve",
            abstract: "Settle a conflict: keep the current value, the incoming one, or enter a value.")
        @Argument(help: "The conflict id (or a unique prefix of 4+ characters).") var id: String
        @Option(help: "current or incoming.") var keep: String?
        @Option(help: "A value to enter instead (as you would type it in --set).") var value: String?
        @OptionGroup var options: GlobalOptions

        func validate() throws {
            guard (keep == nil) != (value == nil) else { throw ValidationError("give either --keep current|incoming or --value VALUE") }
            if let keep, !["current", "incoming"].contains(keep) { throw ValidationError("--keep is current or incoming") }
        }

        func run() async throws {
            let client = try options.client()
            let path = "/v1/admin/conflicts/\(Satchel.Admin.pathComponent(try await Satchel.Admin.Conflicts.fullID(id, client: client)))"
            var request = ResolveRequest(keep: keep)
            if let value {
                let item = try await client.request("GET", path, as: ConflictRecord.self)
                guard let field = item.conflict.field else { throw CLIError("this conflict has no field to enter a value for; use --keep") }
                // A bare amount is in the currency of the values in contention.
                let contenders = item.conflict.contenders.filter(\.isCurrent) + item.conflict.contenders.filter { !$0.isCurrent }
                let current = contenders.first { $0.value.moneyValue != nil }?.value
                request = ResolveRequest(
                    value: try Assignments.value(value, field: field, entity: Records.schema(item.conflict.entity), current: current))
            }
            let item = try await client.request("POST", path + "/resolve", body: request, as: ConflictRecord.self)
            let output = Output(options)
            if output.json {
                try output.printJSON(item)
            } else {
                print("Resolved \(item.conflict.id) (\(item.resolution ?? "")). Every replica gets the result on its next sync.")
            }
        }
    }
}

extension Satchel.Admin.Conflicts {
    /// A full conflict id from a unique prefix of at least 4 characters (or the id itself).
    static func fullID(_ id: String, client: SyncClient) async throws -> String {
        if id.contains(":") { return id }
        guard id.count >= 4 else { throw CLIError("give at least 4 characters of the conflict id (or all of it)") }
        let all = try await client.request("GET", "/v1/admin/conflicts?status=all", as: ConflictListResponse.self).conflicts
        let matches = all.map(\.conflict.id).filter { $0.hasPrefix(id) }
        switch matches.count {
        case 1: return matches[0]
        case 0: throw CLIError("there is no conflict \(id); list them with 'satchel admin conflicts list --all'")
        default: throw CLIError("'\(id)' matches \(matches.count) conflicts; give more of the id")
        }
    }

    static func describe(_ item: ConflictRecord, output: Output) {
        let conflict = item.conflict
        let type = conflict.field.flatMap { Records.schema(conflict.entity).field($0)?.type } ?? .text(maxLength: 0)
        print(output.bold(conflict.explanation))
        print("record:   \(conflict.entity) \(conflict.rowTitle) (\(conflict.rowID))")
        if let field = conflict.field { print("field:    \(field)") }
        print("rule:     \(conflict.rule)")
        print("base:     \(Output.display(conflict.base, type))")
        var status = item.status
        if let resolution = item.resolution {
            status += ": \(resolution)\(item.resolutionValue.map { " \(Output.display($0, type))" } ?? "")"
        }
        if let by = item.resolvedBy { status += " by \(by)" }
        if let at = item.resolvedAt { status += " at \(Output.time(at))" }
        print("status:   \(status)")
        output.table(
            ["SIDE", "DID", "VALUE", "USER", "DEVICE", "WHEN", "HLC"],
            conflict.contenders.map {
                [$0.isCurrent ? "current" : "incoming", $0.action.rawValue, $0.action == .write ? Output.display($0.value, type) : "",
                 $0.stamp.user, $0.stamp.device, Output.time($0.stamp.wall), String($0.stamp.hlc.packed)]
            })
        for id in conflict.relatedRowIDs {
            print("same as:  \(id)\(conflict.reasons?[id].map { " (\($0))" } ?? "")")
        }
    }
}

extension Satchel.Admin.Users {
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Register a user and print their one-time enrollment token.")
        @Argument(help: "The user name.") var name: String
        @Option(help: "rep, manager or admin.") var role: Role
        @Option(name: .customLong("territory"), help: "A territory (repeat for more).") var territories: [String] = []
        @Option(help: "Their manager.") var manager: String?
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let response = try await options.client().request(
                "POST", "/v1/admin/users", body: AddUserRequest(name: name, role: role, territories: territories, manager: manager),
                as: AddUserResponse.self)
            let output = Output(options)
            if output.json {
                try output.printJSON(response)
            } else {
                print("Added \(role.rawValue) \(name). Enrollment token (shown once):")
                print(response.enrollmentToken)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List users.")
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let users = try await options.client().request("GET", "/v1/admin/users", as: UserListResponse.self).users
            let output = Output(options)
            if output.json {
                try output.printJSON(users)
                return
            }
            output.table(
                ["NAME", "ROLE", "TERRITORIES", "MANAGER", "STATUS"],
                users.map {
                    [
                        $0.name, $0.role.rawValue, $0.territories.joined(separator: ","), $0.manager ?? "",
                        $0.disabled == true ? "disabled" : "active",
                    ]
                })
        }
    }
}

extension Role: ExpressibleByArgument {}

extension Satchel.Admin {
    /// A path segment: everything but unreserved characters and the colon percent-encoded.
    static func pathComponent(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~:")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

extension Satchel.Admin.Duplicates {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List duplicate candidates waiting for a decision (--all for settled ones too).")
        @Flag(help: "Include settled candidates.") var all = false
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let items = try await options.client().request(
                "GET", "/v1/admin/conflicts?status=\(all ? "all" : "open")&rule=natural-key", as: ConflictListResponse.self
            ).conflicts
            let output = Output(options)
            if output.json {
                try output.printJSON(items)
                return
            }
            let replica = try options.openReplica()
            func title(_ entity: String, _ id: String) -> String {
                let values = (try? replica.row(entity, id: id)) ?? nil
                return "\(values.map { Records.schema(entity).title(of: $0, id: id) } ?? "?") (\(id.prefix(8)))"
            }
            output.table(
                ["ID", "STATUS", "NEW", "SAME AS", "WHY", "SINCE"],
                items.map { item in
                    let conflict = item.conflict
                    let signal = conflict.rule.replacingOccurrences(of: "natural-key:", with: "")
                    return [conflict.id, item.status, title(conflict.entity, conflict.rowID),
                     conflict.relatedRowIDs.map { title(conflict.entity, $0) }.joined(separator: ", "),
                     conflict.relatedRowIDs.map { conflict.reasons?[$0] ?? signal }.joined(separator: "; "), Output.time(item.createdAt)]
                })
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Compare a duplicate pair field by field, with what hangs under each.")
        @Argument(help: "The duplicate candidate's id (or a unique prefix of 4+ characters).") var id: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let client = try options.client()
            let id = try await Satchel.Admin.Conflicts.fullID(id, client: client)
            let item = try await client.request(
                "GET", "/v1/admin/conflicts/\(Satchel.Admin.pathComponent(id))", as: ConflictRecord.self)
            let conflict = item.conflict
            guard conflict.kind == .duplicateCandidate else {
                throw CLIError("\(id) is not a duplicate candidate; see it with 'satchel admin conflicts show \(id)'")
            }
            let replica = try options.openReplica()
            let schema = Records.schema(conflict.entity)
            let ids = conflict.relatedRowIDs + [conflict.rowID]
            let rows = try ids.map { id in
                guard let values = try replica.row(conflict.entity, id: id) else {
                    throw CLIError("\(conflict.entity) \(id) is not on this laptop; run 'satchel sync' first")
                }
                return values
            }
            let output = Output(options)
            if output.json {
                try output.printJSON(
                    ["conflict": item.conflict.id, "records": ids.joined(separator: ","),
                     "reasons": conflict.relatedRowIDs.map { "\($0): \(conflict.reasons?[$0] ?? conflict.rule)" }.joined(separator: "\n")])
                return
            }
            print(output.bold(conflict.explanation))
            for id in conflict.relatedRowIDs {
                print("why \(id.prefix(8)): \(conflict.reasons?[id] ?? conflict.rule)")
            }
            output.table(
                ["FIELD", "SAME"] + ids.map { "\($0.prefix(8))\($0 == conflict.rowID ? " (new)" : "")" },
                schema.fields.compactMap { field in
                    let values = rows.map { $0[field.name] ?? .null }
                    guard values.contains(where: { !$0.isNull }) else { return nil }
                    let same = Set(values).count == 1
                    return [field.name, same ? "=" : "≠"] + values.map { Output.display($0, field.type) }
                })
            for id in ids {
                let counts = try replica.childCounts(of: conflict.entity, id: id)
                let text = counts.keys.sorted().map { "\(counts[$0]!) \($0)\(counts[$0]! == 1 ? "" : "s")" }
                print("under \(id.prefix(8)): \(text.isEmpty ? "nothing" : text.joined(separator: ", "))")
            }
            print(
                "Merge with: satchel admin duplicates merge \(conflict.relatedRowIDs.first?.prefix(8) ?? "KEEP") "
                    + "\(conflict.rowID.prefix(8)) [--take FIELD …]   (or keep both: satchel admin conflicts resolve \(id.prefix(8)) --keep current)")
        }
    }

    struct Merge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "merge",
            abstract: "Merge one record into another: its children move over, and its id leads to the kept one.",
            discussion: """
                Every field keeps the kept record's value, except those named with --take, which take the \
                merged record's. Contacts, visits, opportunities, quotes, orders, tickets and tasks of the merged \
                record move to the kept one on the server and, at their next sync, on every laptop; changes \
                laptops push later to the merged id land on the kept record.
                """)
        @Argument(help: "The id of the record to keep (or a unique prefix).") var keep: String
        @Argument(help: "The id of the record to merge into it (or a unique prefix).") var merge: String
        @Option(name: .customLong("take"), help: "A field to take from the merged record (repeat).") var take: [String] = []
        @Option(help: "The record type.") var entity: String = "account"
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let schema = Records.schema(entity)
            for field in take where schema.field(field) == nil {
                throw CLIError("\(schema.labelWithArticle) has no field '\(field)'; see 'satchel \(entity) show ID'")
            }
            let replica = try options.openReplica()
            let keep = try Records.resolve(entity, self.keep, replica: replica)
            let other = try Records.resolve(entity, merge, replica: replica)
            let response = try await options.client().request(
                "POST", "/v1/admin/records/\(entity)/\(Satchel.Admin.pathComponent(keep))/merge",
                body: MergeRequest(from: other, take: take), as: MergeResponse.self)
            let output = Output(options)
            if output.json {
                try output.printJSON(response)
                return
            }
            let moved = response.moved.keys.sorted().map { "\(response.moved[$0]!) \($0)\(response.moved[$0]! == 1 ? "" : "s")" }
            print(
                "Merged \(other.prefix(8)) into \(schema.title(of: response.kept.values, id: keep)) (\(keep.prefix(8)))"
                    + (moved.isEmpty ? "" : "; moved over: \(moved.joined(separator: ", "))") + ". "
                    + "\(other.prefix(8)) now leads to \(keep.prefix(8)); every laptop gets the result on its next sync.")
        }
    }
}
