//! Snapshot files: writing them atomically off the log's thread, loading the newest valid one,
//! and purging old snapshots and the log segments only they needed.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use zoorepl_core::ids::Zxid;

use super::format;
use super::log::lock_dirs;
use super::{
    list_zxid_files, sync_dir, zxid_file_name, RecoveryError, SkippedSnapshot, StorageError,
};

/// Writes and purges snapshots; cheap to clone and usable from any thread.
#[derive(Clone, Debug)]
pub struct SnapshotWriter {
    snap_dir: PathBuf,
    log_dir: PathBuf,
    /// Shared with the [`super::FileStorage`]: directory changes of purge, snapshot renames
    /// and `truncate_after` never interleave.
    dir_lock: Arc<Mutex<()>>,
}

/// What [`SnapshotWriter::purge`] removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// Snapshot files removed, oldest first.
    pub snapshots: Vec<PathBuf>,
    /// Log segments removed, oldest first.
    pub segments: Vec<PathBuf>,
}

impl SnapshotWriter {
    pub(super) const fn new(snap_dir: PathBuf, log_dir: PathBuf, dir_lock: Arc<Mutex<()>>) -> Self {
        Self {
            snap_dir,
            log_dir,
            dir_lock,
        }
    }

    /// Durably writes the snapshot exact at `zxid`: `snapshot.<zxid>.tmp`, fsync, rename to
    /// `snapshot.<zxid>`, fsync of the directory. Returns the final path. Recovery can use it
    /// once this returns; a crash before leaves only a `.tmp` file, removed on open.
    ///
    /// # Errors
    /// When a file operation fails (the snapshot is then not usable, but the log is intact).
    pub fn write(&self, zxid: Zxid, bytes: &[u8]) -> Result<PathBuf, StorageError> {
        let name = zxid_file_name("snapshot", zxid);
        let path = self.snap_dir.join(&name);
        let tmp = self.snap_dir.join(format!("{name}.tmp"));
        let header = format::snapshot_header(zxid, bytes.len());
        let crc = crc32c::crc32c_append(crc32c::crc32c(&header), bytes);
        let mut file = File::create(&tmp).map_err(StorageError::io("create", &tmp))?;
        file.write_all(&header)
            .and_then(|()| file.write_all(bytes))
            .and_then(|()| file.write_all(&crc.to_le_bytes()))
            .map_err(StorageError::io("write", &tmp))?;
        file.sync_all().map_err(StorageError::io("fsync", &tmp))?;
        drop(file);
        let _guard = lock_dirs(&self.dir_lock);
        fs::rename(&tmp, &path).map_err(StorageError::io("rename", &tmp))?;
        sync_dir(&self.snap_dir).map_err(StorageError::io("fsync directory", &self.snap_dir))?;
        tracing::info!(snapshot = %path.display(), %zxid, bytes = bytes.len(), "snapshot written");
        Ok(path)
    }

    /// Removes all but the newest `retain_snapshots` snapshots, then every log segment whose
    /// txns all lie at or below the oldest snapshot kept (its successor segment starts at or
    /// below that zxid). The segment being written has no successor, so it is never removed.
    /// Nothing is removed until at least `retain_snapshots` snapshots exist.
    ///
    /// # Errors
    /// When a file operation fails.
    ///
    /// # Panics
    /// When `retain_snapshots < 3` (configuration must enforce ZooKeeper's minimum).
    pub fn purge(&self, retain_snapshots: usize) -> Result<PurgeReport, StorageError> {
        assert!(
            retain_snapshots >= 3,
            "must retain at least 3 snapshots, asked {retain_snapshots}"
        );
        let _guard = lock_dirs(&self.dir_lock);
        let mut report = PurgeReport::default();
        let snaps = list_zxid_files(&self.snap_dir, "snapshot")
            .map_err(StorageError::io("list", &self.snap_dir))?;
        if snaps.len() < retain_snapshots {
            return Ok(report);
        }
        let (old, kept) = snaps.split_at(snaps.len() - retain_snapshots);
        let oldest_kept = kept[0].0;
        for (_, path) in old {
            fs::remove_file(path).map_err(StorageError::io("remove", path))?;
            report.snapshots.push(path.clone());
        }
        sync_dir(&self.snap_dir).map_err(StorageError::io("fsync directory", &self.snap_dir))?;
        let segments = list_zxid_files(&self.log_dir, "log")
            .map_err(StorageError::io("list", &self.log_dir))?;
        for pair in segments.windows(2) {
            let [(_, path), (next_first, _)] = pair else {
                unreachable!("windows(2) yields pairs")
            };
            if *next_first > oldest_kept {
                break;
            }
            fs::remove_file(path).map_err(StorageError::io("remove", path))?;
            report.segments.push(path.clone());
        }
        sync_dir(&self.log_dir).map_err(StorageError::io("fsync directory", &self.log_dir))?;
        tracing::info!(
            snapshots = report.snapshots.len(),
            segments = report.segments.len(),
            %oldest_kept,
            "purged"
        );
        Ok(report)
    }
}

/// The newest snapshot that verifies, and the newer ones that did not.
pub(super) type Newest = (Option<(Zxid, Vec<u8>)>, Vec<SkippedSnapshot>);

/// Loads the newest snapshot whose checksum verifies, skipping (and reporting) newer invalid
/// ones: a snapshot may be damaged, and an older one with the log after it does as well.
pub(super) fn load_newest(snap_dir: &Path) -> Result<Newest, RecoveryError> {
    let snaps =
        list_zxid_files(snap_dir, "snapshot").map_err(RecoveryError::io("list", snap_dir))?;
    let mut skipped = Vec::new();
    for (zxid, path) in snaps.into_iter().rev() {
        let mut bytes = fs::read(&path).map_err(RecoveryError::io("read", &path))?;
        match format::verify_snapshot(&bytes, zxid) {
            Ok(range) => {
                bytes.truncate(range.end);
                bytes.drain(..range.start);
                return Ok((Some((zxid, bytes)), skipped));
            }
            Err(reason) => {
                tracing::warn!(snapshot = %path.display(), %reason, "skipping invalid snapshot");
                skipped.push(SkippedSnapshot { file: path, reason });
            }
        }
    }
    Ok((None, skipped))
}
