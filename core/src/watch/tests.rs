use super::*;

const A: ConnId = ConnId(1);
const B: ConnId = ConnId(2);

fn fired(conn: ConnId, event: EventType, path: &str) -> Fired {
    Fired {
        conn,
        event,
        path: path.to_owned(),
    }
}

fn created(p: &str) -> Change {
    Change::Created(p.to_owned())
}

fn deleted(p: &str) -> Change {
    Change::Deleted(p.to_owned())
}

fn data(p: &str) -> Change {
    Change::DataChanged(p.to_owned())
}

#[test]
fn one_shot_data_watch_fires_once() {
    let mut w = WatchManager::new();
    w.add(A, "/a", WatchKind::Data);
    w.add(B, "/a", WatchKind::Data);
    assert_eq!(
        w.trigger(&data("/a")),
        vec![
            fired(A, EventType::NodeDataChanged, "/a"),
            fired(B, EventType::NodeDataChanged, "/a")
        ]
    );
    assert!(
        w.trigger(&data("/a")).is_empty(),
        "one-shot watches are gone after firing"
    );
    w.check_invariants();
}

#[test]
fn create_fires_exist_watch_then_parent_child_watch() {
    let mut w = WatchManager::new();
    w.add(A, "/p/c", WatchKind::Data);
    w.add(A, "/p", WatchKind::Child);
    w.add(B, "/p", WatchKind::Data);
    assert_eq!(
        w.trigger(&created("/p/c")),
        vec![
            fired(A, EventType::NodeCreated, "/p/c"),
            fired(A, EventType::NodeChildrenChanged, "/p")
        ]
    );
    assert_eq!(w.summary(), (1, 1, 1), "B's data watch on /p is untouched");
    w.check_invariants();
}

#[test]
fn delete_fires_data_and_child_watches_of_the_node_once_per_connection() {
    let mut w = WatchManager::new();
    w.add(A, "/n", WatchKind::Data);
    w.add(A, "/n", WatchKind::Child);
    w.add(B, "/", WatchKind::Child);
    assert_eq!(
        w.trigger(&deleted("/n")),
        vec![
            fired(A, EventType::NodeDeleted, "/n"),
            fired(B, EventType::NodeChildrenChanged, "/")
        ]
    );
    assert_eq!(w.summary(), (0, 0, 0));
}

#[test]
fn persistent_watch_survives_and_sees_child_events() {
    let mut w = WatchManager::new();
    w.add(A, "/p", WatchKind::Persistent);
    for _ in 0..2 {
        assert_eq!(
            w.trigger(&data("/p")),
            vec![fired(A, EventType::NodeDataChanged, "/p")]
        );
        assert_eq!(
            w.trigger(&created("/p/x")),
            vec![fired(A, EventType::NodeChildrenChanged, "/p")]
        );
    }
    assert_eq!(
        w.trigger(&deleted("/p")),
        vec![fired(A, EventType::NodeDeleted, "/p")]
    );
    assert_eq!(
        w.summary(),
        (1, 1, 1),
        "a delete does not remove a persistent watch"
    );
}

#[test]
fn recursive_watch_sees_descendants_but_never_children_changed() {
    let mut w = WatchManager::new();
    w.add(A, "/r", WatchKind::PersistentRecursive);
    assert_eq!(
        w.trigger(&created("/r/x/y")),
        vec![fired(A, EventType::NodeCreated, "/r/x/y")]
    );
    assert_eq!(
        w.trigger(&data("/r")),
        vec![fired(A, EventType::NodeDataChanged, "/r")]
    );
    assert!(
        w.trigger(&data("/rx")).is_empty(),
        "a sibling with a common prefix is not a descendant"
    );
    let root = {
        let mut w = WatchManager::new();
        w.add(B, "/", WatchKind::PersistentRecursive);
        w.trigger(&deleted("/a/b"))
    };
    assert_eq!(root, vec![fired(B, EventType::NodeDeleted, "/a/b")]);
}

#[test]
fn one_notification_per_connection_even_with_several_matching_watches() {
    let mut w = WatchManager::new();
    w.add(A, "/n", WatchKind::Data);
    w.add(A, "/n", WatchKind::Persistent);
    w.add(A, "/", WatchKind::PersistentRecursive);
    assert_eq!(
        w.trigger(&data("/n")),
        vec![fired(A, EventType::NodeDataChanged, "/n")]
    );
    assert!(w.contains(A, "/n", WatcherType::Persistent));
    assert!(
        w.contains(A, "/n", WatcherType::Data),
        "a persistent watch is in the data table"
    );
    assert!(
        w.contains(A, "/n", WatcherType::Children),
        "and in the child table"
    );
    assert!(w.remove(A, "/n", WatcherType::Persistent));
    assert!(
        !w.contains(A, "/n", WatcherType::Data),
        "the one-shot watch was used"
    );
}

#[test]
fn remove_and_check_by_type() {
    let mut w = WatchManager::new();
    w.add(A, "/n", WatchKind::Data);
    w.add(A, "/n", WatchKind::Child);
    assert!(w.contains(A, "/n", WatcherType::Any));
    assert!(!w.contains(B, "/n", WatcherType::Any));
    assert!(
        !w.remove(A, "/n", WatcherType::Persistent),
        "nothing of that type → NOWATCHER"
    );
    assert!(w.remove(A, "/n", WatcherType::Children));
    assert!(!w.contains(A, "/n", WatcherType::Children));
    assert!(w.contains(A, "/n", WatcherType::Data));
    assert!(w.remove(A, "/n", WatcherType::Any));
    assert_eq!(w.summary(), (0, 0, 0));
    assert_eq!(WatcherType::from_code(6), None);
    w.check_invariants();
}

#[test]
fn closing_a_connection_drops_all_its_watches() {
    let mut w = WatchManager::new();
    w.add(A, "/x", WatchKind::Data);
    w.add(A, "/y", WatchKind::PersistentRecursive);
    w.add(B, "/x", WatchKind::Data);
    w.remove_conn(A);
    assert_eq!(
        w.trigger(&data("/x")),
        vec![fired(B, EventType::NodeDataChanged, "/x")]
    );
    assert!(w.trigger(&data("/y/z")).is_empty());
    w.check_invariants();
}
