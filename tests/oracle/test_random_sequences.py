"""Random command sequences (hypothesis, derandomized and bounded) over strings, keys and expiry, hashes, lists
(non-blocking), sets, bitmaps, sorted sets and HyperLogLog, sent to pyredcache and a real redis-server 7.0.15:
every raw reply must be identical, and so must the whole keyspace at the end (type, value, TTL, encoding).

A small shared key pool makes commands collide across types (overwrites, WRONGTYPE, renames and *STORE
destinations onto keys of another type); small value alphabets hit the encoding thresholds (a non-integer set
member, an element longer than 64 bytes). Nondeterministic replies are normalised, nothing else:
- TTLs within a tolerance, RANDOMKEY by reply type, DBSIZE after a SCAN pass (which reclaims keys set with an
  expire time in the past);
- SCAN/SSCAN/HSCAN/ZSCAN (COUNT 1000 on a small collection: one full pass) by cursor and sorted elements
  (HSCAN/ZSCAN: sorted field/value pairs);
- SMEMBERS/HKEYS/HVALS/HGETALL exactly when the value's encoding (compared first) gives Redis a defined order
  (intset: ascending integers; listpack: insertion order), as multisets for a hashtable;
- SINTER/SUNION/SDIFF, and SPOP with a count above the set's size, as multisets (hash order in Redis);
- lex-range commands are not sent to a skiplist-encoded sorted set whose scores differ (Redis's answer then
  depends on its random skiplist levels).
Random picks are left out: SPOP without a count, SRANDMEMBER/HRANDFIELD/ZRANDMEMBER only with count 0 or a
bad count.
"""
from __future__ import annotations

import os
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from helpers.procs import ServerProcess
from helpers.rawclient import RawClient, encode_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.oracle

Arg = str | bytes | int

# Absolute times far from any relative TTL the sequences use, so GT/LT comparisons never tie.
NOW_S = int(time.time())
FUTURE_S = [NOW_S + 5_000, NOW_S + 9_000]
PAST_S = [1, NOW_S - 100]
FUTURE_MS = [t * 1000 + 123 for t in FUTURE_S]
PAST_MS = [1, (NOW_S - 100) * 1000]

TTL_DELTA_S = 1
PTTL_DELTA_MS = 2_000

# The commands the generator draws from; the coverage tests below ask pyredcache for every one of them.
CORE_COMMANDS = [
    "GET", "SET", "SETNX", "SETEX", "PSETEX", "GETSET", "GETDEL", "GETEX", "MSET", "MSETNX", "MGET",
    "APPEND", "STRLEN", "GETRANGE", "SUBSTR", "SETRANGE", "INCR", "DECR", "INCRBY", "DECRBY",
    "INCRBYFLOAT", "LCS", "DEL", "UNLINK", "EXISTS", "TYPE", "RENAME", "RENAMENX", "COPY", "MOVE", "KEYS",
    "SCAN", "RANDOMKEY", "TOUCH", "OBJECT|ENCODING", "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT", "TTL",
    "PTTL", "EXPIRETIME", "PEXPIRETIME", "PERSIST", "DBSIZE", "SELECT", "SWAPDB", "FLUSHDB", "ECHO", "PING",
    "HELLO",
]
HASH_COMMANDS = [
    "HSET", "HSETNX", "HMSET", "HGET", "HMGET", "HDEL", "HLEN", "HSTRLEN", "HEXISTS", "HINCRBY",
    "HINCRBYFLOAT", "HKEYS", "HVALS", "HGETALL", "HSCAN", "HRANDFIELD",
]
LIST_COMMANDS = [
    "LPUSH", "RPUSH", "LPUSHX", "RPUSHX", "LPOP", "RPOP", "LLEN", "LINDEX", "LSET", "LRANGE", "LTRIM", "LREM",
    "LINSERT", "LPOS", "LMOVE", "RPOPLPUSH", "LMPOP",
]
SET_COMMANDS = [
    "SADD", "SREM", "SCARD", "SISMEMBER", "SMISMEMBER", "SMEMBERS", "SMOVE", "SINTER", "SUNION", "SDIFF",
    "SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE", "SINTERCARD", "SSCAN", "SPOP", "SRANDMEMBER",
]
BITMAP_COMMANDS = ["SETBIT", "GETBIT", "BITCOUNT", "BITPOS", "BITOP", "BITFIELD", "BITFIELD_RO"]
ZSET_COMMANDS = [
    "ZADD", "ZINCRBY", "ZSCORE", "ZMSCORE", "ZCARD", "ZCOUNT", "ZLEXCOUNT", "ZRANGE", "ZRANGEBYSCORE",
    "ZREVRANGEBYSCORE", "ZRANGEBYLEX", "ZREVRANGEBYLEX", "ZREVRANGE", "ZRANK", "ZREVRANK", "ZREM",
    "ZREMRANGEBYRANK", "ZREMRANGEBYSCORE", "ZREMRANGEBYLEX", "ZPOPMIN", "ZPOPMAX", "ZMPOP", "ZUNIONSTORE",
    "ZINTERSTORE", "ZDIFFSTORE", "ZUNION", "ZINTER", "ZDIFF", "ZRANGESTORE", "ZINTERCARD", "ZSCAN",
    "ZRANDMEMBER",
]
HLL_COMMANDS = ["PFADD", "PFCOUNT", "PFMERGE"]
# Groups every pyredcache build must have, and groups that may still be landing (used once present).
REQUIRED_GROUPS = {"core": CORE_COMMANDS, "hash": HASH_COMMANDS, "list": LIST_COMMANDS, "set": SET_COMMANDS,
                   "bitmap": BITMAP_COMMANDS}
LANDING_GROUPS = {"zset": ZSET_COMMANDS, "hyperloglog": HLL_COMMANDS}
ALL_COMMANDS = [n for group in (*REQUIRED_GROUPS.values(), *LANDING_GROUPS.values()) for n in group]

# Encodings for which Redis's SMEMBERS/HKEYS/HVALS/HGETALL order is defined (not hash order).
ORDERED_ENCODINGS = (b"intset", b"listpack")


# ------------------------------------------------------------------------------------ generation

@dataclass(frozen=True)
class Cmd:
    check: str              # exact | sorted | ttl | pttl | type | scan | scan_pairs | dbsize | unordered
    argv: tuple[Arg, ...]   # | members | pairs (by the key's encoding) | lex | lex_store (only when defined)

    @property
    def name(self) -> str:
        return str(self.argv[0]).upper()

    def __repr__(self) -> str:
        return " ".join(repr(a) if isinstance(a, bytes) else str(a) for a in self.argv)


def _mostly(valid: list[Any], invalid: list[Any]) -> st.SearchStrategy[Any]:
    """One of valid, and about one time in eight one of invalid."""
    return st.tuples(st.integers(0, 7), st.sampled_from(valid), st.sampled_from(invalid)).map(
        lambda t: t[2] if t[0] == 7 else t[1])


KEYS = st.sampled_from(["a", "b", "c", "n", "{t}x", "{t}y", "{t}z", b"\x00bin"])
LONG = "y" * 70   # longer than hash/zset-max-listpack-value (64): forces hashtable/skiplist
VALUES = st.sampled_from([
    "", "0", "1", "-5", "10", "007", " 1", "+1", "1.5", "-0", "3.0e2", "abc", "hello world", "x" * 45,
    "9223372036854775807", "-9223372036854775808", "18446744073709551616", b"\xff\x00\r\n", LONG,
])
# Members, fields and list elements: mostly canonical integers (intset), a few strings that convert.
MEMBERS = st.sampled_from([
    "1", "2", "3", "10", "-5", "0", "1", "2", "007", "a", "b", "c", "abc", "", "9223372036854775807",
    "18446744073709551616", LONG, b"\xff\x00",
])
FIELDS = st.sampled_from(["f", "g", "h", "1", "2", "abc", "", LONG])
INTS = st.sampled_from(["-3", "0", "1", "100", "abc", "1.5", "9223372036854775807", "-9223372036854775808", ""])
FLOATS = st.sampled_from(["1.5", "-0.25", "0", "1e3", "abc", "inf", "-inf", "5.0e-1", "1.7976931348623157e308"])
OFFSETS = st.sampled_from(["0", "1", "3", "10", "-1", "-100", "100", "abc", "9223372036854775807"])
SETRANGE_OFFSETS = st.sampled_from(["0", "2", "7", "20", "-1", "abc", "536870912"])
JUNK = st.lists(st.sampled_from(["NX", "XX", "GT", "LT", "GET", "KEEPTTL", "EX", "PX", "10", "foo"]),
                min_size=1, max_size=3)
DBS = st.sampled_from(["0", "1", "2", "16", "-1", "x"])
PATTERNS = st.sampled_from(["*", "a*", "?", "[ab]*", "{t}*", "\\{*", "*x", "[^a]", "n"])
INDEXES = st.sampled_from(["0", "1", "2", "-1", "-2", "-3", "5", "100", "-100", "abc"])
COUNTS = st.sampled_from(["0", "1", "2", "3", "-1", "-2", "10", "abc"])
MEMBER_PATTERNS = st.sampled_from(["*", "1*", "?", "[ab]*", "f*", "*c"])
BIT_OFFSETS = st.sampled_from(["0", "1", "3", "7", "8", "15", "31", "63", "100", "-1", "abc", "4294967296"])
BYTE_RANGE = st.sampled_from(["0", "1", "2", "-1", "-2", "3", "10", "-100", "abc"])
SCORES = _mostly(["0", "1", "2", "-1", "2.5", "1e3", "-inf", "+inf", "inf", "-0", "3", "0x10", "1e-3"],
                 ["nan", "abc", " 1", "1e400", ""])
SCORE_BOUNDS = st.sampled_from(["-inf", "+inf", "0", "1", "(1", "2.5", "(2.5", "abc", "(", "10", "(-inf"])
LEX_BOUNDS = st.sampled_from(["-", "+", "[a", "(a", "[b", "(c", "[1", "[2", "a", "[", "(y", "[\xff"])
LIMIT_ARGS = st.sampled_from([("0", "1"), ("0", "2"), ("1", "10"), ("0", "-1"), ("2", "1"), ("-1", "5"),
                              ("abc", "1")])


def _name(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from([name, name.lower(), name.capitalize()])


def _cmd(check: str, name: str, *parts: st.SearchStrategy[Any]) -> st.SearchStrategy[Cmd]:
    return st.tuples(_name(name), *parts).map(lambda t: Cmd(check, tuple(_flatten(t))))


def _flatten(items: Any) -> Iterator[Arg]:
    for x in items:
        if isinstance(x, (list, tuple)):
            yield from _flatten(x)
        elif x is not None:
            yield x


def _opt(*choices: Any) -> st.SearchStrategy[Any]:
    return st.sampled_from([None, *choices])


def _some(strategy: st.SearchStrategy[Any], lo: int = 1, hi: int = 3) -> st.SearchStrategy[list[Any]]:
    return st.lists(strategy, min_size=lo, max_size=hi)


def _numkeys(draw: Any) -> list[Any]:
    """numkeys followed by that many keys (sometimes a wrong or bad numkeys)."""
    keys = draw(_some(KEYS))
    numkeys = draw(_mostly([str(len(keys))], ["0", "5", "-1", "abc"]))
    return [numkeys, *keys]


def _relative_expire_s() -> st.SearchStrategy[str]:
    return st.sampled_from(["100", "1000", "0", "-1", "abc", "9223372036854775807"])


def _relative_expire_ms() -> st.SearchStrategy[str]:
    return st.sampled_from(["100000", "5000000", "0", "-5", "x"])


EXPIRY_OPTION = st.one_of(
    st.none(),
    st.tuples(st.just("EX"), _relative_expire_s()),
    st.tuples(st.just("PX"), _relative_expire_ms()),
    st.tuples(st.just("EXAT"), st.sampled_from([str(t) for t in FUTURE_S + PAST_S] + ["0"])),
    st.tuples(st.just("PXAT"), st.sampled_from([str(t) for t in FUTURE_MS + PAST_MS])),
)


@st.composite
def set_cmd(draw: Any) -> Cmd:
    groups: list[list[str]] = []
    cond = draw(_opt("NX", "XX"))
    if cond:
        groups.append([cond])
    if draw(st.booleans()):
        groups.append(["GET"])
    exp = draw(st.one_of(EXPIRY_OPTION, st.just(("KEEPTTL",))))
    if exp:
        groups.append(list(exp))
    groups = draw(st.permutations(groups))
    if draw(st.integers(0, 9)) == 0:
        groups.append(draw(JUNK))
    return Cmd("exact", (draw(_name("SET")), draw(KEYS), draw(VALUES), *_flatten(groups)))


@st.composite
def getex_cmd(draw: Any) -> Cmd:
    opt = draw(st.one_of(EXPIRY_OPTION, st.just(("PERSIST",)), JUNK.map(tuple)))
    return Cmd("exact", (draw(_name("GETEX")), draw(KEYS), *(opt or ())))


@st.composite
def expire_cmd(draw: Any) -> Cmd:
    # Relative times never get GT/LT alone: two servers could see the same TTL a millisecond apart.
    name = draw(st.sampled_from(["EXPIRE", "PEXPIRE"]))
    value = draw(_relative_expire_s() if name == "EXPIRE" else _relative_expire_ms())
    opts = draw(st.sampled_from([[], ["NX"], ["XX"], ["NX", "XX"], ["GT", "LT"], ["NX", "GT"], ["bogus"]]))
    return Cmd("exact", (draw(_name(name)), draw(KEYS), value, *opts))


@st.composite
def expireat_cmd(draw: Any) -> Cmd:
    name = draw(st.sampled_from(["EXPIREAT", "PEXPIREAT"]))
    values = FUTURE_S + PAST_S if name == "EXPIREAT" else FUTURE_MS + PAST_MS
    value = str(draw(st.sampled_from(values)))
    opts = draw(st.sampled_from([[], ["NX"], ["XX"], ["GT"], ["LT"], ["XX", "GT"], ["GT", "LT"]]))
    return Cmd("exact", (draw(_name(name)), draw(KEYS), value, *opts))


@st.composite
def lcs_cmd(draw: Any) -> Cmd:
    opts = draw(st.sampled_from([[], ["LEN"], ["IDX"], ["IDX", "WITHMATCHLEN"], ["IDX", "MINMATCHLEN", "2"],
                                 ["LEN", "IDX"], ["MINMATCHLEN", "x"], ["foo"]]))
    return Cmd("exact", (draw(_name("LCS")), draw(KEYS), draw(KEYS), *opts))


@st.composite
def copy_cmd(draw: Any) -> Cmd:
    opts = draw(st.sampled_from([[], ["REPLACE"], ["DB", "1"], ["DB", "2", "REPLACE"], ["DB", "x"], ["foo"]]))
    return Cmd("exact", (draw(_name("COPY")), draw(KEYS), draw(KEYS), *opts))


@st.composite
def scan_cmd(draw: Any) -> Cmd:
    opts: list[str] = []
    if draw(st.booleans()):
        opts += ["MATCH", draw(PATTERNS)]
    if draw(st.booleans()):
        opts += ["TYPE", draw(st.sampled_from(["string", "list", "set", "hash", "zset", "nosuchtype"]))]
    return Cmd("scan", (draw(_name("SCAN")), "0", *opts, "COUNT", "1000"))


@st.composite
def key_scan_cmd(draw: Any, name: str) -> Cmd:
    opts: list[str] = []
    if draw(st.booleans()):
        opts += ["MATCH", draw(MEMBER_PATTERNS)]
    check = "scan" if name == "SSCAN" else "scan_pairs"
    return Cmd(check, (draw(_name(name)), draw(KEYS), "0", *opts, "COUNT", "1000"))


# -- hashes


@st.composite
def hset_cmd(draw: Any, name: str) -> Cmd:
    pairs = draw(_some(st.tuples(FIELDS, MEMBERS)))
    return Cmd("exact", (draw(_name(name)), draw(KEYS), *_flatten(pairs)))


@st.composite
def hrandfield_cmd(draw: Any) -> Cmd:
    count = draw(st.sampled_from(["0", "abc", "-9223372036854775808"]))
    return Cmd("exact", (draw(_name("HRANDFIELD")), draw(KEYS), count, *(draw(_opt(("WITHVALUES",))) or ())))


# -- lists


@st.composite
def pop_cmd(draw: Any, name: str) -> Cmd:
    count = draw(_opt("0", "1", "2", "5", "-1", "abc"))
    return Cmd("exact", (draw(_name(name)), draw(KEYS), *([count] if count else [])))


@st.composite
def linsert_cmd(draw: Any) -> Cmd:
    where = draw(st.sampled_from(["BEFORE", "AFTER", "before", "middle"]))
    return Cmd("exact", (draw(_name("LINSERT")), draw(KEYS), where, draw(MEMBERS), draw(MEMBERS)))


@st.composite
def lpos_cmd(draw: Any) -> Cmd:
    opts: list[list[str]] = []
    if draw(st.booleans()):
        opts.append(["RANK", draw(st.sampled_from(["1", "-1", "2", "-2", "0", "abc", "-9223372036854775808"]))])
    if draw(st.booleans()):
        opts.append(["COUNT", draw(st.sampled_from(["0", "1", "2", "-1"]))])
    if draw(st.booleans()):
        opts.append(["MAXLEN", draw(st.sampled_from(["0", "1", "3", "-1"]))])
    if draw(st.integers(0, 9)) == 0:
        opts.append(["bogus"])
    opts = draw(st.permutations(opts))
    return Cmd("exact", (draw(_name("LPOS")), draw(KEYS), draw(MEMBERS), *_flatten(opts)))


@st.composite
def lmove_cmd(draw: Any) -> Cmd:
    ends = st.sampled_from(["LEFT", "RIGHT", "left", "up"])
    return Cmd("exact", (draw(_name("LMOVE")), draw(KEYS), draw(KEYS), draw(ends), draw(ends)))


@st.composite
def lmpop_cmd(draw: Any) -> Cmd:
    where = draw(_mostly(["LEFT", "RIGHT", "right"], ["mid"]))
    count = draw(_mostly([[], [], ["COUNT", "1"], ["COUNT", "3"]], [["COUNT", "0"], ["COUNT", "x"], ["COUNT"]]))
    return Cmd("exact", (draw(_name("LMPOP")), *_numkeys(draw), where, *count))


# -- sets


@st.composite
def sintercard_cmd(draw: Any, name: str) -> Cmd:
    limit = draw(st.sampled_from([[], [], ["LIMIT", "0"], ["LIMIT", "1"], ["LIMIT", "-1"], ["LIMIT", "x"],
                                  ["bogus"]]))
    return Cmd("exact", (draw(_name(name)), *_numkeys(draw), *limit))


@st.composite
def spop_cmd(draw: Any) -> Cmd:
    # A count of at least the set's size pops every member (in hash order); smaller positive counts are random.
    count = draw(st.sampled_from(["0", "-1", "abc", "100"]))
    return Cmd("unordered" if count == "100" else "exact", (draw(_name("SPOP")), draw(KEYS), count))


# -- bitmaps


@st.composite
def bitcount_cmd(draw: Any) -> Cmd:
    rng: list[str] = []
    if draw(st.integers(0, 3)):
        rng = [draw(BYTE_RANGE), draw(BYTE_RANGE)]
        unit = draw(_opt("BYTE", "BIT", "bit", "word"))
        if unit:
            rng.append(unit)
    elif draw(st.booleans()):
        rng = [draw(BYTE_RANGE)]   # a start without an end is a syntax error
    return Cmd("exact", (draw(_name("BITCOUNT")), draw(KEYS), *rng))


@st.composite
def bitpos_cmd(draw: Any) -> Cmd:
    rng: list[str] = []
    n = draw(st.integers(0, 3))
    if n >= 1:
        rng.append(draw(BYTE_RANGE))
    if n >= 2:
        rng.append(draw(BYTE_RANGE))
    if n >= 3:
        rng.append(draw(st.sampled_from(["BYTE", "BIT", "nibble"])))
    bit = draw(st.sampled_from(["0", "1", "1", "0", "2"]))
    return Cmd("exact", (draw(_name("BITPOS")), draw(KEYS), bit, *rng))


@st.composite
def bitop_cmd(draw: Any) -> Cmd:
    op = draw(st.sampled_from(["AND", "OR", "XOR", "NOT", "and", "NOT", "nand"]))
    return Cmd("exact", (draw(_name("BITOP")), op, draw(KEYS), *draw(_some(KEYS, 1, 3))))


BF_TYPES = _mostly(["i8", "u8", "i5", "u1", "i16", "u16", "i64", "u63"], ["u64", "x8", "i0", "i65"])
BF_OFFSETS = _mostly(["0", "3", "#1", "#2", "16", "100"], ["-1", "#x", "4294967296"])
BF_VALUES = _mostly(["0", "1", "-1", "127", "255", "-128", "1000", "9223372036854775807"], ["abc", "1.5"])


@st.composite
def bitfield_cmd(draw: Any, name: str) -> Cmd:
    ops: list[list[str]] = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["GET", "GET", "SET", "INCRBY", "OVERFLOW", "bogus"]
                                    if name == "BITFIELD" else ["GET", "GET", "GET", "SET", "OVERFLOW"]))
        if kind == "GET":
            ops.append([kind, draw(BF_TYPES), draw(BF_OFFSETS)])
        elif kind in ("SET", "INCRBY"):
            ops.append([kind, draw(BF_TYPES), draw(BF_OFFSETS), draw(BF_VALUES)])
        elif kind == "OVERFLOW":
            ops.append([kind, draw(st.sampled_from(["WRAP", "SAT", "FAIL", "sat", "none"]))])
        else:
            ops.append([kind])
    return Cmd("exact", (draw(_name(name)), draw(KEYS), *_flatten(ops)))


# -- sorted sets


@st.composite
def zadd_cmd(draw: Any) -> Cmd:
    flags: list[str] = []
    for group in (["NX", "XX"], ["GT", "LT"], ["CH"], ["INCR"]):
        if draw(st.integers(0, 3)) == 0:
            flags.append(draw(st.sampled_from(group)))
    flags = draw(st.permutations(flags))
    pairs = draw(_some(st.tuples(SCORES, MEMBERS), 1, 1 if "INCR" in flags and draw(st.booleans()) else 3))
    if draw(st.integers(0, 15)) == 0:
        pairs.append((draw(SCORES),))   # an odd score/member list is a syntax error
    return Cmd("exact", (draw(_name("ZADD")), draw(KEYS), *flags, *_flatten(pairs)))


def _withscores(draw: Any) -> list[str]:
    return ["WITHSCORES"] if draw(st.integers(0, 2)) == 0 else []


def _limit(draw: Any) -> list[str]:
    return ["LIMIT", *draw(LIMIT_ARGS)] if draw(st.integers(0, 2)) == 0 else []


@st.composite
def zrange_cmd(draw: Any, name: str) -> Cmd:
    """ZRANGE and ZRANGESTORE with every mode; mode-incompatible options included on purpose."""
    mode = draw(st.sampled_from(["rank", "rank", "BYSCORE", "BYLEX"]))
    bounds = {"rank": INDEXES, "BYSCORE": SCORE_BOUNDS, "BYLEX": LEX_BOUNDS}[mode]
    opts: list[str] = [] if mode == "rank" else [mode]
    if draw(st.booleans()):
        opts.append("REV")
    opts += _limit(draw)
    if name == "ZRANGE":
        opts += _withscores(draw)
    keys = [draw(KEYS), draw(KEYS)] if name == "ZRANGESTORE" else [draw(KEYS)]
    check = "lex_store" if mode == "BYLEX" and name == "ZRANGESTORE" else "lex" if mode == "BYLEX" else "exact"
    return Cmd(check, (draw(_name(name)), *keys, draw(bounds), draw(bounds), *opts))


@st.composite
def zrangeby_cmd(draw: Any, name: str) -> Cmd:
    bounds = LEX_BOUNDS if "LEX" in name else SCORE_BOUNDS
    groups = [g for g in ([] if "LEX" in name else _withscores(draw), _limit(draw)) if g]
    opts = _flatten(draw(st.permutations(groups)))
    return Cmd("lex" if "LEX" in name else "exact", (draw(_name(name)), draw(KEYS), draw(bounds), draw(bounds), *opts))


@st.composite
def zsetop_cmd(draw: Any, name: str) -> Cmd:
    """ZUNION/ZINTER/ZDIFF and their STORE forms; set keys are valid inputs (score 1)."""
    head: list[Any] = [draw(KEYS)] if name.endswith("STORE") else []
    args = _numkeys(draw)
    opts: list[list[str]] = []
    if draw(st.integers(0, 2)) == 0:
        n = draw(st.sampled_from([len(args) - 1, len(args) - 1, 1]))
        opts.append(["WEIGHTS", *[draw(st.sampled_from(["1", "2", "-1", "0.5", "inf", "abc"])) for _ in range(n)]])
    if draw(st.integers(0, 2)) == 0:
        opts.append(["AGGREGATE", draw(st.sampled_from(["SUM", "MIN", "MAX", "avg"]))])
    if not name.endswith("STORE") and draw(st.booleans()):
        opts.append(["WITHSCORES"])
    return Cmd("exact", (draw(_name(name)), *head, *args, *_flatten(draw(st.permutations(opts)))))


@st.composite
def zmpop_cmd(draw: Any) -> Cmd:
    where = draw(_mostly(["MIN", "MAX", "max"], ["mid"]))
    count = draw(_mostly([[], [], ["COUNT", "1"], ["COUNT", "3"]], [["COUNT", "0"], ["COUNT", "x"], ["COUNT"]]))
    return Cmd("exact", (draw(_name("ZMPOP")), *_numkeys(draw), where, *count))


@st.composite
def zrandmember_cmd(draw: Any) -> Cmd:
    count = draw(st.sampled_from(["0", "abc"]))
    return Cmd("exact", (draw(_name("ZRANDMEMBER")), draw(KEYS), count, *(draw(_opt(("WITHSCORES",))) or ())))


WRONG_ARITY = ["GET", "SET", "APPEND", "GETRANGE", "SETEX", "MSET", "INCRBY", "RENAME", "EXPIRE", "TTL", "SELECT",
               "ECHO", "MOVE", "SWAPDB", "LCS", "OBJECT", "HSET", "HGET", "HINCRBY", "LPUSH", "LSET", "LINSERT",
               "SADD", "SMOVE", "SINTERCARD", "SETBIT", "BITOP", "ZADD", "ZRANGE", "ZUNIONSTORE", "PFMERGE"]


@st.composite
def wrong_arity_cmd(draw: Any, supported: frozenset[str]) -> Cmd:
    name = draw(st.sampled_from([n for n in WRONG_ARITY if n in supported]))
    extra = draw(st.sampled_from([[], ["a"], ["a", "b", "c", "d", "e", "f"]]))
    return Cmd("exact", (draw(_name(name)), *extra))


def _weighted(*pairs: tuple[int, st.SearchStrategy[Cmd]]) -> st.SearchStrategy[Cmd]:
    pool = [s for w, s in pairs for _ in range(w)]
    return st.sampled_from(pool).flatmap(lambda s: s)


Row = tuple[int, str, st.SearchStrategy[Cmd]]


def command_rows(supported: frozenset[str]) -> dict[str, list[Row]]:
    """Every command family: (weight, command name, strategy) rows."""
    return {
        "string": [
            (6, "GET", _cmd("exact", "GET", KEYS)),
            (8, "SET", set_cmd()),
            (2, "SETNX", _cmd("exact", "SETNX", KEYS, VALUES)),
            (2, "SETEX", _cmd("exact", "SETEX", KEYS, _relative_expire_s(), VALUES)),
            (1, "PSETEX", _cmd("exact", "PSETEX", KEYS, _relative_expire_ms(), VALUES)),
            (2, "GETSET", _cmd("exact", "GETSET", KEYS, VALUES)),
            (2, "GETDEL", _cmd("exact", "GETDEL", KEYS)),
            (3, "GETEX", getex_cmd()),
            (2, "MSET", _cmd("exact", "MSET", _some(st.tuples(KEYS, VALUES)))),
            (1, "MSET", _cmd("exact", "MSET", KEYS)),
            (2, "MSETNX", _cmd("exact", "MSETNX", _some(st.tuples(KEYS, VALUES)))),
            (2, "MGET", _cmd("exact", "MGET", _some(KEYS, 1, 4))),
            (3, "APPEND", _cmd("exact", "APPEND", KEYS, VALUES)),
            (2, "STRLEN", _cmd("exact", "STRLEN", KEYS)),
            (2, "GETRANGE", _cmd("exact", "GETRANGE", KEYS, OFFSETS, OFFSETS)),
            (1, "SUBSTR", _cmd("exact", "SUBSTR", KEYS, OFFSETS, OFFSETS)),
            (2, "SETRANGE", _cmd("exact", "SETRANGE", KEYS, SETRANGE_OFFSETS, VALUES)),
            (4, "INCR", _cmd("exact", "INCR", KEYS)),
            (2, "DECR", _cmd("exact", "DECR", KEYS)),
            (3, "INCRBY", _cmd("exact", "INCRBY", KEYS, INTS)),
            (2, "DECRBY", _cmd("exact", "DECRBY", KEYS, INTS)),
            (3, "INCRBYFLOAT", _cmd("exact", "INCRBYFLOAT", KEYS, FLOATS)),
            (1, "LCS", lcs_cmd()),
        ],
        "keyspace": [
            (4, "DEL", _cmd("exact", "DEL", _some(KEYS))),
            (1, "UNLINK", _cmd("exact", "UNLINK", _some(KEYS))),
            (3, "EXISTS", _cmd("exact", "EXISTS", _some(KEYS))),
            (4, "TYPE", _cmd("exact", "TYPE", KEYS)),
            (3, "RENAME", _cmd("exact", "RENAME", KEYS, KEYS)),
            (2, "RENAMENX", _cmd("exact", "RENAMENX", KEYS, KEYS)),
            (3, "COPY", copy_cmd()),
            (2, "MOVE", _cmd("exact", "MOVE", KEYS, DBS)),
            (2, "KEYS", _cmd("sorted", "KEYS", PATTERNS)),
            (1, "SCAN", scan_cmd()),
            (1, "RANDOMKEY", _cmd("type", "RANDOMKEY")),
            (1, "TOUCH", _cmd("exact", "TOUCH", _some(KEYS))),
            (5, "OBJECT", _cmd("exact", "OBJECT", st.just("ENCODING"), KEYS)),
            (3, "EXPIRE", expire_cmd()),
            (3, "EXPIREAT", expireat_cmd()),
            (4, "TTL", _cmd("ttl", "TTL", KEYS)),
            (2, "PTTL", _cmd("pttl", "PTTL", KEYS)),
            (1, "EXPIRETIME", _cmd("ttl", "EXPIRETIME", KEYS)),
            (1, "PEXPIRETIME", _cmd("pttl", "PEXPIRETIME", KEYS)),
            (2, "PERSIST", _cmd("exact", "PERSIST", KEYS)),
            (2, "DBSIZE", _cmd("dbsize", "DBSIZE")),
            (2, "SELECT", _cmd("exact", "SELECT", DBS)),
            (1, "SWAPDB", _cmd("exact", "SWAPDB", DBS, DBS)),
            (1, "FLUSHDB", _cmd("exact", "FLUSHDB", _opt("ASYNC", "SYNC", "bogus"))),
            (1, "ECHO", _cmd("exact", "ECHO", VALUES)),
            (1, "PING", _cmd("exact", "PING", _opt("hi", ""))),
            (4, "WRONG_ARITY", wrong_arity_cmd(supported)),
            (1, "NOSUCHCOMMAND", _cmd("exact", "NOSUCHCOMMAND", _some(KEYS, 0, 2))),
        ],
        "hash": [
            (6, "HSET", hset_cmd("HSET")),
            (1, "HSET", _cmd("exact", "HSET", KEYS, FIELDS)),
            (2, "HSETNX", _cmd("exact", "HSETNX", KEYS, FIELDS, MEMBERS)),
            (1, "HMSET", hset_cmd("HMSET")),
            (4, "HGET", _cmd("exact", "HGET", KEYS, FIELDS)),
            (2, "HMGET", _cmd("exact", "HMGET", KEYS, _some(FIELDS))),
            (3, "HDEL", _cmd("exact", "HDEL", KEYS, _some(FIELDS))),
            (2, "HLEN", _cmd("exact", "HLEN", KEYS)),
            (1, "HSTRLEN", _cmd("exact", "HSTRLEN", KEYS, FIELDS)),
            (2, "HEXISTS", _cmd("exact", "HEXISTS", KEYS, FIELDS)),
            (3, "HINCRBY", _cmd("exact", "HINCRBY", KEYS, FIELDS, INTS)),
            (3, "HINCRBYFLOAT", _cmd("exact", "HINCRBYFLOAT", KEYS, FIELDS, FLOATS)),
            (2, "HKEYS", _cmd("members", "HKEYS", KEYS)),
            (2, "HVALS", _cmd("members", "HVALS", KEYS)),
            (3, "HGETALL", _cmd("pairs", "HGETALL", KEYS)),
            (1, "HSCAN", key_scan_cmd("HSCAN")),
            (1, "HRANDFIELD", hrandfield_cmd()),
        ],
        "list": [
            (5, "LPUSH", _cmd("exact", "LPUSH", KEYS, _some(MEMBERS, 1, 4))),
            (4, "RPUSH", _cmd("exact", "RPUSH", KEYS, _some(MEMBERS, 1, 4))),
            (1, "LPUSHX", _cmd("exact", "LPUSHX", KEYS, _some(MEMBERS))),
            (1, "RPUSHX", _cmd("exact", "RPUSHX", KEYS, _some(MEMBERS))),
            (3, "LPOP", pop_cmd("LPOP")),
            (3, "RPOP", pop_cmd("RPOP")),
            (2, "LLEN", _cmd("exact", "LLEN", KEYS)),
            (2, "LINDEX", _cmd("exact", "LINDEX", KEYS, INDEXES)),
            (2, "LSET", _cmd("exact", "LSET", KEYS, INDEXES, MEMBERS)),
            (4, "LRANGE", _cmd("exact", "LRANGE", KEYS, INDEXES, INDEXES)),
            (2, "LTRIM", _cmd("exact", "LTRIM", KEYS, INDEXES, INDEXES)),
            (2, "LREM", _cmd("exact", "LREM", KEYS, COUNTS, MEMBERS)),
            (2, "LINSERT", linsert_cmd()),
            (2, "LPOS", lpos_cmd()),
            (2, "LMOVE", lmove_cmd()),
            (1, "RPOPLPUSH", _cmd("exact", "RPOPLPUSH", KEYS, KEYS)),
            (2, "LMPOP", lmpop_cmd()),
        ],
        "set": [
            (6, "SADD", _cmd("exact", "SADD", KEYS, _some(MEMBERS, 1, 4))),
            (3, "SREM", _cmd("exact", "SREM", KEYS, _some(MEMBERS))),
            (2, "SCARD", _cmd("exact", "SCARD", KEYS)),
            (2, "SISMEMBER", _cmd("exact", "SISMEMBER", KEYS, MEMBERS)),
            (1, "SMISMEMBER", _cmd("exact", "SMISMEMBER", KEYS, _some(MEMBERS))),
            (3, "SMEMBERS", _cmd("members", "SMEMBERS", KEYS)),
            (2, "SMOVE", _cmd("exact", "SMOVE", KEYS, KEYS, MEMBERS)),
            (2, "SINTER", _cmd("unordered", "SINTER", _some(KEYS))),
            (2, "SUNION", _cmd("unordered", "SUNION", _some(KEYS))),
            (2, "SDIFF", _cmd("unordered", "SDIFF", _some(KEYS))),
            (2, "SINTERSTORE", _cmd("exact", "SINTERSTORE", KEYS, _some(KEYS))),
            (2, "SUNIONSTORE", _cmd("exact", "SUNIONSTORE", KEYS, _some(KEYS))),
            (2, "SDIFFSTORE", _cmd("exact", "SDIFFSTORE", KEYS, _some(KEYS))),
            (2, "SINTERCARD", sintercard_cmd("SINTERCARD")),
            (1, "SSCAN", key_scan_cmd("SSCAN")),
            (2, "SPOP", spop_cmd()),
            (1, "SRANDMEMBER", _cmd("exact", "SRANDMEMBER", KEYS, st.sampled_from(["0", "abc"]))),
        ],
        "bitmap": [
            (4, "SETBIT", _cmd("exact", "SETBIT", KEYS, BIT_OFFSETS, st.sampled_from(["0", "1", "1", "2"]))),
            (3, "GETBIT", _cmd("exact", "GETBIT", KEYS, BIT_OFFSETS)),
            (3, "BITCOUNT", bitcount_cmd()),
            (2, "BITPOS", bitpos_cmd()),
            (2, "BITOP", bitop_cmd()),
            (3, "BITFIELD", bitfield_cmd("BITFIELD")),
            (1, "BITFIELD_RO", bitfield_cmd("BITFIELD_RO")),
        ],
        "zset": [
            (7, "ZADD", zadd_cmd()),
            (2, "ZINCRBY", _cmd("exact", "ZINCRBY", KEYS, SCORES, MEMBERS)),
            (3, "ZSCORE", _cmd("exact", "ZSCORE", KEYS, MEMBERS)),
            (1, "ZMSCORE", _cmd("exact", "ZMSCORE", KEYS, _some(MEMBERS))),
            (2, "ZCARD", _cmd("exact", "ZCARD", KEYS)),
            (2, "ZCOUNT", _cmd("exact", "ZCOUNT", KEYS, SCORE_BOUNDS, SCORE_BOUNDS)),
            (1, "ZLEXCOUNT", _cmd("lex", "ZLEXCOUNT", KEYS, LEX_BOUNDS, LEX_BOUNDS)),
            (5, "ZRANGE", zrange_cmd("ZRANGE")),
            (2, "ZRANGEBYSCORE", zrangeby_cmd("ZRANGEBYSCORE")),
            (1, "ZREVRANGEBYSCORE", zrangeby_cmd("ZREVRANGEBYSCORE")),
            (1, "ZRANGEBYLEX", zrangeby_cmd("ZRANGEBYLEX")),
            (1, "ZREVRANGEBYLEX", zrangeby_cmd("ZREVRANGEBYLEX")),
            (1, "ZREVRANGE", _cmd("exact", "ZREVRANGE", KEYS, INDEXES, INDEXES, _opt("WITHSCORES", "bogus"))),
            (2, "ZRANK", _cmd("exact", "ZRANK", KEYS, MEMBERS)),
            (1, "ZREVRANK", _cmd("exact", "ZREVRANK", KEYS, MEMBERS)),
            (3, "ZREM", _cmd("exact", "ZREM", KEYS, _some(MEMBERS))),
            (1, "ZREMRANGEBYRANK", _cmd("exact", "ZREMRANGEBYRANK", KEYS, INDEXES, INDEXES)),
            (1, "ZREMRANGEBYSCORE", _cmd("exact", "ZREMRANGEBYSCORE", KEYS, SCORE_BOUNDS, SCORE_BOUNDS)),
            (1, "ZREMRANGEBYLEX", _cmd("lex", "ZREMRANGEBYLEX", KEYS, LEX_BOUNDS, LEX_BOUNDS)),
            (2, "ZPOPMIN", pop_cmd("ZPOPMIN")),
            (2, "ZPOPMAX", pop_cmd("ZPOPMAX")),
            (1, "ZMPOP", zmpop_cmd()),
            (2, "ZUNIONSTORE", zsetop_cmd("ZUNIONSTORE")),
            (2, "ZINTERSTORE", zsetop_cmd("ZINTERSTORE")),
            (1, "ZDIFFSTORE", zsetop_cmd("ZDIFFSTORE")),
            (1, "ZUNION", zsetop_cmd("ZUNION")),
            (1, "ZINTER", zsetop_cmd("ZINTER")),
            (1, "ZDIFF", zsetop_cmd("ZDIFF")),
            (1, "ZRANGESTORE", zrange_cmd("ZRANGESTORE")),
            (1, "ZINTERCARD", sintercard_cmd("ZINTERCARD")),
            (1, "ZSCAN", key_scan_cmd("ZSCAN")),
            (1, "ZRANDMEMBER", zrandmember_cmd()),
        ],
        "hyperloglog": [
            (5, "PFADD", _cmd("exact", "PFADD", KEYS, _some(st.one_of(MEMBERS, VALUES), 0, 4))),
            (3, "PFCOUNT", _cmd("exact", "PFCOUNT", _some(KEYS))),
            (2, "PFMERGE", _cmd("exact", "PFMERGE", KEYS, _some(KEYS, 0, 2))),
        ],
    }


# Commands drawn (weight 1) whatever families a sequence focuses on, so every sequence meets other types.
COLLIDERS = {"SET", "LPUSH", "SADD", "HSET", "ZADD", "PFADD", "SETBIT", "TYPE", "DEL", "RENAME", "COPY", "OBJECT",
             "EXPIRE", "WRONG_ARITY", "NOSUCHCOMMAND"}
ALWAYS = {"WRONG_ARITY", "NOSUCHCOMMAND"}


def sequence_strategy(supported: frozenset[str]) -> st.SearchStrategy[list[Cmd]]:
    """10-60 commands focused on one to three families (deep enough to build up real values), plus the
    colliders; only commands pyredcache has (and one unknown command)."""
    rows = command_rows(supported)
    families = sorted(rows)
    cache: dict[frozenset[str], st.SearchStrategy[Cmd]] = {}

    def commands(chosen: frozenset[str]) -> st.SearchStrategy[Cmd]:
        if chosen not in cache:
            pool = [(w if family in chosen else 1, s) for family, group in rows.items() for w, name, s in group
                    if (name in supported or name in ALWAYS) and (family in chosen or name in COLLIDERS)]
            cache[chosen] = _weighted(*pool)
        return cache[chosen]

    focus = st.frozensets(st.sampled_from(families), min_size=1, max_size=3)
    return focus.flatmap(lambda chosen: st.lists(commands(chosen), min_size=10, max_size=60))


# -------------------------------------------------------------------------------------- replies

def parse(raw: bytes, pos: int = 0) -> tuple[Any, int]:
    """A raw RESP2/RESP3 reply as nested Python values (aggregates as lists); returns (value, end)."""
    nl = raw.index(b"\r\n", pos)
    kind, line, after = raw[pos:pos + 1], raw[pos + 1:nl], nl + 2
    if kind in (b"$", b"=", b"!"):
        n = int(line)
        if n < 0:
            return None, after
        return raw[after:after + n], after + n + 2
    if kind in (b"*", b"~", b"%", b">"):
        n = int(line)
        if n < 0:
            return None, after
        if kind == b"%":
            n *= 2
        items = []
        for _ in range(n):
            item, after = parse(raw, after)
            items.append(item)
        return items, after
    if kind == b"_":
        return None, after
    return kind + line, after


def _int_reply(raw: bytes) -> int | None:
    return int(raw[1:-2]) if raw[:1] == b":" else None


def _multiset(items: list[Any]) -> list[Any]:
    return sorted(items, key=repr)


def _pairs(items: list[Any]) -> list[Any]:
    return _multiset([items[i:i + 2] for i in range(0, len(items), 2)])


def replies_agree(cmd: Cmd, ours: bytes, theirs: bytes) -> bool:
    if ours == theirs:
        return True
    if cmd.check in ("ttl", "pttl"):
        a, b = _int_reply(ours), _int_reply(theirs)
        if a is None or b is None or a < 0 or b < 0:
            return False
        return abs(a - b) <= (TTL_DELTA_S if cmd.check == "ttl" else PTTL_DELTA_MS)
    if cmd.check == "type":
        return ours[:1] == theirs[:1]
    if ours[:1] != theirs[:1] or ours[:1] not in (b"*", b"~", b"%"):
        return False
    a, b = parse(ours)[0], parse(theirs)[0]
    if cmd.check in ("sorted", "unordered", "members"):
        return _multiset(a) == _multiset(b)
    if cmd.check == "pairs":
        return _pairs(a) == _pairs(b)
    if cmd.check in ("scan", "scan_pairs"):
        (c1, k1), (c2, k2) = a, b
        same = _multiset(k1) == _multiset(k2) if cmd.check == "scan" else _pairs(k1) == _pairs(k2)
        return bool(c1 == c2 and same)
    return False


# ----------------------------------------------------------------------------------------- runner

class Pair:
    """One connection to each server, reset to db 0 / RESP2 with an empty keyspace."""

    def __init__(self, ports: tuple[int, int]) -> None:
        self.ours = RawClient(ports[0])
        self.redis = RawClient(ports[1])
        self.log: list[str] = []

    def close(self) -> None:
        self.ours.close()
        self.redis.close()

    def both(self, *argv: Arg) -> tuple[bytes, bytes]:
        data = encode_command(*argv)
        self.ours.send(data)
        self.redis.send(data)
        return self.ours.read_reply(), self.redis.read_reply()

    def check(self, cmd: Cmd) -> None:
        if cmd.check == "dbsize":
            # DBSIZE counts keys whose (past) expire time has not been reclaimed yet, and active expiry
            # reclaims them at its own pace. SCAN lazily expires every key it visits (scanGenericCommand),
            # so one full pass first makes the count deterministic on both servers.
            self.both("SCAN", "0", "COUNT", "1000")
        if cmd.check in ("lex", "lex_store"):
            if self.lex_undefined(cmd.argv[2 if cmd.check == "lex_store" else 1]):
                self.log.append(f"{cmd!r} -> (not sent: lex range over a skiplist with unequal scores)")
                return
            cmd = Cmd("exact", cmd.argv)
        if cmd.check in ("members", "pairs"):
            # The reply order is defined by the encoding, so the encodings must agree first.
            encoding = Cmd("exact", ("OBJECT", "ENCODING", cmd.argv[1]))
            self.check(encoding)
            if parse(self.redis.command(*encoding.argv))[0] in ORDERED_ENCODINGS:
                cmd = Cmd("exact", cmd.argv)
        ours, theirs = self.both(*cmd.argv)
        self.log.append(f"{cmd!r} -> {ours[:120]!r}")
        if not replies_agree(cmd, ours, theirs):
            history = "\n  ".join(self.log[-40:])
            raise AssertionError(f"{cmd!r}:\n  pyredcache {ours!r}\n  redis      {theirs!r}\n"
                                 f"sequence so far (last 40):\n  {history}")

    def lex_undefined(self, key: Arg) -> bool:
        """Lex ranges over unequal scores are unspecified, and on a skiplist Redis's answer depends on its random
        node levels (zslLastInLexRange/zslFirstInLexRange descend by level); on a listpack it is a defined scan."""
        encoding = Cmd("exact", ("OBJECT", "ENCODING", key))
        self.check(encoding)
        if parse(self.redis.command(*encoding.argv))[0] != b"skiplist":
            return False
        ours, theirs = self.both("ZRANGE", key, "0", "-1", "WITHSCORES")
        items = parse(theirs)[0]
        scores = {pair[1] for pair in items} if items and isinstance(items[0], list) else set(items[1::2])
        return len(scores) > 1

    def compare_state(self, supported: set[str]) -> None:
        """Every db: the same keys, and per key the same type, TTL (±1s), value and encoding."""
        dumps = {b"+string\r\n": Cmd("exact", ("GET",)), b"+list\r\n": Cmd("exact", ("LRANGE",)),
                 b"+set\r\n": Cmd("members", ("SMEMBERS",)), b"+hash\r\n": Cmd("pairs", ("HGETALL",)),
                 b"+zset\r\n": Cmd("exact", ("ZRANGE",))}
        tails: dict[str, tuple[str, ...]] = {"LRANGE": ("0", "-1"), "ZRANGE": ("0", "-1", "WITHSCORES")}
        for db in ("0", "1", "2"):
            self.check(Cmd("exact", ("SELECT", db)))
            self.check(Cmd("sorted", ("KEYS", "*")))
            self.check(Cmd("dbsize", ("DBSIZE",)))
            keys = parse(self.ours.command("KEYS", "*"))[0]
            for key in keys:
                self.check(Cmd("exact", ("TYPE", key)))
                self.check(Cmd("ttl", ("TTL", key)))
                dump = dumps.get(self.ours.command("TYPE", key))
                if dump is not None and dump.name in supported:
                    name = str(dump.argv[0])
                    self.check(Cmd(dump.check, (name, key, *tails.get(name, ()))))
                if "OBJECT|ENCODING" in supported:
                    self.check(Cmd("exact", ("OBJECT", "ENCODING", key)))


def _supported(port: int, names: list[str]) -> set[str]:
    """Which commands pyredcache knows (anything but "unknown command"/"unknown subcommand")."""
    c = RawClient(port)
    try:
        known = set()
        for name in names:
            reply = c.command(*name.split("|"))
            if not reply.startswith((b"-ERR unknown command", b"-ERR unknown subcommand")):
                known.add(name)
        c.command("FLUSHALL")
        return known
    finally:
        c.close()


@dataclass
class Servers:
    ports: tuple[int, int]
    supported: set[str]


@pytest.fixture(scope="module")
def servers(pyredcache_proc: ServerProcess, redis_proc: ServerProcess) -> Servers:
    # Probing with a bare name is safe: the write commands here all fail arity without arguments,
    # and the argument-less ones (DBSIZE, RANDOMKEY, FLUSHDB, PING, SCAN...) touch nothing that matters.
    supported = _supported(pyredcache_proc.port, ALL_COMMANDS)
    return Servers((pyredcache_proc.port, redis_proc.port), supported)


@pytest.mark.parametrize("group", sorted(REQUIRED_GROUPS))
def test_random_sequences_cover_every_command(servers: Servers, group: str) -> None:
    missing = [n for n in REQUIRED_GROUPS[group] if n not in servers.supported]
    assert not missing, f"pyredcache lacks {group} commands the random sequences exercise: {missing}"


@pytest.mark.parametrize("group", sorted(LANDING_GROUPS))
def test_random_sequences_cover_landed_groups(servers: Servers, group: str) -> None:
    names = LANDING_GROUPS[group]
    missing = [n for n in names if n not in servers.supported]
    if len(missing) == len(names):
        pytest.skip(f"pyredcache has no {group} commands yet")
    assert not missing, f"pyredcache lacks {group} commands the random sequences exercise: {missing}"


# Local exploration knobs: PYREDCACHE_SEQ_EXAMPLES=5000 PYREDCACHE_SEQ_RANDOM=1 (a fresh seed each run) and
# PYREDCACHE_SEQ_SKIP=zset,hyperloglog (leave groups out while chasing a bug elsewhere).
SETTINGS = settings(derandomize=not os.environ.get("PYREDCACHE_SEQ_RANDOM"),
                    max_examples=int(os.environ.get("PYREDCACHE_SEQ_EXAMPLES", "600")), deadline=None,
                    database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SKIP_GROUPS = {g for g in os.environ.get("PYREDCACHE_SEQ_SKIP", "").split(",") if g}


def run_sequences(ports: tuple[int, int], supported: set[str], examples: int) -> None:
    """Hypothesis over whole sequences: each starts from FLUSHALL (RESP2 or RESP3) and ends comparing state."""
    missing = [n for n in ALL_COMMANDS if n not in supported]
    if missing:
        warnings.warn(f"random sequences skip commands pyredcache lacks: {missing}", stacklevel=1)
    skipped = {n for g in SKIP_GROUPS for n in {**REQUIRED_GROUPS, **LANDING_GROUPS}[g]}
    sequences = sequence_strategy(frozenset(n.split("|")[0] for n in supported if n not in skipped))
    protocols = [2, 3] if "HELLO" in supported else [2]

    @settings(SETTINGS, max_examples=examples)
    @given(st.sampled_from(protocols), sequences)
    def run(protocol: int, sequence: list[Cmd]) -> None:
        pair = Pair(ports)
        try:
            pair.both("FLUSHALL")
            if protocol == 3:
                ours, theirs = pair.both("HELLO", "3")
                assert ours[:1] == theirs[:1] == b"%", (ours, theirs)
            pair.log.append(f"(RESP{protocol})")
            for cmd in sequence:
                pair.check(cmd)
            pair.compare_state(supported)
        finally:
            pair.close()

    run()


def test_random_command_sequences_match_redis(servers: Servers) -> None:
    run_sequences(servers.ports, servers.supported, SETTINGS.max_examples)


# Encoding thresholds a few elements cross: conversions (listpack -> hashtable/skiplist, intset -> hashtable,
# sparse -> dense HLL) happen within short sequences, on both servers alike.
SMALL_ENCODINGS = {"hash-max-listpack-entries": "3", "hash-max-listpack-value": "8", "set-max-intset-entries": "3",
                   "zset-max-listpack-entries": "3", "zset-max-listpack-value": "8", "hll-sparse-max-bytes": "40"}


def test_random_command_sequences_small_encoding_thresholds_match_redis(servers: Servers,
                                                                        server_factory: Any) -> None:
    ours = server_factory(kind="pyredcache", **{k.replace("-", "_"): v for k, v in SMALL_ENCODINGS.items()})
    theirs = server_factory(kind="redis", **{k.replace("-", "_"): v for k, v in SMALL_ENCODINGS.items()})
    run_sequences((ours.port, theirs.port), servers.supported, max(1, SETTINGS.max_examples // 3))


# Sequences the random runs once found diverging (kept as fixed regressions; each replays in a fresh keyspace).
FOUND = [
    # lindexCommand looks the key up (nil, or WRONGTYPE) before it parses the index.
    [("LINDEX", "nokey", "abc"), ("SET", "s", "v"), ("LINDEX", "s", "abc"), ("RPUSH", "l", "x"),
     ("LINDEX", "l", "abc")],
    # BITCOUNT: start > end, both negative, answers 0 before the unit is parsed; a start alone is a syntax
    # error before the start is parsed as an integer.
    [("PFADD", "b", "x"), ("BITCOUNT", "b", "-2", "-100", "word"), ("BITCOUNT", "b", "0", "-100", "word"),
     ("BITCOUNT", "b", "abc"), ("BITCOUNT", "b", "1"), ("BITCOUNT", "nokey", "abc")],
    # A lone "(" is an exclusive 0 score bound (strtod of the empty rest parses as 0).
    [("ZADD", "z", "-1", "a", "0", "b", "1", "c"), ("ZCOUNT", "z", "-inf", "("), ("ZRANGEBYSCORE", "z", "(", "+inf"),
     ("ZRANGE", "z", "(", "(2.5", "BYSCORE", "REV")],
]


@pytest.mark.parametrize("sequence", FOUND, ids=["lindex", "bitcount", "zset-score-bound"])
def test_found_sequences_match_redis(servers: Servers, sequence: list[tuple[str, ...]]) -> None:
    if any(argv[0] not in servers.supported for argv in sequence):
        pytest.skip("pyredcache lacks a command of this sequence")
    pair = Pair(servers.ports)
    try:
        pair.both("FLUSHALL")
        for argv in sequence:
            pair.check(Cmd("exact", argv))
    finally:
        pair.close()
