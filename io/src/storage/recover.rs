//! Opening the storage: load the newest valid snapshot, read and check every segment, cut a
//! torn tail, refuse corruption and gaps.

use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use zoorepl_core::ids::Zxid;
use zoorepl_core::txn::Txn;

use super::format::{self, Scanned};
use super::log::{FileStorage, Segment};
use super::{
    create_dir_durably, ensemble, list_zxid_files, remove_tmp_files, snapshot, sync_dir, Loaded,
    RecoveryError, RecoveryReport, StorageOptions, TornTail,
};

/// What reading the log produced.
struct LogState {
    /// Txns after the snapshot, checked to follow it without a gap.
    after_snapshot: Vec<Txn>,
    /// The last zxid in the whole log.
    last_zxid: Zxid,
    /// The last segment and where its records end, if any segment holds records.
    current: Option<(PathBuf, u64)>,
}

impl FileStorage {
    /// Opens (creating if needed) the storage and recovers what it holds.
    ///
    /// # Errors
    /// [`RecoveryError::Corrupt`] or [`RecoveryError::Gap`] when the log cannot be trusted; the
    /// server must then refuse to start. [`RecoveryError::Io`] when a file operation fails.
    ///
    /// # Panics
    /// When `segment_bytes` is 0.
    pub fn open(opts: StorageOptions) -> Result<(Self, Loaded), RecoveryError> {
        assert!(opts.segment_bytes > 0, "segment_bytes must be positive");
        let log_dir = opts.log_dir();
        let snap_dir = opts.snap_dir();
        create_dir_durably(&log_dir).map_err(RecoveryError::io("create", &log_dir))?;
        create_dir_durably(&snap_dir).map_err(RecoveryError::io("create", &snap_dir))?;
        let mut report = RecoveryReport::default();
        for dir in [&snap_dir, &log_dir] {
            let removed = remove_tmp_files(dir).map_err(RecoveryError::io("clean", dir))?;
            report.removed.extend(removed);
        }
        report.finished_install = ensemble::recover_install(&snap_dir, &log_dir)?;
        let epochs = ensemble::load_epochs(&snap_dir)?;
        let (snapshot, skipped) = snapshot::load_newest(&snap_dir)?;
        report.skipped_snapshots = skipped;
        let base = snapshot.as_ref().map_or(Zxid::ZERO, |s| s.zxid);
        let log = read_log(&log_dir, base, &mut report)?;
        let current = match log.current {
            Some((path, end)) => Some(Segment::reopen(path, end)?),
            None => None,
        };
        // Records read back may only have reached the page cache (a process crash, not a
        // power loss): make them durable before anything is acknowledged on their basis.
        if let Some(seg) = &current {
            seg.file
                .sync_data()
                .map_err(RecoveryError::io("fdatasync", &seg.path))?;
        }
        sync_dir(&log_dir).map_err(RecoveryError::io("fsync directory", &log_dir))?;
        tracing::info!(
            snapshot = ?snapshot.as_ref().map(|s| s.zxid.to_string()),
            txns = log.after_snapshot.len(),
            last_zxid = %log.last_zxid,
            "storage recovered"
        );
        let storage = Self {
            opts,
            log_dir,
            snap_dir,
            current,
            buffer: Vec::new(),
            last_zxid: log.last_zxid,
            dir_dirty: false,
            failed: None,
            dir_lock: Arc::new(Mutex::new(())),
        };
        let loaded = Loaded {
            snapshot,
            log: log.after_snapshot,
            epochs,
            report,
        };
        Ok((storage, loaded))
    }
}

/// Reads the segments in order. `base` is the snapshot's zxid: the txns after it are
/// returned, and must follow it without a gap. A segment whose successor starts at or below
/// `base` holds nothing after the snapshot and is not read (as Java reads the logs from the
/// snapshot's zxid on): with autopurge off they pile up, and reading them made a restart
/// decode every txn ever logged.
fn read_log(
    log_dir: &Path,
    base: Zxid,
    report: &mut RecoveryReport,
) -> Result<LogState, RecoveryError> {
    let segments = list_zxid_files(log_dir, "log").map_err(RecoveryError::io("list", log_dir))?;
    let mut state = LogState {
        after_snapshot: Vec::new(),
        last_zxid: Zxid::ZERO,
        current: None,
    };
    let count = segments.len();
    // Segments are sorted by first zxid: every one before the last that starts at or below
    // `base` ends before the snapshot.
    let first_needed = segments
        .iter()
        .rposition(|(first, _)| *first <= base)
        .unwrap_or(0);
    for (index, (name_zxid, path)) in segments.into_iter().enumerate().skip(first_needed) {
        let is_last = index + 1 == count;
        let Some(scanned) = read_segment(&path, name_zxid, is_last, report)? else {
            continue;
        };
        let corrupt = |offset: usize, reason: String| RecoveryError::Corrupt {
            file: path.clone(),
            offset: offset as u64,
            reason,
        };
        if scanned.records.is_empty() {
            if !is_last {
                return Err(corrupt(scanned.end, "segment holds no record".to_owned()));
            }
            fs::remove_file(&path).map_err(RecoveryError::io("remove", &path))?;
            tracing::warn!(segment = %path.display(), "removed last segment without records");
            report.removed.push(path);
            continue;
        }
        for (offset, _, txn) in scanned.records {
            if txn.zxid <= state.last_zxid {
                let reason = format!(
                    "zxid {} does not increase over the previous segment's last {}",
                    txn.zxid, state.last_zxid
                );
                return Err(corrupt(offset, reason));
            }
            if txn.zxid > base {
                let after = state.after_snapshot.last().map_or(base, |t| t.zxid);
                if !after.follows(txn.zxid) {
                    return Err(RecoveryError::Gap {
                        after,
                        next: txn.zxid,
                        file: path,
                    });
                }
                state.last_zxid = txn.zxid;
                state.after_snapshot.push(txn);
            } else {
                state.last_zxid = txn.zxid;
            }
        }
        state.current = is_last.then_some((path, scanned.end as u64));
    }
    Ok(state)
}

/// Reads and checks one segment. A torn tail of the last segment is cut (the file truncated
/// and fsynced); a last segment whose header is torn is removed (`None`). Any damage that a
/// crash cannot explain is an error.
fn read_segment(
    path: &Path,
    name_zxid: Zxid,
    is_last: bool,
    report: &mut RecoveryReport,
) -> Result<Option<Scanned>, RecoveryError> {
    let bytes = fs::read(path).map_err(RecoveryError::io("read", path))?;
    let corrupt = |offset: usize, reason: String| RecoveryError::Corrupt {
        file: path.to_path_buf(),
        offset: offset as u64,
        reason,
    };
    let first = match format::decode_segment_header(&bytes) {
        Ok(first) => first,
        Err(reason) => {
            if !is_last {
                return Err(corrupt(0, reason));
            }
            if let Some(valid) = format::next_valid_record(&bytes, 0) {
                return Err(corrupt(
                    0,
                    format!("{reason}; a valid record follows at {valid}"),
                ));
            }
            // A segment created just before a crash: nothing in it was ever synced.
            fs::remove_file(path).map_err(RecoveryError::io("remove", path))?;
            tracing::warn!(segment = %path.display(), %reason, "removed segment with torn header");
            report.removed.push(path.to_path_buf());
            return Ok(None);
        }
    };
    if first != name_zxid {
        let reason = format!("header zxid {first} differs from the file name's {name_zxid}");
        return Err(corrupt(0, reason));
    }
    let scanned = format::scan_records(&bytes, first);
    let Some(bad) = &scanned.bad else {
        return Ok(Some(scanned));
    };
    if !is_last || bad.always_corrupt {
        let why = if is_last {
            ""
        } else {
            " (in a segment that is not the last)"
        };
        return Err(corrupt(scanned.end, format!("{}{why}", bad.reason)));
    }
    if let Some(valid) = format::next_valid_record(&bytes, scanned.end + 1) {
        let reason = format!("{}; a valid record follows at offset {valid}", bad.reason);
        return Err(corrupt(scanned.end, reason));
    }
    report.torn_tail = Some(cut_torn_tail(path, &bytes, scanned.end, &bad.reason)?);
    Ok(Some(scanned))
}

/// Truncates the last segment at `end`, the end of its last complete record.
fn cut_torn_tail(
    path: &Path,
    bytes: &[u8],
    end: usize,
    reason: &str,
) -> Result<TornTail, RecoveryError> {
    let nonzero_end = bytes.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
    assert!(nonzero_end > end, "a torn tail holds non-zero bytes");
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(RecoveryError::io("open", path))?;
    file.set_len(end as u64)
        .map_err(RecoveryError::io("truncate", path))?;
    file.sync_all().map_err(RecoveryError::io("fsync", path))?;
    let torn = TornTail {
        file: path.to_path_buf(),
        offset: end as u64,
        bytes_cut: (nonzero_end - end) as u64,
        reason: reason.to_owned(),
    };
    tracing::warn!(
        segment = %path.display(),
        offset = torn.offset,
        bytes_cut = torn.bytes_cut,
        reason,
        "cut torn tail of the log (unsynced writes of a crash)"
    );
    Ok(torn)
}
