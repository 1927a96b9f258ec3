"""pyredcache.Cluster: start-up, routing through RedisCluster, failover, kill/restart, pause/resume, and a stop
that leaves no process and no directory behind. One 3x1 cluster is shared by the module (each test leaves it
with cluster_state:ok); the lifecycle tests start their own small clusters."""
from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
from helpers.wait import wait_until

from pyredcache import Cluster
from pyredcache.embed.server import ServerStartError

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(90)]

START_BOUND_S = 20.0     # generous for a loaded 2-core CI box; bench/startup.py measures the real figure


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    c = Cluster(primaries=3, replicas_per_primary=1, node_timeout=2000)
    t0 = time.monotonic()
    c.start()
    c.start_seconds = time.monotonic() - t0   # type: ignore[attr-defined]
    try:
        yield c
    finally:
        c.stop()


def test_cluster_start_forms_three_primaries_with_one_replica_each(cluster: Cluster) -> None:
    assert cluster.start_seconds < START_BOUND_S    # type: ignore[attr-defined]
    prims = cluster.primaries()
    assert len(prims) == 3 and len(cluster.nodes) == 6
    assert sorted(n.role for n in cluster.nodes) == ["primary"] * 3 + ["replica"] * 3
    slots = sorted(r.slot_count for r in cluster.view() if r.is_primary)
    assert slots == [5461, 5461, 5462]
    for p in prims:
        [rep] = cluster.replicas_of(p)
        info = rep.client(decode_responses=True).info("replication")
        assert info["master_link_status"] == "up" and info["master_port"] == p.port
    assert len({n.port for n in cluster.nodes}) == 6
    assert cluster.start() is cluster          # idempotent


def test_cluster_client_round_trip_1000_keys(cluster: Cluster) -> None:
    rc = cluster.client(decode_responses=True)
    for i in range(1000):
        rc.set(f"rt:{i}", f"v{i}")
    assert rc.mget_nonatomic([f"rt:{i}" for i in range(1000)]) == [f"v{i}" for i in range(1000)]
    per_node = [int(p.execute("DBSIZE")) for p in cluster.primaries()]
    assert sum(per_node) >= 1000 and all(n > 200 for n in per_node)
    assert cluster.startup_nodes[0].port == cluster.nodes[0].port


def test_cluster_failover_swaps_roles(cluster: Cluster) -> None:
    old = cluster.primaries()[0]
    [heir] = cluster.replicas_of(old)
    new = cluster.failover(old)
    assert new is heir
    assert heir.role == "primary" and old.role == "replica"
    assert cluster.replicas_of(heir) == [old]
    back = cluster.failover(old)          # called on the replica itself: it takes over again
    assert back is old and old.role == "primary"


def test_cluster_pause_and_resume_a_replica(cluster: Cluster) -> None:
    prim = cluster.primaries()[1]
    [rep] = cluster.replicas_of(prim)
    cluster.pause(rep)
    try:
        assert not rep.live and rep.server.running
        rc = cluster.client()
        rc.set("while-paused", "1")          # the replica's primary still serves
        assert rc.get("while-paused") == b"1"
    finally:
        cluster.resume(rep)
    assert rep.live and rep.execute("PING") in (b"PONG", "PONG")
    cluster.wait_ok(10)


def test_cluster_kill_primary_promotes_replica_then_restart_rejoins_as_replica(cluster: Cluster) -> None:
    rc = cluster.client()
    victim = cluster.primaries()[2]
    [heir] = cluster.replicas_of(victim)
    key = next(f"kill:{i}" for i in range(10000) if cluster.node_for_key(f"kill:{i}") is victim)
    rc.set(key, "before")
    wait_until(lambda: heir.link().pipeline([("READONLY",), ("GET", key)])[1] == b"before", 5,
               message="the write to reach the replica")
    cluster.kill(victim)
    assert not victim.server.running
    wait_until(lambda: heir.role == "primary", 20, interval=0.05, message="the replica's promotion")
    cluster.wait_ok(20)
    assert cluster.node_for_key(key) is heir
    cluster.restart(victim)
    wait_until(lambda: victim.role == "replica" and cluster.replicas_of(heir) == [victim], 20, interval=0.05,
               message="the restarted node to rejoin as a replica")
    assert rc.get(key) == b"before"


def test_cluster_stop_leaves_no_process_and_no_dir() -> None:
    with Cluster(primaries=3, replicas_per_primary=0) as c:
        pids = [n.pid for n in c.nodes]
        root = c.dir
        assert root is not None and os.path.isdir(root)
        assert c.client().ping()
    assert all(not _alive(pid) for pid in pids)
    assert not os.path.exists(root)
    assert c.nodes == []
    c.stop()                                   # idempotent


def test_cluster_given_dir_is_kept(tmp_path: object) -> None:
    root = os.path.join(str(tmp_path), "c")
    c = Cluster(primaries=1, replicas_per_primary=0, dir=root).start()
    try:
        assert c.primaries()[0].role == "primary"
        assert os.path.exists(os.path.join(root, "node-0", "nodes.conf"))
    finally:
        c.stop()
    assert os.path.isdir(root)


def test_cluster_start_error_carries_the_log_tail() -> None:
    c = Cluster(primaries=1, replicas_per_primary=0, maxmemory_policy="no-such-policy", startup_timeout=15)
    with pytest.raises(ServerStartError) as info:
        c.start()
    assert "maxmemory-policy" in str(info.value) or "no-such-policy" in str(info.value)
    assert c.nodes == []
