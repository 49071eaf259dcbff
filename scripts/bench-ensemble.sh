#!/usr/bin/env bash
# zoorepld against Apache ZooKeeper 3.8 (Debian's `zookeeper` package), each as a local
# 3-server ensemble on 127.0.0.1, side by side in one run on this machine:
#   - `zoorepl bench --op set|get --clients 64 --outstanding 32` against each ensemble's full
#     connect string (the sessions spread over the three servers);
#   - `zoorepl bench failover`: kill -9 of the leader under a writer, to the first write after
#     it, one round on one ensemble then one on the other, --rounds times.
# Both ensembles run for the whole run (the idle one costs little), with the same tickTime,
# initLimit=10 and syncLimit=5. Prints a table and writes docs/perf/ensemble-<date>.md; the
# raw JSON and a copy of the table stay in target/bench-ensemble/<time>/.
#
#   scripts/bench-ensemble.sh [--duration S] [--warmup S] [--rounds N] [--tick-ms T]
#                             [--doc FILE | --no-doc]
#
#   --duration   measured seconds per throughput case (default 10)
#   --warmup     seconds of load before measuring (default 5: time for the JVM's JIT)
#   --rounds     failover rounds per implementation (default 5)
#   --tick-ms    tickTime of both ensembles (default 2000)
#   --doc        where to write the Markdown report (default docs/perf/ensemble-<date>.md)
#
# Ports (override with ZR_PORT_BASE / ZK_PORT_BASE): zoorepld server N listens on B+N-1 for
# clients, B+100+N-1 for the quorum and B+200+N-1 for elections, with B 29181; Apache likewise
# with B 30181. Needs tests/compat/install-deps.sh (Apache ZooKeeper and Java) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
duration=10; warmup=5; rounds=5; tick_ms=2000
doc="docs/perf/ensemble-$(date +%F).md"
while [ $# -gt 0 ]; do
    case $1 in
        --duration) duration=${2:?}; shift 2 ;;
        --warmup) warmup=${2:?}; shift 2 ;;
        --rounds) rounds=${2:?}; shift 2 ;;
        --tick-ms) tick_ms=${2:?}; shift 2 ;;
        --doc) doc=${2:?}; shift 2 ;;
        --no-doc) doc=""; shift ;;
        *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
    esac
done
PY=${PYTHON:-python3}
zr_base=${ZR_PORT_BASE:-29181}
zk_base=${ZK_PORT_BASE:-30181}

echo "== building release binaries" >&2
cargo build -q --release -p zoorepl --bin zoorepld --bin zoorepl
CLI=$top/target/release/zoorepl
out=$top/target/bench-ensemble/$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-ensemble.XXXXXX")
zr_dir=$work/zoorepld
zk_dir=$work/apache

# Every port of both ensembles must be free before anything starts.
"$PY" - "$zr_base" "$zk_base" <<'PYEOF'
import socket, sys
busy = []
for base in map(int, sys.argv[1:]):
    for port in [base + off + i for off in (0, 100, 200) for i in range(3)]:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            busy.append(port)
        finally:
            s.close()
if busy:
    sys.exit(f"bench-ensemble: ports in use: {busy}; set ZR_PORT_BASE / ZK_PORT_BASE")
PYEOF

# shellcheck disable=SC2317  # called through the EXIT trap
cleanup() {
    "$CLI" ensemble stop --dir "$zr_dir" >/dev/null 2>&1 || true
    scripts/apache-zk.sh ensemble-stop --dir "$zk_dir" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

connect_string() { # base
    echo "127.0.0.1:$1,127.0.0.1:$(($1 + 1)),127.0.0.1:$(($1 + 2))"
}
zr_connect=$(connect_string "$zr_base")
zk_connect=$(connect_string "$zk_base")

# The machine before the run: what else is using it.
{
    echo "nproc=$(nproc)"
    echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
    echo "mem_mib=$(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo)"
    echo "kernel=$(uname -r)"
    echo "load_start=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "java=$(java -version 2>&1 | head -n1)"
    echo "java_max_heap_mib=$(java -XX:+PrintFlagsFinal -version 2>/dev/null |
        awk '$2 == "MaxHeapSize" {print int($4 / 1048576)}')"
    echo "apache=$(dpkg-query -W -f='${Version}' zookeeper 2>/dev/null || echo unknown)"
    echo "commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo '+dirty')"
    echo "tick_ms=$tick_ms"
} >"$out/machine.txt"
ps -eo pid,ni,pcpu,etime,comm --sort=-pcpu | head -n 12 >"$out/ps-start.txt"

echo "== starting a 3-server zoorepld ensemble ($zr_connect)" >&2
"$CLI" ensemble start --dir "$zr_dir" --servers 3 --tick-ms "$tick_ms" \
    --client-port "$zr_base" --quorum-port $((zr_base + 100)) \
    --election-port $((zr_base + 200)) >"$out/zoorepld-start.txt"
echo "== starting a 3-server Apache ZooKeeper ensemble ($zk_connect)" >&2
scripts/apache-zk.sh ensemble-start --dir "$zk_dir" --servers 3 --tick-ms "$tick_ms" \
    --port-base "$zk_base" >"$out/apache-start.txt"

# Connections per server, sampled in the middle of a throughput case.
sample_connections() { # name connect-string file
    local addr
    for addr in ${2//,/ }; do
        "$PY" - "${addr#*:}" <<'PYEOF'
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2)
    s.sendall(b"srvr")
    text = s.makefile(errors="replace").read()
    fields = dict(l.split(": ", 1) for l in text.splitlines() if ": " in l)
    print(sys.argv[1], fields.get("Mode", "?"), fields.get("Connections", "?"))
except OSError as e:
    print(sys.argv[1], "error", e)
PYEOF
    done | sed "s/^/$1 /" >>"$3"
}

bench() { # name connect-string op
    echo "-- $3 64x32 on $1" >&2
    "$CLI" bench --server "$2" --op "$3" --clients 64 --outstanding 32 --value-size 100 \
        --keys 10000 --duration "$duration" --warmup "$warmup" --json --quiet \
        >"$out/$1-$3.json" &
    local pid=$!
    sleep "$("$PY" -c "print($warmup + $duration / 2)")"
    sample_connections "$1 $3" "$2" "$out/connections.txt"
    wait "$pid"
}

echo "== throughput: set, then get, 64 sessions x 32 outstanding, alternating" >&2
bench zoorepld "$zr_connect" set
bench apache "$zk_connect" set
bench apache "$zk_connect" get
bench zoorepld "$zr_connect" get
# Resident memory of each server after the throughput cases (10,000 keys of 100 bytes).
for pidfile in "$zr_dir"/server-*/zoorepld.pid "$zk_dir"/server-*/zookeeper.pid; do
    kib=$(awk '/VmRSS/ {print $2}' "/proc/$(cat "$pidfile")/status" 2>/dev/null || echo "?")
    echo "${pidfile#"$work"/} $kib"
done >"$out/rss-kib.txt"

failover() { # name connect-string pid-file restart-cmd round
    echo "-- failover round $5 on $1" >&2
    "$CLI" bench failover --server "$2" --pid-file "$3" --restart-cmd "$4" --rounds 1 \
        --timeout 60 --json >"$out/$1-failover-$5.json"
}

echo "== failover: kill -9 of the leader, $rounds rounds each, alternating" >&2
for r in $(seq 1 "$rounds"); do
    failover zoorepld "$zr_connect" "$zr_dir/server-{id}/zoorepld.pid" \
        "'$CLI' ensemble start-one --dir '$zr_dir' --id {id}" "$r"
    failover apache "$zk_connect" "$zk_dir/server-{id}/zookeeper.pid" \
        "'$top/scripts/apache-zk.sh' ensemble-start --dir '$zk_dir' --server {id}" "$r"
done

echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/machine.txt"
ps -eo pid,ni,pcpu,etime,comm --sort=-pcpu | head -n 12 >"$out/ps-end.txt"

"$PY" scripts/bench-ensemble-report.py "$out" --duration "$duration" --warmup "$warmup" \
    --rounds "$rounds" >"$out/report.md"
cat "$out/report.md"
if [ -n "$doc" ]; then
    cp "$out/report.md" "$doc"
    echo "== wrote $doc (raw results in $out)" >&2
fi
