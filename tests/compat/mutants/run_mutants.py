#!/usr/bin/env python3
"""Run the kazoo suite through proxy.py once per mutant and report which tests catch each one.

    run_mutants.py --upstream 127.0.0.1:24181 [--port 24190] [--mutants a,b]

The identity proxy is the baseline (a few tests fail there only because they look at the
address the client connected to, e.g. `conf`'s clientPort). A mutant is "caught" when some test
fails that passes on the baseline. Exit status 1 if any mutant survives.
"""

import argparse
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SUITE = os.path.join(os.path.dirname(HERE), "kazoo")
MUTANTS = ["drop-events", "late-events", "badversion-nonode", "cversion-creates",
           "no-close-on-expiry", "stale-zxid"]


def run_suite(py, proxy_addr, extra):
    env = dict(os.environ, ZK_SERVER=proxy_addr)
    env.setdefault("ZK_TEST_TIMEOUT", "30")
    cmd = [py, "-m", "pytest", SUITE, "-p", "no:cacheprovider", "-q", "-rf"] + extra
    try:
        out = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             timeout=900, check=False).stdout
    except subprocess.TimeoutExpired as e:
        out = (e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or ""))
        return {"<suite hung: killed after 900s>"} | set(re.findall(r"^FAILED (\S+)", out, re.M)), "hung"
    failed = set(re.findall(r"^FAILED (\S+)", out, re.M))
    summary = [l for l in out.splitlines() if re.search(r"\d+ (passed|failed)", l)]
    return failed, (summary[-1] if summary else out[-300:])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--port", type=int, default=24190)
    ap.add_argument("--mutants", default=",".join(MUTANTS))
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("pytest_args", nargs="*")
    args = ap.parse_args()

    results = {}
    for mutant in ["identity"] + args.mutants.split(","):
        addr = f"127.0.0.1:{args.port}"
        proxy = subprocess.Popen([args.python, os.path.join(HERE, "proxy.py"), "--listen", addr,
                                  "--upstream", args.upstream, "--mutant", mutant],
                                 stdout=subprocess.PIPE, text=True)
        proxy.stdout.readline()  # "listening"
        t0 = time.monotonic()
        try:
            failed, summary = run_suite(args.python, addr, args.pytest_args)
        finally:
            proxy.terminate()
            proxy.wait(10)
        results[mutant] = failed
        print(f"{mutant:20s} {time.monotonic() - t0:5.1f}s  {summary}", flush=True)

    base = results["identity"]
    print(f"\nbaseline (identity proxy) failures: {sorted(base) or 'none'}")
    survivors = []
    for mutant, failed in results.items():
        if mutant == "identity":
            continue
        caught = sorted(failed - base)
        if not caught:
            survivors.append(mutant)
        print(f"\n{mutant}: caught by {len(caught)} test(s)")
        for t in caught[:12]:
            print(f"    {t}")
        if len(caught) > 12:
            print(f"    ... and {len(caught) - 12} more")
    print(f"\nmutants: {len(results) - 1 - len(survivors)} caught, {len(survivors)} survived"
          + (f" ({', '.join(survivors)})" if survivors else ""))
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
