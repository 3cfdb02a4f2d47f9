#!/usr/bin/env bash
# Runs the conflict workflows of Docs/conflict-rules.md with the real binaries against a real
# server on loopback, printing every command and its output (the document quotes this run).
#
#   swift build && scripts/conflict-workflows.sh [BIN_DIR]
set -euo pipefail
BIN=${1:-$(cd "$(dirname "$0")/.." && pwd)/.build/debug}
ROOT=$(mktemp -d /tmp/satchel-workflows.XXXXXX)
DATA=$ROOT/server
PORT=${PORT:-18641}
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$ROOT"' EXIT

as() { # as USER COMMAND...: run satchel as USER, print it like a shell session
    local user=$1; shift
    echo "$user\$ satchel $*"
    SATCHEL_HOME=$ROOT/$user "$BIN/satchel" "$@" || echo "(exit $?)"
    echo
}
quiet() { local user=$1; shift; SATCHEL_HOME=$ROOT/$user "$BIN/satchel" "$@" >/dev/null; }
server() { echo "\$ satchel-server $*"; "$BIN/satchel-server" "$@" --data "$DATA"; echo; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

enroll() { # enroll USER ROLE [TERRITORY]
    local args=(user add "$1" --role "$2" --data "$DATA" --json)
    [ -n "${3:-}" ] && args+=(--territory "$3")
    local token; token=$("$BIN/satchel-server" "${args[@]}" | field "['enrollmentToken']")
    SATCHEL_HOME=$ROOT/$1 "$BIN/satchel" login --server "http://127.0.0.1:$PORT" --token "$token" --device "$1-laptop" >/dev/null
}

mkdir -p "$DATA"
"$BIN/satchel-server" user add root --role admin --data "$DATA" --json > "$ROOT/root.json"
"$BIN/satchel-server" serve --data "$DATA" --port "$PORT" > "$ROOT/server.log" 2>&1 &
SERVER=$!
sleep 1
SATCHEL_HOME=$ROOT/root "$BIN/satchel" login --server "http://127.0.0.1:$PORT" \
    --token "$(field "['enrollmentToken']" < "$ROOT/root.json")" --device root-laptop >/dev/null
for rep in alice:north bob:north carol:south; do enroll "${rep%%:*}" rep "${rep##*:}"; done

ACME=$(SATCHEL_HOME=$ROOT/root "$BIN/satchel" account add --name "Acme Ltd" --city Lille --tier key \
    --set territory=north --set owner=alice --set credit_rating=A --json | field "['id']")
quiet root sync
for rep in alice bob carol; do quiet "$rep" sync; done

echo "## 1. The queue, explained"
echo
as alice account edit "$ACME" --set credit_rating=BB
as bob account edit "$ACME" --set credit_rating=AAA
quiet alice sync
as bob sync
as root admin conflicts list --territory north --rule review
CONFLICT=$(SATCHEL_HOME=$ROOT/root "$BIN/satchel" admin conflicts list --json | field "[0]['conflict']['id']")
as root admin conflicts show "$CONFLICT"
as root admin conflicts resolve "$CONFLICT" --keep current
quiet alice sync
quiet bob sync
as bob status
as alice status

echo "## 2. Duplicate customers"
echo
DUPONT=$(SATCHEL_HOME=$ROOT/alice "$BIN/satchel" account add --name "Dupont SA" --city Lille \
    --tax-id "FR 40 123 456 789" --json | field "['id']")
as alice visit log --account "${DUPONT:0:8}" --purpose "first call" --outcome "wants a demo"
TWIN=$(SATCHEL_HOME=$ROOT/bob "$BIN/satchel" account add --name "Dupont S.A." --city Lille \
    --tax-id FR40123456789 --phone "+33 3 20 11 22 33" --json | field "['id']")
as bob visit log --account "${TWIN:0:8}" --purpose demo --outcome "fleet of 40"
quiet alice sync
as bob sync
quiet root sync
as root admin duplicates list
CANDIDATE=$(SATCHEL_HOME=$ROOT/root "$BIN/satchel" admin conflicts list --rule natural-key --json | field "[0]['conflict']['id']")
as root admin duplicates show "$CANDIDATE"
as root admin duplicates merge "${DUPONT:0:8}" "${TWIN:0:8}" --take phone
quiet alice sync
quiet bob sync
as bob visit list --account "${DUPONT:0:8}"

echo "## 3. Account transfer"
echo
as bob account edit "$ACME" --set phone="+33 3 20 99 99 99"
as root account transfer "${ACME:0:8}" --to carol
as bob sync
as bob status
as root account history "${ACME:0:8}"

echo "## 4. Long-offline laptops"
echo
# Carol last synced before the merge above deleted Dupont S.A.; she is on the road, offline.
as carol account add --name "Sud Traiteur" --city Nice
for user in alice bob root alice bob root; do quiet "$user" sync; done
sleep 1.1 # the server writes pull positions about once a second; one more round writes them
for user in alice bob root; do quiet "$user" sync; done
server device list
server compact
CAROL_REPLICA=$("$BIN/satchel-server" device list --data "$DATA" | awk '$2 == "carol" {print $1}')
server device retire "$CAROL_REPLICA"
server compact
as carol sync
as carol status
as carol account list
