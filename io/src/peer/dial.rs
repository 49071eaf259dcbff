//! Outgoing connections: the election dialer that a higher id keeps running towards each lower
//! id, and the one-shot dial of a quorum link that `send` started.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use zoorepl_core::ids::ServerId;

use super::link::{Link, Queue};
use super::table::Registered;
use super::wire::{Hello, LinkError, LinkKind};
use super::Shared;

/// First pause between election dial attempts; doubles up to `connect_backoff_max`.
pub(super) const BACKOFF_MIN: Duration = Duration::from_millis(50);

/// Connects to `peer`'s port of `kind` within the connect timeout.
async fn connect(shared: &Shared, peer: ServerId, kind: LinkKind) -> Result<TcpStream, LinkError> {
    let Some(spec) = shared.cfg.peers.get(&peer) else {
        return Err(LinkError::Protocol(format!(
            "server {} is not a member",
            peer.0
        )));
    };
    let port = match kind {
        LinkKind::Election => spec.election_port,
        LinkKind::Quorum => spec.quorum_port,
    };
    let connecting = TcpStream::connect((spec.host.as_str(), port));
    match tokio::time::timeout(shared.cfg.connect_timeout, connecting).await {
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(e)) => Err(LinkError::Io(e)),
        Err(_) => Err(LinkError::Io(std::io::ErrorKind::TimedOut.into())),
    }
}

/// Dials the quorum link that `send` registered for `peer` and runs it. One attempt: a failed
/// connect is a broken link (reported like any other).
pub(super) async fn quorum(shared: Arc<Shared>, peer: ServerId, reg: Registered, queue: Queue) {
    let hello = Hello {
        kind: LinkKind::Quorum,
        from: shared.cfg.my_id,
    }
    .encode();
    let mut link = Link::new(Arc::clone(&shared), peer, LinkKind::Quorum, reg);
    let connected = tokio::select! {
        biased;
        () = link.stopped() => Err(LinkError::Stopped),
        stream = connect(&shared, peer, LinkKind::Quorum) => stream,
    };
    match connected {
        Ok(stream) => link.run_dialed(stream, hello, queue).await,
        Err(why) => link.finish(&why).await,
    }
}

/// Keeps one election connection to a lower-id `peer`: dials with backoff until connected,
/// runs the link, and dials again when it ends (forever, until the transport shuts down).
pub(super) async fn election(shared: Arc<Shared>, peer: ServerId) {
    debug_assert!(
        peer < shared.cfg.my_id,
        "only the higher id dials an election link"
    );
    let backoff_max = shared.cfg.connect_backoff_max.max(BACKOFF_MIN);
    let mut backoff = BACKOFF_MIN;
    let hello = Hello {
        kind: LinkKind::Election,
        from: shared.cfg.my_id,
    }
    .encode();
    loop {
        match connect(&shared, peer, LinkKind::Election).await {
            Ok(stream) => {
                let started = tokio::time::Instant::now();
                let (reg, queue) = shared.links.election.register(peer, shared.cfg.queue_max);
                let link = Link::new(Arc::clone(&shared), peer, LinkKind::Election, reg);
                link.run_dialed(stream, hello.clone(), queue).await;
                if started.elapsed() >= backoff_max {
                    // A link that lived a while ended: dial again at once. One that ended
                    // quickly (the peer refuses us?) is retried with growing pauses.
                    backoff = BACKOFF_MIN;
                    continue;
                }
            }
            Err(why) => {
                tracing::debug!(peer = peer.0, "election dial failed: {why}");
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(backoff_max);
    }
}
