//! madsim tests (DESIGN.md §6): the real `io` shells of a 3-server ensemble (client listener,
//! peer transport, node task, timers, disk task) on madsim's simulated network and clock, with
//! their storage on the simulator's disk. Only built with `RUSTFLAGS="--cfg madsim"`; run by
//! `scripts/madsim.sh`, which sets `MADSIM_TEST_NUM` (seeds) and checks determinism.
//!
//! Each seed: the simulator's clients (`Workload`, speaking real frames over simulated TCP)
//! work while a nemesis kills and restarts servers (the leader half of the time), clogs links
//! between servers and pauses servers, one fault at a time. Then everything heals, clients stop
//! issuing operations, and the ensemble must settle: one leader, every server at the same zxid
//! with the same digest (`srvr`, `hash`), every client done. The checks are the core
//! simulator's end-of-run ones: the clients' own (reply order, zxids never going back) and the
//! zxid-witness on the history against the committed log, which is the servers' durable logs
//! replayed to the converged digest.
#![cfg(madsim)]

mod madsim_support;

use std::time::Duration;

use madsim_support::{World, SERVERS};

/// Simulated time with faults.
const SAFETY: Duration = Duration::from_secs(12);
/// Longest wait for the ensemble to settle after healing.
const LIVENESS: Duration = Duration::from_secs(60);

#[madsim::test]
async fn ensemble_shells_survive_kills_clogs_and_pauses() {
    // RUST_LOG=info shows the shells' logs (peer links, elections, snapshots).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .try_init();
    let world = World::start().await;
    world.start_clients();
    let faults = world.nemesis(SAFETY).await;
    world.heal_and_quiesce();
    let settled = world.settle(LIVENESS).await;
    let report = world.check(&settled);
    println!(
        "seed {}: {faults} faults, {} ops ({} ok), {} servers at {:#x}; {report}",
        world.seed,
        world.ops(),
        world.ops_ok(),
        SERVERS,
        settled.zxid
    );
}
