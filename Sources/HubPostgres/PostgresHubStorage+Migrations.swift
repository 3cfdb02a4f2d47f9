import HubEngine
import HubStore
import PostgresNIO
import SyncCore

extension PostgresHubStorage {
    /// The hub's tables, step by step. A step runs once: each server takes a transaction-level
    /// advisory lock first, so when several start together one migrates and the others then find
    /// every step done. Steps only add; a step is never edited once released.
    static let migrations: [(name: String, statements: [String])] = [
        (
            "pg-v1",
            [
                """
                CREATE TABLE hub_meta (
                    singleton integer PRIMARY KEY CHECK (singleton = 1),
                    replica_id text COLLATE "C" NOT NULL,
                    seq bigint NOT NULL DEFAULT 0,
                    counter bigint NOT NULL DEFAULT 0,
                    hlc bigint NOT NULL DEFAULT 0,
                    schema_version integer NOT NULL,
                    compacted_to bigint NOT NULL DEFAULT 0
                )
                """,
                """
                CREATE TABLE hub_row (
                    entity text COLLATE "C" NOT NULL,
                    row_id text COLLATE "C" NOT NULL,
                    seq bigint NOT NULL UNIQUE,
                    deleted boolean NOT NULL,
                    account_id text COLLATE "C",
                    state text NOT NULL,
                    PRIMARY KEY (entity, row_id)
                )
                """,
                "CREATE INDEX hub_row_account ON hub_row (account_id)",
                """
                CREATE TABLE hub_account (
                    account_id text COLLATE "C" PRIMARY KEY,
                    territory text COLLATE "C",
                    owner text COLLATE "C"
                )
                """,
                """
                CREATE TABLE hub_account_former (
                    position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    account_id text COLLATE "C" NOT NULL,
                    territory text COLLATE "C",
                    owner text COLLATE "C",
                    until bigint NOT NULL,
                    seq bigint,
                    new_owner text COLLATE "C",
                    moved_by text COLLATE "C"
                )
                """,
                "CREATE INDEX hub_account_former_account ON hub_account_former (account_id)",
                "CREATE INDEX hub_account_former_seq ON hub_account_former (seq)",
                """
                CREATE TABLE hub_user (
                    name text COLLATE "C" PRIMARY KEY,
                    role text NOT NULL,
                    territories text NOT NULL,
                    manager text COLLATE "C",
                    enrollment_hash text UNIQUE,
                    enrollment_expires_at bigint,
                    disabled_at bigint,
                    created_at bigint NOT NULL
                )
                """,
                """
                CREATE TABLE hub_device (
                    replica_id text COLLATE "C" PRIMARY KEY,
                    user_name text COLLATE "C" NOT NULL REFERENCES hub_user (name),
                    device text COLLATE "C" NOT NULL,
                    credential_hash text NOT NULL UNIQUE,
                    next_credential_hash text,
                    created_at bigint NOT NULL,
                    pulled_to bigint NOT NULL DEFAULT 0,
                    sent_to bigint NOT NULL DEFAULT 0,
                    dormant boolean NOT NULL DEFAULT false,
                    revoked_at bigint,
                    revoked_by text
                )
                """,
                "CREATE INDEX hub_device_next_credential ON hub_device (next_credential_hash)",
                """
                CREATE TABLE hub_replica (
                    replica_id text COLLATE "C" PRIMARY KEY,
                    high_water bigint NOT NULL,
                    user_name text NOT NULL,
                    device text NOT NULL,
                    last_push_at bigint
                )
                """,
                """
                CREATE TABLE hub_outcome (
                    replica_id text COLLATE "C" NOT NULL,
                    counter bigint NOT NULL,
                    outcome text NOT NULL,
                    seq bigint NOT NULL DEFAULT 0,
                    PRIMARY KEY (replica_id, counter)
                )
                """,
                """
                CREATE TABLE hub_conflict (
                    id text COLLATE "C" PRIMARY KEY,
                    entity text COLLATE "C" NOT NULL,
                    row_id text COLLATE "C" NOT NULL,
                    kind text NOT NULL,
                    status text NOT NULL CHECK (status IN ('open', 'resolved')),
                    body text NOT NULL,
                    created_at bigint NOT NULL,
                    resolution text,
                    resolved_by text,
                    resolved_at bigint
                )
                """,
                "CREATE INDEX hub_conflict_status ON hub_conflict (status, created_at)",
                "CREATE INDEX hub_conflict_row ON hub_conflict (entity, row_id)",
                """
                CREATE TABLE hub_history (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    entity text COLLATE "C" NOT NULL,
                    row_id text COLLATE "C" NOT NULL,
                    entry text NOT NULL
                )
                """,
                "CREATE INDEX hub_history_row ON hub_history (entity, row_id, id)",
                """
                CREATE TABLE hub_redirect (
                    entity text COLLATE "C" NOT NULL,
                    from_id text COLLATE "C" NOT NULL,
                    to_id text COLLATE "C" NOT NULL,
                    merged_at bigint NOT NULL,
                    merged_by text NOT NULL,
                    seq bigint NOT NULL DEFAULT 0,
                    PRIMARY KEY (entity, from_id)
                )
                """,
                "CREATE INDEX hub_redirect_seq ON hub_redirect (seq)",
                "CREATE INDEX hub_redirect_to ON hub_redirect (entity, to_id)",
                """
                CREATE TABLE hub_audit (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    at bigint NOT NULL,
                    actor text NOT NULL,
                    device text NOT NULL,
                    action text NOT NULL,
                    target text NOT NULL,
                    detail text NOT NULL
                )
                """,
                """
                CREATE TABLE hub_key (
                    entity text COLLATE "C" NOT NULL,
                    key_name text COLLATE "C" NOT NULL,
                    key_value text COLLATE "C" NOT NULL,
                    row_id text COLLATE "C" NOT NULL,
                    PRIMARY KEY (entity, key_name, key_value, row_id)
                )
                """,
                "CREATE INDEX hub_key_row ON hub_key (entity, row_id)",
            ]
        ),
        (
            "pg-v2-blobs",
            [
                // Chunks of uploads ("upload:KEY") and of blobs (their hash) in one table, so an
                // upload becomes a blob by renaming its chunks' owner, not by copying them. Files
                // arrive compressed (photos, PDFs): no compression is tried.
                """
                CREATE TABLE hub_blob_chunk (
                    owner text COLLATE "C" NOT NULL,
                    start_at bigint NOT NULL,
                    data bytea NOT NULL,
                    PRIMARY KEY (owner, start_at)
                )
                """,
                "ALTER TABLE hub_blob_chunk ALTER COLUMN data SET STORAGE EXTERNAL",
                """
                CREATE TABLE hub_upload (
                    upload_key text COLLATE "C" PRIMARY KEY,
                    received bigint NOT NULL,
                    touched_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                """
                CREATE TABLE hub_blob (
                    hash text COLLATE "C" PRIMARY KEY,
                    size bigint NOT NULL
                )
                """,
            ]
        ),
        (
            "pg-v3-console",
            [
                // The admin console: passwords (bcrypt), sessions every server knows (by the
                // SHA-256 of their id) and a tally of pushes per day.
                "ALTER TABLE hub_user ADD COLUMN password_hash text",
                """
                CREATE TABLE hub_session (
                    id_hash text COLLATE "C" PRIMARY KEY,
                    user_name text COLLATE "C" NOT NULL REFERENCES hub_user (name),
                    csrf text NOT NULL,
                    created_at bigint NOT NULL,
                    expires_at bigint NOT NULL
                )
                """,
                "CREATE INDEX hub_session_user ON hub_session (user_name)",
                """
                CREATE TABLE hub_activity (
                    day bigint PRIMARY KEY,
                    pushes bigint NOT NULL,
                    applied bigint NOT NULL,
                    merged bigint NOT NULL,
                    queued bigint NOT NULL,
                    rejected bigint NOT NULL
                )
                """,
            ]
        ),
        (
            "pg-v4-pull-times",
            [
                // When each device last pulled, for the console's "last sync".
                "ALTER TABLE hub_device ADD COLUMN pulled_at bigint"
            ]
        ),
        (
            "pg-v5-schema-steps",
            [
                // The company's own schema: each published step by revision.
                """
                CREATE TABLE hub_schema (
                    revision bigint PRIMARY KEY,
                    step text NOT NULL,
                    at bigint NOT NULL,
                    by_user text COLLATE "C" NOT NULL,
                    feed_position bigint NOT NULL
                )
                """
            ]
        ),
        (
            "pg-v6-placed-rows",
            [
                // Each row carries its root's territory and owner, so a scoped pull reads only its
                // scope's rows through (territory, seq) and (owner, seq) instead of every row since
                // its cursor. The triggers keep the copies in step, whoever writes either table.
                "ALTER TABLE hub_row ADD COLUMN territory text COLLATE \"C\", ADD COLUMN owner text COLLATE \"C\"",
                """
                UPDATE hub_row r SET territory = a.territory, owner = a.owner
                FROM hub_account a WHERE a.account_id = r.account_id
                """,
                "CREATE INDEX hub_row_territory ON hub_row (territory, seq) WHERE territory IS NOT NULL",
                "CREATE INDEX hub_row_owner ON hub_row (owner, seq) WHERE owner IS NOT NULL",
                """
                CREATE FUNCTION hub_row_place() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    NEW.territory := NULL;
                    NEW.owner := NULL;
                    SELECT a.territory, a.owner INTO NEW.territory, NEW.owner FROM hub_account a
                        WHERE a.account_id = NEW.account_id;
                    RETURN NEW;
                END
                $$
                """,
                """
                CREATE TRIGGER hub_row_placed BEFORE INSERT OR UPDATE OF account_id ON hub_row
                FOR EACH ROW EXECUTE FUNCTION hub_row_place()
                """,
                """
                CREATE FUNCTION hub_account_place() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'DELETE' THEN
                        UPDATE hub_row SET territory = NULL, owner = NULL WHERE account_id = OLD.account_id;
                        RETURN OLD;
                    END IF;
                    UPDATE hub_row SET territory = NEW.territory, owner = NEW.owner
                        WHERE account_id = NEW.account_id
                            AND (territory IS DISTINCT FROM NEW.territory OR owner IS DISTINCT FROM NEW.owner);
                    RETURN NEW;
                END
                $$
                """,
                """
                CREATE TRIGGER hub_account_placed AFTER INSERT OR UPDATE OR DELETE ON hub_account
                FOR EACH ROW EXECUTE FUNCTION hub_account_place()
                """,
            ]
        ),
    ]

    /// Runs the steps not yet run, each in the transaction that records it; the first creates
    /// the hub's own row (its replica id and schema version).
    func migrate(replicaID: ReplicaID?) throws {
        try pool.with { connection in
            let view = PostgresHubView(connection: connection, schema: schema, logger: logger, location: location)
            try view.execute("BEGIN")
            do {
                // One server migrates at a time (the key is arbitrary and fixed: "satchel" in ASCII).
                _ = try view.rows("SELECT pg_advisory_xact_lock(495873074277)")
                try view.execute("CREATE TABLE IF NOT EXISTS hub_migration (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
                let done = Set(try view.rows("SELECT name FROM hub_migration").map { try $0.decode(String.self) })
                // A database a newer server migrated keeps data this one does not know how to keep
                // up to date: refuse it rather than write beside it.
                let newer = done.subtracting(Self.migrations.map(\.name)).sorted()
                guard newer.isEmpty else {
                    throw HubError.storage(
                        "this database was written by a newer satchel-server (it has \(newer.joined(separator: ", "))); "
                            + "run that release or a later one")
                }
                for migration in Self.migrations where !done.contains(migration.name) {
                    for statement in migration.statements { try view.execute(PostgresQuery(unsafeSQL: statement)) }
                    if migration.name == "pg-v1" {
                        let replica = (replicaID ?? ReplicaID("hub-" + ReplicaID.random().rawValue)).rawValue
                        try view.execute(
                            "INSERT INTO hub_meta (singleton, replica_id, schema_version) VALUES (1, \(replica), \(schema.version))")
                    }
                    try view.execute("INSERT INTO hub_migration (name) VALUES (\(migration.name))")
                }
                try view.execute("COMMIT")
            } catch {
                _ = try? view.execute("ROLLBACK")
                throw error
            }
        }
    }
}
