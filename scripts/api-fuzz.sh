#!/usr/bin/env bash
# Fuzzes the HTTP API of satchel-server from its OpenAPI description (Protocol/openapi.yaml)
# with schemathesis, failing on any 5xx answer, then checks the store's invariants.
#
#   swift build && scripts/api-fuzz.sh [SATCHEL_SERVER]     (default .build/debug/satchel-server)
#
# Needs python3, curl, timeout and schemathesis 4.x (python3 -m pip install schemathesis).
# The server runs on a fresh data directory in a temporary folder, on a free loopback port.
# Four schemathesis runs, because some operations cut off the credential every request is
# sent with, and every 401 from this address costs a token of the server's failed-sign-in
# rate limit (when none is left, every request from the address gets 429):
#   1. every operation but the four below, as admin `root`;
#   2. POST /v1/admin/devices/{replica}/revoke and POST /v1/admin/users/{name}/disable, as
#      admin `fuzz-admin` (a lucky guess of its own replica or name only turns the rest into 401s);
#   3. POST /v1/device/rotate, as admin `fuzz-rotate` (its first success retires the credential);
#   4. POST /v1/enroll, without a credential.
# Requests are paced under the server's rate limits (40 a second against its 50 per device;
# 30 enrollment attempts a minute against its 20 at once, then 20 a minute, per address), so
# the runs test the endpoints rather than the rate limiter (which answers 429, never a 5xx).
# Then the server is stopped (SIGTERM must exit 0) and `satchel-server check` runs on the data.
# Exits non-zero if a run finds a failure or times out, the server dies, or the check fails.
# Set KEEP=1 to keep the temporary folder (data, server log, schemathesis output).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/.build/debug/satchel-server}
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
spec=$root/Protocol/openapi.yaml
max_examples=${MAX_EXAMPLES:-25}
seed=${SEED:-1}

die() { echo "api-fuzz: $*" >&2; exit 1; }
[ -x "$bin" ] || die "no executable $bin; run 'swift build' first or pass the binary"
for tool in python3 curl timeout; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
# Through the module, so a fresh pip install works without a shell's PATH being refreshed.
schemathesis() { python3 -m schemathesis.cli "$@"; }
schemathesis --version >/dev/null 2>&1 || die "schemathesis is not installed (python3 -m pip install schemathesis)"
echo "api-fuzz: $(schemathesis --version), $bin"

work=$(mktemp -d "${TMPDIR:-/tmp}/satchel-api-fuzz.XXXXXX")
data=$work/data
server_pid=
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ "${KEEP:-0}" = 1 ]; then echo "api-fuzz: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

json_field() { # json_field KEY < JSON
    python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# Users first, while no server holds the data directory.
mkdir -p "$data"
for admin in root fuzz-admin fuzz-rotate; do
    "$bin" user add "$admin" --role admin --data "$data" --json > "$work/$admin.json"
done

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
url=http://127.0.0.1:$port
"$bin" serve --data "$data" --port "$port" > "$work/server.log" 2>&1 &
server_pid=$!

for _ in $(seq 1 150); do
    curl -fsS --max-time 2 "$url/health" > /dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; die "the server exited before it answered /health"; }
    sleep 0.2
done
curl -fsS --max-time 2 "$url/health" > /dev/null || die "the server does not answer $url/health"
echo "api-fuzz: server $server_pid on $url, data $data"

enroll() { # enroll USER DEVICE: prints the device credential
    local token body
    token=$(json_field enrollmentToken < "$work/$1.json")
    body=$(python3 -c 'import json, sys; print(json.dumps({"token": sys.argv[1], "device": sys.argv[2]}))' "$token" "$2")
    curl -fsS --max-time 10 -H 'Content-Type: application/json' --data "$body" "$url/v1/enroll" | json_field credential
}
credential=$(enroll root fuzz)
credential_admin=$(enroll fuzz-admin fuzz-admin)
credential_rotate=$(enroll fuzz-rotate fuzz-rotate)

failures=()
fuzz() { # fuzz NAME SECONDS RATE CREDENTIAL|- [schemathesis options...]
    local name=$1 seconds=$2 rate=$3 status=0 auth=()
    [ "$4" = - ] || auth=(-H "Authorization: Bearer $4")
    shift 4
    echo "api-fuzz: run '$name'"
    # From the temporary folder, so schemathesis and hypothesis leave nothing in the repository.
    (cd "$work" && timeout "$seconds" schemathesis run "$spec" --url "$url" "${auth[@]}" \
        --checks not_a_server_error --max-examples "$max_examples" --seed "$seed" \
        --rate-limit "$rate" --request-timeout 10 --generation-database none --no-color "$@") || status=$?
    case $status in
        0) ;;
        124) failures+=("$name: timed out after ${seconds}s") ;;
        *) failures+=("$name: schemathesis exited $status") ;;
    esac
    kill -0 "$server_pid" 2>/dev/null || failures+=("$name: the server died")
}

alive() { kill -0 "$server_pid" 2>/dev/null; }
fuzz main 600 40/s "$credential" \
    --exclude-operation-id rotateDeviceCredential --exclude-operation-id revokeDevice \
    --exclude-operation-id disableUser --exclude-operation-id enroll
alive && fuzz revoke-disable 120 40/s "$credential_admin" \
    --include-operation-id revokeDevice --include-operation-id disableUser
alive && fuzz rotate 120 40/s "$credential_rotate" --include-operation-id rotateDeviceCredential
alive && fuzz enroll 300 30/m - --include-operation-id enroll

# Stop the server: a clean SIGTERM exits 0.
if kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    status=0
    wait "$server_pid" || status=$?
    [ "$status" = 0 ] || failures+=("the server exited $status on SIGTERM")
else
    status=0
    wait "$server_pid" || status=$?
    failures+=("the server had exited ($status) before the end of the run")
fi
server_pid=

echo "api-fuzz: satchel-server check --data $data"
"$bin" check --data "$data" || failures+=("satchel-server check failed")

if [ "${#failures[@]}" -gt 0 ]; then
    echo "api-fuzz: FAILED" >&2
    printf '  - %s\n' "${failures[@]}" >&2
    echo "api-fuzz: last lines of the server log:" >&2
    tail -n 40 "$work/server.log" >&2 || true
    exit 1
fi
echo "api-fuzz: ok"
