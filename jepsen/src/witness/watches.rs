//! Check 5: watch events, per session: in zxid order, each a change the log made, ahead of
//! any reply that can show the change, and at most one per one-shot registration.

use std::collections::{BTreeMap, BTreeSet};

use super::replay::Replay;
use super::types::{OpOutcome, Request, SessionId, WatchEventRecord, WatchEventType, NONODE};
use super::{Input, Violation};

/// Which of a session's watch tables an entry is in (`zookeeper-protocol.md` §8.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Table {
    Data,
    Child,
}

/// Runs the four watch checks described in the module documentation.
pub fn watches(input: &Input, replay: &Replay) -> Vec<Violation> {
    let mut by_session: BTreeMap<SessionId, Vec<usize>> = BTreeMap::new();
    for (index, event) in input.events.iter().enumerate() {
        by_session.entry(event.session).or_default().push(index);
    }
    let mut violations = Vec::new();
    for (session, mut events) in by_session {
        events.sort_by_key(|i| (input.events[*i].at, *i));
        events_in_log(input, replay, &events, &mut violations);
        events_in_order(input, session, &events, &mut violations);
        events_before_replies(input, session, &events, &mut violations);
        events_one_shot(input, session, &events, &mut violations);
    }
    violations
}

/// An event with a zxid names a txn that makes that change (§8.3).
fn events_in_log(input: &Input, replay: &Replay, events: &[usize], out: &mut Vec<Violation>) {
    for &index in events {
        let event = &input.events[index];
        let Some(zxid) = event.zxid else {
            continue;
        };
        let fired = replay.txn(zxid).is_some_and(|(t, _)| {
            replay.fires[t]
                .iter()
                .any(|(kind, path)| *kind == event.event_type && *path == event.path)
        });
        if !fired {
            out.push(Violation::EventNotInLog {
                event: index,
                event_type: event.event_type,
                path: event.path.clone(),
                zxid,
            });
        }
    }
}

/// Events carrying a zxid arrive in zxid order (one txn may fire several).
fn events_in_order(input: &Input, session: SessionId, events: &[usize], out: &mut Vec<Violation>) {
    let mut max: Option<(u64, usize)> = None;
    for &index in events {
        let Some(zxid) = input.events[index].zxid else {
            continue;
        };
        match max {
            Some((previous_zxid, previous)) if zxid < previous_zxid => {
                out.push(Violation::EventOutOfOrder {
                    session,
                    event: index,
                    zxid,
                    previous,
                    previous_zxid,
                });
            }
            _ => max = Some((zxid, index)),
        }
    }
}

/// No reply with a zxid ≥ z reaches the session before the event of a change at z.
fn events_before_replies(
    input: &Input,
    session: SessionId,
    events: &[usize],
    out: &mut Vec<Violation>,
) {
    // The session's replies by completion time, with the one of largest zxid so far.
    let mut replies: Vec<(u64, u64, usize)> = input
        .ops
        .iter()
        .enumerate()
        .filter(|(_, op)| op.session == session)
        .filter_map(|(i, op)| Some((op.complete?, op.zxid.filter(|z| *z > 0)?, i)))
        .collect();
    replies.sort_unstable();
    let mut best: Option<(u64, usize)> = None;
    let running: Vec<(u64, (u64, usize))> = replies
        .iter()
        .map(|&(t, z, i)| {
            if best.is_none_or(|(b, _)| z > b) {
                best = Some((z, i));
            }
            (t, best.unwrap_or((z, i)))
        })
        .collect();
    for &index in events {
        let event = &input.events[index];
        let Some(zxid) = event.zxid else {
            continue;
        };
        let before = running.partition_point(|(t, _)| *t < event.at);
        if let Some(&(_, (op_zxid, op))) = running[..before].last().filter(|(_, (z, _))| *z >= zxid)
        {
            out.push(Violation::EventAfterReply {
                session,
                event: index,
                zxid,
                op,
                op_zxid,
            });
        }
    }
}

/// The tables a read with a watch adds an entry to, by its outcome (§8.2). An unknown
/// outcome may have registered.
fn registers<'a>(request: &'a Request, outcome: &OpOutcome) -> Option<(&'a str, Table)> {
    let failed_without_watch = matches!(outcome, OpOutcome::Err(code) if *code != NONODE);
    match request {
        _ if failed_without_watch => None,
        Request::Exists { path, watch: true } => Some((path, Table::Data)),
        Request::GetData { path, watch: true } if !matches!(outcome, OpOutcome::Err(_)) => {
            Some((path, Table::Data))
        }
        Request::GetChildren { path, watch: true } if !matches!(outcome, OpOutcome::Err(_)) => {
            Some((path, Table::Child))
        }
        _ => None,
    }
}

/// The tables an event fires (and empties) for its path (§8.3).
fn fired_tables(event: &WatchEventRecord) -> &'static [Table] {
    match event.event_type {
        WatchEventType::NodeCreated | WatchEventType::NodeDataChanged => &[Table::Data],
        WatchEventType::NodeChildrenChanged => &[Table::Child],
        WatchEventType::NodeDeleted => &[Table::Data, Table::Child],
    }
}

/// Each event consumes the pending registrations of its tables on its path; an event with
/// none pending is a second firing of a one-shot watch (or one nobody asked for).
fn events_one_shot(input: &Input, session: SessionId, events: &[usize], out: &mut Vec<Violation>) {
    // (time, 0 = registration | 1 = event, index): registrations count from their invoke,
    // and come first on equal times, which can only hide violations.
    let mut timeline: Vec<(u64, u8, usize)> = input
        .ops
        .iter()
        .enumerate()
        .filter(|(_, op)| op.session == session && registers(&op.request, &op.outcome).is_some())
        .map(|(i, op)| (op.invoke, 0, i))
        .collect();
    timeline.extend(events.iter().map(|&e| (input.events[e].at, 1, e)));
    timeline.sort_unstable();
    let mut pending: BTreeSet<(String, Table)> = BTreeSet::new();
    for (_, kind, index) in timeline {
        if kind == 0 {
            let op = &input.ops[index];
            if let Some((path, table)) = registers(&op.request, &op.outcome) {
                pending.insert((path.to_owned(), table));
            }
            continue;
        }
        let event = &input.events[index];
        let mut consumed = false;
        for table in fired_tables(event) {
            consumed |= pending.remove(&(event.path.clone(), *table));
        }
        if !consumed {
            out.push(Violation::EventWithoutWatch {
                session,
                event: index,
                event_type: event.event_type,
                path: event.path.clone(),
            });
        }
    }
}
