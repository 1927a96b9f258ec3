"""Set commands, reply for reply against redis-server 7.0.15: table rows, every command, option and error,
intset/hashtable encodings, RESP3 shapes, keyspace events and seeded random sequences.
Unordered replies (hashtable iteration) are compared with oracle.sorted; intset replies byte for byte."""
from __future__ import annotations

import random

import pytest
from helpers.oracle import Oracle, assert_same_keyspace_events, split_array

pytestmark = pytest.mark.oracle

SET_COMMANDS = (
    "sadd", "srem", "smembers", "sismember", "smismember", "scard", "spop", "srandmember", "smove", "sinter",
    "sintercard", "sunion", "sdiff", "sinterstore", "sunionstore", "sdiffstore", "sscan",
)


def _fill(oracle: Oracle, key: str = "s", *members: str) -> None:
    oracle.do("DEL", key)
    oracle.do("SADD", key, *(members or ("a", "b", "c", "1", "22")))


# ------------------------------------------------------------------------------------------- table rows


@pytest.mark.parametrize("name", SET_COMMANDS)
def test_command_info_rows_match(oracle, name):
    oracle.do("COMMAND", "INFO", name)


@pytest.mark.parametrize("name", SET_COMMANDS)
def test_command_docs_match(oracle, name):
    oracle.do("COMMAND", "DOCS", name)


@pytest.mark.parametrize("args", [
    ("sadd", "a", "x"), ("srem", "a", "x"), ("smembers", "a"), ("sismember", "a", "x"), ("smismember", "a", "x"),
    ("scard", "a"), ("spop", "a"), ("srandmember", "a", "1"), ("smove", "a", "b", "x"), ("sinter", "a", "b"),
    ("sintercard", "2", "a", "b", "LIMIT", "1"), ("sunion", "a", "b", "c"), ("sdiff", "a"),
    ("sinterstore", "d", "a", "b"), ("sunionstore", "d", "a"), ("sdiffstore", "d", "a", "b"),
    ("sscan", "a", "0"),
])
def test_command_getkeys_match(oracle, args):
    oracle.do("COMMAND", "GETKEYS", *args)


def test_arity_errors(oracle):
    for args in (("SADD", "k"), ("SREM", "k"), ("SMEMBERS",), ("SMEMBERS", "a", "b"), ("SISMEMBER", "k"),
                 ("SMISMEMBER", "k"), ("SCARD",), ("SPOP",), ("SRANDMEMBER",), ("SMOVE", "a", "b"),
                 ("SINTER",), ("SINTERCARD", "1"), ("SUNION",), ("SDIFF",), ("SINTERSTORE", "d"),
                 ("SUNIONSTORE", "d"), ("SDIFFSTORE", "d"), ("SSCAN", "k")):
        oracle.error(*args)


@pytest.mark.parametrize("args", [
    ("SADD", "str", "x"), ("SREM", "str", "x"), ("SMEMBERS", "str"), ("SISMEMBER", "str", "x"),
    ("SMISMEMBER", "str", "x"), ("SCARD", "str"), ("SPOP", "str"), ("SPOP", "str", "2"), ("SRANDMEMBER", "str"),
    ("SRANDMEMBER", "str", "-2"), ("SMOVE", "str", "s", "a"), ("SMOVE", "s", "str", "a"),
    ("SMOVE", "s", "str", "zz"), ("SINTER", "nokey", "str"), ("SINTER", "s", "str"),
    ("SINTERCARD", "2", "nokey", "str"), ("SUNION", "s", "str"), ("SDIFF", "nokey", "str"),
    ("SINTERSTORE", "d", "nokey", "str"), ("SUNIONSTORE", "d", "str"), ("SDIFFSTORE", "d", "s", "str"),
    ("SSCAN", "str", "0"),
])
def test_wrongtype(oracle, args):
    oracle.do("SET", "str", "string")
    _fill(oracle)
    oracle.error(*args)
    oracle.sorted("SMEMBERS", "s")
    oracle.do("GET", "str")


# ------------------------------------------------------------------------------------------------ basics


def test_sadd_srem_scard_sismember(oracle):
    oracle.do("SADD", "s", "a", "b", "a", "c")
    oracle.do("SADD", "s", "a")
    oracle.do("SCARD", "s")
    oracle.do("SCARD", "nokey")
    oracle.do("SISMEMBER", "s", "a")
    oracle.do("SISMEMBER", "s", "zz")
    oracle.do("SISMEMBER", "nokey", "a")
    oracle.do("SMISMEMBER", "s", "a", "zz", "c", "a")
    oracle.do("SMISMEMBER", "nokey", "a", "b")
    oracle.do("SREM", "s", "a", "zz", "a")
    oracle.do("SREM", "nokey", "a")
    oracle.do("SREM", "s", "b", "c")
    oracle.do("EXISTS", "s")
    oracle.do("SADD", "e", "")
    oracle.do("SISMEMBER", "e", "")
    oracle.do("SMEMBERS", "e")


def test_smembers_intset_order_and_encoding(oracle):
    oracle.do("SADD", "i", "5", "-3", "100", "0", "9223372036854775807", "-9223372036854775808")
    oracle.do("SMEMBERS", "i")
    oracle.do("OBJECT", "ENCODING", "i")
    oracle.do("SADD", "i", "x")
    oracle.do("OBJECT", "ENCODING", "i")
    oracle.sorted("SMEMBERS", "i")
    oracle.do("SREM", "i", "x")
    oracle.do("OBJECT", "ENCODING", "i")    # one-way: stays a hashtable


@pytest.mark.parametrize("member", ["01", "+1", " 1", "1.0", "-0", "9223372036854775808", "abc", "0x10"])
def test_sadd_non_canonical_integers_make_hashtable(oracle, member):
    oracle.do("SADD", "s", member)
    oracle.do("OBJECT", "ENCODING", "s")
    oracle.do("SMEMBERS", "s")


def test_set_max_intset_entries(oracle):
    oracle.do("CONFIG", "SET", "set-max-intset-entries", "4")
    try:
        oracle.do("SADD", "s", "1", "2", "3", "4")
        oracle.do("OBJECT", "ENCODING", "s")
        oracle.do("SADD", "s", "4")
        oracle.do("OBJECT", "ENCODING", "s")
        oracle.do("SADD", "s", "5")
        oracle.do("OBJECT", "ENCODING", "s")
        oracle.do("SREM", "s", "5", "4")
        oracle.do("OBJECT", "ENCODING", "s")
        oracle.do("SADD", "t", "1", "2", "3", "4", "5", "6")
        oracle.do("SUNIONSTORE", "u", "t")
        oracle.do("OBJECT", "ENCODING", "u")
        oracle.sorted("SUNION", "t")
        oracle.do("SDIFFSTORE", "u", "t", "nokey")
        oracle.do("OBJECT", "ENCODING", "u")
        oracle.do("SINTERSTORE", "u", "t", "s")
        oracle.do("OBJECT", "ENCODING", "u")
        oracle.do("SMEMBERS", "u")
        oracle.do("CONFIG", "SET", "set-max-intset-entries", "0")
        oracle.do("SADD", "z", "1")
        oracle.do("OBJECT", "ENCODING", "z")
        oracle.do("SMOVE", "s", "y", "1")
        oracle.do("OBJECT", "ENCODING", "y")
    finally:
        oracle.do("CONFIG", "SET", "set-max-intset-entries", "512")


def test_sadd_crossing_the_limit_in_one_call(oracle):
    oracle.do("SADD", "s", *range(600))
    oracle.do("OBJECT", "ENCODING", "s")
    oracle.do("SCARD", "s")
    oracle.sorted("SMEMBERS", "s")
    oracle.do("SINTERCARD", "1", "s", "LIMIT", "77")
    oracle.do("SADD", "t", *range(300))
    oracle.do("SINTERSTORE", "u", "s", "t")
    oracle.do("OBJECT", "ENCODING", "u")
    oracle.do("SMEMBERS", "u")
    oracle.do("SDIFF", "s", "t", "nokey")
    oracle.sorted("SUNION", "t", "s")


def test_large_int_set_becomes_hashtable(oracle):
    oracle.do("SADD", "s", *range(512))
    oracle.do("OBJECT", "ENCODING", "s")
    oracle.do("SADD", "s", "512")
    oracle.do("OBJECT", "ENCODING", "s")
    oracle.do("SCARD", "s")


# ---------------------------------------------------------------------------------------------- SPOP


def test_spop_single(oracle):
    _fill(oracle, "s", "only")
    oracle.do("SPOP", "s")
    oracle.do("EXISTS", "s")
    oracle.do("SPOP", "nokey")
    _fill(oracle, "s", "a", "b", "c")
    ours, theirs = oracle.same_type("SPOP", "s")
    oracle.do("SCARD", "s")


def test_spop_count(oracle):
    _fill(oracle, "s", "a", "b", "c", "d")
    oracle.do("SPOP", "s", "0")
    oracle.do("SPOP", "nokey", "0")
    oracle.do("SPOP", "nokey", "3")
    ours, theirs = oracle.same_type("SPOP", "s", "2")
    assert len(split_array(ours)) == len(split_array(theirs)) == 2
    oracle.do("SCARD", "s")
    oracle.do("SADD", "i", "3", "1", "2")
    oracle.do("SPOP", "i", "3")
    oracle.do("EXISTS", "i")
    oracle.do("SADD", "i", "3", "1", "2")
    oracle.do("SPOP", "i", "100")
    _fill(oracle, "s", "a", "b")
    oracle.sorted("SPOP", "s", "5")
    oracle.do("EXISTS", "s")


def test_spop_count_whole_hashtable_of_integers_sorted(oracle):
    oracle.do("SADD", "h", "a", "30", "1", "2", "-5", "1000", "7")
    oracle.do("SREM", "h", "a")
    oracle.do("OBJECT", "ENCODING", "h")
    oracle.do("SPOP", "h", "10")
    oracle.do("EXISTS", "h")


def test_spop_count_errors(oracle):
    _fill(oracle)
    for count in ("-1", "abc", "1.5", "9223372036854775808", ""):
        oracle.error("SPOP", "s", count)
        oracle.error("SPOP", "nokey", count)
    oracle.error("SPOP", "s", "1", "2")
    oracle.do("SCARD", "s")


def test_spop_rebuild_returns_hashtable_to_intset(oracle):
    oracle.do("SADD", "s", *range(600))
    oracle.do("OBJECT", "ENCODING", "s")
    oracle.same_type("SPOP", "s", "590")
    oracle.do("SCARD", "s")
    oracle.do("OBJECT", "ENCODING", "s")
    # A pop leaving many members pops one by one: the encoding stays.
    oracle.do("SADD", "t", *range(600))
    oracle.same_type("SPOP", "t", "10")
    oracle.do("OBJECT", "ENCODING", "t")


def test_spop_resp3_shapes(oracle):
    oracle.both("HELLO", "3")
    try:
        oracle.do("SPOP", "nokey")
        oracle.do("SPOP", "nokey", "2")
        oracle.do("SPOP", "nokey", "0")
        oracle.do("SRANDMEMBER", "nokey")
        oracle.do("SRANDMEMBER", "nokey", "3")
        oracle.do("SRANDMEMBER", "nokey", "-3")
        oracle.do("SMEMBERS", "nokey")
        oracle.do("SINTER", "nokey")
        oracle.do("SUNION", "nokey")
        oracle.do("SDIFF", "nokey")
        oracle.do("SADD", "i", "3", "1", "2")
        oracle.do("SMEMBERS", "i")
        oracle.do("SRANDMEMBER", "i", "5")
        oracle.do("SMISMEMBER", "i", "1", "9")
        oracle.do("SUNION", "i", "nokey")
        oracle.do("SPOP", "i", "0")
        oracle.do("SPOP", "i", "3")
    finally:
        oracle.both("HELLO", "2")


# ----------------------------------------------------------------------------------------- SRANDMEMBER


def test_srandmember(oracle):
    _fill(oracle)
    ours, theirs = oracle.same_type("SRANDMEMBER", "s")
    oracle.do("SRANDMEMBER", "nokey")
    oracle.do("SRANDMEMBER", "s", "0")
    oracle.do("SRANDMEMBER", "nokey", "5")
    oracle.do("SRANDMEMBER", "nokey", "-5")
    oracle.sorted("SRANDMEMBER", "s", "5")
    oracle.sorted("SRANDMEMBER", "s", "100")
    for count in ("3", "-3", "-20"):
        ours, theirs = oracle.same_type("SRANDMEMBER", "s", count)
        assert len(split_array(ours)) == len(split_array(theirs)) == abs(int(count))
    oracle.do("SADD", "i", "10", "-1", "5")
    oracle.do("SRANDMEMBER", "i", "3")
    oracle.do("SRANDMEMBER", "i", "9")
    oracle.do("SCARD", "s")


def test_srandmember_negative_count_repeats(oracle):
    _fill(oracle, "s", "x")
    oracle.do("SRANDMEMBER", "s", "-4")
    oracle.do("SRANDMEMBER", "s", "-1")


def test_srandmember_errors(oracle):
    _fill(oracle)
    for count in ("abc", "1.5", "-9223372036854775808", "9223372036854775808", ""):
        oracle.error("SRANDMEMBER", "s", count)
        oracle.error("SRANDMEMBER", "nokey", count)
    oracle.error("SRANDMEMBER", "s", "1", "2")


# ------------------------------------------------------------------------------------------------ SMOVE


def test_smove(oracle):
    _fill(oracle, "a", "x", "y")
    _fill(oracle, "b", "1", "2")
    oracle.do("SMOVE", "a", "b", "x")
    oracle.sorted("SMEMBERS", "b")
    oracle.do("OBJECT", "ENCODING", "b")
    oracle.do("SMOVE", "a", "b", "zz")
    oracle.do("SMOVE", "nokey", "b", "x")
    oracle.do("SMOVE", "a", "a", "y")
    oracle.do("SMOVE", "a", "a", "zz")
    oracle.do("SMOVE", "a", "c", "y")
    oracle.do("EXISTS", "a")
    oracle.do("SMEMBERS", "c")
    oracle.do("SMOVE", "c", "d", "5")
    oracle.do("OBJECT", "ENCODING", "d")
    _fill(oracle, "e", "7")
    oracle.do("SADD", "f", "7")
    oracle.do("SMOVE", "e", "f", "7")
    oracle.do("SMEMBERS", "f")
    oracle.do("EXISTS", "e")
    oracle.do("SET", "str", "v")
    oracle.do("SMOVE", "nokey", "str", "a")


# ------------------------------------------------------------------------------------------------ algebra


def _algebra_fixture(oracle: Oracle) -> None:
    _fill(oracle, "a", "1", "2", "3", "4", "x", "y")
    _fill(oracle, "b", "2", "3", "y", "z")
    _fill(oracle, "c", "3", "y", "q")
    _fill(oracle, "i", "5", "3", "2", "1")
    _fill(oracle, "j", "2", "3", "9")


def test_sinter_sunion_sdiff(oracle):
    _algebra_fixture(oracle)
    for cmd in ("SINTER", "SUNION", "SDIFF"):
        oracle.sorted(cmd, "a")
        oracle.sorted(cmd, "a", "b")
        oracle.sorted(cmd, "a", "b", "c")
        oracle.sorted(cmd, "c", "a", "nokey")
        oracle.sorted(cmd, "nokey", "a")
        oracle.sorted(cmd, "a", "a")
        # Integer results come back in intset order.
        oracle.do(cmd, "i", "j")
        oracle.do(cmd, "j", "i", "i")
    oracle.do("SINTER", "nokey")
    oracle.do("SDIFF", "i", "a")
    oracle.do("SUNION", "i", "nokey", "j")


def test_sintercard(oracle):
    _algebra_fixture(oracle)
    oracle.do("SINTERCARD", "1", "a")
    oracle.do("SINTERCARD", "2", "a", "b")
    oracle.do("SINTERCARD", "3", "a", "b", "c")
    oracle.do("SINTERCARD", "2", "a", "nokey")
    oracle.do("SINTERCARD", "2", "a", "b", "LIMIT", "0")
    oracle.do("SINTERCARD", "2", "a", "b", "LIMIT", "1")
    oracle.do("SINTERCARD", "2", "a", "b", "limit", "3")
    oracle.do("SINTERCARD", "2", "a", "b", "LIMIT", "100")
    oracle.do("SINTERCARD", "1", "a", "LIMIT", "1", "LIMIT", "2")
    oracle.do("SINTERCARD", "1", "a", "LIMIT", "3")


def test_sintercard_errors(oracle):
    _algebra_fixture(oracle)
    for args in (("0", "a"), ("-1", "a"), ("x", "a"), ("9223372036854775808", "a"), ("3", "a"), ("2", "a"),
                 ("1", "a", "LIMIT", "-1"), ("1", "a", "LIMIT", "x"), ("1", "a", "LIMIT"), ("1", "a", "FOO", "1"),
                 ("1", "a", "b"), ("1", "nokey", "LIMIT", "-1")):
        oracle.error("SINTERCARD", *args)


@pytest.mark.parametrize("cmd", ["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"])
def test_store_variants(oracle, cmd):
    _algebra_fixture(oracle)
    oracle.do(cmd, "d", "a", "b")
    oracle.sorted("SMEMBERS", "d")
    oracle.do("OBJECT", "ENCODING", "d")
    oracle.do(cmd, "d", "i", "j")
    oracle.do("SMEMBERS", "d")
    oracle.do("OBJECT", "ENCODING", "d")
    # The destination may be a source, and is overwritten whatever its type; its TTL goes.
    oracle.do(cmd, "a", "a", "c")
    oracle.sorted("SMEMBERS", "a")
    oracle.do("SET", "str", "v", "EX", "100")
    oracle.do(cmd, "str", "b", "c")
    oracle.do("TYPE", "str")
    oracle.do("TTL", "str")
    # An empty result deletes the destination.
    oracle.do(cmd, "str", "nokey", "nokey2")
    oracle.do("EXISTS", "str")
    oracle.do(cmd, "str", "nokey")


# ------------------------------------------------------------------------------------------------ SSCAN


def test_sscan_intset_and_small_hashtable(oracle):
    oracle.do("SADD", "i", *range(20))
    oracle.do("SSCAN", "i", "0")
    oracle.do("SSCAN", "i", "12345")
    oracle.do("SSCAN", "i", "0", "MATCH", "1*")
    oracle.do("SSCAN", "i", "0", "COUNT", "1")
    oracle.do("SSCAN", "nokey", "0")
    _fill(oracle, "s", "a", "b", "c", "ab")
    ours, theirs = oracle.both("SSCAN", "s", "0", "COUNT", "100")
    assert ours[:10] == theirs[:10]
    oracle.do("SSCAN", "s", "0", "COUNT", "100", "MATCH", "a?")


def test_sscan_errors(oracle):
    _fill(oracle)
    for args in (("s", "abc"), ("s", "-"), ("s", " 1"), ("s", "0", "COUNT", "0"), ("s", "0", "COUNT", "x"),
                 ("s", "0", "MATCH"), ("s", "0", "TYPE", "set"), ("s", "0", "FOO", "1"),
                 ("nokey", "abc")):
        oracle.error("SSCAN", *args)
    oracle.do("SSCAN", "nokey", "0", "COUNT", "0")
    oracle.do("SSCAN", "nokey", "0", "FOO")
    oracle.do("SET", "str", "v")
    oracle.error("SSCAN", "str", "0", "COUNT", "0")


# ------------------------------------------------------------------------------------------------ events


def test_keyspace_events(oracle):
    steps = [
        ("SADD", "s", "a", "b", "c"), ("SADD", "s", "a"), ("SREM", "s", "zz"), ("SREM", "s", "a"),
        ("SMOVE", "s", "t", "b"), ("SMOVE", "s", "t", "c"), ("SMOVE", "t", "t", "b"), ("SADD", "u", "1"),
        ("SPOP", "u"), ("SADD", "u", "1", "2"), ("SPOP", "u", "5"), ("SADD", "u", "1", "2", "3"),
        ("SINTERSTORE", "d", "t", "t"), ("SUNIONSTORE", "d", "t", "u"), ("SDIFFSTORE", "d", "t", "t"),
        ("SDIFFSTORE", "d", "t", "t"), ("SINTERSTORE", "t", "nokey"), ("SREM", "u", "1", "2", "3"),
    ]
    assert_same_keyspace_events(oracle, "__keyevent@*", steps)


# ----------------------------------------------------------------------------------------- random sequences


def test_random_set_operations(oracle):
    rng = random.Random(20260701)
    keys = ["s1", "s2", "s3"]
    pool = ["a", "b", "c", "1", "2", "3", "-7", "100", "xyz"]
    for _ in range(400):
        op = rng.randrange(9)
        k = rng.choice(keys)
        if op <= 2:
            oracle.do("SADD", k, *rng.sample(pool, rng.randint(1, 3)))
        elif op == 3:
            oracle.do("SREM", k, *rng.sample(pool, rng.randint(1, 3)))
        elif op == 4:
            oracle.do("SMOVE", k, rng.choice(keys), rng.choice(pool))
        elif op == 5:
            cmd = rng.choice(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"])
            oracle.do(cmd, rng.choice(keys), *rng.sample(keys, rng.randint(1, 3)))
        elif op == 6:
            oracle.sorted(rng.choice(["SINTER", "SUNION", "SDIFF"]), *rng.sample(keys, rng.randint(1, 3)))
        elif op == 7:
            oracle.do("SINTERCARD", "2", k, rng.choice(keys))
        else:
            oracle.do("SMISMEMBER", k, *rng.sample(pool, 3))
        oracle.do("SCARD", k)
        if rng.random() < 0.3:
            oracle.do("OBJECT", "ENCODING", k)
    for k in keys:
        oracle.sorted("SMEMBERS", k)
