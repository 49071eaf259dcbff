//! Watch notifications (zookeeper-protocol.md §3, §8.1): `ReplyHeader{-1, zxid, 0}` +
//! `WatcherEvent{int type, int state, ustring path}`.

use super::records::EventType;
use super::response::{read_reply_header, ReplyHeader};
use super::wire::{put_i32, put_ustring, DecodeError, Reader};
use crate::ids::Xid;

/// `WatcherEvent` as the server sends it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WatcherEvent {
    /// What happened.
    pub event_type: EventType,
    /// The keeper state; always [`super::KEEPER_STATE_SYNC_CONNECTED`] from a server.
    pub state: i32,
    /// The full server path (clients strip their chroot).
    pub path: String,
}

impl EventType {
    /// The wire code.
    #[must_use]
    pub const fn code(self) -> i32 {
        self as i32
    }

    /// The event type for a wire code; `None` for the client-only types and unknown codes.
    #[must_use]
    pub const fn from_code(code: i32) -> Option<Self> {
        Some(match code {
            1 => Self::NodeCreated,
            2 => Self::NodeDeleted,
            3 => Self::NodeDataChanged,
            4 => Self::NodeChildrenChanged,
            _ => return None,
        })
    }
}

/// Appends a notification payload (no frame): header {-1, zxid, 0} then the event. `zxid` is the
/// triggering txn's zxid (3.9), or -1 for catch-up events raised by setWatches.
pub fn encode_notification(zxid: i64, event: &WatcherEvent, out: &mut Vec<u8>) {
    let hdr = ReplyHeader {
        xid: Xid::NOTIFICATION,
        zxid,
        err: 0,
    };
    hdr.encode(out);
    put_i32(out, event.event_type.code());
    put_i32(out, event.state);
    put_ustring(out, &event.path);
}

/// Reads a notification payload. The header is returned as read; callers route on its xid
/// (-1) before calling this.
///
/// # Errors
/// Truncation, an event type the server never sends, or trailing bytes.
pub fn decode_notification(payload: &[u8]) -> Result<(ReplyHeader, WatcherEvent), DecodeError> {
    let mut r = Reader::new(payload);
    let hdr = read_reply_header(&mut r)?;
    let offset = r.offset();
    let code = r.i32("WatcherEvent.type")?;
    let Some(event_type) = EventType::from_code(code) else {
        return Err(DecodeError::InvalidValue {
            field: "WatcherEvent.type",
            offset,
            value: i64::from(code),
        });
    };
    let event = WatcherEvent {
        event_type,
        state: r.i32("WatcherEvent.state")?,
        path: r.ustring("WatcherEvent.path")?,
    };
    r.finish("WatcherEvent")?;
    Ok((hdr, event))
}
