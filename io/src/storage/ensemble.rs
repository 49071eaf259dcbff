//! What only an ensemble member writes: its two epochs, and the leader's state installed by a
//! SNAP sync in place of its own log.
//!
//! - The epochs are one small file `<data_dir>/zoorepl-snap/epochs` holding
//!   `acceptedEpoch=N` and `currentEpoch=M` lines, replaced atomically (tmp, fsync, rename,
//!   fsync of the directory), so both change together or not at all.
//! - Installing a snapshot must, after a crash, leave either the old state (old snapshots and
//!   log) or the new one (the installed snapshot and no log), never the snapshot with the old
//!   log after it (a log from another history). An intent file `install` naming the zxid is
//!   written first; then the snapshot; then every segment and every other snapshot is
//!   removed; then the intent. Recovery finishes an install whose snapshot is complete and
//!   forgets one whose snapshot is not (the old state was not touched yet).

use std::fs;
use std::path::Path;

use zoorepl_core::ids::Zxid;

use super::log::FileStorage;
use super::{
    format, list_zxid_files, snapshot, sync_dir, write_atomically, RecoveryError, StorageError,
};

/// The epochs file's name in the snapshot directory.
const EPOCHS_FILE: &str = "epochs";
/// The install intent's name in the snapshot directory.
const INSTALL_FILE: &str = "install";

impl FileStorage {
    /// Durably replaces both epochs (write, fsync, rename, fsync of the directory).
    ///
    /// # Errors
    /// When a file operation fails; the storage is then unusable.
    pub fn save_epochs(&mut self, accepted: u32, current: u32) -> Result<(), StorageError> {
        self.check_usable()?;
        let text = format!("acceptedEpoch={accepted}\ncurrentEpoch={current}\n");
        let result = write_atomically(&self.snap_dir, EPOCHS_FILE, text.as_bytes())
            .map_err(StorageError::io("write", self.snap_dir.join(EPOCHS_FILE)));
        self.note_failure(result)
    }

    /// Takes `bytes` (an encoded state exact at `zxid`) as this server's whole durable state:
    /// afterwards the log is empty and continues after `zxid`. Atomic across a crash (see the
    /// module doc).
    ///
    /// # Errors
    /// When a file operation fails; the storage is then unusable.
    pub fn install_snapshot(&mut self, zxid: Zxid, bytes: &[u8]) -> Result<(), StorageError> {
        self.install_snapshot_with(zxid, |out| out.write_all(bytes))
    }

    /// Like [`Self::install_snapshot`], with the snapshot written by `fill` as it makes it
    /// (see [`super::SnapshotWriter::write_with`]).
    ///
    /// # Errors
    /// When `fill` or a file operation fails; the storage is then unusable.
    pub fn install_snapshot_with(
        &mut self,
        zxid: Zxid,
        fill: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) -> Result<(), StorageError> {
        self.check_usable()?;
        let result = self.install_inner(zxid, fill);
        self.note_failure(result)
    }

    fn install_inner(
        &mut self,
        zxid: Zxid,
        fill: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) -> Result<(), StorageError> {
        let raw = format::zxid_to_u64(zxid);
        let intent = self.snap_dir.join(INSTALL_FILE);
        write_atomically(
            &self.snap_dir,
            INSTALL_FILE,
            format!("{raw:016x}\n").as_bytes(),
        )
        .map_err(StorageError::io("write", &intent))?;
        self.snapshot_writer().write_with(zxid, fill)?;
        // Nothing buffered can be lost here: the disk thread syncs every batch before the next
        // operation.
        self.current = None;
        self.buffer.clear();
        // Under the directory lock: autopurge (another thread) removes files too.
        let guard = super::log::lock_dirs(&self.dir_lock);
        let finished = finish_install(&self.snap_dir, &self.log_dir, zxid);
        drop(guard);
        finished.map_err(StorageError::io("install", &self.snap_dir))?;
        self.last_zxid = zxid;
        Ok(())
    }
}

/// Removes every log segment and every snapshot but `zxid`'s, then the intent.
fn finish_install(snap_dir: &Path, log_dir: &Path, zxid: Zxid) -> std::io::Result<()> {
    for (first, path) in list_zxid_files(log_dir, "log")?.into_iter().rev() {
        super::remove_if_present(&path)?;
        tracing::info!(segment = %path.display(), %first, "removed by a snapshot install");
    }
    sync_dir(log_dir)?;
    for (at, path) in list_zxid_files(snap_dir, "snapshot")? {
        if at != zxid {
            super::remove_if_present(&path)?;
        }
    }
    fs::remove_file(snap_dir.join(INSTALL_FILE))?;
    sync_dir(snap_dir)
}

/// At open, before anything is read: finishes an install whose snapshot is complete, or
/// forgets one whose snapshot never got its final name. Returns whether one was finished.
pub(super) fn recover_install(snap_dir: &Path, log_dir: &Path) -> Result<bool, RecoveryError> {
    let intent = snap_dir.join(INSTALL_FILE);
    let text = match fs::read_to_string(&intent) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(RecoveryError::io("read", &intent)(e)),
    };
    let raw = u64::from_str_radix(text.trim(), 16).map_err(|e| RecoveryError::Corrupt {
        file: intent.clone(),
        offset: 0,
        reason: format!("not a hex zxid: {e}"),
    })?;
    let zxid = format::zxid_from_u64(raw);
    let snaps =
        list_zxid_files(snap_dir, "snapshot").map_err(RecoveryError::io("list", snap_dir))?;
    let complete = snaps
        .iter()
        .find(|(at, _)| *at == zxid)
        .is_some_and(|(_, path)| matches!(snapshot::verify(path, zxid), Ok(Ok(_))));
    if complete {
        tracing::warn!(%zxid, "finishing a snapshot install cut short by a crash");
        finish_install(snap_dir, log_dir, zxid).map_err(RecoveryError::io("install", snap_dir))?;
    } else {
        tracing::warn!(%zxid, "forgetting a snapshot install whose snapshot was never complete");
        fs::remove_file(&intent).map_err(RecoveryError::io("remove", &intent))?;
        sync_dir(snap_dir).map_err(RecoveryError::io("fsync directory", snap_dir))?;
    }
    Ok(complete)
}

/// The durable epochs (accepted, current); (0, 0) when never saved.
pub(super) fn load_epochs(snap_dir: &Path) -> Result<(u32, u32), RecoveryError> {
    let path = snap_dir.join(EPOCHS_FILE);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((0, 0)),
        Err(e) => return Err(RecoveryError::io("read", &path)(e)),
    };
    let corrupt = |reason: String| RecoveryError::Corrupt {
        file: path.clone(),
        offset: 0,
        reason,
    };
    let mut accepted = None;
    let mut current = None;
    for line in text.lines() {
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| corrupt(format!("line {line:?} is not key=value")))?;
        let value: u32 = value
            .trim()
            .parse()
            .map_err(|e| corrupt(format!("{key}: {e}")))?;
        match key.trim() {
            "acceptedEpoch" => accepted = Some(value),
            "currentEpoch" => current = Some(value),
            other => return Err(corrupt(format!("unknown key {other:?}"))),
        }
    }
    match (accepted, current) {
        (Some(a), Some(c)) if c <= a => Ok((a, c)),
        (Some(a), Some(c)) => Err(corrupt(format!(
            "currentEpoch {c} is above acceptedEpoch {a}"
        ))),
        _ => Err(corrupt("acceptedEpoch or currentEpoch missing".to_owned())),
    }
}
