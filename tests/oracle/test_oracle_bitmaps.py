"""Bitmap commands, reply for reply against redis-server 7.0.15: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD
BITFIELD_RO, every option and error, plus seeded random ranges and bitfield operations."""
from __future__ import annotations

import random
from typing import Any

import pytest
from helpers.oracle import Oracle
from helpers.rawclient import RawClient, encode_command

pytestmark = pytest.mark.oracle

BITMAP_COMMANDS = ("setbit", "getbit", "bitcount", "bitpos", "bitop", "bitfield", "bitfield_ro")


def _wrongtype(oracle: Oracle, key: str = "wt") -> str:
    oracle.do("DEL", key)
    ours, theirs = oracle.both("RPUSH", key, "x")
    if ours.startswith(b"-ERR unknown command"):
        pytest.skip("no collection type is implemented yet")
    assert ours == theirs
    return key


@pytest.mark.parametrize("name", BITMAP_COMMANDS)
def test_command_info_rows_match(oracle: Oracle, name: str) -> None:
    oracle.do("COMMAND", "INFO", name)


@pytest.mark.parametrize("name", BITMAP_COMMANDS)
def test_command_docs_rows_match(oracle: Oracle, name: str) -> None:
    oracle.do("COMMAND", "DOCS", name)


def test_bitmaps_arity_errors(oracle: Oracle) -> None:
    for args in (("SETBIT", "k", "1"), ("SETBIT", "k", "1", "1", "1"), ("GETBIT", "k"), ("GETBIT", "k", "1", "2"),
                 ("BITCOUNT",), ("BITPOS", "k"), ("BITOP", "AND", "d"), ("BITFIELD",), ("BITFIELD_RO",)):
        oracle.error(*args)


def test_setbit_getbit_match(oracle: Oracle) -> None:
    for args in (("SETBIT", "k", 7, 1), ("SETBIT", "k", 7, 1), ("SETBIT", "k", 7, 0), ("SETBIT", "k", 100, 1),
                 ("GET", "k"), ("GETBIT", "k", 100), ("GETBIT", "k", 99), ("GETBIT", "k", 100000), ("GETBIT", "no", 3),
                 ("OBJECT", "ENCODING", "k"), ("SET", "n", "12"), ("SETBIT", "n", 0, 0), ("OBJECT", "ENCODING", "n"),
                 ("SETBIT", "n", 2, 0), ("GET", "n"), ("SETBIT", "s", 0, "1"), ("STRLEN", "s"),
                 ("SET", "t", "v"), ("EXPIRE", "t", 100), ("SETBIT", "t", 20, 1), ("TTL", "t")):
        oracle.do(*args)


def test_setbit_getbit_errors_match(oracle: Oracle) -> None:
    wt = _wrongtype(oracle)
    for args in (("SETBIT", "k", -1, 1), ("SETBIT", "k", "x", 1), ("SETBIT", "k", 4294967296, 1),
                 ("SETBIT", "k", 1, 2), ("SETBIT", "k", 1, -1), ("SETBIT", "k", 1, "a"), ("SETBIT", "k", "#1", 1),
                 ("SETBIT", wt, 1, 1), ("SETBIT", wt, -1, 1), ("SETBIT", wt, 1, 5),
                 ("GETBIT", "k", -1), ("GETBIT", "k", "1.5"), ("GETBIT", "k", 4294967296), ("GETBIT", wt, 0),
                 ("GETBIT", wt, -1), ("SETBIT", "k", " 1", 1), ("SETBIT", "k", "01", 1)):
        oracle.error(*args)
    oracle.do("SETBIT", "k", 1 << 20, 0)
    oracle.do("STRLEN", "k")


def test_bitcount_match(oracle: Oracle) -> None:
    wt = _wrongtype(oracle)
    oracle.do("SET", "s", "foobar")
    oracle.do("SET", "e", "")
    args: tuple[Any, ...]
    for args in (("BITCOUNT", "s"), ("BITCOUNT", "no"), ("BITCOUNT", "no", "a", "b"), ("BITCOUNT", "e"),
                 ("BITCOUNT", "e", 0, -1), ("BITCOUNT", "e", 0, -1, "BIT"),
                 ("BITCOUNT", "s", 0, 0), ("BITCOUNT", "s", 1, 1), ("BITCOUNT", "s", 1, 1, "BYTE"),
                 ("BITCOUNT", "s", 5, 30, "BIT"), ("BITCOUNT", "s", -3, -1, "bit"), ("BITCOUNT", "s", -1, -3),
                 ("BITCOUNT", "s", 3, 1), ("BITCOUNT", "s", -100, 100), ("BITCOUNT", "s", 0, -1, "BIT"),
                 ("BITCOUNT", "s", 9, 9, "BIT"), ("BITCOUNT", "s", 1, 6, "BIT"), ("BITCOUNT", "s", 7, 8, "BIT")):
        oracle.do(*args)
    for args in (("BITCOUNT", "s", 1), ("BITCOUNT", "s", "a", 1), ("BITCOUNT", "s", 1, "b"),
                 ("BITCOUNT", "s", 0, 1, "BITS"), ("BITCOUNT", "s", 0, 1, "BIT", "x"), ("BITCOUNT", wt),
                 ("BITCOUNT", wt, "a", "b")):
        oracle.error(*args)


def test_bitpos_match(oracle: Oracle) -> None:
    wt = _wrongtype(oracle)
    oracle.do("SET", "s", b"\xff\xf0\x00")
    oracle.do("SET", "ones", b"\xff\xff")
    oracle.do("SET", "zeros", b"\x00\x00")
    oracle.do("SET", "e", "")
    args: tuple[Any, ...]
    for args in (("BITPOS", "s", 0), ("BITPOS", "s", 1), ("BITPOS", "no", 0), ("BITPOS", "no", 1),
                 ("BITPOS", "no", 1, "x"), ("BITPOS", "ones", 0), ("BITPOS", "ones", 0, 0),
                 ("BITPOS", "ones", 0, 0, -1), ("BITPOS", "zeros", 1), ("BITPOS", "zeros", 0, 1),
                 ("BITPOS", "e", 0), ("BITPOS", "e", 1), ("BITPOS", "e", 0, 0, -1, "BIT"),
                 ("BITPOS", "s", 0, 1), ("BITPOS", "s", 1, 2), ("BITPOS", "s", 1, 7, 15, "BIT"),
                 ("BITPOS", "s", 0, 7, 15, "BIT"), ("BITPOS", "s", 0, 0, 11, "bit"), ("BITPOS", "s", 0, 3, 9, "BIT"),
                 ("BITPOS", "s", 1, -10, -1, "BIT"), ("BITPOS", "s", 1, 5, 1), ("BITPOS", "s", 0, 0, 0, "BYTE"),
                 ("BITPOS", "ones", 0, 3, "BIT"), ("BITPOS", "ones", 0, 3, 12, "BIT"), ("BITPOS", "ones", 1, -3, "BIT"),
                 ("BITPOS", "s", 0, 2, 3, "BIT")):
        oracle.do(*args)
    for args in (("BITPOS", "s", 2), ("BITPOS", "s", -1), ("BITPOS", "s", "a"), ("BITPOS", "s", 2, "x"),
                 ("BITPOS", "s", 1, "x"), ("BITPOS", "s", 1, 0, "x"), ("BITPOS", "s", 1, 0, 1, "BOO"),
                 ("BITPOS", "s", 1, 0, 1, "BIT", "x"), ("BITPOS", wt, 1), ("BITPOS", wt, 3)):
        oracle.error(*args)


def test_bitop_match(oracle: Oracle) -> None:
    wt = _wrongtype(oracle)
    oracle.do("SET", "a", b"\x0f\xf0\xaa")
    oracle.do("SET", "b", b"\xff\x00")
    oracle.do("SET", "e", "")
    for op in ("AND", "OR", "XOR", "and", "oR"):
        oracle.do("BITOP", op, "d", "a", "b", "no")
        oracle.do("GET", "d")
        oracle.do("BITOP", op, "d", "a", "b")
        oracle.do("GET", "d")
        oracle.do("BITOP", op, "d", "a")
        oracle.do("GET", "d")
    oracle.do("BITOP", "NOT", "d", "a")
    oracle.do("GET", "d")
    oracle.do("OBJECT", "ENCODING", "d")
    oracle.do("SET", "d2", "x", "EX", 100)
    oracle.do("BITOP", "AND", "d2", "a")
    oracle.do("TTL", "d2")
    oracle.do("BITOP", "OR", "d2", "no", "e")
    oracle.do("EXISTS", "d2")
    oracle.do("BITOP", "NOT", "d3", "no")
    oracle.do("BITOP", "AND", wt, "a")
    oracle.do("TYPE", wt)
    wt = _wrongtype(oracle)
    for args in (("BITOP", "NAND", "d", "a"), ("BITOP", "NOT", "d", "a", "b"), ("BITOP", "AND", "d", "a", wt),
                 ("BITOP", "NOT", "d", wt), ("BITOP", "NOT", "d", "a", wt)):
        oracle.error(*args)


def test_bitfield_match(oracle: Oracle) -> None:
    oracle.do("SET", "s", "hello")
    for args in (("BITFIELD", "s"), ("BITFIELD", "s", "GET", "u8", 0), ("BITFIELD", "s", "GET", "i8", "#1"),
                 ("BITFIELD", "s", "GET", "u63", 3), ("BITFIELD", "s", "GET", "i64", 1), ("BITFIELD", "s", "GET", "i1", 1),
                 ("BITFIELD", "no", "GET", "u8", 0), ("BITFIELD", "s", "get", "u16", 100),
                 ("BITFIELD", "s", "SET", "u8", 0, 255, "GET", "u8", 0), ("BITFIELD", "s", "INCRBY", "u8", 0, 1),
                 ("BITFIELD", "s", "OVERFLOW", "SAT", "INCRBY", "u8", 0, 300), ("BITFIELD", "s", "INCRBY", "i5", 100, 1),
                 ("BITFIELD", "s", "OVERFLOW", "FAIL", "INCRBY", "u2", 102, 5, "GET", "u2", 102),
                 ("BITFIELD", "s", "OVERFLOW", "fail", "set", "i8", 0, 128, "overflow", "wrap", "set", "i8", 0, 128),
                 ("BITFIELD", "s", "OVERFLOW", "SAT", "SET", "u8", 0, -1, "SET", "i8", 0, -9223372036854775808,
                  "GET", "i8", 0),
                 ("BITFIELD", "s", "SET", "u8", 0, -1), ("BITFIELD", "s", "SET", "i64", 0, -1, "INCRBY", "i64", 0, -1),
                 ("BITFIELD", "s", "OVERFLOW", "SAT", "INCRBY", "i64", 0, -9223372036854775808),
                 ("BITFIELD", "s", "INCRBY", "i64", 0, 9223372036854775807, "OVERFLOW", "SAT",
                  "INCRBY", "i64", 0, 9223372036854775807),
                 ("GET", "s"), ("BITFIELD", "new", "OVERFLOW", "FAIL", "INCRBY", "u2", 0, 10), ("EXISTS", "new"),
                 ("GET", "new"), ("OBJECT", "ENCODING", "new"), ("BITFIELD", "n2", "SET", "u8", "#3", 65), ("GET", "n2"),
                 ("BITFIELD_RO", "s", "GET", "u8", 0, "GET", "i4", 3), ("BITFIELD_RO", "s"), ("BITFIELD_RO", "no", "GET", "u1", 0)):
        oracle.do(*args)


def test_bitfield_errors_match(oracle: Oracle) -> None:
    wt = _wrongtype(oracle)
    oracle.do("SET", "s", "x")
    for args in (("BITFIELD", "s", "GET", "u64", 0), ("BITFIELD", "s", "GET", "i65", 0), ("BITFIELD", "s", "GET", "u0", 0),
                 ("BITFIELD", "s", "GET", "x8", 0), ("BITFIELD", "s", "GET", "U8", 0), ("BITFIELD", "s", "GET", "u", 0),
                 ("BITFIELD", "s", "GET", "u8", -1), ("BITFIELD", "s", "GET", "u8", "#-1"),
                 ("BITFIELD", "s", "GET", "u8", 4294967296), ("BITFIELD", "s", "GET", "u8", "#536870912"),
                 ("BITFIELD", "s", "GET", "u8"), ("BITFIELD", "s", "SET", "u8", 0), ("BITFIELD", "s", "FOO"),
                 ("BITFIELD", "s", "OVERFLOW"), ("BITFIELD", "s", "OVERFLOW", "BAD"),
                 ("BITFIELD", "s", "SET", "u8", 0, "x"), ("BITFIELD", "s", "INCRBY", "u8", 0, "1.5"),
                 ("BITFIELD", "s", "GET", "u8", 0, "SET", "u8", 0), ("BITFIELD", "s", "SET", "u8", "1.0", 1),
                 ("BITFIELD", wt, "GET", "u8", 0), ("BITFIELD", wt, "SET", "u8", 0, 1), ("BITFIELD", wt),
                 ("BITFIELD", wt, "GET", "u99", 0),
                 ("BITFIELD_RO", "s", "SET", "u8", 0, 1), ("BITFIELD_RO", "s", "INCRBY", "u8", 0, 1),
                 ("BITFIELD_RO", "s", "GET", "u8", 0, "SET", "u8", 0, 1),
                 ("BITFIELD_RO", wt, "GET", "u8", 0), ("BITFIELD_RO", wt, "SET", "u8", 0, 1)):
        oracle.error(*args)
    for args in (("BITFIELD", "s", "GET", "u+8", 0), ("BITFIELD", "s", "GET", "i08", 0),
                 ("BITFIELD", "s", "GET", "u8", "#"), ("BITFIELD", "s", "GET", "u8", "#x"),
                 ("BITFIELD", "s", "GET", "i64", "#144115188075855872"), ("SETBIT", "s", "#1", 1)):
        oracle.error(*args)
    oracle.do("BITFIELD", "s", "GET", "i64", "#288230376151711744")     # 2**58 * 64 wraps to 0 in C
    oracle.do("BITFIELD", "s", "GET", b"i8\x00junk", 0)
    oracle.do("BITFIELD", "s", b"get\x00x", "u8", 0)
    oracle.do("GET", "s")
    oracle.do("BITFIELD_RO", "s", "OVERFLOW", "SAT")
    oracle.do("BITFIELD", "s", "OVERFLOW", "SAT")


def test_bitfield_overflow_edges_match(oracle: Oracle) -> None:
    values = (0, 1, -1, 2, -2, 7, -8, 127, -128, 255, 256, 1 << 31, -(1 << 31), (1 << 62), (1 << 63) - 1,
              -(1 << 63), (1 << 63) - 2)
    for kind in ("WRAP", "SAT", "FAIL"):
        for enc in ("i1", "i3", "i8", "i63", "i64", "u1", "u3", "u8", "u62", "u63"):
            for v in values:
                oracle.do("BITFIELD", "k", "OVERFLOW", kind, "SET", enc, 3, v)
                oracle.do("BITFIELD", "k", "OVERFLOW", kind, "INCRBY", enc, 3, v)
                oracle.do("BITFIELD", "k", "OVERFLOW", kind, "INCRBY", enc, 3, v)
    oracle.do("GET", "k")


def test_bitmaps_seeded_random_match(oracle: Oracle) -> None:
    rng = random.Random(7015)
    for _ in range(60):
        size = rng.randint(0, 12)
        data = bytes(rng.choice((0, 0xFF, rng.randrange(256))) for _ in range(size))
        oracle.do("SET", "r", data)
        lim = size * 8 + 10
        for _ in range(8):
            start, end = rng.randint(-lim, lim), rng.randint(-lim, lim)
            unit = rng.choice(("BIT", "BYTE"))
            oracle.do("BITCOUNT", "r", start, end, unit)
            bit = rng.randint(0, 1)
            oracle.do("BITPOS", "r", bit, start, end, unit)
            oracle.do("BITPOS", "r", bit, start, end)
            oracle.do("BITPOS", "r", bit, start)
            oracle.do("BITPOS", "r", bit)
        ops: list[str | int] = []
        for _ in range(rng.randint(1, 6)):
            sign = rng.choice("iu")
            bits = rng.randint(1, 64 if sign == "i" else 63)
            enc = f"{sign}{bits}"
            offset: str | int = rng.randint(0, size * 8 + 16)
            if rng.random() < 0.2:
                offset = f"#{rng.randint(0, 4)}"
            kind = rng.choice(("GET", "SET", "INCRBY", "OVERFLOW"))
            if kind == "OVERFLOW":
                ops += ["OVERFLOW", rng.choice(("WRAP", "SAT", "FAIL"))]
            elif kind == "GET":
                ops += ["GET", enc, offset]
            else:
                ops += [kind, enc, offset, rng.randint(-(1 << 63), (1 << 63) - 1) >> rng.randint(0, 63)]
        oracle.do("BITFIELD", "r", *ops)
        oracle.do("GET", "r")
        other = bytes(rng.randrange(256) for _ in range(rng.randint(0, 6)))
        oracle.do("SET", "o", other)
        oracle.do("BITOP", rng.choice(("AND", "OR", "XOR")), "d", "r", "o")
        oracle.do("GET", "d")


_EVENT_SEQUENCE = (
    ("SETBIT", "k", 3, 1), ("SETBIT", "k", 3, 1), ("SETBIT", "k", 3, 0), ("SETBIT", "k", 90, 0),
    ("BITFIELD", "k", "GET", "u8", 0), ("BITFIELD", "k", "SET", "u8", 0, 0, "INCRBY", "u4", 0, 1),
    ("BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u2", 0, 10), ("BITOP", "AND", "d", "k"),
    ("BITOP", "AND", "d", "no"), ("BITOP", "AND", "d", "no"), ("BITFIELD_RO", "k", "GET", "u8", 0),
)


def _dirty(client: RawClient) -> int:
    info = client.command("INFO", "persistence").decode()
    return int(info.split("rdb_changes_since_last_save:", 1)[1].split("\r\n", 1)[0])


def test_bitmaps_dirty_counts_match(oracle: Oracle) -> None:
    """SETBIT counts a change only when it changes something; BITFIELD one per write op; BITOP set/del."""
    for args in _EVENT_SEQUENCE:
        before = _dirty(oracle.ours), _dirty(oracle.redis)
        oracle.do(*args)
        after = _dirty(oracle.ours), _dirty(oracle.redis)
        assert after[0] - before[0] == after[1] - before[1], args


def test_bitmaps_keyspace_events_match(oracle: Oracle, pyredcache_proc: Any, redis_proc: Any) -> None:
    """SETBIT notifies only when it changes something; BITFIELD once per call; BITOP set/del."""
    subs = [RawClient(pyredcache_proc.port), RawClient(redis_proc.port)]
    try:
        if subs[0].command("PSUBSCRIBE", "__keyevent@*").startswith(b"-"):
            pytest.skip("PSUBSCRIBE is not implemented yet")
        subs[1].command("PSUBSCRIBE", "__keyevent@*")
        oracle.do("CONFIG", "SET", "notify-keyspace-events", "KEA")
        for args in _EVENT_SEQUENCE:
            oracle.do(*args)
        seen = []
        for sub in subs:
            sub.send(encode_command("PUNSUBSCRIBE"))
            got = []
            while True:
                reply = sub.read_reply()
                got.append(reply)
                if b"punsubscribe" in reply:
                    break
            seen.append(got)
        assert seen[0] == seen[1]
    finally:
        for sub in subs:
            sub.close()
        oracle.do("CONFIG", "SET", "notify-keyspace-events", "")


@pytest.mark.parametrize("argv", [
    ("BITFIELD", "k"), ("BITFIELD", "k", "GET", "u8", 0), ("BITFIELD", "k", "OVERFLOW", "SAT", "GET", "u8", 0),
    ("BITFIELD", "k", "GET", "u8", 0, "SET", "u8", 0, 1), ("BITFIELD", "k", "incrby", "u8", 0, 1),
    ("BITFIELD", "k", "GET", "u8"), ("BITFIELD", "k", "OVERFLOW"), ("BITFIELD", "k", "junk"),
    ("BITFIELD_RO", "k", "GET", "u8", 0), ("BITOP", "AND", "d", "a", "b"), ("SETBIT", "k", 1, 1),
    ("GETBIT", "k", 1), ("BITCOUNT", "k"), ("BITPOS", "k", 1),
])
def test_bitmaps_getkeys_match(oracle: Oracle, argv: tuple[Any, ...]) -> None:
    oracle.do("COMMAND", "GETKEYS", *argv)
    oracle.do("COMMAND", "GETKEYSANDFLAGS", *argv)
