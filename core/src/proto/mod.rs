//! The ZooKeeper client wire protocol: jute records, opcodes, error codes.
//!
//! Reference: `../shared/zookeeper-protocol.md` §1–8. Decoding untrusted bytes never panics and
//! never allocates more than the frame holds.
//!
//! - Framing: [`begin_frame`] / [`end_frame`] / [`frame_into`] around any encoder, and
//!   [`split_frame`] on the read side. Every encoder writes a payload (no length) into a caller's
//!   `Vec<u8>`; every decoder takes one payload.
//! - Handshake: [`ConnectRequest`], [`ConnectResponse`] (no headers).
//! - Requests: [`decode_request`] / [`encode_request`] over [`Request`].
//! - Replies: [`encode_reply`] / [`decode_reply`] over [`Response`]; notifications:
//!   [`encode_notification`] / [`decode_notification`] over [`WatcherEvent`].
//!
//! Null handling: null buffers stay `None` (null data differs from empty). A null `ustring` reads
//! as `""` where the model has a `String`, and stays `None` where the protocol gives null a
//! meaning. Null vectors read as empty. `ustring`s must be UTF-8, or Java's CESU-8 form of
//! characters beyond the BMP; anything else is a [`DecodeError`] (Java would substitute U+FFFD).

#[cfg(any(test, feature = "testing"))]
pub mod arbitrary;
mod connect;
mod error;
mod event;
mod frame;
mod opcode;
mod records;
mod request;
mod request_decode;
mod response;
mod wire;

pub use connect::{ConnectRequest, ConnectResponse};
pub use error::ZkError;
pub use event::{decode_notification, encode_notification, WatcherEvent};
pub use frame::{begin_frame, end_frame, frame_into, split_frame, FrameError, MAX_FRAME_LEN};
pub use opcode::OpCode;
pub use records::{perms, Acl, EventType, Id, Stat, KEEPER_STATE_SYNC_CONNECTED};
pub use request::{
    encode_request, CreateRequest, MultiOp, ReadOp, Request, RequestHeader, SetWatches,
};
pub use request_decode::{decode_request, decode_request_body};
pub use response::{
    decode_reply, encode_reply, encode_reply_result, ClientInfo, MultiReadResult, MultiResult,
    ReplyHeader, Response, REPLY_HEADER_LEN,
};
pub use wire::{DecodeError, STAT_LEN};

#[cfg(test)]
mod edge_test;
#[cfg(test)]
mod props_test;
#[cfg(test)]
mod vectors_test;
