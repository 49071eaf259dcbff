//! Client connections that open while an ensemble member is not serving (electing, or syncing
//! with a new leader) wait here, with whatever they send, instead of being closed at once.
//!
//! The node closes a connection that opens while it does not serve (as Java does). A client
//! that lost its server then finds every survivor closing on it during the election, finishes
//! a round of the connect string and backs off (the `zookeeper-client` crate waits 300–400 ms
//! before its second round over three servers; Java's client up to a second), so its first
//! request lands long after the new leader serves. Held here, its handshake is answered as
//! soon as this server serves again. A connection held for [`HOLD`] is handed to the node
//! anyway, which closes it if it still does not serve, so a client of a server cut off from
//! the quorum moves on after that long.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;
use zoorepl_core::ids::ConnId;

/// Longest a new connection waits for its server to serve.
pub(super) const HOLD: Duration = Duration::from_millis(1000);

/// A connection the node has not been told about yet.
struct Held {
    until: Instant,
    peer_ip: Option<String>,
    frames: Vec<Bytes>,
}

/// A connection handed to the node: its peer address and what it sent meanwhile, in order.
pub(super) type Released = (ConnId, Option<String>, Vec<Bytes>);

#[derive(Default)]
pub(super) struct Parking {
    held: BTreeMap<ConnId, Held>,
}

impl Parking {
    /// Holds a connection that just opened.
    pub(super) fn park(&mut self, conn: ConnId, peer_ip: Option<String>, now: Instant) {
        let held = Held {
            until: now + HOLD,
            peer_ip,
            frames: Vec::new(),
        };
        let old = self.held.insert(conn, held);
        assert!(old.is_none(), "connection {conn:?} parked twice");
    }

    /// Keeps a frame of a held connection; gives it back when the connection is not held.
    pub(super) fn frame(&mut self, conn: ConnId, frame: Bytes) -> Option<Bytes> {
        match self.held.get_mut(&conn) {
            Some(held) => {
                held.frames.push(frame);
                None
            }
            None => Some(frame),
        }
    }

    /// A connection closed; whether it was held (then the node never knew it).
    pub(super) fn closed(&mut self, conn: ConnId) -> bool {
        self.held.remove(&conn).is_some()
    }

    /// The connections to hand to the node now: all of them once it serves, else those held
    /// for [`HOLD`].
    pub(super) fn release(&mut self, serving: bool, now: Instant) -> Vec<Released> {
        let (due, kept): (BTreeMap<_, _>, _) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|(_, h)| serving || h.until <= now);
        self.held = kept;
        due.into_iter()
            .map(|(conn, held)| (conn, held.peer_ip, held.frames))
            .collect()
    }

    /// Whether no connection is held.
    pub(super) fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// When the oldest held connection is due.
    pub(super) fn deadline(&self) -> Option<Instant> {
        self.held.values().map(|h| h.until).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_wait_with_their_connection_and_leave_in_order() {
        let now = Instant::now();
        let mut p = Parking::default();
        p.park(ConnId(1), Some("10.0.0.9".into()), now);
        assert_eq!(p.frame(ConnId(1), Bytes::from_static(b"a")), None);
        assert_eq!(p.frame(ConnId(1), Bytes::from_static(b"b")), None);
        let other = Bytes::from_static(b"c");
        assert_eq!(p.frame(ConnId(2), other.clone()), Some(other));
        assert!(p.release(false, now).is_empty());
        let out = p.release(true, now);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].0, ConnId(1));
        assert_eq!(
            out[0].2,
            vec![Bytes::from_static(b"a"), Bytes::from_static(b"b")]
        );
        assert_eq!(p.deadline(), None);
        assert!(p.is_empty());
    }

    #[test]
    fn a_connection_held_too_long_goes_to_the_node_anyway() {
        let now = Instant::now();
        let mut p = Parking::default();
        p.park(ConnId(1), None, now);
        p.park(ConnId(2), None, now + HOLD / 2);
        assert_eq!(p.deadline(), Some(now + HOLD));
        let out = p.release(false, now + HOLD);
        assert_eq!(out.iter().map(|r| r.0).collect::<Vec<_>>(), vec![ConnId(1)]);
        assert!(p.closed(ConnId(2)));
        assert!(!p.closed(ConnId(2)));
    }
}
