//! Scripted clients: one connection each, speaking real request frames.

use bytes::Bytes;
use zoorepl_core::ids::{ConnId, Xid};
use zoorepl_core::input::Input;
use zoorepl_core::output::Output;
use zoorepl_core::proto::{
    encode_request, Acl, ConnectRequest, CreateRequest, OpCode, Request, Response,
};

use super::Cluster;

/// A reply: the zxid in its header, its error code (0 for success) and its body.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    /// The header's zxid.
    pub zxid: i64,
    /// The error code; 0 on success.
    pub err: i32,
    /// The body (empty on error).
    pub body: Response,
}

/// A client's connection.
#[derive(Clone, Debug, Default)]
pub struct Client {
    /// The server it is connected to.
    pub server: u64,
    conn: u64,
    /// Session id and password once the handshake succeeded.
    pub session: Option<(i64, Vec<u8>)>,
    replies: Vec<(Xid, Reply)>,
    /// Whether the server closed the connection (or crashed).
    pub closed: bool,
    next_xid: i32,
}

/// A handle on one client.
pub struct ClientRef<'a> {
    c: &'a mut Cluster,
    id: u64,
}

impl Cluster {
    /// Connects client `id` to `server` with a new session and runs until the handshake is
    /// answered.
    ///
    /// # Panics
    /// When the server does not create the session within a second.
    pub fn connect(&mut self, id: u64, server: u64) {
        self.next_conn += 1;
        let conn = self.next_conn;
        let client = Client {
            server,
            conn,
            next_xid: 1,
            ..Client::default()
        };
        self.clients.insert(id, client);
        let opened = Input::ConnOpened {
            conn: ConnId(conn),
            peer_ip: None,
        };
        self.input(server, opened);
        let req = ConnectRequest {
            timeout_ms: 10_000,
            session_id: 0,
            passwd: vec![0; 16],
            read_only: Some(false),
            ..Default::default()
        };
        let mut buf = Vec::new();
        req.encode(&mut buf);
        let frame = Input::Client {
            conn: ConnId(conn),
            frame: Bytes::from(buf),
        };
        self.input(server, frame);
        let ok = self.try_run_until(1_000, |c| c.clients[&id].session.is_some());
        assert!(ok, "client {id} got no session from server {server}");
    }

    /// A handle on client `id`.
    ///
    /// # Panics
    /// When it never connected.
    pub fn client(&mut self, id: u64) -> ClientRef<'_> {
        assert!(
            self.clients.contains_key(&id),
            "client {id} never connected"
        );
        ClientRef { c: self, id }
    }

    /// The reply to `xid` on client `id`, once it came.
    #[must_use]
    pub fn client_reply(&self, id: u64, xid: i32) -> Option<Reply> {
        self.clients[&id].reply(xid)
    }

    /// Reads `path` through client `id`, waiting up to a second: its data, or `None` when it
    /// does not exist.
    ///
    /// # Panics
    /// When the read fails otherwise or is not answered.
    pub fn read(&mut self, id: u64, path: &str) -> Option<String> {
        let xid = self.client(id).get(path);
        let ok = self.try_run_until(1_000, |c| c.clients[&id].reply(xid).is_some());
        assert!(ok, "client {id}: no answer to get {path}");
        let reply = self.clients[&id].reply(xid).expect("answered");
        match (reply.err, reply.body) {
            (0, Response::GetData { data, .. }) => {
                Some(String::from_utf8(data.unwrap_or_default().to_vec()).expect("utf-8"))
            }
            (-101, _) => None,
            (err, _) => panic!("client {id}: get {path} failed with {err}"),
        }
    }

    /// Routes a client-facing output to its client.
    pub(super) fn client_output(&mut self, out: Output) {
        match out {
            Output::Handshake { conn, response } => {
                if let Some(c) = find_conn(&mut self.clients, conn) {
                    if response.session_id != 0 {
                        c.session = Some((response.session_id, response.passwd.clone()));
                    }
                }
            }
            Output::Reply { conn, header, body } => {
                if let Some(c) = find_conn(&mut self.clients, conn) {
                    let reply = Reply {
                        zxid: header.zxid,
                        err: header.err,
                        body,
                    };
                    c.replies.push((header.xid, reply));
                }
            }
            Output::CloseConn { conn, .. } => {
                if let Some(c) = find_conn(&mut self.clients, conn) {
                    c.closed = true;
                }
            }
            _ => {}
        }
    }
}

fn find_conn(
    clients: &mut std::collections::BTreeMap<u64, Client>,
    conn: ConnId,
) -> Option<&mut Client> {
    clients.values_mut().find(|c| c.conn == conn.0)
}

impl Client {
    /// The reply to `xid`, once it came.
    #[must_use]
    pub fn reply(&self, xid: i32) -> Option<Reply> {
        self.replies
            .iter()
            .find(|(x, _)| *x == Xid(xid))
            .map(|(_, r)| r.clone())
    }
}

impl ClientRef<'_> {
    /// Sends a request; returns its xid.
    ///
    /// # Panics
    /// When the connection is closed.
    pub fn send(self, req: &Request) -> i32 {
        let client = self.c.clients.get_mut(&self.id).expect("client");
        assert!(!client.closed, "client {} is disconnected", self.id);
        let xid = client.next_xid;
        client.next_xid += 1;
        let (server, conn) = (client.server, client.conn);
        let mut buf = Vec::new();
        encode_request(Xid(xid), req, &mut buf);
        let frame = Input::Client {
            conn: ConnId(conn),
            frame: Bytes::from(buf),
        };
        self.c.input(server, frame);
        xid
    }

    /// Sends a create of a persistent znode with open ACLs; returns its xid.
    pub fn create(self, path: &str, data: &str) -> i32 {
        self.send(&Request::Create {
            op: OpCode::Create,
            req: CreateRequest {
                path: path.into(),
                data: Some(Bytes::from(data.to_owned())),
                acl: vec![Acl::open_unsafe()],
                flags: 0,
            },
            ttl: None,
        })
    }

    /// Sends a getData; returns its xid.
    pub fn get(self, path: &str) -> i32 {
        self.send(&Request::GetData {
            path: path.into(),
            watch: false,
        })
    }

    /// The reply to `xid`, once it came.
    #[must_use]
    pub fn reply(&self, xid: i32) -> Option<Reply> {
        self.c.clients[&self.id].reply(xid)
    }

    /// Whether the server closed the connection.
    #[must_use]
    pub fn closed(&self) -> bool {
        self.c.clients[&self.id].closed
    }
}
