"""Container and TTL nodes (kazoo 2.8 has neither, so these use the wire client).

TTL nodes need the server's extended types on (zoo.cfg `extendedTypesEnabled=true`).
The reaping tests need a short container check interval on the server (Apache:
-Dznode.container.checkIntervalMs=1000, as scripts/apache-zk.sh sets; default is 60 s) and
wait at most ZK_REAP_WAIT seconds (default 10). ZK_SKIP_REAP=1 skips them.
"""

import os
import time

import pytest

import zkwire
from helpers import catch_up

REAP_WAIT = float(os.environ.get("ZK_REAP_WAIT", "10"))
needs_reaper = pytest.mark.skipif(os.environ.get("ZK_SKIP_REAP") == "1",
                                  reason="ZK_SKIP_REAP=1: server has no short container check interval")


def wait_gone(w, path, timeout=REAP_WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if w.exists(path)[0] == zkwire.NONODE:
            return True
        time.sleep(0.1)
    return False


def test_create_container_returns_stat(clients, root):
    w = clients.wire()
    err, path, stat = w.create(f"{root}/c", b"d", flags=zkwire.CONTAINER)
    assert (err, path) == (zkwire.OK, f"{root}/c")
    assert stat["ephemeral_owner"] == 0, "the container marker is not shown in the Stat"
    assert stat["czxid"] == stat["mzxid"] == stat["pzxid"]
    err, data, st = w.get_data(path)
    assert data == b"d" and st == stat


def test_container_may_have_children_of_any_kind(clients, root):
    w = clients.wire()
    c = w.create(f"{root}/c", flags=zkwire.CONTAINER)[1]
    assert w.create(f"{c}/p")[0] == zkwire.OK
    assert w.create(f"{c}/e", flags=zkwire.EPHEMERAL)[0] == zkwire.OK
    assert w.create(f"{c}/s-", flags=zkwire.PERSISTENT_SEQUENTIAL)[1] == f"{c}/s-0000000002"


@needs_reaper
@pytest.mark.slow
def test_container_reaped_after_last_child_goes(clients, root):
    w = clients.wire()
    watcher = clients.wire()
    used = w.create(f"{root}/used", flags=zkwire.CONTAINER)[1]
    never = w.create(f"{root}/never", flags=zkwire.CONTAINER)[1]
    assert w.create(f"{used}/kid")[0] == zkwire.OK
    catch_up(watcher, used)
    assert watcher.exists(used, watch=True)[0] == zkwire.OK
    assert w.delete(f"{used}/kid") == zkwire.OK
    assert wait_gone(w, used), "an emptied container must be deleted by the server"
    ev = watcher.wait_event(timeout=5)
    assert (ev.type, ev.path) == (zkwire.NODE_DELETED, used)
    assert w.exists(never)[0] == zkwire.OK, "a container that never had a child stays"


def test_ttl_create_and_stat(clients, root):
    w = clients.wire()
    err, path, stat = w.create(f"{root}/t", b"x", flags=zkwire.PERSISTENT_WITH_TTL, ttl=3_600_000)
    assert (err, path) == (zkwire.OK, f"{root}/t")
    assert stat["ephemeral_owner"] == 0, "the TTL marker is not shown in the Stat"
    err, path, _ = w.create(f"{root}/s-", flags=zkwire.PERSISTENT_SEQUENTIAL_WITH_TTL, ttl=3_600_000)
    assert (err, path) == (zkwire.OK, f"{root}/s-0000000001")


@pytest.mark.parametrize("flags,ttl,op,why", [
    (zkwire.PERSISTENT_WITH_TTL, 0, zkwire.CREATE_TTL, "ttl must be > 0"),
    (zkwire.PERSISTENT_WITH_TTL, -5, zkwire.CREATE_TTL, "ttl must be > 0"),
    (zkwire.PERSISTENT_WITH_TTL, 1 << 40, zkwire.CREATE_TTL, "ttl must be < 2^40"),
    (zkwire.PERSISTENT, 1000, zkwire.CREATE_TTL, "createTTL needs a TTL mode"),
    (zkwire.EPHEMERAL, 1000, zkwire.CREATE_TTL, "createTTL needs a TTL mode"),
    (zkwire.PERSISTENT_WITH_TTL, None, zkwire.CREATE2, "a TTL mode needs createTTL"),
    (7, None, zkwire.CREATE2, "unknown flags"),
])
def test_bad_ttl_requests(clients, root, flags, ttl, op, why):
    w = clients.wire()
    err, _, _ = w.create(f"{root}/t", flags=flags, ttl=ttl, op=op)
    assert err == zkwire.BADARGUMENTS, why
    assert w.exists(f"{root}/t")[0] == zkwire.NONODE


def test_max_ttl_accepted(clients, root):
    w = clients.wire()
    assert w.create(f"{root}/t", flags=zkwire.PERSISTENT_WITH_TTL, ttl=(1 << 40) - 1)[0] == zkwire.OK


@needs_reaper
@pytest.mark.slow
def test_ttl_node_expires_unless_it_has_children(clients, root):
    w = clients.wire()
    short = w.create(f"{root}/short", flags=zkwire.PERSISTENT_WITH_TTL, ttl=500)[1]
    parent = w.create(f"{root}/parent", flags=zkwire.PERSISTENT_WITH_TTL, ttl=500)[1]
    long_ = w.create(f"{root}/long", flags=zkwire.PERSISTENT_WITH_TTL, ttl=3_600_000)[1]
    assert w.create(f"{parent}/kid")[0] == zkwire.OK
    assert wait_gone(w, short), "a TTL node past its ttl must be deleted"
    assert w.exists(parent)[0] == zkwire.OK, "a TTL node with children stays"
    assert w.exists(long_)[0] == zkwire.OK
    assert w.delete(f"{parent}/kid") == zkwire.OK
    assert wait_gone(w, parent)
