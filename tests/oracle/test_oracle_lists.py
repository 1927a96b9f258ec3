"""List commands, reply for reply against redis-server 7.0.15: every command, option and error, RESP2 and
RESP3 null shapes, keyspace events, and seeded random operation sequences."""
from __future__ import annotations

import random

import pytest
from helpers.oracle import Oracle, assert_same_keyspace_events

pytestmark = pytest.mark.oracle

LIST_COMMANDS = (
    "lpush", "rpush", "lpushx", "rpushx", "lpop", "rpop", "llen", "lrange", "lindex", "lset", "linsert", "lrem",
    "ltrim", "lpos", "lmove", "rpoplpush", "lmpop",
)


def _fill(oracle: Oracle, key: str = "l", *elements: str) -> None:
    oracle.do("DEL", key)
    oracle.do("RPUSH", key, *(elements or ("a", "b", "c", "b", "a", "1", "22", "b")))


# ------------------------------------------------------------------------------------------- table rows


@pytest.mark.parametrize("name", LIST_COMMANDS)
def test_command_info_rows_match(oracle, name):
    oracle.do("COMMAND", "INFO", name)


@pytest.mark.parametrize("name", LIST_COMMANDS)
def test_command_getkeys_match(oracle, name):
    samples = {
        "lmove": ("lmove", "a", "b", "left", "right"), "rpoplpush": ("rpoplpush", "a", "b"),
        "lmpop": ("lmpop", "2", "a", "b", "left"), "linsert": ("linsert", "a", "before", "p", "e"),
        "lrange": ("lrange", "a", "0", "1"), "ltrim": ("ltrim", "a", "0", "1"), "lset": ("lset", "a", "0", "x"),
        "lrem": ("lrem", "a", "0", "x"), "llen": ("llen", "a"), "lpop": ("lpop", "a"), "rpop": ("rpop", "a"),
        "lindex": ("lindex", "a", "0"), "lpos": ("lpos", "a", "x"),
    }
    args = samples.get(name, (name, "a", "x"))
    oracle.do("COMMAND", "GETKEYS", *args)


def test_arity_errors(oracle):
    for args in (("LPUSH", "k"), ("RPUSH", "k"), ("LPUSHX", "k"), ("RPUSHX", "k"), ("LPOP",), ("RPOP",),
                 ("LPOP", "k", "1", "2"), ("RPOP", "k", "1", "2"), ("LLEN",), ("LLEN", "a", "b"),
                 ("LRANGE", "k", "0"), ("LINDEX", "k"), ("LSET", "k", "0"), ("LINSERT", "k", "BEFORE", "p"),
                 ("LREM", "k", "0"), ("LTRIM", "k", "0"), ("LPOS", "k"), ("LMOVE", "a", "b", "LEFT"),
                 ("RPOPLPUSH", "a"), ("LMPOP", "1", "k")):
        oracle.error(*args)


@pytest.mark.parametrize("args", [
    ("LPUSH", "s", "x"), ("RPUSH", "s", "x"), ("LPUSHX", "s", "x"), ("RPUSHX", "s", "x"), ("LPOP", "s"),
    ("RPOP", "s", "2"), ("LLEN", "s"), ("LRANGE", "s", "0", "-1"), ("LINDEX", "s", "0"), ("LSET", "s", "0", "x"),
    ("LINSERT", "s", "BEFORE", "a", "b"), ("LREM", "s", "0", "a"), ("LTRIM", "s", "0", "1"), ("LPOS", "s", "a"),
    ("LMOVE", "s", "l", "LEFT", "LEFT"), ("LMOVE", "l", "s", "LEFT", "LEFT"), ("RPOPLPUSH", "s", "l"),
    ("RPOPLPUSH", "l", "s"), ("LMPOP", "2", "nokey", "s", "LEFT"),
])
def test_wrongtype(oracle, args):
    oracle.do("SET", "s", "string")
    _fill(oracle)
    oracle.error(*args)
    oracle.do("LRANGE", "l", "0", "-1")
    oracle.do("GET", "s")


# ------------------------------------------------------------------------------------------------ pushes


def test_push_family(oracle):
    oracle.do("LPUSH", "l", "a", "b", "c")
    oracle.do("RPUSH", "l", "d", "e")
    oracle.do("LRANGE", "l", "0", "-1")
    oracle.do("LPUSHX", "l", "x", "y")
    oracle.do("RPUSHX", "l", "z")
    oracle.do("LPUSHX", "nokey", "x")
    oracle.do("RPUSHX", "nokey", "x")
    oracle.do("EXISTS", "nokey")
    oracle.do("LRANGE", "l", "0", "-1")
    oracle.do("TYPE", "l")
    oracle.do("OBJECT", "ENCODING", "l")
    oracle.do("RPUSH", "bin", b"\x00\xff\r\n", "", "12345678901234567890123")
    oracle.do("LRANGE", "bin", "0", "-1")


def test_object_encoding_is_quicklist_for_any_size(oracle):
    oracle.do("RPUSH", "small", "a")
    oracle.do("OBJECT", "ENCODING", "small")
    oracle.do("RPUSH", "big", *[str(i) * 10 for i in range(300)])
    oracle.do("OBJECT", "ENCODING", "big")
    oracle.do("RPUSH", "huge", "x" * 10000)
    oracle.do("OBJECT", "ENCODING", "huge")


# -------------------------------------------------------------------------------------------------- pops


@pytest.mark.parametrize("cmd", ["LPOP", "RPOP"])
def test_pop_variants(oracle, cmd):
    _fill(oracle)
    oracle.do(cmd, "l")
    oracle.do(cmd, "l", "0")
    oracle.do(cmd, "l", "2")
    oracle.do(cmd, "l", "100")
    oracle.do("EXISTS", "l")
    oracle.do(cmd, "l")
    oracle.do(cmd, "l", "1")
    oracle.do(cmd, "l", "0")
    oracle.error(cmd, "l", "-1")
    oracle.error(cmd, "l", "x")
    oracle.error(cmd, "l", "1.5")
    _fill(oracle, "l", "x")
    oracle.error(cmd, "l", "-1")


@pytest.mark.parametrize("cmd", ["LPOP", "RPOP"])
def test_pop_resp3_null_shapes(oracle, cmd):
    oracle.both("HELLO", "3")
    try:
        oracle.do(cmd, "nokey")
        oracle.do(cmd, "nokey", "1")
        oracle.do(cmd, "nokey", "0")
        oracle.do("LMPOP", "1", "nokey", "LEFT")
        oracle.do("LINDEX", "nokey", "0")
        oracle.do("LPOS", "nokey", "a")
        oracle.do("LPOS", "nokey", "a", "COUNT", "0")
        oracle.do("LMOVE", "nokey", "d", "LEFT", "LEFT")
        _fill(oracle)
        oracle.do(cmd, "l", "3")
        oracle.do("LPOS", "l", "zz")
        oracle.do("LINDEX", "l", "99")
    finally:
        oracle.both("HELLO", "2")


# ---------------------------------------------------------------------------------------------- reading


def test_llen_lindex_lrange(oracle):
    oracle.do("LLEN", "nokey")
    oracle.do("LRANGE", "nokey", "0", "-1")
    oracle.do("LINDEX", "nokey", "0")
    _fill(oracle)
    oracle.do("LLEN", "l")
    for i in range(-10, 10):
        oracle.do("LINDEX", "l", i)
    for start, stop in ((0, -1), (0, 0), (-1, -1), (2, 5), (-3, -1), (5, 2), (-100, 100), (8, 10), (7, 7),
                        (-100, -50), (3, -3), (0, -9), (100, 200), ("-9223372036854775808", "9223372036854775807")):
        oracle.do("LRANGE", "l", start, stop)
    oracle.error("LRANGE", "l", "a", "1")
    oracle.error("LRANGE", "l", "0", "1.0")
    oracle.error("LINDEX", "l", "x")
    oracle.error("LINDEX", "l", "99999999999999999999")


def test_lrange_long_list_both_ends(oracle):
    oracle.do("RPUSH", "l", *range(1000))
    for start, stop in ((0, 9), (-10, -1), (990, 999), (400, 600), (-600, -400), (995, 2000)):
        oracle.do("LRANGE", "l", start, stop)
    for i in (0, 1, 499, 500, 998, 999, -1, -1000, -1001, 1000):
        oracle.do("LINDEX", "l", i)


def test_lpos_options(oracle):
    _fill(oracle)
    for args in ((), ("RANK", "1"), ("RANK", "2"), ("RANK", "3"), ("RANK", "4"), ("RANK", "-1"), ("RANK", "-3"),
                 ("RANK", "-4"), ("COUNT", "0"), ("COUNT", "2"), ("COUNT", "10"), ("RANK", "2", "COUNT", "0"),
                 ("RANK", "-1", "COUNT", "2"), ("MAXLEN", "2"), ("MAXLEN", "3", "COUNT", "0"),
                 ("RANK", "-1", "MAXLEN", "1", "COUNT", "0"), ("RANK", "-1", "MAXLEN", "4", "COUNT", "0"),
                 ("MAXLEN", "0", "COUNT", "0"), ("rank", "1", "count", "1", "maxlen", "100"),
                 ("RANK", "2", "RANK", "1"), ("RANK", "-9223372036854775808"),
                 ("RANK", "9223372036854775807")):
        oracle.do("LPOS", "l", "b", *args)
        oracle.do("LPOS", "l", "zz", *args)
    oracle.do("LPOS", "nokey", "a")
    oracle.do("LPOS", "nokey", "a", "COUNT", "0")
    oracle.do("LPOS", "nokey", "a", "RANK", "2")
    for args in (("RANK", "0"), ("RANK", "x"), ("RANK", "9223372036854775808"), ("COUNT", "-1"), ("COUNT", "x"),
                 ("MAXLEN", "-1"), ("MAXLEN", "x"), ("FOO", "1"), ("RANK",), ("COUNT",), ("MAXLEN",), ("FOO",)):
        oracle.error("LPOS", "l", "b", *args)
        oracle.error("LPOS", "nokey", "b", *args)


# ------------------------------------------------------------------------------------------------ writes


def test_lset(oracle):
    oracle.error("LSET", "nokey", "0", "x")
    _fill(oracle)
    for i in (0, -1, 3, -8, 7):
        oracle.do("LSET", "l", i, f"v{i}")
    oracle.error("LSET", "l", "8", "x")
    oracle.error("LSET", "l", "-9", "x")
    oracle.error("LSET", "l", "x", "x")
    oracle.error("LSET", "nokey", "x", "x")
    oracle.do("LRANGE", "l", "0", "-1")


def test_linsert(oracle):
    oracle.do("LINSERT", "nokey", "BEFORE", "a", "x")
    oracle.error("LINSERT", "nokey", "MIDDLE", "a", "x")
    _fill(oracle)
    oracle.do("LINSERT", "l", "BEFORE", "b", "x")
    oracle.do("LINSERT", "l", "after", "b", "y")
    oracle.do("LINSERT", "l", "AFTER", "22", "z")
    oracle.do("LINSERT", "l", "before", "a", "first")
    oracle.do("LINSERT", "l", "BEFORE", "zz", "no")
    oracle.error("LINSERT", "l", "MIDDLE", "b", "x")
    oracle.do("LRANGE", "l", "0", "-1")


@pytest.mark.parametrize("count", [0, 1, 2, 10, -1, -2, -10])
def test_lrem(oracle, count):
    _fill(oracle)
    oracle.do("LREM", "l", count, "b")
    oracle.do("LRANGE", "l", "0", "-1")
    oracle.do("LREM", "l", count, "zz")
    oracle.do("LREM", "nokey", count, "b")


def test_lrem_empties_and_errors(oracle):
    _fill(oracle, "l", "x", "x")
    oracle.do("LREM", "l", "0", "x")
    oracle.do("EXISTS", "l")
    oracle.error("LREM", "l", "x", "a")
    oracle.error("LREM", "nokey", "1.5", "a")


def test_ltrim(oracle):
    for start, stop in ((0, -1), (1, -2), (2, 4), (-3, -1), (5, 2), (0, 0), (-100, 100), (8, 10), (7, 100)):
        _fill(oracle)
        oracle.do("LTRIM", "l", start, stop)
        oracle.do("LRANGE", "l", "0", "-1")
        oracle.do("EXISTS", "l")
    oracle.do("LTRIM", "nokey", "0", "1")
    oracle.error("LTRIM", "l", "a", "1")
    oracle.error("LTRIM", "l", "0", "b")


# ------------------------------------------------------------------------------------------ moving around


@pytest.mark.parametrize("wherefrom", ["LEFT", "RIGHT"])
@pytest.mark.parametrize("whereto", ["LEFT", "right"])
def test_lmove_directions(oracle, wherefrom, whereto):
    _fill(oracle, "src", "a", "b", "c")
    _fill(oracle, "dst", "x")
    oracle.do("LMOVE", "src", "dst", wherefrom, whereto)
    oracle.do("LMOVE", "src", "new", wherefrom, whereto)
    oracle.do("LMOVE", "src", "src", wherefrom, whereto)
    oracle.do("LRANGE", "src", "0", "-1")
    oracle.do("LRANGE", "dst", "0", "-1")
    oracle.do("LRANGE", "new", "0", "-1")
    oracle.do("LMOVE", "src", "dst", wherefrom, whereto)
    oracle.do("EXISTS", "src")
    oracle.do("LMOVE", "nokey", "dst", wherefrom, whereto)
    oracle.do("EXISTS", "nokey")


def test_lmove_single_element_rotation_and_errors(oracle):
    _fill(oracle, "one", "a")
    oracle.do("LMOVE", "one", "one", "LEFT", "RIGHT")
    oracle.do("LRANGE", "one", "0", "-1")
    oracle.do("RPOPLPUSH", "one", "one")
    oracle.do("LRANGE", "one", "0", "-1")
    oracle.error("LMOVE", "one", "x", "UP", "LEFT")
    oracle.error("LMOVE", "one", "x", "LEFT", "DOWN")
    oracle.error("LMOVE", "nokey", "x", "UP", "LEFT")


def test_rpoplpush(oracle):
    _fill(oracle, "src", "a", "b", "c")
    oracle.do("RPOPLPUSH", "src", "dst")
    oracle.do("RPOPLPUSH", "src", "dst")
    oracle.do("RPOPLPUSH", "src", "dst")
    oracle.do("RPOPLPUSH", "src", "dst")
    oracle.do("EXISTS", "src")
    oracle.do("LRANGE", "dst", "0", "-1")


def test_lmpop(oracle):
    _fill(oracle, "a", "1", "2", "3")
    _fill(oracle, "b", "x", "y")
    oracle.do("LMPOP", "2", "nokey", "a", "LEFT")
    oracle.do("LMPOP", "2", "a", "b", "right", "COUNT", "1")
    oracle.do("LMPOP", "1", "a", "LEFT", "count", "10")
    oracle.do("EXISTS", "a")
    oracle.do("LMPOP", "3", "a", "nokey", "b", "RIGHT", "COUNT", "5")
    oracle.do("LMPOP", "2", "a", "b", "LEFT")
    for args in (("0", "a", "LEFT"), ("-1", "a", "LEFT"), ("x", "a", "LEFT"), ("2", "a", "LEFT"),
                 ("1", "a", "UP"), ("1", "a", "LEFT", "COUNT"), ("1", "a", "LEFT", "COUNT", "0"),
                 ("1", "a", "LEFT", "COUNT", "-1"), ("1", "a", "LEFT", "COUNT", "x"),
                 ("1", "a", "LEFT", "COUNT", "1", "COUNT", "1"), ("1", "a", "LEFT", "FOO"),
                 ("9223372036854775807", "a", "LEFT"), ("9223372036854775808", "a", "LEFT")):
        oracle.error("LMPOP", *args)


# ------------------------------------------------------------------------------------------------ events


def test_keyspace_events(oracle):
    steps = [
        ("RPUSH", "l", "a", "b", "c"), ("LPUSH", "l", "z"), ("LPUSHX", "l", "y"), ("RPUSHX", "l", "w"),
        ("LPUSHX", "nokey", "x"), ("LSET", "l", "0", "q"), ("LINSERT", "l", "BEFORE", "a", "n"),
        ("LINSERT", "l", "BEFORE", "zz", "n"), ("LREM", "l", "1", "n"), ("LREM", "l", "1", "zz"),
        ("LTRIM", "l", "0", "-1"), ("LPOP", "l"), ("RPOP", "l", "1"), ("LMOVE", "l", "m", "LEFT", "RIGHT"),
        ("RPOPLPUSH", "m", "m"), ("LMPOP", "1", "l", "LEFT", "COUNT", "10"), ("LPOP", "m", "0"),
        ("RPUSH", "t", "1", "2"), ("LTRIM", "t", "5", "6"), ("RPUSH", "r", "1"), ("LREM", "r", "0", "1"),
        ("RPUSH", "p", "1"), ("RPOP", "p"),
    ]
    assert_same_keyspace_events(oracle, "__keyevent@*", steps)


# ----------------------------------------------------------------------------------------- random sequences


def test_random_list_operations(oracle):
    rng = random.Random(20261127)
    keys = ["k1", "k2", "k3"]
    values = ["a", "b", "c", "1", "-7", "", "long" * 20]

    def key() -> str:
        return rng.choice(keys)

    def val() -> str:
        return rng.choice(values)

    def idx() -> int:
        return rng.randint(-8, 8)

    makers = [
        lambda: ("LPUSH", key(), *[val() for _ in range(rng.randint(1, 4))]),
        lambda: ("RPUSH", key(), *[val() for _ in range(rng.randint(1, 4))]),
        lambda: ("LPUSHX", key(), val()),
        lambda: ("RPUSHX", key(), val()),
        lambda: ("LPOP", key()),
        lambda: ("RPOP", key(), rng.randint(0, 4)),
        lambda: ("LLEN", key()),
        lambda: ("LRANGE", key(), idx(), idx()),
        lambda: ("LINDEX", key(), idx()),
        lambda: ("LSET", key(), idx(), val()),
        lambda: ("LINSERT", key(), rng.choice(["BEFORE", "AFTER"]), val(), val()),
        lambda: ("LREM", key(), rng.randint(-3, 3), val()),
        lambda: ("LTRIM", key(), idx(), idx()),
        lambda: ("LPOS", key(), val(), "RANK", rng.choice([1, 2, -1, -2]), "COUNT", rng.randint(0, 3),
                 "MAXLEN", rng.randint(0, 6)),
        lambda: ("LMOVE", key(), key(), rng.choice(["LEFT", "RIGHT"]), rng.choice(["LEFT", "RIGHT"])),
        lambda: ("RPOPLPUSH", key(), key()),
        lambda: ("LMPOP", 2, key(), key(), rng.choice(["LEFT", "RIGHT"]), "COUNT", rng.randint(1, 3)),
    ]
    for _ in range(600):
        oracle.do(*rng.choice(makers)())
    for k in keys:
        oracle.do("LRANGE", k, 0, -1)
