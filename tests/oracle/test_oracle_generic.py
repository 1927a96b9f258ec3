"""Generic keyspace and expiry commands: identical replies from pyredcache and redis-server 7.0.15 for every
command, option and error (TTLs within a tolerance, unordered replies as multisets)."""
from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from helpers.oracle import Oracle, split_array
from helpers.rawclient import RawClient
from helpers.wait import wait_until

pytestmark = pytest.mark.oracle

INT_RANGE = "99999999999"


def _scan_keys(reply: bytes) -> list[bytes]:
    cursor, keys = split_array(reply)
    return sorted(split_array(keys))


def _full_scan(o: Oracle, *options: str) -> None:
    """Run SCAN to completion on both servers with COUNT large enough for one call, compare the key sets."""
    ours, theirs = o.both("SCAN", "0", *options, "COUNT", "100000")
    assert split_array(ours)[0] == split_array(theirs)[0] == b"$1\r\n0\r\n"
    assert _scan_keys(ours) == _scan_keys(theirs), (ours, theirs)


# ------------------------------------------------------------------------------------------------ DEL UNLINK EXISTS


def test_del_oracle(oracle):
    oracle.do("MSET", "a", "1", "b", "2", "c", "3")
    oracle.do("DEL", "a", "b", "nokey", "a")
    oracle.do("DEL", "nokey")
    oracle.do("EXISTS", "a", "b", "c")
    oracle.do("APPEND", "m", "x")
    oracle.do("DEL", "m", "c")
    oracle.error("DEL")


def test_unlink_oracle(oracle):
    oracle.do("MSET", "a", "1", "b", "2")
    oracle.do("UNLINK", "a", "b", "c")
    oracle.do("UNLINK", "a")
    oracle.do("DBSIZE")
    oracle.error("UNLINK")


def test_del_expired_key_oracle(oracle):
    oracle.do("SET", "k", "v", "PX", "1")
    for client in (oracle.ours, oracle.redis):
        wait_until(lambda c=client: c.command("KEYS", "*") == b"*0\r\n", timeout=5, message="k to expire")
    oracle.do("DEL", "k")


def test_exists_oracle(oracle):
    oracle.do("SET", "a", "1")
    oracle.do("EXISTS", "a")
    oracle.do("EXISTS", "a", "a", "nokey")
    oracle.do("EXISTS", "nokey")
    oracle.error("EXISTS")


# ------------------------------------------------------------------------------------------------ TYPE OBJECT TOUCH


def test_type_oracle(oracle):
    oracle.do("SET", "s", "v")
    oracle.do("APPEND", "b", "v")
    oracle.do("TYPE", "s")
    oracle.do("TYPE", "b")
    oracle.do("TYPE", "nokey")
    oracle.error("TYPE")
    oracle.error("TYPE", "a", "b")


@pytest.mark.parametrize("value", [
    "0", "1", "9999", "10000", "-1", "12345", "9223372036854775807", "-9223372036854775808",
    "9223372036854775808", "-9223372036854775809", "012", "-0", "+1", " 1", "1 ", "1.5", "1e5", "",
    "x" * 44, "x" * 45, "1" * 20, "1" * 21, "0x10",
])
def test_object_encoding_and_refcount_oracle(oracle, value):
    oracle.do("SET", "k", value)
    oracle.do("OBJECT", "ENCODING", "k")
    oracle.do("OBJECT", "REFCOUNT", "k")


def test_object_encoding_after_append_and_setrange_oracle(oracle):
    oracle.do("APPEND", "a", "123")
    oracle.do("OBJECT", "ENCODING", "a")
    oracle.do("SET", "b", "hello")
    oracle.do("SETRANGE", "b", "0", "J")
    oracle.do("OBJECT", "ENCODING", "b")
    oracle.do("OBJECT", "REFCOUNT", "b")


def test_object_missing_key_oracle(oracle):
    for sub in ("ENCODING", "REFCOUNT", "IDLETIME", "FREQ"):
        oracle.do("OBJECT", sub, "nokey")


def test_object_idletime_oracle(oracle):
    oracle.do("SET", "k", "hello")
    oracle.approx("OBJECT", "IDLETIME", "k", delta=1)
    oracle.do("TOUCH", "k")
    oracle.approx("OBJECT", "IDLETIME", "k", delta=1)


def test_object_freq_without_lfu_oracle(oracle):
    oracle.do("SET", "k", "v")
    oracle.error("OBJECT", "FREQ", "k")


def test_object_help_and_errors_oracle(oracle):
    oracle.do("OBJECT", "HELP")
    oracle.do("object", "help")
    oracle.error("OBJECT")
    oracle.error("OBJECT", "FOO")
    oracle.error("OBJECT", "FOO", "k")
    oracle.error("OBJECT", "HELP", "x")
    oracle.error("OBJECT", "ENCODING")
    oracle.error("OBJECT", "ENCODING", "a", "b")
    oracle.error("OBJECT", "REFCOUNT")
    oracle.error("OBJECT", "IDLETIME", "a", "b")
    oracle.error("OBJECT", "FREQ")


def test_object_under_lfu_policy_oracle(server_factory):
    ours = server_factory(maxmemory_policy="allkeys-lfu")
    theirs = server_factory("redis", maxmemory_policy="allkeys-lfu")
    o = Oracle(ours.port, theirs.port)
    try:
        o.do("SET", "k", "v")
        o.error("OBJECT", "IDLETIME", "k")
        o.do("OBJECT", "IDLETIME", "nokey")
        o.do("OBJECT", "FREQ", "nokey")
        o.same_type("OBJECT", "FREQ", "k")
    finally:
        o.close()


def test_object_refcount_with_lru_maxmemory_oracle(server_factory):
    ours = server_factory(maxmemory="100mb", maxmemory_policy="allkeys-lru")
    theirs = server_factory("redis", maxmemory="100mb", maxmemory_policy="allkeys-lru")
    o = Oracle(ours.port, theirs.port)
    try:
        o.do("SET", "k", "100")
        o.do("OBJECT", "REFCOUNT", "k")
        o.do("OBJECT", "ENCODING", "k")
    finally:
        o.close()


def test_touch_oracle(oracle):
    oracle.do("MSET", "a", "1", "b", "2")
    oracle.do("TOUCH", "a", "b", "nokey", "a")
    oracle.do("TOUCH", "nokey")
    oracle.error("TOUCH")


# ------------------------------------------------------------------------------------------------ KEYS SCAN RANDOMKEY


def test_keys_oracle(oracle):
    oracle.do("KEYS", "*")
    oracle.do("MSET", "hello", "1", "hallo", "2", "hxllo", "3", "heeeello", "4", "a*b", "5", "world", "6")
    for pattern in ("*", "h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[a-f]llo", "a\\*b", "nomatch", "*o*",
                    "[", "h[", "\\", "*\x00x", "HELLO"):
        oracle.sorted("KEYS", pattern)
    oracle.error("KEYS")
    oracle.error("KEYS", "a", "b")


def test_keys_binary_oracle(oracle):
    oracle.do("SET", b"k\x00\xff", "v")
    oracle.do("KEYS", "k*")
    oracle.do("KEYS", b"k\x00*")


def test_scan_oracle(oracle):
    oracle.do("SCAN", "0")
    oracle.do("MSET", *[x for i in range(30) for x in (f"user:{i}", "v")])
    oracle.do("MSET", *[x for i in range(30) for x in (f"item:{i}", "v")])
    oracle.do("APPEND", "raw:1", "x")
    _full_scan(oracle)
    _full_scan(oracle, "MATCH", "user:*")
    _full_scan(oracle, "MATCH", "*")
    _full_scan(oracle, "MATCH", "nomatch*")
    _full_scan(oracle, "TYPE", "string")
    _full_scan(oracle, "TYPE", "String")
    _full_scan(oracle, "TYPE", "list")
    _full_scan(oracle, "TYPE", "nosuchtype")
    _full_scan(oracle, "TYPE", b"string\x00junk")
    _full_scan(oracle, "MATCH", "item:*", "TYPE", "string")
    _full_scan(oracle, "MATCH", "user:*", "MATCH", "item:*")


def test_scan_cursor_forms_oracle(oracle):
    oracle.do("SET", "a", "1")
    # strtoul forms of cursor 0: the whole (one-key) table in one call.
    for cursor in ("", "00", "-0", "+0", b"\x00", b"0\x00junk"):
        oracle.do("SCAN", cursor)
    # Other accepted forms start mid-table: which keys come back depends on hashing, the cursor does not.
    for cursor in ("-1", "+1", "18446744073709551615", "-18446744073709551615", b"1\x00junk"):
        ours, theirs = oracle.both("SCAN", cursor)
        assert split_array(ours)[0] == split_array(theirs)[0], (cursor, ours, theirs)


def test_scan_errors_oracle(oracle):
    for cursor in ("x", " 5", "\t5", "5 ", "0x10", "1.5", "-", "+", "18446744073709551616",
                   "-18446744073709551616", "99999999999999999999999"):
        oracle.error("SCAN", cursor)
    oracle.error("SCAN", "x", "COUNT", "0")
    oracle.error("SCAN")
    oracle.error("SCAN", "0", "COUNT", "0")
    oracle.error("SCAN", "0", "COUNT", "-1")
    oracle.error("SCAN", "0", "COUNT", "x")
    oracle.error("SCAN", "0", "COUNT", "99999999999999999999")
    oracle.error("SCAN", "0", "COUNT")
    oracle.error("SCAN", "0", "MATCH")
    oracle.error("SCAN", "0", "TYPE")
    oracle.error("SCAN", "0", "FOO", "bar")
    oracle.error("SCAN", "0", "MATCH", "*", "COUNT")


def test_scan_expired_keys_oracle(oracle):
    oracle.do("SET", "live", "v")
    oracle.do("SET", "dead", "v", "PX", "1")
    for client in (oracle.ours, oracle.redis):
        wait_until(lambda c=client: c.command("KEYS", "*") == b"*1\r\n$4\r\nlive\r\n", timeout=5,
                   message="dead to expire")
    _full_scan(oracle)


def test_randomkey_oracle(oracle):
    oracle.do("RANDOMKEY")
    oracle.do("SET", "only", "v")
    oracle.do("RANDOMKEY")
    oracle.do("SET", "other", "v")
    oracle.same_type("RANDOMKEY")
    oracle.error("RANDOMKEY", "x")


# ------------------------------------------------------------------------------------------------ RENAME COPY MOVE


def test_rename_oracle(oracle):
    oracle.error("RENAME", "nokey", "b")
    oracle.error("RENAME", "nokey", "nokey")
    oracle.do("SET", "a", "1")
    oracle.do("RENAME", "a", "a")
    oracle.do("RENAME", "a", "b")
    oracle.do("EXISTS", "a")
    oracle.do("GET", "b")
    oracle.do("SET", "c", "3", "EX", "100")
    oracle.do("RENAME", "b", "c")
    oracle.do("TTL", "c")
    oracle.do("SET", "d", "4", "EX", "100")
    oracle.do("RENAME", "d", "e")
    oracle.approx("TTL", "e")
    oracle.do("SET", "f", "6", "EX", "50")
    oracle.do("RENAME", "e", "f")
    oracle.approx("TTL", "f")
    oracle.error("RENAME", "a")
    oracle.error("RENAME", "a", "b", "c")


def test_renamenx_oracle(oracle):
    oracle.error("RENAMENX", "nokey", "b")
    oracle.error("RENAMENX", "nokey", "nokey")
    oracle.do("MSET", "a", "1", "b", "2")
    oracle.do("RENAMENX", "a", "a")
    oracle.do("RENAMENX", "a", "b")
    oracle.do("MGET", "a", "b")
    oracle.do("PEXPIRE", "a", "100000")
    oracle.do("RENAMENX", "a", "c")
    oracle.approx("PTTL", "c", delta=50)
    oracle.do("MGET", "a", "c")
    oracle.error("RENAMENX", "a")


def test_copy_oracle(oracle):
    oracle.do("COPY", "nokey", "b")
    oracle.do("SET", "a", "hello", "EX", "100")
    oracle.do("COPY", "a", "b")
    oracle.do("GET", "b")
    oracle.approx("TTL", "b")
    oracle.do("SET", "c", "x")
    oracle.do("COPY", "a", "c")
    oracle.do("COPY", "a", "c", "REPLACE")
    oracle.do("GET", "c")
    oracle.do("COPY", "c", "a", "replace")
    oracle.do("TTL", "a")
    oracle.do("COPY", "a", "a", "DB", "1")
    oracle.do("COPY", "a", "a", "DB", "1")
    oracle.do("COPY", "a", "a", "db", "1", "REPLACE")
    oracle.do("COPY", "a", "z", "DB", "0", "DB", "2")
    oracle.do("SELECT", "2")
    oracle.do("GET", "z")
    oracle.do("SELECT", "1")
    oracle.do("GET", "a")
    oracle.do("SELECT", "0")
    oracle.do("APPEND", "m", "xy")
    oracle.do("COPY", "m", "n")
    oracle.do("APPEND", "m", "z")
    oracle.do("MGET", "m", "n")
    oracle.do("OBJECT", "ENCODING", "n")


def test_copy_errors_oracle(oracle):
    oracle.do("SET", "a", "1")
    oracle.error("COPY", "a", "a")
    oracle.error("COPY", "a", "a", "DB", "0")
    oracle.error("COPY", "nokey", "nokey")
    oracle.error("COPY", "a", "b", "DB")
    oracle.error("COPY", "a", "b", "FOO")
    oracle.error("COPY", "a", "b", "REPLACE", "FOO")
    oracle.error("COPY", "a", "b", "DB", "x")
    oracle.error("COPY", "a", "b", "DB", "16")
    oracle.error("COPY", "a", "b", "DB", "-1")
    oracle.error("COPY", "a", "b", "DB", INT_RANGE)
    oracle.error("COPY", "a", "b", "DB", "x", "FOO")
    oracle.error("COPY", "a")
    oracle.do("EXISTS", "b")


def test_move_oracle(oracle):
    oracle.do("SET", "a", "1", "EX", "100")
    oracle.do("MOVE", "a", "1")
    oracle.do("EXISTS", "a")
    oracle.do("MOVE", "nokey", "1")
    oracle.do("SET", "a", "2")
    oracle.do("MOVE", "a", "1")
    oracle.do("GET", "a")
    oracle.do("SELECT", "1")
    oracle.do("GET", "a")
    oracle.approx("TTL", "a")
    oracle.do("MOVE", "a", "0")
    oracle.do("MOVE", "a", "2")
    oracle.do("SELECT", "2")
    oracle.do("GET", "a")


def test_move_errors_oracle(oracle):
    oracle.do("SET", "a", "1")
    oracle.error("MOVE", "a", "0")
    oracle.error("MOVE", "nokey", "0")
    oracle.error("MOVE", "a", "16")
    oracle.error("MOVE", "a", "-1")
    oracle.error("MOVE", "a", "x")
    oracle.error("MOVE", "a", INT_RANGE)
    oracle.error("MOVE", "a")
    oracle.error("MOVE", "a", "1", "2")


def test_swapdb_oracle(oracle):
    oracle.do("SET", "a", "in0", "EX", "100")
    oracle.do("SELECT", "1")
    oracle.do("SET", "b", "in1")
    oracle.do("SWAPDB", "0", "1")
    oracle.do("MGET", "a", "b")
    oracle.approx("TTL", "a")
    oracle.do("SELECT", "0")
    oracle.do("MGET", "a", "b")
    oracle.do("SWAPDB", "1", "0")
    oracle.do("MGET", "a", "b")
    oracle.do("SWAPDB", "0", "0")
    oracle.do("GET", "a")
    oracle.do("SWAPDB", "0", "15")
    oracle.do("DBSIZE")
    oracle.do("SWAPDB", "15", "0")


def test_swapdb_errors_oracle(oracle):
    oracle.error("SWAPDB", "x", "0")
    oracle.error("SWAPDB", "0", "x")
    oracle.error("SWAPDB", "x", "y")
    oracle.error("SWAPDB", INT_RANGE, "0")
    oracle.error("SWAPDB", "0", INT_RANGE)
    oracle.error("SWAPDB", "0", "16")
    oracle.error("SWAPDB", "16", "x")
    oracle.error("SWAPDB", "-1", "0")
    oracle.error("SWAPDB", "0")
    oracle.error("SWAPDB", "0", "1", "2")


# ------------------------------------------------------------------------------------------------ expiry family


def test_expire_and_ttl_oracle(oracle):
    oracle.do("SET", "a", "1")
    for cmd in ("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"):
        oracle.do(cmd, "a")
        oracle.do(cmd, "nokey")
    oracle.do("EXPIRE", "a", "100")
    oracle.approx("TTL", "a")
    oracle.approx("PTTL", "a", delta=100)
    oracle.approx("EXPIRETIME", "a", delta=1)
    oracle.approx("PEXPIRETIME", "a", delta=100)
    oracle.do("PEXPIRE", "a", "200500")
    oracle.approx("TTL", "a")
    oracle.do("EXPIREAT", "a", "4000000000")
    oracle.do("EXPIRETIME", "a")
    oracle.do("PEXPIRETIME", "a")
    oracle.do("PEXPIREAT", "a", "4000000000999")
    oracle.do("EXPIRETIME", "a")
    oracle.do("PEXPIRETIME", "a")
    oracle.do("PERSIST", "a")
    oracle.do("PERSIST", "a")
    oracle.do("PERSIST", "nokey")
    oracle.do("TTL", "a")
    for cmd in ("EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"):
        oracle.do(cmd, "nokey", "100")
    oracle.do("EXISTS", "nokey")


def test_expire_conditions_oracle(oracle):
    oracle.do("SET", "a", "1")
    oracle.do("EXPIRE", "a", "100", "XX")
    oracle.do("EXPIRE", "a", "100", "GT")
    oracle.do("TTL", "a")
    oracle.do("EXPIRE", "a", "100", "LT")
    oracle.approx("TTL", "a")
    oracle.do("PERSIST", "a")
    oracle.do("EXPIRE", "a", "100", "NX")
    oracle.do("EXPIRE", "a", "200", "NX")
    oracle.do("EXPIRE", "a", "200", "XX")
    oracle.do("EXPIRE", "a", "100", "GT")
    oracle.do("EXPIRE", "a", "300", "GT")
    oracle.do("EXPIRE", "a", "400", "LT")
    oracle.do("EXPIRE", "a", "50", "lt")
    oracle.do("EXPIRE", "a", "60", "xx", "GT")
    oracle.do("EXPIRE", "a", "40", "XX", "gt")
    oracle.do("EXPIRE", "a", "40", "Xx", "Lt")
    oracle.do("EXPIRE", "a", "40", "NX", "NX")
    oracle.do("EXPIRE", "a", "100", "GT", "GT", "XX")
    oracle.approx("TTL", "a")
    oracle.do("PEXPIRE", "a", "0", "GT")
    oracle.do("PEXPIRE", "a", "0", "LT")
    oracle.do("EXISTS", "a")
    oracle.do("SET", "a", "1")
    oracle.do("EXPIREAT", "a", "0", "XX")
    oracle.do("EXPIREAT", "a", "0", "LT")
    oracle.do("EXISTS", "a")


def test_expire_in_the_past_oracle(oracle):
    for cmd, arg in (("EXPIRE", "0"), ("EXPIRE", "-5"), ("PEXPIRE", "-1"), ("EXPIREAT", "1"),
                     ("PEXPIREAT", "0"), ("EXPIRE", "-9223372036854775"), ("EXPIREAT", "-100")):
        oracle.do("SET", "a", "1")
        oracle.do(cmd, "a", arg)
        oracle.do("EXISTS", "a")


def test_expire_huge_times_oracle(oracle):
    oracle.do("SET", "a", "1")
    oracle.do("PEXPIREAT", "a", "9223372036854775807")
    oracle.do("PEXPIRETIME", "a")
    oracle.do("EXPIRETIME", "a")
    oracle.do("EXPIREAT", "a", "9223372036854775")
    oracle.do("PEXPIRETIME", "a")


def test_expire_errors_oracle(oracle):
    oracle.do("SET", "a", "1")
    for cmd in ("EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"):
        oracle.error(cmd, "a")
        oracle.error(cmd, "a", "x")
        oracle.error(cmd, "a", "1.5")
        oracle.error(cmd, "a", "")
        oracle.error(cmd, "a", " 1")
        oracle.error(cmd, "a", "99999999999999999999")
        oracle.error(cmd, "a", "x", "NX")
        oracle.error(cmd, "a", "x", "FOO")
        oracle.error(cmd, "a", "10", "FOO")
        oracle.error(cmd, "a", "10", "NX", "XX")
        oracle.error(cmd, "a", "10", "XX", "NX")
        oracle.error(cmd, "a", "10", "NX", "GT")
        oracle.error(cmd, "a", "10", "LT", "NX")
        oracle.error(cmd, "a", "10", "GT", "LT")
        oracle.error(cmd, "a", "10", "XX", "GT", "LT")
        oracle.error(cmd, "a", "10", "NX", "GT", "LT")
        oracle.error(cmd, "a", "10", "GT", "FOO", "LT")
        if cmd != "PEXPIREAT":      # LLONG_MAX milliseconds is a valid PEXPIREAT time
            oracle.error(cmd, "a", "9223372036854775807")
            oracle.error(cmd, "nokey", "9223372036854775807")
        oracle.error(cmd, "a", "10", b"x\r\ny")
        oracle.error(cmd, "a", "10", b"x\x00y")
    for value in ("9223372036854776", "-9223372036854776", "9223372036854775"):
        oracle.error("EXPIRE", "a", value)
    oracle.do("EXISTS", "a")
    oracle.do("TTL", "a")


def test_ttl_errors_oracle(oracle):
    for cmd in ("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "PERSIST"):
        oracle.error(cmd)
        oracle.error(cmd, "a", "b")


def test_ttl_rounding_oracle(oracle):
    oracle.do("SET", "a", "1", "PX", "1600")
    oracle.do("TTL", "a")
    oracle.do("SET", "b", "1", "PX", "1400")
    oracle.do("TTL", "b")


def test_lazy_expiry_oracle(oracle):
    oracle.do("SET", "a", "1", "PX", "30")
    oracle.do("GET", "a")
    for client in (oracle.ours, oracle.redis):
        wait_until(lambda c=client: c.command("GET", "a") == b"$-1\r\n", timeout=5, message="a to expire")
    oracle.do("TTL", "a")
    oracle.do("EXISTS", "a")
    oracle.do("DBSIZE")


# ------------------------------------------------------------------------------------------------ stats and events


def _info_int(client: RawClient, section: str, field: str) -> int:
    reply = client.command("INFO", section)
    if reply.startswith(b"-"):
        pytest.skip(f"INFO not available: {reply!r}")
    for line in reply.split(b"\r\n"):
        if line.startswith(field.encode() + b":"):
            return int(line.split(b":", 1)[1])
    raise AssertionError(f"{field} not in INFO {section}")


def _hits_misses(client: RawClient) -> tuple[int, int]:
    return _info_int(client, "stats", "keyspace_hits"), _info_int(client, "stats", "keyspace_misses")


def test_keyspace_hits_and_misses_oracle(server_factory):
    ours = server_factory()
    theirs = server_factory("redis")
    o = Oracle(ours.port, theirs.port)
    try:
        o.do("SET", "a", "1")
        o.do("APPEND", "m", "x")
        before = [_hits_misses(c) for c in (o.ours, o.redis)]
        o.do("EXISTS", "a", "a", "nokey")
        o.do("TYPE", "a")
        o.do("TYPE", "nokey")
        o.do("TOUCH", "a", "nokey")
        o.do("TTL", "a")
        o.do("PTTL", "nokey")
        o.do("OBJECT", "ENCODING", "a")
        o.do("OBJECT", "REFCOUNT", "nokey")
        o.do("COPY", "a", "b")
        o.do("COPY", "nokey", "c")
        _full_scan(o, "TYPE", "string")
        after = [_hits_misses(c) for c in (o.ours, o.redis)]
        deltas = [(a[0] - b[0], a[1] - b[1]) for a, b in zip(after, before, strict=True)]
        assert deltas[0] == deltas[1], f"pyredcache {deltas[0]} vs redis {deltas[1]} (hits, misses)"
    finally:
        o.close()


def test_dirty_counter_oracle(server_factory):
    """Each write counts in rdb_changes_since_last_save as Redis counts it (DEL: one per key removed)."""
    ours = server_factory()
    theirs = server_factory("redis")
    o = Oracle(ours.port, theirs.port)
    try:
        o.do("MSET", "a", "1", "b", "2", "c", "3", "d", "4")
        sequence = [
            ("DEL", "a", "b", "nokey"), ("UNLINK", "nokey"), ("EXPIRE", "c", "100"), ("EXPIRE", "c", "100", "NX"),
            ("PERSIST", "c"), ("PERSIST", "c"), ("RENAME", "c", "e"), ("RENAME", "e", "e"), ("RENAMENX", "e", "d"),
            ("RENAMENX", "e", "f"), ("COPY", "f", "g"), ("COPY", "f", "g"), ("MOVE", "g", "1"), ("MOVE", "g", "1"),
            ("SWAPDB", "0", "1"), ("SWAPDB", "1", "1"), ("SWAPDB", "0", "1"), ("EXPIRE", "d", "0"),
            ("EXPIRE", "nokey", "10"), ("TOUCH", "f"), ("EXISTS", "f"),
        ]
        before = [_info_int(c, "persistence", "rdb_changes_since_last_save") for c in (o.ours, o.redis)]
        for cmd in sequence:
            o.do(*cmd)
        after = [_info_int(c, "persistence", "rdb_changes_since_last_save") for c in (o.ours, o.redis)]
        assert after[0] - before[0] == after[1] - before[1]
    finally:
        o.close()


@pytest.fixture
def event_pair(server_factory) -> Iterator[tuple[Oracle, RawClient, RawClient]]:
    ours = server_factory(notify_keyspace_events="KEA")
    theirs = server_factory("redis", notify_keyspace_events="KEA")
    subs = (RawClient(ours.port), RawClient(theirs.port))
    for s in subs:
        reply = s.command("PSUBSCRIBE", "__key*__:*")
        if reply.startswith(b"-"):
            pytest.skip(f"PSUBSCRIBE not available: {reply!r}")
    o = Oracle(ours.port, theirs.port)
    yield o, subs[0], subs[1]
    o.close()
    for s in subs:
        s.close()


def _events(sub: RawClient, o_client: RawClient) -> list[tuple[bytes, bytes]]:
    """Drain keyspace events up to a marker published by the test: (channel, payload) pairs."""
    o_client.command("PUBLISH", "__keyspace@0__:zz-end", "end")
    out = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        parts = split_array(sub.read_reply())
        channel = parts[2].split(b"\r\n")[1]
        payload = parts[3].split(b"\r\n")[1]
        if channel == b"__keyspace@0__:zz-end":
            return out
        out.append((channel, payload))
    raise AssertionError("no end marker")


def test_keyspace_events_oracle(event_pair):
    o, sub_ours, sub_redis = event_pair
    o.do("MSET", "a", "1", "b", "2", "c", "3")
    o.do("DEL", "a", "nokey")
    o.do("UNLINK", "b")
    o.do("EXPIRE", "c", "100")
    o.do("PEXPIREAT", "c", "4000000000000")
    o.do("PERSIST", "c")
    o.do("PERSIST", "c")
    o.do("RENAME", "c", "d")
    o.do("RENAMENX", "d", "e")
    o.do("COPY", "e", "f")
    o.do("MOVE", "f", "1")
    o.do("EXPIRE", "e", "0")
    o.do("SET", "g", "1")
    o.do("EXPIRE", "g", "100", "NX")
    o.do("EXPIRE", "g", "100", "NX")
    o.do("SWAPDB", "0", "1")
    o.do("TOUCH", "f")
    assert _events(sub_ours, o.ours) == _events(sub_redis, o.redis)


# ------------------------------------------------------------------------------------------------ COMMAND metadata

_COMMANDS = ("del", "unlink", "exists", "type", "keys", "scan", "randomkey", "rename", "renamenx", "copy", "move",
             "swapdb", "touch", "object", "expire", "pexpire", "expireat", "pexpireat", "ttl", "pttl",
             "expiretime", "pexpiretime", "persist")


@pytest.mark.parametrize("name", _COMMANDS)
def test_command_info_oracle(oracle, name):
    ours, theirs = oracle.both("COMMAND", "INFO", name)
    if ours.startswith(b"-"):
        pytest.skip(f"COMMAND INFO not available: {ours!r}")
    if name == "object":
        # The container row lists its subcommands in table order: compare them as a set.
        assert _split_subcommands(ours) == _split_subcommands(theirs)
    else:
        assert ours == theirs


def _split_subcommands(reply: bytes) -> tuple[list[bytes], list[bytes]]:
    row = split_array(split_array(reply)[0])
    return row[:-1], sorted(split_array(row[-1]))


@pytest.mark.parametrize("name", [n for n in _COMMANDS if n != "object"])
def test_command_docs_oracle(oracle, name):
    ours, theirs = oracle.both("COMMAND", "DOCS", name)
    if ours.startswith(b"-"):
        pytest.skip(f"COMMAND DOCS not available: {ours!r}")
    assert ours == theirs


@pytest.mark.parametrize("sub", ["encoding", "refcount", "idletime", "freq", "help"])
def test_command_docs_object_subcommands_oracle(oracle, sub):
    # The container's reply lists subcommands in hash order; each subcommand's own DOCS entry is comparable.
    ours, theirs = oracle.both("COMMAND", "DOCS", f"object|{sub}")
    if ours.startswith(b"-"):
        pytest.skip(f"COMMAND DOCS not available: {ours!r}")
    assert ours == theirs
