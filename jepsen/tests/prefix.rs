//! The reported failure point is the end of the smallest non-linearizable prefix, checked on
//! every non-linearizable public etcd log: the prefix up to it is not linearizable, the
//! prefix up to the event before it is (operations still running at the cut keep their
//! recorded results but may take effect or not).

mod common;

use zoorepl_jepsen::formats::read_etcd_log;
use zoorepl_jepsen::models::Register;
use zoorepl_jepsen::{check, pair, CheckOptions, Operation, Verdict};

fn prefix(ops: &[Operation], last_event: usize) -> Vec<Operation> {
    ops.iter()
        .filter(|op| op.call <= last_event)
        .map(|op| Operation {
            ret: op.ret.filter(|&r| r <= last_event),
            ..op.clone()
        })
        .collect()
}

fn verdict(ops: &[Operation]) -> Verdict {
    check(&Register::new(), ops, &CheckOptions::default())
        .expect("register ops")
        .verdict
}

#[test]
fn failure_point_ends_the_smallest_non_linearizable_prefix() {
    let mut checked = 0;
    for (path, linearizable) in common::expected_verdicts() {
        if linearizable || !path.starts_with("jepsen/") {
            continue;
        }
        let text = std::fs::read(common::porcupine_dir().join(&path)).expect("log readable");
        let ops = pair(&read_etcd_log(&text[..]).expect("parses")).expect("pairs");
        let result = check(&Register::new(), &ops, &CheckOptions::default()).expect("register ops");
        let failure = result.failure.expect("non-linearizable logs are explained");
        let end = failure.prefix_end_event;
        assert_eq!(ops[failure.failing_op].ret, Some(end), "{path}");
        assert_eq!(
            verdict(&prefix(&ops, end)),
            Verdict::NotLinearizable,
            "{path}: prefix to {end}"
        );
        assert_eq!(
            verdict(&prefix(&ops, end - 1)),
            Verdict::Linearizable,
            "{path}: prefix to {}",
            end - 1
        );
        checked += 1;
    }
    assert_eq!(checked, 51);
}
