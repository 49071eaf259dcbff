//! The file implementation of [`Storage`]: appending, group commit, segment roll, truncation.

use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use zoorepl_core::ids::Zxid;
use zoorepl_core::txn::Txn;

use super::format;
use super::{list_zxid_files, sync_dir, zxid_file_name, Storage, StorageError, StorageOptions};
use crate::storage::snapshot::SnapshotWriter;

/// The segment being written.
#[derive(Debug)]
pub(super) struct Segment {
    pub(super) path: PathBuf,
    pub(super) file: File,
    /// Bytes handed to the OS (all of them durable after a successful `sync`).
    pub(super) written: u64,
    /// The file's length: `written` plus preallocated zeros.
    pub(super) allocated: u64,
}

impl Segment {
    /// Opens an existing segment to continue it at `end` (the end of its last valid record).
    pub(super) fn reopen(path: PathBuf, end: u64) -> Result<Self, StorageError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(StorageError::io("open", &path))?;
        let allocated = file
            .metadata()
            .map_err(StorageError::io("stat", &path))?
            .len();
        assert!(
            end <= allocated,
            "segment end {end} past file length {allocated}"
        );
        Ok(Self {
            path,
            file,
            written: end,
            allocated,
        })
    }
}

/// The txn log in segment files, and the owner of the snapshot directory's lock.
///
/// Dropping it without [`Storage::sync`] loses the buffered records, as a crash would.
#[derive(Debug)]
pub struct FileStorage {
    pub(super) opts: StorageOptions,
    pub(super) log_dir: PathBuf,
    pub(super) snap_dir: PathBuf,
    pub(super) current: Option<Segment>,
    /// Records appended but not yet written, to go at `current.written`.
    pub(super) buffer: Vec<u8>,
    pub(super) last_zxid: Zxid,
    /// A segment file was created since the log directory was last fsynced.
    pub(super) dir_dirty: bool,
    /// Set by the first failure; every later call fails.
    pub(super) failed: Option<String>,
    /// Serializes the directory changes of `truncate_after`, snapshot renames and purges.
    pub(super) dir_lock: Arc<Mutex<()>>,
}

/// Locks the directory lock; it guards no data, so a poisoned lock is still usable.
pub(super) fn lock_dirs(lock: &Mutex<()>) -> MutexGuard<'_, ()> {
    lock.lock().unwrap_or_else(PoisonError::into_inner)
}

impl FileStorage {
    /// A handle that writes and purges snapshots from any thread without blocking the log.
    #[must_use]
    pub fn snapshot_writer(&self) -> SnapshotWriter {
        SnapshotWriter::new(
            self.snap_dir.clone(),
            self.log_dir.clone(),
            Arc::clone(&self.dir_lock),
        )
    }

    /// The segment being written and how many of its bytes were handed to the OS (after a
    /// successful [`Storage::sync`], how many are durable). For diagnostics and crash tests.
    #[must_use]
    pub fn current_segment(&self) -> Option<(&Path, u64)> {
        self.current
            .as_ref()
            .map(|seg| (seg.path.as_path(), seg.written))
    }

    /// Writes the buffered records to the OS without fsyncing them: they survive a process
    /// crash but not a power loss. Only crash tests need this; the server calls `sync`.
    ///
    /// # Errors
    /// When the write fails.
    pub fn flush_unsynced(&mut self) -> Result<(), StorageError> {
        self.check_usable()?;
        let result = self.write_buffer();
        self.note_failure(result)
    }

    pub(super) fn check_usable(&self) -> Result<(), StorageError> {
        match &self.failed {
            Some(why) => Err(StorageError::Failed(why.clone())),
            None => Ok(()),
        }
    }

    pub(super) fn note_failure<T>(
        &mut self,
        result: Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        if let Err(e) = &result {
            tracing::error!(error = %e, "storage failed; the server must exit and recover");
            self.failed = Some(e.to_string());
        }
        result
    }

    /// Hands the buffer to the OS in one write at the end of the current segment, growing the
    /// file by whole preallocation steps when the write would pass its end.
    fn write_buffer(&mut self) -> Result<(), StorageError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let prealloc = self.opts.prealloc_bytes;
        let seg = self
            .current
            .as_mut()
            .expect("buffered records belong to a segment");
        let end = seg.written + self.buffer.len() as u64;
        if end > seg.allocated {
            if prealloc > 0 {
                let steps = (end - seg.allocated).div_ceil(prealloc);
                seg.allocated += steps * prealloc;
                seg.file
                    .set_len(seg.allocated)
                    .map_err(StorageError::io("preallocate", &seg.path))?;
            } else {
                seg.allocated = end;
            }
        }
        seg.file
            .write_all_at(&self.buffer, seg.written)
            .map_err(StorageError::io("write", &seg.path))?;
        seg.written = end;
        self.buffer.clear();
        Ok(())
    }

    /// Writes and fdatasyncs the current segment, then fsyncs the directory if a segment was
    /// created since the last time.
    fn write_and_sync(&mut self) -> Result<(), StorageError> {
        self.write_buffer()?;
        if let Some(seg) = &self.current {
            seg.file
                .sync_data()
                .map_err(StorageError::io("fdatasync", &seg.path))?;
        }
        if self.dir_dirty {
            sync_dir(&self.log_dir).map_err(StorageError::io("fsync directory", &self.log_dir))?;
            self.dir_dirty = false;
        }
        assert!(self.buffer.is_empty());
        Ok(())
    }

    /// Starts a new segment whose first record is `first`. The previous segment is made fully
    /// durable first, so a crash can only ever tear the last segment.
    fn roll(&mut self, first: Zxid) -> Result<(), StorageError> {
        assert!(self.buffer.is_empty() || self.current.is_some());
        self.write_and_sync()?;
        let path = self.log_dir.join(zxid_file_name("log", first));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(StorageError::io("create segment", &path))?;
        let allocated = self.opts.prealloc_bytes;
        if allocated > 0 {
            file.set_len(allocated)
                .map_err(StorageError::io("preallocate", &path))?;
        }
        tracing::debug!(segment = %path.display(), "new log segment");
        self.current = Some(Segment {
            path,
            file,
            written: 0,
            allocated,
        });
        self.dir_dirty = true;
        format::encode_segment_header(first, &mut self.buffer);
        Ok(())
    }

    fn append_inner(&mut self, txns: &[Txn]) -> Result<(), StorageError> {
        for txn in txns {
            assert!(
                txn.zxid > self.last_zxid,
                "append out of order: zxid {} after {}",
                txn.zxid,
                self.last_zxid
            );
            let full = self.current.as_ref().is_none_or(|seg| {
                seg.written + self.buffer.len() as u64 >= self.opts.segment_bytes
            });
            if full {
                self.roll(txn.zxid)?;
            }
            format::encode_record(txn, &mut self.buffer);
            self.last_zxid = txn.zxid;
        }
        Ok(())
    }

    fn truncate_inner(&mut self, zxid: Zxid) -> Result<(), StorageError> {
        self.write_and_sync()?;
        let lock = Arc::clone(&self.dir_lock);
        let _guard = lock_dirs(&lock);
        // Snapshots above `zxid` contain the dropped txns: remove them first, so that a crash
        // part-way leaves the old log with older snapshots, never a snapshot of dropped txns.
        let snaps = list_zxid_files(&self.snap_dir, "snapshot")
            .map_err(StorageError::io("list", &self.snap_dir))?;
        for (_, path) in snaps.iter().filter(|(z, _)| *z > zxid) {
            fs::remove_file(path).map_err(StorageError::io("remove", path))?;
            tracing::info!(snapshot = %path.display(), %zxid, "removed snapshot above truncation");
        }
        sync_dir(&self.snap_dir).map_err(StorageError::io("fsync directory", &self.snap_dir))?;
        self.current = None;
        let segments = list_zxid_files(&self.log_dir, "log")
            .map_err(StorageError::io("list", &self.log_dir))?;
        // Newest first, so that every crash state is a prefix of the log.
        let mut keep = None;
        for (first, path) in segments.into_iter().rev() {
            if first <= zxid {
                keep = Some(path);
                break;
            }
            fs::remove_file(&path).map_err(StorageError::io("remove", &path))?;
            sync_dir(&self.log_dir).map_err(StorageError::io("fsync directory", &self.log_dir))?;
        }
        self.last_zxid = Zxid::ZERO;
        if let Some(path) = keep {
            let (end, last) = truncate_segment(&path, zxid)?;
            self.current = Some(Segment::reopen(path, end)?);
            self.last_zxid = last;
        }
        assert!(self.last_zxid <= zxid);
        Ok(())
    }
}

/// Cuts a segment after its last record at or below `zxid`; returns the new end and that
/// record's zxid.
fn truncate_segment(path: &Path, zxid: Zxid) -> Result<(u64, Zxid), StorageError> {
    let bytes = fs::read(path).map_err(StorageError::io("read", path))?;
    let corrupt = |offset: usize, reason: String| StorageError::Corrupt {
        file: path.to_path_buf(),
        offset: offset as u64,
        reason,
    };
    let first = format::decode_segment_header(&bytes).map_err(|reason| corrupt(0, reason))?;
    assert!(
        first <= zxid,
        "segment {} starts above {zxid}",
        path.display()
    );
    let scanned = format::scan_records(&bytes, first);
    let kept = scanned
        .records
        .iter()
        .rev()
        .find(|(_, _, txn)| txn.zxid <= zxid);
    let reaches_above = scanned
        .records
        .last()
        .is_some_and(|(_, _, txn)| txn.zxid > zxid);
    let Some(&(_, end, ref last)) = kept else {
        return Err(corrupt(
            scanned.end,
            "no readable record at or below the truncation point".to_owned(),
        ));
    };
    if let Some(bad) = scanned.bad.filter(|_| !reaches_above) {
        // The records up to `zxid` might continue past the damage: we cannot tell.
        return Err(corrupt(scanned.end, bad.reason));
    }
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(StorageError::io("open", path))?;
    file.set_len(end as u64)
        .map_err(StorageError::io("truncate", path))?;
    file.sync_all().map_err(StorageError::io("fsync", path))?;
    assert!(end > format::SEGMENT_HEADER_BYTES && end <= bytes.len());
    Ok((end as u64, last.zxid))
}

impl Storage for FileStorage {
    fn append(&mut self, txns: &[Txn]) -> Result<(), StorageError> {
        self.check_usable()?;
        let result = self.append_inner(txns);
        self.note_failure(result)
    }

    fn sync(&mut self) -> Result<(), StorageError> {
        self.check_usable()?;
        let result = self.write_and_sync();
        self.note_failure(result)
    }

    fn truncate_after(&mut self, zxid: Zxid) -> Result<(), StorageError> {
        self.check_usable()?;
        if zxid >= self.last_zxid {
            return Ok(());
        }
        let result = self.truncate_inner(zxid);
        self.note_failure(result)
    }

    fn last_zxid(&self) -> Zxid {
        self.last_zxid
    }
}
