#!/usr/bin/env bash
# Fuzzes the changeset decoder and the merge entry point with libFuzzer.
#   scripts/fuzz.sh [SECONDS]     (default 60; crashes are written to .build-fuzz/crashes/)
# Replay a crash with the normal build: swift run satchel-fuzz .build-fuzz/crashes/crash-…
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
swift build --scratch-path .build-fuzz --product satchel-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DSATCHEL_FUZZING -Xswiftc -use-ld=lld
mkdir -p .build-fuzz/corpus .build-fuzz/crashes
cp -n Fixtures/fuzz/corpus/* .build-fuzz/corpus/ 2>/dev/null || true
.build-fuzz/debug/satchel-fuzz .build-fuzz/corpus -max_total_time="$seconds" -max_len=65536 \
    -artifact_prefix=.build-fuzz/crashes/ -print_final_stats=1
