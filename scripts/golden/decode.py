#!/usr/bin/python3
"""Pretty-print a golden capture (core/tests/golden/*.txt) for humans.

Usage: decode.py FILE...

Independent of the Rust codec on purpose (a second reading of the same bytes). Replies are
matched to requests by xid per connection, as the golden test does.
"""

import struct
import sys

OPS = {
    0: "notification", 1: "create", 2: "delete", 3: "exists", 4: "getData", 5: "setData",
    6: "getACL", 7: "setACL", 8: "getChildren", 9: "sync", 11: "ping", 12: "getChildren2",
    13: "check", 14: "multi", 15: "create2", 16: "reconfig", 17: "checkWatches",
    18: "removeWatches", 19: "createContainer", 20: "deleteContainer", 21: "createTTL",
    22: "multiRead", 100: "auth", 101: "setWatches", 102: "sasl", 103: "getEphemerals",
    104: "getAllChildrenNumber", 105: "setWatches2", 106: "addWatch", 107: "whoAmI",
    -11: "closeSession", -1: "error",
}
ERRS = {
    0: "OK", -2: "RUNTIMEINCONSISTENCY", -5: "MARSHALLINGERROR", -6: "UNIMPLEMENTED",
    -8: "BADARGUMENTS", -101: "NONODE", -102: "NOAUTH", -103: "BADVERSION",
    -108: "NOCHILDRENFOREPHEMERALS", -110: "NODEEXISTS", -111: "NOTEMPTY", -112: "SESSIONEXPIRED",
    -114: "INVALIDACL", -115: "AUTHFAILED", -121: "NOWATCHER",
}
EVENTS = {1: "NodeCreated", 2: "NodeDeleted", 3: "NodeDataChanged", 4: "NodeChildrenChanged"}


class R:
    def __init__(self, b):
        self.b, self.o = b, 0

    def take(self, n):
        if self.o + n > len(self.b):
            raise ValueError("short")
        v = self.b[self.o : self.o + n]
        self.o += n
        return v

    def int(self):
        return struct.unpack(">i", self.take(4))[0]

    def long(self):
        return struct.unpack(">q", self.take(8))[0]

    def bool(self):
        return self.take(1)[0]

    def buf(self):
        n = self.int()
        return None if n < 0 else self.take(n)

    def str(self):
        v = self.buf()
        return None if v is None else v.decode("utf-8", "replace")

    def vec(self, f):
        n = self.int()
        return None if n < 0 else [f() for _ in range(n)]

    def acl(self):
        return "%d:%s:%s" % (self.int(), self.str(), self.str())

    def stat(self):
        f = struct.unpack(">qqqqiiiqiiq", self.take(68))
        return ("stat(czxid=%#x mzxid=%#x ctime=%d mtime=%d ver=%d cver=%d aver=%d eph=%#x len=%d kids=%d pzxid=%#x)" % f)

    def rest(self):
        return self.b[self.o :].hex()


def create_req(r, ttl=False):
    s = "path=%r data=%r acl=%s flags=%d" % (r.str(), r.buf(), r.vec(r.acl), r.int())
    return s + (" ttl=%d" % r.long() if ttl else "")


def request(op, r):
    if op in (1, 15, 19):
        return create_req(r)
    if op == 21:
        return create_req(r, ttl=True)
    if op == 2:
        return "path=%r version=%d" % (r.str(), r.int())
    if op in (3, 4, 8, 12):
        return "path=%r watch=%d" % (r.str(), r.bool())
    if op == 5:
        return "path=%r data=%r version=%d" % (r.str(), r.buf(), r.int())
    if op in (6, 9, 103, 104):
        return "path=%r" % r.str()
    if op == 7:
        return "path=%r acl=%s version=%d" % (r.str(), r.vec(r.acl), r.int())
    if op == 13:
        return "path=%r version=%d" % (r.str(), r.int())
    if op in (17, 18, 106):
        return "path=%r type/mode=%d" % (r.str(), r.int())
    if op in (14, 22):
        parts = []
        while True:
            t, done, err = r.int(), r.bool(), r.int()
            if done:
                break
            parts.append("%s{%s}" % (OPS.get(t, t), request(t, r)))
        return "; ".join(parts)
    if op == 16:
        return "joining=%r leaving=%r newMembers=%r curConfigId=%d" % (r.str(), r.str(), r.str(), r.long())
    if op == 100:
        return "type=%d scheme=%r auth=%r" % (r.int(), r.str(), r.buf())
    if op in (101, 105):
        s = "relZxid=%#x data=%s exist=%s child=%s" % (r.long(), r.vec(r.str), r.vec(r.str), r.vec(r.str))
        if op == 105:
            s += " persistent=%s recursive=%s" % (r.vec(r.str), r.vec(r.str))
        return s
    return ""


def reply(op, r):
    if op == 1:
        return "path=%r" % r.str()
    if op in (15, 19, 21):
        return "path=%r %s" % (r.str(), r.stat())
    if op in (3, 5):
        return r.stat()
    if op == 4:
        return "data=%r %s" % (r.buf(), r.stat())
    if op == 6:
        return "acl=%s %s" % (r.vec(r.acl), r.stat())
    if op == 7:
        return r.stat()
    if op == 8:
        return "children=%s" % r.vec(r.str)
    if op == 12:
        return "children=%s %s" % (r.vec(r.str), r.stat())
    if op in (9,):
        return "path=%r" % r.str()
    if op == 103:
        return "paths=%s" % r.vec(r.str)
    if op in (104, 106):
        return "int=%d" % r.int()
    if op == 107:
        return "clientInfo=%s" % r.vec(lambda: "%s:%s" % (r.str(), r.str()))
    if op in (14, 22):
        parts = []
        while True:
            t, done, err = r.int(), r.bool(), r.int()
            if done:
                break
            if t == -1:
                parts.append("error{err=%d %s}" % (r.int(), ERRS.get(err, err)))
            else:
                parts.append("%s{%s}" % (OPS.get(t, t), reply(t, r)))
        return "; ".join(parts)
    return ""


def decode_file(path):
    conn, first = None, {}
    pending = {}
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("#") or not line:
            print(line)
            continue
        kind, _, rest = line.partition(" ")
        if kind == "conn":
            conn = int(rest)
            print(line)
            continue
        r = R(bytes.fromhex(rest))
        key = (conn, kind)
        try:
            if key not in first:
                first[key] = True
                if kind == "c2s":
                    f = (r.int(), r.long(), r.int(), r.long(), r.buf())
                    ro = r.bool() if r.o < len(r.b) else None
                    out = "ConnectRequest proto=%d lastZxid=%#x timeout=%d sid=%#x passwd=%s readOnly=%s" % (
                        f[0], f[1], f[2], f[3], f[4].hex(), ro)
                else:
                    f = (r.int(), r.int(), r.long(), r.buf())
                    ro = r.bool() if r.o < len(r.b) else None
                    out = "ConnectResponse proto=%d timeout=%d sid=%#x passwd=%s readOnly=%s" % (
                        f[0], f[1], f[2], f[3].hex(), ro)
            elif kind == "c2s":
                xid, op = r.int(), r.int()
                pending[(conn, xid)] = op
                out = "req xid=%d %s %s" % (xid, OPS.get(op, op), request(op, r))
            else:
                xid, zxid, err = r.int(), r.long(), r.int()
                if xid == -1:
                    out = "NOTIFY zxid=%d %s state=%d path=%r" % (
                        zxid, EVENTS.get(r.int(), "?"), r.int(), r.str())
                else:
                    op = pending.pop((conn, xid), None)
                    out = "rep xid=%d zxid=%#x err=%d %s [%s]" % (xid, zxid, err, ERRS.get(err, ""), OPS.get(op, op))
                    if err == 0 and op is not None:
                        out += " " + reply(op, r)
            if r.o != len(r.b):
                out += " TRAILING " + r.rest()
        except ValueError as e:
            out = "UNDECODABLE (%s) %s" % (e, rest)
        print("%s %s" % (kind, out))


if __name__ == "__main__":
    for p in sys.argv[1:]:
        print("=====", p)
        decode_file(p)
