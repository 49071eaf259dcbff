//! A SNAP image on the wire: `SnapBegin`, chunks of the encoded state, `SnapEnd` with the
//! CRC32C of the whole.
//!
//! The sender encodes the whole state in memory first (off the async workers) and then cuts
//! it; a streaming encoder that writes the tree as it walks it would bound the sender's memory
//! by the chunk size, and is a later improvement. The receiver keeps the bytes until `SnapEnd`,
//! up to `max_snapshot_len`.

use bytes::Bytes;
use zoorepl_core::ids::Zxid;
use zoorepl_core::node::{decode_snapshot, encode_snapshot, PeerMsg, SnapshotImage};

use super::wire::{LinkError, Wire};

/// Largest buffer reserved up front for an announced snapshot (more grows as bytes arrive).
const RESERVE_BYTES_MAX: usize = 64 * 1024 * 1024;

/// An encoded snapshot ready to be cut into frames.
pub(super) struct Encoded {
    /// The `SnapBegin` frame.
    pub(super) begin: Wire,
    /// The encoded state.
    pub(super) bytes: Bytes,
    /// The `SnapEnd` frame.
    pub(super) end: Wire,
}

/// Encodes a snapshot message's image; blocking (runs under `spawn_blocking`).
pub(super) fn encode(epoch: u32, zxid: Zxid, image: SnapshotImage) -> Encoded {
    let SnapshotImage { tree, sessions } = image;
    let bytes = Bytes::from(encode_snapshot(&tree, sessions));
    let crc32c = crc32c::crc32c(&bytes);
    Encoded {
        begin: Wire::SnapBegin {
            epoch,
            zxid,
            total_len: bytes.len() as u64,
        },
        bytes,
        end: Wire::SnapEnd { crc32c },
    }
}

/// Decodes a received snapshot; blocking (runs under `spawn_blocking`).
pub(super) fn decode(done: &Complete) -> Result<PeerMsg, LinkError> {
    let recovered = decode_snapshot(&done.bytes)?;
    Ok(PeerMsg::Snapshot {
        epoch: done.epoch,
        zxid: done.zxid,
        image: Box::new(SnapshotImage {
            tree: recovered.tree,
            sessions: recovered.sessions,
        }),
    })
}

/// A snapshot received whole and checked, not yet decoded.
pub(super) struct Complete {
    epoch: u32,
    zxid: Zxid,
    bytes: Vec<u8>,
}

/// What one frame contributed.
pub(super) enum Step {
    /// A whole message.
    Msg(PeerMsg),
    /// A snapshot piece, with more to come.
    More,
    /// The last piece of a snapshot.
    Snapshot(Complete),
}

/// Receiving side: pieces of at most one snapshot in progress.
#[derive(Default)]
pub(super) struct Assembler {
    current: Option<Partial>,
}

struct Partial {
    epoch: u32,
    zxid: Zxid,
    total_len: u64,
    bytes: Vec<u8>,
    /// CRC32C of `bytes`, kept up to date chunk by chunk.
    crc32c: u32,
}

impl Assembler {
    /// Takes the next frame of the connection, in order.
    ///
    /// # Errors
    /// When the pieces do not add up: a message or a new `SnapBegin` inside a snapshot, a
    /// piece outside one, more or fewer bytes than announced, a bad checksum, or an announced
    /// length over `max_snapshot_len`.
    pub(super) fn accept(&mut self, wire: Wire, max_snapshot_len: u64) -> Result<Step, LinkError> {
        match wire {
            Wire::SnapBegin {
                epoch,
                zxid,
                total_len,
            } => self.accept_begin(epoch, zxid, total_len, max_snapshot_len),
            Wire::SnapChunk(chunk) => self.accept_chunk(&chunk),
            Wire::SnapEnd { crc32c } => self.accept_end(crc32c),
            other => match (other.into_msg(), &self.current) {
                (Some(msg), None) => Ok(Step::Msg(msg)),
                (Some(_), Some(_)) => Err(protocol("a message inside a snapshot")),
                (None, _) => Err(protocol("a snapshot piece that is not one")),
            },
        }
    }

    fn accept_begin(
        &mut self,
        epoch: u32,
        zxid: Zxid,
        total_len: u64,
        max_snapshot_len: u64,
    ) -> Result<Step, LinkError> {
        if self.current.is_some() {
            return Err(protocol("a snapshot inside a snapshot"));
        }
        if total_len > max_snapshot_len {
            return Err(protocol(&format!(
                "a snapshot of {total_len} bytes (limit {max_snapshot_len})"
            )));
        }
        let reserve =
            usize::try_from(total_len).map_or(RESERVE_BYTES_MAX, |n| n.min(RESERVE_BYTES_MAX));
        self.current = Some(Partial {
            epoch,
            zxid,
            total_len,
            bytes: Vec::with_capacity(reserve),
            crc32c: 0,
        });
        Ok(Step::More)
    }

    fn accept_chunk(&mut self, chunk: &[u8]) -> Result<Step, LinkError> {
        let Some(partial) = self.current.as_mut() else {
            return Err(protocol("a snapshot chunk outside a snapshot"));
        };
        let len = (partial.bytes.len() + chunk.len()) as u64;
        if len > partial.total_len {
            return Err(protocol("snapshot chunks past the announced length"));
        }
        partial.bytes.extend_from_slice(chunk);
        partial.crc32c = crc32c::crc32c_append(partial.crc32c, chunk);
        Ok(Step::More)
    }

    fn accept_end(&mut self, want: u32) -> Result<Step, LinkError> {
        let Some(partial) = self.current.take() else {
            return Err(protocol("a snapshot end outside a snapshot"));
        };
        if partial.bytes.len() as u64 != partial.total_len {
            return Err(protocol(&format!(
                "snapshot of {} bytes, announced {}",
                partial.bytes.len(),
                partial.total_len
            )));
        }
        let got = partial.crc32c;
        if got != want {
            return Err(LinkError::SnapshotChecksum { got, want });
        }
        Ok(Step::Snapshot(Complete {
            epoch: partial.epoch,
            zxid: partial.zxid,
            bytes: partial.bytes,
        }))
    }
}

fn protocol(what: &str) -> LinkError {
    LinkError::Protocol(what.to_owned())
}

#[cfg(test)]
mod tests {
    use zoorepl_core::ids::SessionId;
    use zoorepl_core::tree::DataTree;

    use super::*;

    const LIMIT: u64 = 1 << 20;

    fn pieces() -> Vec<Wire> {
        let image = SnapshotImage {
            tree: DataTree::new(),
            sessions: vec![(SessionId(3), 5000)],
        };
        let encoded = encode(4, Zxid::new(4, 0), image);
        let (left, right) = encoded.bytes.split_at(encoded.bytes.len() / 2);
        vec![
            encoded.begin,
            Wire::SnapChunk(Bytes::copy_from_slice(left)),
            Wire::SnapChunk(Bytes::copy_from_slice(right)),
            encoded.end,
        ]
    }

    /// Feeds `wires` in order; the outcome of the last one.
    fn feed(wires: Vec<Wire>) -> Result<Step, LinkError> {
        let mut assembler = Assembler::default();
        let mut last = Ok(Step::More);
        for wire in wires {
            last = assembler.accept(wire, LIMIT);
            if last.is_err() {
                break;
            }
        }
        last
    }

    #[test]
    fn whole_sequence_decodes_to_the_image() {
        let Ok(Step::Snapshot(done)) = feed(pieces()) else {
            panic!("a complete snapshot");
        };
        let PeerMsg::Snapshot { epoch, zxid, image } = decode(&done).expect("decodes") else {
            panic!("a snapshot message");
        };
        assert_eq!((epoch, zxid), (4, Zxid::new(4, 0)));
        assert_eq!(image.sessions, vec![(SessionId(3), 5000)]);
        assert!(image.tree == DataTree::new());
    }

    #[test]
    fn sequences_that_do_not_add_up_are_refused() {
        let all = pieces();
        let touch = Wire::Touch {
            epoch: 1,
            sessions: vec![],
        };
        let cases: Vec<Vec<Wire>> = vec![
            // A chunk or an end with no begin.
            vec![all[1].clone()],
            vec![all[3].clone()],
            // A chunk missing, a chunk twice, a begin inside a snapshot, a message inside one.
            vec![all[0].clone(), all[1].clone(), all[3].clone()],
            vec![
                all[0].clone(),
                all[1].clone(),
                all[2].clone(),
                all[2].clone(),
            ],
            vec![all[0].clone(), all[0].clone()],
            vec![all[0].clone(), touch],
            // A bad checksum.
            vec![
                all[0].clone(),
                all[1].clone(),
                all[2].clone(),
                Wire::SnapEnd { crc32c: 0xdead },
            ],
        ];
        for (i, case) in cases.into_iter().enumerate() {
            assert!(feed(case).is_err(), "case {i} accepted");
        }
        let huge = Wire::SnapBegin {
            epoch: 1,
            zxid: Zxid::ZERO,
            total_len: LIMIT + 1,
        };
        assert!(feed(vec![huge]).is_err());
    }

    #[test]
    fn checked_bytes_that_do_not_decode_are_an_error() {
        let bytes = b"not a snapshot";
        let wires = vec![
            Wire::SnapBegin {
                epoch: 1,
                zxid: Zxid::ZERO,
                total_len: bytes.len() as u64,
            },
            Wire::SnapChunk(Bytes::from_static(bytes)),
            Wire::SnapEnd {
                crc32c: crc32c::crc32c(bytes),
            },
        ];
        let Ok(Step::Snapshot(done)) = feed(wires) else {
            panic!("checks pass");
        };
        assert!(matches!(decode(&done), Err(LinkError::Snapshot(_))));
    }
}
