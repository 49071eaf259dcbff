//! A tiny deterministic ensemble for core tests: nodes, FIFO links with a fixed delay, a disk per
//! node that completes each operation after a fixed latency, crash and restart from what was
//! durable, and clients that speak real frames. The full simulator (faults, swarm, checkers)
//! lives in `sim/`; this is only enough to test ensemble behaviour exactly.

#![allow(dead_code, unreachable_pub)]

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use zoorepl_core::ids::{ConnId, ServerId, SessionId, Xid, Zxid};
use zoorepl_core::input::Input;
use zoorepl_core::node::{Node, NodeConfig, Recovered};
use zoorepl_core::output::Output;
use zoorepl_core::proto::{
    encode_request, Acl, ConnectRequest, CreateRequest, OpCode, Request, Response,
};
use zoorepl_core::time::Instant;
use zoorepl_core::tree::DataTree;
use zoorepl_core::txn::Txn;
use zoorepl_core::zab::{ElectionConfig, EnsembleConfig, MemberKind, Observation, Role};

/// What a server has durably.
#[derive(Clone, Debug, Default)]
pub struct Disk {
    pub log: Vec<Txn>,
    pub epochs: (u32, u32),
    pub snapshot: Option<(DataTree, Vec<(SessionId, i32)>)>,
}

/// A client's view of one connection.
#[derive(Clone, Debug, Default)]
pub struct Client {
    pub server: u64,
    pub session: Option<(i64, Vec<u8>)>,
    pub replies: Vec<(Xid, i64, i32, Response)>,
    pub closed: bool,
}

#[derive(Debug)]
enum Event {
    Deliver(u64, Input),
}

/// The ensemble.
pub struct Cluster {
    pub now: u64,
    pub nodes: BTreeMap<u64, Option<Node>>,
    pub disks: BTreeMap<u64, Disk>,
    configs: BTreeMap<u64, NodeConfig>,
    queue: BTreeMap<(u64, u64), Event>,
    seq: u64,
    pub clients: BTreeMap<u64, Client>,
    next_conn: u64,
    pub link_down: BTreeSet<(u64, u64)>,
    /// Every Truncate seen: (server, after).
    pub truncations: Vec<(u64, Zxid)>,
    /// A server's fsync latency when not `LATENCY_MS`.
    pub disk_ms: BTreeMap<u64, u64>,
}

pub const LATENCY_MS: u64 = 1;

/// What every member's `/zookeeper/config` holds (the shell renders it from zoo.cfg).
pub const MEMBERSHIP: &str = "server.1=127.0.0.1:2888:3888:participant\nversion=0";

impl Cluster {
    /// `voters` participants numbered 1.., then `observers` observers.
    pub fn new(voters: u64, observers: u64) -> Self {
        let mut members = BTreeMap::new();
        for id in 1..=voters {
            members.insert(ServerId(id), MemberKind::Participant);
        }
        for id in voters + 1..=voters + observers {
            members.insert(ServerId(id), MemberKind::Observer);
        }
        let mut ensemble = EnsembleConfig::new(members);
        ensemble.committed_log_max = 50;
        ensemble.election = ElectionConfig {
            finalize_wait_ms: 50,
            resend_min_ms: 50,
            resend_max_ms: 800,
        };
        let mut c = Self {
            now: 0,
            nodes: BTreeMap::new(),
            disks: BTreeMap::new(),
            configs: BTreeMap::new(),
            queue: BTreeMap::new(),
            seq: 0,
            clients: BTreeMap::new(),
            next_conn: 0,
            link_down: BTreeSet::new(),
            truncations: Vec::new(),
            disk_ms: BTreeMap::new(),
        };
        for id in 1..=voters + observers {
            let config = NodeConfig {
                server_id: ServerId(id),
                tick_ms: 100,
                snap_count: 1000,
                ensemble: Some(ensemble.clone()),
                membership: Some(MEMBERSHIP.to_owned()),
                ..NodeConfig::default()
            };
            c.configs.insert(id, config);
            c.disks.insert(id, Disk::default());
            c.start(id);
        }
        c
    }

    pub fn start(&mut self, id: u64) {
        let disk = &self.disks[&id];
        let (tree, sessions) = disk.snapshot.clone().unwrap_or_default();
        let recovered = Recovered {
            tree,
            sessions,
            log: disk.log.clone(),
            accepted_epoch: disk.epochs.0,
            current_epoch: disk.epochs.1,
        };
        let config = self.configs[&id].clone().validate().expect("valid");
        let node = Node::recover(config, recovered, Instant::from_millis(self.now), id);
        self.nodes.insert(id, Some(node));
        self.drain(id);
    }

    /// Crashes a server: everything not yet durable is lost.
    pub fn crash(&mut self, id: u64) {
        self.nodes.insert(id, None);
        self.queue.retain(|_, Event::Deliver(to, _)| *to != id);
        let conns: Vec<u64> = self
            .clients
            .iter()
            .filter(|(_, c)| c.server == id)
            .map(|(k, _)| *k)
            .collect();
        for conn in conns {
            self.clients.get_mut(&conn).expect("listed").closed = true;
        }
    }

    fn schedule(&mut self, at: u64, to: u64, input: Input) {
        self.seq += 1;
        self.queue.insert((at, self.seq), Event::Deliver(to, input));
    }

    fn drain(&mut self, id: u64) {
        loop {
            let Some(Some(node)) = self.nodes.get_mut(&id) else {
                return;
            };
            let Some(out) = node.poll_output() else {
                return;
            };
            self.execute(id, out);
        }
    }

    fn execute(&mut self, id: u64, out: Output) {
        let at = self.now + LATENCY_MS;
        if std::env::var("ENSEMBLE_TRACE").is_ok() {
            eprintln!("{} {id} -> {out:?}", self.now);
        }
        match out {
            Output::Send { to, msg } => {
                if !self.link_down.contains(&(id, to.0)) {
                    self.schedule(
                        at,
                        to.0,
                        Input::Peer {
                            from: ServerId(id),
                            msg,
                        },
                    );
                }
            }
            Output::Persist { txns } => {
                let upto = txns.last().expect("non-empty").zxid;
                self.disks.get_mut(&id).expect("disk").log.extend(txns);
                let synced = self.now + self.disk_ms.get(&id).copied().unwrap_or(LATENCY_MS);
                self.schedule(synced, id, Input::Persisted { upto });
            }
            Output::SaveEpoch {
                accepted_epoch,
                current_epoch,
            } => {
                self.disks.get_mut(&id).expect("disk").epochs = (accepted_epoch, current_epoch);
                let input = Input::EpochSaved {
                    accepted_epoch,
                    current_epoch,
                };
                self.schedule(at, id, input);
            }
            Output::Truncate { after } => {
                self.truncations.push((id, after));
                self.disks
                    .get_mut(&id)
                    .expect("disk")
                    .log
                    .retain(|t| t.zxid <= after);
                self.schedule(at, id, Input::Truncated { after });
            }
            Output::InstallSnapshot {
                zxid,
                tree,
                sessions,
            } => {
                let disk = self.disks.get_mut(&id).expect("disk");
                disk.snapshot = Some((*tree, sessions));
                disk.log.clear();
                self.schedule(at, id, Input::SnapshotInstalled { zxid });
            }
            Output::TakeSnapshot { .. } => {}
            Output::Handshake { conn, response } => {
                let c = self.clients.get_mut(&conn.0).expect("client");
                if response.session_id != 0 {
                    c.session = Some((response.session_id, response.passwd.clone()));
                }
            }
            Output::Reply { conn, header, body } => {
                let c = self.clients.get_mut(&conn.0).expect("client");
                c.replies.push((header.xid, header.zxid, header.err, body));
            }
            Output::Notify { .. } => {}
            Output::CloseConn { conn, .. } => {
                self.clients.get_mut(&conn.0).expect("client").closed = true;
            }
        }
    }

    /// Runs until `until` ms of virtual time.
    pub fn run_until(&mut self, until: u64) {
        let mut same_time_steps = 0_u32;
        loop {
            let next_event = self.queue.keys().next().map(|k| k.0);
            let next_tick = self
                .nodes
                .iter()
                .filter_map(|(id, n)| {
                    n.as_ref()
                        .and_then(Node::poll_deadline)
                        .map(|d| (d.as_millis(), *id))
                })
                .min();
            let t = match (next_event, next_tick) {
                (Some(e), Some((d, _))) => e.min(d.max(self.now)),
                (Some(e), None) => e,
                (None, Some((d, _))) => d.max(self.now),
                (None, None) => until,
            };
            if t > until {
                self.now = until;
                return;
            }
            same_time_steps = if t == self.now {
                same_time_steps + 1
            } else {
                0
            };
            assert!(same_time_steps < 100_000, "time does not advance at {t} ms");
            self.now = t;
            if next_event == Some(t) {
                let (key, Event::Deliver(to, input)) = self.queue.pop_first().expect("non-empty");
                let _ = key;
                self.step(to, input);
            } else {
                let (_, id) = next_tick.expect("a tick");
                self.step(id, Input::Tick);
            }
        }
    }

    pub fn step(&mut self, id: u64, input: Input) {
        let now = Instant::from_millis(self.now);
        if std::env::var("ENSEMBLE_TRACE").is_ok() {
            eprintln!("{} {id} <- {input:?}", self.now);
        }
        let Some(Some(node)) = self.nodes.get_mut(&id) else {
            return;
        };
        node.step(now, input);
        node.check_invariants();
        self.drain(id);
    }

    pub fn observe(&self, id: u64) -> Option<Observation> {
        self.nodes[&id].as_ref().map(Node::observe)
    }

    pub fn leader(&self) -> Option<u64> {
        self.nodes.iter().find_map(|(id, n)| {
            n.as_ref()
                .filter(|n| n.observe().role == Role::Leading && n.observe().serving)
                .map(|_| *id)
        })
    }

    /// Opens a client connection to `server` and sends a ConnectRequest (new or resumed).
    pub fn connect(&mut self, server: u64, resume: Option<(i64, Vec<u8>)>) -> u64 {
        self.next_conn += 1;
        let conn = self.next_conn;
        self.clients.insert(
            conn,
            Client {
                server,
                ..Client::default()
            },
        );
        self.step(
            server,
            Input::ConnOpened {
                conn: ConnId(conn),
                peer_ip: None,
            },
        );
        let (session_id, passwd) = resume.unwrap_or((0, vec![0; 16]));
        let req = ConnectRequest {
            timeout_ms: 4_000,
            session_id,
            passwd,
            read_only: Some(false),
            ..Default::default()
        };
        let mut buf = Vec::new();
        req.encode(&mut buf);
        let frame = Input::Client {
            conn: ConnId(conn),
            frame: Bytes::from(buf),
        };
        self.step(server, frame);
        conn
    }

    /// Sends a request on a connection.
    pub fn send(&mut self, conn: u64, xid: i32, req: &Request) {
        let server = self.clients[&conn].server;
        let mut buf = Vec::new();
        encode_request(Xid(xid), req, &mut buf);
        let frame = Input::Client {
            conn: ConnId(conn),
            frame: Bytes::from(buf),
        };
        self.step(server, frame);
    }

    /// The reply to `xid` on `conn`, if any: (zxid, err, body).
    pub fn reply(&self, conn: u64, xid: i32) -> Option<(i64, i32, Response)> {
        self.clients[&conn]
            .replies
            .iter()
            .find(|r| r.0 == Xid(xid))
            .map(|r| (r.1, r.2, r.3.clone()))
    }
}

pub fn create(path: &str, data: &str) -> Request {
    Request::Create {
        op: OpCode::Create,
        req: CreateRequest {
            path: path.into(),
            data: Some(Bytes::from(data.to_owned())),
            acl: vec![Acl::open_unsafe()],
            flags: 0,
        },
        ttl: None,
    }
}

pub fn get(path: &str) -> Request {
    Request::GetData {
        path: path.into(),
        watch: false,
    }
}

pub fn data_of(reply: Option<(i64, i32, Response)>) -> Option<String> {
    match reply {
        Some((_, 0, Response::GetData { data, .. })) => {
            data.map(|d| String::from_utf8(d.to_vec()).expect("utf-8"))
        }
        _ => None,
    }
}

/// Elects and waits until every server serves.
pub fn settled(voters: u64, observers: u64) -> Cluster {
    let mut c = Cluster::new(voters, observers);
    c.run_until(3_000);
    let leader = c.leader().expect("a leader is established");
    for id in 1..=voters + observers {
        let o = c.observe(id).expect("running");
        assert!(o.serving, "server {id} serves: {o:?}");
        assert_eq!(
            o.leader.map(|l| l.0),
            Some(leader),
            "server {id} follows the leader"
        );
    }
    c
}

pub fn connect(c: &mut Cluster, server: u64) -> u64 {
    let conn = c.connect(server, None);
    c.run_until(c.now + 200);
    assert!(
        c.clients[&conn].session.is_some(),
        "session created via {server}"
    );
    conn
}
