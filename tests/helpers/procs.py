"""Start and stop server processes (pyredcache and Debian's redis-server) on free ports, by PID."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from .wait import wait_until

REDIS_SERVER = shutil.which("redis-server")


def free_port() -> int:
    """A TCP port that is free now (and whose +10000 cluster-bus port is free too)."""
    for _ in range(100):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + 10000 > 65535:
            continue
        with socket.socket() as s2:
            try:
                s2.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port")


def ping(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"PING\r\n")
            data = b""
            while not data.endswith(b"\r\n"):
                chunk = s.recv(100)
                if not chunk:
                    return False
                data += chunk
            # -LOADING / -NOAUTH still mean the process is up and parsing requests.
            return data.startswith((b"+PONG", b"-NOAUTH", b"-LOADING"))
    except OSError:
        return False


@dataclass
class ServerProcess:
    """A running server process we started; stopped by PID."""

    kind: str
    port: int
    proc: subprocess.Popen[bytes]
    workdir: str
    logfile: str
    args: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, lines: int = 40) -> str:
        try:
            with open(self.logfile, errors="replace") as fh:
                return "".join(fh.readlines()[-lines:])
        except OSError:
            return "(no log)"

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int | None:
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        return self.proc.returncode

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


def start_server(kind: str = "pyredcache", directives: dict[str, str] | None = None,
                 extra_args: list[str] | None = None, port: int | None = None,
                 wait: bool = True) -> ServerProcess:
    """Start pyredcache (`python -m pyredcache`) or Debian's redis-server on a free port and wait for PING."""
    port = port or free_port()
    workdir = tempfile.mkdtemp(prefix=f"{kind}-{port}-")
    logfile = os.path.join(workdir, "server.log")
    opts = {"port": str(port), "bind": "127.0.0.1", "save": "", "appendonly": "no", "dir": workdir,
            "logfile": logfile, "daemonize": "no"}
    opts.update(directives or {})
    args: list[str] = []
    for k, v in opts.items():
        args += [f"--{k}", v]
    args += extra_args or []
    if kind == "pyredcache":
        cmd = [sys.executable, "-m", "pyredcache", *args]
    else:
        if REDIS_SERVER is None:
            raise RuntimeError("redis-server is not installed")
        cmd = [REDIS_SERVER, *args]
    with open(os.path.join(workdir, "stderr"), "wb") as stderr:   # the child keeps its own descriptor
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=stderr, cwd=workdir)
    sp = ServerProcess(kind, port, proc, workdir, logfile, args)
    if wait:
        try:
            wait_until(lambda: ping(port) or (proc.poll() is not None and _raise_dead(sp)), timeout=20,
                       message=f"{kind} on port {port} to answer PING")
        except AssertionError:
            tail = sp.log_tail()
            sp.cleanup()
            raise AssertionError(f"{kind} did not start on port {port}; log tail:\n{tail}") from None
    return sp


def _raise_dead(sp: ServerProcess) -> bool:
    with open(os.path.join(sp.workdir, "stderr"), errors="replace") as fh:
        err = fh.read()
    raise RuntimeError(f"{sp.kind} exited with {sp.proc.returncode}: {err}\n{sp.log_tail()}")


def server_pair(directives: dict[str, str] | None = None) -> Iterator[tuple[int, int]]:
    """Generator for pytest fixtures: a private (pyredcache port, redis-server port) pair with the same
    directives; skips when redis-server is not installed; both stopped afterwards."""
    import pytest

    if REDIS_SERVER is None:
        pytest.skip("Debian's redis-server is not installed (apt-get install redis-server redis-tools)")
    ours = start_server("pyredcache", directives)
    try:
        theirs = start_server("redis", directives)
    except BaseException:
        ours.cleanup()
        raise
    try:
        yield ours.port, theirs.port
    finally:
        ours.cleanup()
        theirs.cleanup()
