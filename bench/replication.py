"""Replication: full sync time and replication lag, pyredcache primary vs redis-server primary, same run.

The replica is a real redis-server 7.0.15 in both cases, so the primary's side of the protocol is what is
measured (producing and sending the RDB, then streaming).

1. Full sync: the primary holds N keys (`DEBUG POPULATE N`, default 1,000,000); a fresh replica runs
   REPLICAOF; the time from REPLICAOF until the replica reports master_link_status:up with N keys.
   Run with the primary's default diskless sync (repl-diskless-sync yes, delay 0) and disk-based sync.
2. Lag under load: redis-benchmark SETs at the primary (-c 50 -P 16, random keys) while the primary's
   master_repl_offset and the replica's slave_repl_offset are sampled every 50 ms; lag = offset difference
   in bytes. Reports the benchmark's throughput, the mean and max lag, and the time the replica needs to
   catch up once the load stops.

Usage: python bench/replication.py [--keys 1000000] [--requests 500000] [--quick]
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

import redis
from redis_benchmark import RESULTS, Server, start, versions

POLL = 0.05


def info(c: redis.Redis, section: str) -> dict[str, Any]:
    return dict(c.info(section))


def wait_synced(replica: redis.Redis, keys: int, timeout: float) -> float:
    """Seconds until the replica's link is up and it holds `keys` keys."""
    t0 = time.perf_counter()
    deadline = t0 + timeout
    while time.perf_counter() < deadline:
        try:
            rep = info(replica, "replication")
            if rep.get("master_link_status") == "up" and replica.dbsize() == keys:
                return time.perf_counter() - t0
        except redis.exceptions.BusyLoadingError:
            pass
        time.sleep(POLL)
    raise SystemExit(f"replica did not sync {keys} keys within {timeout}s")


def full_sync(kind: str, keys: int, diskless: bool) -> dict[str, Any]:
    primary: Server = start(kind, ["--repl-diskless-sync", "yes" if diskless else "no",
                                   "--repl-diskless-sync-delay", "0", "--enable-debug-command", "yes"])
    replica: Server = start("redis", [])
    try:
        p = redis.Redis(port=primary.port, socket_timeout=300)
        r = redis.Redis(port=replica.port, socket_timeout=300)
        p.execute_command("DEBUG", "POPULATE", keys)
        t0 = time.perf_counter()
        r.replicaof("127.0.0.1", primary.port)
        seconds = wait_synced(r, keys, timeout=600)
        total = time.perf_counter() - t0
        return {"primary": kind, "diskless": diskless, "keys": keys, "sync_s": round(seconds, 3),
                "total_s": round(total, 3), "primary_rss_kb": primary.rss_kb()}
    finally:
        replica.stop()
        primary.stop()


def lag_under_load(kind: str, requests: int) -> dict[str, Any]:
    primary: Server = start(kind, ["--repl-diskless-sync-delay", "0"])
    replica: Server = start("redis", [])
    try:
        p = redis.Redis(port=primary.port, socket_timeout=60)
        r = redis.Redis(port=replica.port, socket_timeout=60)
        r.replicaof("127.0.0.1", primary.port)
        wait_synced(r, 0, timeout=60)
        samples: list[int] = []
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                try:
                    primary_offset = int(info(p, "replication")["master_repl_offset"])
                    replica_offset = int(info(r, "replication").get("slave_repl_offset", 0))
                    samples.append(max(0, primary_offset - replica_offset))
                except redis.exceptions.RedisError:
                    pass
                time.sleep(POLL)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        bench = shutil.which("redis-benchmark") or "redis-benchmark"
        t0 = time.perf_counter()
        out = subprocess.run([bench, "-p", str(primary.port), "-t", "set", "-n", str(requests), "-c", "50",
                              "-P", "16", "-r", "100000", "-q"], capture_output=True, text=True, check=True)
        load_s = time.perf_counter() - t0
        stop.set()
        sampler.join()
        target = int(info(p, "replication")["master_repl_offset"])
        t1 = time.perf_counter()
        while int(info(r, "replication").get("slave_repl_offset", 0)) < target:
            if time.perf_counter() - t1 > 120:
                raise SystemExit("replica did not catch up within 120 s")
            time.sleep(0.01)
        catch_up = time.perf_counter() - t1
        line = [ln for ln in out.stdout.replace("\r", "\n").splitlines() if "requests per second" in ln]
        return {"primary": kind, "requests": requests, "load_s": round(load_s, 2),
                "set_ops": round(requests / load_s), "benchmark": line[-1].strip() if line else "",
                "lag_mean_bytes": round(statistics.fmean(samples)) if samples else 0,
                "lag_max_bytes": max(samples, default=0), "catch_up_s": round(catch_up, 3),
                "keys_equal": p.dbsize() == r.dbsize()}
    finally:
        replica.stop()
        primary.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=500_000)
    ap.add_argument("--quick", action="store_true", help="--keys 100000 --requests 100000")
    args = ap.parse_args(argv)
    if args.quick:
        args.keys, args.requests = 100_000, 100_000
    started = time.time()
    syncs = []
    for diskless in (True, False):
        for kind in ("pyredcache", "redis"):
            row = full_sync(kind, args.keys, diskless)
            syncs.append(row)
            print(f"  full sync {kind:10} {'diskless' if diskless else 'disk':8} {row['sync_s']:8.2f} s",
                  file=sys.stderr, flush=True)
    lags = []
    for kind in ("pyredcache", "redis"):
        row = lag_under_load(kind, args.requests)
        lags.append(row)
        print(f"  lag {kind:10} {row['set_ops']:,} SET/s  mean {row['lag_mean_bytes']:,} B  "
              f"max {row['lag_max_bytes']:,} B  catch-up {row['catch_up_s']} s", file=sys.stderr, flush=True)

    def pick(rows: list[dict[str, Any]], kind: str, **match: Any) -> dict[str, Any]:
        return next(r for r in rows if r["primary"] == kind and all(r[k] == v for k, v in match.items()))

    print(f"\nFull sync of {args.keys:,} keys (DEBUG POPULATE) to a redis-server replica:\n")
    print("| transfer | pyredcache s | redis s | ratio |")
    print("|---|---|---|---|")
    for diskless in (True, False):
        py, rd = pick(syncs, "pyredcache", diskless=diskless), pick(syncs, "redis", diskless=diskless)
        print(f"| {'diskless' if diskless else 'disk'} | {py['sync_s']:.2f} | {rd['sync_s']:.2f} | "
              f"{py['sync_s'] / rd['sync_s']:.2f}x |")
    py, rd = pick(lags, "pyredcache"), pick(lags, "redis")
    print(f"\nReplication lag under redis-benchmark SET -c 50 -P 16 ({args.requests:,} requests):\n")
    print("| measure | pyredcache | redis | ratio |")
    print("|---|---|---|---|")
    for name, key in (("SET/s at the primary", "set_ops"), ("mean lag (bytes)", "lag_mean_bytes"),
                      ("max lag (bytes)", "lag_max_bytes"), ("catch-up after load (s)", "catch_up_s")):
        ratio = f"{py[key] / rd[key]:.2f}x" if rd[key] else "n/a"
        print(f"| {name} | {py[key]:,} | {rd[key]:,} | {ratio} |")
    result = {"started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
              "duration_s": round(time.time() - started, 1), "settings": vars(args), "versions": versions(),
              "full_sync": syncs, "lag": lags}
    path = RESULTS / f"replication-{time.strftime('%Y%m%d-%H%M%S', time.localtime(started))}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nraw results: {path}  ({result['duration_s']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
