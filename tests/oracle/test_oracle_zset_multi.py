"""Sorted-set pops, ZRANDMEMBER, the algebra (ZUNION/ZINTER/ZDIFF[STORE], ZINTERCARD), ZSCAN and the blocking
pops, reply for reply against redis-server 7.0.15: table rows, every option and error, listpack/skiplist
encodings, RESP3 shapes, inf/NaN arithmetic, keyspace events and wakeups seen by a second connection.
Random replies are compared on what is deterministic: shapes, counts, errors and the whole-set cases."""
from __future__ import annotations

from collections.abc import Iterator

import hiredis
import pytest
from helpers.oracle import BlockingPair, Oracle, assert_same_keyspace_events, split_array, wait_blocked
from helpers.rawclient import RawClient

pytestmark = pytest.mark.oracle

COMMANDS = (
    "zpopmin", "zpopmax", "bzpopmin", "bzpopmax", "zmpop", "bzmpop", "zrandmember", "zunion", "zinter", "zdiff",
    "zunionstore", "zinterstore", "zdiffstore", "zintercard", "zscan",
)


def _zadd(oracle: Oracle, key: str, *pairs: str | int | float) -> None:
    oracle.do("DEL", key)
    oracle.do("ZADD", key, *(repr(p) if isinstance(p, float) else p for p in pairs))


def _fill(oracle: Oracle) -> None:
    """z (listpack), big (skiplist), s (a set), str (a string)."""
    _zadd(oracle, "z", 1, "a", 2, "b", 3, "c", 3, "d", "-inf", "lo", "inf", "hi", 2.5, "x")
    oracle.do("CONFIG", "SET", "zset-max-listpack-entries", "4")
    _zadd(oracle, "big", *[part for i in range(12) for part in (i * 1.5, f"m{i}")])
    oracle.do("CONFIG", "SET", "zset-max-listpack-entries", "128")
    oracle.do("SADD", "s", "a", "c", "x", "y")
    oracle.do("SET", "str", "v")


def _decode(raw: bytes) -> object:
    reader = hiredis.Reader()
    reader.feed(raw)
    return reader.gets()


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def proto(request: pytest.FixtureRequest, oracle: Oracle) -> int:
    if request.param == 3:
        oracle.both("HELLO", "3")   # client ids differ
    return int(request.param)


# ------------------------------------------------------------------------------------------- table rows


@pytest.mark.parametrize("name", COMMANDS)
def test_command_info_rows_match(oracle, name):
    oracle.do("COMMAND", "INFO", name)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_docs_match(oracle, name):
    oracle.do("COMMAND", "DOCS", name)


@pytest.mark.parametrize("args", [
    ("zpopmin", "a"), ("zpopmax", "a", "2"), ("bzpopmin", "a", "b", "0"), ("bzpopmax", "a", "1"),
    ("zmpop", "2", "a", "b", "min"), ("bzmpop", "0", "2", "a", "b", "max", "count", "2"),
    ("zrandmember", "a", "1"), ("zunion", "2", "a", "b", "weights", "1", "2"), ("zinter", "1", "a"),
    ("zdiff", "3", "a", "b", "c"), ("zunionstore", "d", "2", "a", "b"), ("zinterstore", "d", "1", "a"),
    ("zdiffstore", "d", "2", "a", "b"), ("zintercard", "2", "a", "b", "limit", "1"), ("zscan", "a", "0"),
])
def test_command_getkeys_match(oracle, args):
    oracle.do("COMMAND", "GETKEYS", *args)
    oracle.do("COMMAND", "GETKEYSANDFLAGS", *args)


def test_arity_errors(oracle):
    for args in (("ZPOPMIN",), ("ZPOPMAX",), ("BZPOPMIN", "k"), ("BZPOPMAX",), ("ZMPOP", "1", "k"),
                 ("BZMPOP", "0", "1", "k"), ("ZRANDMEMBER",), ("ZUNION", "1"), ("ZINTER", "1"), ("ZDIFF", "1"),
                 ("ZUNIONSTORE", "d", "1"), ("ZINTERSTORE", "d", "1"), ("ZDIFFSTORE", "d", "1"),
                 ("ZINTERCARD", "1"), ("ZSCAN", "k")):
        oracle.error(*args)


@pytest.mark.parametrize("args", [
    ("ZPOPMIN", "str"), ("ZPOPMAX", "str", "2"), ("ZPOPMIN", "s"), ("ZPOPMIN", "str", "0"),
    ("ZMPOP", "2", "nokey", "str", "MIN"), ("ZMPOP", "2", "str", "z", "MAX"),
    ("BZPOPMIN", "nokey", "str", "0"), ("BZPOPMAX", "str", "z", "0"), ("BZMPOP", "0", "2", "nokey", "s", "MIN"),
    ("ZRANDMEMBER", "str"), ("ZRANDMEMBER", "str", "0"), ("ZRANDMEMBER", "s", "-3", "WITHSCORES"),
    ("ZUNION", "2", "z", "str"), ("ZINTER", "2", "nokey", "str"), ("ZDIFF", "2", "z", "str"),
    ("ZUNIONSTORE", "d", "2", "str", "z"), ("ZINTERSTORE", "d", "1", "str"), ("ZDIFFSTORE", "d", "2", "z", "str"),
    ("ZINTERCARD", "2", "z", "str"), ("ZSCAN", "str", "0"), ("ZSCAN", "s", "0"),
    # WRONGTYPE comes before the option errors
    ("ZUNION", "2", "z", "str", "WEIGHTS", "x"), ("ZINTERCARD", "1", "str", "LIMIT", "-1"),
])
def test_wrongtype(oracle, args):
    _fill(oracle)
    oracle.error(*args)
    oracle.do("ZRANGE", "z", "0", "-1", "WITHSCORES")
    oracle.do("GET", "str")


# ---------------------------------------------------------------------------------------------- ZPOPMIN/MAX


def test_zpop_replies_match(oracle, proto):
    _fill(oracle)
    for name in ("ZPOPMIN", "ZPOPMAX"):
        oracle.do(name, "z")
        oracle.do(name, "z", "1")
        oracle.do(name, "z", "2")
        oracle.do(name, "z", "0")
        oracle.do(name, "nokey")
        oracle.do(name, "nokey", "3")
        oracle.do(name, "nokey", "0")
        oracle.do(name, "big", "3")
    oracle.do("ZPOPMAX", "z", "100")
    oracle.do("EXISTS", "z")
    oracle.do("ZPOPMIN", "big", "1000")
    oracle.do("EXISTS", "big")


def test_zpop_errors_match(oracle):
    _fill(oracle)
    for name in ("ZPOPMIN", "ZPOPMAX"):
        oracle.error(name, "z", "-1")
        oracle.error(name, "z", "x")
        oracle.error(name, "z", "1.5")
        oracle.error(name, "z", "1", "2")
        oracle.error(name, "nokey", "-1")
        oracle.error(name, "z", "99999999999999999999")
    oracle.do("ZCARD", "z")


def test_zpop_scores_format_match(oracle, proto):
    _zadd(oracle, "f", "0.1", "a", "1e300", "b", "-1", "c", "-1.5e-10", "d", "123456789012345678", "e",
          "3.0000000000000004", "g")
    oracle.do("ZPOPMIN", "f", "100")


def test_zpop_scores_format_skiplist_match(oracle, proto):
    oracle.do("CONFIG", "SET", "zset-max-listpack-entries", "1")
    _zadd(oracle, "f", "0.1", "a", "1e300", "b", "-0", "c", "-1.5e-10", "d", "-inf", "e", "inf", "g")
    oracle.do("CONFIG", "SET", "zset-max-listpack-entries", "128")
    oracle.do("OBJECT", "ENCODING", "f")
    oracle.do("ZPOPMAX", "f", "3")
    oracle.do("ZPOPMIN", "f")
    oracle.do("ZPOPMIN", "f", "100")


# ---------------------------------------------------------------------------------------------- ZMPOP


def test_zmpop_replies_match(oracle, proto):
    _fill(oracle)
    oracle.do("ZMPOP", "1", "z", "MIN")
    oracle.do("ZMPOP", "1", "z", "max")
    oracle.do("ZMPOP", "3", "nokey", "z", "big", "MIN", "COUNT", "2")
    oracle.do("ZMPOP", "2", "nokey", "big", "MAX", "count", "100")
    oracle.do("EXISTS", "big")
    oracle.do("ZMPOP", "2", "nokey", "big", "MAX")
    oracle.do("ZMPOP", "1", "z", "MIN", "COUNT", "1000")
    oracle.do("EXISTS", "z")


def test_zmpop_errors_match(oracle):
    _fill(oracle)
    for args in (("0", "z", "MIN"), ("-1", "z", "MIN"), ("x", "z", "MIN"), ("3", "z", "MIN"), ("1", "z", "UP"),
                 ("1", "z"), ("1", "z", "MIN", "COUNT"), ("1", "z", "MIN", "COUNT", "0"),
                 ("1", "z", "MIN", "COUNT", "-2"), ("1", "z", "MIN", "COUNT", "x"),
                 ("1", "z", "MIN", "COUNT", "1", "COUNT", "1"), ("1", "z", "MIN", "foo"),
                 ("2", "z", "MIN", "COUNT", "1")):
        oracle.error("ZMPOP", *args)
    oracle.do("ZCARD", "z")


# ---------------------------------------------------------------------------------------------- ZRANDMEMBER


def test_zrandmember_deterministic_replies_match(oracle, proto):
    _fill(oracle)
    for key in ("z", "big"):
        oracle.do("ZRANDMEMBER", key, "100")
        oracle.do("ZRANDMEMBER", key, "100", "WITHSCORES")
        oracle.do("ZRANDMEMBER", key, "12", "withscores")
        oracle.do("ZRANDMEMBER", key, "0")
        oracle.do("ZRANDMEMBER", key, "0", "WITHSCORES")
    oracle.do("ZRANDMEMBER", "nokey")
    oracle.do("ZRANDMEMBER", "nokey", "5")
    oracle.do("ZRANDMEMBER", "nokey", "-5", "WITHSCORES")
    _zadd(oracle, "one", "7.5", "only")
    oracle.do("ZRANDMEMBER", "one")
    oracle.do("ZRANDMEMBER", "one", "1", "WITHSCORES")
    oracle.do("ZRANDMEMBER", "one", "-3", "WITHSCORES")
    oracle.do("ZRANDMEMBER", "one", "-3")


def test_zrandmember_random_shapes_match(oracle, proto):
    _fill(oracle)
    for key in ("z", "big"):
        for args in (("3",), ("3", "WITHSCORES"), ("-20",), ("-20", "WITHSCORES"), ("1",), ("-1", "WITHSCORES")):
            ours, theirs = oracle.same_type("ZRANDMEMBER", key, *args)
            assert len(split_array(ours)) == len(split_array(theirs))
        ours, theirs = oracle.same_type("ZRANDMEMBER", key)
        assert ours[:1] == b"$"


def test_zrandmember_errors_match(oracle):
    _fill(oracle)
    for args in (("z", "x"), ("z", "1.5"), ("z", "-9223372036854775808"), ("z", "9223372036854775808"),
                 ("z", "1", "WITHSCORE"), ("z", "1", "WITHSCORES", "x"), ("z", "1", "foo"),
                 ("z", "-9223372036854775807", "WITHSCORES"), ("z", "4611686018427387904", "WITHSCORES"),
                 ("nokey", "x"), ("nokey", "1", "foo"), ("str", "1", "foo")):
        oracle.error("ZRANDMEMBER", *args)
    oracle.do("ZRANDMEMBER", "z", "4611686018427387903", "WITHSCORES")
    oracle.do("ZRANDMEMBER", "nokey", "-4611686018427387903", "WITHSCORES")


# ---------------------------------------------------------------------------------------------- algebra


def test_zunion_zinter_zdiff_replies_match(oracle, proto):
    _fill(oracle)
    oracle.do("ZADD", "z2", 10, "a", 20, "c", "-inf", "hi", 5, "new")
    for name in ("ZUNION", "ZINTER"):
        for extra in ((), ("WITHSCORES",), ("WEIGHTS", 2, 3, "WITHSCORES"), ("AGGREGATE", "MIN", "WITHSCORES"),
                      ("aggregate", "max", "withscores"), ("AGGREGATE", "sum", "WEIGHTS", "-1", "0.5"),
                      ("WEIGHTS", "1", "1", "WEIGHTS", "2", "2", "WITHSCORES"), ("WITHSCORES", "WITHSCORES"),
                      ("AGGREGATE", "MAX", "AGGREGATE", "MIN", "WITHSCORES")):
            oracle.do(name, 2, "z", "z2", *extra)
        oracle.do(name, 3, "z", "z2", "s", "WITHSCORES")
        oracle.do(name, 3, "z", "nokey", "z2", "WITHSCORES")
        oracle.do(name, 1, "big", "WITHSCORES")
        oracle.do(name, 2, "big", "z", "WEIGHTS", 1, 100, "WITHSCORES")
        oracle.do(name, 2, "s", "s", "WITHSCORES")
        oracle.do(name, 1, "nokey")
    oracle.do("ZDIFF", 1, "z")
    oracle.do("ZDIFF", 2, "z", "z2", "WITHSCORES")
    oracle.do("ZDIFF", 3, "z", "s", "z2", "withscores")
    oracle.do("ZDIFF", 2, "z", "z", "WITHSCORES")
    oracle.do("ZDIFF", 2, "nokey", "z", "WITHSCORES")
    oracle.do("ZDIFF", 2, "z", "nokey", "WITHSCORES")
    oracle.do("ZDIFF", 2, "big", "z", "WITHSCORES")
    oracle.do("ZDIFF", 2, "s", "z", "WITHSCORES")


def test_algebra_inf_and_nan_arithmetic_match(oracle, proto):
    _zadd(oracle, "p", "inf", "a", "-inf", "b", 0, "c", 5, "d")
    _zadd(oracle, "n", "-inf", "a", "inf", "b", "inf", "c", 7, "d")
    for name in ("ZUNION", "ZINTER"):
        for extra in ((), ("WEIGHTS", 0, 1), ("WEIGHTS", 1, 0), ("WEIGHTS", "inf", "-inf"), ("WEIGHTS", "-0", 1),
                      ("AGGREGATE", "MIN"), ("AGGREGATE", "MAX"), ("WEIGHTS", 0, 0, "AGGREGATE", "MAX"),
                      ("WEIGHTS", 1, 0, "AGGREGATE", "MIN"), ("WEIGHTS", 0, 1, "AGGREGATE", "MIN")):
            oracle.do(name, 2, "p", "n", *extra, "WITHSCORES")
            oracle.do(name, 2, "n", "p", *extra, "WITHSCORES")
        oracle.do(name, 3, "p", "n", "p", "WITHSCORES")
        oracle.do(name, 3, "p", "n", "p", "WEIGHTS", 1, 1, "-1", "WITHSCORES")
        oracle.do(name, 2, "p", "p", "WEIGHTS", "1e308", "1e308", "WITHSCORES")


def test_algebra_weights_parsing_match(oracle):
    _zadd(oracle, "z", 1, "a", 2.5, "b")
    for w in ("1e400", "-1e400", "1e-400", "4e-320", "0x10", "0x1p-2", "infinity", "-Infinity", "+5", ".5", "1.",
              "0e5", "-0"):
        oracle.do("ZUNION", 1, "z", "WEIGHTS", w, "WITHSCORES")
    for w in (" 1", "1 ", "", "nan", "-nan", "x", "1e", "0x", "1\x00", "--1", "1_0"):
        oracle.error("ZUNION", 1, "z", "WEIGHTS", w)
        oracle.error("ZINTERSTORE", "d", 1, "z", "WEIGHTS", w)


def test_algebra_errors_match(oracle):
    _fill(oracle)
    for name in ("ZUNION", "ZINTER", "ZDIFF", "ZINTERCARD"):
        oracle.error(name, 0, "z")
        oracle.error(name, -1, "z")
        oracle.error(name, "x", "z")
        oracle.error(name, "1.0", "z")
        oracle.error(name, 3, "z", "big")
        oracle.error(name, 1, "z", "FOO")
        oracle.error(name, 1, "z", "LIMIT")
    for name in ("ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"):
        oracle.error(name, "d", 0, "z")
        oracle.error(name, "d", "x", "z")
        oracle.error(name, "d", 3, "z", "big")
        oracle.error(name, "d", 1, "z", "WITHSCORES")
        oracle.error(name, "d", 1, "z", "FOO")
    for name in ("ZUNION", "ZINTER", "ZUNIONSTORE d", "ZINTERSTORE d"):
        cmd = name.split()
        oracle.error(*cmd, 2, "z", "big", "WEIGHTS", 1)
        oracle.error(*cmd, 2, "z", "big", "WEIGHTS", 1, "x")
        oracle.error(*cmd, 2, "z", "big", "AGGREGATE")
        oracle.error(*cmd, 2, "z", "big", "AGGREGATE", "AVG")
        oracle.error(*cmd, 2, "z", "big", "AGGREGATE", "SUM", "extra")
    oracle.error("ZDIFF", 1, "z", "WEIGHTS", 1)
    oracle.error("ZDIFF", 1, "z", "AGGREGATE", "SUM")
    oracle.error("ZDIFFSTORE", "d", 1, "z", "WEIGHTS", 1)
    oracle.error("ZINTERCARD", 1, "z", "WEIGHTS", 1)
    oracle.error("ZINTERCARD", 1, "z", "WITHSCORES")
    oracle.do("EXISTS", "d")


def test_zintercard_match(oracle):
    _fill(oracle)
    oracle.do("ZADD", "z2", 10, "a", 20, "c", "-inf", "hi", 5, "new")
    oracle.do("ZINTERCARD", 2, "z", "z2")
    oracle.do("ZINTERCARD", 3, "z", "z2", "s")
    oracle.do("ZINTERCARD", 2, "z", "nokey")
    oracle.do("ZINTERCARD", 1, "big")
    for limit in ("0", "1", "2", "100"):
        oracle.do("ZINTERCARD", 2, "z", "z2", "LIMIT", limit)
        oracle.do("ZINTERCARD", 1, "big", "limit", limit)
    oracle.do("ZINTERCARD", 1, "big", "LIMIT", 1, "LIMIT", 5)
    for bad in ("-1", "x", "1.5", "99999999999999999999"):
        oracle.error("ZINTERCARD", 1, "z", "LIMIT", bad)


def test_store_variants_match(oracle):
    _fill(oracle)
    oracle.do("ZADD", "z2", 10, "a", 20, "c", "-inf", "hi", 5, "new")
    for name in ("ZUNIONSTORE", "ZINTERSTORE"):
        for extra in ((), ("WEIGHTS", 2, 3), ("AGGREGATE", "MIN"), ("AGGREGATE", "MAX", "WEIGHTS", "-1", "inf")):
            oracle.do(name, "d", 2, "z", "z2", *extra)
            oracle.do("ZRANGE", "d", 0, -1, "WITHSCORES")
            oracle.do("OBJECT", "ENCODING", "d")
    oracle.do("ZDIFFSTORE", "d", 2, "z", "z2")
    oracle.do("ZRANGE", "d", 0, -1, "WITHSCORES")
    oracle.do("ZUNIONSTORE", "d", 2, "s", "nokey")
    oracle.do("ZRANGE", "d", 0, -1, "WITHSCORES")
    oracle.do("TYPE", "d")
    # the destination may be a source; its old value (any type) and TTL are replaced
    oracle.do("ZUNIONSTORE", "z", 2, "z", "z2")
    oracle.do("ZRANGE", "z", 0, -1, "WITHSCORES")
    oracle.do("EXPIRE", "str", 100)
    oracle.do("ZINTERSTORE", "str", 2, "z", "z2")
    oracle.do("TYPE", "str")
    oracle.do("TTL", "str")
    # an empty result deletes the destination
    for name in ("ZINTERSTORE", "ZDIFFSTORE"):
        oracle.do("SET", "gone", "x")
        oracle.do(name, "gone", 2, "nokey", "z2")
        oracle.do("EXISTS", "gone")
        oracle.do(name, "gone", 1, "nokey")
    oracle.do("ZDIFFSTORE", "d", 2, "z2", "z2")
    oracle.do("EXISTS", "d")


def test_store_encoding_limits_match(oracle):
    oracle.do("CONFIG", "SET", "zset-max-listpack-entries", "3")
    oracle.do("CONFIG", "SET", "zset-max-listpack-value", "5")
    try:
        _zadd(oracle, "a", 1, "x", 2, "y")
        _zadd(oracle, "b", 3, "z", 4, "w")
        _zadd(oracle, "long", 1, "abcdefgh")
        oracle.do("OBJECT", "ENCODING", "a")
        for args in (("ZUNIONSTORE", "d", 2, "a", "b"), ("ZINTERSTORE", "d", 2, "a", "a"),
                     ("ZUNIONSTORE", "d", 2, "a", "long"), ("ZDIFFSTORE", "d", 1, "long"),
                     ("ZUNIONSTORE", "d", 1, "b")):
            oracle.do(*args)
            oracle.do("OBJECT", "ENCODING", "d")
        oracle.do("CONFIG", "SET", "zset-max-listpack-entries", "0")
        oracle.do("ZUNIONSTORE", "d", 1, "b")
        oracle.do("OBJECT", "ENCODING", "d")
    finally:
        oracle.do("CONFIG", "SET", "zset-max-listpack-entries", "128")
        oracle.do("CONFIG", "SET", "zset-max-listpack-value", "64")


# ------------------------------------------------------------------------------------------------- ZSCAN


def test_zscan_listpack_match(oracle, proto):
    _zadd(oracle, "z", 1, "a", 2.5, "b", "-inf", "c", "inf", "d", "0", "e", "0.1", "f", "1e300", "ab")
    oracle.do("ZSCAN", "z", 0)
    oracle.do("ZSCAN", "z", 0, "COUNT", 1)
    oracle.do("ZSCAN", "z", 12345, "MATCH", "a*")
    oracle.do("ZSCAN", "z", 0, "MATCH", "*", "COUNT", 100)
    oracle.do("ZSCAN", "z", 0, "match", "zz*")
    oracle.do("ZSCAN", "nokey", 0)
    oracle.do("ZSCAN", "nokey", 0, "COUNT", 0)


def test_zscan_errors_match(oracle):
    _zadd(oracle, "z", 1, "a")
    for args in (("x",), ("-x",), (" 1",), ("0", "COUNT", "0"), ("0", "COUNT", "-1"), ("0", "COUNT", "x"),
                 ("0", "COUNT"), ("0", "MATCH"), ("0", "TYPE", "zset"), ("0", "FOO", "bar"),
                 ("18446744073709551616",)):
        oracle.error("ZSCAN", "z", *args)


def _full_scan(client: RawClient, key: str, count: int, match: str | None = None) -> dict[bytes, bytes]:
    cursor = b"0"
    seen: dict[bytes, bytes] = {}
    for _ in range(10000):
        args = ["ZSCAN", key, cursor.decode(), "COUNT", str(count)]
        if match is not None:
            args += ["MATCH", match]
        reply = _decode(client.command(*args))
        assert isinstance(reply, list)
        cursor, flat = reply
        assert len(flat) % 2 == 0
        seen.update(zip(flat[::2], flat[1::2], strict=True))
        if cursor == b"0":
            return seen
    raise AssertionError("ZSCAN did not finish")


def test_zscan_skiplist_full_iteration_match(oracle):
    oracle.do("CONFIG", "SET", "zset-max-listpack-entries", "8")
    try:
        pairs = [p for i in range(300) for p in (f"{i * 0.25 - 30}", f"member:{i}")]
        _zadd(oracle, "big", *pairs)
        oracle.do("OBJECT", "ENCODING", "big")
        for count, match in ((10, None), (1, None), (1000, None), (7, "member:1*")):
            ours = _full_scan(oracle.ours, "big", count, match)
            theirs = _full_scan(oracle.redis, "big", count, match)
            assert ours == theirs
    finally:
        oracle.do("CONFIG", "SET", "zset-max-listpack-entries", "128")


# ------------------------------------------------------------------------------------------ keyspace events


def test_keyspace_events_match(oracle):
    _fill(oracle)
    oracle.do("ZADD", "z2", 10, "a", 20, "c")
    assert_same_keyspace_events(oracle, "__key*__:*", [
        ("ZPOPMIN", "z"), ("ZPOPMAX", "z", "2"), ("ZPOPMIN", "nokey"), ("ZPOPMIN", "z", "0"),
        ("ZMPOP", "2", "nokey", "z", "MAX", "COUNT", "100"),
        ("ZUNIONSTORE", "d", "2", "big", "z2"), ("ZINTERSTORE", "d", "2", "big", "z2"),
        ("ZINTERSTORE", "d2", "2", "s", "z2"), ("ZDIFFSTORE", "d3", "2", "z2", "s"),
        ("ZDIFFSTORE", "d3", "2", "z2", "z2"), ("ZDIFFSTORE", "d3", "2", "z2", "z2"),
        ("BZPOPMAX", "nokey", "z2", "0"), ("BZMPOP", "0", "1", "z2", "MIN", "COUNT", "5"),
        ("ZRANDMEMBER", "big", "100"), ("ZUNION", "1", "big"), ("ZINTERCARD", "1", "big"),
    ])


# ---------------------------------------------------------------------------------------------- blocking


@pytest.fixture
def pair(pyredcache_proc, redis_proc) -> Iterator[BlockingPair]:
    p = BlockingPair(pyredcache_proc.port, redis_proc.port)
    yield p
    p.close()


@pytest.fixture
def pair2(pyredcache_proc, redis_proc) -> Iterator[BlockingPair]:
    p = BlockingPair(pyredcache_proc.port, redis_proc.port)
    yield p
    p.close()


def test_blocking_errors_match(oracle):
    _fill(oracle)
    for name in ("BZPOPMIN", "BZPOPMAX"):
        for timeout in ("x", "-1", "inf", "nan", "1e30", "-inf", "-0.01"):
            oracle.error(name, "k", timeout)
        oracle.error(name, "str", "0")
        oracle.error(name, "nokey", "s", "0")
        oracle.error(name, "str", "x")
    for args in (("0", "0", "a", "MIN"), ("0", "-1", "a", "MIN"), ("0", "x", "a", "MIN"), ("0", "3", "a", "MIN"),
                 ("0", "1", "a", "UP"), ("x", "1", "a", "MIN"), ("-1", "1", "a", "MIN"), ("x", "0", "a", "MIN"),
                 ("0", "1", "a", "MIN", "COUNT", "0"), ("0", "1", "a", "MIN", "COUNT"),
                 ("0", "1", "a", "MIN", "COUNT", "1", "COUNT", "1"), ("0", "1", "a", "MIN", "extra"),
                 ("x", "1", "a", "MIN", "COUNT", "0"), ("0", "1", "str", "MIN"), ("0", "2", "nokey", "s", "MAX")):
        oracle.error("BZMPOP", *args)


def test_blocking_immediate_replies_match(oracle, proto):
    _fill(oracle)
    oracle.do("BZPOPMIN", "nokey", "z", "0")
    oracle.do("BZPOPMAX", "z", "big", "0")
    oracle.do("BZPOPMAX", "big", "0.5")
    oracle.do("BZMPOP", "0", "2", "nokey", "z", "MIN")
    oracle.do("BZMPOP", "0", "2", "nokey", "big", "MAX", "COUNT", "3")
    oracle.do("BZMPOP", "1", "1", "z", "MIN", "COUNT", "100")
    oracle.do("EXISTS", "z")


def test_blocking_timeouts_match(oracle, proto):
    oracle.do("BZPOPMIN", "k", "0.01")
    oracle.do("BZPOPMAX", "k", "k2", "0.01")
    oracle.do("BZMPOP", "0.01", "1", "k", "MIN")
    oracle.do("BZMPOP", "0.01", "2", "k", "k2", "MAX", "COUNT", "3")


def test_blocking_in_multi_does_not_block_match(oracle, proto):
    oracle.do("MULTI")
    oracle.do("BZPOPMIN", "k", "0")
    oracle.do("BZPOPMAX", "k", "0")
    oracle.do("BZMPOP", "0", "1", "k", "MIN")
    oracle.do("ZADD", "k", "1", "a", "2", "b")
    oracle.do("BZPOPMAX", "k", "0")
    oracle.do("BZMPOP", "0", "1", "k", "MIN", "COUNT", "5")
    oracle.do("EXEC")


def test_wakeup_by_zadd_match(oracle, pair):
    pair.send("BZPOPMIN", "k1", "k2", "0")
    wait_blocked(oracle, 1)
    oracle.do("ZADD", "k2", "3", "c", "1", "a", "2", "b")
    pair.reply()
    oracle.do("ZRANGE", "k2", "0", "-1", "WITHSCORES")
    pair.send("BZPOPMAX", "k2", "0")
    pair.reply()
    pair.send("BZMPOP", "0", "2", "x", "y", "MAX", "COUNT", "2")
    wait_blocked(oracle, 1)
    oracle.do("ZADD", "y", "1", "a", "2", "b", "3", "c")
    pair.reply()
    oracle.do("ZRANGE", "y", "0", "-1", "WITHSCORES")
    pair.send("BZMPOP", "0", "1", "w", "MIN", "COUNT", "10")
    wait_blocked(oracle, 1)
    oracle.do("ZADD", "w", "5", "only")
    pair.reply()
    oracle.do("EXISTS", "w")


def test_wakeup_resp3_shapes_match(oracle, pair):
    pair.send("HELLO", "3")
    pair.ours.read_reply()
    pair.redis.read_reply()
    for cmd in (("BZPOPMIN", "k", "0"), ("BZPOPMAX", "k", "0"), ("BZMPOP", "0", "1", "k", "MIN"),
                ("BZMPOP", "0", "1", "k", "MAX", "COUNT", "2")):
        pair.send(*cmd)
        wait_blocked(oracle, 1)
        oracle.do("ZADD", "k", "1.5", "a", "inf", "b", "-2", "c")
        pair.reply()
        oracle.do("DEL", "k")
    pair.send("BZPOPMIN", "k", "0.01")
    pair.reply()


def test_wakeup_by_store_commands_match(oracle, pair):
    oracle.do("ZADD", "src", "1", "a", "2", "b")
    for cmd in (("ZUNIONSTORE", "k", "1", "src"), ("ZINTERSTORE", "k", "2", "src", "src"),
                ("ZDIFFSTORE", "k", "1", "src")):
        pair.send("BZPOPMAX", "k", "0")
        wait_blocked(oracle, 1)
        oracle.do(*cmd)
        pair.reply()
        oracle.do("ZRANGE", "k", "0", "-1", "WITHSCORES")
        oracle.do("DEL", "k")


def test_fifo_order_of_two_blocked_clients_match(oracle, pair, pair2):
    pair.send("BZPOPMIN", "k", "0")
    wait_blocked(oracle, 1)
    pair2.send("BZMPOP", "0", "1", "k", "MIN", "COUNT", "2")
    wait_blocked(oracle, 2)
    oracle.do("ZADD", "k", "1", "a", "2", "b", "3", "c", "4", "d")
    pair.reply()
    pair2.reply()
    oracle.do("ZRANGE", "k", "0", "-1", "WITHSCORES")
    # one member for two clients: the first gets it, the second keeps waiting
    pair.send("BZPOPMAX", "q", "0")
    wait_blocked(oracle, 1)
    pair2.send("BZPOPMAX", "q", "0")
    wait_blocked(oracle, 2)
    oracle.do("ZADD", "q", "1", "only")
    pair.reply()
    wait_blocked(oracle, 1)
    oracle.do("ZADD", "q", "2", "next")
    pair2.reply()


def test_wakeup_after_exec_match(oracle, pair):
    pair.send("BZPOPMIN", "k", "0")
    wait_blocked(oracle, 1)
    oracle.do("MULTI")
    oracle.do("ZADD", "k", "5", "a")
    oracle.do("ZADD", "k", "1", "b")
    oracle.do("EXEC")
    pair.reply()
    oracle.do("ZRANGE", "k", "0", "-1", "WITHSCORES")


def test_wakeup_emptied_in_exec_stays_blocked_match(oracle, pair):
    pair.send("BZPOPMIN", "k", "0.3")
    wait_blocked(oracle, 1)
    oracle.do("MULTI")
    oracle.do("ZADD", "k", "1", "a")
    oracle.do("ZPOPMIN", "k")
    oracle.do("EXEC")
    pair.reply()


def test_wrong_type_arriving_keeps_client_blocked_match(oracle, pair):
    pair.send("BZPOPMIN", "k", "0")
    wait_blocked(oracle, 1)
    oracle.do("RPUSH", "k", "x")
    oracle.do("SET", "k", "v")
    wait_blocked(oracle, 1)
    oracle.do("DEL", "k")
    oracle.do("ZADD", "k", "1", "m")
    pair.reply()


def test_client_unblock_replies_match(oracle, pair):
    pair.send("CLIENT", "ID")
    ours_id = int(pair.ours.read_reply()[1:-2])
    redis_id = int(pair.redis.read_reply()[1:-2])
    for cmd in (("BZPOPMIN", "k", "0"), ("BZMPOP", "0", "1", "k", "MAX")):
        for reason in ("TIMEOUT", "ERROR"):
            pair.send(*cmd)
            wait_blocked(oracle, 1)
            a = oracle.ours.command("CLIENT", "UNBLOCK", ours_id, reason)
            b = oracle.redis.command("CLIENT", "UNBLOCK", redis_id, reason)
            assert a == b == b":1\r\n"
            pair.reply()
    pair.send("PING")
    pair.reply()


def test_disconnect_while_blocked_match(oracle, pyredcache_proc, redis_proc):
    first = BlockingPair(pyredcache_proc.port, redis_proc.port)
    second = BlockingPair(pyredcache_proc.port, redis_proc.port)
    try:
        first.send("BZPOPMIN", "k", "0")
        wait_blocked(oracle, 1)
        second.send("BZPOPMIN", "k", "0")
        wait_blocked(oracle, 2)
        first.close()
        wait_blocked(oracle, 1)
        oracle.do("ZADD", "k", "1", "a", "2", "b")
        second.reply()
        oracle.do("ZRANGE", "k", "0", "-1", "WITHSCORES")
    finally:
        second.close()


def test_served_pop_keyspace_events_match(oracle, pair):
    pair.send("BZPOPMIN", "k", "0")
    wait_blocked(oracle, 1)
    assert_same_keyspace_events(oracle, "__key*__:*", [("ZADD", "k", "1", "a", "2", "b")])
    pair.reply()
    oracle.do("DEL", "k")
    pair.send("BZMPOP", "0", "1", "k", "MAX", "COUNT", "5")
    wait_blocked(oracle, 1)
    assert_same_keyspace_events(oracle, "__key*__:*", [("ZADD", "k", "1", "a", "2", "b")])
    pair.reply()


@pytest.mark.parametrize("how", ["rename", "copy", "move"])
def test_zset_arriving_by_key_command_wakes_blocked_client_match(oracle, pair, how):
    pair.send("BZPOPMAX", "k", "0")
    wait_blocked(oracle, 1)
    if how == "move":
        oracle.do("SELECT", "1")
        oracle.do("ZADD", "k", "1", "a", "2", "b")
        oracle.do("MOVE", "k", "0")
        oracle.do("SELECT", "0")
    else:
        oracle.do("ZADD", "src", "1", "a", "2", "b")
        oracle.do(how.upper(), "src", "k")
    pair.reply()
    oracle.do("ZRANGE", "k", "0", "-1", "WITHSCORES")


def test_zset_waiter_behind_list_waiter_is_served_match(oracle, pair, pair2):
    pair.send("BLPOP", "k", "0.5")
    wait_blocked(oracle, 1)
    pair2.send("BZPOPMIN", "k", "0.5")
    wait_blocked(oracle, 2)
    oracle.do("ZADD", "k", "1", "m")
    pair2.reply()
    pair.reply()


def test_negative_zero_in_listpack_reads_back_as_zero_match(oracle):
    _zadd(oracle, "z", "-0", "a", "1", "b")
    oracle.do("ZSCAN", "z", "0")
    oracle.do("ZUNIONSTORE", "d", "1", "z", "WEIGHTS", "-1")
    oracle.do("ZSCAN", "d", "0")
    oracle.do("ZPOPMIN", "z")
    oracle.do("CONFIG", "SET", "zset-max-listpack-entries", "1")
    try:
        _zadd(oracle, "big", "-0", "a", "1", "b")
        oracle.do("ZUNION", "2", "big", "big", "WITHSCORES")
        oracle.do("ZPOPMIN", "big")
        oracle.do("ZUNIONSTORE", "d", "1", "z", "WEIGHTS", "-1")
        oracle.do("ZSCAN", "d", "0")
    finally:
        oracle.do("CONFIG", "SET", "zset-max-listpack-entries", "128")
