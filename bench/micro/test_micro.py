"""pytest-benchmark micro benchmarks of the Cython hot paths: request parser, reply writer, keyspace get/set,
key_hash_slot, glob matching and the sorted-set skiplist. Not part of the test run (bench/ is outside
testpaths); run with `python -m pytest bench/micro -p no:cacheprovider --benchmark-only`.
"""
from __future__ import annotations

from typing import Any

import pytest
from pyredcache._speedups.resp import ReplyWriter, RequestParser

from pyredcache._speedups.glob import stringmatch
from pyredcache._speedups.keyspace import Context, Db
from pyredcache._speedups.slots import key_hash_slot
from pyredcache._speedups.zset import ZSetCore

Benchmark = Any  # pytest-benchmark's fixture type

BATCH = 1000  # requests per parser call, like one 16-deep pipeline from 60 clients


def _multibulk(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


SET_BATCH = b"".join(_multibulk(b"SET", b"key:%012d" % i, b"x" * 3) for i in range(BATCH))
GET_BATCH = b"".join(_multibulk(b"GET", b"key:%012d" % i) for i in range(BATCH))
MSET_BATCH = b"".join(
    _multibulk(b"MSET", *[p for j in range(10) for p in (b"key:%012d" % (i * 10 + j), b"xxx")])
    for i in range(BATCH // 10))
INLINE_BATCH = b"PING\r\n" * BATCH
BIG_VALUE = _multibulk(b"SET", b"big", b"v" * 1_000_000)


# ------------------------------------------------------------------------------------ request parser

@pytest.mark.parametrize("name,data", [("set", SET_BATCH), ("get", GET_BATCH), ("mset", MSET_BATCH),
                                       ("inline_ping", INLINE_BATCH)])
def test_parser_batch(benchmark: Benchmark, name: str, data: bytes) -> None:
    def run() -> int:
        return len(RequestParser().feed(data))

    assert benchmark(run) == (BATCH // 10 if name == "mset" else BATCH)


def test_parser_split_reads(benchmark: Benchmark) -> None:
    """The same SET batch arriving in 1460-byte TCP segments (partial requests across reads)."""
    chunks = [SET_BATCH[i:i + 1460] for i in range(0, len(SET_BATCH), 1460)]

    def run() -> int:
        p = RequestParser()
        return sum(len(p.feed(c)) for c in chunks)

    assert benchmark(run) == BATCH


def test_parser_1mb_bulk(benchmark: Benchmark) -> None:
    chunks = [BIG_VALUE[i:i + 65536] for i in range(0, len(BIG_VALUE), 65536)]

    def run() -> int:
        p = RequestParser()
        return sum(len(p.feed(c)) for c in chunks)

    assert benchmark(run) == 1


# ------------------------------------------------------------------------------------- reply writer

VALUES = [b"x" * 3, b"y" * 100, b"z" * 1000]


@pytest.mark.parametrize("resp", [2, 3])
def test_reply_writer_mixed(benchmark: Benchmark, resp: int) -> None:
    """A pipeline's worth of typical replies: +OK, integers, bulks, nulls."""
    w = ReplyWriter(resp)

    def run() -> int:
        for i in range(BATCH // 4):
            w.ok()
            w.integer(i)
            w.bulk(VALUES[i % 3])
            w.null()
        return len(w.take())

    assert benchmark(run) > 0


def test_reply_writer_bulk_array(benchmark: Benchmark) -> None:
    """MGET/KEYS-shaped reply: one array of 1000 bulks."""
    items = [b"key:%012d" % i for i in range(BATCH)]
    w = ReplyWriter(2)

    def run() -> int:
        w.bulk_array(items)
        return len(w.take())

    assert benchmark(run) > 0


def test_reply_writer_double(benchmark: Benchmark) -> None:
    w = ReplyWriter(3)

    def run() -> int:
        for i in range(BATCH):
            w.put_double(i * 1.5)
        return len(w.take())

    assert benchmark(run) > 0


# ---------------------------------------------------------------------------------------- keyspace

class _WrongType(Exception):
    pass


def _db(n: int) -> Db:
    ctx = Context()
    ctx.now_ms = 1_700_000_000_000
    ctx.wrongtype = _WrongType
    db = Db(ctx, 0)
    for i in range(n):
        db.set_key(b"key:%012d" % i, b"xxx")
    return db


KEYS = [b"key:%012d" % i for i in range(BATCH)]


def test_keyspace_set_key(benchmark: Benchmark) -> None:
    db = _db(100_000)

    def run() -> None:
        for k in KEYS:
            db.set_key(k, b"yyy")

    benchmark(run)


def test_keyspace_get_string_read(benchmark: Benchmark) -> None:
    db = _db(100_000)

    def run() -> int:
        n = 0
        for k in KEYS:
            if db.get_string_read(k) is not None:
                n += 1
        return n

    assert benchmark(run) == BATCH


def test_keyspace_get_with_expires(benchmark: Benchmark) -> None:
    db = _db(100_000)
    for k in KEYS:
        db.set_expire(k, 1_800_000_000_000)

    def run() -> int:
        return sum(1 for k in KEYS if db.get_string_read(k) is not None)

    assert benchmark(run) == BATCH


def test_keyspace_miss(benchmark: Benchmark) -> None:
    db = _db(100_000)
    missing = [b"nokey:%d" % i for i in range(BATCH)]

    def run() -> int:
        return sum(1 for k in missing if db.lookup_read(k) is None)

    assert benchmark(run) == BATCH


# ------------------------------------------------------------------------------------ slots / glob

def test_key_hash_slot(benchmark: Benchmark) -> None:
    def run() -> int:
        s = 0
        for k in KEYS:
            s += key_hash_slot(k)
        return s

    assert benchmark(run) > 0


def test_key_hash_slot_hash_tag(benchmark: Benchmark) -> None:
    tagged = [b"{user:%d}:profile" % (i % 50) for i in range(BATCH)]

    def run() -> int:
        return sum(key_hash_slot(k) for k in tagged)

    assert benchmark(run) > 0


def test_glob_stringmatch(benchmark: Benchmark) -> None:
    def run() -> int:
        return sum(1 for k in KEYS if stringmatch(b"key:*[13579]", k))

    assert benchmark(run) == BATCH // 2


# ------------------------------------------------------------------------------------------- zset

ZSET_MEMBERS = [b"member:%08d" % ((i * 7919) % 100_000) for i in range(BATCH)]


def _zset(n: int) -> ZSetCore:
    z = ZSetCore()
    for i in range(n):
        z.insert(b"member:%08d" % i, float(i % 1000))
    return z


def test_zset_insert(benchmark: Benchmark) -> None:
    """BATCH inserts (ZADD's core) into a fresh skiplist + dict."""
    def run() -> int:
        z = ZSetCore()
        for i, m in enumerate(ZSET_MEMBERS):
            z.insert(m, float(i))
        return len(z)

    assert benchmark(run) == BATCH


def test_zset_rank_and_range(benchmark: Benchmark) -> None:
    """ZRANK + a 10-element ZRANGE by rank on a 100k-member set, BATCH times each."""
    z = _zset(100_000)

    def run() -> int:
        total = 0
        for m in ZSET_MEMBERS:
            r = z.rank(m)
            assert r is not None
            total += len(z.range_by_rank(r, r + 9))
        return total

    assert benchmark(run) > 0


def test_zset_count_by_score(benchmark: Benchmark) -> None:
    """ZCOUNT's two O(log n) descents on a 100k-member set, BATCH times."""
    z = _zset(100_000)

    def run() -> int:
        return sum(z.count_score_below(float(i % 1000), True) - z.count_score_below(float(i % 500), False)
                   for i in range(BATCH))

    assert benchmark(run) != 0
