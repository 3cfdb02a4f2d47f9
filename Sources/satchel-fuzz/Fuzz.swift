import Foundation
import SatchelModel
import SyncCore

/// Feeds arbitrary bytes to the changeset decoder (JSON and compressed), the merge entry point,
/// the hand readers of row states, pages, field values, version vectors and a push's answer, and
/// the hand writer of that answer; any crash, trap or broken promise is a bug.
///
/// Built normally, `satchel-fuzz FILE…` replays inputs (the corpus, a crash file). Built for
/// libFuzzer (`scripts/fuzz.sh`), the same function is `LLVMFuzzerTestOneInput`.
enum FuzzTarget {
    static let merger = Merger(schema: CRMSchema.schema)

    static func run(_ data: Data) {
        if let changeset = try? Changeset(jsonData: data) {
            merge(changeset)
            // What decodes must encode and decode to the same changeset.
            guard let again = try? Changeset(jsonData: changeset.jsonData()), again == changeset else {
                fatalError("a decoded changeset does not survive a round trip")
            }
        }
        if let changeset = try? Changeset(compressedData: data, limit: 1 << 20) {
            merge(changeset)
        }
        agree([String: FieldValue].self, data)
        agree(VersionVector.self, data)
        agree(FieldValue.self, data)
        agree(PushResponse.self, data)
        // What the hand writers write is the encoder's bytes.
        if let response = try? WireJSON.decoder.decode(PushResponse.self, from: data),
            (try? WireJSON.data(response)) != (try? WireJSON.encoder.encode(response))
        {
            fatalError("the hand writer and JSONEncoder disagree on a push's answer")
        }
        agree(RowState.self, data)
        agree(RowSnapshot.self, data)
        agree(PullResponse.self, data)
        agree(BootstrapResponse.self, data)
    }

    /// `WireJSON.decode` reads these by hand where it can; it must read exactly what
    /// `JSONDecoder` reads, and refuse exactly what it refuses.
    static func agree<T: Decodable & Equatable>(_ type: T.Type, _ data: Data) {
        let read = try? WireJSON.decode(type, from: data)
        let decoded = try? WireJSON.decoder.decode(type, from: data)
        guard read == decoded else { fatalError("the hand reader and JSONDecoder disagree on a \(T.self)") }
    }

    /// Merges a changeset run by run into rows that start empty, as the hub does.
    static func merge(_ changeset: Changeset) {
        var rows: [String: RowState] = [:]
        var index = 0
        let writer = Writer(user: changeset.user, device: changeset.device, isPrivileged: changeset.user == "admin")
        while index < changeset.changes.count {
            let first = changeset.changes[index]
            var run = [first]
            index += 1
            while index < changeset.changes.count, changeset.changes[index].entity == first.entity,
                changeset.changes[index].rowID == first.rowID
            {
                run.append(changeset.changes[index])
                index += 1
            }
            let key = first.entity + "/" + first.rowID
            let snapshot = rows
            let result = merger.merge(
                run, into: rows[key],
                environment: MergeEnvironment(writer: writer, lookup: { entity, id in snapshot[entity + "/" + id] }))
            guard result.outcomes.count == run.count else { fatalError("a change got no outcome") }
            rows[key] = result.row
        }
    }
}

#if SATCHEL_FUZZING
    /// libFuzzer's driver, run from our own entry point (SwiftPM links executables to it).
    @_silgen_name("LLVMFuzzerRunDriver")
    func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<Int32>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
    ) -> Int32

    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzTestOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
        guard let bytes else { return 0 }
        FuzzTarget.run(Data(bytes: bytes, count: count))
        return 0
    }

    @main
    struct Fuzz {
        static func main() {
            var argc = CommandLine.argc
            var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
            let status = LLVMFuzzerRunDriver(&argc, &argv, fuzzTestOneInput)
            exit(status)
        }
    }
#else
    @main
    struct Replay {
        static func main() {
            var inputs = 0
            for path in CommandLine.arguments.dropFirst() {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                    FileHandle.standardError.write(Data("satchel-fuzz: no such file \(path)\n".utf8))
                    exit(2)
                }
                let files =
                    isDirectory.boolValue
                    ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 }
                    : [path]
                for file in files {
                    guard let data = FileManager.default.contents(atPath: file) else { continue }
                    FuzzTarget.run(data)
                    inputs += 1
                }
            }
            print("replayed \(inputs) inputs")
        }
    }
#endif
