"""Hash commands against our server through redis-py and raw sockets: HSET HSETNX HGET HMGET HMSET HDEL HEXISTS
HLEN HKEYS HVALS HGETALL HINCRBY HINCRBYFLOAT HSTRLEN HRANDFIELD HSCAN, and the listpack/hashtable encodings."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
from helpers.rawclient import RawClient

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX = "syntax error"
NOT_INT = "value is not an integer or out of range"
NOT_FLOAT = "value is not a valid float"


def _error(r: redis.Redis, *args: Any) -> str:
    with pytest.raises(redis.ResponseError) as info:
        r.execute_command(*args)
    return str(info.value)


def _raw(r: redis.Redis, *args: Any) -> Any:
    """The reply as sent (redis-py's per-command callbacks would turn it into bool/float/dict)."""
    conn = r.connection_pool.get_connection()
    try:
        conn.send_command(*args)
        return conn.read_response()
    finally:
        r.connection_pool.release(conn)


def _encoding(r: redis.Redis, key: str) -> bytes:
    return r.execute_command("OBJECT", "ENCODING", key)


@pytest.fixture
def limits(r: redis.Redis) -> Iterator[Any]:
    """CONFIG SET hash-max-listpack-* for one test on the shared server, restored afterwards."""
    saved = {name: r.config_get(name)[name] for name in ("hash-max-listpack-entries", "hash-max-listpack-value")}

    def set_limits(entries: int | None = None, value: int | None = None) -> None:
        if entries is not None:
            r.config_set("hash-max-listpack-entries", entries)
        if value is not None:
            r.config_set("hash-max-listpack-value", value)

    yield set_limits
    for name, old in saved.items():
        r.config_set(name, old)


def _dirty(r: redis.Redis) -> int:
    return int(r.info("persistence")["rdb_changes_since_last_save"])


# ------------------------------------------------------------------------------------------------------ HSET

def test_hset_returns_number_of_new_fields(r):
    assert r.execute_command("HSET", "h", "a", "1", "b", "2") == 2
    assert r.execute_command("HSET", "h", "a", "3", "c", "4") == 1
    assert r.hgetall("h") == {b"a": b"3", b"b": b"2", b"c": b"4"}


def test_hset_same_field_twice_counts_once(r):
    assert r.execute_command("HSET", "h", "a", "1", "a", "2") == 1
    assert r.hget("h", "a") == b"2"


def test_hset_odd_arguments_is_arity_error(r):
    assert _error(r, "HSET", "h", "a", "1", "b") == "wrong number of arguments for 'hset' command"
    assert _error(r, "HSET", "h", "a") == "wrong number of arguments for 'hset' command"
    assert not r.exists("h")


def test_hset_binary_and_empty_fields(r):
    r.hset("h", b"\x00\r\n", b"\xff\x00")
    r.hset("h", "", "")
    assert r.hget("h", b"\x00\r\n") == b"\xff\x00"
    assert r.hget("h", "") == b""
    assert r.hlen("h") == 2


def test_hset_keeps_ttl(r):
    r.hset("h", "a", "1")
    r.expire("h", 100)
    r.hset("h", "b", "2")
    assert 0 < r.ttl("h") <= 100


def test_hset_wrong_type(r):
    r.set("s", "x")
    assert _error(r, "HSET", "s", "a", "1") == WRONGTYPE
    assert r.get("s") == b"x"


def test_hset_dirty_counts_pairs(r):
    before = _dirty(r)
    r.execute_command("HSET", "h", "a", "1", "b", "2", "a", "3")
    assert _dirty(r) - before == 3


def test_hmset_replies_ok(r):
    assert _raw(r, "HMSET", "h", "a", "1", "b", "2") == b"OK"
    assert r.hmget("h", "a", "b") == [b"1", b"2"]
    assert _error(r, "HMSET", "h", "a", "1", "b") == "wrong number of arguments for 'hmset' command"
    r.set("s", "x")
    assert _error(r, "HMSET", "s", "a", "1") == WRONGTYPE


def test_hsetnx_sets_only_missing_fields(r):
    assert r.hsetnx("h", "a", "1") == 1
    assert r.hsetnx("h", "a", "2") == 0
    assert r.hget("h", "a") == b"1"
    r.set("s", "x")
    assert _error(r, "HSETNX", "s", "a", "1") == WRONGTYPE


# ------------------------------------------------------------------------------------------------------ HDEL

def test_hdel_counts_removed_fields(r):
    r.hset("h", mapping={"a": "1", "b": "2", "c": "3"})
    assert r.hdel("h", "a", "a", "zz") == 1
    assert r.hgetall("h") == {b"b": b"2", b"c": b"3"}


def test_hdel_last_field_deletes_key(r):
    r.hset("h", mapping={"a": "1", "b": "2"})
    assert r.hdel("h", "a", "b", "c") == 2
    assert not r.exists("h")
    assert r.hdel("h", "a") == 0


def test_hdel_missing_key_and_wrong_type(r):
    assert r.hdel("nokey", "a") == 0
    r.set("s", "x")
    assert _error(r, "HDEL", "s", "a") == WRONGTYPE


def test_hdel_dirty_counts_removed_fields(r):
    r.hset("h", mapping={"a": "1", "b": "2", "c": "3"})
    before = _dirty(r)
    r.hdel("h", "a", "b", "x")
    assert _dirty(r) - before == 2
    before = _dirty(r)
    r.hdel("h", "x")
    assert _dirty(r) == before


# ---------------------------------------------------------------------------------------------------- reads

def test_hget_hmget(r):
    r.hset("h", mapping={"a": "1", "b": "2"})
    assert r.hget("h", "a") == b"1"
    assert r.hget("h", "zz") is None
    assert r.hget("nokey", "a") is None
    assert r.hmget("h", "a", "zz", "b") == [b"1", None, b"2"]
    assert r.hmget("nokey", "a", "b") == [None, None]


def test_hexists_hlen_hstrlen(r):
    r.hset("h", mapping={"a": "hello", "n": "-123"})
    assert r.hexists("h", "a") is True
    assert r.hexists("h", "zz") is False
    assert r.hexists("nokey", "a") is False
    assert r.hlen("h") == 2
    assert r.hlen("nokey") == 0
    assert r.hstrlen("h", "a") == 5
    assert r.hstrlen("h", "n") == 4
    assert r.hstrlen("h", "zz") == 0
    assert r.hstrlen("nokey", "a") == 0


def test_hkeys_hvals_hgetall_keep_insertion_order_in_listpack(r):
    r.hset("h", mapping={"z": "1", "a": "2", "m": "3"})
    r.hdel("h", "a")
    r.hset("h", "a", "4")
    r.hset("h", "z", "5")
    assert r.hkeys("h") == [b"z", b"m", b"a"]
    assert r.hvals("h") == [b"5", b"3", b"4"]
    assert _raw(r, "HGETALL", "h") == [b"z", b"5", b"m", b"3", b"a", b"4"]


def test_hkeys_hvals_hgetall_missing_key(r):
    assert r.hkeys("nokey") == []
    assert r.hvals("nokey") == []
    assert r.hgetall("nokey") == {}


@pytest.mark.parametrize("args", [("HGET", "s", "a"), ("HMGET", "s", "a"), ("HEXISTS", "s", "a"), ("HLEN", "s"),
                                  ("HSTRLEN", "s", "a"), ("HKEYS", "s"), ("HVALS", "s"), ("HGETALL", "s")])
def test_readers_wrong_type(r, args):
    r.set("s", "x")
    assert _error(r, *args) == WRONGTYPE


def test_resp3_replies(port):
    c = RawClient(port)
    try:
        c.command("FLUSHALL")
        c.command("HELLO", "3")
        c.command("HSET", "h", "a", "1", "b", "2")
        assert c.command("HGETALL", "h") == b"%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"
        assert c.command("HGETALL", "nokey") == b"%0\r\n"
        assert c.command("HMGET", "h", "a", "x") == b"*2\r\n$1\r\n1\r\n_\r\n"
        assert c.command("HGET", "h", "x") == b"_\r\n"
        assert c.command("HRANDFIELD", "nokey") == b"_\r\n"
        assert c.command("HRANDFIELD", "h", 5, "WITHVALUES") == (
            b"*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n")
        assert c.command("HRANDFIELD", "h", -3, "WITHVALUES").startswith(b"*3\r\n*2\r\n")
        assert c.command("HSCAN", "h", 0) == b"*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"
    finally:
        c.close()


# ------------------------------------------------------------------------------------------------- HINCRBY

def test_hincrby_creates_and_increments(r):
    assert r.hincrby("h", "n", 5) == 5
    assert r.hincrby("h", "n", -12) == -7
    assert r.hget("h", "n") == b"-7"


def test_hincrby_overflow(r):
    r.hset("h", mapping={"big": "9223372036854775807", "small": "-9223372036854775808"})
    assert _error(r, "HINCRBY", "h", "big", 1) == "increment or decrement would overflow"
    assert _error(r, "HINCRBY", "h", "small", -1) == "increment or decrement would overflow"
    assert r.hincrby("h", "big", -1) == 9223372036854775806


@pytest.mark.parametrize("value", ["abc", " 1", "1 ", "007", "", "1.5", "+1"])
def test_hincrby_field_not_an_integer(r, value):
    r.hset("h", "f", value)
    assert _error(r, "HINCRBY", "h", "f", 1) == "hash value is not an integer"
    assert r.hget("h", "f") == value.encode()


@pytest.mark.parametrize("incr", ["x", "1.5", "", "9223372036854775808", "+1", "01"])
def test_hincrby_bad_increment(r, incr):
    assert _error(r, "HINCRBY", "h", "f", incr) == NOT_INT
    assert not r.exists("h")


def test_hincrby_wrong_type(r):
    r.set("s", "x")
    assert _error(r, "HINCRBY", "s", "f", 1) == WRONGTYPE
    assert _error(r, "HINCRBY", "s", "f", "x") == NOT_INT      # the increment is parsed first


# -------------------------------------------------------------------------------------------- HINCRBYFLOAT

@pytest.mark.parametrize(("start", "incr", "expected"), [
    (None, "10.5", b"10.5"), ("10.5", "0.1", b"10.6"), ("5.0e3", "2.0e2", b"5200"), ("3", "-3", b"0"),
    ("0.1", "0.2", b"0.3"), ("1", "0x1p3", b"9"), ("-0", "-0", b"0"), ("1.5", "+.5", b"2"),
])
def test_hincrbyfloat_digits(r, start, incr, expected):
    if start is not None:
        r.hset("h", "f", start)
    assert _raw(r, "HINCRBYFLOAT", "h", "f", incr) == expected
    assert r.hget("h", "f") == expected


@pytest.mark.parametrize("incr", ["abc", "", " 1", "nan", "1e5000", "1_0"])
def test_hincrbyfloat_bad_increment(r, incr):
    assert _error(r, "HINCRBYFLOAT", "h", "f", incr) == NOT_FLOAT
    assert not r.exists("h")


@pytest.mark.parametrize("incr", ["inf", "-inf", "Infinity"])
def test_hincrbyfloat_infinite_increment(r, incr):
    assert _error(r, "HINCRBYFLOAT", "h", "f", incr) == "value is NaN or Infinity"
    assert not r.exists("h")


def test_hincrbyfloat_field_not_a_float(r):
    r.hset("h", "f", "abc")
    assert _error(r, "HINCRBYFLOAT", "h", "f", "1") == "hash value is not a float"


def test_hincrbyfloat_result_infinite(r):
    r.hset("h", mapping={"f": "inf", "g": "1e4932"})
    assert _error(r, "HINCRBYFLOAT", "h", "f", "1") == "increment would produce NaN or Infinity"
    assert _error(r, "HINCRBYFLOAT", "h", "g", "1e4932") == "increment would produce NaN or Infinity"
    assert r.hget("h", "g") == b"1e4932"


def test_hincrbyfloat_wrong_type(r):
    r.set("s", "x")
    assert _error(r, "HINCRBYFLOAT", "s", "f", "1") == WRONGTYPE


# ----------------------------------------------------------------------------------------------- encodings

def test_encoding_listpack_then_hashtable_by_entries(r, limits):
    limits(entries=3)
    r.hset("h", mapping={"a": "1", "b": "2", "c": "3"})
    assert _encoding(r, "h") == b"listpack"
    r.hset("h", "d", "4")
    assert _encoding(r, "h") == b"hashtable"
    r.hdel("h", "a", "b", "c")
    assert _encoding(r, "h") == b"hashtable"       # one-way


def test_encoding_by_value_length(r, limits):
    limits(value=4)
    r.hset("h", "aaaa", "bbbb")
    assert _encoding(r, "h") == b"listpack"
    r.hset("h", "x", "12345")
    assert _encoding(r, "h") == b"hashtable"
    r.hset("g", "abcde", "1")
    assert _encoding(r, "g") == b"hashtable"


def test_encoding_hincrby_result_length(r, limits):
    limits(value=4)
    r.hincrby("h", "f", 9999)
    assert _encoding(r, "h") == b"listpack"
    r.hincrby("h", "f", 1)
    assert _encoding(r, "h") == b"hashtable"
    r.execute_command("HINCRBYFLOAT", "g", "f", "1.25")
    assert _encoding(r, "g") == b"listpack"
    r.execute_command("HINCRBYFLOAT", "g", "f", "0.001")
    assert _encoding(r, "g") == b"hashtable"


def test_encoding_hsetnx_existing_field_does_not_convert(r, limits):
    limits(value=4)
    r.hset("h", "x", "1")
    assert r.hsetnx("h", "x", "long-value") == 0
    assert _encoding(r, "h") == b"listpack"
    assert r.hsetnx("h", "y", "long-value") == 1
    assert _encoding(r, "h") == b"hashtable"


def test_encoding_from_startup_directives_and_introspection(server_factory):
    sp = server_factory(hash_max_ziplist_entries=2, hash_max_listpack_value=10, enable_debug_command="yes")
    c = redis.Redis(port=sp.port, socket_timeout=10)
    try:
        c.hset("h", mapping={"a": "1", "b": "2"})
        assert _encoding(c, "h") == b"listpack"
        assert b"encoding:listpack" in c.execute_command("DEBUG", "OBJECT", "h")
        assert c.memory_usage("h") > 0
        c.hset("h", "c", "3")
        assert _encoding(c, "h") == b"hashtable"
        assert b"encoding:hashtable" in c.execute_command("DEBUG", "OBJECT", "h")
        assert c.memory_usage("h", samples=0) > 0
        assert c.object("encoding", "h") == b"hashtable"
        assert c.type("h") == b"hash"
    finally:
        c.close()


def test_copy_is_independent(r, limits):
    limits(entries=2)
    r.hset("h", "a", "1")
    r.copy("h", "c")
    r.hset("c", "b", "2")
    assert r.hgetall("h") == {b"a": b"1"}
    assert _encoding(r, "h") == b"listpack"
    r.hset("h", mapping={"x": "1", "y": "2"})
    r.copy("h", "d")
    assert _encoding(r, "d") == b"hashtable"


def test_watch_sees_hash_writes(r):
    r.hset("h", "a", "1")
    with r.pipeline() as pipe:
        pipe.watch("h")
        r.hincrby("h", "a", 1)
        pipe.multi()
        pipe.hget("h", "a")
        with pytest.raises(redis.WatchError):
            pipe.execute()


# ------------------------------------------------------------------------------------------------ HRANDFIELD

def test_hrandfield_single(r):
    assert r.hrandfield("nokey") is None
    r.hset("h", mapping={"a": "1", "b": "2", "c": "3"})
    seen = {r.hrandfield("h") for _ in range(100)}
    assert seen == {b"a", b"b", b"c"}


def test_hrandfield_positive_count_is_unique(r):
    r.hset("h", mapping={f"f{i}": str(i) for i in range(10)})
    for count in (1, 3, 9):
        got = r.hrandfield("h", count)
        assert len(got) == count == len(set(got))
    assert r.hrandfield("h", 10) == [f"f{i}".encode() for i in range(10)]
    assert r.hrandfield("h", 1000) == [f"f{i}".encode() for i in range(10)]


def test_hrandfield_negative_count_repeats(r):
    r.hset("h", "a", "1")
    assert r.hrandfield("h", -5) == [b"a"] * 5
    assert r.hrandfield("h", -3, withvalues=True) == [b"a", b"1"] * 3


def test_hrandfield_withvalues_pairs_match(r):
    r.hset("h", mapping={f"f{i}": f"v{i}" for i in range(10)})
    flat = r.hrandfield("h", 4, withvalues=True)
    assert len(flat) == 8
    for field, value in zip(flat[::2], flat[1::2], strict=True):
        assert value == b"v" + field[1:]


def test_hrandfield_zero_and_missing(r):
    r.hset("h", "a", "1")
    assert r.hrandfield("h", 0) == []
    assert r.hrandfield("nokey", 5) == []
    assert r.hrandfield("nokey", -5, withvalues=True) == []


def test_hrandfield_errors(r):
    r.hset("h", "a", "1")
    assert _error(r, "HRANDFIELD", "h", "x") == NOT_INT
    assert _error(r, "HRANDFIELD", "h", 1, "WITHVALUE") == SYNTAX
    assert _error(r, "HRANDFIELD", "h", 1, "WITHVALUES", "x") == SYNTAX
    assert _error(r, "HRANDFIELD", "h", "-9223372036854775808") == (
        "value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    assert _error(r, "HRANDFIELD", "h", "4611686018427387904", "WITHVALUES") == "value is out of range"
    assert _error(r, "HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES") == "value is out of range"
    r.set("s", "x")
    assert _error(r, "HRANDFIELD", "s") == WRONGTYPE
    assert _error(r, "HRANDFIELD", "s", 0) == WRONGTYPE
    assert _error(r, "HRANDFIELD", "s", "x") == NOT_INT


# ----------------------------------------------------------------------------------------------------- HSCAN

def _full_scan(r: redis.Redis, key: str, **kwargs: Any) -> tuple[dict[bytes, bytes], int]:
    cursor = 0
    seen: dict[bytes, bytes] = {}
    calls = 0
    while True:
        cursor, batch = r.hscan(key, cursor, **kwargs)
        seen.update(batch)
        calls += 1
        assert calls < 10000
        if cursor == 0:
            return seen, calls


def test_hscan_listpack_returns_everything_at_once(r):
    r.hset("h", mapping={"a": "1", "b": "2", "foo": "3"})
    assert r.hscan("h", 0, count=1) == (0, {b"a": b"1", b"b": b"2", b"foo": b"3"})
    assert r.hscan("h", 12345) == (0, {b"a": b"1", b"b": b"2", b"foo": b"3"})
    assert r.hscan("h", 0, match="f*") == (0, {b"foo": b"3"})
    assert r.hscan("nokey", 0) == (0, {})


def test_hscan_hashtable_iterates_in_steps(r, limits):
    limits(entries=8)
    expected = {f"k{i}".encode(): f"v{i}".encode() for i in range(300)}
    r.hset("h", mapping=expected)
    seen, calls = _full_scan(r, "h", count=10)
    assert seen == expected
    assert calls > 10
    seen, _ = _full_scan(r, "h", count=10, match="k1*")
    assert seen == {k: v for k, v in expected.items() if k.startswith(b"k1")}


def test_hscan_hashtable_guarantee_under_writes(r, limits):
    limits(entries=8)
    stable = {f"s{i}".encode(): b"1" for i in range(200)}
    r.hset("h", mapping=stable)
    cursor = 0
    seen: set[bytes] = set()
    step = 0
    while True:
        cursor, batch = r.hscan("h", cursor, count=5)
        seen.update(batch)
        step += 1
        # Grow and shrink the hash between calls.
        r.hset("h", mapping={f"t{step}-{j}".encode(): b"x" for j in range(3)})
        if step % 2:
            r.hdel("h", *[f"t{step - 1}-{j}" for j in range(3)])
        if cursor == 0:
            break
        assert step < 10000
    assert set(stable) <= seen


def test_hscan_errors(r):
    r.hset("h", "a", "1")
    assert _error(r, "HSCAN", "h", "x") == "invalid cursor"
    assert _error(r, "HSCAN", "h", 0, "COUNT", 0) == SYNTAX
    assert _error(r, "HSCAN", "h", 0, "COUNT", "x") == NOT_INT
    assert _error(r, "HSCAN", "h", 0, "TYPE", "hash") == SYNTAX
    assert _error(r, "HSCAN", "h", 0, "MATCH") == SYNTAX
    assert _error(r, "HSCAN", "nokey", "x") == "invalid cursor"
    assert _raw(r, "HSCAN", "nokey", 0, "COUNT", 0) == [b"0", []]
    r.set("s", "x")
    assert _error(r, "HSCAN", "s", 0) == WRONGTYPE


@pytest.mark.parametrize("args", [("HGET", "h"), ("HMGET", "h"), ("HDEL", "h"), ("HLEN",), ("HKEYS",),
                                  ("HINCRBY", "h", "f"), ("HINCRBYFLOAT", "h", "f"), ("HSTRLEN", "h"),
                                  ("HRANDFIELD",), ("HSCAN", "h"), ("HSETNX", "h", "f"), ("HEXISTS", "h")])
def test_arity_errors(r, args):
    assert _error(r, *args) == f"wrong number of arguments for '{args[0].lower()}' command"
