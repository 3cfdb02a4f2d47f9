import Foundation
import SatchelModel
import SatchelTestSupport
import SyncCore
import SyncServer
import Testing

/// Every canonical message in `Protocol/examples/` decodes with its Swift type and re-encodes
/// to the same JSON: the written spec and the code cannot drift apart.
struct ProtocolExampleTests {
    static let folder = Fixtures.packageRoot.appendingPathComponent("Protocol/examples")

    static var examples: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
    }

    /// Decodes and re-encodes with the type a file's stem names.
    static func roundTrip(_ stem: String, _ data: Data) throws -> Data? {
        func again<T: Codable>(_ type: T.Type) throws -> Data { try WireJSON.encoder.encode(WireJSON.decoder.decode(type, from: data)) }
        switch stem {
        case "changeset": return try Changeset(jsonData: data).jsonData()
        case "push-response": return try again(PushResponse.self)
        case "pull-response": return try again(PullResponse.self)
        case "bootstrap-response": return try again(BootstrapResponse.self)
        case "enroll-request": return try again(EnrollRequest.self)
        case "enroll-response": return try again(EnrollResponse.self)
        case "error-response": return try again(ErrorResponse.self)
        case "health-response": return try again(HealthResponse.self)
        case "add-user-request": return try again(AddUserRequest.self)
        case "add-user-response": return try again(AddUserResponse.self)
        case "user-list-response": return try again(UserListResponse.self)
        case "conflict-record": return try again(ConflictRecord.self)
        case "conflict-list-response": return try again(ConflictListResponse.self)
        case "resolve-request": return try again(ResolveRequest.self)
        case "transfer-request": return try again(TransferRequest.self)
        case "history-response": return try again(HistoryResponse.self)
        case "merge-request": return try again(MergeRequest.self)
        case "merge-response": return try again(MergeResponse.self)
        case "audit-list-response": return try again(AuditListResponse.self)
        case "device-list-response": return try again(DeviceListResponse.self)
        case "device-record": return try again(DeviceRecord.self)
        case "rotate-response": return try again(RotateResponse.self)
        case "upload-status": return try again(UploadStatus.self)
        default: return nil
        }
    }

    /// A pull page in the `table` layout, decoded and written again as the server writes it.
    static func tableRoundTrip(_ data: Data) throws -> Data {
        let page = try WireJSON.decoder.decode(PullResponse.self, from: data)
        var object = try #require(try JSONSerialization.jsonObject(with: WireJSON.encoder.encode(page)) as? [String: Any])
        object["rows"] = nil
        object["table"] = try JSONSerialization.jsonObject(with: Data(RowTable.json(page.rows).utf8))
        return try JSONSerialization.data(withJSONObject: object)
    }

    /// The `table` example is the pull example's page in the other layout: the same rows once
    /// read (nulls aside), and the very table the server writes for them.
    @Test func theTableExampleIsThePullExampleAsATable() throws {
        let rows = try WireJSON.decode(PullResponse.self, from: Data(contentsOf: Self.folder.appendingPathComponent("pull-response.json")))
        let data = try Data(contentsOf: Self.folder.appendingPathComponent("pull-response--table.json"))
        let table = try WireJSON.decode(PullResponse.self, from: data)
        #expect(table.rows == rows.rows.map { row in
            var row = row
            row.values = row.values.filter { $0.value != .null }
            return row
        })
        #expect(table.cursor == rows.cursor && table.hasMore == rows.hasMore && table.highWater == rows.highWater)
        let written = try JSONSerialization.jsonObject(with: Data(RowTable.json(rows.rows).utf8)) as? NSDictionary
        let example = (try JSONSerialization.jsonObject(with: data) as? NSDictionary)?["table"] as? NSDictionary
        #expect(written != nil && written == example, "the server writes: \(RowTable.json(rows.rows))")
    }

    @Test func everyMessageHasAnExample() {
        let stems = Set(Self.examples.map { String($0.dropLast(5).split(separator: "-", omittingEmptySubsequences: false).joined(separator: "-").components(separatedBy: "--")[0]) })
        for stem in [
            "changeset", "push-response", "pull-response", "bootstrap-response", "enroll-request", "enroll-response",
            "error-response", "health-response", "add-user-request", "add-user-response", "user-list-response",
            "conflict-record", "conflict-list-response", "resolve-request", "transfer-request", "history-response",
            "merge-request", "merge-response", "upload-status",
        ] {
            #expect(stems.contains(stem), "Protocol/examples/\(stem).json is missing")
        }
    }

    @Test(arguments: examples)
    func exampleDecodesAndReEncodesToTheSameJSON(_ file: String) throws {
        let data = try Data(contentsOf: Self.folder.appendingPathComponent(file))
        let stem = String(file.dropLast(5)).components(separatedBy: "--")[0]
        if file.hasSuffix("--table.json") {
            // A reader drops null values, so the table written again may list fewer fields; it
            // must read the same (``theTableExampleIsThePullExampleAsATable`` checks the text).
            let page = try WireJSON.decode(PullResponse.self, from: data)
            #expect(try WireJSON.decode(PullResponse.self, from: try Self.tableRoundTrip(data)) == page)
            return
        }
        let encoded = try #require(try Self.roundTrip(stem, data), "no Swift type for \(file)")
        let original = try JSONSerialization.jsonObject(with: data) as? NSDictionary
        let reencoded = try JSONSerialization.jsonObject(with: encoded) as? NSDictionary
        #expect(original != nil)
        #expect(original == reencoded, "\(file) has keys or values the Swift type does not carry")
    }
}
