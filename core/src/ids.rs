//! Identifier newtypes. Every id that crosses a module boundary has its own type, so a session id
//! can never be passed where a connection id is wanted (STYLE.md §9).

use serde::{Deserialize, Serialize};

/// A ZooKeeper transaction id: the leader epoch in the high 32 bits and a per-epoch counter in the
/// low 32 bits. Field order makes the derived `Ord` the zxid order.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Zxid {
    /// The epoch of the leader that proposed the txn.
    pub epoch: u32,
    /// The position of the txn within its epoch; a new leader starts at 0.
    pub counter: u32,
}

impl Zxid {
    /// The zxid before any txn.
    pub const ZERO: Self = Self {
        epoch: 0,
        counter: 0,
    };

    /// Builds a zxid from its two halves.
    #[must_use]
    pub const fn new(epoch: u32, counter: u32) -> Self {
        Self { epoch, counter }
    }

    /// The zxid as the wire's signed 64-bit `long`.
    #[must_use]
    pub const fn as_i64(self) -> i64 {
        ((self.epoch as u64) << 32 | self.counter as u64) as i64
    }

    /// Reads a zxid from the wire's `long`. Negative values (a client that never saw a zxid may
    /// send anything) map onto the unsigned space, as Java compares them after the same cast.
    #[must_use]
    pub const fn from_i64(raw: i64) -> Self {
        let raw = raw as u64;
        Self {
            epoch: (raw >> 32) as u32,
            counter: raw as u32,
        }
    }

    /// Whether `next` may directly follow `self` in a history or a log: the next counter of the
    /// same epoch, or the first txn of a later epoch (each epoch's txns are numbered from 1
    /// without gaps; counter 0 is never a txn).
    #[must_use]
    pub const fn follows(self, next: Self) -> bool {
        (next.epoch == self.epoch && self.counter < u32::MAX && next.counter == self.counter + 1)
            || (next.epoch > self.epoch && next.counter == 1)
    }

    /// The next zxid in the same epoch.
    ///
    /// # Panics
    /// When the counter would overflow: a leader must start a new epoch before that.
    #[must_use]
    pub fn next(self) -> Self {
        let counter = self
            .counter
            .checked_add(1)
            .expect("zxid counter exhausted within an epoch");
        Self {
            epoch: self.epoch,
            counter,
        }
    }
}

impl std::fmt::Display for Zxid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "0x{:x}", self.as_i64())
    }
}

/// A client session id as the wire carries it. Ours keep the top bit clear (the Rust client
/// rejects negative ids) and the top byte below 0xFF (TTL marker).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct SessionId(pub i64);

impl std::fmt::Display for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "0x{:x}", self.0)
    }
}

/// A client connection, numbered by the shell that accepted it. Never reused within a process.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct ConnId(pub u64);

/// A request's xid, echoed in its reply. Special values: -1 notification, -2 ping, -4 auth,
/// -8 setWatches.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Xid(pub i32);

impl Xid {
    /// The xid of watch notifications.
    pub const NOTIFICATION: Self = Self(-1);
    /// The xid of pings.
    pub const PING: Self = Self(-2);
    /// The xid of auth packets.
    pub const AUTH: Self = Self(-4);
    /// The xid of setWatches / setWatches2.
    pub const SET_WATCHES: Self = Self(-8);
}

/// A server's id in an ensemble (the `myid` file, `server.N`). Standalone servers use 0.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct ServerId(pub u64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zxid_wire_round_trip_keeps_order() {
        let a = Zxid::new(1, u32::MAX);
        let b = Zxid::new(2, 0);
        assert!(a < b);
        assert_eq!(Zxid::from_i64(a.as_i64()), a);
        assert_eq!(b.as_i64(), 2 << 32);
        assert_eq!(Zxid::from_i64(-1), Zxid::new(u32::MAX, u32::MAX));
    }
}
