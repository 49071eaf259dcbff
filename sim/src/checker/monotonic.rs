//! Per node, `last_applied`, `committed` and both epochs never go back while the process
//! lives; across a restart the node comes back from its durable state, which must still hold
//! every txn it had applied (applied ⇒ durable, DESIGN.md §3).

use zoorepl_core::ids::Zxid;
use zoorepl_core::zab::Observation;

use super::Violation;

#[derive(Clone, Copy, Debug, Default)]
struct Seen {
    applied: Zxid,
    committed: Zxid,
    accepted_epoch: u32,
    current_epoch: u32,
}

/// The last observation of each server.
#[derive(Debug)]
pub struct Monotonic {
    seen: Vec<Option<Seen>>,
    /// What each server had applied when it last went down.
    applied_at_crash: Vec<Zxid>,
    /// A server that took a SNAP image as its state before the image is durable: what it had
    /// applied before. It neither acknowledges nor serves anything of the image until the
    /// install is durable, so a crash may take it back to this.
    image_pending: Vec<Option<Zxid>>,
}

impl Monotonic {
    /// For `servers` servers.
    #[must_use]
    pub fn new(servers: usize) -> Self {
        Self {
            seen: vec![None; servers],
            applied_at_crash: vec![Zxid::ZERO; servers],
            image_pending: vec![None; servers],
        }
    }

    /// The server's last observed `last_applied`.
    #[must_use]
    pub fn last_applied(&self, server: usize) -> Option<Zxid> {
        self.seen[server].map(|s| s.applied)
    }

    /// Checks one observation.
    pub fn observe(&mut self, server: usize, obs: &Observation) -> Vec<Violation> {
        let now = Seen {
            applied: obs.last_applied,
            committed: obs.committed,
            accepted_epoch: obs.accepted_epoch,
            current_epoch: obs.current_epoch,
        };
        let mut out = Vec::new();
        if let Some(prev) = self.seen[server] {
            let mut back = |what: &str, was: String, is: String| {
                out.push(Violation::new(
                    "zxids-never-decrease",
                    format!("server {server}: {what} went from {was} to {is}"),
                ));
            };
            if now.applied < prev.applied {
                back(
                    "last_applied",
                    prev.applied.to_string(),
                    now.applied.to_string(),
                );
            }
            if now.committed < prev.committed {
                back(
                    "committed",
                    prev.committed.to_string(),
                    now.committed.to_string(),
                );
            }
            if now.accepted_epoch < prev.accepted_epoch {
                back(
                    "accepted_epoch",
                    prev.accepted_epoch.to_string(),
                    now.accepted_epoch.to_string(),
                );
            }
            if now.current_epoch < prev.current_epoch {
                back(
                    "current_epoch",
                    prev.current_epoch.to_string(),
                    now.current_epoch.to_string(),
                );
            }
        }
        self.seen[server] = Some(now);
        out
    }

    /// The server took a SNAP image as its state; the install is not durable yet.
    pub fn on_image(&mut self, server: usize) {
        let before = self.seen[server].map_or(Zxid::ZERO, |s| s.applied);
        self.image_pending[server].get_or_insert(before);
    }

    /// The server's image install is durable.
    pub fn on_image_durable(&mut self, server: usize) {
        self.image_pending[server] = None;
    }

    /// The server crashed.
    pub fn on_crash(&mut self, server: usize) {
        if let Some(s) = self.seen[server].take() {
            let applied = self.image_pending[server].take().unwrap_or(s.applied);
            self.applied_at_crash[server] = self.applied_at_crash[server].max(applied);
        }
        self.image_pending[server] = None;
    }

    /// The server recovered a disk whose newest durable txn is `durable`.
    pub fn on_restart(&mut self, server: usize, durable: Zxid) -> Option<Violation> {
        self.seen[server] = None;
        let had = self.applied_at_crash[server];
        (durable < had).then(|| {
            Violation::new(
                "restart-keeps-applied",
                format!("server {server} had applied {had} but recovered only up to {durable}"),
            )
        })
    }
}
