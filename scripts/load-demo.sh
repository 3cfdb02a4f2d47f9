#!/usr/bin/env bash
# Loads the demo company (Fixtures/demo/company.jsonl: 3 territories, 8 reps, 2,000 accounts, a
# year of visits, opportunities at every stage) into a fresh data directory, registering its
# users. Prints each user's one-time enrollment token.
#   scripts/load-demo.sh [DATA_DIR]      (default ./satchel-data)
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-./satchel-data}"
if [ -e "$data/satchel.sqlite" ]; then
    echo "load-demo: $data already holds a store; give a fresh directory" >&2
    exit 1
fi
swift build --product satchel-server >/dev/null
server=".build/debug/satchel-server"
"$server" user add admin --role admin --data "$data"
"$server" user add nadia --role manager --territory north --data "$data"
"$server" user add eric --role manager --territory east --data "$data"
"$server" user add sam --role manager --territory south --data "$data"
for rep in alice:north:nadia bob:north:nadia chloe:north:nadia david:east:eric emma:east:eric farid:east:eric gina:south:sam hugo:south:sam; do
    IFS=: read -r name territory manager <<<"$rep"
    "$server" user add "$name" --role rep --territory "$territory" --manager "$manager" --data "$data"
done
"$server" import Fixtures/demo/company.jsonl --data "$data"
echo "Start the server with: swift run satchel-server serve --data $data"
