#!/usr/bin/env bash
# Runs both compatibility suites against a running ZooKeeper-compatible server:
#   1. the kazoo/pytest suite (tests/compat/kazoo), connect string in ZK_SERVER
#   2. the zkCli transcript check (tests/compat/zkcli)
# and ends with one line "N passed, M failed[, K skipped]" over both. Exit status is non-zero
# if anything failed. The argument is a ZooKeeper connect string: one host:port, or several
# separated by commas (the servers of an ensemble; every one must accept connections).
#
#   tests/compat/run.sh 127.0.0.1:2181
#   tests/compat/run.sh 127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183
#
# Environment: PYTHON (default /usr/bin/python3, where Debian's kazoo and pytest live),
# PYTEST_ARGS (extra pytest arguments, e.g. "-k watches -x"), ZK_TICK_MS, ZK_REAP_WAIT,
# ZK_SKIP_REAP, ZK_TEST_TIMEOUT (see README.md), SKIP_ZKCLI=1 to run only the kazoo suite,
# COMPAT_TIMEOUT (seconds for the whole pytest run, default 900).
set -uo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 host:port[,host:port...]" >&2
    exit 2
fi
server=$1
here=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-/usr/bin/python3}
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

if ! "$PY" - "$server" <<'PYEOF'
import socket, sys
for hostport in sys.argv[1].split(","):
    host, _, port = hostport.strip().rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except (OSError, ValueError) as e:
        sys.exit(f"run.sh: cannot connect to {hostport!r} of {sys.argv[1]}: {e}")
PYEOF
then
    echo "0 passed, 1 failed"
    exit 1
fi

echo "== kazoo suite against $server ($PY)"
# shellcheck disable=SC2086
ZK_SERVER=$server timeout --kill-after=10 "${COMPAT_TIMEOUT:-900}" "$PY" -m pytest "$here/kazoo" -p no:cacheprovider -q -rs --durations=5 \
    ${PYTEST_ARGS:-} 2>&1 | tee "$log/pytest.out"
pytest_rc=${PIPESTATUS[0]}

summary=$(grep -E '^(=+ )?[0-9]+ (passed|failed|errors?|skipped|deselected|xfailed|xpassed|warnings?)(, [0-9]+ [a-z]+)* in [0-9.]+s' "$log/pytest.out" | tail -n1 || true)
k_pass=0 k_fail=0 k_skip=0
if [ -n "$summary" ]; then
    echo "$summary" >"$log/summary"
    k_pass=$(grep -Eo '[0-9]+ passed' "$log/summary" | grep -Eo '^[0-9]+' || echo 0)
    k_fail=$(( $(grep -Eo '[0-9]+ failed' "$log/summary" | grep -Eo '^[0-9]+' || echo 0) \
             + $(grep -Eo '[0-9]+ errors?' "$log/summary" | grep -Eo '^[0-9]+' || echo 0) ))
    k_skip=$(grep -Eo '[0-9]+ skipped' "$log/summary" | grep -Eo '^[0-9]+' || echo 0)
fi
if [ "$pytest_rc" -ne 0 ] && [ "$k_fail" -eq 0 ]; then
    k_fail=1  # pytest failed without a countable failure (collection error, no tests, ...)
fi

z_pass=0 z_fail=0 zk_rc=0
if [ "${SKIP_ZKCLI:-0}" != "1" ]; then
    echo "== zkCli transcript against $server"
    "$PY" "$here/zkcli/check.py" --server "$server" --raw "$log/zkcli.raw" 2>&1 | tee "$log/zkcli.out"
    zk_rc=${PIPESTATUS[0]}
    res=$(grep -E '^ZKCLI_RESULT ' "$log/zkcli.out" | tail -n1 || true)
    if [ -n "$res" ]; then
        z_pass=$(echo "$res" | sed -E 's/.*passed=([0-9]+).*/\1/')
        z_fail=$(echo "$res" | sed -E 's/.*failed=([0-9]+).*/\1/')
    fi
    if [ "$zk_rc" -ne 0 ] && [ "$z_fail" -eq 0 ]; then z_fail=1; fi
fi

echo "== compat: kazoo $k_pass passed, $k_fail failed, $k_skip skipped; zkCli $z_pass passed, $z_fail failed"
pass=$((k_pass + z_pass))
fail=$((k_fail + z_fail))
if [ "$k_skip" -gt 0 ]; then
    echo "$pass passed, $fail failed, $k_skip skipped"
else
    echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ] && [ "$pytest_rc" -eq 0 ] && [ "$zk_rc" -eq 0 ]
