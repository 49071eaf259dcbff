//! The core simulator's per-step checkers, fed from inside the real shells: each server's node
//! task shows its node to a `StepObserver` after every step and each output before it is
//! carried out (one leader per epoch, established by a quorum of durable epochs; committed
//! prefixes and digests agree; nothing committed truncated; zxids and epochs never go back,
//! and a restart keeps what was applied; ephemeral owners alive). The nemesis reports kills,
//! the servers their restarts, the simulated disk its durable SNAP installs.

use std::sync::{Arc, Mutex};

use zoorepl_core::ids::Zxid;
use zoorepl_core::node::Node;
use zoorepl_core::output::Output;
use zoorepl_io::server::{Observer, StepObserver};
use zoorepl_sim::checker::{leader, truncate, Checkers, Violation};
use zoorepl_sim::disk::Record;

use super::server::SharedDisk;

/// The checkers and what they found, shared by every server of a run.
pub(crate) struct CheckState {
    checkers: Checkers,
    disks: Vec<SharedDisk>,
    pub(crate) violations: Vec<Violation>,
}

pub(crate) type Checks = Arc<Mutex<CheckState>>;

pub(crate) fn new(disks: Vec<SharedDisk>) -> Checks {
    let mut checkers = Checkers::new(disks.len());
    checkers.txns = None; // The witness at the end takes its log from the disks.
    Arc::new(Mutex::new(CheckState {
        checkers,
        disks,
        violations: Vec::new(),
    }))
}

/// Server `server` was killed.
pub(crate) fn on_kill(checks: &Checks, server: usize) {
    lock(checks).checkers.monotonic.on_crash(server);
}

/// Server `server` starts from a disk whose records are `logged` and whose newest durable
/// zxid is `durable`.
pub(crate) fn on_start(checks: &Checks, server: usize, logged: &[(Zxid, u64)], durable: Zxid) {
    let mut state = lock(checks);
    let state = &mut *state;
    if let Some(v) = state.checkers.monotonic.on_restart(server, durable) {
        state.violations.push(v);
    }
    state.checkers.ledger.reset(server, logged);
    state.checkers.prefix.on_restart(server);
}

/// Server `server`'s SNAP install is durable.
pub(crate) fn on_image_durable(checks: &Checks, server: usize) {
    lock(checks).checkers.monotonic.on_image_durable(server);
}

/// The observer to give server `server`'s shell.
pub(crate) fn observer(checks: &Checks, server: usize) -> Observer {
    Observer(Arc::new(StepChecks {
        server,
        checks: Arc::clone(checks),
    }))
}

fn lock(checks: &Checks) -> std::sync::MutexGuard<'_, CheckState> {
    checks.lock().expect("not poisoned")
}

struct StepChecks {
    server: usize,
    checks: Checks,
}

impl StepObserver for StepChecks {
    fn output(&self, _node: &Node, output: &Output) {
        let s = self.server;
        let mut state = lock(&self.checks);
        let state = &mut *state;
        let ledger = &mut state.checkers.ledger;
        match output {
            Output::Persist { txns } => {
                for txn in txns {
                    let record = Record::encode(txn);
                    ledger.on_logged(s, record.zxid, record.hash);
                }
            }
            Output::Truncate { after } => {
                let found = truncate::on_truncate(ledger, s, *after, "truncates");
                state.violations.extend(found);
            }
            Output::InstallSnapshot { zxid, .. } => {
                let found = truncate::on_install(ledger, s, *zxid);
                state.violations.extend(found);
                state.checkers.monotonic.on_image(s);
            }
            _ => {}
        }
    }

    fn stepped(&self, node: &Node) {
        let mut state = lock(&self.checks);
        let state = &mut *state;
        let obs = node.observe();
        if state.checkers.leader.is_new(&obs) {
            let durable_current: Vec<u32> = state
                .disks
                .iter()
                .map(|d| d.lock().expect("not poisoned").epochs().1)
                .collect();
            let epoch = obs.established_epoch.expect("is_new");
            state
                .violations
                .extend(leader::check_establishment(obs.id, epoch, &durable_current));
        }
        state
            .checkers
            .after_step(self.server, node, &mut state.violations);
    }
}
