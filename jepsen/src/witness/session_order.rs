//! Check 4a: each session's reply zxids never go back.

use std::collections::BTreeMap;

use super::{Input, Violation};

/// In completion order, the zxids of one session's replies never decrease.
///
/// Sound because the Java client stores every reply zxid as lastZxidSeen and a server
/// refuses a session whose lastZxidSeen is ahead of it (`zookeeper-protocol.md` §3, §11,
/// single system image); a server's own last processed zxid only grows. Zxids ≤ 0 (auth
/// replies) and replies without a zxid are skipped.
pub fn session_order(input: &Input) -> Vec<Violation> {
    let mut sessions: BTreeMap<i64, Vec<(u64, usize, u64)>> = BTreeMap::new();
    for (index, op) in input.ops.iter().enumerate() {
        if let (Some(complete), Some(zxid)) = (op.complete, op.zxid.filter(|z| *z > 0)) {
            sessions
                .entry(op.session)
                .or_default()
                .push((complete, index, zxid));
        }
    }
    let mut violations = Vec::new();
    for (session, mut replies) in sessions {
        replies.sort_unstable();
        let mut max: Option<(u64, usize)> = None;
        for (_, op, zxid) in replies {
            match max {
                Some((previous_zxid, previous)) if zxid < previous_zxid => {
                    violations.push(Violation::ZxidWentBack {
                        session,
                        op,
                        zxid,
                        previous,
                        previous_zxid,
                    });
                }
                _ => max = Some((zxid, op)),
            }
        }
    }
    violations
}
