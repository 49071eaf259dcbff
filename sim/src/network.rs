//! The message network: one FIFO link per ordered pair of endpoints.
//!
//! Each message gets a delivery time of `now + delay_min + jitter`, but never earlier than the
//! previous message on its link, so links stay FIFO as TCP connections are (ties keep their
//! send order through the event queue's sequence numbers). Faults:
//!
//! - **Breaks** (TCP model). A peer message is lost with `break_ppm`; the link then drops every
//!   message sent on it until it is re-established, up to `break_ms_max` later. The receiver
//!   sees a prefix of the stream, a gap, then the rest: exactly what a dropped and reconnected
//!   TCP connection delivers. We chose this over independent losses because ZAB assumes FIFO
//!   links and the core has no "link down" input: a gap that the node must detect (by epochs,
//!   zxid order and timeouts) is the realistic fault, a hole in the middle of a live stream is not.
//! - **Duplication** (`dup_ppm`, a swarm knob, off in most seeds): a message is delivered twice in
//!   a row. TCP does not do this, but the node must tolerate it (a reconnect may resend).
//! - **Clogs**: a link holds every message sent on it until a time, then delivers them in order.
//! - **Partitions**: a set of blocked directed server pairs. A message is dropped when its link
//!   is blocked at send time or at delivery time (a cable cut while it was in flight).
//!
//! Client connections use the same FIFO links with delay only; a lost client connection is
//! modelled by the workload as a closed connection, never as a silent loss.

use std::collections::{BTreeMap, BTreeSet};

use crate::options::Faults;
use crate::rand::Rng;

/// One end of a link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Endpoint {
    /// A server, by index.
    Server(usize),
    /// A client connection, by its connection id.
    Conn(u64),
}

#[derive(Clone, Copy, Debug, Default)]
struct Link {
    /// Delivery time of the last message sent on the link.
    last_ms: u64,
    /// The link is broken and drops everything sent before this time.
    down_until_ms: u64,
    /// The link holds what is sent on it until this time.
    clogged_until_ms: u64,
}

/// What happens to a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Delivered at `at_ms`, and a second time right after when `twice`.
    Deliver {
        /// Arrival time.
        at_ms: u64,
        /// Whether it is duplicated.
        twice: bool,
    },
    /// The link is partitioned.
    Partitioned,
    /// The link is (or just became) broken.
    Broken,
}

/// How the servers were split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Partition {
    /// One server cut off from all others.
    Isolate(usize),
    /// Two groups that cannot talk to each other.
    Halves(Vec<usize>, Vec<usize>),
    /// These directed links are cut, their reverse works.
    OneWay(Vec<(usize, usize)>),
    /// Two groups that only talk through the bridge server.
    Bridge(Vec<usize>, usize, Vec<usize>),
}

/// The network of one run.
#[derive(Debug)]
pub struct Network {
    links: BTreeMap<(Endpoint, Endpoint), Link>,
    blocked: BTreeSet<(usize, usize)>,
    delay_min_ms: u64,
    delay_jitter_ms: u64,
    break_ppm: u32,
    break_ms_max: u64,
    dup_ppm: u32,
}

impl Network {
    /// A healthy network with the seed's rates.
    #[must_use]
    pub fn new(faults: &Faults) -> Self {
        Self {
            links: BTreeMap::new(),
            blocked: BTreeSet::new(),
            delay_min_ms: faults.delay_min_ms,
            delay_jitter_ms: faults.delay_jitter_ms,
            break_ppm: faults.break_ppm,
            break_ms_max: faults.break_ms_max.max(1),
            dup_ppm: faults.dup_ppm,
        }
    }

    /// Turns off breaks and duplication (the liveness phase); delays stay.
    pub fn calm(&mut self) {
        self.break_ppm = 0;
        self.dup_ppm = 0;
        self.blocked.clear();
        for link in self.links.values_mut() {
            link.down_until_ms = 0;
            link.clogged_until_ms = 0;
        }
    }

    fn delivery(&mut self, now_ms: u64, from: Endpoint, to: Endpoint, rng: &mut Rng) -> u64 {
        let delay = self.delay_min_ms + rng.range(0, self.delay_jitter_ms);
        let link = self.links.entry((from, to)).or_default();
        let at = (now_ms + delay)
            .max(link.last_ms)
            .max(link.clogged_until_ms);
        link.last_ms = at;
        at
    }

    /// Sends a peer message from server `from` to server `to`.
    pub fn send_peer(&mut self, now_ms: u64, from: usize, to: usize, rng: &mut Rng) -> Fate {
        if self.blocked.contains(&(from, to)) {
            return Fate::Partitioned;
        }
        let key = (Endpoint::Server(from), Endpoint::Server(to));
        let link = self.links.entry(key).or_default();
        if link.down_until_ms > now_ms {
            return Fate::Broken;
        }
        if rng.chance(self.break_ppm) {
            link.down_until_ms = now_ms + rng.range(1, self.break_ms_max);
            return Fate::Broken;
        }
        let at_ms = self.delivery(now_ms, key.0, key.1, rng);
        Fate::Deliver {
            at_ms,
            twice: rng.chance(self.dup_ppm),
        }
    }

    /// Whether a peer message in flight from `from` to `to` may arrive now.
    #[must_use]
    pub fn deliverable(&self, from: usize, to: usize) -> bool {
        !self.blocked.contains(&(from, to))
    }

    /// Sends bytes over a client connection (either direction): delay only, FIFO.
    pub fn send_conn(&mut self, now_ms: u64, from: Endpoint, to: Endpoint, rng: &mut Rng) -> u64 {
        self.delivery(now_ms, from, to, rng)
    }

    /// Forgets a closed client connection's links.
    pub fn forget_conn(&mut self, conn: u64, server: usize) {
        let (c, s) = (Endpoint::Conn(conn), Endpoint::Server(server));
        self.links.remove(&(c, s));
        self.links.remove(&(s, c));
    }

    /// Holds the link from `from` to `to` until `until_ms`.
    pub fn clog(&mut self, from: usize, to: usize, until_ms: u64) {
        let key = (Endpoint::Server(from), Endpoint::Server(to));
        let link = self.links.entry(key).or_default();
        link.clogged_until_ms = link.clogged_until_ms.max(until_ms);
    }

    /// Cuts the network among `n` servers in a random way and returns how.
    pub fn partition(&mut self, n: usize, rng: &mut Rng) -> Partition {
        assert!(n >= 2, "a partition needs two servers");
        let mut ids: Vec<usize> = (0..n).collect();
        rng.shuffle(&mut ids);
        let how = match rng.below(4) {
            0 => Partition::Isolate(ids[0]),
            1 => {
                let cut = 1 + rng.below(n - 1);
                Partition::Halves(ids[..cut].to_vec(), ids[cut..].to_vec())
            }
            2 => {
                let pairs = (0..1 + rng.below(n))
                    .map(|_| (ids[rng.below(n)], ids[rng.below(n)]))
                    .filter(|(a, b)| a != b)
                    .collect();
                Partition::OneWay(pairs)
            }
            _ if n >= 3 => {
                let cut = 1 + rng.below(n - 2);
                Partition::Bridge(ids[1..=cut].to_vec(), ids[0], ids[cut + 1..].to_vec())
            }
            _ => Partition::Isolate(ids[0]),
        };
        self.apply(&how, n);
        how
    }

    fn apply(&mut self, how: &Partition, n: usize) {
        let mut cut = |a: usize, b: usize| {
            self.blocked.insert((a, b));
            self.blocked.insert((b, a));
        };
        match how {
            Partition::Isolate(x) => (0..n).filter(|o| o != x).for_each(|o| cut(*x, o)),
            Partition::Halves(a, b) | Partition::Bridge(a, _, b) => {
                a.iter().for_each(|x| b.iter().for_each(|y| cut(*x, *y)));
            }
            Partition::OneWay(pairs) => {
                self.blocked.extend(pairs.iter().copied());
            }
        }
    }

    /// Removes every partition.
    pub fn heal(&mut self) {
        self.blocked.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(f: Faults) -> Network {
        Network::new(&f)
    }

    #[test]
    fn links_are_fifo_under_jitter_and_clogs() {
        let mut n = net(Faults {
            delay_jitter_ms: 50,
            ..Faults::default()
        });
        let mut rng = Rng::new(1);
        n.clog(0, 1, 500);
        let mut last = 0;
        for t in 0..1000 {
            let Fate::Deliver { at_ms, .. } = n.send_peer(t, 0, 1, &mut rng) else {
                panic!("healthy link dropped");
            };
            assert!(at_ms >= last && at_ms >= t && at_ms >= 500.min(at_ms));
            if t < 500 {
                assert!(at_ms >= 500, "clogged message at {at_ms}");
            }
            last = at_ms;
        }
    }

    #[test]
    fn a_break_drops_a_suffix_window_then_recovers() {
        let mut n = net(Faults {
            break_ppm: 1_000_000,
            break_ms_max: 100,
            ..Faults::default()
        });
        let mut rng = Rng::new(2);
        assert_eq!(n.send_peer(0, 0, 1, &mut rng), Fate::Broken);
        n.calm();
        assert!(matches!(
            n.send_peer(1, 0, 1, &mut rng),
            Fate::Deliver { .. }
        ));
    }

    #[test]
    fn partitions_block_both_directions_or_one() {
        let mut rng = Rng::new(3);
        for _ in 0..50 {
            let mut n = net(Faults::default());
            match n.partition(5, &mut rng) {
                Partition::Isolate(x) => {
                    let o = (x + 1) % 5;
                    assert!(!n.deliverable(x, o) && !n.deliverable(o, x));
                }
                Partition::Bridge(a, b, c) => {
                    assert!(n.deliverable(a[0], b) && n.deliverable(b, c[0]));
                    assert!(!n.deliverable(a[0], c[0]));
                }
                Partition::Halves(a, b) => assert!(!n.deliverable(a[0], b[0])),
                Partition::OneWay(p) => {
                    for (x, y) in p {
                        assert!(!n.deliverable(x, y));
                    }
                }
            }
            n.heal();
            assert!(n.deliverable(0, 1));
        }
    }
}
