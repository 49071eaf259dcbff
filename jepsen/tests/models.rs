//! Each model on small hand-written JSON-lines histories, with both verdicts, and the
//! details of a reported violation.

use zoorepl_jepsen::models::{KvMap, Register, SequentialQueue, ZnodeSet};
use zoorepl_jepsen::{check, pair, read_jsonl, CheckOptions, CheckResult, Model, Verdict};

fn run<M: Model>(model: &M, lines: &[&str]) -> CheckResult {
    let events = read_jsonl(lines.join("\n").as_bytes()).expect("valid jsonl");
    let ops = pair(&events).expect("pairs");
    check(model, &ops, &CheckOptions::default()).expect("model understands the ops")
}

fn verdict<M: Model>(model: &M, lines: &[&str]) -> Verdict {
    run(model, lines).verdict
}

const INV: &str = r#"{"process":P,"type":"invoke","f":"F","key":"K","value":V}"#;

/// One event line: `ev(process, type, f, key, value)`.
fn ev(p: u64, t: &str, f: &str, k: &str, v: &str) -> String {
    INV.replace("invoke", t)
        .replace('P', &p.to_string())
        .replace('F', f)
        .replace('K', k)
        .replace('V', v)
}

fn lines(events: &[String]) -> Vec<&str> {
    events.iter().map(String::as_str).collect()
}

#[test]
fn register_versions_guard_cas() {
    let model = Register::with_versions();
    let ok = [
        ev(0, "invoke", "write", "/r", "1"),
        ev(0, "ok", "write", "/r", "1"),
        ev(1, "invoke", "cas", "/r", r#"{"version":1,"value":2}"#),
        ev(1, "ok", "cas", "/r", "null"),
        ev(2, "invoke", "cas", "/r", r#"{"version":1,"value":3}"#),
        ev(2, "fail", "cas", "/r", r#""BadVersion""#),
        ev(0, "invoke", "read", "/r", "null"),
        ev(0, "ok", "read", "/r", r#"{"value":2,"version":2}"#),
    ];
    assert_eq!(verdict(&model, &lines(&ok)), Verdict::Linearizable);
    // The same CAS cannot both apply and meet a bad version one after the other.
    let mut bad = ok.clone();
    bad[5] = ev(2, "ok", "cas", "/r", "null");
    assert_eq!(verdict(&model, &lines(&bad)), Verdict::NotLinearizable);
    // A read with the wrong version.
    let mut bad = ok.clone();
    bad[7] = ev(0, "ok", "read", "/r", r#"{"value":2,"version":1}"#);
    assert_eq!(verdict(&model, &lines(&bad)), Verdict::NotLinearizable);
}

#[test]
fn register_info_write_may_apply_late_or_never() {
    let model = Register::new();
    let mut h = vec![
        ev(0, "invoke", "write", "", "1"),
        ev(0, "info", "write", "", r#""timeout""#),
        ev(1, "invoke", "read", "", "null"),
        ev(1, "ok", "read", "", "null"),
        ev(1, "invoke", "read", "", "null"),
        ev(1, "ok", "read", "", "1"),
    ];
    assert_eq!(verdict(&model, &lines(&h)), Verdict::Linearizable);
    // Once seen, it cannot be unseen.
    h.push(ev(1, "invoke", "read", "", "null"));
    h.push(ev(1, "ok", "read", "", "null"));
    assert_eq!(verdict(&model, &lines(&h)), Verdict::NotLinearizable);
}

#[test]
fn violation_names_the_failing_read_and_the_prefix() {
    let h = [
        ev(0, "invoke", "write", "a", "1"),
        ev(0, "ok", "write", "a", "1"),
        ev(1, "invoke", "write", "b", "5"),
        ev(1, "ok", "write", "b", "5"),
        ev(2, "invoke", "read", "b", "null"),
        ev(3, "invoke", "write", "b", "6"),
        ev(2, "ok", "read", "b", "7"),
        ev(3, "ok", "write", "b", "6"),
    ];
    let result = run(&Register::new(), &lines(&h));
    assert_eq!(result.verdict, Verdict::NotLinearizable);
    assert_eq!(result.partitions, 2);
    let failure = result.failure.expect("a violation is explained");
    assert_eq!(failure.key, "b");
    assert_eq!(
        (failure.failing_op, failure.failing_description.as_str()),
        (2, "read() -> 7")
    );
    assert_eq!(failure.prefix_end_event, 6);
    let steps: Vec<&str> = failure
        .linearization
        .iter()
        .map(|s| s.description.as_str())
        .collect();
    assert_eq!(steps[0], "write(5)");
    assert_eq!(failure.linearization[0].state_after, "5");
    let involved: Vec<usize> = failure.involved.iter().map(|(op, _)| *op).collect();
    assert!(involved.contains(&2));
}

#[test]
fn kv_appends_in_either_order_but_not_both() {
    let mut h = vec![
        ev(0, "invoke", "append", "k", r#""x""#),
        ev(1, "invoke", "append", "k", r#""y""#),
        ev(0, "ok", "append", "k", r#""x""#),
        ev(1, "ok", "append", "k", r#""y""#),
        ev(2, "invoke", "get", "k", "null"),
        ev(2, "ok", "get", "k", r#""yx""#),
    ];
    assert_eq!(verdict(&KvMap, &lines(&h)), Verdict::Linearizable);
    h.push(ev(2, "invoke", "get", "k", "null"));
    h.push(ev(2, "ok", "get", "k", r#""xy""#));
    assert_eq!(verdict(&KvMap, &lines(&h)), Verdict::NotLinearizable);
}

#[test]
fn set_create_delete_exists_children() {
    let h = [
        ev(0, "invoke", "create", "/s/a", "null"),
        ev(1, "invoke", "create", "/s/a", "null"),
        ev(0, "ok", "create", "/s/a", "null"),
        ev(1, "fail", "create", "/s/a", r#""NodeExists""#),
        ev(2, "invoke", "create", "/s/b", "null"),
        ev(2, "info", "create", "/s/b", "null"),
        ev(0, "invoke", "children", "/s", "null"),
        ev(0, "ok", "children", "/s", r#"["b","a"]"#),
        ev(1, "invoke", "delete", "/s/a", "null"),
        ev(1, "ok", "delete", "/s/a", "null"),
        ev(0, "invoke", "exists", "/s/a", "null"),
        ev(0, "ok", "exists", "/s/a", "false"),
    ];
    assert_eq!(verdict(&ZnodeSet, &lines(&h)), Verdict::Linearizable);
    let mut bad = h.clone();
    bad[3] = ev(1, "ok", "create", "/s/a", "null");
    assert_eq!(verdict(&ZnodeSet, &lines(&bad)), Verdict::NotLinearizable);
    let mut bad = h.clone();
    bad[11] = ev(0, "ok", "exists", "/s/a", "true");
    assert_eq!(verdict(&ZnodeSet, &lines(&bad)), Verdict::NotLinearizable);
    let mut bad = h.clone();
    bad[7] = ev(0, "ok", "children", "/s", r#"["b"]"#);
    assert_eq!(verdict(&ZnodeSet, &lines(&bad)), Verdict::NotLinearizable);
}

#[test]
fn queue_sequence_numbers_follow_the_create_counter() {
    let h = [
        ev(0, "invoke", "enqueue", "/q", "null"),
        ev(1, "invoke", "enqueue", "/q", "null"),
        ev(1, "ok", "enqueue", "/q", r#""/q/item-0000000000""#),
        ev(0, "ok", "enqueue", "/q", "1"),
        ev(2, "invoke", "enqueue", "/q", "null"),
        ev(2, "info", "enqueue", "/q", "null"),
        ev(0, "invoke", "dequeue", "/q", "0"),
        ev(1, "invoke", "dequeue", "/q", "0"),
        ev(0, "ok", "dequeue", "/q", "null"),
        ev(1, "fail", "dequeue", "/q", r#""NoNode""#),
        ev(0, "invoke", "enqueue", "/q", "null"),
        ev(0, "ok", "enqueue", "/q", "3"),
        ev(1, "invoke", "children", "/q", "null"),
        ev(1, "ok", "children", "/q", "[1, 2, 3]"),
    ];
    assert_eq!(verdict(&SequentialQueue, &lines(&h)), Verdict::Linearizable);
    // Without the unknown enqueue the counter cannot have reached 3.
    let without: Vec<String> = h
        .iter()
        .enumerate()
        .filter(|(i, _)| ![4, 5].contains(i))
        .map(|(_, e)| e.clone())
        .collect();
    assert_eq!(
        verdict(&SequentialQueue, &lines(&without)),
        Verdict::NotLinearizable
    );
    // Both consumers cannot delete the same item.
    let mut bad = h.clone();
    bad[9] = ev(1, "ok", "dequeue", "/q", "null");
    assert_eq!(
        verdict(&SequentialQueue, &lines(&bad)),
        Verdict::NotLinearizable
    );
}

#[test]
fn unknown_operations_are_errors() {
    let h = [
        ev(0, "invoke", "frob", "/r", "null"),
        ev(0, "ok", "frob", "/r", "null"),
    ];
    let ops = pair(&read_jsonl(lines(&h).join("\n").as_bytes()).expect("jsonl")).expect("pairs");
    let err = check(&Register::new(), &ops, &CheckOptions::default()).expect_err("unknown op");
    assert!(err.to_string().contains("frob"), "{err}");
    assert!(check(&ZnodeSet, &ops, &CheckOptions::default()).is_err());
    assert!(check(&SequentialQueue, &ops, &CheckOptions::default()).is_err());
    assert!(check(&KvMap, &ops, &CheckOptions::default()).is_err());
}

#[test]
fn rewriting_the_held_value_is_not_read_only() {
    // postmortem: an early version linearized every operation that left the state unchanged
    // as soon as possible and never reordered it. A write of the value the register already
    // holds leaves the state unchanged now but not later (after `write(2)`), so this
    // linearizable history was reported as not linearizable. Only operations that never
    // change the state (`Model::read_only`) may be forced.
    let h = [
        ev(0, "invoke", "write", "r", "1"),
        ev(0, "ok", "write", "r", "1"),
        ev(0, "invoke", "write", "r", "1"),
        ev(1, "invoke", "write", "r", "2"),
        ev(0, "ok", "write", "r", "1"),
        ev(1, "ok", "write", "r", "2"),
        ev(2, "invoke", "read", "r", "null"),
        ev(2, "ok", "read", "r", "1"),
    ];
    assert_eq!(verdict(&Register::new(), &lines(&h)), Verdict::Linearizable);
}
