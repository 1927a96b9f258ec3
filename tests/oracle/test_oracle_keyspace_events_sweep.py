"""Keyspace-event sweep over every WRITE command of the data-type and generic groups, against redis-server 7.0.15.

WRITE_CASES holds, per command, a short script of representative invocations (the path that creates the key,
the happy path, the no-op path, the path that deletes the key, options). Each script runs on both servers with a
PSUBSCRIBE "__key*@*" connection listening, once with notify-keyspace-events "KEA" and once with "KEAnm"
("new" and "keymiss" too), and once more inside MULTI/EXEC. Replies, event streams and the number of changes
counted (the dirty counter behind INFO's rdb_changes_since_last_save, also compared step by step) must be
identical, and each step must invalidate a WATCH on its keys exactly when Redis does.
READ_CASES runs every read command of those groups on missing (and expired) keys with "KEAnm" ("keymiss" and
lazy "expired" events); EXPIRED_CASES sends writes to keys whose TTL has passed (active expiry off);
BLOCKED_CASES serve a client that blocked beforehand.
Guard tests fail when the command table gains a command of these groups that has no script here.
"""
from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from helpers.oracle import Oracle, split_array
from helpers.procs import server_pair
from helpers.rawclient import RawClient, encode_command
from helpers.wait import wait_until

from pyredcache.commands import TABLE
from pyredcache.commands.table import Flag, lookup_command
from pyredcache.persistence.dump import create_dump_payload

pytestmark = pytest.mark.oracle

GROUPS = ("string", "list", "hash", "set", "sorted-set", "bitmap", "hyperloglog", "generic")

# Replies that are unordered collections (hashtable iteration order differs between implementations).
UNORDERED = {"SPOP"}

Step = tuple[str | bytes, ...]
# A DUMP payload of the string "val" (byte-identical to redis-server's DUMP of it) for the RESTORE scripts.
_PAYLOAD = create_dump_payload(b"val")

WRITE_CASES: dict[str, list[Step]] = {
    # ----------------------------------------------------------------------------------------- string
    "set": [("SET", "k", "v"), ("SET", "k", "v2", "XX"), ("SET", "k", "v3", "NX"), ("SET", "k2", "v", "XX"),
            ("SET", "k", "v", "EX", "100"), ("SET", "k", "w", "KEEPTTL"), ("SET", "k", "v", "GET"),
            ("SET", "k", "v", "PX", "100000", "GET"), ("SET", "k3", "v", "NX", "GET"),
            ("SET", "k", "v", "EXAT", "9999999999"), ("SET", "k4", "v", "PXAT", "1"), ("GET", "k4"),
            ("LPUSH", "l", "a"), ("SET", "l", "v")],
    "setnx": [("SETNX", "k", "v"), ("SETNX", "k", "w")],
    "setex": [("SETEX", "k", "100", "v"), ("SETEX", "k", "200", "w")],
    "psetex": [("PSETEX", "k", "100000", "v"), ("PSETEX", "k", "200000", "w")],
    "getset": [("GETSET", "k", "v"), ("GETSET", "k", "w"), ("SET", "t", "v", "EX", "100"), ("GETSET", "t", "x")],
    "getdel": [("SET", "k", "v"), ("GETDEL", "k"), ("GETDEL", "k")],
    "getex": [("SET", "k", "v"), ("GETEX", "k"), ("GETEX", "k", "EX", "100"), ("GETEX", "k", "PERSIST"),
              ("GETEX", "k", "PERSIST"), ("GETEX", "k", "PX", "100000"), ("GETEX", "k", "EXAT", "9999999999"),
              ("GETEX", "k", "PXAT", "9999999999999"), ("GETEX", "missing", "EX", "10"),
              ("GETEX", "k", "PXAT", "1"), ("GETEX", "k", "EX", "10")],
    "mset": [("MSET", "a", "1", "b", "2", "a", "3"), ("MSET", "a", "4")],
    "msetnx": [("MSETNX", "a", "1", "b", "2"), ("MSETNX", "a", "1", "c", "3"), ("MSETNX", "c", "1", "c", "2")],
    "append": [("APPEND", "k", "ab"), ("APPEND", "k", "cd"), ("APPEND", "k", ""), ("APPEND", "k2", "")],
    "setrange": [("SETRANGE", "k", "3", "ab"), ("SETRANGE", "k", "0", ""), ("SETRANGE", "k", "1", "x"),
                 ("SETRANGE", "missing", "0", ""), ("SETRANGE", "missing", "5", "")],
    "incr": [("INCR", "k"), ("INCR", "k"), ("SET", "s", "x"), ("INCR", "s")],
    "decr": [("DECR", "k"), ("DECR", "k"), ("SET", "k2", "10", "EX", "100"), ("DECR", "k2")],
    "incrby": [("INCRBY", "k", "5"), ("INCRBY", "k", "-5"), ("INCRBY", "k", "0")],
    "decrby": [("DECRBY", "k", "5"), ("DECRBY", "k", "-5")],
    "incrbyfloat": [("INCRBYFLOAT", "k", "1.5"), ("INCRBYFLOAT", "k", "-1.5e0"), ("SET", "k2", "3", "EX", "9"),
                    ("INCRBYFLOAT", "k2", "0.25")],
    # ------------------------------------------------------------------------------------------- list
    "lpush": [("LPUSH", "l", "a", "b"), ("LPUSH", "l", "c")],
    "rpush": [("RPUSH", "l", "a", "b"), ("RPUSH", "l", "c")],
    "lpushx": [("LPUSHX", "l", "a"), ("RPUSH", "l", "x"), ("LPUSHX", "l", "a", "b")],
    "rpushx": [("RPUSHX", "l", "a"), ("RPUSH", "l", "x"), ("RPUSHX", "l", "a", "b")],
    "lpop": [("RPUSH", "l", "a", "b", "c", "d"), ("LPOP", "l"), ("LPOP", "l", "2"), ("LPOP", "l", "0"),
             ("LPOP", "l", "5"), ("LPOP", "l"), ("LPOP", "l", "0"), ("RPUSH", "m", "a"), ("LPOP", "m", "1")],
    "rpop": [("RPUSH", "l", "a", "b", "c", "d"), ("RPOP", "l"), ("RPOP", "l", "2"), ("RPOP", "l", "0"),
             ("RPOP", "l", "5"), ("RPOP", "l"), ("RPUSH", "m", "a"), ("RPOP", "m")],
    "lset": [("RPUSH", "l", "a", "b"), ("LSET", "l", "0", "x"), ("LSET", "l", "-1", "y")],
    "linsert": [("RPUSH", "l", "a", "b"), ("LINSERT", "l", "BEFORE", "a", "x"), ("LINSERT", "l", "AFTER", "b", "y"),
                ("LINSERT", "l", "AFTER", "zz", "y"), ("LINSERT", "nol", "AFTER", "a", "b")],
    "lrem": [("RPUSH", "l", "a", "b", "a", "c", "a", "a"), ("LREM", "l", "2", "a"), ("LREM", "l", "1", "a"), ("LREM", "l", "0", "zz"),
             ("LREM", "l", "-1", "c"), ("LREM", "l", "0", "a"), ("LREM", "l", "0", "b"), ("LREM", "l", "0", "b")],
    "ltrim": [("RPUSH", "l", "a", "b", "c", "d", "e", "f"), ("LTRIM", "l", "1", "-2"), ("LTRIM", "l", "1", "-1"), ("LTRIM", "l", "0", "-1"),
              ("LTRIM", "l", "5", "10"), ("LTRIM", "nol", "0", "1")],
    "lmove": [("RPUSH", "s", "a", "b", "c"), ("LMOVE", "s", "d", "LEFT", "RIGHT"), ("LMOVE", "s", "s", "RIGHT", "LEFT"),
              ("LMOVE", "s", "d", "RIGHT", "LEFT"), ("LMOVE", "s", "d", "LEFT", "LEFT"),
              ("LMOVE", "s", "d", "LEFT", "LEFT")],
    "rpoplpush": [("RPUSH", "s", "a", "b"), ("RPOPLPUSH", "s", "d"), ("RPOPLPUSH", "s", "s"),
                  ("RPOPLPUSH", "s", "d"), ("RPOPLPUSH", "s", "d")],
    "lmpop": [("RPUSH", "l", "a", "b", "c"), ("LMPOP", "2", "nol", "l", "LEFT"),
              ("LMPOP", "1", "l", "RIGHT", "COUNT", "5"), ("LMPOP", "1", "l", "LEFT")],
    "blpop": [("RPUSH", "l", "a", "b"), ("BLPOP", "nol", "l", "0"), ("BLPOP", "l", "0")],
    "brpop": [("RPUSH", "l", "a", "b"), ("BRPOP", "nol", "l", "0"), ("BRPOP", "l", "0")],
    "blmove": [("RPUSH", "s", "a", "b"), ("BLMOVE", "s", "d", "LEFT", "RIGHT", "0"),
               ("BLMOVE", "s", "d", "RIGHT", "LEFT", "0")],
    "brpoplpush": [("RPUSH", "s", "a", "b"), ("BRPOPLPUSH", "s", "d", "0"), ("BRPOPLPUSH", "s", "s", "0"),
                   ("BRPOPLPUSH", "s", "d", "0")],
    "blmpop": [("RPUSH", "l", "a", "b", "c"), ("BLMPOP", "0", "2", "nol", "l", "LEFT"),
               ("BLMPOP", "0", "1", "l", "RIGHT", "COUNT", "5")],
    # ------------------------------------------------------------------------------------------- hash
    "hset": [("HSET", "h", "a", "1", "b", "2"), ("HSET", "h", "a", "3"), ("HSET", "h", "a", "3")],
    "hmset": [("HMSET", "h", "a", "1", "b", "2"), ("HMSET", "h", "a", "3")],
    "hsetnx": [("HSETNX", "h", "a", "1"), ("HSETNX", "h", "a", "2"), ("HSETNX", "h", "b", "2")],
    "hincrby": [("HINCRBY", "h", "a", "5"), ("HINCRBY", "h", "a", "-5"), ("HINCRBY", "h", "b", "0")],
    "hincrbyfloat": [("HINCRBYFLOAT", "h", "a", "1.5"), ("HINCRBYFLOAT", "h", "a", "-0.5"),
                     ("HINCRBYFLOAT", "h", "b", "0")],
    "hdel": [("HSET", "h", "a", "1", "b", "2"), ("HDEL", "h", "zz"), ("HDEL", "h", "a"), ("HDEL", "h", "b", "c"),
             ("HDEL", "h", "a")],
    # -------------------------------------------------------------------------------------------- set
    "sadd": [("SADD", "s", "a", "b"), ("SADD", "s", "a"), ("SADD", "i", "1", "2"), ("SADD", "i", "x")],
    "srem": [("SADD", "s", "a", "b"), ("SREM", "s", "zz"), ("SREM", "s", "a"), ("SREM", "s", "b", "c"),
             ("SREM", "nos", "a")],
    "spop": [("SADD", "s", "1", "2", "3"), ("SPOP", "s", "0"), ("SPOP", "s", "3"), ("SPOP", "s"),
             ("SPOP", "s", "1"), ("SADD", "t", "x"), ("SPOP", "t"), ("SADD", "u", "1", "2"), ("SPOP", "u", "5"),
             ("SADD", "v", "a", "b", "c"), ("SPOP", "v", "3"), ("SADD", "w", "9"), ("SPOP", "w", "1")],
    "smove": [("SADD", "s", "a", "b"), ("SMOVE", "s", "d", "a"), ("SMOVE", "s", "d", "zz"), ("SMOVE", "s", "s", "b"),
              ("SMOVE", "s", "d", "b"), ("SMOVE", "nos", "d", "a"), ("SADD", "e", "a"), ("SMOVE", "e", "d", "a")],
    "sinterstore": [("SADD", "a", "1", "2", "3"), ("SADD", "b", "2", "3", "4"), ("SINTERSTORE", "d", "a", "b"),
                    ("SINTERSTORE", "d", "a", "nokey"), ("SINTERSTORE", "nod", "a", "nokey"),
                    ("SINTERSTORE", "a", "a", "b")],
    "sunionstore": [("SADD", "a", "1", "2", "3"), ("SADD", "b", "2", "x"), ("SUNIONSTORE", "d", "a", "b"),
                    ("SUNIONSTORE", "d", "nokey"), ("SUNIONSTORE", "nod", "nokey"), ("SUNIONSTORE", "a", "a", "b")],
    "sdiffstore": [("SADD", "a", "1", "2", "3"), ("SADD", "b", "2", "3"), ("SDIFFSTORE", "d", "a", "b"),
                   ("SDIFFSTORE", "d", "a", "a"), ("SDIFFSTORE", "nod", "nokey"), ("SDIFFSTORE", "a", "a", "b")],
    # ------------------------------------------------------------------------------------- sorted set
    "zadd": [("ZADD", "z", "1", "a", "2", "b"), ("ZADD", "z", "1", "a"), ("ZADD", "z", "XX", "5", "a"),
             ("ZADD", "z", "NX", "5", "a"), ("ZADD", "z", "INCR", "1", "a"), ("ZADD", "z", "CH", "GT", "1", "a"),
             ("ZADD", "z", "XX", "1", "c"), ("ZADD", "nz", "XX", "1", "a"), ("ZADD", "z", "NX", "INCR", "1", "a")],
    "zincrby": [("ZINCRBY", "z", "1", "a"), ("ZINCRBY", "z", "-1", "a"), ("ZINCRBY", "z", "0", "b")],
    "zrem": [("ZADD", "z", "1", "a", "2", "b"), ("ZREM", "z", "zz"), ("ZREM", "z", "a"), ("ZREM", "z", "b", "c"),
             ("ZREM", "nz", "a")],
    "zpopmin": [("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("ZPOPMIN", "z"), ("ZPOPMIN", "z", "0"),
                ("ZPOPMIN", "z", "5"), ("ZPOPMIN", "z")],
    "zpopmax": [("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("ZPOPMAX", "z"), ("ZPOPMAX", "z", "0"),
                ("ZPOPMAX", "z", "5"), ("ZPOPMAX", "z")],
    "zmpop": [("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("ZMPOP", "2", "nz", "z", "MIN"),
              ("ZMPOP", "1", "z", "MAX", "COUNT", "5"), ("ZMPOP", "1", "z", "MIN")],
    "bzpopmin": [("ZADD", "z", "1", "a", "2", "b"), ("BZPOPMIN", "nz", "z", "0"), ("BZPOPMIN", "z", "0")],
    "bzpopmax": [("ZADD", "z", "1", "a", "2", "b"), ("BZPOPMAX", "nz", "z", "0"), ("BZPOPMAX", "z", "0")],
    "bzmpop": [("ZADD", "z", "1", "a", "2", "b"), ("BZMPOP", "0", "2", "nz", "z", "MIN"),
               ("BZMPOP", "0", "1", "z", "MAX", "COUNT", "5")],
    "zunionstore": [("ZADD", "a", "1", "x", "2", "y"), ("ZADD", "b", "3", "y"), ("ZUNIONSTORE", "d", "2", "a", "b"),
                    ("ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2", "AGGREGATE", "MAX"),
                    ("ZUNIONSTORE", "d", "1", "nokey"), ("ZUNIONSTORE", "nod", "1", "nokey")],
    "zinterstore": [("ZADD", "a", "1", "x", "2", "y"), ("ZADD", "b", "3", "y"), ("ZINTERSTORE", "d", "2", "a", "b"),
                    ("ZINTERSTORE", "d", "2", "a", "b", "AGGREGATE", "MIN"), ("ZINTERSTORE", "d", "2", "a", "nokey"),
                    ("ZINTERSTORE", "nod", "1", "nokey")],
    "zdiffstore": [("ZADD", "a", "1", "x", "2", "y"), ("ZADD", "b", "3", "y"), ("ZDIFFSTORE", "d", "2", "a", "b"),
                   ("ZDIFFSTORE", "d", "2", "a", "a"), ("ZDIFFSTORE", "nod", "1", "nokey")],
    "zrangestore": [("ZADD", "a", "1", "x", "2", "y", "3", "z"), ("ZRANGESTORE", "d", "a", "0", "1"),
                    ("ZRANGESTORE", "d", "a", "(1", "+inf", "BYSCORE", "LIMIT", "0", "1"),
                    ("ZRANGESTORE", "d", "a", "[x", "[y", "BYLEX"), ("ZRANGESTORE", "d", "a", "5", "10"),
                    ("ZRANGESTORE", "nod", "nokey", "0", "-1")],
    "zremrangebyrank": [("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("ZREMRANGEBYRANK", "z", "5", "10"),
                        ("ZREMRANGEBYRANK", "z", "0", "0"), ("ZREMRANGEBYRANK", "z", "0", "-1"),
                        ("ZREMRANGEBYRANK", "nz", "0", "-1")],
    "zremrangebyscore": [("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("ZREMRANGEBYSCORE", "z", "(5", "10"),
                         ("ZREMRANGEBYSCORE", "z", "1", "1"), ("ZREMRANGEBYSCORE", "z", "-inf", "+inf")],
    "zremrangebylex": [("ZADD", "z", "0", "a", "0", "b", "0", "c"), ("ZREMRANGEBYLEX", "z", "(x", "+"),
                       ("ZREMRANGEBYLEX", "z", "[a", "[a"), ("ZREMRANGEBYLEX", "z", "-", "+")],
    # ----------------------------------------------------------------------------------------- bitmap
    "setbit": [("SETBIT", "b", "7", "1"), ("SETBIT", "b", "7", "1"), ("SETBIT", "b", "100", "0"),
               ("SETBIT", "b", "0", "0"), ("SETBIT", "c", "0", "0")],
    "bitop": [("SET", "a", "abc"), ("SET", "b", "xyz"), ("BITOP", "AND", "d", "a", "b"),
              ("BITOP", "OR", "d", "a", "nokey"), ("BITOP", "NOT", "d", "a"), ("BITOP", "XOR", "d", "a", "b"),
              ("BITOP", "XOR", "d", "nokey", "nokey2"), ("BITOP", "AND", "nod", "nokey"), ("BITOP", "OR", "a", "a", "b"),
              ("BITOP", "NOT", "b", "b")],
    "bitfield": [("BITFIELD", "b", "SET", "u8", "0", "255"), ("BITFIELD", "b", "GET", "u8", "0"),
                 ("BITFIELD", "b", "INCRBY", "u8", "0", "1"), ("BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u8",
                                                                "0", "255"),
                 ("BITFIELD", "nob", "GET", "u8", "0"), ("BITFIELD", "b", "SET", "u8", "0", "0"),
                 ("BITFIELD", "c", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "300")],
    # ------------------------------------------------------------------------------------ hyperloglog
    "pfadd": [("PFADD", "h", "a", "b"), ("PFADD", "h", "a"), ("PFADD", "h2"), ("PFADD", "h2"), ("PFADD", "h", "c")],
    "pfmerge": [("PFADD", "a", "x"), ("PFADD", "b", "y"), ("PFMERGE", "d", "a", "b"), ("PFMERGE", "d"),
                ("PFMERGE", "nod"), ("PFMERGE", "e", "nokey"), ("PFMERGE", "a", "a", "b"), ("PFMERGE", "a", "a")],
    "pfdebug": [("PFADD", "h", "a", "b"), ("PFDEBUG", "ENCODING", "h"), ("PFDEBUG", "DECODE", "h"),
                ("PFDEBUG", "TODENSE", "h"), ("PFDEBUG", "TODENSE", "h"), ("PFDEBUG", "ENCODING", "h"),
                ("PFADD", "g", "a"), ("PFDEBUG", "GETREG", "g")],
    # ---------------------------------------------------------------------------------------- generic
    "del": [("SET", "a", "1"), ("SET", "b", "2"), ("DEL", "a", "b", "c"), ("DEL", "a")],
    "unlink": [("SET", "a", "1"), ("RPUSH", "b", "2"), ("UNLINK", "a", "b", "c"), ("UNLINK", "a")],
    "rename": [("SET", "a", "1"), ("RENAME", "a", "b"), ("RENAME", "b", "b"), ("RENAME", "nokey", "b"), ("SET", "c", "x", "EX", "100"),
               ("RENAME", "b", "c"), ("RPUSH", "l", "x"), ("RENAME", "c", "l")],
    "renamenx": [("SET", "a", "1"), ("SET", "b", "2"), ("RENAMENX", "a", "b"), ("RENAMENX", "a", "c"),
                 ("RENAMENX", "c", "c")],
    "copy": [("SET", "a", "1"), ("COPY", "a", "b"), ("COPY", "a", "b"), ("COPY", "a", "b", "REPLACE"),
             ("COPY", "nokey", "b"), ("COPY", "a", "b", "DB", "1", "REPLACE"), ("RPUSH", "l", "x"),
             ("COPY", "l", "m"), ("COPY", "l", "a", "REPLACE")],
    "move": [("SET", "a", "1"), ("MOVE", "a", "1"), ("MOVE", "a", "1"), ("SET", "a", "2"), ("MOVE", "a", "1")],
    "expire": [("SET", "a", "1"), ("EXPIRE", "a", "100"), ("EXPIRE", "a", "100", "NX"), ("EXPIRE", "a", "200", "XX"),
               ("EXPIRE", "a", "50", "GT"), ("EXPIRE", "a", "500", "LT"), ("EXPIRE", "a", "50", "LT"),
               ("EXPIRE", "nokey", "10"), ("EXPIRE", "a", "0"), ("SET", "b", "1"), ("EXPIRE", "b", "-1")],
    "pexpire": [("SET", "a", "1"), ("PEXPIRE", "a", "100000"), ("PEXPIRE", "a", "1000", "NX"),
                ("PEXPIRE", "a", "200000", "XX"), ("PEXPIRE", "nokey", "10"), ("PEXPIRE", "a", "-5")],
    "expireat": [("SET", "a", "1"), ("EXPIREAT", "a", "9999999999"), ("EXPIREAT", "a", "9999999999", "NX"),
                 ("EXPIREAT", "nokey", "9999999999"), ("EXPIREAT", "a", "1")],
    "pexpireat": [("SET", "a", "1"), ("PEXPIREAT", "a", "9999999999999"), ("PEXPIREAT", "a", "9999999999998", "GT"),
                  ("PEXPIREAT", "nokey", "9999999999999"), ("PEXPIREAT", "a", "1")],
    "persist": [("SET", "a", "1", "EX", "100"), ("PERSIST", "a"), ("PERSIST", "a"), ("PERSIST", "nokey")],
    # Refused at once by port 1 (IOERR) or NOKEY: no event, no change. The events of keys really migrated
    # need a target server: tests/commands/test_migrate.py compares those with redis-server.
    "migrate": [("SET", "a", "1"), ("MIGRATE", "127.0.0.1", "1", "a", "0", "100"),
                ("MIGRATE", "127.0.0.1", "1", "nokey", "0", "100"),
                ("MIGRATE", "127.0.0.1", "1", "", "0", "100", "KEYS", "a", "nokey")],
    "restore": [("RESTORE", "a", "0", _PAYLOAD), ("RESTORE", "a", "0", _PAYLOAD),
                ("RESTORE", "a", "0", _PAYLOAD, "REPLACE"), ("RESTORE", "b", "100000", _PAYLOAD),
                ("RESTORE", "c", "1", _PAYLOAD, "ABSTTL"), ("RESTORE", "a", "1", _PAYLOAD, "ABSTTL", "REPLACE"),
                ("RESTORE", "d", "0", "garbage"), ("RESTORE", "b", "0", _PAYLOAD, "REPLACE", "IDLETIME", "10")],
    "sort": [("RPUSH", "l", "3", "1", "2"), ("SORT", "l"), ("SORT", "l", "STORE", "d"), ("SORT", "nol", "STORE", "d"),
             ("SORT", "l", "LIMIT", "5", "5", "STORE", "d"), ("SORT", "l", "DESC", "STORE", "e"),
             ("SORT", "nol", "STORE", "nod"), ("SORT", "l", "STORE", "l"), ("SORT", "l", "ALPHA", "DESC", "STORE", "l")],
}

# Read commands on missing keys (and a lazily expired one): "keymiss" and "expired" events with "KEAnm".
READ_CASES: dict[str, list[Step]] = {
    "get": [("GET", "x")], "mget": [("SET", "a", "1"), ("MGET", "x", "a", "y")], "strlen": [("STRLEN", "x")],
    "getrange": [("GETRANGE", "x", "0", "1")], "substr": [("SUBSTR", "x", "0", "1")],
    "lcs": [("SET", "a", "ab"), ("LCS", "a", "x")],
    "llen": [("LLEN", "x")], "lrange": [("LRANGE", "x", "0", "-1")], "lindex": [("LINDEX", "x", "0")],
    "lpos": [("LPOS", "x", "a")],
    "hget": [("HGET", "x", "f")], "hmget": [("HMGET", "x", "f")], "hexists": [("HEXISTS", "x", "f")],
    "hlen": [("HLEN", "x")], "hstrlen": [("HSTRLEN", "x", "f")], "hkeys": [("HKEYS", "x")], "hvals": [("HVALS", "x")],
    "hgetall": [("HGETALL", "x")], "hrandfield": [("HRANDFIELD", "x")], "hscan": [("HSCAN", "x", "0")],
    "smembers": [("SMEMBERS", "x")], "sismember": [("SISMEMBER", "x", "a")], "smismember": [("SMISMEMBER", "x", "a")],
    "scard": [("SCARD", "x")], "srandmember": [("SRANDMEMBER", "x")], "sscan": [("SSCAN", "x", "0")],
    "sinter": [("SADD", "a", "1"), ("SINTER", "a", "x")], "sintercard": [("SINTERCARD", "2", "x", "y")],
    "sunion": [("SUNION", "x", "y")], "sdiff": [("SADD", "a", "1"), ("SDIFF", "a", "x")],
    "zrandmember": [("ZRANDMEMBER", "x")], "zunion": [("ZUNION", "2", "x", "y")], "zinter": [("ZINTER", "1", "x")],
    "zdiff": [("ZDIFF", "1", "x")], "zintercard": [("ZINTERCARD", "1", "x")], "zscan": [("ZSCAN", "x", "0")],
    "zcard": [("ZCARD", "x")], "zscore": [("ZSCORE", "x", "a")], "zmscore": [("ZMSCORE", "x", "a")],
    "zrank": [("ZRANK", "x", "a")], "zrevrank": [("ZREVRANK", "x", "a")], "zcount": [("ZCOUNT", "x", "0", "1")],
    "zlexcount": [("ZLEXCOUNT", "x", "-", "+")], "zrange": [("ZRANGE", "x", "0", "-1")],
    "zrevrange": [("ZREVRANGE", "x", "0", "-1")], "zrangebyscore": [("ZRANGEBYSCORE", "x", "0", "1")],
    "zrevrangebyscore": [("ZREVRANGEBYSCORE", "x", "1", "0")], "zrangebylex": [("ZRANGEBYLEX", "x", "-", "+")],
    "zrevrangebylex": [("ZREVRANGEBYLEX", "x", "+", "-")],
    "getbit": [("GETBIT", "x", "0")], "bitcount": [("BITCOUNT", "x")], "bitpos": [("BITPOS", "x", "1")],
    "bitfield_ro": [("BITFIELD_RO", "x", "GET", "u8", "0")],
    "pfcount": [("PFCOUNT", "x")],
    "exists": [("EXISTS", "x", "y")], "type": [("TYPE", "x")], "touch": [("TOUCH", "x")],
    "ttl": [("TTL", "x")], "pttl": [("PTTL", "x")], "expiretime": [("EXPIRETIME", "x")],
    "pexpiretime": [("PEXPIRETIME", "x")], "object|encoding": [("OBJECT", "ENCODING", "x")],
    "object|freq": [],          # errors without an LFU maxmemory-policy, before any lookup
    "object|idletime": [("OBJECT", "IDLETIME", "x")], "object|refcount": [("OBJECT", "REFCOUNT", "x")],
    "sort_ro": [("SORT_RO", "x")], "dump": [("DUMP", "x")], "expired": [("SET", "e", "1", "PXAT", "1"), ("GET", "e"), ("EXISTS", "e")],
}

# Write commands meeting keys whose TTL has passed but that are still stored (expired lazily by the write's
# lookup; active expiry is off on these servers). ("WAIT",) lets 30 ms pass. (A 1 ms TTL could already be
# over when Redis checks it inside PEXPIRE, which then deletes the key instead.)
_STALE = [("SET", "s", "v", "PXAT", "1"), ("RPUSH", "l", "a", "b"), ("HSET", "h", "f", "1"), ("SADD", "t", "a"),
          ("ZADD", "z", "1", "a"), ("PEXPIRE", "l", "20"), ("PEXPIRE", "h", "20"), ("PEXPIRE", "t", "20"),
          ("PEXPIRE", "z", "20"), ("WAIT",)]
EXPIRED_CASES: dict[str, list[Step]] = {
    "append": [("APPEND", "s", "x")], "incr": [("INCR", "s")], "getset": [("GETSET", "s", "w")],
    "setrange": [("SETRANGE", "s", "2", "x")], "setnx": [("SETNX", "s", "x")], "getdel": [("GETDEL", "s")],
    "set-get": [("SET", "s", "x", "GET")], "setbit": [("SETBIT", "s", "1", "1")], "pfadd": [("PFADD", "s", "a")],
    "lpush": [("LPUSH", "l", "x")], "rpushx": [("RPUSHX", "l", "x")], "lpop": [("LPOP", "l")],
    "lmove": [("LMOVE", "l", "d", "LEFT", "LEFT"), ("RPUSH", "m", "a"), ("LMOVE", "m", "s", "LEFT", "LEFT")],
    "hset": [("HSET", "h", "g", "2")], "hincrby": [("HINCRBY", "h", "f", "1")], "hdel": [("HDEL", "h", "f")],
    "sadd": [("SADD", "t", "b")], "srem": [("SREM", "t", "a")], "smove": [("SADD", "u", "a"), ("SMOVE", "u", "t", "a")],
    "sinterstore": [("SADD", "u", "a"), ("SINTERSTORE", "t", "u")], "zadd": [("ZADD", "z", "2", "b")],
    "zincrby": [("ZINCRBY", "z", "1", "a")], "zrem": [("ZREM", "z", "a")],
    "zunionstore": [("ZADD", "y", "1", "a"), ("ZUNIONSTORE", "z", "1", "y")],
    "del": [("DEL", "s", "l", "h", "t", "z")], "exists": [("EXISTS", "s", "l")], "expire": [("EXPIRE", "s", "100")],
    "persist": [("PERSIST", "l")], "rename": [("RENAME", "s", "x")], "copy": [("SET", "c", "1"), ("COPY", "c", "l")],
    "copy-src": [("COPY", "s", "x")], "move": [("MOVE", "s", "1")], "sort-store": [("RPUSH", "q", "1"),
                                                                                  ("SORT", "q", "STORE", "z")],
    "bitop": [("BITOP", "NOT", "d", "s")], "pfmerge": [("PFMERGE", "s")], "incrbyfloat": [("INCRBYFLOAT", "s", "1")],
}

MARK = "zzmark"


def _terminator() -> bytes:
    """The last message the subscriber sees: the keyevent "set" for the final SET of MARK."""
    return encode_command("pmessage", "__key*@*", "__keyevent@0__:set", MARK)


def _short(msg: bytes) -> str:
    """ "channel payload" of a pmessage, for readable diffs."""
    parts = split_array(msg)
    return " ".join(p.split(b"\r\n")[1].decode() for p in parts[2:])


def _dirty(oracle: Oracle) -> list[int]:
    """rdb_changes_since_last_save (the dirty counter) of both servers."""
    out = []
    for client in (oracle.ours, oracle.redis):
        info = client.command("INFO", "persistence")
        out.append(int(info.split(b"rdb_changes_since_last_save:")[1].split(b"\r\n")[0]))
    return out


def _do_step(oracle: Oracle, step: Step) -> None:
    if step[0] in UNORDERED:
        ours, theirs = oracle.both(*step)
        if ours[:1] == b"*" and theirs[:1] == b"*":
            assert sorted(split_array(ours)) == sorted(split_array(theirs)), (step, ours, theirs)
        else:
            assert ours == theirs, (step, ours, theirs)
    else:
        oracle.do(*step)


def _run_events(oracle: Oracle, steps: list[Step], flags: str) -> None:
    subs = [RawClient(oracle.ours.sock.getpeername()[1]), RawClient(oracle.redis.sock.getpeername()[1])]
    try:
        for sub in subs:
            assert sub.command("PSUBSCRIBE", "__key*@*").startswith(b"*3\r\n")
        oracle.do("CONFIG", "SET", "notify-keyspace-events", flags)
        dirty_before = _dirty(oracle)
        for step in steps:
            if step == ("WAIT",):
                deadline = time.monotonic() + 0.03
                while time.monotonic() < deadline:
                    time.sleep(0.001)
                continue
            _do_step(oracle, step)
        dirty = [after - before for before, after in zip(dirty_before, _dirty(oracle), strict=True)]
        oracle.do("SET", MARK, "1")
        end = _terminator()
        streams = []
        for sub in subs:
            got = []
            while True:
                msg = sub.read_reply()
                got.append(msg)
                if msg == end:
                    break
            streams.append(got)
        if streams[0] != streams[1]:
            ours, theirs = ([_short(m) for m in st] for st in streams)
            width = max(len(x) for x in ours)
            rows = "\n".join(f"{'!' if a != b else ' '} {a:{width}}  {b}" for a, b in zip(
                ours + [""] * (len(theirs) - len(ours)), theirs + [""] * (len(ours) - len(theirs)), strict=True))
            pytest.fail(f"{flags}: pyredcache vs redis event streams differ\n{rows}")
        assert dirty[0] == dirty[1], f"changes counted: ours {dirty[0]}, redis {dirty[1]}"
    finally:
        for sub in subs:
            sub.close()
        oracle.do("CONFIG", "SET", "notify-keyspace-events", "")


def _write_commands() -> set[str]:
    out = set()
    for spec in TABLE.values():
        for row in (spec, *spec.subcommands.values()):
            if row.group in GROUPS and row.flags & Flag.WRITE:
                out.add(row.fullname)
    return out


def test_every_write_command_has_an_event_script():
    missing = sorted(_write_commands() - WRITE_CASES.keys())
    assert not missing, f"add keyspace-event scripts for: {missing}"


def test_every_read_command_has_a_keymiss_script():
    reads = set()
    for spec in TABLE.values():
        for row in (spec, *spec.subcommands.values()):
            if row.group in GROUPS and not row.flags & Flag.WRITE and row.has_keys:
                reads.add(row.fullname)
    missing = sorted(reads - READ_CASES.keys())
    assert not missing, f"add keymiss scripts for: {missing}"


@pytest.mark.parametrize("flags", ["KEA", "KEAnm"])
@pytest.mark.parametrize("name", sorted(WRITE_CASES))
def test_write_command_events(oracle, name, flags):
    _run_events(oracle, WRITE_CASES[name], flags)


@pytest.mark.parametrize("name", sorted(k for k, v in READ_CASES.items() if v))
def test_read_command_keymiss_events(oracle, name):
    _run_events(oracle, READ_CASES[name], "KEAnm")


@pytest.fixture(scope="module")
def quiet_pair() -> Iterator[Oracle]:
    """A private server pair with active expiry off, so only the commands' own lookups expire keys."""
    gen = server_pair({"enable-debug-command": "local"})
    ours, theirs = next(gen)
    o = Oracle(ours, theirs)
    o.do("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    yield o
    o.close()
    gen.close()


@pytest.mark.parametrize("name", sorted(EXPIRED_CASES))
def test_write_on_expired_key_events(quiet_pair, name):
    quiet_pair.do("FLUSHALL")
    _run_events(quiet_pair, _STALE + EXPIRED_CASES[name], "KEAnm")


@pytest.mark.parametrize("name", sorted(set(WRITE_CASES) - {"spop"}))     # SPOP's EXEC reply is unordered
def test_write_command_events_in_multi(oracle, name):
    _run_events(oracle, [("MULTI",), *WRITE_CASES[name], ("EXEC",)], "KEA")


# A client blocked first, then served by another client's write: the events of the push and of the serving pop,
# the blocked client's reply and the changes counted (Redis counts none for a served BLPOP/BRPOP/BLMOVE).
BLOCKED_CASES: dict[str, tuple[Step, list[Step]]] = {
    "blpop": (("BLPOP", "nol", "l", "0"), [("RPUSH", "l", "a", "b")]),
    "brpop-last": (("BRPOP", "l", "0"), [("RPUSH", "l", "a")]),
    "blmove": (("BLMOVE", "s", "d", "LEFT", "RIGHT", "0"), [("RPUSH", "s", "a", "b")]),
    "brpoplpush-self": (("BRPOPLPUSH", "s", "s", "0"), [("LPUSH", "s", "a")]),
    "blmpop": (("BLMPOP", "0", "2", "x", "l", "LEFT", "COUNT", "2"), [("RPUSH", "l", "a", "b", "c")]),
    "blmpop-all": (("BLMPOP", "0", "1", "l", "RIGHT", "COUNT", "5"), [("LPUSH", "l", "a", "b")]),
    "blpop-multi": (("BLPOP", "l", "0"), [("MULTI",), ("RPUSH", "l", "a"), ("RPUSH", "l", "b"), ("EXEC",)]),
    "blpop-lmove": (("BLPOP", "d", "0"), [("RPUSH", "s", "a"), ("LMOVE", "s", "d", "LEFT", "LEFT")]),
    "bzpopmin": (("BZPOPMIN", "z", "0"), [("ZADD", "z", "1", "a", "2", "b")]),
    "bzpopmax-last": (("BZPOPMAX", "z", "0"), [("ZADD", "z", "1", "a")]),
    "bzmpop": (("BZMPOP", "0", "1", "z", "MAX", "COUNT", "5"), [("ZADD", "z", "1", "a", "2", "b")]),
    "bzpopmin-store": (("BZPOPMIN", "z", "0"), [("ZADD", "y", "1", "a"), ("ZUNIONSTORE", "z", "1", "y")]),
}


def _blocked_count(client: RawClient) -> int:
    info = client.command("INFO", "clients")
    return int(info.split(b"blocked_clients:")[1].split(b"\r\n")[0])


@pytest.mark.parametrize("name", sorted(BLOCKED_CASES))
def test_served_blocked_client_events(oracle, name):
    block, steps = BLOCKED_CASES[name]
    blockers = [RawClient(oracle.ours.sock.getpeername()[1]), RawClient(oracle.redis.sock.getpeername()[1])]
    try:
        for blocker, client in zip(blockers, (oracle.ours, oracle.redis), strict=True):
            blocker.send(encode_command(*block))
            wait_until(lambda client=client: _blocked_count(client) == 1, timeout=5, message="the client to block")
        before = _dirty(oracle)
        _run_events(oracle, steps, "KEAnm")
        replies = [b.read_reply() for b in blockers]
        assert replies[0] == replies[1], f"blocked client's reply: ours {replies[0]!r}, redis {replies[1]!r}"
        after = _dirty(oracle)
        counted = [a - b for a, b in zip(after, before, strict=True)]
        counted = [n - 1 for n in counted]        # _run_events' own final SET
        assert counted[0] == counted[1], f"changes counted: ours {counted[0]}, redis {counted[1]}"
    finally:
        for b in blockers:
            b.close()


@pytest.mark.parametrize("name", sorted(WRITE_CASES))
def test_write_command_dirty_and_watch(oracle, name):
    """Step by step: the change (dirty) counter grows as in Redis (it drives save points), and a WATCH on the
    step's keys is invalidated exactly when Redis's is (signalModifiedKey)."""
    watchers = [RawClient(oracle.ours.sock.getpeername()[1]), RawClient(oracle.redis.sock.getpeername()[1])]
    try:
        wrong = []
        for step in WRITE_CASES[name]:
            argv = [a if isinstance(a, bytes) else a.encode() for a in step]
            spec = lookup_command(argv)
            keys = [argv[i] for i in spec.get_keys(argv)] if spec is not None else []
            for w in watchers:
                if keys:
                    assert w.command("WATCH", *keys) == b"+OK\r\n"
            before = _dirty(oracle)
            _do_step(oracle, step)
            after = _dirty(oracle)
            ours, theirs = after[0] - before[0], after[1] - before[1]
            if ours != theirs:
                wrong.append(f"{step!r}: changes counted: ours +{ours}, redis +{theirs}")
            if not keys:
                continue
            execs = [b"".join(_watch_exec(w)) for w in watchers]
            if execs[0] != execs[1]:
                wrong.append(f"{step!r}: EXEC after WATCH {keys!r}: ours {execs[0]!r}, redis {execs[1]!r}")
        assert not wrong, "\n".join(wrong)
    finally:
        for w in watchers:
            w.close()


def _watch_exec(w: RawClient) -> list[bytes]:
    w.send(encode_command("MULTI") + encode_command("PING") + encode_command("EXEC"))
    return [w.read_reply() for _ in range(3)]
