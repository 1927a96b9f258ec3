"""Start-up: how long until a server (or a whole cluster) is ready, pyredcache vs redis-server, same run, same
machine. Medians of N runs (interleaved kinds, so machine load hits both alike).

1. Standalone server, ready = answers PING:
   - pyredcache.Server(mode="thread"): start() in this process (own thread and uvloop loop);
   - pyredcache.Server(mode="process"): start() spawns `python -m pyredcache` and polls PING;
   - redis-server: the same spawn + PING poll (every 5 ms) on a free port.
2. 6-node cluster (3 primaries, 1 replica each), ready = cluster_state:ok with one config signature on every node
   and every replica linked:
   - pyredcache.Cluster(primaries=3, replicas_per_primary=1).start() (joined from Python);
   - 6 redis-server processes + `redis-cli --cluster create ... --cluster-replicas 1 --cluster-yes`
     (redis-cli is allowed here, in the bench only), then the same readiness poll.
   Both with cluster-node-timeout 2000 ms and repl-diskless-sync-delay 0.

Usage: python bench/startup.py [--runs 7] [--cluster-runs 5] [--quick]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from redis_benchmark import RESULTS, versions  # noqa: E402

from pyredcache import Cluster, Server  # noqa: E402
from pyredcache.embed import topology  # noqa: E402
from pyredcache.embed.server import free_port  # noqa: E402

REDIS_SERVER = shutil.which("redis-server")
REDIS_CLI = shutil.which("redis-cli")
POLL_S = 0.005
NODE_TIMEOUT = 2000


def _ping(port: int) -> bool:
    try:
        link = topology.NodeLink("127.0.0.1", port, timeout=0.5)
        ok = link.call("PING") == b"PONG"
        link.close()
        return bool(ok)
    except (OSError, topology.CommandError):
        return False


def _spawn_redis(port: int, workdir: str, extra: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    assert REDIS_SERVER is not None
    opts = {"port": str(port), "bind": "127.0.0.1", "save": "", "appendonly": "no", "dir": workdir,
            "logfile": os.path.join(workdir, "redis.log"), "daemonize": "no", **(extra or {})}
    args = [a for k, v in opts.items() for a in (f"--{k}", v)]
    return subprocess.Popen([REDIS_SERVER, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            cwd=workdir)


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
    for p in procs:
        p.wait(10)


def _wait(pred: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(POLL_S)


# ------------------------------------------------------------------------------------------ standalone


def standalone_pyredcache(mode: str) -> float:
    t0 = time.perf_counter()
    s = Server(mode=mode).start()    # type: ignore[arg-type]
    took = time.perf_counter() - t0
    assert _ping(s.port)
    s.stop()
    return took


def standalone_redis() -> float:
    workdir = tempfile.mkdtemp(prefix="bench-redis-")
    port = free_port()
    t0 = time.perf_counter()
    proc = _spawn_redis(port, workdir)
    try:
        _wait(lambda: _ping(port), 10, "redis-server PING")
        return time.perf_counter() - t0
    finally:
        _stop([proc])
        shutil.rmtree(workdir, ignore_errors=True)


# ------------------------------------------------------------------------------------------ clusters


def cluster_pyredcache() -> float:
    t0 = time.perf_counter()
    c = Cluster(primaries=3, replicas_per_primary=1, node_timeout=NODE_TIMEOUT).start()
    took = time.perf_counter() - t0
    c.stop()
    return took


def cluster_redis() -> float:
    assert REDIS_CLI is not None
    root = tempfile.mkdtemp(prefix="bench-redis-cluster-")
    ports: list[int] = []
    while len(ports) < 6:
        p = free_port()
        if all(p not in (q, q + 10000) and p + 10000 != q for q in ports):
            ports.append(p)
    procs: list[subprocess.Popen[bytes]] = []
    extra = {"cluster-enabled": "yes", "cluster-config-file": "nodes.conf",
             "cluster-node-timeout": str(NODE_TIMEOUT), "repl-diskless-sync-delay": "0"}
    t0 = time.perf_counter()
    try:
        for i, port in enumerate(ports):
            d = os.path.join(root, f"node-{i}")
            os.makedirs(d)
            procs.append(_spawn_redis(port, d, extra))
        _wait(lambda: all(_ping(p) for p in ports), 20, "6 redis-server nodes")
        res = subprocess.run([REDIS_CLI, "--cluster", "create", *(f"127.0.0.1:{p}" for p in ports),
                              "--cluster-replicas", "1", "--cluster-yes"], capture_output=True, text=True,
                             timeout=120)
        if res.returncode != 0:
            raise RuntimeError(f"redis-cli --cluster create failed: {res.stdout[-500:]} {res.stderr[-500:]}")
        links = [topology.NodeLink("127.0.0.1", p) for p in ports]
        replicas = [ln for ln in links if topology.myself(topology.cluster_nodes(ln)).primary_id is not None]
        _wait(lambda: _settled(links, replicas), 60, "the redis-server cluster to settle")
        took = time.perf_counter() - t0
        for ln in links:
            ln.close()
        return took
    finally:
        _stop(procs)
        shutil.rmtree(root, ignore_errors=True)


def _settled(links: list[topology.NodeLink], replicas: list[topology.NodeLink]) -> bool:
    try:
        if not topology.settled(links):
            return False
        return all(topology.info_fields(r.call("INFO", "replication")).get("master_link_status") == "up"
                   for r in replicas)
    except (OSError, topology.CommandError):
        return False


# ------------------------------------------------------------------------------------------ main


def _median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7, help="standalone runs per kind")
    ap.add_argument("--cluster-runs", type=int, default=5, help="cluster runs per kind")
    ap.add_argument("--quick", action="store_true", help="--runs 3 --cluster-runs 2")
    args = ap.parse_args(argv)
    if args.quick:
        args.runs, args.cluster_runs = 3, 2
    started = time.time()
    cases: dict[str, Callable[[], float]] = {
        "server in-thread (pyredcache.Server)": lambda: standalone_pyredcache("thread"),
        "server process (pyredcache.Server)": lambda: standalone_pyredcache("process"),
    }
    if REDIS_SERVER:
        cases["server process (redis-server)"] = standalone_redis
    clusters: dict[str, Callable[[], float]] = {"6-node cluster (pyredcache.Cluster)": cluster_pyredcache}
    if REDIS_SERVER and REDIS_CLI:
        clusters["6-node cluster (redis-server + redis-cli --cluster create)"] = cluster_redis
    times: dict[str, list[float]] = {k: [] for k in [*cases, *clusters]}
    errors: dict[str, str] = {}
    for group, runs in ((cases, args.runs), (clusters, args.cluster_runs)):
        for _ in range(runs):
            for name, fn in group.items():     # interleaved, so load drifts hit every kind alike
                if name in errors:
                    continue
                try:
                    times[name].append(fn())
                except Exception as exc:
                    errors[name] = f"{type(exc).__name__}: {str(exc)[:300]}"
                    print(f"  {name} FAILED: {errors[name]}", file=sys.stderr, flush=True)
        for name in group:
            if times[name]:
                print(f"  {name}: " + " ".join(f"{t * 1000:.0f}" for t in times[name]) + " ms", file=sys.stderr,
                      flush=True)

    def fmt(name: str) -> str:
        m = _median(times[name])
        return "error" if m is None else (f"{m * 1000:.0f} ms" if m < 1 else f"{m:.2f} s")

    print(f"\nReady times, median of {args.runs} (servers) / {args.cluster_runs} (clusters) runs:\n")
    print("| what | median | min | max |")
    print("|---|---|---|---|")
    for name, ts in times.items():
        if ts:
            print(f"| {name} | {fmt(name)} | {min(ts) * 1000:.0f} ms | {max(ts) * 1000:.0f} ms |")
        else:
            print(f"| {name} | error | | |")
    py_p = _median(times["server process (pyredcache.Server)"])
    rd_p = _median(times.get("server process (redis-server)", []))
    py_c = _median(times["6-node cluster (pyredcache.Cluster)"])
    rd_c = _median(times.get("6-node cluster (redis-server + redis-cli --cluster create)", []))
    if py_p and rd_p:
        print(f"\nprocess start ratio pyredcache/redis-server: {py_p / rd_p:.1f}x")
    if py_c and rd_c:
        print(f"6-node cluster ratio pyredcache/redis-server: {py_c / rd_c:.2f}x")
    th = _median(times["server in-thread (pyredcache.Server)"])
    print(f"targets: in-thread < 150 ms: {'met' if th and th < 0.15 else 'NOT met'}; "
          f"6-node cluster < 3 s: {'met' if py_c and py_c < 3 else 'NOT met'}")
    for name, err in errors.items():
        print(f"\n{name} failed: {err}")
    result = {"started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
              "duration_s": round(time.time() - started, 1), "settings": vars(args), "versions": versions(),
              "node_timeout_ms": NODE_TIMEOUT, "times_s": times, "errors": errors}
    path = RESULTS / f"startup-{time.strftime('%Y%m%d-%H%M%S', time.localtime(started))}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nraw results: {path}  ({result['duration_s']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
