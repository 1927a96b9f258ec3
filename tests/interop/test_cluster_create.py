"""Cluster formation with `redis-cli --cluster create` (6 nodes, 3 primaries with one replica each): state ok,
redis-py RedisCluster over 10,000 keys, `redis-cli -c` following MOVED, CLUSTER NODES/SLOTS/SHARDS agreement
across nodes, and `redis-cli --cluster check/info`. Each test runs on redis-server clusters (which validate
the test logic) and on pyredcache clusters.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import cluster as hc
from helpers.cluster import SLOTS, ClusterHandle, key_slot, slot_keys
from helpers.rawclient import RawClient

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(120),
              pytest.mark.skipif(hc.MISSING is not None, reason=hc.MISSING or "")]


@pytest.fixture(scope="module", params=hc.KINDS)
def six(request: pytest.FixtureRequest) -> Iterator[ClusterHandle]:
    yield from hc.shared_cluster([request.param] * 6)


def test_create_six_nodes_roles_and_slots(six: ClusterHandle) -> None:
    six.wait_ok(10)
    for node in six.nodes:
        info = node.cluster_info()
        assert info["cluster_state"] == "ok"
        assert info["cluster_slots_assigned"] == info["cluster_slots_ok"] == str(SLOTS)
        assert info["cluster_known_nodes"] == "6"
        assert info["cluster_size"] == "3"
    view = six.view()
    primaries = [ln for ln in view if ln.role == "master"]
    replicas = [ln for ln in view if ln.role == "slave"]
    assert len(primaries) == 3 and len(replicas) == 3
    assert sorted(ln.master for ln in replicas) == sorted(ln.id for ln in primaries)
    covered = sorted(r for ln in primaries for r in ln.slots)
    assert covered[0][0] == 0 and covered[-1][1] == SLOTS - 1
    assert all(a[1] + 1 == b[0] for a, b in zip(covered, covered[1:], strict=False))
    # redis-cli gives each primary its own config epoch 1..3 (CLUSTER SET-CONFIG-EPOCH).
    assert sorted(ln.config_epoch for ln in primaries) == [1, 2, 3]
    assert [n.node_id for n in six.primaries()] == [ln.id for ln in sorted(primaries, key=lambda x: x.slots)]
    for n in six.nodes:
        assert n.cmd("CLUSTER", "MYID").decode() == n.node_id
        me = n.myself()
        assert me.id == n.node_id and me.port == n.port


def test_cluster_client_reads_and_writes_10k_keys(six: ClusterHandle) -> None:
    rc = six.client()
    keys = [f"key:{i}" for i in range(10_000)]
    p = rc.pipeline()
    for i, k in enumerate(keys):
        p.set(k, f"value-{i}")
    assert p.execute() == [True] * len(keys)
    p = rc.pipeline()
    for k in keys:
        p.get(k)
    assert p.execute() == [f"value-{i}".encode() for i in range(len(keys))]
    # Every key sits on the primary that owns its slot; the 10k keys reach every primary.
    per_primary = {n.node_id: 0 for n in six.primaries()}
    for k in keys:
        per_primary[six.node_for_key(k).node_id] += 1
    for prim in six.primaries():
        assert prim.cmd("DBSIZE") == per_primary[prim.node_id] > 2000
        for rep in six.replicas_of(prim):
            six.wait(lambda rep=rep, prim=prim: rep.cmd("DBSIZE") == per_primary[prim.node_id], 20,
                     f"{rep!r} to hold its primary's keys")
    # Single-key commands of several types through the cluster client.
    assert rc.incr("counter:{a}") == 1
    assert rc.rpush("list:{a}", 1, 2, 3) == 3
    assert rc.lrange("list:{a}", 0, -1) == [b"1", b"2", b"3"]
    assert rc.mget_nonatomic("key:1", "key:2", "key:9999") == [b"value-1", b"value-2", b"value-9999"]
    assert rc.delete(*keys[:100]) == 100
    assert rc.exists(*keys[:200]) == 100


def test_moved_reply_and_cli_follows_it(six: ClusterHandle) -> None:
    entry = six.nodes[0]
    other = next(n for n in six.primaries() if n is not entry)
    key = slot_keys(six.node_for_slot, other, 1, "moved")[0]
    slot = key_slot(key)
    raw = RawClient(entry.port)
    try:
        assert raw.command("GET", key) == f"-MOVED {slot} 127.0.0.1:{other.port}\r\n".encode()
        assert raw.command("CLUSTER", "KEYSLOT", key) == f":{slot}\r\n".encode()
        assert raw.command("CLUSTER", "COUNTKEYSINSLOT", slot) == b":0\r\n"
    finally:
        raw.sock.close()
    res = six.cli("-p", entry.port, "GET", key)
    assert res.stdout.strip() == f"MOVED {slot} 127.0.0.1:{other.port}"
    assert six.cli("-c", "-p", entry.port, "SET", key, "via-cli").stdout == "OK\n"
    assert six.cli("-c", "-p", entry.port, "GET", key).stdout == "via-cli\n"
    assert other.cmd("GET", key) == b"via-cli"
    assert six.cli("-c", "-p", entry.port, "DEL", key).stdout == "1\n"


def _slots_reply(node: hc.Node) -> list[Any]:
    rows = []
    for row in node.cmd("CLUSTER", "SLOTS"):
        start, end, *hosts = row
        rows.append((start, end, [(h[0], h[1], h[2]) for h in hosts]))
    return sorted(rows)


def _shards_reply(node: hc.Node) -> list[Any]:
    shards = []
    for shard in node.cmd("CLUSTER", "SHARDS"):
        s = dict(zip(shard[::2], shard[1::2], strict=True))
        members = []
        for member in s[b"nodes"]:
            m = dict(zip(member[::2], member[1::2], strict=True))
            members.append((m[b"id"], m[b"port"], m[b"ip"], m[b"endpoint"], m[b"role"], m[b"health"]))
        shards.append((list(s[b"slots"]), sorted(members)))
    return sorted(shards)


def test_cluster_nodes_slots_shards_agree_across_nodes(six: ClusterHandle) -> None:
    # A write to every primary, so each replica has a non-zero replication offset (CLUSTER SLOTS and
    # SHARDS leave out replicas that have not synced yet).
    rc = six.client()
    for prim in six.primaries():
        rc.set(slot_keys(six.node_for_slot, prim, 1, "sync")[0], "x")

    def replicas_listed() -> bool:
        return all(len(hosts) == 2 for n in six.nodes for _, _, hosts in _slots_reply(n))

    six.wait(replicas_listed, 20, "CLUSTER SLOTS to list a replica for every range on every node")
    six.wait(lambda: all(all(m[5] == b"online" for _, ms in _shards_reply(n) for m in ms) for n in six.nodes),
             20, "CLUSTER SHARDS to show every node online")

    def norm(lines: list[hc.NodeLine]) -> list[Any]:
        return sorted((ln.id, ln.port, ln.role, ln.master, ln.config_epoch, ln.slots, ln.link,
                       tuple(sorted(set(ln.flags) - {"myself"}))) for ln in lines)

    views = {n.node_id: n.cluster_nodes() for n in six.nodes}
    first = norm(next(iter(views.values())))
    for node_id, lines in views.items():
        assert [ln.id for ln in lines if ln.myself] == [node_id]
        assert norm(lines) == first
    slots = [_slots_reply(n) for n in six.nodes]
    assert all(s == slots[0] for s in slots)
    for start, end, hosts in slots[0]:
        owner = six.node_for_slot(start)
        assert (hosts[0][1], hosts[0][2].decode()) == (owner.port, owner.node_id)
        assert hosts[1][2].decode() in [r.node_id for r in six.replicas_of(owner)]
        assert six.node_for_slot(end) is owner
    shards = [_shards_reply(n) for n in six.nodes]
    assert all(s == shards[0] for s in shards)
    assert len(shards[0]) == 3
    for _, members in shards[0]:
        roles = sorted(m[4] for m in members)
        assert roles == [b"master", b"replica"]


def test_cli_cluster_check_and_info(six: ClusterHandle) -> None:
    for node in (six.nodes[0], six.nodes[-1]):
        res = six.cli("--cluster", "check", six.addr(node))
        assert "[OK] All nodes agree about slots configuration." in res.stdout
        assert f"[OK] All {SLOTS} slots covered." in res.stdout
        assert res.stdout.count("\nM: ") + res.stdout.startswith("M: ") == 3
        assert res.stdout.count("S: ") == 3
    res = six.cli("--cluster", "info", six.addr(six.nodes[0]))
    rows = re.findall(r"127\.0\.0\.1:(\d+) \((\w+)\.\.\.\) -> (\d+) keys \| (\d+) slots \| (\d+) slaves\.",
                      res.stdout)
    assert len(rows) == 3
    assert sum(int(r[3]) for r in rows) == SLOTS
    assert all(r[4] == "1" for r in rows)
    by_port = {int(r[0]): int(r[2]) for r in rows}
    for prim in six.primaries():
        assert by_port[prim.port] == prim.cmd("DBSIZE")
