import Mustache

/// The console's pages as Mustache templates (swift-mustache), compiled into the server so that
/// it stays one file to deploy. `{{…}}` escapes HTML; the one `{{{…}}}` is the chart's SVG,
/// which the server draws from numbers alone (``ConsoleChart``).
///
/// Every page extends `layout`; every POST form carries the session's CSRF token; every input
/// has a label.
enum ConsoleTemplates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in pages {
            do {
                try library.register(text, named: name)
            } catch {
                preconditionFailure("the console template \(name) does not parse: \(error)")
            }
        }
        return library
    }()

    static let pages: [(String, String)] = [
        ("layout", layout), ("login", login), ("error", error), ("dashboard", dashboard), ("conflicts", conflicts),
        ("conflict", conflict), ("duplicates", duplicates), ("duplicate", duplicate), ("record", record),
        ("devices", devices), ("users", users), ("fields", fields), ("audit", audit),
    ]

    static let layout = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Satchel console</title>
        <link rel="stylesheet" href="/admin/assets/console.css">
        <script src="/admin/assets/console.js" defer></script>
        </head>
        <body>
        <a class="skip" href="#main">Skip to the content</a>
        {{#signedIn}}
        <header class="top">
        <nav aria-label="Console">
        <ul>
        {{#nav}}<li><a href="{{href}}"{{#current}} aria-current="page"{{/current}}>{{label}}</a></li>
        {{/nav}}
        </ul>
        </nav>
        <form method="post" action="/admin/logout" class="signout">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <span>{{name}} · {{role}}</span>
        <button type="submit">Sign out</button>
        </form>
        </header>
        {{/signedIn}}
        <main id="main">
        <h1>{{title}}</h1>
        {{#flash}}<p class="flash" role="status">{{flash}}</p>{{/flash}}
        {{$content}}{{/content}}
        </main>
        </body>
        </html>

        """

    static let login = """
        {{<layout}}{{$content}}
        <p>Admins and managers sign in with the password set by <code>satchel-server user password NAME</code>.</p>
        {{#error}}<p class="error" role="alert" id="login-error">{{error}}</p>{{/error}}
        <form method="post" action="/admin/login" class="narrow">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <input type="hidden" name="next" value="{{next}}">
        <p><label for="user">User name</label>
        <input id="user" name="user" autocomplete="username" required value="{{userName}}"></p>
        <p><label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required></p>
        <p><button type="submit" id="sign-in">Sign in</button></p>
        </form>
        {{/content}}{{/layout}}
        """

    static let error = """
        {{<layout}}{{$content}}
        <p class="error" role="alert">{{message}}</p>
        <p><a href="{{back}}">Back</a></p>
        {{/content}}{{/layout}}
        """

    static let dashboard = """
        {{<layout}}{{$content}}
        <section aria-labelledby="open-heading">
        <h2 id="open-heading">Open conflicts: {{openTotal}}</h2>
        {{^hasOpen}}<p class="empty">Nothing waits for a decision: the rules settled everything laptops sent. \
        New conflicts appear here after the next push that needs one.</p>{{/hasOpen}}
        {{#hasOpen}}
        <div class="cards">
        <div class="card"><h3>By territory</h3><table><thead><tr><th scope="col">Territory</th><th scope="col">Open</th></tr></thead><tbody>
        {{#territories}}<tr><td><a href="{{href}}">{{name}}</a></td><td class="num">{{count}}</td></tr>{{/territories}}
        </tbody></table></div>
        <div class="card"><h3>By rule</h3><table><thead><tr><th scope="col">Rule</th><th scope="col">Open</th></tr></thead><tbody>
        {{#rules}}<tr><td><a href="{{href}}">{{name}}</a></td><td class="num">{{count}}</td></tr>{{/rules}}
        </tbody></table></div>
        <div class="card"><h3>By age</h3><table><thead><tr><th scope="col">Waiting</th><th scope="col">Open</th></tr></thead><tbody>
        {{#ages}}<tr><td><a href="{{href}}">{{label}}</a></td><td class="num">{{count}}</td></tr>{{/ages}}
        </tbody></table></div>
        </div>
        {{/hasOpen}}
        </section>
        {{#showActivity}}
        <section aria-labelledby="activity-heading">
        <h2 id="activity-heading">Pushes over the last {{days}} days</h2>
        <figure>{{{chart}}}
        <figcaption>Changes per day by what became of them: applied, merged by a rule, queued for review, rejected. \
        Pushes in all: {{pushTotal}}.</figcaption></figure>
        <details><summary>The same figures as a table</summary>
        <table><thead><tr><th scope="col">Day (UTC)</th><th scope="col">Pushes</th><th scope="col">Applied</th>\
        <th scope="col">Merged</th><th scope="col">Queued</th><th scope="col">Rejected</th></tr></thead><tbody>
        {{#activity}}<tr><td>{{date}}</td><td class="num">{{pushes}}</td><td class="num">{{applied}}</td>\
        <td class="num">{{merged}}</td><td class="num">{{queued}}</td><td class="num">{{rejected}}</td></tr>{{/activity}}
        </tbody></table></details>
        </section>
        {{/showActivity}}
        {{#showDevices}}
        <section aria-labelledby="stale-heading">
        <h2 id="stale-heading">Laptops not synced for {{staleDays}} days or more</h2>
        <form method="get" action="/admin" class="inline">
        <label for="stale">Days</label> <input id="stale" name="stale" type="number" min="1" max="365" value="{{staleDays}}">
        <button type="submit">Show</button>
        </form>
        {{^stale}}<p class="empty">Every active laptop synced within {{staleDays}} days.</p>{{/stale}}
        {{#hasStale}}
        <div class="scroll"><table><thead><tr><th scope="col">User</th><th scope="col">Device</th><th scope="col">Last sync</th>\
        <th scope="col">Behind the feed</th></tr></thead><tbody>
        {{#stale}}<tr><td>{{user}}</td><td>{{device}}</td><td>{{{lastSync}}}</td><td class="num">{{lag}}</td></tr>{{/stale}}
        </tbody></table></div>
        {{/hasStale}}
        <p><a href="/admin/devices">All devices</a></p>
        </section>
        {{/showDevices}}
        {{/content}}{{/layout}}
        """

    static let conflicts = """
        {{<layout}}{{$content}}
        <form method="get" action="/admin/conflicts" class="filters" aria-label="Filter the queue">
        <p><label for="territory">Territory</label>
        <select id="territory" name="territory"><option value="">Any</option>
        {{#territoryOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/territoryOptions}}
        </select></p>
        <p><label for="rule">Rule</label>
        <select id="rule" name="rule"><option value="">Any</option>
        {{#ruleOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/ruleOptions}}
        </select></p>
        <p><label for="entity">Record type</label>
        <select id="entity" name="entity"><option value="">Any</option>
        {{#entityOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/entityOptions}}
        </select></p>
        <p><label for="age">Older than</label>
        <input id="age" name="age" value="{{age}}" placeholder="3d" size="6" aria-describedby="age-help">
        <small id="age-help">30m, 12h, 3d or 2w</small></p>
        <p><label for="status">Show</label>
        <select id="status" name="status"><option value="open"{{^all}} selected{{/all}}>Open</option>\
        <option value="all"{{#all}} selected{{/all}}>Open and resolved</option></select></p>
        <p><button type="submit">Filter</button></p>
        </form>
        {{^items}}<p class="empty">No conflict matches. {{#filtered}}<a href="/admin/conflicts">Clear the filters</a> to see the whole \
        queue.{{/filtered}}{{^filtered}}Everything laptops sent was settled by a rule.{{/filtered}}</p>{{/items}}
        {{#hasItems}}
        {{#truncated}}<p class="note">The oldest {{itemCount}} of {{matchCount}} are shown; filter by territory, rule, record \
        type or age to see the others.</p>{{/truncated}}
        <div class="scroll"><table><caption>{{itemCount}} shown, oldest first</caption>
        <thead><tr><th scope="col">Record</th><th scope="col">Field</th><th scope="col">Rule</th><th scope="col">Contenders</th>\
        <th scope="col">Waiting since</th><th scope="col">Status</th></tr></thead><tbody>
        {{#items}}<tr><td><a href="{{href}}">{{title}}</a> <small>{{entity}}</small></td><td>{{field}}</td><td>{{rule}}</td>\
        <td class="num">{{contenders}}</td><td>{{{since}}}</td><td>{{status}}</td></tr>
        {{/items}}
        </tbody></table></div>
        {{/hasItems}}
        {{/content}}{{/layout}}
        """

    static let conflict = """
        {{<layout}}{{$content}}
        <p class="explanation">{{explanation}}</p>
        <dl class="facts">
        <dt>Record</dt><dd><a href="{{recordHref}}">{{recordTitle}}</a> ({{entity}})</dd>
        {{#field}}<dt>Field</dt><dd>{{field}}</dd>{{/field}}
        <dt>Rule</dt><dd>{{rule}}</dd>
        <dt>Queued</dt><dd>{{{queuedAt}}}</dd>
        <dt>Status</dt><dd>{{status}}</dd>
        {{#resolution}}<dt>Resolution</dt><dd>{{resolution}}</dd>{{/resolution}}
        </dl>
        <div class="scroll"><table class="sides"><caption>The value both sides started from, and each contender</caption>
        <thead><tr><th scope="col">Side</th><th scope="col">Value</th><th scope="col">Who</th><th scope="col">Device</th>\
        <th scope="col">When</th></tr></thead><tbody>
        <tr><th scope="row">Base</th><td>{{base}}</td><td colspan="3">what both started from</td></tr>
        {{#contenders}}<tr{{#current}} class="current"{{/current}}><th scope="row">{{side}}</th><td>{{value}}</td><td>{{user}}</td>\
        <td>{{device}}</td><td>{{{when}}}</td></tr>
        {{/contenders}}
        </tbody></table></div>
        {{#duplicateHref}}<p><a href="{{duplicateHref}}">Compare the pair and merge it</a></p>{{/duplicateHref}}
        {{#canResolve}}
        <form method="post" action="{{action}}" class="resolve">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <fieldset><legend>Resolve</legend>
        <p><input type="radio" id="keep-current" name="choice" value="current" checked>
        <label for="keep-current">Keep the current value ({{currentValue}})</label></p>
        <p><input type="radio" id="keep-incoming" name="choice" value="incoming">
        <label for="keep-incoming">Keep the incoming value ({{incomingValue}})</label></p>
        {{#acceptsValue}}<p><input type="radio" id="enter-value" name="choice" value="value">
        <label for="enter-value">Enter a value</label>
        <label for="value" class="visually-hidden">The value to enter ({{fieldType}})</label>
        <input id="value" name="value" placeholder="{{fieldType}}"{{#hasChoices}} list="value-choices"{{/hasChoices}}>
        {{#hasChoices}}<datalist id="value-choices">{{#choices}}<option value="{{.}}"></option>{{/choices}}</datalist>\
        {{/hasChoices}}</p>{{/acceptsValue}}
        </fieldset>
        <p><button type="submit" id="resolve">Resolve</button></p>
        </form>
        {{/canResolve}}
        {{#readOnly}}<p class="note">Resolving conflicts needs an admin.</p>{{/readOnly}}
        {{/content}}{{/layout}}
        """

    static let duplicates = """
        {{<layout}}{{$content}}
        {{^items}}<p class="empty">No duplicate candidates wait. Records created with the same name, phone, e-mail domain or \
        near name in one city appear here after the push that created them.</p>{{/items}}
        {{#hasItems}}
        {{#truncated}}<p class="note">The oldest {{itemCount}} of {{matchCount}} candidates are shown; settle these to see \
        the others.</p>{{/truncated}}
        <div class="scroll"><table><thead><tr><th scope="col">New record</th><th scope="col">Same as</th><th scope="col">Why</th>\
        <th scope="col">Since</th></tr></thead><tbody>
        {{#items}}<tr><td><a href="{{href}}">{{newTitle}}</a> <small>{{entity}}</small></td><td>{{sameAs}}</td><td>{{why}}</td>\
        <td>{{{since}}}</td></tr>
        {{/items}}
        </tbody></table></div>
        {{/hasItems}}
        {{/content}}{{/layout}}
        """

    static let duplicate = """
        {{<layout}}{{$content}}
        <p class="explanation">{{explanation}}</p>
        <p>Why they match: {{why}}</p>
        <form method="post" action="{{action}}">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <fieldset><legend>Keep which record</legend>
        {{#records}}<p><input type="radio" id="keep-{{id}}" name="keep" value="{{id}}"{{#kept}} checked{{/kept}}>
        <label for="keep-{{id}}">Keep {{title}} ({{label}}, <code>{{shortID}}</code>): under it {{under}}</label></p>
        {{/records}}
        </fieldset>
        <div class="scroll"><table class="sides"><caption>Field by field: pick the value the kept record ends with</caption>
        <thead><tr><th scope="col">Field</th><th scope="col">{{leftTitle}} ({{leftLabel}})</th>\
        <th scope="col">{{rightTitle}} ({{rightLabel}})</th></tr></thead><tbody>
        {{#fields}}<tr{{#differs}} class="differs"{{/differs}}><th scope="row">{{name}}</th>
        {{#differs}}<td><input type="radio" id="{{name}}-left" name="field.{{name}}" value="left" checked>
        <label for="{{name}}-left">{{left}}</label></td>
        <td><input type="radio" id="{{name}}-right" name="field.{{name}}" value="right">
        <label for="{{name}}-right">{{right}}</label></td>{{/differs}}
        {{#fixed}}<td>{{left}}</td><td>{{right}} <small>(not merged: it changes only by a transfer)</small></td>{{/fixed}}
        {{^differs}}{{^fixed}}<td colspan="2">{{left}} <small>(the same)</small></td>{{/fixed}}{{/differs}}
        </tr>
        {{/fields}}
        </tbody></table></div>
        <p class="note">What moves: everything under the record merged away (counted above) moves to the kept one, and its id \
        leads to the kept record on every laptop from their next sync. The values picked from it are copied over.</p>
        <p><button type="submit" id="merge">Merge</button></p>
        </form>
        <form method="post" action="{{keepBothAction}}">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <input type="hidden" name="choice" value="current">
        <p><button type="submit" id="keep-both" class="secondary">They are different: keep both</button></p>
        </form>
        {{/content}}{{/layout}}
        """

    static let record = """
        {{<layout}}{{$content}}
        <p><small>{{entity}} <code>{{id}}</code>{{#deleted}} · deleted{{/deleted}}</small></p>
        <div class="scroll"><table><caption>Fields</caption><thead><tr><th scope="col">Field</th><th scope="col">Value</th>\
        <th scope="col">Last written by</th></tr></thead><tbody>
        {{#fields}}<tr><th scope="row">{{name}}</th><td>{{value}}</td><td>{{by}}</td></tr>{{/fields}}
        </tbody></table></div>
        {{#transfer}}
        <h2>Transfer</h2>
        <form method="post" action="{{action}}">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <p class="inline"><label for="to">New owner</label>
        <select id="to" name="to">{{#candidates}}<option value="{{name}}">{{name}} ({{territories}})</option>{{/candidates}}</select>
        <button type="submit" id="transfer">Transfer the account</button></p>
        <p class="note">The account and everything under it move to the new owner's territory; the former owner's laptop \
        lets go of them at its next sync, and their offline work on them is kept for review.</p>
        </form>
        {{/transfer}}
        <h2>History</h2>
        {{^history}}<p class="empty">No recorded event.</p>{{/history}}
        <ol class="timeline">
        {{#history}}<li><span class="when">{{{when}}}</span> <strong>{{what}}</strong> by {{user}} <small>({{device}})</small>\
        {{#detail}}<br><span class="detail">{{detail}}</span>{{/detail}}</li>
        {{/history}}
        </ol>
        {{/content}}{{/layout}}
        """

    static let devices = """
        {{<layout}}{{$content}}
        {{^devices}}<p class="empty">No laptop is enrolled yet. Add a user on the <a href="/admin/users">Users</a> page and give \
        them the enrollment token; their laptop appears here after <code>satchel login</code>.</p>{{/devices}}
        {{#hasDevices}}
        <div class="scroll"><table><caption>Every enrolled laptop; behind the feed counts feed positions not yet pulled</caption>
        <thead><tr><th scope="col">User</th><th scope="col">Device</th><th scope="col">Enrolled</th><th scope="col">Last push</th>\
        <th scope="col">Last pull</th><th scope="col">Behind the feed</th><th scope="col">Status</th><th scope="col">Actions</th></tr></thead><tbody>
        {{#devices}}<tr><td>{{user}}</td><td>{{device}} <small><code>{{replica}}</code></small></td><td>{{{enrolled}}}</td>\
        <td>{{{lastPush}}}</td><td>{{{lastPull}}}</td><td class="num">{{lag}}</td><td>{{status}}</td><td class="actions">
        {{#canRevoke}}<form method="post" action="{{revokeAction}}"><input type="hidden" name="csrf" value="{{csrf}}">\
        <button type="submit" class="danger" aria-label="Revoke {{device}} of {{user}}">Revoke</button></form>{{/canRevoke}}
        {{#canRetire}}<form method="post" action="{{retireAction}}"><input type="hidden" name="csrf" value="{{csrf}}">\
        <button type="submit" class="secondary" aria-label="Retire {{device}} of {{user}} from compaction">Retire</button></form>\
        {{/canRetire}}</td></tr>
        {{/devices}}
        </tbody></table></div>
        <p class="note">Revoke: the laptop's credential stops working at its next request; its unsynced work stays on it. \
        Retire: compaction stops waiting for a laptop that will not come back; it counts again if it ever pulls.</p>
        {{/hasDevices}}
        {{/content}}{{/layout}}
        """

    static let users = """
        {{<layout}}{{$content}}
        {{#token}}<div class="token" role="status"><h2>Enrollment token for {{tokenUser}}</h2>
        <p>Shown once. Give it to {{tokenUser}}; on their laptop: <code>satchel login --server URL --token {{token}}</code>. \
        It expires in 7 days.</p></div>{{/token}}
        <div class="scroll"><table><thead><tr><th scope="col">User</th><th scope="col">Role</th><th scope="col">Territories</th>\
        <th scope="col">Manager</th><th scope="col">Console</th><th scope="col">Status</th><th scope="col">Actions</th></tr></thead><tbody>
        {{#users}}<tr><td>{{name}}</td><td>{{role}}</td><td>{{territories}}</td><td>{{manager}}</td><td>{{console}}</td>\
        <td>{{status}}</td><td class="actions">{{#canDisable}}<form method="post" action="{{disableAction}}">\
        <input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" class="danger" aria-label="Disable {{name}}">Disable\
        </button></form>{{/canDisable}}</td></tr>
        {{/users}}
        </tbody></table></div>
        <form method="post" action="/admin/users" class="narrow">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <h2>Add a user</h2>
        <p><label for="new-name">User name</label> <input id="new-name" name="name" required maxlength="64"></p>
        <p><label for="new-role">Role</label> <select id="new-role" name="role"><option value="rep">rep</option>\
        <option value="manager">manager</option><option value="admin">admin</option></select></p>
        <p><label for="new-territories">Territories</label> <input id="new-territories" name="territories" \
        aria-describedby="territories-help"> <small id="territories-help">comma-separated; a rep needs at least one</small></p>
        <p><label for="new-manager">Manager</label> <select id="new-manager" name="manager"><option value="">None</option>\
        {{#managers}}<option value="{{.}}">{{.}}</option>{{/managers}}</select></p>
        <p><button type="submit" id="add-user">Add the user</button></p>
        </form>
        {{/content}}{{/layout}}
        """

    static let fields = """
        {{<layout}}{{$content}}
        <p>Fields of the company's own, at schema revision {{revision}}. Laptops learn each change at their next sync; \
        a field is never dropped: a retired one keeps its values in the records and their history.</p>
        {{^hasFields}}<p class="empty">The company has added no field yet.</p>{{/hasFields}}
        {{#hasFields}}
        <div class="scroll"><table><caption>The company's fields</caption><thead><tr><th scope="col">Field</th>\
        <th scope="col">Label</th><th scope="col">Type</th><th scope="col">Rule</th><th scope="col">Status</th>\
        <th scope="col">Actions</th></tr></thead><tbody>
        {{#fields}}<tr><td>{{field}}</td><td>{{label}}</td><td>{{type}}</td><td>{{rule}}</td><td>{{status}}</td>\
        <td class="actions">{{#isChoice}}<form method="post" action="{{choicesAction}}">\
        <input type="hidden" name="csrf" value="{{csrf}}"><label for="add-{{key}}" class="visually-hidden">New choices for {{field}}</label>\
        <input id="add-{{key}}" name="add" size="12" placeholder="a, b" required> <button type="submit">Add choices</button></form>{{/isChoice}}\
        {{#active}}<form method="post" action="{{retireAction}}"><input type="hidden" name="csrf" value="{{csrf}}">\
        <button type="submit" class="danger" aria-label="Retire {{field}}">Retire</button></form>{{/active}}</td></tr>
        {{/fields}}
        </tbody></table></div>
        {{/hasFields}}
        <form method="post" action="/admin/fields" class="narrow">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <h2>Add a field</h2>
        <p><label for="field-entity">Record type</label> <select id="field-entity" name="entity">\
        {{#entities}}<option value="{{.}}">{{.}}</option>{{/entities}}</select></p>
        <p><label for="field-name">Name</label> <input id="field-name" name="name" required maxlength="40" \
        aria-describedby="field-name-help"> <small id="field-name-help">lower-case letters, digits and _, starting with a letter</small></p>
        <p><label for="field-kind">Type</label> <select id="field-kind" name="kind">\
        {{#kinds}}<option value="{{.}}">{{.}}</option>{{/kinds}}</select></p>
        <p><label for="field-choices">Choices</label> <input id="field-choices" name="choices" aria-describedby="field-choices-help"> \
        <small id="field-choices-help">comma-separated; for a choice field only</small></p>
        <p><label for="field-label">Label</label> <input id="field-label" name="label" maxlength="100"></p>
        <p><label for="field-rule">Rule</label> <select id="field-rule" name="rule">\
        {{#rules}}<option value="{{.}}">{{.}}</option>{{/rules}}</select></p>
        <p><button type="submit" id="add-field">Add the field</button></p>
        </form>
        {{/content}}{{/layout}}
        """

    static let audit = """
        {{<layout}}{{$content}}
        {{^entries}}<p class="empty">No admin action yet.</p>{{/entries}}
        {{#hasEntries}}
        <div class="scroll"><table><caption>The latest {{entryCount}} admin actions, newest first</caption>
        <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Target</th>\
        <th scope="col">Detail</th></tr></thead><tbody>
        {{#entries}}<tr><td>{{{when}}}</td><td>{{actor}} <small>({{device}})</small></td><td>{{action}}</td><td>{{target}}</td>\
        <td>{{detail}}</td></tr>
        {{/entries}}
        </tbody></table></div>
        {{/hasEntries}}
        {{/content}}{{/layout}}
        """

    /// The style sheet: readable at 1280×800 and on a phone, visible focus, no web fonts.
    static let css = """
        :root { --ink: #1d2430; --muted: #5a6472; --line: #d5dae1; --accent: #1f5fbf; --danger: #b3261e; --bg: #f7f8fa; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
        a { color: var(--accent); }
        :focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
        .skip { position: absolute; left: -999px; top: 0; background: #fff; padding: .5rem; }
        .skip:focus { left: .5rem; }
        .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
        header.top { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: center; gap: .5rem;
          background: #fff; border-bottom: 1px solid var(--line); padding: .5rem 1rem; }
        header.top ul { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem 1rem; margin: 0; padding: 0; }
        header.top a[aria-current] { font-weight: 700; text-decoration: none; color: var(--ink); }
        .signout { display: flex; gap: .5rem; align-items: center; color: var(--muted); }
        main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
        h1 { font-size: 1.6rem; margin: .5rem 0 1rem; }
        h2 { font-size: 1.2rem; margin-top: 2rem; }
        table { border-collapse: collapse; width: 100%; background: #fff; }
        caption { text-align: left; color: var(--muted); padding: .25rem 0; }
        th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        .scroll { overflow-x: auto; }
        .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap: 1rem; }
        .card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .5rem 1rem; }
        .card h3 { margin: .25rem 0; font-size: 1rem; }
        .empty, .note { color: var(--muted); }
        .error { color: var(--danger); font-weight: 600; }
        .flash { background: #e7f1e7; border: 1px solid #9cc59c; padding: .5rem 1rem; border-radius: 6px; }
        .token { background: #fff8e1; border: 1px solid #e0c46c; padding: .5rem 1rem; border-radius: 6px; word-break: break-all; }
        .explanation { font-size: 1.1rem; }
        .facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
        .facts dt { color: var(--muted); }
        .facts dd { margin: 0; }
        tr.current th { font-weight: 700; }
        tr.differs { background: #fffbea; }
        .filters { display: flex; flex-wrap: wrap; gap: 0 1rem; align-items: end; }
        .filters p { margin: .25rem 0; }
        .filters label, .narrow label { display: block; font-size: .9rem; color: var(--muted); }
        .inline { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
        .narrow { max-width: 28rem; }
        input, select, button { font: inherit; padding: .35rem .5rem; }
        input:not([type=radio]), select { border: 1px solid #8a94a3; border-radius: 4px; max-width: 100%; }
        .narrow input:not([type=radio]), .narrow select { width: 100%; }
        button { background: var(--accent); color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
        button.secondary { background: #fff; color: var(--accent); border: 1px solid var(--accent); }
        button.danger { background: var(--danger); }
        td.actions form { display: inline; }
        td.actions form + form { margin-left: .5rem; }
        fieldset { border: 1px solid var(--line); background: #fff; }
        .timeline { list-style: none; padding-left: 0; border-left: 3px solid var(--line); }
        .timeline li { padding: .25rem 0 .75rem 1rem; }
        .timeline .when, .detail { color: var(--muted); }
        figure { margin: 0; background: #fff; border: 1px solid var(--line); padding: .5rem; }
        figure svg { width: 100%; height: auto; }
        figcaption { color: var(--muted); }
        @media (max-width: 40rem) {
          body { font-size: 15px; }
          main { padding: .5rem; }
          .facts { grid-template-columns: 1fr; }
        }

        """

    /// The little script: times shown in the browser's time zone (without it, they read UTC).
    static let script = """
        document.querySelectorAll("time[datetime]").forEach(function (element) {
          var date = new Date(element.getAttribute("datetime"));
          if (isNaN(date)) { return; }
          element.textContent = date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
          element.title = element.getAttribute("datetime");
        });

        """
}
