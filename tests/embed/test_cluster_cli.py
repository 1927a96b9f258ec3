"""`pyredcache cluster create/status/scale/stop` as a user runs it (a separate CLI process each time, detached
node processes in between). The must-show: create 3 instances, scale to 6 then back to 3 while a RedisCluster
client writes; every acknowledged key is readable at the end, and stop leaves no process."""
from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis.cluster import ClusterNode, RedisCluster

pytestmark = [pytest.mark.cluster]

ROOT = Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def _free_base(count: int) -> int:
    """A base port with `count` consecutive ports (and their +10000 bus ports) free now. Chosen below the
    kernel's ephemeral range (32768+), so client connections made meanwhile cannot take them."""
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(12000, 22000 - count)
        ok = True
        for p in [*range(base, base + count), *range(base + 10000, base + 10000 + count)]:
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", p))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no free port range")


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-c", "from pyredcache.cli import main; raise SystemExit(main())",
                           "cluster", *args], capture_output=True, text=True, timeout=timeout, env=env)


def _pids(state_dir: str) -> list[int]:
    with open(os.path.join(state_dir, "cluster.json")) as fh:
        st = json.load(fh)
    return [p["pid"] for i in st["instances"] for p in (i["primary"], i["replica"]) if p]


@pytest.fixture
def state_dir(tmp_path: Path) -> Iterator[str]:
    d = str(tmp_path / "cluster")
    seen: set[int] = set()
    yield d
    if os.path.exists(os.path.join(d, "cluster.json")):
        seen.update(_pids(d))
        cli("stop", "--dir", d, timeout=60)
    for pid in seen:                       # belt and braces: nothing may outlive the test
        if _alive(pid):
            os.kill(pid, 9)


def _status(d: str) -> tuple[list[list[str]], str]:
    res = cli("status", "--dir", d)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    assert lines[0].split() == ["instance", "node", "pid", "role", "follows", "slots", "keys", "link"]
    return [ln.split(None, 7) for ln in lines[1:-1]], lines[-1]


def _check_status(d: str, instances: int) -> None:
    rows, last = _status(d)
    assert last == f"cluster_state: ok; {instances} instances"
    assert len(rows) == 2 * instances
    prim_rows = [r for r in rows if r[3] == "primary"]
    assert len(prim_rows) == instances
    assert sum(int(r[5]) for r in prim_rows) == 16384
    assert all(r[7] == "connected" and r[4] == "-" for r in prim_rows)
    for i in range(instances):
        rep = next(r for r in rows if r[0] == str(i) and r[3] == "replica")
        assert rep[4] == str((i + 1) % instances) and rep[7] == "master_link:up", rows


@pytest.mark.timeout(150)
def test_cluster_cli_create_scale_up_and_down_under_write_load_keeps_every_acked_key(state_dir: str) -> None:
    base = _free_base(12)
    res = cli("create", "--nodes", "3", "--base-port", str(base), "--dir", state_dir)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "cluster_state:ok" in res.stdout
    assert [ln for ln in res.stdout.splitlines() if ln.startswith("instance ")] == [
        f"instance {i}: 127.0.0.1:{base + 2 * i} (primary, replica 127.0.0.1:{base + 2 * i + 1})"
        for i in range(3)]
    _check_status(state_dir, 3)

    rc = RedisCluster(startup_nodes=[ClusterNode("127.0.0.1", base)], socket_timeout=5, protocol=2)
    acked: dict[str, str] = {}
    errors: list[str] = []
    stop = threading.Event()
    started = threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set():
            key, value = f"load:{i}", f"v{i}"
            try:
                if rc.set(key, value):
                    acked[key] = value
                    if len(acked) >= 100:
                        started.set()
            except Exception as exc:   # counted; redirects are retried inside the client
                errors.append(repr(exc))
            i += 1

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    try:
        assert started.wait(30), errors[-5:]
        up = cli("scale", "--nodes", "6", "--dir", state_dir)
        assert up.returncode == 0, up.stdout + up.stderr
        assert "moved slots" in up.stdout and "scaled to 6 instances" in up.stdout
        _check_status(state_dir, 6)
        mid = len(acked)
        down = cli("scale", "--nodes", "3", "--dir", state_dir)
        assert down.returncode == 0, down.stdout + down.stderr
        assert "stopped 6 processes of removed instances" in down.stdout
        assert len(acked) > mid                # writes went on during the scale-down
    finally:
        stop.set()
        t.join(10)
        rc.close()
    _check_status(state_dir, 3)

    check = RedisCluster(startup_nodes=[ClusterNode("127.0.0.1", base)], socket_timeout=5, protocol=2,
                         decode_responses=True)
    try:
        keys = sorted(acked)
        got = []
        for i in range(0, len(keys), 500):
            got += check.mget_nonatomic(keys[i:i + 500])
        lost = [(k, acked[k], g) for k, g in zip(keys, got, strict=True) if g != acked[k]]
        assert not lost, f"{len(lost)} of {len(keys)} acknowledged keys lost, e.g. {lost[:5]}"
        rows, _ = _status(state_dir)
        assert sum(int(r[6]) for r in rows if r[3] == "primary") >= len(keys)
    finally:
        check.close()
    print(f"{len(acked)} acknowledged writes, {len(errors)} client errors")
    assert len(errors) < max(50, len(acked) // 20), errors[-10:]

    pids = _pids(state_dir)
    res = cli("stop", "--dir", state_dir)
    assert res.returncode == 0 and "stopped 6 of 6 node processes" in res.stdout, res.stdout + res.stderr
    assert not [p for p in pids if _alive(p)]


@pytest.mark.timeout(60)
def test_cluster_cli_errors(tmp_path: Path) -> None:
    d = str(tmp_path / "none")
    res = cli("status", "--dir", d)
    assert res.returncode == 1 and "no cluster in" in res.stderr
    res = cli("create", "--nodes", "2", "--dir", d)
    assert res.returncode == 1 and "--nodes must be between 3 and 6" in res.stderr
    res = cli("scale", "--nodes", "4", "--dir", d)
    assert res.returncode == 1 and "cluster.json not found" in res.stderr
    with socket.socket() as s:                 # a port in use is reported before anything starts
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        res = cli("create", "--nodes", "3", "--base-port", str(busy), "--dir", d)
    assert res.returncode == 1 and f"port {busy}" in res.stderr and "in use" in res.stderr
