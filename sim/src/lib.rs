//! zoorepl-sim: deterministic simulation of zoorepl (DESIGN.md §6, STYLE.md §8).
//!
//! [`run_seed`] builds a world from one `u64` seed — core `Node`s (one standalone server, or
//! an ensemble once ensemble mode lands), a simulated disk per server, a FIFO message network,
//! simulated ZooKeeper clients and a nemesis — and runs it on a virtual clock in a single
//! thread: a safety phase with faults drawn from the seed (swarm testing), then a liveness
//! phase that heals everything and must converge. Checkers run after every step.
//!
//! Module map:
//! - [`options`]: [`SimOptions`], [`FaultLevel`] and the per-seed [`options::Faults`].
//! - [`rand`]: the seeded generator; [`events`]-queue ordered by (time, sequence).
//! - [`network`]: FIFO links with delay, breaks, duplication, clogs and partitions.
//! - [`disk`]: checksummed log records, written vs synced, crash fates, snapshots, recovery.
//! - [`clock`]: per-server drift and forward jumps, never going back.
//! - [`workload`] and [`history`]: clients speaking real frames, and what they saw.
//! - [`checker`]: one file per property; `checker::witness` runs the zxid-witness checker
//!   on the committed log and the client history at the end of a converged run.
//! - `cluster`: the event loop gluing it all.
//! - [`trace`]: the trace hash (and text with `--trace`).
//! - [`script`]: the scenario DSL for step-by-step tests (`sim/tests/scenarios*.rs`).
//!
//! Ensemble mode plugs in without changes here: with `nodes > 1` every server gets
//! `NodeConfig::ensemble = Some(..)` (ids 1..=n voters, then observers); `Output::Send` goes
//! through [`network`] and arrives as `Input::Peer`; `SaveEpoch`, `Truncate` and
//! `InstallSnapshot` go through the same per-server disk queue as `Persist` and are answered
//! by `EpochSaved`, `Truncated` and `SnapshotInstalled`; partitions and clogs only fire with
//! two or more servers; the checkers read `Node::observe()` (role, leader, established epoch,
//! committed) and the liveness phase waits for an established leader that every live server
//! follows.

pub mod checker;
pub mod clock;
mod cluster;
pub mod disk;
pub mod events;
pub mod history;
pub mod network;
pub mod options;
pub mod rand;
pub mod script;
pub mod trace;
pub mod workload;

pub use checker::Violation;
pub use cluster::ensemble_config;
pub use history::History;
pub use options::{FaultLevel, Faults, Planted, SimOptions};

/// Counters of one run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Events processed.
    pub events: u64,
    /// Node steps.
    pub steps: u64,
    /// Largest event queue.
    pub queue_max: u64,
    /// Virtual time at the end, ms.
    pub sim_ms: u64,
    /// Server crashes (nemesis and fsync failures).
    pub crashes: u64,
    /// Restarts from disk.
    pub restarts: u64,
    /// Torn log tails cut at recovery.
    pub torn_tails: u64,
    /// Servers that refused to start on a corrupted disk.
    pub disk_failures: u64,
    /// Read corruptions injected.
    pub read_corruptions: u64,
    /// Damaged snapshots skipped at recovery.
    pub snapshots_skipped: u64,
    /// fsyncs that failed.
    pub fsync_failures: u64,
    /// Snapshots written.
    pub snapshots: u64,
    /// Pauses.
    pub pauses: u64,
    /// Partitions.
    pub partitions: u64,
    /// Clogged links.
    pub clogs: u64,
    /// Clock jumps.
    pub clock_jumps: u64,
    /// Client connections dropped.
    pub conn_drops: u64,
    /// Peer messages sent, dropped and duplicated.
    pub peer_sent: u64,
    /// Peer messages lost.
    pub peer_dropped: u64,
    /// Peer messages delivered twice.
    pub peer_duplicated: u64,
    /// Client operations, and how they ended.
    pub ops: u64,
    /// Operations answered with success.
    pub ops_ok: u64,
    /// Operations answered with an error.
    pub ops_fail: u64,
    /// Operations whose outcome is unknown (connection lost).
    pub ops_info: u64,
    /// Watch notifications received.
    pub watch_events: u64,
}

/// A broken property, with when and how to see it again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Virtual time, ms.
    pub time_ms: u64,
    /// What broke.
    pub violation: Violation,
    /// The command that reruns this seed with its trace.
    pub reproduce: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "at {} ms: {}\n  reproduce: {}",
            self.time_ms, self.violation, self.reproduce
        )
    }
}

/// The result of one seed.
#[derive(Debug)]
pub struct SeedOutcome {
    /// The seed.
    pub seed: u64,
    /// FNV-1a over every processed event: equal seeds and options give equal hashes.
    pub trace_hash: u64,
    /// Broken properties (empty when the seed passes).
    pub failures: Vec<Failure>,
    /// Counters.
    pub stats: Stats,
    /// The seed's fault rates.
    pub faults: Faults,
    /// The event trace (only with `SimOptions::trace`).
    pub trace: Vec<String>,
    /// The client history (only with `SimOptions::keep_history`).
    pub history: Option<History>,
    /// What the zxid-witness checker found (when it ran: `SimOptions::witness` and a run that
    /// converged without an earlier failure).
    pub witness: Option<checker::witness::WitnessOutcome>,
}

/// Runs one seed to the end of its liveness phase or its first failure. A panic inside a
/// node (a core assertion) is reported as a failure too.
#[must_use]
pub fn run_seed(seed: u64, opts: &SimOptions) -> SeedOutcome {
    let reproduce = opts.reproduce(seed);
    let mut cluster = cluster::Cluster::new(seed, opts);
    if !opts.witness {
        cluster.checkers.txns = None;
    }
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        cluster.run();
        // witness hook: the end-of-run check (a no-op unless the run converged cleanly).
        cluster.run_witness(opts.keep_history)
    }));
    let (witness, ran) = match ran {
        Ok(witness) => (witness, Ok(())),
        Err(panic) => (None, Err(panic)),
    };
    cluster.count_ops();
    let mut failures: Vec<Failure> = cluster
        .violations
        .iter()
        .map(|(time_ms, v)| Failure {
            time_ms: *time_ms,
            violation: v.clone(),
            reproduce: reproduce.clone(),
        })
        .collect();
    if let Err(panic) = ran {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "non-string panic".to_owned());
        failures.push(Failure {
            time_ms: cluster.now,
            violation: Violation::new("panic", message),
            reproduce,
        });
    }
    SeedOutcome {
        seed,
        trace_hash: cluster.trace.hash(),
        failures,
        stats: cluster.stats.clone(),
        faults: cluster.faults.clone(),
        trace: cluster.trace.take_lines(),
        history: opts
            .keep_history
            .then(|| std::mem::take(&mut cluster.workload.history)),
        witness,
    }
}
