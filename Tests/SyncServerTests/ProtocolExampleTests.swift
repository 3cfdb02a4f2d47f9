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
        let encoded = try #require(try Self.roundTrip(stem, data), "no Swift type for \(file)")
        let original = try JSONSerialization.jsonObject(with: data) as? NSDictionary
        let reencoded = try JSONSerialization.jsonObject(with: encoded) as? NSDictionary
        #expect(original != nil)
        #expect(original == reencoded, "\(file) has keys or values the Swift type does not carry")
    }
}
