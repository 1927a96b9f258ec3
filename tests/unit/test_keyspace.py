"""Unit tests for _speedups.keyspace: the Db engine (hash table, lazy/active expiry, SCAN cursor, counters)."""

from __future__ import annotations

import gc
import random
import sys
import weakref

import pytest

from pyredcache._speedups.keyspace import Context, Db

NOW = 1_700_000_000_000


class WrongType(Exception):
    pass


class Value:
    """A weak-referenceable value, to check the engine drops its references."""

    def __init__(self, tag: object = None) -> None:
        self.tag = tag


@pytest.fixture
def ctx() -> Context:
    c = Context()
    c.now_ms = NOW
    c.wrongtype = WrongType
    c.seed_random(12345)
    return c


@pytest.fixture
def db(ctx: Context) -> Db:
    return Db(ctx, 0)


@pytest.fixture
def expired_log(ctx: Context) -> list[tuple[int, bytes]]:
    log: list[tuple[int, bytes]] = []
    ctx.on_expired = lambda d, k: log.append((d.id, k))
    return log


def k(i: int) -> bytes:
    return b"key:%d" % i


# -- basics -------------------------------------------------------------------------------------------------


def test_db_set_and_lookup(db: Db) -> None:
    assert db.lookup_read(b"a") is None
    db.set_key(b"a", b"1")
    assert db.lookup_read(b"a") == b"1"
    assert db.lookup_write(b"a") == b"1"
    assert db.peek(b"a") == b"1"
    assert db.exists(b"a")
    assert len(db) == 1
    assert db.id == 0


def test_db_keys_compare_by_content_not_identity(db: Db) -> None:
    key = bytes(bytearray(b"some-key"))
    db.set_key(key, b"v")
    other = bytes(bytearray(b"some-key"))
    assert other is not key
    assert db.lookup_read(other) == b"v"
    db.set_key(other, b"w")
    assert len(db) == 1
    assert db.lookup_read(key) == b"w"


def test_db_distinguishes_keys_with_same_length_or_prefix(db: Db) -> None:
    db.set_key(b"ab", 1)
    db.set_key(b"ba", 2)
    db.set_key(b"a", 3)
    db.set_key(b"", 4)
    db.set_key(b"a\x00", 5)
    assert [db.lookup_read(x) for x in (b"ab", b"ba", b"a", b"", b"a\x00")] == [1, 2, 3, 4, 5]


def test_db_rejects_non_bytes_keys(db: Db) -> None:
    with pytest.raises(TypeError):
        db.set_key("a", b"1")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        db.lookup_read(bytearray(b"a"))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        db.lookup_read(None)  # type: ignore[arg-type]


def test_db_overwrite_replaces_value(db: Db) -> None:
    db.set_key(b"a", b"1")
    db.set_key(b"a", [1, 2])
    assert db.lookup_read(b"a") == [1, 2]
    assert len(db) == 1


def test_db_add_only_if_absent(db: Db) -> None:
    assert db.add(b"a", b"1") is True
    assert db.add(b"a", b"2") is False
    assert db.lookup_read(b"a") == b"1"


def test_db_delete_and_pop(db: Db) -> None:
    db.set_key(b"a", b"1")
    db.set_key(b"b", b"2")
    assert db.delete(b"a") is True
    assert db.delete(b"a") is False
    assert db.pop(b"b") == b"2"
    assert db.pop(b"b") is None
    assert len(db) == 0


def test_db_set_value_keeps_ttl_and_requires_key(db: Db, ctx: Context) -> None:
    db.set_key(b"a", b"1")
    db.set_expire(b"a", NOW + 5000)
    db.set_value(b"a", b"2")
    assert db.lookup_read(b"a") == b"2"
    assert db.get_expire(b"a") == NOW + 5000
    with pytest.raises(KeyError):
        db.set_value(b"missing", b"x")


def test_db_get_string_typed_getters(db: Db, ctx: Context) -> None:
    db.set_key(b"s", b"str")
    db.set_key(b"ba", bytearray(b"buf"))
    db.set_key(b"l", [b"x"])
    assert db.get_string_read(b"s") == b"str"
    assert db.get_string_write(b"ba") == bytearray(b"buf")
    assert db.get_string_read(b"nope") is None
    assert db.get_string_write(b"nope") is None
    with pytest.raises(WrongType):
        db.get_string_read(b"l")
    with pytest.raises(WrongType):
        db.get_string_write(b"l")


def test_db_hit_miss_counters(db: Db, ctx: Context) -> None:
    db.set_key(b"a", b"1")
    db.lookup_read(b"a")
    db.lookup_read(b"b")
    db.get_string_read(b"a")
    db.get_string_read(b"b")
    assert (ctx.hits, ctx.misses) == (2, 2)
    # write lookups, peek and exists leave the counters alone
    db.lookup_write(b"a")
    db.lookup_write(b"b")
    db.peek(b"a")
    db.exists(b"b")
    db.get_string_write(b"a")
    assert (ctx.hits, ctx.misses) == (2, 2)


def test_db_wrongtype_lookup_still_counts_a_hit(db: Db, ctx: Context) -> None:
    db.set_key(b"l", [1])
    with pytest.raises(WrongType):
        db.get_string_read(b"l")
    assert ctx.hits == 1


def test_db_len_counts_logically_expired_keys(db: Db, ctx: Context) -> None:
    db.set_key(b"a", b"1")
    db.set_expire(b"a", NOW + 10)
    ctx.now_ms = NOW + 11
    assert len(db) == 1  # like DBSIZE: not removed until touched
    assert db.expires_count() == 1


# -- references ---------------------------------------------------------------------------------------------


def test_db_drops_value_references(ctx: Context) -> None:
    db = Db(ctx, 0)
    vals = [Value(i) for i in range(6)]
    refs = [weakref.ref(v) for v in vals]
    db.set_key(b"del", vals[0])
    db.set_key(b"pop", vals[1])
    db.set_key(b"over", vals[2])
    db.set_key(b"clear", vals[3])
    db.set_key(b"dealloc", vals[4])
    db.set_key(b"setval", vals[5])
    del vals
    db.delete(b"del")
    assert refs[0]() is None
    db.pop(b"pop")
    assert refs[1]() is None
    db.set_key(b"over", b"x")
    assert refs[2]() is None
    db.set_value(b"setval", b"y")
    assert refs[5]() is None
    db.clear()
    assert refs[3]() is None and refs[4]() is None
    db.set_key(b"dealloc", Value())
    r = weakref.ref(db.lookup_read(b"dealloc"))  # type: ignore[arg-type]
    del db
    gc.collect()
    assert r() is None


def test_db_keeps_no_reference_to_key_objects(db: Db, ctx: Context) -> None:
    # Entries hold the key's bytes inline: the caller's key object is never retained.
    key = bytes(bytearray(b"refcounted-key"))
    base = sys.getrefcount(key)
    db.set_key(key, b"v")
    db.set_expire(key, NOW + 1000)
    assert sys.getrefcount(key) == base
    assert db.keys() == [key] and db.keys()[0] is not key
    db.remove_expire(key)
    db.set_expire(key, NOW + 1000)
    db.delete(key)
    assert sys.getrefcount(key) == base


def test_db_expired_value_is_released(db: Db, ctx: Context) -> None:
    v = Value()
    r = weakref.ref(v)
    db.set_key(b"a", v)
    db.set_expire(b"a", NOW + 1)
    del v
    ctx.now_ms = NOW + 2
    assert db.lookup_write(b"a") is None
    assert r() is None


# -- TTLs and lazy expiry -----------------------------------------------------------------------------------


def test_db_expire_roundtrip(db: Db) -> None:
    db.set_key(b"a", b"1")
    assert db.get_expire(b"a") == -1
    assert db.expires_count() == 0
    db.set_expire(b"a", NOW + 1000)
    assert db.get_expire(b"a") == NOW + 1000
    assert db.expires_count() == 1
    db.set_expire(b"a", NOW + 2000)
    assert db.get_expire(b"a") == NOW + 2000
    assert db.expires_count() == 1
    assert db.remove_expire(b"a") is True
    assert db.remove_expire(b"a") is False
    assert db.get_expire(b"a") == -1
    assert db.expires_count() == 0
    assert db.get_expire(b"missing") == -1
    assert db.remove_expire(b"missing") is False


def test_db_set_expire_requires_key(db: Db) -> None:
    with pytest.raises(KeyError):
        db.set_expire(b"missing", NOW + 1000)


def test_db_set_expire_negative_is_clamped(db: Db, ctx: Context) -> None:
    db.set_key(b"a", b"1")
    db.set_expire(b"a", -5)
    assert db.get_expire(b"a") == 0
    assert db.expires_count() == 1
    assert db.lookup_read(b"a") is None


def test_db_key_alive_at_exact_expire_time(db: Db, ctx: Context, expired_log: list[tuple[int, bytes]]) -> None:
    # Redis keyIsExpired: expired only when now > when.
    db.set_key(b"a", b"1")
    db.set_expire(b"a", NOW + 100)
    ctx.now_ms = NOW + 100
    assert db.lookup_read(b"a") == b"1"
    ctx.now_ms = NOW + 101
    assert db.lookup_read(b"a") is None
    assert expired_log == [(0, b"a")]
    assert ctx.expired_keys == 1
    assert ctx.misses == 1
    assert len(db) == 0 and db.expires_count() == 0


@pytest.mark.parametrize(
    "access",
    [
        lambda db: db.lookup_read(b"a"),
        lambda db: db.lookup_write(b"a"),
        lambda db: db.peek(b"a"),
        lambda db: db.get_string_read(b"a"),
        lambda db: db.get_string_write(b"a"),
        lambda db: db.exists(b"a"),
        lambda db: db.delete(b"a"),
        lambda db: db.pop(b"a"),
        lambda db: db.add(b"a", b"new"),
        lambda db: db.set_key(b"a", b"new", keep_ttl=True),
        lambda db: db.remove_expire(b"a"),
    ],
)
def test_db_every_access_expires_lazily(
    db: Db, ctx: Context, expired_log: list[tuple[int, bytes]], access: object
) -> None:
    db.set_key(b"a", b"old")
    db.set_expire(b"a", NOW + 10)
    ctx.now_ms = NOW + 50
    result = access(db)  # type: ignore[operator]
    assert result in (None, False, True)
    assert expired_log == [(0, b"a")]
    assert ctx.expired_keys == 1
    assert db.expires_count() == 0
    assert db.get_expire(b"a") == -1  # a re-created key (add/set_key) has no TTL
    assert db.lookup_write(b"a") in (None, b"new")


def test_db_delete_of_expired_key_returns_false(db: Db, ctx: Context) -> None:
    db.set_key(b"a", b"1")
    db.set_expire(b"a", NOW)
    ctx.now_ms = NOW + 1
    assert db.delete(b"a") is False
    assert db.pop(b"a") is None


def test_db_set_key_drops_ttl_unless_keep_ttl(db: Db) -> None:
    db.set_key(b"a", b"1")
    db.set_expire(b"a", NOW + 1000)
    db.set_key(b"a", b"2", keep_ttl=True)
    assert db.get_expire(b"a") == NOW + 1000
    db.set_key(b"a", b"3")
    assert db.get_expire(b"a") == -1
    assert db.expires_count() == 0


def test_db_set_value_on_expired_key_raises(db: Db, ctx: Context, expired_log: list[tuple[int, bytes]]) -> None:
    db.set_key(b"a", b"1")
    db.set_expire(b"a", NOW)
    ctx.now_ms = NOW + 1
    with pytest.raises(KeyError):
        db.set_value(b"a", b"2")
    assert expired_log == [(0, b"a")]


def test_db_expiry_without_hook(db: Db, ctx: Context) -> None:
    db.set_key(b"a", b"1")
    db.set_expire(b"a", NOW)
    ctx.now_ms = NOW + 1
    assert db.lookup_read(b"a") is None
    assert ctx.expired_keys == 1


def test_db_hook_may_write_to_the_db(db: Db, ctx: Context) -> None:
    def hook(d: Db, key: bytes) -> None:
        d.set_key(b"expired:" + key, b"1")
        d.delete(b"other")

    ctx.on_expired = hook
    db.set_key(b"other", b"x")
    db.set_key(b"a", b"1")
    db.set_expire(b"a", NOW)
    ctx.now_ms = NOW + 1
    db.set_key(b"a", b"fresh")
    assert db.lookup_read(b"a") == b"fresh"
    assert db.lookup_read(b"expired:a") == b"1"
    assert not db.exists(b"other")


def test_db_hook_exception_propagates_after_removal(db: Db, ctx: Context) -> None:
    def hook(d: Db, key: bytes) -> None:
        raise RuntimeError("boom")

    ctx.on_expired = hook
    db.set_key(b"a", b"1")
    db.set_expire(b"a", NOW)
    ctx.now_ms = NOW + 1
    with pytest.raises(RuntimeError):
        db.lookup_read(b"a")
    assert len(db) == 0 and db.expires_count() == 0


# -- LRU field ----------------------------------------------------------------------------------------------


def test_context_lru_clock(ctx: Context) -> None:
    ctx.now_ms = 123_456_789
    assert ctx.lru_clock() == 123_456
    ctx.now_ms = (0xFFFFFF + 5) * 1000 + 999
    assert ctx.lru_clock() == 4  # 24-bit wrap


def test_db_lru_touched_on_access_not_on_peek(db: Db, ctx: Context) -> None:
    ctx.now_ms = 10_000
    db.set_key(b"a", b"1")
    assert db.get_lru(b"a") == 10
    ctx.now_ms = 20_000
    db.peek(b"a")
    db.exists(b"a")
    db.get_expire(b"a")
    assert db.get_lru(b"a") == 10
    db.lookup_read(b"a")
    assert db.get_lru(b"a") == 20
    ctx.now_ms = 30_000
    db.lookup_write(b"a")
    assert db.get_lru(b"a") == 30
    ctx.now_ms = 40_000
    db.get_string_read(b"a")
    assert db.get_lru(b"a") == 40
    ctx.now_ms = 50_000
    db.set_key(b"a", b"2")
    assert db.get_lru(b"a") == 50


def test_db_set_lru(db: Db) -> None:
    db.set_key(b"a", b"1")
    db.set_lru(b"a", 777)
    assert db.get_lru(b"a") == 777
    assert db.get_lru(b"missing") == -1
    with pytest.raises(KeyError):
        db.set_lru(b"missing", 1)


# -- iteration ----------------------------------------------------------------------------------------------


def scan_all(db: Db, count: int = 10) -> list[bytes]:
    out: list[bytes] = []
    cursor = 0
    while True:
        cursor, keys = db.scan(cursor, count)
        out.extend(keys)
        if cursor == 0:
            return out


def test_db_scan_empty(db: Db) -> None:
    assert db.scan(0, 10) == (0, [])


def test_db_scan_returns_every_key_once_without_resizes(db: Db) -> None:
    for i in range(1000):
        db.set_key(k(i), b"v")
    got = scan_all(db, 7)
    assert sorted(got) == sorted(k(i) for i in range(1000))


def test_db_scan_count_bounds_each_step(db: Db) -> None:
    for i in range(1000):
        db.set_key(k(i), b"v")
    cursor, keys = db.scan(0, 10)
    assert cursor != 0
    assert 10 <= len(keys) < 30  # whole buckets, so a few more than count


def test_db_scan_survives_growth_between_calls(db: Db) -> None:
    for i in range(200):
        db.set_key(k(i), b"v")
    seen: set[bytes] = set()
    cursor = 0
    added = 200
    while True:
        cursor, keys = db.scan(cursor, 5)
        seen.update(keys)
        for _ in range(40):  # the table doubles several times during the iteration
            db.set_key(k(added), b"v")
            added += 1
        if cursor == 0:
            break
    assert {k(i) for i in range(200)} <= seen


def test_db_scan_survives_shrink_between_calls(db: Db) -> None:
    for i in range(4000):
        db.set_key(k(i), b"v")
    survivors = {k(i) for i in range(0, 4000, 97)}
    doomed = [k(i) for i in range(4000) if k(i) not in survivors]
    seen: set[bytes] = set()
    cursor = 0
    while True:
        cursor, keys = db.scan(cursor, 20)
        seen.update(keys)
        for _ in range(400):
            if doomed:
                db.delete(doomed.pop())
        if cursor == 0:
            break
    assert survivors <= seen


def test_db_scan_skips_and_expires_stale_keys(db: Db, ctx: Context, expired_log: list[tuple[int, bytes]]) -> None:
    for i in range(100):
        db.set_key(k(i), b"v")
        if i % 2:
            db.set_expire(k(i), NOW + 10)
    ctx.now_ms = NOW + 11
    got = scan_all(db, 10)
    assert sorted(got) == sorted(k(i) for i in range(0, 100, 2))
    assert sorted(key for _, key in expired_log) == sorted(k(i) for i in range(1, 100, 2))
    assert len(db) == 50


def test_db_scan_rejects_negative_cursor(db: Db) -> None:
    with pytest.raises(OverflowError):
        db.scan(-1, 10)


def test_db_keys_and_items_skip_expired_without_deleting(db: Db, ctx: Context) -> None:
    db.set_key(b"live", b"1")
    db.set_key(b"ttl", b"2")
    db.set_expire(b"ttl", NOW + 100)
    db.set_key(b"dead", b"3")
    db.set_expire(b"dead", NOW - 1)
    assert sorted(db.keys()) == [b"live", b"ttl"]
    assert sorted(db.items()) == [(b"live", b"1", -1), (b"ttl", b"2", NOW + 100)]
    assert len(db) == 3
    assert ctx.expired_keys == 0


def test_db_random_key(db: Db) -> None:
    assert db.random_key() is None
    for i in range(50):
        db.set_key(k(i), b"v")
    seen = {db.random_key() for _ in range(3000)}
    assert seen == {k(i) for i in range(50)}


def test_db_random_key_deletes_expired_keys(db: Db, ctx: Context) -> None:
    db.set_key(b"live", b"1")
    for i in range(30):
        db.set_key(k(i), b"v")
        db.set_expire(k(i), NOW)
    ctx.now_ms = NOW + 1
    for _ in range(20):
        assert db.random_key() == b"live"
    assert ctx.expired_keys > 0


def test_db_random_key_all_expired_small_db_returns_none(db: Db, ctx: Context) -> None:
    for i in range(10):
        db.set_key(k(i), b"v")
        db.set_expire(k(i), NOW)
    ctx.now_ms = NOW + 1
    assert db.random_key() is None
    assert len(db) == 0


def test_db_random_key_all_volatile_expired_gives_up(db: Db, ctx: Context) -> None:
    for i in range(500):
        db.set_key(k(i), b"v")
        db.set_expire(k(i), NOW)
    ctx.now_ms = NOW + 1
    key = db.random_key()
    assert key is not None
    assert ctx.expired_keys == 99  # bounded work; the 100th expired key is returned as is
    assert len(db) == 401


# -- whole-db operations ------------------------------------------------------------------------------------


def test_db_clear(db: Db) -> None:
    for i in range(100):
        db.set_key(k(i), b"v")
        db.set_expire(k(i), NOW + 1000)
    assert db.clear() == 100
    assert len(db) == 0 and db.expires_count() == 0
    assert db.lookup_read(k(1)) is None
    db.set_key(b"again", b"1")
    assert db.keys() == [b"again"]


def test_db_swap_with(ctx: Context) -> None:
    a = Db(ctx, 0)
    b = Db(ctx, 1)
    a.set_key(b"x", b"in-a")
    a.set_expire(b"x", NOW + 5)
    b.set_key(b"y", b"in-b")
    a.swap_with(b)
    assert (a.id, b.id) == (0, 1)
    assert a.keys() == [b"y"] and b.keys() == [b"x"]
    assert b.get_expire(b"x") == NOW + 5
    assert b.expires_count() == 1 and a.expires_count() == 0


def test_contexts_are_independent() -> None:
    c1, c2 = Context(), Context()
    c1.now_ms = c2.now_ms = NOW
    d1, d2 = Db(c1, 0), Db(c2, 0)
    d1.set_key(b"a", b"1")
    d1.lookup_read(b"a")
    d2.lookup_read(b"a")
    assert (c1.hits, c1.misses, c2.hits, c2.misses) == (1, 0, 0, 1)


def test_context_defaults() -> None:
    c = Context()
    assert c.hits == c.misses == c.expired_keys == c.expired_time_cap_reached_count == 0
    assert c.expired_stale_perc == 0.0
    assert c.on_expired is None
    assert c.active_expire_enabled is True
    assert c.now_ms > 1_600_000_000_000


# -- active expiry ------------------------------------------------------------------------------------------


def test_db_active_expire_removes_stale_keys(db: Db, ctx: Context, expired_log: list[tuple[int, bytes]]) -> None:
    for i in range(1000):
        db.set_key(k(i), b"v")
        db.set_expire(k(i), NOW + (10 if i < 900 else 100_000))
    ctx.now_ms = NOW + 11
    n = db.active_expire_cycle(1_000_000)
    # keeps looping while >10% of a 20-key sample is stale, so nearly all stale keys go in one call
    assert n >= 800
    assert n == ctx.expired_keys == len(expired_log)
    assert len(db) == 1000 - n
    assert ctx.expired_stale_perc > 0
    while db.expires_count() > 100:
        db.active_expire_cycle(1_000_000)
    assert sorted(db.keys()) == sorted(k(i) for i in range(900, 1000))


def test_db_active_expire_nothing_to_do(db: Db, ctx: Context) -> None:
    assert db.active_expire_cycle(1000) == 0
    db.set_key(b"a", b"1")
    db.set_expire(b"a", NOW + 100_000)
    assert db.active_expire_cycle(1000) == 0
    assert db.exists(b"a")


def test_db_active_expire_disabled(db: Db, ctx: Context) -> None:
    db.set_key(b"a", b"1")
    db.set_expire(b"a", NOW)
    ctx.now_ms = NOW + 1
    ctx.active_expire_enabled = False
    assert db.active_expire_cycle(1_000_000) == 0
    assert len(db) == 1


def test_db_active_expire_time_cap(db: Db, ctx: Context) -> None:
    for i in range(20000):
        db.set_key(k(i), b"v")
        db.set_expire(k(i), NOW)
    ctx.now_ms = NOW + 1
    n = db.active_expire_cycle(1)
    assert ctx.expired_time_cap_reached_count == 1
    assert 0 < n < 20000
    # the budget is checked every 16 loops of ~20 samples (whole buckets, so a few more)
    assert 16 * 20 <= n < 16 * 30


def test_db_active_expire_hook_may_mutate(db: Db, ctx: Context) -> None:
    def hook(d: Db, key: bytes) -> None:
        if key == k(0):
            for i in range(1, 50):
                d.delete(k(i))  # shrinks both tables mid-cycle
        d.set_key(b"log:" + key, b"1")

    ctx.on_expired = hook
    for i in range(200):
        db.set_key(k(i), b"v")
        db.set_expire(k(i), NOW)
    ctx.now_ms = NOW + 1
    while db.expires_count():
        db.active_expire_cycle(1_000_000)
    assert not any(key.startswith(b"key:") for key in db.keys())


def test_db_avg_ttl(db: Db, ctx: Context) -> None:
    assert db.avg_ttl() == 0
    for i in range(100):
        db.set_key(k(i), b"v")
        db.set_expire(k(i), NOW + 10_000)
    db.active_expire_cycle(1_000_000)
    assert db.avg_ttl() == 10_000
    db.clear()
    assert db.avg_ttl() == 0


# -- model check --------------------------------------------------------------------------------------------


def test_db_random_operations_match_a_dict_model(ctx: Context) -> None:
    rng = random.Random(2024)
    db = Db(ctx, 3)
    model: dict[bytes, tuple[object, int]] = {}
    expired: list[bytes] = []
    ctx.on_expired = lambda d, key: expired.append(key)

    def live(key: bytes) -> bool:
        if key not in model:
            return False
        ttl = model[key][1]
        if ttl != -1 and ttl < ctx.now_ms:
            del model[key]
            return False
        return True

    for step in range(40000):
        key = k(rng.randrange(3000))
        op = rng.random()
        if op < 0.35:
            keep = rng.random() < 0.2
            live(key)
            ttl = model[key][1] if keep and key in model else -1
            db.set_key(key, step, keep_ttl=keep)
            model[key] = (step, ttl)
        elif op < 0.55:
            got = db.lookup_write(key)
            assert got == (model[key][0] if live(key) else None)
        elif op < 0.7:
            assert db.delete(key) is live(key)
            model.pop(key, None)
        elif op < 0.85:
            if live(key):
                when = ctx.now_ms + rng.randrange(1, 50)
                db.set_expire(key, when)
                model[key] = (model[key][0], when)
        elif op < 0.9:
            ctx.now_ms += rng.randrange(5)
        elif op < 0.92:
            db.active_expire_cycle(1_000_000)
        elif op < 0.93:
            assert sorted(scan_all(db, 50)) == sorted(x for x in list(model) if live(x))
        if step % 5000 == 0:
            assert sorted(db.keys()) == sorted(x for x in list(model) if live(x))
    assert sorted(db.keys()) == sorted(x for x in list(model) if live(x))
    assert len(expired) == ctx.expired_keys
    for i in range(3000):
        db.exists(k(i))  # lazily expire whatever is stale
    assert len(db) == len(db.keys())
    assert db.expires_count() == sum(1 for _, _, when in db.items() if when != -1)


def test_db_typed_getters(db: Db, ctx: Context) -> None:
    db.set_key(b"l", [b"x"])
    db.set_key(b"s", b"str")
    assert db.get_typed_read(b"l", list) == [b"x"]
    assert db.get_typed_write(b"l", (list, tuple)) == [b"x"]
    assert db.get_typed_read(b"missing", list) is None
    assert db.get_typed_write(b"missing", list) is None
    assert (ctx.hits, ctx.misses) == (1, 1)
    with pytest.raises(WrongType):
        db.get_typed_read(b"s", list)
    with pytest.raises(WrongType):
        db.get_typed_write(b"s", dict)


def test_db_subclass_may_add_constructor_args(ctx: Context) -> None:
    class MyDb(Db):
        def __init__(self, ctx: Context, id: int, extra: str) -> None:
            self.extra = extra

    d = MyDb(ctx, 5, "x")
    d.set_key(b"a", b"1")
    assert (d.id, d.extra, d.lookup_read(b"a")) == (5, "x", b"1")
