"""Unit tests for the keyspace's memory accounting, LRU/LFU bookkeeping and eviction pool (_speedups.keyspace).

The server-level behaviour (policies through real clients, against redis-server) is in
tests/commands/test_eviction.py; these pin the data-structure rules those rely on.
"""

from __future__ import annotations

import random

import pytest

from pyredcache._speedups.keyspace import Context, Db, EvictionPool, value_size
from pyredcache._speedups.memsize import alloc_size, bytes_size

NOW = 1_700_000_000_000
MODE_LRU, MODE_LFU, MODE_TTL = 0, 1, 2


@pytest.fixture
def ctx() -> Context:
    c = Context()
    c.now_ms = NOW
    c.seed_random(7)
    return c


@pytest.fixture
def dbs(ctx: Context) -> list[Db]:
    return [Db(ctx, i) for i in range(4)]


def _recount(dbs: list[Db]) -> int:
    """keyspace_bytes from scratch: per-key sizes plus the bucket arrays (as memory_overhead reports them)."""
    total = 0
    for db in dbs:
        main, expires = db.memory_overhead()
        total += main + expires + db.value_bytes()
    return total


def test_alloc_size_follows_pymalloc_then_malloc() -> None:
    assert alloc_size(1) == 16 and alloc_size(16) == 16 and alloc_size(17) == 32
    assert alloc_size(512) == 512
    assert alloc_size(513) == 528     # malloc chunk: 8-byte header, 16-byte alignment
    assert bytes_size(10) == 48       # 33 + 10 -> 48
    assert value_size(b"x" * 10) == 48
    assert value_size(bytearray(b"abc")) == alloc_size(56) + alloc_size(bytearray(b"abc").__alloc__())


def test_keyspace_bytes_is_exact_through_every_write_path(ctx: Context, dbs: list[Db]) -> None:
    start = ctx.keyspace_bytes
    assert start == _recount(dbs)
    rng = random.Random(3)
    for step in range(6000):
        db = dbs[rng.randrange(len(dbs))]
        key = b"k%d" % rng.randrange(400)
        op = rng.randrange(9)
        if op == 0:
            db.set_key(key, b"v" * rng.randrange(0, 700))
        elif op == 1:
            db.add(key, bytearray(b"x" * rng.randrange(50)))
        elif op == 2:
            db.delete(key)
        elif op == 3 and db.exists(key):
            db.set_expire(key, NOW + rng.randrange(-5, 5000))
        elif op == 4:
            db.remove_expire(key)
        elif op == 5:
            db.pop(key)
        elif op == 6 and db.exists(key):
            db.set_value(key, b"y" * rng.randrange(100))
        elif op == 7:
            value = db.peek(key)
            if isinstance(value, bytearray):
                value.extend(b"z" * 300)        # in place, like APPEND: resize() re-measures
                db.resize(key)
        elif op == 8:
            ctx.now_ms += 1                     # lets TTLs pass, so lazy expiry frees keys too
            db.lookup_read(key)
        if step % 500 == 0:
            assert ctx.keyspace_bytes == _recount(dbs)
    dbs[0].swap_with(dbs[1])
    assert ctx.keyspace_bytes == _recount(dbs)
    for db in dbs:
        db.clear()
    assert ctx.keyspace_bytes == start


def test_per_key_cost_of_small_strings(ctx: Context, dbs: list[Db]) -> None:
    # key:N -> value:N (DEBUG POPULATE's shape): an entry with the key inline (48 B), the value (48 B), and
    # one bucket pointer per key at most; the bench compares this with redis-server.
    db = dbs[0]
    before = ctx.keyspace_bytes
    for i in range(100_000, 200_000):
        db.set_key(b"key:%d" % i, b"value:%d" % i)
    per_key = (ctx.keyspace_bytes - before) / 100_000
    assert 96 <= per_key <= 96 + 16
    assert db.key_memory(b"key:150000") == 96


def test_lru_touch_and_idle_time(ctx: Context, dbs: list[Db]) -> None:
    db = dbs[0]
    db.set_key(b"a", b"1")
    db.set_key(b"b", b"1")
    ctx.now_ms += 10_000
    db.lookup_read(b"a")
    db.peek(b"b")                   # no touch
    assert db.idle_seconds(b"a") == 0
    assert db.idle_seconds(b"b") == 10
    db.set_key(b"b", b"2")          # an overwrite is an access
    assert db.idle_seconds(b"b") == 0
    assert db.idle_seconds(b"missing") == -1


def test_lfu_counter_starts_at_5_grows_logarithmically_and_decays(ctx: Context, dbs: list[Db]) -> None:
    ctx.lfu_mode = True
    ctx.lfu_log_factor = 10
    ctx.lfu_decay_time = 1
    db = dbs[0]
    db.set_key(b"hot", b"1")
    assert db.lfu_count(b"hot") == 5
    for _ in range(100):
        db.lookup_read(b"hot")
    after_100 = db.lfu_count(b"hot")
    for _ in range(10_000):
        db.lookup_read(b"hot")
    after_10k = db.lfu_count(b"hot")
    # Redis's table for factor 10: ~10 after 100 hits, ~18 after 1k, ~142 after 100k.
    assert 6 <= after_100 <= 14
    assert after_100 < after_10k <= 60
    ctx.now_ms += 3 * 60_000        # three decay periods of one minute
    assert db.lfu_count(b"hot") == after_10k - 3
    ctx.lfu_log_factor = 0          # every hit counts
    for _ in range(50):
        db.lookup_read(b"hot")
    assert db.lfu_count(b"hot") == min(255, after_10k - 3 + 50)


def test_pool_prefers_the_longest_idle_key(ctx: Context, dbs: list[Db]) -> None:
    db = dbs[0]
    for i in range(200):
        db.set_key(b"k%d" % i, b"v")
    ctx.now_ms += 100_000
    for i in range(1, 200):
        db.lookup_read(b"k%d" % i)  # all but k0 were used just now
    pool = EvictionPool()
    seen = set()
    for _ in range(200):            # the pool keeps the best candidates across calls
        picked = pool.pick(dbs, 16, MODE_LRU, False)
        assert picked is not None
        if picked[1] == b"k0":
            break
        seen.add(picked[1])
        picked[0].evict(picked[1])
    else:
        pytest.fail("k0 was never picked")
    assert len(seen) < 60


def test_volatile_pool_never_offers_keys_without_ttl(ctx: Context, dbs: list[Db]) -> None:
    persistent = dbs[1]
    for i in range(300):
        persistent.set_key(b"p%d" % i, b"v")
    volatile = dbs[2]
    for i in range(50):
        volatile.set_key(b"t%d" % i, b"v")
        volatile.set_expire(b"t%d" % i, NOW + 1000 * (i + 1))
    pool = EvictionPool()
    evicted = []
    while (picked := pool.pick(dbs, 5, MODE_LRU, True)) is not None:
        assert picked[0] is volatile
        picked[0].evict(picked[1])
        evicted.append(picked[1])
    assert len(evicted) == 50 and len(persistent) == 300
    assert pool.pick(dbs, 5, MODE_TTL, True) is None


def test_ttl_mode_picks_the_nearest_expiry(ctx: Context, dbs: list[Db]) -> None:
    db = dbs[0]
    for i in range(100):
        db.set_key(b"t%d" % i, b"v")
        db.set_expire(b"t%d" % i, NOW + 1000 * (i + 1))
    pool = EvictionPool()
    order = []
    for _ in range(20):
        picked = pool.pick(dbs, 10, MODE_TTL, True)
        assert picked is not None
        picked[0].evict(picked[1])
        order.append(int(picked[1][1:]))
    # Sampling is approximate; the first victims are among the nearest expiries.
    assert sum(order) / len(order) < 30


def test_lfu_mode_evicts_cold_keys_first(ctx: Context, dbs: list[Db]) -> None:
    ctx.lfu_mode = True
    db = dbs[0]
    for i in range(100):
        db.set_key(b"k%d" % i, b"v")
    for i in range(10):
        for _ in range(200):
            db.lookup_read(b"k%d" % i)   # k0..k9 hot
    pool = EvictionPool()
    for _ in range(80):
        picked = pool.pick(dbs, 10, MODE_LFU, False)
        assert picked is not None
        picked[0].evict(picked[1])
    survivors = set(db.keys())
    assert {b"k%d" % i for i in range(10)} <= survivors


def test_random_volatile_key_only_returns_keys_with_ttl(ctx: Context, dbs: list[Db]) -> None:
    db = dbs[0]
    assert db.random_volatile_key() is None
    for i in range(100):
        db.set_key(b"p%d" % i, b"v")
    db.set_key(b"t", b"v")
    db.set_expire(b"t", NOW + 10)
    for _ in range(20):
        assert db.random_volatile_key() == b"t"
