//! checkers: each checker can fail. Fabricated observations that break a property are
//! reported, and bugs planted in the simulator's own disk are caught within a few seeds.

use zoorepl_core::ids::{ServerId, Zxid};
use zoorepl_core::zab::{Observation, Role};
use zoorepl_sim::checker::leader::OneLeaderPerEpoch;
use zoorepl_sim::checker::ledger::Ledger;
use zoorepl_sim::checker::monotonic::Monotonic;
use zoorepl_sim::checker::prefix::CommittedPrefix;
use zoorepl_sim::checker::truncate;
use zoorepl_sim::{run_seed, FaultLevel, Planted, SimOptions};

fn obs(id: u64, applied: u32, digest: u64) -> Observation {
    Observation {
        id: ServerId(id),
        role: Role::Following,
        leader: Some(ServerId(1)),
        established_epoch: None,
        accepted_epoch: 1,
        current_epoch: 1,
        last_logged: Zxid::new(1, applied),
        committed: Zxid::new(1, applied),
        last_applied: Zxid::new(1, applied),
        digest,
        serving: true,
    }
}

#[test]
fn divergent_digest_at_equal_zxid_is_reported() {
    let mut prefix = CommittedPrefix::default();
    let mut ledger = Ledger::new(2);
    assert!(prefix
        .observe(0, &obs(1, 5, 0xaaaa), &mut ledger)
        .is_empty());
    let found = prefix.observe(1, &obs(2, 5, 0xbbbb), &mut ledger);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].check, "digest-agrees");
}

#[test]
fn different_txns_committed_at_one_zxid_are_reported() {
    let mut prefix = CommittedPrefix::default();
    let mut ledger = Ledger::new(2);
    ledger.on_logged(0, Zxid::new(1, 1), 0x11);
    ledger.on_logged(1, Zxid::new(1, 1), 0x22);
    assert!(prefix.observe(0, &obs(1, 1, 7), &mut ledger).is_empty());
    let found = prefix.observe(1, &obs(2, 1, 7), &mut ledger);
    assert!(
        found.iter().any(|v| v.check == "committed-prefix-agrees"),
        "{found:?}"
    );
}

#[test]
fn truncating_a_committed_txn_is_reported() {
    let mut prefix = CommittedPrefix::default();
    let mut ledger = Ledger::new(1);
    ledger.on_logged(0, Zxid::new(1, 1), 0x11);
    ledger.on_logged(0, Zxid::new(1, 2), 0x12);
    let _ = prefix.observe(0, &obs(1, 2, 7), &mut ledger);
    assert!(truncate::on_truncate(&mut ledger, 0, Zxid::new(1, 2), "truncates").is_empty());
    let found = truncate::on_truncate(&mut ledger, 0, Zxid::new(1, 1), "truncates");
    assert_eq!(found[0].check, "no-committed-truncation");
}

#[test]
fn two_leaders_in_one_epoch_and_regressions_are_reported() {
    let mut leaders = OneLeaderPerEpoch::default();
    let mut a = obs(1, 1, 0);
    a.established_epoch = Some(3);
    let mut b = obs(2, 1, 0);
    b.established_epoch = Some(3);
    assert!(leaders.observe(&a).is_none());
    assert!(leaders.observe(&b).is_some());

    let mut mono = Monotonic::new(1);
    assert!(mono.observe(0, &obs(1, 5, 0)).is_empty());
    assert!(!mono.observe(0, &obs(1, 4, 0)).is_empty());
    mono.on_crash(0);
    assert!(mono.on_restart(0, Zxid::new(1, 3)).is_some());
}

fn first_failure(planted: Planted) -> (u64, &'static str) {
    let opts = SimOptions {
        faults: FaultLevel::Heavy,
        planted: Some(planted),
        ..SimOptions::default()
    };
    for seed in 0..50 {
        let out = run_seed(seed, &opts);
        if let Some(f) = out.failures.first() {
            assert!(f.reproduce.contains(&format!("--seed {seed}")));
            return (seed, f.violation.check);
        }
    }
    panic!("{planted:?} was never caught in 50 seeds");
}

#[test]
fn planted_ack_before_fsync_is_caught() {
    let (_, check) = first_failure(Planted::AckBeforeFsync);
    assert_eq!(check, "shown-zxid-durable");
}

#[test]
fn planted_lying_disk_is_caught() {
    let (_, check) = first_failure(Planted::CrashLosesSynced);
    assert!(
        ["restart-keeps-applied", "client-promises", "disk-recovers"].contains(&check),
        "{check}"
    );
}
