//! The bytes on a peer connection.
//!
//! The dialer first sends a hello frame (fixed layout, so that a stranger's bytes are rejected
//! before any decoding): `u32` big-endian length 15, magic `ZRPR`, `u16` protocol version,
//! one byte of connection kind, `u64` dialer id. Every later frame, in both directions, is a
//! `u32` big-endian payload length and a postcard-encoded [`Wire`].
//!
//! [`Wire`] repeats the shape of `PeerMsg` instead of embedding it: the wire format then does not
//! depend on how serde numbers the variants of a core enum with a skipped variant (serde's
//! derive numbers a skipped variant when serializing but not when deserializing, so the
//! variants after `PeerMsg::Snapshot` would not round-trip).

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt};
use zoorepl_core::ids::{ServerId, SessionId, Zxid};
use zoorepl_core::node::{PeerMsg, SnapshotImage};
use zoorepl_core::tree::SnapshotError;

/// First bytes of every hello.
const MAGIC: [u8; 4] = *b"ZRPR";
/// The protocol this code speaks; a hello with another version is refused.
/// (2: snapshots stream tree chunks instead of cutting one encoded image.)
pub const PROTOCOL_VERSION: u16 = 2;
/// Payload length of a hello.
const HELLO_LEN: usize = 4 + 2 + 1 + 8;
/// Bytes of a frame's length prefix.
pub(super) const LEN_PREFIX: usize = 4;

/// Which of a server's two peer ports a connection belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum LinkKind {
    /// Leader election votes (lossy; resent by the core).
    Election,
    /// Everything else (ZAB and node messages; FIFO, loss is a disconnect).
    Quorum,
}

impl LinkKind {
    const fn code(self) -> u8 {
        match self {
            Self::Election => 1,
            Self::Quorum => 2,
        }
    }
}

/// What a dialer says first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Hello {
    /// The connection's kind, which must match the port dialed.
    pub(super) kind: LinkKind,
    /// The dialer.
    pub(super) from: ServerId,
}

impl Hello {
    /// The whole hello frame, length prefix included.
    pub(super) fn encode(self) -> Bytes {
        let mut out = Vec::with_capacity(LEN_PREFIX + HELLO_LEN);
        out.extend_from_slice(&u32::try_from(HELLO_LEN).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&PROTOCOL_VERSION.to_be_bytes());
        out.push(self.kind.code());
        out.extend_from_slice(&self.from.0.to_be_bytes());
        Bytes::from(out)
    }

    /// Reads and checks a hello (its kind and id are checked by the caller).
    pub(super) async fn read<R: AsyncRead + Unpin>(read: &mut R) -> Result<Self, LinkError> {
        let len = read_len(read).await?;
        if len != HELLO_LEN {
            return Err(LinkError::BadHello(format!("hello of {len} bytes")));
        }
        let mut payload = [0u8; HELLO_LEN];
        read.read_exact(&mut payload).await.map_err(eof_is_closed)?;
        let (magic, rest) = payload.split_at(4);
        if magic != MAGIC {
            return Err(LinkError::BadHello(format!("magic {magic:02x?}")));
        }
        let version = u16::from_be_bytes([rest[0], rest[1]]);
        if version != PROTOCOL_VERSION {
            return Err(LinkError::BadHello(format!("protocol version {version}")));
        }
        let kind = match rest[2] {
            1 => LinkKind::Election,
            2 => LinkKind::Quorum,
            other => return Err(LinkError::BadHello(format!("connection kind {other}"))),
        };
        let mut id = [0u8; 8];
        id.copy_from_slice(&rest[3..]);
        Ok(Self {
            kind,
            from: ServerId(u64::from_be_bytes(id)),
        })
    }
}

/// The parts of a `PeerMsg::Snapshot`.
pub(super) struct SnapshotMsg {
    /// Leader's epoch.
    pub(super) epoch: u32,
    /// The zxid the image is exact at.
    pub(super) zxid: Zxid,
    /// The state.
    pub(super) image: Box<SnapshotImage>,
}

/// One frame after the hello: a peer message, or a piece of a streamed snapshot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) enum Wire {
    /// Any message but `PeerMsg::Snapshot` (serde skips it; it goes as the three below).
    Msg(PeerMsg),
    /// A `PeerMsg::Snapshot` starts: its header and the tree's last applied zxid.
    SnapBegin {
        epoch: u32,
        zxid: Zxid,
        last_applied: Zxid,
    },
    /// The next chunk of the tree (one of `DataTree::snapshot_chunks`, decoded alone).
    SnapChunk(Bytes),
    /// Every chunk was sent: the tree's digest, the live sessions, how many chunks there were
    /// and the CRC32C of their bytes in order.
    SnapEnd {
        digest: u64,
        sessions: Vec<(SessionId, i32)>,
        chunks: u64,
        crc32c: u32,
    },
}

impl Wire {
    /// The frame for a message; a snapshot comes back (it is streamed, not framed whole).
    pub(super) fn from_msg(msg: PeerMsg) -> Result<Self, SnapshotMsg> {
        match msg {
            PeerMsg::Snapshot { epoch, zxid, image } => Err(SnapshotMsg { epoch, zxid, image }),
            other => Ok(Self::Msg(other)),
        }
    }

    /// The message this frame carries whole (`None` for a snapshot piece).
    pub(super) fn into_msg(self) -> Option<PeerMsg> {
        match self {
            Self::Msg(msg) => Some(msg),
            Self::SnapBegin { .. } | Self::SnapChunk(_) | Self::SnapEnd { .. } => None,
        }
    }
}

/// Why a connection ends. Only [`LinkError::is_bad_input`] variants are the peer's fault.
#[derive(Debug, Error)]
pub(super) enum LinkError {
    /// The peer closed the connection between frames.
    #[error("closed by the peer")]
    Closed,
    /// This side ended the link: replaced by a newer one, dropped by `send` (queue full), or
    /// the node task stopped listening.
    #[error("closed by this side")]
    Stopped,
    /// A socket error (or a connection cut inside a frame).
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// A length prefix above the limit.
    #[error("frame of {len} bytes is over the limit of {max}")]
    FrameTooLong {
        /// The announced length.
        len: usize,
        /// `max_frame_len`.
        max: usize,
    },
    /// A frame that does not decode.
    #[error("undecodable frame: {0}")]
    Decode(postcard::Error),
    /// A message of ours that does not encode (a bug).
    #[error("cannot encode: {0}")]
    Encode(postcard::Error),
    /// A bad hello: magic, version, kind, or an id that may not dial this port.
    #[error("bad hello: {0}")]
    BadHello(String),
    /// A frame that does not belong here (a snapshot piece out of order, a message of the
    /// other connection kind).
    #[error("out of protocol: {0}")]
    Protocol(String),
    /// A snapshot whose chunk bytes fail their checksum.
    #[error("snapshot checksum {got:08x}, expected {want:08x}")]
    SnapshotChecksum {
        /// Computed over the received bytes.
        got: u32,
        /// Sent in `SnapEnd`.
        want: u32,
    },
    /// A snapshot chunk or tree the builder refuses.
    #[error("snapshot: {0}")]
    Snapshot(#[from] SnapshotError),
}

impl LinkError {
    /// Whether the peer sent something it should not have (logged as a warning).
    pub(super) const fn is_bad_input(&self) -> bool {
        !matches!(
            self,
            Self::Closed | Self::Stopped | Self::Io(_) | Self::Encode(_)
        )
    }
}

/// A clean end of stream before a length prefix is `Closed`; inside a frame it is an error.
fn eof_is_closed(e: std::io::Error) -> LinkError {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        LinkError::Closed
    } else {
        LinkError::Io(e)
    }
}

async fn read_len<R: AsyncRead + Unpin>(read: &mut R) -> Result<usize, LinkError> {
    let len = read.read_u32().await.map_err(eof_is_closed)?;
    Ok(usize::try_from(len).unwrap_or(usize::MAX))
}

/// Reads the next frame and decodes it. The buffer grows with the bytes that actually
/// arrive, so a large length prefix alone allocates nothing.
pub(super) async fn read_frame<R: AsyncRead + Unpin>(
    read: &mut R,
    max_frame_len: usize,
) -> Result<Wire, LinkError> {
    let len = read_len(read).await?;
    if len > max_frame_len {
        return Err(LinkError::FrameTooLong {
            len,
            max: max_frame_len,
        });
    }
    let mut payload = Vec::with_capacity(len.min(64 * 1024));
    let got = read
        .take(u64::try_from(len).unwrap_or(u64::MAX))
        .read_to_end(&mut payload)
        .await?;
    if got < len {
        return Err(LinkError::Io(std::io::ErrorKind::UnexpectedEof.into()));
    }
    postcard::from_bytes(&payload).map_err(LinkError::Decode)
}

/// Appends one frame holding `wire` to `out`.
///
/// # Errors
/// When the payload would exceed `max_frame_len` (`out` is left as it was).
pub(super) fn encode_frame(
    wire: &Wire,
    out: &mut Vec<u8>,
    max_frame_len: usize,
) -> Result<(), LinkError> {
    let payload = postcard::to_allocvec(wire).map_err(LinkError::Encode)?;
    let len = payload.len();
    let prefix = u32::try_from(len).ok().filter(|_| len <= max_frame_len);
    let Some(prefix) = prefix else {
        return Err(LinkError::FrameTooLong {
            len,
            max: max_frame_len,
        });
    };
    out.reserve(LEN_PREFIX + len);
    out.extend_from_slice(&prefix.to_be_bytes());
    out.extend_from_slice(&payload);
    Ok(())
}

#[cfg(test)]
#[path = "wire_test.rs"]
mod tests;
