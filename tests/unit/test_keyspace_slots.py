"""Unit tests for the keyspace's per-slot key index (cluster mode of _speedups.keyspace).

In cluster mode every entry is linked into its slot's list and each slot keeps a count, so
count_keys_in_slot() is a single array read and keys_in_slot(slot, n) follows at most n links: both are
O(1)/O(n) by construction (no loop over the table exists in them), which these tests do not time. What they
pin is that every write path keeps the lists equal to a from-scratch recount, and that memory accounting
stays exact with the 16 extra bytes per entry and the slot arrays.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from pyredcache._speedups.keyspace import Context, Db
from pyredcache._speedups.memsize import alloc_size
from pyredcache._speedups.slots import key_hash_slot
from pyredcache.datatypes.sets import RedisSet

NOW = 1_700_000_000_000
SLOTS = 16384


@pytest.fixture
def ctx() -> Context:
    c = Context()
    c.now_ms = NOW
    c.seed_random(11)
    return c


@pytest.fixture
def dbs(ctx: Context) -> list[Db]:
    made = [Db(ctx, i) for i in range(3)]
    ctx.cluster_mode = True          # as the server does: right after the dbs exist, while they are empty
    return made


@contextmanager
def _all_visible(ctx: Context) -> Iterator[None]:
    # keys() hides logically expired keys; at time 0 none is (stored TTLs are >= 0), so keys() lists the
    # physical contents, which is what the slot index holds.
    saved = ctx.now_ms
    ctx.now_ms = 0
    try:
        yield
    finally:
        ctx.now_ms = saved


def _recount_bytes(dbs: list[Db]) -> int:
    total = 0
    for db in dbs:
        main, expires = db.memory_overhead()
        total += main + expires + db.value_bytes()
    return total


def _check(db: Db) -> None:
    """The slot index equals a recount of the keys physically in ``db``."""
    with _all_visible(db.ctx):
        keys = db.keys()
    expected: dict[int, set[bytes]] = {}
    for k in keys:
        expected.setdefault(key_hash_slot(k), set()).add(k)
    assert db.slots_with_keys() == sorted(expected)
    assert sum(db.count_keys_in_slot(s) for s in expected) == len(db) == len(keys)
    for slot, members in expected.items():
        listed = db.keys_in_slot(slot, len(members) + 5)
        assert db.count_keys_in_slot(slot) == len(members)
        assert len(listed) == len(members) and set(listed) == members
        assert db.keys_in_slot(slot, 1) == listed[:1]      # deterministic order, bounded by count


def _tagged_key(rng: random.Random) -> bytes:
    # Few hash tags put many keys in the same slots (long lists, middle unlinks); plain keys spread out.
    if rng.random() < 0.6:
        return b"{t%d}k%d" % (rng.randrange(6), rng.randrange(60))
    return b"k%d" % rng.randrange(300)


def test_mode_switch_only_while_every_db_is_empty(ctx: Context) -> None:
    a, b = Db(ctx, 0), Db(ctx, 1)
    assert not ctx.cluster_mode
    with pytest.raises(RuntimeError):
        a.count_keys_in_slot(0)
    with pytest.raises(RuntimeError):
        a.slots_with_keys()
    assert a.slot_of(b"foo") == key_hash_slot(b"foo") == 12182    # works in any mode
    b.set_key(b"x", b"1")
    with pytest.raises(ValueError, match="empty"):
        ctx.cluster_mode = True
    b.delete(b"x")
    ctx.cluster_mode = True
    assert ctx.cluster_mode
    a.set_key(b"x", b"1")
    with pytest.raises(ValueError):
        ctx.cluster_mode = False
    ctx.cluster_mode = True          # no change: allowed
    a.clear()
    ctx.cluster_mode = False
    a.set_key(b"x", b"1")
    assert a.key_memory(b"x") == alloc_size(32 + 1) + 48


def test_slot_argument_is_checked(dbs: list[Db]) -> None:
    db = dbs[0]
    for bad in (-1, SLOTS):
        with pytest.raises(ValueError):
            db.count_keys_in_slot(bad)
        with pytest.raises(ValueError):
            db.keys_in_slot(bad, 1)
        with pytest.raises(ValueError):
            db.delete_keys_in_slot(bad)
    assert db.count_keys_in_slot(0) == 0 and db.keys_in_slot(SLOTS - 1, 10) == []
    assert db.slots_with_keys() == [] and db.delete_keys_in_slot(5) == 0


def test_hash_tags_share_a_slot(dbs: list[Db]) -> None:
    db = dbs[0]
    keys = [b"{user1000}.following", b"{user1000}.followers", b"foo{}{bar}", b"foo{{bar}}zap", b"{}", b"a{b"]
    for k in keys:
        db.set_key(k, b"v")
    slot = key_hash_slot(b"user1000")
    assert db.slot_of(b"{user1000}.following") == slot
    assert db.count_keys_in_slot(slot) == 2
    assert set(db.keys_in_slot(slot, 10)) == {b"{user1000}.following", b"{user1000}.followers"}
    assert db.slot_of(b"foo{}{bar}") == key_hash_slot(b"foo{}{bar}")     # empty tag: whole key hashed
    assert db.slot_of(b"foo{{bar}}zap") == key_hash_slot(b"{bar")
    _check(db)


def test_keys_in_slot_is_bounded_and_newest_first(dbs: list[Db]) -> None:
    db = dbs[0]
    for i in range(50):
        db.set_key(b"{s}%d" % i, b"v")
    slot = key_hash_slot(b"s")
    assert db.count_keys_in_slot(slot) == 50
    assert db.keys_in_slot(slot, 3) == [b"{s}49", b"{s}48", b"{s}47"]
    assert db.keys_in_slot(slot, 0) == [] and db.keys_in_slot(slot, -1) == []
    assert len(db.keys_in_slot(slot, 10**9)) == 50
    db.delete(b"{s}48")              # unlink from the middle
    db.delete(b"{s}49")              # and the head
    db.delete(b"{s}0")               # and the tail
    assert db.keys_in_slot(slot, 2) == [b"{s}47", b"{s}46"]
    assert db.keys_in_slot(slot, 100)[-1] == b"{s}1"
    _check(db)


def test_delete_keys_in_slot(ctx: Context, dbs: list[Db]) -> None:
    db = dbs[0]
    for i in range(40):
        db.set_key(b"{a}%d" % i, RedisSet([b"m%d" % i]) if i % 2 else b"v")
        db.set_key(b"{b}%d" % i, b"v")
        if i % 3 == 0:
            db.set_expire(b"{a}%d" % i, NOW + 10)
    ctx.now_ms += 100                # some of the slot's keys are now logically expired: still deleted
    assert db.delete_keys_in_slot(key_hash_slot(b"a")) == 40
    assert db.count_keys_in_slot(key_hash_slot(b"a")) == 0 and db.expires_count() == 0
    assert len(db) == 40 and db.count_keys_in_slot(key_hash_slot(b"b")) == 40
    _check(db)
    assert ctx.keyspace_bytes == _recount_bytes(dbs)


def test_per_key_cost_in_cluster_mode(ctx: Context, dbs: list[Db]) -> None:
    db = dbs[0]
    before = ctx.keyspace_bytes
    db.set_key(b"first", b"v")
    arrays = 2 * alloc_size(SLOTS * 8)
    assert ctx.keyspace_bytes - before == arrays + alloc_size(16 + 32 + 5) + 48
    assert db.memory_overhead()[0] == arrays + alloc_size(16 + 32 + 5) + alloc_size(4 * 8)
    db.delete(b"first")
    before = ctx.keyspace_bytes
    for i in range(100_000, 200_000):
        db.set_key(b"key:%d" % i, b"value:%d" % i)
    per_key = (ctx.keyspace_bytes - before) / 100_000
    assert 112 <= per_key <= 112 + 16        # 16 bytes more than outside cluster mode (links in the entry)
    assert db.key_memory(b"key:150000") == 112
    db.clear()
    _check(db)
    assert ctx.keyspace_bytes == _recount_bytes(dbs)


def test_dropping_a_db_returns_its_bytes(ctx: Context) -> None:
    ctx.cluster_mode = True
    before = ctx.keyspace_bytes
    db = Db(ctx, 0)
    for i in range(100):
        db.set_key(b"k%d" % i, b"v")
        db.set_expire(b"k%d" % i, NOW + i)
    del db
    gc.collect()
    assert ctx.keyspace_bytes == before
    ctx.cluster_mode = False          # the dropped db's entries no longer count


def test_random_operations_keep_the_index_exact(ctx: Context, dbs: list[Db]) -> None:
    rng = random.Random(5)
    start = ctx.keyspace_bytes
    for step in range(5000):
        db = dbs[rng.randrange(len(dbs))]
        other = dbs[rng.randrange(len(dbs))]
        key = _tagged_key(rng)
        op = rng.randrange(16)
        if op <= 2:
            db.set_key(key, b"v" * rng.randrange(40), keep_ttl=rng.random() < 0.3)
        elif op == 3:
            db.add(key, bytearray(b"x" * rng.randrange(20)))
        elif op == 4:
            db.delete(key)
        elif op == 5 and db.exists(key):
            db.set_expire(key, ctx.now_ms + rng.randrange(-3, 30))
        elif op == 6:
            ctx.now_ms += rng.randrange(5)
            db.lookup_read(key)               # lazy expiry
        elif op == 7:
            db.active_expire_cycle(1000)
        elif op == 8:                         # RENAME key -> dst (GenericRename: pop, set, TTL)
            dst = _tagged_key(rng)
            when = db.get_expire(key)
            value = db.pop(key)
            if value is not None:
                db.delete(dst)
                db.set_key(dst, value)
                if when != -1:
                    db.set_expire(dst, when)
        elif op == 9 and other is not db:     # MOVE
            value = db.lookup_write(key)
            if value is not None and other.lookup_write(key) is None:
                other.set_key(key, value)
                db.delete(key)
        elif op == 10:                        # RESTORE ... REPLACE with a TTL
            db.delete(key)
            db.set_key(key, RedisSet([b"a", b"b"]))
            db.set_expire(key, ctx.now_ms + 50)
        elif op == 11:
            db.evict(key)
        elif op == 12 and db.exists(key):
            db.set_value(key, b"w" * rng.randrange(30))   # replaced in place: the entry stays linked
        elif op == 13 and rng.random() < 0.05:
            db.swap_with(other)
        elif op == 14 and rng.random() < 0.03:
            db.clear()
        elif op == 15 and rng.random() < 0.1:
            db.delete_keys_in_slot(db.slot_of(key))
        if step % 50 == 0 or op in (13, 14, 15):
            for d in dbs:
                _check(d)
            assert ctx.keyspace_bytes == _recount_bytes(dbs)
    for d in dbs:
        _check(d)
        d.clear()
        _check(d)
    assert ctx.keyspace_bytes == _recount_bytes(dbs)
    assert ctx.keyspace_bytes - start == sum(d.memory_overhead()[0] - alloc_size(4 * 8) for d in dbs)


def test_growth_and_shrink_rehashes_keep_the_lists(ctx: Context, dbs: list[Db]) -> None:
    db = dbs[0]
    for i in range(5000):                     # several doublings of the bucket array
        db.set_key(b"{g%d}%d" % (i % 7, i), b"v")
        if i % 700 == 0:
            db.set_expire(b"{g%d}%d" % (i % 7, i), NOW + 1000)
    _check(db)
    for i in range(0, 5000, 1):
        if i % 50:
            db.delete(b"{g%d}%d" % (i % 7, i))    # shrinks
    _check(db)
    assert ctx.keyspace_bytes == _recount_bytes(dbs)
    assert len(db) == 100
