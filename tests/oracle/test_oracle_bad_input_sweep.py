"""Bad-input sweep over every command of the data-type and generic groups, against redis-server 7.0.15.

Both servers hold the same small data set (every type and encoding, a TTL, integer/float/overflow strings).
For each command the sweep sends, generated from the command table and TEMPLATES: the command with one key
argument replaced by a key of the wrong type, with one argument too few (and one too many for fixed arity);
and from BAD: bad integers and floats (non-numbers, out of range, NaN/inf, non-float increments), out-of-range
indexes and option syntax errors. Every reply must equal redis-server's, and after every call a full dump of
both keyspaces (TYPE, PTTL, OBJECT ENCODING and contents of every key) must still agree, so an error leaves
nothing changed; so must the keyspace events published, the change (dirty) counter and the error statistics.
Every case runs once on its own and once inside MULTI/EXEC. A guard test fails when the table gains a command of these groups without a template.
"""
from __future__ import annotations

import pytest
from helpers.oracle import Oracle, split_array
from helpers.rawclient import RawClient, encode_command

from pyredcache.commands import TABLE
from pyredcache.commands.table import CommandSpec
from pyredcache.persistence.dump import create_dump_payload

pytestmark = pytest.mark.oracle

GROUPS = ("string", "list", "hash", "set", "sorted-set", "bitmap", "hyperloglog", "generic")
I64_MAX = "9223372036854775807"
I64_MIN = "-9223372036854775808"
I64_OVER = "9223372036854775808"
U64_OVER = "18446744073709551616"

SEED: list[tuple[str, ...]] = [
    ("SET", "str", "hello"), ("SET", "int", "42"), ("SET", "flt", "3.5"), ("SET", "big", I64_MAX),
    ("SET", "min", I64_MIN), ("SET", "pad", " 42"), ("SET", "ttlk", "v", "EX", "1000"),
    ("RPUSH", "list", "a", "b", "c", "1", "2"),
    ("HSET", "hash", "f1", "v1", "f2", "2", "f3", "1.5", "fbig", I64_MAX),
    ("SADD", "set", "a", "b", "c"), ("SADD", "iset", "1", "2", "3"),
    ("ZADD", "zset", "1", "a", "2", "b", "3", "c", "+inf", "top"),
    ("PFADD", "hll", "a", "b", "c"), ("SETBIT", "bits", "7", "1"),
]

# One valid invocation per command, on keys of the right type: the base for the wrong-type and arity cases.
# A DUMP payload of the string "val", byte-identical to redis-server's, for the RESTORE template.
_PAYLOAD = create_dump_payload(b"val")

TEMPLATES: dict[str, tuple[str | bytes, ...]] = {
    "wait": ("WAIT", "0", "0"),
    "dump": ("DUMP", "str"), "restore": ("RESTORE", "newkey", "0", _PAYLOAD),
    # port 1 refuses at once: keys that exist fail with IOERR, missing ones answer NOKEY before connecting
    "migrate": ("MIGRATE", "127.0.0.1", "1", "nokey", "0", "100"),
    # string
    "get": ("GET", "str"), "set": ("SET", "str", "v"), "setnx": ("SETNX", "str", "v"),
    "setex": ("SETEX", "str", "10", "v"), "psetex": ("PSETEX", "str", "10000", "v"), "getset": ("GETSET", "str", "v"),
    "getdel": ("GETDEL", "str"), "getex": ("GETEX", "str"), "mget": ("MGET", "str", "int"),
    "mset": ("MSET", "str", "v"), "msetnx": ("MSETNX", "str", "v"), "append": ("APPEND", "str", "x"),
    "setrange": ("SETRANGE", "str", "1", "x"), "strlen": ("STRLEN", "str"),
    "getrange": ("GETRANGE", "str", "0", "-1"), "substr": ("SUBSTR", "str", "0", "-1"), "incr": ("INCR", "int"),
    "decr": ("DECR", "int"), "incrby": ("INCRBY", "int", "5"), "decrby": ("DECRBY", "int", "5"),
    "incrbyfloat": ("INCRBYFLOAT", "flt", "1.5"), "lcs": ("LCS", "str", "flt"),
    # list
    "lpush": ("LPUSH", "list", "x"), "rpush": ("RPUSH", "list", "x"), "lpushx": ("LPUSHX", "list", "x"),
    "rpushx": ("RPUSHX", "list", "x"), "lpop": ("LPOP", "list"), "rpop": ("RPOP", "list"), "llen": ("LLEN", "list"),
    "lrange": ("LRANGE", "list", "0", "-1"), "lindex": ("LINDEX", "list", "0"), "lpos": ("LPOS", "list", "a"),
    "lset": ("LSET", "list", "0", "x"), "linsert": ("LINSERT", "list", "BEFORE", "a", "x"),
    "lrem": ("LREM", "list", "0", "a"), "ltrim": ("LTRIM", "list", "0", "-1"),
    "lmove": ("LMOVE", "list", "list", "LEFT", "RIGHT"), "rpoplpush": ("RPOPLPUSH", "list", "list"),
    "lmpop": ("LMPOP", "1", "list", "LEFT"), "blpop": ("BLPOP", "list", "0"), "brpop": ("BRPOP", "list", "0"),
    "blmove": ("BLMOVE", "list", "list", "LEFT", "RIGHT", "0"), "brpoplpush": ("BRPOPLPUSH", "list", "list", "0"),
    "blmpop": ("BLMPOP", "0", "1", "list", "LEFT"),
    # hash
    "hset": ("HSET", "hash", "f", "v"), "hmset": ("HMSET", "hash", "f", "v"), "hsetnx": ("HSETNX", "hash", "f", "v"),
    "hincrby": ("HINCRBY", "hash", "f2", "1"), "hincrbyfloat": ("HINCRBYFLOAT", "hash", "f3", "1.5"),
    "hdel": ("HDEL", "hash", "f1"), "hget": ("HGET", "hash", "f1"), "hmget": ("HMGET", "hash", "f1"),
    "hexists": ("HEXISTS", "hash", "f1"), "hlen": ("HLEN", "hash"), "hstrlen": ("HSTRLEN", "hash", "f1"),
    "hkeys": ("HKEYS", "hash"), "hvals": ("HVALS", "hash"), "hgetall": ("HGETALL", "hash"),
    "hrandfield": ("HRANDFIELD", "hash"), "hscan": ("HSCAN", "hash", "0"),
    # set
    "sadd": ("SADD", "set", "x"), "srem": ("SREM", "set", "a"), "smembers": ("SMEMBERS", "set"),
    "sismember": ("SISMEMBER", "set", "a"), "smismember": ("SMISMEMBER", "set", "a"), "scard": ("SCARD", "set"),
    "spop": ("SPOP", "set"), "srandmember": ("SRANDMEMBER", "set"), "smove": ("SMOVE", "set", "iset", "a"),
    "sscan": ("SSCAN", "set", "0"), "sinter": ("SINTER", "set", "iset"), "sintercard": ("SINTERCARD", "2", "set", "iset"),
    "sunion": ("SUNION", "set", "iset"), "sdiff": ("SDIFF", "set", "iset"),
    "sinterstore": ("SINTERSTORE", "set", "set", "iset"), "sunionstore": ("SUNIONSTORE", "set", "set", "iset"),
    "sdiffstore": ("SDIFFSTORE", "set", "set", "iset"),
    # sorted set
    "zadd": ("ZADD", "zset", "1", "a"), "zincrby": ("ZINCRBY", "zset", "1", "a"), "zrem": ("ZREM", "zset", "a"),
    "zcard": ("ZCARD", "zset"), "zscore": ("ZSCORE", "zset", "a"), "zmscore": ("ZMSCORE", "zset", "a"),
    "zrank": ("ZRANK", "zset", "a"), "zrevrank": ("ZREVRANK", "zset", "a"), "zcount": ("ZCOUNT", "zset", "0", "1"),
    "zlexcount": ("ZLEXCOUNT", "zset", "-", "+"), "zrange": ("ZRANGE", "zset", "0", "-1"),
    "zrevrange": ("ZREVRANGE", "zset", "0", "-1"), "zrangebyscore": ("ZRANGEBYSCORE", "zset", "0", "1"),
    "zrevrangebyscore": ("ZREVRANGEBYSCORE", "zset", "1", "0"), "zrangebylex": ("ZRANGEBYLEX", "zset", "-", "+"),
    "zrevrangebylex": ("ZREVRANGEBYLEX", "zset", "+", "-"), "zremrangebyrank": ("ZREMRANGEBYRANK", "zset", "5", "9"),
    "zremrangebyscore": ("ZREMRANGEBYSCORE", "zset", "5", "9"), "zremrangebylex": ("ZREMRANGEBYLEX", "zset", "(z", "+"),
    "zpopmin": ("ZPOPMIN", "zset"), "zpopmax": ("ZPOPMAX", "zset"), "zmpop": ("ZMPOP", "1", "zset", "MIN"),
    "bzpopmin": ("BZPOPMIN", "zset", "0"), "bzpopmax": ("BZPOPMAX", "zset", "0"),
    "bzmpop": ("BZMPOP", "0", "1", "zset", "MIN"), "zrandmember": ("ZRANDMEMBER", "zset"),
    "zunion": ("ZUNION", "1", "zset"), "zinter": ("ZINTER", "1", "zset"), "zdiff": ("ZDIFF", "1", "zset"),
    "zunionstore": ("ZUNIONSTORE", "zset", "1", "zset"), "zinterstore": ("ZINTERSTORE", "zset", "1", "zset"),
    "zdiffstore": ("ZDIFFSTORE", "zset", "1", "zset"), "zintercard": ("ZINTERCARD", "1", "zset"),
    "zscan": ("ZSCAN", "zset", "0"), "zrangestore": ("ZRANGESTORE", "zset", "zset", "0", "-1"),
    # bitmap
    "setbit": ("SETBIT", "bits", "1", "1"), "getbit": ("GETBIT", "bits", "7"), "bitcount": ("BITCOUNT", "bits"),
    "bitpos": ("BITPOS", "bits", "1"), "bitop": ("BITOP", "AND", "bits", "bits", "str"),
    "bitfield": ("BITFIELD", "bits", "GET", "u8", "0"), "bitfield_ro": ("BITFIELD_RO", "bits", "GET", "u8", "0"),
    # hyperloglog
    "pfadd": ("PFADD", "hll", "x"), "pfcount": ("PFCOUNT", "hll"), "pfmerge": ("PFMERGE", "hll", "hll"),
    "pfdebug": ("PFDEBUG", "ENCODING", "hll"), "pfselftest": ("PFSELFTEST",),
    # generic
    "del": ("DEL", "str"), "unlink": ("UNLINK", "str"), "exists": ("EXISTS", "str"), "type": ("TYPE", "str"),
    "touch": ("TOUCH", "str"), "keys": ("KEYS", "*"), "scan": ("SCAN", "0"), "randomkey": ("RANDOMKEY",),
    "rename": ("RENAME", "str", "str2"), "renamenx": ("RENAMENX", "str", "str2"), "copy": ("COPY", "str", "str2"),
    "move": ("MOVE", "str", "1"), "object": ("OBJECT", "HELP"), "object|encoding": ("OBJECT", "ENCODING", "str"),
    "object|refcount": ("OBJECT", "REFCOUNT", "str"), "object|idletime": ("OBJECT", "IDLETIME", "str"),
    "object|freq": ("OBJECT", "FREQ", "str"), "object|help": ("OBJECT", "HELP"),
    "expire": ("EXPIRE", "str", "100"), "pexpire": ("PEXPIRE", "str", "100000"),
    "expireat": ("EXPIREAT", "str", "9999999999"), "pexpireat": ("PEXPIREAT", "str", "9999999999999"),
    "ttl": ("TTL", "str"), "pttl": ("PTTL", "str"), "expiretime": ("EXPIRETIME", "str"),
    "pexpiretime": ("PEXPIRETIME", "str"), "persist": ("PERSIST", "str"), "sort": ("SORT", "list", "ALPHA"),
    "sort_ro": ("SORT_RO", "list", "ALPHA"),
}

# Type each group's keys must hold, and a key of another type to put in their place (None: any type goes).
WRONG_KEYS: dict[str, tuple[str, ...]] = {
    "string": ("list",), "bitmap": ("list", "zset"), "hyperloglog": ("list", "str"), "list": ("str", "hash"),
    "hash": ("str", "list"), "set": ("str", "zset"), "sorted-set": ("str", "list"), "generic": (),
}
NOT_TYPED = {"mget"}      # MGET answers nil for a key of another type

TIMEOUTS = ("x", "-1", "nan", "inf", "1e400", "0x10", "", I64_OVER)


def _timeouts(*prefix: str, suffix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """A blocking command with each bad timeout (all reject at once, nothing blocks)."""
    return [(*prefix, t, *suffix) for t in TIMEOUTS]


def _scan_like(*prefix: str) -> list[tuple[str, ...]]:
    # SCAN's "-1" (2**64-1) and "" (0) are valid cursors whose keys depend on the dict layout: SCAN skips them.
    odd = [(*prefix, "-1"), (*prefix, "")] if prefix[1:] else [(*prefix, "-1x")]
    return [*odd, (*prefix, "x"), (*prefix, U64_OVER), (*prefix, "0", "COUNT", "0"),
            (*prefix, "0", "COUNT", "-1"), (*prefix, "0", "COUNT", "x"), (*prefix, "0", "MATCH"),
            (*prefix, "0", "FOO", "1"), (*prefix, "0", "COUNT"), (*prefix, "1.5"),
            (*prefix, "0", "COUNT", I64_OVER), (*prefix, " 0")]


def _expire_like(name: str, ok: str) -> list[tuple[str, ...]]:
    return [(name, "str", "x"), (name, "str", "1.5"), (name, "str", I64_MAX), (name, "str", I64_MIN),
            (name, "str", I64_OVER), (name, "str", ok, "FOO"), (name, "str", ok, "NX", "XX"),
            (name, "str", ok, "GT", "LT"), (name, "str", ok, "NX", "GT"), (name, "str", ok, "XX", "LT", "NX"),
            (name, "nokey", "x"), (name, "nokey", ok, "FOO"), (name, "str", ""), (name, "str", "9223372036854775"),
            (name, "str", "-9223372036854775"), (name, "str", "-0"), (name, "str", "0x10")]


def _mpop(name: str, where: tuple[str, str], *pre: str) -> list[tuple[str, ...]]:
    key = "list" if where[0] == "LEFT" else "zset"
    return [(name, *pre, "0", key, where[0]), (name, *pre, "-1", key, where[0]), (name, *pre, "x", key, where[0]),
            (name, *pre, "2", key, where[0]), (name, *pre, I64_OVER, key, where[0]),
            (name, *pre, "1", key, "UP"), (name, *pre, "1", key, where[0], "COUNT", "0"),
            (name, *pre, "1", key, where[0], "COUNT", "-1"), (name, *pre, "1", key, where[0], "COUNT", "x"),
            (name, *pre, "1", key, where[0], "COUNT"), (name, *pre, "1", key, where[1], "COUNT", "1", "COUNT", "2"),
            (name, *pre, "1", key, where[0], "FOO"), (name, *pre, "1", "str", where[0]),
            (name, *pre, "2", "nokey", "str", where[0])]


def _setops(name: str, numkeys: bool, store: bool, weights: bool) -> list[tuple[str, ...]]:
    pre = (name, "dst") if store else (name,)
    out = [(*pre, "0", "zset"), (*pre, "-1", "zset"), (*pre, "x", "zset"), (*pre, "3", "zset"),
           (*pre, I64_OVER, "zset"), (*pre, "1", "zset", "FOO"), (*pre, "1", "zset", "WITHSCORES", "FOO"),
           (*pre, "1", "str"), (*pre, "2", "zset", "str"), (*pre, "2", "nokey", "list")]
    if weights:
        out += [(*pre, "1", "zset", "WEIGHTS", "x"), (*pre, "1", "zset", "WEIGHTS", "1", "2"),
                (*pre, "1", "zset", "WEIGHTS", "nan"), (*pre, "1", "zset", "WEIGHTS"),
                (*pre, "1", "zset", "AGGREGATE", "FOO"), (*pre, "1", "zset", "AGGREGATE"),
                (*pre, "1", "zset", "WEIGHTS", "inf", "AGGREGATE", "SUM"), (*pre, "1", "set", "WEIGHTS", "2")]
    else:
        out += [(*pre, "1", "zset", "WEIGHTS", "1"), (*pre, "1", "zset", "AGGREGATE", "SUM")]
    return out


_RANGE_BAD = [("x", "1"), ("0", "x"), ("1.5", "2"), (I64_OVER, "1"), ("100", "200"), ("-100", "100"), ("3", "1"),
              ("-1", "-100"), (I64_MIN, I64_MAX)]

# Explicit bad inputs per command (bad numbers, out-of-range indexes, option syntax errors, odd paths).
BAD: dict[str, list[tuple[str | bytes, ...]]] = {
    "migrate": [("MIGRATE", "127.0.0.1", "1", "nokey", "x", "100"), ("MIGRATE", "127.0.0.1", "1", "nokey", "0", "x"),
                ("MIGRATE", "127.0.0.1", "1", "nokey", "0", "-5"), ("MIGRATE", "127.0.0.1", "1", "str", "0", "100"),
                ("MIGRATE", "127.0.0.1", "1", "str", "0", "100", "KEYS", "str"),
                ("MIGRATE", "127.0.0.1", "1", "", "0", "100", "KEYS", "nokey", "nokey2"),
                ("MIGRATE", "127.0.0.1", "1", "str", "0", "100", "AUTH"),
                ("MIGRATE", "127.0.0.1", "1", "str", "0", "100", "AUTH2", "u"),
                ("MIGRATE", "127.0.0.1", "1", "str", "0", "100", "COPY", "REPLACE", "FOO"),
                ("MIGRATE", "127.0.0.1", "x", "str", "0", "100")],
    "restore": [("RESTORE", "str", "0", _PAYLOAD), ("RESTORE", "k", "-1", _PAYLOAD), ("RESTORE", "k", "x", _PAYLOAD),
                ("RESTORE", "k", "0", "bad"), ("RESTORE", "k", "0", _PAYLOAD, "IDLETIME", "-1"),
                ("RESTORE", "k", "0", _PAYLOAD, "FREQ", "256"), ("RESTORE", "k", "0", _PAYLOAD, "FOO"),
                ("RESTORE", "k", "0", _PAYLOAD, "IDLETIME"), ("RESTORE", "k", "0", _PAYLOAD[:-1] + b"x")],
    "wait": [("WAIT", "x", "0"), ("WAIT", "0", "x"), ("WAIT", "0", "-1"), ("WAIT", I64_OVER, "0"),
             ("WAIT", "0", I64_OVER), ("WAIT", "-1", "0"), ("WAIT", "0", "1.5")],
    "set": [("SET", "str", "v", "EX", "0"), ("SET", "str", "v", "EX", "-1"), ("SET", "str", "v", "EX", "abc"),
            ("SET", "str", "v", "PX", I64_MAX), ("SET", "str", "v", "EX", I64_MAX), ("SET", "str", "v", "EX", "1.5"),
            ("SET", "str", "v", "NX", "XX"), ("SET", "str", "v", "EX", "10", "PX", "100"),
            ("SET", "str", "v", "KEEPTTL", "EX", "10"), ("SET", "str", "v", "FOO"), ("SET", "str", "v", "EX"),
            ("SET", "list", "v", "GET"), ("SET", "str", "v", "EXAT", "0"), ("SET", "str", "v", "PXAT", "-1"),
            ("SET", "str", "v", "EX", I64_OVER), ("SET", "str", "v", "PX", "0"), ("SET", "str", "v", "GET", "GET"),
            ("SET", "str", "v", "EX", "10", "EX", "20"), ("SET", "str", "v", "KEEPTTL", "PERSIST"),
            ("SET", "str", "v", "PX", "9223372036854775"), ("SET", "str", "v", "EX", "9223372036854775")],
    "setex": [("SETEX", "str", t, "v") for t in ("0", "-5", "x", I64_MAX, "1.0", I64_OVER, "9223372036854775")],
    "psetex": [("PSETEX", "str", t, "v") for t in ("0", "-5", "x", I64_MAX, "1.0", I64_OVER)],
    "getex": [("GETEX", "str", "EX", "0"), ("GETEX", "str", "EX", "-1"), ("GETEX", "str", "EX", "x"),
              ("GETEX", "str", "PX", I64_MAX), ("GETEX", "str", "EX", "10", "PX", "10"),
              ("GETEX", "str", "PERSIST", "EX", "10"), ("GETEX", "str", "FOO"), ("GETEX", "str", "EX"),
              ("GETEX", "nokey", "EX", "0"), ("GETEX", "str", "EXAT", "0"), ("GETEX", "str", "KEEPTTL"),
              ("GETEX", "str", "PERSIST", "PERSIST"), ("GETEX", "list", "EX", "0"), ("GETEX", "list", "PERSIST"),
              ("GETEX", "str", "EX", "9223372036854775")],
    "mset": [("MSET", "a", "1", "b"), ("MSET", "a", "1", "b", "2", "c")],
    "msetnx": [("MSETNX", "a", "1", "b"), ("MSETNX", "a", "1", "b", "2", "c")],
    "setrange": [("SETRANGE", "str", "-1", "x"), ("SETRANGE", "str", "x", "x"), ("SETRANGE", "str", "536870912", "x"),
                 ("SETRANGE", "nokey", "-1", "x"), ("SETRANGE", "nokey", "536870912", ""),
                 ("SETRANGE", "nokey", "536870912", "x"), ("SETRANGE", "list", "-1", "x"),
                 ("SETRANGE", "str", I64_OVER, "x"), ("SETRANGE", "list", "0", ""),
                 ("SETRANGE", "str", "536870911", ""), ("SETRANGE", "str", "536870911", "xx"),
                 ("SETRANGE", "str", "-0", "x")],
    "getrange": [("GETRANGE", "str", a, b) for a, b in _RANGE_BAD],
    "substr": [("SUBSTR", "str", a, b) for a, b in _RANGE_BAD],
    "incr": [("INCR", k) for k in ("str", "flt", "big", "pad", "list", "bits", "hll")],
    "decr": [("DECR", k) for k in ("str", "flt", "min", "pad")],
    "incrby": [("INCRBY", "int", "x"), ("INCRBY", "int", "1.5"), ("INCRBY", "int", I64_OVER), ("INCRBY", "big", "1"),
               ("INCRBY", "min", "-1"), ("INCRBY", "int", ""), ("INCRBY", "int", " 1"), ("INCRBY", "int", I64_MAX),
               ("INCRBY", "str", "1"), ("INCRBY", "nokey", "x"), ("INCRBY", "int", "+1"), ("INCRBY", "int", "01"),
               ("INCRBY", "int", "-0"), ("INCRBY", "int", "0x10"), ("INCRBY", "int", "1e3")],
    "decrby": [("DECRBY", "int", I64_MIN), ("DECRBY", "int", "x"), ("DECRBY", "min", "1"), ("DECRBY", "big", "-1"),
               ("DECRBY", "nokey", I64_MIN), ("DECRBY", "str", "1")],
    "incrbyfloat": [("INCRBYFLOAT", "flt", v) for v in ("x", "nan", "inf", "-inf", "1e400", "", "1.5x", " 1.5",
                                                         "0x10", "1e308", "NaN", "infinity", "1e-5000",
                                                         "1e5000", "0x1p-20000", "-0", ".5", "5.", "1e", "+1")]
    + [("INCRBYFLOAT", "str", "1"), ("INCRBYFLOAT", "big", "1"), ("INCRBYFLOAT", "nokey", "nan"),
       ("INCRBYFLOAT", "pad", "1")],
    "lcs": [("LCS", "str", "flt", "MINMATCHLEN", "x"), ("LCS", "str", "flt", "FOO"), ("LCS", "str", "flt", "LEN", "IDX"),
            ("LCS", "str", "flt", "MINMATCHLEN"), ("LCS", "str", "flt", "IDX", "MINMATCHLEN", "-1"),
            ("LCS", "list", "str"), ("LCS", "str", "hash"), ("LCS", "str", "flt", "IDX", "MINMATCHLEN", I64_OVER)],
    "lpop": [("LPOP", "list", "-1"), ("LPOP", "list", "x"), ("LPOP", "list", "0"), ("LPOP", "nokey", "-1"),
             ("LPOP", "list", I64_OVER), ("LPOP", "nokey", "0"), ("LPOP", "list", "1", "2"), ("LPOP", "str", "-1")],
    "rpop": [("RPOP", "list", "-1"), ("RPOP", "list", "x"), ("RPOP", "list", "0"), ("RPOP", "nokey", "-1"),
             ("RPOP", "list", I64_OVER), ("RPOP", "list", "1", "2")],
    "lrange": [("LRANGE", "list", a, b) for a, b in _RANGE_BAD],
    "lindex": [("LINDEX", "list", i) for i in ("x", "100", "-100", I64_OVER, "1.0", "")],
    "lpos": [("LPOS", "list", "a", "RANK", "0"), ("LPOS", "list", "a", "RANK", I64_MIN), ("LPOS", "list", "a", "COUNT", "-1"),
             ("LPOS", "list", "a", "MAXLEN", "-1"), ("LPOS", "list", "a", "RANK", "x"), ("LPOS", "list", "a", "FOO"),
             ("LPOS", "list", "a", "RANK"), ("LPOS", "list", "a", "COUNT", "0", "MAXLEN", "0"),
             ("LPOS", "nokey", "a", "RANK", "0"), ("LPOS", "list", "a", "COUNT", "x"), ("LPOS", "list", "a", "MAXLEN", "x"),
             ("LPOS", "list", "a", "RANK", "-100")],
    "lset": [("LSET", "list", "100", "x"), ("LSET", "list", "-100", "x"), ("LSET", "list", "x", "x"),
             ("LSET", "nokey", "0", "x"), ("LSET", "nokey", "x", "x"), ("LSET", "list", I64_OVER, "x")],
    "linsert": [("LINSERT", "list", "MIDDLE", "a", "x"), ("LINSERT", "nokey", "MIDDLE", "a", "x"),
                ("LINSERT", "str", "MIDDLE", "a", "x")],
    "lrem": [("LREM", "list", "x", "a"), ("LREM", "list", I64_OVER, "a"), ("LREM", "list", "1.5", "a")],
    "ltrim": [("LTRIM", "list", a, b) for a, b in _RANGE_BAD[:4]],
    "lmove": [("LMOVE", "list", "d", "UP", "LEFT"), ("LMOVE", "list", "d", "LEFT", "DOWN"),
              ("LMOVE", "nokey", "d", "UP", "LEFT"), ("LMOVE", "list", "str", "LEFT", "LEFT"),
              ("LMOVE", "nokey", "str", "LEFT", "LEFT")],
    "rpoplpush": [("RPOPLPUSH", "list", "str"), ("RPOPLPUSH", "nokey", "str")],
    "lmpop": _mpop("LMPOP", ("LEFT", "RIGHT")),
    "blmpop": _mpop("BLMPOP", ("LEFT", "RIGHT"), "0") + _timeouts("BLMPOP", suffix=("1", "list", "LEFT")),
    "blpop": _timeouts("BLPOP", "list") + [("BLPOP", "nokey", "1e-400"), ("BLPOP", "nokey", "0x1p-1100")], "brpop": _timeouts("BRPOP", "list"),
    "blmove": _timeouts("BLMOVE", "list", "d", "LEFT", "RIGHT") + [("BLMOVE", "list", "d", "UP", "LEFT", "0")],
    "brpoplpush": _timeouts("BRPOPLPUSH", "list", "d"),
    "hset": [("HSET", "hash", "f", "v", "g"), ("HSET", "str", "f", "v", "g")],
    "hmset": [("HMSET", "hash", "f", "v", "g")],
    "hincrby": [("HINCRBY", "hash", "f1", "1"), ("HINCRBY", "hash", "f2", "x"), ("HINCRBY", "hash", "fbig", "1"),
                ("HINCRBY", "hash", "f2", I64_OVER), ("HINCRBY", "hash", "f3", "1"), ("HINCRBY", "hash", "f2", "1.0"),
                ("HINCRBY", "nokey", "f", "x"), ("HINCRBY", "hash", "f2", I64_MAX)],
    "hincrbyfloat": [("HINCRBYFLOAT", "hash", "f1", "1"), ("HINCRBYFLOAT", "nokey", "f", "x")]
    + [("HINCRBYFLOAT", "hash", "f3", v) for v in ("x", "nan", "inf", "-inf", "", "1e400", "1.5x", "0x10", "1e-5000",
                                                    " 1", "1e5000")],
    "hrandfield": [("HRANDFIELD", "hash", "x"), ("HRANDFIELD", "hash", "1", "FOO"), ("HRANDFIELD", "hash", I64_MIN),
                   ("HRANDFIELD", "hash", I64_OVER), ("HRANDFIELD", "nokey", "x"),
                   ("HRANDFIELD", "hash", I64_MIN, "WITHSCORES"), ("HRANDFIELD", "hash", "-9223372036854775807",
                                                                   "WITHVALUES"),
                   ("HRANDFIELD", "hash", "-4611686018427387904", "WITHVALUES"),
                   ("HRANDFIELD", "hash", "0", "WITHVALUES"), ("HRANDFIELD", "nokey", "1", "FOO")],
    "hscan": _scan_like("HSCAN", "hash"),
    "spop": [("SPOP", "set", "-1"), ("SPOP", "set", "x"), ("SPOP", "nokey", "-1"), ("SPOP", "set", "1", "2"),
             ("SPOP", "set", I64_OVER), ("SPOP", "set", "0"), ("SPOP", "str", "-1")],
    "srandmember": [("SRANDMEMBER", "set", "x"), ("SRANDMEMBER", "set", I64_MIN), ("SRANDMEMBER", "set", "1", "2"),
                    ("SRANDMEMBER", "nokey", "x"), ("SRANDMEMBER", "set", "0")],
    "sscan": _scan_like("SSCAN", "iset"),
    "sintercard": [("SINTERCARD", "0", "set"), ("SINTERCARD", "x", "set"), ("SINTERCARD", "3", "set"),
                   ("SINTERCARD", "1", "set", "LIMIT", "-1"), ("SINTERCARD", "1", "set", "LIMIT", "x"),
                   ("SINTERCARD", "1", "set", "FOO"), ("SINTERCARD", "-1", "set"), ("SINTERCARD", "1", "set", "LIMIT"),
                   ("SINTERCARD", I64_OVER, "set"), ("SINTERCARD", "2", "nokey", "str")],
    "smove": [("SMOVE", "nokey", "str", "a"), ("SMOVE", "set", "set", "zz"), ("SMOVE", "set", "str", "zz")],
    "sinterstore": [("SINTERSTORE", "d", "nokey", "str")],
    "zadd": [("ZADD", "zset", "x", "a"), ("ZADD", "zset", "nan", "a"), ("ZADD", "zset", "1"),
             ("ZADD", "zset", "1", "a", "2"), ("ZADD", "zset", "NX", "XX", "1", "a"), ("ZADD", "zset", "GT", "LT", "1", "a"),
             ("ZADD", "zset", "NX", "GT", "1", "a"), ("ZADD", "zset", "INCR", "1", "a", "2", "b"),
             ("ZADD", "zset", "INCR", "nan", "a"), ("ZADD", "zset", "INCR", "-inf", "top"), ("ZADD", "zset", "FOO", "1", "a"),
             ("ZADD", "zset", "1", "a", "x", "b"), ("ZADD", "nokey", "x", "a"), ("ZADD", "zset", "", "a"),
             ("ZADD", "zset", "1e400", "a"), ("ZADD", "zset", "XX"), ("ZADD", "zset", "CH", "NX"),
             ("ZADD", "zset", "0x10", "a"), ("ZADD", "zset", "1e-400", "a"), ("ZADD", "zset", " 1", "a"),
             ("ZADD", "zset", "1 ", "a"), ("ZADD", "zset", "infinity", "a"), ("ZADD", "zset", "-nan", "a"),
             ("ZADD", "zset", "1_0", "a"), ("ZADD", "zset", "1e-310", "a")],
    "zincrby": [("ZINCRBY", "zset", "x", "a"), ("ZINCRBY", "zset", "nan", "a"), ("ZINCRBY", "zset", "-inf", "top"),
                ("ZINCRBY", "nokey", "x", "a"), ("ZINCRBY", "zset", "", "a"), ("ZINCRBY", "zset", "0x1p3", "a"),
                ("ZINCRBY", "zset", "1e-400", "a"), ("ZINCRBY", "zset", "+inf", "top")],
    "zcount": [("ZCOUNT", "zset", "x", "1"), ("ZCOUNT", "zset", "(x", "1"), ("ZCOUNT", "zset", "nan", "1"),
               ("ZCOUNT", "zset", "0", "("), ("ZCOUNT", "nokey", "x", "1"), ("ZCOUNT", "zset", "[1", "2"),
               ("ZCOUNT", "zset", "0x0", "0x10"), ("ZCOUNT", "zset", "(1e-400", "1"), ("ZCOUNT", "zset", " 1", "2"),
               ("ZCOUNT", "zset", "1", "2 ")],
    "zlexcount": [("ZLEXCOUNT", "zset", "a", "+"), ("ZLEXCOUNT", "zset", "[a", "b"), ("ZLEXCOUNT", "nokey", "a", "b"),
                  ("ZLEXCOUNT", "zset", "", "+")],
    "zrange": [("ZRANGE", "zset", "x", "1"), ("ZRANGE", "zset", "0", "1", "BYSCORE", "BYLEX"),
               ("ZRANGE", "zset", "0", "1", "LIMIT", "0", "1"), ("ZRANGE", "zset", "0", "1", "BYSCORE", "LIMIT", "x", "1"),
               ("ZRANGE", "zset", "0", "1", "BYSCORE", "LIMIT", "0"), ("ZRANGE", "zset", "0", "1", "FOO"),
               ("ZRANGE", "zset", "a", "b", "BYLEX"), ("ZRANGE", "zset", "-", "+", "BYLEX", "WITHSCORES"),
               ("ZRANGE", "zset", "100", "200"), ("ZRANGE", "zset", "(1", "x", "BYSCORE"),
               ("ZRANGE", "zset", "0", "-1", "WITHSCORES", "REV"), ("ZRANGE", "nokey", "x", "1"),
               ("ZRANGE", "zset", I64_OVER, "1"), ("ZRANGE", "zset", "0", "1", "REV", "REV"),
               ("ZRANGE", "zset", "nan", "1", "BYSCORE")],
    "zrevrange": [("ZREVRANGE", "zset", "0", "-1", "FOO"), ("ZREVRANGE", "zset", "x", "1"),
                  ("ZREVRANGE", "zset", "100", "200")],
    "zrangebyscore": [("ZRANGEBYSCORE", "zset", "x", "1"), ("ZRANGEBYSCORE", "zset", "0", "1", "LIMIT", "0"),
                      ("ZRANGEBYSCORE", "zset", "0", "1", "LIMIT", "x", "1"), ("ZRANGEBYSCORE", "zset", "0", "1", "FOO"),
                      ("ZRANGEBYSCORE", "zset", "0", "nan"), ("ZRANGEBYSCORE", "zset", "0x1", "(0x3"),
                      ("ZRANGEBYSCORE", "zset", "0", "1", "LIMIT", I64_MIN, I64_MAX)],
    "zrevrangebyscore": [("ZREVRANGEBYSCORE", "zset", "x", "1"), ("ZREVRANGEBYSCORE", "zset", "1", "0", "LIMIT", "0")],
    "zrangebylex": [("ZRANGEBYLEX", "zset", "a", "+"), ("ZRANGEBYLEX", "zset", "-", "+", "LIMIT", "0"),
                    ("ZRANGEBYLEX", "zset", "-", "+", "WITHSCORES")],
    "zrevrangebylex": [("ZREVRANGEBYLEX", "zset", "+", "a"), ("ZREVRANGEBYLEX", "zset", "+", "-", "LIMIT", "x", "1")],
    "zremrangebyrank": [("ZREMRANGEBYRANK", "zset", "x", "1"), ("ZREMRANGEBYRANK", "zset", "0", I64_OVER)],
    "zremrangebyscore": [("ZREMRANGEBYSCORE", "zset", "x", "1"), ("ZREMRANGEBYSCORE", "zset", "nan", "1")],
    "zremrangebylex": [("ZREMRANGEBYLEX", "zset", "a", "+"), ("ZREMRANGEBYLEX", "nokey", "a", "+")],
    "zpopmin": [("ZPOPMIN", "zset", "-1"), ("ZPOPMIN", "zset", "x"), ("ZPOPMIN", "zset", "1", "2"),
                ("ZPOPMIN", "nokey", "-1")],
    "zpopmax": [("ZPOPMAX", "zset", "-1"), ("ZPOPMAX", "zset", "x"), ("ZPOPMAX", "zset", "1", "2")],
    "zmpop": _mpop("ZMPOP", ("MIN", "MAX")),
    "bzmpop": _mpop("BZMPOP", ("MIN", "MAX"), "0") + _timeouts("BZMPOP", suffix=("1", "zset", "MIN")),
    "bzpopmin": _timeouts("BZPOPMIN", "zset"), "bzpopmax": _timeouts("BZPOPMAX", "zset"),
    "zrandmember": [("ZRANDMEMBER", "zset", "x"), ("ZRANDMEMBER", "zset", "1", "FOO"),
                    ("ZRANDMEMBER", "zset", I64_MIN, "WITHSCORES"), ("ZRANDMEMBER", "zset", I64_MIN),
                    ("ZRANDMEMBER", "zset", "-4611686018427387904", "WITHSCORES"),
                    ("ZRANDMEMBER", "zset", "0", "WITHSCORES"), ("ZRANDMEMBER", "nokey", "x")],
    "zunion": _setops("ZUNION", True, False, True), "zinter": _setops("ZINTER", True, False, True),
    "zdiff": _setops("ZDIFF", True, False, False),
    "zunionstore": _setops("ZUNIONSTORE", True, True, True), "zinterstore": _setops("ZINTERSTORE", True, True, True),
    "zdiffstore": _setops("ZDIFFSTORE", True, True, False),
    "zintercard": [("ZINTERCARD", "0", "zset"), ("ZINTERCARD", "x", "zset"), ("ZINTERCARD", "3", "zset"),
                   ("ZINTERCARD", "1", "zset", "LIMIT", "-1"), ("ZINTERCARD", "1", "zset", "LIMIT", "x"),
                   ("ZINTERCARD", "1", "zset", "FOO"), ("ZINTERCARD", "1", "str"), ("ZINTERCARD", "1", "zset", "LIMIT")],
    "zrangestore": [("ZRANGESTORE", "dst", "zset", "0", "-1", "WITHSCORES"), ("ZRANGESTORE", "dst", "zset", "x", "1"),
                    ("ZRANGESTORE", "dst", "str", "0", "-1"), ("ZRANGESTORE", "dst", "zset", "0", "1", "FOO"),
                    ("ZRANGESTORE", "dst", "zset", "0", "1", "LIMIT", "0", "1")],
    "zscan": _scan_like("ZSCAN", "zset"),
    "setbit": [("SETBIT", "bits", "-1", "1"), ("SETBIT", "bits", "x", "1"), ("SETBIT", "bits", "4294967296", "1"),
               ("SETBIT", "bits", "1", "2"), ("SETBIT", "bits", "1", "x"), ("SETBIT", "bits", "1", "-1"),
               ("SETBIT", "list", "1", "2"), ("SETBIT", "nokey", "4294967296", "0"), ("SETBIT", "bits", "1", "")],
    "getbit": [("GETBIT", "bits", "-1"), ("GETBIT", "bits", "x"), ("GETBIT", "bits", "4294967296"),
               ("GETBIT", "nokey", "x"), ("GETBIT", "bits", "4294967295")],
    "bitcount": [("BITCOUNT", "bits", "0"), ("BITCOUNT", "bits", "0", "x"), ("BITCOUNT", "bits", "0", "1", "FOO"),
                 ("BITCOUNT", "bits", "0", "1", "BIT", "x"), ("BITCOUNT", "bits", "x", "1"), ("BITCOUNT", "nokey", "0"),
                 ("BITCOUNT", "nokey", "x", "1"), ("BITCOUNT", "bits", "0", "1", "BYTE", "BIT"),
                 ("BITCOUNT", "bits", I64_OVER, "1"), ("BITCOUNT", "list", "0"), ("BITCOUNT", "bits", I64_MIN, I64_MAX),
                 ("BITCOUNT", "bits", I64_MIN, I64_MAX, "BIT"), ("BITCOUNT", "bits", "0", "-1", "bit")],
    "bitpos": [("BITPOS", "bits", "2"), ("BITPOS", "bits", "x"), ("BITPOS", "bits", "1", "x"),
               ("BITPOS", "bits", "1", "0", "x"), ("BITPOS", "bits", "1", "0", "1", "FOO"),
               ("BITPOS", "bits", "1", "0", "1", "BIT", "1"), ("BITPOS", "nokey", "2"), ("BITPOS", "bits", "-1"),
               ("BITPOS", "nokey", "1", "x"), ("BITPOS", "bits", "1", I64_MIN, I64_MAX),
               ("BITPOS", "bits", "0", I64_MIN, I64_MAX, "BIT"), ("BITPOS", "bits", "1", "0", "-1", "BIT", "FOO")],
    "bitop": [("BITOP", "FOO", "dst", "bits"), ("BITOP", "NOT", "dst", "bits", "str"), ("BITOP", "AND", "dst", "bits", "list"),
              ("BITOP", "NOT", "dst", "list"), ("BITOP", "FOO", "dst", "list"), ("BITOP", "AND", "dst", "nokey", "hash")],
    "bitfield": [("BITFIELD", "bits", "GET", "u64", "0"), ("BITFIELD", "bits", "GET", "i65", "0"),
                 ("BITFIELD", "bits", "GET", "x8", "0"), ("BITFIELD", "bits", "GET", "u8", "-1"),
                 ("BITFIELD", "bits", "GET", "u8", "x"), ("BITFIELD", "bits", "GET", "u8", "#x"),
                 ("BITFIELD", "bits", "SET", "u8", "0", "x"), ("BITFIELD", "bits", "INCRBY", "u8", "0", "x"),
                 ("BITFIELD", "bits", "OVERFLOW", "FOO"), ("BITFIELD", "bits", "FOO"), ("BITFIELD", "bits", "GET", "u8"),
                 ("BITFIELD", "bits", "SET", "u8", "0"), ("BITFIELD", "bits", "SET", "u8", "4294967296", "1"),
                 ("BITFIELD", "bits", "SET", "u8", "0", "1", "GET", "u99", "0"), ("BITFIELD", "bits", "GET", "u0", "0"),
                 ("BITFIELD", "bits", "GET", "i0", "0"), ("BITFIELD", "bits", "GET", "u8", "#-1"),
                 ("BITFIELD", "list", "SET", "u8", "0", "1"), ("BITFIELD", "bits", "OVERFLOW"),
                 ("BITFIELD", "bits", "SET", "i8", "0", I64_OVER), ("BITFIELD", "bits", "GET", "u", "0"),
                 ("BITFIELD", "bits", "GET", "u8", "1.5")],
    "bitfield_ro": [("BITFIELD_RO", "bits", "SET", "u8", "0", "1"), ("BITFIELD_RO", "bits", "INCRBY", "u8", "0", "1"),
                    ("BITFIELD_RO", "bits", "GET", "u99", "0"), ("BITFIELD_RO", "bits", "OVERFLOW", "WRAP"),
                    ("BITFIELD_RO", "bits", "GET", "u8")],
    "pfadd": [("PFADD", "int", "x"), ("PFADD", "hll", "x", "y")],
    "pfcount": [("PFCOUNT", "hll", "str"), ("PFCOUNT", "nokey", "list")],
    "pfmerge": [("PFMERGE", "hll", "str"), ("PFMERGE", "str", "hll"), ("PFMERGE", "d", "list"), ("PFMERGE", "nokey", "int")],
    "pfdebug": [("PFDEBUG", "FOO", "hll"), ("PFDEBUG", "ENCODING", "nokey"), ("PFDEBUG", "ENCODING", "str"),
                ("PFDEBUG", "GETREG", "list"), ("PFDEBUG", "FOO", "nokey"), ("PFDEBUG", "DECODE", "str")],
    "del": [("DEL", "str", "str", "nokey")], "unlink": [("UNLINK", "list", "list", "nokey")],
    "exists": [("EXISTS", "str", "str", "nokey")], "touch": [("TOUCH", "str", "str", "nokey")],
    "keys": [("KEYS", "["), ("KEYS", "[a-"), ("KEYS", "\\")],
    "sdiff": [("SDIFF", "nokey", "str"), ("SDIFF", "set", "nokey", "list")],
    "sunionstore": [("SUNIONSTORE", "d", "set", "str"), ("SUNIONSTORE", "set", "nokey", "zset")],
    "sdiffstore": [("SDIFFSTORE", "d", "nokey", "str")], "sinter": [("SINTER", "nokey", "str")],
    "hmget": [("HMGET", "hash", "f1", "f1", "nof")], "smismember": [("SMISMEMBER", "set", "a", "a", "z")],
    "zmscore": [("ZMSCORE", "zset", "a", "a", "z"), ("ZMSCORE", "nokey", "a")],
    "scan": _scan_like("SCAN") + [("SCAN", "0", "TYPE"), ("SCAN", "0", "TYPE", "nosuchtype", "COUNT", "100")],
    "rename": [("RENAME", "nokey", "x"), ("RENAME", "nokey", "nokey")],
    "renamenx": [("RENAMENX", "nokey", "x"), ("RENAMENX", "str", "int")],
    "copy": [("COPY", "str", "str2", "DB", "x"), ("COPY", "str", "str2", "DB", "-1"), ("COPY", "str", "str2", "DB", "16"),
             ("COPY", "str", "str2", "FOO"), ("COPY", "str", "str"), ("COPY", "str", "str2", "DB"),
             ("COPY", "str", "int"), ("COPY", "nokey", "str", "DB", "x"), ("COPY", "str", "str2", "DB", I64_OVER)],
    "move": [("MOVE", "str", "x"), ("MOVE", "str", "0"), ("MOVE", "str", "16"), ("MOVE", "str", "-1"),
             ("MOVE", "nokey", "x"), ("MOVE", "nokey", "0"),
             ("MOVE", "str", I64_OVER)],
    "object": [("OBJECT", "FOO"), ("OBJECT", "FOO", "str"), ("OBJECT", "ENCODING", "nokey")],
    "object|encoding": [("OBJECT", "ENCODING", "nokey")],
    "object|freq": [("OBJECT", "FREQ", "nokey"), ("OBJECT", "FREQ", "str")],
    "object|idletime": [("OBJECT", "IDLETIME", "nokey")],
    "object|refcount": [("OBJECT", "REFCOUNT", "nokey")],
    "expire": _expire_like("EXPIRE", "100"), "pexpire": _expire_like("PEXPIRE", "100000"),
    "expireat": _expire_like("EXPIREAT", "9999999999"), "pexpireat": _expire_like("PEXPIREAT", "9999999999999"),
    "sort": [("SORT", "list"), ("SORT", "list", "ALPHA", "LIMIT", "x", "1"), ("SORT", "list", "ALPHA", "LIMIT", "0"),
             ("SORT", "list", "FOO"), ("SORT", "list", "ALPHA", "STORE"), ("SORT", "str"), ("SORT", "hash"),
             ("SORT", "list", "ALPHA", "STORE", "str"), ("SORT", "list", "BY"), ("SORT", "list", "GET"),
             ("SORT", "zset", "LIMIT", "0", "x"), ("SORT", "iset", "LIMIT", I64_MIN, I64_MAX),
             ("SORT", "zset"), ("SORT", "hash", "ALPHA")],
    "sort_ro": [("SORT_RO", "list", "ALPHA", "STORE", "x"), ("SORT_RO", "list"), ("SORT_RO", "str")],
}


def _rows() -> dict[str, CommandSpec]:
    out = {}
    for spec in TABLE.values():
        for row in (spec, *spec.subcommands.values()):
            if row.group in GROUPS:
                out[row.fullname] = row
    return out


def _generated(row: CommandSpec) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """Arity variants and wrong-type variants of the command's template."""
    tpl = TEMPLATES[row.fullname]
    depth = 2 if row.parent is not None else 1          # OBJECT ENCODING key: the name is two words
    cases: list[tuple[str, ...]] = []
    if row.arity > 0:
        cases.append(tpl[:row.arity - 1])
        cases.append((*tpl[:row.arity], *["x"] * (row.arity + 1 - len(tpl))))
    else:
        cases.append(tpl[:-row.arity - 1])
    cases = [c for c in cases if len(c) >= depth]
    typed: list[tuple[str, ...]] = []
    if row.fullname not in NOT_TYPED:
        keys = row.get_keys([a if isinstance(a, bytes) else a.encode() for a in tpl])
        for wrong in WRONG_KEYS[row.group]:
            for pos in keys:
                typed.append((*tpl[:pos], wrong, *tpl[pos + 1:]))
    return cases, typed


def _send_all(client: RawClient, cmds: list[tuple[str, ...]]) -> list[bytes]:
    client.send(b"".join(encode_command(*c) for c in cmds))
    return [client.read_reply() for _ in cmds]


def _seed(oracle: Oracle) -> None:
    for client in (oracle.ours, oracle.redis):
        replies = _send_all(client, [("FLUSHALL",), *SEED])
        assert not any(r.startswith(b"-") for r in replies), replies


def _bulk(raw: bytes) -> bytes:
    return raw.split(b"\r\n", 1)[1][:-2]


_CONTENT = {b"+string": ("GET",), b"+list": ("LRANGE", "0", "-1"), b"+hash": ("HGETALL",), b"+set": ("SMEMBERS",),
            b"+zset": ("ZRANGE", "0", "-1", "WITHSCORES")}


def _dump(client: RawClient) -> list[tuple[object, ...]]:
    """(key, type, ttl class, encoding, contents) of every key in db 0, plus the key names of db 1."""
    keys = sorted(_bulk(k) for k in split_array(client.command("KEYS", "*")))
    meta = _send_all(client, [c for k in keys for c in (("TYPE", k), ("PTTL", k), ("OBJECT", "ENCODING", k))])
    contents_cmds = []
    for i, k in enumerate(keys):
        kind = meta[3 * i].rstrip()
        contents_cmds.append((_CONTENT[kind][0], k, *_CONTENT[kind][1:]))
    contents = _send_all(client, contents_cmds)
    out: list[tuple[object, ...]] = []
    for i, k in enumerate(keys):
        kind = meta[3 * i].rstrip()
        pttl = int(meta[3 * i + 1][1:])
        body: object = contents[i]
        if kind in (b"+set",):
            body = sorted(split_array(contents[i]))
        elif kind == b"+hash":
            items = split_array(contents[i])
            body = sorted(zip(items[::2], items[1::2], strict=True))
        out.append((k, kind, pttl if pttl < 0 else round(pttl / 10000), meta[3 * i + 2], body))
    other = _send_all(client, [("SELECT", "1"), ("KEYS", "*"), ("SELECT", "0")])[1]
    out.append((b"db1", sorted(split_array(other))))
    return out


def _in_multi(client: RawClient, case: tuple[str, ...]) -> bytes:
    """MULTI, the case, EXEC: the three replies joined (queue-time errors abort EXEC, others are in its array)."""
    return b"".join(_send_all(client, [("MULTI",), case, ("EXEC",)]))


def _dirty(client: RawClient) -> int:
    info = client.command("INFO", "persistence")
    return int(info.split(b"rdb_changes_since_last_save:")[1].split(b"\r\n")[0])


def _error_stats(client: RawClient) -> dict[str, object]:
    """INFO errorstats, and calls/rejected_calls/failed_calls per command from INFO commandstats."""
    out: dict[str, object] = {}
    for section in ("errorstats", "commandstats"):
        text = _bulk(client.command("INFO", section)).decode()
        for line in text.splitlines():
            if ":" not in line or line.startswith("#"):
                continue
            name, _, fields = line.partition(":")
            if name.startswith(("cmdstat_info", "cmdstat_config", "cmdstat_keys", "cmdstat_select")):
                continue
            kv = dict(f.split("=", 1) for f in fields.split(","))
            out[name] = {k: v for k, v in kv.items() if not k.startswith("usec")}
    return out


MARK_EVENT = encode_command("pmessage", "__key*@*", "__keyevent@0__:set", "zzmark")


def _run(oracle: Oracle, cases: list[tuple[str, ...]], must_fail: int = 0, multi: bool = False) -> None:
    """_check with a keyspace-event listener on each server: the streams (seeding included) must be equal, so
    failing calls publish nothing and the rest publish what Redis does."""
    subs = [RawClient(oracle.ours.sock.getpeername()[1]), RawClient(oracle.redis.sock.getpeername()[1])]
    try:
        for sub in subs:
            assert sub.command("PSUBSCRIBE", "__key*@*").startswith(b"*3\r\n")
        oracle.do("CONFIG", "SET", "notify-keyspace-events", "KEA")
        problems = _check(oracle, cases, must_fail, multi)
        oracle.do("SET", "zzmark", "1")
        streams: list[list[bytes]] = [[], []]
        for sub, got in zip(subs, streams, strict=True):
            while not got or got[-1] != MARK_EVENT:
                got.append(sub.read_reply())
        if streams[0] != streams[1]:
            i = next((i for i, (x, y) in enumerate(zip(*streams, strict=False)) if x != y),
                     min(map(len, streams)))
            problems.append(f"keyspace events differ from message {i}: ours {streams[0][i:i + 4]!r}, "
                            f"redis {streams[1][i:i + 4]!r}")
    finally:
        for sub in subs:
            sub.close()
        oracle.do("CONFIG", "SET", "notify-keyspace-events", "")
    assert not problems, "\n".join(problems)


def _check(oracle: Oracle, cases: list[tuple[str, ...]], must_fail: int, multi: bool) -> list[str]:
    """Send each case to both servers; collect reply and keyspace mismatches; reseed after a success.
    At the end the error statistics (errorstats, per-command rejected/failed calls) and the number of changes
    counted (dirty) must agree as well."""
    _seed(oracle)
    oracle.do("CONFIG", "RESETSTAT")
    dirty_before = _dirty(oracle.ours), _dirty(oracle.redis)
    problems = []
    for n, case in enumerate(cases):
        if multi:
            ours, theirs = _in_multi(oracle.ours, case), _in_multi(oracle.redis, case)
            failed = b"-" in ours.split(b"\r\n", 2)[1][:1] or b"*1\r\n-" in ours
            ours_err = theirs_err = failed
        else:
            ours, theirs = oracle.both(*case)
            ours_err, theirs_err = ours.startswith(b"-"), theirs.startswith(b"-")
        if ours != theirs:
            problems.append(f"{case!r}: pyredcache {ours!r} != redis {theirs!r}")
        elif n < must_fail and not ours_err:
            problems.append(f"{case!r}: expected an error, both replied {ours!r}")
        a, b = _dump(oracle.ours), _dump(oracle.redis)
        if a != b:
            da, db = {x[0]: x[1:] for x in a}, {x[0]: x[1:] for x in b}
            diff = {k: (da.get(k), db.get(k)) for k in da.keys() | db.keys() if da.get(k) != db.get(k)}
            problems.append(f"{case!r}: keyspace differs afterwards (key: ours, redis): {diff!r}")
        if not (ours_err and theirs_err) or a != b:
            _seed(oracle)
    changes = _dirty(oracle.ours) - dirty_before[0], _dirty(oracle.redis) - dirty_before[1]
    if changes[0] != changes[1]:
        problems.append(f"changes counted (rdb_changes_since_last_save): ours {changes[0]}, redis {changes[1]}")
    stats = _error_stats(oracle.ours), _error_stats(oracle.redis)
    if stats[0] != stats[1]:
        problems.append("error statistics differ (ours, redis): " + repr(
            {k: (stats[0].get(k), stats[1].get(k)) for k in stats[0].keys() | stats[1].keys()
             if stats[0].get(k) != stats[1].get(k)}))
    return problems


def test_every_command_has_a_template():
    missing = sorted(_rows().keys() - TEMPLATES.keys())
    assert not missing, f"add TEMPLATES (and BAD cases) for: {missing}"
    unknown = sorted((TEMPLATES.keys() | BAD.keys()) - _rows().keys())
    assert not unknown, f"not in the command table: {unknown}"


def test_seeded_keyspaces_match(oracle):
    _seed(oracle)
    assert _dump(oracle.ours) == _dump(oracle.redis)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_bad_input(oracle, name):
    rows = _rows()
    if name not in rows:
        pytest.skip(f"{name} is not in the command table")
    row = rows[name]
    arity_cases, typed_cases = _generated(row)
    _run(oracle, arity_cases + typed_cases + BAD.get(name, []), must_fail=len(arity_cases))


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_bad_input_in_multi(oracle, name):
    """The same cases inside MULTI/EXEC: arity errors abort the transaction, the rest fail inside EXEC."""
    rows = _rows()
    if name not in rows:
        pytest.skip(f"{name} is not in the command table")
    arity_cases, typed_cases = _generated(_rows()[name])
    _run(oracle, arity_cases + typed_cases + BAD.get(name, []), multi=True)
