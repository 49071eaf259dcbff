//! determinism: one seed is one run, bit for bit (STYLE.md §3, DESIGN.md §6 "same seed ⇒
//! same trace hash").

use zoorepl_sim::{run_seed, FaultLevel, SimOptions};

#[test]
fn same_seed_gives_same_trace_hash_and_history() {
    for faults in [FaultLevel::Default, FaultLevel::Heavy] {
        let opts = SimOptions {
            faults,
            keep_history: true,
            ..SimOptions::default()
        };
        for seed in [0, 7, 12_345, u64::MAX] {
            let (a, b) = (run_seed(seed, &opts), run_seed(seed, &opts));
            assert_eq!(a.trace_hash, b.trace_hash, "seed {seed} {faults}");
            assert_eq!(a.stats, b.stats, "seed {seed} {faults}");
            let (ha, hb) = (a.history.expect("kept"), b.history.expect("kept"));
            assert_eq!(ha.to_jepsen(), hb.to_jepsen(), "seed {seed} {faults}");
        }
    }
}

#[test]
fn tracing_does_not_change_the_run() {
    let plain = run_seed(3, &SimOptions::default());
    let traced = run_seed(
        3,
        &SimOptions {
            trace: true,
            ..SimOptions::default()
        },
    );
    assert_eq!(plain.trace_hash, traced.trace_hash);
    assert!(plain.trace.is_empty());
    assert!(traced.trace.len() as u64 >= traced.stats.steps);
}

#[test]
fn different_seeds_usually_differ() {
    let opts = SimOptions::default();
    let hashes: std::collections::BTreeSet<u64> = (0..20)
        .map(|seed| run_seed(seed, &opts).trace_hash)
        .collect();
    assert!(hashes.len() >= 19, "only {} distinct hashes", hashes.len());
}
