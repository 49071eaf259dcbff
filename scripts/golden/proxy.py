#!/usr/bin/python3
"""Framing TCP proxy that records ZooKeeper client traffic as golden captures.

Listens on 127.0.0.1:LISTEN, forwards every connection to 127.0.0.1:UPSTREAM, splits each
direction into frames (4-byte big-endian length + payload) and appends one line per frame to
the current capture file:

    conn <n>            following frames belong to connection n (1-based, per capture file)
    c2s <hex payload>   client -> server frame, payload WITHOUT the 4-byte length
    s2c <hex payload>   server -> client frame, likewise
    # text              comment

A frame line is written before the frame is forwarded, so a reply never precedes its request
in the file. A `conn <n>` line is written whenever the next frame belongs to a different
connection than the previous one, so the file keeps the global order of frames across
connections.

A line-based control port (127.0.0.1:CONTROL) steers the proxy; each command gets one reply
line ("ok" or "err ..."):

    out <path>    close the current capture file and start <path> (connection numbers restart)
    note <text>   write "# <text>" into the capture file
    drop [n]      abruptly close every live proxied connection (both sides), or only connection n
                  of the current capture file
    wait <n> <ms> wait until at least n frames were recorded in this file, or ms elapse
    idle <ms>     wait until no frame has been recorded for ms milliseconds (at most 20 s)
    hold          accept new client connections but do not connect them upstream yet
    release       connect the held connections (in accept order) and stop holding
    count         reply "ok <n>": frames recorded so far in this file
    stop          close the capture file (frames after that are forwarded but not recorded)

For humans regenerating captures, not for CI. Standard library only.
"""

import argparse
import socket
import struct
import sys
import threading
import time


class Recorder:
    """Owns the capture file; every write goes through one lock to keep lines whole."""

    def __init__(self):
        self.lock = threading.Condition()
        self.file = None
        self.generation = 0
        self.next_conn = 1
        self.last_conn = None
        self.frames = 0
        self.last_frame_at = time.monotonic()

    def start(self, path):
        with self.lock:
            self._close()
            self.file = open(path, "w", encoding="utf-8")
            self.generation += 1
            self.next_conn = 1
            self.last_conn = None
            self.frames = 0

    def stop(self):
        with self.lock:
            self._close()

    def _close(self):
        if self.file is not None:
            self.file.close()
            self.file = None

    def new_conn(self):
        """Returns (generation, conn number) for a new connection."""
        with self.lock:
            n = self.next_conn
            self.next_conn += 1
            return self.generation, n

    def note(self, text):
        with self.lock:
            if self.file is not None:
                self.file.write("# " + text + "\n")
                self.file.flush()

    def frame(self, generation, conn, direction, payload):
        with self.lock:
            if self.file is None or generation != self.generation:
                return
            if self.last_conn != conn:
                self.file.write("conn %d\n" % conn)
                self.last_conn = conn
            self.file.write("%s %s\n" % (direction, payload.hex()))
            self.file.flush()
            self.frames += 1
            self.last_frame_at = time.monotonic()
            self.lock.notify_all()

    def wait_idle(self, idle_ms):
        deadline = time.monotonic() + 20.0
        while time.monotonic() < deadline:
            with self.lock:
                quiet = time.monotonic() - self.last_frame_at
            if quiet * 1000.0 >= idle_ms:
                return True
            time.sleep(0.02)
        return False

    def wait_frames(self, count, timeout_ms):
        deadline = time.monotonic() + timeout_ms / 1000.0
        with self.lock:
            while self.frames < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.lock.wait(left)
            return True


class Link:
    """One proxied client connection: two pump threads, one per direction."""

    def __init__(self, proxy, client, upstream):
        self.proxy = proxy
        self.client = client
        self.upstream = upstream
        self.generation, self.conn = proxy.recorder.new_conn()
        self.closed = False

    def start(self):
        for src, dst, direction in (
            (self.client, self.upstream, "c2s"),
            (self.upstream, self.client, "s2c"),
        ):
            t = threading.Thread(target=self.pump, args=(src, dst, direction), daemon=True)
            t.start()

    def pump(self, src, dst, direction):
        buf = b""
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                buf += data
                while len(buf) >= 4:
                    (length,) = struct.unpack(">i", buf[:4])
                    if length < 0 or len(buf) < 4 + length:
                        break
                    payload = buf[4 : 4 + length]
                    self.proxy.recorder.frame(self.generation, self.conn, direction, payload)
                    dst.sendall(buf[: 4 + length])
                    buf = buf[4 + length :]
                if len(buf) >= 4 and struct.unpack(">i", buf[:4])[0] < 0:
                    # Not a frame stream (should not happen): forward raw.
                    dst.sendall(buf)
                    buf = b""
        except OSError:
            pass
        finally:
            if buf:
                self.proxy.recorder.note(
                    "conn %d %s: %d trailing bytes not a whole frame" % (self.conn, direction, len(buf))
                )
            self.close()

    def close(self):
        if self.closed:
            return
        self.closed = True
        for s in (self.client, self.upstream):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        self.proxy.forget(self)


class Proxy:
    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.recorder = Recorder()
        self.links = set()
        self.lock = threading.Lock()
        self.released = threading.Event()
        self.released.set()
        self.held = []

    def forget(self, link):
        with self.lock:
            self.links.discard(link)

    def drop(self, conn=None):
        with self.lock:
            generation = self.recorder.generation
            links = [
                link
                for link in self.links
                if conn is None or (link.conn == conn and link.generation == generation)
            ]
        for link in links:
            link.close()
        return len(links)

    def serve_clients(self, listener):
        while True:
            client, _ = listener.accept()
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                if not self.released.is_set():
                    self.held.append(client)
                    continue
            self.link(client)

    def hold(self):
        with self.lock:
            self.released.clear()

    def release(self):
        with self.lock:
            held, self.held = self.held, []
            self.released.set()
        for client in held:
            self.link(client)

    def link(self, client):
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        link = Link(self, client, upstream)
        with self.lock:
            self.links.add(link)
        link.start()

    def serve_control(self, listener):
        while True:
            conn, _ = listener.accept()
            threading.Thread(target=self.control_session, args=(conn,), daemon=True).start()

    def control_session(self, conn):
        with conn, conn.makefile("rw", encoding="utf-8", newline="\n") as f:
            for line in f:
                cmd, _, arg = line.rstrip("\n").partition(" ")
                reply = "ok"
                if cmd == "out":
                    self.recorder.start(arg)
                elif cmd == "note":
                    self.recorder.note(arg)
                elif cmd == "drop":
                    if self.drop(int(arg) if arg else None) == 0:
                        reply = "err no such connection"
                elif cmd == "wait":
                    n, ms = arg.split()
                    if not self.recorder.wait_frames(int(n), int(ms)):
                        reply = "err timeout"
                elif cmd == "idle":
                    if not self.recorder.wait_idle(int(arg)):
                        reply = "err timeout"
                elif cmd == "hold":
                    self.hold()
                elif cmd == "release":
                    self.release()
                elif cmd == "count":
                    with self.recorder.lock:
                        reply = "ok %d" % self.recorder.frames
                elif cmd == "stop":
                    self.recorder.stop()
                else:
                    reply = "err unknown command"
                f.write(reply + "\n")
                f.flush()


def listen(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--listen", type=int, default=22182)
    ap.add_argument("--upstream", type=int, default=22181)
    ap.add_argument("--control", type=int, default=22183)
    args = ap.parse_args()
    proxy = Proxy(args.upstream)
    clients = listen(args.listen)
    control = listen(args.control)
    threading.Thread(target=proxy.serve_control, args=(control,), daemon=True).start()
    print("proxy listening on %d -> %d, control %d" % (args.listen, args.upstream, args.control), flush=True)
    try:
        proxy.serve_clients(clients)
    except KeyboardInterrupt:
        pass
    proxy.recorder.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
