import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A real headless Chromium driven over the W3C WebDriver protocol (Debian's `chromium` and
/// `chromium-driver`), for the console's browser tests: a chromedriver process on a loopback
/// port and one session in it.
///
/// ```swift
/// let browser = try await Browser.start()
/// defer { browser.quit() }
/// try await browser.go(server.url.appendingPathComponent("admin"))
/// try await browser.type("#user", "ada")
/// ```
public final class Browser: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Where Debian puts the browser and its driver (`SATCHEL_CHROMIUM`, `SATCHEL_CHROMEDRIVER` override).
    public static var chromium: String { ProcessInfo.processInfo.environment["SATCHEL_CHROMIUM"] ?? "/usr/bin/chromium" }
    public static var chromedriver: String {
        ProcessInfo.processInfo.environment["SATCHEL_CHROMEDRIVER"] ?? "/usr/bin/chromedriver"
    }

    /// Whether both are installed here.
    public static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: chromium) && FileManager.default.isExecutableFile(atPath: chromedriver)
    }

    /// Whether a missing browser fails the tests instead of skipping them (CI sets `SATCHEL_REQUIRE_BROWSER=1`).
    public static var isRequired: Bool { ProcessInfo.processInfo.environment["SATCHEL_REQUIRE_BROWSER"] == "1" }

    private let driver: Process
    private let base: URL
    private let session: String

    private init(driver: Process, base: URL, session: String) {
        self.driver = driver
        self.base = base
        self.session = session
    }

    /// Starts chromedriver and a headless browser window of `width`×`height`.
    public static func start(width: Int = 1280, height: Int = 800) async throws -> Browser {
        guard isAvailable else {
            throw Failure(description: "no \(chromium) or \(chromedriver); install Debian's chromium and chromium-driver")
        }
        for _ in 0..<5 {
            let port = Int.random(in: 20_000...45_000)
            let driver = Process()
            driver.executableURL = URL(fileURLWithPath: chromedriver)
            driver.arguments = ["--port=\(port)", "--allowed-ips=127.0.0.1"]
            driver.standardOutput = FileHandle.nullDevice
            driver.standardError = FileHandle.nullDevice
            try driver.run()
            let base = URL(string: "http://127.0.0.1:\(port)")!
            let deadline = Date().addingTimeInterval(20)
            var ready = false
            while Date() < deadline, driver.isRunning, !ready {
                if let data = try? await send("GET", base.appendingPathComponent("status"), nil, timeout: .seconds(2)),
                    let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                    (object["value"] as? [String: Any])?["ready"] as? Bool == true
                {
                    ready = true
                } else {
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            guard ready else {
                if driver.isRunning { kill(driver.processIdentifier, SIGKILL) }
                continue
            }
            let capabilities: [String: Any] = [
                "capabilities": [
                    "alwaysMatch": [
                        "browserName": "chrome",
                        "goog:chromeOptions": [
                            "binary": chromium,
                            "args": [
                                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                                "--window-size=\(width),\(height)", "--lang=en-US", "--force-device-scale-factor=1",
                            ],
                        ],
                    ]
                ]
            ]
            let answer = try await call(base, "POST", "session", capabilities)
            guard let value = answer as? [String: Any], let session = value["sessionId"] as? String else {
                kill(driver.processIdentifier, SIGKILL)
                throw Failure(description: "chromedriver did not open a session: \(answer)")
            }
            return Browser(driver: driver, base: base, session: session)
        }
        throw Failure(description: "chromedriver did not start on a free port")
    }

    /// Ends the session and stops chromedriver (and its browser).
    public func quit() {
        let base = self.base
        let session = self.session
        let semaphore = DispatchSemaphore(value: 0)
        Task {
            _ = try? await Self.send("DELETE", base.appendingPathComponent("session/\(session)"), nil, timeout: .seconds(10))
            semaphore.signal()
        }
        _ = semaphore.wait(timeout: .now() + 15)
        // chromedriver does not always stop on SIGTERM; its browser went with the session.
        if driver.isRunning { kill(driver.processIdentifier, SIGKILL) }
        let deadline = Date().addingTimeInterval(10)
        while driver.isRunning, Date() < deadline { usleep(10_000) }
    }

    // MARK: - Navigating and reading

    public func go(_ url: URL) async throws {
        _ = try await command("POST", "url", ["url": url.absoluteString])
    }

    public func currentURL() async throws -> URL {
        URL(string: try await command("GET", "url") as? String ?? "")!
    }

    /// The visible text of the first element `css` selects.
    public func text(_ css: String) async throws -> String {
        try await command("GET", "element/\(try await element(css))/text") as? String ?? ""
    }

    /// The visible text of the whole page.
    public func pageText() async throws -> String {
        try await text("body")
    }

    func exists(_ css: String) async throws -> Bool {
        let found = try await command("POST", "elements", ["using": "css selector", "value": css]) as? [[String: Any]] ?? []
        return !found.isEmpty
    }

    // MARK: - Acting

    public func click(_ css: String) async throws {
        _ = try await command("POST", "element/\(try await element(css))/click", [:])
    }

    /// Clears the field `css` selects and types `text` into it.
    public func type(_ css: String, _ text: String) async throws {
        let id = try await element(css)
        _ = try await command("POST", "element/\(id)/clear", [:])
        _ = try await command("POST", "element/\(id)/value", ["text": text])
    }

    /// Picks the option whose value is `value` in the select `css` selects.
    public func select(_ css: String, value: String) async throws {
        try await click("\(css) option[value=\"\(value)\"]")
    }

    /// Presses keys on whatever has the focus (`Browser.tab`, `Browser.enter`, or text).
    public func press(_ keys: String) async throws {
        var actions: [[String: Any]] = []
        for key in keys {
            actions.append(["type": "keyDown", "value": String(key)])
            actions.append(["type": "keyUp", "value": String(key)])
        }
        _ = try await command("POST", "actions", ["actions": [["type": "key", "id": "keyboard", "actions": actions]]])
    }

    public static let tab = "\u{E004}"
    public static let enter = "\u{E007}"

    /// The `id` attribute of the element that has the focus.
    public func focusedID() async throws -> String? {
        guard let active = try await command("GET", "element/active") as? [String: Any],
            let id = active.values.first as? String
        else { return nil }
        return try await command("GET", "element/\(id)/attribute/id") as? String
    }

    /// Runs `script` in the page and returns what it returns.
    @discardableResult
    public func execute(_ script: String) async throws -> Any {
        try await command("POST", "execute/sync", ["script": script, "args": [Any]()])
    }

    /// A PNG of the viewport.
    public func screenshot() async throws -> Data {
        guard let text = try await command("GET", "screenshot") as? String, let data = Data(base64Encoded: text) else {
            throw Failure(description: "the browser sent no screenshot")
        }
        return data
    }

    /// The value of the cookie `name`, if the browser holds one for the current page.
    public func cookie(_ name: String) async throws -> String? {
        let cookies = try await command("GET", "cookie") as? [[String: Any]] ?? []
        return cookies.first { $0["name"] as? String == name }?["value"] as? String
    }

    /// Waits until the first element `css` selects exists (pages are rendered on the server, so
    /// this is only the time a navigation takes).
    public func wait(for css: String, timeout: TimeInterval = 15) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await exists(css) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure(description: "no \(css) on \(try await currentURL()) after \(Int(timeout)) s: \(try await pageText().prefix(400))")
    }

    /// Waits until the address holds `text` (after a form's GET, say).
    public func wait(untilURLContains text: String, timeout: TimeInterval = 15) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await currentURL().absoluteString.contains(text) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure(description: "the address is \(try await currentURL()), without \(text), after \(Int(timeout)) s")
    }

    // MARK: - The protocol

    private func element(_ css: String) async throws -> String {
        let found = try await command("POST", "element", ["using": "css selector", "value": css])
        guard let object = found as? [String: Any], let id = object.values.first as? String else {
            throw Failure(description: "no element \(css)")
        }
        return id
    }

    private func command(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Any {
        try await Self.call(base, method, "session/\(session)/\(path)", body)
    }

    private static func call(_ base: URL, _ method: String, _ path: String, _ body: [String: Any]?) async throws -> Any {
        let data = try await send(method, base.appendingPathComponent(path), body.map { try JSONSerialization.data(withJSONObject: $0) })
        guard let object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) as? [String: Any] else {
            throw Failure(description: "chromedriver answered \(method) \(path) with \(String(decoding: data, as: UTF8.self).prefix(300))")
        }
        let value = object["value"] ?? NSNull()
        if let error = (value as? [String: Any])?["error"] as? String {
            let message = (value as? [String: Any])?["message"] as? String ?? ""
            throw Failure(description: "\(method) \(path): \(error): \(message.prefix(300))")
        }
        return value
    }

    private static func send(_ method: String, _ url: URL, _ body: Data?, timeout: TimeAmount = .seconds(60)) async throws -> Data {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .init(rawValue: method)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        return Data(try await response.body.collect(upTo: 64 << 20).readableBytesView)
    }
}
