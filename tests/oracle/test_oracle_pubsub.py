"""Pub/Sub replies compared byte for byte with redis-server 7.0.15."""
from __future__ import annotations

from typing import Any

import pytest
from helpers.oracle import Oracle
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
