"""Bitmap commands against our server through redis-py: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD
BITFIELD_RO (happy paths, every option, every error, edge cases, large strings)."""
from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX = "syntax error"
NOT_INT = "value is not an integer or out of range"
BIT_OFFSET = "bit offset is not an integer or out of range"
BIT_VALUE = "bit is not an integer or out of range"
BIT_ARG = "The bit argument must be 1 or 0."
BITOP_NOT = "BITOP NOT must be called with a single source key."
BF_TYPE = "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
BF_OVERFLOW = "Invalid OVERFLOW type specified"
BF_RO = "BITFIELD_RO only supports the GET subcommand"


def _error(r: redis.Redis, *args: Any) -> str:
    with pytest.raises(redis.ResponseError) as info:
        r.execute_command(*args)
    return str(info.value)


def _raw(r: redis.Redis, *args: Any) -> Any:
    """The reply as sent (no redis-py callbacks)."""
    conn = r.connection_pool.get_connection()
    try:
        conn.send_command(*args)
        return conn.read_response()
    finally:
        r.connection_pool.release(conn)


def _wrongtype(r: redis.Redis, key: str = "wt") -> str:
    try:
        r.execute_command("RPUSH", key, "x")
    except redis.ResponseError:
        pytest.skip("no collection type is implemented yet")
    return key


@pytest.fixture
def small_bulk(r: redis.Redis) -> Iterator[redis.Redis]:
    """proto-max-bulk-len lowered to its 1mb minimum for the test."""
    old = str(r.config_get("proto-max-bulk-len")["proto-max-bulk-len"])
    r.config_set("proto-max-bulk-len", "1mb")
    try:
        yield r
    finally:
        r.config_set("proto-max-bulk-len", old)


# ---------------------------------------------------------------------------------------------- SETBIT

def test_setbit_creates_key_and_returns_old_bit(r: redis.Redis) -> None:
    assert _raw(r, "SETBIT", "k", 7, 1) == 0
    assert r.get("k") == b"\x01"
    assert _raw(r, "SETBIT", "k", 7, 1) == 1
    assert _raw(r, "SETBIT", "k", 7, 0) == 1
    assert r.get("k") == b"\x00"


def test_setbit_grows_with_zero_bytes(r: redis.Redis) -> None:
    r.set("k", "a")
    assert _raw(r, "SETBIT", "k", 31, 1) == 0
    assert r.get("k") == b"a\x00\x00\x01"


def test_setbit_makes_value_raw_and_keeps_ttl(r: redis.Redis) -> None:
    r.set("k", "12", ex=100)
    assert _raw(r, "SETBIT", "k", 0, 0) == 0
    assert r.object("encoding", "k") == b"raw"
    assert r.get("k") == b"12"
    assert 0 < r.ttl("k") <= 100


def test_setbit_bad_offset(r: redis.Redis) -> None:
    for offset in (-1, "x", "1.0", " 1", "#1", 4294967296, 2 ** 63):
        assert _error(r, "SETBIT", "k", offset, 1) == BIT_OFFSET
    assert not r.exists("k")


def test_setbit_bad_value(r: redis.Redis) -> None:
    for value in (2, -1, "a", "1.0", ""):
        assert _error(r, "SETBIT", "k", 1, value) == BIT_VALUE


def test_setbit_offset_checked_before_type(r: redis.Redis) -> None:
    wt = _wrongtype(r)
    assert _error(r, "SETBIT", wt, -1, 1) == BIT_OFFSET
    assert _error(r, "SETBIT", wt, 1, 3) == BIT_VALUE
    assert _error(r, "SETBIT", wt, 1, 1) == WRONGTYPE


def test_setbit_respects_proto_max_bulk_len(small_bulk: redis.Redis) -> None:
    r = small_bulk
    assert _error(r, "SETBIT", "k", 8 * 1024 * 1024, 1) == BIT_OFFSET
    assert _raw(r, "SETBIT", "k", 8 * 1024 * 1024 - 1, 1) == 0
    assert r.strlen("k") == 1024 * 1024


def test_setbit_arity(r: redis.Redis) -> None:
    assert _error(r, "SETBIT", "k", 1) == "wrong number of arguments for 'setbit' command"


# ---------------------------------------------------------------------------------------------- GETBIT

def test_getbit_reads_bits(r: redis.Redis) -> None:
    r.set("k", b"\x80\x01")
    assert [_raw(r, "GETBIT", "k", i) for i in (0, 1, 15, 16, 10 ** 9)] == [1, 0, 1, 0, 0]
    assert _raw(r, "GETBIT", "nokey", 5) == 0


def test_getbit_errors(r: redis.Redis) -> None:
    wt = _wrongtype(r)
    assert _error(r, "GETBIT", "k", -1) == BIT_OFFSET
    assert _error(r, "GETBIT", "k", 4294967296) == BIT_OFFSET
    assert _error(r, "GETBIT", wt, 0) == WRONGTYPE
    assert _error(r, "GETBIT", "k") == "wrong number of arguments for 'getbit' command"


# -------------------------------------------------------------------------------------------- BITCOUNT

def test_bitcount_whole_and_byte_ranges(r: redis.Redis) -> None:
    r.set("k", "foobar")
    assert r.bitcount("k") == 26
    assert r.bitcount("k", 0, 0) == 4
    assert r.bitcount("k", 1, 1) == 6
    assert _raw(r, "BITCOUNT", "k", 1, 1, "BYTE") == 6
    assert r.bitcount("k", -2, -1) == 7
    assert r.bitcount("k", -1, -2) == 0
    assert r.bitcount("k", 3, 1) == 0
    assert r.bitcount("k", -100, 100) == 26


def test_bitcount_bit_ranges(r: redis.Redis) -> None:
    r.set("k", "foobar")
    assert _raw(r, "BITCOUNT", "k", 5, 30, "BIT") == 17
    assert _raw(r, "BITCOUNT", "k", 0, -1, "bit") == 26
    assert _raw(r, "BITCOUNT", "k", 1, 6, "BIT") == 4
    assert _raw(r, "BITCOUNT", "k", 7, 8, "BIT") == 0


def test_bitcount_missing_key_skips_argument_checks(r: redis.Redis) -> None:
    assert r.bitcount("nokey") == 0
    assert _raw(r, "BITCOUNT", "nokey", "a", "b") == 0
    r.set("e", "")
    assert r.bitcount("e") == 0
    assert _raw(r, "BITCOUNT", "e", 0, -1, "BIT") == 0


def test_bitcount_errors(r: redis.Redis) -> None:
    r.set("k", "x")
    wt = _wrongtype(r)
    assert _error(r, "BITCOUNT", "k", 1) == SYNTAX
    assert _error(r, "BITCOUNT", "k", "a", 1) == NOT_INT
    assert _error(r, "BITCOUNT", "k", 0, 1, "BITS") == SYNTAX
    assert _error(r, "BITCOUNT", "k", 0, 1, "BIT", "x") == SYNTAX
    assert _error(r, "BITCOUNT", wt) == WRONGTYPE
    assert _error(r, "BITCOUNT") == "wrong number of arguments for 'bitcount' command"


def test_bitcount_large_string_is_fast(r: redis.Redis) -> None:
    r.setrange("big", 0, b"\xff" * (32 * 1024 * 1024))
    t0 = time.perf_counter()
    assert r.bitcount("big") == 256 * 1024 * 1024
    assert _raw(r, "BITCOUNT", "big", 3, -4, "BIT") == 256 * 1024 * 1024 - 6
    assert r.bitpos("big", 0) == 256 * 1024 * 1024
    assert elapsed_ok(t0)


def elapsed_ok(t0: float) -> bool:
    return time.perf_counter() - t0 < 5.0


# ---------------------------------------------------------------------------------------------- BITPOS

def test_bitpos_finds_bits(r: redis.Redis) -> None:
    r.set("k", b"\xff\xf0\x00")
    assert r.bitpos("k", 0) == 12
    assert r.bitpos("k", 1) == 0
    assert r.bitpos("k", 1, 2) == -1
    assert r.bitpos("k", 0, 2) == 16
    assert _raw(r, "BITPOS", "k", 0, 7, 15, "BIT") == 12
    assert _raw(r, "BITPOS", "k", 1, 7, 15, "BIT") == 7
    assert _raw(r, "BITPOS", "k", 1, -10, -1, "BIT") == -1
    assert _raw(r, "BITPOS", "k", 0, 0, 0, "BYTE") == -1


def test_bitpos_clear_bit_padding(r: redis.Redis) -> None:
    r.set("ones", b"\xff\xff")
    assert r.bitpos("ones", 0) == 16          # past the end: the string is zero padded
    assert r.bitpos("ones", 0, 0) == 16
    assert r.bitpos("ones", 0, 0, -1) == -1   # an explicit end: no padding
    r.set("e", "")
    assert r.bitpos("e", 0) == -1             # an empty string has no bits at all
    assert r.bitpos("e", 1) == -1


def test_bitpos_missing_key(r: redis.Redis) -> None:
    assert r.bitpos("nokey", 0) == 0
    assert r.bitpos("nokey", 1) == -1
    assert _raw(r, "BITPOS", "nokey", 1, "x") == -1


def test_bitpos_errors(r: redis.Redis) -> None:
    r.set("k", "x")
    wt = _wrongtype(r)
    assert _error(r, "BITPOS", "k", 2) == BIT_ARG
    assert _error(r, "BITPOS", "k", "a") == NOT_INT
    assert _error(r, "BITPOS", "nokey", 2) == BIT_ARG
    assert _error(r, "BITPOS", "k", 1, "x") == NOT_INT
    assert _error(r, "BITPOS", "k", 1, 0, "x") == NOT_INT
    assert _error(r, "BITPOS", "k", 1, 0, 1, "BOO") == SYNTAX
    assert _error(r, "BITPOS", "k", 1, 0, 1, "BIT", "x") == SYNTAX
    assert _error(r, "BITPOS", wt, 1) == WRONGTYPE
    assert _error(r, "BITPOS", "k") == "wrong number of arguments for 'bitpos' command"


# ----------------------------------------------------------------------------------------------- BITOP

def test_bitop_and_or_xor(r: redis.Redis) -> None:
    r.set("a", b"\x0f\xf0\xaa")
    r.set("b", b"\xff\x00")
    assert r.bitop("AND", "d", "a", "b") == 3
    assert r.get("d") == b"\x0f\x00\x00"
    assert r.bitop("OR", "d", "a", "b") == 3
    assert r.get("d") == b"\xff\xf0\xaa"
    assert r.bitop("XOR", "d", "a", "b") == 3
    assert r.get("d") == b"\xf0\xf0\xaa"
    assert r.bitop("and", "d", "a", "nokey") == 3
    assert r.get("d") == b"\x00\x00\x00"
    assert r.object("encoding", "d") == b"raw"


def test_bitop_not(r: redis.Redis) -> None:
    r.set("a", b"\x0f\xf0")
    assert r.bitop("NOT", "d", "a") == 2
    assert r.get("d") == b"\xf0\x0f"


def test_bitop_empty_result_deletes_destination(r: redis.Redis) -> None:
    r.set("d", "x")
    assert r.bitop("OR", "d", "nokey", "other") == 0
    assert not r.exists("d")


def test_bitop_overwrites_destination_and_its_ttl(r: redis.Redis) -> None:
    wt = _wrongtype(r)
    r.set("a", "x")
    r.set("d", "old", ex=100)
    assert r.bitop("AND", "d", "a") == 1
    assert r.ttl("d") == -1
    assert r.bitop("AND", wt, "a") == 1
    assert r.type(wt) == b"string"


def test_bitop_errors(r: redis.Redis) -> None:
    wt = _wrongtype(r)
    r.set("a", "x")
    assert _error(r, "BITOP", "NAND", "d", "a") == SYNTAX
    assert _error(r, "BITOP", "NOT", "d", "a", "b") == BITOP_NOT
    assert _error(r, "BITOP", "AND", "d", "a", wt) == WRONGTYPE
    assert not r.exists("d")
    assert _error(r, "BITOP", "AND", "d") == "wrong number of arguments for 'bitop' command"


def test_bitop_large_strings(r: redis.Redis) -> None:
    r.setrange("a", 0, b"\x0f" * (4 * 1024 * 1024))
    r.setrange("b", 0, b"\xf0" * (2 * 1024 * 1024))
    assert r.bitop("OR", "d", "a", "b") == 4 * 1024 * 1024
    assert r.bitcount("d") == 2 * 1024 * 1024 * 8 + 2 * 1024 * 1024 * 4


# -------------------------------------------------------------------------------------------- BITFIELD

def test_bitfield_get_set_incrby(r: redis.Redis) -> None:
    assert _raw(r, "BITFIELD", "k", "SET", "u8", 0, 200, "GET", "u8", 0, "INCRBY", "u8", 0, 10) == [0, 200, 210]
    assert r.get("k") == bytes([210])
    assert _raw(r, "BITFIELD", "k", "GET", "i8", 0, "GET", "u4", 0, "GET", "u4", 4) == [-46, 13, 2]


def test_bitfield_hash_offsets(r: redis.Redis) -> None:
    assert _raw(r, "BITFIELD", "k", "SET", "u8", "#1", 65, "SET", "u8", "#0", 66) == [0, 0]
    assert r.get("k") == b"BA"
    assert _raw(r, "BITFIELD", "k", "GET", "i16", "#0") == [0x4241]


def test_bitfield_unaligned_fields(r: redis.Redis) -> None:
    assert _raw(r, "BITFIELD", "k", "SET", "u5", 3, 31, "SET", "i64", 9, -1) == [0, 0]
    assert _raw(r, "BITFIELD", "k", "GET", "u5", 3, "GET", "i64", 9, "GET", "u63", 9, "GET", "u1", 8) == [
        31, -1, (1 << 63) - 1, 0]
    assert r.strlen("k") == 10


def test_bitfield_overflow_wrap_sat_fail(r: redis.Redis) -> None:
    assert _raw(r, "BITFIELD", "k", "SET", "u8", 0, 250, "INCRBY", "u8", 0, 10) == [0, 4]
    assert _raw(r, "BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "u8", 0, 300, "INCRBY", "u8", 0, -300) == [255, 0]
    assert _raw(r, "BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", 0, 256, "GET", "u8", 0) == [None, 0]
    assert _raw(r, "BITFIELD", "k", "OVERFLOW", "WRAP", "SET", "i8", 0, 128, "GET", "i8", 0) == [0, -128]
    assert _raw(r, "BITFIELD", "k", "OVERFLOW", "SAT", "SET", "i8", 0, 1000, "INCRBY", "i8", 0, -1000) == [-128, -128]
    assert _raw(r, "BITFIELD", "k", "OVERFLOW", "SAT", "SET", "u8", 0, -1) == [128]
    assert _raw(r, "BITFIELD", "k", "GET", "u8", 0) == [255]
    assert _raw(r, "BITFIELD", "k", "SET", "i64", 0, 0, "overflow", "sat", "INCRBY", "i64", 0, (1 << 63) - 1,
                "INCRBY", "i64", 0, (1 << 63) - 1) == [-(1 << 56), (1 << 63) - 1, (1 << 63) - 1]


def test_bitfield_fail_overflow_still_creates_key(r: redis.Redis) -> None:
    assert _raw(r, "BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u2", 0, 10) == [None]
    assert r.get("k") == b"\x00"


def test_bitfield_gets_on_missing_key_and_empty_call(r: redis.Redis) -> None:
    assert _raw(r, "BITFIELD", "nokey", "GET", "u8", 0, "GET", "i64", 100) == [0, 0]
    assert not r.exists("nokey")
    assert _raw(r, "BITFIELD", "nokey") == []
    assert _raw(r, "BITFIELD", "nokey", "OVERFLOW", "SAT") == []


def test_bitfield_errors(r: redis.Redis) -> None:
    wt = _wrongtype(r)
    for enc in ("u64", "i65", "u0", "x8", "U8", "u", "i-1"):
        assert _error(r, "BITFIELD", "k", "GET", enc, 0) == BF_TYPE
    for offset in (-1, "#-1", "x", 4294967296, "#536870912"):
        assert _error(r, "BITFIELD", "k", "GET", "u8", offset) == BIT_OFFSET
    assert _error(r, "BITFIELD", "k", "GET", "u8") == SYNTAX
    assert _error(r, "BITFIELD", "k", "SET", "u8", 0) == SYNTAX
    assert _error(r, "BITFIELD", "k", "FOO") == SYNTAX
    assert _error(r, "BITFIELD", "k", "OVERFLOW") == SYNTAX
    assert _error(r, "BITFIELD", "k", "OVERFLOW", "BAD") == BF_OVERFLOW
    assert _error(r, "BITFIELD", "k", "SET", "u8", 0, "x") == NOT_INT
    assert _error(r, "BITFIELD", "k", "GET", "u8", 0, "SET", "u8", 0, "x") == NOT_INT
    assert not r.exists("k")
    assert _error(r, "BITFIELD", wt, "GET", "u8", 0) == WRONGTYPE
    assert _error(r, "BITFIELD", wt, "SET", "u8", 0, 1) == WRONGTYPE
    assert _error(r, "BITFIELD", wt, "GET", "u99", 0) == BF_TYPE
    assert _error(r, "BITFIELD") == "wrong number of arguments for 'bitfield' command"


def test_bitfield_respects_proto_max_bulk_len(small_bulk: redis.Redis) -> None:
    r = small_bulk
    assert _error(r, "BITFIELD", "k", "SET", "u8", 8 * 1024 * 1024, 1) == BIT_OFFSET
    assert _error(r, "BITFIELD", "k", "GET", "u8", "#1048576") == BIT_OFFSET
    assert _raw(r, "BITFIELD", "k", "SET", "u8", "#1048575", 1) == [0]


def test_bitfield_ro(r: redis.Redis) -> None:
    wt = _wrongtype(r)
    r.set("k", "A")
    assert _raw(r, "BITFIELD_RO", "k", "GET", "u8", 0, "GET", "u4", 4) == [65, 1]
    assert _raw(r, "BITFIELD_RO", "k") == []
    assert _raw(r, "BITFIELD_RO", "nokey", "GET", "u8", 0) == [0]
    assert _error(r, "BITFIELD_RO", "k", "SET", "u8", 0, 1) == BF_RO
    assert _error(r, "BITFIELD_RO", "k", "INCRBY", "u8", 0, 1) == BF_RO
    assert _error(r, "BITFIELD_RO", wt, "SET", "u8", 0, 1) == BF_RO
    assert _error(r, "BITFIELD_RO", wt, "GET", "u8", 0) == WRONGTYPE
    assert r.get("k") == b"A"


def test_bitfield_getkeys_flags(r: redis.Redis) -> None:
    def flags(*argv: Any) -> list[bytes]:
        reply = _raw(r, "COMMAND", "GETKEYSANDFLAGS", *argv)
        assert reply[0][0] == b"k"
        return sorted(reply[0][1])

    assert flags("BITFIELD", "k", "GET", "u8", 0) == [b"RO", b"access"]
    assert flags("BITFIELD", "k", "OVERFLOW", "SAT", "get", "u8", 0) == [b"RO", b"access"]
    assert flags("BITFIELD", "k", "GET", "u8", 0, "SET", "u8", 0, 1) == [b"RW", b"access", b"update"]
    assert flags("BITFIELD", "k", "GET", "u8") == [b"RW", b"access", b"update"]
    assert flags("BITFIELD_RO", "k", "GET", "u8", 0) == [b"RO", b"access"]
