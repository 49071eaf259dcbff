//! Recovery from a simulated disk, as the real storage does it (`io/src/storage/recover.rs`):
//! scan the log, cut a torn tail, refuse corruption and gaps, load the newest intact snapshot
//! and hand `Node::recover` the log after it.

use zoorepl_core::ids::Zxid;
use zoorepl_core::node::{decode_snapshot, Recovered};
use zoorepl_core::txn::Txn;

use super::{Disk, DiskFailure, Recovery};

impl Disk {
    /// Reads the disk back after a restart. Cuts a torn tail (durably, as the real storage
    /// truncates the file).
    ///
    /// # Errors
    /// When a damaged record is followed by a valid one, when the log has a gap, or when no
    /// intact snapshot covers the start of the log: the server must refuse to start.
    pub fn recover(&mut self) -> Result<Recovery, DiskFailure> {
        let (txns, torn_cut) = self.scan_log()?;
        let mut skipped = 0;
        let mut base: Option<Recovered> = None;
        for snap in self.snapshots.iter().rev() {
            if snap.zxid < self.log_base {
                break;
            }
            match snap.intact().then(|| decode_snapshot(&snap.bytes)) {
                Some(Ok(r)) => {
                    base = Some(r);
                    break;
                }
                _ => skipped += 1,
            }
        }
        let mut recovered = match base {
            Some(r) => r,
            None if self.log_base == Zxid::ZERO => Recovered::default(),
            None => {
                return Err(DiskFailure(format!(
                    "no intact snapshot at or after the log's start {}",
                    self.log_base
                )))
            }
        };
        let snap_zxid = recovered.tree.last_applied();
        let last = txns.last().map_or(self.log_base, |t| t.zxid);
        if snap_zxid > last {
            return Err(DiskFailure(format!(
                "snapshot {snap_zxid} is ahead of the log's end {last}"
            )));
        }
        recovered.log = txns.into_iter().filter(|t| t.zxid > snap_zxid).collect();
        (recovered.accepted_epoch, recovered.current_epoch) = self.epochs;
        Ok(Recovery {
            recovered,
            logged: self.records.iter().map(|r| (r.zxid, r.hash)).collect(),
            torn_cut,
            snapshots_skipped: skipped,
        })
    }

    /// Decodes every record; cuts a torn tail; refuses corruption and gaps.
    fn scan_log(&mut self) -> Result<(Vec<Txn>, bool), DiskFailure> {
        let mut txns: Vec<Txn> = Vec::with_capacity(self.records.len());
        let mut prev = self.log_base;
        for (i, record) in self.records.iter().enumerate() {
            let Some(txn) = record.decode() else {
                if let Some(j) =
                    (i + 1..self.records.len()).find(|j| self.records[*j].decode().is_some())
                {
                    return Err(DiskFailure(format!(
                        "log record {i} ({}) is damaged and a valid record {j} follows",
                        record.zxid
                    )));
                }
                self.records.truncate(i);
                self.synced = self.synced.min(i);
                return Ok((txns, true));
            };
            if !prev.follows(txn.zxid) {
                return Err(DiskFailure(format!(
                    "log gap: {} does not follow {prev}",
                    txn.zxid
                )));
            }
            prev = txn.zxid;
            txns.push(txn);
        }
        Ok((txns, false))
    }
}
