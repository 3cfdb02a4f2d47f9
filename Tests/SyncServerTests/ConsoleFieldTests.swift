import Foundation
import HubStore
import SatchelModel
import SatchelTestSupport
import SyncCore
@testable import SyncServer
import Testing

/// The company's fields from the admin console: the same steps as `satchel admin field`, on every
/// storage, with the same one-sentence refusals.
struct ConsoleFieldTests {
    @Test(arguments: Backend.available) func anAdminAddsGrowsAndRetiresAFieldAndBadInputChangesNothing(backend: Backend) async throws {
        try await ConsoleTests.with(backend) { server in
            let admin = WebClient(base: server.url)
            _ = try await admin.signIn("ada", password: ConsoleTests.password)
            let empty = try await admin.get("/admin/fields")
            #expect(empty.status == 200 && empty.body.contains("The company has added no field yet."))
            let token = try #require(empty.csrf)

            let added = try await admin.post(
                "/admin/fields",
                [("csrf", token), ("entity", "account"), ("name", "segment"), ("kind", "choice"), ("choices", "smb, enterprise"),
                 ("label", "market segment"), ("rule", "review")])
            #expect(added.status == 303 && added.header("Location") == "/admin/fields?done=field-added")
            let field = try #require(try server.hub.currentSchema().entity("account")?.field("segment"))
            #expect(field.type == .enumeration(["smb", "enterprise"]) && field.rule == .review && field.label == "market segment")

            // Each refusal is the API's sentence on an HTML page, and the schema does not move.
            let refusals: [([(String, String)], String)] = [
                ([("entity", "account"), ("name", "segment"), ("kind", "text"), ("rule", "last-writer-wins")], "account already has a field"),
                ([("entity", "account"), ("name", "phone"), ("kind", "text"), ("rule", "last-writer-wins")], "is a built-in field of account"),
                ([("entity", "gizmo"), ("name", "colour"), ("kind", "text"), ("rule", "last-writer-wins")], "there is no record type"),
                ([("entity", "account"), ("name", "size"), ("kind", "huge"), ("rule", "review")], "Pick a type"),
                ([("entity", "account"), ("name", "size"), ("kind", "text"), ("rule", "max")], "a text field cannot use the rule"),
            ]
            for (fields, message) in refusals {
                let answer = try await admin.post("/admin/fields", [("csrf", token)] + fields)
                #expect(answer.status == 400, "\(fields)")
                // The page's sentence starts with a capital, as every console message does.
                #expect(answer.body.lowercased().contains(message.lowercased()), "\(fields): \(answer.body.prefix(400))")
            }
            #expect(try server.hub.currentSchema().revision == 1)

            let grown = try await admin.post("/admin/fields/account/segment/choices", [("csrf", token), ("add", "midmarket")])
            #expect(grown.status == 303 && grown.header("Location") == "/admin/fields?done=choices-added")
            let page = try await admin.get("/admin/fields?done=choices-added")
            #expect(page.body.contains("choice: smb, enterprise, midmarket") && page.body.contains("Laptops learn the new choices"))
            #expect(page.body.contains("schema revision 2"))

            let retired = try await admin.post("/admin/fields/account/segment/retire", [("csrf", token)])
            #expect(retired.status == 303)
            #expect(try server.hub.currentSchema().entity("account")?.retiredField("segment")?.reason.hasPrefix("retired by ada") == true)
            #expect(try await admin.get("/admin/fields").body.contains("retired by ada"))
            #expect(try server.hub.auditEntries(limit: 5).map(\.action).prefix(3) == ["field.retire", "field.choices", "field.add"])

            // A manager is refused, and nothing moves.
            _ = try server.addUser("max", role: .manager, territories: ["north"])
            try server.hub.setPassword(hash: try ConsolePasswords.hash(ConsoleTests.password), for: "max", by: .serverOperator)
            let manager = WebClient(base: server.url)
            _ = try await manager.signIn("max", password: ConsoleTests.password)
            #expect(try await manager.get("/admin/fields").status == 403)
            let managerToken = try #require(try await manager.get("/admin").csrf)
            let refused = try await manager.post(
                "/admin/fields", [("csrf", managerToken), ("entity", "account"), ("name", "x"), ("kind", "text"), ("rule", "review")])
            let revision = try server.hub.currentSchema().revision
            #expect(refused.status == 403 && revision == 3)
        }
    }
}
