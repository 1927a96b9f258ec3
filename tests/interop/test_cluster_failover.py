"""Cluster failover (node timeout 2000 ms), on redis-server clusters (which validate the test logic) and on
pyredcache clusters: a primary SIGKILLed or SIGSTOPped under a steady write load (its replica is promoted,
the cluster is ok and writes succeed within node-timeout + 5 s, every write acknowledged by WAIT 1 survives,
the old primary comes back as a replica of the new one), two primaries of three lost (the cluster is down and
says so; one back brings it up), and manual CLUSTER FAILOVER [FORCE|TAKEOVER].
"""
from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from helpers import cluster as hc
from helpers.cluster import (
    AckedWriter,
    ClusterHandle,
    assert_readable,
    is_replica_of,
    promoted,
    slot_keys,
    slots_of,
)
from helpers.rawclient import RawClient
from helpers.wait import wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(120),
              pytest.mark.skipif(hc.MISSING is not None, reason=hc.MISSING or "")]

cluster_factory = hc.cluster_factory
kinds = pytest.mark.parametrize("kind", hc.KINDS)

NODE_TIMEOUT_MS = 2000
LIMIT_S = NODE_TIMEOUT_MS / 1000 + 5          # the bound: node-timeout + 5 s


def start_load(h: ClusterHandle, prefix: str, acked: int = 300) -> AckedWriter:
    w = AckedWriter(h, prefix).start()
    h.wait(lambda: len(w.snapshot()) >= acked, 30, f"{acked} writes acknowledged by WAIT 1")
    return w


def lose_primary(h: ClusterHandle, how: str, record: Callable[[str, object], None]) -> None:
    """SIGKILL (how='kill') or SIGSTOP (how='stop') a primary under load; check promotion, recovery times,
    acknowledged writes, and the old primary's return as a replica of the new one."""
    victim = h.primaries()[0]
    [replica] = h.replicas_of(victim)
    slots = slots_of(h.view(), victim)
    w = start_load(h, f"load-{how}")
    try:
        t0 = time.monotonic()
        if how == "kill":
            h.kill(victim)
        else:
            h.pause(victim)
        h.wait(lambda: promoted(h, replica, slots), 30, f"{replica!r} promoted in place of {victim!r}")
        t_promoted = time.monotonic() - t0
        h.wait_ok(30)
        t_ok = time.monotonic() - t0
        first = h.wait(lambda: w.first_write_after(t0, slots), 30, "a write to the lost primary's slots")
        record("promoted_s", round(t_promoted, 3))
        record("cluster_ok_s", round(t_ok, 3))
        record("first_write_s", round(first, 3))
        assert t_promoted > NODE_TIMEOUT_MS / 1000 * 0.9, f"promoted before node-timeout: {t_promoted:.2f}s"
        assert t_ok <= LIMIT_S, f"cluster_state:ok after {t_ok:.2f}s (limit {LIMIT_S}s)"
        assert first <= LIMIT_S, f"first write to the lost slots after {first:.2f}s (limit {LIMIT_S}s)"
        # Writes keep flowing after the failover.
        n = len(w.written)
        h.wait(lambda: len(w.written) >= n + 20, 20, "writes after the failover")
    finally:
        w.stop()
    rc = h.client()
    assert_readable(rc, w.snapshot())
    assert rc.set(f"after-{how}", "1") and rc.get(f"after-{how}") == b"1"
    # The old primary comes back (restarted from its nodes.conf, or resumed stale) as a replica of the new one.
    if how == "kill":
        h.restart(victim)
    else:
        h.resume(victim)
    h.wait(lambda: is_replica_of(h, victim, replica), 30, f"{victim!r} to rejoin as a replica of {replica!r}")
    h.wait_ok(30)
    h.wait(lambda: victim.cmd("DBSIZE") == replica.cmd("DBSIZE"), 30, f"{victim!r} to sync from {replica!r}")
    assert_readable(rc, w.snapshot())


@kinds
def test_failover_primary_sigkill_under_load(cluster_factory, kind: str, record_property) -> None:
    lose_primary(cluster_factory([kind] * 6), "kill", record_property)


@kinds
def test_failover_primary_sigstop_then_sigcont_rejoins_as_replica(cluster_factory, kind: str,
                                                                   record_property) -> None:
    lose_primary(cluster_factory([kind] * 6), "stop", record_property)


@kinds
def test_failover_two_of_three_primaries_lost_cluster_down(cluster_factory, kind: str) -> None:
    h = cluster_factory([kind] * 6)
    rc = h.client()
    for i in range(300):
        rc.set(f"pre:{i}", i)
    a, b, c = h.primaries()
    keys_c = slot_keys(h.node_for_slot, c, 1, "onc")
    keys_a = slot_keys(h.node_for_slot, a, 1, "ona")
    replicas = {p.node_id: h.replicas_of(p)[0] for p in (a, b, c)}
    a_slots = slots_of(h.view(), a)
    h.kill(a)
    h.kill(b)
    survivors = h.live_nodes()
    h.wait_state("fail", survivors, timeout=NODE_TIMEOUT_MS / 1000 + 15)
    for n in survivors:
        raw = RawClient(n.port)
        try:
            assert raw.command("GET", keys_c[0]) == b"-CLUSTERDOWN The cluster is down\r\n"
            assert raw.command("SET", keys_a[0], "x") == b"-CLUSTERDOWN The cluster is down\r\n"
        finally:
            raw.sock.close()
        info = n.cluster_info()
        assert info["cluster_state"] == "fail"
    # Without a majority of primaries nobody can be elected: the lost primaries' replicas stay replicas.
    view = c.cluster_nodes()
    for p in (a, b):
        assert next(ln for ln in view if ln.id == replicas[p.node_id].node_id).role == "slave"
    b_slots = slots_of(c.cluster_nodes(), b)
    h.restart(a)
    # With a back, the primaries have their majority again: b is failed and its replica elected.
    h.wait(lambda: promoted(h, replicas[b.node_id], b_slots), 40, "b's replica to be promoted")
    h.wait_ok(40)
    for n in h.live_nodes():
        assert n.cluster_info()["cluster_state"] == "ok"
    rc2 = h.client()
    assert rc2.set(keys_c[0], "after") and rc2.get(keys_c[0]) == b"after"
    assert rc2.set(keys_a[0], "after") and rc2.get(keys_a[0]) == b"after"
    # Keys of b (its replica took over) and c survive. a came back without persistence, so empty -- unless
    # a's replica, whose primary was still FAIL when the majority returned, won an election first: then a's
    # keys survive in it and a rejoins as its replica. Both are what Redis does; which one depends on timing.
    if promoted(h, replicas[a.node_id], a_slots):
        kept = list(range(300))
    else:
        kept = [i for i in range(300) if hc.key_slot(f"pre:{i}") not in a_slots]
        assert 150 < len(kept) < 250
    assert [rc2.get(f"pre:{i}") for i in kept] == [str(i).encode() for i in kept]


@kinds
@pytest.mark.parametrize("mode", ["default", "force", "takeover"])
def test_failover_manual_cluster_failover(cluster_factory, kind: str, mode: str) -> None:
    h = cluster_factory([kind] * 6)
    old = h.primaries()[1]
    [new] = h.replicas_of(old)
    view = h.view()
    slots = slots_of(view, old)
    old_epoch = next(ln.config_epoch for ln in view if ln.id == old.node_id)
    w = start_load(h, f"manual-{mode}", acked=200)
    try:
        args = ["CLUSTER", "FAILOVER"] + ([] if mode == "default" else [mode.upper()])
        # A manual failover that does not complete in 5 s is abandoned (CLUSTER_MF_TIMEOUT); redis-server
        # sometimes times out right after the cluster formed (its MFSTART goes unanswered), so ask again.
        for attempt in range(3):
            assert new.cmd(*args) in (True, b"OK")
            try:
                wait_until(lambda: promoted(h, new, slots), timeout=8, interval=0.05)
                break
            except AssertionError:
                if attempt == 2:
                    h.wait(lambda: promoted(h, new, slots), 1, f"{new!r} promoted by CLUSTER FAILOVER {mode}")
        h.wait(lambda: is_replica_of(h, old, new), 20, f"{old!r} to become a replica of {new!r}")
        h.wait_ok(20)
        t = time.monotonic()
        h.wait(lambda: w.first_write_after(t, slots), 20, "writes to the swapped primary's slots")
    finally:
        w.stop()
    assert old.myself().role == "slave" and new.myself().role == "master"
    for viewer in h.nodes:
        assert next(ln for ln in viewer.cluster_nodes() if ln.id == new.node_id).config_epoch > old_epoch
    assert_readable(h.client(), w.snapshot())
    h.wait(lambda: old.cmd("DBSIZE") == new.cmd("DBSIZE"), 30, f"{old!r} to sync from {new!r}")
