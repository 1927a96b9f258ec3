"""Pub/Sub replies compared byte for byte with redis-server 7.0.15."""
from __future__ import annotations

from typing import Any

import pytest
from helpers.oracle import Oracle, assert_same_keyspace_events
from helpers.rawclient import RawClient

pytestmark = pytest.mark.oracle


def _pair(pyredcache_proc: Any, redis_proc: Any) -> list[RawClient]:
    return [RawClient(pyredcache_proc.port), RawClient(redis_proc.port)]


def test_subscribe_publish_oracle(oracle: Oracle, pyredcache_proc: Any, redis_proc: Any) -> None:
    subs = _pair(pyredcache_proc, redis_proc)
    try:
        got = [[s.command("SUBSCRIBE", "ch"), s.command("PSUBSCRIBE", "c*"), s.command("SSUBSCRIBE", "sh")]
               for s in subs]
        assert got[0] == got[1]
        assert oracle.do("PUBLISH", "ch", "hello") == b":2\r\n"
        assert oracle.do("SPUBLISH", "sh", "x") == b":1\r\n"
        oracle.do("PUBLISH", "nobody", "x")
        oracle.do("PUBSUB", "NUMSUB", "ch", "nobody")
        oracle.do("PUBSUB", "SHARDNUMSUB", "sh", "nobody")
        oracle.do("PUBSUB", "NUMPAT")
        oracle.do("PUBSUB", "CHANNELS", "c?")
        oracle.do("PUBSUB", "SHARDCHANNELS")
        msgs = [[s.read_reply() for _ in range(3)] for s in subs]
        assert msgs[0] == msgs[1]
        assert [s.command("GET", "k") for s in subs][0].startswith(b"-ERR Can't execute 'get'")
        got = [[s.command("UNSUBSCRIBE", "ch"), s.command("PUNSUBSCRIBE"), s.command("SUNSUBSCRIBE"),
                s.command("UNSUBSCRIBE"), s.command("GET", "k")] for s in subs]
        assert got[0] == got[1]
    finally:
        for s in subs:
            s.close()


def test_pubsub_errors_oracle(oracle: Oracle) -> None:
    oracle.error("SUBSCRIBE")
    oracle.error("PSUBSCRIBE")
    oracle.error("SSUBSCRIBE")
    oracle.error("PUBLISH", "a")
    oracle.error("SPUBLISH", "a")
    oracle.error("PUBSUB", "CHANNELS", "a", "b")
    oracle.error("PUBSUB", "NUMPAT", "x")
    oracle.error("PUBSUB", "foo")
    oracle.do("PUBSUB", "HELP")
    oracle.do("MULTI")
    oracle.do("SSUBSCRIBE", "a")
    oracle.do("EXEC")


def test_resp3_push_oracle(oracle: Oracle) -> None:
    oracle.both("HELLO", "3")
    oracle.do("SUBSCRIBE", "a")
    oracle.do("PUBLISH", "a", "m")
    oracle.do("GET", "k")
    oracle.do("UNSUBSCRIBE", "a")


@pytest.mark.parametrize("name", ["subscribe", "unsubscribe", "psubscribe", "punsubscribe", "publish",
                                  "ssubscribe", "sunsubscribe", "spublish", "pubsub|numsub", "pubsub|help",
                                  "pubsub|channels"])
def test_command_info_oracle(oracle: Oracle, name: str) -> None:
    oracle.do("COMMAND", "INFO", name)


# Keys created by these (dbAdd: "new") and read misses (lookupKey: "keymiss"), with the per-type events mixed in.
_NEW_AND_MISS_STEPS: list[tuple[str, ...]] = [
    ("SET", "s", "1"), ("SET", "s", "2"), ("GET", "nokey"), ("GET", "s"), ("MGET", "s", "m1", "m2"),
    ("RPUSH", "l", "a"), ("RPUSH", "l", "b"), ("LRANGE", "nol", "0", "-1"), ("HSET", "h", "f", "v"),
    ("HGET", "noh", "f"), ("SADD", "st", "m"), ("SMEMBERS", "nos"), ("EXISTS", "s", "x1", "x2"),
    ("TYPE", "nokey"), ("TTL", "nokey"), ("PTTL", "s"), ("OBJECT", "ENCODING", "nokey"), ("INCR", "n"),
    ("APPEND", "ap", "x"), ("SETRANGE", "sr", "0", "x"), ("COPY", "s", "c"), ("RENAME", "c", "c2"),
    ("MSET", "m1", "1", "m2", "2"), ("SETBIT", "b", "3", "1"), ("GETBIT", "nob", "1"), ("STRLEN", "nokey"),
    ("DEL", "s"), ("LPOP", "nol"),
    # Read lookups of missing keys by command (Redis fires keymiss unless the lookup is a write or NONOTIFY).
    ("TYPE", "k1"), ("TTL", "k2"), ("OBJECT", "ENCODING", "k3"), ("STRLEN", "k4"), ("PTTL", "k5"),
    ("EXPIRETIME", "k6"), ("GETBIT", "k7", "1"), ("TOUCH", "k9", "l"), ("LLEN", "k10"),
    ("HLEN", "k11"), ("SCARD", "k12"), ("GETRANGE", "k13", "0", "1"), ("SUBSTR", "k14", "0", "1"),
    ("LCS", "k15", "k16"), ("BITCOUNT", "k17"), ("SRANDMEMBER", "k18"), ("HRANDFIELD", "k19"),
    ("LINDEX", "k20", "0"), ("SINTER", "k21", "k22"), ("SUNIONSTORE", "d", "k23"),
    ("LMOVE", "k24", "d2", "LEFT", "LEFT"), ("GETDEL", "k25"), ("GETEX", "k26"), ("SMOVE", "k27", "d3", "m"),
    ("RENAME", "l", "k29"), ("EXPIRE", "k30", "5"), ("PERSIST", "k31"), ("HGETALL", "k32"),
    ("BITOP", "OR", "d4", "k33", "k34"), ("SINTERCARD", "2", "k35", "k36"), ("LPOS", "k37", "a"),
    ("HSTRLEN", "k38", "f"), ("SMISMEMBER", "k39", "a"), ("SDIFFSTORE", "d5", "k40"), ("GETSET", "k41", "v"),
    ("SET", "k42", "v", "GET"), ("INCRBYFLOAT", "k43", "1"), ("HINCRBY", "k44", "f", "1"),
]


@pytest.mark.parametrize("flags", ["KEAn", "KEAm", "Knm", "Enm"])
def test_new_and_keymiss_events_oracle(oracle: Oracle, flags: str) -> None:
    """notify-keyspace-events n and m (not part of A): "new" for every key added, "keymiss" for read misses."""
    assert_same_keyspace_events(oracle, "__key*@*", _NEW_AND_MISS_STEPS, flags=flags)
