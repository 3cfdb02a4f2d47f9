import Foundation
import HubStore
import ReplicaStore
import SatchelModel
import SatchelTestSupport
import SyncServer
import Testing

/// `Protocol/openapi.yaml` and the router describe the same API.
struct OpenAPITests {
    /// `METHOD /path` for every operation in the spec (its `paths`, read line by line: paths at
    /// two spaces of indent, methods at four).
    static func specOperations() throws -> [String] {
        let text = try String(contentsOf: Fixtures.packageRoot.appendingPathComponent("Protocol/openapi.yaml"), encoding: .utf8)
        var operations: [String] = []
        var inPaths = false
        var path: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("paths:") {
                inPaths = true
                continue
            }
            guard inPaths else { continue }
            if !line.isEmpty, !line.hasPrefix(" "), !line.hasPrefix("#") { break }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let method = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "post", "put", "patch", "delete"].contains(String(method)) {
                    operations.append(method.uppercased() + " " + path)
                }
            }
        }
        return operations.sorted()
    }

    @Test func everyRouteIsInTheSpecAndEveryOperationIsARoute() throws {
        let routes = routeList(store: try Hub.inMemory(schema: CRMSchema.schema))
        let spec = try Self.specOperations()
        #expect(routes.count >= 19)
        #expect(Set(routes).subtracting(spec).isEmpty, "routes missing from Protocol/openapi.yaml: \(Set(routes).subtracting(spec).sorted())")
        #expect(Set(spec).subtracting(routes).isEmpty, "operations the server does not answer: \(Set(spec).subtracting(routes).sorted())")
    }
}
