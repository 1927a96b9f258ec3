"""maxmemory: Redis 7.0's performEvictions with its eight policies, the eviction pool and the time bound.

Before every command while maxmemory is set (the fast path hands requests to the pipeline once the keyspace
passes `FastPath.keyspace_limit`), evict until used_memory <= maxmemory or the time limit set by
maxmemory-eviction-tenacity runs out; in the latter case a loop callback keeps evicting between event-loop
turns (evictionTimeProc), so a big CONFIG SET maxmemory drop never stalls clients. When nothing can be evicted
(noeviction, or no candidate for a volatile-* policy) the result is EVICT_FAIL and the pipeline refuses
DENYOOM commands with the OOM error.

Victims: LRU/LFU/TTL policies sample maxmemory-samples keys of every db into the 16-slot EvictionPool
(_speedups.keyspace) and evict its best live candidate; random policies take a random key of the next db.
An evicted key goes the way of an expired one: WATCH invalidation and the `evicted` keyspace event.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .._speedups.keyspace import EvictionPool
from ..keyspace.notify import Event
from .memory import argv_bytes, not_counted_for_evict, used_memory

if TYPE_CHECKING:
    from .._speedups.keyspace import Db
    from .instance import Server

EVICT_OK = 0
EVICT_RUNNING = 1
EVICT_FAIL = 2

# EvictionPool modes (keyspace.pyx MODE_*): what a candidate's score is.
_MODE_LRU = 0
_MODE_LFU = 1
_MODE_TTL = 2
_MODES = {"lru": _MODE_LRU, "lfu": _MODE_LFU, "ttl": _MODE_TTL}

_DIRECTIVES = ("maxmemory", "maxmemory-policy", "maxmemory-samples", "maxmemory-eviction-tenacity",
               "lfu-log-factor", "lfu-decay-time")

_perf_ns = time.perf_counter_ns


def eviction_time_limit_us(tenacity: int) -> float:
    """evictionTimeLimitUs: 0..500 µs linearly up to tenacity 10, then +15% per step; 100 means no limit."""
    if tenacity <= 10:
        return 50.0 * tenacity
    if tenacity < 100:
        return 500.0 * 1.15 ** (tenacity - 10)
    return float("inf")


class Evictor:
    """The server's maxmemory state: settings read from the config, the pool, the background continuation."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.pool = EvictionPool()
        self.next_db = 0
        self.running = False        # isEvictionProcRunning
        self.maxmemory = 0
        self.volatile = False
        self.random = False
        self.noeviction = True
        self.mode = _MODE_LRU
        self.samples = 5
        self.time_limit_ns = 0.0
        for name in _DIRECTIVES:
            server.config.add_apply_hook(name, self._on_config)
        server.config.add_apply_hook("maxmemory", self._on_maxmemory)
        server.cron_hooks.append(self._cron)
        self._load()

    # -- configuration -------------------------------------------------------------------------------------

    def _load(self) -> None:
        server = self.server
        cfg = server.config
        self.maxmemory = int(cfg["maxmemory"])
        policy = str(cfg["maxmemory-policy"])
        kind = policy.rsplit("-", 1)[-1]
        self.noeviction = policy == "noeviction"
        self.volatile = policy.startswith("volatile-")
        self.random = kind == "random"
        self.mode = _MODES.get(kind, _MODE_LRU)
        self.samples = int(cfg["maxmemory-samples"])
        self.time_limit_ns = eviction_time_limit_us(int(cfg["maxmemory-eviction-tenacity"])) * 1000
        ctx = server.ctx
        ctx.lfu_mode = kind == "lfu"
        ctx.lfu_log_factor = int(cfg["lfu-log-factor"])
        ctx.lfu_decay_time = int(cfg["lfu-decay-time"])
        server.maxmemory_on = bool(self.maxmemory)
        self.refresh_limit()

    def _on_config(self, old: Any, new: Any) -> None:
        self._load()

    def _on_maxmemory(self, old: Any, new: Any) -> None:
        server = self.server
        if self.maxmemory:
            used = used_memory(server) - not_counted_for_evict(server)
            if self.maxmemory < used:
                server.log.warning(
                    f"WARNING: the new maxmemory value set via CONFIG SET ({self.maxmemory}) is smaller than the "
                    f"current memory usage ({used}). This will result in key eviction and/or the inability to "
                    "accept new write commands depending on the maxmemory-policy.")
            self._start_background()     # updateMaxmemory: evict down to the new limit from the event loop

    def refresh_limit(self) -> None:
        """Tell the fast path the keyspace size past which requests must go through the eviction check."""
        server = self.server
        if not self.maxmemory:
            server.fastpath.set_memory_guard(server.ctx, -1)
            return
        outside = used_memory(server) - server.ctx.keyspace_bytes - not_counted_for_evict(server)
        server.fastpath.set_memory_guard(server.ctx, max(0, self.maxmemory - outside))

    def _cron(self) -> None:
        # Requests below the limit take the fast path without calling perform_evictions, so the cron closes
        # an "over the limit" interval for the eviction_exceeded_time stats.
        if self.maxmemory and self.server.stats.eviction_exceeded_since:
            self.perform_evictions()

    # -- performEvictions ----------------------------------------------------------------------------------

    def _safe(self) -> bool:
        # isSafeToPerformEvictions: not while a busy script yields, nor while clients are paused, nor on a
        # replica that leaves memory to its primary (replica-ignore-maxmemory: the primary's DELs evict).
        server = self.server
        if server.repl.link is not None and server.config["replica-ignore-maxmemory"]:
            return False
        return server.script_busy is None and server.pause_end is None

    def perform_evictions(self, request: int = 0) -> int:
        """Evict until used_memory (plus `request` bytes of arguments being processed) fits maxmemory or the
        time limit passes: EVICT_OK, EVICT_RUNNING (the background continuation goes on) or EVICT_FAIL (over
        the limit and nothing can be evicted)."""
        server = self.server
        if not self.maxmemory or not self._safe():
            return EVICT_OK
        used = used_memory(server) + request - not_counted_for_evict(server)
        if used <= self.maxmemory:
            return self._exceeded(EVICT_OK)
        if self.noeviction:
            return self._exceeded(EVICT_FAIL)
        return self._exceeded(self._evict(used - self.maxmemory))

    def _exceeded(self, result: int) -> int:
        # The stat_*_eviction_exceeded_time bookkeeping: how long memory has stayed over the limit.
        stats = self.server.stats
        if result != EVICT_OK:
            if not stats.eviction_exceeded_since:
                stats.eviction_exceeded_since = _perf_ns()
        elif stats.eviction_exceeded_since:
            stats.eviction_exceeded_ns += _perf_ns() - stats.eviction_exceeded_since
            stats.eviction_exceeded_since = 0
        return result

    def _evict(self, to_free: int) -> int:
        ctx = self.server.ctx
        freed = 0
        evicted = 0
        deadline = _perf_ns() + self.time_limit_ns
        while freed < to_free:
            victim = self._pick()
            if victim is None:
                return EVICT_FAIL
            db, key = victim
            before = ctx.keyspace_bytes
            db.evict(key)
            freed += before - ctx.keyspace_bytes
            self._evicted(db, key)
            evicted += 1
            if evicted % 16 == 0 and _perf_ns() > deadline:
                self._start_background()
                break
        return EVICT_RUNNING if self.running else EVICT_OK

    def out_of_memory(self, argv: list[bytes] | None = None) -> bool:
        """processCommand's out_of_memory: eviction ran and could not bring memory (with the request's
        arguments, when given) under maxmemory."""
        return self.perform_evictions(argv_bytes(argv) if argv is not None else 0) == EVICT_FAIL

    def _pick(self) -> tuple[Db, bytes] | None:
        dbs = self.server.dbs
        if self.random:
            n = len(dbs)
            for _ in range(n):
                self.next_db += 1
                db = dbs[self.next_db % n]
                key = db.random_volatile_key() if self.volatile else (db.random_key() if len(db) else None)
                if key is not None:
                    return db, key
            return None
        return self.pool.pick(dbs, self.samples, self.mode, self.volatile)

    def _evicted(self, db: Db, key: bytes) -> None:
        # deleteEvictedKeyAndPropagate's signals, the same an expired key sends: WATCH, then the event.
        server = self.server
        server.stats.evicted_keys += 1
        if server.watch_hook is not None:
            server.watch_hook(db, key)
        if server.notify_hook is not None:
            server.notify_hook(db, key, b"evicted", Event.EVICTED)
        server.repl.prop.evicted(db, key)

    # -- evictionTimeProc ----------------------------------------------------------------------------------

    def _start_background(self) -> None:
        loop = self.server.loop
        if self.running or loop is None:
            return
        self.running = True
        loop.call_soon(self._background)

    def _background(self) -> None:
        # Runs once per event-loop turn, between client I/O, until memory fits (or nothing can be evicted).
        loop = self.server.loop
        if self.perform_evictions() == EVICT_RUNNING and loop is not None and not loop.is_closed():
            loop.call_soon(self._background)
            return
        self.running = False
