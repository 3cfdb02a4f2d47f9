import Crypto
import Foundation
import HTTPTypes
import HubEngine
import HubStore
import HummingbirdBcrypt
import NIOPosix
import SatchelModel
import SyncCore

/// Console passwords: bcrypt (cost 12), from hummingbird-auth.
public enum ConsolePasswords {
    /// The shortest password accepted.
    public static let minimumLength = 12
    /// bcrypt reads 72 bytes and ignores the rest, so a longer password would only seem stronger.
    public static let maximumBytes = 72
    /// bcrypt's work factor: 2^12 rounds, about a quarter of a second on a laptop core.
    public static let cost: UInt8 = 12

    /// The hash to store for `password`, or why the password cannot be used.
    public static func hash(_ password: String) throws -> String {
        if let problem = problem(with: password) { throw ProtocolError(.invalidRequest, problem) }
        return Bcrypt.hash(password, cost: cost)
    }

    /// Why `password` is refused, or nil.
    public static func problem(with password: String) -> String? {
        if password.count < minimumLength { return "a console password has at least \(minimumLength) characters" }
        if password.utf8.count > maximumBytes { return "a console password has at most \(maximumBytes) bytes" }
        if password.contains(where: { $0.isNewline || $0.asciiValue.map { $0 < 32 || $0 == 127 } == true }) {
            return "a console password has no control characters"
        }
        return nil
    }

    /// Whether `password` matches `hash`. With no hash (an unknown user), a hash is still checked
    /// against a fixed one, so the time taken does not tell which user names exist.
    static func verify(_ password: String, hash: String?) -> Bool {
        guard password.utf8.count <= maximumBytes else {
            _ = Bcrypt.verify("", hash: decoy)
            return false
        }
        guard let hash else {
            _ = Bcrypt.verify(password, hash: decoy)
            return false
        }
        return Bcrypt.verify(password, hash: hash)
    }

    /// Two threads of their own for bcrypt: a flood of sign-ins waits here, not in the pool
    /// that serves the laptops' syncs.
    static let threads: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        return pool
    }()

    /// A hash of a random password nobody knows, made once, for the timing of unknown users.
    static let decoy = Bcrypt.hash(Tokens.generate(prefix: "decoy"), cost: cost)
}

/// The console's cookies and the checks on its forms.
enum ConsoleCookies {
    /// The signed-in session (the store keeps the SHA-256 of its value).
    static let session = "satchel_session"
    /// The sign-in form's own token, before there is a session.
    static let signIn = "satchel_signin"
    /// How long a session lasts after signing in.
    static let sessionLifetime: Int64 = 8 * 3600 * 1000

    /// The value of cookie `name` in a request, if it sent one.
    static func value(_ name: String, in headers: HTTPFields) -> String? {
        for header in headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name else { continue }
                let value = parts[1].trimmingCharacters(in: .whitespaces)
                return value.isEmpty || value.count > 256 ? nil : value
            }
        }
        return nil
    }

    /// A `Set-Cookie` value: HttpOnly, SameSite=Strict and Secure. Browsers keep a Secure cookie
    /// from `http://127.0.0.1` and `http://localhost` too (a secure context), so the console works
    /// over plain HTTP on the server machine itself and nowhere else; behind a proxy that ends
    /// TLS, the cookie stays Secure.
    static func setting(_ name: String, _ value: String, path: String, maxAge: Int64?) -> String {
        var cookie = "\(name)=\(value); Path=\(path); HttpOnly; SameSite=Strict; Secure"
        if let maxAge { cookie += "; Max-Age=\(maxAge)" }
        return cookie
    }

    /// Whether two tokens are equal, compared in constant time.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count, !x.isEmpty else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}

/// A form body (`application/x-www-form-urlencoded`): every value of every name, in order.
struct ConsoleForm {
    private var pairs: [(String, String)] = []

    init(_ data: Data) throws {
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConsoleError(.badRequest, "The form was not sent as UTF-8 text; reload the page and try again.")
        }
        for pair in text.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String? {
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            }
            guard let name = decode(parts[0]), let value = parts.count > 1 ? decode(parts[1]) : "" else {
                throw ConsoleError(.badRequest, "The form could not be read; reload the page and try again.")
            }
            pairs.append((name, value))
        }
    }

    /// The first value of `name`, if sent.
    subscript(_ name: String) -> String? { pairs.first { $0.0 == name }?.1 }

    /// Every value of `name`, in order.
    func all(_ name: String) -> [String] { pairs.filter { $0.0 == name }.map(\.1) }
}

/// A failure the console shows as a page: a status and one sentence that says what to do.
struct ConsoleError: Error {
    var status: HTTPResponse.Status
    var message: String

    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }
}

/// Who is signed in to the console for a request.
struct ConsoleUser: Sendable {
    var user: UserInfo
    var session: ConsoleSession
    var scope: ReadScope

    var actor: Actor { Actor(user: user.name, device: "console") }
    var isAdmin: Bool { user.role == .admin }

    /// Requires the admin role for `action`.
    func requireAdmin(to action: String) throws {
        guard isAdmin else {
            throw ConsoleError(.forbidden, "\(user.name) is a \(user.role.rawValue); \(action) needs an admin.")
        }
    }
}
