"""Encoding-limit directives changed at runtime (Server.limits is refreshed by CONFIG SET apply hooks): canonical
names, the 6.x ziplist aliases, several directives in one CONFIG SET, and a rejected CONFIG SET that must leave
the limits unchanged — OBJECT ENCODING compared with redis-server 7.0.15 after each step."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from helpers.oracle import Oracle

pytestmark = pytest.mark.oracle

DEFAULTS = {"hash-max-listpack-entries": "512", "hash-max-listpack-value": "64", "set-max-intset-entries": "512",
            "zset-max-listpack-entries": "128", "zset-max-listpack-value": "64"}


@pytest.fixture
def limits(oracle: Oracle) -> Iterator[Oracle]:
    try:
        yield oracle
    finally:
        for name, value in DEFAULTS.items():
            oracle.do("CONFIG", "SET", name, value)


def _encodings(oracle: Oracle) -> None:
    oracle.do("FLUSHALL")
    oracle.do("HSET", "h", "a", "1", "b", "2", "c", "3")
    oracle.do("HSET", "hv", "f", "x" * 10)
    oracle.do("SADD", "s", "1", "2", "3")
    oracle.do("ZADD", "z", "1", "a", "2", "b", "3", "c")
    oracle.do("ZADD", "zv", "1", "y" * 10)
    for key in ("h", "hv", "s", "z", "zv"):
        oracle.do("OBJECT", "ENCODING", key)


@pytest.mark.parametrize("name,value", [
    ("hash-max-listpack-entries", "2"), ("hash-max-ziplist-entries", "2"),
    ("hash-max-listpack-value", "5"), ("hash-max-ziplist-value", "5"),
    ("set-max-intset-entries", "2"),
    ("zset-max-listpack-entries", "2"), ("zset-max-ziplist-entries", "2"),
    ("zset-max-listpack-value", "5"), ("zset-max-ziplist-value", "5"),
])
def test_each_directive_takes_effect_immediately(limits: Oracle, name: str, value: str) -> None:
    _encodings(limits)
    limits.do("CONFIG", "SET", name, value)
    _encodings(limits)
    limits.do("CONFIG", "SET", name, "1000")
    _encodings(limits)


def test_several_directives_in_one_config_set(limits: Oracle) -> None:
    limits.do("CONFIG", "SET", "hash-max-listpack-entries", "1", "set-max-intset-entries", "1",
              "zset-max-listpack-value", "2", "zset-max-ziplist-entries", "100")
    _encodings(limits)


def test_rejected_config_set_keeps_the_limits(limits: Oracle) -> None:
    limits.do("CONFIG", "SET", "hash-max-listpack-entries", "1", "zset-max-listpack-entries", "1",
              "maxmemory-policy", "bogus")
    limits.do("CONFIG", "SET", "set-max-intset-entries", "1", "set-max-intset-entries", "2")
    limits.do("CONFIG", "SET", "zset-max-listpack-value", "-1")
    _encodings(limits)
