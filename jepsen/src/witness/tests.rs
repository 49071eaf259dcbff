//! Unit tests: small hand-built histories, one passing and one or more failing per check.

use super::*;

const S1: SessionId = 0x11;
const S2: SessionId = 0x22;

fn data(s: &str) -> Option<Vec<u8>> {
    Some(s.as_bytes().to_vec())
}

fn txn(zxid: Zxid, session: SessionId, ops: Vec<TxnEffect>) -> CommittedTxn {
    CommittedTxn {
        zxid,
        session,
        cxid: 1,
        ops,
    }
}

fn create_effect(path: &str, value: &str) -> TxnEffect {
    TxnEffect::Create {
        path: path.to_owned(),
        data: data(value),
        ephemeral_owner: None,
        sequential: Some(false),
        parent_cversion: None,
    }
}

fn set_effect(path: &str, value: &str, version: i32) -> TxnEffect {
    TxnEffect::SetData {
        path: path.to_owned(),
        data: data(value),
        version,
    }
}

fn op(
    session: SessionId,
    request: Request,
    times: (u64, u64),
    outcome: OpOutcome,
    zxid: Zxid,
) -> ClientOp {
    ClientOp {
        session,
        request,
        invoke: times.0,
        complete: Some(times.1),
        outcome,
        zxid: Some(zxid),
    }
}

fn create(session: SessionId, path: &str, value: &str, times: (u64, u64), zxid: Zxid) -> ClientOp {
    let request = Request::Create {
        path: path.to_owned(),
        data: data(value),
        mode: CreateMode::Persistent,
    };
    let reply = Reply::Created {
        path: path.to_owned(),
        stat: None,
    };
    op(session, request, times, OpOutcome::Ok(reply), zxid)
}

fn stat(czxid: Zxid, mzxid: Zxid, version: i32) -> StatView {
    StatView {
        czxid,
        mzxid,
        version,
        ephemeral_owner: 0,
    }
}

fn set_data(
    session: SessionId,
    path: &str,
    value: &str,
    times: (u64, u64),
    result: StatView,
) -> ClientOp {
    let request = Request::SetData {
        path: path.to_owned(),
        data: data(value),
        version: -1,
    };
    op(
        session,
        request,
        times,
        OpOutcome::Ok(Reply::Stat(result)),
        result.mzxid,
    )
}

fn get_data(
    session: SessionId,
    path: &str,
    times: (u64, u64),
    value: &str,
    result: StatView,
    zxid: Zxid,
) -> ClientOp {
    let request = Request::GetData {
        path: path.to_owned(),
        watch: false,
    };
    let reply = Reply::Data {
        data: data(value),
        stat: result,
    };
    op(session, request, times, OpOutcome::Ok(reply), zxid)
}

/// /a created at 1 by S1, set to "b" at 2 by S2.
fn base_log() -> Vec<CommittedTxn> {
    vec![
        txn(1, S1, vec![create_effect("/a", "a")]),
        txn(2, S2, vec![set_effect("/a", "b", 1)]),
    ]
}

fn base_ops() -> Vec<ClientOp> {
    vec![
        create(S1, "/a", "a", (0, 10), 1),
        set_data(S2, "/a", "b", (20, 30), stat(1, 2, 1)),
    ]
}

fn input(log: Vec<CommittedTxn>, ops: Vec<ClientOp>) -> Input {
    Input {
        log,
        ops,
        ..Input::default()
    }
}

#[test]
fn check_passes_on_correct_history() {
    let mut ops = base_ops();
    ops.push(get_data(S1, "/a", (40, 50), "b", stat(1, 2, 1), 2));
    let report = check(&input(base_log(), ops));
    assert!(report.is_ok(), "{:?}", report.violations);
    assert_eq!(report.writes_checked, 2);
    assert_eq!(report.reads_checked, 1);
}

#[test]
fn input_roundtrips_through_json() {
    let original = input(base_log(), base_ops());
    let text = serde_json::to_string(&original).expect("serializes");
    let back: Input = serde_json::from_str(&text).expect("parses");
    assert_eq!(back, original);
}

#[test]
fn realtime_order_flags_reordered_write() {
    // The create completed at 10, the setData was invoked at 20, but got the smaller zxid.
    let log = vec![
        txn(1, S2, vec![create_effect("/b", "x")]),
        txn(2, S1, vec![create_effect("/a", "a")]),
    ];
    let ops = vec![
        create(S1, "/a", "a", (0, 10), 2),
        create(S2, "/b", "x", (20, 30), 1),
    ];
    let violations = realtime_order(&input(log, ops));
    assert!(matches!(
        violations.as_slice(),
        [Violation::RealTimeOrder {
            earlier: 0,
            later: 1,
            ..
        }]
    ));
}

#[test]
fn realtime_order_allows_concurrent_writes_either_way() {
    let log = vec![
        txn(1, S2, vec![create_effect("/b", "x")]),
        txn(2, S1, vec![create_effect("/a", "a")]),
    ];
    let ops = vec![
        create(S1, "/a", "a", (0, 25), 2),
        create(S2, "/b", "x", (20, 30), 1),
    ];
    assert!(check(&input(log, ops)).is_ok());
}

#[test]
fn log_match_flags_wrong_set_data_version() {
    let mut ops = base_ops();
    ops[1] = set_data(S2, "/a", "b", (20, 30), stat(1, 2, 7));
    let violations = log_match(&input(base_log(), ops.clone()), &Replay::new(&base_log()));
    assert!(matches!(
        violations.as_slice(),
        [Violation::WriteMismatch { op: 1, zxid: 2, .. }]
    ));
}

#[test]
fn log_match_flags_conditional_write_whose_version_did_not_hold() {
    let mut ops = base_ops();
    ops[1].request = Request::SetData {
        path: "/a".to_owned(),
        data: data("b"),
        version: 3,
    };
    let violations = log_match(&input(base_log(), ops), &Replay::new(&base_log()));
    assert!(matches!(
        violations.as_slice(),
        [Violation::WriteMismatch { op: 1, .. }]
    ));
}

#[test]
fn log_match_flags_failed_write_in_log() {
    let mut ops = base_ops();
    ops[1].outcome = OpOutcome::Err(BADVERSION);
    let violations = log_match(&input(base_log(), ops), &Replay::new(&base_log()));
    assert!(matches!(
        violations.as_slice(),
        [Violation::UnexplainedTxn {
            zxid: 2,
            session: S2
        }]
    ));
}

#[test]
fn log_match_accepts_unknown_write_in_log_or_not() {
    let mut ops = base_ops();
    ops[1].outcome = OpOutcome::Unknown;
    ops[1].complete = None;
    ops[1].zxid = None;
    assert!(check(&input(base_log(), ops.clone())).is_ok());
    let shorter = base_log()[..1].to_vec();
    assert!(check(&input(shorter, ops)).is_ok());
}

#[test]
fn log_match_flags_one_unknown_write_explaining_two_txns() {
    let mut ops = base_ops();
    ops[1].outcome = OpOutcome::Unknown;
    ops[1].zxid = None;
    let mut log = base_log();
    log.push(txn(3, S2, vec![set_effect("/a", "b", 2)]));
    let violations = log_match(&input(log.clone(), ops), &Replay::new(&log));
    assert!(matches!(
        violations.as_slice(),
        [Violation::UnexplainedTxn { zxid: 3, .. }]
    ));
}

#[test]
fn replay_flags_wrong_sequential_name() {
    let log = vec![txn(
        1,
        S1,
        vec![TxnEffect::Create {
            path: "/q-0000000001".to_owned(),
            data: None,
            ephemeral_owner: None,
            sequential: Some(true),
            parent_cversion: Some(1),
        }],
    )];
    let violations = Replay::new(&log).violations().to_vec();
    assert!(matches!(
        violations.as_slice(),
        [Violation::LogInvalid { zxid: 1, .. }]
    ));
}

#[test]
fn replay_flags_close_session_leaving_ephemerals() {
    let ephemeral = TxnEffect::Create {
        path: "/e".to_owned(),
        data: None,
        ephemeral_owner: Some(S1),
        sequential: Some(false),
        parent_cversion: None,
    };
    let close = TxnEffect::CloseSession { ephemerals: vec![] };
    let log = vec![txn(1, S1, vec![ephemeral]), txn(2, S1, vec![close])];
    let violations = Replay::new(&log).violations().to_vec();
    assert!(matches!(
        violations.as_slice(),
        [Violation::LogInvalid { zxid: 2, .. }]
    ));
}

#[test]
fn durability_flags_lost_write() {
    let log = base_log()[..1].to_vec();
    let violations = durability(&input(log.clone(), base_ops()), &Replay::new(&log));
    assert!(matches!(
        violations.as_slice(),
        [Violation::LostWrite { op: 1, zxid: 2, .. }]
    ));
}

#[test]
fn session_order_flags_zxid_going_back() {
    let mut ops = base_ops();
    ops.push(get_data(S2, "/a", (40, 50), "a", stat(1, 1, 0), 1));
    let violations = session_order(&input(base_log(), ops));
    assert!(matches!(
        violations.as_slice(),
        [Violation::ZxidWentBack {
            session: S2,
            op: 2,
            zxid: 1,
            previous: 1,
            previous_zxid: 2
        }]
    ));
}

#[test]
fn reads_flag_stale_read_after_own_write() {
    // S2 wrote version 1 at zxid 2, then read version 0: not read-your-writes.
    let mut ops = base_ops();
    ops.push(get_data(S2, "/a", (40, 50), "a", stat(1, 1, 0), 2));
    let violations = reads(&input(base_log(), ops.clone()), &Replay::new(&base_log()));
    assert!(matches!(
        violations.as_slice(),
        [Violation::StaleRead { op: 2, lo: 2, .. }]
    ));
}

#[test]
fn reads_accept_old_state_from_other_session() {
    // S1 never saw zxid 2, so reading version 0 is allowed (reads are not linearizable).
    let mut ops = base_ops();
    ops.push(get_data(S1, "/a", (40, 50), "a", stat(1, 1, 0), 1));
    assert!(check(&input(base_log(), ops)).is_ok());
}

#[test]
fn reads_flag_stale_read_after_sync() {
    let mut ops = base_ops();
    let sync = Request::Sync {
        path: "/a".to_owned(),
    };
    ops.push(op(S1, sync, (35, 38), OpOutcome::Ok(Reply::Done), 1));
    ops.push(get_data(S1, "/a", (40, 50), "a", stat(1, 1, 0), 1));
    let violations = reads(&input(base_log(), ops), &Replay::new(&base_log()));
    assert!(matches!(
        violations.as_slice(),
        [Violation::StaleRead { op: 3, lo: 2, .. }]
    ));
}

#[test]
fn reads_flag_state_from_the_future() {
    // The read returned before the setData was invoked, but shows its version.
    let mut ops = base_ops();
    ops.push(get_data(S1, "/a", (12, 15), "b", stat(1, 2, 1), 1));
    let violations = reads(&input(base_log(), ops), &Replay::new(&base_log()));
    assert!(matches!(
        violations.as_slice(),
        [Violation::StaleRead {
            op: 2,
            lo: 1,
            hi: 1,
            ..
        }]
    ));
}

#[test]
fn reads_flag_children_never_held() {
    let log = vec![
        txn(1, S1, vec![create_effect("/a", "")]),
        txn(2, S1, vec![create_effect("/a/x", "")]),
        txn(
            3,
            S1,
            vec![TxnEffect::Delete {
                path: "/a/x".to_owned(),
            }],
        ),
    ];
    let children = |names: &[&str]| {
        let names = names.iter().map(|n| (*n).to_owned()).collect();
        OpOutcome::Ok(Reply::Children(names))
    };
    let get = Request::GetChildren {
        path: "/a".to_owned(),
        watch: false,
    };
    let good = vec![op(S2, get.clone(), (0, 1), children(&["x"]), 2)];
    assert!(reads(&input(log.clone(), good), &Replay::new(&log)).is_empty());
    let bad = vec![op(S2, get, (0, 1), children(&["x", "y"]), 2)];
    let violations = reads(&input(log.clone(), bad), &Replay::new(&log));
    assert!(matches!(
        violations.as_slice(),
        [Violation::StaleRead { op: 0, .. }]
    ));
}

#[test]
fn reads_at_reply_zxid_flag_read_behind_its_reply() {
    let mut ops = base_ops();
    ops.push(get_data(S1, "/a", (40, 50), "a", stat(1, 1, 0), 2));
    let mut strict = input(base_log(), ops);
    assert!(reads(&strict, &Replay::new(&base_log())).is_empty());
    strict.options.reads_at_reply_zxid = true;
    let violations = reads(&strict, &Replay::new(&base_log()));
    assert!(matches!(
        violations.as_slice(),
        [Violation::StaleRead {
            op: 2,
            lo: 2,
            hi: 2,
            ..
        }]
    ));
}

fn watch_input(event_at: u64, event_zxid: Option<Zxid>) -> Input {
    let mut ops = base_ops();
    let watch = Request::GetData {
        path: "/a".to_owned(),
        watch: true,
    };
    let reply = Reply::Data {
        data: data("a"),
        stat: stat(1, 1, 0),
    };
    ops.push(op(S1, watch, (12, 14), OpOutcome::Ok(reply), 1));
    ops.push(get_data(S1, "/a", (40, 50), "b", stat(1, 2, 1), 2));
    let event = WatchEventRecord {
        session: S1,
        event_type: WatchEventType::NodeDataChanged,
        path: "/a".to_owned(),
        zxid: event_zxid,
        at: event_at,
        conn: 0,
    };
    Input {
        events: vec![event],
        ..input(base_log(), ops)
    }
}

#[test]
fn watches_pass_on_event_before_reply() {
    let report = check(&watch_input(35, Some(2)));
    assert!(report.is_ok(), "{:?}", report.violations);
    assert!(check(&watch_input(35, None)).is_ok());
}

#[test]
fn watches_flag_event_after_reply_showing_the_change() {
    let input = watch_input(55, Some(2));
    let violations = watches(&input, &Replay::new(&input.log));
    assert!(matches!(
        violations.as_slice(),
        [Violation::EventAfterReply {
            session: S1,
            event: 0,
            zxid: 2,
            op: 3,
            op_zxid: 2
        }]
    ));
}

#[test]
fn watches_flag_duplicate_one_shot_event() {
    let mut input = watch_input(35, Some(2));
    let mut again = input.events[0].clone();
    again.at = 36;
    input.events.push(again);
    let violations = watches(&input, &Replay::new(&input.log));
    assert!(matches!(
        violations.as_slice(),
        [Violation::EventWithoutWatch { event: 1, .. }]
    ));
}

/// Two events of session S1, zxid 3 (on /b, at 33) then zxid 2 (on /a, at 34), both on
/// connection 0 unless moved.
fn events_in_reverse_zxid_order() -> Input {
    let mut input = watch_input(35, Some(2));
    input.log.push(txn(3, S2, vec![create_effect("/b", "")]));
    let exists = Request::Exists {
        path: "/b".to_owned(),
        watch: true,
    };
    input
        .ops
        .push(op(S1, exists, (15, 16), OpOutcome::Err(NONODE), 1));
    input.events[0].at = 34;
    input.events.push(WatchEventRecord {
        session: S1,
        event_type: WatchEventType::NodeCreated,
        path: "/b".to_owned(),
        zxid: Some(3),
        at: 33,
        conn: 0,
    });
    input
}

#[test]
fn watches_flag_events_out_of_zxid_order() {
    let input = events_in_reverse_zxid_order();
    let violations = watches(&input, &Replay::new(&input.log));
    assert!(matches!(
        violations.as_slice(),
        [Violation::EventOutOfOrder {
            event: 0,
            zxid: 2,
            previous: 1,
            previous_zxid: 3,
            ..
        }]
    ));
}

// Seed 599116: a session notified of zxid 3 on one server moved to one that had applied only
// up to 1 (its last zxid counts replies, not notifications, as Java's client does) and was
// notified there of zxid 2. ZooKeeper orders events per connection only.
#[test]
fn watches_order_events_per_connection() {
    let mut input = events_in_reverse_zxid_order();
    input.events[0].conn = 2;
    input.events[1].conn = 1;
    assert_eq!(watches(&input, &Replay::new(&input.log)), vec![]);
}

#[test]
fn watches_flag_event_not_in_log() {
    let mut input = watch_input(35, Some(2));
    input.events[0].event_type = WatchEventType::NodeDeleted;
    let violations = watches(&input, &Replay::new(&input.log));
    assert!(matches!(
        violations.as_slice(),
        [Violation::EventNotInLog {
            event: 0,
            zxid: 2,
            ..
        }]
    ));
}

/// Two watched reads invoked before the first change's event arrives; the second read saw
/// the change (reply zxid `second_zxid`), then a second change fires again.
fn rewatch_input(second: (&str, StatView, Zxid)) -> Input {
    let mut log = base_log();
    log.push(txn(3, S2, vec![set_effect("/a", "c", 2)]));
    let mut ops = base_ops();
    let watched = |times, value: &str, result, zxid| {
        let request = Request::GetData {
            path: "/a".to_owned(),
            watch: true,
        };
        let reply = Reply::Data {
            data: data(value),
            stat: result,
        };
        op(S1, request, times, OpOutcome::Ok(reply), zxid)
    };
    ops.push(watched((12, 14), "a", stat(1, 1, 0), 1));
    ops.push(watched((33, 45), second.0, second.1, second.2));
    ops.push(set_data(S2, "/a", "c", (50, 58), stat(1, 3, 2)));
    let event = |zxid, at| WatchEventRecord {
        session: S1,
        event_type: WatchEventType::NodeDataChanged,
        path: "/a".to_owned(),
        zxid: Some(zxid),
        at,
        conn: 0,
    };
    Input {
        events: vec![event(2, 40), event(3, 60)],
        ..input(log, ops)
    }
}

#[test]
fn watches_accept_a_watch_set_again_by_a_read_that_saw_the_change() {
    // postmortem: the one-shot check kept pending registrations as a set from their
    // invocation, so the second read (invoked before the first event arrived, but served after
    // the change) was merged into the first and the second event was flagged.
    for exact in [false, true] {
        let mut input = rewatch_input(("b", stat(1, 2, 1), 2));
        input.options.reads_at_reply_zxid = exact;
        let report = check(&input);
        assert!(report.is_ok(), "{:?}", report.violations);
    }
}

#[test]
fn watches_flag_second_event_when_both_reads_were_before_the_change() {
    let input = rewatch_input(("a", stat(1, 1, 0), 1));
    let violations = watches(&input, &Replay::new(&input.log));
    assert!(matches!(
        violations.as_slice(),
        [Violation::EventWithoutWatch { event: 1, .. }]
    ));
}

#[test]
fn reads_accept_stale_read_after_sync_answered_by_a_deposed_leader() {
    // postmortem (sim seed 87, 3 nodes): a leader of epoch 1 paused while epoch 2 was elected
    // and wrote; after it resumed it still led for a few ticks and answered a sync and reads
    // from its own state, as a Java leader does. Only writes of epochs up to the sync reply's
    // epoch raise the floor.
    let e2 = 2 << 32 | 1;
    let mut log = base_log();
    log.push(txn(e2, S2, vec![set_effect("/a", "c", 2)]));
    let mut ops = base_ops();
    ops.push(set_data(S2, "/a", "c", (31, 33), stat(1, e2, 2)));
    let sync = Request::Sync {
        path: "/a".to_owned(),
    };
    ops.push(op(S1, sync, (35, 38), OpOutcome::Ok(Reply::Done), 2));
    ops.push(get_data(S1, "/a", (40, 50), "b", stat(1, 2, 1), 2));
    let report = check(&input(log.clone(), ops.clone()));
    assert!(report.is_ok(), "{:?}", report.violations);
    // A sync answered at epoch 2 must see the epoch-2 write.
    ops[3].zxid = Some(e2);
    ops[4].zxid = Some(e2);
    let violations = reads(&input(log.clone(), ops), &Replay::new(&log));
    assert!(
        matches!(violations.as_slice(), [Violation::StaleRead { op: 4, .. }]),
        "{violations:?}"
    );
}
