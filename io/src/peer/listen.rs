//! Incoming connections: one accept loop per port, and a task per connection that checks the
//! dialer's hello before the connection becomes the peer's current link of that kind.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::BufReader;
use tokio::net::{TcpListener, TcpStream};

use super::link::{Conn, Link};
use super::wire::{Hello, LinkError, LinkKind};
use super::{Shared, TransportConfig};

/// Pause after a failed accept (out of file descriptors, say), so the loop does not spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// Most connections of one port waiting for their hello; more are closed at once. An ensemble
/// needs a few per peer; this bounds what a flood of silent connections can hold (each waits
/// out the handshake timeout).
pub const PENDING_HELLOS_MAX: usize = 64;

/// Accepts connections on the port of `kind` until the transport shuts down.
pub(super) async fn accept_loop(shared: Arc<Shared>, listener: TcpListener, kind: LinkKind) {
    let pending = Arc::new(AtomicUsize::new(0));
    loop {
        match listener.accept().await {
            Ok((stream, addr)) => {
                if pending.load(Ordering::Relaxed) >= PENDING_HELLOS_MAX {
                    tracing::warn!(%addr, kind = ?kind, "peer connection refused: too many awaiting their hello");
                    continue;
                }
                pending.fetch_add(1, Ordering::Relaxed);
                let slot = HelloSlot(Arc::clone(&pending));
                let task = accepted(Arc::clone(&shared), stream, addr, kind, slot);
                shared.tasks.spawn(task);
            }
            Err(e) => {
                tracing::warn!(kind = ?kind, "peer accept failed: {e}");
                tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
            }
        }
    }
}

/// A connection's place among those awaiting their hello, given back when dropped.
struct HelloSlot(Arc<AtomicUsize>);

impl Drop for HelloSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Reads the hello of a new connection and, when it is acceptable, runs it as a link.
async fn accepted(
    shared: Arc<Shared>,
    stream: TcpStream,
    addr: SocketAddr,
    kind: LinkKind,
    slot: HelloSlot,
) {
    let _ = stream.set_nodelay(true);
    let (read, write) = crate::net::split(stream);
    let mut read = BufReader::new(read);
    let hello =
        match tokio::time::timeout(shared.cfg.handshake_timeout, Hello::read(&mut read)).await {
            Ok(Ok(hello)) => hello,
            Ok(Err(LinkError::Closed)) => {
                tracing::debug!(%addr, "peer connection closed before its hello");
                return;
            }
            Ok(Err(why)) => {
                tracing::warn!(%addr, "peer connection refused: {why}");
                return;
            }
            Err(_) => {
                tracing::warn!(%addr, "peer connection refused: no hello in time");
                return;
            }
        };
    drop(slot);
    if let Err(why) = check_hello(&shared.cfg, hello, kind) {
        tracing::warn!(%addr, "peer connection refused: {why}");
        return;
    }
    let peer = hello.from;
    let (reg, queue) = shared
        .links
        .table(kind)
        .register(peer, shared.cfg.queue_max);
    let conn = Conn {
        read,
        write,
        hello: None,
    };
    Link::new(shared, peer, kind, reg).run(conn, queue).await;
}

/// Whether `hello` may open a connection of the port's `kind` here.
fn check_hello(cfg: &TransportConfig, hello: Hello, kind: LinkKind) -> Result<(), LinkError> {
    let from = hello.from;
    let refuse = |why: String| Err(LinkError::BadHello(why));
    if hello.kind != kind {
        return refuse(format!("a {:?} hello on the {kind:?} port", hello.kind));
    }
    if from == cfg.my_id {
        return refuse(format!("server {} is this server", from.0));
    }
    if !cfg.peers.contains_key(&from) {
        return refuse(format!("server {} is not a member", from.0));
    }
    if kind == LinkKind::Election && from < cfg.my_id {
        return refuse(format!(
            "server {} dials an election connection to the higher id {}",
            from.0, cfg.my_id.0
        ));
    }
    Ok(())
}
