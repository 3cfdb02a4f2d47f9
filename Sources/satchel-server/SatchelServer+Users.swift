import ArgumentParser
import Foundation
import ReplicaStore
import SatchelModel
import SyncServer

extension SatchelServer {
    struct Users: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "user", abstract: "Register users and issue enrollment tokens.",
            subcommands: [Add.self, List.self, Token.self])
    }
}

extension SatchelServer.Users {
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a user and print their one-time enrollment token.")

        @Argument(help: "The user name (letters, digits, dots, dashes, underscores).") var name: String
        @Option(help: "rep, manager or admin.") var role: Role
        @Option(name: .customLong("territory"), help: "A territory the user works (repeat for more).")
        var territories: [String] = []
        @Option(help: "The user's manager (a manager or admin).") var manager: String?
        @Flag(help: "Print one JSON object.") var json = false
        @OptionGroup var data: DataOptions

        func run() throws {
            let store = try data.open()
            let token = Tokens.generate(prefix: "enroll")
            let user = UserInfo(name: name, role: role, territories: territories, manager: manager)
            try store.addUser(user, enrollmentHash: Tokens.hash(token))
            if json {
                print(try JSONText.encode(AddUserResponse(user: user, enrollmentToken: token)))
            } else {
                print("Added \(role.rawValue) \(name)\(territories.isEmpty ? "" : " (" + territories.joined(separator: ", ") + ")").")
                print("Enrollment token (shown once; the server keeps only its hash):")
                print(token)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the users.")

        @Flag(help: "Print one JSON object.") var json = false
        @OptionGroup var data: DataOptions

        func run() throws {
            let users = try data.open().users()
            if json {
                print(try JSONText.encode(UserListResponse(users: users)))
                return
            }
            let rows = users.map { [$0.name, $0.role.rawValue, $0.territories.joined(separator: ","), $0.manager ?? ""] }
            print(Table.render(header: ["NAME", "ROLE", "TERRITORIES", "MANAGER"], rows: rows))
        }
    }

    struct Token: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a new enrollment token for a user (the previous one stops working).")

        @Argument(help: "The user name.") var name: String
        @OptionGroup var data: DataOptions

        func run() throws {
            let token = Tokens.generate(prefix: "enroll")
            try data.open().setEnrollmentHash(Tokens.hash(token), for: name)
            print(token)
        }
    }
}

extension Role: ExpressibleByArgument {}

/// Compact JSON for `--json` output.
enum JSONText {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

/// Aligned text tables.
enum Table {
    static func render(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}
