//! Properties of the whole standalone node under random clients and random fsync timing:
//! - every request gets exactly one reply, in request order per connection;
//! - reply zxids never go down on a connection, and never reveal a zxid that is not durable;
//! - a watch notification arrives before any reply that shows the change it announces;
//! - recovering from the persisted log gives the same tree and digest.

use std::collections::{BTreeMap, VecDeque};

use bytes::Bytes;
use quickcheck::{Arbitrary, Gen, QuickCheck};
use zoorepl_core::ids::{ConnId, Xid, Zxid};
use zoorepl_core::input::Input;
use zoorepl_core::node::{Node, NodeConfig, Recovered};
use zoorepl_core::output::Output;
use zoorepl_core::proto::{
    encode_request, Acl, ConnectRequest, CreateRequest, MultiOp, OpCode, Request, Response,
};
use zoorepl_core::time::Instant;
use zoorepl_core::txn::Txn;

const PATHS: [&str; 5] = ["/a", "/b", "/a/x", "/a/y", "/b/z"];
const CONNS: u64 = 3;

#[derive(Clone, Debug)]
enum Action {
    Send(u64, Request),
    Persist,
    Wait(u64),
}

fn pick<T: Copy>(g: &mut Gen, items: &[T]) -> T {
    *g.choose(items).expect("non-empty")
}

fn create_req(g: &mut Gen) -> CreateRequest {
    let data = Some(Bytes::from(vec![
        u8::arbitrary(g);
        usize::from(u8::arbitrary(g) % 4)
    ]));
    CreateRequest {
        path: pick(g, &PATHS).into(),
        data,
        acl: vec![Acl::open_unsafe()],
        flags: pick(g, &[0, 0, 1, 2]),
    }
}

fn version(g: &mut Gen) -> i32 {
    pick(g, &[-1, -1, 0, 1])
}

fn request(g: &mut Gen) -> Request {
    let path = || pick(&mut Gen::new(5), &PATHS).to_owned();
    match u8::arbitrary(g) % 9 {
        0 | 1 => Request::Create {
            op: OpCode::Create2,
            req: create_req(g),
            ttl: None,
        },
        2 => Request::Delete {
            path: pick(g, &PATHS).into(),
            version: version(g),
        },
        3 => Request::SetData {
            path: pick(g, &PATHS).into(),
            data: None,
            version: version(g),
        },
        4 | 5 => Request::GetData {
            path: pick(g, &PATHS).into(),
            watch: bool::arbitrary(g),
        },
        6 => Request::Exists {
            path: pick(g, &PATHS).into(),
            watch: bool::arbitrary(g),
        },
        7 => Request::GetChildren2 {
            path: pick(g, &["/", "/a", "/b"]).into(),
            watch: bool::arbitrary(g),
        },
        _ => Request::Multi(vec![
            MultiOp::Create {
                op: OpCode::Create,
                req: create_req(g),
                ttl: None,
            },
            MultiOp::SetData {
                path: path(),
                data: None,
                version: version(g),
            },
        ]),
    }
}

impl Arbitrary for Action {
    fn arbitrary(g: &mut Gen) -> Self {
        match u8::arbitrary(g) % 10 {
            0..=5 => Self::Send(u64::arbitrary(g) % CONNS, request(g)),
            6..=8 => Self::Persist,
            _ => Self::Wait(u64::from(u16::arbitrary(g) % 3000)),
        }
    }
}

#[derive(Default)]
struct ConnLog {
    sent: VecDeque<(i32, Request)>,
    last_zxid: i64,
    /// Data watches armed by getData(watch): path → mzxid seen when armed.
    armed: BTreeMap<String, i64>,
}

struct World {
    node: Node,
    now_ms: u64,
    batches: VecDeque<Vec<Txn>>,
    durable: Vec<Txn>,
    conns: BTreeMap<u64, ConnLog>,
    next_xid: i32,
}

impl World {
    fn new() -> Self {
        let config = NodeConfig::default().validate().expect("valid");
        let now_ms = 1_000_000;
        let node = Node::recover(
            config,
            Recovered::default(),
            Instant::from_millis(now_ms),
            1,
        );
        Self {
            node,
            now_ms,
            batches: VecDeque::new(),
            durable: Vec::new(),
            conns: BTreeMap::new(),
            next_xid: 1,
        }
    }

    fn step(&mut self, input: Input) -> Result<(), String> {
        self.node.step(Instant::from_millis(self.now_ms), input);
        while let Some(out) = self.node.poll_output() {
            self.observe(out)?;
        }
        Ok(())
    }

    fn durable_zxid(&self) -> i64 {
        self.durable.last().map_or(0, |t| t.zxid.as_i64())
    }

    fn observe(&mut self, out: Output) -> Result<(), String> {
        let durable = self.durable_zxid();
        match out {
            Output::Persist { txns } => self.batches.push_back(txns),
            Output::Handshake { .. } | Output::TakeSnapshot { .. } => {}
            Output::CloseConn { conn, why } => return Err(format!("{conn:?} closed: {why:?}")),
            other @ (Output::Send { .. }
            | Output::SaveEpoch { .. }
            | Output::Truncate { .. }
            | Output::InstallSnapshot { .. }) => {
                return Err(format!("standalone node emitted {other:?}"))
            }
            Output::Notify { conn, event, .. } => {
                let log = self
                    .conns
                    .get_mut(&conn.0)
                    .ok_or("notify to unknown conn")?;
                log.armed.remove(&event.path);
            }
            Output::Reply { conn, header, body } => {
                let log = self.conns.get_mut(&conn.0).ok_or("reply to unknown conn")?;
                let (xid, req) = log
                    .sent
                    .pop_front()
                    .ok_or("reply with nothing outstanding")?;
                if header.xid != Xid(xid) {
                    return Err(format!(
                        "{conn:?}: reply xid {:?}, expected {xid}",
                        header.xid
                    ));
                }
                if header.zxid < log.last_zxid || header.zxid > durable {
                    return Err(format!(
                        "zxid {} (last {}, durable {durable})",
                        header.zxid, log.last_zxid
                    ));
                }
                log.last_zxid = header.zxid;
                check_watch(log, &req, header.err, &body)?;
            }
        }
        Ok(())
    }
}

/// A reply that shows a newer version of an armed path must come after its notification.
fn check_watch(log: &mut ConnLog, req: &Request, err: i32, body: &Response) -> Result<(), String> {
    let (path, watch) = match req {
        Request::GetData { path, watch } | Request::Exists { path, watch } => (path, *watch),
        _ => return Ok(()),
    };
    let seen = match body {
        Response::GetData { stat, .. } | Response::Exists { stat } => Some(stat.mzxid),
        _ => None,
    };
    if let Some(&armed) = log.armed.get(path) {
        let newer = seen.is_none_or(|m| m > armed);
        if newer && err != -112 {
            return Err(format!(
                "{path}: change visible (mzxid {seen:?} > {armed}) before its event"
            ));
        }
    }
    if let (Request::GetData { .. }, true, Some(m)) = (req, watch, seen) {
        log.armed.insert(path.clone(), m);
    }
    Ok(())
}

fn connect_all(w: &mut World) -> Result<(), String> {
    for c in 0..CONNS {
        w.conns.insert(c, ConnLog::default());
        w.step(Input::ConnOpened {
            conn: ConnId(c),
            peer_ip: None,
        })?;
        let mut buf = Vec::new();
        let req = ConnectRequest {
            timeout_ms: 40_000,
            passwd: vec![0; 16],
            read_only: Some(false),
            ..Default::default()
        };
        req.encode(&mut buf);
        w.step(Input::Client {
            conn: ConnId(c),
            frame: Bytes::from(buf),
        })?;
    }
    Ok(())
}

fn act(w: &mut World, action: Action) -> Result<(), String> {
    match action {
        Action::Send(c, req) => {
            let xid = w.next_xid;
            w.next_xid += 1;
            let mut buf = Vec::new();
            encode_request(Xid(xid), &req, &mut buf);
            w.conns
                .get_mut(&c)
                .expect("conn")
                .sent
                .push_back((xid, req));
            w.step(Input::Client {
                conn: ConnId(c),
                frame: Bytes::from(buf),
            })
        }
        Action::Persist => {
            let Some(batch) = w.batches.pop_front() else {
                return Ok(());
            };
            let upto = batch.last().expect("non-empty").zxid;
            w.durable.extend(batch);
            w.step(Input::Persisted { upto })
        }
        Action::Wait(ms) => {
            w.now_ms += ms;
            w.step(Input::Tick)
        }
    }
}

fn check_recovery(w: &World) -> Result<(), String> {
    let config = NodeConfig::default().validate().expect("valid");
    let recovered = Recovered {
        log: w.durable.clone(),
        ..Recovered::default()
    };
    let again = Node::recover(config, recovered, Instant::from_millis(w.now_ms), 1);
    if !again.tree().eq_content(w.node.tree()) || again.tree().digest() != w.node.tree().digest() {
        return Err("recovery from the durable log differs from the live tree".into());
    }
    if again.last_applied() != w.node.last_applied() || w.node.last_applied() == Zxid::ZERO {
        return Err("recovered zxid differs".into());
    }
    Ok(())
}

fn run(actions: Vec<Action>) -> Result<(), String> {
    let mut w = World::new();
    connect_all(&mut w)?;
    for action in actions
        .into_iter()
        .chain(std::iter::repeat_n(Action::Persist, 200))
    {
        act(&mut w, action)?;
    }
    for (c, log) in &w.conns {
        if !log.sent.is_empty() {
            return Err(format!(
                "conn {c}: {} requests never answered",
                log.sent.len()
            ));
        }
    }
    check_recovery(&w)
}

#[test]
fn node_keeps_order_durability_and_watch_promises() {
    fn prop(actions: Vec<Action>) -> quickcheck::TestResult {
        match run(actions) {
            Ok(()) => quickcheck::TestResult::passed(),
            Err(e) => quickcheck::TestResult::error(e),
        }
    }
    QuickCheck::new()
        .tests(300)
        .rng(Gen::new(80))
        .quickcheck(prop as fn(Vec<Action>) -> quickcheck::TestResult);
}

#[test]
fn the_property_catches_a_reordered_reply() {
    // The checker itself must be able to fail: feed it a reply out of order.
    let mut log = ConnLog::default();
    log.sent.push_back((1, Request::Ping));
    log.sent.push_back((2, Request::Ping));
    let mut w = World::new();
    w.conns.insert(0, log);
    let header = zoorepl_core::proto::ReplyHeader {
        xid: Xid(2),
        zxid: 0,
        err: 0,
    };
    let out = Output::Reply {
        conn: ConnId(0),
        header,
        body: Response::Empty,
    };
    assert!(w.observe(out).is_err());
}
