"""Helpers shared by the tests."""

import re
import threading
import time

from kazoo.client import KazooClient
from kazoo.security import make_digest_acl

import zkwire

# Restrictive ACLs in the tests also grant everything to this id, and the `root` fixture
# authenticates as it, so every test's subtree can be deleted afterwards.
CLEANER_AUTH = "compat-cleanup:cleanup"
CLEANER_ACL = make_digest_acl("compat-cleanup", "cleanup", all=True)


class Recorder:
    """A kazoo watch function that records events and lets a test wait for them."""

    def __init__(self):
        self.events = []
        self.cond = threading.Condition()

    def __call__(self, event):
        with self.cond:
            self.events.append(event)
            self.cond.notify_all()

    def wait(self, count=1, timeout=10.0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.events) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)
            return list(self.events)


def make_kazoo(connect, **kw):
    """A KazooClient (not started) for the next server of the connect string in turn
    (zkwire.next_server); it moves on to the others in order if that one fails."""
    return KazooClient(hosts=zkwire.kazoo_hosts(connect), randomize_hosts=False, **kw)


def server_of(client, connect):
    """The entry of the connect string that a started kazoo client is connected to, found by
    the clientPort in that server's `conf` answer (kazoo sends four-letter words there)."""
    port = re.search(r"^clientPort=(\d+)$", client.command(b"conf"), re.M).group(1)
    servers = zkwire.server_list(connect)
    matching = [s for s in servers if s.rpartition(":")[2] == port]
    assert len(matching) == 1, f"clientPort {port} is not one of {servers}"
    return matching[0]


def catch_up(client, path="/"):
    """sync a kazoo or wire client: once answered, its server has applied every write that
    completed before, whichever server took it, and has sent the client every notification
    those writes caused. In an ensemble a client reading what another client wrote needs this
    (Apache's followers lag the leader too); standalone it changes nothing."""
    if isinstance(client, zkwire.WireClient):
        err, _ = client.sync(path)
        assert err == zkwire.OK
    else:
        client.sync(path)


def wait_until(pred, timeout=10.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


class PausableProxy:
    """An in-process TCP forwarder on 127.0.0.1 whose traffic can be black-holed, to partition
    a kazoo client from the server without touching the client's internals."""

    def __init__(self, upstream):
        import socket

        self._socket = socket
        self.upstream = zkwire.split_hostport(zkwire.next_server(upstream))
        self.paused = threading.Event()
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(16)
        self.address = f"127.0.0.1:{self.srv.getsockname()[1]}"
        self.socks = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            try:
                u = self._socket.create_connection(self.upstream, timeout=5)
            except OSError:
                c.close()
                continue
            u.settimeout(None)
            self.socks += [c, u]
            threading.Thread(target=self._pump, args=(c, u), daemon=True).start()
            threading.Thread(target=self._pump, args=(u, c), daemon=True).start()

    def _pump(self, a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                if not self.paused.is_set():  # black-holed while paused
                    b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(self._socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.closed = True
        self.srv.close()
        for s in self.socks:
            try:
                s.close()
            except OSError:
                pass
