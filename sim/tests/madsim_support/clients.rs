//! The simulator's clients over simulated TCP: one driver task owns the `Workload` and wakes
//! each client on its think time; each connection is a task that writes the frames it is given
//! (with their length prefix) and hands every frame read back to the driver.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use zoorepl_core::ids::ConnId;
use zoorepl_sim::rand::Rng;
use zoorepl_sim::workload::{ClientAction, ServerMsg, Workload};

use super::server::{server_ip, CLIENT_PORT};

/// What a connection task tells the driver: a frame payload, or that the connection ended.
type FromConn = (ConnId, Option<Bytes>);

/// The clients' state, shared with the test (which reads the history at the end).
pub(crate) struct Clients {
    pub(crate) workload: Workload,
    rng: Rng,
    think_ms: Vec<u64>,
    /// Open connections: the client and the sender of its frames.
    conns: BTreeMap<ConnId, (usize, mpsc::UnboundedSender<Bytes>)>,
    /// Frames that decode as nothing the client expects.
    pub(crate) undecodable: Vec<String>,
}

impl Clients {
    pub(crate) fn new(n: usize, rng: &mut Rng) -> Self {
        let mut rng = rng.fork();
        let mut workload = Workload::new(n, super::SERVERS, &mut rng);
        workload.read_timeouts = true;
        let think_ms = (0..n).map(|_| rng.range(2, 60)).collect();
        Self {
            workload,
            rng,
            think_ms,
            conns: BTreeMap::new(),
            undecodable: Vec::new(),
        }
    }
}

/// Milliseconds since the test began, on the simulated clock.
pub(crate) fn now_ms(start: tokio::time::Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).expect("fits")
}

/// Drives the clients until the test ends (the task is dropped with the runtime).
pub(crate) async fn drive(shared: Arc<Mutex<Clients>>, start: tokio::time::Instant) {
    let (to_driver, mut from_conns) = mpsc::unbounded_channel::<FromConn>();
    let n = shared.lock().expect("not poisoned").think_ms.len();
    let mut next_wake: Vec<u64> = (0..n as u64).collect();
    loop {
        let now = now_ms(start);
        let due = next_wake.iter().copied().min().expect("clients exist");
        let wait = Duration::from_millis(due.saturating_sub(now));
        tokio::select! {
            biased;
            got = from_conns.recv() => {
                let (conn, frame) = got.expect("the driver holds a sender");
                let mut clients = shared.lock().expect("not poisoned");
                clients.on_conn(now_ms(start), conn, frame, &to_driver);
            }
            () = tokio::time::sleep(wait) => {
                let now = now_ms(start);
                let mut clients = shared.lock().expect("not poisoned");
                for (c, wake) in next_wake.iter_mut().enumerate() {
                    if *wake <= now {
                        let actions = {
                            let Clients { workload, rng, .. } = &mut *clients;
                            workload.wake(now, c, rng)
                        };
                        clients.apply(c, actions, &to_driver);
                        *wake = now + clients.think_ms[c];
                    }
                }
            }
        }
    }
}

impl Clients {
    fn on_conn(
        &mut self,
        now: u64,
        conn: ConnId,
        frame: Option<Bytes>,
        to_driver: &mpsc::UnboundedSender<FromConn>,
    ) {
        let Some(&(client, _)) = self.conns.get(&conn) else {
            return; // The client closed it already.
        };
        let msg = match frame {
            None => {
                self.conns.remove(&conn);
                ServerMsg::Closed
            }
            Some(payload) => match self.workload.decode(client, &payload) {
                Ok(msg) => msg,
                Err(e) => {
                    self.undecodable
                        .push(format!("client {client} {conn:?}: {e}"));
                    return;
                }
            },
        };
        let actions = self
            .workload
            .on_message(now, client, conn, msg, &mut self.rng);
        self.apply(client, actions, to_driver);
    }

    fn apply(
        &mut self,
        client: usize,
        actions: Vec<ClientAction>,
        to_driver: &mpsc::UnboundedSender<FromConn>,
    ) {
        for action in actions {
            match action {
                ClientAction::Open { server, conn } => {
                    let (tx, rx) = mpsc::unbounded_channel();
                    self.conns.insert(conn, (client, tx));
                    let addr = SocketAddr::new(server_ip(server), CLIENT_PORT);
                    tokio::spawn(connection(conn, addr, rx, to_driver.clone()));
                }
                ClientAction::Send { conn, frame } => {
                    if let Some((_, tx)) = self.conns.get(&conn) {
                        let mut framed = Vec::with_capacity(4 + frame.len());
                        let len = u32::try_from(frame.len()).expect("small frames");
                        framed.extend_from_slice(&len.to_be_bytes());
                        framed.extend_from_slice(&frame);
                        let _ = tx.send(Bytes::from(framed));
                    }
                }
                ClientAction::Close { conn } => {
                    self.conns.remove(&conn);
                }
            }
        }
    }
}

/// One client connection: connects, then writes what it is given until the client drops its
/// sender, while a reader task forwards every frame; either side's end ends both.
async fn connection(
    conn: ConnId,
    addr: SocketAddr,
    mut frames: mpsc::UnboundedReceiver<Bytes>,
    to_driver: mpsc::UnboundedSender<FromConn>,
) {
    let connected = tokio::time::timeout(Duration::from_secs(1), TcpStream::connect(addr)).await;
    let Ok(Ok(stream)) = connected else {
        let _ = to_driver.send((conn, None));
        return;
    };
    let (mut read, mut write) = tokio::io::split(stream);
    let reader_tx = to_driver.clone();
    let reader = tokio::spawn(async move {
        loop {
            let mut len = [0u8; 4];
            if read.read_exact(&mut len).await.is_err() {
                break;
            }
            let mut payload = vec![0u8; u32::from_be_bytes(len) as usize];
            if read.read_exact(&mut payload).await.is_err() {
                break;
            }
            if reader_tx.send((conn, Some(Bytes::from(payload)))).is_err() {
                return;
            }
        }
        let _ = reader_tx.send((conn, None));
    });
    while let Some(frame) = frames.recv().await {
        if write.write_all(&frame).await.is_err() || write.flush().await.is_err() {
            break;
        }
    }
    // The client closed it (or the socket broke: the reader reports that).
    reader.abort();
    let _ = write.shutdown().await;
}
