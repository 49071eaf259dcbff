//! Errors of the storage, with the files they concern.

use std::io;
use std::path::PathBuf;

use thiserror::Error;
use zoorepl_core::ids::Zxid;

/// A failure while the server runs. Every one of them is fatal to the shell: a failed write or
/// fsync leaves the file in an unknown state, so it must exit and recover, never retry.
#[derive(Debug, Error)]
pub enum StorageError {
    /// A system call failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was being done ("fsync", "write", ...).
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// An earlier call failed; the log is in an unknown state until the process recovers.
    #[error("storage unusable after an earlier failure: {0}")]
    Failed(String),
    /// A log segment re-read for `truncate_after` is damaged.
    #[error("corrupt log file {} at byte offset {offset}: {reason}", file.display())]
    Corrupt {
        /// The segment.
        file: PathBuf,
        /// Where the damaged record starts.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
}

impl StorageError {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { op, path, source }
    }
}

/// Why the server cannot start from its data directories. The message names the file and the
/// offset, for the operator; the server must refuse to start rather than lose txns.
#[derive(Debug, Error)]
pub enum RecoveryError {
    /// A system call failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// A log segment is damaged somewhere a crash cannot explain (a bad record with valid
    /// records after it, or a bad record in a segment that is not the last).
    #[error(
        "corrupt log file {} at byte offset {offset}: {reason}; refusing to start \
         (replaying past this point would lose or reorder txns)",
        file.display()
    )]
    Corrupt {
        /// The segment.
        file: PathBuf,
        /// Where the damaged record (or header) starts.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// Txns are missing between the snapshot (or a record) and the next record in the log.
    #[error(
        "log gap in {}: txn {next} does not directly follow {after}; \
         txns in between are missing, refusing to start",
        file.display()
    )]
    Gap {
        /// The last zxid known (the snapshot's, or the previous record's).
        after: Zxid,
        /// The next zxid found in the log.
        next: Zxid,
        /// The segment holding `next`.
        file: PathBuf,
    },
}

impl RecoveryError {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { op, path, source }
    }
}

impl From<StorageError> for RecoveryError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Io { op, path, source } => Self::Io { op, path, source },
            StorageError::Corrupt {
                file,
                offset,
                reason,
            } => Self::Corrupt {
                file,
                offset,
                reason,
            },
            StorageError::Failed(why) => Self::Io {
                op: "recover",
                path: PathBuf::new(),
                source: io::Error::other(why),
            },
        }
    }
}
