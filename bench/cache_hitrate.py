"""Cache hit rate under maxmemory eviction: pyredcache vs redis-server on the same Zipf workload.

A cache-aside client (GET k; on a miss SET k value) replays one seeded, Zipf-distributed (s = 0.99) key
sequence over a universe of keys against both servers, for allkeys-lru and allkeys-lfu. redis-server is sized
first: load exactly fit*universe keys of the workload's shape and take its used_memory growth G and its empty
used_memory E. Then three sizings are run (--sizing picks some):
  same         both servers get maxmemory = E + G, the limit a user would configure for Redis (the issue's
               comparison). pyredcache's empty used_memory is ~1 KB (its interpreter is not counted), so the
               ~0.9 MB Redis spends on itself is data room for pyredcache here.
  same-budget  each server gets its own empty used_memory + G: the same bytes for data on both, so
               pyredcache's larger per-key cost shows as fewer keys held (the strictest comparison).
  same-keys    each server gets its own empty used_memory + its own growth for fit*universe keys: both hold
               about the same number of keys, which compares the eviction algorithms alone.
A warm-up phase fills the cache; the measured phase counts hits. An exact LRU (OrderedDict) with the capacity
redis-server ended up holding is shown as a reference.

Usage: python bench/cache_hitrate.py [--quick] [--universe 100000] [--fit 0.2] [--requests 300000]
                                   [--sizing same same-budget same-keys]
"""
from __future__ import annotations

import argparse
import bisect
import itertools
import json
import random
import sys
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

import redis
from redis_benchmark import RESULTS, Server, start, versions

POLICIES = ("allkeys-lru", "allkeys-lfu")
SIZINGS = ("same", "same-budget", "same-keys")
BATCH = 1000


def zipf_sequence(universe: int, n: int, s: float, seed: int) -> list[int]:
    """n key ids drawn from a Zipf(s) law over `universe` ranks; ranks are shuffled onto key ids so the hot
    keys are spread over the key space."""
    rng = random.Random(seed)
    weights = [1.0 / (rank ** s) for rank in range(1, universe + 1)]
    cdf = list(itertools.accumulate(weights))
    total = cdf[-1]
    ids = list(range(universe))
    rng.shuffle(ids)
    return [ids[min(bisect.bisect_left(cdf, rng.random() * total), universe - 1)] for _ in range(n)]


def key(i: int) -> str:
    return f"cache:{i}"


def used(c: redis.Redis) -> int:
    return int(c.info("memory")["used_memory"])


def size_limit(c: redis.Redis, keys: int, value: bytes) -> dict[str, int]:
    """This server's used_memory when empty and its growth for `keys` keys of this shape; `maxmemory` is the
    limit that holds them by its own accounting."""
    c.flushall()
    used(c)
    empty = used(c)
    for lo in range(0, keys, BATCH):
        p = c.pipeline(transaction=False)
        for i in range(lo, min(lo + BATCH, keys)):
            p.set(key(i), value)
        p.execute()
    grown = used(c) - empty
    c.flushall()
    empty_after = used(c)
    return {"empty": empty, "grown": grown, "per_key": grown // keys, "maxmemory": empty_after + grown}


def replay(c: redis.Redis, seq: list[int], value: bytes) -> tuple[int, int]:
    """Cache-aside over seq in pipelined batches: GETs, then SETs for the misses. Returns (hits, requests)."""
    hits = 0
    for lo in range(0, len(seq), BATCH):
        batch = seq[lo:lo + BATCH]
        p = c.pipeline(transaction=False)
        for i in batch:
            p.get(key(i))
        replies = p.execute()
        p = c.pipeline(transaction=False)
        missed = False
        for i, v in zip(batch, replies, strict=True):
            if v is None:
                p.set(key(i), value)
                missed = True
            else:
                hits += 1
        if missed:
            p.execute()
    return hits, len(seq)


def exact_lru(seq: list[int], warm: int, capacity: int) -> float:
    cache: OrderedDict[int, None] = OrderedDict()
    hits = 0
    for n, i in enumerate(seq):
        if i in cache:
            cache.move_to_end(i)
            if n >= warm:
                hits += 1
        else:
            cache[i] = None
            if len(cache) > capacity:
                cache.popitem(last=False)
    return hits / (len(seq) - warm)


def redis_sizing(fit_keys: int, value: bytes) -> dict[str, int]:
    srv: Server = start("redis", ["--latency-tracking", "no"])
    try:
        c = redis.Redis(port=srv.port, socket_timeout=60, protocol=2)
        sizing = size_limit(c, fit_keys, value)
        c.close()
        return sizing
    finally:
        srv.stop()


def limit_for(mode: str, own: dict[str, int], ref: dict[str, int]) -> int:
    if mode == "same":
        return ref["maxmemory"]
    if mode == "same-budget":
        return own["maxmemory"] - own["grown"] + ref["grown"]
    return own["maxmemory"]


def run(kind: str, policy: str, mode: str, ref: dict[str, int], seq: list[int], warm: int, fit_keys: int,
        value: bytes, samples: int) -> dict[str, Any]:
    srv: Server = start(kind, ["--maxmemory-policy", policy, "--maxmemory-samples", str(samples),
                               "--latency-tracking", "no"])
    try:
        c = redis.Redis(port=srv.port, socket_timeout=60, protocol=2)
        sizing = size_limit(c, fit_keys, value)
        sizing["maxmemory"] = limit_for(mode, sizing, ref)
        c.config_set("maxmemory", sizing["maxmemory"])
        c.config_resetstat()
        t0 = time.perf_counter()
        replay(c, seq[:warm], value)
        t1 = time.perf_counter()
        hits, n = replay(c, seq[warm:], value)
        t2 = time.perf_counter()
        info = c.info("stats")
        out = {"server": kind, "policy": policy, "sizing": mode, "hits": hits, "requests": n, "hit_rate": hits / n,
               "keys_held": c.dbsize(), "evicted_keys": int(info["evicted_keys"]),
               "used_memory": used(c), "warmup_s": round(t1 - t0, 2), "measured_s": round(t2 - t1, 2), **sizing}
        c.close()
        return out
    finally:
        srv.stop()


def _row(rows: list[dict[str, Any]], server: str, policy: str, mode: str) -> dict[str, Any]:
    return next(r for r in rows if r["server"] == server and r["policy"] == policy and r["sizing"] == mode)


def table(rows: list[dict[str, Any]], ref: dict[str, float], modes: list[str]) -> str:
    head = ("sizing", "policy", "maxmemory py / redis", "pyredcache hit %", "redis hit %", "diff (pp)",
            "keys held py / redis", "bytes/key py / redis", "evicted py / redis", "exact LRU hit % (redis cap)")
    lines = [head]
    for mode, policy in itertools.product(modes, POLICIES):
        py = _row(rows, "pyredcache", policy, mode)
        rd = _row(rows, "redis", policy, mode)
        lines.append((mode, policy, f"{py['maxmemory']:,} / {rd['maxmemory']:,}", f"{100 * py['hit_rate']:.2f}", f"{100 * rd['hit_rate']:.2f}",
                      f"{100 * (py['hit_rate'] - rd['hit_rate']):+.2f}",
                      f"{py['keys_held']:,} / {rd['keys_held']:,}", f"{py['per_key']} / {rd['per_key']}",
                      f"{py['evicted_keys']:,} / {rd['evicted_keys']:,}", f"{100 * ref[policy]:.2f}"))
    widths = [max(len(r[i]) for r in lines) for i in range(len(head))]
    text = []
    for n, r in enumerate(lines):
        text.append("| " + " | ".join(c.ljust(w) if i < 2 else c.rjust(w)
                                      for i, (c, w) in enumerate(zip(r, widths, strict=True))) + " |")
        if n == 0:
            text.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--universe", type=int, default=100_000, help="distinct keys")
    ap.add_argument("--fit", type=float, default=0.2, help="fraction of the universe that fits in maxmemory")
    ap.add_argument("--zipf", type=float, default=0.99, help="Zipf exponent s")
    ap.add_argument("--warmup", type=int, default=200_000, help="requests before measuring")
    ap.add_argument("--requests", type=int, default=300_000, help="measured requests")
    ap.add_argument("--value-size", type=int, default=100)
    ap.add_argument("--samples", type=int, default=5, help="maxmemory-samples on both servers")
    ap.add_argument("--seed", type=int, default=20261127)
    ap.add_argument("--quick", action="store_true", help="--universe 20000 --warmup 40000 --requests 60000")
    ap.add_argument("--sizing", nargs="+", choices=SIZINGS, default=list(SIZINGS),
                    help="maxmemory sizings to run (see above); the target is checked on each")
    ap.add_argument("--output", type=Path, default=None)
    args = ap.parse_args(argv)
    if args.quick:
        args.universe, args.warmup, args.requests = 20_000, 40_000, 60_000
    fit_keys = int(args.universe * args.fit)
    value = b"x" * args.value_size
    started = time.time()
    seq = zipf_sequence(args.universe, args.warmup + args.requests, args.zipf, args.seed)
    ref_sizing = redis_sizing(fit_keys, value)
    rows = []
    for mode, policy in itertools.product(args.sizing, POLICIES):
        for kind in ("pyredcache", "redis"):
            row = run(kind, policy, mode, ref_sizing, seq, args.warmup, fit_keys, value, args.samples)
            rows.append(row)
            print(f"  {mode:11} {kind:10} {policy:12} hit rate {100 * row['hit_rate']:6.2f}%  keys held {row['keys_held']:,}"
                  f"  ({row['warmup_s']}s + {row['measured_s']}s)", file=sys.stderr, flush=True)
    ref = {p: exact_lru(seq, args.warmup, next(r["keys_held"] for r in rows
                                                if r["server"] == "redis" and r["policy"] == p))
           for p in POLICIES}
    text = table(rows, ref, args.sizing)
    print(f"\nZipf s={args.zipf} over {args.universe:,} keys, {args.warmup:,} warm-up + {args.requests:,} measured "
          f"GET-then-SET-on-miss requests (seed {args.seed}), values of {args.value_size} B, "
          f"maxmemory-samples {args.samples}.\nredis-server sizing for {fit_keys:,} such keys ({args.fit:.0%} of the "
          f"universe): empty {ref_sizing['empty']:,} B + growth {ref_sizing['grown']:,} B (see --help for the "
          f"sizings).\n")
    print(text)
    for mode in args.sizing:
        worst = min(100 * (_row(rows, "pyredcache", p, mode)["hit_rate"] - _row(rows, "redis", p, mode)["hit_rate"])
                    for p in POLICIES)
        print(f"{mode:11}: target pyredcache >= redis - 1pp {'met' if worst >= -1.0 else 'NOT met'} "
              f"(worst {worst:+.2f} pp)")
    result = {"started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
              "duration_s": round(time.time() - started, 1), "settings": vars(args) | {"output": None},
              "versions": versions(), "redis_sizing": ref_sizing, "rows": rows, "exact_lru_reference": ref, "table": text}
    path = args.output or RESULTS / f"cache_hitrate-{time.strftime('%Y%m%d-%H%M%S', time.localtime(started))}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"raw results: {path}  ({result['duration_s']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
