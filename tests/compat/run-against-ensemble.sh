#!/usr/bin/env bash
# Starts a fresh 3-server zoorepld ensemble (debug builds of zoorepld and zoorepl, built if
# needed) on free loopback ports with `zoorepl ensemble start`, runs both compat suites against
# it with a connect string naming all three servers, and stops it whatever happens.
# Per-server settings as in run-against-zoorepld.sh (see README.md). On failure the end of each
# server's log is printed. Exit status: non-zero if any test failed or the ensemble did not start.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
PY=${PYTHON:-/usr/bin/python3}
cargo build -q -p zoorepl --bin zoorepld --bin zoorepl || exit 1
zoorepl="$top/target/debug/zoorepl"
work=$(mktemp -d "${TMPDIR:-/tmp}/zoorepl-ensemble-compat.XXXXXX")
dir="$work/ensemble"

# shellcheck disable=SC2317  # called through the EXIT trap
cleanup() {
    "$zoorepl" ensemble stop --dir "$dir" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

show_logs() {
    for log in "$dir"/server-*/zoorepld.log; do
        [ -f "$log" ] || continue
        echo "== $log (last 30 lines)"
        tail -n 30 "$log"
    done
}

# Nine free ports in a row below Linux's ephemeral range: client P..P+2, quorum P+3..P+5,
# election P+6..P+8 (server N uses base + N - 1 of each).
base=$("$PY" "$top/tests/compat/free_ports.py" 9) || exit 1

if ! "$zoorepl" ensemble start --servers 3 --dir "$dir" \
        --client-port "$base" --quorum-port $((base + 3)) --election-port $((base + 6)) \
        --tick-ms 2000 \
        --extra-config maxClientCnxns=200 \
        --extra-config extendedTypesEnabled=true \
        --extra-config znode.container.checkIntervalMs=1000; then
    echo "== the ensemble did not start"
    show_logs
    echo "0 passed, 1 failed"
    exit 1
fi
connect="127.0.0.1:$base,127.0.0.1:$((base + 1)),127.0.0.1:$((base + 2))"
echo "== 3-server zoorepld ensemble, connect string $connect"
ZK_REAP_WAIT=${ZK_REAP_WAIT:-3} bash tests/compat/run.sh "$connect" 2>&1 | tee "$work/run.out"
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
    "$zoorepl" ensemble status --dir "$dir"
    show_logs
    tail -n 1 "$work/run.out"  # keep the "N passed, M failed" line last
fi
exit "$status"
