//! What the checks report: one variant per kind of violation, with the operations (indices
//! into `Input::ops`), events (indices into `Input::events`) and zxids involved.

use serde::Serialize;

use super::types::{SessionId, WatchEventType, Zxid};

/// One violation found by a check.
#[derive(Serialize, Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    /// The committed log is not in strictly increasing zxid order.
    #[error("log entry {index}: zxid {zxid:#x} does not follow {previous:#x}")]
    LogNotIncreasing {
        /// Index in `Input::log`.
        index: usize,
        /// Its zxid.
        zxid: Zxid,
        /// The zxid before it.
        previous: Zxid,
    },
    /// Replaying the log found a txn that no correct server could have committed.
    #[error("txn {zxid:#x} op {effect}: {reason}")]
    LogInvalid {
        /// The txn.
        zxid: Zxid,
        /// The index of the effect inside the txn.
        effect: usize,
        /// What is wrong.
        reason: String,
    },
    /// Check 1: a write acknowledged before another was invoked has a larger zxid.
    #[error("op {earlier} (zxid {earlier_zxid:#x}) completed before op {later} (zxid {later_zxid:#x}) was invoked")]
    RealTimeOrder {
        /// The write that completed first.
        earlier: usize,
        /// Its zxid.
        earlier_zxid: Zxid,
        /// The write invoked after it.
        later: usize,
        /// Its zxid, not larger.
        later_zxid: Zxid,
    },
    /// Check 2: an acknowledged write does not match the txn at its reply zxid.
    #[error("op {op}: reply zxid {zxid:#x}: {reason}")]
    WriteMismatch {
        /// The write.
        op: usize,
        /// Its reply zxid.
        zxid: Zxid,
        /// What does not match.
        reason: String,
    },
    /// Check 2: a client txn in the log that no acknowledged or unknown-outcome operation of
    /// its session accounts for (a failed write took effect, or a write came from nowhere).
    #[error("txn {zxid:#x} of session {session:#x} is not explained by any operation")]
    UnexplainedTxn {
        /// The txn.
        zxid: Zxid,
        /// Its session.
        session: SessionId,
    },
    /// Check 3: an acknowledged write is not in the final committed log.
    #[error("op {op}: acknowledged write at zxid {zxid:#x} is not in the log ({found})")]
    LostWrite {
        /// The write.
        op: usize,
        /// Its reply zxid.
        zxid: Zxid,
        /// What the log holds at that zxid.
        found: String,
    },
    /// Check 4: a session saw a reply zxid smaller than one it had seen before.
    #[error(
        "session {session:#x}: op {op} zxid {zxid:#x} after op {previous} zxid {previous_zxid:#x}"
    )]
    ZxidWentBack {
        /// The session.
        session: SessionId,
        /// The operation whose reply went back.
        op: usize,
        /// Its zxid.
        zxid: Zxid,
        /// The earlier operation with the larger zxid.
        previous: usize,
        /// Its zxid.
        previous_zxid: Zxid,
    },
    /// Check 4: a read shows a state the tree did not have at any zxid it may read at.
    #[error("op {op}: read matches no state in [{lo:#x}, {hi:#x}]: {reason}")]
    StaleRead {
        /// The read.
        op: usize,
        /// The smallest zxid it may read at (what its session had seen).
        lo: Zxid,
        /// The largest zxid it may read at.
        hi: Zxid,
        /// What it returned and what the tree held.
        reason: String,
    },
    /// Check 5: a session received watch events out of zxid order.
    #[error("session {session:#x}: event {event} (zxid {zxid:#x}) after event {previous} (zxid {previous_zxid:#x})")]
    EventOutOfOrder {
        /// The session.
        session: SessionId,
        /// The later event.
        event: usize,
        /// Its zxid.
        zxid: Zxid,
        /// The earlier event with the larger zxid.
        previous: usize,
        /// Its zxid.
        previous_zxid: Zxid,
    },
    /// Check 5: an event with no watch left to fire it (a one-shot watch fired twice, or an
    /// event nobody asked for).
    #[error("session {session:#x}: event {event} {event_type:?} {path} has no pending watch")]
    EventWithoutWatch {
        /// The session.
        session: SessionId,
        /// The event.
        event: usize,
        /// Its type.
        event_type: WatchEventType,
        /// Its path.
        path: String,
    },
    /// Check 5: a session got a reply at or past a change before the change's event.
    #[error("session {session:#x}: event {event} (zxid {zxid:#x}) arrived after op {op}'s reply at {op_zxid:#x}")]
    EventAfterReply {
        /// The session.
        session: SessionId,
        /// The late event.
        event: usize,
        /// Its zxid.
        zxid: Zxid,
        /// The reply that came first.
        op: usize,
        /// Its zxid.
        op_zxid: Zxid,
    },
    /// Check 5: an event's zxid names a txn that does not make that change.
    #[error("event {event}: {event_type:?} {path} at zxid {zxid:#x} is not a change the log made")]
    EventNotInLog {
        /// The event.
        event: usize,
        /// Its type.
        event_type: WatchEventType,
        /// Its path.
        path: String,
        /// Its zxid.
        zxid: Zxid,
    },
}
