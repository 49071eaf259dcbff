#!/usr/bin/env bash
# The simulator part of the test command (DESIGN.md §6): one release build of the CLI with the
# planted bugs compiled in (off unless asked for), then
#   1. determinism: the same seed twice gives the same trace hash (standalone, 3 and 5+1 servers);
#   2. sweeps on unmodified code: standalone, 3 servers, 3 servers under heavy faults, 5 voters
#      and an observer; any failing seed fails the step and prints its reproduce command;
#   3. every planted ZAB bug is found within 10,000 seeds.
# Set ZOOREPL_SIM_SEEDS to scale the sweeps (default 6000 for 3 servers).
set -euo pipefail
cd "$(dirname "$0")/.."

n=${ZOOREPL_SIM_SEEDS:-6000}
echo "== sim: release build with planted bugs compiled in"
cargo build --release --locked -p zoorepl --features planted-bugs
z=target/release/zoorepl

echo "== sim: the same seed gives the same trace hash"
for args in "--seed 7" "--seed 11 --nodes 3" "--seed 13 --nodes 5 --observers 1" \
    "--seed 17 --nodes 3 --faults heavy"; do
    # shellcheck disable=SC2086
    a=$($z sim $args | grep '^trace hash')
    # shellcheck disable=SC2086
    b=$($z sim $args | grep '^trace hash')
    if [ "$a" != "$b" ] || [ -z "$a" ]; then
        echo "nondeterministic: zoorepl sim $args gave '$a' then '$b'" >&2
        exit 1
    fi
    echo "  $args: $a"
done

echo "== sim: sweeps"
$z sim --seeds 0..$((n / 2))
$z sim --seeds 0..$n --nodes 3
$z sim --seeds 0..$((n / 2)) --nodes 3 --faults heavy
$z sim --seeds 0..$((n / 4)) --nodes 5 --observers 1
$z sim --seeds 0..$((n / 6)) --nodes 3 --observers 1 --publishers 1

echo "== sim: every planted bug is found within 10,000 seeds"
$z sim --hunt --nodes 3 --observers 1 --hunt-ranges 1 --hunt-max 10000
