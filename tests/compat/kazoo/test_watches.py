"""Watches: one-shot data/exist/child watches, their ordering, and persistent watches (addWatch).

Where the question is "did the server send a notification or not", the test uses the wire
client and then makes one more round trip on that connection, a sync: the server queues a
notification ahead of any later reply on the same connection, and a sync is answered only once
the client's server has applied every write completed before it (in an ensemble another
client's write may have gone through another server), so once that reply is in, every event
caused by an earlier, completed write has arrived too. For the same reason a wire client syncs
(catch_up) before it reads a node another client has just written.
"""

import time

from kazoo.protocol.states import EventType

import zkwire
from helpers import Recorder, catch_up


def drain(w):
    """The notifications w has received, after a sync (see the module doc)."""
    catch_up(w)
    out = [(e.type, e.path) for e in w.events]
    w.events.clear()
    return out


# ---- kazoo-level behaviour ----------------------------------------------------------------

def test_data_watch_fires_once(zk, zk2, root):
    p = zk.create(f"{root}/w", b"0")
    rec = Recorder()
    zk.get(p, watch=rec)
    zk2.set(p, b"1")
    zk2.set(p, b"2")
    events = rec.wait(1)
    zk.sync(p)
    zk.get(p)
    time.sleep(0.3)
    assert len(rec.events) == 1, "a standard watch is one-shot"
    assert events[0].type == EventType.CHANGED
    assert events[0].path == p


def test_data_watch_on_delete(zk, zk2, root):
    p = zk.create(f"{root}/w")
    rec = Recorder()
    zk.get(p, watch=rec)
    zk2.delete(p)
    ev = rec.wait(1)
    assert [(e.type, e.path) for e in ev] == [(EventType.DELETED, p)]


def test_exists_watch_on_missing_node_fires_on_create(zk, zk2, root):
    p = f"{root}/later"
    rec = Recorder()
    assert zk.exists(p, watch=rec) is None
    zk2.create(p, b"now")
    ev = rec.wait(1)
    assert [(e.type, e.path) for e in ev] == [(EventType.CREATED, p)]
    zk2.delete(p)
    time.sleep(0.3)
    assert len(rec.events) == 1


def test_child_watch_fires_on_create_and_delete_of_child(zk, zk2, root):
    rec = Recorder()
    assert zk.get_children(root, watch=rec) == []
    zk2.create(f"{root}/c1")
    ev = rec.wait(1)
    assert [(e.type, e.path) for e in ev] == [(EventType.CHILD, root)]

    rec2 = Recorder()
    zk.get_children(root, watch=rec2)
    zk2.delete(f"{root}/c1")
    ev = rec2.wait(1)
    assert [(e.type, e.path) for e in ev] == [(EventType.CHILD, root)]


def test_watchers_on_two_sessions_both_fire(zk, zk2, clients, root):
    zk3 = clients()
    p = zk.create(f"{root}/w")
    catch_up(zk2, p)
    catch_up(zk3, p)
    r2, r3 = Recorder(), Recorder()
    zk2.get(p, watch=r2)
    zk3.exists(p, watch=r3)
    zk.set(p, b"x")
    assert len(r2.wait(1)) == 1
    assert len(r3.wait(1)) == 1


# ---- exact notifications on the wire ---------------------------------------------------------

def test_child_watch_gets_node_deleted_when_node_itself_goes(clients, zk2, root):
    w = clients.wire()
    p = zk2.create(f"{root}/parent")
    catch_up(w, p)
    assert w.get_children(p, watch=True)[0] == zkwire.OK
    zk2.delete(p)
    assert drain(w) == [(zkwire.NODE_DELETED, p)]


def test_get_data_on_missing_node_sets_no_watch(clients, zk2, root):
    w = clients.wire()
    p = f"{root}/absent"
    assert w.get_data(p, watch=True)[0] == zkwire.NONODE
    assert w.get_children(p, watch=True)[0] == zkwire.NONODE
    zk2.create(p)
    assert drain(w) == []


def test_exists_watch_on_missing_node_is_set(clients, zk2, root):
    w = clients.wire()
    p = f"{root}/absent"
    assert w.exists(p, watch=True)[0] == zkwire.NONODE
    zk2.create(p)
    assert drain(w) == [(zkwire.NODE_CREATED, p)]


def test_one_notification_per_event_and_path_per_connection(clients, zk2, root):
    """exists + getData watches on the same path give one NodeDataChanged, not two."""
    w = clients.wire()
    p = zk2.create(f"{root}/n")
    catch_up(w, p)
    assert w.exists(p, watch=True)[0] == zkwire.OK
    assert w.get_data(p, watch=True)[0] == zkwire.OK
    zk2.set(p, b"x")
    assert drain(w) == [(zkwire.NODE_DATA_CHANGED, p)]


def test_child_change_does_not_fire_data_watch_and_vice_versa(clients, zk2, root):
    w = clients.wire()
    p = zk2.create(f"{root}/n")
    catch_up(w, p)
    assert w.get_data(p, watch=True)[0] == zkwire.OK
    zk2.create(f"{p}/kid")
    assert drain(w) == []
    assert w.get_children(p, watch=True)[0] == zkwire.OK
    zk2.set(f"{p}/kid", b"x")
    zk2.set(p, b"y")  # fires the earlier data watch, not the child watch
    assert drain(w) == [(zkwire.NODE_DATA_CHANGED, p)]


def test_event_arrives_before_the_data_that_shows_the_change(clients, zk2, root):
    """'A client sees a watch event before it sees the new data': the notification frame
    precedes the first reply that returns the new value. (In an ensemble w's server may apply
    zk2's write after zk2 had its answer, so w reads until it sees the new value; every reply
    before the event must show the old one.)"""
    w = clients.wire()
    p = zk2.create(f"{root}/n", b"old")
    catch_up(w, p)
    assert w.get_data(p, watch=True)[1] == b"old"
    zk2.set(p, b"new")
    start = len(w.frames)
    deadline = time.monotonic() + 10
    while True:
        err, data, _ = w.get_data(p)
        assert err == zkwire.OK
        if data == b"new" or time.monotonic() > deadline:
            break
        assert data == b"old"
    assert data == b"new"
    kinds = [k for k, _ in w.frames[start:]]
    assert kinds[-2:] == ["event", "reply"], w.frames[start:]
    assert kinds.count("event") == 1, w.frames[start:]
    ev = w.frames[start + len(kinds) - 2][1]
    assert (ev.type, ev.state, ev.path) == (zkwire.NODE_DATA_CHANGED, 3, p)


def test_notifications_follow_commit_order(clients, zk2, root):
    """Watches on several nodes fire in the order of the writes that triggered them."""
    w = clients.wire()
    paths = [zk2.create(f"{root}/n{i}") for i in range(5)]
    catch_up(w)
    for p in paths:
        assert w.get_data(p, watch=True)[0] == zkwire.OK
    for p in reversed(paths):
        zk2.set(p, b"x")
    assert drain(w) == [(zkwire.NODE_DATA_CHANGED, p) for p in reversed(paths)]


def test_transaction_fires_events_per_op_in_order(clients, zk2, root):
    w = clients.wire()
    assert w.add_watch(root, zkwire.ADD_WATCH_PERSISTENT_RECURSIVE) == zkwire.OK
    t = zk2.transaction()
    t.create(f"{root}/a", b"1")
    t.set_data(f"{root}/a", b"2")
    t.create(f"{root}/b")
    t.delete(f"{root}/a")
    results = t.commit()
    assert not any(isinstance(r, Exception) for r in results), results
    assert drain(w) == [
        (zkwire.NODE_CREATED, f"{root}/a"),
        (zkwire.NODE_DATA_CHANGED, f"{root}/a"),
        (zkwire.NODE_CREATED, f"{root}/b"),
        (zkwire.NODE_DELETED, f"{root}/a"),
    ]


# ---- persistent watches (addWatch, ZooKeeper 3.6+; kazoo 2.8 lacks add_watch) ---------------

def test_persistent_watch_fires_repeatedly(clients, zk2, root):
    w = clients.wire()
    p = f"{root}/pw"
    assert w.add_watch(p, zkwire.ADD_WATCH_PERSISTENT) == zkwire.OK  # node need not exist
    zk2.create(p, b"0")
    zk2.set(p, b"1")
    zk2.set(p, b"2")
    zk2.create(f"{p}/kid")
    zk2.set(f"{p}/kid", b"not watched")  # a grandchild-level data change: not ours
    zk2.delete(f"{p}/kid")
    zk2.delete(p)
    zk2.create(p)
    assert drain(w) == [
        (zkwire.NODE_CREATED, p),
        (zkwire.NODE_DATA_CHANGED, p),
        (zkwire.NODE_DATA_CHANGED, p),
        (zkwire.NODE_CHILDREN_CHANGED, p),
        (zkwire.NODE_CHILDREN_CHANGED, p),
        (zkwire.NODE_DELETED, p),
        (zkwire.NODE_CREATED, p),
    ]


def test_persistent_recursive_watch(clients, zk2, root):
    w = clients.wire()
    base = zk2.create(f"{root}/tree")
    catch_up(w, base)  # else w's server could apply the create after the watch: NodeCreated
    assert w.add_watch(base, zkwire.ADD_WATCH_PERSISTENT_RECURSIVE) == zkwire.OK
    zk2.create(f"{base}/a")
    zk2.create(f"{base}/a/b", b"x")
    zk2.set(f"{base}/a/b", b"y")
    zk2.delete(f"{base}/a/b")
    zk2.set(base, b"z")
    zk2.create(f"{root}/sibling")  # outside the tree
    assert drain(w) == [
        (zkwire.NODE_CREATED, f"{base}/a"),
        (zkwire.NODE_CREATED, f"{base}/a/b"),
        (zkwire.NODE_DATA_CHANGED, f"{base}/a/b"),
        (zkwire.NODE_DELETED, f"{base}/a/b"),
        (zkwire.NODE_DATA_CHANGED, base),
    ], "recursive watches never deliver NodeChildrenChanged"


def test_remove_and_check_persistent_watches(clients, zk2, root):
    """A persistent watch sits in both the data and the child table, so checkWatches with
    Data, Children or Any finds it and removeWatches(Any) removes it. (Apache 3.8.0 answers
    MARSHALLINGERROR to the Persistent/PersistentRecursive watcher types 4 and 5, so they are
    not used here.)"""
    w = clients.wire()
    p = zk2.create(f"{root}/pw")
    catch_up(w, p)
    assert w.add_watch(p, zkwire.ADD_WATCH_PERSISTENT) == zkwire.OK
    assert w.check_watches(p, zkwire.WATCHER_DATA) == zkwire.OK
    assert w.check_watches(p, zkwire.WATCHER_CHILDREN) == zkwire.OK
    assert w.check_watches(p, zkwire.WATCHER_ANY) == zkwire.OK
    assert w.remove_watches(p, zkwire.WATCHER_ANY) == zkwire.OK
    assert w.remove_watches(p, zkwire.WATCHER_ANY) == zkwire.NOWATCHER
    assert w.check_watches(p, zkwire.WATCHER_ANY) == zkwire.NOWATCHER
    zk2.set(p, b"x")
    zk2.create(f"{p}/c")
    assert drain(w) == []


def test_remove_standard_watches(clients, zk2, root):
    w = clients.wire()
    p = zk2.create(f"{root}/n")
    catch_up(w, p)
    assert w.check_watches(p, zkwire.WATCHER_DATA) == zkwire.NOWATCHER
    assert w.get_data(p, watch=True)[0] == zkwire.OK
    assert w.get_children(p, watch=True)[0] == zkwire.OK
    assert w.check_watches(p, zkwire.WATCHER_DATA) == zkwire.OK
    assert w.remove_watches(p, zkwire.WATCHER_DATA) == zkwire.OK
    assert w.check_watches(p, zkwire.WATCHER_DATA) == zkwire.NOWATCHER
    assert w.check_watches(p, zkwire.WATCHER_CHILDREN) == zkwire.OK
    zk2.set(p, b"x")
    zk2.create(f"{p}/c")
    assert drain(w) == [(zkwire.NODE_CHILDREN_CHANGED, p)]
