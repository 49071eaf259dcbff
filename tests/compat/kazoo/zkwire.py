"""A small, synchronous ZooKeeper wire client for the tests kazoo 2.8 cannot express.

kazoo 2.8 (Debian 12) has no containers, TTL nodes, addWatch, getEphemerals, whoAmI or
getAllChildrenNumber, and it hides frame order and error codes. This client speaks the jute
protocol directly on one socket, keeps every frame it receives in arrival order, and returns
raw error codes instead of raising, so a test can assert exactly what the server sent.
"""

import socket
import struct
import time

# Opcodes
CREATE, DELETE, EXISTS, GET_DATA, SET_DATA = 1, 2, 3, 4, 5
GET_ACL, SET_ACL, GET_CHILDREN, SYNC, PING = 6, 7, 8, 9, 11
GET_CHILDREN2, CHECK, MULTI, CREATE2, CHECK_WATCHES = 12, 13, 14, 15, 17
REMOVE_WATCHES, CREATE_CONTAINER, CREATE_TTL, MULTI_READ = 18, 19, 21, 22
AUTH, SET_WATCHES, GET_EPHEMERALS, GET_ALL_CHILDREN_NUMBER = 100, 101, 103, 104
SET_WATCHES2, ADD_WATCH, WHO_AM_I, CLOSE_SESSION = 105, 106, 107, -11

# Error codes
OK = 0
UNIMPLEMENTED = -6
BADARGUMENTS = -8
NONODE = -101
NOAUTH = -102
BADVERSION = -103
NODEEXISTS = -110
NOTEMPTY = -111
NOWATCHER = -121

# Event types
NODE_CREATED, NODE_DELETED, NODE_DATA_CHANGED, NODE_CHILDREN_CHANGED = 1, 2, 3, 4

# Create flags
PERSISTENT, EPHEMERAL, PERSISTENT_SEQUENTIAL, EPHEMERAL_SEQUENTIAL = 0, 1, 2, 3
CONTAINER, PERSISTENT_WITH_TTL, PERSISTENT_SEQUENTIAL_WITH_TTL = 4, 5, 6

# addWatch modes and watcher types
ADD_WATCH_PERSISTENT, ADD_WATCH_PERSISTENT_RECURSIVE = 0, 1
WATCHER_CHILDREN, WATCHER_DATA, WATCHER_ANY = 1, 2, 3
WATCHER_PERSISTENT, WATCHER_PERSISTENT_RECURSIVE = 4, 5

OPEN_ACL = [(31, "world", "anyone")]

STAT_FIELDS = (
    "czxid", "mzxid", "ctime", "mtime", "version", "cversion", "aversion",
    "ephemeral_owner", "data_length", "num_children", "pzxid",
)
_STAT = struct.Struct("!qqqqiiiqiiq")


def enc_int(v):
    return struct.pack("!i", v)


def enc_long(v):
    return struct.pack("!q", v)


def enc_bool(v):
    return b"\x01" if v else b"\x00"


def enc_buffer(b):
    if b is None:
        return enc_int(-1)
    return enc_int(len(b)) + b


def enc_string(s):
    return enc_buffer(None if s is None else s.encode("utf-8"))


def enc_acls(acls):
    out = enc_int(len(acls))
    for perms, scheme, ident in acls:
        out += enc_int(perms) + enc_string(scheme) + enc_string(ident)
    return out


def enc_strings(items):
    out = enc_int(len(items))
    for s in items:
        out += enc_string(s)
    return out


class Reader:
    """Cursor over one reply body."""

    def __init__(self, data):
        self.data = data
        self.pos = 0

    def int(self):
        (v,) = struct.unpack_from("!i", self.data, self.pos)
        self.pos += 4
        return v

    def long(self):
        (v,) = struct.unpack_from("!q", self.data, self.pos)
        self.pos += 8
        return v

    def bool(self):
        v = self.data[self.pos]
        self.pos += 1
        return v != 0

    def buffer(self):
        n = self.int()
        if n < 0:
            return None
        v = self.data[self.pos:self.pos + n]
        self.pos += n
        return v

    def string(self):
        b = self.buffer()
        return None if b is None else b.decode("utf-8")

    def strings(self):
        n = self.int()
        if n < 0:
            return None
        return [self.string() for _ in range(n)]

    def stat(self):
        vals = _STAT.unpack_from(self.data, self.pos)
        self.pos += _STAT.size
        return dict(zip(STAT_FIELDS, vals))

    def acls(self):
        n = self.int()
        return [(self.int(), self.string(), self.string()) for _ in range(n)]

    def remaining(self):
        return len(self.data) - self.pos


class Reply:
    def __init__(self, xid, zxid, err, body):
        self.xid, self.zxid, self.err, self.body = xid, zxid, err, body

    def reader(self):
        return Reader(self.body)

    def __repr__(self):
        return f"Reply(xid={self.xid}, zxid={self.zxid:#x}, err={self.err}, body={len(self.body)}B)"


class Event:
    def __init__(self, type_, state, path, zxid):
        self.type, self.state, self.path, self.zxid = type_, state, path, zxid

    def key(self):
        return (self.type, self.path)

    def __repr__(self):
        return f"Event(type={self.type}, state={self.state}, path={self.path!r})"


class ConnectionClosed(Exception):
    """The server closed the socket."""


def split_hostport(hostport):
    host, _, port = hostport.rpartition(":")
    return host, int(port)


def server_list(connect):
    """The host:port entries of a connect string (`h:p[,h:p...][/chroot]`), in order."""
    hosts = connect.partition("/")[0]
    return [h.strip() for h in hosts.split(",") if h.strip()]


class Placement:
    """Which server of an ensemble's connect string each new client of a test connects to:
    round robin from an offset the suite sets per test (conftest.py), so the clients of one
    test sit on different servers, and a run places them the same way every time."""

    def __init__(self):
        self.offset = 0
        self.placed = 0

    def restart(self, offset):
        self.offset, self.placed = offset, 0

    def take(self, n):
        """Index of the server for the next client, among n."""
        i = (self.offset + self.placed) % n
        self.placed += 1
        return i


placement = Placement()


def next_server(connect):
    """The server the next client connects to (a single host:port is returned as it is)."""
    servers = server_list(connect)
    if len(servers) == 1:
        return servers[0]
    return servers[placement.take(len(servers))]


def kazoo_hosts(connect):
    """The connect string rotated to start at next_server(connect), for a KazooClient made with
    randomize_hosts=False: it connects there first and moves on in order if that server fails."""
    servers = server_list(connect)
    chroot = connect[len(connect.partition("/")[0]):]
    first = servers.index(next_server(connect))
    return ",".join(servers[first:] + servers[:first]) + chroot


class WireClient:
    """One connection, one session. Requests are synchronous; notifications are queued."""

    def __init__(self, hostport, timeout_ms=10000, session_id=0, passwd=b"\x00" * 16,
                 last_zxid=0, connect=True):
        self.hostport = next_server(hostport)  # kept for reconnects
        self.requested_timeout = timeout_ms
        self.session_id = session_id
        self.passwd = passwd
        self.last_zxid = last_zxid
        self.negotiated_timeout = None
        self.xid = 0
        self.events = []      # notifications not yet consumed by a test
        self.frames = []      # ("event", Event) / ("reply", Reply) in arrival order
        self.sock = None
        self._buf = b""
        if connect:
            self.connect()

    # ---- transport -------------------------------------------------------

    def open_socket(self):
        self.sock = socket.create_connection(split_hostport(self.hostport), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buf = b""

    def send_raw(self, data):
        self.sock.sendall(data)

    def send_frame(self, payload):
        self.send_raw(enc_int(len(payload)) + payload)

    def _recv_exact(self, n, deadline):
        while len(self._buf) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no frame from server")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(1 << 20)
            except ConnectionResetError as e:
                raise ConnectionClosed(str(e)) from e
            if not chunk:
                raise ConnectionClosed("server closed the connection")
            self._buf += chunk
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def recv_frame(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        (n,) = struct.unpack("!i", self._recv_exact(4, deadline))
        return self._recv_exact(n, deadline)

    def wait_closed(self, timeout=10.0):
        """True if the server closes the connection within timeout (frames read meanwhile are kept)."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self._read_one(deadline - time.monotonic())
        except ConnectionClosed:
            return True
        except TimeoutError:
            return False
        return False

    def close_socket(self):
        """Drop the TCP connection without closeSession: the session lives on until it times out."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    # ---- session ---------------------------------------------------------

    def connect(self, read_only=False):
        """Handshake; returns the negotiated timeout (0 means the session is expired/invalid)."""
        self.open_socket()
        body = (enc_int(0) + enc_long(self.last_zxid) + enc_int(self.requested_timeout)
                + enc_long(self.session_id) + enc_buffer(self.passwd) + enc_bool(read_only))
        self.send_frame(body)
        r = Reader(self.recv_frame())
        r.int()  # protocol version
        self.negotiated_timeout = r.int()
        session_id = r.long()
        passwd = r.buffer()
        if self.negotiated_timeout > 0:
            self.session_id, self.passwd = session_id, passwd
        return self.negotiated_timeout

    def reconnect(self):
        self.close_socket()
        return self.connect()

    def close(self):
        """closeSession, then close the socket."""
        if self.sock is None:
            return
        try:
            self.call(CLOSE_SESSION, b"")
        except (ConnectionClosed, TimeoutError, OSError):
            pass
        self.close_socket()

    # ---- frames ----------------------------------------------------------

    def _read_one(self, timeout=10.0):
        data = self.recv_frame(timeout)
        r = Reader(data)
        xid, zxid, err = r.int(), r.long(), r.int()
        if xid == -1:
            ev = Event(r.int(), r.int(), r.string(), zxid)
            self.events.append(ev)
            self.frames.append(("event", ev))
            return ev
        if zxid > 0:
            self.last_zxid = max(self.last_zxid, zxid)
        rep = Reply(xid, zxid, err, data[r.pos:])
        self.frames.append(("reply", rep))
        return rep

    def submit(self, op, body, xid=None):
        if xid is None:
            self.xid += 1
            xid = self.xid
        self.send_frame(enc_int(xid) + enc_int(op) + body)
        return xid

    def wait_reply(self, xid, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            f = self._read_one(max(0.0, deadline - time.monotonic()))
            if isinstance(f, Reply) and f.xid == xid:
                return f
            if isinstance(f, Reply) and f.xid not in (-2,):
                raise AssertionError(f"reply out of order: wanted xid {xid}, got {f!r}")

    def call(self, op, body, xid=None, timeout=10.0):
        return self.wait_reply(self.submit(op, body, xid), timeout)

    def wait_event(self, timeout=10.0):
        """Next notification (already queued or arriving within timeout), or None."""
        deadline = time.monotonic() + timeout
        while not self.events:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                self._read_one(left)
            except TimeoutError:
                return None
        return self.events.pop(0)

    def ping(self):
        return self.call(PING, b"", xid=-2)

    # ---- operations (return Reply; parse with helpers) --------------------

    def create(self, path, data=b"", flags=PERSISTENT, acl=None, op=None, ttl=None):
        """Returns (err, created_path, stat_or_None)."""
        if op is None:
            op = CREATE_TTL if ttl is not None else (CREATE_CONTAINER if flags == CONTAINER else CREATE2)
        body = enc_string(path) + enc_buffer(data) + enc_acls(acl or OPEN_ACL) + enc_int(flags)
        if op == CREATE_TTL:
            body += enc_long(ttl)
        rep = self.call(op, body)
        if rep.err != OK:
            return rep.err, None, None
        r = rep.reader()
        created = r.string()
        stat = r.stat() if op != CREATE else None
        return OK, created, stat

    def get_data(self, path, watch=False):
        """Returns (err, data, stat)."""
        rep = self.call(GET_DATA, enc_string(path) + enc_bool(watch))
        if rep.err != OK:
            return rep.err, None, None
        r = rep.reader()
        return OK, r.buffer(), r.stat()

    def exists(self, path, watch=False):
        rep = self.call(EXISTS, enc_string(path) + enc_bool(watch))
        return rep.err, (rep.reader().stat() if rep.err == OK else None)

    def set_data(self, path, data, version=-1):
        rep = self.call(SET_DATA, enc_string(path) + enc_buffer(data) + enc_int(version))
        return rep.err, (rep.reader().stat() if rep.err == OK else None)

    def delete(self, path, version=-1):
        return self.call(DELETE, enc_string(path) + enc_int(version)).err

    def get_children(self, path, watch=False):
        rep = self.call(GET_CHILDREN2, enc_string(path) + enc_bool(watch))
        if rep.err != OK:
            return rep.err, None, None
        r = rep.reader()
        return OK, r.strings(), r.stat()

    def add_watch(self, path, mode):
        rep = self.call(ADD_WATCH, enc_string(path) + enc_int(mode))
        return rep.err

    def remove_watches(self, path, wtype):
        return self.call(REMOVE_WATCHES, enc_string(path) + enc_int(wtype)).err

    def check_watches(self, path, wtype):
        return self.call(CHECK_WATCHES, enc_string(path) + enc_int(wtype)).err

    def get_ephemerals(self, prefix):
        rep = self.call(GET_EPHEMERALS, enc_string(prefix))
        return rep.err, (rep.reader().strings() if rep.err == OK else None)

    def get_all_children_number(self, path):
        rep = self.call(GET_ALL_CHILDREN_NUMBER, enc_string(path))
        return rep.err, (rep.reader().int() if rep.err == OK else None)

    def who_am_i(self):
        rep = self.call(WHO_AM_I, b"")
        if rep.err != OK:
            return rep.err, None
        r = rep.reader()
        n = r.int()
        return OK, [(r.string(), r.string()) for _ in range(n)]

    def add_auth(self, scheme, credential):
        rep = self.call(AUTH, enc_int(0) + enc_string(scheme) + enc_buffer(credential), xid=-4)
        return rep.err

    def set_watches(self, relative_zxid, data=(), exist=(), child=()):
        body = (enc_long(relative_zxid) + enc_strings(list(data)) + enc_strings(list(exist))
                + enc_strings(list(child)))
        return self.call(SET_WATCHES, body, xid=-8).err

    def set_watches2(self, relative_zxid, data=(), exist=(), child=(), persistent=(), recursive=()):
        body = (enc_long(relative_zxid) + enc_strings(list(data)) + enc_strings(list(exist))
                + enc_strings(list(child)) + enc_strings(list(persistent))
                + enc_strings(list(recursive)))
        return self.call(SET_WATCHES2, body, xid=-8).err

    def sync(self, path):
        rep = self.call(SYNC, enc_string(path))
        return rep.err, (rep.reader().string() if rep.err == OK else None)


def four_letter(hostport, word, timeout=5.0):
    """Send a four-letter word on a fresh connection and read until the server closes it; to
    the next server in turn when given a connect string with several."""
    s = socket.create_connection(split_hostport(next_server(hostport)), timeout=timeout)
    try:
        s.sendall(word.encode() if isinstance(word, str) else word)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out.decode("utf-8", "replace")
            out += chunk
    finally:
        s.close()
