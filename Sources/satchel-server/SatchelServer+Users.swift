import ArgumentParser
import Foundation
import HubStore
import ReplicaStore
import SatchelModel
import SyncServer

extension SatchelServer {
    struct Users: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "user", abstract: "Register users and issue enrollment tokens.",
            subcommands: [Add.self, List.self, Token.self, Password.self, Disable.self])
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
        @Option(help: "How long the enrollment token stays valid: 1m to 90d, such as 12h, 7d or 2w.") var expires: TokenLifetime = .standard
        @Flag(help: "Print one JSON object.") var json = false
        @OptionGroup var data: DataOptions

        func run() throws {
            let store = try data.open()
            let token = Tokens.generate(prefix: "enroll")
            let user = UserInfo(name: name, role: role, territories: territories, manager: manager)
            try store.addUser(user, enrollmentHash: Tokens.hash(token), expiresAt: Tokens.expiry(after: expires.duration), by: .serverOperator)
            if json {
                print(try JSONText.encode(AddUserResponse(user: user, enrollmentToken: token)))
            } else {
                print("Added \(role.rawValue) \(name)\(territories.isEmpty ? "" : " (" + territories.joined(separator: ", ") + ")").")
                print("Enrollment token (shown once; the server keeps only its hash; valid \(expires.text)):")
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
            let rows = users.map {
                [$0.name, $0.role.rawValue, $0.territories.joined(separator: ","), $0.manager ?? "", $0.disabled == true ? "disabled" : "active"]
            }
            print(Table.render(header: ["NAME", "ROLE", "TERRITORIES", "MANAGER", "STATUS"], rows: rows))
        }
    }

    struct Token: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a new enrollment token for a user (the previous one stops working).")

        @Argument(help: "The user name.") var name: String
        @Option(help: "How long the enrollment token stays valid: 1m to 90d, such as 12h, 7d or 2w.") var expires: TokenLifetime = .standard
        @OptionGroup var data: DataOptions

        func run() throws {
            let token = Tokens.generate(prefix: "enroll")
            try data.open().setEnrollmentHash(
                Tokens.hash(token), for: name, expiresAt: Tokens.expiry(after: expires.duration), by: .serverOperator)
            print(token)
        }
    }

    struct Password: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set the password an admin or manager signs in to the web console with (/admin).",
            discussion: """
                The password is read from standard input, never from the command line: typed twice at a \
                terminal (not shown), or the first line of a pipe (`printf '%s\\n' "$PW" | satchel-server user \
                password NAME`). It is stored as a bcrypt hash; setting it ends the user's open console sessions. \
                At least \(ConsolePasswords.minimumLength) characters, at most \(ConsolePasswords.maximumBytes) bytes. \
                Reps have no console password.
                """)

        @Argument(help: "The user name (an admin or a manager).") var name: String
        @Flag(help: "Remove the password instead: the user can no longer sign in to the console.") var remove = false
        @OptionGroup var data: DataOptions

        func run() throws {
            let store = try data.open()
            guard !remove else {
                try store.setPassword(hash: nil, for: name, by: .serverOperator)
                print("Removed \(name)'s console password; their console sessions ended.")
                return
            }
            guard let user = try store.user(name) else {
                throw CommandError("there is no user '\(name)'; list them with 'satchel-server user list'")
            }
            guard user.role != .rep else { throw CommandError("\(name) is a rep; only admins and managers sign in to the console") }
            let password: String
            if isatty(STDIN_FILENO) == 1 {
                let first = try Self.readHidden("Console password for \(name): ")
                if let problem = ConsolePasswords.problem(with: first) { throw CommandError(problem) }
                guard try Self.readHidden("Again: ") == first else { throw CommandError("the two passwords differ; nothing was changed") }
                password = first
            } else {
                guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                    throw CommandError("no password on standard input; pipe one line, or run this at a terminal")
                }
                password = line
            }
            if let problem = ConsolePasswords.problem(with: password) { throw CommandError(problem) }
            try store.setPassword(hash: try ConsolePasswords.hash(password), for: name, by: .serverOperator)
            print("Set \(name)'s console password; they sign in at /admin of this server.")
        }

        /// A line read from the terminal with echo off.
        static func readHidden(_ prompt: String) throws -> String {
            FileHandle.standardError.write(Data(prompt.utf8))
            var saved = termios()
            tcgetattr(STDIN_FILENO, &saved)
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSANOW, &quiet)
            defer {
                tcsetattr(STDIN_FILENO, TCSANOW, &saved)
                FileHandle.standardError.write(Data("\n".utf8))
            }
            guard let line = readLine(strippingNewline: true) else { throw CommandError("no password was typed; nothing was changed") }
            return line
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cut a user off at once: every device of theirs is refused from its next request.")

        @Argument(help: "The user name.") var name: String
        @OptionGroup var data: DataOptions

        func run() throws {
            try data.open().disableUser(name, by: .serverOperator)
            print("Disabled \(name): every laptop of theirs is refused from its next request; nothing on them is deleted.")
        }
    }
}

/// How long an enrollment token lives: a number and a unit (m, h, d or w).
struct TokenLifetime: ExpressibleByArgument {
    var duration: Duration
    var text: String

    static let standard = TokenLifetime(duration: Tokens.defaultLifetime, text: "7d")

    init(duration: Duration, text: String) {
        self.duration = duration
        self.text = text
    }

    init?(argument: String) {
        guard let unit = argument.last, let count = Int64(argument.dropLast()), count > 0, count <= 10_000 else { return nil }
        let seconds: Int64
        switch unit {
        case "m": seconds = count * 60
        case "h": seconds = count * 3600
        case "d": seconds = count * 86_400
        case "w": seconds = count * 7 * 86_400
        default: return nil
        }
        guard seconds <= 90 * 86_400 else { return nil }
        self.init(duration: .seconds(seconds), text: argument)
    }

    var defaultValueDescription: String { text }
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
