#!/usr/bin/env bash
# The project's test command (the README's second line):
#   1. every Rust test of the workspace (unit, property, golden captures of Apache ZooKeeper,
#      real zoorepld processes driven by the zookeeper-client crate, kill -9 crash tests, ZAB
#      scenarios), then the simulator's determinism check, seed sweeps and planted-bug hunt
#      (scripts/sim-ci.sh), then the madsim tests of the real io shells (scripts/madsim.sh);
#   2. the compatibility suites (kazoo/pytest and a zkCli transcript) against a fresh zoorepld,
#      then against a fresh 3-server zoorepld ensemble (connect string with all three);
#   3. the same suites once against Apache ZooKeeper 3.8 from Debian, to prove the suites right.
# Steps 2 and 3 install Debian's zookeeper, python3-kazoo and python3-pytest first (apt-get;
# this needs root). Set ZOOREPL_SKIP_COMPAT=1 to run only step 1.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo test --workspace"
cargo test --workspace --locked

bash scripts/sim-ci.sh
bash scripts/madsim.sh

if [ "${ZOOREPL_SKIP_COMPAT:-0}" = 1 ]; then
    echo "== compatibility suites skipped (ZOOREPL_SKIP_COMPAT=1)"
    exit 0
fi
echo "== compatibility suites: dependencies"
bash tests/compat/install-deps.sh
echo "== compatibility suites against zoorepld"
bash tests/compat/run-against-zoorepld.sh
echo "== compatibility suites against a 3-server zoorepld ensemble"
bash tests/compat/run-against-ensemble.sh
echo "== compatibility suites against Apache ZooKeeper (proves the suites)"
bash tests/compat/run-against-apache.sh
