"""maxmemory and the eviction policies, run the same way against pyredcache and a real redis-server 7.0.

used_memory is each server's own accounting (pyredcache's per-key size differs from Redis's), so no test
assumes byte counts: limits are set relative to what the server itself reports after loading keys, and the
assertions are about behaviour (which keys survive, OOM errors, counters, events). Exact reply bytes are
compared in tests/oracle/test_oracle_eviction.py.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from helpers.wait import wait_until

KINDS = ["redis", "pyredcache"]
OOM = "command not allowed when used memory > 'maxmemory'."
VALUE = b"v" * 32
# Per-key headroom above the measured used_memory when the limit is set: a few keys' worth, so that the
# next writes are the ones that have to evict.
HEADROOM_KEYS = 5

Start = Callable[..., redis.Redis]


@pytest.fixture(params=KINDS)
def start(request: pytest.FixtureRequest, server_factory: Any) -> Iterator[Start]:
    """start(**directives) -> a redis-py client to a private server of the parametrized kind."""
    clients: list[redis.Redis] = []

    def make(**directives: Any) -> redis.Redis:
        # latency-tracking off: redis-server allocates a ~50 kB latency histogram the first time each
        # command runs, which would move its used_memory under the tests' feet.
        opts = {"maxmemory_samples": 10, "enable_debug_command": "yes", "latency_tracking": "no", **directives}
        sp = server_factory(request.param, **opts)
        c = redis.Redis(port=sp.port, socket_timeout=10, protocol=2)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


def connect(c: redis.Redis, db: int = 0) -> redis.Redis:
    """Another connection to the server `c` talks to."""
    return redis.Redis(port=c.connection_pool.connection_kwargs["port"], db=db, socket_timeout=10, protocol=2)


def used(c: redis.Redis) -> int:
    return int(c.info("memory")["used_memory"])


def stat(c: redis.Redis, name: str) -> int:
    return int(c.info("stats")[name])


def evicted(c: redis.Redis) -> int:
    return stat(c, "evicted_keys")


def load(c: redis.Redis, prefix: str, n: int, ex: Callable[[int], int] | None = None) -> None:
    """SET prefix:i VALUE for i < n, pipelined in batches of 50 (small query buffers)."""
    for lo in range(0, n, 50):
        p = c.pipeline(transaction=False)
        for i in range(lo, min(lo + 50, n)):
            if ex is None:
                p.set(f"{prefix}:{i}", VALUE)
            else:
                p.set(f"{prefix}:{i}", VALUE, ex=ex(i))
        p.execute()


def surviving(c: redis.Redis, prefix: str, n: int) -> set[int]:
    p = c.pipeline(transaction=False)
    for i in range(n):
        p.exists(f"{prefix}:{i}")
    return {i for i, e in enumerate(p.execute()) if e}


def per_key(c: redis.Redis, before: int, n: int) -> int:
    return max(1, (used(c) - before) // n)


def limit_here(c: redis.Redis, size: int, keys: int = HEADROOM_KEYS) -> int:
    """Set maxmemory to the current used_memory plus `keys` keys of `size` bytes; returns the limit."""
    limit = used(c) + keys * size
    c.config_set("maxmemory", limit)
    return limit


def oom(fn: Callable[[], Any]) -> None:
    with pytest.raises(redis.ResponseError) as exc:
        fn()
    assert OOM in str(exc.value)


# ------------------------------------------------------------------------------------------------ noeviction


def test_noeviction_rejects_denyoom_writes_but_serves_reads_and_deletes(start: Start) -> None:
    c = start(maxmemory_policy="noeviction")
    before = used(c)
    load(c, "k", 400)
    size = per_key(c, before, 400)
    c.config_set("maxmemory", used(c) - 50 * size)
    oom(lambda: c.set("new", "x"))
    oom(lambda: c.lpush("l", "x"))
    oom(lambda: c.sadd("s", "x"))
    oom(lambda: c.hset("h", "f", "v"))
    oom(lambda: c.zadd("z", {"m": 1}))
    oom(lambda: c.incr("k:0"))
    oom(lambda: c.append("k:0", "x"))
    oom(lambda: c.mset({"a": 1, "b": 2}))
    assert c.get("k:1") == VALUE
    assert c.exists("k:1", "k:2") == 2
    assert c.expire("k:3", 1000) is True
    assert c.ttl("k:3") > 0
    assert c.persist("k:3") is True
    assert c.dbsize() == 400
    assert evicted(c) == 0
    # DEL is not DENYOOM and frees memory: afterwards SET fits again.
    p = c.pipeline(transaction=False)
    for i in range(300):
        p.delete(f"k:{i}")
    assert p.execute() == [1] * 300
    assert c.set("new", "x") is True
    assert c.dbsize() == 101
    assert evicted(c) == 0


# ------------------------------------------------------------------------------------------------ LRU / LFU


def test_allkeys_lru_keeps_recently_read_keys(start: Start) -> None:
    c = start(maxmemory_policy="allkeys-lru")
    before = used(c)
    load(c, "cold", 600)
    load(c, "hot", 150)
    size = per_key(c, before, 750)
    # The LRU clock has a 1 s resolution: one bounded wait makes every key at least 2 s idle.
    wait_until(lambda: c.object("idletime", "hot:149") >= 2, timeout=10, interval=0.1,
               message="keys to be 2 s idle")
    p = c.pipeline(transaction=False)
    for i in range(150):
        p.get(f"hot:{i}")
    assert all(v == VALUE for v in p.execute())
    assert c.object("idletime", "hot:0") < c.object("idletime", "cold:0")
    limit = limit_here(c, size)
    load(c, "new", 300)
    hot = surviving(c, "hot", 150)
    cold = surviving(c, "cold", 600)
    assert len(hot) >= 0.9 * 150, f"only {len(hot)}/150 hot keys survived"
    assert len(cold) <= 600 - 200, f"{len(cold)}/600 cold keys survived"
    assert evicted(c) >= 200
    assert used(c) <= limit + 3 * size   # evictions run before each command


def test_allkeys_lfu_keeps_frequently_read_keys(start: Start) -> None:
    c = start(maxmemory_policy="allkeys-lfu")
    before = used(c)
    load(c, "cold", 600)
    load(c, "hot", 150)
    size = per_key(c, before, 750)
    p = c.pipeline(transaction=False)
    for _ in range(20):
        for i in range(150):
            p.get(f"hot:{i}")
    p.execute()
    assert c.object("freq", "hot:0") > c.object("freq", "cold:0")
    limit = limit_here(c, size)
    load(c, "new", 300)
    hot = surviving(c, "hot", 150)
    assert len(hot) >= 0.9 * 150, f"only {len(hot)}/150 hot keys survived"
    assert len(surviving(c, "cold", 600)) + len(surviving(c, "new", 300)) <= 900 - 200
    assert evicted(c) >= 200
    assert used(c) <= limit + 3 * size   # evictions run before each command


def test_eviction_pool_spans_databases(start: Start) -> None:
    c = start(maxmemory_policy="allkeys-lfu")
    dbs = {n: connect(c, n) for n in (1, 2)}
    try:
        before = used(c)
        load(c, "hot", 150)                    # db 0, read often
        load(dbs[1], "cold", 600)              # db 1, never read
        size = per_key(c, before, 750)
        p = c.pipeline(transaction=False)
        for _ in range(20):
            for i in range(150):
                p.get(f"hot:{i}")
        p.execute()
        limit_here(c, size)
        load(dbs[2], "new", 300)               # db 2: room must come from the other databases
        assert len(surviving(c, "hot", 150)) >= 0.9 * 150
        assert len(surviving(dbs[1], "cold", 600)) <= 600 - 150
        info = c.info("keyspace")
        assert set(info) == {"db0", "db1", "db2"}
    finally:
        for d in dbs.values():
            d.close()


@pytest.mark.parametrize("factor", [0, 10])
def test_lfu_log_factor_controls_counter_growth(start: Start, factor: int) -> None:
    c = start(maxmemory_policy="allkeys-lfu", lfu_log_factor=factor)
    c.set("k", "v")
    assert c.object("freq", "k") == 5          # LFU_INIT_VAL for a new key
    p = c.pipeline(transaction=False)
    for _ in range(100):
        p.get("k")
    p.execute()
    freq = c.object("freq", "k")
    if factor == 0:
        assert freq == 105                     # every access increments when the factor is 0
    else:
        assert 6 <= freq <= 30, freq           # logarithmic: 100 hits move it only a few steps


def test_object_freq_and_idletime_need_matching_policy(start: Start) -> None:
    c = start(maxmemory_policy="allkeys-lru")
    c.set("k", "v")
    assert c.object("idletime", "k") >= 0
    with pytest.raises(redis.ResponseError, match="An LFU maxmemory policy is not selected"):
        c.object("freq", "k")
    c.config_set("maxmemory-policy", "volatile-lfu")
    assert c.object("freq", "k") >= 0
    with pytest.raises(redis.ResponseError, match="An LFU maxmemory policy is selected"):
        c.object("idletime", "k")


# ------------------------------------------------------------------------------------------------ volatile-*


@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"])
def test_volatile_policies_never_evict_persistent_keys(start: Start, policy: str) -> None:
    c = start(maxmemory_policy=policy)
    before = used(c)
    load(c, "p", 300)
    load(c, "v", 300, ex=lambda i: 10_000 + i)
    size = per_key(c, before, 600)
    limit_here(c, size)
    load(c, "new", 150)                        # persistent new keys: room is made by evicting volatile ones
    assert surviving(c, "p", 300) == set(range(300))
    assert surviving(c, "new", 150) == set(range(150))
    assert len(surviving(c, "v", 300)) <= 300 - 75
    assert evicted(c) >= 75
    # Once only persistent keys are left and memory is still over the limit, DENYOOM writes fail.
    c.config_set("maxmemory", before + 100 * size)
    wait_until(lambda: c.dbsize() == 450, timeout=10, message="every volatile key to be evicted")
    oom(lambda: c.set("one-more", "x"))
    oom(lambda: c.set("one-more", "x", ex=100))
    assert c.dbsize() == 450
    assert surviving(c, "p", 300) == set(range(300))
    assert c.get("p:0") == VALUE


def test_volatile_ttl_evicts_nearest_expiry_first(start: Start) -> None:
    c = start(maxmemory_policy="volatile-ttl")
    before = used(c)
    load(c, "t", 400, ex=lambda i: 1000 + 10 * i)
    size = per_key(c, before, 400)
    limit_here(c, size)
    load(c, "new", 200)
    alive = surviving(c, "t", 400)
    k = len(alive)
    assert k <= 400 - 150
    ideal = set(range(400 - k, 400))           # the k keys with the longest TTLs
    assert len(alive & ideal) >= 0.85 * k, f"{len(alive & ideal)}/{k} survivors are among the longest TTLs"
    # Sampling (maxmemory-samples 10 into a pool of 16) is close to, not exactly, the nearest-expiry order.
    assert len([i for i in alive if i < 100]) <= 0.1 * k, sorted(alive)


def test_allkeys_random_bounds_the_dataset(start: Start) -> None:
    c = start(maxmemory_policy="allkeys-random")
    before = used(c)
    load(c, "a", 500)
    size = per_key(c, before, 500)
    limit = limit_here(c, size)
    load(c, "b", 500)
    assert c.dbsize() <= 500 + 2 * HEADROOM_KEYS
    assert evicted(c) >= 480
    assert used(c) <= limit + 3 * size   # evictions run before each command
    assert 0 < len(surviving(c, "a", 500)) < 500   # random: both old and new keys go


# ------------------------------------------------------------------------------------------------ side effects


def test_eviction_counts_notifies_and_breaks_watch(start: Start) -> None:
    c = start(maxmemory_policy="allkeys-random", notify_keyspace_events="Ee")
    sub = c.pubsub()
    sub.psubscribe("__keyevent@0__:*")
    assert sub.get_message(timeout=5)["type"] == "psubscribe"
    load(c, "k", 50)
    watcher = connect(c)
    try:
        pipe = watcher.pipeline(transaction=True)
        pipe.watch("k:7")
        c.config_set("maxmemory", 1)           # everything is over: every key is evicted
        wait_until(lambda: c.dbsize() == 0, timeout=10, message="every key to be evicted")
        c.config_set("maxmemory", 0)           # over the limit even GET could not be queued in MULTI
        pipe.multi()
        pipe.get("k:7")
        with pytest.raises(redis.WatchError):
            pipe.execute()
        pipe.reset()
    finally:
        watcher.close()
    assert evicted(c) == 50
    got: set[bytes] = set()

    def drain() -> bool:
        msg = sub.get_message(timeout=0.5)
        if msg and msg["type"] == "pmessage":
            assert msg["channel"] == b"__keyevent@0__:evicted"
            got.add(msg["data"])
        return len(got) == 50

    wait_until(drain, timeout=10, interval=0, message="50 evicted events")
    assert got == {f"k:{i}".encode() for i in range(50)}
    sub.close()


def test_config_set_lower_maxmemory_evicts_down_and_stays_responsive(start: Start) -> None:
    c = start(maxmemory_policy="allkeys-random")
    before = used(c)
    c.execute_command("DEBUG", "POPULATE", 50_000)
    assert c.dbsize() == 50_000
    grown = used(c) - before
    limit = before + grown // 2
    other = connect(c)
    try:
        other.ping()
        c.config_set("maxmemory", limit)
        assert other.ping() is True            # answered while (or after) the server evicts
        wait_until(lambda: used(other) <= limit, timeout=20, interval=0.05,
                   message=f"used_memory to drop to {limit}")
    finally:
        other.close()
    n = c.dbsize()
    assert 5_000 < n < 45_000, n
    assert evicted(c) == 50_000 - n


def test_config_set_policy_takes_effect_at_once(start: Start) -> None:
    c = start(maxmemory_policy="noeviction")
    before = used(c)
    load(c, "k", 300)
    size = per_key(c, before, 300)
    c.config_set("maxmemory", used(c) - 20 * size)
    oom(lambda: c.set("x", "1"))
    c.config_set("maxmemory-policy", "allkeys-lru")
    assert c.set("x", "1") is True
    assert evicted(c) >= 1
    c.config_set("maxmemory-policy", "noeviction")
    c.config_set("maxmemory", used(c) - 20 * size)
    oom(lambda: c.set("y", "1"))
    c.config_set("maxmemory", 0)              # 0 = no limit
    assert c.set("y", "1") is True


def test_multi_with_denyoom_command_over_the_limit_aborts(start: Start) -> None:
    c = start(maxmemory_policy="noeviction")
    c.set("k", "v")
    c.config_set("maxmemory", 1)
    # Over the limit, Redis 7 refuses to queue any command (queueing itself takes memory), so even a
    # read-only transaction is aborted; a plain read still works.
    for cmds in (["get", "set"], ["get", "ttl"]):
        pipe = c.pipeline(transaction=True)
        for name in cmds:
            getattr(pipe, name)(*(("k", "w") if name == "set" else ("k",)))
        with pytest.raises(redis.ResponseError) as exc:
            pipe.execute()
        assert OOM in str(exc.value)
    assert c.get("k") == b"v"
    c.config_set("maxmemory", 0)
    pipe = c.pipeline(transaction=True)
    pipe.get("k")
    pipe.set("k", "w")
    assert pipe.execute() == [b"v", True]


def test_script_write_over_the_limit_fails(start: Start) -> None:
    c = start(maxmemory_policy="noeviction")
    c.set("k", "v")
    c.config_set("maxmemory", 1)
    with pytest.raises(redis.ResponseError) as exc:
        c.eval("return redis.call('set', KEYS[1], 'w')", 1, "k")
    assert OOM in str(exc.value)
    assert c.eval("return redis.call('get', KEYS[1])", 1, "k") == b"v"
    assert c.get("k") == b"v"


# ------------------------------------------------------------------------------------------------ MEMORY


def test_memory_usage_grows_with_the_value(start: Start) -> None:
    c = start()
    c.set("small", "x" * 10)
    c.set("big", "x" * 10_000)
    c.rpush("list", *range(1000))
    small, big = c.memory_usage("small"), c.memory_usage("big")
    assert small is not None and big is not None
    assert big >= small + 9_000
    assert c.memory_usage("list") > small
    assert c.memory_usage("list", samples=0) > small
    assert c.memory_usage("missing") is None
    with pytest.raises(redis.ResponseError, match="not an integer"):
        c.execute_command("MEMORY", "USAGE", "small", "SAMPLES", "x")
    with pytest.raises(redis.ResponseError, match="syntax error"):
        c.execute_command("MEMORY", "USAGE", "small", "SAMPLES", "-1")
    assert isinstance(c.execute_command("MEMORY", "DOCTOR"), bytes)
    stats = c.execute_command("MEMORY", "STATS")
    assert b"keys.count" in stats and b"dataset.bytes" in stats


def test_info_memory_reports_the_limit_and_policy(start: Start) -> None:
    c = start(maxmemory_policy="allkeys-lfu", maxmemory="100mb")
    m = c.info("memory")
    for field in ("used_memory", "used_memory_human", "used_memory_rss", "used_memory_peak", "used_memory_dataset",
                  "maxmemory", "maxmemory_human", "maxmemory_policy", "mem_fragmentation_ratio",
                  "mem_not_counted_for_evict"):
        assert field in m, field
    assert m["maxmemory"] == 100 * 1024 * 1024
    assert m["maxmemory_human"] == "100.00M"
    assert m["maxmemory_policy"] == "allkeys-lfu"
    assert m["used_memory"] > 0 and m["used_memory_peak"] >= m["used_memory"]


def test_eviction_exceeded_time_counts_time_over_the_limit(start: Start) -> None:
    c = start(maxmemory_policy="noeviction")
    c.set("k", VALUE)
    assert stat(c, "total_eviction_exceeded_time") == 0
    c.config_set("maxmemory", 1)
    with pytest.raises(redis.exceptions.OutOfMemoryError):
        c.set("x", VALUE)            # performEvictions fails: the server is now over the limit
    wait_until(lambda: stat(c, "current_eviction_exceeded_time") >= 20, timeout=10,
               message="current_eviction_exceeded_time to grow while over the limit")
    c.config_set("maxmemory", 0)
    c.config_set("maxmemory", 1 << 30)
    c.set("y", VALUE)                # under the limit again: the interval is closed
    wait_until(lambda: stat(c, "current_eviction_exceeded_time") == 0, timeout=10,
               message="current_eviction_exceeded_time to drop to 0 once under the limit")
    assert stat(c, "total_eviction_exceeded_time") >= 20
