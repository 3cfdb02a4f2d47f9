import Crypto
import Foundation
import HubEngine
import HubStore
import ReplicaStore
import SatchelModel
import SatchelTestSupport
import SyncClient
import SyncCore
import SyncServer
import Testing

/// Every hostile request of `Fixtures/hostile/http/` sent to a running server: each gets its
/// documented 4xx and the store's files are byte for byte what they were.
struct HostileCorpusTests {
    struct Case: Decodable, CustomTestStringConvertible, Sendable {
        var name: String
        var method: String
        var path: String
        var `as`: String
        var headers: [String: String]?
        var body: FieldValueJSON?
        var bodyText: String?
        var bodyBase64: String?
        var generate: String?
        var expect: Expectation

        struct Expectation: Decodable, Sendable {
            var status: Int
            /// The error code of a refusal (absent when the push is answered with outcomes).
            var code: String?
            /// The outcome of every change of an answered push ("rejected", "queued", "applied"); a
            /// rejected or queued one must leave every record as it was.
            var outcome: String?
            /// The rule of a rejected outcome.
            var rule: String?
        }

        var testDescription: String { name }
    }

    /// Any JSON value, kept as text so placeholders can be filled in.
    struct FieldValueJSON: Decodable, Sendable {
        var text: String
        init(from decoder: any Decoder) throws {
            text = String(decoding: try JSONSerialization.data(withJSONObject: try JSONAny(from: decoder).value, options: [.sortedKeys, .fragmentsAllowed]), as: UTF8.self)
        }
    }

    static func cases() throws -> [Case] {
        let folder = Fixtures.url("hostile/http")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
        return try files.map { try JSONDecoder().decode(Case.self, from: Data(contentsOf: folder.appendingPathComponent($0))) }
    }

    /// A company on a file-backed store: alice (north), carol (south), an admin, Acme (north),
    /// Sud SA (south) with its contact; eve's token expired, frank's laptop revoked, gina disabled.
    final class Company: @unchecked Sendable {
        let directory: String
        let server: LiveServer
        let store: Hub
        var credentials: [String: String] = [:]
        var placeholders: [String: String] = [:]

        init() async throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("satchel-hostile-\(UUID().uuidString)").path
            let store = try SQLiteServerStore.open(directory: directory)
            self.store = store
            server = try await LiveServer.start(hub: store)
            for (name, role, territory) in [
                ("alice", Role.rep, "north"), ("carol", .rep, "south"), ("admin", .admin, "north"), ("dave", .rep, "north"),
                ("frank", .rep, "south"), ("gina", .rep, "south"),
            ] {
                let token = try server.addUser(name, role: role, territories: [territory])
                let enrolled = try await SyncClient.enroll(server: server.url, token: token, device: "\(name)-laptop")
                credentials[name] = enrolled.credential
                placeholders["\(name).replica"] = enrolled.replica.rawValue
                if name == "dave" { placeholders["spent-token"] = token }
            }
            _ = try store.importRecords([
                Hub.ImportRecord(entity: "account", id: "acc-acme", values: ["name": .text("Acme"), "territory": .text("north")], origin: "1"),
                Hub.ImportRecord(entity: "account", id: "acc-sud", values: ["name": .text("Sud SA"), "territory": .text("south")], origin: "2"),
                Hub.ImportRecord(
                    entity: "contact", id: "con-sud", values: ["name": .text("Marie"), "account_id": .text("acc-sud")], origin: "3"),
            ])
            placeholders["acme"] = "acc-acme"
            placeholders["sud"] = "acc-sud"
            placeholders["sud-contact"] = "con-sud"
            placeholders["hub.replica"] = try store.replicaID().rawValue
            let expired = Tokens.generate(prefix: "enroll")
            try store.addUser(UserInfo(name: "eve", role: .rep, territories: ["south"]), enrollmentHash: Tokens.hash(expired), expiresAt: 1)
            placeholders["expired-token"] = expired
            try store.revokeDevice(ReplicaID(placeholders["frank.replica"]!))
            try store.disableUser("gina")
        }

        /// Every live record's values and every root's place: what a refused change must leave as it was.
        func records() throws -> String {
            var lines: [String] = []
            for entity in store.schema.entities {
                for row in try store.liveRows(entity.name) {
                    lines.append("\(entity.name)/\(row.id) \(row.values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })")
                }
            }
            return lines.joined(separator: "\n")
        }

        func fill(_ text: String) -> String {
            placeholders.reduce(text) { $0.replacingOccurrences(of: "{{\($1.key)}}", with: $1.value) }
        }

        /// SHA-256 of the store's files (the database and its write-ahead log).
        func digest() throws -> String {
            var hasher = SHA256()
            for suffix in ["", "-wal"] {
                let path = directory + "/" + SQLiteServerStore.fileName + suffix
                if let data = FileManager.default.contents(atPath: path) { hasher.update(data: data) }
            }
            return hasher.finalize().map { String(format: "%02x", $0) }.joined()
        }

        func body(for testCase: Case) throws -> Data? {
            if let generate = testCase.generate {
                switch generate {
                case "oversized-body": return Data(repeating: 0x20, count: 9 << 20)
                case "gzip-bomb": return try Compression.deflate(Data(count: 48 << 20), format: .gzip)
                case "too-many-changes":
                    let replica = ReplicaID(placeholders["alice.replica"]!)
                    let changes = (1...5001).map {
                        Change(
                            dot: Dot(replica: replica, counter: UInt64($0)), hlc: HLCTimestamp(milliseconds: 1_790_000_000_000),
                            wallTime: 1_790_000_000_000, entity: "account", rowID: "n\($0)", context: VersionVector(),
                            operation: .insert(["name": .text("N\($0)")]))
                    }
                    return try Changeset(replica: replica, user: "alice", device: "x", schemaVersion: 1, changes: changes).jsonData()
                default: throw CocoaError(.featureUnsupported)
                }
            }
            if let text = testCase.body?.text ?? testCase.bodyText { return Data(fill(text).utf8) }
            if let base64 = testCase.bodyBase64 { return Data(base64Encoded: base64) }
            return nil
        }
    }

    @Test func theCorpusCoversWhatTheIssueNames() throws {
        let names = Set(try Self.cases().map(\.name))
        #expect(names.count >= 40)
        for needed in [
            "malformed-truncated-json", "wrong-type-counter", "invalid-utf8", "nul-byte-in-value", "huge-number-counter",
            "oversized-body", "oversized-field", "gzip-bomb", "unknown-table", "unknown-column", "unknown-enum-value",
            "sql-looking-table", "missing-token", "forged-token", "enroll-with-spent-token", "another-replicas-id",
            "another-territorys-record", "unsupported-format-version", "reparent-into-another-territory",
            "reference-to-missing-record", "reference-to-invisible-record", "forged-context", "combining-marks-field",
            "control-character-field", "expired-token", "revoked-device", "disabled-user", "rep-lists-devices",
            "rep-revokes-a-device", "rep-disables-a-user", "rep-reads-the-audit", "rep-lists-users", "rep-adds-a-user",
            "rep-reads-a-conflict", "rep-resolves-a-conflict", "rep-transfers-an-account", "rep-merges-records",
        ] {
            #expect(names.contains(needed), "Fixtures/hostile/http/\(needed).json is missing")
        }
    }

    /// A rep is refused on every admin route: each route under `/v1/admin/` has a case sent as a
    /// rep that expects 403 `forbidden`.
    @Test func aRepIsRefusedOnEveryAdminRoute() throws {
        let admin = Set(routeList(store: try Hub.inMemory(schema: CRMSchema.schema)).filter { $0.contains(" /v1/admin/") })
        let covered = Set(
            try Self.cases().filter { ["alice", "carol", "dave"].contains($0.as) && $0.expect.code == "forbidden" }.map { testCase in
                testCase.method + " " + Self.route(of: testCase.path, among: admin)
            })
        #expect(admin.subtracting(covered).isEmpty, "admin routes without a rep case: \(admin.subtracting(covered).sorted())")
    }

    /// The route (`/v1/admin/conflicts/{id}`) a concrete path matches.
    static func route(of path: String, among routes: Set<String>) -> String {
        let parts = path.split(separator: "?")[0].split(separator: "/")
        for route in routes {
            let pattern = route.split(separator: " ")[1].split(separator: "/")
            if pattern.count == parts.count,
                zip(pattern, parts).allSatisfy({ $0.hasPrefix("{") || $0 == $1 })
            {
                return String(route.split(separator: " ")[1])
            }
        }
        return path
    }

    @Test func everyHostileRequestGetsItsErrorAndChangesNoByte() async throws {
        let company = try await Company()
        defer {
            Task { await company.server.stop() }
        }
        let transport = HTTPTransport(baseURL: company.server.url)
        var sent = 0
        for testCase in try Self.cases() {
            sent += 1
            let before = try company.digest()
            let recordsBefore = try company.records()
            var headers = testCase.headers ?? [:]
            switch testCase.as {
            case "none": break
            case "forged": headers["Authorization"] = "Bearer sat_device_forged"
            default: headers["Authorization"] = "Bearer \(company.credentials[testCase.as]!)"
            }
            let response = try await transport.send(
                TransportRequest(method: testCase.method, path: company.fill(testCase.path), headers: headers, body: try company.body(for: testCase)))
            let error = try? WireJSON.decoder.decode(ErrorResponse.self, from: response.body).error
            #expect(response.status == testCase.expect.status, "\(testCase.name): \(response.status) \(error?.message ?? "")")
            if let outcome = testCase.expect.outcome {
                // Answered with outcomes: every change refused (or taken) as expected, and a refused
                // change left every record as it was.
                let answer = try WireJSON.decoder.decode(PushResponse.self, from: response.body)
                #expect(!answer.outcomes.isEmpty, "\(testCase.name): no outcomes")
                for item in answer.outcomes {
                    #expect(item.outcome.kind == outcome, "\(testCase.name): \(item.outcome)")
                    if case .rejected(let refusal) = item.outcome {
                        #expect(refusal.rule == testCase.expect.rule, "\(testCase.name): rule \(refusal.rule)")
                        #expect(!refusal.reason.isEmpty && !refusal.remedy.isEmpty)
                        #expect(!refusal.reason.contains("Acme"), "\(testCase.name): the refusal names another territory's record")
                    }
                }
                if outcome == "rejected" || outcome == "queued" {
                    #expect(try company.records() == recordsBefore, "\(testCase.name) changed a record")
                }
                continue
            }
            #expect(error?.code.rawValue == testCase.expect.code, "\(testCase.name): \(error?.code.rawValue ?? "no error body")")
            #expect(!(error?.message.isEmpty ?? true), "\(testCase.name) has no message")
            #expect(try company.digest() == before, "\(testCase.name) changed the store")
        }
        #expect(sent >= 40)
        try? FileManager.default.removeItem(atPath: company.directory)
    }
}

/// Decodes any JSON value into Foundation objects.
struct JSONAny: Decodable {
    var value: Any
    init(from decoder: any Decoder) throws {
        if let keyed = try? decoder.container(keyedBy: Key.self) {
            var object: [String: Any] = [:]
            for key in keyed.allKeys { object[key.stringValue] = try keyed.decode(JSONAny.self, forKey: key).value }
            value = object
        } else if var unkeyed = try? decoder.unkeyedContainer() {
            var array: [Any] = []
            while !unkeyed.isAtEnd { array.append(try unkeyed.decode(JSONAny.self).value) }
            value = array
        } else {
            let single = try decoder.singleValueContainer()
            if single.decodeNil() { value = NSNull() }
            else if let bool = try? single.decode(Bool.self) { value = bool }
            else if let int = try? single.decode(Int64.self) { value = int }
            else if let double = try? single.decode(Double.self) { value = double }
            else { value = try single.decode(String.self) }
        }
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
