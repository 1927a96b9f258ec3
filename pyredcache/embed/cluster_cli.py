"""`pyredcache cluster create|status|scale|stop`: the managed-cache topology on one machine.

N instances, each one primary process plus (with --replicas 1) one replica process; the replica of instance i
replicates the primary of instance (i+1) mod N, so losing one instance never loses both copies of a slot range.
Processes are detached (their own session) and outlive the CLI; their ports, PIDs and directories are recorded
in <dir>/cluster.json, which every later subcommand reads. The cluster operations themselves are topology.py's.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from . import topology
from .topology import NodeLink, TopologyError

STATE_FILE: Final = "cluster.json"
DEFAULT_DIR: Final = "pyredcache-cluster"
DEFAULT_BASE_PORT: Final = 7000
MAX_INSTANCES: Final = 6
STOP_TIMEOUT_S: Final = 10.0


@dataclass
class Proc:
    """One node process of the topology."""

    port: int
    pid: int
    dir: str
    id: str = ""


@dataclass
class Instance:
    index: int
    primary: Proc
    replica: Proc | None = None


@dataclass
class State:
    host: str
    base_port: int
    replicas: int
    node_timeout: int
    instances: list[Instance] = field(default_factory=list)

    def procs(self) -> list[Proc]:
        return [p for inst in self.instances for p in (inst.primary, inst.replica) if p is not None]

    @classmethod
    def load(cls, root: str) -> State:
        path = os.path.join(root, STATE_FILE)
        try:
            with open(path) as fh:
                raw = json.load(fh)
        except FileNotFoundError:
            raise CliError(f"no cluster in {root!r} ({STATE_FILE} not found; run `pyredcache cluster create`)"
                           ) from None
        insts = [Instance(i["index"], Proc(**i["primary"]), Proc(**i["replica"]) if i["replica"] else None)
                 for i in raw.pop("instances")]
        return cls(**raw, instances=insts)

    def save(self, root: str) -> None:
        tmp = os.path.join(root, STATE_FILE + ".tmp")
        with open(tmp, "w") as fh:
            json.dump(asdict(self), fh, indent=2)
        os.replace(tmp, os.path.join(root, STATE_FILE))


class CliError(Exception):
    """A user-facing failure: printed without a traceback, exit status 1."""


def _say(msg: str) -> None:
    print(msg, flush=True)


# ------------------------------------------------------------------------------------------------ processes


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _launch(st: State, root: str, port: int, name: str) -> Proc:
    """Start one detached node process (own session, output to files in its directory)."""
    for p in (port, port + 10000):
        if not _port_free(st.host, p):
            raise CliError(f"port {p} on {st.host} is in use (choose another --base-port)")
    node_dir = os.path.abspath(os.path.join(root, name))
    shutil.rmtree(node_dir, ignore_errors=True)
    os.makedirs(node_dir)
    args = {"port": port, "bind": st.host, "dir": node_dir, "logfile": os.path.join(node_dir, "server.log"),
            "pidfile": os.path.join(node_dir, "server.pid"), "daemonize": "no", "cluster-enabled": "yes",
            "cluster-config-file": "nodes.conf", "cluster-node-timeout": st.node_timeout, "save": "",
            "appendonly": "no", "repl-diskless-sync-delay": 0,
            # The managed layout is the operator's choice: replicas stay where they were put.
            "cluster-allow-replica-migration": "no"}
    argv = [sys.executable, "-m", "pyredcache"]
    for k, v in args.items():
        argv += [f"--{k}", str(v)]
    with open(os.path.join(node_dir, "stderr"), "ab") as err:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                cwd=node_dir, start_new_session=True, env=_child_env())
    return Proc(port=port, pid=proc.pid, dir=node_dir)


def _child_env() -> dict[str, str]:
    """The nodes run the same pyredcache as this CLI, whatever their working directory puts on sys.path."""
    pkg_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.environ.get("PYTHONPATH")
    return dict(os.environ, PYTHONPATH=pkg_root + (os.pathsep + path if path else ""))


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def _ours(proc: Proc) -> bool:
    """The PID still runs a pyredcache node on our port (not a recycled PID)."""
    try:
        with open(f"/proc/{proc.pid}/cmdline", "rb") as fh:
            cmd = fh.read().split(b"\0")
    except OSError:
        return _alive(proc.pid)
    return b"pyredcache" in b" ".join(cmd) and str(proc.port).encode() in cmd and _alive(proc.pid)


def _log_tail(proc: Proc, lines: int = 20) -> str:
    out = []
    for name in ("server.log", "stderr"):
        try:
            with open(os.path.join(proc.dir, name), errors="replace") as fh:
                text = "".join(fh.readlines()[-lines:]).strip()
        except OSError:
            continue
        if text:
            out.append(f"--- :{proc.port} {name}:\n{text}")
    return "\n".join(out)


def _wait_started(st: State, procs: Sequence[Proc], timeout: float = 20.0) -> None:
    pending = list(procs)
    deadline = time.monotonic() + timeout
    while pending:
        for p in list(pending):
            if not _alive(p.pid):
                raise CliError(f"node on port {p.port} exited during start-up\n{_log_tail(p)}")
            try:
                link = NodeLink(st.host, p.port, timeout=1.0)
                link.call("PING")
                p.id = link.call("CLUSTER", "MYID").decode()
                link.close()
                pending.remove(p)
            except (OSError, topology.CommandError):
                pass
        if pending:
            if time.monotonic() > deadline:
                tails = "\n".join(_log_tail(p) for p in pending)
                raise CliError(f"nodes on ports {[p.port for p in pending]} did not answer within {timeout:g}s\n"
                               f"{tails}")
            time.sleep(0.01)


def _terminate(procs: Sequence[Proc], timeout: float = STOP_TIMEOUT_S) -> tuple[int, int]:
    """SIGTERM every live process, SIGKILL whatever is left after `timeout`. Returns (terminated, killed)."""
    live = [p for p in procs if _ours(p)]
    for p in live:
        try:
            os.kill(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    while any(_alive(p.pid) for p in live) and time.monotonic() < deadline:
        time.sleep(0.02)
    killed = 0
    for p in live:
        if _alive(p.pid):
            try:
                os.kill(p.pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 5
    while any(_alive(p.pid) for p in live) and time.monotonic() < deadline:
        time.sleep(0.02)
    return len(live) - killed, killed


# ------------------------------------------------------------------------------------------------ helpers


def _link(st: State, proc: Proc) -> NodeLink:
    return NodeLink(st.host, proc.port, timeout=15.0)


def _diag(st: State) -> str:
    return "\n".join(_log_tail(p) for p in st.procs())


def _ring(st: State, insts: Sequence[Instance]) -> list[tuple[Proc, Proc]]:
    """(replica, primary) pairs of the managed layout: instance i's replica follows instance i+1's primary."""
    n = len(insts)
    return [(inst.replica, insts[(i + 1) % n].primary) for i, inst in enumerate(insts) if inst.replica is not None]


def _endpoint_lines(st: State) -> list[str]:
    out = []
    for inst in st.instances:
        rep = f", replica {st.host}:{inst.replica.port}" if inst.replica else ""
        out.append(f"instance {inst.index}: {st.host}:{inst.primary.port} (primary{rep})")
    return out


def _new_instances(st: State, root: str, indexes: Sequence[int], wait_replicas: bool = True) -> list[Instance]:
    """Start the primaries of new instances and wait for them, then launch their replicas (and wait for those
    too unless told not to: create overlaps their start-up with the primaries' writable delay)."""
    new: list[Instance] = []
    try:
        for i in indexes:
            new.append(Instance(i, _launch(st, root, st.base_port + 2 * i, f"node-{i}-primary")))
        _wait_started(st, [inst.primary for inst in new])
        if st.replicas:
            for inst in new:
                i = inst.index
                inst.replica = _launch(st, root, st.base_port + 2 * i + 1, f"node-{i}-replica")
            if wait_replicas:
                _wait_started(st, [inst.replica for inst in new if inst.replica is not None])
    except BaseException:
        _terminate([p for inst in new for p in (inst.primary, inst.replica) if p is not None], 2.0)
        raise
    return new


# ------------------------------------------------------------------------------------------------ subcommands


def cmd_create(ns: argparse.Namespace) -> int:
    if ns.nodes < 1 or ns.replicas not in (0, 1):
        raise CliError("--nodes must be >= 1 and --replicas 0 or 1")
    if not ns.allow_large and not 3 <= ns.nodes <= MAX_INSTANCES:
        raise CliError(f"--nodes must be between 3 and {MAX_INSTANCES} (use --allow-large for other sizes)")
    root = os.path.abspath(ns.dir)
    os.makedirs(root, exist_ok=True)
    if os.path.exists(os.path.join(root, STATE_FILE)):
        old = State.load(root)
        if any(_ours(p) for p in old.procs()):
            raise CliError(f"a cluster is already running from {root} (`pyredcache cluster stop --dir {ns.dir}`)")
    st = State(ns.host, ns.base_port, ns.replicas, ns.node_timeout)
    t0 = time.monotonic()
    nprocs = ns.nodes * (1 + ns.replicas)
    _say(f"starting {nprocs} node processes ({ns.nodes} instances) in {root}")
    st.instances = _new_instances(st, root, range(ns.nodes), wait_replicas=False)
    st.save(root)
    links = {p.port: _link(st, p) for p in st.procs()}
    reps = [i.replica for i in st.instances if i.replica is not None]
    try:
        topology.form_cluster([links[i.primary.port] for i in st.instances],
                              [(links[r.port], links[p.port]) for r, p in _ring(st, st.instances)],
                              timeout=ns.timeout, diag=lambda: _diag(st), on_progress=_say,
                              replicas_started=lambda: _wait_started(st, reps))
    except (TopologyError, CliError) as exc:
        _terminate(st.procs(), 2.0)
        raise CliError(f"cluster did not form: {exc}") from None
    finally:
        for link in links.values():
            link.close()
    st.save(root)      # again: the replicas' ids are known now
    _say(f"cluster ready in {time.monotonic() - t0:.2f}s (cluster_state:ok)")
    for line in _endpoint_lines(st):
        _say(line)
    return 0


def _status_rows(st: State) -> tuple[list[list[str]], str]:
    view: list[topology.NodeRecord] = []
    state = "unknown"
    for proc in st.procs():
        if not _alive(proc.pid):
            continue
        try:
            link = _link(st, proc)
            view = topology.cluster_nodes(link)
            state = topology.info_fields(link.call("CLUSTER", "INFO")).get("cluster_state", "?")
            link.close()
            break
        except (OSError, topology.CommandError):
            continue
    by_id = {r.id: r for r in view}
    inst_of = {}
    for inst in st.instances:
        for p in (inst.primary, inst.replica):
            if p is not None:
                inst_of[p.id] = inst.index
    rows = []
    for inst in st.instances:
        for p in (inst.primary, inst.replica):
            if p is None:
                continue
            rec = by_id.get(p.id)
            keys, link_state = "-", "down"
            if _alive(p.pid):
                try:
                    link = NodeLink(st.host, p.port, timeout=2.0)
                    keys = str(link.call("DBSIZE"))
                    repl = topology.info_fields(link.call("INFO", "replication"))
                    link_state = ("connected" if repl.get("role") == "master"
                                  else f"master_link:{repl.get('master_link_status', '?')}")
                    link.close()
                except (OSError, topology.CommandError) as exc:
                    link_state = f"error: {exc}"
            follows = "-"
            if rec is None:
                role, slots = "?", "-"
            elif rec.is_primary:
                role, slots = "primary", str(rec.slot_count)
            else:
                prim = inst_of.get(rec.primary_id or "")
                role, slots = "replica", "-"
                follows = str(prim) if prim is not None else (rec.primary_id or "?")[:8]
            if rec is not None and rec.failed:
                role += ",fail"
            rows.append([str(inst.index), f"{st.host}:{p.port}", str(p.pid), role, follows, slots, keys,
                         link_state])
    return rows, state


def cmd_status(ns: argparse.Namespace) -> int:
    st = State.load(os.path.abspath(ns.dir))
    rows, state = _status_rows(st)
    head = ["instance", "node", "pid", "role", "follows", "slots", "keys", "link"]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        _say("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    _say(f"cluster_state: {state}; {len(st.instances)} instances")
    return 0


def _wait_settled(st: State, insts: Sequence[Instance], timeout: float) -> None:
    links = {p.port: _link(st, p) for inst in insts for p in (inst.primary, inst.replica) if p is not None}
    pairs = [(links[r.port], links[p.port]) for r, p in _ring(st, insts)]
    ids = {links[p.port]: p.id for inst in insts for p in (inst.primary, inst.replica) if p is not None}
    try:
        topology.wait_settled(list(links.values()), pairs, ids, timeout, lambda: _diag(st))
    finally:
        for link in links.values():
            link.close()


def _replicate_ring(st: State, insts: Sequence[Instance]) -> None:
    """Point every replica at its ring primary (CLUSTER REPLICATE where it differs)."""
    for rep, prim in _ring(st, insts):
        link = _link(st, rep)
        try:
            me = topology.myself(topology.cluster_nodes(link))
            if me.primary_id != prim.id:
                def replicate(link: NodeLink = link, prim_id: str = prim.id) -> Any:
                    return link.call("CLUSTER", "REPLICATE", prim_id)

                topology.wait_for(replicate, 10.0, f"CLUSTER REPLICATE on :{rep.port}", [link], lambda: _diag(st))
        finally:
            link.close()


def _restore_layout(st: State, timeout: float) -> None:
    """Make every instance's primary process a primary again (CLUSTER FAILOVER on it where a failover made it a
    replica) and every replica follow its ring primary, so slots can be moved by instance."""
    down = [p.port for p in st.procs() if not _alive(p.pid)]
    if down:
        raise CliError(f"node processes on ports {down} are down; stop and re-create the cluster before scaling")
    swapped = []
    for inst in st.instances:
        link = _link(st, inst.primary)
        try:
            if not topology.myself(topology.cluster_nodes(link)).is_primary:
                link.call("CLUSTER", "FAILOVER")
                swapped.append(inst)
        finally:
            link.close()
    for inst in swapped:
        link = _link(st, inst.primary)
        try:
            def is_primary(link: NodeLink = link) -> bool:
                return topology.myself(topology.cluster_nodes(link)).is_primary

            topology.wait_for(is_primary, timeout,
                              f"instance {inst.index}'s primary :{inst.primary.port} to take its slots back",
                              [link], lambda: _diag(st))
        finally:
            link.close()
        _say(f"instance {inst.index}: primary :{inst.primary.port} failed back")
    _replicate_ring(st, st.instances)
    _wait_settled(st, st.instances, timeout)


def cmd_scale(ns: argparse.Namespace) -> int:
    root = os.path.abspath(ns.dir)
    st = State.load(root)
    cur = len(st.instances)
    if not ns.allow_large and not 3 <= ns.nodes <= MAX_INSTANCES:
        raise CliError(f"--nodes must be between 3 and {MAX_INSTANCES} (use --allow-large for other sizes)")
    if ns.nodes < 1:
        raise CliError("--nodes must be >= 1")
    if ns.nodes == cur:
        _say(f"already {cur} instances")
        return 0
    t0 = time.monotonic()
    _restore_layout(st, ns.timeout)
    if ns.nodes > cur:
        _say(f"scaling up {cur} -> {ns.nodes} instances")
        new = _new_instances(st, root, range(cur, ns.nodes))
        st.instances += new
        st.save(root)
        everyone = {p.port: _link(st, p) for p in st.procs()}
        try:
            anchor = everyone[st.instances[0].primary.port]
            for inst in new:
                for p in (inst.primary, inst.replica):
                    if p is not None:
                        topology.join_node(anchor, everyone[p.port], list(everyone.values()), ns.timeout,
                                           lambda: _diag(st))
            _say(f"{len(new)} instances joined")
            _replicate_ring(st, st.instances)
            # A new primary answers CLUSTERDOWN (so MIGRATE to it fails) until it serves the cluster itself.
            _wait_settled(st, st.instances, ns.timeout)
            prims = [everyone[i.primary.port] for i in st.instances]
            ids = {everyone[p.port]: p.id for p in st.procs()}
            moved = topology.rebalance(prims, _say, ids=ids)
            _say(f"rebalanced: {moved} keys moved")
        finally:
            for link in everyone.values():
                link.close()
        _wait_settled(st, st.instances, ns.timeout)
    else:
        _say(f"scaling down {cur} -> {ns.nodes} instances")
        keep, gone = st.instances[:ns.nodes], st.instances[ns.nodes:]
        everyone = {p.port: _link(st, p) for p in st.procs() if _alive(p.pid)}
        try:
            prims = [everyone[i.primary.port] for i in st.instances]
            ids = {everyone[p.port]: p.id for p in st.procs() if p.port in everyone}
            weights = {everyone[i.primary.port]: 0.0 for i in gone}
            moved = topology.rebalance(prims, _say, weights=weights, ids=ids)
            _say(f"slots moved off instances {[i.index for i in gone]}: {moved} keys moved")
            _replicate_ring(st, keep)
            kept_links = [everyone[p.port] for i in keep for p in (i.primary, i.replica)
                          if p is not None and p.port in everyone]
            removed = [p for i in gone for p in (i.replica, i.primary) if p is not None]
            for p in removed:
                topology.forget_node(p.id, kept_links)
        finally:
            for link in everyone.values():
                link.close()
        terminated, killed = _terminate(removed)
        for p in removed:
            shutil.rmtree(p.dir, ignore_errors=True)
        _say(f"stopped {terminated + killed} processes of removed instances")
        st.instances = keep
        st.save(root)
        _wait_settled(st, keep, ns.timeout)
    _say(f"scaled to {ns.nodes} instances in {time.monotonic() - t0:.2f}s (cluster_state:ok)")
    for line in _endpoint_lines(st):
        _say(line)
    return 0


def cmd_stop(ns: argparse.Namespace) -> int:
    root = os.path.abspath(ns.dir)
    st = State.load(root)
    procs = st.procs()
    terminated, killed = _terminate(procs, ns.timeout)
    _say(f"stopped {terminated + killed} of {len(procs)} node processes "
         f"({terminated} on SIGTERM, {killed} after SIGKILL)")
    if ns.purge:
        shutil.rmtree(root, ignore_errors=True)
        _say(f"removed {root}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pyredcache cluster",
                                     description="Run a managed-cache cluster topology on this machine.")
    sub = parser.add_subparsers(dest="action", required=True)

    def with_dir(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--dir", default=os.environ.get("PYREDCACHE_CLUSTER_DIR", DEFAULT_DIR),
                       help=f"state directory (default ./{DEFAULT_DIR} or $PYREDCACHE_CLUSTER_DIR)")
        return p

    c = with_dir(sub.add_parser("create", help="start N instances and form the cluster"))
    c.add_argument("--nodes", type=int, required=True, help="instances (3..6 unless --allow-large)")
    c.add_argument("--replicas", type=int, default=1, help="replica processes per instance: 0 or 1 (default 1)")
    c.add_argument("--base-port", type=int, default=DEFAULT_BASE_PORT,
                   help="instance i uses ports base+2i (primary) and base+2i+1 (replica)")
    c.add_argument("--host", default="127.0.0.1")
    c.add_argument("--node-timeout", type=int, default=5000, help="cluster-node-timeout in ms")
    c.add_argument("--allow-large", action="store_true")
    c.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the cluster to form")
    with_dir(sub.add_parser("status", help="one row per node: role, primary followed, slots, keys, link"))
    s = with_dir(sub.add_parser("scale", help="add or remove instances, moving slots live"))
    s.add_argument("--nodes", type=int, required=True)
    s.add_argument("--allow-large", action="store_true")
    s.add_argument("--timeout", type=float, default=60.0)
    p = with_dir(sub.add_parser("stop", help="stop every node process (SIGTERM, then SIGKILL)"))
    p.add_argument("--timeout", type=float, default=STOP_TIMEOUT_S)
    p.add_argument("--purge", action="store_true", help="also remove the state directory")
    return parser


def main(argv: list[str]) -> int:
    ns = build_parser().parse_args(argv)
    handler: Any = {"create": cmd_create, "status": cmd_status, "scale": cmd_scale, "stop": cmd_stop}[ns.action]
    try:
        return int(handler(ns))
    except (CliError, TopologyError) as exc:
        print(f"pyredcache cluster {ns.action}: {exc}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
