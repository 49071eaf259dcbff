//! Check 3: every acknowledged write survives in the final committed log.

use super::replay::Replay;
use super::{acked_writes, Input, Violation};

/// Each write acknowledged with zxid z must be in the log at z, issued by its session.
///
/// Sound because an acknowledged write was logged by a quorum and is never rolled back
/// (`zookeeper-protocol.md` §11, Reliability): the final log must hold it at the zxid the
/// reply carried. Whether the txn does what the request asked is check 2's business.
pub fn durability(input: &Input, replay: &Replay) -> Vec<Violation> {
    let mut violations = Vec::new();
    for write in acked_writes(input) {
        let session = input.ops[write.op].session;
        let found = match replay.txn(write.zxid) {
            Some((_, txn)) if txn.session == session => continue,
            Some((_, txn)) => format!("a txn of session {:#x}", txn.session),
            None => "no txn".to_owned(),
        };
        violations.push(Violation::LostWrite {
            op: write.op,
            zxid: write.zxid,
            found,
        });
    }
    violations
}
