#!/usr/bin/env bash
# Starts a fresh zoorepld (the debug build, built if needed) on a free loopback port with the
# same settings as the Apache reference (see README.md), runs both compat suites against it,
# and stops it. Exit status: non-zero if any test failed or the server did not start.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
cargo build -q -p zoorepl --bin zoorepld || exit 1
bin="$top/target/debug/zoorepld"
dir=$(mktemp -d)
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$dir/zoo.cfg" <<CFG
tickTime=2000
dataDir=$dir/data
clientPort=$port
clientPortAddress=127.0.0.1
maxClientCnxns=200
4lw.commands.whitelist=*
extendedTypesEnabled=true
znode.container.checkIntervalMs=1000
CFG
"$bin" "$dir/zoo.cfg" >"$dir/zoorepld.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do
    if /usr/bin/python3 -c "import socket,sys; s=socket.create_connection(('127.0.0.1',$port),1); s.sendall(b'ruok'); sys.exit(0 if s.recv(8)==b'imok' else 1)" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
echo "== zoorepld on 127.0.0.1:$port (pid $pid)"
ZK_REAP_WAIT=${ZK_REAP_WAIT:-3} bash tests/compat/run.sh "127.0.0.1:$port"
status=$?
if [ $status -ne 0 ]; then
    echo "== zoorepld log (last 30 lines)"
    tail -n 30 "$dir/zoorepld.log"
fi
exit $status
