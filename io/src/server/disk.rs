//! The disk thread and the snapshot thread.
//!
//! The disk thread takes one `Persist` batch at a time, appends and fsyncs it, and only then
//! tells the node task `Persisted`. A failed write or fsync ends the process with
//! [`super::EXIT_STORAGE_FAILURE`]: after a failed fsync the kernel may have dropped the dirty
//! pages, so retrying could acknowledge data that is not on disk.

use std::sync::mpsc as std_mpsc;

use tokio::sync::mpsc;
use zoorepl_core::ids::Zxid;

use super::{Event, PersistBatch, EXIT_STORAGE_FAILURE};

/// A log that can make txns durable.
pub trait Disk: Send + 'static {
    /// Appends the txns and fsyncs; returns only once they are durable.
    ///
    /// # Errors
    /// Any failure to write or sync; the caller treats it as fatal.
    fn persist(&mut self, txns: &[zoorepl_core::txn::Txn]) -> Result<(), DiskError>;
}

/// Where snapshots go.
pub trait SnapshotSink: Send + 'static {
    /// Writes the snapshot of the state at `zxid` completely and durably.
    ///
    /// # Errors
    /// Any failure; the snapshot is then not used, and the log still holds everything.
    fn write(&mut self, zxid: Zxid, bytes: &[u8]) -> Result<(), DiskError>;
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

/// Starts the disk thread; returns the channel that feeds it batches.
pub(super) fn spawn_disk_thread(
    mut disk: Box<dyn Disk>,
    events: mpsc::Sender<Event>,
) -> std_mpsc::SyncSender<PersistBatch> {
    let (tx, rx) = std_mpsc::sync_channel::<PersistBatch>(4);
    std::thread::Builder::new()
        .name("zoorepl-disk".into())
        .spawn(move || {
            while let Ok(batch) = rx.recv() {
                let upto = batch.last().expect("Persist batches are never empty").zxid;
                if let Err(e) = disk.persist(&batch) {
                    tracing::error!("fatal: the log could not be made durable: {e}");
                    eprintln!("zoorepld: fatal: the log could not be made durable: {e}");
                    std::process::exit(EXIT_STORAGE_FAILURE);
                }
                if events.blocking_send(Event::Persisted { upto }).is_err() {
                    return;
                }
            }
        })
        .expect("spawning the disk thread");
    tx
}

/// A snapshot to encode and write: the (structurally shared) tree and the sessions at `zxid`.
pub(super) type SnapshotJob = (
    Zxid,
    Box<zoorepl_core::tree::DataTree>,
    Vec<(zoorepl_core::ids::SessionId, i32)>,
);

/// Starts the snapshot thread; returns the channel that feeds it snapshots. Encoding happens
/// here, off the node task, so a snapshot of a big tree never stalls requests.
pub(super) fn spawn_snapshot_thread(
    mut sink: Box<dyn SnapshotSink>,
) -> std_mpsc::SyncSender<SnapshotJob> {
    let (tx, rx) = std_mpsc::sync_channel::<SnapshotJob>(1);
    std::thread::Builder::new()
        .name("zoorepl-snapshot".into())
        .spawn(move || {
            while let Ok((zxid, tree, sessions)) = rx.recv() {
                let bytes = zoorepl_core::node::encode_snapshot(&tree, sessions);
                drop(tree);
                match sink.write(zxid, &bytes) {
                    Ok(()) => tracing::info!("snapshot at {zxid} written ({} bytes)", bytes.len()),
                    Err(e) => {
                        tracing::error!("snapshot at {zxid} failed (the log keeps everything): {e}")
                    }
                }
            }
        })
        .expect("spawning the snapshot thread");
    tx
}
