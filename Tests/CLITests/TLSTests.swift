import Foundation
import SatchelTestSupport
import Testing

/// The built `satchel` against the built `satchel-server` serving HTTPS on loopback, with a CA
/// and a certificate made by openssl for the test: login with `--ca`, sync, revocation.
struct TLSTests {
    /// A private CA and a server certificate for 127.0.0.1 signed by it, in `folder`.
    static func makeCertificates(in folder: String) throws -> (ca: String, certificate: String, key: String) {
        let script = """
            set -e
            cd '\(folder)'
            openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=Satchel Test CA' 2>/dev/null
            openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj '/CN=localhost' 2>/dev/null
            printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nbasicConstraints=CA:FALSE\\n' > ext.cnf
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext.cnf 2>/dev/null
            """
        let result = try Executable.run(URL(fileURLWithPath: "/bin/sh"), ["-c", script])
        guard result.status == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "openssl failed: \(result.error)"])
        }
        return (folder + "/ca.pem", folder + "/server.pem", folder + "/server.key")
    }

    @Test func aLaptopSyncsOverHTTPSWithItsPrivateCAAndARevokedLaptopKeepsItsWork() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("satchel-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let files = try Self.makeCertificates(in: root)
        let data = root + "/server"
        let server = try ServerProcess(dataDirectory: data, extraArguments: ["--tls-cert", files.certificate, "--tls-key", files.key])
        defer { server.stop() }
        #expect(server.url.scheme == "https")

        let added = try ServerProcess.run(["user", "add", "alice", "--role", "rep", "--territory", "north", "--data", data, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(added.output.utf8)) as? [String: Any]
        let token = try #require(object?["enrollmentToken"] as? String)
        let home = root + "/alice"
        func satchel(_ arguments: [String], token: String? = nil) throws -> (status: Int32, output: String, error: String) {
            var environment = ProcessInfo.processInfo.environment
            environment["SATCHEL_HOME"] = home
            environment["SATCHEL_TOKEN"] = token
            return try Executable.run(CLI.binary, arguments, environment: environment)
        }

        // Plain HTTP to another machine is refused before anything connects.
        let plain = try satchel(["login", "--server", "http://192.0.2.10:8417"], token: token)
        #expect(plain.status != 0)
        #expect(plain.error.contains("--insecure-http"), "\(plain.error)")
        #expect(plain.error.split(separator: "\n").count == 1)

        // Without the company's CA the certificate is not trusted, and the token is not spent.
        let untrusted = try satchel(["login", "--server", server.url.absoluteString], token: token)
        #expect(untrusted.status != 0)
        #expect(untrusted.error.contains("--ca"), "\(untrusted.error)")
        #expect(!FileManager.default.fileExists(atPath: home + "/replica.sqlite"))

        // With it (the token from SATCHEL_TOKEN, never on the command line), login and sync work.
        let login = try satchel(["login", "--server", server.url.absoluteString, "--ca", files.ca, "--device", "alice-laptop"], token: token)
        #expect(login.status == 0, "\(login.error)")
        let account = try satchel(["account", "add", "--name", "Acme Ltd", "--json"])
        #expect(account.status == 0, "\(account.error)")
        let synced = try satchel(["sync"])
        #expect(synced.status == 0, "\(synced.error)")
        #expect(synced.output.contains("Pushed 1"), "\(synced.output)")

        // The credential is rotated without enrolling again; syncing goes on with the new one.
        let before = try String(contentsOfFile: home + "/credentials.json", encoding: .utf8)
        let rotation = try satchel(["credential", "rotate"])
        #expect(rotation.status == 0, "\(rotation.error)")
        #expect(try String(contentsOfFile: home + "/credentials.json", encoding: .utf8) != before)
        #expect(try satchel(["sync"]).status == 0)

        // An admin revokes the laptop; its next sync says so in one line and keeps the work.
        let credentials = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: home + "/credentials.json"))) as? [String: Any]
        let replica = try #require(credentials?["replica"] as? String)
        let revoked = try ServerProcess.run(["device", "revoke", replica, "--data", data])
        #expect(revoked.status == 0, "\(revoked.error)")
        let pending = try satchel(["account", "add", "--name", "Written after the theft", "--json"])
        #expect(pending.status == 0)
        let refused = try satchel(["sync"])
        #expect(refused.status != 0)
        #expect(refused.error.contains("was revoked by an admin; ask your admin"), "\(refused.error)")
        #expect(refused.error.split(separator: "\n").count == 1, "\(refused.error)")
        let status = try satchel(["status", "--json"])
        let report = try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any]
        #expect(report?["pending"] as? Int == 1, "\(status.output)")
        let list = try satchel(["account", "list"])
        #expect(list.output.contains("Written after the theft"))

        // The audit trail names who did it.
        let audit = try ServerProcess.run(["audit", "--data", data, "--json"])
        #expect(audit.output.contains("device.revoke") && audit.output.contains("user.add"), "\(audit.output)")
    }
}

/// `satchel-server check` finds a store whose invariants were broken behind its back.
struct StoreCheckTests {
    @Test func checkPassesASoundStoreAndNamesABrokenOne() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("satchel-check-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let data = root + "/server"
        let csv = root + "/accounts.csv"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try "record,id,name,territory\naccount,acc-1,Acme Ltd,north\naccount,acc-2,Bolt SA,south\n".write(
            toFile: csv, atomically: true, encoding: .utf8)
        let imported = try ServerProcess.run(["import", csv, "--data", data])
        #expect(imported.status == 0, "\(imported.output) \(imported.error)")
        let sound = try ServerProcess.run(["check", "--data", data])
        #expect(sound.status == 0, "\(sound.output)")
        #expect(sound.output.hasPrefix("ok:"))

        // Someone edits the file by hand: Bolt's copy of its place, which scoped pulls read, no
        // longer matches its place.
        let moved = try Executable.run(
            URL(fileURLWithPath: "/usr/bin/env"),
            [
                "python3", "-c",
                "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.execute(\"UPDATE hub_row SET territory = 'north' WHERE row_id = 'acc-2'\"); db.commit()",
                data + "/satchel.sqlite",
            ])
        #expect(moved.status == 0, "\(moved.error)")
        let misplaced = try ServerProcess.run(["check", "--data", data])
        #expect(misplaced.status == 1)
        #expect(
            misplaced.output.contains(
                "problem: account acc-2: the territory and owner it is pulled by disagree with its root's in hub_account"),
            "\(misplaced.output)")

        // Someone edits the file by hand: Acme's place in the index no longer matches the record.
        let edit = try Executable.run(
            URL(fileURLWithPath: "/usr/bin/env"),
            [
                "python3", "-c",
                "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.execute(\"UPDATE hub_account SET territory = 'south' WHERE account_id = 'acc-1'\"); db.commit()",
                data + "/satchel.sqlite",
            ])
        #expect(edit.status == 0, "\(edit.error)")
        let broken = try ServerProcess.run(["check", "--data", data])
        #expect(broken.status == 1)
        #expect(broken.output.contains("problem: account acc-1: its territory and owner disagree with hub_account"), "\(broken.output)")
    }
}

/// The login token read from standard input, and the server's warning when it serves plain HTTP
/// where other machines can reach it.
struct ExposureTests {
    @Test func theTokenIsReadFromStandardInput() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("satchel-stdin-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let data = root + "/server"
        let server = try ServerProcess(dataDirectory: data)
        defer { server.stop() }
        let added = try ServerProcess.run(["user", "add", "alice", "--role", "rep", "--territory", "north", "--data", data, "--json"])
        let token = try #require((try JSONSerialization.jsonObject(with: Data(added.output.utf8)) as? [String: Any])?["enrollmentToken"] as? String)
        var environment = ProcessInfo.processInfo.environment
        environment["SATCHEL_HOME"] = root + "/alice"
        environment["SATCHEL_TOKEN"] = nil
        environment["TOKEN"] = token
        environment["SATCHEL"] = CLI.binary.path
        let login = try Executable.run(
            URL(fileURLWithPath: "/bin/sh"),
            ["-c", "printf '%s\\n' \"$TOKEN\" | \"$SATCHEL\" login --server '\(server.url.absoluteString)' --token -"],
            environment: environment)
        #expect(login.status == 0, "\(login.error)")
        #expect(login.output.contains("Logged in as alice"))
        // Without a token anywhere, one line says where to put it.
        environment["SATCHEL_HOME"] = root + "/bob"
        let missing = try Executable.run(CLI.binary, ["login", "--server", server.url.absoluteString], environment: environment)
        #expect(missing.status != 0)
        #expect(missing.error.contains("--token -") && missing.error.contains("SATCHEL_TOKEN"), "\(missing.error)")
    }

    @Test func plainHTTPOnAnExposedAddressIsWarnedAbout() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("satchel-exposed-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let process = Process()
        process.executableURL = ServerProcess.binary
        process.arguments = ["serve", "--data", root, "--host", "0.0.0.0", "--port", "0"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        var text = ""
        let deadline = Date().addingTimeInterval(30)
        while !text.contains("\n"), Date() < deadline, process.isRunning {
            let data = errors.fileHandleForReading.availableData
            if data.isEmpty { Thread.sleep(forTimeInterval: 0.05) }
            text += String(decoding: data, as: UTF8.self)
        }
        #expect(text.hasPrefix("warning: serving plain HTTP on 0.0.0.0"), "\(text)")
        #expect(text.contains("--tls-cert"))
    }
}
