//! Which connection carries the messages to each peer, for one kind of connection.
//!
//! A link is registered before its task starts and is current until it is replaced by a newer
//! link to the same peer, or removed because it broke. `send` queues into the current link.
//! Every quorum link reports its end exactly once, from its own task, and only after the link
//! it replaced has reported its own: each registration hands the new link a receiver that
//! resolves when the previous link of that peer has reported. So the core sees, per peer, the
//! old link's messages, then its `Disconnected`, then the new link's messages.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::{mpsc, oneshot};
use zoorepl_core::ids::ServerId;
use zoorepl_core::node::PeerMsg;

/// The table's side of a link.
struct Handle {
    /// Tells the link apart from the peer's earlier and later links.
    generation: u64,
    /// Messages for the link's writer.
    queue: mpsc::Sender<PeerMsg>,
    /// Never sent on: dropping it (with this handle) stops the link.
    _stop: oneshot::Sender<()>,
    /// Resolves once the link has reported its end.
    reported: oneshot::Receiver<()>,
}

/// One peer's links.
#[derive(Default)]
struct Slot {
    current: Option<Handle>,
    /// The `reported` of the last link removed while no link is current.
    ended: Option<oneshot::Receiver<()>>,
    /// The newest message sent while no link was current and none is dialed for it (a vote):
    /// the next link registered carries it first, so that a vote cast before the connection
    /// came up is not lost until the election's next resend (ZooKeeper keeps the last vote per
    /// peer the same way).
    held: Option<PeerMsg>,
}

#[derive(Default)]
struct Inner {
    generation: u64,
    slots: BTreeMap<ServerId, Slot>,
}

/// The links of one kind (election or quorum), by peer.
#[derive(Default)]
pub(super) struct LinkTable {
    inner: Mutex<Inner>,
}

/// The link's side of a registration.
pub(super) struct Registered {
    /// This link's generation.
    pub(super) generation: u64,
    /// Resolves (with an error) when the table drops this link.
    pub(super) stop: oneshot::Receiver<()>,
    /// Dropped once this link has reported its end.
    pub(super) reported: oneshot::Sender<()>,
    /// Resolves once the link this one follows has reported its end.
    pub(super) predecessor: Option<oneshot::Receiver<()>>,
}

/// What [`LinkTable::send`] did with a message.
pub(super) enum Queued {
    /// Queued on the current link.
    Yes,
    /// No current link, and none wanted: the message is held for the next link (replacing
    /// any message held before).
    Held,
    /// No current link: a new one is registered with the message queued; dial it.
    Dial(Registered, mpsc::Receiver<PeerMsg>),
    /// The current link's queue is full or its writer is gone: the link is dropped (it stops
    /// and reports its end) and so is the message.
    Broke,
}

impl LinkTable {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Each update under this lock is a single map operation, so a lock poisoned by a
        // panic elsewhere still holds a consistent table.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes a new link the current one for `peer`; returns it and the receiving end of its
    /// queue. The link it replaces, if any, is stopped.
    pub(super) fn register(
        &self,
        peer: ServerId,
        queue_max: usize,
    ) -> (Registered, mpsc::Receiver<PeerMsg>) {
        Self::register_locked(&mut self.lock(), peer, queue_max, None)
    }

    fn register_locked(
        inner: &mut Inner,
        peer: ServerId,
        queue_max: usize,
        first: Option<PeerMsg>,
    ) -> (Registered, mpsc::Receiver<PeerMsg>) {
        let (queue_tx, queue) = mpsc::channel(queue_max.max(1));
        let (stop_tx, stop) = oneshot::channel();
        let (reported, reported_rx) = oneshot::channel();
        inner.generation += 1;
        let generation = inner.generation;
        let slot = inner.slots.entry(peer).or_default();
        if let Some(msg) = first.or_else(|| slot.held.take()) {
            // The channel is new and has room for at least one message.
            let _ = queue_tx.try_send(msg);
        }
        debug_assert!(slot.current.is_none() || slot.ended.is_none());
        let replaced = slot.current.replace(Handle {
            generation,
            queue: queue_tx,
            _stop: stop_tx,
            reported: reported_rx,
        });
        let predecessor = replaced.map(|old| old.reported).or(slot.ended.take());
        let reg = Registered {
            generation,
            stop,
            reported,
            predecessor,
        };
        (reg, queue)
    }

    /// Drops `peer`'s current link if it is `generation`.
    pub(super) fn remove(&self, peer: ServerId, generation: u64) {
        Self::remove_locked(&mut self.lock(), peer, Some(generation));
    }

    fn remove_locked(inner: &mut Inner, peer: ServerId, generation: Option<u64>) {
        let Some(slot) = inner.slots.get_mut(&peer) else {
            return;
        };
        let current = slot.current.as_ref().map(|h| h.generation);
        if current.is_none() || generation.is_some_and(|g| current != Some(g)) {
            return;
        }
        if let Some(old) = slot.current.take() {
            slot.ended = Some(old.reported);
        }
    }

    /// Queues `msg` on `peer`'s current link without waiting. With no current link, registers
    /// a new one holding `msg` when `dial_queue_max` is given (its queue capacity).
    pub(super) fn send(
        &self,
        peer: ServerId,
        msg: PeerMsg,
        dial_queue_max: Option<usize>,
    ) -> Queued {
        let mut inner = self.lock();
        if let Some(current) = inner.slots.get(&peer).and_then(|s| s.current.as_ref()) {
            if current.queue.try_send(msg).is_ok() {
                return Queued::Yes;
            }
            Self::remove_locked(&mut inner, peer, None);
            return Queued::Broke;
        }
        match dial_queue_max {
            Some(queue_max) => {
                let (reg, queue) = Self::register_locked(&mut inner, peer, queue_max, Some(msg));
                Queued::Dial(reg, queue)
            }
            None => {
                inner.slots.entry(peer).or_default().held = Some(msg);
                Queued::Held
            }
        }
    }

    /// Drops every link (each stops).
    pub(super) fn clear(&self) {
        let slots = std::mem::take(&mut self.lock().slots);
        drop(slots);
    }
}
