//! Check 1: acknowledged writes ordered by zxid respect real time.

use super::{acked_writes, Input, Violation};

/// If write A completed (ok) before write B was invoked, then zxid(A) < zxid(B).
///
/// Sound because ZAB assigns zxids in proposal order: B's txn is proposed after B was sent,
/// which is after A's reply, which is after A's txn was committed. One sweep over the
/// invocations in time order, keeping the largest zxid of the writes completed so far.
pub fn realtime_order(input: &Input) -> Vec<Violation> {
    let writes = acked_writes(input);
    let mut by_invoke: Vec<_> = writes.iter().map(|w| (w.invoke, w.op)).collect();
    by_invoke.sort_unstable();
    let mut by_complete: Vec<_> = writes.iter().map(|w| (w.complete, w.op, w.zxid)).collect();
    by_complete.sort_unstable();
    let zxid_of = |op: usize| input.ops[op].zxid.unwrap_or(0);
    let mut violations = Vec::new();
    let mut done = 0;
    // The write with the largest zxid among those completed before the current invoke.
    let mut max: Option<(u64, usize)> = None;
    for (invoke, later) in by_invoke {
        while done < by_complete.len() && by_complete[done].0 < invoke {
            let (_, op, zxid) = by_complete[done];
            if max.is_none_or(|(z, _)| zxid > z) {
                max = Some((zxid, op));
            }
            done += 1;
        }
        let later_zxid = zxid_of(later);
        if let Some((earlier_zxid, earlier)) = max.filter(|(z, _)| *z >= later_zxid) {
            violations.push(Violation::RealTimeOrder {
                earlier,
                earlier_zxid,
                later,
                later_zxid,
            });
        }
    }
    violations
}
