//! No node ever truncates a committed txn: a `Truncate{after}` (or the log drop of an
//! `InstallSnapshot` at `zxid`) must not remove a record that is known committed with the same
//! txn. Checked when the node emits the output, against everything committed anywhere so far.

use zoorepl_core::ids::Zxid;

use super::ledger::Ledger;
use super::Violation;

/// Checks and applies a truncation of `server`'s log after `after`.
pub fn on_truncate(ledger: &mut Ledger, server: usize, after: Zxid, why: &str) -> Vec<Violation> {
    let log = &mut ledger.logged[server];
    let removed = log.split_off(&Zxid::new(after.epoch, after.counter.saturating_add(1)));
    let removed = if after.counter == u32::MAX {
        removed.into_iter().filter(|(z, _)| *z > after).collect()
    } else {
        removed
    };
    removed
        .into_iter()
        .filter(|(zxid, hash)| ledger.committed.get(zxid).is_some_and(|(h, _)| h == hash))
        .map(|(zxid, _)| {
            Violation::new(
                "no-committed-truncation",
                format!(
                    "server {server} {why} after {after} removes committed {zxid} \
                     (highest committed {})",
                    ledger.highest_committed()
                ),
            )
        })
        .collect()
}

/// Checks and applies a snapshot install at `zxid`: the whole log goes.
pub fn on_install(ledger: &mut Ledger, server: usize, zxid: Zxid) -> Vec<Violation> {
    let out = on_truncate(
        ledger,
        server,
        zxid,
        "installs a snapshot and drops its log",
    );
    ledger.logged[server].clear();
    out
}
