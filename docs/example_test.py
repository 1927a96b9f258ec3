"""pyredcache as a test fixture: copy this file into your project and run `pytest example_test.py`.

Needs only `pip install pyredcache redis pytest` (no redis binary, no Docker): the pyredcache pytest plugin
registers itself and starts a server on a free port the first time a test asks for one.
"""
from __future__ import annotations

import time

import redis


def test_standalone_counter(pyredcache_client: redis.Redis) -> None:
    """pyredcache_client: a redis.Redis on the session's server, emptied (FLUSHALL) before every test."""
    assert pyredcache_client.dbsize() == 0
    pyredcache_client.set("visits", 0)
    pyredcache_client.incrby("visits", 5)
    pyredcache_client.hset("user:1", mapping={"name": "ada", "lang": "en"})
    assert pyredcache_client.get("visits") == b"5"
    assert pyredcache_client.hgetall("user:1") == {b"name": b"ada", b"lang": b"en"}


def test_session_expires_without_sleeping(pyredcache_time) -> None:  # type: ignore[no-untyped-def]
    """pyredcache_time: a server whose TTL clock the test moves; an hour-long TTL passes in no time."""
    r = pyredcache_time.client
    pyredcache_time.freeze()                   # TTLs stand still until we move the clock
    r.set("session:42", "token", ex=3600)
    pyredcache_time.advance(3599)
    assert r.ttl("session:42") == 1
    assert r.get("session:42") == b"token"
    pyredcache_time.advance(2)                 # past the deadline: gone, as after a real hour
    assert r.get("session:42") is None
    assert r.exists("session:42") == 0


def test_cluster_failover_keeps_acknowledged_writes(pyredcache_cluster, pyredcache_cluster_client) -> None:  # type: ignore[no-untyped-def]
    """pyredcache_cluster: 3 primaries with a replica each. Kill the primary that owns our keys: its replica
    takes over and every write that a replica acknowledged (WAIT) can still be read."""
    cluster, rc = pyredcache_cluster, pyredcache_cluster_client
    keys = {f"order:{{eu}}:{i}": f"paid-{i}" for i in range(100)}     # one hash tag: one slot, one primary
    primary = cluster.node_for_key("order:{eu}:0")
    replica = cluster.replicas_of(primary)[0]
    with primary.client() as direct:           # WAIT counts the writes of its own connection
        for key, value in keys.items():
            direct.set(key, value)
        assert direct.wait(1, 5000) == 1       # the replica has every one of them
    assert rc.get("order:{eu}:7") == b"paid-7"

    cluster.kill(primary)                      # SIGKILL: no goodbye to the cluster
    deadline = time.monotonic() + 30
    while replica.role != "primary":           # the cluster notices (node timeout) and promotes it
        assert time.monotonic() < deadline, "the replica was not promoted"
        time.sleep(0.05)
    cluster.wait_ok()

    with cluster.client() as fresh:            # any client finds the new owner of the slot
        assert fresh.mget_nonatomic(list(keys)) == [v.encode() for v in keys.values()]
        fresh.set("order:{eu}:new", "after-failover")
        assert fresh.get("order:{eu}:new") == b"after-failover"
