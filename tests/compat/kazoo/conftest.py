"""Fixtures: the server under test comes from ZK_SERVER, a connect string: host:port, or the
comma-separated servers of an ensemble. In an ensemble the clients of a test (kazoo and wire
clients, the `root` fixture's, four-letter words) go to its servers in turn, starting from one
that depends on the test's name and ZK_SEED (default 0), so a test's clients sit on different
servers and a run with the same ZK_SEED places them the same way.

Every test works under its own fresh node /compat/<test>-<random> (the `root` fixture), which
is deleted afterwards, so tests neither see nor disturb each other's nodes and the suite can be
run repeatedly against the same server.
"""

import os
import random
import re
import signal
import sys
import uuid
import zlib

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import NoAuthError, NoNodeError, NotEmptyError

sys.path.insert(0, os.path.dirname(__file__))

import zkwire  # noqa: E402
from helpers import CLEANER_AUTH, catch_up, make_kazoo  # noqa: E402


TEST_TIMEOUT = float(os.environ.get("ZK_TEST_TIMEOUT", "60"))
SEED = int(os.environ.get("ZK_SEED") or 0)
random.seed(SEED)  # kazoo's retry jitter


def pytest_report_header(config):
    return f"client placement: ZK_SEED={SEED}"


@pytest.fixture(autouse=True)
def client_placement(request):
    """Starts this test's round of servers (before any other fixture makes a client)."""
    zkwire.placement.restart(SEED + zlib.crc32(request.node.nodeid.encode()))


class TestTimeout(Exception):
    """Raised in the main thread when one test runs longer than ZK_TEST_TIMEOUT seconds."""


@pytest.fixture(autouse=True)
def per_test_timeout():
    """A server that never answers must fail a test, not hang the suite."""
    def on_alarm(signum, frame):
        raise TestTimeout(f"test still running after {TEST_TIMEOUT:.0f}s (ZK_TEST_TIMEOUT)")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, TEST_TIMEOUT)
    yield
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, old)


@pytest.fixture(scope="session")
def server():
    hp = os.environ.get("ZK_SERVER")
    if not hp:
        pytest.exit("set ZK_SERVER to the connect string of the server(s) under test",
                    returncode=4)
    return hp


@pytest.fixture(scope="session")
def ensemble(server):
    """True when the connect string names several servers (an ensemble, not standalone)."""
    return len(zkwire.server_list(server)) > 1


@pytest.fixture(scope="session")
def server_version(server):
    """(major, minor, patch) from the srvr four-letter word, or None if it does not say."""
    try:
        first = zkwire.four_letter(server, "srvr").splitlines()[0]
    except (OSError, IndexError):
        return None
    m = re.match(r"Zookeeper version: (\d+)\.(\d+)\.(\d+)", first)
    return tuple(int(x) for x in m.groups()) if m else None


@pytest.fixture(scope="session")
def apache_version(server, server_version):
    """server_version if the server is Apache ZooKeeper (a JVM: `envi` reports java.version),
    else None. Used only to skip checks of behaviour Apache itself gets wrong."""
    try:
        envi = zkwire.four_letter(server, "envi")
    except OSError:
        return None
    return server_version if "java.version=" in envi else None


class Clients:
    """Creates kazoo clients and closes every one of them at teardown."""

    def __init__(self, server):
        self.server = server
        self.made = []

    def __call__(self, timeout=10.0, start=True, **kw):
        c = make_kazoo(kw.pop("hosts", self.server), timeout=timeout, **kw)
        self.made.append(c)
        if start:
            c.start(timeout=15)
        return c

    def wire(self, server=None, **kw):
        """A wire client on `server` (host:port), or else the next server in turn."""
        w = zkwire.WireClient(server or self.server, **kw)
        self.made.append(w)
        return w

    def close_all(self):
        for c in self.made:
            try:
                if isinstance(c, KazooClient):
                    c.stop()
                    c.close()
                else:
                    c.close()
            except Exception:  # noqa: BLE001 - teardown must go on
                pass


@pytest.fixture
def clients(server):
    cs = Clients(server)
    yield cs
    cs.close_all()


@pytest.fixture
def zk(clients):
    return clients()


@pytest.fixture
def zk2(clients):
    return clients()


def remove_tree(client, path):
    """Delete a subtree, tolerating nodes whose ACL hides their children (leaves still go,
    since deleting a node needs DELETE on its parent only)."""
    try:
        children = client.get_children(path)
    except NoAuthError:
        children = []
    except NoNodeError:
        return
    for child in children:
        remove_tree(client, f"{path}/{child}")
    try:
        client.delete(path)
    except (NoNodeError, NoAuthError, NotEmptyError):
        pass


@pytest.fixture
def root(request, server, clients):
    """A fresh persistent node for this test, removed (with its subtree) afterwards. Clients
    made before it (the zk/zk2 fixtures) are caught up, so on any server they see it."""
    admin = make_kazoo(server, timeout=10.0)
    admin.start(timeout=15)
    admin.add_auth("digest", CLEANER_AUTH)
    admin.ensure_path("/compat")
    name = re.sub(r"[^A-Za-z0-9_-]", "_", request.node.name)[:60]
    path = f"/compat/{name}-{uuid.uuid4().hex[:8]}"
    admin.create(path)
    for c in clients.made:
        catch_up(c, path)
    yield path
    remove_tree(admin, path)
    admin.stop()
    admin.close()
