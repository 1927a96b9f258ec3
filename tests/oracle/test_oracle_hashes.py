"""Hash commands, reply for reply against redis-server 7.0.15: every command, option and error, OBJECT ENCODING
conversions (listpack -> hashtable), HINCRBYFLOAT's long double digits, HRANDFIELD/HSCAN reply shapes."""
from __future__ import annotations

import pytest
from helpers.oracle import Oracle, assert_same_keyspace_events, split_array
from helpers.rawclient import RawClient

pytestmark = pytest.mark.oracle

HASH_COMMANDS = (
    "hset", "hsetnx", "hget", "hmget", "hmset", "hdel", "hexists", "hlen", "hkeys", "hvals", "hgetall", "hincrby",
    "hincrbyfloat", "hstrlen", "hrandfield", "hscan",
)


@pytest.fixture
def limits(oracle: Oracle):
    """Set hash-max-listpack-* on both servers for one test; restore the defaults afterwards."""
    saved = {}
    for name in ("hash-max-listpack-entries", "hash-max-listpack-value"):
        saved[name] = oracle.redis.command("CONFIG", "GET", name).split(b"\r\n")[-2]

    def set_limits(entries: int | None = None, value: int | None = None) -> None:
        if entries is not None:
            oracle.do("CONFIG", "SET", "hash-max-listpack-entries", entries)
        if value is not None:
            oracle.do("CONFIG", "SET", "hash-max-listpack-value", value)

    yield set_limits
    for name, old in saved.items():
        oracle.do("CONFIG", "SET", name, old)


def _hits_misses(client: RawClient) -> tuple[int, int]:
    reply = client.command("INFO", "stats").decode()
    fields = dict(line.split(":", 1) for line in reply.split("\r\n") if ":" in line)
    return int(fields["keyspace_hits"]), int(fields["keyspace_misses"])


# ------------------------------------------------------------------------------------------------ table rows

@pytest.mark.parametrize("name", HASH_COMMANDS)
def test_command_info_rows_match(oracle, name):
    oracle.do("COMMAND", "INFO", name)


def test_arity_errors(oracle):
    for args in (("HSET", "h", "f"), ("HSET", "h", "f", "v", "g"), ("HMSET", "h", "f", "v", "g"), ("HMSET", "h"),
                 ("HSETNX", "h", "f"), ("HGET", "h"), ("HMGET", "h"), ("HDEL", "h"), ("HEXISTS", "h"),
                 ("HLEN",), ("HLEN", "a", "b"), ("HKEYS",), ("HVALS", "a", "b"), ("HGETALL",), ("HINCRBY", "h", "f"),
                 ("HINCRBYFLOAT", "h", "f"), ("HSTRLEN", "h"), ("HRANDFIELD",), ("HSCAN", "h")):
        oracle.error(*args)
    oracle.do("EXISTS", "h")


@pytest.mark.parametrize("args", [
    ("HGET", "h", "a"), ("HGET", "nokey", "a"), ("HMGET", "h", "a", "zz"), ("HMGET", "nokey", "a"),
    ("HSET", "h", "a", "2"), ("HSET", "new", "a", "2"), ("HSETNX", "h", "a", "3"), ("HDEL", "h", "a"),
    ("HDEL", "nokey", "a"), ("HEXISTS", "h", "a"), ("HLEN", "nokey"), ("HKEYS", "h"), ("HVALS", "nokey"),
    ("HGETALL", "h"), ("HINCRBY", "h", "n", 1), ("HINCRBYFLOAT", "nokey", "n", 1), ("HSTRLEN", "h", "a"),
    ("HRANDFIELD", "nokey"), ("HRANDFIELD", "h", 2), ("HRANDFIELD", "nokey", 2), ("HSCAN", "h", 0),
    ("HSCAN", "nokey", 0),
])
def test_keyspace_hits_and_misses(oracle, args):
    oracle.do("HSET", "h", "a", "1", "n", "5")
    before = _hits_misses(oracle.ours), _hits_misses(oracle.redis)
    oracle.do(*args)
    after = _hits_misses(oracle.ours), _hits_misses(oracle.redis)
    ours = (after[0][0] - before[0][0], after[0][1] - before[0][1])
    theirs = (after[1][0] - before[1][0], after[1][1] - before[1][1])
    assert ours == theirs, f"{args}: (hits, misses) pyredcache {ours} != redis {theirs}"


def test_wrong_type_everywhere(oracle):
    oracle.do("SET", "s", "x")
    for args in (("HSET", "s", "f", "v"), ("HMSET", "s", "f", "v"), ("HSETNX", "s", "f", "v"), ("HGET", "s", "f"),
                 ("HMGET", "s", "f"), ("HDEL", "s", "f"), ("HEXISTS", "s", "f"), ("HLEN", "s"), ("HKEYS", "s"),
                 ("HVALS", "s"), ("HGETALL", "s"), ("HINCRBY", "s", "f", 1), ("HINCRBYFLOAT", "s", "f", 1),
                 ("HSTRLEN", "s", "f"), ("HRANDFIELD", "s"), ("HRANDFIELD", "s", 3), ("HRANDFIELD", "s", 0),
                 ("HRANDFIELD", "s", -3, "WITHVALUES"), ("HSCAN", "s", 0), ("HSCAN", "s", 0, "TYPE", "x")):
        oracle.error(*args)
    oracle.do("GET", "s")
    oracle.do("HSET", "h", "f", "v")
    for args in (("GET", "h"), ("INCR", "h"), ("APPEND", "h", "x"), ("STRLEN", "h")):
        oracle.error(*args)
    oracle.do("TYPE", "h")


# ---------------------------------------------------------------------------------------------------- writes

def test_hset_hmset_hsetnx(oracle):
    oracle.do("HSET", "h", "a", "1", "b", "2", "a", "3")
    oracle.do("HGETALL", "h")
    oracle.do("HSET", "h", "b", "x", "c", "y")
    oracle.do("HMSET", "h", "d", "4", "a", "5")
    oracle.do("HGETALL", "h")
    oracle.do("HSETNX", "h", "a", "z")
    oracle.do("HSETNX", "h", "e", "z")
    oracle.do("HSETNX", "new", "f", "")
    oracle.do("HGETALL", "new")
    oracle.do("HGETALL", "h")
    oracle.do("HSET", "h", "", "")
    oracle.do("HGET", "h", "")
    oracle.do("HSET", "bin", b"\x00\xff\r\n", b"\x01\r\n")
    oracle.do("HGETALL", "bin")


def test_hdel_deletes_emptied_key(oracle):
    oracle.do("HSET", "h", "a", "1", "b", "2", "c", "3")
    oracle.do("HDEL", "h", "a", "a", "zz")
    oracle.do("HGETALL", "h")
    oracle.do("HDEL", "h", "b", "c", "b")
    oracle.do("EXISTS", "h")
    oracle.do("HDEL", "h", "b")
    oracle.do("HSET", "h", "x", "1")
    oracle.do("HDEL", "h", "x", "nope")
    oracle.do("TYPE", "h")


def test_hincrby(oracle):
    oracle.do("HINCRBY", "h", "n", 5)
    oracle.do("HINCRBY", "h", "n", -12)
    oracle.do("HSET", "h", "big", "9223372036854775806", "small", "-9223372036854775807", "s", "abc",
              "sp", " 1", "z", "007", "e", "")
    oracle.do("HINCRBY", "h", "big", 1)
    oracle.error("HINCRBY", "h", "big", 1)
    oracle.do("HINCRBY", "h", "small", -1)
    oracle.error("HINCRBY", "h", "small", -1)
    for field in ("s", "sp", "z", "e"):
        oracle.error("HINCRBY", "h", field, 1)
    for bad in ("x", "1.5", "", " 1", "9223372036854775808", "+1", "01"):
        oracle.error("HINCRBY", "h", "n", bad)
        oracle.error("HINCRBY", "nokey", "n", bad)
    oracle.do("EXISTS", "nokey")
    oracle.do("HINCRBY", "h", "n", "-9223372036854775808")
    oracle.do("HGETALL", "h")


FLOAT_CASES = (
    (None, "10.5"), ("10.5", "0.1"), ("10.6", "3.0e3"), ("5.0e3", "2.0e2"), ("3", "-3"), ("0", "-1e-20"),
    ("1", "0x1p3"), ("0", "0x.8"), ("1.5", "+.5"), ("10", "1."), ("0", "1e400"), (None, "-7.25"),
    ("9223372036854775807", "1"), ("0.1", "0.2"), ("1e4932", "1"), ("-0", "-0"), ("00012", "0"),
    ("123456789.123456789", "987654321.987654321"), ("1", "1e-17"), ("-1", "0.99999999999999999"),
)
FLOAT_ERRORS = ("abc", "", " 1", "1 ", "1e", ".", "nan", "-nan", "0x", "1_0", "1e-5000", "1e5000", "--1")


def test_hincrbyfloat_digits(oracle):
    for start, increment in FLOAT_CASES:
        if start is None:
            oracle.do("HDEL", "h", "f")
        else:
            oracle.do("HSET", "h", "f", start)
        oracle.do("HINCRBYFLOAT", "h", "f", increment)
        oracle.do("HGET", "h", "f")


def test_hincrbyfloat_errors(oracle):
    oracle.do("HSET", "h", "f", "1")
    for increment in FLOAT_ERRORS + ("inf", "-inf", "Infinity"):
        oracle.error("HINCRBYFLOAT", "h", "f", increment)
        oracle.error("HINCRBYFLOAT", "nokey", "f", increment)
    oracle.do("EXISTS", "nokey")
    for value in FLOAT_ERRORS:
        if value:
            oracle.do("HSET", "h", "g", value)
            oracle.error("HINCRBYFLOAT", "h", "g", "1")
    for value, increment in (("inf", "1"), ("1e4932", "1e4932"), ("-1.18e4932", "-1e4932")):
        oracle.do("HSET", "h", "g", value)
        oracle.error("HINCRBYFLOAT", "h", "g", increment)
    oracle.do("HGETALL", "h")


# ----------------------------------------------------------------------------------------------------- reads

def test_readers(oracle):
    oracle.do("HSET", "h", "a", "1", "bb", "hello", "n", "-12345")
    for args in (("HGET", "h", "a"), ("HGET", "h", "zz"), ("HGET", "nokey", "a"), ("HMGET", "h", "a", "zz", "bb"),
                 ("HMGET", "nokey", "a", "b"), ("HEXISTS", "h", "a"), ("HEXISTS", "h", "zz"),
                 ("HEXISTS", "nokey", "a"), ("HLEN", "h"), ("HLEN", "nokey"), ("HSTRLEN", "h", "bb"),
                 ("HSTRLEN", "h", "n"), ("HSTRLEN", "h", "zz"), ("HSTRLEN", "nokey", "a"), ("HKEYS", "h"),
                 ("HKEYS", "nokey"), ("HVALS", "h"), ("HVALS", "nokey"), ("HGETALL", "h"), ("HGETALL", "nokey")):
        oracle.do(*args)


def test_readers_resp3(oracle):
    oracle.both("HELLO", "3")
    try:
        oracle.do("HSET", "h", "a", "1", "b", "2")
        for args in (("HGETALL", "h"), ("HGETALL", "nokey"), ("HKEYS", "nokey"), ("HMGET", "h", "a", "x"),
                     ("HMGET", "nokey", "a"), ("HGET", "h", "x"), ("HRANDFIELD", "nokey"),
                     ("HRANDFIELD", "h", 5, "WITHVALUES"), ("HRANDFIELD", "h", 0, "WITHVALUES"),
                     ("HRANDFIELD", "nokey", -3, "WITHVALUES"), ("HSCAN", "h", 0), ("HSCAN", "nokey", 0),
                     ("HINCRBYFLOAT", "h", "a", "0.5")):
            oracle.do(*args)
        ours, theirs = oracle.both("HRANDFIELD", "h", -3, "WITHVALUES")
        assert ours.startswith(b"*3\r\n*2\r\n") and theirs.startswith(b"*3\r\n*2\r\n")
    finally:
        oracle.both("HELLO", "2")


# ------------------------------------------------------------------------------------------------- encodings

def test_encoding_by_entries(oracle, limits):
    limits(entries=3)
    oracle.do("HSET", "h", "a", "1", "b", "2", "c", "3")
    oracle.do("OBJECT", "ENCODING", "h")
    oracle.do("HSETNX", "h", "d", "4")
    oracle.do("OBJECT", "ENCODING", "h")
    oracle.do("HDEL", "h", "a", "b", "c")
    oracle.do("OBJECT", "ENCODING", "h")     # one-way: stays a hashtable
    oracle.do("HSET", "g", "a", "1", "b", "2", "c", "3", "d", "4")
    oracle.do("OBJECT", "ENCODING", "g")
    oracle.do("HSET", "i", "a", "1", "b", "2", "c", "3")
    oracle.do("HINCRBY", "i", "n", 1)
    oracle.do("OBJECT", "ENCODING", "i")
    limits(entries=0)
    oracle.do("HSET", "z", "a", "1")
    oracle.do("OBJECT", "ENCODING", "z")


def test_encoding_by_value_length(oracle, limits):
    limits(value=4)
    oracle.do("HSET", "h", "aaaa", "bbbb")
    oracle.do("OBJECT", "ENCODING", "h")
    oracle.do("HSET", "h", "f", "12345")
    oracle.do("OBJECT", "ENCODING", "h")
    oracle.do("HSET", "g", "abcde", "1")
    oracle.do("OBJECT", "ENCODING", "g")
    oracle.do("HSETNX", "i", "x", "abcde")
    oracle.do("OBJECT", "ENCODING", "i")
    oracle.do("HSETNX", "j", "x", "1")
    oracle.do("HSETNX", "j", "x", "abcdef")   # not set: no conversion
    oracle.do("OBJECT", "ENCODING", "j")
    oracle.do("HINCRBY", "k", "abcde", 1)
    oracle.do("OBJECT", "ENCODING", "k")
    oracle.do("HINCRBY", "l", "f", 9999)
    oracle.do("OBJECT", "ENCODING", "l")
    oracle.do("HINCRBY", "l", "f", 1)
    oracle.do("OBJECT", "ENCODING", "l")
    oracle.do("HINCRBYFLOAT", "m", "f", "1.5")
    oracle.do("OBJECT", "ENCODING", "m")
    oracle.do("HINCRBYFLOAT", "m", "f", "100")
    oracle.do("OBJECT", "ENCODING", "m")
    oracle.do("HMSET", "n", "a", "1", "b", "123456")
    oracle.do("OBJECT", "ENCODING", "n")


def test_hashtable_contents(oracle, limits):
    limits(entries=4)
    fields = []
    for i in range(40):
        fields += [f"f{i}", f"v{i}"]
    oracle.do("HSET", "h", *fields)
    oracle.do("OBJECT", "ENCODING", "h")
    oracle.sorted("HKEYS", "h")
    oracle.sorted("HVALS", "h")
    oracle.sorted("HGETALL", "h")
    oracle.do("HLEN", "h")
    oracle.do("HDEL", "h", *[f"f{i}" for i in range(0, 40, 2)])
    oracle.sorted("HKEYS", "h")
    oracle.do("COPY", "h", "h2")
    oracle.do("OBJECT", "ENCODING", "h2")
    oracle.sorted("HGETALL", "h2")


def test_copy_rename_keep_type(oracle):
    oracle.do("HSET", "h", "a", "1")
    oracle.do("COPY", "h", "c")
    oracle.do("HSET", "c", "b", "2")
    oracle.do("HGETALL", "h")
    oracle.do("HGETALL", "c")
    oracle.do("RENAME", "c", "d")
    oracle.do("TYPE", "d")
    oracle.do("OBJECT", "ENCODING", "d")


# ------------------------------------------------------------------------------------------------ HRANDFIELD

def test_hrandfield_shapes(oracle):
    oracle.do("HSET", "h", "a", "1", "b", "2", "c", "3")
    oracle.do("HRANDFIELD", "nokey")
    for args in (("nokey", 3), ("nokey", -3), ("nokey", 0), ("nokey", 3, "WITHVALUES"), ("h", 0),
                 ("h", 0, "WITHVALUES"), ("h", 3), ("h", 10), ("h", 3, "withvalues"), ("h", 100, "WITHVALUES")):
        oracle.do("HRANDFIELD", *args)
    for args in (("h",), ("h", 1), ("h", -1), ("h", 1, "WITHVALUES")):
        ours, theirs = oracle.same_type("HRANDFIELD", *args)
        assert ours.count(b"\r\n") == theirs.count(b"\r\n")
    for count in (-5, 2, -2):
        for extra in ((), ("WITHVALUES",)):
            ours, theirs = oracle.same_type("HRANDFIELD", "h", count, *extra)
            assert len(split_array(ours)) == len(split_array(theirs))
            assert set(split_array(ours)) <= {b"$1\r\na\r\n", b"$1\r\nb\r\n", b"$1\r\nc\r\n",
                                              b"$1\r\n1\r\n", b"$1\r\n2\r\n", b"$1\r\n3\r\n"}
    ours = split_array(oracle.ours.command("HRANDFIELD", "h", 2))
    assert len(set(ours)) == 2


def test_hrandfield_errors(oracle):
    oracle.do("HSET", "h", "a", "1")
    oracle.do("SET", "s", "x")
    for args in (("h", "x"), ("h", "1.5"), ("s", "x"), ("h", "-9223372036854775808"),
                 ("h", "-9223372036854775808", "WITHVALUES"), ("h", "9223372036854775807", "WITHVALUES"),
                 ("h", "-4611686018427387904", "WITHVALUES"), ("h", "4611686018427387904", "WITHVALUES"),
                 ("h", 1, "WITHVALUE"), ("h", 1, "WITHVALUES", "x"), ("s", 1, "x"), ("h", "x", "y"),
                 ("nokey", 1, "bogus"), ("h", "9223372036854775808")):
        oracle.error("HRANDFIELD", *args)
    oracle.do("HRANDFIELD", "h", "4611686018427387903", "WITHVALUES")
    oracle.do("HRANDFIELD", "h", "9223372036854775807")


# ----------------------------------------------------------------------------------------------------- HSCAN

def test_hscan_listpack(oracle):
    oracle.do("HSET", "h", "a", "1", "b", "2", "foo", "3", "fob", "4")
    for args in ((0,), (0, "COUNT", 1), (123, "COUNT", 1), (0, "MATCH", "fo*"), (0, "MATCH", "zz*", "COUNT", 100),
                 (0, "match", "*"), (0, "count", 2, "match", "?")):
        oracle.do("HSCAN", "h", *args)


def test_hscan_errors(oracle):
    oracle.do("HSET", "h", "a", "1")
    for args in (("h", "x"), ("h", "-x"), ("h", " 1"), ("h", 0, "COUNT", 0), ("h", 0, "COUNT", "x"),
                 ("h", 0, "COUNT"), ("h", 0, "TYPE", "string"), ("h", 0, "MATCH"), ("h", 0, "bogus", "x"),
                 ("nokey", "x")):
        oracle.error("HSCAN", *args)
    for args in (("nokey", 0, "COUNT", 0), ("nokey", 0, "TYPE", "x"), ("h", "-1"), ("h", "")):
        oracle.do("HSCAN", *args)


def test_hscan_hashtable_full_iteration(oracle, limits):
    limits(entries=8)
    fields = []
    for i in range(200):
        fields += [f"k{i}", f"v{i}"]
    oracle.do("HSET", "h", *fields)
    oracle.do("OBJECT", "ENCODING", "h")
    for client in (oracle.ours, oracle.redis):
        seen: dict[bytes, bytes] = {}
        cursor = b"0"
        for _ in range(1000):
            reply = client.command("HSCAN", "h", cursor, "COUNT", 7)
            parts = split_array(reply)
            cursor = parts[0].split(b"\r\n")[1]
            items = [x.split(b"\r\n")[1] for x in split_array(parts[1])]
            seen.update(zip(items[::2], items[1::2], strict=True))
            if cursor == b"0":
                break
        assert cursor == b"0"
        assert seen == {f"k{i}".encode(): f"v{i}".encode() for i in range(200)}
    ours = split_array(oracle.ours.command("HSCAN", "h", 0, "MATCH", "k1?", "COUNT", 1000))
    theirs = split_array(oracle.redis.command("HSCAN", "h", 0, "MATCH", "k1?", "COUNT", 1000))
    assert ours[0] == theirs[0] == b"$1\r\n0\r\n"
    assert sorted(split_array(ours[1])) == sorted(split_array(theirs[1]))


# ---------------------------------------------------------------------------------------------------- events

def test_keyspace_events(oracle, limits):
    limits(value=3)
    steps = [
        ("HSET", "h", "a", "1", "b", "2"), ("HSET", "h", "a", "1"), ("HMSET", "h", "c", "3"),
        ("HSETNX", "h", "a", "x"), ("HSETNX", "h", "d", "4"), ("HINCRBY", "h", "n", "1"),
        ("HINCRBYFLOAT", "h", "n", "1.5"), ("HINCRBY", "h", "a", "x"), ("HDEL", "h", "zz"), ("HDEL", "h", "a"),
        ("HDEL", "h", "b", "c", "d", "n"), ("HDEL", "h", "x"), ("HINCRBYFLOAT", "g", "f", "1e10"),
        ("HDEL", "g", "f"), ("HGET", "h", "a"), ("HRANDFIELD", "h"), ("HSCAN", "h", "0"),
    ]
    assert_same_keyspace_events(oracle, "__key*@*", steps)


# ------------------------------------------------------------------------------------------ random sequences

def test_random_hash_operations(oracle, limits):
    import random

    limits(entries=6, value=8)
    rng = random.Random(20261127)
    keys = ["h1", "h2", "h3"]
    fields = ["a", "b", "c", "d", "e", "f", "g", "long-field-name", ""]
    values = ["1", "-7", "x", "", "2.5", "9223372036854775807", "a-much-longer-value", "0x10"]

    def key() -> str:
        return rng.choice(keys)

    def fld() -> str:
        return rng.choice(fields)

    def val() -> str:
        return rng.choice(values)

    def pairs() -> list[str]:
        out: list[str] = []
        for _ in range(rng.randint(1, 3)):
            out += [fld(), val()]
        return out

    makers = [
        lambda: ("HSET", key(), *pairs()),
        lambda: ("HMSET", key(), *pairs()),
        lambda: ("HSETNX", key(), fld(), val()),
        lambda: ("HDEL", key(), *[fld() for _ in range(rng.randint(1, 3))]),
        lambda: ("HGET", key(), fld()),
        lambda: ("HMGET", key(), fld(), fld()),
        lambda: ("HEXISTS", key(), fld()),
        lambda: ("HLEN", key()),
        lambda: ("HSTRLEN", key(), fld()),
        lambda: ("HINCRBY", key(), fld(), rng.randint(-5, 5)),
        lambda: ("HINCRBYFLOAT", key(), fld(), rng.choice(["0.5", "-1.25", "1e3", "3"])),
        lambda: ("OBJECT", "ENCODING", key()),
        lambda: ("EXISTS", key()),
    ]

    def check_all(k: str) -> None:
        # A listpack keeps insertion order (so must we); a hashtable's order is its own.
        if oracle.do("OBJECT", "ENCODING", k) == b"$9\r\nhashtable\r\n":
            oracle.sorted("HGETALL", k)
        else:
            oracle.do("HGETALL", k)
            oracle.do("HKEYS", k)
            oracle.do("HVALS", k)

    for i in range(600):
        oracle.do(*rng.choice(makers)())
        if i % 20 == 0:
            check_all(key())
    for k in keys:
        check_all(k)
        oracle.do("HLEN", k)
