"""What applications build on top: kazoo recipes, optimistic concurrency, chroot, kazoo 2.9 APIs."""

import threading
import time

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import BadVersionError
from kazoo.protocol.states import EventType

from helpers import Recorder, catch_up, make_kazoo, wait_until


def test_compare_and_set_counter_under_contention(server, root):
    """4 clients x 20 increments by get + set(version): every increment lands exactly once."""
    path = f"{root}/counter"
    nclients, per = 4, 20
    setup = make_kazoo(server)
    setup.start(timeout=15)
    setup.create(path, b"0")
    retries = []
    errors = []

    def worker():
        c = make_kazoo(server)
        c.start(timeout=15)
        try:
            for _ in range(per):
                while True:
                    data, st = c.get(path)
                    try:
                        c.set(path, str(int(data) + 1).encode(), version=st.version)
                        break
                    except BadVersionError:
                        retries.append(1)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            c.stop()
            c.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(nclients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    catch_up(setup, path)
    data, st = setup.get(path)
    setup.stop()
    setup.close()
    assert not errors
    assert int(data) == nclients * per
    assert st.version == nclients * per


def test_lock_mutual_exclusion(server, root):
    """kazoo's Lock (ephemeral sequential nodes + exists watch on the predecessor)."""
    nclients, rounds = 3, 4
    inside = []
    overlap = []
    order = []
    timeouts = []

    def worker(i):
        c = make_kazoo(server)
        c.start(timeout=15)
        lock = c.Lock(f"{root}/lock", f"worker-{i}")
        try:
            for _ in range(rounds):
                if not lock.acquire(timeout=15):
                    timeouts.append(i)
                    return
                try:
                    inside.append(i)
                    if len(inside) > 1:
                        overlap.append(list(inside))
                    order.append(i)
                    time.sleep(0.01)
                    inside.remove(i)
                finally:
                    lock.release()
        finally:
            c.stop()
            c.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(nclients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not timeouts, f"workers {timeouts} never got the lock"
    assert not overlap
    assert len(order) == nclients * rounds


def test_lock_released_when_holder_session_closes(clients, root):
    a, b = clients(), clients()
    la, lb = a.Lock(f"{root}/lock", "a"), b.Lock(f"{root}/lock", "b")
    assert la.acquire(timeout=5)
    assert not lb.acquire(blocking=False)
    got = threading.Event()
    t = threading.Thread(target=lambda: lb.acquire(timeout=15) and got.set(), daemon=True)
    t.start()
    time.sleep(0.2)
    assert not got.is_set()
    a.stop()  # closeSession removes a's ephemeral lock node; b's exists watch fires
    t.join(20)
    assert got.is_set()
    lb.release()


def test_election_single_leader(clients, root):
    leaders = []
    stop = threading.Event()

    def run(name):
        leaders.append(name)
        stop.wait(10)

    cs = [clients() for _ in range(3)]
    elections = [c.Election(f"{root}/election", f"c{i}") for i, c in enumerate(cs)]
    threads = [threading.Thread(target=e.run, args=(run, f"c{i}")) for i, e in enumerate(elections)]
    for t in threads:
        t.daemon = True
        t.start()
    assert wait_until(lambda: len(leaders) >= 1, 10)
    time.sleep(0.3)
    assert len(leaders) == 1
    contenders = elections[0].contenders()
    assert len(contenders) == 3
    stop.set()
    for e in elections:
        e.cancel()


def test_data_watch_and_children_watch_recipes(clients, zk2, root):
    zk = clients()
    p = zk.create(f"{root}/n", b"0")
    seen_data = []
    seen_children = []
    zk.DataWatch(p)(lambda data, stat: seen_data.append(data))
    zk.ChildrenWatch(p)(lambda children: seen_children.append(sorted(children)))
    assert wait_until(lambda: seen_data == [b"0"] and seen_children == [[]])
    zk2.set(p, b"1")
    zk2.create(f"{p}/a")
    zk2.create(f"{p}/b")
    assert wait_until(lambda: seen_data[-1] == b"1")
    assert wait_until(lambda: seen_children[-1] == ["a", "b"])


def test_queue_fifo(clients, root):
    zk = clients()
    q = zk.Queue(f"{root}/queue")
    for i in range(5):
        q.put(f"item{i}".encode())
    assert len(q) == 5
    assert [q.get() for _ in range(5)] == [f"item{i}".encode() for i in range(5)]
    assert q.get() is None


def test_chroot_client_sees_relative_paths(server, clients, zk2, root):
    """A chrooted kazoo client: the server sends full paths, kazoo strips the chroot."""
    c = make_kazoo(f"{server}{root}")
    c.start(timeout=15)
    try:
        assert c.create("/x", b"1") == "/x"
        catch_up(zk2, root)
        assert zk2.get(f"{root}/x")[0] == b"1"
        rec = Recorder()
        c.get("/x", watch=rec)
        zk2.set(f"{root}/x", b"2")
        ev = rec.wait(1)
        assert [(e.type, e.path) for e in ev] == [(EventType.CHANGED, "/x")]
        assert c.get_children("/") == ["x"]
    finally:
        c.stop()
        c.close()


@pytest.mark.skipif(not hasattr(KazooClient, "add_watch"),
                    reason="kazoo < 2.9 has no add_watch (Debian 12 ships 2.8); covered by "
                           "test_watches.py::test_persistent_* through the wire client")
def test_kazoo_add_watch_persistent_recursive(clients, zk2, root):
    from kazoo.protocol.states import AddWatchMode

    zk = clients()
    rec = Recorder()
    zk.add_watch(root, rec, AddWatchMode.PERSISTENT_RECURSIVE)
    zk2.create(f"{root}/a")
    zk2.set(f"{root}/a", b"x")
    events = rec.wait(2)
    assert [(e.type, e.path) for e in events] == [
        (EventType.CREATED, f"{root}/a"),
        (EventType.CHANGED, f"{root}/a"),
    ]
