#!/usr/bin/env bash
# Start, stop or query a throwaway Apache ZooKeeper (Debian's `zookeeper` package) on
# 127.0.0.1: a standalone server, used to prove the compatibility suites in tests/compat/
# against the reference, or a local ensemble, used by scripts/bench-ensemble.sh.
#
#   scripts/apache-zk.sh start  [--port P] [--dir D]   # default port 24181, dir $TMPDIR/apache-zk-<port>
#   scripts/apache-zk.sh status [--port P] [--dir D]   # exit 0 if running and answering ruok
#   scripts/apache-zk.sh stop   [--port P] [--dir D]
#
#   scripts/apache-zk.sh ensemble-start --dir D [--servers N] [--port-base P] [--tick-ms T]
#                                       [--server K]
#   scripts/apache-zk.sh ensemble-status --dir D       # exit 0 if every server serves
#   scripts/apache-zk.sh ensemble-stop   --dir D
#
# A standalone server runs with its own zoo.cfg, dataDir, log and pid file under D. An
# ensemble of N servers (default 3) lives in D/server-K/ (conf/zoo.cfg, data/myid,
# zookeeper.out, zookeeper.pid), server K on client port P+K-1, quorum port P+100+K-1 and
# election port P+200+K-1 (default P 24281), all on 127.0.0.1, with tickTime T ms (default
# 2000), initLimit=10 and syncLimit=5 as in `zoorepl ensemble start`. ensemble-start lays the
# servers out (keeping any data already there), starts every server that is not running (only
# server K with --server K, e.g. to bring back one that was killed) and waits until the ones it
# started answer `srvr` with Mode: leader or follower. The JVM gets its default heap unless
# APACHE_ZK_HEAP (e.g. 512m) is set for an ensemble; a standalone server gets -Xmx512m.
# Nothing here touches /etc/zookeeper or the `zookeeperd` service.
set -euo pipefail

usage() {
    echo "usage: $0 start|stop|status [--port P] [--dir D]" >&2
    echo "       $0 ensemble-start|ensemble-stop|ensemble-status --dir D [--servers N]" \
        "[--port-base P] [--tick-ms T] [--server K]" >&2
    exit 2
}

[ $# -ge 1 ] || usage
cmd=$1; shift
port=24181
dir=""
servers=3
port_base=24281
tick_ms=2000
only=""
# shellcheck disable=SC2034  # servers, port_base, tick_ms, only: used by apache-zk-ensemble.sh
while [ $# -gt 0 ]; do
    case $1 in
        --port) port=${2:?}; shift 2 ;;
        --dir) dir=${2:?}; shift 2 ;;
        --servers) servers=${2:?}; shift 2 ;;
        --port-base) port_base=${2:?}; shift 2 ;;
        --tick-ms) tick_ms=${2:?}; shift 2 ;;
        --server) only=${2:?}; shift 2 ;;
        *) usage ;;
    esac
done
case $cmd in
    ensemble-*) [ -n "$dir" ] || { echo "apache-zk.sh: $cmd needs --dir" >&2; exit 2; } ;;
esac
dir=${dir:-${TMPDIR:-/tmp}/apache-zk-$port}
pidfile=$dir/zookeeper.pid

# Send a four-letter word to 127.0.0.1:PORT; print the answer (empty if nothing answers).
fourlw_at() {
    python3 - "$1" "$2" <<'EOF' 2>/dev/null || true
import socket, sys
port, word = int(sys.argv[1]), sys.argv[2].encode()
try:
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    s.sendall(word)
    out = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        out += chunk
    sys.stdout.write(out.decode(errors="replace"))
except OSError:
    pass
EOF
}

fourlw() { fourlw_at "$port" "$1"; }

running_pid() {
    [ -f "$pidfile" ] || return 1
    local pid
    pid=$(cat "$pidfile")
    kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

# Classpath from the installed package: zookeeper.jar's manifest names its dependencies.
# $1: the directory whose conf/ comes first.
classpath() {
    local jar
    jar=$(dpkg -L libzookeeper-java zookeeper 2>/dev/null | grep -E '/usr/share/java/zookeeper\.jar$' | head -n1 || true)
    if [ -z "$jar" ] || [ ! -f "$jar" ]; then
        echo "apache-zk.sh: zookeeper.jar not found; run tests/compat/install-deps.sh" >&2
        exit 1
    fi
    # jute is listed in the manifest, but name it anyway; slf4j-nop (if any) keeps logging quiet.
    local cp="$1/conf:$jar:/usr/share/java/zookeeper-jute.jar"
    for extra in /usr/share/java/slf4j-simple.jar /usr/share/java/slf4j-nop.jar; do
        if [ -f "$extra" ]; then cp="$cp:$extra"; break; fi
    done
    echo "$cp"
}

start() {
    if pid=$(running_pid); then
        echo "apache-zk.sh: already running (pid $pid) on port $port"
        return 0
    fi
    command -v java >/dev/null || { echo "apache-zk.sh: java not found" >&2; exit 1; }
    rm -rf "$dir/data"
    mkdir -p "$dir/data" "$dir/conf"
    cat >"$dir/conf/zoo.cfg" <<EOF
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$dir/data
clientPort=$port
clientPortAddress=127.0.0.1
maxClientCnxns=200
4lw.commands.whitelist=*
extendedTypesEnabled=true
admin.enableServer=false
EOF
    local cp
    cp=$(classpath "$dir")
    # Short container/TTL check interval so the suite can watch them being reaped.
    nohup java -Xmx512m -Dzookeeper.log.dir="$dir" \
        -Dzookeeper.root.logger=INFO,CONSOLE \
        -Dznode.container.checkIntervalMs=1000 \
        -cp "$cp" org.apache.zookeeper.server.ZooKeeperServerMain "$dir/conf/zoo.cfg" \
        >"$dir/zookeeper.out" 2>&1 </dev/null &
    echo $! >"$pidfile"
    for _ in $(seq 1 100); do
        if [ "$(fourlw ruok)" = "imok" ]; then
            echo "apache-zk.sh: Apache ZooKeeper up on 127.0.0.1:$port (pid $(cat "$pidfile"), dir $dir)"
            return 0
        fi
        if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
            echo "apache-zk.sh: server exited; log follows" >&2
            tail -n 40 "$dir/zookeeper.out" >&2
            exit 1
        fi
        sleep 0.2
    done
    echo "apache-zk.sh: no imok after 20 s; log follows" >&2
    tail -n 40 "$dir/zookeeper.out" >&2
    stop
    exit 1
}

stop() {
    local pid
    if ! pid=$(running_pid); then
        echo "apache-zk.sh: not running on port $port"
        rm -f "$pidfile"
        return 0
    fi
    kill "$pid"
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
    rm -f "$pidfile"
    echo "apache-zk.sh: stopped pid $pid"
}

status() {
    local pid
    if pid=$(running_pid) && [ "$(fourlw ruok)" = "imok" ]; then
        echo "apache-zk.sh: running (pid $pid) on 127.0.0.1:$port"
        return 0
    fi
    echo "apache-zk.sh: not running on port $port"
    return 1
}

case $cmd in
    start) start ;;
    stop) stop ;;
    status) status ;;
    ensemble-start | ensemble-stop | ensemble-status)
        # shellcheck source=scripts/apache-zk-ensemble.sh
        . "$(dirname "$0")/apache-zk-ensemble.sh"
        "${cmd//-/_}"
        ;;
    *) usage ;;
esac
