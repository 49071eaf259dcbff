//! standalone: one server (`ensemble: None`) under crashes with torn and lost tails, fsync
//! latency and failures, read corruption of snapshots, pauses, clock drift and jumps, and
//! clients that reconnect; every seed must pass every checker and converge.

use zoorepl_sim::{run_seed, FaultLevel, SimOptions, Stats};

fn sweep(faults: FaultLevel, seeds: std::ops::Range<u64>) -> Stats {
    let opts = SimOptions {
        faults,
        ..SimOptions::default()
    };
    let mut total = Stats::default();
    for seed in seeds {
        let out = run_seed(seed, &opts);
        assert!(
            out.failures.is_empty(),
            "seed {seed} ({faults}) failed:\n{}\nfaults: {}",
            out.failures
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
            out.faults
        );
        let s = &out.stats;
        total.crashes += s.crashes;
        total.restarts += s.restarts;
        total.torn_tails += s.torn_tails;
        total.fsync_failures += s.fsync_failures;
        total.read_corruptions += s.read_corruptions;
        total.snapshots += s.snapshots;
        total.pauses += s.pauses;
        total.ops_ok += s.ops_ok;
        total.ops_info += s.ops_info;
        total.watch_events += s.watch_events;
    }
    total
}

#[test]
fn standalone_default_faults_pass_and_exercise_recovery() {
    let t = sweep(FaultLevel::Default, 0..200);
    assert!(t.crashes > 50 && t.restarts > 50, "{t:?}");
    assert!(t.torn_tails > 0, "no torn tail was ever cut: {t:?}");
    assert!(
        t.snapshots > 0 && t.pauses > 0 && t.watch_events > 0,
        "{t:?}"
    );
    assert!(t.ops_ok > 10_000 && t.ops_info > 0, "{t:?}");
}

#[test]
fn standalone_heavy_faults_pass() {
    let t = sweep(FaultLevel::Heavy, 1000..1100);
    assert!(t.fsync_failures > 0 && t.read_corruptions > 0, "{t:?}");
}

#[test]
fn standalone_without_faults_passes() {
    let t = sweep(FaultLevel::None, 0..50);
    assert_eq!(t.crashes, 0);
}
