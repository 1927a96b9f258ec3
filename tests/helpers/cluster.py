"""Redis Cluster test harness: node processes (pyredcache and/or redis-server) joined by `redis-cli --cluster
create`, bounded waits on the cluster's state, and faults by PID (SIGKILL, SIGSTOP/SIGCONT, restart from the
node's own nodes.conf). Used by tests/interop/test_cluster_*.py and bench/cluster.py.

Every wait is bounded and a timed-out wait shows every node's log tail; `stop()` kills every process by PID
and removes its directory (the `cluster_factory` fixture calls it even when the test fails).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
import redis
from redis.backoff import NoBackoff
from redis.cluster import ClusterNode as RCNode
from redis.cluster import RedisCluster
from redis.retry import Retry

from .procs import REDIS_SERVER, ServerProcess, free_port, ping, popen_of, start_server
from .wait import wait_until

REDIS_CLI = shutil.which("redis-cli")
MISSING = ("redis-server / redis-cli are not installed (apt-get install redis-server redis-tools)"
           if REDIS_SERVER is None or REDIS_CLI is None else None)
KINDS = ("redis", "pyredcache")
SLOTS = 16384


def cluster_directives(node_timeout: int = 2000, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The directives every cluster node gets (both kinds accept all of them)."""
    return {"cluster-enabled": "yes", "cluster-config-file": "nodes.conf", "cluster-node-timeout": str(node_timeout),
            "enable-debug-command": "yes", "appendonly": "no", "save": "", "repl-diskless-sync-delay": "0",
            **(extra or {})}


# ------------------------------------------------------------------------------------ CLUSTER NODES


@dataclass(frozen=True)
class NodeLine:
    """One line of CLUSTER NODES."""

    id: str
    port: int
    flags: tuple[str, ...]
    master: str | None          # the primary's id for a replica, None for "-"
    config_epoch: int
    link: str
    slots: tuple[tuple[int, int], ...]
    open_slots: tuple[str, ...]  # "[slot->-id]" / "[slot-<-id]" entries

    @property
    def role(self) -> str:
        return "master" if "master" in self.flags else "slave"

    @property
    def failed(self) -> bool:
        return "fail" in self.flags or "fail?" in self.flags

    @property
    def myself(self) -> bool:
        return "myself" in self.flags

    @property
    def slot_count(self) -> int:
        return sum(b - a + 1 for a, b in self.slots)

    @classmethod
    def parse(cls, line: str) -> NodeLine:
        f = line.split()
        addr = f[1].split("@", 1)[0]
        slots: list[tuple[int, int]] = []
        open_slots: list[str] = []
        for s in f[8:]:
            if s.startswith("["):
                open_slots.append(s)
            elif "-" in s:
                a, b = s.split("-")
                slots.append((int(a), int(b)))
            else:
                slots.append((int(s), int(s)))
        return cls(id=f[0], port=int(addr.rsplit(":", 1)[1] or 0), flags=tuple(f[2].split(",")),
                   master=None if f[3] == "-" else f[3], config_epoch=int(f[6]), link=f[7],
                   slots=tuple(sorted(slots)), open_slots=tuple(open_slots))


def parse_nodes(text: str | bytes) -> list[NodeLine]:
    if isinstance(text, bytes):
        text = text.decode()
    return [NodeLine.parse(line) for line in text.splitlines() if line.strip()]


def parse_info(text: str | bytes) -> dict[str, str]:
    if isinstance(text, bytes):
        text = text.decode()
    out = {}
    for line in text.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out[k] = v.strip()
    return out


def normalized(lines: Sequence[NodeLine]) -> list[Any]:
    """A node's view without what legitimately differs between viewers (the myself flag, ping/pong times)."""
    return sorted((ln.id, ln.port, ln.role, ln.master, ln.config_epoch, ln.slots, ln.link,
                   tuple(sorted(set(ln.flags) - {"myself"}))) for ln in lines)


def signature(lines: Sequence[NodeLine]) -> str:
    """The config signature of one node's view, as redis-cli's clusterManagerGetConfigSignature: the ids and
    slot ranges of the nodes that own slots, sorted."""
    parts = []
    for ln in lines:
        if ln.slots:
            ranges = ",".join(f"{a}-{b}" if a != b else str(a) for a, b in ln.slots)
            parts.append(f"{ln.id}:{ranges}")
    return "|".join(sorted(parts))


# ------------------------------------------------------------------------------------------ nodes


@dataclass
class Node:
    """One node process of a cluster; `state` is what the harness did to it (up, killed, paused)."""

    index: int
    kind: str
    port: int
    sp: ServerProcess
    directives: dict[str, str]
    node_id: str = ""
    state: str = "up"
    _conn: redis.Redis | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return f"<node{self.index} {self.kind} :{self.port} pid {self.sp.pid} {self.node_id[:8]} {self.state}>"

    @property
    def live(self) -> bool:
        return self.state == "up"

    def conn(self) -> redis.Redis:
        """A plain redis-py connection to this node (no cluster routing, no retries)."""
        if self._conn is None:
            self._conn = redis.Redis(port=self.port, socket_timeout=5, socket_connect_timeout=2, protocol=2,
                                     retry=Retry(NoBackoff(), 0))
        return self._conn

    def close_conn(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def cmd(self, *args: Any) -> Any:
        return self.conn().execute_command(*args)

    def cluster_info(self) -> dict[str, str]:
        return parse_info(self.cmd("CLUSTER", "INFO"))

    def cluster_nodes(self) -> list[NodeLine]:
        return parse_nodes(self.cmd("CLUSTER", "NODES"))

    def myself(self) -> NodeLine:
        return next(ln for ln in self.cluster_nodes() if ln.myself)

    def state_ok(self) -> bool:
        return self.cluster_info().get("cluster_state") == "ok"


def _launch(kind: str, port: int, workdir: str, directives: dict[str, str]) -> ServerProcess:
    """Start one node process on `port` with `dir` = workdir (a restart reuses both, so its nodes.conf).
    pyredcache nodes start through pyredcache.Server (process mode; it returns once the node answers PING),
    redis-server nodes as a plain subprocess (the caller waits for PING)."""
    logfile = os.path.join(workdir, "server.log")
    if kind == "pyredcache":
        sp = start_server("pyredcache", {"dir": workdir, "logfile": logfile, **directives}, port=port)
        shutil.rmtree(sp.workdir, ignore_errors=True)    # its own temp dir is unused: dir and log are given
        sp.workdir = workdir
        return sp
    opts = {"port": str(port), "bind": "127.0.0.1", "dir": workdir, "logfile": logfile, "daemonize": "no",
            **directives}
    args: list[str] = []
    for k, v in opts.items():
        args += [f"--{k}", v]
    if REDIS_SERVER is None:
        raise RuntimeError("redis-server is not installed")
    cmd = [REDIS_SERVER, *args]
    with open(os.path.join(workdir, "stderr"), "ab") as stderr:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=stderr, cwd=workdir)
    return ServerProcess(kind, port, proc, workdir, logfile, args)


def _stderr(sp: ServerProcess) -> str:
    out = ""
    for name in ("stderr", "stderr.log"):      # redis-server's (ours) / pyredcache.Server's
        try:
            with open(os.path.join(sp.workdir, name), errors="replace") as fh:
                out += fh.read()[-3000:]
        except OSError:
            pass
    return out


def _wait_started(sps: Sequence[ServerProcess], timeout: float = 30.0) -> None:
    pending = list(sps)
    deadline = time.monotonic() + timeout
    while pending:
        for sp in list(pending):
            if sp.proc.poll() is not None:
                raise AssertionError(f"{sp.kind} on port {sp.port} exited with {sp.proc.returncode}:\n"
                                     f"{_stderr(sp)}\n{sp.log_tail()}")
            if ping(sp.port):
                pending.remove(sp)
        if pending and time.monotonic() > deadline:
            tails = "\n".join(f"--- :{sp.port}\n{sp.log_tail()}" for sp in pending)
            raise AssertionError(f"did not answer PING within {timeout}s: {pending}\n{tails}")
        if pending:
            time.sleep(0.02)


class ClusterHandle:
    """The node processes of one cluster and what tests do with them."""

    def __init__(self, node_timeout: int = 2000, extra: dict[str, str] | None = None) -> None:
        self.nodes: list[Node] = []
        self.node_timeout = node_timeout
        self.extra = dict(extra or {})
        self._clients: list[RedisCluster] = []

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes)

    # ---------------------------------------------------------------- processes

    def spawn(self, kinds: Sequence[str]) -> list[Node]:
        """Start fresh cluster-enabled nodes (not yet part of any cluster) concurrently; wait for PING."""
        directives = cluster_directives(self.node_timeout, self.extra)
        ports: list[int] = []
        for _ in kinds:
            port = free_port()
            taken = [n.port for n in self.nodes] + ports
            while any(p in (port, port + 10000) or p + 10000 == port for p in taken):
                port = free_port()
            ports.append(port)

        def launch(kind: str, port: int) -> ServerProcess:
            return _launch(kind, port, tempfile.mkdtemp(prefix=f"cluster-{kind}-{port}-"), directives)

        # Concurrently: a pyredcache.Server start returns once the node answers PING.
        with ThreadPoolExecutor(max_workers=max(1, len(ports))) as ex:
            futures = [ex.submit(launch, kind, port) for kind, port in zip(kinds, ports, strict=True)]
        new: list[Node] = []
        errors: list[BaseException] = []
        for kind, port, fut in zip(kinds, ports, futures, strict=True):
            exc = fut.exception()
            if exc is not None:
                errors.append(exc)
            else:
                new.append(Node(len(self.nodes) + len(new), kind, port, fut.result(), directives))
        self.nodes += new           # stop() cleans up whatever did start
        if errors:
            raise errors[0]
        _wait_started([n.sp for n in new])
        for n in new:
            n.node_id = self.wait(lambda n=n: n.cmd("CLUSTER", "MYID").decode(), 10, f"{n!r} CLUSTER MYID")
        return new

    def kill(self, node: Node) -> None:
        """SIGKILL by PID (also ends a stopped process)."""
        node.close_conn()
        node.sp.stop(signal.SIGKILL)
        node.state = "killed"

    def pause(self, node: Node) -> None:
        node.close_conn()
        os.kill(node.sp.pid, signal.SIGSTOP)
        node.state = "paused"

    def resume(self, node: Node) -> None:
        os.kill(node.sp.pid, signal.SIGCONT)
        node.state = "up"

    def restart(self, node: Node) -> Node:
        """A new process of the same kind on the same port and directory, so it loads its nodes.conf."""
        if node.sp.alive():
            self.kill(node)
        node.close_conn()
        if node.sp.server is not None:
            node.sp.server.restart()
            node.sp.proc = popen_of(node.sp.server)
        else:
            node.sp = _launch(node.kind, node.port, node.sp.workdir, node.directives)
        _wait_started([node.sp])
        node.state = "up"
        return node

    def stop(self) -> None:
        for c in self._clients:
            try:
                c.close()
            except Exception:
                pass
        for n in self.nodes:
            n.close_conn()
            n.sp.stop(signal.SIGKILL)           # nothing to keep; SIGKILL also ends a stopped process
        for n in self.nodes:
            n.sp.cleanup()                      # stops its pyredcache.Server; removes the dir

    # ---------------------------------------------------------------- redis-cli

    def cli(self, *args: str | int, timeout: float = 60.0, check: bool = True,
            stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run `redis-cli <args>` (bounded); with check, a non-zero exit raises with the output and logs."""
        assert REDIS_CLI is not None, MISSING
        cmd = [REDIS_CLI, *map(str, args)]
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, input=stdin,
                                 env=dict(os.environ, TERM="dumb"))
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"{' '.join(cmd)} did not finish in {timeout}s; output so far:\n"
                                 f"{exc.stdout!r}\n{exc.stderr!r}\n{self.logs()}") from None
        if check and res.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} exited with {res.returncode}:\n{res.stdout}\n{res.stderr}\n"
                                 f"{self.logs()}")
        return res

    def addr(self, node: Node) -> str:
        return f"127.0.0.1:{node.port}"

    # ---------------------------------------------------------------- views

    def live_nodes(self) -> list[Node]:
        return [n for n in self.nodes if n.live]

    def by_id(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.node_id == node_id)

    def by_port(self, port: int) -> Node:
        return next(n for n in self.nodes if n.port == port)

    def view(self, node: Node | None = None) -> list[NodeLine]:
        """CLUSTER NODES as seen by `node` (default: the first live node that answers)."""
        if node is not None:
            return node.cluster_nodes()
        last: Exception | None = None
        for n in self.live_nodes():
            try:
                return n.cluster_nodes()
            except redis.RedisError as exc:
                last = exc
        raise AssertionError(f"no live node answers CLUSTER NODES ({last!r})")

    def primaries(self, node: Node | None = None) -> list[Node]:
        """Nodes that own slots (primaries), in a live node's view, ordered by their first slot."""
        owners = sorted((ln for ln in self.view(node) if ln.role == "master" and ln.slots),
                        key=lambda ln: ln.slots[0])
        return [self.by_id(ln.id) for ln in owners]

    def replicas_of(self, primary: Node, node: Node | None = None) -> list[Node]:
        return [self.by_id(ln.id) for ln in self.view(node) if ln.master == primary.node_id]

    def role_of(self, node: Node, viewer: Node | None = None) -> NodeLine:
        return next(ln for ln in self.view(viewer) if ln.id == node.node_id)

    def node_for_slot(self, slot: int, node: Node | None = None) -> Node:
        for ln in self.view(node):
            if ln.role == "master" and any(a <= slot <= b for a, b in ln.slots):
                return self.by_id(ln.id)
        raise AssertionError(f"no node owns slot {slot}")

    def node_for_key(self, key: str | bytes) -> Node:
        return self.node_for_slot(key_slot(key))

    def consistent(self, nodes: Sequence[Node] | None = None) -> bool:
        """Every live node (or each of `nodes`) answers cluster_state:ok and all share one config signature."""
        sigs = set()
        for n in nodes if nodes is not None else self.live_nodes():
            if not n.state_ok():
                return False
            sigs.add(signature(n.cluster_nodes()))
        return len(sigs) == 1

    def wait_ok(self, timeout: float = 30.0, nodes: Sequence[Node] | None = None) -> None:
        self.wait(lambda: self.consistent(nodes), timeout,
                  f"cluster_state:ok and one config signature on {nodes or 'every live node'}")

    def views_agree(self, nodes: Sequence[Node] | None = None) -> bool:
        """Every (live) node's CLUSTER NODES is the same once normalized()."""
        views = [normalized(n.cluster_nodes()) for n in (nodes if nodes is not None else self.live_nodes())]
        return all(v == views[0] for v in views)

    def wait_state(self, state: str, nodes: Sequence[Node] | None = None, timeout: float = 30.0) -> None:
        targets = list(nodes) if nodes is not None else self.live_nodes()
        self.wait(lambda: all(n.cluster_info().get("cluster_state") == state for n in targets), timeout,
                  f"cluster_state:{state} on {targets}")

    # ---------------------------------------------------------------- clients and diagnostics

    def client(self, **kwargs: Any) -> RedisCluster:
        """redis-py RedisCluster with every live node as a startup node (closed by stop())."""
        opts: dict[str, Any] = {"socket_timeout": 5, "socket_connect_timeout": 2, "protocol": 2}
        opts.update(kwargs)
        rc = RedisCluster(startup_nodes=[RCNode("127.0.0.1", n.port) for n in self.live_nodes()], **opts)
        self._clients.append(rc)
        return rc

    def logs(self, lines: int = 30) -> str:
        out = []
        for n in self.nodes:
            out.append(f"--- {n!r} log tail:\n{n.sp.log_tail(lines)}")
            err = _stderr(n.sp).strip()
            if err:
                out.append(f"--- {n!r} stderr:\n{err[-1500:]}")
        return "\n".join(out)

    def wait(self, predicate: Callable[[], Any], timeout: float, message: str) -> Any:
        """wait_until with every node's log tail in the failure message."""
        try:
            return wait_until(predicate, timeout=timeout, interval=0.05, message=message)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.describe()}\n{self.logs()}") from None

    def describe(self) -> str:
        """Each live node's CLUSTER INFO state and CLUSTER NODES (for failure messages)."""
        out = []
        for n in self.live_nodes():
            try:
                raw = n.cmd("CLUSTER", "NODES")
                out.append(f"--- {n!r} state={n.cluster_info().get('cluster_state')}\n"
                           f"{raw.decode() if isinstance(raw, bytes) else raw}")
            except Exception as exc:
                out.append(f"--- {n!r}: {exc!r}")
        return "\n".join(out)


def key_slot(key: str | bytes) -> int:
    from redis.crc import key_slot as _key_slot
    return int(_key_slot(key.encode() if isinstance(key, str) else key))


# ----------------------------------------------------------------------------------------- creation


def create(handle: ClusterHandle, nodes: Sequence[Node], replicas: int = 1, timeout: float = 60.0) -> None:
    """`redis-cli --cluster create <nodes> --cluster-replicas N --cluster-yes` (redis-cli picks the roles)."""
    handle.cli("--cluster", "create", *(handle.addr(n) for n in nodes), "--cluster-replicas", replicas,
               "--cluster-yes", timeout=timeout)


def attach_replicas(handle: ClusterHandle, pairs: Sequence[tuple[Node, Node]], timeout: float = 60.0) -> None:
    """Join each (replica, primary) pair with `redis-cli --cluster add-node R P --cluster-slave
    --cluster-master-id <P's id>`, all at once (each run waits for the join on its own)."""
    def one(pair: tuple[Node, Node]) -> None:
        rep, prim = pair
        handle.cli("--cluster", "add-node", handle.addr(rep), handle.addr(prim), "--cluster-slave",
                   "--cluster-master-id", prim.node_id, timeout=timeout)

    with ThreadPoolExecutor(max_workers=max(1, len(pairs))) as ex:
        list(ex.map(one, pairs))


def start_cluster(kinds: Sequence[str], replicas: int = 1, node_timeout: int = 2000,
                  extra: dict[str, str] | None = None, layout: Sequence[int | None] | None = None,
                  handle: ClusterHandle | None = None, timeout: float = 60.0) -> ClusterHandle:
    """Start len(kinds) nodes concurrently and make them one cluster with redis-cli, then wait_ok().

    Without `layout`, `redis-cli --cluster create ... --cluster-replicas <replicas>` chooses which nodes are
    replicas (it shuffles replicas among nodes on one host). With `layout` (for each node: None for a primary,
    or the index of its primary), the primaries are created with `--cluster-replicas 0` and every replica is
    attached to its primary with `redis-cli --cluster add-node --cluster-slave --cluster-master-id`.
    """
    h = handle or ClusterHandle(node_timeout, extra)
    try:
        nodes = h.spawn(kinds)
        if layout is None:
            create(h, nodes, replicas, timeout)
            want_replicas = len(nodes) - len(nodes) // (replicas + 1)
        else:
            assert len(layout) == len(nodes)
            prims = [n for n, p in zip(nodes, layout, strict=True) if p is None]
            create(h, prims, 0, timeout)
            attach_replicas(h, [(n, nodes[p]) for n, p in zip(nodes, layout, strict=True) if p is not None],
                            timeout)
            want_replicas = sum(p is not None for p in layout)
        h.wait_ok(timeout)
        # Every node knows every other node and the roles have settled (replicas report their primary).
        def settled() -> bool:
            for n in nodes:
                lines = n.cluster_nodes()
                if len(lines) != len(nodes) or sum(ln.role == "slave" for ln in lines) != want_replicas:
                    return False
            return True

        h.wait(settled, timeout, "every node to know every other node and its role")
    except BaseException:
        if handle is None:
            h.stop()
        raise
    return h


@pytest.fixture
def cluster_factory() -> Iterator[Callable[..., ClusterHandle]]:
    """start_cluster(...) for a test; every cluster it made is stopped afterwards (also on failure)."""
    if MISSING:
        pytest.skip(MISSING)
    handles: list[ClusterHandle] = []

    def make(kinds: Sequence[str], **kw: Any) -> ClusterHandle:
        h = ClusterHandle(kw.pop("node_timeout", 2000), kw.pop("extra", None))
        handles.append(h)
        return start_cluster(kinds, handle=h, node_timeout=h.node_timeout, extra=h.extra, **kw)

    try:
        yield make
    finally:
        for h in handles:
            h.stop()


def shared_cluster(kinds: Sequence[str], **kw: Any) -> Iterator[ClusterHandle]:
    """Generator for module-scoped fixtures: one cluster for several tests, stopped afterwards."""
    if MISSING:
        pytest.skip(MISSING)
    h = ClusterHandle(kw.pop("node_timeout", 2000), kw.pop("extra", None))
    try:
        start_cluster(kinds, handle=h, node_timeout=h.node_timeout, extra=h.extra, **kw)
        yield h
    finally:
        h.stop()


def slot_keys(slot_owner: Callable[[int], Any], target: Any, n: int, prefix: str = "k") -> list[str]:
    """`n` key names (prefix:i) whose slot is owned by `target` according to slot_owner(slot)."""
    out: list[str] = []
    i = 0
    while len(out) < n:
        k = f"{prefix}:{i}"
        if slot_owner(key_slot(k)) == target:
            out.append(k)
        i += 1
        assert i < 1_000_000
    return out


class AckedWriter:
    """A steady write load from a thread: SET key value then WAIT 1 <ms> on the same connection to the
    primary that owns the key's slot (its own slot map from CLUSTER SLOTS, refreshed on any error). Records
    the keys that at least one replica acknowledged, every successful write (time, slot) and every error."""

    def __init__(self, handle: ClusterHandle, prefix: str = "w", wait_ms: int = 500) -> None:
        self.h = handle
        self.prefix = prefix
        self.wait_ms = wait_ms
        self.acked: dict[str, str] = {}
        self.written: list[tuple[float, int]] = []
        self.errors: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._conns: dict[int, redis.Redis] = {}
        self._owner: list[int] = []
        self._refresh()
        self._thread = threading.Thread(target=self._run, name=f"writer-{prefix}", daemon=True)

    def _conn(self, port: int) -> redis.Redis:
        if port not in self._conns:
            self._conns[port] = redis.Redis(port=port, socket_timeout=1, socket_connect_timeout=1, protocol=2,
                                            retry=Retry(NoBackoff(), 0))
        return self._conns[port]

    def _refresh(self) -> None:
        for n in self.h.live_nodes():
            try:
                rows = self._conn(n.port).execute_command("CLUSTER", "SLOTS")
            except (redis.RedisError, OSError):
                continue
            owner = [0] * SLOTS
            for start, end, primary, *_ in rows:
                owner[start:end + 1] = [int(primary[1])] * (end - start + 1)
            if all(owner):
                self._owner = owner
                return

    def _run(self) -> None:
        i = 0
        while not self._stop.is_set():
            key, value = f"{self.prefix}:{i}", f"v{i}"
            slot = key_slot(key)
            try:
                p = self._conn(self._owner[slot]).pipeline(transaction=False)
                p.set(key, value)
                p.execute_command("WAIT", 1, self.wait_ms)
                _, acks = p.execute()
                with self._lock:
                    self.written.append((time.monotonic(), slot))
                    if int(acks) >= 1:
                        self.acked[key] = value
                i += 1
            except (redis.RedisError, OSError, IndexError) as exc:
                with self._lock:
                    self.errors.append((time.monotonic(), repr(exc)))
                self._refresh()
                self._stop.wait(0.02)

    def start(self) -> AckedWriter:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        for c in self._conns.values():
            c.close()

    def snapshot(self) -> dict[str, str]:
        with self._lock:
            return dict(self.acked)

    def first_write_after(self, t0: float, slots: set[int] | None = None) -> float | None:
        """Seconds from t0 to the first successful write after t0 (to one of `slots`, if given)."""
        with self._lock:
            for t, slot in self.written:
                if t > t0 and (slots is None or slot in slots):
                    return t - t0
        return None


def assert_readable(rc: RedisCluster, expected: dict[str, str]) -> None:
    """Every key of `expected` reads back with its value through the cluster client."""
    items = sorted(expected.items())
    missing = []
    for i in range(0, len(items), 500):
        chunk = items[i:i + 500]
        got = rc.mget_nonatomic([k for k, _ in chunk])
        missing += [(k, v, g) for (k, v), g in zip(chunk, got, strict=True) if g != v.encode()]
    assert not missing, f"{len(missing)} of {len(items)} acknowledged writes lost, e.g. {missing[:5]}"


def slots_of(lines: Sequence[NodeLine], node: Node) -> set[int]:
    ln = next(x for x in lines if x.id == node.node_id)
    return {s for a, b in ln.slots for s in range(a, b + 1)}


def promoted(h: ClusterHandle, replica: Node, slots: set[int]) -> bool:
    """`replica` is a primary owning `slots`, in every live node's view."""
    for viewer in h.live_nodes():
        lines = viewer.cluster_nodes()
        me = next((ln for ln in lines if ln.id == replica.node_id), None)
        if me is None or me.role != "master" or slots_of(lines, replica) < slots:
            return False
    return True


def is_replica_of(h: ClusterHandle, node: Node, primary: Node) -> bool:
    """`node` replicates `primary`, in every live node's view."""
    return all(any(ln.id == node.node_id and ln.role == "slave" and ln.master == primary.node_id
                   for ln in viewer.cluster_nodes()) for viewer in h.live_nodes())
