import ArgumentParser
import Foundation
import SyncCore

/// `satchel`: the rep's CRM on the laptop, offline first, and the admin's queue.
@main
struct Satchel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "satchel",
        abstract: "Your book of business, offline: accounts, contacts, visits, deals; sync when a network appears.",
        discussion: "Every command but login, sync and admin works without a network. Docs/cli.md has a rep's day.",
        version: "0.1.0",
        subcommands: [
            Login.self, Sync.self, Status.self, Accounts.self, Contacts.self, Visits.self, Opportunities.self,
            Quotes.self, Orders.self, Tickets.self, Tasks.self, Attachments.self, Reports.self, Export.self, SchemaCommand.self,
            Admin.self, Credential.self,
        ])

    /// Runs the command line; any error becomes one line on standard error and a non-zero exit.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                // --help and --version print their text through ArgumentParser.
                exit(withError: error)
            }
            var message = Satchel.message(for: error)
                .split(separator: "\n").first.map(String.init) ?? "failed"
            let arguments = CommandLine.arguments.dropFirst()
            if let first = arguments.first, !first.hasPrefix("-"),
                !configuration.subcommands.contains(where: { $0._commandName == first })
            {
                message = "'\(first)' is not a satchel command; see 'satchel --help'"
            }
            FileHandle.standardError.write(Data("satchel: \(TextHygiene.escapedForTerminal(message))\n".utf8))
            Foundation.exit(code.rawValue == 0 ? 1 : code.rawValue)
        }
    }
}
