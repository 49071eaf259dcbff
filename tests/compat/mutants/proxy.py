#!/usr/bin/env python3
"""A fault-injecting TCP proxy in front of a ZooKeeper server, to show the kazoo suite can fail.

    proxy.py --listen 127.0.0.1:24190 --upstream 127.0.0.1:24181 --mutant late-events

Each mutant breaks one server guarantee on the wire; run the suite through the proxy and the
tests that guard that guarantee must fail (see run-mutants.sh). Mutants:

  identity            pass everything through (baseline)
  drop-events         drop every watch notification (xid -1)
  late-events         hold each notification back until after the next reply on the connection
  badversion-nonode   report BADVERSION (-103) as NONODE (-101)
  cversion-creates    Stat.cversion shows the stored create count, not 2*creates - numChildren
  no-close-on-expiry  never tell kazoo a session expired: ConnectResponse timeout 0 -> 4000
  stale-zxid          ReplyHeader zxid of reads is 1 instead of the last zxid
"""

import argparse
import socket
import struct
import threading

STAT_OPS = {3: 0, 5: 0, 4: "getdata", 12: "children2", 6: "acl", 7: 0, 15: "create2", 19: "create2", 21: "create2"}
READ_OPS = {3, 4, 6, 8, 12}


class Conn:
    def __init__(self, client, upstream, mutant):
        self.c, self.u, self.mutant = client, upstream, mutant
        self.ops = {}          # xid -> opcode, from the client's requests
        self.lock = threading.Lock()
        self.held = []         # notifications held back (late-events)

    # client -> server: forward bytes as they come, parse frames only to learn xid -> op
    def upstream_pump(self):
        buf = b""
        first = True
        try:
            while True:
                data = self.c.recv(1 << 16)
                if not data:
                    break
                self.u.sendall(data)
                buf += data
                while len(buf) >= 4:
                    (n,) = struct.unpack("!i", buf[:4])
                    if n < 0 or n > (1 << 21):
                        buf = b""
                        break
                    if len(buf) < 4 + n:
                        break
                    frame, buf = buf[4:4 + n], buf[4 + n:]
                    if first:
                        first = False
                        continue
                    if len(frame) >= 8:
                        xid, op = struct.unpack("!ii", frame[:8])
                        with self.lock:
                            self.ops[xid] = op
        except OSError:
            pass
        finally:
            shut(self.u)

    def rewrite(self, frame, is_connect):
        m = self.mutant
        if is_connect:
            if m == "no-close-on-expiry" and len(frame) >= 8:
                proto, timeout = struct.unpack("!ii", frame[:8])
                if timeout == 0:
                    frame = frame[:4] + struct.pack("!i", 4000) + frame[8:]
            return [frame]
        xid, zxid, err = struct.unpack("!iqi", frame[:16])
        if xid == -1:
            if m == "drop-events":
                return []
            if m == "late-events":
                self.held.append(frame)
                return []
            return [frame]
        with self.lock:
            op = self.ops.pop(xid, None)
        out = []
        if m == "badversion-nonode" and err == -103:
            frame = frame[:12] + struct.pack("!i", -101) + frame[16:]
        if m == "stale-zxid" and op in READ_OPS and xid > 0:
            frame = frame[:4] + struct.pack("!q", 1) + frame[12:]
        if m == "cversion-creates" and err == 0 and op in STAT_OPS:
            frame = fix_cversion(frame, op)
        out.append(frame)
        if m == "late-events" and xid not in (-2,):
            out.extend(self.held)
            self.held = []
        return out

    def downstream_pump(self):
        buf = b""
        first = True
        try:
            while True:
                data = self.u.recv(1 << 16)
                if not data:
                    break
                buf += data
                out = b""
                while len(buf) >= 4:
                    (n,) = struct.unpack("!i", buf[:4])
                    if len(buf) < 4 + n:
                        break
                    frame, buf = buf[4:4 + n], buf[4 + n:]
                    for f in self.rewrite(frame, first):
                        out += struct.pack("!i", len(f)) + f
                    first = False
                if out:
                    self.c.sendall(out)
        except OSError:
            pass
        finally:
            shut(self.c)


def fix_cversion(frame, op):
    """Rewrite Stat.cversion to (cversion + numChildren) / 2, the stored create count."""
    body = 16
    kind = STAT_OPS[op]
    try:
        if kind == "getdata":
            (n,) = struct.unpack_from("!i", frame, body)
            body += 4 + max(n, 0)
        elif kind == "children2":
            (cnt,) = struct.unpack_from("!i", frame, body)
            body += 4
            for _ in range(max(cnt, 0)):
                (n,) = struct.unpack_from("!i", frame, body)
                body += 4 + max(n, 0)
        elif kind == "acl":
            (cnt,) = struct.unpack_from("!i", frame, body)
            body += 4
            for _ in range(cnt):
                body += 4
                for _ in range(2):
                    (n,) = struct.unpack_from("!i", frame, body)
                    body += 4 + max(n, 0)
        elif kind == "create2":
            (n,) = struct.unpack_from("!i", frame, body)
            body += 4 + max(n, 0)
        off = body + 8 * 4 + 4  # czxid, mzxid, ctime, mtime, version
        (cv,) = struct.unpack_from("!i", frame, off)
        (nc,) = struct.unpack_from("!i", frame, body + 8 * 4 + 4 * 3 + 8 + 4)
        new = (cv + nc) // 2
        return frame[:off] + struct.pack("!i", new) + frame[off + 4:]
    except struct.error:
        return frame


def shut(s):
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    s.close()


def raw_pipe(a, b):
    try:
        while True:
            d = a.recv(1 << 16)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    finally:
        shut(b)


def handle(client, upstream_addr, mutant):
    try:
        up = socket.create_connection(upstream_addr, timeout=10)
    except OSError:
        client.close()
        return
    up.settimeout(None)
    for s in (client, up):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    head = client.recv(4, socket.MSG_PEEK)
    if len(head) == 4 and head.isalpha():  # four-letter word: no framing
        threading.Thread(target=raw_pipe, args=(client, up), daemon=True).start()
        threading.Thread(target=raw_pipe, args=(up, client), daemon=True).start()
        return
    conn = Conn(client, up, mutant)
    threading.Thread(target=conn.upstream_pump, daemon=True).start()
    threading.Thread(target=conn.downstream_pump, daemon=True).start()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--listen", required=True)
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--mutant", default="identity")
    args = ap.parse_args()
    lh, _, lp = args.listen.rpartition(":")
    uh, _, up = args.upstream.rpartition(":")
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((lh, int(lp)))
    srv.listen(128)
    print(f"proxy {args.mutant} listening on {args.listen} -> {args.upstream}", flush=True)
    while True:
        c, _ = srv.accept()
        threading.Thread(target=handle, args=(c, (uh, int(up)), args.mutant), daemon=True).start()


if __name__ == "__main__":
    main()
