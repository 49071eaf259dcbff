use super::*;

fn table() -> SessionTable {
    SessionTable::new(ServerId(1), 2000, 1_700_000_000_000, 42)
}

fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

#[test]
fn session_ids_are_positive_unique_and_carry_the_server_id() {
    let mut t = table();
    let a = t.allocate_id();
    let b = t.allocate_id();
    assert_ne!(a, b);
    assert!(a.0 > 0 && b.0 > 0);
    assert_eq!(a.0 >> 56, 1, "top byte is the server id");
    t.add(a, 10_000, at(0));
    t.check_invariants();
}

#[test]
fn password_is_derived_and_checked() {
    let t = table();
    let other = SessionTable::new(ServerId(2), 2000, 5, 42);
    let id = SessionId(77);
    assert_eq!(
        t.password(id),
        other.password(id),
        "same secret, same password on any server"
    );
    assert!(t.password_matches(id, &t.password(id)));
    assert!(!t.password_matches(id, &[0; 16]));
    assert!(!t.password_matches(id, &t.password(id)[..15]));
    assert_ne!(
        t.password(id),
        SessionTable::new(ServerId(1), 2000, 5, 43).password(id)
    );
}

#[test]
fn expiry_is_rounded_up_to_the_next_tick() {
    let mut t = table();
    let id = SessionId(5);
    t.add(id, 5000, at(1000));
    // 1000 + 5000 = 6000, already a multiple of 2000.
    assert_eq!(t.get(id).map(|s| s.expires_at), Some(at(6000)));
    assert!(t.expired(at(5999)).is_empty());
    assert_eq!(t.expired(at(6000)), vec![id]);
    t.touch(id, at(1500));
    // 1500 + 5000 = 6500 → 8000.
    assert_eq!(t.next_expiry(), Some(at(8000)));
    assert!(t.expired(at(7999)).is_empty());
    t.check_invariants();
}

#[test]
fn touch_never_moves_a_deadline_earlier_and_closing_sessions_are_not_due() {
    let mut t = table();
    let id = SessionId(9);
    t.add(id, 4000, at(10_000));
    assert!(
        t.touch(id, at(9_000)),
        "an older touch is accepted but changes nothing"
    );
    assert_eq!(t.get(id).map(|s| s.expires_at), Some(at(14_000)));
    t.mark_closing(id);
    assert!(
        !t.touch(id, at(11_000)),
        "a closing session cannot be refreshed"
    );
    assert!(t.expired(at(20_000)).is_empty());
    assert_eq!(t.next_expiry(), None);
    assert!(t.remove(id).is_some());
    assert!(t.remove(id).is_none());
    t.check_invariants();
}

#[test]
fn bind_reports_the_previous_connection() {
    let mut t = table();
    let id = SessionId(3);
    t.add(id, 4000, at(0));
    assert_eq!(t.bind(id, ConnId(1)), None);
    assert_eq!(
        t.bind(id, ConnId(1)),
        None,
        "rebinding the same connection is not a move"
    );
    assert_eq!(t.bind(id, ConnId(2)), Some(ConnId(1)));
    t.unbind(id, ConnId(1));
    assert_eq!(
        t.get(id).and_then(|s| s.conn),
        Some(ConnId(2)),
        "a stale unbind is ignored"
    );
    t.unbind(id, ConnId(2));
    assert_eq!(t.get(id).and_then(|s| s.conn), None);
}

#[test]
fn recovered_ids_push_the_allocator_past_them() {
    let mut t = SessionTable::new(ServerId(0), 1000, 0, 1);
    t.add(SessionId(500), 3000, at(0));
    let next = t.allocate_id();
    assert!(
        next.0 > 500,
        "{next} must not collide with a recovered session"
    );
}
