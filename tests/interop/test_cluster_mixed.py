"""Mixed clusters: redis-server and pyredcache nodes in one cluster, joined by redis-cli. They reach
cluster_state:ok, agree on CLUSTER NODES (ids, roles, primaries, slot ranges, config epochs), serve keys across
kinds (replicas of either kind sync from primaries of either kind), and a lost pyredcache primary is replaced
by its replica of either kind. Only meaningful with pyredcache nodes, so there is no redis-only variant.

The fixed arrangement (LAYOUT): node0 pyredcache primary → node3 redis-server replica; node1 redis-server
primary → node4 pyredcache replica; node2 pyredcache primary → node5 pyredcache replica.
"""
from __future__ import annotations

import time
from typing import Any

import pytest
from helpers import cluster as hc
from helpers.cluster import (
    AckedWriter,
    ClusterHandle,
    assert_readable,
    is_replica_of,
    normalized,
    promoted,
    slots_of,
)
from helpers.rawclient import RawClient

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(120),
              pytest.mark.skipif(hc.MISSING is not None, reason=hc.MISSING or "")]

cluster_factory = hc.cluster_factory

PY, RS = "pyredcache", "redis"
KINDS = [PY, RS, PY, RS, PY, PY]
LAYOUT = [None, None, None, 0, 1, 2]
LIMIT_S = 2.0 + 5


def mixed(cluster_factory: Any) -> ClusterHandle:
    h: ClusterHandle = cluster_factory(KINDS, layout=LAYOUT)
    for i, p in enumerate(LAYOUT):
        if p is not None:
            h.wait(lambda i=i, p=p: is_replica_of(h, h.nodes[i], h.nodes[p]), 10, f"node{i} to replicate node{p}")
    h.wait(h.views_agree, 10, "every node to show the same CLUSTER NODES")
    return h


def test_mixed_create_with_cli_replicas_agree(cluster_factory) -> None:
    """Plain `redis-cli --cluster create --cluster-replicas 1` over 3 redis-server + 3 pyredcache nodes."""
    h = cluster_factory([RS, PY, RS, PY, RS, PY])
    h.wait(h.views_agree, 10, "every node to show the same CLUSTER NODES")
    assert sum(ln.role == "master" for ln in h.view()) == 3
    rc = h.client()
    for i in range(1000):
        rc.set(f"m:{i}", i)
    assert rc.mget_nonatomic([f"m:{i}" for i in range(1000)]) == [str(i).encode() for i in range(1000)]


def test_mixed_layout_agree_and_serve_keys(cluster_factory) -> None:
    h = mixed(cluster_factory)
    views = {n.node_id: n.cluster_nodes() for n in h.nodes}
    first = normalized(next(iter(views.values())))
    for node in h.nodes:
        lines = views[node.node_id]
        assert [ln.id for ln in lines if ln.myself] == [node.node_id], node
        assert normalized(lines) == first, f"{node!r} disagrees"
    primaries = [ln for ln in views[h.nodes[0].node_id] if ln.role == "master"]
    assert sorted(ln.id for ln in primaries) == sorted(n.node_id for n in h.nodes[:3])
    assert sorted(ln.config_epoch for ln in primaries) == [1, 2, 3]
    for n in h.nodes:
        info = n.cluster_info()
        assert info["cluster_state"] == "ok" and info["cluster_known_nodes"] == "6" and info["cluster_size"] == "3"
    rc = h.client()
    data = {f"x:{i}": f"v{i}" for i in range(3000)}
    p = rc.pipeline()
    for k, v in data.items():
        p.set(k, v)
    p.execute()
    assert_readable(rc, data)
    for prim in h.nodes[:3]:
        assert prim.cmd("DBSIZE") > 500
        [rep] = h.replicas_of(prim)
        h.wait(lambda rep=rep, prim=prim: rep.cmd("DBSIZE") == prim.cmd("DBSIZE"), 20,
               f"{rep!r} ({rep.kind}) to sync from {prim!r} ({prim.kind})")
        # A replica of either kind redirects a read to its primary, with the primary's address.
        key = next(k for k in data if h.node_for_key(k) is prim)
        raw = RawClient(rep.port)
        try:
            assert raw.command("GET", key) == f"-MOVED {hc.key_slot(key)} 127.0.0.1:{prim.port}\r\n".encode()
        finally:
            raw.sock.close()
        c = rep.conn()
        assert c.execute_command("READONLY") in (True, b"OK")
        assert c.execute_command("GET", key) == data[key].encode()
        assert c.execute_command("READWRITE") in (True, b"OK")

    def slots_agree() -> bool:
        """CLUSTER SLOTS is the same on every node and lists the replica of every range (once its
        replication offset has reached every node through gossip)."""
        slots = [sorted((r[0], r[1], [(x[1], x[2]) for x in r[2:]]) for r in n.cmd("CLUSTER", "SLOTS"))
                 for n in h.nodes]
        return all(s == slots[0] for s in slots) and all(len(r[2]) == 2 for r in slots[0])

    h.wait(slots_agree, 10, "every node to reply the same CLUSTER SLOTS")
    for node in (h.nodes[0], h.nodes[1]):
        out = h.cli("--cluster", "check", h.addr(node)).stdout
        assert "[OK] All nodes agree about slots configuration." in out and "[OK] All 16384 slots covered." in out


VICTIMS = [(0, 3), (2, 5), (1, 4)]


@pytest.mark.parametrize("victim,heir", VICTIMS,
                         ids=["py-primary_server-replica", "py-primary_py-replica", "server-primary_py-replica"])
def test_mixed_failover_replica_of_either_kind_wins(cluster_factory, victim: int, heir: int) -> None:
    h = mixed(cluster_factory)
    old, new = h.nodes[victim], h.nodes[heir]
    slots = slots_of(h.view(), old)
    w = AckedWriter(h, "mixed").start()
    try:
        h.wait(lambda: len(w.snapshot()) >= 300, 30, "300 acknowledged writes")
        t0 = time.monotonic()
        h.kill(old)
        h.wait(lambda: promoted(h, new, slots), 30, f"{new!r} promoted in place of {old!r}")
        h.wait_ok(30)
        t_ok = time.monotonic() - t0
        first = h.wait(lambda: w.first_write_after(t0, slots), 30, "a write to the lost primary's slots")
        assert t_ok <= LIMIT_S, f"cluster_state:ok after {t_ok:.2f}s (limit {LIMIT_S}s)"
        assert first <= LIMIT_S, f"first write to the lost slots after {first:.2f}s (limit {LIMIT_S}s)"
    finally:
        w.stop()
    h.wait(h.views_agree, 10, "the surviving nodes to show the same CLUSTER NODES")
    assert_readable(h.client(), w.snapshot())
    h.restart(old)
    h.wait(lambda: is_replica_of(h, old, new), 30, f"{old!r} to rejoin as a replica of {new!r}")
    h.wait_ok(30)
    h.wait(lambda: old.cmd("DBSIZE") == new.cmd("DBSIZE"), 30, f"{old!r} to sync from {new!r}")
