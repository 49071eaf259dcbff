//! One server's simulated disk: a log of checksummed records, written apart from synced, plus
//! snapshots and the epoch file, both written atomically.
//!
//! A log record is `len: u32 LE, crc32c(payload): u32 LE, payload = postcard(Txn)`, as in the
//! real segment files, so damage is caught by a real checksum. [`Disk::write`] puts records in
//! the "page cache"; [`Disk::sync`] makes them durable. [`Disk::crash`] decides the fate of what
//! was never synced: lost, kept (the cache reached the platter anyway) or torn (a prefix kept,
//! the next record cut or garbled, the rest lost). [`Disk::recover`] then does what a real
//! storage recovery does: the newest intact snapshot, the log records after it, a torn tail
//! cut; a damaged record followed by a valid one is corruption, and the server refuses to start.

use zoorepl_core::ids::Zxid;
use zoorepl_core::node::Recovered;
use zoorepl_core::txn::Txn;

use crate::rand::Rng;
use crate::trace::fnv64;

/// Bytes before a record's payload (length and checksum).
const RECORD_HEADER_BYTES: usize = 8;

/// One log record as stored.
#[derive(Clone, Debug)]
pub struct Record {
    /// The txn's zxid (bookkeeping only; recovery reads the bytes).
    pub zxid: Zxid,
    /// Identity of the txn: FNV-1a of its postcard payload.
    pub hash: u64,
    bytes: Vec<u8>,
}

impl Record {
    /// Encodes a txn.
    #[must_use]
    pub fn encode(txn: &Txn) -> Self {
        let mut bytes = vec![0u8; RECORD_HEADER_BYTES];
        bytes = postcard::to_extend(txn, bytes).expect("in-memory serialization cannot fail");
        let payload = &bytes[RECORD_HEADER_BYTES..];
        let len = u32::try_from(payload.len()).expect("txn fits in a record");
        let crc = crc32c::crc32c(payload);
        let hash = fnv64(payload);
        bytes[0..4].copy_from_slice(&len.to_le_bytes());
        bytes[4..8].copy_from_slice(&crc.to_le_bytes());
        Self {
            zxid: txn.zxid,
            hash,
            bytes,
        }
    }

    /// Reads the record back, checking its length and checksum.
    fn decode(&self) -> Option<Txn> {
        let header = self.bytes.get(..RECORD_HEADER_BYTES)?;
        let len = u32::from_le_bytes(header[0..4].try_into().expect("4 bytes")) as usize;
        let crc = u32::from_le_bytes(header[4..8].try_into().expect("4 bytes"));
        let payload = self
            .bytes
            .get(RECORD_HEADER_BYTES..RECORD_HEADER_BYTES + len)?;
        if crc32c::crc32c(payload) != crc || self.bytes.len() != RECORD_HEADER_BYTES + len {
            return None;
        }
        postcard::from_bytes(payload).ok()
    }
}

#[derive(Clone, Debug)]
struct StoredSnapshot {
    zxid: Zxid,
    crc: u32,
    bytes: Vec<u8>,
}

impl StoredSnapshot {
    fn intact(&self) -> bool {
        crc32c::crc32c(&self.bytes) == self.crc
    }
}

/// What happens to unsynced log records on a crash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrashFate {
    /// They are gone.
    Lost,
    /// They all reached the disk.
    Kept,
    /// A prefix reached the disk, the next record is torn, the rest is gone.
    Torn,
}

/// A disk a server cannot start from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiskFailure(pub String);

/// What a recovery found.
#[derive(Debug)]
pub struct Recovery {
    /// What `Node::recover` takes.
    pub recovered: Recovered,
    /// Every log record left, as (zxid, hash), in order.
    pub logged: Vec<(Zxid, u64)>,
    /// Whether a torn tail was cut.
    pub torn_cut: bool,
    /// Damaged snapshots skipped.
    pub snapshots_skipped: usize,
}

/// One server's disk.
#[derive(Clone, Debug, Default)]
pub struct Disk {
    records: Vec<Record>,
    /// `records[..synced]` are durable.
    synced: usize,
    /// The log holds every txn after this zxid (ZERO, or an installed snapshot's).
    log_base: Zxid,
    /// Complete snapshots, ascending zxid.
    snapshots: Vec<StoredSnapshot>,
    epochs: (u32, u32),
}

impl Disk {
    /// The log holds every txn after this zxid: ZERO, or the last installed snapshot's.
    #[must_use]
    pub const fn log_base(&self) -> Zxid {
        self.log_base
    }

    /// Appends records to the page cache.
    pub fn write(&mut self, records: impl IntoIterator<Item = Record>) {
        self.records.extend(records);
    }

    /// Makes every written record durable.
    pub fn sync(&mut self) {
        self.synced = self.records.len();
    }

    /// Durably drops every record after `after` (and snapshots past it).
    pub fn truncate_after(&mut self, after: Zxid) {
        let keep = self.records.partition_point(|r| r.zxid <= after);
        self.records.truncate(keep);
        self.synced = self.synced.min(keep);
        self.snapshots.retain(|s| s.zxid <= after);
        self.log_base = self.log_base.min(after);
    }

    /// Durably writes both epochs (atomic rename).
    pub fn save_epochs(&mut self, accepted: u32, current: u32) {
        self.epochs = (accepted, current);
    }

    /// A background snapshot finished writing (atomic rename).
    pub fn add_snapshot(&mut self, zxid: Zxid, bytes: Vec<u8>) {
        let crc = crc32c::crc32c(&bytes);
        self.snapshots.push(StoredSnapshot { zxid, crc, bytes });
        self.snapshots.sort_by_key(|s| s.zxid);
    }

    /// A learner's SNAP sync: this snapshot replaces the log and every other snapshot.
    pub fn install_snapshot(&mut self, zxid: Zxid, bytes: Vec<u8>) {
        self.records.clear();
        self.synced = 0;
        self.snapshots.clear();
        self.add_snapshot(zxid, bytes);
        self.log_base = zxid;
    }

    /// The durable epochs (accepted, current).
    #[must_use]
    pub const fn epochs(&self) -> (u32, u32) {
        self.epochs
    }

    /// The newest durable zxid (synced log, snapshot or log base).
    #[must_use]
    pub fn durable_zxid(&self) -> Zxid {
        let log = self.synced.checked_sub(1).map(|i| self.records[i].zxid);
        let snap = self.snapshots.last().map(|s| s.zxid);
        [log, snap]
            .into_iter()
            .flatten()
            .fold(self.log_base, Zxid::max)
    }

    /// Unsynced records on the disk now.
    #[must_use]
    pub fn unsynced(&self) -> usize {
        self.records.len() - self.synced
    }

    /// The server crashed: decides what became of unsynced records. Returns how many were lost
    /// or torn.
    pub fn crash(&mut self, fate: CrashFate, rng: &mut Rng) -> usize {
        let unsynced = self.unsynced();
        if unsynced == 0 {
            return 0;
        }
        let before = self.records.len();
        match fate {
            CrashFate::Lost => self.records.truncate(self.synced),
            CrashFate::Kept => {}
            CrashFate::Torn => {
                let torn = self.synced + rng.below(unsynced);
                self.records.truncate(torn + 1);
                let bytes = &mut self.records[torn].bytes;
                if rng.coin() {
                    bytes.truncate(1 + rng.below(bytes.len() - 1));
                } else {
                    let at = rng.below(bytes.len());
                    bytes[at] ^= 1 << rng.below(8);
                }
            }
        }
        self.synced = self.records.len();
        before - self.records.len() + usize::from(fate == CrashFate::Torn)
    }

    /// Drops the newest log record even if synced (only for the planted "lying disk" bug).
    /// Returns whether there was one.
    pub fn drop_newest_record(&mut self) -> bool {
        let dropped = self.records.pop().is_some();
        self.synced = self.synced.min(self.records.len());
        dropped
    }

    /// Bit rot found when reading at restart: damages a snapshot or a log record that an intact
    /// record follows. `fatal_ok` allows damage the server cannot recover from; otherwise only
    /// damage that an older snapshot or the full log can cover is chosen. Returns what was
    /// damaged.
    ///
    /// A damaged record with no intact record after it looks exactly like a torn tail, to this
    /// recovery and to the real one: no scan can tell bit rot in the last synced records from
    /// a crash that tore unsynced ones. After a torn crash the last record is already damaged,
    /// so "not the last record" is not enough: damaging the last intact one would make recovery
    /// silently cut synced (even applied) records, which no storage can detect. So only records
    /// before the last intact one are chosen, and the damage always makes the server refuse.
    pub fn corrupt_for_read(&mut self, fatal_ok: bool, rng: &mut Rng) -> Option<String> {
        let intact = self.snapshots.iter().filter(|s| s.intact()).count();
        let coverable = self.log_base == Zxid::ZERO || intact >= 2;
        let snaps: Vec<usize> = (0..self.snapshots.len())
            .filter(|i| self.snapshots[*i].intact() && (fatal_ok || coverable))
            .collect();
        let last_intact = self.records.iter().rposition(|r| r.decode().is_some());
        let log_ok = fatal_ok && last_intact.is_some_and(|i| i >= 1);
        if snaps.is_empty() && !log_ok {
            return None;
        }
        if !snaps.is_empty() && (!log_ok || rng.coin()) {
            let s = &mut self.snapshots[*rng.pick(&snaps)];
            let at = rng.below(s.bytes.len());
            s.bytes[at] ^= 1 << rng.below(8);
            return Some(format!("snapshot {}", s.zxid));
        }
        let i = rng.below(last_intact.expect("log_ok needs an intact record"));
        let r = &mut self.records[i];
        let at = RECORD_HEADER_BYTES + rng.below(r.bytes.len() - RECORD_HEADER_BYTES);
        r.bytes[at] ^= 1 << rng.below(8);
        Some(format!("log record {}", r.zxid))
    }
}

mod recover;

#[cfg(test)]
mod tests;
