"""The cluster bus between real processes: pyredcache nodes alone and mixed with redis-server 7.0.15 nodes.

Nodes are joined by hand (ADDSLOTSRANGE + CLUSTER MEET) or by `redis-cli --cluster create`; every wait is
bounded (tests/helpers/cluster.py) and every process is stopped by PID.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
import redis

from tests.helpers.cluster import MISSING, ClusterHandle, Node, start_cluster

pytestmark = [pytest.mark.cluster, pytest.mark.skipif(MISSING is not None, reason=MISSING or "")]

NODE_TIMEOUT = 1000
RANGES = ((0, 5460), (5461, 10922), (10923, 16383))


def _join(h: ClusterHandle, nodes: Sequence[Node]) -> None:
    """ADDSLOTSRANGE a third of the slots on each node, then MEET the others from the first node."""
    for node, (a, b) in zip(nodes, RANGES, strict=True):
        assert node.cmd("CLUSTER", "ADDSLOTSRANGE", a, b) == b"OK"
    for node in nodes[1:]:
        assert nodes[0].cmd("CLUSTER", "MEET", "127.0.0.1", node.port) == b"OK"


def _converged(h: ClusterHandle, nodes: Sequence[Node]) -> bool:
    """Every node: cluster_state:ok, knows all nodes without handshake/fail flags, same slot map."""
    maps = set()
    for n in nodes:
        if not n.state_ok():
            return False
        lines = n.cluster_nodes()
        if len(lines) != len(nodes) or any(set(ln.flags) - {"myself", "master"} for ln in lines):
            return False
        maps.add(tuple(sorted((ln.id, ln.slots, ln.config_epoch) for ln in lines)))
    return len(maps) == 1


def _make(kinds: Sequence[str]) -> ClusterHandle:
    h = ClusterHandle(NODE_TIMEOUT)
    try:
        nodes = h.spawn(kinds)
        _join(h, nodes)
        h.wait(lambda: _converged(h, nodes), 20, "the cluster to converge")
    except BaseException:
        h.stop()
        raise
    return h


@pytest.fixture(scope="module")
def mixed() -> Iterator[ClusterHandle]:
    h = _make(["redis", "pyredcache", "pyredcache"])
    try:
        yield h
    finally:
        h.stop()


def _addr_ok(h: ClusterHandle, nodes: Sequence[Node]) -> None:
    for viewer in nodes:
        for ln in viewer.cluster_nodes():
            assert ln.port == h.by_id(ln.id).port


def test_three_pyredcache_nodes_converge() -> None:
    h = _make(["pyredcache"] * 3)
    try:
        nodes = h.nodes
        _addr_ok(h, nodes)
        # configEpoch collisions resolved: every primary ends with its own epoch.
        epochs = {ln.config_epoch for ln in nodes[0].cluster_nodes()}
        assert len(epochs) == 3
        info = nodes[1].cluster_info()
        assert info["cluster_known_nodes"] == "3" and info["cluster_size"] == "3"
        assert int(info["cluster_stats_messages_ping_sent"]) + int(info["cluster_stats_messages_pong_sent"]) > 0
        # Links: an outbound and an inbound one per peer.
        links = nodes[0].cmd("CLUSTER", "LINKS")
        assert len(links) == 4
        # FORGET on both others: the name is blacklisted, so gossip does not bring the node back.
        gone = nodes[2]
        for n in nodes[:2]:
            assert n.cmd("CLUSTER", "FORGET", gone.node_id) == b"OK"
        start = int(nodes[0].cluster_info()["cluster_stats_messages_received"])
        h.wait(lambda: int(nodes[0].cluster_info()["cluster_stats_messages_received"]) >= start + 10, 20,
               "a few more gossip rounds")
        for n in nodes[:2]:
            assert {ln.id for ln in n.cluster_nodes()} == {nodes[0].node_id, nodes[1].node_id}
    finally:
        h.stop()


def test_mixed_cluster_converges(mixed: ClusterHandle) -> None:
    nodes = mixed.nodes
    _addr_ok(mixed, nodes)
    redis_view = nodes[0].cluster_nodes()
    for n in nodes[1:]:
        assert sorted((ln.id, ln.slots, ln.config_epoch) for ln in n.cluster_nodes()) == \
            sorted((ln.id, ln.slots, ln.config_epoch) for ln in redis_view)


def test_publish_crosses_the_bus(mixed: ClusterHandle) -> None:
    """PUBLISH on any node reaches subscribers on every node (CLUSTERMSG_TYPE_PUBLISH both ways)."""
    subs = []
    for n in mixed.nodes:
        ps = redis.Redis(port=n.port, socket_timeout=5).pubsub()
        ps.subscribe("bus-chan")
        assert ps.get_message(timeout=2)["type"] == "subscribe"
        subs.append(ps)
    try:
        for i, n in enumerate(mixed.nodes):
            n.cmd("PUBLISH", "bus-chan", f"m{i}")
            for ps in subs:
                msg = None
                for _ in range(50):
                    msg = ps.get_message(timeout=0.1)
                    if msg is not None:
                        break
                assert msg is not None and msg["data"] == f"m{i}".encode(), (i, msg)
    finally:
        for ps in subs:
            ps.close()


def test_hostname_extension_both_ways(mixed: ClusterHandle) -> None:
    """cluster-announce-hostname travels in the PING hostname extension, and an empty one clears it."""
    h = mixed
    nodes = h.nodes

    def hostnames(viewer: Node) -> dict[str, str]:
        raw = viewer.cmd("CLUSTER", "NODES").decode()
        out = {}
        for line in raw.splitlines():
            f = line.split()
            out[f[0]] = f[1].split(",", 1)[1] if "," in f[1] else ""
        return out

    try:
        for n in nodes[:2]:
            n.cmd("CONFIG", "SET", "cluster-announce-hostname", f"host-{n.index}.example")
        want = {nodes[0].node_id: "host-0.example", nodes[1].node_id: "host-1.example", nodes[2].node_id: ""}
        h.wait(lambda: all(hostnames(v) == want for v in nodes), 10, "hostnames to propagate")
    finally:
        for n in nodes[:2]:
            n.cmd("CONFIG", "SET", "cluster-announce-hostname", "")
    h.wait(lambda: all(set(hostnames(v).values()) == {""} for v in nodes), 10, "hostnames to be cleared")


def test_cluster_links_and_sendbuf_limit(mixed: ClusterHandle) -> None:
    """CLUSTER LINKS lists a to/from pair per peer; a link whose peer stops reading is freed once its send
    buffer passes cluster-link-sendbuf-limit (total_cluster_links_buffer_limit_exceeded), then reconnected."""
    h = mixed
    me, stuck = h.nodes[1], h.nodes[2]
    ids = {n.node_id for n in h.nodes if n is not me}
    links = me.cmd("CLUSTER", "LINKS")
    rows = [{k.decode(): v for k, v in zip(row[::2], row[1::2], strict=True)} for row in links]
    assert sorted((r["node"].decode(), r["direction"].decode()) for r in rows) == \
        sorted((i, d) for i in ids for d in ("to", "from"))
    assert all(r["events"] in (b"r", b"rw") and r["create-time"] > 0 for r in rows)
    h.pause(stuck)
    try:
        me.cmd("CONFIG", "SET", "cluster-link-sendbuf-limit", 256 * 1024)
        payload = b"x" * (1024 * 1024)

        def exceeded() -> bool:
            me.cmd("PUBLISH", "big", payload)
            return int(me.cluster_info()["total_cluster_links_buffer_limit_exceeded"]) >= 1

        h.wait(exceeded, 20, "the link to the stopped node to be freed on its send buffer limit")
    finally:
        me.cmd("CONFIG", "SET", "cluster-link-sendbuf-limit", 0)
        h.resume(stuck)
    h.wait(lambda: _converged(h, h.nodes), NODE_TIMEOUT * 2 / 1000 + 10, "the cluster to be ok again")


@pytest.mark.parametrize("victim", [1, 0], ids=["pyredcache-paused", "redis-paused"])
def test_sigstop_marks_fail_and_sigcont_clears(mixed: ClusterHandle, victim: int) -> None:
    """SIGSTOP one primary: the others flag it fail (PFAIL + a majority's reports → FAIL broadcast);
    SIGCONT: the FAIL of a primary whose slots nobody took is cleared once it answers again."""
    h = mixed
    node = h.nodes[victim]
    others = [n for n in h.nodes if n is not node]

    def flags_of(viewer: Node) -> tuple[str, ...]:
        return next(ln.flags for ln in viewer.cluster_nodes() if ln.id == node.node_id)

    h.pause(node)
    try:
        h.wait(lambda: all("fail" in flags_of(o) for o in others), NODE_TIMEOUT * 2 / 1000 + 8,
               "the paused node to be flagged fail on every other node")
        assert all(o.cluster_info()["cluster_state"] == "fail" for o in others)
    finally:
        h.resume(node)
    h.wait(lambda: _converged(h, h.nodes), NODE_TIMEOUT * 2 / 1000 + 10, "FAIL cleared and cluster ok again")


def test_redis_cli_cluster_create() -> None:
    h = start_cluster(["pyredcache"] * 3, replicas=0, node_timeout=NODE_TIMEOUT, timeout=40)
    try:
        res = h.cli("--cluster", "check", h.addr(h.nodes[0]), timeout=20)
        assert "[OK] All 16384 slots covered." in res.stdout, res.stdout
        rc = h.client()
        for i in range(30):
            rc.set(f"key:{i}", i)
        assert all(rc.get(f"key:{i}") == str(i).encode() for i in range(30))
    finally:
        h.stop()
