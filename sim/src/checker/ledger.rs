//! What each node has in its log (from its `Persist`, `Truncate` and `InstallSnapshot` outputs
//! and its recoveries), and every txn known committed, by zxid. A txn is identified by the hash
//! of its encoded bytes.

use std::collections::BTreeMap;

use zoorepl_core::ids::Zxid;

/// The ledger of a run.
#[derive(Debug)]
pub struct Ledger {
    /// Per server: zxid → txn hash of every record in its log (written or synced).
    pub logged: Vec<BTreeMap<Zxid, u64>>,
    /// zxid → (txn hash, the server that first reported it committed).
    pub committed: BTreeMap<Zxid, (u64, usize)>,
}

impl Ledger {
    /// An empty ledger for `servers` servers.
    #[must_use]
    pub fn new(servers: usize) -> Self {
        Self {
            logged: vec![BTreeMap::new(); servers],
            committed: BTreeMap::new(),
        }
    }

    /// `server` asked to log this txn.
    pub fn on_logged(&mut self, server: usize, zxid: Zxid, hash: u64) {
        self.logged[server].insert(zxid, hash);
    }

    /// `server`'s log now holds exactly these records (after a recovery).
    pub fn reset(&mut self, server: usize, records: &[(Zxid, u64)]) {
        self.logged[server] = records.iter().copied().collect();
    }

    /// The highest zxid known committed anywhere.
    #[must_use]
    pub fn highest_committed(&self) -> Zxid {
        self.committed
            .keys()
            .next_back()
            .copied()
            .unwrap_or_default()
    }
}
