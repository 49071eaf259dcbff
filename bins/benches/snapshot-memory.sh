#!/usr/bin/env bash
# Peak memory (VmHWM) of a standalone zoorepld around snapshots, for two builds side by side:
#
#   bins/benches/snapshot-memory.sh OLD_ZOOREPLD NEW_ZOOREPLD [--keys N] [--value-size B]
#
# For each build, on its own data dir: populate N znodes of B bytes (snapCount 10000, so the
# server writes snapshots while the tree grows) and read the peak; then restart it and read the
# peak after recovery (snapshot load plus log replay). Steady RSS is printed beside the peaks
# (the tree itself). Used for docs/perf/snapshot-memory-2026-11-22.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 2 ] || { echo "usage: $0 OLD_ZOOREPLD NEW_ZOOREPLD [--keys N] [--value-size B]" >&2; exit 2; }
old=$1; new=$2; shift 2
keys=40000; size=4096
while [ $# -gt 0 ]; do
    case $1 in
        --keys) keys=$2; shift 2 ;;
        --value-size) size=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
cargo build -q --release -p zoorepl --bin zoorepl
CLI=target/release/zoorepl
work=$(mktemp -d); port=27381
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

fourlw() { python3 -c "import socket
try:
    s=socket.create_connection(('127.0.0.1',$port),1); s.sendall(b'$1'); print(s.recv(65536).decode(errors='replace'))
except OSError: pass"; }
wait_serving() { for _ in $(seq 1 2400); do fourlw srvr | grep -q '^Mode:' && return 0; sleep 0.05; done; echo "no server" >&2; exit 1; }
status_mib() { awk -v k="$2:" '$1 == k {printf "%d", $2 / 1024}' "/proc/$1/status"; }
start() { # binary dir
    mkdir -p "$2"
    printf 'tickTime=2000\ndataDir=%s/data\nclientPort=%s\nclientPortAddress=127.0.0.1\nsnapCount=10000\n4lw.commands.whitelist=*\n' "$2" "$port" > "$2/zoo.cfg"
    ZOOREPL_LOG=warn "$1" "$2/zoo.cfg" 2>>"$2/log" & pid=$!
    wait_serving
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; }

echo "| build | steady RSS after populating (MiB) | peak while populating (MiB) | peak after restart (MiB) | restart to serving (ms) | snapshots on disk |"
echo "|---|---|---|---|---|---|"
for which in old new; do
    bin=$old; [ $which = new ] && bin=$new
    dir="$work/$which"
    start "$bin" "$dir"
    $CLI bench --server "127.0.0.1:$port" --op get --clients 16 --outstanding 32 --keys "$keys" \
        --value-size "$size" --duration 1 --warmup 0 --keep --quiet --json > /dev/null
    sleep 2  # let the last snapshot finish
    steady=$(status_mib "$pid" VmRSS); peak=$(status_mib "$pid" VmHWM)
    stop
    t0=$(date +%s%N)
    start "$bin" "$dir"
    restart_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    restart_peak=$(status_mib "$pid" VmHWM)
    stop
    snaps=$(find "$dir/data" -name 'snapshot.*' | wc -l)
    echo "| $which ($bin) | $steady | $peak | $restart_peak | $restart_ms | $snaps |"
done
