#!/usr/bin/env python3
"""Turns the raw results of scripts/bench-ensemble.sh (one directory of JSON and text files)
into the Markdown report it prints and writes to docs/perf/ensemble-<date>.md."""

import argparse
import datetime
import json
import pathlib
import statistics

IMPLS = ("zoorepld", "apache")


def load(out, name):
    return json.loads((out / name).read_text())


def read_kv(path):
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {k: v for k, v in pairs}


def failover_rounds(out, impl, rounds):
    found = []
    for r in range(1, rounds + 1):
        path = out / f"{impl}-failover-{r}.json"
        if path.exists():
            found.extend(json.loads(path.read_text())["rounds"])
    return found


def summary(values):
    return (statistics.median(values), max(values)) if values else (None, None)


def ratio(z, a):
    return z / a if z is not None and a else None


def fmt(x, digits=0):
    return "-" if x is None else f"{x:,.{digits}f}"


def fmt_ratio(r):
    return "-" if r is None else f"{r:.2f}x"


def verdict(r, target, at_least):
    if r is None:
        return "-"
    return "met" if (r >= target if at_least else r <= target) else "missed"


def throughput_rows(out):
    rows, notes = [], []
    for op in ("set", "get"):
        z, a = (load(out, f"{impl}-{op}.json") for impl in IMPLS)
        for d, impl in ((z, "zoorepld"), (a, "apache")):
            if d["errors"] or d["cleanup_failures"]:
                notes.append(f"{impl} {op}: {d['errors']} errors (first: {d['first_error']}), "
                             f"{d['cleanup_failures']} cleanup failures")
        tz, ta = z["throughput_ops_per_sec"], a["throughput_ops_per_sec"]
        r = ratio(tz, ta)
        rows.append(f"| {op} 64x32, ops/s | {fmt(tz)} | {fmt(ta)} | {fmt_ratio(r)} | >= 2x "
                    f"| {verdict(r, 2.0, True)} |")
        pz, pa = z["latency"]["p99_us"] / 1000, a["latency"]["p99_us"] / 1000
        rows.append(f"| {op} 64x32, p99 ms | {fmt(pz, 1)} | {fmt(pa, 1)} | "
                    f"{fmt_ratio(ratio(pz, pa))} | - | - |")
    return rows, notes


def failover_section(out, rounds):
    per = {impl: failover_rounds(out, impl, rounds) for impl in IMPLS}
    gap = {i: summary([r["write_gap_ms"] for r in per[i]]) for i in IMPLS}
    lead = {i: summary([r["leader_gap_ms"] for r in per[i] if r["leader_gap_ms"] is not None])
            for i in IMPLS}
    rows = []
    for label, s, target in (("kill -9 to first write, median ms", gap, True),
                             ("kill -9 to first write, max ms", gap, False),
                             ("kill -9 to new leader (srvr), median ms", lead, False),
                             ("kill -9 to new leader (srvr), max ms", lead, False)):
        k = 0 if "median" in label else 1
        z, a = s["zoorepld"][k], s["apache"][k]
        r = ratio(z, a)
        goal, met = ("<= 0.5x", verdict(r, 0.5, False)) if target else ("-", "-")
        rows.append(f"| failover: {label} | {fmt(z, 1)} | {fmt(a, 1)} | {fmt_ratio(r)} "
                    f"| {goal} | {met} |")
    kept = {i: f"{sum(r['session_kept'] for r in per[i])}/{len(per[i])}" for i in IMPLS}
    rows.append(f"| failover: writer's session kept | {kept['zoorepld']} | {kept['apache']} "
                "| - | - | - |")
    detail = ["| round | zoorepld killed | write gap ms | leader gap ms | failed writes "
              "| apache killed | write gap ms | leader gap ms | failed writes |",
              "|---|---|---|---|---|---|---|---|---|"]
    for i in range(max(len(per["zoorepld"]), len(per["apache"]))):
        cells = [str(i + 1)]
        for impl in IMPLS:
            if i < len(per[impl]):
                r = per[impl][i]
                cells += [f"server {r['killed_server']}", fmt(r["write_gap_ms"], 1),
                          fmt(r["leader_gap_ms"], 1), str(r["failed_writes"])]
            else:
                cells += ["-"] * 4
        detail.append("| " + " | ".join(cells) + " |")
    return rows, detail


def machine_section(out, m):
    lines = [
        f"- {m.get('nproc')} CPUs ({m.get('cpu')}), {m.get('mem_mib')} MiB RAM, "
        f"Linux {m.get('kernel')}.",
        f"- Load average (1, 5, 15 min) at the start: {m.get('load_start')}; at the end: "
        f"{m.get('load_end')}.",
        f"- zoorepl commit {m.get('commit')}; Apache ZooKeeper {m.get('apache')} on "
        f"{m.get('java')}, default JVM heap (max {m.get('java_max_heap_mib')} MiB: a quarter "
        "of RAM), no other JVM option.",
        "- Busiest processes when the run started (`ps`, NI = nice):",
        "",
        "```",
        (out / "ps-start.txt").read_text().rstrip(),
        "```",
    ]
    return lines


def extra_notes(out):
    lines = ["- Sessions per server, from `srvr` in the middle of each throughput case "
             "(port, mode, connections; one of them is the probe itself):", "", "```"]
    lines.append((out / "connections.txt").read_text().rstrip())
    lines += ["```", "", "- Resident memory after the throughput cases, KiB:", "", "```"]
    lines.append((out / "rss-kib.txt").read_text().rstrip())
    lines.append("```")
    return lines


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out", type=pathlib.Path)
    p.add_argument("--duration", type=float)
    p.add_argument("--warmup", type=float)
    p.add_argument("--rounds", type=int)
    a = p.parse_args()
    m = read_kv(a.out / "machine.txt")
    t_rows, t_notes = throughput_rows(a.out)
    f_rows, f_detail = failover_section(a.out, a.rounds)
    today = datetime.date.today().isoformat()
    print(f"# zoorepld vs Apache ZooKeeper {m.get('apache')}, 3-server ensembles, {today}\n")
    print("Produced by `scripts/bench-ensemble.sh` (one run; the two ensembles on this machine "
          "at the same time, cases alternating between them). Ratios are zoorepld / Apache.\n")
    print("| measure | zoorepld | apache | ratio | target | |")
    print("|---|---|---|---|---|---|")
    print("\n".join(t_rows + f_rows))
    print("\n## Failover rounds (alternating: zoorepld round r, then Apache round r)\n")
    print("\n".join(f_detail))
    print("\n## How it was run\n")
    print(f"- Both ensembles: 3 voters on 127.0.0.1, tickTime={m.get('tick_ms')}, initLimit=10, "
          "syncLimit=5, default maxClientCnxns (60), data on the same disk, fsync on; "
          "zoorepld from `zoorepl ensemble start`, Apache from "
          "`scripts/apache-zk.sh ensemble-start` (QuorumPeerMain).")
    print(f"- Throughput: `zoorepl bench --server <all three> --op set|get --clients 64 "
          f"--outstanding 32 --value-size 100 --keys 10000 --duration {a.duration:g} "
          f"--warmup {a.warmup:g}`; order: zoorepld set, Apache set, Apache get, zoorepld get.")
    print("- Failover: `zoorepl bench failover --server <all three> --pid-file "
          "<dir>/server-{id}/<pid file> --restart-cmd '<start server {id}>' --rounds 1`, "
          f"{a.rounds} times for each, alternating; the restart commands are "
          "`zoorepl ensemble start-one --dir D --id {id}` and "
          "`scripts/apache-zk.sh ensemble-start --dir D --server {id}`. The writer is one "
          "session over the three servers (zookeeper-client crate, 30 s session timeout "
          "requested), creating znodes one after another; the write gap runs from the "
          "moment `kill -9` returned to the success of the first create issued after it, and "
          "includes the client library's reconnect back-off; the leader gap is the first "
          "`Mode: leader` among the survivors, polled every 10 ms.")
    print("\n## Machine\n")
    print("\n".join(machine_section(a.out, m)))
    print("\n## Recorded during the run\n")
    print("\n".join(extra_notes(a.out)))
    if t_notes:
        print("\n- Errors: " + "; ".join(t_notes))


if __name__ == "__main__":
    main()
