"""Memory per key: pyredcache vs redis-server for many small string keys.

Two rows, each on freshly started servers (RSS never shrinks back, so rows do not share a process):
  populate  DEBUG POPULATE N (key:i -> value:i), done inside each server;
  set       SET key:i val%07d (10-byte values) from redis-py, pipelined in batches of 1,000.
For each: the used_memory growth per key (each server's own accounting, what maxmemory is compared with)
and the RSS growth per key (/proc/<pid>/status VmRSS), and the pyredcache / redis ratios.
Target: pyredcache used_memory per key within 1.5x of redis-server's.

Usage: python bench/memory_per_key.py [--keys 1000000] [--quick]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import redis
from redis_benchmark import RESULTS, start, versions

BATCH = 1000


def used(c: redis.Redis) -> int:
    return int(c.info("memory")["used_memory"])


def fill_set(c: redis.Redis, n: int) -> None:
    for lo in range(0, n, BATCH):
        p = c.pipeline(transaction=False)
        for i in range(lo, min(lo + BATCH, n)):
            p.set(f"key:{i}", f"val{i:07d}")
        p.execute()


def measure(kind: str, row: str, n: int) -> dict[str, Any]:
    srv = start(kind, ["--enable-debug-command", "yes", "--latency-tracking", "no"])
    try:
        c = redis.Redis(port=srv.port, socket_timeout=600, protocol=2)
        used(c)
        mem0, rss0 = used(c), srv.rss_kb() * 1024
        t0 = time.perf_counter()
        if row == "populate":
            c.execute_command("DEBUG", "POPULATE", n)
        else:
            fill_set(c, n)
        elapsed = time.perf_counter() - t0
        assert c.dbsize() == n, (kind, row, c.dbsize())
        mem1, rss1 = used(c), srv.rss_kb() * 1024
        c.close()
        return {"server": kind, "row": row, "keys": n, "used_before": mem0, "used_after": mem1,
                "rss_before": rss0, "rss_after": rss1, "used_per_key": (mem1 - mem0) / n,
                "rss_per_key": (rss1 - rss0) / n, "load_s": round(elapsed, 2)}
    finally:
        srv.stop()


def table(rows: list[dict[str, Any]]) -> str:
    head = ("row", "py used B/key", "redis used B/key", "used ratio", "py RSS B/key", "redis RSS B/key",
            "RSS ratio", "load s py / redis")
    lines = [head]
    for name in ("populate", "set"):
        py = next((r for r in rows if r["server"] == "pyredcache" and r["row"] == name), None)
        rd = next((r for r in rows if r["server"] == "redis" and r["row"] == name), None)
        if py is None or rd is None:
            continue
        lines.append((name, f"{py['used_per_key']:.1f}", f"{rd['used_per_key']:.1f}",
                      f"{py['used_per_key'] / rd['used_per_key']:.2f}x", f"{py['rss_per_key']:.1f}",
                      f"{rd['rss_per_key']:.1f}", f"{py['rss_per_key'] / rd['rss_per_key']:.2f}x",
                      f"{py['load_s']} / {rd['load_s']}"))
    widths = [max(len(r[i]) for r in lines) for i in range(len(head))]
    text = []
    for k, r in enumerate(lines):
        text.append("| " + " | ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                      for i, (c, w) in enumerate(zip(r, widths, strict=True))) + " |")
        if k == 0:
            text.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--rows", default="populate,set", help="comma list of: populate, set")
    ap.add_argument("--quick", action="store_true", help="--keys 100000")
    ap.add_argument("--output", type=Path, default=None)
    args = ap.parse_args(argv)
    if args.quick:
        args.keys = 100_000
    started = time.time()
    rows = []
    for name in [r.strip() for r in args.rows.split(",") if r.strip()]:
        for kind in ("pyredcache", "redis"):
            row = measure(kind, name, args.keys)
            rows.append(row)
            print(f"  {kind:10} {name:8} used {row['used_per_key']:7.1f} B/key  RSS {row['rss_per_key']:7.1f} B/key"
                  f"  ({row['load_s']} s)", file=sys.stderr, flush=True)
    text = table(rows)
    print(f"\n{args.keys:,} keys per row, fresh servers per row; used = used_memory growth (each server's own "
          f"accounting), RSS = VmRSS growth; ratio = pyredcache / redis (target used ratio <= 1.5x).\n")
    print(text)
    result = {"started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
              "duration_s": round(time.time() - started, 1), "settings": {"keys": args.keys, "rows": args.rows},
              "versions": versions(), "rows": rows, "table": text}
    path = args.output or RESULTS / f"memory_per_key-{time.strftime('%Y%m%d-%H%M%S', time.localtime(started))}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nraw results: {path}  ({result['duration_s']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
