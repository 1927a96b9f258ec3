"""redis-benchmark against pyredcache and a real redis-server, alternating in one run on one machine.

Prints ops/s and the pyredcache/redis ratio per test and pipeline depth, plus each server's CPU time per
100k requests (from /proc/<pid>/stat), and writes the raw numbers as JSON under bench/results/.
Usage: python bench/redis_benchmark.py [--quick] [--repeat N] [-n N] [--tests set,get] [--pipelines 1,16]
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CLK_TCK = os.sysconf("SC_CLK_TCK")

# redis-benchmark -t name → the row name it prints in --csv.
TESTS = {"ping_mbulk": "PING_MBULK", "set": "SET", "get": "GET", "incr": "INCR", "mset": "MSET (10 keys)",
         "lpush": "LPUSH", "lpop": "LPOP", "sadd": "SADD", "hset": "HSET", "zadd": "ZADD",
         "lrange_100": "LRANGE_100 (first 100 elements)", "rpush": "RPUSH", "rpop": "RPOP", "spop": "SPOP",
         "zpopmin": "ZPOPMIN", "lrange_300": "LRANGE_300 (first 300 elements)",
         "lrange_500": "LRANGE_500 (first 500 elements)", "lrange_600": "LRANGE_600 (first 600 elements)"}
# What runs without --tests: the core set plus one write (and LPOP/LRANGE reads) per data type.
DEFAULT_TESTS = ("ping_mbulk", "set", "get", "incr", "mset", "lpush", "lpop", "sadd", "hset", "zadd", "lrange_100")
# Tests that read data another test writes: the data is written first, outside the measured run.
PREFILL = {"lpop": "lpush", "rpop": "lpush", "lrange_100": "lpush", "lrange_300": "lpush", "lrange_500": "lpush",
           "lrange_600": "lpush"}
# Run as a custom command, so the run measures this command alone (-t lrange_100 would first LPUSH -n items
# inside the same run, counted in the server's CPU time).
CUSTOM = {f"lrange_{n}": ["LRANGE", "mylist", "0", str(n - 1)] for n in (100, 300, 500, 600)}
DEFAULT_PIPELINES = (1, 16)
CLIENTS = 50


# ------------------------------------------------------------------------------------------ servers

@dataclass
class Server:
    kind: str
    port: int
    proc: subprocess.Popen[bytes]
    workdir: str

    def cpu_seconds(self) -> float:
        """utime + stime of the server process so far (fields 14 and 15 of /proc/<pid>/stat)."""
        with open(f"/proc/{self.proc.pid}/stat") as fh:
            stat = fh.read()
        fields = stat[stat.rindex(")") + 2:].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def rss_kb(self) -> int:
        with open(f"/proc/{self.proc.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def command(self, *args: str) -> bytes:
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            s.sendall(b"".join([b"*%d\r\n" % len(args)] +
                               [b"$%d\r\n%s\r\n" % (len(a.encode()), a.encode()) for a in args]))
            data = b""
            while not data.endswith(b"\r\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            return data

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.workdir, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(kind: str, extra: list[str] | None = None) -> Server:
    """Start `kind` on a free port with persistence off; `extra` are more --directive value arguments."""
    port = free_port()
    workdir = tempfile.mkdtemp(prefix=f"bench-{kind}-")
    args = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workdir,
            "--logfile", os.path.join(workdir, "server.log"), "--daemonize", "no", *(extra or [])]
    if kind == "pyredcache":
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        cmd = [sys.executable, "-m", "pyredcache", *args]
    else:
        env = dict(os.environ)
        cmd = [shutil.which("redis-server") or "redis-server", *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=workdir, env=env)
    server = Server(kind, port, proc, workdir)
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"{kind} exited with {proc.returncode} at start-up (see {workdir}/server.log)")
        try:
            if server.command("PING").startswith(b"+PONG"):
                return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise SystemExit(f"{kind} did not answer PING on port {port} within 30s")
        time.sleep(0.05)


# --------------------------------------------------------------------------------------- benchmark

@dataclass
class Run:
    server: str
    test: str
    pipeline: int
    requests: int
    ops: float
    server_cpu_s: float
    client_cpu_s: float
    wall_s: float
    p50_ms: float | None = None
    p99_ms: float | None = None


@dataclass
class Summary:
    test: str
    pipeline: int
    ops: dict[str, float] = field(default_factory=dict)               # median over repeats
    cpu_ms_per_100k: dict[str, float] = field(default_factory=dict)   # server CPU per 100k requests
    client_cpu_ms_per_100k: dict[str, float] = field(default_factory=dict)


def run_benchmark(server: Server, test: str, pipeline: int, requests: int, timeout: float) -> Run:
    base = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(server.port), "-c", str(CLIENTS)]
    if test in PREFILL:
        # A pop needs one element per request; LRANGE 0 599 needs at least 600.
        fill = requests if test in ("lpop", "rpop") else 1000
        pre = subprocess.run(base + ["-n", str(fill), "-P", "16", "-t", PREFILL[test], "-q"], capture_output=True,
                             text=True, timeout=timeout, check=False)
        if pre.returncode != 0:
            raise SystemExit(f"prefill for {test} failed against {server.kind}:\n{pre.stdout}\n{pre.stderr}")
    what = CUSTOM.get(test, ["-t", test])
    cmd = base + ["-n", str(requests), "-P", str(pipeline), "--csv", *what]
    cpu0 = server.cpu_seconds()
    ru0 = os.times()
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    wall = time.perf_counter() - t0
    ru1 = os.times()
    cpu1 = server.cpu_seconds()
    if res.returncode != 0 or "Error" in res.stdout or "Error" in res.stderr:
        raise SystemExit(f"redis-benchmark failed against {server.kind}: {' '.join(cmd)}\n{res.stdout}\n{res.stderr}")
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    title = " ".join(CUSTOM[test]) if test in CUSTOM else TESTS[test]
    row = next(r for r in rows if r["test"] == title)
    return Run(server.kind, test, pipeline, requests, float(row["rps"]), cpu1 - cpu0,
               (ru1.children_user + ru1.children_system) - (ru0.children_user + ru0.children_system), wall,
               _float(row.get("p50_latency_ms")), _float(row.get("p99_latency_ms")))


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def summarise(runs: list[Run], tests: list[str], pipelines: list[int]) -> list[Summary]:
    out = []
    for p in pipelines:
        for t in tests:
            s = Summary(t, p)
            for kind in ("pyredcache", "redis"):
                mine = [r for r in runs if r.server == kind and r.test == t and r.pipeline == p]
                if not mine:
                    continue
                total = sum(r.requests for r in mine)
                s.ops[kind] = statistics.median(r.ops for r in mine)
                s.cpu_ms_per_100k[kind] = 1000 * sum(r.server_cpu_s for r in mine) / total * 100_000
                s.client_cpu_ms_per_100k[kind] = 1000 * sum(r.client_cpu_s for r in mine) / total * 100_000
            out.append(s)
    return out


def table(summaries: list[Summary]) -> str:
    head = ("test", "P", "pyredcache ops/s", "redis ops/s", "ratio", "py CPU ms/100k", "redis CPU ms/100k",
            "CPU ratio", "bench-client CPU ms/100k (py/redis)")
    rows = [head]
    for s in summaries:
        py, rd = s.ops.get("pyredcache", 0.0), s.ops.get("redis", 0.0)
        pc, rc = s.cpu_ms_per_100k.get("pyredcache", 0.0), s.cpu_ms_per_100k.get("redis", 0.0)
        cc = f"{s.client_cpu_ms_per_100k.get('pyredcache', 0.0):.0f} / {s.client_cpu_ms_per_100k.get('redis', 0.0):.0f}"
        rows.append((TESTS[s.test], str(s.pipeline), f"{py:,.0f}", f"{rd:,.0f}",
                     f"{py / rd:.2f}" if rd else "-", f"{pc:.0f}", f"{rc:.0f}", f"{pc / rc:.1f}x" if rc else "-",
                     cc))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = []
    for n, r in enumerate(rows):
        lines.append("| " + " | ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                                        enumerate(zip(r, widths, strict=True))) + " |")
        if n == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def versions() -> dict[str, Any]:
    def out(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return "?"

    info: dict[str, Any] = {
        "python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count(),
        "redis_server": out(["redis-server", "--version"]), "redis_benchmark": out(["redis-benchmark", "--version"]),
    }
    try:
        from importlib.metadata import version
        info["uvloop"] = version("uvloop")
    except Exception:  # metadata missing: report it as unknown
        info["uvloop"] = None
    git = out(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = out(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"])
    info["git"] = git + ("+dirty" if dirty else "")
    return info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tests", default=",".join(DEFAULT_TESTS), help="comma list of: " + ", ".join(TESTS))
    ap.add_argument("--pipelines", default=",".join(map(str, DEFAULT_PIPELINES)))
    ap.add_argument("-n", "--requests", type=int, default=100_000, help="requests per run at -P 1")
    ap.add_argument("--pipelined-requests", type=int, default=500_000, help="requests per run at -P > 1")
    ap.add_argument("--repeat", type=int, default=3, help="runs per server per (test, P); the median is shown")
    ap.add_argument("--quick", action="store_true", help="-n 20000, --pipelined-requests 100000, --repeat 1")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds allowed for one redis-benchmark run")
    ap.add_argument("--output", type=Path, default=None, help="JSON path (default bench/results/<stamp>.json)")
    args = ap.parse_args(argv)
    if args.quick:
        args.requests, args.pipelined_requests, args.repeat = 20_000, 100_000, 1
    tests = [t.strip() for t in args.tests.split(",") if t.strip()]
    pipelines = [int(p) for p in args.pipelines.split(",")]
    unknown = [t for t in tests if t not in TESTS]
    if unknown:
        ap.error(f"unknown tests {unknown}")
    for tool in ("redis-server", "redis-benchmark"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (apt-get install redis-server redis-tools)")

    servers = {kind: start(kind) for kind in ("pyredcache", "redis")}
    runs: list[Run] = []
    started = time.time()
    try:
        for s in servers.values():  # warm-up: connections, code paths, allocator
            for t in tests:
                run_benchmark(s, t, 16, 20_000, args.timeout)
        for rep in range(args.repeat):
            for p in pipelines:
                n = args.requests if p == 1 else args.pipelined_requests
                for t in tests:
                    # Alternate which server goes first so drift (thermal, other load) hits both alike.
                    order = ["pyredcache", "redis"] if (rep + len(runs) // 2) % 2 == 0 else ["redis", "pyredcache"]
                    for kind in order:
                        servers[kind].command("FLUSHALL")
                        run = run_benchmark(servers[kind], t, p, n, args.timeout)
                        runs.append(run)
                        print(f"  [{rep + 1}/{args.repeat}] {kind:10} {TESTS[t]:15} P={p:<3} {run.ops:>12,.0f} ops/s"
                              f"  server CPU {run.server_cpu_s:6.2f}s  client CPU {run.client_cpu_s:6.2f}s",
                              file=sys.stderr, flush=True)
        rss = {kind: s.rss_kb() for kind, s in servers.items()}
    finally:
        for s in servers.values():
            s.stop()

    summaries = summarise(runs, tests, pipelines)
    text = table(summaries)
    print(f"\nredis-benchmark -c {CLIENTS}; ops/s = median of {args.repeat} run(s); ratio = pyredcache / redis "
          f"(same run, same machine, {os.cpu_count()} CPUs); CPU = server process utime+stime per 100k requests.\n")
    print(text)
    result = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
        "duration_s": round(time.time() - started, 1),
        "settings": {"clients": CLIENTS, "requests_p1": args.requests, "requests_pipelined": args.pipelined_requests,
                     "repeat": args.repeat, "tests": tests, "pipelines": pipelines},
        "versions": versions(),
        "rss_kb_at_end": rss,
        "summary": [asdict(s) for s in summaries],
        "runs": [asdict(r) for r in runs],
        "table": text,
    }
    path = args.output or RESULTS / f"redis_benchmark-{time.strftime('%Y%m%d-%H%M%S', time.localtime(started))}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nraw results: {path}  ({result['duration_s']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
