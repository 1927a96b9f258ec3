"""Sorted-set commands on one key, reply for reply against redis-server 7.0.15: table rows, every command,
option and error, score/lex parsing, listpack/skiplist encodings, RESP3 shapes, keyspace events and seeded random
sequences. (ZPOP*/BZ*/ZUNION*/ZRANDMEMBER/ZSCAN are covered by test_oracle_zset_multi.py.)"""
from __future__ import annotations

import random

import pytest
from helpers.oracle import Oracle, assert_same_keyspace_events

pytestmark = pytest.mark.oracle

ZSET_COMMANDS = (
    "zadd", "zincrby", "zrem", "zcard", "zscore", "zmscore", "zrank", "zrevrank", "zcount", "zlexcount",
    "zrange", "zrangestore", "zrevrange", "zrangebyscore", "zrevrangebyscore", "zrangebylex", "zrevrangebylex",
    "zremrangebyrank", "zremrangebyscore", "zremrangebylex",
)


def _fill(oracle: Oracle, key: str = "z") -> None:
    oracle.do("DEL", key)
    oracle.do("ZADD", key, "1", "a", "2", "b", "2", "bb", "3", "c", "-1.5", "neg", "inf", "top", "-inf", "bottom")


def _lex(oracle: Oracle, key: str = "l") -> None:
    oracle.do("DEL", key)
    oracle.do("ZADD", key, *[p for m in ("a", "b", "c", "d", "e", "f", "g", "aa", "", "\x00", "\xff")
                             for p in ("0", m)])


# ------------------------------------------------------------------------------------------- table rows


@pytest.mark.parametrize("name", ZSET_COMMANDS)
def test_command_info_rows_match(oracle, name):
    oracle.do("COMMAND", "INFO", name)


@pytest.mark.parametrize("name", ZSET_COMMANDS)
def test_command_docs_match(oracle, name):
    oracle.do("COMMAND", "DOCS", name)


@pytest.mark.parametrize("args", [
    ("zadd", "a", "1", "x"), ("zincrby", "a", "1", "x"), ("zrem", "a", "x"), ("zcard", "a"),
    ("zscore", "a", "x"), ("zmscore", "a", "x", "y"), ("zrank", "a", "x"), ("zcount", "a", "0", "1"),
    ("zrange", "a", "0", "1"), ("zrangestore", "d", "a", "0", "1"), ("zrevrangebylex", "a", "+", "-"),
    ("zremrangebyscore", "a", "0", "1"),
])
def test_command_getkeys_match(oracle, args):
    oracle.do("COMMAND", "GETKEYS", *args)


def test_arity_errors(oracle):
    for args in (("ZADD", "k", "1"), ("ZINCRBY", "k", "1"), ("ZINCRBY", "k", "1", "a", "b"), ("ZREM", "k"),
                 ("ZCARD",), ("ZCARD", "a", "b"), ("ZSCORE", "k"), ("ZMSCORE", "k"), ("ZRANK", "k"),
                 ("ZRANK", "k", "a", "WITHSCORE"), ("ZREVRANK", "k"), ("ZCOUNT", "k", "0"),
                 ("ZLEXCOUNT", "k", "-"), ("ZRANGE", "k", "0"), ("ZRANGESTORE", "d", "k", "0"),
                 ("ZREVRANGE", "k", "0"), ("ZRANGEBYSCORE", "k", "0"), ("ZREVRANGEBYSCORE", "k", "0"),
                 ("ZRANGEBYLEX", "k", "-"), ("ZREVRANGEBYLEX", "k", "+"), ("ZREMRANGEBYRANK", "k", "0"),
                 ("ZREMRANGEBYSCORE", "k", "0", "1", "2"), ("ZREMRANGEBYLEX", "k", "-")):
        oracle.error(*args)


@pytest.mark.parametrize("args", [
    ("ZADD", "str", "1", "x"), ("ZINCRBY", "str", "1", "x"), ("ZREM", "str", "x"), ("ZCARD", "str"),
    ("ZSCORE", "str", "x"), ("ZMSCORE", "str", "x"), ("ZRANK", "str", "x"), ("ZREVRANK", "str", "x"),
    ("ZCOUNT", "str", "0", "1"), ("ZLEXCOUNT", "str", "-", "+"), ("ZRANGE", "str", "0", "-1"),
    ("ZRANGESTORE", "d", "str", "0", "-1"), ("ZREVRANGE", "str", "0", "1"), ("ZRANGEBYSCORE", "str", "0", "1"),
    ("ZREVRANGEBYSCORE", "str", "1", "0"), ("ZRANGEBYLEX", "str", "-", "+"), ("ZREVRANGEBYLEX", "str", "+", "-"),
    ("ZREMRANGEBYRANK", "str", "0", "1"), ("ZREMRANGEBYSCORE", "str", "0", "1"),
    ("ZREMRANGEBYLEX", "str", "-", "+"),
])
def test_wrongtype(oracle, args):
    oracle.do("SET", "str", "string")
    oracle.error(*args)
    oracle.do("GET", "str")


def test_parse_errors_come_before_type_errors(oracle):
    oracle.do("SET", "str", "v")
    for args in (("ZADD", "str", "x", "a"), ("ZADD", "str", "NX", "XX", "1", "a"), ("ZCOUNT", "str", "x", "1"),
                 ("ZLEXCOUNT", "str", "a", "+"), ("ZRANGE", "str", "x", "1"), ("ZRANGE", "str", "0", "1", "FOO"),
                 ("ZREMRANGEBYRANK", "str", "x", "1"), ("ZREMRANGEBYSCORE", "str", "(x", "1"),
                 ("ZREMRANGEBYLEX", "str", "x", "+"), ("ZRANGESTORE", "d", "str", "0", "1", "WITHSCORES")):
        oracle.error(*args)


# ------------------------------------------------------------------------------------------------ ZADD


def test_zadd_basics_and_replies(oracle):
    oracle.do("ZADD", "z", "1", "a", "2", "b", "1", "a")
    oracle.do("ZADD", "z", "3", "a")
    oracle.do("ZRANGE", "z", "0", "-1", "WITHSCORES")
    oracle.do("ZADD", "z", "CH", "3", "a", "5", "b", "7", "c")
    oracle.do("ZADD", "z", "ch", "incr", "1", "a")
    oracle.do("ZRANGE", "z", "0", "-1", "WITHSCORES")
    oracle.do("ZCARD", "z")
    oracle.do("ZCARD", "nokey")


def test_zadd_nx_xx_gt_lt(oracle):
    oracle.do("ZADD", "z", "10", "a", "20", "b")
    oracle.do("ZADD", "z", "NX", "1", "a", "1", "c")
    oracle.do("ZADD", "z", "XX", "11", "a", "1", "d")
    oracle.do("ZADD", "z", "XX", "CH", "12", "a", "1", "d")
    oracle.do("ZADD", "z", "GT", "CH", "5", "a", "30", "b", "4", "e")
    oracle.do("ZADD", "z", "LT", "CH", "50", "a", "3", "b", "4", "f")
    oracle.do("ZADD", "z", "GT", "XX", "CH", "100", "a", "1", "g")
    oracle.do("ZADD", "z", "LT", "XX", "CH", "-100", "a")
    oracle.do("ZADD", "z", "GT", "CH", "-100", "a")
    oracle.do("ZRANGE", "z", "0", "-1", "WITHSCORES")
    oracle.do("ZADD", "nokey", "XX", "1", "a")
    oracle.do("EXISTS", "nokey")
    oracle.do("ZADD", "nokey", "XX", "INCR", "1", "a")
    oracle.do("EXISTS", "nokey")


def test_zadd_incr(oracle):
    oracle.do("ZADD", "z", "INCR", "1.5", "a")
    oracle.do("ZADD", "z", "INCR", "1.5", "a")
    oracle.do("ZADD", "z", "INCR", "NX", "1", "a")
    oracle.do("ZADD", "z", "INCR", "XX", "1", "b")
    oracle.do("ZADD", "z", "INCR", "GT", "-1", "a")
    oracle.do("ZADD", "z", "INCR", "GT", "0", "a")
    oracle.do("ZADD", "z", "INCR", "LT", "-1", "a")
    oracle.do("ZADD", "z", "INCR", "0", "a")
    oracle.do("ZADD", "z", "INCR", "LT", "5", "new")
    oracle.do("ZADD", "z", "INCR", "inf", "a")
    oracle.error("ZADD", "z", "INCR", "-inf", "a")
    oracle.do("ZSCORE", "z", "a")
    oracle.do("ZINCRBY", "z", "2", "x")
    oracle.do("ZINCRBY", "z", "-2.25", "x")
    oracle.do("ZINCRBY", "z", "1e300", "x")
    oracle.do("ZINCRBY", "z", "1e300", "x")
    oracle.do("ZINCRBY", "z", "+inf", "x")
    oracle.error("ZINCRBY", "z", "-inf", "x")
    oracle.error("ZINCRBY", "z", "nan", "x")
    oracle.error("ZINCRBY", "z", "abc", "x")
    oracle.error("ZINCRBY", "z", "nx", "x")
    oracle.error("ZINCRBY", "z", "INCR", "x")
    oracle.do("ZRANGE", "z", "0", "-1", "WITHSCORES")


def test_zadd_option_errors(oracle):
    oracle.do("ZADD", "z", "1", "a")
    for args in (("NX", "XX", "1", "a"), ("GT", "LT", "1", "a"), ("NX", "GT", "1", "a"), ("NX", "LT", "1", "a"),
                 ("XX", "NX", "GT", "1", "a"), ("INCR", "1", "a", "2", "b"), ("1", "a", "2"), ("NX",),
                 ("NX", "1"), ("FOO", "1", "a"), ("1", "a", "FOO"), ("CH", "CH", "x", "a"),
                 ("1", "a", "x", "b"), ("nan", "a"), ("1", "a", "NaN", "b"), ("", "a"), (" 1", "a"),
                 ("1 ", "a"), ("1e400", "a"), ("-1e400", "a"), ("1e-400", "a"), ("0x", "a"), ("1e", "a"),
                 ("1_0", "a"), ("--1", "a"), ("inf inity", "a"), ("1\x00", "a"), ("GT", "LT", "x", "a")):
        oracle.error("ZADD", "z", *args)
    oracle.do("ZRANGE", "z", "0", "-1", "WITHSCORES")


def test_zadd_accepted_float_forms(oracle):
    forms = ("0", "-0", "+5", ".5", "5.", "1e3", "1E-3", "-1.5e+2", "0x10", "0X1p-2", "-0x.8", "inf", "+inf",
             "-inf", "Infinity", "-INFINITY", "1e308", "4.9e-324", "123456789012345678901234567890",
             "0.1", "1.7976931348623157e308", "00012", "3.0000000000000001")
    for i, form in enumerate(forms):
        oracle.do("ZADD", "z", form, f"m{i}")
    oracle.do("ZRANGE", "z", "0", "-1", "WITHSCORES")
    oracle.both("HELLO", "3")
    try:
        oracle.do("ZRANGE", "z", "0", "-1", "WITHSCORES")
    finally:
        oracle.both("HELLO", "2")


def test_zadd_nan_from_incr_keeps_key(oracle):
    oracle.do("ZADD", "z", "inf", "a")
    oracle.error("ZADD", "z", "INCR", "-inf", "a")
    oracle.error("ZINCRBY", "z", "-inf", "a")
    oracle.do("ZRANGE", "z", "0", "-1", "WITHSCORES")


# -------------------------------------------------------------------------------------------- point reads


def test_zrem(oracle):
    _fill(oracle)
    oracle.do("ZREM", "z", "a", "nosuch", "b", "a")
    oracle.do("ZREM", "z", "nosuch")
    oracle.do("ZREM", "nokey", "a")
    oracle.do("ZREM", "z", "bb", "c", "neg", "top", "bottom", "after")
    oracle.do("EXISTS", "z")


def test_zscore_zmscore_zrank(oracle):
    _fill(oracle)
    for m in ("a", "b", "bb", "top", "bottom", "neg", "nosuch"):
        oracle.do("ZSCORE", "z", m)
        oracle.do("ZRANK", "z", m)
        oracle.do("ZREVRANK", "z", m)
    oracle.do("ZSCORE", "nokey", "a")
    oracle.do("ZRANK", "nokey", "a")
    oracle.do("ZMSCORE", "z", "a", "nosuch", "top", "bottom")
    oracle.do("ZMSCORE", "nokey", "a", "b")


def test_score_formatting(oracle):
    scores = ("0", "-0", "1", "-1", "0.1", "1.5", "1e300", "-1e-300", "3.14159265358979", "123456789012345678",
              "9007199254740993", "1e15", "1e16", "1e17", "2.5e-5", "inf", "-inf")
    for i, s in enumerate(scores):
        oracle.do("ZADD", "z", s, f"m{i}")
        oracle.do("ZSCORE", "z", f"m{i}")
    oracle.do("ZRANGE", "z", "0", "-1", "WITHSCORES")
    oracle.do("ZINCRBY", "z", "0.2", "m4")


# ----------------------------------------------------------------------------------------- counts / ranges


def test_zcount(oracle):
    _fill(oracle)
    for lo, hi in (("-inf", "+inf"), ("1", "2"), ("(1", "2"), ("1", "(2"), ("(1", "(2"), ("2", "1"),
                   ("(2", "(2"), ("2", "2"), ("-inf", "-inf"), ("(-inf", "(inf"), ("inf", "inf"), ("", ""),
                   ("(", "("), (" 1", "  2"), ("0x1", "0x2"), ("1e400", "inf"), ("-1.5", "-1.5"),
                   ("-INFINITY", "+Inf")):
        oracle.do("ZCOUNT", "z", lo, hi)
        oracle.do("ZRANGEBYSCORE", "z", lo, hi, "WITHSCORES")
        oracle.do("ZREVRANGEBYSCORE", "z", hi, lo)
    for lo, hi in (("x", "1"), ("1", "x"), ("nan", "1"), ("(nan", "1"), ("1 ", "2"), ("((1", "2"),
                   ("[1", "2"), ("1", "2x")):
        oracle.error("ZCOUNT", "z", lo, hi)
        oracle.error("ZRANGEBYSCORE", "z", lo, hi)
        oracle.error("ZREMRANGEBYSCORE", "z", lo, hi)
    oracle.do("ZCOUNT", "nokey", "0", "1")
    oracle.error("ZCOUNT", "nokey", "x", "1")


def test_zlexcount_and_lex_ranges(oracle):
    _lex(oracle)
    for lo, hi in (("-", "+"), ("[a", "[c"), ("(a", "[c"), ("[a", "(c"), ("(a", "(c"), ("[c", "[a"), ("+", "-"),
                   ("-", "-"), ("+", "+"), ("[", "(b"), ("(", "+"), ("[\xff", "+"), ("-", "[\x00"),
                   ("[aa", "[aa"), ("(aa", "[aa"), ("[a\x00", "+"), ("-", "(\xff")):
        oracle.do("ZLEXCOUNT", "l", lo, hi)
        oracle.do("ZRANGEBYLEX", "l", lo, hi)
        oracle.do("ZREVRANGEBYLEX", "l", hi, lo)
        oracle.do("ZRANGE", "l", lo, hi, "BYLEX")
        oracle.do("ZRANGE", "l", hi, lo, "BYLEX", "REV", "LIMIT", "1", "2")
    for lo, hi in (("a", "+"), ("-", "c"), ("+a", "+"), ("-", "-a"), ("", "+"), ("{a", "+")):
        oracle.error("ZLEXCOUNT", "l", lo, hi)
        oracle.error("ZRANGEBYLEX", "l", lo, hi)
        oracle.error("ZREMRANGEBYLEX", "l", lo, hi)
    oracle.do("ZLEXCOUNT", "nokey", "-", "+")
    oracle.do("ZRANGEBYLEX", "nokey", "-", "+")


def test_lex_ranges_on_mixed_scores_listpack(oracle):
    """Undefined by the docs, deterministic on a listpack: Redis walks it linearly."""
    oracle.do("ZADD", "m", "1", "d", "2", "a", "3", "e", "4", "b", "5", "c", "6", "f")
    for lo, hi in (("[b", "[d"), ("(a", "(e"), ("-", "[c"), ("[c", "+"), ("[e", "[e"), ("[z", "+"),
                   ("-", "(a"), ("[b", "[b")):
        oracle.do("ZLEXCOUNT", "m", lo, hi)
        oracle.do("ZRANGEBYLEX", "m", lo, hi)
        oracle.do("ZREVRANGEBYLEX", "m", hi, lo)
        oracle.do("ZRANGE", "m", hi, lo, "BYLEX", "REV", "LIMIT", "1", "1")
        oracle.do("ZRANGESTORE", "d", "m", lo, hi, "BYLEX")
        oracle.do("ZRANGE", "d", "0", "-1", "WITHSCORES")
    oracle.do("ZREMRANGEBYLEX", "m", "[b", "[d")
    oracle.do("ZRANGE", "m", "0", "-1", "WITHSCORES")


def test_zrange_by_rank(oracle):
    _fill(oracle)
    for start, stop in (("0", "-1"), ("0", "0"), ("-1", "-1"), ("1", "3"), ("-3", "-2"), ("5", "2"),
                        ("-100", "100"), ("7", "10"), ("6", "6"), ("-8", "0"), ("0", "-8"),
                        ("-9223372036854775808", "9223372036854775807")):
        oracle.do("ZRANGE", "z", start, stop)
        oracle.do("ZRANGE", "z", start, stop, "WITHSCORES")
        oracle.do("ZRANGE", "z", start, stop, "REV", "WITHSCORES")
        oracle.do("ZREVRANGE", "z", start, stop)
        oracle.do("ZREVRANGE", "z", start, stop, "withscores")
    oracle.do("ZRANGE", "nokey", "0", "-1")
    for args in (("x", "1"), ("0", "1.5"), ("0", "9223372036854775808"), ("0", "-1", "LIMIT", "0", "1"),
                 ("0", "-1", "WITHSCORES", "FOO"), ("0", "-1", "REV", "REV"), ("0", "-1", "BYSCORE", "BYLEX"),
                 ("0", "-1", "BYLEX", "WITHSCORES"), ("0", "-1", "LIMIT", "0"), ("0", "-1", "LIMIT", "x", "1"),
                 ("0", "-1", "BYSCORE", "LIMIT", "0", "x"), ("(0", "1"), ("0", "-1", "LIMIT", "0", "1", "FOO")):
        oracle.error("ZRANGE", "z", *args)
    oracle.error("ZREVRANGE", "z", "0", "-1", "REV")
    oracle.error("ZREVRANGE", "z", "0", "-1", "BYSCORE")
    oracle.error("ZREVRANGE", "z", "0", "-1", "LIMIT", "0", "1")
    oracle.error("ZRANGEBYSCORE", "z", "0", "1", "REV")
    oracle.error("ZRANGEBYSCORE", "z", "0", "1", "BYLEX")
    oracle.error("ZRANGEBYLEX", "z", "-", "+", "WITHSCORES")
    oracle.error("ZREVRANGEBYLEX", "z", "+", "-", "BYSCORE")


def test_zrange_byscore_limit_rev(oracle):
    _fill(oracle)
    for extra in ((), ("LIMIT", "0", "2"), ("LIMIT", "1", "2"), ("LIMIT", "2", "-1"), ("LIMIT", "-1", "2"),
                  ("LIMIT", "0", "0"), ("LIMIT", "6", "5"), ("LIMIT", "7", "5"), ("LIMIT", "100", "1"),
                  ("LIMIT", "1", "1", "LIMIT", "2", "3"), ("WITHSCORES", "LIMIT", "1", "3")):
        oracle.do("ZRANGE", "z", "-inf", "+inf", "BYSCORE", *extra)
        oracle.do("ZRANGE", "z", "(1", "3", "BYSCORE", *extra)
        oracle.do("ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", *extra)
        oracle.do("ZRANGE", "z", "3", "(1", "REV", "BYSCORE", *extra)
        oracle.do("ZRANGEBYSCORE", "z", "-inf", "2", *extra)
        oracle.do("ZREVRANGEBYSCORE", "z", "2", "-inf", *extra)
    oracle.do("ZRANGE", "z", "1", "3", "byscore", "rev")
    oracle.do("ZRANGEBYSCORE", "z", "(1", "(1")


def test_resp3_shapes(oracle):
    _fill(oracle)
    oracle.both("HELLO", "3")
    try:
        oracle.do("ZRANGE", "z", "0", "-1", "WITHSCORES")
        oracle.do("ZRANGE", "z", "0", "-1")
        oracle.do("ZREVRANGE", "z", "0", "2", "WITHSCORES")
        oracle.do("ZRANGEBYSCORE", "z", "-inf", "inf", "WITHSCORES", "LIMIT", "1", "2")
        oracle.do("ZREVRANGEBYSCORE", "z", "inf", "-inf", "WITHSCORES")
        oracle.do("ZRANGE", "z", "5", "1", "WITHSCORES")
        oracle.do("ZRANGE", "nokey", "0", "-1", "WITHSCORES")
        oracle.do("ZSCORE", "z", "a")
        oracle.do("ZSCORE", "z", "top")
        oracle.do("ZSCORE", "z", "nosuch")
        oracle.do("ZMSCORE", "z", "a", "nosuch", "bottom")
        oracle.do("ZINCRBY", "z", "0.5", "a")
        oracle.do("ZADD", "z", "INCR", "1", "a")
        oracle.do("ZADD", "z", "INCR", "NX", "1", "a")
        oracle.do("ZRANK", "z", "nosuch")
        oracle.do("ZRANK", "z", "a")
    finally:
        oracle.both("HELLO", "2")


def test_zrangestore(oracle):
    _fill(oracle)
    oracle.do("ZRANGESTORE", "d", "z", "0", "-1")
    oracle.do("ZRANGE", "d", "0", "-1", "WITHSCORES")
    oracle.do("ZRANGESTORE", "d", "z", "1", "2", "REV")
    oracle.do("ZRANGE", "d", "0", "-1", "WITHSCORES")
    oracle.do("ZRANGESTORE", "d", "z", "(1", "inf", "BYSCORE", "LIMIT", "1", "2")
    oracle.do("ZRANGE", "d", "0", "-1", "WITHSCORES")
    oracle.do("ZRANGESTORE", "d", "z", "inf", "(1", "BYSCORE", "REV", "LIMIT", "0", "2")
    oracle.do("ZRANGE", "d", "0", "-1", "WITHSCORES")
    _lex(oracle)
    oracle.do("ZRANGESTORE", "d", "l", "[b", "(f", "BYLEX")
    oracle.do("ZRANGE", "d", "0", "-1", "WITHSCORES")
    oracle.do("ZRANGESTORE", "d", "l", "+", "[b", "BYLEX", "REV", "LIMIT", "1", "3")
    oracle.do("ZRANGE", "d", "0", "-1", "WITHSCORES")
    oracle.do("SET", "s", "v", "EX", "100")
    oracle.do("ZRANGESTORE", "s", "z", "0", "0")
    oracle.do("TTL", "s")
    oracle.do("TYPE", "s")
    oracle.do("ZRANGESTORE", "z", "z", "0", "1")
    oracle.do("ZRANGE", "z", "0", "-1", "WITHSCORES")
    oracle.do("ZRANGESTORE", "d", "z", "5", "10")
    oracle.do("EXISTS", "d")
    oracle.do("ZRANGESTORE", "s", "nokey", "0", "-1")
    oracle.do("EXISTS", "s")
    oracle.do("ZRANGESTORE", "s", "nokey", "0", "-1")
    for args in (("0", "-1", "WITHSCORES"), ("0", "-1", "LIMIT", "0", "1"), ("x", "1"), ("0", "1", "BYLEX"),
                 ("0", "1", "BYSCORE", "BYSCORE"), ("-", "+", "BYLEX", "WITHSCORES")):
        oracle.error("ZRANGESTORE", "d", "z", *args)


def test_zremrangeby(oracle):
    _fill(oracle)
    oracle.do("ZREMRANGEBYRANK", "z", "5", "2")
    oracle.do("ZREMRANGEBYRANK", "z", "10", "20")
    oracle.do("ZREMRANGEBYRANK", "z", "-2", "-1")
    oracle.do("ZRANGE", "z", "0", "-1", "WITHSCORES")
    oracle.do("ZREMRANGEBYSCORE", "z", "(1", "2")
    oracle.do("ZREMRANGEBYSCORE", "z", "5", "1")
    oracle.do("ZRANGE", "z", "0", "-1", "WITHSCORES")
    oracle.do("ZREMRANGEBYRANK", "z", "0", "-1")
    oracle.do("EXISTS", "z")
    oracle.do("ZREMRANGEBYRANK", "nokey", "0", "-1")
    oracle.do("ZREMRANGEBYSCORE", "nokey", "0", "1")
    oracle.do("ZREMRANGEBYLEX", "nokey", "-", "+")
    oracle.error("ZREMRANGEBYRANK", "z", "0", "x")
    oracle.error("ZREMRANGEBYRANK", "z", "0.5", "1")
    _lex(oracle)
    oracle.do("ZREMRANGEBYLEX", "l", "(a", "[c")
    oracle.do("ZREMRANGEBYLEX", "l", "[c", "(a")
    oracle.do("ZRANGE", "l", "0", "-1")
    oracle.do("ZREMRANGEBYLEX", "l", "-", "+")
    oracle.do("EXISTS", "l")


# ------------------------------------------------------------------------------------------------ encodings


def test_object_encoding_thresholds(oracle):
    oracle.do("ZADD", "z", "1", "a")
    oracle.do("OBJECT", "ENCODING", "z")
    for i in range(127):
        oracle.do("ZADD", "z", str(i), f"m{i}")
    oracle.do("OBJECT", "ENCODING", "z")
    oracle.do("ZADD", "z", "1", "a")
    oracle.do("ZADD", "z", "1", "m0")
    oracle.do("OBJECT", "ENCODING", "z")
    oracle.do("ZADD", "z", "XX", "1", "one-too-many")
    oracle.do("OBJECT", "ENCODING", "z")
    oracle.do("ZADD", "z", "1", "one-too-many")
    oracle.do("OBJECT", "ENCODING", "z")
    oracle.do("ZREMRANGEBYRANK", "z", "0", "100")
    oracle.do("OBJECT", "ENCODING", "z")
    oracle.do("ZRANGESTORE", "small", "z", "0", "-1")
    oracle.do("OBJECT", "ENCODING", "small")
    # Long members.
    oracle.do("ZADD", "v", "1", "x" * 64)
    oracle.do("OBJECT", "ENCODING", "v")
    oracle.do("ZADD", "v", "XX", "2", "y" * 65)
    oracle.do("OBJECT", "ENCODING", "v")
    oracle.do("ZADD", "v", "2", "y" * 65)
    oracle.do("OBJECT", "ENCODING", "v")
    oracle.do("ZREM", "v", "y" * 65)
    oracle.do("OBJECT", "ENCODING", "v")
    oracle.do("ZADD", "w", "1", "a", "2", "y" * 65)
    oracle.do("OBJECT", "ENCODING", "w")
    oracle.do("ZADD", "w2", "1", "y" * 65, "2", "a")
    oracle.do("OBJECT", "ENCODING", "w2")
    oracle.do("ZRANGESTORE", "w3", "w2", "1", "1")
    oracle.do("OBJECT", "ENCODING", "w3")
    oracle.do("ZRANGESTORE", "w3", "w2", "0", "0")
    oracle.do("OBJECT", "ENCODING", "w3")
    oracle.do("ZINCRBY", "i", "1", "y" * 65)
    oracle.do("OBJECT", "ENCODING", "i")
    # Repeated members in one ZADD count once.
    oracle.do("ZADD", "dup", *(["1", "a"] * 200))
    oracle.do("OBJECT", "ENCODING", "dup")
    oracle.do("ZADD", "big", *[p for i in range(129) for p in (str(i), f"e{i}")])
    oracle.do("OBJECT", "ENCODING", "big")
    oracle.do("ZRANGESTORE", "bigd", "big", "0", "127")
    oracle.do("OBJECT", "ENCODING", "bigd")
    oracle.do("ZRANGESTORE", "bigd", "big", "0", "128")
    oracle.do("OBJECT", "ENCODING", "bigd")
    oracle.do("ZRANGESTORE", "bigd", "big", "(0", "inf", "BYSCORE")
    oracle.do("OBJECT", "ENCODING", "bigd")
    oracle.do("ZADD", "biglex", *[p for i in range(129) for p in ("0", f"e{i}")])
    oracle.do("ZRANGESTORE", "bigd", "biglex", "[e1", "[e2", "BYLEX")
    oracle.do("OBJECT", "ENCODING", "bigd")
    oracle.do("ZRANGE", "bigd", "0", "-1", "WITHSCORES")
    oracle.do("COPY", "big", "bigc")
    oracle.do("OBJECT", "ENCODING", "bigc")
    oracle.do("ZRANGE", "bigc", "0", "-1", "WITHSCORES")


def test_encoding_config_changes(oracle):
    try:
        oracle.do("CONFIG", "SET", "zset-max-listpack-entries", "0")
        oracle.do("ZADD", "a", "1", "x")
        oracle.do("OBJECT", "ENCODING", "a")
        oracle.do("ZRANGESTORE", "b", "a", "0", "-1")
        oracle.do("OBJECT", "ENCODING", "b")
        oracle.do("CONFIG", "SET", "zset-max-listpack-entries", "2")
        oracle.do("CONFIG", "SET", "zset-max-listpack-value", "3")
        oracle.do("ZADD", "c", "1", "x", "2", "y")
        oracle.do("OBJECT", "ENCODING", "c")
        oracle.do("ZADD", "c", "3", "z")
        oracle.do("OBJECT", "ENCODING", "c")
        oracle.do("ZADD", "d", "1", "abcd")
        oracle.do("OBJECT", "ENCODING", "d")
        oracle.do("ZADD", "e", "1", "abc")
        oracle.do("OBJECT", "ENCODING", "e")
        oracle.do("CONFIG", "SET", "zset-max-ziplist-entries", "128")
        oracle.do("CONFIG", "SET", "zset-max-ziplist-value", "64")
        oracle.do("ZADD", "f", "1", "abcd")
        oracle.do("OBJECT", "ENCODING", "f")
    finally:
        oracle.do("CONFIG", "SET", "zset-max-listpack-entries", "128")
        oracle.do("CONFIG", "SET", "zset-max-listpack-value", "64")


def test_large_sets(oracle):
    pairs = [p for i in range(300) for p in (str(i % 37), f"member:{i:05d}")]
    oracle.do("ZADD", "big", *pairs)
    oracle.do("ZCARD", "big")
    oracle.do("OBJECT", "ENCODING", "big")
    oracle.do("ZRANGE", "big", "100", "120", "WITHSCORES")
    oracle.do("ZRANGE", "big", "-20", "-1", "REV")
    oracle.do("ZRANGEBYSCORE", "big", "(5", "7", "LIMIT", "3", "10")
    oracle.do("ZREVRANGEBYSCORE", "big", "30", "(28", "WITHSCORES", "LIMIT", "5", "5")
    oracle.do("ZCOUNT", "big", "10", "(20")
    for m in ("member:00000", "member:00150", "member:00299", "nosuch"):
        oracle.do("ZRANK", "big", m)
        oracle.do("ZREVRANK", "big", m)
    oracle.do("ZREMRANGEBYSCORE", "big", "10", "20")
    oracle.do("ZREMRANGEBYRANK", "big", "5", "50")
    oracle.do("ZRANGE", "big", "0", "-1", "WITHSCORES")
    oracle.do("OBJECT", "ENCODING", "big")
    lex = [p for i in range(200) for p in ("0", f"w{i:04d}" + "x" * (i % 80))]
    oracle.do("ZADD", "lex", *lex)
    oracle.do("OBJECT", "ENCODING", "lex")
    oracle.do("ZLEXCOUNT", "lex", "[w0050", "(w0150")
    oracle.do("ZRANGEBYLEX", "lex", "(w0100", "+", "LIMIT", "10", "5")
    oracle.do("ZREMRANGEBYLEX", "lex", "[w0010", "[w0190")
    oracle.do("ZRANGE", "lex", "0", "-1")


def test_type_and_generic_commands(oracle):
    _fill(oracle)
    oracle.do("TYPE", "z")
    oracle.do("OBJECT", "ENCODING", "z")
    oracle.do("RENAME", "z", "z2")
    oracle.do("ZRANGE", "z2", "0", "-1", "WITHSCORES")
    oracle.do("COPY", "z2", "z3")
    oracle.do("ZADD", "z3", "100", "new")
    oracle.do("ZCARD", "z2")
    oracle.do("ZCARD", "z3")
    oracle.do("MOVE", "z3", "1")
    oracle.do("SELECT", "1")
    oracle.do("ZRANGE", "z3", "0", "-1", "WITHSCORES")
    oracle.do("SELECT", "0")
    oracle.do("SET", "s", "v")
    oracle.sorted("SCAN", "0", "TYPE", "zset")
    oracle.do("DEL", "z2")
    oracle.do("EXISTS", "z2")


# ------------------------------------------------------------------------------------------------ events


def test_keyspace_events(oracle):
    steps = [
        ("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("ZADD", "z", "1", "a"), ("ZADD", "z", "NX", "5", "a"),
        ("ZADD", "z", "CH", "5", "a"), ("ZADD", "z", "INCR", "1", "a"), ("ZINCRBY", "z", "1", "b"),
        ("ZADD", "z", "INCR", "XX", "1", "nosuch"), ("ZINCRBY", "z", "0", "b"), ("ZREM", "z", "nosuch"),
        ("ZREM", "z", "a"), ("ZADD", "z", "1", "a", "7", "d", "8", "e"), ("ZREMRANGEBYSCORE", "z", "100", "200"),
        ("ZREMRANGEBYSCORE", "z", "1", "1"), ("ZREMRANGEBYRANK", "z", "0", "0"),
        ("ZADD", "l", "0", "a", "0", "b"), ("ZREMRANGEBYLEX", "l", "[a", "[a"), ("ZREMRANGEBYLEX", "l", "-", "+"),
        ("ZRANGESTORE", "d", "z", "0", "-1"), ("ZRANGESTORE", "d", "z", "5", "6"),
        ("ZRANGESTORE", "d", "z", "5", "6"), ("ZREMRANGEBYRANK", "z", "0", "-1"), ("ZADD", "z", "1", "a"),
        ("ZREM", "z", "a", "b"), ("ZADD", "z", "inf", "a"), ("ZINCRBY", "z", "-inf", "a"),
    ]
    assert_same_keyspace_events(oracle, "__keyevent@*", steps)
    assert_same_keyspace_events(oracle, "__keyspace@*", steps[:6], flags="Kz$")


def test_new_key_events(oracle):
    steps = [("ZADD", "z", "1", "a"), ("ZADD", "z", "2", "b"), ("ZADD", "x", "XX", "1", "a"),
             ("ZINCRBY", "y", "1", "a"), ("ZRANGESTORE", "d", "z", "0", "-1"), ("ZRANGESTORE", "d", "z", "0", "0"),
             ("ZRANGESTORE", "e", "nokey", "0", "-1")]
    assert_same_keyspace_events(oracle, "__keyevent@*", steps, flags="KEzn$g")


def test_watch_is_touched_by_writes(oracle):
    for cmd in (("ZADD", "w", "2", "a"), ("ZREM", "w", "a"), ("ZRANGESTORE", "w", "nokey", "0", "-1"),
                ("ZREMRANGEBYRANK", "w", "0", "-1"), ("ZADD", "w", "1", "a"), ("ZADD", "w", "NX", "3", "a")):
        oracle.do("ZADD", "w", "1", "a")
        oracle.do("WATCH", "w")
        oracle.do(*cmd)
        oracle.do("MULTI")
        oracle.do("PING")
        oracle.do("EXEC")


# ----------------------------------------------------------------------------------------- random sequences


def test_random_zset_operations(oracle):
    rng = random.Random(20261127)
    keys = ["z1", "z2"]
    pool = [f"m{i}" for i in range(40)] + ["", "a" * 70]
    scores = ["0", "1", "-1", "2.5", "(2", "inf", "-inf", "10", "3"]
    for _ in range(600):
        op = rng.randrange(12)
        k = rng.choice(keys)
        if op <= 2:
            pairs = [p for _ in range(rng.randint(1, 4)) for p in (rng.choice(scores[:8]).lstrip("("),
                                                                    rng.choice(pool))]
            flags = rng.choice([(), ("NX",), ("XX",), ("GT",), ("LT",), ("CH",), ("GT", "CH"), ("XX", "LT")])
            oracle.do("ZADD", k, *flags, *pairs)
        elif op == 3:
            oracle.do("ZINCRBY", k, rng.choice(["1", "-2", "0.5"]), rng.choice(pool))
        elif op == 4:
            oracle.do("ZREM", k, *rng.sample(pool, rng.randint(1, 3)))
        elif op == 5:
            oracle.do("ZRANGE", k, str(rng.randint(-10, 10)), str(rng.randint(-10, 10)),
                      *rng.choice([(), ("WITHSCORES",), ("REV",), ("REV", "WITHSCORES")]))
        elif op == 6:
            lo, hi = sorted([rng.choice(scores), rng.choice(scores)])
            oracle.do("ZRANGE", k, lo, hi, "BYSCORE", "LIMIT", str(rng.randint(0, 3)), str(rng.randint(-1, 5)))
            oracle.do("ZCOUNT", k, lo, hi)
        elif op == 7:
            oracle.do("ZRANK", k, rng.choice(pool))
            oracle.do("ZREVRANK", k, rng.choice(pool))
        elif op == 8 and rng.random() < 0.3:
            oracle.do(rng.choice(["ZREMRANGEBYRANK", "ZREMRANGEBYSCORE"]), k, "0", str(rng.randint(0, 3)))
        elif op == 9:
            oracle.do("ZRANGESTORE", rng.choice(keys), k, "0", str(rng.randint(-1, 50)))
        elif op == 10:
            oracle.do("ZMSCORE", k, *rng.sample(pool, 3))
        oracle.do("ZCARD", k)
        if rng.random() < 0.2:
            oracle.do("OBJECT", "ENCODING", k)
    for k in keys:
        oracle.do("ZRANGE", k, "0", "-1", "WITHSCORES")


def test_debug_object_serializedlength(server_factory):
    """rdbSavedObjectLen of both encodings, byte-exact (compression off: LZF sizing is debug.py's business)."""
    servers = [server_factory(kind, enable_debug_command="yes", rdbcompression="no") for kind in ("pyredcache",
                                                                                                 "redis")]
    o = Oracle(servers[0].port, servers[1].port)
    try:
        o.do("ZADD", "a", "1", "x", "2.5", "y", "-3", "z", "100000", "12", "0.1", "-7", "inf", "w", "-0", "v")
        o.do("ZADD", "b", "4611686018427387904", "m", "1e300", "n", "-1e-300", "o", "123456789", "a" * 70)
        o.do("ZADD", "c", *[p for i in range(150) for p in (str(i * 1.5), f"member{i}")])
        o.do("ZADD", "d", *[p for i in range(100) for p in (str(i), "x" * i)])
        for key in ("a", "b", "c", "d"):
            ours, theirs = o.both("DEBUG", "OBJECT", key)
            assert ours.split(b" ")[2:5] == theirs.split(b" ")[2:5], (key, ours, theirs)
    finally:
        o.close()
