"""mem_size() of the container types: random mutation sequences checked after every step against a recount.

The recount walks the container from scratch (its structure sizes plus every element object, priced with the
allocator rules written out again here), so any mutation path that bypasses the incremental tracking shows up
as a mismatch. The end-to-end tests at the bottom run the matching commands on a real server.
"""

from __future__ import annotations

import copy
import random
import sys
from collections.abc import Callable

import pytest
import redis

from pyredcache.datatypes.encoding import alloc_size, bytes_size, element_size
from pyredcache.datatypes.hashes import Hash
from pyredcache.datatypes.lists import RedisList
from pyredcache.datatypes.sets import RedisSet
from pyredcache.datatypes.zsets import RedisZSet, ScoreRange

STEPS = 2500


def _alloc(n: int) -> int:
    """From scratch: pymalloc 16-byte classes up to 512 bytes, else a malloc chunk (8-byte header, 16-aligned)."""
    if n <= 512:
        return max(16, -(-n // 16) * 16)
    return -(-(n + 8) // 16) * 16


def _elem(x: bytes | bytearray) -> int:
    if isinstance(x, bytes):
        return _alloc(sys.getsizeof(x))
    return _alloc(sys.getsizeof(bytearray())) + (_alloc(x.__alloc__()) if x.__alloc__() else 0)


def recount_hash(h: Hash) -> int:
    return sys.getsizeof(h) + sum(_elem(f) + _elem(v) for f, v in dict.items(h))


def recount_list(lst: RedisList) -> int:
    return sys.getsizeof(lst) + sum(_elem(x) for x in lst)


def recount_set(s: RedisSet) -> int:
    items = s._items
    pos = s._pos
    assert len(items) == len(pos)
    key_ids = {id(k) for k in pos}
    assert all(id(m) in key_ids and pos[m] == i for i, m in enumerate(items))   # one object per member
    return sys.getsizeof(s) + sys.getsizeof(pos) + sys.getsizeof(items) + sum(_elem(m) for m in items)


# zskiplistNode: member pointer, score, backward pointer, level-array pointer; a level is (forward, span).
_ZNODE = 32
_ZLEVEL = 16


def recount_zset(z: RedisZSet) -> int:
    core = z._z
    scores = core.members()
    nodes = core.range_by_rank(0, len(core) - 1)
    levels = core.node_levels()
    assert len(nodes) == len(scores) == len(levels)
    key_ids = {id(k) for k in scores}
    assert all(id(m) in key_ids and scores[m] == s for m, s in nodes)    # node and dict share the member
    assert all(type(s) is float for s in scores.values())
    total = sys.getsizeof(z) + sys.getsizeof(core) + sys.getsizeof(scores)
    total += _alloc(_ZNODE + 32 * _ZLEVEL)                                # the header node
    total += sum(_alloc(_ZNODE + lvl * _ZLEVEL) for lvl in levels)
    total += sum(_elem(m) for m in scores)
    total += len(scores) * _alloc(sys.getsizeof(1.5))
    return total


# -- helpers -------------------------------------------------------------------------------------------------------


def test_allocation_helpers() -> None:
    assert sys.getsizeof(b"") == 33
    for n in range(0, 2000):
        assert alloc_size(n) == _alloc(n)
        assert bytes_size(n) == _alloc(33 + n) == element_size(bytes(n))
    assert alloc_size(56) == 64
    assert element_size(bytearray()) == 64
    ba = bytearray(b"x" * 100)
    assert element_size(ba) == 64 + _alloc(ba.__alloc__())


def _element(rng: random.Random) -> bytes:
    kind = rng.random()
    if kind < 0.4:
        return str(rng.randrange(-10**6, 10**6)).encode()
    if kind < 0.8:
        return bytes(rng.randrange(97, 123) for _ in range(rng.randrange(0, 20)))
    if kind < 0.95:
        return b"m" * rng.choice([0, 1, 15, 16, 17, 100, 462, 463, 478, 479, 480, 495, 496, 600])
    return b"x" * rng.randrange(400, 1200)


def _value(rng: random.Random) -> bytes | bytearray:
    v = _element(rng)
    return bytearray(v) if rng.random() < 0.05 else v


def _run(steps: int, ops: list[Callable[[], None]], check: Callable[[], None], rng: random.Random) -> None:
    for _ in range(steps):
        rng.choice(ops)()
        check()


# -- hashes --------------------------------------------------------------------------------------------------------


def test_hash_mem_size_tracks_every_mutator() -> None:
    rng = random.Random(4)
    fields = [_element(rng) for _ in range(120)]
    state = {"h": Hash()}

    def h() -> Hash:
        return state["h"]

    def field() -> bytes:
        # a fresh bytes object equal to a known field (as the parser would hand it over)
        return bytes(bytearray(rng.choice(fields)))

    def hset() -> None:
        h()[field()] = _value(rng)

    def hset_many() -> None:
        args = [x for _ in range(rng.randrange(1, 6)) for x in (field(), _value(rng))]
        h().update(zip(args[0::2], args[1::2], strict=True))

    def update_mapping() -> None:
        h().update({field(): _value(rng) for _ in range(3)})

    def ior() -> None:
        target = h()
        target |= [(field(), _value(rng))]
        assert target is h()

    def hdel() -> None:
        f = field()
        if f in h():
            del h()[f]
        else:
            with pytest.raises(KeyError):
                del h()[f]

    def pop() -> None:
        h().pop(field(), None)

    def pop_missing() -> None:
        with pytest.raises(KeyError):
            h().pop(b"\0never")

    def popitem() -> None:
        if h():
            h().popitem()

    def setdefault() -> None:     # HSETNX
        h().setdefault(field(), _value(rng))

    def hincrbyfloat() -> None:
        f = field()
        old = h().get(f)
        number = float(old) if old is not None and old.lstrip(b"-").isdigit() else 0.0
        h()[f] = repr(number + rng.random()).encode()

    def clear() -> None:
        if rng.random() < 0.1:
            h().clear()

    def do_copy() -> None:
        dup = h().copy()
        assert dup.mem_size() == recount_hash(dup)
        state["h"] = dup

    def rebuild() -> None:
        if rng.random() < 0.2:
            state["h"] = Hash(list(h().items()) + [(field(), b"v")], listpack=False)

    def check() -> None:
        assert h().mem_size() == recount_hash(h())

    ops = [hset, hset, hset, hset_many, update_mapping, ior, hdel, hdel, pop, pop_missing, popitem, setdefault,
           hincrbyfloat, clear, do_copy, rebuild]
    _run(STEPS, ops, check, rng)


def test_hash_update_counts_what_was_set_before_a_failure() -> None:
    h = Hash([(b"a", b"1")])
    with pytest.raises(ValueError):
        h.update(zip([b"b", b"c", b"d"], [b"2", b"3"], strict=True))
    assert len(h) == 3 and h.mem_size() == recount_hash(h)


# -- lists ---------------------------------------------------------------------------------------------------------


def test_list_mem_size_tracks_every_mutator() -> None:
    rng = random.Random(5)
    state = {"l": RedisList()}

    def lst() -> RedisList:
        return state["l"]

    def rpush() -> None:
        lst().extend([_value(rng) for _ in range(rng.randrange(1, 5))])

    def lpush() -> None:
        lst().extendleft([_value(rng) for _ in range(rng.randrange(1, 5))])

    def push_generator() -> None:
        lst().extend(_value(rng) for _ in range(3))

    def append() -> None:
        (lst().append if rng.random() < 0.5 else lst().appendleft)(_value(rng))

    def pop() -> None:
        if lst():
            (lst().pop if rng.random() < 0.5 else lst().popleft)()

    def pop_count() -> None:     # LPOP/RPOP with count
        for _ in range(min(len(lst()), rng.randrange(1, 4))):
            lst().popleft()

    def lset() -> None:
        if lst():
            lst()[rng.randrange(-len(lst()), len(lst()))] = _value(rng)

    def linsert() -> None:
        lst().insert(rng.randrange(0, len(lst()) + 1), _value(rng))

    def lrem() -> None:          # commands/lists.py: rebuild with clear + extend
        if lst():
            target = rng.choice(lst())
            kept = [x for x in lst() if x != target]
            lst().clear()
            lst().extend(kept)

    def remove() -> None:
        if lst():
            lst().remove(bytes(rng.choice(lst())))

    def delitem() -> None:
        if lst():
            del lst()[rng.randrange(len(lst()))]

    def ltrim() -> None:
        n = len(lst())
        if n > 4:
            for _ in range(rng.randrange(0, 3)):
                lst().pop()
            for _ in range(rng.randrange(0, 3)):
                lst().popleft()

    def iadd() -> None:
        target = lst()
        target += [_value(rng), _value(rng)]
        assert target is lst()

    def self_extend() -> None:
        if len(lst()) < 200:
            lst().extend(lst())

    def rotate_reverse() -> None:
        lst().rotate(rng.randrange(-3, 4))
        lst().reverse()

    def clear() -> None:
        if rng.random() < 0.1:
            lst().clear()

    def do_copy() -> None:
        dup = (lst().copy, lambda: copy.copy(lst()))[rng.randrange(2)]()
        assert type(dup) is RedisList and dup.mem_size() == recount_list(dup)
        state["l"] = dup

    def concat_repeat() -> None:
        if len(lst()) < 100:
            plus = lst() + RedisList([b"a", b"bb"])
            times = lst() * 2
            assert type(plus) is RedisList and plus.mem_size() == recount_list(plus)
            assert type(times) is RedisList and times.mem_size() == recount_list(times)
            target = lst()
            target *= rng.choice([0, 1, 2])
            assert target is lst()

    def sort_store() -> None:    # SORT ... STORE builds from a generator
        if rng.random() < 0.1:
            state["l"] = RedisList(x for x in sorted(lst(), key=bytes))

    def check() -> None:
        assert lst().mem_size() == recount_list(lst())

    ops = [rpush, rpush, lpush, push_generator, append, pop, pop, pop_count, lset, linsert, lrem, remove,
           delitem, ltrim, iadd, self_extend, rotate_reverse, clear, do_copy, concat_repeat, sort_store]
    _run(STEPS, ops, check, rng)


# -- sets ----------------------------------------------------------------------------------------------------------


def test_set_mem_size_tracks_every_mutator() -> None:
    rng = random.Random(6)
    pool = [_element(rng) for _ in range(150)] + [str(i).encode() for i in range(150)]
    state = {"s": RedisSet()}

    def s() -> RedisSet:
        return state["s"]

    def member() -> bytes:
        return bytes(bytearray(rng.choice(pool)))

    def sadd() -> None:
        s().add(member(), rng.choice([4, 128, 512]))

    def srem() -> None:
        s().remove(member())

    def spop() -> None:
        if len(s()):
            s().pop_random()

    def spop_count() -> None:   # small counts, and the "few remain" rebuild path
        n = len(s())
        if n > 1:
            count = rng.choice([1, n // 2, n - 1, max(1, n * 5 // 6)])
            s().pop_many(min(max(count, 1), n - 1), 512)

    def smove_like() -> None:
        m = member()
        if s().remove(m):
            s().add(m, 512)

    def do_copy() -> None:
        dup = s().copy()
        assert dup.mem_size() == recount_set(dup)
        state["s"] = dup

    def build() -> None:         # SINTERSTORE/SUNIONSTORE/SDIFFSTORE results
        if rng.random() < 0.2:
            state["s"] = RedisSet.build(list(s()) + [member(), member()], 512)

    def scan() -> None:
        s().scan(0, 10)

    def check() -> None:
        assert s().mem_size() == recount_set(s())

    ops = [sadd, sadd, sadd, srem, spop, spop_count, smove_like, do_copy, build, scan]
    _run(STEPS, ops, check, rng)
    assert RedisSet().mem_size() == recount_set(RedisSet())


# -- sorted sets ---------------------------------------------------------------------------------------------------


def test_zset_mem_size_tracks_every_mutator() -> None:
    rng = random.Random(7)
    pool = [_element(rng) for _ in range(200)]
    state = {"z": RedisZSet()}

    def z() -> RedisZSet:
        return state["z"]

    def member() -> bytes:
        return bytes(bytearray(rng.choice(pool)))

    def score() -> float:
        return rng.choice([0.0, -0.0, 1.0, rng.uniform(-100, 100), float(rng.randrange(10))])

    def zadd() -> None:
        z().add(member(), score(), rng.choice([8, 128]), rng.choice([16, 64]))

    def zincrby() -> None:
        m = member()
        old = z().score(m)
        z().upsert(m, (old or 0.0) + rng.choice([0.0, 1.0, -2.5]), 128, 64)

    def zrem() -> None:
        z().remove(member())

    def zremrangebyrank() -> None:
        n = len(z())
        if n:
            a = rng.randrange(n)
            z().remove_range_by_rank(a, min(n - 1, a + rng.randrange(0, 4)))

    def zremrangebyscore() -> None:
        lo = rng.uniform(-100, 100)
        start, end = z().score_ranks(ScoreRange(lo, lo + rng.uniform(0, 30)))
        if start < end:
            z().remove_range_by_rank(start, end - 1)

    def zpop() -> None:
        z().pop(rng.randrange(0, 4), rng.random() < 0.5)

    def zpop_one() -> None:
        z().pop_one(rng.random() < 0.5)

    def convert() -> None:
        z().maybe_convert_to_listpack(128, 64)

    def do_copy() -> None:
        dup = z().copy()
        assert dup.mem_size() == recount_zset(dup)
        state["z"] = dup

    def build() -> None:          # Z*STORE results
        if rng.random() < 0.2:
            pairs = list(z().items()) + [(member(), score()) for _ in range(3)]
            state["z"] = RedisZSet.build(pairs, 128, 64)

    def check() -> None:
        assert z().mem_size() == recount_zset(z())

    ops = [zadd, zadd, zadd, zincrby, zrem, zremrangebyrank, zremrangebyscore, zpop, zpop_one, convert, do_copy,
           build]
    _run(STEPS, ops, check, rng)
    assert RedisZSet().mem_size() == recount_zset(RedisZSet())


def test_zset_rescore_keeps_one_member_object() -> None:
    z = RedisZSet(listpack=False)
    z.add(b"member", 1.0, 128, 64)
    other = bytes(bytearray(b"member"))
    z.add(other, 2.0, 128, 64)
    ((node_member, _),) = z.range_by_rank(0, 0)
    (key,) = z.scores()
    assert node_member is key and node_member is not other
    assert z.mem_size() == recount_zset(z)


# -- end to end: MEMORY USAGE reports the tracked size ---------------------------------------------------------------


def _grows_then_shrinks(r: redis.Redis, key: str, add: Callable[[], None], remove: Callable[[], None]) -> None:
    add()
    small = r.memory_usage(key)
    for _ in range(5):
        add()
    big = r.memory_usage(key)
    assert big > small
    remove()
    assert r.memory_usage(key) < big


def test_memory_usage_hash_end_to_end(r: redis.Redis) -> None:
    n = iter(range(10**6))
    fields: list[str] = []

    def add() -> None:
        batch = [f"f{next(n)}" for _ in range(20)]
        fields.extend(batch)
        r.hset("h", mapping={f: "v" * 50 for f in batch})

    _grows_then_shrinks(r, "h", add, lambda: r.hdel("h", *fields[20:]))
    r.hincrbyfloat("h", "counter", 1.5)
    r.hsetnx("h", "new", "1")
    assert r.memory_usage("h") > 0


def test_memory_usage_list_end_to_end(r: redis.Redis) -> None:
    def add() -> None:
        r.rpush("l", *(["x" * 40] * 20))

    def remove() -> None:
        r.lset("l", 0, "y" * 100)
        r.ltrim("l", 0, 9)
        r.lpop("l", 3)
        r.lrem("l", 0, "y" * 100)

    _grows_then_shrinks(r, "l", add, remove)
    r.linsert("l", "BEFORE", "x" * 40, "z")
    assert r.memory_usage("l") > 0


def test_memory_usage_set_end_to_end(r: redis.Redis) -> None:
    n = iter(range(10**6))

    def add() -> None:
        r.sadd("s", *(f"member-{next(n)}" for _ in range(20)))

    def remove() -> None:
        r.srem("s", *(f"member-{i}" for i in range(20, 60)))
        r.spop("s", 50)

    _grows_then_shrinks(r, "s", add, remove)
    r.spop("s")
    assert r.memory_usage("s") > 0


def test_memory_usage_zset_end_to_end(r: redis.Redis) -> None:
    n = iter(range(10**6))

    def add() -> None:
        r.zadd("z", {f"member-{next(n)}": float(i) for i in range(20)})

    def remove() -> None:
        r.zrem("z", *(f"member-{i}" for i in range(20, 40)))
        r.zpopmin("z", 20)
        r.zremrangebyrank("z", 0, 20)
        r.zremrangebyscore("z", "-inf", 5)

    _grows_then_shrinks(r, "z", add, remove)
    r.zincrby("z", 2.5, "member-100")
    assert r.memory_usage("z") > 0
