//! quickcheck: histories generated against a correct register are linearizable, and the
//! same histories with one read changed to a never-written value, or with two
//! non-overlapping writes swapped, are not. A brute-force checker cross-checks the verdicts of
//! every model on small histories with arbitrary results.

mod common;

use common::gen::{register_history, Rng};
use quickcheck::{QuickCheck, TestResult};
use serde_json::{json, Value};
use zoorepl_jepsen::models::{KvMap, Register, SequentialQueue, ZnodeSet};
use zoorepl_jepsen::{
    check, pair, CheckOptions, Event, EventType, Model, ModelOp, Operation, Outcome, Transition,
    Verdict,
};

fn verdict(events: &[Event]) -> Verdict {
    let ops = pair(events).expect("generated histories pair");
    check(&Register::new(), &ops, &CheckOptions::default())
        .expect("register ops")
        .verdict
}

fn sizes(procs: u8, ops: u8) -> (usize, usize) {
    (1 + usize::from(procs % 12), 1 + usize::from(ops % 60))
}

fn generated_histories_are_linearizable(seed: u64, procs: u8, ops: u8) -> bool {
    let (procs, ops) = sizes(procs, ops);
    verdict(&register_history(seed, procs, ops)) == Verdict::Linearizable
}

fn a_read_of_a_never_written_value_is_found(seed: u64, procs: u8, ops: u8) -> TestResult {
    let (procs, ops) = sizes(procs, ops);
    let mut events = register_history(seed, procs, ops);
    let reads: Vec<usize> = (0..events.len())
        .filter(|&i| events[i].f == "read" && events[i].kind == EventType::Ok)
        .collect();
    if reads.is_empty() {
        return TestResult::discard();
    }
    let pick = reads[Rng(seed).below(reads.len() as u64) as usize];
    events[pick].value = json!(1_000_000);
    TestResult::from_bool(verdict(&events) == Verdict::NotLinearizable)
}

/// Writes `w1` before `w2` (not overlapping) and a read `r` of `w1`'s value that returned
/// before `w2` was invoked: after swapping the two written values, `r` reads a value that is
/// only written after it returned.
fn swappable(ops: &[Operation]) -> Option<(usize, usize)> {
    let writes: Vec<usize> = (0..ops.len())
        .filter(|&i| ops[i].f == "write" && matches!(ops[i].outcome, Outcome::Ok(_)))
        .collect();
    for &w1 in &writes {
        for &w2 in &writes {
            let before = ops[w1].ret.is_some_and(|r| r < ops[w2].call);
            let witness = ops.iter().any(|r| {
                r.f == "read"
                    && r.outcome == Outcome::Ok(ops[w1].args.clone())
                    && r.ret.is_some_and(|t| t < ops[w2].call)
            });
            if before && witness {
                return Some((w1, w2));
            }
        }
    }
    None
}

fn swapping_two_sequential_writes_is_found(seed: u64, procs: u8, ops: u8) -> TestResult {
    let (procs, ops) = sizes(procs, ops);
    let mut events = register_history(seed, procs, ops);
    let paired = pair(&events).expect("pairs");
    let Some((w1, w2)) = swappable(&paired) else {
        return TestResult::discard();
    };
    let (a, b) = (paired[w1].args.clone(), paired[w2].args.clone());
    for (op, value) in [(&paired[w1], &b), (&paired[w2], &a)] {
        events[op.call].value = value.clone();
        events[op.ret.expect("ok writes return")].value = value.clone();
    }
    TestResult::from_bool(verdict(&events) == Verdict::NotLinearizable)
}

/// Exhaustive search over every order that respects real time; `info` operations may be left
/// out. Independent of the checker except for the model's `step`. One partition only.
fn brute_force<M: Model>(model: &M, ops: &[Operation]) -> bool {
    let parsed: Vec<_> = ops
        .iter()
        .filter_map(|op| model.parse(op).expect("model ops").map(|p| (p, op)))
        .collect();
    fn dfs<M: Model>(
        model: &M,
        parsed: &[(ModelOp<M>, &Operation)],
        state: M::State,
        done: &mut Vec<bool>,
    ) -> bool {
        let open: Vec<usize> = (0..parsed.len()).filter(|&i| !done[i]).collect();
        let ret = |i: usize| parsed[i].0.output.as_ref().and(parsed[i].1.ret);
        let Some(deadline) = open.iter().filter_map(|&i| ret(i)).min() else {
            return true;
        };
        for &i in open.iter().filter(|&&i| parsed[i].1.call < deadline) {
            let next = match model.step(&state, &parsed[i].0.input, parsed[i].0.output.as_ref()) {
                Transition::Impossible => continue,
                Transition::Same => state.clone(),
                Transition::To(s) => s,
            };
            done[i] = true;
            let found = dfs(model, parsed, next, done);
            done[i] = false;
            if found {
                return true;
            }
        }
        false
    }
    dfs(model, &parsed, model.init(), &mut vec![false; parsed.len()])
}

/// Small histories with arbitrary (mostly wrong) results: 3 processes, values 0 to 2.
fn arbitrary_history(seed: u64) -> Vec<Event> {
    let mut rng = Rng(seed);
    let mut events = Vec::new();
    let mut open: Vec<Option<(&str, Value)>> = vec![None; 3];
    let mut issued = 0;
    while issued < 7 || open.iter().any(Option::is_some) {
        let p = rng.below(3) as usize;
        if let Some((f, args)) = open[p].take() {
            let kind = [
                EventType::Ok,
                EventType::Ok,
                EventType::Fail,
                EventType::Info,
            ][rng.below(4) as usize];
            let result = if f == "read" {
                json!(rng.below(3))
            } else {
                args
            };
            let kind = if f == "write" && kind == EventType::Fail {
                EventType::Ok
            } else {
                kind
            };
            events.push(Event::complete(p as u64, kind, f, None, result));
        } else if issued < 7 {
            issued += 1;
            let (f, args) = match rng.below(3) {
                0 => ("read", Value::Null),
                1 => ("write", json!(rng.below(3))),
                _ => ("cas", json!([rng.below(3), rng.below(3)])),
            };
            events.push(Event::invoke(p as u64, f, None, args.clone()));
            open[p] = Some((f, args));
        }
    }
    events
}

fn checker_agrees_with_brute_force(seed: u64) -> bool {
    let events = arbitrary_history(seed);
    let ops = pair(&events).expect("pairs");
    let expected = if brute_force(&Register::new(), &ops) {
        Verdict::Linearizable
    } else {
        Verdict::NotLinearizable
    };
    verdict(&events) == expected
}

/// Small set histories with arbitrary results: create, delete, exists and children on two
/// children of one parent, from 3 processes.
fn arbitrary_set_history(seed: u64) -> Vec<Event> {
    let mut rng = Rng(seed);
    let mut events = Vec::new();
    let mut open: Vec<Option<(&str, &str)>> = vec![None; 3];
    let mut issued = 0;
    while issued < 7 || open.iter().any(Option::is_some) {
        let p = rng.below(3) as usize;
        if let Some((f, key)) = open[p].take() {
            let kinds = [
                EventType::Ok,
                EventType::Ok,
                EventType::Fail,
                EventType::Info,
            ];
            let value = match f {
                "exists" => json!(rng.below(2) == 0),
                "children" => [json!(["a"]), json!(["b"]), json!(["a", "b"]), json!([])]
                    [rng.below(4) as usize]
                    .clone(),
                _ => Value::Null,
            };
            events.push(Event::complete(
                p as u64,
                kinds[rng.below(4) as usize],
                f,
                Some(key),
                value,
            ));
        } else if issued < 7 {
            issued += 1;
            let f = ["create", "delete", "exists", "children"][rng.below(4) as usize];
            let key = if f == "children" {
                "/s"
            } else {
                ["/s/a", "/s/b"][rng.below(2) as usize]
            };
            events.push(Event::invoke(p as u64, f, Some(key), Value::Null));
            open[p] = Some((f, key));
        }
    }
    events
}

fn set_checker_agrees_with_brute_force(seed: u64) -> bool {
    let ops = pair(&arbitrary_set_history(seed)).expect("pairs");
    let expected = if brute_force(&ZnodeSet, &ops) {
        Verdict::Linearizable
    } else {
        Verdict::NotLinearizable
    };
    check(&ZnodeSet, &ops, &CheckOptions::default())
        .expect("set ops")
        .verdict
        == expected
}

/// Small queue histories with arbitrary results: enqueue (sequence 0 to 2), dequeue of 0 to
/// 2, children, from 3 processes.
fn arbitrary_queue_history(seed: u64) -> Vec<Event> {
    let mut rng = Rng(seed);
    let mut events = Vec::new();
    let mut open: Vec<Option<&str>> = vec![None; 3];
    let mut issued = 0;
    while issued < 7 || open.iter().any(Option::is_some) {
        let p = rng.below(3) as usize;
        if let Some(f) = open[p].take() {
            let kinds = [
                EventType::Ok,
                EventType::Ok,
                EventType::Fail,
                EventType::Info,
            ];
            let value = match f {
                "enqueue" => json!(rng.below(3)),
                "children" => [json!([0]), json!([1]), json!([0, 1]), json!([])]
                    [rng.below(4) as usize]
                    .clone(),
                _ => Value::Null,
            };
            events.push(Event::complete(
                p as u64,
                kinds[rng.below(4) as usize],
                f,
                Some("/q"),
                value,
            ));
        } else if issued < 7 {
            issued += 1;
            let f = ["enqueue", "enqueue", "dequeue", "children"][rng.below(4) as usize];
            let args = if f == "dequeue" {
                json!(rng.below(3))
            } else {
                Value::Null
            };
            events.push(Event::invoke(p as u64, f, Some("/q"), args));
            open[p] = Some(f);
        }
    }
    events
}

fn queue_checker_agrees_with_brute_force(seed: u64) -> bool {
    let ops = pair(&arbitrary_queue_history(seed)).expect("pairs");
    let expected = if brute_force(&SequentialQueue, &ops) {
        Verdict::Linearizable
    } else {
        Verdict::NotLinearizable
    };
    check(&SequentialQueue, &ops, &CheckOptions::default())
        .expect("queue ops")
        .verdict
        == expected
}

/// Small single-key kv histories with arbitrary results: put, append and get of short strings.
fn arbitrary_kv_history(seed: u64) -> Vec<Event> {
    let mut rng = Rng(seed);
    let mut events = Vec::new();
    let mut open: Vec<Option<(&str, Value)>> = vec![None; 3];
    let mut issued = 0;
    let pieces = ["", "a", "b", "ab", "ba"];
    while issued < 7 || open.iter().any(Option::is_some) {
        let p = rng.below(3) as usize;
        if let Some((f, args)) = open[p].take() {
            let kinds = [
                EventType::Ok,
                EventType::Ok,
                EventType::Fail,
                EventType::Info,
            ];
            let value = if f == "get" {
                json!(pieces[rng.below(5) as usize])
            } else {
                args
            };
            events.push(Event::complete(
                p as u64,
                kinds[rng.below(4) as usize],
                f,
                Some("k"),
                value,
            ));
        } else if issued < 7 {
            issued += 1;
            let f = ["put", "append", "get"][rng.below(3) as usize];
            let args = if f == "get" {
                Value::Null
            } else {
                json!(pieces[1 + rng.below(2) as usize])
            };
            events.push(Event::invoke(p as u64, f, Some("k"), args.clone()));
            open[p] = Some((f, args));
        }
    }
    events
}

fn kv_checker_agrees_with_brute_force(seed: u64) -> bool {
    let ops = pair(&arbitrary_kv_history(seed)).expect("pairs");
    let expected = if brute_force(&KvMap, &ops) {
        Verdict::Linearizable
    } else {
        Verdict::NotLinearizable
    };
    check(&KvMap, &ops, &CheckOptions::default())
        .expect("kv ops")
        .verdict
        == expected
}

#[test]
fn quickcheck_kv_checker_agrees_with_brute_force() {
    QuickCheck::new()
        .tests(2000)
        .quickcheck(kv_checker_agrees_with_brute_force as fn(u64) -> bool);
}

#[test]
fn quickcheck_queue_checker_agrees_with_brute_force() {
    QuickCheck::new()
        .tests(2000)
        .quickcheck(queue_checker_agrees_with_brute_force as fn(u64) -> bool);
}

#[test]
fn quickcheck_generated_histories_are_linearizable() {
    QuickCheck::new()
        .tests(300)
        .quickcheck(generated_histories_are_linearizable as fn(u64, u8, u8) -> bool);
}

#[test]
fn quickcheck_a_changed_read_is_not_linearizable() {
    QuickCheck::new()
        .tests(300)
        .quickcheck(a_read_of_a_never_written_value_is_found as fn(u64, u8, u8) -> TestResult);
}

#[test]
fn quickcheck_swapped_writes_are_not_linearizable() {
    QuickCheck::new()
        .tests(200)
        .quickcheck(swapping_two_sequential_writes_is_found as fn(u64, u8, u8) -> TestResult);
}

#[test]
fn quickcheck_checker_agrees_with_brute_force() {
    QuickCheck::new()
        .tests(2000)
        .quickcheck(checker_agrees_with_brute_force as fn(u64) -> bool);
}

#[test]
fn quickcheck_set_checker_agrees_with_brute_force() {
    QuickCheck::new()
        .tests(2000)
        .quickcheck(set_checker_agrees_with_brute_force as fn(u64) -> bool);
}

#[test]
fn brute_force_sees_both_verdicts() {
    // Guards the cross-checks above against generators that only make one kind of history.
    let register: Vec<bool> = (0..200)
        .map(|s| {
            brute_force(
                &Register::new(),
                &pair(&arbitrary_history(s)).expect("pairs"),
            )
        })
        .collect();
    let set: Vec<bool> = (0..200)
        .map(|s| brute_force(&ZnodeSet, &pair(&arbitrary_set_history(s)).expect("pairs")))
        .collect();
    let queue: Vec<bool> = (0..200)
        .map(|s| {
            brute_force(
                &SequentialQueue,
                &pair(&arbitrary_queue_history(s)).expect("pairs"),
            )
        })
        .collect();
    let kv: Vec<bool> = (0..200)
        .map(|s| brute_force(&KvMap, &pair(&arbitrary_kv_history(s)).expect("pairs")))
        .collect();
    for verdicts in [register, set, queue, kv] {
        let yes = verdicts.iter().filter(|&&v| v).count();
        assert!(yes > 10 && yes < 190, "{yes} of 200 linearizable");
    }
}
