#!/usr/bin/env python3
"""Run commands.zk through one Debian zkCli.sh process against a server and compare the
normalised transcript with expected.txt.

    check.py --server 127.0.0.1:2181            # compare, exit 1 on any difference
    check.py --server 127.0.0.1:2181 --update   # rewrite expected.txt (use against Apache)
    check.py --server h:p1,h:p2,h:p3 [--update] # an ensemble: expected-ensemble.txt too

--server is a connect string, passed to zkCli's -server as it is (zkCli picks one of its
servers). When it names several servers, the server is taken to be a member of an ensemble:
the commands whose output differs there (`/zookeeper/config` holds the ensemble's membership)
are expected as in expected-ensemble.txt, which holds only those commands, and --update
rewrites only that file (from a run against an Apache ensemble).

zkCli does not echo commands when stdin is not a terminal, so before each command the runner
sends `get /zkcli-step-N`; its "Node does not exist: /zkcli-step-N" line marks where that
command's output starts. The output is then normalised:
  * zxids (cZxid/mZxid/pZxid) become Z1, Z2, ... by rank among all non-zero zxids printed,
    so equality and order between them are still checked, but not their absolute values;
  * ctime/mtime become <time> (the epoch, used by built-in nodes, is kept as is);
  * a non-zero ephemeralOwner becomes <session>;
  * `[a, b]` lists (ls, getEphemerals) are sorted, and so are the lines of `ls -R`,
    since the server's child order is not defined;
  * zkCli's banner, SLF4J noise and connection-state WATCHER blocks are dropped;
  * in membership lines (`server.N=host:port:port:role;host:port`) the ports become
    <quorumPort>, <electionPort> and <clientPort> (dataLength still counts their digits:
    run-against-ensemble.sh uses five-digit ports, as the recorded Apache ensemble did).
"""

import argparse
import difflib
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_ZKCLI = "/usr/share/zookeeper/bin/zkCli.sh"
MARK = "/zkcli-step-"
MARK_RE = re.compile(r"^Node does not exist: /zkcli-step-(\d+)$")
WATCHER_RE = re.compile(r"\n?WATCHER::\n\nWatchedEvent state:\w+ type:\w+ path:\S+\n")
ZXID_RE = re.compile(r"^([cmp]Zxid) = (0x[0-9a-f]+)$")
TIME_RE = re.compile(r"^([cm]time) = (.*)$")
EPOCH = "Thu Jan 01 00:00:00 UTC 1970"
MEMBER_RE = re.compile(r"^(server\.\d+=[^:;]+):\d+:\d+(:\w+)?(?:;(.*):\d+)?$")


def normalise_member(line):
    m = MEMBER_RE.match(line)
    if not m:
        return line
    out = f"{m.group(1)}:<quorumPort>:<electionPort>{m.group(2) or ''}"
    if m.group(3) is not None:
        out += f";{m.group(3)}:<clientPort>"
    return out


def load_commands(path):
    cmds = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cmds.append(line)
    return cmds


def run_zkcli(zkcli, server, cmds, timeout):
    lines = []
    for i, c in enumerate(cmds, 1):
        lines.append(f"get {MARK}{i}")
        lines.append(c[1:] if c.startswith("-") else c)
    lines.append(f"get {MARK}{len(cmds) + 1}")
    lines.append("quit")
    env = dict(os.environ, TZ="UTC")
    env.setdefault("CLIENT_JVMFLAGS", "-Xshare:auto -XX:TieredStopAtLevel=1")
    proc = subprocess.run(
        [zkcli, "-server", server], input="\n".join(lines) + "\n", text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout, env=env, check=False,
    )
    return proc.stdout


def split_blocks(raw, n):
    """Output lines per command, by marker; None for a command whose marker never showed."""
    raw = WATCHER_RE.sub("\n", raw)
    blocks = {}
    current = None
    for line in raw.splitlines():
        if line.startswith("SLF4J:"):
            continue
        m = MARK_RE.match(line)
        if m:
            current = int(m.group(1))
            blocks[current] = []
            continue
        if current is not None:
            blocks[current].append(line)
    out = []
    for i in range(1, n + 1):
        b = blocks.get(i)
        if b is not None:
            while b and not b[-1].strip():
                b.pop()
        out.append(b)
    return out


def normalise(cmds, blocks):
    zxids = set()
    for b in blocks:
        for line in b or []:
            m = ZXID_RE.match(line)
            if m and int(m.group(2), 16) != 0:
                zxids.add(int(m.group(2), 16))
    rank = {z: f"Z{i}" for i, z in enumerate(sorted(zxids), 1)}
    transcript = []
    for cmd, b in zip(cmds, blocks):
        transcript.append(f"> {cmd}")
        if cmd.startswith("-"):
            continue
        if b is None:
            transcript.append("<no output marker: zkCli stopped or hung before this command>")
            continue
        lines = []
        for line in b:
            m = ZXID_RE.match(line)
            if m:
                z = int(m.group(2), 16)
                line = f"{m.group(1)} = {rank[z] if z else '0x0'}"
            m = TIME_RE.match(line)
            if m and m.group(2) != EPOCH:
                line = f"{m.group(1)} = <time>"
            if line.startswith("ephemeralOwner = ") and line != "ephemeralOwner = 0x0":
                line = "ephemeralOwner = <session>"
            if line.startswith("[") and line.endswith("]") and len(line) > 2:
                line = "[" + ", ".join(sorted(line[1:-1].split(", "))) + "]"
            lines.append(normalise_member(line))
        if cmd.startswith("ls -R") and lines:
            lines = [lines[0]] + sorted(lines[1:])
        transcript.extend(lines)
    return transcript


def by_cmd(lines):
    """A transcript as [command line, output lines] pairs."""
    out, cur = [], None
    for line in lines:
        if line.startswith("> "):
            cur = [line, []]
            out.append(cur)
        elif cur is not None:
            cur[1].append(line)
    return out


def flatten(blocks):
    return [line for cmd, out in blocks for line in [cmd, *out]]


def with_overrides(expected, overrides):
    """expected.txt with the output of each command that expected-ensemble.txt lists replaced
    by the output given there (such a command must occur once in the script)."""
    blocks = by_cmd(expected)
    for cmd, out in by_cmd(overrides):
        matching = [b for b in blocks if b[0] == cmd]
        if len(matching) != 1:
            raise SystemExit(f"zkcli: {cmd!r} of expected-ensemble.txt occurs "
                             f"{len(matching)} times in expected.txt, not once")
        matching[0][1] = out
    return flatten(blocks)


def differing(expected, actual):
    """The blocks of `actual` whose output differs from `expected` (same command list)."""
    exp, act = by_cmd(expected), by_cmd(actual)
    if [c for c, _ in exp] != [c for c, _ in act]:
        raise SystemExit("zkcli: command list differs from expected.txt; update it first")
    return flatten([a for e, a in zip(exp, act) if e[1] != a[1]])


def compare(expected, actual):
    """Per-command comparison. Returns (passed, failed, report lines)."""
    exp, act = by_cmd(expected), by_cmd(actual)
    passed = failed = 0
    report = []
    if [c for c, _ in exp] != [c for c, _ in act]:
        report.append("command list differs from expected.txt; run with --update against Apache")
        return 0, max(len(exp), 1), report
    for (cmd, e), (_, a) in zip(exp, act):
        if e == a:
            passed += 1
            continue
        failed += 1
        report.append(f"MISMATCH {cmd}")
        report.extend("    " + d for d in difflib.unified_diff(e, a, "expected", "actual", lineterm="", n=2))
    return passed, failed, report


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", required=True, help="connect string: host:port[,host:port...]")
    ap.add_argument("--commands", default=os.path.join(HERE, "commands.zk"))
    ap.add_argument("--expected", default=os.path.join(HERE, "expected.txt"))
    ap.add_argument("--expected-ensemble", default=os.path.join(HERE, "expected-ensemble.txt"))
    ap.add_argument("--zkcli", default=os.environ.get("ZKCLI", DEFAULT_ZKCLI))
    ap.add_argument("--update", action="store_true", help="write the transcript to --expected")
    ap.add_argument("--raw", help="also write zkCli's raw output here")
    ap.add_argument("--timeout", type=float, default=120)
    args = ap.parse_args()

    cmds = load_commands(args.commands)
    t0 = time.monotonic()
    try:
        raw = run_zkcli(args.zkcli, args.server, cmds, args.timeout)
    except subprocess.TimeoutExpired as e:
        raw = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        print(f"zkcli: zkCli.sh did not finish within {args.timeout:.0f}s", file=sys.stderr)
    if args.raw:
        with open(args.raw, "w", encoding="utf-8") as f:
            f.write(raw)
    transcript = normalise(cmds, split_blocks(raw, len(cmds)))
    elapsed = time.monotonic() - t0

    ensemble = len(args.server.partition("/")[0].split(",")) > 1
    with open(args.expected, encoding="utf-8") as f:
        expected = f.read().splitlines()
    if args.update:
        target = args.expected_ensemble if ensemble else args.expected
        lines = differing(expected, transcript) if ensemble else transcript
        with open(target, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        print(f"zkcli: wrote {target} ({len(cmds)} commands, {elapsed:.1f}s)")
        return 0

    if ensemble:
        with open(args.expected_ensemble, encoding="utf-8") as f:
            expected = with_overrides(expected, f.read().splitlines())
    passed, failed, report = compare(expected, transcript)
    for line in report:
        print(line)
    print(f"zkcli: {len(cmds)} commands, {passed} matched, {failed} differed ({elapsed:.1f}s)")
    print(f"ZKCLI_RESULT passed={passed} failed={failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
