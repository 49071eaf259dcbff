//! One established connection to a peer: a reader (this task) that delivers what arrives and
//! reports the end, and a writer task that drains the link's queue.
//!
//! The link ends on the first of: the table dropping it (replaced, queue overflow, shutdown),
//! the writer failing, or a read error, end of stream or bad frame. It then leaves the table
//! (so the next `send` dials anew) before reporting `Disconnected`.

use std::sync::Arc;

use crate::net::{ReadHalf, WriteHalf};
use bytes::Bytes;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use zoorepl_core::ids::ServerId;
use zoorepl_core::node::{PeerMsg, SnapshotImage};

#[cfg(not(madsim))]
use super::snap::CHUNKS_IN_FLIGHT;
use super::snap::{self, Assembler};
use super::table::Registered;
use super::tasks::AbortOnDrop;
use super::wire::{encode_frame, read_frame, LinkError, LinkKind, SnapshotMsg, Wire};
use super::{PeerEvent, Shared};

/// Bytes gathered before a write: a burst of small messages becomes one write.
const BATCH_BYTES_MAX: usize = 256 * 1024;

/// Bytes a `SnapChunk` frame adds to its chunk (variant tag and varint length); chunks are
/// cut this much below `max_frame_len`, so that only a single node larger than that (far
/// beyond ZooKeeper's 1 MiB data limit) cannot be sent.
const CHUNK_OVERHEAD_MAX: usize = 16;

/// Sizes the writer needs.
#[derive(Clone, Copy, Debug)]
struct Limits {
    max_frame_len: usize,
    snapshot_chunk_len: usize,
}

/// The receiving end of a link's queue.
pub(super) type Queue = mpsc::Receiver<PeerMsg>;

/// A connection past its hello.
pub(super) struct Conn {
    /// The read half (buffered: it may already hold bytes after the hello).
    pub(super) read: BufReader<ReadHalf>,
    /// The write half.
    pub(super) write: WriteHalf,
    /// Our hello, when this side dialed: written before anything else.
    pub(super) hello: Option<Bytes>,
}

/// A registered link and what it reports to.
pub(super) struct Link {
    shared: Arc<Shared>,
    peer: ServerId,
    kind: LinkKind,
    reg: Registered,
}

impl Link {
    /// Wraps a registration of `peer` in the table of `kind`.
    pub(super) const fn new(
        shared: Arc<Shared>,
        peer: ServerId,
        kind: LinkKind,
        reg: Registered,
    ) -> Self {
        Self {
            shared,
            peer,
            kind,
            reg,
        }
    }

    /// Waits until the table drops this link (used while dialing).
    pub(super) async fn stopped(&mut self) {
        let _ = (&mut self.reg.stop).await;
    }

    /// Runs a fresh connection that this side dialed (`hello` is written first) to its end.
    pub(super) async fn run_dialed(self, stream: TcpStream, hello: Bytes, queue: Queue) {
        let _ = stream.set_nodelay(true);
        let (read, write) = crate::net::split(stream);
        let conn = Conn {
            read: BufReader::new(read),
            write,
            hello: Some(hello),
        };
        self.run(conn, queue).await;
    }

    /// Runs a connection to its end, then leaves the table and reports.
    pub(super) async fn run(mut self, conn: Conn, queue: Queue) {
        tracing::info!(peer = self.peer.0, kind = ?self.kind, "peer link up");
        let why = self.serve(conn, queue).await;
        self.finish(&why).await;
    }

    async fn serve(&mut self, conn: Conn, queue: Queue) -> LinkError {
        let Conn {
            mut read,
            write,
            hello,
        } = conn;
        let cfg = &self.shared.cfg;
        let limits = Limits {
            max_frame_len: cfg.max_frame_len,
            snapshot_chunk_len: cfg.snapshot_chunk_len,
        };
        let (max_frame_len, max_snapshot_len) = (cfg.max_frame_len, cfg.max_snapshot_len);
        let mut writer = AbortOnDrop::spawn(write_loop(write, hello, queue, limits));
        let mut assembler = Assembler::default();
        loop {
            let frame = tokio::select! {
                biased;
                _ = &mut self.reg.stop => return LinkError::Stopped,
                end = &mut writer.0 => return end.unwrap_or(LinkError::Stopped),
                frame = read_frame(&mut read, max_frame_len) => frame,
            };
            let wire = match frame.and_then(|wire| self.check_kind(wire)) {
                Ok(wire) => wire,
                Err(e) => return e,
            };
            let msg = match assembler.accept(wire, max_snapshot_len).await {
                Ok(Some(msg)) => msg,
                Ok(None) => continue,
                Err(e) => return e,
            };
            if !self
                .deliver(PeerEvent::Message {
                    from: self.peer,
                    msg,
                })
                .await
            {
                return LinkError::Stopped;
            }
        }
    }

    /// Election connections carry only votes, quorum connections everything else.
    fn check_kind(&self, wire: Wire) -> Result<Wire, LinkError> {
        let is_vote = matches!(wire, Wire::Msg(PeerMsg::Election(_)));
        match (self.kind, is_vote) {
            (LinkKind::Election, true) | (LinkKind::Quorum, false) => Ok(wire),
            (kind, _) => Err(LinkError::Protocol(format!(
                "a frame of the other kind on a {kind:?} connection"
            ))),
        }
    }

    /// Hands an event to the node task, after the previous link's end for quorum links.
    /// False when nobody listens any more.
    async fn deliver(&mut self, event: PeerEvent) -> bool {
        if let Some(previous) = self.reg.predecessor.take() {
            let _ = previous.await;
        }
        self.shared.events.send(event).await
    }

    /// Leaves the table, logs why the link ended, and reports a quorum link's end.
    pub(super) async fn finish(mut self, why: &LinkError) {
        let generation = self.reg.generation;
        self.shared
            .links
            .table(self.kind)
            .remove(self.peer, generation);
        if why.is_bad_input() {
            tracing::warn!(peer = self.peer.0, kind = ?self.kind, "peer link closed: {why}");
        } else {
            tracing::info!(peer = self.peer.0, kind = ?self.kind, "peer link down: {why}");
        }
        if self.kind == LinkKind::Quorum {
            let peer = self.peer;
            self.deliver(PeerEvent::Disconnected { peer }).await;
        }
        // Only now may the next link of this peer deliver.
        drop(self.reg.reported);
    }
}

/// Writes the queue until it closes or a write fails; returns why it stopped.
async fn write_loop(
    mut write: WriteHalf,
    hello: Option<Bytes>,
    mut queue: Queue,
    limits: Limits,
) -> LinkError {
    let mut out = Vec::with_capacity(BATCH_BYTES_MAX);
    if let Some(hello) = hello {
        out.extend_from_slice(&hello);
    }
    loop {
        if let Err(e) = flush(&mut write, &mut out).await {
            return e;
        }
        let Some(first) = queue.recv().await else {
            return LinkError::Stopped;
        };
        let mut next = Some(first);
        while let Some(msg) = next {
            let written = match Wire::from_msg(msg) {
                Ok(wire) => encode_frame(&wire, &mut out, limits.max_frame_len),
                Err(snapshot) => write_snapshot(&mut write, &mut out, snapshot, limits).await,
            };
            if let Err(e) = written {
                return e;
            }
            if out.len() >= BATCH_BYTES_MAX {
                break;
            }
            next = queue.try_recv().ok();
        }
    }
}

/// Writes and flushes everything gathered in `out`.
async fn flush(write: &mut WriteHalf, out: &mut Vec<u8>) -> Result<(), LinkError> {
    if out.is_empty() {
        return Ok(());
    }
    write.write_all(out).await?;
    write.flush().await?;
    out.clear();
    Ok(())
}

/// Writes a snapshot as `SnapBegin`, its chunks and `SnapEnd`, after the messages gathered
/// before it (written first, so the walk does not delay them). The chunks come from a walk of
/// the tree on a blocking thread, at most [`CHUNKS_IN_FLIGHT`] ahead of the socket; nothing
/// else of this link is written until the snapshot is.
async fn write_snapshot(
    write: &mut WriteHalf,
    out: &mut Vec<u8>,
    snapshot: SnapshotMsg,
    limits: Limits,
) -> Result<(), LinkError> {
    flush(write, out).await?;
    let SnapshotMsg { epoch, zxid, image } = snapshot;
    let SnapshotImage { tree, sessions } = *image;
    let (digest, last_applied) = (tree.digest(), tree.last_applied());
    let begin = Wire::SnapBegin {
        epoch,
        zxid,
        last_applied,
    };
    encode_frame(&begin, out, limits.max_frame_len)?;
    let chunk_len = limits
        .snapshot_chunk_len
        .min(limits.max_frame_len.saturating_sub(CHUNK_OVERHEAD_MAX));
    // Should this future be dropped (the link ended), `chunks` goes with it and the walk
    // stops at its next chunk.
    #[cfg(not(madsim))]
    let (walk, mut chunks) = {
        let (chunks_tx, chunks) = mpsc::channel(CHUNKS_IN_FLIGHT);
        let walk = tokio::task::spawn_blocking(move || snap::produce(&tree, chunk_len, &chunks_tx));
        (walk, chunks)
    };
    // madsim has no blocking threads: the walk runs to the end first, with room for every chunk
    // (the simulations' trees are small).
    #[cfg(madsim)]
    let (walk, mut chunks) = {
        let (chunks_tx, chunks) = mpsc::channel(usize::MAX >> 4);
        let produced = snap::produce(&tree, chunk_len, &chunks_tx);
        (std::future::ready(Ok::<_, ()>(produced)), chunks)
    };
    while let Some(chunk) = chunks.recv().await {
        encode_frame(&Wire::SnapChunk(chunk), out, limits.max_frame_len)?;
        if out.len() >= BATCH_BYTES_MAX {
            flush(write, out).await?;
        }
    }
    let produced = walk.await.ok().flatten().ok_or(LinkError::Stopped)?;
    let end = Wire::SnapEnd {
        digest,
        sessions,
        chunks: produced.chunks,
        crc32c: produced.crc32c,
    };
    encode_frame(&end, out, limits.max_frame_len)
}
