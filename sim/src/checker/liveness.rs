//! The end of the liveness phase: with every fault healed, the servers that can run must have
//! elected (ensemble), converged to one `last_applied` and digest, and each must equal what a
//! fresh recovery from its own disk gives.

use zoorepl_core::node::{Node, ValidConfig};
use zoorepl_core::time::Instant;
use zoorepl_core::zab::{Observation, Role};

use super::Violation;
use crate::disk::Disk;

/// Whether the live servers agree on a leader (always true standalone).
#[must_use]
pub fn leader_established(live: &[Observation]) -> bool {
    if live.iter().all(|o| o.role == Role::Standalone) {
        return true;
    }
    let Some(leader) = live
        .iter()
        .find(|o| o.role == Role::Leading && o.established_epoch.is_some())
    else {
        return false;
    };
    live.iter()
        .all(|o| o.serving && (o.id == leader.id || o.leader == Some(leader.id)))
}

/// Whether the live servers applied the same zxid with the same digest.
#[must_use]
pub fn converged(live: &[Observation]) -> bool {
    live.windows(2)
        .all(|w| w[0].last_applied == w[1].last_applied && w[0].digest == w[1].digest)
}

/// Recovers a fresh node from a copy of `disk` and compares it with the live node.
#[must_use]
pub fn matches_own_disk(
    server: usize,
    node: &Node,
    disk: &Disk,
    config: ValidConfig,
) -> Option<Violation> {
    let mut copy = disk.clone();
    let recovered = match copy.recover() {
        Ok(r) => r.recovered,
        Err(e) => {
            return Some(Violation::new(
                "converges-with-disk",
                format!("server {server}: its disk does not recover: {}", e.0),
            ))
        }
    };
    if config.config().ensemble.is_some() {
        return ensemble_matches_disk(server, node, recovered);
    }
    let fresh = Node::recover(config, recovered, Instant::from_millis(u64::MAX / 4), 0);
    let same = fresh.tree().eq_content(node.tree());
    (!same).then(|| {
        Violation::new(
            "converges-with-disk",
            format!(
                "server {server}: live tree at {} digest {:#x}, recovered from disk at {} digest {:#x}",
                node.last_applied(),
                node.tree().digest(),
                fresh.last_applied(),
                fresh.tree().digest()
            ),
        )
    })
}

/// An ensemble member recovers only its snapshot: the log after it may hold txns that were never
/// committed, and ZAB decides which to apply. So the check is that the snapshot plus the durable
/// log up to the live node's applied zxid rebuilds exactly the live tree.
fn ensemble_matches_disk(
    server: usize,
    node: &Node,
    recovered: zoorepl_core::node::Recovered,
) -> Option<Violation> {
    let applied = node.last_applied();
    let mut tree = recovered.tree;
    for txn in &recovered.log {
        if txn.zxid > tree.last_applied() && txn.zxid <= applied {
            tree.apply(txn);
        }
    }
    let same = tree.last_applied() == applied && tree.eq_content(node.tree());
    (!same).then(|| {
        Violation::new(
            "converges-with-disk",
            format!(
                "server {server}: live tree at {applied} digest {:#x}, snapshot + durable log give \
                 {} digest {:#x}",
                node.tree().digest(),
                tree.last_applied(),
                tree.digest()
            ),
        )
    })
}
