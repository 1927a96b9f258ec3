"""redis-cli cluster tools against redis-server clusters (which validate the test logic) and pyredcache
clusters: reshard of 1,000 slots while a RedisCluster client writes (no key lost, no error beyond the redirects
the client follows), add-node as a primary and as a replica, rebalance, del-node, fix of an open slot, and
redis-py's cluster pipeline.
"""
from __future__ import annotations

import re
import threading

import pytest
import redis
from helpers import cluster as hc
from helpers.cluster import SLOTS, ClusterHandle, Node, key_slot, slot_keys

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(120),
              pytest.mark.skipif(hc.MISSING is not None, reason=hc.MISSING or "")]

cluster_factory = hc.cluster_factory
kinds = pytest.mark.parametrize("kind", hc.KINDS)


def slot_count(h: ClusterHandle, node: Node) -> int:
    return next(ln.slot_count for ln in h.view() if ln.id == node.node_id)


def check_ok(h: ClusterHandle, node: Node | None = None) -> str:
    out = h.cli("--cluster", "check", h.addr(node or h.live_nodes()[0])).stdout
    assert "[OK] All nodes agree about slots configuration." in out
    assert f"[OK] All {SLOTS} slots covered." in out
    assert "[WARNING]" not in out and "[ERR]" not in out, out
    return out


def populate(h: ClusterHandle, prefix: str, n: int) -> dict[str, str]:
    rc = h.client()
    data = {f"{prefix}:{i}": f"v{i}" for i in range(n)}
    p = rc.pipeline()
    for k, v in data.items():
        p.set(k, v)
    p.execute()
    return data


def assert_all(h: ClusterHandle, data: dict[str, str]) -> None:
    hc.assert_readable(h.client(), data)


class ClusterClientWriter:
    """SETs from a redis-py RedisCluster in a thread (the client follows MOVED/ASK itself); counts every
    exception it lets through."""

    def __init__(self, h: ClusterHandle, prefix: str) -> None:
        self.rc = h.client()
        self.prefix = prefix
        self.written: dict[str, str] = {}
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        i = 0
        while not self._stop.is_set():
            k, v = f"{self.prefix}:{i}", f"w{i}"
            try:
                self.rc.set(k, v)
                self.written[k] = v
            except redis.RedisError as exc:
                self.errors.append(repr(exc))
            i += 1

    def start(self) -> ClusterClientWriter:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(15)


@kinds
def test_tools_reshard_1000_slots_under_load(cluster_factory, kind: str) -> None:
    h = cluster_factory([kind] * 3, replicas=0)
    data = populate(h, "pre", 5000)
    src, dst = h.primaries()[0], h.primaries()[2]
    before_src, before_dst = slot_count(h, src), slot_count(h, dst)
    w = ClusterClientWriter(h, "load").start()
    try:
        h.wait(lambda: len(w.written) >= 200, 20, "the cluster client to write")
        res = h.cli("--cluster", "reshard", h.addr(src), "--cluster-from", src.node_id, "--cluster-to",
                    dst.node_id, "--cluster-slots", 1000, "--cluster-yes", timeout=100)
        assert "Moving slot" in res.stdout
        n = len(w.written)
        h.wait(lambda: len(w.written) >= n + 100, 20, "writes after the reshard")
    finally:
        w.stop()
    assert w.errors == []
    assert len(w.written) > 500
    h.wait_ok(20)
    assert slot_count(h, src) == before_src - 1000
    assert slot_count(h, dst) == before_dst + 1000
    check_ok(h)
    assert_all(h, data)
    assert_all(h, w.written)
    total = sum(n.cmd("DBSIZE") for n in h.primaries())
    assert total == len(data) + len(w.written)
    # Each key lives on the node that owns its slot now.
    for n in h.primaries():
        for k in n.cmd("RANDOMKEY"), n.cmd("RANDOMKEY"):
            assert h.node_for_slot(key_slot(k)) is n


@kinds
def test_tools_add_node_rebalance_del_node(cluster_factory, kind: str) -> None:
    h = cluster_factory([kind] * 3, replicas=0)
    data = populate(h, "k", 3000)
    entry = h.nodes[0]
    new_primary, new_replica = h.spawn([kind, kind])
    h.cli("--cluster", "add-node", h.addr(new_primary), h.addr(entry), timeout=60)
    members = h.nodes[:3] + [new_primary]
    h.wait(lambda: all(any(ln.id == new_primary.node_id for ln in n.cluster_nodes()) for n in members),
           20, "every node to know the new primary")
    h.wait_ok(20, members)
    me = new_primary.myself()
    assert me.role == "master" and me.slots == ()
    h.cli("--cluster", "add-node", h.addr(new_replica), h.addr(entry), "--cluster-slave", "--cluster-master-id",
          new_primary.node_id, timeout=60)
    h.wait(lambda: all(any(ln.id == new_replica.node_id and ln.master == new_primary.node_id
                           for ln in n.cluster_nodes()) for n in h.live_nodes()),
           20, "every node to see the new replica of the new primary")
    h.wait_ok(20)
    # rebalance gives the empty primary its share by weight: 0.1 of 3.1 is ~528 slots (an equal share would
    # move 4096 slots, and again as many to empty it below: slow on a small machine and no more telling).
    res = h.cli("--cluster", "rebalance", h.addr(entry), "--cluster-use-empty-masters", "--cluster-weight",
                f"{new_primary.node_id}=0.1", timeout=100)
    assert "Moving" in res.stdout
    h.wait_ok(20)
    assert 500 <= slot_count(h, new_primary) <= 560
    assert all(5200 <= slot_count(h, n) <= 5300 for n in h.nodes[:3])
    check_ok(h)
    assert_all(h, data)
    h.wait(lambda: new_replica.cmd("DBSIZE") == new_primary.cmd("DBSIZE") > 0, 20, "the new replica to sync")
    # del-node of the replica: forgotten by every node; the node itself is sent CLUSTER RESET SOFT.
    h.cli("--cluster", "del-node", h.addr(entry), new_replica.node_id, timeout=60)
    h.wait(lambda: [(ln.id, ln.role) for ln in new_replica.cluster_nodes()] == [(new_replica.node_id, "master")],
           20, "the deleted replica to be reset (it knows only itself)")
    h.kill(new_replica)
    h.wait(lambda: all(all(ln.id != new_replica.node_id for ln in n.cluster_nodes()) for n in h.live_nodes()),
           20, "every node to forget the deleted replica")
    # Empty the new primary (weight 0), then delete it too.
    h.cli("--cluster", "rebalance", h.addr(entry), "--cluster-weight", f"{new_primary.node_id}=0", timeout=100)
    h.wait_ok(20)
    assert slot_count(h, new_primary) == 0
    h.cli("--cluster", "del-node", h.addr(entry), new_primary.node_id, timeout=60)
    h.wait(lambda: [ln.id for ln in new_primary.cluster_nodes()] == [new_primary.node_id], 20,
           "the deleted primary to be reset")
    h.kill(new_primary)
    h.wait(lambda: all(len(n.cluster_nodes()) == 3 for n in h.live_nodes()), 20, "3 nodes left")
    h.wait_ok(20)
    check_ok(h)
    assert_all(h, data)


@kinds
def test_tools_fix_closes_open_slot(cluster_factory, kind: str) -> None:
    h = cluster_factory([kind] * 3, replicas=0)
    a, b, _ = h.primaries()
    key = slot_keys(h.node_for_slot, a, 1, "open")[0]
    slot = key_slot(key)
    a.cmd("SET", key, "v")
    assert a.cmd("CLUSTER", "SETSLOT", slot, "MIGRATING", b.node_id) in (True, b"OK")
    me = a.myself()
    assert me.open_slots == (f"[{slot}->-{b.node_id}]",)
    res = h.cli("--cluster", "check", h.addr(a), check=False)
    assert res.returncode != 0
    assert f"[WARNING] Node 127.0.0.1:{a.port} has slots in migrating state {slot}." in res.stdout
    assert re.search(rf"\[WARNING\] The following slots are open: {slot}\.?", res.stdout), res.stdout
    h.cli("--cluster", "fix", h.addr(a), timeout=60)
    h.wait(lambda: all(not ln.open_slots for n in h.nodes for ln in n.cluster_nodes()), 20,
           "no node to list an open slot")
    check_ok(h)
    assert h.client().get(key) == b"v"


@kinds
def test_tools_cluster_pipeline(cluster_factory, kind: str) -> None:
    h = cluster_factory([kind] * 3, replicas=0)
    rc = h.client()
    p = rc.pipeline()
    for i in range(300):
        p.set(f"p:{i}", i)
        p.incr(f"c:{i}")
    p.rpush("list:{t}", "a", "b")
    p.execute_command("MSET", "{t}x", "1", "{t}y", "2")
    p.lpush(f"p:{0}", "x")               # WRONGTYPE, reported in place
    p.get("p:299")
    out = p.execute(raise_on_error=False)
    assert out[:600] == [True, 1] * 300
    assert out[600:602] == [2, True]
    assert isinstance(out[602], redis.ResponseError) and str(out[602]).startswith("WRONGTYPE")
    assert out[603] == b"299"
    p = rc.pipeline()
    for i in range(300):
        p.get(f"p:{i}")
    assert p.execute() == [str(i).encode() for i in range(300)]
    # The keys really are spread over the three primaries.
    assert all(n.cmd("DBSIZE") > 100 for n in h.primaries())
    assert rc.mget_nonatomic("{t}x", "{t}y") == [b"1", b"2"]
    assert rc.mget("{t}x", "{t}y") == [b"1", b"2"]
