//! Simulated ZooKeeper clients. Each speaks real frames (a `ConnectRequest`, then requests
//! encoded with `encode_request`) to one server at a time, pipelines up to a few requests,
//! pings when idle, and on a lost connection reconnects (to another server when there are
//! several) with the same session id and password and its last seen zxid. Every operation,
//! watch event and session change goes into the [`History`].
//!
//! The cluster owns the transport: the workload returns [`ClientAction`]s and is told about
//! what arrives with [`Workload::on_message`].

use std::collections::VecDeque;

use bytes::Bytes;
use zoorepl_core::ids::{ConnId, Xid};
use zoorepl_core::proto::{
    decode_notification, decode_reply, encode_request, Acl, ConnectRequest, ConnectResponse,
    CreateRequest, DecodeError, MultiOp, OpCode, ReplyHeader, Request, Response, WatcherEvent,
};

use crate::history::{History, OpRecord, Outcome, SessionChange, WatchRecord};
use crate::rand::Rng;

/// The paths clients work on (a small set, so that operations collide).
const PATHS: [&str; 6] = ["/a", "/a/x", "/a/y", "/b", "/b/x", "/c"];
/// Parents whose children clients list and watch.
const PARENTS: [&str; 3] = ["/", "/a", "/b"];
/// Most requests one client keeps outstanding.
const PIPELINE_MAX: u64 = 3;

/// Something a client asks the transport to do.
#[derive(Clone, Debug, PartialEq)]
pub enum ClientAction {
    /// Open a connection to a server.
    Open {
        /// The server, by index.
        server: usize,
        /// The new connection.
        conn: ConnId,
    },
    /// Send one frame payload on a connection.
    Send {
        /// The connection.
        conn: ConnId,
        /// The payload.
        frame: Bytes,
    },
    /// Close a connection from the client's side.
    Close {
        /// The connection.
        conn: ConnId,
    },
}

/// What reaches a client from its server.
#[derive(Clone, Debug, PartialEq)]
pub enum ServerMsg {
    /// The handshake answer.
    Handshake(ConnectResponse),
    /// A reply.
    Reply(ReplyHeader, Response),
    /// A watch notification.
    Notify(i64, WatcherEvent),
    /// The connection is gone (closed by the server, or the server crashed).
    Closed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// No connection; try again at `retry_ms`.
    Idle {
        retry_ms: u64,
    },
    Handshaking,
    Connected,
}

#[derive(Clone, Debug)]
struct Client {
    server: usize,
    conn: Option<ConnId>,
    state: State,
    session: i64,
    passwd: Vec<u8>,
    timeout_ms: i32,
    last_zxid: i64,
    /// Outstanding requests: (xid, index in the history, or `None` for a ping).
    outstanding: VecDeque<(i32, Option<usize>)>,
    next_xid: i32,
    depth: usize,
    last_sent_ms: u64,
    /// When its current server last answered it (handshake or reply).
    last_heard_ms: u64,
}

/// All clients of a run.
#[derive(Debug)]
pub struct Workload {
    clients: Vec<Client>,
    servers: usize,
    next_conn: u64,
    /// When set, clients issue no new operations (the end of the liveness phase).
    pub quiet: bool,
    /// What the clients did.
    pub history: History,
    /// Protocol promises a client saw broken (reply order, zxid going back).
    pub violations: Vec<String>,
    /// Whether a client gives up on a connection that stays silent, as Java's does: after
    /// 2/3 of the session timeout once connected, after the timeout over the number of servers
    /// while connecting. Off in the core simulator, which tells clients of every crash; on in
    /// the madsim tests, where a killed server's connections just go quiet.
    pub read_timeouts: bool,
}

impl Workload {
    /// `n` clients spread over `servers` servers.
    pub fn new(n: usize, servers: usize, rng: &mut Rng) -> Self {
        let clients = (0..n)
            .map(|i| Client {
                server: i % servers,
                conn: None,
                state: State::Idle { retry_ms: 0 },
                session: 0,
                passwd: vec![0; 16],
                timeout_ms: i32::try_from(rng.range(400, 6000)).expect("small"),
                last_zxid: 0,
                outstanding: VecDeque::new(),
                next_xid: 1,
                depth: usize::try_from(rng.range(1, PIPELINE_MAX)).expect("small"),
                last_sent_ms: 0,
                last_heard_ms: 0,
            })
            .collect();
        Self {
            clients,
            servers,
            next_conn: 1,
            quiet: false,
            history: History::default(),
            violations: Vec::new(),
            read_timeouts: false,
        }
    }

    /// Number of clients.
    #[must_use]
    pub fn len(&self) -> usize {
        self.clients.len()
    }

    /// Whether there are no clients.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }

    /// Whether every client is connected with nothing but pings outstanding.
    #[must_use]
    pub fn settled(&self) -> bool {
        self.clients.iter().all(|c| {
            c.state == State::Connected && c.outstanding.iter().all(|(_, op)| op.is_none())
        })
    }

    /// One line per client that is not settled (for a liveness failure).
    #[must_use]
    pub fn unsettled(&self) -> String {
        let lines: Vec<String> = self
            .clients
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                c.state != State::Connected || c.outstanding.iter().any(|(_, o)| o.is_some())
            })
            .map(|(i, c)| {
                format!(
                    "client {i} {:?} on server {} conn {:?} session {:#x} outstanding {:?}",
                    c.state, c.server, c.conn, c.session, c.outstanding
                )
            })
            .collect();
        lines.join("; ")
    }

    /// The client's time to act: connect, send an operation, or ping.
    pub fn wake(&mut self, now_ms: u64, client: usize, rng: &mut Rng) -> Vec<ClientAction> {
        let c = &self.clients[client];
        if self.read_timeouts {
            let timeout = u64::try_from(c.timeout_ms).unwrap_or(0);
            // Since the last answer once connected; since the ConnectRequest before.
            let silent = match c.state {
                State::Connected => Some((c.last_heard_ms, timeout * 2 / 3)),
                State::Handshaking => Some((c.last_sent_ms, timeout / self.servers as u64)),
                State::Idle { .. } => None,
            };
            if silent.is_some_and(|(since, limit)| now_ms.saturating_sub(since) > limit) {
                return self.drop_conn(now_ms, client, rng);
            }
        }
        match c.state {
            State::Idle { retry_ms } if now_ms >= retry_ms => self.connect(now_ms, client),
            State::Connected => {
                let c = &self.clients[client];
                let busy = c.outstanding.len() >= c.depth;
                let idle_ms = now_ms.saturating_sub(c.last_sent_ms);
                let ping_due = idle_ms * 3 >= u64::try_from(c.timeout_ms).unwrap_or(1);
                if !busy && !self.quiet && rng.below(4) != 0 {
                    let req = next_request(rng);
                    self.send_op(now_ms, client, req)
                } else if ping_due && c.outstanding.is_empty() {
                    self.send(now_ms, client, Xid::PING.0, &Request::Ping, None)
                } else {
                    Vec::new()
                }
            }
            State::Idle { .. } | State::Handshaking => Vec::new(),
        }
    }

    fn connect(&mut self, now_ms: u64, client: usize) -> Vec<ClientAction> {
        let conn = ConnId(self.next_conn);
        self.next_conn += 1;
        let c = &mut self.clients[client];
        c.conn = Some(conn);
        c.state = State::Handshaking;
        c.last_sent_ms = now_ms;
        let req = ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: c.last_zxid,
            timeout_ms: c.timeout_ms,
            session_id: c.session,
            passwd: c.passwd.clone(),
            read_only: Some(false),
        };
        let mut buf = Vec::with_capacity(48);
        req.encode(&mut buf);
        vec![
            ClientAction::Open {
                server: c.server,
                conn,
            },
            ClientAction::Send {
                conn,
                frame: Bytes::from(buf),
            },
        ]
    }

    fn send_op(&mut self, now_ms: u64, client: usize, req: Request) -> Vec<ClientAction> {
        let c = &mut self.clients[client];
        let xid = c.next_xid;
        c.next_xid += 1;
        let busy: Vec<u64> = c
            .outstanding
            .iter()
            .filter_map(|(_, op)| op.map(|i| self.history.ops[i].process))
            .collect();
        let base = client as u64 * 8;
        let process = (base..).find(|p| !busy.contains(p)).expect("a free slot");
        let index = self.history.ops.len();
        self.history.ops.push(OpRecord {
            client,
            process,
            session: c.session,
            server: c.server,
            xid,
            request: req.clone(),
            invoke_ms: now_ms,
            complete_ms: None,
            outcome: Outcome::Pending,
            zxid: None,
        });
        self.send(now_ms, client, xid, &req, Some(index))
    }

    fn send(
        &mut self,
        now_ms: u64,
        client: usize,
        xid: i32,
        req: &Request,
        op: Option<usize>,
    ) -> Vec<ClientAction> {
        let c = &mut self.clients[client];
        let conn = c.conn.expect("connected");
        c.outstanding.push_back((xid, op));
        c.last_sent_ms = now_ms;
        let mut buf = Vec::with_capacity(64);
        encode_request(Xid(xid), req, &mut buf);
        vec![ClientAction::Send {
            conn,
            frame: Bytes::from(buf),
        }]
    }

    /// The transport dropped a client's connection on the client's side (a fault): it closes
    /// it and reconnects later.
    pub fn drop_conn(&mut self, now_ms: u64, client: usize, rng: &mut Rng) -> Vec<ClientAction> {
        let Some(conn) = self.clients[client].conn else {
            return Vec::new();
        };
        self.lost(now_ms, client, rng);
        vec![ClientAction::Close { conn }]
    }

    /// Decodes a frame payload that arrived for `client` on its current connection, for a
    /// transport that carries bytes (the madsim tests): the handshake answer while handshaking,
    /// else a notification (xid -1) or the reply to its oldest outstanding request.
    ///
    /// # Errors
    /// A payload that is not what the client expects.
    pub fn decode(&self, client: usize, payload: &[u8]) -> Result<ServerMsg, DecodeError> {
        let c = &self.clients[client];
        if c.state == State::Handshaking {
            return ConnectResponse::decode(payload).map(ServerMsg::Handshake);
        }
        if payload.get(..4) == Some(&Xid::NOTIFICATION.0.to_be_bytes()[..]) {
            let (header, event) = decode_notification(payload)?;
            return Ok(ServerMsg::Notify(header.zxid, event));
        }
        let op = match c.outstanding.front() {
            Some((_, Some(index))) => self.history.ops[*index].request.op(),
            _ => OpCode::Ping as i32,
        };
        let op = OpCode::from_code(op).ok_or(DecodeError::InvalidValue {
            field: "the opcode of the request replied to",
            offset: 0,
            value: i64::from(op),
        })?;
        let (header, body) = decode_reply(op, payload)?;
        Ok(ServerMsg::Reply(header, body))
    }

    /// Something arrived for `client` on `conn`.
    pub fn on_message(
        &mut self,
        now_ms: u64,
        client: usize,
        conn: ConnId,
        msg: ServerMsg,
        rng: &mut Rng,
    ) -> Vec<ClientAction> {
        if self.clients[client].conn != Some(conn) {
            return Vec::new(); // A connection the client already gave up.
        }
        match msg {
            ServerMsg::Handshake(resp) => self.on_handshake(now_ms, client, &resp),
            ServerMsg::Reply(header, body) => self.on_reply(now_ms, client, header, body),
            ServerMsg::Notify(zxid, event) => {
                let c = &self.clients[client];
                self.history.watches.push(WatchRecord {
                    client,
                    session: c.session,
                    time_ms: now_ms,
                    zxid,
                    conn: c.conn.map_or(0, |conn| conn.0),
                    event,
                });
            }
            ServerMsg::Closed => self.lost(now_ms, client, rng),
        }
        Vec::new()
    }

    fn on_handshake(&mut self, now_ms: u64, client: usize, resp: &ConnectResponse) {
        let c = &mut self.clients[client];
        if c.state != State::Handshaking {
            self.violations.push(format!(
                "client {client}: handshake answer while {:?}",
                c.state
            ));
            return;
        }
        if resp.timeout_ms <= 0 {
            // The session is gone; the server closes the connection next.
            let old = std::mem::take(&mut c.session);
            self.history
                .sessions
                .push((now_ms, client, SessionChange::Lost(old)));
            return;
        }
        let change = if c.session == 0 {
            SessionChange::Created(resp.session_id)
        } else if c.session == resp.session_id {
            SessionChange::Resumed(resp.session_id)
        } else {
            self.violations.push(format!(
                "client {client}: asked to resume {:#x}, got {:#x}",
                c.session, resp.session_id
            ));
            SessionChange::Created(resp.session_id)
        };
        c.session = resp.session_id;
        c.passwd.clone_from(&resp.passwd);
        c.state = State::Connected;
        // Pings follow the negotiated timeout, as real clients' do.
        c.timeout_ms = resp.timeout_ms;
        c.last_heard_ms = now_ms;
        self.history.sessions.push((now_ms, client, change));
    }

    fn on_reply(&mut self, now_ms: u64, client: usize, header: ReplyHeader, body: Response) {
        let c = &mut self.clients[client];
        c.last_heard_ms = now_ms;
        let Some((xid, op)) = c.outstanding.pop_front() else {
            self.violations.push(format!(
                "client {client}: reply {header:?} with nothing outstanding"
            ));
            return;
        };
        if header.xid != Xid(xid) {
            self.violations.push(format!(
                "client {client}: reply xid {} but {xid} was sent first",
                header.xid.0
            ));
        }
        if header.zxid < c.last_zxid {
            self.violations.push(format!(
                "client {client}: reply zxid {:#x} below last seen {:#x}",
                header.zxid, c.last_zxid
            ));
        }
        c.last_zxid = c.last_zxid.max(header.zxid);
        let Some(index) = op else { return };
        let record = &mut self.history.ops[index];
        record.complete_ms = Some(now_ms);
        record.zxid = Some(header.zxid);
        record.outcome = if header.err == 0 {
            Outcome::Ok(body)
        } else {
            Outcome::Fail(header.err)
        };
        if record.request == Request::CloseSession && header.err == 0 {
            let old = std::mem::take(&mut c.session);
            self.history
                .sessions
                .push((now_ms, client, SessionChange::Lost(old)));
        }
    }

    /// The connection is gone: outstanding operations end as `info`, and the client retries
    /// soon, on another server when there is one.
    fn lost(&mut self, now_ms: u64, client: usize, rng: &mut Rng) {
        let c = &mut self.clients[client];
        for (_, op) in c.outstanding.drain(..) {
            if let Some(i) = op {
                self.history.ops[i].outcome = Outcome::Info;
                self.history.ops[i].complete_ms = Some(now_ms);
            }
        }
        c.conn = None;
        c.state = State::Idle {
            retry_ms: now_ms + rng.range(5, 300),
        };
        if self.servers > 1 {
            c.server = (c.server + 1 + rng.below(self.servers - 1)) % self.servers;
        }
    }
}

fn data(rng: &mut Rng) -> Option<Bytes> {
    Some(Bytes::from(format!("v{}", rng.range(0, 999))))
}

fn create(rng: &mut Rng) -> CreateRequest {
    CreateRequest {
        path: (*rng.pick(&PATHS)).to_owned(),
        data: data(rng),
        acl: vec![Acl::open_unsafe()],
        flags: *rng.pick(&[0, 0, 0, 1, 1, 2, 3]),
    }
}

/// A random request on the shared paths.
fn next_request(rng: &mut Rng) -> Request {
    let path = |rng: &mut Rng| (*rng.pick(&PATHS)).to_owned();
    let version = |rng: &mut Rng| *rng.pick(&[-1, -1, 0, 1, 2]);
    let watch = |rng: &mut Rng| rng.coin();
    match rng.below(40) {
        0..=7 => Request::Create {
            op: OpCode::Create2,
            req: create(rng),
            ttl: None,
        },
        8..=13 => Request::SetData {
            path: path(rng),
            data: data(rng),
            version: version(rng),
        },
        14..=19 => Request::GetData {
            path: path(rng),
            watch: watch(rng),
        },
        20..=22 => Request::Exists {
            path: path(rng),
            watch: watch(rng),
        },
        23..=25 => Request::GetChildren2 {
            path: (*rng.pick(&PARENTS)).to_owned(),
            watch: watch(rng),
        },
        26..=30 => Request::Delete {
            path: path(rng),
            version: version(rng),
        },
        31..=34 => Request::Multi(vec![
            MultiOp::Check {
                path: path(rng),
                version: version(rng),
            },
            MultiOp::SetData {
                path: path(rng),
                data: data(rng),
                version: -1,
            },
        ]),
        35..=37 => Request::Sync { path: path(rng) },
        38 if rng.below(4) == 0 => Request::CloseSession,
        _ => Request::GetChildren {
            path: (*rng.pick(&PARENTS)).to_owned(),
            watch: watch(rng),
        },
    }
}
