"""pyredcache.Cluster: a Redis Cluster of pyredcache node processes for tests and tools.

Every node is an embed Server in process mode (its own dir under the cluster's dir); nodes start concurrently,
then topology.form_cluster joins them from Python (ADDSLOTSRANGE, SET-CONFIG-EPOCH, MEET, REPLICATE), so no
redis binary is needed. Faults are applied by PID through the node's Server (kill, pause, resume, restart).
"""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from . import topology
from .server import Server, ServerStartError, free_port
from .topology import NodeLink, NodeRecord, TopologyError

if TYPE_CHECKING:
    import redis
    import redis.cluster

__all__ = ["Cluster", "ClusterNode"]


class ClusterNode:
    """One node of a Cluster: its Server (process mode), node id, address and live role."""

    def __init__(self, cluster: Cluster, index: int, server: Server) -> None:
        self._cluster = weakref.proxy(cluster)
        self.index = index
        self.server = server
        self.node_id = ""
        self.paused = False
        self._link: NodeLink | None = None

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def pid(self) -> int:
        return self.server.pid

    @property
    def live(self) -> bool:
        """Running and not paused: it answers commands."""
        return self.server.running and not self.paused

    @property
    def role(self) -> str:
        """"primary" or "replica", as the cluster sees it now (the node's own view, or a live peer's)."""
        rec = self._cluster.record(self)
        return "primary" if rec.is_primary else "replica"

    def link(self) -> NodeLink:
        if self._link is None:
            self._link = NodeLink(self.host, self.port, timeout=5.0)
        return self._link

    def close_link(self) -> None:
        if self._link is not None:
            self._link.close()
            self._link = None

    def execute(self, *args: Any) -> Any:
        """Run one command on this node (raw reply; an error reply raises topology.CommandError)."""
        return self.link().call(*args)

    def client(self, **kw: Any) -> redis.Redis:
        """A plain redis-py client to this node only (no cluster routing)."""
        return self.server.client(**kw)

    def log_tail(self, lines: int = 40) -> str:
        return self.server.log_tail(lines)

    def __repr__(self) -> str:
        state = "paused" if self.paused else ("up" if self.server.running else "down")
        return f"<ClusterNode {self.index} {self.host}:{self.server._port} {self.node_id[:8]} {state}>"


class Cluster:
    """A pyredcache Redis Cluster: `primaries` primaries, each with `replicas_per_primary` replicas.

    Args:
        primaries: number of slot-owning primaries (slots split evenly).
        replicas_per_primary: replicas attached to each primary.
        host: address every node binds and announces.
        base_port: node i listens on base_port + i (bus port +10000); None picks free ports.
        dir: parent of the node dirs; None makes a private temp dir, removed at stop.
        node_timeout: cluster-node-timeout in ms.
        startup_timeout: seconds for the whole start (processes up and the cluster settled).
        **config: directives for every node, `_` for `-`.
    """

    def __init__(self, *, primaries: int = 3, replicas_per_primary: int = 1, host: str = "127.0.0.1",
                 base_port: int | None = None, dir: str | None = None, node_timeout: int = 2000,
                 startup_timeout: float = 30.0, **config: Any) -> None:
        if primaries < 1 or replicas_per_primary < 0:
            raise ValueError("a cluster needs at least one primary and replicas_per_primary >= 0")
        self.n_primaries = primaries
        self.replicas_per_primary = replicas_per_primary
        self.host = host
        self.base_port = base_port
        self._dir_given = dir is not None
        self.dir: str | None = os.path.abspath(dir) if dir is not None else None
        self.node_timeout = node_timeout
        self.startup_timeout = startup_timeout
        self.config = config
        self.nodes: list[ClusterNode] = []
        self._clients: list[Any] = []
        self._lock = threading.Lock()
        self._finalizer: weakref.finalize[Any, Any] | None = None

    # ------------------------------------------------------------------------------------------ lifecycle

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _ports(self, n: int) -> list[int]:
        if self.base_port is not None:
            return [self.base_port + i for i in range(n)]
        ports: list[int] = []
        while len(ports) < n:
            p = free_port(self.host)
            if all(p != q and p != q + 10000 and p + 10000 != q for q in ports):
                ports.append(p)
        return ports

    def start(self) -> Cluster:
        """Start every node process concurrently and form the cluster; returns once it is settled
        (cluster_state:ok and one config signature everywhere, every replica linked). Idempotent.
        Raises ServerStartError (with the failing nodes' log tails) if that takes over startup_timeout."""
        with self._lock:
            if self.nodes:
                return self
            deadline = time.monotonic() + self.startup_timeout
            if self.dir is None:
                self.dir = tempfile.mkdtemp(prefix="pyredcache-cluster-")
            os.makedirs(self.dir, exist_ok=True)
            total = self.n_primaries * (1 + self.replicas_per_primary)
            directives = {"cluster_enabled": "yes", "cluster_config_file": "nodes.conf",
                          "cluster_node_timeout": self.node_timeout, "repl_diskless_sync_delay": 0,
                          **self.config}
            for i, port in enumerate(self._ports(total)):
                server = Server(mode="process", host=self.host, port=port, dir=os.path.join(self.dir, f"node-{i}"),
                                startup_timeout=self.startup_timeout, **directives)
                self.nodes.append(ClusterNode(self, i, server))
            self._finalizer = weakref.finalize(self, _stop_all, [n.server for n in self.nodes],
                                               None if self._dir_given else self.dir)
            prims = self.nodes[:self.n_primaries]
            pairs = [(self.nodes[self.n_primaries + i * self.replicas_per_primary + j], prim)
                     for i, prim in enumerate(prims) for j in range(self.replicas_per_primary)]
            try:
                with ThreadPoolExecutor(max_workers=total) as pool:
                    # Primaries first: the CPU of the replicas' start-up then overlaps the primaries' 2 s
                    # CLUSTER_WRITABLE_DELAY instead of delaying it (measured: 4.3 s -> ~3 s for 3x1 on 2 cores).
                    list(pool.map(lambda n: n.server.start(), prims))
                    started = [pool.submit(r.server.start) for r, _ in pairs]
                    links = {n: n.link() for n in self.nodes}
                    ids = topology.form_cluster([links[p] for p in prims], [(links[r], links[p]) for r, p in pairs],
                                                timeout=max(0.1, deadline - time.monotonic()), diag=self._logs,
                                                strict_pairs=False,
                                                replicas_started=lambda: [f.result() for f in started])
                for n in self.nodes:
                    n.node_id = ids[links[n]]
            except TopologyError as exc:
                self._stop_locked()
                raise ServerStartError(f"the cluster did not form: {exc}") from None
            except BaseException:
                self._stop_locked()
                raise
            return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop every node process and remove the private dir (a given dir is kept). Idempotent."""
        with self._lock:
            self._stop_locked(timeout)

    def _stop_locked(self, timeout: float = 10.0) -> None:
        for c in self._clients:
            try:
                c.close()
            except Exception:
                pass
        self._clients.clear()
        for n in self.nodes:
            n.close_link()
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        _stop_all([n.server for n in self.nodes], None if self._dir_given else self.dir, timeout)
        self.nodes = []
        if not self._dir_given:
            self.dir = None

    # ------------------------------------------------------------------------------------------ views

    def live_nodes(self) -> list[ClusterNode]:
        return [n for n in self.nodes if n.live]

    def by_id(self, node_id: str) -> ClusterNode:
        return next(n for n in self.nodes if n.node_id == node_id)

    def view(self, node: ClusterNode | None = None) -> list[NodeRecord]:
        """CLUSTER NODES as `node` sees it (default: the first live node that answers)."""
        if node is not None:
            return topology.cluster_nodes(node.link())
        last: Exception | None = None
        for n in self.live_nodes():
            try:
                return topology.cluster_nodes(n.link())
            except (OSError, topology.CommandError) as exc:
                last = exc
        raise RuntimeError(f"no live node answers CLUSTER NODES ({last!r})")

    def record(self, node: ClusterNode) -> NodeRecord:
        """`node`'s CLUSTER NODES line, from its own view if it is live, else from a live peer's."""
        view = self.view(node) if node.live else self.view()
        return next(r for r in view if r.id == node.node_id)

    def primaries(self) -> list[ClusterNode]:
        """Nodes that own slots now, ordered by their first slot."""
        recs = sorted((r for r in self.view() if r.is_primary and r.slots and not r.failed),
                      key=lambda r: r.slots[0])
        return [self.by_id(r.id) for r in recs]

    def replicas_of(self, node: ClusterNode) -> list[ClusterNode]:
        return [self.by_id(r.id) for r in self.view() if r.primary_id == node.node_id]

    def node_for_key(self, key: str | bytes) -> ClusterNode:
        slot = int(self.live_nodes()[0].execute("CLUSTER", "KEYSLOT", key))
        for r in self.view():
            if r.is_primary and any(a <= slot <= b for a, b in r.slots):
                return self.by_id(r.id)
        raise RuntimeError(f"no node owns slot {slot}")

    @property
    def startup_nodes(self) -> list[redis.cluster.ClusterNode]:
        from redis.cluster import ClusterNode as RCNode

        return [RCNode(n.host, n.port) for n in self.nodes]  # type: ignore[no-untyped-call]

    def client(self, **kw: Any) -> redis.cluster.RedisCluster:
        """A redis-py RedisCluster with every node as a startup node (closed by stop())."""
        from redis.cluster import RedisCluster

        rc = RedisCluster(startup_nodes=[n for n, c in zip(self.startup_nodes, self.nodes, strict=True) if c.live],
                          **kw)
        self._clients.append(rc)
        return rc

    # ------------------------------------------------------------------------------------------ faults

    def kill(self, node: ClusterNode) -> None:
        """SIGKILL the node's process (its dir and nodes.conf are kept for restart)."""
        node.close_link()
        node.server.kill()
        node.paused = False

    def pause(self, node: ClusterNode) -> None:
        """SIGSTOP: the node keeps its sockets but answers nothing (peers see it time out)."""
        node.close_link()
        node.server.pause()
        node.paused = True

    def resume(self, node: ClusterNode) -> None:
        node.server.resume()
        node.paused = False

    def restart(self, node: ClusterNode, timeout: float = 30.0) -> ClusterNode:
        """Start the node again on its port and dir (it reloads nodes.conf and rejoins), then wait until
        the live nodes agree again (wait_ok)."""
        node.close_link()
        if node.paused:
            node.server.resume()
            node.paused = False
        node.server.restart()
        self.wait_ok(timeout)
        return node

    def failover(self, node: ClusterNode, timeout: float = 30.0) -> ClusterNode:
        """CLUSTER FAILOVER on `node` if it is a replica, else on its first replica; returns the new primary
        once every live node sees the roles swapped and the cluster is ok."""
        rec = self.record(node)
        if rec.is_primary:
            reps = [r for r in self.replicas_of(node) if r.live]
            if not reps:
                raise RuntimeError(f"{node!r} has no live replica to fail over to")
            replica, old = reps[0], node
        else:
            replica, old = node, self.by_id(rec.primary_id or "")
        replica.execute("CLUSTER", "FAILOVER")

        def swapped() -> bool:
            for n in self.live_nodes():
                view = {r.id: r for r in topology.cluster_nodes(n.link())}
                if not view[replica.node_id].is_primary:
                    return False
                if old.live and view[old.node_id].primary_id != replica.node_id:
                    return False
            return True

        self._wait(swapped, timeout, f"{replica!r} to take over from {old!r}")
        self.wait_ok(timeout)
        return replica

    # ------------------------------------------------------------------------------------------ waits

    def consistent(self) -> bool:
        """cluster_state:ok and one config signature on every live node."""
        sigs = set()
        for n in self.live_nodes():
            link = n.link()
            if topology.info_fields(link.call("CLUSTER", "INFO")).get("cluster_state") != "ok":
                return False
            sigs.add(topology.signature(topology.cluster_nodes(link)))
        return len(sigs) == 1

    def wait_ok(self, timeout: float = 30.0) -> None:
        """Wait until every live node says cluster_state:ok and all share one config signature."""
        self._wait(self.consistent, timeout, "cluster_state:ok and one config signature on every live node")

    def _wait(self, predicate: Callable[[], Any], timeout: float, what: str) -> Any:
        try:
            return topology.wait_for(predicate, timeout, what, [n.link() for n in self.live_nodes()],
                                     self._logs, interval=0.02)
        except TopologyError as exc:
            raise TimeoutError(str(exc)) from None

    def _logs(self, lines: int = 15) -> str:
        return "\n".join(f"--- {n!r} log tail:\n{n.log_tail(lines)}" for n in self.nodes)

    def __repr__(self) -> str:
        return f"<pyredcache.Cluster {self.n_primaries}x{1 + self.replicas_per_primary} nodes={len(self.nodes)}>"


def _stop_all(servers: Sequence[Server], private_dir: str | None, timeout: float = 10.0) -> None:
    """Stop every node concurrently (a SIGTERM'd node saves nothing: save "" and no AOF), then drop the dir."""
    if servers:
        with ThreadPoolExecutor(max_workers=len(servers)) as pool:
            list(pool.map(lambda s: s.stop(timeout), servers))
    if private_dir is not None:
        shutil.rmtree(private_dir, ignore_errors=True)
