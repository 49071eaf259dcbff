//! Check 2: acknowledged writes match the txn at their reply zxid, and every client txn in
//! the log is explained by an operation that could have produced it.

use std::collections::BTreeSet;

use super::reads::SessionFloors;
use super::replay::{NodeSnap, Replay};
use super::types::{ClientOp, CommittedTxn, OpOutcome, Reply, Request, TxnEffect, Zxid};
use super::{acked_writes, Input, Violation};

/// Compares each acknowledged write with the txn at its reply zxid (when that txn is its
/// session's; check 3 reports the others), then looks for unexplained client txns. See the
/// module documentation for what is compared and why it is sound.
pub fn log_match(input: &Input, replay: &Replay) -> Vec<Violation> {
    let mut violations = Vec::new();
    for write in acked_writes(input) {
        let op = &input.ops[write.op];
        let Some((index, txn)) = replay.txn(write.zxid) else {
            continue;
        };
        if txn.session != op.session {
            continue;
        }
        if let Err(reason) = match_write(op, txn, &replay.pre[index]) {
            violations.push(Violation::WriteMismatch {
                op: write.op,
                zxid: write.zxid,
                reason,
            });
        }
    }
    violations.extend(unexplained_txns(input, replay));
    violations
}

fn match_write(op: &ClientOp, txn: &CommittedTxn, pre: &[Option<NodeSnap>]) -> Result<(), String> {
    match_effects(&op.request, txn, pre, op.session)?;
    let OpOutcome::Ok(reply) = &op.outcome else {
        return Ok(());
    };
    match (&op.request, reply) {
        (_, Reply::Done) => Ok(()),
        (Request::Multi(requests), Reply::Multi(replies)) => {
            if replies.len() != requests.len() {
                let (got, want) = (replies.len(), requests.len());
                return Err(format!("{got} multi results for {want} ops"));
            }
            let parts = replies.iter().zip(&txn.ops).zip(pre).enumerate();
            for (i, ((reply, effect), pre)) in parts {
                match_reply(reply, effect, pre.as_ref(), txn.zxid)
                    .map_err(|e| format!("multi op {i}: {e}"))?;
            }
            Ok(())
        }
        (Request::Multi(_), reply) => Err(format!("multi answered with {reply:?}")),
        (_, reply) => match_reply(reply, &txn.ops[0], pre[0].as_ref(), txn.zxid),
    }
}

/// Whether `request`, issued by `session`, can have produced `txn` given the state before it.
fn match_effects(
    request: &Request,
    txn: &CommittedTxn,
    pre: &[Option<NodeSnap>],
    session: i64,
) -> Result<(), String> {
    let requests = match request {
        Request::Multi(requests) => requests.as_slice(),
        single => std::slice::from_ref(single),
    };
    if requests.len() != txn.ops.len() {
        let (want, got) = (requests.len(), txn.ops.len());
        return Err(format!("{want} ops requested, the txn has {got}"));
    }
    for (i, ((request, effect), pre)) in requests.iter().zip(&txn.ops).zip(pre).enumerate() {
        match_effect(request, effect, pre.as_ref(), session).map_err(|e| format!("op {i}: {e}"))?;
    }
    Ok(())
}

fn match_effect(
    request: &Request,
    effect: &TxnEffect,
    pre: Option<&NodeSnap>,
    session: i64,
) -> Result<(), String> {
    match (request, effect) {
        (Request::Create { path, data, mode }, TxnEffect::Create { .. }) => {
            match_create(path, data, *mode, effect, session)
        }
        (Request::Delete { path, version }, TxnEffect::Delete { path: logged }) => {
            same_path(path, logged)?;
            version_held(*version, pre)
        }
        (
            Request::SetData {
                path,
                data,
                version,
            },
            TxnEffect::SetData {
                path: logged,
                data: logged_data,
                ..
            },
        ) => {
            same_path(path, logged)?;
            if data != logged_data {
                return Err(format!("setData {path}: data differs from the txn's"));
            }
            version_held(*version, pre)
        }
        (Request::SetAcl { path }, TxnEffect::SetAcl { path: logged }) => same_path(path, logged),
        (Request::Check { path, version }, TxnEffect::Check { path: logged }) => {
            same_path(path, logged)?;
            version_held(*version, pre)
        }
        (request, effect) => Err(format!("request {request:?} became txn op {effect:?}")),
    }
}

fn match_create(
    path: &str,
    data: &Option<Vec<u8>>,
    mode: super::CreateMode,
    effect: &TxnEffect,
    session: i64,
) -> Result<(), String> {
    let TxnEffect::Create {
        path: logged,
        data: logged_data,
        ephemeral_owner,
        sequential,
        ..
    } = effect
    else {
        unreachable!("match_create is called with a Create effect")
    };
    if sequential.is_some_and(|s| s != mode.is_sequential()) {
        return Err(format!(
            "create {path} {mode:?}, the txn's sequential is {sequential:?}"
        ));
    }
    let path_ok = if mode.is_sequential() {
        logged.len() == path.len() + 10 && logged.starts_with(path)
    } else {
        logged == path
    };
    if !path_ok {
        return Err(format!("create {path} became {logged}"));
    }
    if data != logged_data {
        return Err(format!("create {path}: data differs from the txn's"));
    }
    let owner = mode.is_ephemeral().then_some(session);
    if *ephemeral_owner != owner {
        return Err(format!(
            "create {path} {mode:?}: ephemeral owner {ephemeral_owner:?}"
        ));
    }
    Ok(())
}

fn same_path(requested: &str, logged: &str) -> Result<(), String> {
    if requested == logged {
        Ok(())
    } else {
        Err(format!("request on {requested}, txn on {logged}"))
    }
}

/// An expected version (not -1) must be the node's version just before the txn.
fn version_held(version: i32, pre: Option<&NodeSnap>) -> Result<(), String> {
    match pre {
        _ if version == -1 => Ok(()),
        Some(node) if node.version == version => Ok(()),
        Some(node) => Err(format!(
            "expected version {version}, the node had {}",
            node.version
        )),
        None => Err(format!(
            "expected version {version}, the node did not exist"
        )),
    }
}

fn match_reply(
    reply: &Reply,
    effect: &TxnEffect,
    pre: Option<&NodeSnap>,
    zxid: Zxid,
) -> Result<(), String> {
    match (reply, effect) {
        (Reply::Done, _) => Ok(()),
        (
            Reply::Created { path, stat },
            TxnEffect::Create {
                path: logged,
                ephemeral_owner,
                ..
            },
        ) => {
            if path != logged {
                return Err(format!(
                    "reply says created {path}, the txn created {logged}"
                ));
            }
            let stat_ok = stat.is_none_or(|s| {
                s.czxid == zxid
                    && s.mzxid == zxid
                    && s.version == 0
                    && s.ephemeral_owner == ephemeral_owner.unwrap_or(0)
            });
            stat_ok
                .then_some(())
                .ok_or_else(|| format!("create stat {stat:?}"))
        }
        (Reply::Stat(stat), TxnEffect::SetData { version, .. }) => {
            let czxid_ok = pre.is_none_or(|n| n.czxid == stat.czxid);
            if stat.version != *version || stat.mzxid != zxid || !czxid_ok {
                return Err(format!(
                    "setData stat {stat:?}, the txn set version {version}"
                ));
            }
            Ok(())
        }
        (Reply::Stat(stat), TxnEffect::SetAcl { .. }) => {
            if pre.is_some_and(|n| !n.shows(stat)) {
                return Err(format!("setACL stat {stat:?}, the node was {pre:?}"));
            }
            Ok(())
        }
        (reply, effect) => Err(format!("reply {reply:?} does not fit txn op {effect:?}")),
    }
}

/// Client txns (of a session that appears in the history) that neither an acknowledged
/// write at their zxid nor a distinct unknown-outcome write of the session can have
/// produced. The unknown writes are assigned by maximum bipartite matching (Kuhn), so a
/// violation means no assignment at all explains the log.
fn unexplained_txns(input: &Input, replay: &Replay) -> Vec<Violation> {
    let sessions: BTreeSet<i64> = input.ops.iter().map(|o| o.session).collect();
    let claimed: BTreeSet<Zxid> = acked_writes(input).iter().map(|w| w.zxid).collect();
    let unknown: Vec<usize> = (0..input.ops.len())
        .filter(|i| {
            let op = &input.ops[*i];
            op.request.is_write() && op.outcome == OpOutcome::Unknown
        })
        .collect();
    let floors = SessionFloors::new(input);
    let mut candidates: Vec<(usize, Vec<usize>)> = Vec::new();
    for (index, txn) in replay.txns.iter().enumerate() {
        let is_client_write = txn.ops.iter().any(|e| e.path().is_some());
        if !is_client_write || !sessions.contains(&txn.session) || claimed.contains(&txn.zxid) {
            continue;
        }
        let edges = unknown
            .iter()
            .enumerate()
            .filter(|(_, op)| {
                let op = &input.ops[**op];
                op.session == txn.session
                    && txn.zxid > floors.floor(op.session, op.invoke)
                    && match_effects(&op.request, txn, &replay.pre[index], op.session).is_ok()
            })
            .map(|(slot, _)| slot)
            .collect();
        candidates.push((index, edges));
    }
    let mut owner: Vec<Option<usize>> = vec![None; unknown.len()];
    let mut violations = Vec::new();
    for t in 0..candidates.len() {
        let mut seen = vec![false; unknown.len()];
        if !augment(t, &candidates, &mut owner, &mut seen) {
            let txn = &replay.txns[candidates[t].0];
            violations.push(Violation::UnexplainedTxn {
                zxid: txn.zxid,
                session: txn.session,
            });
        }
    }
    violations
}

/// One augmenting-path search of Kuhn's algorithm: finds a free slot for candidate `t`
/// (each candidate lists the slots it may take), moving earlier assignments if needed.
pub(crate) fn augment(
    t: usize,
    candidates: &[(usize, Vec<usize>)],
    owner: &mut [Option<usize>],
    seen: &mut [bool],
) -> bool {
    for &slot in &candidates[t].1 {
        if seen[slot] {
            continue;
        }
        seen[slot] = true;
        let free = match owner[slot] {
            None => true,
            Some(other) => augment(other, candidates, owner, seen),
        };
        if free {
            owner[slot] = Some(t);
            return true;
        }
    }
    false
}
