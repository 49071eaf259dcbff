#!/usr/bin/env bash
# Regenerate every golden capture in core/tests/golden/ from scratch, against a real Apache
# ZooKeeper (Debian's `zookeeper` package) on loopback. For humans, not CI.
#
#   apt-get install -y zookeeper zookeeper-bin python3-kazoo     # not zookeeperd
#   scripts/golden/capture.sh [scenario ...]                     # default: all scenarios
#
# Each scenario runs against a fresh standalone server (empty data dir) so that zxids and the
# tree start from the same state every time. Ports: ZooKeeper 22181, proxy 22182, proxy control
# 22183 (all 127.0.0.1). Logs go to /tmp/zkgold/.
set -euo pipefail
export LC_ALL=C.UTF-8   # kazoo notes and zkCli commands may hold non-ASCII text

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/core/tests/golden"
work=/tmp/zkgold
py="${PYTHON:-/usr/bin/python3}"
jars="${ZK_CLASSPATH:-/etc/zookeeper/conf:/usr/share/java/zookeeper.jar}"
mkdir -p "$work" "$out/4lw"

cat > "$work/zoo.cfg" <<CFG
tickTime=2000
dataDir=$work/data
clientPort=22181
clientPortAddress=127.0.0.1
4lw.commands.whitelist=*
extendedTypesEnabled=true
admin.enableServer=false
CFG

fourlw() { # fourlw CMD: print the raw reply of a four-letter word
  "$py" - "$1" <<'PY'
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", 22181), timeout=2)
    s.sendall(sys.argv[1].encode())
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    sys.stdout.write(data.decode())
except OSError:
    pass
PY
}

zk_pid=""
proxy_pid=""
stop_zk() {
  if [ -n "$zk_pid" ]; then kill "$zk_pid" 2>/dev/null || true; wait "$zk_pid" 2>/dev/null || true; zk_pid=""; fi
}
cleanup() {
  stop_zk
  if [ -n "$proxy_pid" ]; then kill "$proxy_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT

start_zk() { # start_zk [CONFIG]: a fresh standalone server (default config: $work/zoo.cfg)
  if [ -n "$(fourlw ruok)" ]; then echo "something already listens on 127.0.0.1:22181" >&2; exit 1; fi
  rm -rf "$work/data"
  mkdir -p "$work/data"
  java -cp "$jars" org.apache.zookeeper.server.ZooKeeperServerMain "${1:-$work/zoo.cfg}" \
    >>"$work/server.log" 2>&1 &
  zk_pid=$!
  for _ in $(seq 100); do
    # ruok answers before the server serves; srvr tells when it does.
    if fourlw srvr | grep -q '^Zookeeper version'; then return 0; fi
    sleep 0.1
  done
  echo "ZooKeeper did not start; see $work/server.log" >&2
  exit 1
}

"$py" "$here/proxy.py" >>"$work/proxy.log" 2>&1 &
proxy_pid=$!
sleep 0.5
kill -0 "$proxy_pid" || { echo "proxy did not start; see $work/proxy.log" >&2; exit 1; }

if [ $# -gt 0 ]; then scenarios=("$@"); else mapfile -t scenarios < <("$py" "$here/drive_kazoo.py" --list); fi
for s in "${scenarios[@]}"; do
  start_zk
  version="$(fourlw srvr | head -1)"
  echo "== $s ($version)"
  ZK_VERSION_NOTE="$version; kazoo $("$py" -c 'import kazoo.version as v; print(v.__version__)')" \
    "$py" "$here/drive_kazoo.py" --out "$out" "$s" >>"$work/driver.log" 2>&1 \
    || { echo "scenario $s failed; see $work/driver.log" >&2; exit 1; }
  stop_zk
done

# Four-letter words refused by the default whitelist (srvr only): the refusal text.
if [ $# -eq 0 ] || printf '%s\n' "$@" | grep -qx fourlw; then
  grep -v '^4lw.commands.whitelist' "$work/zoo.cfg" > "$work/zoo-default-4lw.cfg"
  start_zk "$work/zoo-default-4lw.cfg"
  for cmd in ruok stat; do fourlw "$cmd" > "$out/4lw/not_whitelisted_$cmd.txt"; done
  stop_zk
fi
