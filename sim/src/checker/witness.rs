//! The zxid-witness checker (`zoorepl_jepsen::witness`) on a finished run: the committed log
//! and the client history become a `witness::Input`, and every violation the witness finds
//! becomes a sim [`Violation`] named `witness-<kind>`.
//!
//! **The committed log.** A server that installed a snapshot lacks the txns before it, so no
//! single server's log need cover everything from zxid 0. Instead [`TxnStore`] keeps every txn
//! any server was asked to log (its `Persist` outputs), keyed by (zxid, hash of its encoded
//! bytes), and the ledger already knows which hash is committed at each zxid. At the end of a
//! converged run the log is the committed hashes up to the common last applied zxid, looked up
//! in the store; it is then replayed over a fresh `DataTree` and must reproduce the converged
//! servers' digest, so a gap in what the simulator gathered cannot pass for a server bug.
//!
//! **Times.** The simulator has one virtual clock in ms; invoke, completion and arrival times
//! are taken as they are. Several events share one ms, and the witness reads equal times as
//! concurrent, which only weakens its real-time inferences (it never orders what the run did
//! not order). A session's replies at one ms keep their history order, which is their arrival
//! order: one session has one connection at a time and replies leave it in request order.
//!
//! **Reads at the reply zxid.** `Options::reads_at_reply_zxid` holds for zoorepl: a read is
//! answered from the committed tree at the head of its connection's queue, and its reply zxid
//! is `max(last applied, last zxid sent on the connection)`, where the latter is never above
//! the former (every zxid sent on a connection was applied by then, and a process's applied
//! zxid never goes back, which the `monotonic` checker asserts).

use std::collections::BTreeMap;

use zoorepl_core::ids::Zxid;
use zoorepl_core::proto::{MultiOp, MultiResult, Request as ZkRequest, Response, Stat};
use zoorepl_core::tree::DataTree;
use zoorepl_core::txn::{NodeKind, Txn, TxnOp};
use zoorepl_jepsen::witness::{
    self, ClientOp, CommittedTxn, CreateMode, Input, OpOutcome, Options, Reply, Request, StatView,
    TxnEffect, WatchEventRecord, WatchEventType, WitnessReport,
};

use super::ledger::Ledger;
use super::Violation;
use crate::disk::Record;
use crate::history::{History, OpRecord, Outcome, WatchRecord};

/// Every txn any server logged, by (zxid, hash of its record): the witness picks the committed
/// ones at the end.
#[derive(Debug, Default)]
pub struct TxnStore {
    txns: BTreeMap<(Zxid, u64), Txn>,
}

impl TxnStore {
    /// A server was asked to log `txns`, encoded as `records` (same order).
    pub fn on_persist(&mut self, txns: Vec<Txn>, records: &[Record]) {
        assert_eq!(txns.len(), records.len(), "one record per txn");
        for (txn, record) in txns.into_iter().zip(records) {
            assert_eq!(txn.zxid, record.zxid, "records follow the txns");
            self.txns.entry((record.zxid, record.hash)).or_insert(txn);
        }
    }

    /// Number of distinct txns kept.
    #[must_use]
    pub fn len(&self) -> usize {
        self.txns.len()
    }

    /// Whether nothing was logged.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.txns.is_empty()
    }
}

/// The committed log up to `applied`, in zxid order, checked to reproduce `digest` on a fresh
/// tree. An error is a gap in what the simulator gathered (or a server whose tree is not the
/// replay of the committed txns, which the `prefix` and `liveness` checks look at first).
///
/// # Errors
/// A `witness-log` violation when a committed txn is missing or the replay differs.
pub fn committed_log(
    store: &TxnStore,
    ledger: &Ledger,
    applied: Zxid,
    digest: u64,
) -> Result<Vec<Txn>, Violation> {
    let mut log = Vec::new();
    for (zxid, (hash, server)) in ledger.committed.range(..=applied) {
        let Some(txn) = store.txns.get(&(*zxid, *hash)) else {
            let detail = format!(
                "committed txn {hash:#x} at {zxid} (server {server}) was never seen in a Persist"
            );
            return Err(Violation::new("witness-log", detail));
        };
        log.push(txn.clone());
    }
    let mut tree = DataTree::new();
    for txn in &log {
        let _ = tree.apply(txn);
    }
    if tree.last_applied() != applied || tree.digest() != digest {
        let detail = format!(
            "the {} committed txns gathered replay to {} digest {:#x}, the servers converged at \
             {applied} digest {digest:#x}",
            log.len(),
            tree.last_applied(),
            tree.digest()
        );
        return Err(Violation::new("witness-log", detail));
    }
    Ok(log)
}

/// What the witness found on one run.
#[derive(Clone, Debug)]
pub struct WitnessOutcome {
    /// The report (its violations are also the run's `witness-*` failures).
    pub report: WitnessReport,
    /// The input it judged (only with `SimOptions::keep_history`), so a test or a user can
    /// save it, alter it and check it again.
    pub input: Option<Input>,
}

/// A run converted for the witness: its input, and for each `input.ops[i]` the index of the
/// history operation it came from.
#[derive(Clone, Debug)]
pub struct Converted {
    /// What the witness judges.
    pub input: Input,
    /// `origin[i]` is the index in `History::ops` of `input.ops[i]`.
    pub origin: Vec<usize>,
}

/// Converts the committed log and the client history. Operations the witness does not model
/// (closeSession, pings are not recorded) and anything of session 0 (a client between a
/// close and its connection's end) are left out; leaving an operation out only removes
/// constraints.
#[must_use]
pub fn convert(log: &[Txn], history: &History) -> Converted {
    let mut ops = Vec::with_capacity(history.ops.len());
    let mut origin = Vec::with_capacity(history.ops.len());
    for (index, record) in history.ops.iter().enumerate() {
        if let Some(op) = client_op(record) {
            ops.push(op);
            origin.push(index);
        }
    }
    let input = Input {
        log: log.iter().map(committed_txn).collect(),
        ops,
        events: history.watches.iter().filter_map(watch_event).collect(),
        options: Options {
            reads_at_reply_zxid: true,
        },
    };
    Converted { input, origin }
}

/// Runs the witness on a converted run; each violation becomes a `witness-<kind>` violation
/// with the operations it names.
#[must_use]
pub fn check(converted: &Converted, history: &History) -> (WitnessReport, Vec<Violation>) {
    let report = witness::check(&converted.input);
    let found = report
        .violations
        .iter()
        .map(|v| to_violation(v, converted, history))
        .collect();
    (report, found)
}

fn zxid(z: Zxid) -> u64 {
    u64::try_from(z.as_i64()).expect("zxids are not negative")
}

fn committed_txn(txn: &Txn) -> CommittedTxn {
    let mut ops = Vec::new();
    effects(&txn.op, &mut ops);
    CommittedTxn {
        zxid: zxid(txn.zxid),
        session: txn.session.0,
        cxid: txn.cxid.0,
        ops,
    }
}

fn effects(op: &TxnOp, out: &mut Vec<TxnEffect>) {
    let effect = match op {
        TxnOp::CreateSession { .. } => TxnEffect::CreateSession,
        TxnOp::CloseSession { ephemerals } => TxnEffect::CloseSession {
            ephemerals: ephemerals.clone(),
        },
        TxnOp::Create(c) => TxnEffect::Create {
            path: c.path.clone(),
            data: c.data.as_ref().map(|d| d.to_vec()),
            ephemeral_owner: match c.kind {
                NodeKind::Ephemeral(session) => Some(session.0),
                NodeKind::Persistent | NodeKind::Container | NodeKind::Ttl { .. } => None,
            },
            // `CreateTxn` does not record the mode: the request's decides (witness docs).
            sequential: None,
            parent_cversion: Some(c.parent_cversion),
        },
        TxnOp::Delete { path } => TxnEffect::Delete { path: path.clone() },
        TxnOp::SetData {
            path,
            data,
            version,
        } => TxnEffect::SetData {
            path: path.clone(),
            data: data.as_ref().map(|d| d.to_vec()),
            version: *version,
        },
        TxnOp::SetAcl { path, .. } => TxnEffect::SetAcl { path: path.clone() },
        TxnOp::Check { path } => TxnEffect::Check { path: path.clone() },
        TxnOp::Multi(ops) => {
            ops.iter().for_each(|op| effects(op, out));
            return;
        }
    };
    out.push(effect);
}

fn client_op(record: &OpRecord) -> Option<ClientOp> {
    if record.session == 0 {
        return None;
    }
    let request = request(&record.request)?;
    let outcome = outcome(&record.outcome);
    let answered = !matches!(outcome, OpOutcome::Unknown);
    Some(ClientOp {
        session: record.session,
        request,
        invoke: record.invoke_ms,
        complete: record.complete_ms.filter(|_| answered),
        outcome,
        zxid: record
            .zxid
            .filter(|_| answered)
            .and_then(|z| u64::try_from(z).ok()),
    })
}

fn mode(flags: i32) -> CreateMode {
    // Bit 1 is ephemeral, bit 2 sequential; 4 (container), 5 (TTL) and 6 (sequential TTL)
    // are persistent kinds.
    match flags {
        1 => CreateMode::Ephemeral,
        2 | 6 => CreateMode::PersistentSequential,
        3 => CreateMode::EphemeralSequential,
        _ => CreateMode::Persistent,
    }
}

fn bytes(data: Option<&bytes::Bytes>) -> Option<Vec<u8>> {
    data.map(|d| d.to_vec())
}

fn request(req: &ZkRequest) -> Option<Request> {
    Some(match req {
        ZkRequest::Create { req, .. } => Request::Create {
            path: req.path.clone(),
            data: bytes(req.data.as_ref()),
            mode: mode(req.flags),
        },
        ZkRequest::Delete { path, version } => Request::Delete {
            path: path.clone(),
            version: *version,
        },
        ZkRequest::SetData {
            path,
            data,
            version,
        } => Request::SetData {
            path: path.clone(),
            data: bytes(data.as_ref()),
            version: *version,
        },
        ZkRequest::SetAcl { path, .. } => Request::SetAcl { path: path.clone() },
        // An empty multi makes no txn, yet its reply looks like an acknowledged write.
        ZkRequest::Multi(ops) if ops.is_empty() => return None,
        ZkRequest::Multi(ops) => Request::Multi(ops.iter().map(multi_op).collect()),
        ZkRequest::GetData { path, watch } => Request::GetData {
            path: path.clone(),
            watch: *watch,
        },
        ZkRequest::Exists { path, watch } => Request::Exists {
            path: path.clone(),
            watch: *watch,
        },
        ZkRequest::GetChildren { path, watch } | ZkRequest::GetChildren2 { path, watch } => {
            Request::GetChildren {
                path: path.clone(),
                watch: *watch,
            }
        }
        ZkRequest::Sync { path } => Request::Sync { path: path.clone() },
        _ => return None,
    })
}

fn multi_op(op: &MultiOp) -> Request {
    match op {
        MultiOp::Create { req, .. } => Request::Create {
            path: req.path.clone(),
            data: bytes(req.data.as_ref()),
            mode: mode(req.flags),
        },
        MultiOp::Delete { path, version } => Request::Delete {
            path: path.clone(),
            version: *version,
        },
        MultiOp::SetData {
            path,
            data,
            version,
        } => Request::SetData {
            path: path.clone(),
            data: bytes(data.as_ref()),
            version: *version,
        },
        MultiOp::Check { path, version } => Request::Check {
            path: path.clone(),
            version: *version,
        },
    }
}

fn outcome(outcome: &Outcome) -> OpOutcome {
    match outcome {
        // A failed multi is answered with err 0 and one error result per op (the failing
        // op's code; 0 before it, -2 after): it did not take effect.
        Outcome::Ok(Response::Multi(results)) => match multi_error(results) {
            Some(code) => OpOutcome::Err(code),
            None => OpOutcome::Ok(Reply::Multi(results.iter().map(multi_reply).collect())),
        },
        Outcome::Ok(body) => OpOutcome::Ok(reply(body)),
        Outcome::Fail(code) => OpOutcome::Err(*code),
        Outcome::Info | Outcome::Pending => OpOutcome::Unknown,
    }
}

/// The code of a failed multi: its first error result that is neither 0 nor -2
/// (runtimeInconsistency marks the ops after the failing one).
fn multi_error(results: &[MultiResult]) -> Option<i32> {
    let mut errors = results.iter().filter_map(|r| match r {
        MultiResult::Error { err } => Some(*err),
        _ => None,
    });
    let first = errors.next()?;
    let code = std::iter::once(first)
        .chain(errors)
        .find(|c| *c != 0 && *c != -2);
    Some(code.unwrap_or(first))
}

fn stat(s: &Stat) -> StatView {
    StatView {
        czxid: u64::try_from(s.czxid).unwrap_or(0),
        mzxid: u64::try_from(s.mzxid).unwrap_or(0),
        version: s.version,
        ephemeral_owner: s.ephemeral_owner,
    }
}

fn reply(body: &Response) -> Reply {
    match body {
        Response::Create { path } => Reply::Created {
            path: path.clone(),
            stat: None,
        },
        Response::Create2 { path, stat: s } => Reply::Created {
            path: path.clone(),
            stat: Some(stat(s)),
        },
        Response::SetData { stat: s } | Response::SetAcl { stat: s } => Reply::Stat(stat(s)),
        Response::GetData { data, stat: s } => Reply::Data {
            data: bytes(data.as_ref()),
            stat: stat(s),
        },
        Response::Exists { stat: s } => Reply::Exists(Some(stat(s))),
        Response::GetChildren { children } | Response::GetChildren2 { children, .. } => {
            Reply::Children(children.clone())
        }
        Response::Multi(results) => Reply::Multi(results.iter().map(multi_reply).collect()),
        _ => Reply::Done,
    }
}

fn multi_reply(result: &MultiResult) -> Reply {
    match result {
        MultiResult::Create { path } => Reply::Created {
            path: path.clone(),
            stat: None,
        },
        MultiResult::Create2 { path, stat: s } => Reply::Created {
            path: path.clone(),
            stat: Some(stat(s)),
        },
        MultiResult::SetData { stat: s } => Reply::Stat(stat(s)),
        MultiResult::Delete | MultiResult::Check | MultiResult::Error { .. } => Reply::Done,
    }
}

/// A one-shot watch event; other notifications (none today: the workload sets no persistent
/// watches) are left out.
fn watch_event(record: &WatchRecord) -> Option<WatchEventRecord> {
    use zoorepl_core::proto::EventType;
    if record.session == 0 {
        return None;
    }
    let event_type = match record.event.event_type {
        EventType::NodeCreated => WatchEventType::NodeCreated,
        EventType::NodeDeleted => WatchEventType::NodeDeleted,
        EventType::NodeDataChanged => WatchEventType::NodeDataChanged,
        EventType::NodeChildrenChanged => WatchEventType::NodeChildrenChanged,
    };
    Some(WatchEventRecord {
        session: record.session,
        event_type,
        path: record.event.path.clone(),
        zxid: u64::try_from(record.zxid).ok().filter(|z| *z > 0),
        at: record.time_ms,
        conn: record.conn,
    })
}

/// The sim name of a witness violation and the operations (indices into `input.ops`) it
/// names.
fn kind(v: &witness::Violation) -> (&'static str, Vec<usize>) {
    use witness::Violation as W;
    match v {
        W::LogNotIncreasing { .. } => ("witness-log-not-increasing", vec![]),
        W::LogInvalid { .. } => ("witness-log-invalid", vec![]),
        W::RealTimeOrder { earlier, later, .. } => {
            ("witness-real-time-order", vec![*earlier, *later])
        }
        W::WriteMismatch { op, .. } => ("witness-write-mismatch", vec![*op]),
        W::UnexplainedTxn { .. } => ("witness-unexplained-txn", vec![]),
        W::LostWrite { op, .. } => ("witness-lost-write", vec![*op]),
        W::ZxidWentBack { op, previous, .. } => ("witness-zxid-went-back", vec![*previous, *op]),
        W::StaleRead { op, .. } => ("witness-stale-read", vec![*op]),
        W::EventOutOfOrder { .. } => ("witness-event-out-of-order", vec![]),
        W::EventWithoutWatch { .. } => ("witness-event-without-watch", vec![]),
        W::EventAfterReply { op, .. } => ("witness-event-after-reply", vec![*op]),
        W::EventNotInLog { .. } => ("witness-event-not-in-log", vec![]),
    }
}

fn to_violation(v: &witness::Violation, converted: &Converted, history: &History) -> Violation {
    let (name, ops) = kind(v);
    let mut detail = v.to_string();
    for op in ops {
        let Some(&index) = converted.origin.get(op) else {
            continue;
        };
        let record = &history.ops[index];
        let mut request = format!("{:?}", record.request);
        request.truncate(160);
        let mut outcome = format!("{:?}", record.outcome);
        outcome.truncate(200);
        detail += &format!(
            "\n    op {op} = history op {index}: client {} server {} session {:#x} xid {} \
             {request} invoked {} ms, completed {:?} ms, zxid {:?}: {outcome}",
            record.client,
            record.server,
            record.session,
            record.xid,
            record.invoke_ms,
            record.complete_ms,
            record.zxid.map(|z| format!("{z:#x}")),
        );
    }
    Violation::new(name, detail)
}
