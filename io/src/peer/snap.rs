//! A SNAP image on the wire, streamed: `SnapBegin` (epoch, zxid, the tree's last applied zxid),
//! one `SnapChunk` frame per chunk of `DataTree::snapshot_chunks`, then `SnapEnd` (the tree's
//! digest, the live sessions, the chunk count and the CRC32C of all chunk bytes).
//!
//! Neither end holds the encoded image. The sender walks its (structurally shared) copy of the
//! tree on a blocking thread and hands each chunk to the link's writer through a channel of
//! [`CHUNKS_IN_FLIGHT`]; the walk waits when the socket does. The receiver inserts each chunk's
//! nodes into a `TreeBuilder` as the chunk arrives (on a blocking thread, so a large chunk does
//! not stall the runtime) and drops its bytes; on `SnapEnd` it checks the count, the checksum
//! and the digest and delivers one `PeerMsg::Snapshot`. Any bad piece ends the connection.

use bytes::Bytes;
use tokio::sync::mpsc;
use zoorepl_core::ids::{SessionId, Zxid};
use zoorepl_core::node::{PeerMsg, SnapshotImage};
use zoorepl_core::tree::{DataTree, TreeBuilder};

use super::wire::{LinkError, Wire};

/// Chunks the tree walk may run ahead of the socket: the sender's memory for a snapshot is
/// about this many chunks plus the one being written.
#[cfg_attr(madsim, allow(dead_code))]
pub(super) const CHUNKS_IN_FLIGHT: usize = 2;

/// What the sender's walk produced, for `SnapEnd`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Produced {
    /// How many chunks were sent.
    pub(super) chunks: u64,
    /// CRC32C of the chunks' bytes, in order.
    pub(super) crc32c: u32,
}

/// Walks `tree` and sends its chunks of about `chunk_len` bytes down `out`, in order; blocking
/// (run it under `spawn_blocking`). `None` when the receiving end went away first (the link
/// ended).
pub(super) fn produce(
    tree: &DataTree,
    chunk_len: usize,
    out: &mpsc::Sender<Bytes>,
) -> Option<Produced> {
    let mut produced = Produced {
        chunks: 0,
        crc32c: 0,
    };
    let done = tree.snapshot_chunks(chunk_len, |chunk| {
        produced.chunks += 1;
        produced.crc32c = crc32c::crc32c_append(produced.crc32c, &chunk);
        out.blocking_send(Bytes::from(chunk)).is_ok()
    });
    done.then_some(produced)
}

/// Receiving side: at most one snapshot in progress on a connection.
#[derive(Default)]
pub(super) struct Assembler {
    current: Option<Partial>,
}

/// A snapshot under way: its header and the tree built so far.
struct Partial {
    epoch: u32,
    zxid: Zxid,
    builder: TreeBuilder,
    /// Chunk bytes received so far (capped by `max_snapshot_len`).
    bytes: u64,
    /// CRC32C of the chunk bytes received so far.
    crc32c: u32,
}

/// The fields of a `SnapEnd`.
struct End {
    digest: u64,
    sessions: Vec<(SessionId, i32)>,
    chunks: u64,
    crc32c: u32,
}

impl Assembler {
    /// Takes the next frame of the connection, in order: a whole message, or `None` for a
    /// snapshot piece with more to come (the last piece gives the snapshot message).
    ///
    /// # Errors
    /// When the pieces do not add up: a message or a new `SnapBegin` inside a snapshot, a
    /// piece outside one, chunk bytes past `max_snapshot_len`, a chunk the tree builder
    /// refuses, a wrong chunk count or checksum, or a tree that does not finish.
    pub(super) async fn accept(
        &mut self,
        wire: Wire,
        max_snapshot_len: u64,
    ) -> Result<Option<PeerMsg>, LinkError> {
        match wire {
            Wire::SnapBegin {
                epoch,
                zxid,
                last_applied,
            } => self.accept_begin(epoch, zxid, last_applied).map(|()| None),
            Wire::SnapChunk(chunk) => self
                .accept_chunk(chunk, max_snapshot_len)
                .await
                .map(|()| None),
            Wire::SnapEnd {
                digest,
                sessions,
                chunks,
                crc32c,
            } => {
                let end = End {
                    digest,
                    sessions,
                    chunks,
                    crc32c,
                };
                self.accept_end(end).await.map(Some)
            }
            other => match (other.into_msg(), &self.current) {
                (Some(msg), None) => Ok(Some(msg)),
                (Some(_), Some(_)) => Err(protocol("a message inside a snapshot")),
                (None, _) => Err(protocol("a snapshot piece that is not one")),
            },
        }
    }

    fn accept_begin(
        &mut self,
        epoch: u32,
        zxid: Zxid,
        last_applied: Zxid,
    ) -> Result<(), LinkError> {
        if self.current.is_some() {
            return Err(protocol("a snapshot inside a snapshot"));
        }
        self.current = Some(Partial {
            epoch,
            zxid,
            builder: TreeBuilder::new(last_applied),
            bytes: 0,
            crc32c: 0,
        });
        Ok(())
    }

    /// Inserts one chunk's nodes; the builder moves to a blocking thread and back.
    async fn accept_chunk(&mut self, chunk: Bytes, max_snapshot_len: u64) -> Result<(), LinkError> {
        let Some(mut partial) = self.current.take() else {
            return Err(protocol("a snapshot chunk outside a snapshot"));
        };
        partial.bytes = partial.bytes.saturating_add(chunk.len() as u64);
        if partial.bytes > max_snapshot_len {
            return Err(protocol(&format!(
                "snapshot chunks past {max_snapshot_len} bytes"
            )));
        }
        partial.crc32c = crc32c::crc32c_append(partial.crc32c, &chunk);
        let (partial, pushed) = crate::net::blocking(move || {
            let pushed = partial.builder.push_chunk(&chunk);
            (partial, pushed)
        })
        .await
        .ok_or(LinkError::Stopped)?;
        pushed?;
        self.current = Some(partial);
        Ok(())
    }

    /// Checks the end against what arrived and finishes the tree (a full check, O(nodes), on
    /// a blocking thread).
    async fn accept_end(&mut self, end: End) -> Result<PeerMsg, LinkError> {
        let Some(partial) = self.current.take() else {
            return Err(protocol("a snapshot end outside a snapshot"));
        };
        let got = partial.builder.chunk_count();
        if got != end.chunks {
            return Err(protocol(&format!(
                "{got} snapshot chunks, announced {}",
                end.chunks
            )));
        }
        if partial.crc32c != end.crc32c {
            return Err(LinkError::SnapshotChecksum {
                got: partial.crc32c,
                want: end.crc32c,
            });
        }
        let builder = partial.builder;
        let digest = end.digest;
        let tree = crate::net::blocking(move || builder.finish(digest))
            .await
            .ok_or(LinkError::Stopped)?
            .map_err(LinkError::Snapshot)?;
        Ok(PeerMsg::Snapshot {
            epoch: partial.epoch,
            zxid: partial.zxid,
            image: Box::new(SnapshotImage {
                tree,
                sessions: end.sessions,
            }),
        })
    }
}

fn protocol(what: &str) -> LinkError {
    LinkError::Protocol(what.to_owned())
}

#[cfg(test)]
#[path = "snap_test.rs"]
mod tests;
