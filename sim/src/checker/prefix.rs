//! Committed prefixes agree: when a node's commit point moves, every txn it logged in between
//! is committed, and must equal any txn committed at that zxid before (by any node). And two
//! nodes at the same `last_applied` have the same digest.

use std::collections::BTreeMap;

use zoorepl_core::ids::Zxid;
use zoorepl_core::zab::Observation;

use super::ledger::Ledger;
use super::Violation;

/// Digests by applied zxid and each node's last seen commit point.
#[derive(Debug, Default)]
pub struct CommittedPrefix {
    /// zxid → (digest, the server that first applied it).
    digests: BTreeMap<Zxid, (u64, usize)>,
    /// Per server, the commit point already folded into the ledger.
    seen_committed: BTreeMap<usize, Zxid>,
}

impl CommittedPrefix {
    /// Checks one observation of `server`, recording what it newly committed.
    pub fn observe(
        &mut self,
        server: usize,
        obs: &Observation,
        ledger: &mut Ledger,
    ) -> Vec<Violation> {
        let mut out = Vec::new();
        let (digest, first) = *self
            .digests
            .entry(obs.last_applied)
            .or_insert((obs.digest, server));
        if digest != obs.digest {
            out.push(Violation::new(
                "digest-agrees",
                format!(
                    "at {} server {server} has digest {:#x}, server {first} had {digest:#x}",
                    obs.last_applied, obs.digest
                ),
            ));
        }
        let from = self
            .seen_committed
            .get(&server)
            .copied()
            .unwrap_or_default();
        if obs.committed > from {
            let newly = ledger.logged[server].range((
                std::ops::Bound::Excluded(from),
                std::ops::Bound::Included(obs.committed),
            ));
            for (zxid, hash) in newly {
                let (known, by) = *ledger.committed.entry(*zxid).or_insert((*hash, server));
                if known != *hash {
                    out.push(Violation::new(
                        "committed-prefix-agrees",
                        format!(
                            "server {server} committed txn {hash:#x} at {zxid}, \
                             server {by} committed {known:#x}"
                        ),
                    ));
                }
            }
        }
        self.seen_committed.insert(server, obs.committed);
        out
    }

    /// The server restarted: its commit point starts again from what it recovered.
    pub fn on_restart(&mut self, server: usize) {
        self.seen_committed.remove(&server);
    }
}
