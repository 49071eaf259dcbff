//! Check 4b: reads show a state of the log between what their session had already seen and
//! what existed when they returned.

use std::collections::{BTreeMap, BTreeSet};

use super::replay::{NodeSnap, Replay};
use super::types::{OpOutcome, Reply, Request, SessionId, StatView, Zxid, NONODE};
use super::{acked_writes, Input, Violation};

/// The largest zxid each session is known to have reached by a given time.
pub(crate) struct SessionFloors {
    /// Per session: (completion time, running max of the zxids reached), by time.
    reached: BTreeMap<SessionId, Vec<(u64, Zxid)>>,
}

impl SessionFloors {
    /// From the reply zxids, and from completed syncs: a sync makes the session's server
    /// catch up with every write acknowledged before the sync was invoked (§11), as far as
    /// the leader that answered it knows them. A deposed leader that has not noticed yet
    /// (after a pause, say) answers a sync from its own state, as Java's does (a sync is not a
    /// quorum operation, ZOOKEEPER-1675), so only writes of epochs up to the epoch of the
    /// sync's reply zxid count: the leader that answered leads an epoch at least that high and
    /// holds every write committed in an epoch up to its own.
    pub(crate) fn new(input: &Input) -> Self {
        let mut acked: Vec<(u64, Zxid)> = acked_writes(input)
            .iter()
            .map(|w| (w.complete, w.zxid))
            .collect();
        acked.sort_unstable();
        // Per epoch of a sync reply: the running max of the writes of epochs up to it.
        let mut up_to_epoch: BTreeMap<u64, Vec<(u64, Zxid)>> = BTreeMap::new();
        for op in &input.ops {
            if let (Request::Sync { .. }, OpOutcome::Ok(_), Some(zxid)) =
                (&op.request, &op.outcome, op.zxid)
            {
                up_to_epoch.entry(zxid >> 32).or_insert_with(|| {
                    let mut entries: Vec<(u64, Zxid)> = acked
                        .iter()
                        .copied()
                        .filter(|(_, z)| *z >> 32 <= zxid >> 32)
                        .collect();
                    running_max(&mut entries);
                    entries
                });
            }
        }
        let mut reached: BTreeMap<SessionId, Vec<(u64, Zxid)>> = BTreeMap::new();
        for op in &input.ops {
            let Some(complete) = op.complete else {
                continue;
            };
            let entries = reached.entry(op.session).or_default();
            if let Some(zxid) = op.zxid.filter(|z| *z > 0) {
                entries.push((complete, zxid));
            }
            if let (Request::Sync { .. }, OpOutcome::Ok(_), Some(zxid)) =
                (&op.request, &op.outcome, op.zxid)
            {
                let acked = &up_to_epoch[&(zxid >> 32)];
                entries.push((complete, max_before(acked, op.invoke)));
            }
        }
        for entries in reached.values_mut() {
            entries.sort_unstable();
            running_max(entries);
        }
        Self { reached }
    }

    /// The largest zxid `session` had reached in replies completed before `time`.
    pub(crate) fn floor(&self, session: SessionId, time: u64) -> Zxid {
        self.reached
            .get(&session)
            .map_or(0, |entries| max_before(entries, time))
    }
}

fn running_max(entries: &mut [(u64, Zxid)]) {
    let mut max = 0;
    for entry in entries {
        max = max.max(entry.1);
        entry.1 = max;
    }
}

/// The running max of the last entry strictly before `time`.
fn max_before(entries: &[(u64, Zxid)], time: u64) -> Zxid {
    let before = entries.partition_point(|(t, _)| *t < time);
    entries[..before].last().map_or(0, |(_, z)| *z)
}

/// What a read showed.
enum Observed<'a> {
    /// The node did not exist.
    Absent,
    /// The node existed with this data (when returned) and stat.
    Node(Option<&'a Option<Vec<u8>>>, &'a StatView),
    /// The node existed with these children.
    Children(BTreeSet<&'a str>),
}

/// What a read op showed, if it is a read this check judges.
fn observed<'a>(request: &Request, outcome: &'a OpOutcome) -> Option<(String, Observed<'a>)> {
    let (path, seen) = match (request, outcome) {
        (Request::GetData { path, .. }, OpOutcome::Ok(Reply::Data { data, stat })) => {
            (path, Observed::Node(Some(data), stat))
        }
        (Request::Exists { path, .. }, OpOutcome::Ok(Reply::Exists(Some(stat)))) => {
            (path, Observed::Node(None, stat))
        }
        (Request::Exists { path, .. }, OpOutcome::Ok(Reply::Exists(None))) => {
            (path, Observed::Absent)
        }
        (Request::GetChildren { path, .. }, OpOutcome::Ok(Reply::Children(names))) => (
            path,
            Observed::Children(names.iter().map(String::as_str).collect()),
        ),
        (
            Request::GetData { path, .. }
            | Request::Exists { path, .. }
            | Request::GetChildren { path, .. },
            OpOutcome::Err(NONODE),
        ) => (path, Observed::Absent),
        _ => return None,
    };
    Some((path.clone(), seen))
}

/// Whether `op` is a read that [`reads`] judges.
pub(crate) fn is_judged_read(input: &Input, op: usize) -> bool {
    let op = &input.ops[op];
    op.complete.is_some() && observed(&op.request, &op.outcome).is_some()
}

/// Every read shows the tree after some zxid r in [lo, hi] (module documentation, check 4).
pub fn reads(input: &Input, replay: &Replay) -> Vec<Violation> {
    let floors = SessionFloors::new(input);
    // Acknowledged writes by invocation, with the smallest zxid invoked at or after each.
    let mut later: Vec<(u64, Zxid)> = acked_writes(input)
        .iter()
        .map(|w| (w.invoke, w.zxid))
        .collect();
    later.sort_unstable();
    let mut min = Zxid::MAX;
    for entry in later.iter_mut().rev() {
        min = min.min(entry.1);
        entry.1 = min;
    }
    let mut violations = Vec::new();
    for (index, op) in input.ops.iter().enumerate() {
        let Some(complete) = op.complete else {
            continue;
        };
        let Some((path, seen)) = observed(&op.request, &op.outcome) else {
            continue;
        };
        let floor = floors.floor(op.session, op.invoke);
        let after = later.partition_point(|(t, _)| *t <= complete);
        let first_later = later.get(after).map_or(Zxid::MAX, |(_, z)| *z);
        let mut bounds = (floor, replay.max_zxid.min(first_later.saturating_sub(1)));
        if let Some(reply) = op.zxid.filter(|_| input.options.reads_at_reply_zxid) {
            if reply < floor {
                let reason = format!("reply zxid {reply:#x} is below the session's {floor:#x}");
                violations.push(stale(index, floor, bounds.1, reason));
            }
            bounds = (reply, reply);
        }
        if let Err(reason) = judge(replay, &path, &seen, bounds) {
            violations.push(stale(index, bounds.0, bounds.1, reason));
        }
    }
    violations
}

const fn stale(op: usize, lo: Zxid, hi: Zxid, reason: String) -> Violation {
    Violation::StaleRead { op, lo, hi, reason }
}

fn judge(
    replay: &Replay,
    path: &str,
    seen: &Observed<'_>,
    (lo, hi): (Zxid, Zxid),
) -> Result<(), String> {
    if let Observed::Children(names) = seen {
        return judge_children(replay, path, names, (lo, hi));
    }
    let states = replay.node_states(path, lo, hi);
    if states.iter().any(|(_, state)| shows(seen, *state)) {
        return Ok(());
    }
    let shown: Vec<String> = states
        .iter()
        .take(4)
        .map(|(z, s)| format!("{z:#x}: {}", describe(*s)))
        .collect();
    let got = match seen {
        Observed::Absent => "no node".to_owned(),
        Observed::Node(_, stat) => format!("{stat:?}"),
        Observed::Children(_) => unreachable!("judged above"),
    };
    Err(format!(
        "{path}: read {got}; the log had {}",
        shown.join(", ")
    ))
}

fn shows(seen: &Observed<'_>, state: Option<&NodeSnap>) -> bool {
    match (seen, state) {
        (Observed::Absent, None) => true,
        (Observed::Node(data, stat), Some(node)) => {
            node.shows(stat) && data.is_none_or(|d| *d == node.data)
        }
        _ => false,
    }
}

fn describe(state: Option<&NodeSnap>) -> String {
    state.map_or("no node".to_owned(), |n| {
        format!(
            "version {} czxid {:#x} mzxid {:#x}",
            n.version, n.czxid, n.mzxid
        )
    })
}

/// Walks the parent's child changes up to `hi`, keeping the size of the symmetric
/// difference between the children and the names read; a match is a zxid in [lo, hi]
/// where it is zero and the node exists.
fn judge_children(
    replay: &Replay,
    path: &str,
    names: &BTreeSet<&str>,
    (lo, hi): (Zxid, Zxid),
) -> Result<(), String> {
    let changes = replay.child_changes(path);
    let mut diff = names.len();
    let apply = |diff: &mut usize, (_, name, added): &(Zxid, String, bool)| {
        if *added == names.contains(name.as_str()) {
            *diff = diff.saturating_sub(1);
        } else {
            *diff += 1;
        }
    };
    let upto_lo = changes.partition_point(|(z, _, _)| *z <= lo);
    changes[..upto_lo].iter().for_each(|c| apply(&mut diff, c));
    // Candidate points: lo, and each zxid in (lo, hi] where the children or the node changed.
    let mut points: BTreeSet<Zxid> = replay
        .node_states(path, lo, hi)
        .iter()
        .map(|(z, _)| *z)
        .collect();
    points.extend(
        changes[upto_lo..]
            .iter()
            .map(|(z, _, _)| *z)
            .take_while(|z| *z <= hi),
    );
    let mut next = upto_lo;
    for point in points {
        while next < changes.len() && changes[next].0 <= point {
            apply(&mut diff, &changes[next]);
            next += 1;
        }
        if diff == 0 && replay.node_at(path, point).is_some() {
            return Ok(());
        }
    }
    Err(format!(
        "{path}: read children {names:?}, which it never had in [{lo:#x}, {hi:#x}]"
    ))
}
