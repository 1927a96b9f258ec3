"""Cluster: throughput and failover time, pyredcache clusters vs redis-server clusters, same run, same machine.

1. Throughput: a 3-primary cluster without replicas (made by `redis-cli --cluster create`), driven by
   `redis-benchmark --cluster -t set,get -c 50 -r 100000` at pipeline depths 1 and 16: ops/s and the ratio.
2. Failover: a 6-node cluster (3 primaries, 1 replica each, cluster-node-timeout 2000 ms on both kinds). A
   primary is SIGKILLed; the time until its replica is a primary owning its slots in every surviving node's
   view AND every surviving node says cluster_state:ok with one config signature (redis-cli's consistency
   check), polled every 20 ms. The killed node is then restarted from its nodes.conf and rejoins as a
   replica before the next primary is killed (3 kills per run, 1 with --quick).

Nodes are started and joined by tests/helpers/cluster.py (the test harness). If one kind fails (for example a
pyredcache cluster that does not form), its half reports the error and the other half still runs.
Usage: python bench/cluster.py [--quick] [-n 200000] [--kills 3]
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from helpers.cluster import (  # noqa: E402
    ClusterHandle,
    is_replica_of,
    promoted,
    slots_of,
    start_cluster,
)
from redis_benchmark import RESULTS, versions  # noqa: E402

KINDS = ("pyredcache", "redis")
NODE_TIMEOUT = 2000
POLL = 0.02


def throughput(kind: str, requests: int, pipelines: list[int]) -> dict[str, Any]:
    h = start_cluster([kind] * 3, replicas=0, node_timeout=NODE_TIMEOUT)
    try:
        bench = shutil.which("redis-benchmark") or "redis-benchmark"
        out: dict[str, Any] = {}
        for p in pipelines:
            res = subprocess.run([bench, "--cluster", "-p", str(h.nodes[0].port), "-t", "set,get", "-n",
                                  str(requests), "-c", "50", "-P", str(p), "-r", "100000", "--csv"],
                                 capture_output=True, text=True, timeout=600)
            if res.returncode != 0:
                raise RuntimeError(f"redis-benchmark exited {res.returncode}: {res.stderr[-500:]}")
            text = res.stdout[res.stdout.index('"test"'):]
            for row in csv.DictReader(io.StringIO(text)):
                out[f"{row['test']} -P{p}"] = float(row["rps"])
        return out
    finally:
        h.stop()


def failover_times(kind: str, kills: int) -> list[dict[str, float]]:
    h: ClusterHandle = start_cluster([kind] * 6, replicas=1, node_timeout=NODE_TIMEOUT)
    try:
        h.client().set("warm", "1")
        rows = []
        for i in range(kills):
            victim = h.primaries()[i % 3]
            [heir] = h.replicas_of(victim)
            slots = slots_of(h.view(), victim)
            t0 = time.monotonic()
            h.kill(victim)
            deadline = t0 + 60
            t_promoted = None
            while time.monotonic() < deadline:
                try:
                    if t_promoted is None and heir.myself().role == "master":
                        t_promoted = time.monotonic() - t0
                    if promoted(h, heir, slots) and h.consistent():
                        break
                except Exception:
                    pass
                time.sleep(POLL)
            else:
                raise RuntimeError(f"{kind}: no recovery within 60 s of killing {victim!r}")
            t_ok = time.monotonic() - t0
            rows.append({"promoted_s": round(t_promoted or t_ok, 3), "ok_s": round(t_ok, 3)})
            print(f"  {kind:10} kill {i + 1}: replica promoted {rows[-1]['promoted_s']:.2f} s, "
                  f"cluster ok {t_ok:.2f} s", file=sys.stderr, flush=True)
            h.restart(victim)
            h.wait(lambda v=victim, n=heir: is_replica_of(h, v, n), 60, "the killed node to rejoin as a replica")
            h.wait_ok(60)
        return rows
    finally:
        h.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--requests", type=int, default=200_000)
    ap.add_argument("--kills", type=int, default=3)
    ap.add_argument("--pipelines", default="1,16")
    ap.add_argument("--quick", action="store_true", help="-n 50000 --kills 1")
    args = ap.parse_args(argv)
    if args.quick:
        args.requests, args.kills = 50_000, 1
    pipelines = [int(p) for p in args.pipelines.split(",")]
    started = time.time()
    results: dict[str, dict[str, Any]] = {k: {} for k in KINDS}
    for kind in KINDS:
        for part, fn in (("throughput", lambda k=kind: throughput(k, args.requests, pipelines)),
                         ("failover", lambda k=kind: failover_times(k, args.kills))):
            try:
                results[kind][part] = fn()
                if part == "throughput":
                    print(f"  {kind:10} " + "  ".join(f"{t}: {v:,.0f}/s" for t, v in results[kind][part].items()),
                          file=sys.stderr, flush=True)
            except Exception as exc:
                results[kind][part + "_error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
                print(f"  {kind:10} {part} FAILED: {results[kind][part + '_error']}", file=sys.stderr, flush=True)
                traceback.print_exc(limit=2, file=sys.stderr)

    def cell(kind: str, part: str, key: str) -> float | None:
        data = results[kind].get(part)
        if data is None:
            return None
        if part == "failover":
            ok = [r["ok_s"] for r in data]
            return {"promoted_mean": sum(r["promoted_s"] for r in data) / len(data),
                    "ok_mean": sum(ok) / len(ok), "ok_max": max(ok)}[key]
        return data.get(key)

    print(f"\nCluster throughput: 3 primaries, no replicas, redis-benchmark --cluster -c 50 -r 100000, "
          f"{args.requests:,} requests per test:\n")
    print("| test | pyredcache ops/s | redis ops/s | ratio |")
    print("|---|---|---|---|")
    for p in pipelines:
        for t in ("SET", "GET"):
            py, rd = cell("pyredcache", "throughput", f"{t} -P{p}"), cell("redis", "throughput", f"{t} -P{p}")
            ratio = f"{py / rd:.2f}x" if py and rd else "n/a"
            print(f"| {t} -P{p} | {f'{py:,.0f}' if py else 'error'} | {f'{rd:,.0f}' if rd else 'error'} | {ratio} |")
    print(f"\nSIGKILL of a primary → cluster_state:ok on every surviving node (6 nodes, node-timeout "
          f"{NODE_TIMEOUT} ms, {args.kills} kill(s) each):\n")
    print("| measure | pyredcache s | redis s | ratio |")
    print("|---|---|---|---|")
    for name, key in (("replica promoted (mean)", "promoted_mean"), ("cluster ok (mean)", "ok_mean"),
                      ("cluster ok (max)", "ok_max")):
        py, rd = cell("pyredcache", "failover", key), cell("redis", "failover", key)
        ratio = f"{py / rd:.2f}x" if py and rd else "n/a"
        print(f"| {name} | {f'{py:.2f}' if py else 'error'} | {f'{rd:.2f}' if rd else 'error'} | {ratio} |")
    for kind in KINDS:
        for part in ("throughput", "failover"):
            if part + "_error" in results[kind]:
                print(f"\n{kind} {part} failed: {results[kind][part + '_error']}")
    result = {"started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
              "duration_s": round(time.time() - started, 1), "settings": vars(args), "versions": versions(),
              "node_timeout_ms": NODE_TIMEOUT, "results": results}
    path = RESULTS / f"cluster-{time.strftime('%Y%m%d-%H%M%S', time.localtime(started))}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nraw results: {path}  ({result['duration_s']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
