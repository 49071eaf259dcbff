//! The zxid-witness checker: judges client histories of a ZooKeeper-like service using the
//! zxids the server returned and the committed log (`../shared/DESIGN.md` §6–7).
//!
//! Linearizability search (the `checker` module) only looks at results. ZooKeeper also hands
//! each client a witness of where its operation sits in the total order: the zxid in every
//! reply header and, in 3.9, in every watch event. With the committed log in hand, most
//! guarantees become direct checks, linear or `n log n` in the history, with no search.
//!
//! Input ([`Input`]): the final committed log ([`CommittedTxn`], one per zxid, a multi is
//! several [`TxnEffect`]s under one zxid), the client operations ([`ClientOp`]: session,
//! request, invoke and completion time, outcome, reply zxid) and the watch events each
//! session received ([`WatchEventRecord`]). Times are on one clock; only their order matters.
//! The log is assumed to start from a fresh tree (`/`, `/zookeeper`, `/zookeeper/quota`,
//! `/zookeeper/config`). This module does not depend on zoorepl-core; the simulator converts
//! its `Txn`s into [`CommittedTxn`]s.
//!
//! # The checks and why each is sound
//!
//! Every check reports only what no correct ZooKeeper server can produce; an operation with
//! an unknown outcome may have taken effect (at most once) or not.
//!
//! 0. **Log replay** ([`Replay`]): the log is replayed over a model tree. A create over an
//!    existing node or under a missing or ephemeral parent, a sequential name that is not the
//!    parent's create counter, a setData version that is not the previous + 1, a delete of a
//!    node with children, a session close that leaves ephemerals behind: each is
//!    [`Violation::LogInvalid`], since a correct server commits only what its prep accepted.
//! 1. **Real-time order** ([`realtime_order`]): if write A was acknowledged before write B
//!    was invoked, zxid(A) < zxid(B). B's txn can only be proposed after B was sent.
//! 2. **Replies match the log** ([`log_match`]): an acknowledged write's reply zxid names a
//!    txn of its session that does what the request asked (kind, path, data, ephemeral owner,
//!    sequential name, multi ops in order), whose conditions held in the replayed state just
//!    before it (expected versions; creates replay-checked), and whose reply agrees (created
//!    path, stat version/czxid/mzxid). Conversely, every client txn in the log must be
//!    explained by an acknowledged write at that zxid or by a distinct unknown-outcome write
//!    of the same session that could have produced it (a bipartite matching): a failed write
//!    that took effect shows up here. A failed write's error is **not** checked against the
//!    state: a server preps against uncommitted proposals which a new leader may truncate,
//!    so no committed state need explain a NODEEXISTS.
//! 3. **Durability** ([`durability`]): every acknowledged write is in the final log at its
//!    reply zxid, issued by its session (no lost writes).
//! 4. **Sessions** ([`session_order`], [`reads`]): a session's reply zxids never decrease,
//!    and every read (getData, exists, getChildren, and their NONODE errors) shows the tree
//!    as it was after some zxid r with lo ≤ r ≤ hi. lo is the largest zxid the session had
//!    seen in a reply completed before the read was invoked, raised after a completed `sync`
//!    to the largest zxid of any write acknowledged before the sync was invoked (§11) whose
//!    epoch is at most the epoch of the sync's reply zxid (a deposed leader that has not
//!    noticed yet answers syncs from its own state, as Java's does: a sync is not a quorum
//!    operation, ZOOKEEPER-1675; it still knows every write of its epoch and before).
//!    hi is the largest logged zxid, and below the zxid of every write acknowledged by any
//!    session that was invoked after the read completed (the read cannot see a txn proposed
//!    after it returned). With [`Options::reads_at_reply_zxid`] (true of zoorepl, whose node
//!    answers a read from its tree at exactly the zxid it puts in the reply) r must equal the
//!    reply zxid. Reads of other sessions' writes are not required to be linearizable.
//! 5. **Watches** ([`watches`]): per session, events carrying a zxid arrive in zxid order;
//!    each names a change the log made at that zxid (§8.3); no reply with a zxid ≥ z arrives
//!    before the event of a change at z (the event is queued before any reply that can show
//!    the change, and a session that reconnects past z gets a catch-up event without a zxid
//!    instead); and each event is fired by a one-shot registration of its own (data watches
//!    from getData/exists, child watches from getChildren; NodeDeleted fires both). A
//!    registration is made at the tree its read saw (the reply zxid with
//!    [`Options::reads_at_reply_zxid`], else between the session's floor and the reply zxid,
//!    or any later zxid when the outcome is unknown) and fires at the first change to its
//!    table and path after that, so it can explain an event only if it was invoked before the
//!    event arrived and made before the event's zxid but not before the previous change that
//!    fires it. Events and registrations are matched (bipartite, as in 2): a second event for
//!    one registration is flagged, while a watch re-registered by a read that saw the first
//!    change is not.
//!
//! # What is deliberately not checked
//!
//! Error replies against the state (see 2); ACL contents; stat fields other than czxid,
//! mzxid, version and ephemeralOwner; that an event is delivered at all (a watch may be lost
//! with a session); persistent and recursive watches (histories using them must leave their
//! events out); linearizability of reads (ZooKeeper does not promise it). Combine with the
//! `checker` module for linearizability of writes per znode.

mod durability;
mod log_match;
mod reads;
mod realtime;
mod replay;
mod session_order;
mod types;
mod violation;
mod watches;

#[cfg(test)]
mod prop_test;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use durability::durability;
pub use log_match::log_match;
pub use reads::reads;
pub use realtime::realtime_order;
pub use replay::Replay;
pub use session_order::session_order;
pub use types::{
    ClientOp, CommittedTxn, CreateMode, OpOutcome, Reply, Request, SessionId, StatView, TxnEffect,
    WatchEventRecord, WatchEventType, Zxid, BADVERSION, NODEEXISTS, NONODE, NOTEMPTY,
};
pub use violation::Violation;
pub use watches::watches;

/// Knobs that make the checks stricter where the server under test promises more.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// A read shows exactly the state at the zxid in its reply (true of zoorepl; Java
    /// servers may run reads concurrently with commits, so it is off by default).
    #[serde(default)]
    pub reads_at_reply_zxid: bool,
}

/// Everything the checker judges.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Input {
    /// The final committed log, in zxid order.
    pub log: Vec<CommittedTxn>,
    /// The client operations, in any order.
    pub ops: Vec<ClientOp>,
    /// The watch events received, in any order.
    #[serde(default)]
    pub events: Vec<WatchEventRecord>,
    /// How strict to be.
    #[serde(default)]
    pub options: Options,
}

/// The verdict.
#[derive(Serialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct WitnessReport {
    /// Every violation found, grouped by check in the order of the module documentation.
    pub violations: Vec<Violation>,
    /// Acknowledged writes with a reply zxid (checks 1–3 judged these).
    pub writes_checked: usize,
    /// Reads judged by check 4.
    pub reads_checked: usize,
    /// Watch events judged by check 5.
    pub events_checked: usize,
}

impl WitnessReport {
    /// Whether no violation was found.
    pub fn is_ok(&self) -> bool {
        self.violations.is_empty()
    }
}

/// Runs every check on `input`.
pub fn check(input: &Input) -> WitnessReport {
    let replay = Replay::new(&input.log);
    let mut violations = replay.violations().to_vec();
    violations.extend(realtime_order(input));
    violations.extend(log_match(input, &replay));
    violations.extend(durability(input, &replay));
    violations.extend(session_order(input));
    violations.extend(reads(input, &replay));
    violations.extend(watches(input, &replay));
    WitnessReport {
        violations,
        writes_checked: acked_writes(input).len(),
        reads_checked: (0..input.ops.len())
            .filter(|op| reads::is_judged_read(input, *op))
            .count(),
        events_checked: input.events.len(),
    }
}

/// An acknowledged write with its reply zxid.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AckedWrite {
    pub(crate) op: usize,
    pub(crate) invoke: u64,
    pub(crate) complete: u64,
    pub(crate) zxid: Zxid,
}

/// The writes that completed ok with a reply zxid, in `ops` order.
pub(crate) fn acked_writes(input: &Input) -> Vec<AckedWrite> {
    let mut writes = Vec::new();
    for (op, c) in input.ops.iter().enumerate() {
        if !c.request.is_write() || !matches!(c.outcome, OpOutcome::Ok(_)) {
            continue;
        }
        if let (Some(complete), Some(zxid)) = (c.complete, c.zxid) {
            writes.push(AckedWrite {
                op,
                invoke: c.invoke,
                complete,
                zxid,
            });
        }
    }
    writes
}
