//! witness: the zxid-witness checker runs at the end of every converged seed; correct runs
//! pass it while it judges many writes, reads and watch events, and a corrupted history is
//! caught.

use zoorepl_jepsen::witness::{self, Input, OpOutcome, Violation as W, WitnessReport};
use zoorepl_sim::{run_seed, FaultLevel, SimOptions};

#[derive(Debug, Default)]
struct Totals {
    seeds_checked: u64,
    writes: usize,
    reads: usize,
    events: usize,
}

fn sweep(nodes: usize, seeds: std::ops::Range<u64>) -> Totals {
    let opts = SimOptions {
        nodes,
        ..SimOptions::default()
    };
    let mut totals = Totals::default();
    for seed in seeds {
        let out = run_seed(seed, &opts);
        let witness_failures: Vec<String> = out
            .failures
            .iter()
            .filter(|f| f.violation.check.starts_with("witness"))
            .map(ToString::to_string)
            .collect();
        assert!(
            witness_failures.is_empty(),
            "seed {seed} ({nodes} nodes): {}",
            witness_failures.join("\n")
        );
        if let Some(w) = &out.witness {
            assert!(w.report.is_ok(), "seed {seed}: {:?}", w.report.violations);
            totals.seeds_checked += 1;
            totals.writes += w.report.writes_checked;
            totals.reads += w.report.reads_checked;
            totals.events += w.report.events_checked;
        }
    }
    totals
}

#[test]
fn witness_passes_and_judges_three_node_runs() {
    // Seeds that fail another check first are not judged by the witness (in debug builds many
    // 3-node seeds still stop early on the `step` drain assertion).
    let t = sweep(3, 0..100);
    assert!(t.seeds_checked >= 30, "{t:?}");
    assert!(t.writes > 1000 && t.reads > 1000 && t.events > 50, "{t:?}");
}

#[test]
fn witness_passes_and_judges_standalone_runs() {
    let t = sweep(1, 0..100);
    assert!(t.seeds_checked >= 80, "{t:?}");
    assert!(t.writes > 1000 && t.reads > 1000 && t.events > 50, "{t:?}");
}

#[test]
fn witness_off_does_not_run() {
    let opts = SimOptions {
        witness: false,
        ..SimOptions::default()
    };
    let out = run_seed(1, &opts);
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    assert!(out.witness.is_none());
}

/// A converged 3-node run's witness input, with its clean report.
fn clean_input(seed: u64) -> (Input, WitnessReport) {
    let opts = SimOptions {
        nodes: 3,
        faults: FaultLevel::None,
        keep_history: true,
        ..SimOptions::default()
    };
    let out = run_seed(seed, &opts);
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    let w = out.witness.expect("the witness ran");
    assert!(w.report.is_ok() && w.report.writes_checked > 10, "{w:?}");
    (w.input.expect("kept with the history"), w.report)
}

/// The first acknowledged write, as an index into `ops`.
fn acked_write(input: &Input) -> usize {
    input
        .ops
        .iter()
        .position(|op| op.request.is_write() && matches!(op.outcome, OpOutcome::Ok(_)))
        .expect("an acknowledged write")
}

#[test]
fn witness_catches_a_dropped_committed_txn() {
    let (mut input, _) = clean_input(5);
    let op = acked_write(&input);
    let zxid = input.ops[op].zxid.expect("a reply zxid");
    input.log.retain(|t| t.zxid != zxid);
    let report = witness::check(&input);
    assert!(
        report
            .violations
            .iter()
            .any(|v| matches!(v, W::LostWrite { op: o, .. } if *o == op)),
        "{:?}",
        report.violations
    );
}

#[test]
fn witness_catches_a_reply_zxid_that_moved() {
    let (mut input, _) = clean_input(6);
    let op = acked_write(&input);
    let zxid = input.ops[op].zxid.expect("a reply zxid");
    // Another txn's zxid: the reply now claims a position the write does not hold.
    let other = input
        .log
        .iter()
        .map(|t| t.zxid)
        .find(|z| *z != zxid && *z > 0)
        .expect("another txn");
    input.ops[op].zxid = Some(other);
    let report = witness::check(&input);
    assert!(!report.is_ok(), "a moved reply zxid went unnoticed");
    assert!(
        report.violations.iter().any(|v| matches!(
            v,
            W::LostWrite { .. } | W::WriteMismatch { .. } | W::UnexplainedTxn { .. }
        )),
        "{:?}",
        report.violations
    );
}

#[test]
fn witness_violations_become_named_sim_failures() {
    let opts = SimOptions {
        nodes: 3,
        faults: FaultLevel::None,
        keep_history: true,
        ..SimOptions::default()
    };
    let out = run_seed(7, &opts);
    let history = out.history.expect("kept");
    let kept = out.witness.expect("ran").input.expect("kept");
    // The conversion is deterministic: converting the history again gives the same ops,
    // with their origins; then drop the txn of an acknowledged write from the log.
    let mut converted = zoorepl_sim::checker::witness::convert(&[], &history);
    assert_eq!(converted.input.ops, kept.ops);
    let zxid = kept.ops[acked_write(&kept)].zxid.expect("a reply zxid");
    converted.input.log = kept.log;
    converted.input.log.retain(|t| t.zxid != zxid);
    let (report, found) = zoorepl_sim::checker::witness::check(&converted, &history);
    assert!(!report.is_ok());
    assert_eq!(found.len(), report.violations.len());
    assert!(
        found
            .iter()
            .any(|v| v.check == "witness-lost-write" && v.detail.contains("history op")),
        "{found:?}"
    );
}
