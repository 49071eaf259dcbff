//! The glue between the workload's clients and the servers' connections: client actions
//! become timed `ToServer` events over FIFO connection links, and what servers send back
//! becomes `ToClient` events.

use zoorepl_core::ids::ConnId;
use zoorepl_core::input::Input;

use super::{Cluster, Event, ToServer};
use crate::network::Endpoint;
use crate::trace::Target;
use crate::workload::{ClientAction, ServerMsg};

impl Cluster {
    pub(crate) fn apply_client_actions(&mut self, client: usize, actions: Vec<ClientAction>) {
        for action in actions {
            let (conn, what, server) = match action {
                ClientAction::Open { server, conn } => {
                    self.conns.insert(conn, (client, server));
                    (conn, ToServer::Open, server)
                }
                ClientAction::Send { conn, frame } => {
                    let Some(&(_, server)) = self.conns.get(&conn) else {
                        continue;
                    };
                    (conn, ToServer::Frame(frame), server)
                }
                ClientAction::Close { conn } => {
                    let Some((_, server)) = self.conns.remove(&conn) else {
                        continue;
                    };
                    (conn, ToServer::Closed, server)
                }
            };
            let at = self.net.send_conn(
                self.now,
                Endpoint::Conn(conn.0),
                Endpoint::Server(server),
                &mut self.rng_net,
            );
            self.queue.push(at, Event::ToServer { server, conn, what });
        }
    }

    pub(crate) fn on_to_server(&mut self, s: usize, conn: ConnId, what: ToServer) {
        match what {
            ToServer::Open => {
                let Some(&(client, _)) = self.conns.get(&conn) else {
                    return;
                };
                if !self.servers[s].up() {
                    // Connection refused: nobody listens.
                    let at = self.net.send_conn(
                        self.now,
                        Endpoint::Server(s),
                        Endpoint::Conn(conn.0),
                        &mut self.rng_net,
                    );
                    self.queue.push(
                        at,
                        Event::ToClient {
                            client,
                            conn,
                            msg: ServerMsg::Closed,
                        },
                    );
                    return;
                }
                self.servers[s].conns.insert(conn, client);
                let peer_ip = Some(format!("10.0.1.{}", client % 250 + 1));
                self.step(s, Input::ConnOpened { conn, peer_ip });
            }
            ToServer::Frame(frame) => {
                if self.servers[s].conns.contains_key(&conn) {
                    self.note_heard(s, conn);
                    self.step(s, Input::Client { conn, frame });
                }
            }
            ToServer::Closed => {
                if self.servers[s].conns.remove(&conn).is_some() {
                    self.step(s, Input::ConnClosed { conn });
                }
            }
        }
    }

    pub(crate) fn on_to_client(&mut self, client: usize, conn: ConnId, msg: ServerMsg) {
        let (kind, summary) = match &msg {
            ServerMsg::Handshake(r) => (51, r.session_id as u64),
            ServerMsg::Reply(h, _) => (52, u64::from(h.xid.0 as u32) << 32 ^ h.zxid as u64),
            ServerMsg::Notify(z, _) => (53, *z as u64),
            ServerMsg::Closed => (54, conn.0),
        };
        self.trace
            .event(self.now, Target::Client(client), kind, summary, || {
                let mut t = format!("conn {} {msg:?}", conn.0);
                t.truncate(200);
                t
            });
        if msg == ServerMsg::Closed {
            if let Some((_, server)) = self.conns.remove(&conn) {
                self.net.forget_conn(conn.0, server);
            }
        }
        let actions = self
            .workload
            .on_message(self.now, client, conn, msg, &mut self.rng_clients);
        for v in std::mem::take(&mut self.workload.violations) {
            self.violate(crate::checker::Violation::new("client-promises", v));
        }
        self.apply_client_actions(client, actions);
    }

    pub(crate) fn on_client_wake(&mut self, client: usize) {
        let actions = self.workload.wake(self.now, client, &mut self.rng_clients);
        if !actions.is_empty() {
            self.trace.event(
                self.now,
                Target::Client(client),
                55,
                actions.len() as u64,
                || {
                    let mut t = format!("{actions:?}");
                    t.truncate(200);
                    t
                },
            );
        }
        self.apply_client_actions(client, actions);
        self.queue.push(
            self.now + self.think_ms[client],
            Event::ClientWake { client },
        );
    }
}
