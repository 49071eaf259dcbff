//! Safety checkers, one file per property, run after every step of every node (on the node
//! that stepped: the others did not change) and on every disk-changing output.
//!
//! - [`leader`]: at most one established leader per epoch.
//! - [`prefix`]: committed txns agree across nodes (same zxid ⇒ same txn), and equal
//!   `last_applied` ⇒ equal digest.
//! - [`monotonic`]: a node's applied and committed zxids and its epochs never go back within
//!   one run of the process, and a restart never loses a txn the node had applied.
//! - [`truncate`]: no node ever truncates (or drops by snapshot install) a committed txn.
//! - [`ephemeral`]: every ephemeral's owner is a live session.
//! - [`durable`]: no reply or notification reveals a zxid that is not durable on a quorum.
//! - [`acks`]: every acknowledgement a server sends (ACKEPOCH, NEWLEADER's ACK, ACK) is backed
//!   by what its disk holds at that moment.
//! - [`witness`]: at the end of a converged run, the zxid-witness checker on the committed log
//!   and the client history.
//! - [`liveness`]: at the end, a leader is established and every node converged (and equals
//!   a fresh recovery from its own disk).
//!
//! The shared [`ledger::Ledger`] remembers what each node logged and what is known committed.

pub mod acks;
pub mod durable;
pub mod ephemeral;
pub mod leader;
pub mod ledger;
pub mod liveness;
pub mod monotonic;
pub mod prefix;
pub mod truncate;
pub mod witness;

use zoorepl_core::node::Node;
use zoorepl_core::zab::Observation;

/// A broken property.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Which property.
    pub check: &'static str,
    /// What was seen.
    pub detail: String,
}

impl Violation {
    /// A violation of `check`.
    pub fn new(check: &'static str, detail: impl Into<String>) -> Self {
        Self {
            check,
            detail: detail.into(),
        }
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.check, self.detail)
    }
}

/// Every per-step checker of a run.
#[derive(Debug)]
pub struct Checkers {
    /// What nodes logged and what is committed.
    pub ledger: ledger::Ledger,
    /// One leader per epoch.
    pub leader: leader::OneLeaderPerEpoch,
    /// Committed prefixes and digests agree.
    pub prefix: prefix::CommittedPrefix,
    /// Zxids and epochs never go back.
    pub monotonic: monotonic::Monotonic,
    /// Every logged txn, for the witness at the end (`None` when the witness is off).
    pub txns: Option<witness::TxnStore>,
}

impl Checkers {
    /// Checkers for `servers` servers.
    #[must_use]
    pub fn new(servers: usize) -> Self {
        Self {
            ledger: ledger::Ledger::new(servers),
            leader: leader::OneLeaderPerEpoch::default(),
            prefix: prefix::CommittedPrefix::default(),
            monotonic: monotonic::Monotonic::new(servers),
            txns: Some(witness::TxnStore::default()),
        }
    }

    /// Runs every per-step check on `server` after it stepped.
    pub fn after_step(&mut self, server: usize, node: &Node, out: &mut Vec<Violation>) {
        let obs: Observation = node.observe();
        let applied_moved = self.monotonic.last_applied(server) != Some(obs.last_applied);
        out.extend(self.leader.observe(&obs));
        out.extend(self.monotonic.observe(server, &obs));
        out.extend(self.prefix.observe(server, &obs, &mut self.ledger));
        if applied_moved {
            out.extend(ephemeral::check(node));
        }
    }
}
