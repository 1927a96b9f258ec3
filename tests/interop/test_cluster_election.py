"""Replica elections, votes and manual failover across kinds (node timeout 2000 ms): pyredcache replicas
elected by redis-server primaries and redis-server replicas elected by pyredcache primaries, CLUSTER FAILOVER
between a pyredcache replica and a redis-server primary in both directions (MFSTART, the PAUSED offset,
FORCEACK votes, the old primary following the new one), the log lines of an election as Redis writes them,
replica migration to an orphaned primary, and a replica restarted from its nodes.conf resuming replication.
(tests/interop/test_cluster_failover.py covers the same-kind failovers under load.)
"""
from __future__ import annotations

import time

import pytest
from helpers import cluster as hc
from helpers.cluster import ClusterHandle, Node, slots_of

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(150),
              pytest.mark.skipif(hc.MISSING is not None, reason=hc.MISSING or "")]

cluster_factory = hc.cluster_factory
LIMIT_S = 2 + 5         # node-timeout + 5 s


def role_everywhere(h: ClusterHandle, node: Node, role: str, primary: Node | None = None) -> bool:
    """Every live node sees `node` with `role` (and, for a replica, `primary` as its primary)."""
    for viewer in h.live_nodes():
        line = next((ln for ln in viewer.cluster_nodes() if ln.id == node.node_id), None)
        if line is None or line.role != role or line.failed and node.live:
            return False
        if primary is not None and line.master != primary.node_id:
            return False
    return True


def log_text(node: Node) -> str:
    with open(node.sp.logfile, errors="replace") as fh:
        return fh.read()


def fill(h: ClusterHandle, prefix: str, n: int = 200) -> dict[str, str]:
    rc = h.client()
    data = {f"{prefix}:{i}": str(i) for i in range(n)}
    pipe = rc.pipeline()
    for k, v in data.items():
        pipe.set(k, v)
    pipe.execute()
    return data


def check(h: ClusterHandle, data: dict[str, str]) -> None:
    rc = h.client()
    pipe = rc.pipeline()
    for k in data:
        pipe.get(k)
    assert [v.decode() if v is not None else None for v in pipe.execute()] == list(data.values())


def wait_synced(h: ClusterHandle, replica: Node, primary: Node) -> None:
    """The replica's link is up and it holds as many keys as its primary."""
    def synced() -> bool:
        info = replica.conn().info("replication")
        return info.get("master_link_status") == "up" and replica.cmd("DBSIZE") == primary.cmd("DBSIZE")
    h.wait(synced, 30, f"{replica!r} in sync with {primary!r}")


def manual(h: ClusterHandle, replica: Node, primary: Node, mode: str = "") -> None:
    """CLUSTER FAILOVER [mode] on `replica`: it becomes the primary, `primary` its replica, everywhere."""
    slots = slots_of(h.view(), primary)
    args = ["CLUSTER", "FAILOVER", *([mode] if mode else [])]
    assert replica.cmd(*args) in (True, b"OK")
    h.wait(lambda: role_everywhere(h, replica, "master") and slots_of(h.view(), replica) >= slots, 20,
           f"{replica!r} promoted by CLUSTER FAILOVER {mode}")
    h.wait(lambda: role_everywhere(h, primary, "slave", replica), 20, f"{primary!r} to follow {replica!r}")
    h.wait_ok(20)
    wait_synced(h, primary, replica)


def kill_and_elect(h: ClusterHandle, victim: Node, heir: Node) -> float:
    slots = slots_of(h.view(), victim)
    t0 = time.monotonic()
    h.kill(victim)
    h.wait(lambda: role_everywhere(h, heir, "master") and slots_of(h.view(), heir) >= slots, 30,
           f"{heir!r} elected in place of {victim!r}")
    h.wait_ok(30)
    elapsed = time.monotonic() - t0
    assert elapsed <= LIMIT_S, f"cluster ok {elapsed:.2f}s after the kill (limit {LIMIT_S}s)"
    return elapsed


def test_mixed_kinds_elections_and_manual_failover(cluster_factory) -> None:
    # P0 redis (replica R3 pyredcache), P1 pyredcache (replica R4 redis), P2 pyredcache (replica R5 pyredcache).
    kinds = ["redis", "pyredcache", "pyredcache", "pyredcache", "redis", "pyredcache"]
    h = cluster_factory(kinds, layout=[None, None, None, 0, 1, 2])
    p0, p1, p2, r3, r4, r5 = h.nodes
    data = fill(h, "mixed")
    for rep, prim in ((r3, p0), (r4, p1), (r5, p2)):
        wait_synced(h, rep, prim)

    # A pyredcache replica takes over from a paused redis-server primary (MFSTART, PAUSED offset, FORCEACK).
    manual(h, r3, p0)
    text = log_text(r3)
    assert "Manual failover user request accepted." in text
    assert "Received replication offset for paused master manual failover:" in text
    assert "All master replication stream processed, manual failover can start." in text
    assert "Failover election won: I'm the new master." in text
    assert "Manual failover requested by replica" in log_text(p0)
    # A redis-server replica takes over from a pyredcache primary, which pauses its writers meanwhile.
    manual(h, r4, p1)
    assert f"Manual failover requested by replica {r4.node_id}." in log_text(p1)
    assert f"Failover auth granted to {r4.node_id} for epoch" in log_text(p2)
    check(h, data)

    # Automatic: a redis-server replica (P0) elected by pyredcache primaries when its pyredcache primary dies.
    kill_and_elect(h, r3, p0)
    assert f"Failover auth granted to {p0.node_id} for epoch" in log_text(p2)
    # ... and a pyredcache replica (R5) elected by redis-server primaries (P0, R4).
    kill_and_elect(h, p2, r5)
    text = log_text(r5)
    assert "Start of election delayed for" in text and "(rank #0, offset " in text
    assert "Starting a failover election for epoch" in text
    assert "configEpoch set to" in text and "after successful failover" in text
    check(h, data)


def test_replica_migration_and_restart(cluster_factory) -> None:
    # A has two replicas, B and C one each: when C's replica dies, one of A's replicas (the smallest id)
    # migrates to C after CLUSTER_SLAVE_MIGRATION_DELAY (5 s), as cluster-migration-barrier is 1.
    h = cluster_factory(["pyredcache"] * 7, layout=[None, None, None, 0, 0, 1, 2])
    a, _b, c, ra1, ra2, _rb, rc_ = h.nodes
    data = fill(h, "mig")
    h.kill(rc_)
    mover = min((ra1, ra2), key=lambda n: n.node_id)
    stayer = ra2 if mover is ra1 else ra1
    h.wait(lambda: role_everywhere(h, mover, "slave", c), 25, f"{mover!r} to migrate to orphaned {c!r}")
    assert f"Migrating to orphaned master {c.node_id}" in log_text(mover), h.describe()
    wait_synced(h, mover, c)
    h.wait(lambda: role_everywhere(h, stayer, "slave", a), 10, f"{stayer!r} to stay with {a!r}")
    # The dead replica comes back from its nodes.conf: it replicates its primary again on its own.
    h.restart(rc_)
    h.wait(lambda: role_everywhere(h, rc_, "slave", c), 20, f"{rc_!r} back as a replica of {c!r}")
    wait_synced(h, rc_, c)
    h.wait_ok(20)
    check(h, data)
