"""Sessions: ephemerals on close and expiry, resuming a session, setWatches after reconnect.

Timeout expectations assume the server's tickTime is 2000 ms with default min/max session
timeouts (4 s / 40 s), as in scripts/apache-zk.sh; override with ZK_TICK_MS.
"""

import os
import socket
import threading
import time

import pytest
from kazoo.protocol.states import EventType, KazooState

import zkwire
from helpers import PausableProxy, Recorder, catch_up, wait_until

TICK_MS = int(os.environ.get("ZK_TICK_MS", "2000"))
MIN_TIMEOUT_MS = 2 * TICK_MS
MAX_TIMEOUT_MS = 20 * TICK_MS


def test_ephemeral_removed_on_close(clients, zk2, root):
    zk = clients()
    p = zk.create(f"{root}/e", ephemeral=True)
    rec = Recorder()
    catch_up(zk2, p)
    assert zk2.exists(p, watch=rec) is not None
    zk.stop()
    zk.close()
    # closeSession deletes the ephemerals before it is answered
    catch_up(zk2, p)
    assert zk2.exists(p) is None
    assert [(e.type, e.path) for e in rec.wait(1)] == [(EventType.DELETED, p)]


def test_closed_session_cannot_be_resumed(clients, root):
    w = clients.wire()
    sid, pw = w.session_id, w.passwd
    w.close()
    again = clients.wire(session_id=sid, passwd=pw)
    assert again.negotiated_timeout == 0


def test_session_timeout_is_clamped(clients):
    low = clients.wire(timeout_ms=500)
    assert low.negotiated_timeout == MIN_TIMEOUT_MS
    high = clients.wire(timeout_ms=10 * MAX_TIMEOUT_MS)
    assert high.negotiated_timeout == MAX_TIMEOUT_MS
    mid = clients.wire(timeout_ms=MIN_TIMEOUT_MS + 1234)
    assert mid.negotiated_timeout == MIN_TIMEOUT_MS + 1234


def test_session_ids_and_passwords_distinct(clients):
    a, b = clients.wire(), clients.wire()
    assert a.session_id != b.session_id
    assert a.session_id > 0 and b.session_id > 0, "keep the top bit clear (Rust client rejects < 0)"
    assert len(a.passwd) == 16 and len(b.passwd) == 16


@pytest.mark.slow
def test_ephemeral_removed_on_expiry_and_session_not_resumable(clients, zk2, root):
    """Drop the TCP connection without closeSession: the session (and its ephemeral) lives on
    for a while, then expires between T and T + tickTime after the last frame."""
    w = clients.wire(timeout_ms=MIN_TIMEOUT_MS)
    assert w.negotiated_timeout == MIN_TIMEOUT_MS
    p = f"{root}/e"
    assert w.create(p, flags=zkwire.EPHEMERAL)[0] == zkwire.OK
    rec = Recorder()
    catch_up(zk2, p)
    assert zk2.exists(p, watch=rec) is not None
    sid, pw = w.session_id, w.passwd
    w.close_socket()
    dropped = time.monotonic()
    time.sleep(1.0)
    assert zk2.exists(p) is not None, "a dropped connection alone does not end the session"
    ev = rec.wait(1, timeout=(MIN_TIMEOUT_MS + 3 * TICK_MS) / 1000)
    gone_after = time.monotonic() - dropped
    assert [(e.type, e.path) for e in ev] == [(EventType.DELETED, p)]
    assert gone_after >= MIN_TIMEOUT_MS / 1000 * 0.9, f"expired too early: {gone_after:.2f}s"
    assert zk2.exists(p) is None
    again = clients.wire(session_id=sid, passwd=pw)
    assert again.negotiated_timeout == 0, "an expired session must be refused"


def test_resume_session_on_new_connection(clients, zk2, root):
    w = clients.wire()
    p = f"{root}/e"
    assert w.create(p, flags=zkwire.EPHEMERAL)[0] == zkwire.OK
    sid = w.session_id
    assert w.reconnect() > 0
    assert w.session_id == sid
    catch_up(zk2, p)
    assert zk2.exists(p).ephemeralOwner == sid
    assert w.get_data(p)[0] == zkwire.OK


def test_resume_with_wrong_password_is_refused(clients, zk2, root):
    """A wrong password gets the invalid-session answer (timeout 0, id 0) and a close.
    Apache 3.8 first closes every other connection of that session id, before it checks the
    password, so the real owner is disconnected too; its session survives and it can resume."""
    w = clients.wire()
    p = f"{root}/e"
    assert w.create(p, flags=zkwire.EPHEMERAL)[0] == zkwire.OK
    bad = bytes(b ^ 0xFF for b in w.passwd)
    other = clients.wire(session_id=w.session_id, passwd=bad)
    assert other.negotiated_timeout == 0
    assert other.wait_closed(5)
    catch_up(zk2, p)
    assert zk2.exists(p).ephemeralOwner == w.session_id
    sid = w.session_id
    assert w.reconnect() > 0 and w.session_id == sid
    assert w.ping().err == zkwire.OK


def test_resume_elsewhere_closes_old_connection(clients, root):
    """Resuming on a new connection to the same server closes the old one at once (Apache
    closes the session's other connections on that server only; see the next test)."""
    a = clients.wire()
    b = clients.wire(server=a.hostport, session_id=a.session_id, passwd=a.passwd)
    assert b.negotiated_timeout > 0 and b.session_id == a.session_id
    assert a.wait_closed(5), "the session moved: its old connection is closed"
    assert b.ping().err == zkwire.OK


def test_session_moved_to_another_server_refuses_old_connections_writes(clients, ensemble, root):
    """Resumed on another server of an ensemble, the session belongs there: its old connection
    is left open, but a write sent on it is not applied and the connection is closed unanswered
    (SESSIONMOVED; Apache 3.8 in a 3-server ensemble, old connection on leader or follower)."""
    if not ensemble:
        pytest.skip("needs an ensemble: a second server to move the session to")
    a = clients.wire()
    b = clients.wire(session_id=a.session_id, passwd=a.passwd)
    assert b.hostport != a.hostport
    assert b.negotiated_timeout > 0 and b.session_id == a.session_id
    p = f"{root}/moved"
    a.submit(zkwire.CREATE, zkwire.enc_string(p) + zkwire.enc_buffer(b"")
             + zkwire.enc_acls(zkwire.OPEN_ACL) + zkwire.enc_int(zkwire.PERSISTENT))
    assert a.wait_closed(5), "a write on the moved session's old connection closes it"
    assert [k for k, _ in a.frames] == [], a.frames
    catch_up(b)
    assert b.exists(p)[0] == zkwire.NONODE
    assert b.ping().err == zkwire.OK


def test_client_ahead_of_server_is_refused(clients, zk):
    """A ConnectRequest whose lastZxidSeen is beyond the server's last zxid is closed unanswered."""
    w = clients.wire(connect=False)
    w.last_zxid = 1 << 60
    with pytest.raises(zkwire.ConnectionClosed):
        w.connect()


def test_set_watches_catches_up_after_reconnect(clients, zk2, root):
    """After a reconnect the client re-sends its watches with its last zxid; the server fires
    at once for whatever changed meanwhile and re-arms the rest."""
    w = clients.wire()
    changed = zk2.create(f"{root}/changed", b"0")
    deleted = zk2.create(f"{root}/deleted")
    quiet = zk2.create(f"{root}/quiet")
    born = f"{root}/born"
    kids = zk2.create(f"{root}/kids")
    catch_up(w)
    assert w.get_data(changed, watch=True)[0] == zkwire.OK
    assert w.get_data(deleted, watch=True)[0] == zkwire.OK
    assert w.get_data(quiet, watch=True)[0] == zkwire.OK
    assert w.exists(born, watch=True)[0] == zkwire.NONODE
    assert w.get_children(kids, watch=True)[0] == zkwire.OK
    last = w.last_zxid
    w.close_socket()

    zk2.set(changed, b"1")
    zk2.delete(deleted)
    zk2.create(born)
    zk2.create(f"{kids}/k")

    assert w.connect() > 0
    assert w.set_watches(last, data=[changed, deleted, quiet], exist=[born], child=[kids]) == zkwire.OK
    catch_up(w)
    got = sorted((e.type, e.path) for e in w.events)
    w.events.clear()
    assert got == sorted([
        (zkwire.NODE_DATA_CHANGED, changed),
        (zkwire.NODE_DELETED, deleted),
        (zkwire.NODE_CREATED, born),
        (zkwire.NODE_CHILDREN_CHANGED, kids),
    ])
    zk2.set(quiet, b"now")
    catch_up(w)
    assert [(e.type, e.path) for e in w.events] == [(zkwire.NODE_DATA_CHANGED, quiet)]


def test_kazoo_reconnects_with_same_session(clients, zk2, root):
    """Cut kazoo's socket: it reconnects with the same session id and its ephemeral survives.
    kazoo 2.8 itself drops one-shot watches on a connection loss (it calls them with a NONE
    event), so nothing is re-registered; the server side of that is test_set_watches_*."""
    zk = clients(timeout=10.0)
    states = []
    connected_again = threading.Event()

    def listener(state):
        states.append(state)
        if state == KazooState.CONNECTED and KazooState.SUSPENDED in states:
            connected_again.set()

    zk.add_listener(listener)
    sid = zk.client_id[0]
    p = zk.create(f"{root}/e", ephemeral=True)
    watched = zk.create(f"{root}/watched")
    rec = Recorder()
    zk.get(watched, watch=rec)

    zk._connection._socket.shutdown(socket.SHUT_RDWR)  # noqa: SLF001 - simulate a network drop
    assert connected_again.wait(15), f"kazoo did not reconnect: {states}"
    assert zk.client_id[0] == sid
    catch_up(zk2, p)
    assert zk2.exists(p).ephemeralOwner == sid
    assert [e.type for e in rec.wait(1)] == [EventType.NONE]
    assert wait_until(lambda: zk.exists(p) is not None)
    rec2 = Recorder()
    zk.get(watched, watch=rec2)
    zk2.set(watched, b"after reconnect")
    assert [(e.type, e.path) for e in rec2.wait(1)] == [(EventType.CHANGED, watched)]


def test_pings_keep_session_alive(clients, zk2, root):
    """A short-timeout session that only pings stays alive past its timeout."""
    w = clients.wire(timeout_ms=MIN_TIMEOUT_MS)
    p = f"{root}/e"
    assert w.create(p, flags=zkwire.EPHEMERAL)[0] == zkwire.OK
    end = time.monotonic() + MIN_TIMEOUT_MS / 1000 * 1.5
    while time.monotonic() < end:
        assert w.ping().err == zkwire.OK
        time.sleep(MIN_TIMEOUT_MS / 1000 / 4)
    assert zk2.exists(p) is not None


@pytest.mark.slow
def test_kazoo_session_expires_during_partition(server, clients, zk2, root):
    """Black-hole a kazoo client's traffic for longer than its session timeout: kazoo goes
    SUSPENDED, the server expires the session and deletes its ephemeral, and when the partition
    heals the server refuses the old session, kazoo reports LOST and starts a new session."""
    proxy = PausableProxy(server)
    try:
        states = []
        lost = threading.Event()
        zk = clients(hosts=proxy.address, timeout=MIN_TIMEOUT_MS / 1000)

        def listener(state):
            states.append(state)
            if state == KazooState.LOST:
                lost.set()

        zk.add_listener(listener)
        old_sid = zk.client_id[0]
        p = zk.create(f"{root}/e", ephemeral=True)
        rec = Recorder()
        catch_up(zk2, p)
        assert zk2.exists(p, watch=rec) is not None
        proxy.paused.set()
        ev = rec.wait(1, timeout=(MIN_TIMEOUT_MS + 4 * TICK_MS) / 1000)
        assert [(e.type, e.path) for e in ev] == [(EventType.DELETED, p)], "session did not expire"
        proxy.paused.clear()
        assert lost.wait(20), f"kazoo never saw its session expire: {states}"
        assert KazooState.SUSPENDED in states
        assert wait_until(lambda: zk.connected and zk.client_id and zk.client_id[0] != old_sid, 20)
        assert zk.exists(p) is None
    finally:
        proxy.close()


def test_set_watches2_restores_persistent_watches(clients, zk2, root):
    """setWatches2 (op 105) re-registers persistent and recursive watches after a reconnect,
    with no catch-up events for what changed meanwhile; standard lists still catch up."""
    w = clients.wire()
    tree = zk2.create(f"{root}/tree")
    node = zk2.create(f"{root}/node", b"0")
    data_w = zk2.create(f"{root}/data", b"0")
    catch_up(w)
    assert w.add_watch(tree, zkwire.ADD_WATCH_PERSISTENT_RECURSIVE) == zkwire.OK
    assert w.add_watch(node, zkwire.ADD_WATCH_PERSISTENT) == zkwire.OK
    assert w.get_data(data_w, watch=True)[0] == zkwire.OK
    last = w.last_zxid
    w.close_socket()

    zk2.create(f"{tree}/during")   # persistent: no catch-up event
    zk2.set(data_w, b"1")          # standard data watch: catch-up NodeDataChanged

    assert w.connect() > 0
    # w's server must have applied the writes above before the watches are back, or it would
    # report them as new events (they happened "while w was away" only once applied there).
    catch_up(w)
    assert w.set_watches2(last, data=[data_w], persistent=[node], recursive=[tree]) == zkwire.OK
    catch_up(w)
    assert [(e.type, e.path) for e in w.events] == [(zkwire.NODE_DATA_CHANGED, data_w)]
    w.events.clear()

    zk2.create(f"{tree}/after")
    zk2.set(node, b"1")
    zk2.set(node, b"2")
    catch_up(w)
    assert [(e.type, e.path) for e in w.events] == [
        (zkwire.NODE_CREATED, f"{tree}/after"),
        (zkwire.NODE_DATA_CHANGED, node),
        (zkwire.NODE_DATA_CHANGED, node),
    ]
