"""Sorted-set commands on one key, on pyredcache alone: happy paths, options, errors, edge cases, encodings,
blocked-client wakeups, DEBUG/MEMORY, plus a unit check of the skiplist core against a sorted-list model."""
from __future__ import annotations

import random
import threading

import pytest
import redis
from helpers.wait import wait_until

from pyredcache._speedups.zset import ZSetCore
from pyredcache.commands.zset_args import parse_score, parse_score_range, strtod
from pyredcache.datatypes.zsets import LexBound, RedisZSet, ScoreRange
from pyredcache.errors import ReplyError

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def _err(r: redis.Redis, *args: object) -> str:
    """The error text as sent (redis-py drops a leading "ERR ": it is put back)."""
    with pytest.raises(redis.ResponseError) as info:
        r.execute_command(*args)
    text = str(info.value)
    return text if text.startswith("WRONGTYPE") else "ERR " + text


def _enc(r: redis.Redis, key: str) -> bytes:
    return r.object("ENCODING", key)  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------------------- ZADD / ZINCRBY


def test_zadd_counts_new_members_and_orders_by_score_then_member(r):
    assert r.zadd("z", {"b": 1, "a": 1, "c": 0}) == 3
    assert r.zadd("z", {"a": 5}) == 0
    assert r.zrange("z", 0, -1, withscores=True) == [(b"c", 0.0), (b"b", 1.0), (b"a", 5.0)]
    assert r.type("z") == b"zset"
    assert r.zcard("z") == 3


def test_zadd_options(r):
    r.zadd("z", {"a": 10})
    assert r.zadd("z", {"a": 1, "b": 1}, nx=True) == 1
    assert r.zscore("z", "a") == 10
    assert r.zadd("z", {"a": 2, "c": 1}, xx=True, ch=True) == 1
    assert r.zscore("z", "c") is None
    assert r.zadd("z", {"a": 1, "b": 5}, gt=True, ch=True) == 1
    assert r.zscore("z", "a") == 2
    assert r.zadd("z", {"a": 0}, lt=True, ch=True) == 1
    assert r.zadd("z", {"a": 7}, incr=True) == 7.0
    assert r.zadd("z", {"a": -100}, incr=True, gt=True) is None
    assert r.zadd("nokey", {"a": 1}, xx=True) == 0
    assert not r.exists("nokey")


def test_zadd_errors(r):
    r.set("str", "v")
    assert _err(r, "ZADD", "z", "NX", "XX", "1", "a") == "ERR XX and NX options at the same time are not compatible"
    assert _err(r, "ZADD", "z", "GT", "LT", "1", "a") == (
        "ERR GT, LT, and/or NX options at the same time are not compatible")
    assert _err(r, "ZADD", "z", "INCR", "1", "a", "2", "b") == (
        "ERR INCR option supports a single increment-element pair")
    assert _err(r, "ZADD", "z", "1", "a", "2") == "ERR syntax error"
    assert _err(r, "ZADD", "z", "x", "a") == "ERR value is not a valid float"
    assert _err(r, "ZADD", "z", "nan", "a") == "ERR value is not a valid float"
    assert _err(r, "ZADD", "str", "1", "a") == WRONGTYPE
    assert _err(r, "ZADD", "str", "x", "a") == "ERR value is not a valid float"
    r.zadd("z", {"a": float("inf")})
    assert _err(r, "ZINCRBY", "z", "-inf", "a") == "ERR resulting score is not a number (NaN)"
    assert r.zscore("z", "a") == float("inf")


def test_zincrby(r):
    assert r.zincrby("z", 1.5, "a") == 1.5
    assert r.zincrby("z", -0.5, "a") == 1.0
    assert r.zincrby("z", float("inf"), "a") == float("inf")
    assert _err(r, "ZINCRBY", "z", "abc", "a") == "ERR value is not a valid float"


# ------------------------------------------------------------------------------------------- removal


def test_zrem_deletes_emptied_key(r):
    r.zadd("z", {"a": 1, "b": 2})
    assert r.zrem("z", "a", "x", "a") == 1
    assert r.zrem("z", "b") == 1
    assert not r.exists("z")
    assert r.zrem("z", "b") == 0


def test_zremrangeby(r):
    r.zadd("z", {m: i for i, m in enumerate("abcdefgh")})
    assert r.zremrangebyrank("z", 0, 1) == 2
    assert r.zremrangebyscore("z", "(2", 4) == 2
    assert r.zrange("z", 0, -1) == [b"c", b"f", b"g", b"h"]
    assert r.zremrangebyrank("z", 10, 20) == 0
    r.zadd("l", {m: 0 for m in "abcde"})
    assert r.zremrangebylex("l", "(a", "[c") == 2
    assert r.zrange("l", 0, -1) == [b"a", b"d", b"e"]
    assert r.zremrangebylex("l", "-", "+") == 3
    assert not r.exists("l")
    assert _err(r, "ZREMRANGEBYLEX", "z", "a", "+") == "ERR min or max not valid string range item"
    assert _err(r, "ZREMRANGEBYSCORE", "z", "a", "+") == "ERR min or max is not a float"


# ------------------------------------------------------------------------------------------- reads


def test_zrank_zscore_zmscore(r):
    r.zadd("z", {"a": 1, "b": 2, "c": 3})
    assert r.zrank("z", "a") == 0
    assert r.zrevrank("z", "a") == 2
    assert r.zrank("z", "x") is None
    assert r.zscore("z", "b") == 2.0
    assert r.zmscore("z", ["a", "x", "c"]) == [1.0, None, 3.0]
    assert r.zmscore("nokey", ["a"]) == [None]


def test_zcount_zlexcount(r):
    r.zadd("z", {"a": 1, "b": 2, "c": 3})
    assert r.zcount("z", "-inf", "+inf") == 3
    assert r.zcount("z", "(1", "3") == 2
    assert r.zcount("z", "3", "1") == 0
    assert r.zlexcount("z", "-", "+") == 3
    assert r.zlexcount("z", "[b", "+") == 2
    assert _err(r, "ZCOUNT", "z", "nan", "1") == "ERR min or max is not a float"


def test_zrange_forms(r):
    r.zadd("z", {m: i for i, m in enumerate("abcdef")})
    assert r.zrange("z", 1, 2) == [b"b", b"c"]
    assert r.zrange("z", 0, 1, desc=True) == [b"f", b"e"]
    assert r.zrevrange("z", 0, 0, withscores=True) == [(b"f", 5.0)]
    assert r.zrange("z", "(1", "4", byscore=True, offset=1, num=2) == [b"d", b"e"]
    assert r.zrange("z", "4", "(1", byscore=True, desc=True, offset=1, num=2) == [b"d", b"c"]
    assert r.zrangebyscore("z", 2, 3, withscores=True) == [(b"c", 2.0), (b"d", 3.0)]
    assert r.zrevrangebyscore("z", 3, 2) == [b"d", b"c"]
    r.zadd("l", {m: 0 for m in "abcdef"})
    assert r.zrangebylex("l", "[b", "(e") == [b"b", b"c", b"d"]
    assert r.zrevrangebylex("l", "+", "[e", start=0, num=1) == [b"f"]
    assert _err(r, "ZRANGE", "z", "0", "1", "LIMIT", "0", "1") == (
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
    assert _err(r, "ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES") == (
        "ERR syntax error, WITHSCORES not supported in combination with BYLEX")


def test_zrangestore(r):
    r.zadd("z", {m: i for i, m in enumerate("abcdef")})
    r.set("d", "v", ex=100)
    assert r.zrangestore("d", "z", 1, 3) == 3
    assert r.ttl("d") == -1
    assert r.zrange("d", 0, -1, withscores=True) == [(b"b", 1.0), (b"c", 2.0), (b"d", 3.0)]
    assert r.zrangestore("d", "z", 10, 20) == 0
    assert not r.exists("d")


# ------------------------------------------------------------------------------------------- encodings


def test_encoding_thresholds(r):
    r.zadd("z", {f"m{i}": i for i in range(128)})
    assert _enc(r, "z") == b"listpack"
    r.zadd("z", {"m128": 1})
    assert _enc(r, "z") == b"skiplist"
    r.zremrangebyrank("z", 0, 120)
    assert _enc(r, "z") == b"skiplist"      # one-way
    r.zrangestore("small", "z", 0, -1)
    assert _enc(r, "small") == b"listpack"
    r.zadd("long", {"x" * 64: 1})
    assert _enc(r, "long") == b"listpack"
    r.zadd("long", {"y" * 65: 1})
    assert _enc(r, "long") == b"skiplist"


def test_copy_is_independent(r):
    r.zadd("z", {"a": 1})
    assert r.copy("z", "c")
    r.zadd("c", {"b": 2})
    assert r.zcard("z") == 1
    assert r.zcard("c") == 2


def test_memory_usage_and_debug_object(r):
    r.zadd("z", {"a": 1, "b": 2})
    assert r.memory_usage("z") > 0
    r.zadd("big", {f"m{i}": i for i in range(200)})
    assert r.memory_usage("big") > r.memory_usage("z")


def test_rank_range_on_a_large_set_is_fast(r):
    """200k members: rank access and ranges are O(log n + m) (no timing assertion, the test would just hang)."""
    members = {f"m{i:06d}": i for i in range(200_000)}
    r.zadd("big", members)
    assert r.zcard("big") == 200_000
    for _ in range(200):
        i = random.randrange(200_000)
        assert r.zrange("big", i, i) == [b"m%06d" % i]
        assert r.zrank("big", f"m{i:06d}") == i
    assert r.zcount("big", 1000, "(2000") == 1000
    assert r.zrangebyscore("big", 199_990, "+inf") == [b"m%06d" % i for i in range(199_990, 200_000)]
    assert r.zremrangebyrank("big", 0, 99_999) == 100_000
    assert r.zrange("big", 0, 0) == [b"m100000"]


# ------------------------------------------------------------------------------------------- blocking


@pytest.mark.parametrize("create", [
    ("ZADD", "q", "1", "a"), ("ZINCRBY", "q", "1", "a"), ("ZRANGESTORE", "q", "src", "0", "-1"),
])
def test_key_creation_wakes_bzpopmin(r, port, create):
    r.zadd("src", {"a": 1})
    got: list[object] = []
    other = redis.Redis(port=port, socket_timeout=10)
    t = threading.Thread(target=lambda: got.append(other.bzpopmin("q", timeout=5)))
    t.start()
    try:
        wait_until(lambda: r.info("clients")["blocked_clients"] == 1, timeout=5)
        r.execute_command(*create)
        t.join(5)
        assert got == [(b"q", b"a", 1.0)]
    finally:
        t.join(5)
        other.close()


# ------------------------------------------------------------------------------------------- units


def test_score_parsing_units():
    assert parse_score(b"0x10") == 16.0
    assert parse_score(b"-inf") == float("-inf")
    for bad in (b"", b" 1", b"1 ", b"nan", b"1e400", b"1e-400", b"0x", b"1_0"):
        with pytest.raises(ReplyError):
            parse_score(bad)
    assert strtod(b"  5") == (5.0, False)
    assert strtod(b"") == (0.0, False)
    assert strtod(b"1e400") == (float("inf"), True)
    assert parse_score_range(b"(1", b"+inf") == ScoreRange(1.0, float("inf"), True, False)


def test_skiplist_core_matches_a_sorted_model():
    rng = random.Random(7)
    z = ZSetCore()
    model: dict[bytes, float] = {}
    for step in range(4000):
        m = b"m%d" % rng.randrange(200)
        if rng.random() < 0.6:
            s = float(rng.randrange(30))
            assert z.insert(m, s) == (m not in model)
            model[m] = s
        else:
            assert z.delete(m) == (model.pop(m, None) is not None)
        if step % 200 == 0:
            srt = sorted(model.items(), key=lambda p: (p[1], p[0]))
            assert z.items() == srt
            for i, (mm, _) in enumerate(srt):
                assert z.rank(mm) == i
            v = float(rng.randrange(30))
            assert z.count_score_below(v, False) == sum(1 for p in srt if p[1] < v)
            assert z.count_score_below(v, True) == sum(1 for p in srt if p[1] <= v)
    srt = sorted(model.items(), key=lambda p: (p[1], p[0]))
    assert z.range_by_rank(3, 10, True) == srt[::-1][3:11]
    assert z.delete_range_by_rank(2, 5) == [p[0] for p in srt[2:6]]


def test_lex_ranks_and_datatype_contract():
    zs = RedisZSet.build([(b"b", 0.0), (b"a", 0.0), (b"c", 0.0), (b"a", 0.0)], 128, 64)
    assert zs.encoding == b"listpack" and len(zs) == 3
    assert zs.lex_ranks(LexBound(b"a", True), LexBound(b"", inf=1)) == (1, 3)
    assert zs.count_by_lex(LexBound(b"", inf=1), LexBound(b"", inf=-1)) == 0
    assert zs.pop(2, True) == [(b"c", 0.0), (b"b", 0.0)]
    assert list(zs.items()) == [(b"a", 0.0)]
    big = RedisZSet.build([(b"%d" % i, float(i)) for i in range(129)], 128, 64)
    assert big.encoding == b"skiplist"
    cursor, seen = 0, set()
    while True:
        cursor, chunk = big.scan_members(cursor, 10)
        seen.update(m for m, _ in chunk)
        if cursor == 0:
            break
    assert len(seen) == 129
    neg = RedisZSet.build([(b"a", -0.0)], 128, 64)
    assert str(neg.score(b"a")) == "0.0"      # a listpack has no -0
