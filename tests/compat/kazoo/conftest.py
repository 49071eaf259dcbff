"""Fixtures: the server under test comes from ZK_SERVER=host:port.

Every test works under its own fresh node /compat/<test>-<random> (the `root` fixture), which
is deleted afterwards, so tests neither see nor disturb each other's nodes and the suite can be
run repeatedly against the same server.
"""

import os
import re
import sys
import uuid

import pytest
from kazoo.client import KazooClient

sys.path.insert(0, os.path.dirname(__file__))

import zkwire  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes several seconds (session expiry, reaping)")


@pytest.fixture(scope="session")
def server():
    hp = os.environ.get("ZK_SERVER")
    if not hp:
        pytest.exit("set ZK_SERVER=host:port to the server under test", returncode=4)
    return hp


class Clients:
    """Creates kazoo clients and closes every one of them at teardown."""

    def __init__(self, server):
        self.server = server
        self.made = []

    def __call__(self, timeout=10.0, start=True, **kw):
        c = KazooClient(hosts=self.server, timeout=timeout, **kw)
        self.made.append(c)
        if start:
            c.start(timeout=15)
        return c

    def wire(self, **kw):
        w = zkwire.WireClient(self.server, **kw)
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


@pytest.fixture
def root(request, server):
    """A fresh persistent node for this test, removed (with its subtree) afterwards."""
    admin = KazooClient(hosts=server, timeout=10.0)
    admin.start(timeout=15)
    admin.ensure_path("/compat")
    name = re.sub(r"[^A-Za-z0-9_-]", "_", request.node.name)[:60]
    path = f"/compat/{name}-{uuid.uuid4().hex[:8]}"
    admin.create(path)
    yield path
    try:
        admin.delete(path, recursive=True)
    except Exception:  # noqa: BLE001 - nodes may carry ACLs the admin cannot pass
        pass
    admin.stop()
    admin.close()
