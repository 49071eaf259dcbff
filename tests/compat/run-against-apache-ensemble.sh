#!/usr/bin/env bash
# Proves the suites right for ensembles: starts a 3-server Apache ZooKeeper 3.8 ensemble
# (Debian's package, QuorumPeerMain) on free loopback ports with the settings of
# scripts/apache-zk.sh, runs tests/compat/run.sh with a connect string naming all three, stops
# it. Exit status is run.sh's. Also records the zkCli ensemble expectations with
# UPDATE_ZKCLI=1 (rewrites zkcli/expected-ensemble.txt instead of running the suites).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-/usr/bin/python3}

jar=/usr/share/java/zookeeper.jar
if [ ! -f "$jar" ]; then
    echo "run-against-apache-ensemble.sh: $jar not found; run tests/compat/install-deps.sh" >&2
    exit 1
fi
cp="$jar:/usr/share/java/zookeeper-jute.jar"
for extra in /usr/share/java/slf4j-simple.jar /usr/share/java/slf4j-nop.jar; do
    if [ -f "$extra" ]; then cp="$cp:$extra"; break; fi
done

# Nine free ports in a row (client, quorum, election; three each), five digits like zoorepl's.
base=$("$PY" "$here/free_ports.py" 9) || exit 1
dir=$(mktemp -d "${TMPDIR:-/tmp}/apache-ensemble-compat.XXXXXX")
pids=()
# shellcheck disable=SC2317  # called through the EXIT trap
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for n in 1 2 3; do
    d="$dir/server-$n"
    mkdir -p "$d/data" "$d/conf"
    echo "$n" >"$d/data/myid"
    cat >"$d/conf/zoo.cfg" <<CFG
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$d/data
clientPort=$((base + n - 1))
clientPortAddress=127.0.0.1
maxClientCnxns=200
4lw.commands.whitelist=*
extendedTypesEnabled=true
admin.enableServer=false
server.1=127.0.0.1:$((base + 3)):$((base + 6))
server.2=127.0.0.1:$((base + 4)):$((base + 7))
server.3=127.0.0.1:$((base + 5)):$((base + 8))
CFG
    java -Xmx384m -Dzookeeper.log.dir="$d" -Dzookeeper.root.logger=INFO,CONSOLE \
        -Dznode.container.checkIntervalMs=1000 -cp "$d/conf:$cp" \
        org.apache.zookeeper.server.quorum.QuorumPeerMain "$d/conf/zoo.cfg" \
        >"$d/zookeeper.out" 2>&1 </dev/null &
    pids+=("$!")
done

connect="127.0.0.1:$base,127.0.0.1:$((base + 1)),127.0.0.1:$((base + 2))"
# Serving once every member answers srvr with a mode other than standalone.
if ! "$PY" - "$connect" <<'PYEOF'
import socket, sys, time
deadline = time.monotonic() + 60
for hp in sys.argv[1].split(","):
    host, _, port = hp.rpartition(":")
    while True:
        try:
            s = socket.create_connection((host, int(port)), timeout=2)
            s.sendall(b"srvr")
            out = b""
            while chunk := s.recv(4096):
                out += chunk
            s.close()
            if b"Mode: leader" in out or b"Mode: follower" in out:
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            sys.exit(f"{hp} does not serve as an ensemble member")
        time.sleep(0.3)
PYEOF
then
    tail -n 20 "$dir"/server-*/zookeeper.out
    exit 1
fi
echo "== Apache ZooKeeper 3.8 ensemble, connect string $connect"
if [ "${UPDATE_ZKCLI:-0}" = "1" ]; then
    "$PY" "$here/zkcli/check.py" --server "$connect" --update
    exit $?
fi
"$here/run.sh" "$connect"
