//! Snapshot files: writing them atomically off the log's thread, loading the newest valid one,
//! and purging old snapshots and the log segments only they needed.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
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
        self.write_with(zxid, |out| out.write_all(bytes))
    }

    /// Like [`Self::write`], with the bytes written by `fill` as it makes them (through a
    /// buffer), so the snapshot never exists whole in memory. The header's length and the
    /// checksum are filled in once `fill` returns.
    ///
    /// # Errors
    /// When `fill` or a file operation fails.
    pub fn write_with(
        &self,
        zxid: Zxid,
        fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<PathBuf, StorageError> {
        let name = zxid_file_name("snapshot", zxid);
        let path = self.snap_dir.join(&name);
        let tmp = self.snap_dir.join(format!("{name}.tmp"));
        let mut file = File::create(&tmp).map_err(StorageError::io("create", &tmp))?;
        let (body_crc, len) =
            write_body(&mut file, fill).map_err(StorageError::io("write", &tmp))?;
        let header = format::snapshot_header(zxid, len);
        let crc = crc32c::crc32c_combine(crc32c::crc32c(&header), body_crc, len);
        file.write_all(&crc.to_le_bytes())
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(&header))
            .map_err(StorageError::io("write", &tmp))?;
        file.sync_all().map_err(StorageError::io("fsync", &tmp))?;
        drop(file);
        let _guard = lock_dirs(&self.dir_lock);
        fs::rename(&tmp, &path).map_err(StorageError::io("rename", &tmp))?;
        sync_dir(&self.snap_dir).map_err(StorageError::io("fsync directory", &self.snap_dir))?;
        tracing::info!(snapshot = %path.display(), %zxid, bytes = len, "snapshot written");
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
            super::remove_if_present(path).map_err(StorageError::io("remove", path))?;
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
            super::remove_if_present(path).map_err(StorageError::io("remove", path))?;
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

/// Writes a placeholder header, then the body through a buffer; returns the body's checksum
/// and length, with the file positioned after the body.
fn write_body(
    file: &mut File,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<(u32, usize)> {
    file.write_all(&[0u8; format::SNAPSHOT_HEADER_BYTES])?;
    let mut body = Checksummed {
        inner: BufWriter::with_capacity(IO_BUFFER_BYTES, file),
        crc: 0,
        len: 0,
    };
    fill(&mut body)?;
    body.inner.flush()?;
    Ok((body.crc, body.len))
}

/// Buffer of snapshot reads and writes.
const IO_BUFFER_BYTES: usize = 1 << 20;

/// A writer that keeps the checksum and length of what went through it.
struct Checksummed<W> {
    inner: W,
    crc: u32,
    len: usize,
}

impl<W: Write> Write for Checksummed<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc = crc32c::crc32c_append(self.crc, &buf[..n]);
        self.len += n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A snapshot file that verified: read its bytes with [`Self::reader`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSnapshot {
    /// The zxid it is exact at.
    pub zxid: Zxid,
    /// The file.
    pub path: PathBuf,
    /// Bytes of snapshot in it.
    pub len: u64,
}

impl StoredSnapshot {
    /// The snapshot's bytes, read through a buffer.
    ///
    /// # Errors
    /// When the file cannot be opened or positioned.
    pub fn reader(&self) -> io::Result<impl Read> {
        let mut file = File::open(&self.path)?;
        file.seek(SeekFrom::Start(format::SNAPSHOT_HEADER_BYTES as u64))?;
        Ok(BufReader::with_capacity(IO_BUFFER_BYTES, file).take(self.len))
    }

    /// The snapshot's bytes, whole.
    ///
    /// # Errors
    /// When reading fails.
    pub fn read_all(&self) -> io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        self.reader()?.read_to_end(&mut bytes)?;
        Ok(bytes)
    }
}

/// The newest snapshot that verifies, and the newer ones that did not.
pub(super) type Newest = (Option<StoredSnapshot>, Vec<SkippedSnapshot>);

/// Finds the newest snapshot whose checksum verifies (read through, never held whole),
/// skipping (and reporting) newer invalid ones: a snapshot may be damaged, and an older one
/// with the log after it does as well.
pub(super) fn load_newest(snap_dir: &Path) -> Result<Newest, RecoveryError> {
    let snaps =
        list_zxid_files(snap_dir, "snapshot").map_err(RecoveryError::io("list", snap_dir))?;
    let mut skipped = Vec::new();
    for (zxid, path) in snaps.into_iter().rev() {
        match verify(&path, zxid).map_err(RecoveryError::io("read", &path))? {
            Ok(len) => return Ok((Some(StoredSnapshot { zxid, path, len }), skipped)),
            Err(reason) => {
                tracing::warn!(snapshot = %path.display(), %reason, "skipping invalid snapshot");
                skipped.push(SkippedSnapshot { file: path, reason });
            }
        }
    }
    Ok((None, skipped))
}

/// Checks a snapshot file against the zxid its name gives: `Ok(Ok(len))` with the length of
/// its snapshot bytes, `Ok(Err(why))` when it is not a valid snapshot, `Err` when reading
/// fails.
pub(super) fn verify(path: &Path, zxid: Zxid) -> io::Result<Result<u64, String>> {
    let mut file = File::open(path)?;
    let size = file.metadata()?.len();
    let mut header = [0u8; format::SNAPSHOT_HEADER_BYTES];
    if size < (format::SNAPSHOT_HEADER_BYTES + format::SNAPSHOT_TRAILER_BYTES) as u64 {
        return Ok(Err(format!("file too short ({size} bytes)")));
    }
    file.read_exact(&mut header)?;
    let len = match format::check_snapshot_header(&header, zxid, size) {
        Ok(len) => len,
        Err(reason) => return Ok(Err(reason)),
    };
    let mut reader = BufReader::with_capacity(IO_BUFFER_BYTES, file);
    let mut crc = crc32c::crc32c(&header);
    let mut left = len;
    while left > 0 {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(Err("file ended inside the snapshot".into()));
        }
        let n = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        crc = crc32c::crc32c_append(crc, &buf[..n]);
        reader.consume(n);
        left -= n as u64;
    }
    let mut stored = [0u8; format::SNAPSHOT_TRAILER_BYTES];
    reader.read_exact(&mut stored)?;
    let stored = u32::from_le_bytes(stored);
    if stored != crc {
        return Ok(Err(format!(
            "checksum mismatch (stored {stored:#010x}, computed {crc:#010x})"
        )));
    }
    Ok(Ok(len))
}
