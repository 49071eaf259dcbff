//! The set of tasks a transport runs, so that shutting it down stops every one of them (and so
//! closes every socket they own), including tasks that other tasks spawned.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use tokio::task::{AbortHandle, JoinHandle};

/// Running tasks by number. Finished tasks take themselves out.
///
/// Tasks are spawned with `tokio::spawn` (on the caller's runtime) rather than through a
/// stored runtime handle, to stay within what the simulator provides.
#[derive(Default)]
pub(super) struct TaskSet {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Set by `shutdown`: nothing new starts after it.
    closed: bool,
    next: u64,
    running: BTreeMap<u64, AbortHandle>,
    /// Tasks that ended before `spawn` could record them (so it does not).
    ended_early: BTreeSet<u64>,
}

impl TaskSet {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every update under this lock is a single map operation, so a lock poisoned by a
        // panic elsewhere still holds a consistent map.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `fut` as a task of this set; does nothing once the set is shut down.
    pub(super) fn spawn<F>(self: &Arc<Self>, fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let id = {
            let mut inner = self.lock();
            if inner.closed {
                return;
            }
            inner.next += 1;
            inner.next
        };
        let leave = Leave {
            set: Arc::downgrade(self),
            id,
        };
        // Spawned without the lock: a runtime that is shutting down drops the future at once,
        // and `Leave::drop` takes the lock.
        let task = tokio::spawn(async move {
            let _leave = leave;
            fut.await;
        });
        let mut inner = self.lock();
        if inner.ended_early.remove(&id) {
            return;
        }
        if inner.closed {
            drop(inner);
            task.abort();
            return;
        }
        inner.running.insert(id, task.abort_handle());
    }

    /// Stops every task and refuses new ones.
    pub(super) fn shutdown(&self) {
        let running = {
            let mut inner = self.lock();
            inner.closed = true;
            std::mem::take(&mut inner.running)
        };
        // Aborted outside the lock: a task's `Leave` takes the lock when it is dropped.
        for task in running.into_values() {
            task.abort();
        }
    }
}

/// Takes a finished (or aborted) task out of its set.
struct Leave {
    set: Weak<TaskSet>,
    id: u64,
}

impl Drop for Leave {
    fn drop(&mut self) {
        if let Some(set) = self.set.upgrade() {
            let mut inner = set.lock();
            if inner.running.remove(&self.id).is_none() && !inner.closed {
                inner.ended_early.insert(self.id);
            }
        }
    }
}

/// A task that is aborted when this handle is dropped: a helper of a task in the set, which
/// ends with its owner.
pub(super) struct AbortOnDrop<T>(pub(super) JoinHandle<T>);

impl<T: Send + 'static> AbortOnDrop<T> {
    /// Spawns `fut` as a helper.
    pub(super) fn spawn<F>(fut: F) -> Self
    where
        F: Future<Output = T> + Send + 'static,
    {
        Self(tokio::spawn(fut))
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
