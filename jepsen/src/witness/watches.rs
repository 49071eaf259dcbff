//! Check 5: watch events, per session: in zxid order, each a change the log made, ahead of
//! any reply that can show the change, and each fired by a one-shot registration of its own.

use std::collections::BTreeMap;

use super::log_match::augment;
use super::reads::SessionFloors;
use super::replay::Replay;
use super::types::{OpOutcome, Request, SessionId, WatchEventRecord, WatchEventType, Zxid, NONODE};
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
    let floors = SessionFloors::new(input);
    let firings = Firings::new(replay);
    let mut violations = Vec::new();
    for (session, mut events) in by_session {
        events.sort_by_key(|i| (input.events[*i].at, *i));
        events_in_log(input, replay, &events, &mut violations);
        events_in_order(input, session, &events, &mut violations);
        events_before_replies(input, session, &events, &mut violations);
        events_one_shot(
            input,
            (&floors, &firings),
            session,
            &events,
            &mut violations,
        );
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

/// Events carrying a zxid arrive in zxid order on each connection (one txn may fire several).
fn events_in_order(input: &Input, session: SessionId, events: &[usize], out: &mut Vec<Violation>) {
    let mut max: Option<(u64, usize)> = None;
    let mut conn = None;
    for &index in events {
        let event = &input.events[index];
        if conn != Some(event.conn) {
            conn = Some(event.conn);
            max = None;
        }
        let Some(zxid) = event.zxid else {
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
fn fired_tables(event_type: WatchEventType) -> &'static [Table] {
    match event_type {
        WatchEventType::NodeCreated | WatchEventType::NodeDataChanged => &[Table::Data],
        WatchEventType::NodeChildrenChanged => &[Table::Child],
        WatchEventType::NodeDeleted => &[Table::Data, Table::Child],
    }
}

/// Per (path, table): the zxids of the txns that fire that table on that path, in order.
pub(crate) struct Firings(BTreeMap<(String, Table), Vec<Zxid>>);

impl Firings {
    pub(crate) fn new(replay: &Replay) -> Self {
        let mut firings: BTreeMap<(String, Table), Vec<Zxid>> = BTreeMap::new();
        for (txn, fires) in replay.txns.iter().zip(&replay.fires) {
            for (event_type, path) in fires {
                for table in fired_tables(*event_type) {
                    let zxids = firings.entry((path.clone(), *table)).or_default();
                    if zxids.last() != Some(&txn.zxid) {
                        zxids.push(txn.zxid);
                    }
                }
            }
        }
        Self(firings)
    }

    /// The last txn before `zxid` that fires `table` on `path` (0 when none).
    fn last_before(&self, path: &str, table: Table, zxid: Zxid) -> Zxid {
        let Some(zxids) = self.0.get(&(path.to_owned(), table)) else {
            return 0;
        };
        let before = zxids.partition_point(|z| *z < zxid);
        zxids[..before].last().copied().unwrap_or(0)
    }
}

/// A watch a read may have registered, and the zxids of the tree it may have been made at.
struct Registration<'a> {
    path: &'a str,
    table: Table,
    invoke: u64,
    lo: Zxid,
    hi: Zxid,
}

/// The session's registrations. The server adds the watch at the moment it reads, so at the
/// tree the read saw: its reply zxid with `reads_at_reply_zxid`, else somewhere between the
/// session's floor and the reply zxid (any later zxid when the outcome is unknown).
fn registrations<'a>(
    input: &'a Input,
    floors: &SessionFloors,
    session: SessionId,
) -> Vec<Registration<'a>> {
    let exact = input.options.reads_at_reply_zxid;
    input
        .ops
        .iter()
        .filter(|op| op.session == session)
        .filter_map(|op| {
            let (path, table) = registers(&op.request, &op.outcome)?;
            let reply = op.zxid.filter(|_| op.complete.is_some());
            let lo = match reply {
                Some(z) if exact => z,
                _ => floors.floor(session, op.invoke),
            };
            Some(Registration {
                path,
                table,
                invoke: op.invoke,
                lo,
                hi: reply.unwrap_or(Zxid::MAX),
            })
        })
        .collect()
}

/// Whether registration `r` can have fired `event`: it was invoked before the event arrived,
/// was made before the event's change, and not before an earlier change that fires the same
/// table on the path (a one-shot watch fires at the first such change after it was made).
fn can_fire(r: &Registration<'_>, event: &WatchEventRecord, firings: &Firings) -> bool {
    if r.path != event.path || !fired_tables(event.event_type).contains(&r.table) {
        return false;
    }
    if r.invoke > event.at {
        return false;
    }
    event
        .zxid
        .is_none_or(|z| r.lo < z && r.hi >= firings.last_before(r.path, r.table, z))
}

/// Each event needs a registration of its own that can have fired it (a one-shot watch fires
/// once; registering the same watch twice before it fires leaves one). Registrations are
/// assigned by maximum bipartite matching, so a violation means no assignment explains every
/// event: a second event for one registration, or one nobody asked for.
fn events_one_shot(
    input: &Input,
    context: (&SessionFloors, &Firings),
    session: SessionId,
    events: &[usize],
    out: &mut Vec<Violation>,
) {
    let (floors, firings) = context;
    let registrations = registrations(input, floors, session);
    let candidates: Vec<(usize, Vec<usize>)> = events
        .iter()
        .map(|&e| {
            let event = &input.events[e];
            let edges = (0..registrations.len())
                .filter(|r| can_fire(&registrations[*r], event, firings))
                .collect();
            (e, edges)
        })
        .collect();
    let mut owner: Vec<Option<usize>> = vec![None; registrations.len()];
    for t in 0..candidates.len() {
        let mut seen = vec![false; registrations.len()];
        if augment(t, &candidates, &mut owner, &mut seen) {
            continue;
        }
        let event = &input.events[candidates[t].0];
        out.push(Violation::EventWithoutWatch {
            session,
            event: candidates[t].0,
            event_type: event.event_type,
            path: event.path.clone(),
        });
    }
}
