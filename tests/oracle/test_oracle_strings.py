"""String commands, reply for reply against redis-server 7.0.15: every command, option and error, including
INCRBYFLOAT's long double digits and LCS's IDX ranges on seeded random strings."""
from __future__ import annotations

import random
import time

import pytest
from helpers.oracle import Oracle

pytestmark = pytest.mark.oracle

STRING_COMMANDS = (
    "get", "set", "setnx", "setex", "psetex", "mget", "mset", "msetnx", "getset", "getdel", "getex", "append",
    "strlen", "getrange", "substr", "setrange", "incr", "decr", "incrby", "decrby", "incrbyfloat", "lcs",
)


def _wrongtype(oracle: Oracle, key: str = "wt") -> str:
    """A key holding a list on both servers (skips until pyredcache has lists: the data-types issue)."""
    oracle.do("DEL", key)
    ours, theirs = oracle.both("RPUSH", key, "x")
    if ours.startswith(b"-ERR unknown command"):
        pytest.skip("no collection type is implemented yet (lists arrive with the data-types issue)")
    assert ours == theirs
    return key


def _hits_misses(client) -> tuple[int, int]:
    reply = client.command("INFO", "stats").decode()
    fields = dict(line.split(":", 1) for line in reply.split("\r\n") if ":" in line)
    return int(fields["keyspace_hits"]), int(fields["keyspace_misses"])


# ------------------------------------------------------------------------------------------- table rows


@pytest.mark.parametrize("name", STRING_COMMANDS)
def test_command_info_rows_match(oracle, name):
    oracle.do("COMMAND", "INFO", name)


def test_arity_errors(oracle):
    for args in (("GET",), ("GET", "a", "b"), ("SET", "k"), ("SETNX", "k"), ("SETNX", "k", "v", "x"),
                 ("SETEX", "k", "10"), ("PSETEX", "k", "10"), ("MGET",), ("MSET", "k"), ("MSETNX", "k"),
                 ("GETSET", "k"), ("GETDEL",), ("GETDEL", "a", "b"), ("GETEX",), ("APPEND", "k"), ("STRLEN",),
                 ("GETRANGE", "k", "0"), ("SUBSTR", "k", "0"), ("SETRANGE", "k", "0"), ("INCR",), ("DECR", "a", "b"),
                 ("INCRBY", "k"), ("DECRBY", "k"), ("INCRBYFLOAT", "k"), ("LCS", "a")):
        oracle.error(*args)


@pytest.mark.parametrize("args", [
    ("GET", "s"), ("GET", "nokey"), ("MGET", "s", "nokey", "s", "n"), ("SET", "s", "v"), ("SET", "s", "v", "GET"),
    ("SET", "x", "v", "NX", "GET"), ("SETNX", "s", "v"), ("SETEX", "s", 100, "v"), ("GETSET", "s", "w"),
    ("GETSET", "new", "w"), ("GETDEL", "s"), ("GETDEL", "nokey"), ("GETEX", "s", "EX", 100), ("GETEX", "nokey"),
    ("MSET", "s", "1", "n", "2"), ("MSETNX", "a", "1", "b", "2"), ("MSETNX", "s", "1", "b", "2"), ("APPEND", "s", "x"),
    ("STRLEN", "s"), ("STRLEN", "nokey"), ("GETRANGE", "s", 0, 1), ("GETRANGE", "nokey", 0, 1), ("SETRANGE", "s", 1, "x"),
    ("INCR", "n"), ("INCRBY", "nokey", 5), ("INCRBYFLOAT", "n", "1.5"), ("LCS", "s", "nokey"), ("LCS", "s", "n", "LEN"),
])
def test_keyspace_hits_and_misses(oracle, args):
    oracle.do("MSET", "s", "value", "n", "10")
    before = _hits_misses(oracle.ours), _hits_misses(oracle.redis)
    oracle.do(*args)
    after = _hits_misses(oracle.ours), _hits_misses(oracle.redis)
    ours = (after[0][0] - before[0][0], after[0][1] - before[0][1])
    theirs = (after[1][0] - before[1][0], after[1][1] - before[1][1])
    assert ours == theirs, f"{args}: (hits, misses) pyredcache {ours} != redis {theirs}"


# -------------------------------------------------------------------------------------------------- GET SET


def test_get_set_basics(oracle):
    oracle.do("GET", "k")
    oracle.do("SET", "k", "v")
    oracle.do("GET", "k")
    oracle.do("SET", "k", "")
    oracle.do("GET", "k")
    oracle.do("SET", "bin", b"\x00\xff\r\n\x00")
    oracle.do("GET", "bin")
    oracle.do("SET", "big", "x" * 100_000)
    oracle.do("GET", "big")


def test_get_set_wrong_type(oracle):
    key = _wrongtype(oracle)
    oracle.error("GET", key)
    oracle.error("SET", key, "v", "GET")
    oracle.do("TYPE", key)
    oracle.do("SET", key, "v")
    oracle.do("GET", key)


def test_set_nx_xx_get(oracle):
    oracle.do("SET", "k", "1", "XX")
    oracle.do("SET", "k", "1", "NX")
    oracle.do("SET", "k", "2", "NX")
    oracle.do("SET", "k", "3", "XX")
    oracle.do("SET", "k", "4", "GET")
    oracle.do("SET", "n", "1", "GET")
    oracle.do("SET", "k", "5", "NX", "GET")
    oracle.do("SET", "m", "5", "NX", "GET")
    oracle.do("SET", "x", "5", "XX", "GET")
    oracle.do("SET", "k", "6", "XX", "GET")
    oracle.do("SET", "k", "7", "nx", "nx")
    oracle.do("SET", "k", "8", "GET", "get")
    oracle.do("MGET", "k", "n", "m", "x")


def test_set_expire_options(oracle):
    now = int(time.time())
    oracle.do("SET", "a", "v", "EX", 100)
    oracle.approx("TTL", "a")
    oracle.do("SET", "b", "v", "PX", 100000)
    oracle.approx("PTTL", "b", delta=200)
    oracle.do("SET", "c", "v", "EXAT", now + 500)
    oracle.do("EXPIRETIME", "c")
    oracle.do("SET", "d", "v", "PXAT", now * 1000 + 500_123)
    oracle.do("PEXPIRETIME", "d")
    oracle.do("SET", "e", "v", "EX", 10, "EX", 1000)
    oracle.approx("TTL", "e")
    oracle.do("SET", "a", "w", "KEEPTTL")
    oracle.approx("TTL", "a")
    oracle.do("SET", "a", "w", "KEEPTTL", "KEEPTTL", "GET")
    oracle.do("SET", "a", "x")
    oracle.do("TTL", "a")
    oracle.do("SET", "f", "v", "pxat", 1)
    oracle.do("EXISTS", "f")
    oracle.do("SET", "g", "v", "PXAT", "9223372036854775807")
    oracle.do("SET", "h", "v", "EXAT", "9223372036854775")
    oracle.do("PEXPIRETIME", "h")


def test_set_syntax_errors(oracle):
    for opts in (("NX", "XX"), ("XX", "NX"), ("EX",), ("PX",), ("EXAT",), ("PXAT",), ("EX", 10, "PX", 10),
                 ("KEEPTTL", "EX", 10), ("EX", 10, "KEEPTTL"), ("PXAT", 5, "EXAT", 5), ("PERSIST",), ("BOGUS",),
                 ("NX", "BOGUS"), ("GET", "XX", "NX")):
        oracle.error("SET", "k", "v", *opts)
    oracle.do("EXISTS", "k")


def test_set_expire_errors(oracle):
    for opt, value in (("EX", 0), ("EX", -1), ("PX", 0), ("PX", -100), ("EXAT", 0), ("PXAT", -1),
                       ("EX", "9223372036854775807"), ("EX", "9223372036854776"), ("PX", "9223372036854775807"),
                       ("EXAT", "9223372036854775807"), ("EX", "abc"), ("EX", "1.5"), ("PX", " 10"),
                       ("EX", "9223372036854775808"), ("EX", "10\x00")):
        oracle.error("SET", "k", "v", opt, value)
    oracle.do("EXISTS", "k")


def test_set_options_with_nul_bytes(oracle):
    # Redis compares option names as C strings.
    oracle.do("SET", "k", "v", "NX\x00junk")
    oracle.do("SET", "k", "w", "KEEPTTL\x00")
    oracle.do("SET", "k", "w", "EX\x00", 100)
    oracle.approx("TTL", "k")
    oracle.error("SET", "k", "v", "\x00NX")


# --------------------------------------------------------------------------------------- SETNX SETEX PSETEX


def test_setnx(oracle):
    oracle.do("SETNX", "k", "1")
    oracle.do("SETNX", "k", "2")
    oracle.do("GET", "k")
    oracle.do("SETNX", _wrongtype(oracle), "v")


def test_setex_psetex(oracle):
    oracle.do("SETEX", "k", 100, "v")
    oracle.approx("TTL", "k")
    oracle.do("PSETEX", "p", 100000, "v")
    oracle.approx("PTTL", "p", delta=200)
    oracle.do("SETEX", _wrongtype(oracle), 100, "v")
    oracle.do("GET", "wt")
    for cmd in ("SETEX", "PSETEX"):
        for ttl in (0, -1, "abc", "1.5", "9223372036854775807"):
            oracle.error(cmd, "e", ttl, "v")
    oracle.do("EXISTS", "e")
    oracle.error("SETEX", "e", "9223372036854775", "v")     # seconds * 1000 + now overflows
    oracle.do("PSETEX", "e", "9223372036854775", "v")       # the same number of milliseconds fits


# --------------------------------------------------------------------------------------------- GETSET GETDEL


def test_getset(oracle):
    oracle.do("GETSET", "k", "1")
    oracle.do("SET", "k", "2", "EX", 100)
    oracle.do("GETSET", "k", "3")
    oracle.do("TTL", "k")
    oracle.do("GET", "k")
    oracle.error("GETSET", _wrongtype(oracle), "v")


def test_getdel(oracle):
    oracle.do("SET", "k", "v", "EX", 100)
    oracle.do("GETDEL", "k")
    oracle.do("GETDEL", "k")
    oracle.do("EXISTS", "k")
    oracle.error("GETDEL", _wrongtype(oracle))
    oracle.do("EXISTS", "wt")


# ------------------------------------------------------------------------------------------------------ GETEX


def test_getex_options(oracle):
    now = int(time.time())
    oracle.do("SET", "k", "v")
    oracle.do("GETEX", "k")
    oracle.do("TTL", "k")
    oracle.do("GETEX", "k", "EX", 100)
    oracle.approx("TTL", "k")
    oracle.do("GETEX", "k", "px", 200000)
    oracle.approx("PTTL", "k", delta=200)
    oracle.do("GETEX", "k", "EXAT", now + 300)
    oracle.do("EXPIRETIME", "k")
    oracle.do("GETEX", "k", "PXAT", now * 1000 + 400_321)
    oracle.do("PEXPIRETIME", "k")
    oracle.do("GETEX", "k", "EX", 10, "EX", 1000)
    oracle.approx("TTL", "k")
    oracle.do("GETEX", "k", "PERSIST")
    oracle.do("TTL", "k")
    oracle.do("GETEX", "k", "PERSIST", "persist")
    oracle.do("GETEX", "k", "PXAT", "9223372036854775807")
    oracle.do("PEXPIRETIME", "k")


def test_getex_past_absolute_time_deletes(oracle):
    for opt in ("EXAT", "PXAT"):
        oracle.do("SET", "k", "v")
        oracle.do("GETEX", "k", opt, 1)
        oracle.do("EXISTS", "k")


def test_getex_errors(oracle):
    oracle.do("SET", "k", "v")
    for opts in (("EX",), ("EX", 10, "PX", 10), ("PERSIST", "EX", 10), ("EX", 10, "PERSIST"), ("KEEPTTL",),
                 ("NX",), ("XX",), ("GET",), ("BOGUS",), ("EXAT", 10, "PXAT", 10)):
        oracle.error("GETEX", "k", *opts)
    for opt, value in (("EX", 0), ("EX", -1), ("PX", 0), ("EXAT", 0), ("PXAT", -1), ("EX", "abc"),
                       ("EX", "9223372036854775807"), ("PX", "9223372036854775807")):
        oracle.error("GETEX", "k", opt, value)
    oracle.do("TTL", "k")
    oracle.do("GETEX", "nokey", "EX", "abc")
    oracle.error("GETEX", "nokey", "BOGUS")
    key = _wrongtype(oracle)
    oracle.error("GETEX", key)
    oracle.error("GETEX", key, "EX", "abc")
    oracle.error("GETEX", key, "BOGUS")


# ------------------------------------------------------------------------------------------ MGET MSET MSETNX


def test_mget(oracle):
    _wrongtype(oracle)
    oracle.do("SET", "a", "1")
    oracle.do("SET", "c", "")
    oracle.do("MGET", "a", "b", "c", "wt", "a")
    oracle.do("MGET", "nokey")


def test_mset(oracle):
    oracle.do("MSET", "a", "1", "b", "2", "a", "3")
    oracle.do("MGET", "a", "b")
    oracle.error("MSET", "a", "1", "b")
    oracle.error("MSET", "a")
    oracle.do("SET", "t", "v", "EX", 100)
    oracle.do("MSET", "t", "w", _wrongtype(oracle), "s")
    oracle.do("TTL", "t")
    oracle.do("MGET", "t", "wt")


def test_msetnx(oracle):
    oracle.do("MSETNX", "a", "1", "b", "2")
    oracle.do("MSETNX", "b", "x", "c", "3")
    oracle.do("MGET", "a", "b", "c")
    oracle.do("MSETNX", "d", "1", "d", "2")
    oracle.do("GET", "d")
    oracle.do("MSETNX", "e", "1", _wrongtype(oracle), "2")
    oracle.do("EXISTS", "e")
    oracle.error("MSETNX", "a", "1", "b")
    oracle.error("MSETNX", "q", "1", "b")


# ------------------------------------------------------------------------------------------- APPEND STRLEN


def test_append(oracle):
    oracle.do("APPEND", "k", "Hello")
    oracle.do("APPEND", "k", " World")
    oracle.do("GET", "k")
    oracle.do("APPEND", "e", "")
    oracle.do("EXISTS", "e")
    oracle.do("SET", "t", "1", "EX", 100)
    oracle.do("APPEND", "t", "2")
    oracle.approx("TTL", "t")
    oracle.do("INCR", "t")
    oracle.error("APPEND", _wrongtype(oracle), "x")


def test_append_encodings(oracle):
    oracle.do("APPEND", "n", "123")
    oracle.do("OBJECT", "ENCODING", "n")
    oracle.do("APPEND", "n", "4")
    oracle.do("OBJECT", "ENCODING", "n")
    oracle.do("APPEND", "s", "hello")
    oracle.do("OBJECT", "ENCODING", "s")
    oracle.do("APPEND", "s", "!")
    oracle.do("OBJECT", "ENCODING", "s")
    oracle.do("SETRANGE", "r", 2, "x")
    oracle.do("OBJECT", "ENCODING", "r")


def test_strlen(oracle):
    oracle.do("STRLEN", "nokey")
    oracle.do("SET", "k", "hello")
    oracle.do("STRLEN", "k")
    oracle.do("SET", "n", "-12345")
    oracle.do("STRLEN", "n")
    oracle.do("APPEND", "n", "6")
    oracle.do("STRLEN", "n")
    oracle.error("STRLEN", _wrongtype(oracle))


# -------------------------------------------------------------------------------------- GETRANGE SUBSTR


def test_getrange_every_index_pair(oracle):
    oracle.do("SET", "k", "Hello World")
    oracle.do("SET", "e", "")
    oracle.do("SET", "n", "12345")
    points = (0, 1, 5, 10, 11, 12, 100, -1, -2, -5, -11, -12, -100, "9223372036854775807", "-9223372036854775808")
    for key in ("k", "e", "n", "nokey"):
        for start in points:
            for end in points:
                oracle.do("GETRANGE", key, start, end)


def test_getrange_errors(oracle):
    oracle.do("SET", "k", "v")
    oracle.error("GETRANGE", "k", "a", 1)
    oracle.error("GETRANGE", "k", 0, "1.5")
    oracle.error("GETRANGE", "k", "9223372036854775808", 1)
    oracle.error("GETRANGE", "nokey", "a", 1)
    key = _wrongtype(oracle)
    oracle.error("GETRANGE", key, 0, 1)
    oracle.error("GETRANGE", key, "x", 1)


def test_substr(oracle):
    oracle.do("SET", "k", "Hello World")
    for start, end in ((0, 4), (-5, -1), (3, 2), (-1, -3), (0, 100)):
        oracle.do("SUBSTR", "k", start, end)
    oracle.do("SUBSTR", "nokey", 0, 1)
    oracle.error("SUBSTR", "k", "x", 1)
    oracle.error("SUBSTR", _wrongtype(oracle), 0, 1)


# ------------------------------------------------------------------------------------------------ SETRANGE


def test_setrange(oracle):
    oracle.do("SET", "k", "Hello World")
    oracle.do("SETRANGE", "k", 6, "Redis")
    oracle.do("GET", "k")
    oracle.do("SETRANGE", "k", 15, "!")
    oracle.do("GET", "k")
    oracle.do("SETRANGE", "k", 0, "")
    oracle.do("SETRANGE", "k", 100, "")
    oracle.do("SETRANGE", "new", 0, "")
    oracle.do("EXISTS", "new")
    oracle.do("SETRANGE", "new", 3, "abc")
    oracle.do("GET", "new")
    oracle.do("SET", "n", "12345", "EX", 100)
    oracle.do("SETRANGE", "n", 1, "x")
    oracle.do("GET", "n")
    oracle.approx("TTL", "n")


def test_setrange_errors(oracle):
    oracle.error("SETRANGE", "k", -1, "x")
    oracle.error("SETRANGE", "k", "x", "x")
    oracle.error("SETRANGE", "k", "9223372036854775808", "x")
    oracle.error("SETRANGE", "k", "9223372036854775807", "ab")
    oracle.error("SETRANGE", "k", 536870912, "a")
    oracle.do("SETRANGE", "k", 536870912, "")
    oracle.do("EXISTS", "k")
    key = _wrongtype(oracle)
    oracle.error("SETRANGE", key, 0, "x")
    oracle.error("SETRANGE", key, 0, "")
    oracle.error("SETRANGE", key, -1, "")


# ---------------------------------------------------------------------------------------- INCR DECR INCRBY


def test_incr_decr(oracle):
    oracle.do("INCR", "k")
    oracle.do("INCR", "k")
    oracle.do("DECR", "k")
    oracle.do("DECR", "d")
    oracle.do("INCRBY", "k", 100)
    oracle.do("INCRBY", "k", -1000)
    oracle.do("DECRBY", "k", -5)
    oracle.do("DECRBY", "k", 5)
    oracle.do("GET", "k")
    oracle.do("SET", "t", "5", "EX", 100)
    oracle.do("INCR", "t")
    oracle.approx("TTL", "t")


def test_incr_limits(oracle):
    oracle.do("SET", "k", "9223372036854775806")
    oracle.do("INCR", "k")
    oracle.error("INCR", "k")
    oracle.error("INCRBY", "k", 1)
    oracle.do("INCRBY", "k", "-9223372036854775807")
    oracle.do("SET", "k", "-9223372036854775807")
    oracle.do("DECR", "k")
    oracle.error("DECR", "k")
    oracle.error("DECRBY", "k", 1)
    oracle.do("GET", "k")
    oracle.error("DECRBY", "k", "-9223372036854775808")
    oracle.do("INCRBY", "k", "9223372036854775807")
    oracle.do("DECRBY", "k", "9223372036854775807")
    oracle.do("INCRBY", "new", "-9223372036854775808")


def test_incr_not_an_integer(oracle):
    for value in ("abc", "", " 1", "1 ", "+1", "01", "-0", "1.0", "1e3", "0x10", "9223372036854775808",
                  "-9223372036854775809", "1\x00", "12345678901234567890123"):
        oracle.do("SET", "k", value)
        oracle.error("INCR", "k")
        oracle.error("DECRBY", "k", 1)
    for increment in ("x", "1.5", " 1", "+1", "9223372036854775808", ""):
        oracle.error("INCRBY", "n", increment)
        oracle.error("DECRBY", "n", increment)
    oracle.do("EXISTS", "n")


def test_incr_wrong_type(oracle):
    key = _wrongtype(oracle)
    for args in (("INCR", key), ("DECR", key), ("INCRBY", key, 1), ("DECRBY", key, 1), ("INCRBY", key, "x"),
                 ("DECRBY", key, "-9223372036854775808")):
        oracle.error(*args)


# --------------------------------------------------------------------------------------------- INCRBYFLOAT


FLOAT_CASES = (
    (None, "10.5"), ("10.5", "0.1"), ("10.6", "3.0e3"), ("5.0e3", "2.0e2"), ("3", "-3"), ("0", "-1e-20"),
    ("1", "0x1p3"), ("0", "0X1P-2"), ("0", "0x.8"), ("0", "0x1"), ("0", "0.000003814697265625"),
    ("0", "0.000011444091796875"), ("1.5", "+.5"), ("10", "1."), ("0", "1e400"), (None, "-7.25"),
    ("9223372036854775807", "1"), ("0.1", "0.2"), ("1e4932", "1"), ("1.18973149535723176502e+4932", "0"),
    ("0", "3.6e-4951"), ("0", "2e-4951"), ("-0", "-0"), ("00012", "0"), ("1e+05", "0"), ("0e99999999", "1"),
    ("123456789.123456789", "987654321.987654321"), ("1", "1e-17"), ("1", "1e-16"), ("-1", "0.99999999999999999"),
    ("1" + "0" * 5100, "1"), ("0." + "0" * 5000 + "1", "1"), ("0" * 5119, "1"), ("1." + "0" * 5117, "2"),
    ("Infinity", "1"),
)
FLOAT_ERRORS = (
    "abc", "", " 1", "1 ", "1e", ".", "e5", "nan", "-nan", "nan(1)", "infin", "0x", "0x.p1", "0x1p", "1\x00",
    "\x00", "1_0", "1,5", "1e-5000", "1e5000", "1.18973149535723176508e+4932", "1.5e-4951", "0" * 5120,
    "1." + "0" * 5118, "--1", "+-1", "1..5",
)


def test_incrbyfloat_digits(oracle):
    for start, increment in FLOAT_CASES:
        if start is None:
            oracle.do("DEL", "f")
        else:
            oracle.do("SET", "f", start)
        oracle.do("INCRBYFLOAT", "f", increment)
        oracle.do("GET", "f")


def test_incrbyfloat_invalid_increment(oracle):
    oracle.do("SET", "f", "1")
    for increment in FLOAT_ERRORS:
        oracle.error("INCRBYFLOAT", "f", increment)
        oracle.error("INCRBYFLOAT", "nokey", increment)
    oracle.do("GET", "f")
    oracle.do("EXISTS", "nokey")


def test_incrbyfloat_invalid_value(oracle):
    for value in FLOAT_ERRORS:
        if value:
            oracle.do("SET", "f", value)
            oracle.error("INCRBYFLOAT", "f", "1")
            oracle.error("INCRBYFLOAT", "f", "junk")


def test_incrbyfloat_nan_or_infinity(oracle):
    for start, increment in ((None, "inf"), (None, "-INF"), (None, "Infinity"), ("inf", "1"), ("inf", "-inf"),
                             ("1.1e4932", "1e4932"), ("-1.1e4932", "-1e4932"),
                             ("0x1.fffffffffffffffep16383", "0x1p16319")):
        if start is None:
            oracle.do("DEL", "f")
        else:
            oracle.do("SET", "f", start)
        oracle.error("INCRBYFLOAT", "f", increment)


def test_incrbyfloat_keeps_ttl_and_type_checks(oracle):
    oracle.do("SET", "f", "1.5", "EX", 100)
    oracle.do("INCRBYFLOAT", "f", "2.25")
    oracle.approx("TTL", "f")
    key = _wrongtype(oracle)
    oracle.error("INCRBYFLOAT", key, "1")
    oracle.error("INCRBYFLOAT", key, "junk")


def test_incrbyfloat_random_values(oracle):
    rnd = random.Random(20240607)
    for _ in range(150):
        kind = rnd.random()
        if kind < 0.3:
            start = f"{rnd.uniform(-1e6, 1e6):.{rnd.randint(0, 20)}f}"
        elif kind < 0.6:
            start = f"{rnd.randint(-10 ** 12, 10 ** 12)}e{rnd.randint(-4000, 4000)}"
        else:
            start = f"0x{rnd.getrandbits(rnd.randint(1, 70)):x}p{rnd.randint(-16500, 16300)}"
        increment = rnd.choice((repr(rnd.uniform(-1e10, 1e10)), f"{rnd.randint(-99, 99)}.{rnd.getrandbits(50)}",
                                f"{rnd.randint(-999, 999)}e{rnd.randint(-30, 30)}"))
        oracle.do("SET", "f", start)
        oracle.do("INCRBYFLOAT", "f", increment)


# ------------------------------------------------------------------------------------------------------ LCS


def test_lcs_examples(oracle):
    oracle.do("MSET", "key1", "ohmytext", "key2", "mynewtext")
    for opts in ((), ("LEN",), ("IDX",), ("IDX", "MINMATCHLEN", 4), ("IDX", "MINMATCHLEN", 4, "WITHMATCHLEN"),
                 ("IDX", "WITHMATCHLEN"), ("idx", "minmatchlen", -5), ("LEN", "LEN"), ("IDX", "IDX"),
                 ("LEN", "WITHMATCHLEN", "MINMATCHLEN", 3), ("WITHMATCHLEN",), ("MINMATCHLEN", 2)):
        oracle.do("LCS", "key1", "key2", *opts)
        oracle.do("LCS", "key2", "key1", *opts)
    oracle.do("LCS", "key1", "nokey")
    oracle.do("LCS", "nokey", "nokey2", "IDX")
    oracle.do("LCS", "nokey", "nokey2", "LEN")
    oracle.do("LCS", "key1", "key1", "IDX", "WITHMATCHLEN")


def test_lcs_errors(oracle):
    oracle.do("MSET", "a", "abc", "b", "abd")
    oracle.error("LCS", "a", "b", "IDX", "LEN")
    oracle.error("LCS", "a", "b", "LEN", "IDX")
    oracle.error("LCS", "a", "b", "MINMATCHLEN")
    oracle.error("LCS", "a", "b", "MINMATCHLEN", "x")
    oracle.error("LCS", "a", "b", "BOGUS")
    key = _wrongtype(oracle)
    oracle.error("LCS", key, "a")
    oracle.error("LCS", "a", key, "BOGUS")
    oracle.error("LCS", "nokey", key)


def test_lcs_resp3(oracle):
    oracle.both("HELLO", "3")
    oracle.do("MSET", "a", "abcXdefXXghi", "b", "abcYdefYYghi")
    oracle.do("LCS", "a", "b", "IDX", "WITHMATCHLEN")
    oracle.do("LCS", "a", "nokey", "IDX")
    oracle.do("LCS", "a", "b")


def test_lcs_random_strings(oracle):
    rnd = random.Random(1234)
    for _ in range(120):
        alphabet = "ab" if rnd.random() < 0.5 else "abcdefg"
        a = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 40)))
        b = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 40)))
        oracle.do("MSET", "a", a, "b", b)
        oracle.do("LCS", "a", "b")
        oracle.do("LCS", "a", "b", "LEN")
        oracle.do("LCS", "a", "b", "IDX", "WITHMATCHLEN")
        oracle.do("LCS", "a", "b", "IDX", "MINMATCHLEN", rnd.randint(0, 4))


def test_lcs_long_strings(oracle):
    rnd = random.Random(99)
    a = "".join(rnd.choice("ACGT") for _ in range(2000))
    b = "".join(rnd.choice("ACGT") for _ in range(1500))
    oracle.do("MSET", "a", a, "b", b)
    oracle.do("LCS", "a", "b")
    oracle.do("LCS", "a", "b", "IDX", "MINMATCHLEN", 6, "WITHMATCHLEN")
    oracle.do("LCS", "b", "a", "LEN")


@pytest.mark.oracle
def test_incrbyfloat_result_is_not_int_encoded(oracle: Oracle) -> None:
    oracle.do("SET", "f", "5199.5")
    oracle.do("INCRBYFLOAT", "f", "0.5")
    assert oracle.do("OBJECT", "ENCODING", "f") == b"$6\r\nembstr\r\n"
    oracle.do("INCR", "f")                       # INCR re-encodes as an integer
    oracle.do("OBJECT", "ENCODING", "f")
    oracle.do("INCRBYFLOAT", "g", "1" * 50)      # long results are raw
    oracle.do("OBJECT", "ENCODING", "g")
    oracle.do("COPY", "g", "h")
    oracle.do("OBJECT", "ENCODING", "h")
    oracle.do("TYPE", "h")


@pytest.mark.oracle
def test_incrbyfloat_result_reads_back_everywhere(oracle: Oracle) -> None:
    oracle.do("INCRBYFLOAT", "a", "1.5")
    oracle.do("MGET", "a", "missing")
    oracle.do("GETRANGE", "a", "0", "-1")
    oracle.do("STRLEN", "a")
    oracle.do("APPEND", "a", "0")
    oracle.do("GET", "a")
    oracle.do("INCRBYFLOAT", "b", "2")
    oracle.do("GETDEL", "b")
