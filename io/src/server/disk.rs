//! The disk thread and the snapshot thread.
//!
//! The disk thread carries out the node's disk operations one at a time, in order (a `Persist`
//! batch appended and fsynced; an ensemble member's epochs, truncations and installed
//! snapshots), and only once each is durable tells the node task so. A failed write or fsync
//! ends the process with [`super::EXIT_STORAGE_FAILURE`]: after a failed fsync the kernel may
//! have dropped the dirty pages, so retrying could acknowledge data that is not on disk.
//!
//! Under madsim (`--cfg madsim`), which has no threads, both are tasks, and the disk is the
//! simulation's; a persist then takes [`SIM_FSYNC`] of simulated time, during which a kill
//! loses the batch.

#[cfg(not(madsim))]
use std::sync::mpsc as std_mpsc;

use super::stats::millis;

use tokio::sync::mpsc;
use zoorepl_core::ids::{SessionId, Zxid};
use zoorepl_core::tree::DataTree;
use zoorepl_core::txn::Txn;

use super::{Event, EXIT_STORAGE_FAILURE};
use crate::storage::{tree_codec, FileStorage, Storage, StorageError};

/// A log that can make txns durable, and an ensemble member's other durable state.
pub trait Disk: Send + 'static {
    /// Appends the txns and fsyncs; returns only once they are durable.
    ///
    /// # Errors
    /// Any failure to write or sync; the caller treats it as fatal.
    fn persist(&mut self, txns: &[Txn]) -> Result<(), DiskError>;

    /// Durably replaces both epochs (ensemble only).
    ///
    /// # Errors
    /// Any failure; fatal.
    fn save_epochs(&mut self, accepted: u32, current: u32) -> Result<(), DiskError>;

    /// Durably drops every txn after `zxid` (a TRUNC from the leader).
    ///
    /// # Errors
    /// Any failure; fatal.
    fn truncate_after(&mut self, zxid: Zxid) -> Result<(), DiskError>;

    /// Durably takes `tree` and `sessions`, the state exact at `zxid`, as the whole durable
    /// state (a SNAP from the leader): the log is dropped and continues after `zxid`.
    ///
    /// # Errors
    /// Any failure; fatal.
    fn install_snapshot(
        &mut self,
        zxid: Zxid,
        tree: &DataTree,
        sessions: &[(SessionId, i32)],
    ) -> Result<(), DiskError>;
}

impl Disk for FileStorage {
    fn persist(&mut self, txns: &[Txn]) -> Result<(), DiskError> {
        self.append(txns)?;
        Ok(self.sync()?)
    }

    fn save_epochs(&mut self, accepted: u32, current: u32) -> Result<(), DiskError> {
        Ok(Self::save_epochs(self, accepted, current)?)
    }

    fn truncate_after(&mut self, zxid: Zxid) -> Result<(), DiskError> {
        Ok(Storage::truncate_after(self, zxid)?)
    }

    fn install_snapshot(
        &mut self,
        zxid: Zxid,
        tree: &DataTree,
        sessions: &[(SessionId, i32)],
    ) -> Result<(), DiskError> {
        let fill = |out: &mut dyn std::io::Write| tree_codec::write_state(out, tree, sessions);
        Ok(self.install_snapshot_with(zxid, fill)?)
    }
}

/// One operation for the disk thread, carried out after every earlier one.
#[derive(Debug)]
pub(super) enum DiskOp {
    /// Append and fsync; then `Persisted`.
    Persist(Vec<Txn>),
    /// Save the epochs; then `EpochSaved`.
    SaveEpochs { accepted: u32, current: u32 },
    /// Drop the log after `after`; then `Truncated`.
    Truncate { after: Zxid },
    /// Encode and install this state; then `SnapshotInstalled`.
    Install {
        zxid: Zxid,
        tree: Box<DataTree>,
        sessions: Vec<(SessionId, i32)>,
    },
}

/// Where snapshots go.
pub trait SnapshotSink: Send + 'static {
    /// Writes the snapshot of the state at `zxid` (`tree` and `sessions`) completely and
    /// durably.
    ///
    /// # Errors
    /// Any failure; the snapshot is then not used, and the log still holds everything.
    fn write(
        &mut self,
        zxid: Zxid,
        tree: &DataTree,
        sessions: &[(SessionId, i32)],
    ) -> Result<(), DiskError>;
}

impl From<StorageError> for DiskError {
    fn from(e: StorageError) -> Self {
        Self {
            what: "storage".to_owned(),
            source: std::io::Error::other(e.to_string()),
        }
    }
}

/// A storage failure, with what was being done.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {source}")]
pub struct DiskError {
    /// What failed (file and operation).
    pub what: String,
    /// The OS error.
    #[source]
    pub source: std::io::Error,
}

/// Feeds the disk thread.
#[cfg(not(madsim))]
pub(super) type DiskTx = std_mpsc::SyncSender<DiskOp>;
/// Feeds the disk task.
#[cfg(madsim)]
pub(super) type DiskTx = mpsc::UnboundedSender<DiskOp>;
/// Feeds the snapshot thread.
#[cfg(not(madsim))]
pub(super) type SnapshotTx = std_mpsc::SyncSender<SnapshotJob>;
/// Feeds the snapshot task.
#[cfg(madsim)]
pub(super) type SnapshotTx = mpsc::Sender<SnapshotJob>;

/// How long a simulated persist takes.
#[cfg(madsim)]
pub(super) const SIM_FSYNC: std::time::Duration = std::time::Duration::from_millis(2);

/// Starts the disk thread; returns the channel that feeds it operations.
#[cfg(not(madsim))]
pub(super) fn spawn_disk_thread(mut disk: Box<dyn Disk>, events: mpsc::Sender<Event>) -> DiskTx {
    let (tx, rx) = std_mpsc::sync_channel::<DiskOp>(4);
    std::thread::Builder::new()
        .name("zoorepl-disk".into())
        .spawn(move || {
            while let Ok(op) = rx.recv() {
                let done = carry_out(disk.as_mut(), op).unwrap_or_else(|e| fatal(&e));
                if events.blocking_send(done).is_err() {
                    return;
                }
            }
        })
        .expect("spawning the disk thread");
    tx
}

/// Starts the disk task; returns the channel that feeds it operations.
#[cfg(madsim)]
pub(super) fn spawn_disk_thread(mut disk: Box<dyn Disk>, events: mpsc::Sender<Event>) -> DiskTx {
    let (tx, mut rx) = mpsc::unbounded_channel::<DiskOp>();
    tokio::spawn(async move {
        while let Some(op) = rx.recv().await {
            tokio::time::sleep(SIM_FSYNC).await;
            let done = carry_out(disk.as_mut(), op).unwrap_or_else(|e| fatal(&e));
            if events.send(done).await.is_err() {
                return;
            }
        }
    });
    tx
}

fn fatal(e: &DiskError) -> ! {
    tracing::error!("fatal: the disk could not be made durable: {e}");
    eprintln!("zoorepld: fatal: the disk could not be made durable: {e}");
    std::process::exit(EXIT_STORAGE_FAILURE);
}

/// Does one operation; returns what to tell the node task.
fn carry_out(disk: &mut dyn Disk, op: DiskOp) -> Result<Event, DiskError> {
    Ok(match op {
        DiskOp::Persist(batch) => {
            let upto = batch.last().expect("Persist batches are never empty").zxid;
            let started = std::time::Instant::now();
            disk.persist(&batch)?;
            Event::Persisted {
                upto,
                txns: batch.len() as u64,
                took_ms: millis(started.elapsed()),
            }
        }
        DiskOp::SaveEpochs { accepted, current } => {
            disk.save_epochs(accepted, current)?;
            Event::EpochSaved { accepted, current }
        }
        DiskOp::Truncate { after } => {
            disk.truncate_after(after)?;
            Event::Truncated { after }
        }
        DiskOp::Install {
            zxid,
            tree,
            sessions,
        } => {
            disk.install_snapshot(zxid, &tree, &sessions)?;
            tracing::info!(
                "installed the leader's snapshot at {zxid} ({} znodes)",
                tree.znode_count()
            );
            Event::SnapshotInstalled { zxid }
        }
    })
}

/// A snapshot to encode and write: the (structurally shared) tree and the sessions at `zxid`.
pub(super) type SnapshotJob = (
    Zxid,
    Box<zoorepl_core::tree::DataTree>,
    Vec<(zoorepl_core::ids::SessionId, i32)>,
);

/// Starts the snapshot thread; returns the channel that feeds it snapshots. Encoding happens
/// here, off the node task, so a snapshot of a big tree never stalls requests.
#[cfg(not(madsim))]
pub(super) fn spawn_snapshot_thread(
    mut sink: Box<dyn SnapshotSink>,
    events: mpsc::Sender<Event>,
) -> SnapshotTx {
    let (tx, rx) = std_mpsc::sync_channel::<SnapshotJob>(1);
    std::thread::Builder::new()
        .name("zoorepl-snapshot".into())
        .spawn(move || {
            while let Ok(job) = rx.recv() {
                if let Some(done) = write_snapshot(sink.as_mut(), job) {
                    if events.blocking_send(done).is_err() {
                        return;
                    }
                }
            }
        })
        .expect("spawning the snapshot thread");
    tx
}

/// Starts the snapshot task; returns the channel that feeds it snapshots.
#[cfg(madsim)]
pub(super) fn spawn_snapshot_thread(
    mut sink: Box<dyn SnapshotSink>,
    events: mpsc::Sender<Event>,
) -> SnapshotTx {
    let (tx, mut rx) = mpsc::channel::<SnapshotJob>(1);
    tokio::spawn(async move {
        while let Some(job) = rx.recv().await {
            if let Some(done) = write_snapshot(sink.as_mut(), job) {
                if events.send(done).await.is_err() {
                    return;
                }
            }
        }
    });
    tx
}

/// Writes one snapshot; the event to report when it was written.
fn write_snapshot(
    sink: &mut dyn SnapshotSink,
    (zxid, tree, sessions): SnapshotJob,
) -> Option<Event> {
    let started = std::time::Instant::now();
    match sink.write(zxid, &tree, &sessions) {
        Ok(()) => {
            tracing::info!("snapshot at {zxid} written");
            Some(Event::SnapshotWritten {
                took_ms: millis(started.elapsed()),
            })
        }
        Err(e) => {
            tracing::error!("snapshot at {zxid} failed (the log keeps everything): {e}");
            None
        }
    }
}
