import ArgumentParser
import Foundation
import ReplicaStore
import SatchelModel
import SyncClient
import SyncCore

extension Satchel.Admin {
    struct Fields: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "field",
            abstract: "The company's own fields: add, list, retire, add choices (laptops learn them at their next sync).",
            subcommands: [Add.self, List.self, Retire.self, Choices.self])
    }
}

extension Satchel.Admin.Fields {
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Add a field to a record type, for every laptop.",
            discussion: """
                Types: text (one line, up to 200 characters), number (whole), money, date, bool, choice \
                (with --choices). Rules, as for built-in fields: lww (the latest edit wins; the default), \
                review (a different concurrent edit waits for an admin), server-owned (only admins write it), \
                max and min (numbers, dates; bool takes max), text-merge (text).
                """)
        @Argument(help: "The record type: account, contact, visit, opportunity, …") var entity: String
        @Argument(help: "The field's name: lower-case letters, digits and '_', starting with a letter.") var name: String
        @Option(help: "text, number, money, date, bool or choice.") var type: String
        @Option(help: "A choice field's values, comma-separated: a,b,c.") var choices: String?
        @Option(help: "What people call it (default: the name with spaces).") var label: String?
        @Option(help: "How concurrent edits are settled: lww, review, server-owned, max, min, text-merge.") var rule = "lww"
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            guard let kind = CustomField.Kind(rawValue: type) else {
                throw CLIError(
                    "there is no field type '\(type)'; use one of \(CustomField.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let field = CustomField(
                entity: entity, name: name, kind: kind,
                choices: choices.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) } ?? [],
                label: label, rule: try Satchel.Admin.Fields.rule(rule))
            // Checked here against the built-in schema first, for a quick answer; the server
            // checks again against the company's fields of now.
            do {
                try CRMSchema.schema.check(.addField(field))
            } catch {
                throw CLIError(error.description)
            }
            let step = try await options.client().request("POST", "/v1/admin/fields", body: field, as: PublishedStep.self)
            Satchel.Admin.Fields.report(step, options: options)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List the company's own fields (retired ones too) and the schema revision.")
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let response = try await options.client().request("GET", "/v1/admin/fields", as: FieldListResponse.self)
            let output = Output(options)
            if output.json {
                try output.printJSON(response)
                return
            }
            print("Company schema revision \(response.revision).")
            output.table(
                ["FIELD", "TYPE", "RULE", "LABEL", "STATUS"],
                response.fields.map {
                    ["\($0.entity).\($0.name)", Satchel.SchemaCommand.typeText($0), $0.rule, $0.label, $0.retired ?? "active"]
                })
        }
    }

    struct Retire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retire",
            abstract: "Stop a field of the company's taking values; its values stay in the records and their history.",
            discussion: "An edit made offline before the laptop learns it is answered 'rejected', with the reason, in 'satchel status'.")
        @Argument(help: "The record type.") var entity: String
        @Argument(help: "The field's name.") var name: String
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let path = "/v1/admin/fields/\(Satchel.Admin.pathComponent(entity))/\(Satchel.Admin.pathComponent(name))/retire"
            let step = try await options.client().request("POST", path, as: PublishedStep.self)
            Satchel.Admin.Fields.report(step, options: options)
        }
    }

    struct Choices: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "choices", abstract: "Add values to a choice field's list (a list only grows).")
        @Argument(help: "The record type.") var entity: String
        @Argument(help: "The field's name.") var name: String
        @Option(help: "A value to add (repeat).") var add: [String] = []
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            guard !add.isEmpty else { throw CLIError("give a value to add: --add VALUE") }
            let path = "/v1/admin/fields/\(Satchel.Admin.pathComponent(entity))/\(Satchel.Admin.pathComponent(name))/choices"
            let step = try await options.client().request("POST", path, body: AddChoicesRequest(add: add), as: PublishedStep.self)
            Satchel.Admin.Fields.report(step, options: options)
        }
    }

    /// A rule by its name or short name ("lww").
    static func rule(_ text: String) throws -> FieldRule {
        if text == "lww" { return .lastWriterWins }
        if let rule = FieldRule(rawValue: text) { return rule }
        throw CLIError(
            "there is no rule '\(text)'; use one of lww, " + FieldRule.allCases.filter { $0 != .addWinsSet }.map(\.rawValue).joined(separator: ", "))
    }

    static func report(_ step: PublishedStep, options: GlobalOptions) {
        let output = Output(options)
        if output.json {
            try? output.printJSON(step)
            return
        }
        print("\(step.step.summary): company schema revision \(step.revision). Laptops learn it at their next sync.")
    }
}

extension Satchel {
    struct SchemaCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "schema",
            abstract: "The record types and fields this laptop knows, with each field's rule and why (offline).")
        @Argument(help: "Only this record type.") var entity: String?
        @OptionGroup var options: GlobalOptions

        func run() throws {
            let replica = try options.openReplica()
            let schema = replica.schema
            if let entity, schema.entity(entity) == nil {
                throw CLIError("there is no record type '\(entity)'; use one of \(schema.entities.map(\.name).joined(separator: ", "))")
            }
            let fields = FieldRecord.all(in: schema).filter { entity == nil || $0.entity == entity }
            let output = Output(options)
            if output.json {
                struct Body: Encodable {
                    var version: Int
                    var revision: Int
                    var fields: [FieldRecord]
                }
                try output.printJSON(Body(version: schema.version, revision: schema.revision, fields: fields))
                return
            }
            print("Schema \(schema.version), company revision \(schema.revision).")
            output.table(
                ["FIELD", "TYPE", "RULE", "WHY"],
                fields.map { field in
                    var why = field.reason
                    if let retired = field.retired { why = "Retired (\(retired)); takes no more values." }
                    return ["\(field.entity).\(field.name)\(field.custom ? " *" : "")", Self.typeText(field), field.rule, why]
                })
            if fields.contains(where: \.custom) { print("* a field of the company's own") }
        }

        static func typeText(_ field: FieldRecord) -> String {
            field.choices.map { "choice: " + $0.joined(separator: ", ") } ?? field.type
        }
    }
}
