import Foundation
import HTTPTypes
import HubEngine
import HubStore
import Hummingbird
import Logging
import Mustache
import NIOCore
import NIOPosix
import SatchelModel
import SyncCore

/// The admin console: server-rendered pages under `/admin` over the same store and rules as the
/// API. A browser signs in with a password and holds a session cookie; every POST carries the
/// session's CSRF token; every action is the API's own operation, audited the same way.
struct ConsoleController: Sendable {
    let store: any ServerStore
    let limits: ServerLimits
    /// Failed sign-ins, per address and per user name.
    let failures = RateLimiter()

    /// The biggest form the console accepts.
    static let maxFormBytes = 64 << 10

    func addRoutes(to router: Router<SatchelRequestContext>) {
        let console = router.group("admin")
        console.get("assets/console.css") { _, _ in Self.asset(ConsoleTemplates.css, type: "text/css; charset=utf-8") }
        console.get("assets/console.js") { _, _ in Self.asset(ConsoleTemplates.script, type: "text/javascript; charset=utf-8") }
        console.get("login") { request, context in await page(request, context) { try await signInForm(request) } }
        console.post("login") { request, context in await page(request, context) { try await signIn(request, context) } }
        console.post("logout") { request, context in
            await page(request, context) { try await action(request) { user, _ in try signOut(user) } }
        }
        console.get("") { request, context in await page(request, context) { try await view(request) { try dashboard(request, $0) } } }
        console.get("conflicts") { request, context in
            await page(request, context) { try await view(request) { try conflictList(request, $0) } }
        }
        console.get("conflicts/:id") { request, context in
            let id = AdminController.parameter(context, "id") ?? ""
            return await page(request, context) { try await view(request) { try conflictPage(request, id: id, $0) } }
        }
        console.post("conflicts/:id/resolve") { request, context in
            let id = AdminController.parameter(context, "id") ?? ""
            return await page(request, context) { try await action(request) { try resolve(id: id, form: $1, $0) } }
        }
        console.get("duplicates") { request, context in
            await page(request, context) { try await view(request) { try duplicateList(request, $0) } }
        }
        console.get("duplicates/:id") { request, context in
            let id = AdminController.parameter(context, "id") ?? ""
            return await page(request, context) { try await view(request) { try duplicatePage(request, id: id, $0) } }
        }
        console.post("duplicates/:id/merge") { request, context in
            let id = AdminController.parameter(context, "id") ?? ""
            return await page(request, context) { try await action(request) { try merge(id: id, form: $1, $0) } }
        }
        console.get("records/:entity/:id") { request, context in
            let entity = AdminController.parameter(context, "entity") ?? ""
            let id = AdminController.parameter(context, "id") ?? ""
            return await page(request, context) { try await view(request) { try recordPage(request, entity: entity, id: id, $0) } }
        }
        console.post("records/:entity/:id/transfer") { request, context in
            let entity = AdminController.parameter(context, "entity") ?? ""
            let id = AdminController.parameter(context, "id") ?? ""
            return await page(request, context) {
                try await action(request) { try transfer(entity: entity, id: id, form: $1, $0) }
            }
        }
        console.get("devices") { request, context in
            await page(request, context) { try await view(request) { try deviceList(request, $0) } }
        }
        console.post("devices/:replica/revoke") { request, context in
            let replica = AdminController.parameter(context, "replica") ?? ""
            return await page(request, context) { try await action(request) { user, _ in try revoke(replica: replica, user) } }
        }
        console.post("devices/:replica/retire") { request, context in
            let replica = AdminController.parameter(context, "replica") ?? ""
            return await page(request, context) { try await action(request) { user, _ in try retire(replica: replica, user) } }
        }
        console.get("users") { request, context in
            await page(request, context) { try await view(request) { try userList(request, $0, token: nil) } }
        }
        console.post("users") { request, context in
            await page(request, context) { try await action(request) { try addUser(request, form: $1, $0) } }
        }
        console.post("users/:name/disable") { request, context in
            let name = AdminController.parameter(context, "name") ?? ""
            return await page(request, context) { try await action(request) { user, _ in try disable(name: name, user) } }
        }
        console.get("fields") { request, context in
            await page(request, context) { try await view(request) { try fieldList(request, $0) } }
        }
        console.post("fields") { request, context in
            await page(request, context) { try await action(request) { try addField(form: $1, $0) } }
        }
        console.post("fields/:entity/:name/retire") { request, context in
            let entity = AdminController.parameter(context, "entity") ?? ""
            let name = AdminController.parameter(context, "name") ?? ""
            return await page(request, context) {
                try await action(request) { user, _ in try retireField(entity: entity, name: name, user) }
            }
        }
        console.post("fields/:entity/:name/choices") { request, context in
            let entity = AdminController.parameter(context, "entity") ?? ""
            let name = AdminController.parameter(context, "name") ?? ""
            return await page(request, context) {
                try await action(request) { user, form in try addChoices(entity: entity, name: name, form: form, user) }
            }
        }
        console.get("audit") { request, context in
            await page(request, context) { try await view(request) { try auditList(request, $0) } }
        }
        // Any other console address: a page that says so, not the API's JSON.
        console.get("**") { request, context in
            await page(request, context) { throw ConsoleError(.notFound, "There is no such console page; start from the dashboard.") }
        }
    }

    // MARK: - Signing in and out

    func signInForm(_ request: Request) async throws -> Response {
        if try await signedIn(request) != nil { return Self.redirect("/admin") }
        let token = Tokens.generate(prefix: "signin")
        var response = render(
            "login", ["title": "Sign in", "csrf": token, "next": Self.safeNext(request.uri.queryParameters.get("next")),
                      "flash": request.uri.queryParameters.get("signedOut") != nil ? "You are signed out." : false])
        response.headers[values: .setCookie].append(
            ConsoleCookies.setting(ConsoleCookies.signIn, token, path: "/admin/login", maxAge: 3600))
        return response
    }

    func signIn(_ request: Request, _ context: SatchelRequestContext) async throws -> Response {
        let form = try await Self.form(request)
        // The sign-in form's token must match its cookie: a page on another site cannot sign a
        // browser in to an account of the attacker's choosing.
        guard let sent = form["csrf"], let expected = ConsoleCookies.value(ConsoleCookies.signIn, in: request.headers),
            ConsoleCookies.same(sent, expected)
        else {
            throw ConsoleError(.forbidden, "This sign-in form has expired or did not come from this server; open the sign-in page again.")
        }
        let name = String((form["user"] ?? "").trimmingCharacters(in: .whitespaces).prefix(64))
        let password = form["password"] ?? ""
        let peer = context.peer
        let rule = limits.rates.failedSignIns
        // Every attempt takes a token before the password is checked (so attempts sent all at
        // once cannot pass the limit together); a good sign-in gives them back. The name's bucket
        // is per address too, so nobody locks an admin out from elsewhere.
        let keys = ["address|" + peer, "user|" + name + "|" + peer]
        var taken: [String] = []
        for key in keys {
            if let wait = failures.take(key, rule) {
                for key in taken { failures.giveBack(key, rule) }
                let seconds = max(1, Int(wait.rounded(.up)))
                var response = render(
                    "login",
                    ["title": "Sign in", "csrf": expected, "next": Self.safeNext(form["next"]), "userName": name,
                     "error": "Too many failed sign-ins. Try again in \(seconds) seconds."],
                    status: .tooManyRequests)
                response.headers[.retryAfter] = String(seconds)
                return response
            }
            taken.append(key)
        }
        let store = self.store
        let hash = try await offload { UserInfo.isValidName(name) ? try store.passwordHash(of: name) : nil }
        // bcrypt runs on threads of its own, so sign-in attempts never hold up syncing laptops.
        let matches = try await ConsolePasswords.threads.runIfActive { ConsolePasswords.verify(password, hash: hash) }
        let user = try await offload { () -> UserInfo? in
            guard matches, let user = try store.user(name), user.disabled != true, user.role != .rep else { return nil }
            return user
        }
        guard let user else {
            return render(
                "login",
                ["title": "Sign in", "csrf": expected, "next": Self.safeNext(form["next"]), "userName": name,
                 "error": "The user name or password is not right, or this user does not use the console."],
                status: .unauthorized)
        }
        for key in keys { failures.giveBack(key, rule) }
        let id = Tokens.generate(prefix: "console")
        let now = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        let session = ConsoleSession(
            idHash: Tokens.hash(id), user: user.name, csrf: Tokens.generate(prefix: "csrf"), createdAt: now,
            expiresAt: now + ConsoleCookies.sessionLifetime)
        try await offload { try store.openConsoleSession(session, from: peer) }
        var response = Self.redirect(Self.safeNext(form["next"]))
        response.headers[values: .setCookie].append(
            ConsoleCookies.setting(
                ConsoleCookies.session, id, path: "/admin", maxAge: ConsoleCookies.sessionLifetime / 1000))
        response.headers[values: .setCookie].append(
            ConsoleCookies.setting(ConsoleCookies.signIn, "", path: "/admin/login", maxAge: 0))
        return response
    }

    func signOut(_ user: ConsoleUser) throws -> Response {
        try store.closeConsoleSession(idHash: user.session.idHash, by: user.actor)
        var response = Self.redirect("/admin/login?signedOut=1")
        response.headers[values: .setCookie].append(
            ConsoleCookies.setting(ConsoleCookies.session, "", path: "/admin", maxAge: 0))
        return response
    }

    /// The signed-in user of a request, or nil.
    func signedIn(_ request: Request) async throws -> ConsoleUser? {
        guard let id = ConsoleCookies.value(ConsoleCookies.session, in: request.headers) else { return nil }
        let store = self.store
        return try await offload { () -> ConsoleUser? in
            guard let (session, user) = try store.consoleSession(idHash: Tokens.hash(id)) else { return nil }
            return ConsoleUser(user: user, session: session, scope: try store.scope(of: user))
        }
    }

    // MARK: - Handling a request

    /// A page for a signed-in user: without a session, the sign-in page (coming back here after).
    func view(_ request: Request, _ body: @escaping @Sendable (ConsoleUser) throws -> Response) async throws -> Response {
        guard let user = try await signedIn(request) else {
            var next = request.uri.path
            if let query = request.uri.query, !query.isEmpty { next += "?" + query }
            return Self.redirect("/admin/login?next=" + Self.queryValue(next))
        }
        return try await offload { try body(user) }
    }

    /// A POST for a signed-in user with the session's CSRF token; anything else changes nothing.
    func action(_ request: Request, _ body: @escaping @Sendable (ConsoleUser, ConsoleForm) throws -> Response) async throws
        -> Response
    {
        guard let user = try await signedIn(request) else { return Self.redirect("/admin/login") }
        let form = try await Self.form(request)
        guard let token = form["csrf"], ConsoleCookies.same(token, user.session.csrf) else {
            throw ConsoleError(
                .forbidden, "This form did not come from your console session (its security token is missing or wrong); nothing was changed. Reload the page and try again.")
        }
        return try await offload { try body(user, form) }
    }

    /// Runs a handler and turns what it throws into an HTML page with the right status; an
    /// unexpected failure is logged, and the admin is told so, never shown a trace.
    func page(_ request: Request, _ context: SatchelRequestContext, _ body: () async throws -> Response) async -> Response {
        let failure: ConsoleError
        do {
            return try await body()
        } catch let error as ConsoleError {
            failure = error
        } catch let error as ProtocolError {
            failure = ConsoleError(error.status, Self.sentence(error.message))
        } catch let error as HubError {
            let mapped = SyncController.protocolError(error)
            failure = (mapped as? ProtocolError).map { ConsoleError($0.status, Self.sentence($0.message)) }
                ?? ConsoleError(.internalServerError, "The server failed to handle this page; it has been logged.")
        } catch let error as SchemaError {
            failure = ConsoleError(.badRequest, Self.sentence(error.description))
        } catch {
            context.logger.error("console request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            failure = ConsoleError(.internalServerError, "The server failed to handle this page; it has been logged.")
        }
        let back = request.method == .post ? (request.headers[.referer].flatMap(Self.sameSitePath) ?? "/admin") : "/admin"
        return render("error", ["title": Self.title(of: failure.status), "message": failure.message, "back": back], status: failure.status)
    }

    // MARK: - Responses

    /// A page from a template, with the console's security headers.
    func render(_ template: String, _ context: [String: Any], user: ConsoleUser? = nil, status: HTTPResponse.Status = .ok)
        -> Response
    {
        var context = context
        if let user {
            context["signedIn"] = ["name": user.user.name, "role": user.user.role.rawValue, "csrf": user.session.csrf]
            context["csrf"] = user.session.csrf
            let current = context["section"] as? String
            var nav: [(String, String)] = [("/admin", "Dashboard"), ("/admin/conflicts", "Conflicts")]
            if user.isAdmin {
                nav += [("/admin/duplicates", "Duplicates"), ("/admin/devices", "Devices"), ("/admin/users", "Users"), ("/admin/fields", "Fields"), ("/admin/audit", "Audit")]
            }
            context["nav"] = nav.map { ["href": $0.0, "label": $0.1, "current": $0.0 == current] }
        }
        let html = ConsoleTemplates.library.render(context, withTemplate: template) ?? ""
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[.contentSecurityPolicy] =
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; "
            + "frame-ancestors 'none'; base-uri 'none'"
        headers[.xContentTypeOptions] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func asset(_ text: String, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "max-age=300"
        headers[.xContentTypeOptions] = "nosniff"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// 303: the browser fetches `location` with GET (after a POST, reloading does not repeat it).
    static func redirect(_ location: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        return Response(status: .seeOther, headers: headers)
    }

    static func form(_ request: Request) async throws -> ConsoleForm {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxFormBytes)
        } catch {
            throw ConsoleError(.contentTooLarge, "The form is larger than \(maxFormBytes / 1024) KB; send less at a time.")
        }
        return try ConsoleForm(Data(buffer.readableBytesView))
    }

    /// Where to go after signing in: a console path of this server, never another site.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/admin"), !next.hasPrefix("//"), !next.contains("\\"), !next.contains("/.."),
            !next.hasPrefix("/admin/login"), !next.hasPrefix("/admin/logout"), next.count < 512
        else { return "/admin" }
        return next
    }

    /// The path of a same-site Referer (for an error page's Back link), or nil.
    static func sameSitePath(_ referer: String) -> String? {
        guard let url = URL(string: referer), url.path.hasPrefix("/admin") else { return nil }
        return safeNext(url.path)
    }

    static func queryValue(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// A path component for an id (conflict ids hold a colon).
    static func pathComponent(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// An API message ("there is no …; use …") as a sentence for a page.
    static func sentence(_ message: String) -> String {
        guard let first = message.first else { return message }
        return first.uppercased() + message.dropFirst() + (message.hasSuffix(".") ? "" : ".")
    }

    static func title(of status: HTTPResponse.Status) -> String {
        switch status {
        case .forbidden: "Not allowed"
        case .notFound: "Not found"
        case .badRequest, .unprocessableContent: "Cannot do that"
        case .conflict: "Already done"
        case .tooManyRequests: "Too many attempts"
        default: status.code >= 500 ? "Something went wrong" : "Cannot do that"
        }
    }
}
