//! A publisher member (a non-voter that will serve the replication stream): it joins, syncs
//! and learns every commit by INFORM, converging with the voters, under faults too.

use zoorepl_sim::{run_seed, FaultLevel, SimOptions};

fn with_publisher(faults: FaultLevel) -> SimOptions {
    SimOptions {
        nodes: 3,
        publishers: 1,
        faults,
        ..SimOptions::default()
    }
}

#[test]
fn publisher_syncs_and_learns_every_commit_by_inform() {
    let opts = SimOptions {
        trace: true,
        ..with_publisher(FaultLevel::None)
    };
    let out = run_seed(3, &opts);
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    // The publisher is server id 4, traced as `s3`.
    let informs = out
        .trace
        .iter()
        .filter(|line| line.contains(" s3 ") && line.contains("Zab(Inform"))
        .count();
    assert!(informs > 0, "the publisher was sent no INFORM");
    let proposals = out
        .trace
        .iter()
        .filter(|line| line.contains(" s3 ") && line.contains("Zab(Proposal"))
        .count();
    assert_eq!(
        proposals, 0,
        "a non-voter is sent no proposal to acknowledge"
    );
}

/// The liveness phase requires every live server, the publisher included, to reach the same
/// zxid and digest; the safety checkers run throughout.
#[test]
fn publisher_converges_under_faults() {
    for seed in 0..40 {
        let out = run_seed(seed, &with_publisher(FaultLevel::Default));
        assert!(out.failures.is_empty(), "seed {seed}: {:?}", out.failures);
    }
}
