"""String commands against our server through redis-py: GET SET SETNX SETEX PSETEX MGET MSET MSETNX GETSET
GETDEL GETEX APPEND STRLEN GETRANGE SUBSTR SETRANGE INCR DECR INCRBY DECRBY INCRBYFLOAT LCS."""
from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from helpers.wait import wait_until

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX = "syntax error"
NOT_INT = "value is not an integer or out of range"
NOT_FLOAT = "value is not a valid float"
OVERFLOW = "increment or decrement would overflow"
NAN_OR_INF = "increment would produce NaN or Infinity"
TOO_LONG = "string exceeds maximum allowed size (proto-max-bulk-len)"


def _error(r: redis.Redis, *args: Any) -> str:
    with pytest.raises(redis.ResponseError) as info:
        r.execute_command(*args)
    return str(info.value)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _raw(r: redis.Redis, *args: Any) -> Any:
    """The reply as sent (redis-py's per-command callbacks would turn it into bool/float)."""
    conn = r.connection_pool.get_connection()
    try:
        conn.send_command(*args)
        return conn.read_response()
    finally:
        r.connection_pool.release(conn)


@pytest.fixture
def listkey(r: redis.Redis) -> str:
    """A key holding a non-string value (whichever collection command this build has)."""
    for args in (("RPUSH", "listkey", "x"), ("SADD", "listkey", "x"), ("HSET", "listkey", "f", "x"),
                 ("ZADD", "listkey", "1", "x")):
        try:
            r.execute_command(*args)
            return "listkey"
        except redis.ResponseError:
            continue
    pytest.skip("no collection type is implemented yet")


@pytest.fixture
def small_bulk(server_factory: Any) -> Iterator[redis.Redis]:
    """A private server with proto-max-bulk-len at its 1mb minimum."""
    sp = server_factory(proto_max_bulk_len="1mb")
    client = redis.Redis(port=sp.port, socket_timeout=10)
    yield client
    client.close()


# ------------------------------------------------------------------------------------------------------ GET


def test_get_missing_key_is_nil(r):
    assert r.get("nokey") is None


def test_get_returns_binary_safe_value(r):
    value = b"\x00\xff\r\n binary \x00"
    r.set("k", value)
    assert r.get("k") == value


def test_get_empty_value(r):
    r.set("k", "")
    assert r.get("k") == b""


def test_get_wrong_type(r, listkey):
    assert _error(r, "GET", listkey) == WRONGTYPE


def test_get_wrong_arity(r):
    assert "wrong number of arguments for 'get' command" in _error(r, "GET")
    assert "wrong number of arguments for 'get' command" in _error(r, "GET", "a", "b")


# ------------------------------------------------------------------------------------------------------ SET


def test_set_overwrites_value(r):
    assert r.set("k", "1") is True
    assert r.set("k", "2") is True
    assert r.get("k") == b"2"


def test_set_overwrites_other_types(r, listkey):
    assert r.set(listkey, "v") is True
    assert r.type(listkey) == b"string"


def test_set_clears_ttl(r):
    r.set("k", "v", ex=100)
    r.set("k", "w")
    assert r.ttl("k") == -1


def test_set_keepttl_keeps_ttl(r):
    r.set("k", "v", ex=100)
    assert r.set("k", "w", keepttl=True) is True
    assert r.get("k") == b"w"
    assert 99 <= r.ttl("k") <= 100


def test_set_nx(r):
    assert r.set("k", "1", nx=True) is True
    assert r.set("k", "2", nx=True) is None
    assert r.get("k") == b"1"


def test_set_xx(r):
    assert r.set("k", "1", xx=True) is None
    assert r.exists("k") == 0
    r.set("k", "1")
    assert r.set("k", "2", xx=True) is True
    assert r.get("k") == b"2"


def test_set_get_returns_old_value(r):
    assert r.set("k", "1", get=True) is None
    assert r.get("k") == b"1"
    assert r.set("k", "2", get=True) == b"1"
    assert r.get("k") == b"2"


def test_set_get_wrong_type_leaves_key(r, listkey):
    assert _error(r, "SET", listkey, "v", "GET") == WRONGTYPE
    assert r.type(listkey) != b"string"


def test_set_nx_get_returns_old_value_without_setting(r):
    r.set("k", "old")
    assert r.set("k", "new", nx=True, get=True) == b"old"
    assert r.get("k") == b"old"
    assert r.set("fresh", "v", nx=True, get=True) is None
    assert r.get("fresh") == b"v"


def test_set_xx_get_on_missing_key_sets_nothing(r):
    assert r.set("k", "v", xx=True, get=True) is None
    assert r.exists("k") == 0


def test_set_ex_sets_ttl_seconds(r):
    assert r.set("k", "v", ex=100) is True
    assert 99 <= r.ttl("k") <= 100


def test_set_px_sets_ttl_milliseconds(r):
    assert r.set("k", "v", px=100500) is True
    assert 100000 <= r.pttl("k") <= 100500


def test_set_exat_sets_absolute_seconds(r):
    when = int(time.time()) + 1000
    assert r.set("k", "v", exat=when) is True
    assert r.expiretime("k") == when


def test_set_pxat_sets_absolute_milliseconds(r):
    when = _now_ms() + 1_000_123
    assert r.set("k", "v", pxat=when) is True
    assert r.execute_command("PEXPIRETIME", "k") == when


def test_set_pxat_in_the_past_leaves_no_key(r):
    assert r.set("k", "v", pxat=1) is True
    assert r.exists("k") == 0
    assert r.get("k") is None


def test_set_px_expires(r):
    r.set("k", "v", px=30)
    wait_until(lambda: r.get("k") is None, timeout=5, message="k to expire")


def test_set_repeated_expire_option_last_wins(r):
    assert r.execute_command("SET", "k", "v", "EX", 10, "EX", 1000) is True
    assert r.ttl("k") > 900


def test_set_options_are_case_insensitive(r):
    assert r.execute_command("SET", "k", "v", "nx", "ex", 100) is True
    assert _raw(r, "set", "k", "w", "xX", "gEt", "kEePtTl") == b"v"
    assert r.ttl("k") > 0


def test_set_syntax_errors(r):
    for opts in (("NX", "XX"), ("XX", "NX"), ("EX",), ("PX",), ("EX", 10, "PX", 10), ("KEEPTTL", "EX", 10),
                 ("EX", 10, "KEEPTTL"), ("PERSIST",), ("BOGUS",), ("EXAT", 10, "PXAT", 10)):
        assert SYNTAX in _error(r, "SET", "k", "v", *opts), opts
    assert r.exists("k") == 0


def test_set_invalid_expire_time(r):
    for opt, value in (("EX", 0), ("EX", -1), ("PX", 0), ("EXAT", 0), ("PXAT", -5),
                       ("EX", 9223372036854775807), ("PX", 9223372036854775807), ("EXAT", 9223372036854775807)):
        assert _error(r, "SET", "k", "v", opt, value) == "invalid expire time in 'set' command", (opt, value)
    assert r.exists("k") == 0


def test_set_expire_not_an_integer(r):
    for value in ("abc", "1.5", " 1", "99999999999999999999"):
        assert _error(r, "SET", "k", "v", "EX", value) == NOT_INT


def test_set_wrong_arity(r):
    assert "wrong number of arguments for 'set' command" in _error(r, "SET", "k")


# ------------------------------------------------------------------------------------------ SETNX SETEX PSETEX


def test_setnx_sets_only_missing_keys(r):
    assert r.setnx("k", "1") is True
    assert r.setnx("k", "2") is False
    assert r.get("k") == b"1"


def test_setnx_existing_other_type_is_zero(r, listkey):
    assert r.setnx(listkey, "v") is False


def test_setex_sets_value_and_ttl(r):
    assert r.execute_command("SETEX", "k", 100, "v") is True
    assert r.get("k") == b"v"
    assert 99 <= r.ttl("k") <= 100


def test_setex_replaces_other_types(r, listkey):
    assert r.execute_command("SETEX", listkey, 100, "v") is True
    assert r.get(listkey) == b"v"


def test_setex_errors(r):
    assert _error(r, "SETEX", "k", 0, "v") == "invalid expire time in 'setex' command"
    assert _error(r, "SETEX", "k", -1, "v") == "invalid expire time in 'setex' command"
    assert _error(r, "SETEX", "k", 9223372036854775, "v") == "invalid expire time in 'setex' command"
    assert _error(r, "SETEX", "k", "x", "v") == NOT_INT
    assert "wrong number of arguments for 'setex' command" in _error(r, "SETEX", "k", 10)
    assert r.exists("k") == 0


def test_psetex_sets_value_and_pttl(r):
    assert r.psetex("k", 100500, "v") is True
    assert r.get("k") == b"v"
    assert 100000 <= r.pttl("k") <= 100500


def test_psetex_errors(r):
    assert _error(r, "PSETEX", "k", 0, "v") == "invalid expire time in 'psetex' command"
    assert _error(r, "PSETEX", "k", 9223372036854775807, "v") == "invalid expire time in 'psetex' command"
    assert _error(r, "PSETEX", "k", "1e3", "v") == NOT_INT


def test_psetex_expires(r):
    r.psetex("k", 30, "v")
    wait_until(lambda: r.exists("k") == 0, timeout=5, message="k to expire")


# ------------------------------------------------------------------------------------------ GETSET GETDEL


def test_getset_returns_old_and_sets_new(r):
    assert r.getset("k", "1") is None
    assert r.getset("k", "2") == b"1"
    assert r.get("k") == b"2"


def test_getset_clears_ttl(r):
    r.set("k", "v", ex=100)
    r.getset("k", "w")
    assert r.ttl("k") == -1


def test_getset_wrong_type(r, listkey):
    assert _error(r, "GETSET", listkey, "v") == WRONGTYPE


def test_getdel_returns_and_deletes(r):
    r.set("k", "v", ex=100)
    assert r.getdel("k") == b"v"
    assert r.exists("k") == 0
    assert r.getdel("k") is None


def test_getdel_wrong_type(r, listkey):
    assert _error(r, "GETDEL", listkey) == WRONGTYPE
    assert r.exists(listkey) == 1


# ------------------------------------------------------------------------------------------------------ GETEX


def test_getex_without_options_is_get(r):
    r.set("k", "v", ex=100)
    assert r.getex("k") == b"v"
    assert 99 <= r.ttl("k") <= 100


def test_getex_missing_key_is_nil(r):
    assert r.getex("nokey", ex=10) is None
    assert r.exists("nokey") == 0


def test_getex_ex_and_px(r):
    r.set("k", "v")
    assert r.getex("k", ex=100) == b"v"
    assert 99 <= r.ttl("k") <= 100
    assert r.getex("k", px=200500) == b"v"
    assert 200000 <= r.pttl("k") <= 200500


def test_getex_exat_and_pxat(r):
    r.set("k", "v")
    when = int(time.time()) + 1000
    assert r.getex("k", exat=when) == b"v"
    assert r.expiretime("k") == when
    when_ms = _now_ms() + 2_000_321
    assert r.getex("k", pxat=when_ms) == b"v"
    assert r.execute_command("PEXPIRETIME", "k") == when_ms


def test_getex_exat_in_the_past_deletes_key(r):
    for opt in ("EXAT", "PXAT"):
        r.set("k", "v")
        assert r.execute_command("GETEX", "k", opt, 1) == b"v"
        assert r.exists("k") == 0


def test_getex_persist_removes_ttl(r):
    r.set("k", "v", ex=100)
    assert r.getex("k", persist=True) == b"v"
    assert r.ttl("k") == -1
    assert r.getex("k", persist=True) == b"v"


def test_getex_px_expires(r):
    r.set("k", "v")
    r.getex("k", px=30)
    wait_until(lambda: r.exists("k") == 0, timeout=5, message="k to expire")


def test_getex_repeated_option_last_wins(r):
    r.set("k", "v")
    assert r.execute_command("GETEX", "k", "EX", 10, "EX", 1000) == b"v"
    assert r.ttl("k") > 900


def test_getex_syntax_errors(r):
    r.set("k", "v")
    for opts in (("EX",), ("EX", 10, "PX", 10), ("PERSIST", "EX", 10), ("EX", 10, "PERSIST"), ("KEEPTTL",),
                 ("NX",), ("XX",), ("GET",), ("BOGUS",)):
        assert SYNTAX in _error(r, "GETEX", "k", *opts), opts
    assert r.ttl("k") == -1


def test_getex_syntax_error_even_for_missing_key(r):
    assert SYNTAX in _error(r, "GETEX", "nokey", "BOGUS")


def test_getex_invalid_expire(r):
    r.set("k", "v")
    for opt, value in (("EX", 0), ("PX", -1), ("EXAT", 0), ("EX", 9223372036854775807)):
        assert _error(r, "GETEX", "k", opt, value) == "invalid expire time in 'getex' command"
    assert _error(r, "GETEX", "k", "EX", "ten") == NOT_INT
    assert r.ttl("k") == -1


def test_getex_bad_expire_on_missing_key_is_nil(r):
    # The key is looked up before the expire value is checked.
    assert r.execute_command("GETEX", "nokey", "EX", "junk") is None


def test_getex_wrong_type(r, listkey):
    assert _error(r, "GETEX", listkey) == WRONGTYPE
    assert _error(r, "GETEX", listkey, "EX", "junk") == WRONGTYPE


# ------------------------------------------------------------------------------------------- MGET MSET MSETNX


def test_mget_mixes_values_and_nils(r, listkey):
    r.set("a", "1")
    r.set("c", "3")
    assert r.mget("a", "b", "c", listkey, "a") == [b"1", None, b"3", None, b"1"]


def test_mget_single_key(r):
    assert r.mget("nokey") == [None]


def test_mset_sets_all(r):
    assert r.mset({"a": "1", "b": "2", "c": "3"}) is True
    assert r.mget("a", "b", "c") == [b"1", b"2", b"3"]


def test_mset_clears_ttl_and_overwrites_types(r, listkey):
    r.set("a", "old", ex=100)
    r.execute_command("MSET", "a", "1", listkey, "2")
    assert r.ttl("a") == -1
    assert r.get(listkey) == b"2"


def test_mset_repeated_key_last_wins(r):
    r.execute_command("MSET", "a", "1", "a", "2")
    assert r.get("a") == b"2"


def test_mset_odd_arguments(r):
    assert _error(r, "MSET", "a", "1", "b") == "wrong number of arguments for 'mset' command"
    assert _error(r, "MSET", "a") == "wrong number of arguments for 'mset' command"
    assert r.exists("a") == 0


def test_msetnx_sets_all_or_nothing(r):
    assert r.msetnx({"a": "1", "b": "2"}) is True
    assert r.msetnx({"b": "x", "c": "3"}) is False
    assert r.mget("a", "b", "c") == [b"1", b"2", None]


def test_msetnx_existing_other_type_blocks(r, listkey):
    assert r.execute_command("MSETNX", "a", "1", listkey, "2") == 0
    assert r.exists("a") == 0


def test_msetnx_repeated_new_key(r):
    assert r.execute_command("MSETNX", "a", "1", "a", "2") == 1
    assert r.get("a") == b"2"


def test_msetnx_odd_arguments(r):
    assert _error(r, "MSETNX", "a", "1", "b") == "wrong number of arguments for 'msetnx' command"


# ------------------------------------------------------------------------------------------- APPEND STRLEN


def test_append_creates_and_extends(r):
    assert r.append("k", "Hello") == 5
    assert r.append("k", " World") == 11
    assert r.get("k") == b"Hello World"
    assert r.strlen("k") == 11


def test_append_many_times(r):
    for i in range(1, 201):
        assert r.append("k", "ab") == 2 * i
    assert r.get("k") == b"ab" * 200


def test_append_keeps_ttl(r):
    r.set("k", "a", ex=100)
    r.append("k", "b")
    assert 99 <= r.ttl("k") <= 100


def test_append_empty_string_creates_key(r):
    assert r.append("k", "") == 0
    assert r.exists("k") == 1
    assert r.get("k") == b""


def test_append_to_integer_value(r):
    r.set("k", 12)
    assert r.append("k", "3") == 3
    assert r.incr("k") == 124


def test_append_encoding(r):
    r.append("num", "123")
    assert r.object("encoding", "num") == b"int"
    r.append("num", "4")
    assert r.object("encoding", "num") == b"raw"
    r.append("word", "hello")
    assert r.object("encoding", "word") == b"embstr"


def test_append_wrong_type(r, listkey):
    assert _error(r, "APPEND", listkey, "x") == WRONGTYPE


def test_append_limited_by_proto_max_bulk_len(small_bulk):
    small_bulk.set("k", b"a" * (1024 * 1024 - 1))
    assert small_bulk.append("k", "b") == 1024 * 1024
    assert small_bulk.execute_command("APPEND", "k", "") == 1024 * 1024
    with pytest.raises(redis.ResponseError, match=r"proto-max-bulk-len"):
        small_bulk.append("k", "c")
    assert small_bulk.strlen("k") == 1024 * 1024


def test_strlen(r, listkey):
    assert r.strlen("nokey") == 0
    r.set("k", "hello")
    assert r.strlen("k") == 5
    r.set("n", 12345)
    assert r.strlen("n") == 5
    assert _error(r, "STRLEN", listkey) == WRONGTYPE


# -------------------------------------------------------------------------------------- GETRANGE SUBSTR


@pytest.mark.parametrize("start,end,expected", [
    (0, 3, b"This"), (-3, -1, b"ing"), (0, -1, b"This is a string"), (10, 100, b"string"),
    (5, 3, b""), (-1, -5, b""), (-100, -50, b"T"), (-100, 3, b"This"), (16, 20, b""), (15, 15, b"g"),
    (0, 9223372036854775807, b"This is a string"), (-9223372036854775808, -9223372036854775808, b"T"),
])
def test_getrange_indexes(r, start, end, expected):
    r.set("k", "This is a string")
    assert r.getrange("k", start, end) == expected


def test_getrange_missing_and_empty(r):
    assert r.getrange("nokey", 0, -1) == b""
    r.set("k", "")
    assert r.getrange("k", 0, -1) == b""
    assert r.getrange("k", 0, 0) == b""


def test_getrange_integer_value(r):
    r.set("k", 1234)
    assert r.getrange("k", 1, 2) == b"23"


def test_getrange_errors(r, listkey):
    r.set("k", "v")
    assert _error(r, "GETRANGE", "k", "a", 1) == NOT_INT
    assert _error(r, "GETRANGE", "k", 0, "9223372036854775808") == NOT_INT
    assert _error(r, "GETRANGE", listkey, 0, 1) == WRONGTYPE
    assert _error(r, "GETRANGE", listkey, "x", 1) == NOT_INT    # arguments are checked first


def test_substr_is_getrange(r):
    r.set("k", "Hello World")
    assert r.execute_command("SUBSTR", "k", 0, 4) == b"Hello"
    assert r.execute_command("SUBSTR", "k", -5, -1) == b"World"
    assert r.execute_command("SUBSTR", "nokey", 0, 4) == b""


# ------------------------------------------------------------------------------------------------ SETRANGE


def test_setrange_overwrites_inside(r):
    r.set("k", "Hello World")
    assert r.setrange("k", 6, "Redis") == 11
    assert r.get("k") == b"Hello Redis"


def test_setrange_pads_with_zero_bytes(r):
    assert r.setrange("k", 5, "ab") == 7
    assert r.get("k") == b"\x00" * 5 + b"ab"
    r.set("s", "xy")
    assert r.setrange("s", 4, "z") == 5
    assert r.get("s") == b"xy\x00\x00z"


def test_setrange_empty_value(r):
    assert r.setrange("k", 10, "") == 0
    assert r.exists("k") == 0
    r.set("k", "abc")
    assert r.setrange("k", 10, "") == 3
    assert r.get("k") == b"abc"


def test_setrange_keeps_ttl_and_makes_raw(r):
    r.set("k", 123, ex=100)
    assert r.setrange("k", 1, "x") == 3
    assert r.get("k") == b"1x3"
    assert r.object("encoding", "k") == b"raw"
    assert 99 <= r.ttl("k") <= 100


def test_setrange_errors(r, listkey):
    assert _error(r, "SETRANGE", "k", -1, "x") == "offset is out of range"
    assert _error(r, "SETRANGE", "k", "x", "x") == NOT_INT
    assert _error(r, "SETRANGE", listkey, 0, "x") == WRONGTYPE
    assert _error(r, "SETRANGE", listkey, 0, "") == WRONGTYPE
    assert _error(r, "SETRANGE", listkey, -1, "") == "offset is out of range"
    assert _error(r, "SETRANGE", "k", 9223372036854775807, "ab") == TOO_LONG
    assert _error(r, "SETRANGE", "k", 536870912, "a") == TOO_LONG
    assert r.exists("k") == 0


def test_setrange_limited_by_proto_max_bulk_len(small_bulk):
    limit = 1024 * 1024
    assert small_bulk.setrange("k", limit - 1, "a") == limit
    with pytest.raises(redis.ResponseError, match=r"proto-max-bulk-len"):
        small_bulk.setrange("k", limit, "b")
    with pytest.raises(redis.ResponseError, match=r"proto-max-bulk-len"):
        small_bulk.setrange("other", limit - 1, "ab")
    assert small_bulk.exists("other") == 0


# ---------------------------------------------------------------------------------------- INCR DECR INCRBY


def test_incr_creates_key(r):
    assert r.incr("k") == 1
    assert r.incr("k") == 2
    assert r.get("k") == b"2"


def test_decr_creates_key(r):
    assert r.decr("k") == -1
    assert r.decr("k") == -2


def test_incrby_and_decrby(r):
    assert r.incrby("k", 10) == 10
    assert r.incrby("k", -15) == -5
    assert r.decrby("k", 5) == -10
    assert r.decrby("k", -100) == 90


def test_incr_keeps_ttl(r):
    r.set("k", 1, ex=100)
    r.incr("k")
    r.incrby("k", 5)
    r.decr("k")
    assert 99 <= r.ttl("k") <= 100
    assert r.get("k") == b"6"


def test_incr_after_append_value(r):
    r.append("k", "1")
    r.append("k", "0")
    assert r.incr("k") == 11


def test_incr_non_canonical_values(r):
    for value in ("abc", "", " 1", "1 ", "+1", "01", "-0", "1.0", "1e3", "0x10", "1_0", "9223372036854775808",
                  "\x001"):
        r.set("k", value)
        assert _error(r, "INCR", "k") == NOT_INT, value
        assert r.get("k") == value.encode()


def test_incr_limits(r):
    r.set("k", 9223372036854775806)
    assert r.incr("k") == 9223372036854775807
    assert _error(r, "INCR", "k") == OVERFLOW
    r.set("k", -9223372036854775807)
    assert r.decr("k") == -9223372036854775808
    assert _error(r, "DECR", "k") == OVERFLOW
    assert _error(r, "INCRBY", "k", -1) == OVERFLOW
    assert r.get("k") == b"-9223372036854775808"


def test_incrby_bad_increment(r, listkey):
    assert _error(r, "INCRBY", "k", "x") == NOT_INT
    assert _error(r, "INCRBY", "k", "1.5") == NOT_INT
    assert _error(r, "INCRBY", "k", "9223372036854775808") == NOT_INT
    assert _error(r, "INCRBY", listkey, "x") == NOT_INT        # the increment is parsed first
    assert r.exists("k") == 0


def test_decrby_llong_min(r):
    assert _error(r, "DECRBY", "k", "-9223372036854775808") == "decrement would overflow"
    r.set("k", 10)
    assert r.decrby("k", 9223372036854775807) == -9223372036854775797


def test_incr_wrong_type(r, listkey):
    for args in (("INCR", listkey), ("DECR", listkey), ("INCRBY", listkey, 1), ("DECRBY", listkey, 1)):
        assert _error(r, *args) == WRONGTYPE


# --------------------------------------------------------------------------------------------- INCRBYFLOAT


@pytest.mark.parametrize("start,increment,expected", [
    (None, "10.5", b"10.5"), ("10.5", "0.1", b"10.6"), ("10.6", "3.0e3", b"3010.60000000000000009"),
    ("5.0e3", "2.0e2", b"5200"), ("3", "-3", b"0"), ("0", "-1e-20", b"0"), ("1", "0x1p3", b"9"),
    ("0", "0.000003814697265625", b"0.00000381469726562"), ("1.5", "+.5", b"2"), ("10", "1.", b"11"),
    (None, "-7.25", b"-7.25"), ("9223372036854775807", "1", b"9223372036854775808"),
])
def test_incrbyfloat_values(r, start, increment, expected):
    if start is not None:
        r.set("k", start)
    assert _raw(r, "INCRBYFLOAT", "k", increment) == expected
    assert r.get("k") == expected


def test_incrbyfloat_long_double_range(r):
    # x87 long double reaches 1.19e4932; 1e400 is printed exactly, as %.17Lf does.
    value = _raw(r, "INCRBYFLOAT", "k", "1e400")
    assert len(value) == 401
    assert value.startswith(b"10000000000000000000281880683947586514586")
    assert _raw(r, "INCRBYFLOAT", "k", "-1e400") == b"0"


def test_incrbyfloat_keeps_ttl(r):
    r.set("k", "1.5", ex=100)
    r.incrbyfloat("k", "1")
    assert 99 <= r.ttl("k") <= 100


def test_incrbyfloat_not_a_float(r):
    for increment in ("abc", "", " 1", "1 ", "1e", "nan", "1.5.5", "0x", "1\x00", "1_0", "1e-5000", "1e5000"):
        assert _error(r, "INCRBYFLOAT", "k", increment) == NOT_FLOAT, increment
    for value in ("abc", "1,5", "nan", " 2"):
        r.set("k", value)
        assert _error(r, "INCRBYFLOAT", "k", "1") == NOT_FLOAT, value
    assert r.get("k") == b" 2"


def test_incrbyfloat_nan_or_infinity(r):
    assert _error(r, "INCRBYFLOAT", "k", "inf") == NAN_OR_INF
    assert _error(r, "INCRBYFLOAT", "k", "-Infinity") == NAN_OR_INF
    r.set("k", "1.1e4932")
    assert _error(r, "INCRBYFLOAT", "k", "1e4932") == NAN_OR_INF
    r.set("k", "inf")
    assert _error(r, "INCRBYFLOAT", "k", "-inf") == NAN_OR_INF
    assert _error(r, "INCRBYFLOAT", "k", "junk") == NOT_FLOAT
    assert r.exists("nokey") == 0


def test_incrbyfloat_wrong_type(r, listkey):
    assert _error(r, "INCRBYFLOAT", listkey, "1") == WRONGTYPE
    assert _error(r, "INCRBYFLOAT", listkey, "junk") == WRONGTYPE


def test_incrbyfloat_then_incr(r):
    r.incrbyfloat("k", "2.0")
    assert r.get("k") == b"2"
    assert r.incr("k") == 3
    r.incrbyfloat("k", "0.5")
    assert _error(r, "INCR", "k") == NOT_INT


# ------------------------------------------------------------------------------------------------------ LCS


def test_lcs_string_len_and_idx(r):
    r.mset({"key1": "ohmytext", "key2": "mynewtext"})
    assert r.execute_command("LCS", "key1", "key2") == b"mytext"
    assert r.execute_command("LCS", "key1", "key2", "LEN") == 6
    assert r.execute_command("LCS", "key1", "key2", "IDX") == [
        b"matches", [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], b"len", 6]
    assert r.execute_command("LCS", "key1", "key2", "IDX", "MINMATCHLEN", 4, "WITHMATCHLEN") == [
        b"matches", [[[4, 7], [5, 8], 4]], b"len", 6]
    assert r.execute_command("LCS", "key1", "key2", "IDX", "WITHMATCHLEN") == [
        b"matches", [[[4, 7], [5, 8], 4], [[2, 3], [0, 1], 2]], b"len", 6]


def test_lcs_missing_keys_are_empty(r):
    r.set("a", "abc")
    assert r.execute_command("LCS", "a", "nokey") == b""
    assert r.execute_command("LCS", "nokey", "a", "LEN") == 0
    assert r.execute_command("LCS", "x", "y", "IDX") == [b"matches", [], b"len", 0]


def test_lcs_identical_and_disjoint(r):
    r.mset({"a": "abcdef", "b": "abcdef", "c": "xyz"})
    assert r.execute_command("LCS", "a", "b") == b"abcdef"
    assert r.execute_command("LCS", "a", "b", "IDX", "WITHMATCHLEN") == [
        b"matches", [[[0, 5], [0, 5], 6]], b"len", 6]
    assert r.execute_command("LCS", "a", "c") == b""


def test_lcs_negative_minmatchlen_is_zero(r):
    r.mset({"a": "ohmytext", "b": "mynewtext"})
    assert r.execute_command("LCS", "a", "b", "IDX", "MINMATCHLEN", -5) == \
        r.execute_command("LCS", "a", "b", "IDX")


def test_lcs_binary_values(r):
    r.mset({"a": b"\x00\xff\x00\x01", "b": b"\xff\x01\x00"})
    assert r.execute_command("LCS", "a", "b") == b"\xff\x01"


def test_lcs_errors(r, listkey):
    r.mset({"a": "abc", "b": "abd"})
    assert _error(r, "LCS", "a", "b", "IDX", "LEN") == \
        "If you want both the length and indexes, please just use IDX."
    assert SYNTAX in _error(r, "LCS", "a", "b", "MINMATCHLEN")
    assert SYNTAX in _error(r, "LCS", "a", "b", "BOGUS")
    assert _error(r, "LCS", "a", "b", "MINMATCHLEN", "x") == NOT_INT
    assert _error(r, "LCS", listkey, "a") == "The specified keys must contain string values"
    assert _error(r, "LCS", "a", listkey, "BOGUS") == "The specified keys must contain string values"
    assert "wrong number of arguments for 'lcs' command" in _error(r, "LCS", "a")


def test_lcs_table_limited_by_proto_max_bulk_len(small_bulk):
    small_bulk.mset({"a": "x" * 511, "b": "y" * 511, "c": "y" * 512})
    assert small_bulk.execute_command("LCS", "a", "b", "LEN") == 0
    with pytest.raises(redis.ResponseError, match="transient memory for LCS exceeds proto-max-bulk-len"):
        small_bulk.execute_command("LCS", "a", "c", "LEN")


def test_lcs_long_strings_are_fast(r):
    a = ("abcdefghij" * 500)[:4000]
    b = ("bcadefhgij" * 500)[:4000]
    r.mset({"a": a, "b": b})
    started = time.monotonic()
    length = r.execute_command("LCS", "a", "b", "LEN")
    text = r.execute_command("LCS", "a", "b")
    assert len(text) == length
    assert time.monotonic() - started < 5


def test_lcs_after_append_and_setrange(r):
    r.append("a", "hello")
    r.append("a", " world")
    r.setrange("b", 0, "yellow")
    assert r.execute_command("LCS", "a", "b") == b"ellow"
