#!/usr/bin/python3
"""Drive one golden-capture scenario through the recording proxy (scripts/golden/proxy.py).

Usage: drive_kazoo.py [--list] [--out DIR] SCENARIO

Expects a fresh Apache ZooKeeper on 127.0.0.1:22181 (capture.sh restarts it with an empty data
directory before every scenario), the proxy on 127.0.0.1:22182 and its control port on 22183.
Clients are kazoo (this Python) and the Java client through zkCli.sh, fed on stdin. The driver
waits for the proxy to go quiet between steps so that the order of frames in the capture file is
the causal order (a reply, and any notification it causes, before the next step's request).

For humans regenerating captures, not for CI.
"""

import argparse
import logging
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import namedtuple

from kazoo.client import KazooClient
from kazoo.exceptions import (
    AuthFailedError,
    BadVersionError,
    KazooException,
    NoAuthError,
    NodeExistsError,
    NoChildrenForEphemeralsError,
    NoNodeError,
    NotEmptyError,
)
from kazoo.security import make_acl, make_digest_acl, make_digest_acl_credential

PROXY = "127.0.0.1:22182"
DIRECT = ("127.0.0.1", 22181)
CONTROL = ("127.0.0.1", 22183)
ZKCLI = os.environ.get("ZKCLI", "/usr/share/zookeeper/bin/zkCli.sh")
QUIET_MS = 300


class Ctl:
    """Client of the proxy's control port."""

    def __init__(self):
        self.sock = socket.create_connection(CONTROL)
        self.file = self.sock.makefile("rw", encoding="utf-8", newline="\n")

    def call(self, line):
        self.file.write(line + "\n")
        self.file.flush()
        reply = self.file.readline().strip()
        if not reply.startswith("ok"):
            raise RuntimeError("proxy control %r: %s" % (line, reply))
        return reply

    def out(self, path):
        self.call("out " + path)

    def note(self, text):
        self.call("note " + text)

    def count(self):
        return int(self.call("count").split()[1])

    def wait(self, n, ms):
        try:
            self.call("wait %d %d" % (n, ms))
            return True
        except RuntimeError:
            return False

    def idle(self, ms=QUIET_MS):
        self.call("idle %d" % ms)

    def drop(self, conn=None):
        self.call("drop" if conn is None else "drop %d" % conn)

    def hold(self):
        self.call("hold")

    def release(self):
        self.call("release")

    def stop(self):
        self.call("stop")


CTL = None


def step(text):
    """Let earlier traffic settle, then write a comment naming the next step."""
    CTL.idle()
    CTL.note(text)


def kz(timeout=30.0, **kw):
    client = KazooClient(hosts=PROXY, timeout=timeout, **kw)
    client.start(timeout=15)
    CTL.idle()
    return client


def expect(exc, fn, *args, **kw):
    try:
        fn(*args, **kw)
    except exc:
        return
    raise AssertionError("expected %s from %s%r" % (exc.__name__, fn.__name__, args))


class ZkCli:
    """zkCli.sh (the Java client) driven through stdin; one command at a time."""

    def __init__(self, log_name, extra_args=()):
        self.log = open("/tmp/zkgold/%s.zkcli.log" % log_name, "ab")
        self.out = b""
        self.lock = threading.Condition()
        self.proc = subprocess.Popen(
            [ZKCLI, "-server", PROXY, *extra_args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_output(b"state:SyncConnected", 30)
        CTL.idle()

    def _read(self):
        for line in iter(self.proc.stdout.readline, b""):
            self.log.write(line)
            self.log.flush()
            with self.lock:
                self.out += line
                self.lock.notify_all()

    def wait_output(self, needle, secs):
        deadline = time.monotonic() + secs
        with self.lock:
            while needle not in self.out:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError("zkCli never printed %r" % needle)
                self.lock.wait(left)

    def cmd(self, line, frames=1):
        """Send one command; wait for at least `frames` new frames, then for quiet."""
        CTL.idle()
        CTL.note("zkCli: " + line)
        before = CTL.count()
        self.log.write(b"> " + line.encode() + b"\n")
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()
        if frames:
            CTL.wait(before + frames, 10000)
        CTL.idle()

    def quit(self):
        self.cmd("quit")
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        CTL.idle()


# ---------------------------------------------------------------------------------------------
# Scenarios. Each runs against a fresh server; names are the capture file names.


def kazoo_connect():
    step("kazoo connects (ConnectRequest with readOnly byte), then closes the session")
    c = kz()
    step("close")
    c.stop()


def zkcli_connect():
    step("zkCli (Java client) connects, then quits (closeSession)")
    z = ZkCli("zkcli_connect")
    z.quit()
    step("zkCli -r (read-only allowed) connects, then quits")
    z = ZkCli("zkcli_connect", extra_args=["-r"])
    z.quit()


def kazoo_builtin():
    step("reads of the built-in nodes on a fresh server")
    c = kz()
    step("getData /")
    c.get("/")
    step("getChildren2 /")
    c.get_children("/", include_data=True)
    step("getChildren /")
    c.get_children("/")
    step("getData /zookeeper")
    c.get("/zookeeper")
    step("getChildren2 /zookeeper")
    c.get_children("/zookeeper", include_data=True)
    step("getData /zookeeper/config")
    c.get("/zookeeper/config")
    step("getData /zookeeper/quota")
    c.get("/zookeeper/quota")
    step("getACL /")
    c.get_acls("/")
    step("getACL /zookeeper/config")
    c.get_acls("/zookeeper/config")
    step("exists /zookeeper (no watch)")
    c.exists("/zookeeper")
    step("close")
    c.stop()


def kazoo_create_modes():
    c = kz()
    step("create persistent /p data 'p'")
    c.create("/p", b"p")
    step("create ephemeral /e")
    c.create("/e", b"e", ephemeral=True)
    step("create persistent_sequential /p/s-")
    c.create("/p/s-", b"", sequence=True)
    step("create ephemeral_sequential /p/es-")
    c.create("/p/es-", b"x", ephemeral=True, sequence=True)
    step("create persistent_sequential /p/s- again (counter counts every child create)")
    c.create("/p/s-", b"", sequence=True)
    step("create sequential with a path ending in / : /p/")
    c.create("/p/", b"", sequence=True)
    step("create2 (include_data) persistent /p2")
    c.create("/p2", b"two", include_data=True)
    step("create2 (include_data) ephemeral_sequential /p2/q-")
    c.create("/p2/q-", b"", ephemeral=True, sequence=True, include_data=True)
    step("create /p again: NODEEXISTS")
    expect(NodeExistsError, c.create, "/p", b"")
    step("create /missing/child: NONODE")
    expect(NoNodeError, c.create, "/missing/child", b"")
    step("create under an ephemeral: NOCHILDRENFOREPHEMERALS")
    expect(NoChildrenForEphemeralsError, c.create, "/e/child", b"")
    step("create /zookeeper: NODEEXISTS")
    expect(NodeExistsError, c.create, "/zookeeper", b"")
    step("create with a read-only world ACL /ro")
    c.create("/ro", b"", acl=[make_acl("world", "anyone", read=True)])
    step("create under /ro: NOAUTH (no CREATE perm on parent)")
    expect(NoAuthError, c.create, "/ro/x", b"")
    step("getChildren2 /p (sequential names)")
    c.get_children("/p", include_data=True)
    step("close (ephemerals go)")
    c.stop()


def zkcli_create_modes():
    z = ZkCli("zkcli_create_modes")
    z.cmd("create /nodata")
    z.cmd("create /d hello")
    z.cmd("create -e /eph")
    z.cmd("create -s /seq- v")
    z.cmd("create -e -s /eseq- v")
    z.cmd("create -c /cont c")
    z.cmd("create -c /cont/child x")
    z.cmd("create -t 10000 /ttl t")
    z.cmd("create -s -t 10000 /ttlseq- t")
    z.cmd("create -t 10000 /ttl/kid k")
    z.cmd("get -s /nodata")
    z.cmd("get -s /cont")
    z.cmd("get -s /ttl")
    z.cmd("get -s /eph")
    z.cmd("ls -s /")
    z.cmd("create -c /cont c")
    z.cmd("create /eph/x")
    z.quit()


def kazoo_get_set_data():
    z = ZkCli("kazoo_get_set_data")
    z.cmd("create /nodata")
    z.quit()
    c = kz()
    step("getData on null data (created by zkCli without data)")
    c.get("/nodata")
    step("create /d with empty (non-null) data b''")
    c.create("/d", b"")
    step("getData /d: empty data")
    c.get("/d")
    step("setData /d 'v1' version -1")
    c.set("/d", b"v1")
    step("setData /d 'v2' version 1 (matches)")
    c.set("/d", b"v2", version=1)
    step("setData /d 'v3' version 7: BADVERSION")
    expect(BadVersionError, c.set, "/d", b"v3", version=7)
    step("getData /d: non-empty data, version 2")
    c.get("/d")
    step("getData /missing: NONODE (error reply)")
    expect(NoNodeError, c.get, "/missing")
    step("setData /missing: NONODE")
    expect(NoNodeError, c.set, "/missing", b"x")
    step("setData /nodata b'' (empty data replaces null)")
    c.set("/nodata", b"")
    step("getData /nodata")
    c.get("/nodata")
    step("close")
    c.stop()


def kazoo_exists():
    c = kz()
    step("exists /x with watch on a missing node: NONODE, watch is set")
    c.exists("/x", watch=lambda ev: None)
    step("exists /zookeeper/quota (no watch)")
    c.exists("/zookeeper/quota")
    c2 = kz()
    step("second connection creates /x: conn 1 gets NodeCreated")
    c2.create("/x", b"1")
    step("exists /x with watch (present)")
    c.exists("/x", watch=lambda ev: None)
    step("second connection deletes /x: conn 1 gets NodeDeleted")
    c2.delete("/x")
    step("close both")
    c2.stop()
    c.stop()


def kazoo_get_children():
    c = kz()
    step("create /p and children in the order zz, a, 10, b, m, 2, c")
    c.create("/p", b"")
    for name in ["zz", "a", "10", "b", "m", "2", "c"]:
        c.create("/p/" + name, b"")
    step("getChildren2 /p")
    c.get_children("/p", include_data=True)
    step("getChildren /p")
    c.get_children("/p")
    step("delete /p/a, then getChildren2 /p (cversion +1 on delete)")
    c.delete("/p/a")
    c.get_children("/p", include_data=True)
    step("getChildren2 on a leaf /p/b (empty list)")
    c.get_children("/p/b", include_data=True)
    step("getChildren2 /missing: NONODE")
    expect(NoNodeError, c.get_children, "/missing", include_data=True)
    step("getChildren2 / after creates")
    c.get_children("/", include_data=True)
    step("close")
    c.stop()


def kazoo_multi_fail():
    c = kz()
    step("create /x (version 0)")
    c.create("/x", b"")
    step("multi: create /m1, check /x version 5 (wrong), create /m2 -> err 0, BADVERSION, -2")
    t = c.transaction()
    t.create("/m1", b"a")
    t.check("/x", 5)
    t.create("/m2", b"b")
    print("multi_fail results:", t.commit())
    step("multi: create /x (exists) first -> NODEEXISTS, then -2 for the rest")
    t = c.transaction()
    t.create("/x", b"")
    t.create("/m3", b"")
    print("multi_fail results:", t.commit())
    step("multi: delete /missing then create /m4 -> NONODE, -2")
    t = c.transaction()
    t.delete("/missing")
    t.create("/m4", b"")
    print("multi_fail results:", t.commit())
    step("exists /m1: NONODE (nothing applied)")
    c.exists("/m1")
    step("close")
    c.stop()


def kazoo_multi_ok():
    c = kz()
    step("create /x")
    c.create("/x", b"")
    step("multi ok: create /m, create /m/c (sees /m), setData /x v0, check /x v1, delete /m/c")
    t = c.transaction()
    t.create("/m", b"m")
    t.create("/m/c", b"c", sequence=True)
    t.set_data("/x", b"new", version=0)
    t.check("/x", 1)
    t.delete("/m/c0000000000")
    print("multi_ok results:", t.commit())
    step("getData /x (mzxid = the multi's zxid)")
    c.get("/x")
    step("getChildren2 /m")
    c.get_children("/m", include_data=True)
    step("close")
    c.stop()


def kazoo_watch_events():
    c = kz()
    c2 = kz()
    step("conn 2 creates /w")
    c2.create("/w", b"0")
    step("conn 1: getData /w watch, getChildren /w watch, exists /w/c watch")
    c.get("/w", watch=lambda ev: None)
    c.get_children("/w", watch=lambda ev: None)
    c.exists("/w/c", watch=lambda ev: None)
    step("conn 2 setData /w: conn 1 gets NodeDataChanged")
    c2.set("/w", b"1")
    step("conn 2 create /w/c: conn 1 gets NodeCreated /w/c and NodeChildrenChanged /w")
    c2.create("/w/c", b"")
    step("conn 1 re-arms: getData /w/c watch, getChildren2 /w watch, getData /w watch")
    c.get("/w/c", watch=lambda ev: None)
    c.get_children("/w", watch=lambda ev: None, include_data=True)
    c.get("/w", watch=lambda ev: None)
    step("conn 2 delete /w/c: conn 1 gets NodeDeleted /w/c and NodeChildrenChanged /w")
    c2.delete("/w/c")
    step("conn 1 getChildren /w watch")
    c.get_children("/w", watch=lambda ev: None)
    step("conn 2 delete /w: conn 1 gets NodeDeleted /w (data and child watch, one event)")
    c2.delete("/w")
    step("conn 1 setData on its own watched node: create /own, getData watch, setData")
    c.create("/own", b"")
    c.get("/own", watch=lambda ev: None)
    c.set("/own", b"x")
    step("close both")
    c2.stop()
    c.stop()


def kazoo_delete():
    c = kz()
    step("create /a, /a/b")
    c.create("/a", b"")
    c.create("/a/b", b"")
    step("delete /a: NOTEMPTY")
    expect(NotEmptyError, c.delete, "/a")
    step("delete /a/b version 3: BADVERSION")
    expect(BadVersionError, c.delete, "/a/b", version=3)
    step("delete /a/b version 0")
    c.delete("/a/b", version=0)
    step("delete /a (version -1)")
    c.delete("/a")
    step("delete /a again: NONODE")
    expect(NoNodeError, c.delete, "/a")
    step("delete /zookeeper: BADARGUMENTS")
    expect(KazooException, c.delete, "/zookeeper")
    step("close")
    c.stop()


def kazoo_acl():
    c = kz()
    step("create /acl")
    c.create("/acl", b"")
    step("getACL /acl")
    c.get_acls("/acl")
    step("setACL /acl world:anyone:cdrwa (same ACL) version 0")
    c.set_acls("/acl", [make_acl("world", "anyone", all=True)], version=0)
    step("setACL /acl version 0 again: BADVERSION (aversion is 1)")
    expect(BadVersionError, c.set_acls, "/acl", [make_acl("world", "anyone", all=True)], version=0)
    step("setACL /acl world:anyone:cdrw version 1")
    c.set_acls("/acl", [make_acl("world", "anyone", read=True, write=True, create=True, delete=True)], version=1)
    step("getACL /acl (aversion 2)")
    c.get_acls("/acl")
    step("setACL /acl with ADMIN gone and a wrong version: NOAUTH (ADMIN is checked before the version)")
    expect(NoAuthError, c.set_acls, "/acl", [make_acl("world", "anyone", all=True)], version=9)
    step("setACL with ip ACL on /acl2, then read it")
    c.create("/acl2", b"")
    c.set_acls("/acl2", [make_acl("ip", "127.0.0.1", all=True)])
    c.get_acls("/acl2")
    c.get("/acl2")
    step("close")
    c.stop()


def kazoo_auth():
    c = kz()
    step("addauth digest user:pass (xid -4)")
    c.add_auth("digest", "user:pass")
    CTL.idle()
    step("create /secret with digest ACL for user:pass (all perms)")
    c.create("/secret", b"s", acl=[make_digest_acl("user", "pass", all=True)])
    step("create /authacl with the auth scheme ACL (expanded to the digest id)")
    c.create("/authacl", b"", acl=[make_acl("auth", "", all=True)])
    step("getData /secret (allowed), getACL /authacl")
    c.get("/secret")
    c.get_acls("/authacl")
    c2 = kz()
    step("conn 2 (no auth): getData /secret: NOAUTH")
    expect(NoAuthError, c2.get, "/secret")
    step("conn 2: getACL /secret (digest masked? READ|ADMIN needed)")
    expect(NoAuthError, c2.get_acls, "/secret")
    step("conn 2: setData /secret: NOAUTH")
    expect(NoAuthError, c2.set, "/secret", b"x")
    step("conn 2: addauth digest user:wrong (accepted; just another id), getData still NOAUTH")
    c2.add_auth("digest", "user:wrong")
    expect(NoAuthError, c2.get, "/secret")
    step("conn 2 close")
    c2.stop()
    c3 = kz()
    step("conn 3: addauth with unknown scheme 'bogus': AUTHFAILED, server closes")
    try:
        c3.add_auth("bogus", "whatever")
    except AuthFailedError:
        pass
    except KazooException as err:
        print("auth bogus:", repr(err))
    CTL.idle(1000)
    c3.stop()
    c3.close()
    step("conn 1 close")
    c.stop()


def kazoo_ping():
    step("kazoo with a 4 s session timeout sits idle 5 s: pings (xid -2)")
    c = kz(timeout=4.0)
    time.sleep(5)
    step("close")
    c.stop()


def zkcli_ping():
    step("zkCli with default 30 s timeout sits idle 12 s: one ping after ~10 s")
    z = ZkCli("zkcli_ping")
    time.sleep(12)
    z.quit()


def kazoo_sync():
    c = kz()
    step("create /s")
    c.create("/s", b"")
    step("sync /s")
    c.sync("/s")
    step("sync / ")
    c.sync("/")
    step("sync /missing (path only echoed)")
    c.sync("/missing")
    step("close")
    c.stop()


def kazoo_close_session():
    c = kz()
    step("conn 1 creates ephemeral /e and ephemeral_sequential /q-")
    c.create("/e", b"", ephemeral=True)
    c.create("/q-", b"", ephemeral=True, sequence=True)
    c2 = kz()
    step("conn 2 sets exists watch on /e and child watch on /")
    c2.exists("/e", watch=lambda ev: None)
    c2.get_children("/", watch=lambda ev: None)
    step("conn 1 closeSession (-11): conn 2 gets NodeDeleted /e and NodeChildrenChanged /")
    c.stop()
    step("conn 2 getChildren2 / after close")
    c2.get_children("/", include_data=True)
    step("conn 2 close")
    c2.stop()


def kazoo_reconnect():
    c = kz()
    step("create /r, getData /r watch")
    c.create("/r", b"")
    c.get("/r", watch=lambda ev: None)
    step("proxy drops the connection; kazoo reconnects with its session id, password, lastZxidSeen")
    CTL.drop()
    time.sleep(2)
    CTL.idle(500)
    step("after reconnect: getData /r")
    c.get("/r")
    step("close")
    c.stop()


def kazoo_expired_session():
    step("kazoo connects with an unknown session id and password: timeOut 0 reply (expired)")
    c = KazooClient(hosts=PROXY, timeout=10.0, client_id=(0x1234567890AB, b"0123456789abcdef"))
    try:
        c.start(timeout=3)
    except Exception as err:  # kazoo reports the expiry, then starts a new session
        print("expired start:", repr(err))
    CTL.idle(1000)
    step("stop")
    try:
        c.stop()
        c.close()
    except Exception:
        pass


class RawRequest(namedtuple("RawRequest", "type body")):
    """A request kazoo has no class for: a type and a pre-encoded body."""

    def serialize(self):
        return self.body

    @classmethod
    def deserialize(cls, data, offset):
        return data[offset:]


def _jstr(text):
    raw = text.encode()
    return struct.pack(">i", len(raw)) + raw


def _raw(c, req, timeout=5):
    result = c.handler.async_result()
    c._call(req, result)
    try:
        return result.get(timeout=timeout)
    except Exception as err:  # the error is what we capture
        print("raw", req.type, repr(err))
        return None


def kazoo_raw_ops():
    c = kz()
    step("create /x data 'x'")
    c.create("/x", b"x")
    step("multiRead (22): getData /x, getChildren /, getData /missing, getChildren /missing")
    body = b""
    for op, path in [(4, "/x"), (8, "/"), (4, "/missing"), (8, "/missing")]:
        body += struct.pack(">iBi", op, 0, -1) + _jstr(path) + b"\x00"
    body += struct.pack(">iBi", -1, 1, -1)
    _raw(c, RawRequest(22, body))
    step("check (13) sent alone, outside multi")
    _raw(c, RawRequest(13, _jstr("/x") + struct.pack(">i", 0)), timeout=2)
    CTL.idle(1000)
    step("getData /x after the lone check")
    _raw(c, RawRequest(4, _jstr("/x") + b"\x00"), timeout=3)
    CTL.idle(1000)
    _close_quietly(c)
    c = kz()
    step("unknown opcode 999 with an empty body")
    _raw(c, RawRequest(999, b""), timeout=3)
    CTL.idle(1000)
    _close_quietly(c)
    c = kz()
    step("create with TTL flags (5) on plain create (op 1): no ttl field")
    _raw(c, RawRequest(1, _jstr("/t") + struct.pack(">i", 0) + struct.pack(">i", 1) + struct.pack(">i", 31) + _jstr("world") + _jstr("anyone") + struct.pack(">i", 5)))
    step("createTTL (21) with ttl 0: BADARGUMENTS")
    _raw(c, RawRequest(21, _jstr("/t") + struct.pack(">i", 0) + struct.pack(">i", 1) + struct.pack(">i", 31) + _jstr("world") + _jstr("anyone") + struct.pack(">i", 5) + struct.pack(">q", 0)))
    step("create with flags 7: BADARGUMENTS")
    _raw(c, RawRequest(1, _jstr("/f") + struct.pack(">i", 0) + struct.pack(">i", 1) + struct.pack(">i", 31) + _jstr("world") + _jstr("anyone") + struct.pack(">i", 7)))
    step("create with an empty ACL list: INVALIDACL")
    _raw(c, RawRequest(1, _jstr("/f") + struct.pack(">i", 0) + struct.pack(">i", 0) + struct.pack(">i", 0)))
    step("create with a bad path 'nope': BADARGUMENTS")
    _raw(c, RawRequest(1, _jstr("nope") + struct.pack(">i", 0) + struct.pack(">i", 1) + struct.pack(">i", 31) + _jstr("world") + _jstr("anyone") + struct.pack(">i", 0)))
    step("getData with a bad path '/a//b'")
    _raw(c, RawRequest(4, _jstr("/a//b") + b"\x00"))
    step("checkWatches (17) on / type Any: NOWATCHER (kazoo 2.8 does not know -121 and drops the connection)")
    _raw(c, RawRequest(17, _jstr("/") + struct.pack(">i", 3)), timeout=3)
    CTL.idle(1000)
    step("close")
    _close_quietly(c)


def _close_quietly(c):
    try:
        c.stop()
        c.close()
    except Exception:
        pass
    CTL.idle()


class RawConn:
    """A hand-framed client connection through the proxy (for handshakes no library sends)."""

    def __init__(self):
        host, port = PROXY.split(":")
        self.sock = socket.create_connection((host, int(port)))
        self.sock.settimeout(5)

    def send(self, payload):
        self.sock.sendall(struct.pack(">i", len(payload)) + payload)

    def recv(self):
        """One frame's payload, or None if the server closed the connection."""
        head = self._exact(4)
        if head is None:
            return None
        return self._exact(struct.unpack(">i", head)[0])

    def _exact(self, n):
        data = b""
        while len(data) < n:
            try:
                chunk = self.sock.recv(n - len(data))
            except OSError:
                return None
            if not chunk:
                return None
            data += chunk
        return data

    def close(self):
        self.sock.close()


def _connect_request(last_zxid=0, timeout_ms=30000, session=0, passwd=b"\0" * 16, read_only=None):
    body = struct.pack(">iqiq", 0, last_zxid, timeout_ms, session) + struct.pack(">i", len(passwd)) + passwd
    if read_only is not None:
        body += bytes([read_only])
    return body


def raw_connect():
    step("ConnectRequest without the readOnly byte (pre-3.4 client): reply has no readOnly byte")
    c = RawConn()
    c.send(_connect_request())
    c.recv()
    step("closeSession")
    c.send(struct.pack(">ii", 1, -11))
    c.recv()
    c.close()
    step("ConnectRequest pipelined with a getData before the ConnectResponse arrives")
    c = RawConn()
    c.send(_connect_request(read_only=0) )
    c.send(struct.pack(">ii", 1, 4) + _jstr("/zookeeper") + b"\x00")
    c.recv()
    c.recv()
    step("closeSession")
    c.send(struct.pack(">ii", 2, -11))
    c.recv()
    c.close()
    step("ConnectRequest with lastZxidSeen 0x7fff far ahead of the server: closed without reply")
    c = RawConn()
    c.send(_connect_request(last_zxid=0x7FFF, read_only=0))
    print("ahead reply:", c.recv())
    c.close()
    step("ConnectRequest asking for a 1 s timeout (clamped to minSessionTimeout 4000) and 10 min (to 40000)")
    for ms in (1000, 600000):
        c = RawConn()
        c.send(_connect_request(timeout_ms=ms, read_only=0))
        c.recv()
        c.send(struct.pack(">ii", 1, -11))
        c.recv()
        c.close()
    CTL.idle()


def kazoo_session_expiry():
    c = kz(timeout=4.0)
    step("conn 1 (4 s session) creates ephemeral /e")
    c.create("/e", b"", ephemeral=True)
    c2 = kz()
    step("conn 2 watches /e (exists) and / (children)")
    c2.exists("/e", watch=lambda ev: None)
    c2.get_children("/", watch=lambda ev: None)
    step("hold new connections and drop conn 1 only: its session expires after ~4-6 s")
    CTL.hold()
    CTL.drop(1)
    time.sleep(9)
    step("release: conn 1's client reconnects with the dead session and is told it expired")
    CTL.release()
    time.sleep(3)
    CTL.idle(500)
    step("conn 2 getChildren2 / after the expiry")
    c2.get_children("/", include_data=True)
    step("close")
    _close_quietly(c)
    c2.stop()


def kazoo_unicode():
    c = kz()
    step("create /ünï (2-byte UTF-8) with data 'é'")
    c.create("/\u00fcn\u00ef", "\u00e9".encode())
    step("create /ünï/😀 (supplementary character; Java sees surrogates): BADARGUMENTS")
    expect(KazooException, c.create, "/\u00fcn\u00ef/\U0001F600", b"")
    step("getChildren2 /ünï, getData /ünï")
    c.get_children("/\u00fcn\u00ef", include_data=True)
    c.get("/\u00fcn\u00ef")
    step("create /u with a digest ACL whose user is 😀 (4-byte UTF-8 in the request)")
    c.create("/u", b"", acl=[make_digest_acl("\U0001F600", "pw", all=True)])
    step("addauth digest 😀:pw, then whoAmI (107): Java writes the user back")
    c.add_auth("digest", "\U0001F600:pw")
    CTL.idle()
    _raw(c, RawRequest(107, b""), timeout=3)
    step("getACL /u: the ACL id as Java re-encodes it (kazoo may fail to decode it)")
    _raw(c, RawRequest(6, _jstr("/u")), timeout=3)
    CTL.idle(1000)
    step("close")
    _close_quietly(c)


def zkcli_quota_reconfig():
    z = ZkCli("zkcli_quota_reconfig")
    z.cmd("create /q")
    z.cmd("create /q/a")
    z.cmd("setquota -n 5 /q")
    z.cmd("listquota /q")
    z.cmd("ls -R /zookeeper")
    z.cmd("get /zookeeper/quota/q/zookeeper_limits")
    z.cmd("get /zookeeper/quota/q/zookeeper_stats")
    z.cmd("create /q/b")
    z.cmd("get /zookeeper/quota/q/zookeeper_stats")
    z.cmd("delquota /q")
    z.cmd("reconfig -add server.5=127.0.0.1:2888:3888:participant;2181")
    z.cmd("config -s")
    z.quit()


def zkcli_misc():
    z = ZkCli("zkcli_misc")
    z.cmd("create -e /e1 a")
    z.cmd("create -e /dir/e2 b", frames=1)
    z.cmd("create /dir d")
    z.cmd("create -e /dir/e2 b")
    z.cmd("create -e -s /dir/s- c")
    z.cmd("getEphemerals")
    z.cmd("getEphemerals /dir")
    z.cmd("getEphemerals /nothing")
    z.cmd("getAllChildrenNumber /")
    z.cmd("getAllChildrenNumber /dir")
    z.cmd("getAllChildrenNumber /zookeeper")
    z.cmd("whoami")
    z.cmd("addauth digest alice:secret")
    z.cmd("whoami")
    z.cmd("sync /dir")
    z.cmd("config")
    z.cmd("getAcl -s /zookeeper/config")
    z.cmd("setAcl /dir digest:%s:cdrwa" % make_digest_acl_credential("alice", "secret"))
    z.cmd("getAcl /dir")
    z.cmd("stat /dir")
    z.cmd("get -s /zookeeper/config")
    z.cmd("delete /dir")
    z.cmd("deleteall /dir")
    z.cmd("ls -R /")
    z.quit()


def zkcli_watches():
    z = ZkCli("zkcli_watches")
    c = kz()
    z.cmd("create /pw p")
    z.cmd("create /rw r")
    z.cmd("addWatch -m PERSISTENT /pw")
    z.cmd("addWatch -m PERSISTENT_RECURSIVE /rw")
    z.cmd("addWatch -m PERSISTENT /notyet")
    z.cmd("addWatch /dflt")
    step("kazoo: setData /pw, create /pw/c, delete /pw/c, setData /pw (persistent: data+child events)")
    c.set("/pw", b"1")
    c.create("/pw/c", b"")
    c.delete("/pw/c")
    c.set("/pw", b"2")
    step("kazoo: create /rw/a, create /rw/a/b, setData /rw/a/b, delete /rw/a/b (recursive: no child events)")
    c.create("/rw/a", b"")
    c.create("/rw/a/b", b"")
    c.set("/rw/a/b", b"x")
    c.delete("/rw/a/b")
    step("kazoo: create /notyet (persistent watch on a missing path gets NodeCreated)")
    c.create("/notyet", b"")
    z.cmd("removewatches /pw -a")
    z.cmd("removewatches /pw -a")
    z.cmd("get -w /rw")
    z.cmd("removewatches /rw -d")
    z.cmd("ls -w /rw")
    z.cmd("removewatches /rw -c")
    z.cmd("removewatches /rw -c")
    z.cmd("removewatches /notyet -a")
    step("kazoo: setData /pw after removal (no event)")
    c.set("/pw", b"3")
    c.stop()
    z.quit()


def _zkcli_set_watches(name, persistent):
    z = ZkCli(name)
    c = kz()
    z.cmd("create /sw v0")
    z.cmd("create /sc")
    z.cmd("create /gone g")
    z.cmd("create /keep k")
    z.cmd("get -w /sw")
    z.cmd("ls -w /sc")
    z.cmd("get -w /gone")
    z.cmd("get -w /keep")
    z.cmd("stat -w /missing")
    z.cmd("stat -w /appears")
    if persistent:
        z.cmd("addWatch -m PERSISTENT /pw")
        z.cmd("addWatch -m PERSISTENT_RECURSIVE /rw")
    step("hold new connections, drop the zkCli connection (and kazoo's: both reconnect later)")
    CTL.hold()
    CTL.drop()
    time.sleep(0.5)
    step("while zkCli is away: change /sw, add child to /sc, delete /gone, create /appears (direct)")
    d = KazooClient(hosts="%s:%d" % DIRECT, timeout=10.0)
    d.start(timeout=10)
    d.set("/sw", b"v1")
    d.create("/sc/kid", b"")
    d.delete("/gone")
    d.create("/appears", b"")
    d.stop()
    d.close()
    step("release: zkCli reconnects with its session and sends setWatches (xid -8)")
    CTL.release()
    time.sleep(3)
    CTL.idle(500)
    step("zkCli reads after reconnect")
    z.cmd("get /sw")
    z.cmd("ls /sc")
    c.stop()
    z.quit()


def zkcli_set_watches():
    _zkcli_set_watches("zkcli_set_watches", persistent=False)


def zkcli_set_watches2():
    _zkcli_set_watches("zkcli_set_watches2", persistent=True)


def fourlw():
    """Not a proxy capture: raw 4lw replies into 4lw/<cmd>.txt while a kazoo session is open."""
    c = KazooClient(hosts="%s:%d" % DIRECT, timeout=30.0)
    c.start(timeout=10)
    c.create("/4lw", b"data")
    c.create("/4lw/e", b"", ephemeral=True)
    c.get("/4lw", watch=lambda ev: None)
    c.get_children("/4lw", watch=lambda ev: None)
    time.sleep(0.5)
    for cmd in ["ruok", "srvr", "stat", "mntr", "conf", "envi", "wchs", "isro", "cons", "wchc", "wchp", "dirs", "dump", "gtmk", "xxxx"]:
        s = socket.create_connection(DIRECT)
        s.sendall(cmd.encode() + b"\n")
        data = b""
        s.settimeout(5)
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except OSError as err:
            data += ("\n[socket: %r]" % err).encode()
        s.close()
        with open(os.path.join(OUT_DIR, "4lw", cmd + ".txt"), "wb") as f:
            f.write(data)
    c.stop()
    c.close()


SCENARIOS = [
    kazoo_connect,
    zkcli_connect,
    kazoo_builtin,
    kazoo_create_modes,
    zkcli_create_modes,
    kazoo_get_set_data,
    kazoo_exists,
    kazoo_get_children,
    kazoo_multi_fail,
    kazoo_multi_ok,
    kazoo_watch_events,
    kazoo_delete,
    kazoo_acl,
    kazoo_auth,
    kazoo_ping,
    zkcli_ping,
    kazoo_sync,
    kazoo_close_session,
    kazoo_reconnect,
    kazoo_expired_session,
    kazoo_raw_ops,
    raw_connect,
    zkcli_misc,
    kazoo_session_expiry,
    kazoo_unicode,
    zkcli_quota_reconfig,
    zkcli_watches,
    zkcli_set_watches,
    zkcli_set_watches2,
    fourlw,
]

OUT_DIR = "core/tests/golden"


def main():
    global CTL, OUT_DIR
    ap = argparse.ArgumentParser()
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--out", default=OUT_DIR)
    ap.add_argument("scenario", nargs="?")
    args = ap.parse_args()
    names = {f.__name__: f for f in SCENARIOS}
    if args.list:
        print("\n".join(names))
        return 0
    if args.scenario not in names:
        ap.error("unknown scenario %r" % args.scenario)
    logging.basicConfig(level=logging.CRITICAL)
    OUT_DIR = args.out
    os.makedirs("/tmp/zkgold", exist_ok=True)
    if args.scenario == "fourlw":
        os.makedirs(os.path.join(OUT_DIR, "4lw"), exist_ok=True)
        fourlw()
        return 0
    CTL = Ctl()
    path = os.path.abspath(os.path.join(OUT_DIR, args.scenario + ".txt"))
    CTL.out(path)
    CTL.note("scenario %s: %s" % (args.scenario, SERVER_NOTE))
    try:
        names[args.scenario]()
    finally:
        CTL.idle()
        CTL.stop()
    return 0


SERVER_NOTE = os.environ.get("ZK_VERSION_NOTE", "Apache ZooKeeper standalone")

if __name__ == "__main__":
    sys.exit(main())
