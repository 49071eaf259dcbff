#!/usr/bin/env bash
# Side-by-side comparison of zoorepld and Apache ZooKeeper (Debian's `zookeeper` package,
# standalone) on this machine, in one run, alternating servers for each case so both see the
# same background load. Writes a Markdown table and the raw JSON to target/compare/.
#
#   bins/benches/compare.sh [--duration SECS] [--quick] [--big N]
#
#   --duration   measured seconds per case (default 10; each case also has 2 s of warmup)
#   --quick      only 16 sessions x 32 outstanding
#   --big N      znodes for the restart measurement (default 1000000)
#
# Cases: create, set, get with 100-byte values at 16 and 64 sessions x 1 and 32 outstanding
# requests per session (the load generator is `zoorepl bench`, the same for both servers).
# Then latency at equal load: set and get at the same sessions x outstanding, paced (`--rate`,
# open loop) at half of what Apache managed in the closed-loop case, on both servers. Then RSS
# with 100k znodes of 100 bytes, and the time from process start to serving with N znodes on
# disk. Needs: tests/compat/install-deps.sh (for Apache ZooKeeper and Java).
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=10; quick=0; big=1000000
while [ $# -gt 0 ]; do
    case $1 in
        --duration) duration=$2; shift 2 ;;
        --quick) quick=1; shift ;;
        --big) big=$2; shift 2 ;;
        *) echo "usage: $0 [--duration S] [--quick] [--big N]" >&2; exit 2 ;;
    esac
done
# A server already on one of the ports would be measured in place of the one started here.
for port in 27181 27281; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "port $port is in use: stop what listens there first" >&2; exit 1
    fi
done
cargo build -q --release -p zoorepl --bin zoorepld --bin zoorepl
ZR=target/release/zoorepld; CLI=target/release/zoorepl
out=target/compare; mkdir -p "$out"; rm -f "$out"/*.json
work=$(mktemp -d); ZP=27181; JP=27281
PY=/usr/bin/python3

fourlw() { $PY -c "import socket,sys
try:
    s=socket.create_connection(('127.0.0.1',$1),1); s.sendall(b'$2'); print(s.recv(65536).decode(errors='replace'))
except OSError: pass"; }
wait_serving() { for _ in $(seq 1 1200); do fourlw "$1" srvr | grep -q '^Mode:' && return 0; sleep 0.05; done; echo "server on $1 did not start" >&2; return 1; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

start_zoorepld() {
    mkdir -p "$work/zr"
    printf 'tickTime=2000\ndataDir=%s/zr/data\nclientPort=%s\nclientPortAddress=127.0.0.1\nmaxClientCnxns=0\n4lw.commands.whitelist=*\n' "$work" "$ZP" > "$work/zr/zoo.cfg"
    ZOOREPL_LOG=warn $ZR "$work/zr/zoo.cfg" 2>>"$work/zr/log" & zr_pid=$!
    wait_serving $ZP
}
stop_zoorepld() { kill "$zr_pid" 2>/dev/null || true; wait "$zr_pid" 2>/dev/null || true; }
start_apache() {
    bash scripts/apache-zk.sh start --port $JP --dir "$work/zk" >/dev/null
    sed -i 's/^maxClientCnxns=.*/maxClientCnxns=0/' "$work/zk/zoo.cfg" 2>/dev/null || true
    zk_pid=$(cat "$work/zk/"*.pid 2>/dev/null | head -n1)
    wait_serving $JP
}
stop_apache() { bash scripts/apache-zk.sh stop --port $JP --dir "$work/zk" >/dev/null 2>&1 || true; }
trap 'stop_zoorepld; stop_apache; rm -rf "$work"' EXIT

bench() { # server-port name op clients outstanding [rate]
    local rate=${6:-0} tag=""
    [ "$rate" = 0 ] || tag="-paced"
    $CLI bench --server "127.0.0.1:$1" --op "$3" --clients "$4" --outstanding "$5" --value-size 100 \
        --duration "$duration" --warmup 2 --keys 10000 --rate "$rate" --json --quiet \
        > "$out/$2-$3-$4x$5$tag.json"
}
field() { $PY -c "import json,sys; d=json.load(open('$1')); print(d$2)"; }

echo "== throughput and latency (zoorepld pid, apache started side by side)"
start_zoorepld; start_apache
cases=("16 32"); [ $quick = 1 ] || cases=("16 1" "16 32" "64 1" "64 32")
for op in create set get; do
    for c in "${cases[@]}"; do
        read -r clients outs <<<"$c"
        echo "-- $op ${clients}x${outs}: zoorepld, then apache" >&2
        bench $ZP zoorepld $op "$clients" "$outs"
        bench $JP apache $op "$clients" "$outs"
    done
done
echo "== latency at equal load (half of Apache's closed-loop throughput)"
paced=("16 32"); [ $quick = 1 ] || paced=("16 32" "64 32")
for op in set get; do
    for c in "${paced[@]}"; do
        read -r clients outs <<<"$c"
        rate=$(field "$out/apache-$op-${clients}x${outs}.json" "['throughput_ops_per_sec']/2")
        echo "-- $op ${clients}x${outs} at $rate/s: zoorepld, then apache" >&2
        bench $ZP zoorepld $op "$clients" "$outs" "$rate"
        bench $JP apache $op "$clients" "$outs" "$rate"
    done
done
stop_zoorepld; stop_apache

echo "== RSS with 100k znodes of 100 bytes"
rm -rf "$work/zr" "$work/zk"
start_zoorepld; start_apache
for p in $ZP $JP; do
    $CLI bench --server "127.0.0.1:$p" --op get --clients 16 --outstanding 32 --keys 100000 \
        --duration 1 --warmup 0 --keep --quiet --json > /dev/null
done
zk_java=$(pgrep -f "ZooKeeperServerMain.*$work/zk" | head -n1)
rss_zr=$(rss_kib "$zr_pid"); rss_zk=$(rss_kib "$zk_java")
stop_zoorepld; stop_apache

echo "== restart with $big znodes on disk"
rm -rf "$work/zr" "$work/zk"
start_zoorepld; start_apache
for p in $ZP $JP; do
    $CLI bench --server "127.0.0.1:$p" --op get --clients 32 --outstanding 64 --keys "$big" \
        --duration 1 --warmup 0 --keep --quiet --json > /dev/null
done
stop_zoorepld; stop_apache
t0=$(date +%s%N); start_zoorepld; t_zr=$(( ($(date +%s%N) - t0) / 1000000 )); stop_zoorepld
t0=$(date +%s%N); start_apache; t_zk=$(( ($(date +%s%N) - t0) / 1000000 )); stop_apache

{
echo "| case | zoorepld ops/s | apache ops/s | ratio | zoorepld p99 ms | apache p99 ms | p99 ratio |"
echo "|---|---|---|---|---|---|---|"
for op in create set get; do
    for c in "${cases[@]}"; do
        read -r clients outs <<<"$c"
        z="$out/zoorepld-$op-${clients}x${outs}.json"; a="$out/apache-$op-${clients}x${outs}.json"
        $PY - "$z" "$a" "$op ${clients}x${outs}" <<'PYEOF'
import json, sys
z, a = (json.load(open(p)) for p in sys.argv[1:3])
def tput(d): return d["throughput_ops_per_sec"]
def p99(d): return d["latency"]["p99_us"] / 1000.0
for d, who in ((z, "zoorepld"), (a, "apache")):
    if d["errors"]:
        print(f"warning: {who} {sys.argv[3]}: {d['errors']} errors, first: {d['first_error']}", file=sys.stderr)
tz, ta, lz, la = tput(z), tput(a), p99(z), p99(a)
print(f"| {sys.argv[3]} | {tz:,.0f} | {ta:,.0f} | {tz/ta:.2f}x | {lz:.2f} | {la:.2f} | {lz/la:.2f}x |")
PYEOF
    done
done
echo
echo "| equal load (paced) | offered ops/s | zoorepld p99 ms | apache p99 ms | p99 ratio |"
echo "|---|---|---|---|---|"
for op in set get; do
    for c in "${paced[@]}"; do
        read -r clients outs <<<"$c"
        $PY - "$out/zoorepld-$op-${clients}x${outs}-paced.json" "$out/apache-$op-${clients}x${outs}-paced.json" "$op ${clients}x${outs}" <<'PYEOF'
import json, sys
z, a = (json.load(open(p)) for p in sys.argv[1:3])
lz, la = z["latency"]["p99_us"] / 1000.0, a["latency"]["p99_us"] / 1000.0
print(f"| {sys.argv[3]} | {z['rate']:,.0f} | {lz:.2f} | {la:.2f} | {lz/la:.2f}x |")
PYEOF
    done
done
echo
echo "| measure | zoorepld | apache | ratio |"
echo "|---|---|---|---|"
echo "| RSS with 100k znodes (MiB) | $((rss_zr / 1024)) | $((rss_zk / 1024)) | $($PY -c "print(f'{$rss_zr/$rss_zk:.2f}x')") |"
echo "| start to serving with $big znodes (ms) | $t_zr | $t_zk | $($PY -c "print(f'{$t_zr/max($t_zk,1):.2f}x')") |"
} | tee "$out/summary.md"
