#!/usr/bin/env bash
# The madsim part of the test command (DESIGN.md §6): the real io shells of a 3-server ensemble
# under madsim (sim/tests/madsim_ensemble.rs), built with RUSTFLAGS="--cfg madsim" into their
# own target directory (the cfg changes every crate, so it cannot share the normal one).
#   1. lints of the madsim-only code;
#   2. determinism: one seed in two processes prints the same summary, and madsim's own check
#      (MADSIM_TEST_CHECK_DETERMINISM: the seed twice in one process, every random draw compared);
#   3. a sweep of ZOOREPL_MADSIM_SEEDS seeds (default 300) from ZOOREPL_MADSIM_SEED (default 1);
#   4. the checks bite: with a ZAB bug planted (zxid-reuse: counters reused across epochs, built with
#      --features planted-bugs) a run must fail within 10 seeds.
# A failing seed prints `MADSIM_TEST_SEED=<seed>`; rerun it alone with
#   MADSIM_TEST_SEED=<seed> RUSTFLAGS="--cfg madsim" cargo test -p zoorepl-sim \
#     --test madsim_ensemble --target-dir target/madsim -- --nocapture
set -euo pipefail
cd "$(dirname "$0")/.."

export RUSTFLAGS="--cfg madsim"
target=(--target-dir target/madsim)
run=(cargo test --locked -q -p zoorepl-sim --test madsim_ensemble "${target[@]}" -- --nocapture)

echo "== madsim: build and lints"
cargo clippy --locked -p zoorepl-sim --tests "${target[@]}" -- -D warnings
cargo test --locked -p zoorepl-sim --test madsim_ensemble "${target[@]}" --no-run

echo "== madsim: the same seed gives the same run"
a=$(MADSIM_TEST_SEED=5 "${run[@]}" | grep '^seed ')
b=$(MADSIM_TEST_SEED=5 "${run[@]}" | grep '^seed ')
if [ "$a" != "$b" ] || [ -z "$a" ]; then
    echo "nondeterministic: seed 5 gave '$a' then '$b'" >&2
    exit 1
fi
echo "  $a"
MADSIM_TEST_SEED=6 MADSIM_TEST_CHECK_DETERMINISM=1 "${run[@]}" | grep '^seed ' | head -1

seeds=${ZOOREPL_MADSIM_SEEDS:-300}
first=${ZOOREPL_MADSIM_SEED:-1}
echo "== madsim: seeds $first..$((first + seeds))"
start=$(date +%s)
MADSIM_TEST_SEED=$first MADSIM_TEST_NUM=$seeds "${run[@]}" > target/madsim/sweep.log 2>&1 || {
    grep -E 'panicked|MADSIM_TEST_SEED=' -A3 target/madsim/sweep.log | head -40 >&2
    echo "madsim sweep failed; full output in target/madsim/sweep.log" >&2
    exit 1
}
passed=$(grep -c '^seed ' target/madsim/sweep.log)
skipped=$(grep -c 'witness skipped' target/madsim/sweep.log || true)
echo "  $passed seeds passed in $(( $(date +%s) - start )) s ($skipped without the witness: every server had installed a SNAP)"

echo "== madsim: a planted bug (zxid-reuse) is caught within 10 seeds"
if ZOOREPL_MADSIM_PLANTED=zxid-reuse MADSIM_TEST_SEED=1 MADSIM_TEST_NUM=10 \
    cargo test --locked -q -p zoorepl-sim --features planted-bugs --test madsim_ensemble \
    "${target[@]}" -- --nocapture > target/madsim/planted.log 2>&1; then
    echo "the planted bug went unnoticed for 10 seeds; see target/madsim/planted.log" >&2
    exit 1
fi
grep -m1 -o 'seed [0-9]*: per-step checks: \[Violation { check: "[a-z-]*"' target/madsim/planted.log \
    || grep -m1 'panicked' -A1 target/madsim/planted.log
