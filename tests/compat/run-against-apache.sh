#!/usr/bin/env bash
# Proves the suites right: starts Apache ZooKeeper 3.8 (Debian's package) on a free loopback
# port with scripts/apache-zk.sh, runs tests/compat/run.sh against it, stops it.
# Exit status is run.sh's. Ports tried: 24181-24199 (override the first with APACHE_ZK_PORT).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
PY=${PYTHON:-/usr/bin/python3}
start=$(date +%s%N)

port=$("$PY" - "${APACHE_ZK_PORT:-24181}" <<'PYEOF'
import socket, sys
first = int(sys.argv[1])
for p in range(first, first + 19):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is fine, LISTEN is not
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    break
else:
    sys.exit("no free port")
PYEOF
) || exit 1
dir=$(mktemp -d "${TMPDIR:-/tmp}/apache-zk-compat.XXXXXX")
# shellcheck disable=SC2317  # called through the EXIT trap
cleanup() {
    "$repo/scripts/apache-zk.sh" stop --port "$port" --dir "$dir" >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT

"$repo/scripts/apache-zk.sh" start --port "$port" --dir "$dir" || exit 1
"$here/run.sh" "127.0.0.1:$port" 2>&1 | tee "$dir/run.out"
rc=${PIPESTATUS[0]}
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "== run-against-apache: Apache ZooKeeper 3.8 on 127.0.0.1:$port, took $((ms / 1000)).$(( (ms % 1000) / 100 ))s, exit $rc"
tail -n1 "$dir/run.out"  # the "N passed, M failed" line stays last
exit "$rc"
