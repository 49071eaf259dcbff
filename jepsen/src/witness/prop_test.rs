//! Property: a history derived from a random sequential execution is accepted, and one
//! mutation of it (a changed version, a dropped txn, two swapped zxids) is rejected.

use std::collections::{BTreeMap, BTreeSet};

use quickcheck::{QuickCheck, TestResult};

use super::*;

const PATHS: [&str; 4] = ["/a", "/b", "/a/x", "/a/y"];

#[derive(Clone, Debug)]
struct Node {
    data: Option<Vec<u8>>,
    version: i32,
    czxid: Zxid,
    mzxid: Zxid,
}

/// One step's request parameters and what the tree says about them.
struct Choice<'a> {
    session: SessionId,
    path: &'a str,
    value: Option<Vec<u8>>,
    expected: i32,
    exists: bool,
    parent_ok: bool,
    version_ok: bool,
    at: u64,
    unknown: bool,
    flag: bool,
}

/// A sequential execution: each step happens atomically at its linearization point.
#[derive(Default)]
struct Execution {
    tree: BTreeMap<String, Node>,
    zxid: Zxid,
    log: Vec<CommittedTxn>,
    ops: Vec<ClientOp>,
    events: Vec<WatchEventRecord>,
    /// Per session: pending one-shot watches (path, is child table).
    watches: BTreeMap<SessionId, BTreeSet<(String, bool)>>,
    /// Per session: the step times of its ops (to fit intervals between them).
    steps: BTreeMap<SessionId, Vec<usize>>,
}

impl Execution {
    fn stat(&self, path: &str) -> Option<StatView> {
        self.tree.get(path).map(|n| StatView {
            czxid: n.czxid,
            mzxid: n.mzxid,
            version: n.version,
            ephemeral_owner: 0,
        })
    }

    fn children(&self, path: &str) -> Vec<String> {
        let prefix = if path == "/" {
            "/".to_owned()
        } else {
            format!("{path}/")
        };
        let names = self.tree.keys().filter_map(|p| p.strip_prefix(&prefix));
        names
            .filter(|n| !n.contains('/'))
            .map(str::to_owned)
            .collect()
    }

    fn commit(
        &mut self,
        session: SessionId,
        effect: TxnEffect,
        fired: &[(WatchEventType, &str)],
        at: u64,
    ) {
        self.zxid += 1;
        self.log.push(CommittedTxn {
            zxid: self.zxid,
            session,
            cxid: 0,
            ops: vec![effect],
        });
        for (watcher, pending) in &mut self.watches {
            for &(kind, path) in fired {
                let tables: &[bool] = match kind {
                    WatchEventType::NodeCreated | WatchEventType::NodeDataChanged => &[false],
                    WatchEventType::NodeChildrenChanged => &[true],
                    WatchEventType::NodeDeleted => &[false, true],
                };
                let mut hit = false;
                for child in tables {
                    hit |= pending.remove(&(path.to_owned(), *child));
                }
                if hit {
                    self.events.push(WatchEventRecord {
                        session: *watcher,
                        event_type: kind,
                        path: path.to_owned(),
                        zxid: Some(self.zxid),
                        at,
                        conn: 0,
                    });
                }
            }
        }
    }

    /// Runs one step; returns the request, outcome and reply zxid.
    fn step(
        &mut self,
        session: SessionId,
        choice: (u8, u8, u8),
        at: u64,
        unknown: bool,
    ) -> (Request, OpOutcome) {
        let (kind, path_index, version) = choice;
        let path = PATHS[usize::from(path_index) % PATHS.len()];
        let value = Some(vec![kind, version]);
        let exists = self.tree.contains_key(path);
        let parent_ok =
            replay::parent_of(path).is_some_and(|p| p == "/" || self.tree.contains_key(p));
        let expected = i32::from(version % 3) - 1;
        let version_ok =
            expected == -1 || self.tree.get(path).is_some_and(|n| n.version == expected);
        let c = Choice {
            session,
            path,
            value,
            expected,
            exists,
            parent_ok,
            version_ok,
            at,
            unknown,
            flag: version % 2 == 0,
        };
        match kind % 6 {
            0 => self.create(&c),
            1 => self.set_data(&c),
            2 => self.delete(&c),
            3 => self.read_data(session, path, version % 2 == 0),
            4 => self.get_children(
                session,
                if path_index % 2 == 0 { "/" } else { "/a" },
                version % 2 == 0,
            ),
            _ => (
                Request::Sync {
                    path: path.to_owned(),
                },
                OpOutcome::Ok(Reply::Done),
            ),
        }
    }

    fn create(&mut self, c: &Choice<'_>) -> (Request, OpOutcome) {
        let request = Request::Create {
            path: c.path.to_owned(),
            data: c.value.clone(),
            mode: CreateMode::Persistent,
        };
        if c.exists || !c.parent_ok {
            let code = if c.exists { NODEEXISTS } else { NONODE };
            return (request, OpOutcome::Err(code));
        }
        if !c.unknown || c.flag {
            let node = Node {
                data: c.value.clone(),
                version: 0,
                czxid: self.zxid + 1,
                mzxid: self.zxid + 1,
            };
            self.tree.insert(c.path.to_owned(), node);
            let effect = TxnEffect::Create {
                path: c.path.to_owned(),
                data: c.value.clone(),
                ephemeral_owner: None,
                sequential: Some(false),
                parent_cversion: None,
            };
            let parent = replay::parent_of(c.path).unwrap_or("/");
            self.commit(
                c.session,
                effect,
                &[
                    (WatchEventType::NodeCreated, c.path),
                    (WatchEventType::NodeChildrenChanged, parent),
                ],
                c.at,
            );
        }
        let reply = Reply::Created {
            path: c.path.to_owned(),
            stat: self.stat(c.path),
        };
        (request, OpOutcome::Ok(reply))
    }

    fn set_data(&mut self, c: &Choice<'_>) -> (Request, OpOutcome) {
        let request = Request::SetData {
            path: c.path.to_owned(),
            data: c.value.clone(),
            version: c.expected,
        };
        if !c.exists || !c.version_ok {
            return (
                request,
                OpOutcome::Err(if c.exists { BADVERSION } else { NONODE }),
            );
        }
        if !c.unknown || c.flag {
            let zxid = self.zxid + 1;
            let node = self.tree.get_mut(c.path).expect("exists");
            node.version += 1;
            node.mzxid = zxid;
            node.data.clone_from(&c.value);
            let effect = TxnEffect::SetData {
                path: c.path.to_owned(),
                data: c.value.clone(),
                version: node.version,
            };
            self.commit(
                c.session,
                effect,
                &[(WatchEventType::NodeDataChanged, c.path)],
                c.at,
            );
        }
        let stat = self.stat(c.path).expect("exists");
        (request, OpOutcome::Ok(Reply::Stat(stat)))
    }

    fn delete(&mut self, c: &Choice<'_>) -> (Request, OpOutcome) {
        let request = Request::Delete {
            path: c.path.to_owned(),
            version: c.expected,
        };
        if !c.exists || !c.version_ok || !self.children(c.path).is_empty() {
            return (
                request,
                OpOutcome::Err(if c.exists { BADVERSION } else { NONODE }),
            );
        }
        if !c.unknown || c.flag {
            self.tree.remove(c.path);
            let parent = replay::parent_of(c.path).unwrap_or("/");
            let fired = [
                (WatchEventType::NodeDeleted, c.path),
                (WatchEventType::NodeChildrenChanged, parent),
            ];
            self.commit(
                c.session,
                TxnEffect::Delete {
                    path: c.path.to_owned(),
                },
                &fired,
                c.at,
            );
        }
        (request, OpOutcome::Ok(Reply::Done))
    }

    fn get_children(
        &mut self,
        session: SessionId,
        parent: &str,
        watch: bool,
    ) -> (Request, OpOutcome) {
        let request = Request::GetChildren {
            path: parent.to_owned(),
            watch,
        };
        if parent != "/" && !self.tree.contains_key(parent) {
            return (request, OpOutcome::Err(NONODE));
        }
        self.register(session, &request);
        let mut names = self.children(parent);
        if parent == "/" {
            names.push("zookeeper".to_owned());
        }
        (request, OpOutcome::Ok(Reply::Children(names)))
    }

    fn read_data(&mut self, session: SessionId, path: &str, watch: bool) -> (Request, OpOutcome) {
        let (request, outcome) = match self.tree.get(path) {
            Some(node) if watch => {
                let reply = Reply::Data {
                    data: node.data.clone(),
                    stat: self.stat(path).expect("exists"),
                };
                (
                    Request::GetData {
                        path: path.to_owned(),
                        watch,
                    },
                    OpOutcome::Ok(reply),
                )
            }
            None if watch => (
                Request::GetData {
                    path: path.to_owned(),
                    watch,
                },
                OpOutcome::Err(NONODE),
            ),
            _ => (
                Request::Exists {
                    path: path.to_owned(),
                    watch: true,
                },
                OpOutcome::Ok(Reply::Exists(self.stat(path))),
            ),
        };
        self.register(session, &request);
        (request, outcome)
    }

    fn register(&mut self, session: SessionId, request: &Request) {
        let exists = |p: &str| self.tree.contains_key(p) || p == "/";
        let entry = match request {
            Request::Exists { path, watch: true } => Some((path.clone(), false)),
            Request::GetData { path, watch: true } if exists(path) => Some((path.clone(), false)),
            Request::GetChildren { path, watch: true } if exists(path) => {
                Some((path.clone(), true))
            }
            _ => None,
        };
        if let Some(entry) = entry {
            self.watches.entry(session).or_default().insert(entry);
        }
    }
}

/// Runs the script; op i happens at time 10 i + 5 and its interval is fitted between the
/// session's neighbouring steps, so intervals overlap across sessions.
fn execute(script: &[(u8, u8, u8, u8)]) -> Input {
    let mut exec = Execution::default();
    for (i, &(who, kind, path, version)) in script.iter().enumerate() {
        let session = i64::from(who % 3) + 1;
        let at = 10 * i as u64 + 5;
        let unknown = kind >= 240 && kind % 6 < 3;
        let (request, outcome) = exec.step(session, (kind, path, version), at, unknown);
        exec.steps.entry(session).or_default().push(i);
        let (complete, zxid, outcome) = if unknown {
            (None, None, OpOutcome::Unknown)
        } else {
            (Some(at), Some(exec.zxid), outcome)
        };
        exec.ops.push(ClientOp {
            session,
            request,
            invoke: at,
            complete,
            outcome,
            zxid,
        });
    }
    widen_intervals(&mut exec, script);
    Input {
        log: exec.log,
        ops: exec.ops,
        events: exec.events,
        options: Options {
            reads_at_reply_zxid: true,
        },
    }
}

fn widen_intervals(exec: &mut Execution, script: &[(u8, u8, u8, u8)]) {
    for steps in exec.steps.values() {
        for (k, &i) in steps.iter().enumerate() {
            let slack = u64::from(script[i].3 % 4);
            let at = 10 * i as u64 + 5;
            let gap_before = k
                .checked_sub(1)
                .map_or(at, |p| at - (10 * steps[p] as u64 + 5));
            let gap_after = steps
                .get(k + 1)
                .map_or(u64::MAX, |n| 10 * *n as u64 + 5 - at);
            let op = &mut exec.ops[i];
            op.invoke = at - slack.min(gap_before / 2 - 1);
            if let Some(complete) = op.complete.as_mut() {
                *complete = at + slack.min(gap_after / 2 - 1);
            }
        }
    }
}

fn accepts_correct_and_rejects_mutated(script: Vec<(u8, u8, u8, u8)>, mutation: u8) -> TestResult {
    let input = execute(&script);
    let report = check(&input);
    if !report.is_ok() {
        return TestResult::error(format!("{:?}\n{input:#?}", report.violations));
    }
    let general = Input {
        options: Options::default(),
        ..input.clone()
    };
    if !check(&general).is_ok() {
        return TestResult::error(format!("general mode: {:?}", check(&general).violations));
    }
    let acked: Vec<usize> = acked_writes(&input).iter().map(|w| w.op).collect();
    let mut bad = input.clone();
    match mutation % 3 {
        0 => {
            let Some(i) = bad.ops.iter().position(|o| {
                matches!(
                    o.outcome,
                    OpOutcome::Ok(Reply::Stat(_) | Reply::Data { .. })
                )
            }) else {
                return TestResult::discard();
            };
            match &mut bad.ops[i].outcome {
                OpOutcome::Ok(Reply::Stat(stat) | Reply::Data { stat, .. }) => stat.version += 1,
                _ => unreachable!("found above"),
            }
        }
        1 => {
            let Some(&i) = acked.first() else {
                return TestResult::discard();
            };
            let zxid = bad.ops[i].zxid;
            bad.log.retain(|t| Some(t.zxid) != zxid);
        }
        _ => {
            let [a, b, ..] = acked[..] else {
                return TestResult::discard();
            };
            let (za, zb) = (bad.ops[a].zxid, bad.ops[b].zxid);
            bad.ops[a].zxid = zb;
            bad.ops[b].zxid = za;
        }
    }
    TestResult::from_bool(!check(&bad).is_ok())
}

#[test]
fn witness_accepts_correct_history_and_rejects_mutation() {
    QuickCheck::new().tests(300).quickcheck(
        accepts_correct_and_rejects_mutated as fn(Vec<(u8, u8, u8, u8)>, u8) -> TestResult,
    );
}
