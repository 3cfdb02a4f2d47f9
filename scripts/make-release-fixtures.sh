#!/usr/bin/env bash
# Makes the files a release leaves behind, for the tests that open them with later code:
# a server's data directory and two laptops' homes (replica, credentials, attached files),
# one laptop with offline work not yet pushed (edits, a visit, a new account with a contact,
# an attached file). Run it with the binaries of the release being frozen:
#
#   swift build && scripts/make-release-fixtures.sh .build/debug Fixtures/releases/NAME
#
# `manifest.json` says what the laptop had pending, for the test to check nothing was lost.
set -euo pipefail
bin=$(cd "$1" && pwd)
out=$2
[ -e "$out" ] && { echo "$out exists; choose a new folder" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d /tmp/satchel-release.XXXXXX)
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
export TZ=UTC

server_bin="$bin/satchel-server"
cli() { local who=$1; shift; SATCHEL_HOME="$out/$who" "$bin/satchel" "$@"; }
token() { "$server_bin" user add "$@" --data "$out/server" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["enrollmentToken"])'; }
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

root_token=$(token root --role admin)
alice_token=$(token alice --role rep --territory north)
bob_token=$(token bob --role rep --territory north)

"$server_bin" serve --data "$out/server" --port 0 > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q "http://127.0.0.1:" "$work/serve.log" && break; sleep 0.1; done
url=$(grep -o "http://127.0.0.1:[0-9]*" "$work/serve.log" | head -1)

cli root login --server "$url" --token "$root_token" --device root-laptop >/dev/null
cli alice login --server "$url" --token "$alice_token" --device alice-laptop >/dev/null
cli bob login --server "$url" --token "$bob_token" --device bob-laptop >/dev/null

acme=$(cli root account add --name "Acme Ltd" --city Lille --set territory=north --set credit_rating=A --json | json '["id"]')
cli root sync >/dev/null
cli alice sync >/dev/null
cli bob sync >/dev/null

# Alice's day offline: nothing of it reaches the server before the release is frozen.
cli alice account edit "$acme" --set phone="+33 3 20 00 00 00" >/dev/null
visit=$(cli alice visit log --account "$acme" --purpose "renewal" --outcome "wants a quote" --json | json '["id"]')
shop=$(cli alice account add --name "Offline Shop" --city Arras --json | json '["id"]')
contact=$(cli alice contact add --account "$shop" --name "Jeanne Martin" --json | json '["id"]')
printf 'Shelf plan for Acme, drawn offline.\n' > "$work/plan.txt"
attachment=$(cli alice visit attach "$visit" "$work/plan.txt" --caption "shelf plan" --json | json '["id"]')
sha=$(sha256sum "$work/plan.txt" | cut -d' ' -f1)
pending=$(cli alice status --json | json '["pending"]')

# Meanwhile Bob changes Acme too, and the server has it.
cli bob account edit "$acme" --set city=Roubaix >/dev/null
cli bob sync >/dev/null

kill "$server"
wait "$server" 2>/dev/null || true
rm -rf "$out/root" "$out/server/serve.lock"   # the admin's laptop only set things up; the lock is the server's own
# One file per database: everything checkpointed out of the write-ahead logs.
for db in "$out/server/satchel.sqlite" "$out/alice/replica.sqlite" "$out/bob/replica.sqlite"; do
    sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
    rm -f "$db-wal" "$db-shm"
done
cat > "$out/manifest.json" <<JSON
{
  "made": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "commit": "$(git -C "$(dirname "$0")/.." rev-parse --short HEAD 2>/dev/null || echo unknown)",
  "schemaVersion": $(sqlite3 "$out/server/satchel.sqlite" "SELECT schema_version FROM hub_meta"),
  "pending": $pending,
  "acme": "$acme",
  "visit": "$visit",
  "shop": "$shop",
  "contact": "$contact",
  "attachment": "$attachment",
  "attachmentSHA256": "$sha",
  "attachmentText": "Shelf plan for Acme, drawn offline.\n"
}
JSON
echo "made $out: alice has $pending changes pending"
