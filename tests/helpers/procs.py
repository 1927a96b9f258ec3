"""Start and stop server processes on free ports, by PID: pyredcache through `pyredcache.Server(mode="process")`
(the embedding API the pytest plugin uses too), Debian's redis-server (the oracle) as a plain subprocess.

Every ServerProcess's temp dir is removed by cleanup(); the ones a test forgot are cleaned up at the end of the
session (cleanup_all(), called by tests/conftest.py) and at interpreter exit."""
from __future__ import annotations

import atexit
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pyredcache.embed.server import Server, ServerStartError
from pyredcache.embed.server import free_port as embed_free_port
from pyredcache.embed.server import ping as embed_ping

from .wait import wait_until

REDIS_SERVER = shutil.which("redis-server")


def free_port() -> int:
    """A TCP port that is free now on 127.0.0.1 (and whose +10000 cluster-bus port is free too)."""
    return embed_free_port()


def ping(port: int, timeout: float = 0.5) -> bool:
    return embed_ping("127.0.0.1", port, timeout)


class ExitedProcess:
    """Stands in for the Popen of a pyredcache process that exited during start-up (start_server(wait=False)
    of a server expected to refuse to start): poll()/wait() give its exit code."""

    def __init__(self, returncode: int) -> None:
        self.returncode = returncode
        self.pid = -1

    def poll(self) -> int:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        return self.returncode

    def send_signal(self, sig: int) -> None:
        pass


@dataclass
class ServerProcess:
    """A running server process we started; stopped by PID. For pyredcache, `server` is the
    pyredcache.Server (process mode) that started it and `proc` its child process."""

    kind: str
    port: int
    proc: Any                   # subprocess.Popen[bytes], or ExitedProcess
    workdir: str
    logfile: str
    args: list[str] = field(default_factory=list)
    server: Server | None = None

    def __post_init__(self) -> None:
        _LIVE.append(self)

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
                os.kill(self.proc.pid, signal.SIGCONT)    # a paused process could not act on `sig`
                os.kill(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        return int(self.proc.returncode) if self.proc.returncode is not None else None

    def cleanup(self) -> None:
        try:
            self.stop()
            if self.server is not None:
                self.server.stop()
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)
            if self in _LIVE:
                _LIVE.remove(self)


_LIVE: list[ServerProcess] = []


def cleanup_all() -> None:
    """Stop every ServerProcess not cleaned up yet and remove its dir (end of session / interpreter exit)."""
    for sp in list(_LIVE):
        try:
            sp.cleanup()
        except Exception:
            pass


atexit.register(cleanup_all)


def start_server(kind: str = "pyredcache", directives: dict[str, str] | None = None,
                 extra_args: list[str] | None = None, port: int | None = None,
                 wait: bool = True) -> ServerProcess:
    """Start pyredcache (`pyredcache.Server(mode="process")`) or Debian's redis-server on a free port and wait
    for PING. `directives` may hold `dir` and `logfile` (default: the ServerProcess's own temp dir, which
    cleanup() removes). With wait=False a pyredcache server that exits during start-up is no error: its
    ServerProcess has an ExitedProcess with the exit code as `proc`."""
    if kind == "pyredcache":
        return _start_pyredcache(directives, extra_args, port, wait)
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
    if REDIS_SERVER is None:
        shutil.rmtree(workdir, ignore_errors=True)
        raise RuntimeError("redis-server is not installed")
    cmd = [REDIS_SERVER, *args]
    with open(os.path.join(workdir, "stderr"), "wb") as stderr:   # the child keeps its own descriptor
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=stderr, cwd=workdir)
    sp = ServerProcess(kind, port, proc, workdir, opts["logfile"], args)
    if wait:
        try:
            wait_until(lambda: ping(port) or (proc.poll() is not None and _raise_dead(sp)), timeout=20,
                       message=f"{kind} on port {port} to answer PING")
        except BaseException as exc:
            tail = sp.log_tail()
            sp.cleanup()
            raise AssertionError(f"{kind} did not start on port {port}: {exc}\nlog tail:\n{tail}") from None
    return sp


def directives_of(args: list[str]) -> dict[str, str]:
    """`--name value...` command-line arguments as directives (the words up to the next `--name` joined)."""
    out: dict[str, str] = {}
    name: str | None = None
    for arg in args:
        if arg.startswith("--"):
            name = arg[2:]
            out[name] = ""
        elif name is None:
            raise ValueError(f"argument {arg!r} does not follow a --directive")
        else:
            out[name] = f"{out[name]} {arg}" if out[name] else arg
    return out


def _start_pyredcache(directives: dict[str, str] | None, extra_args: list[str] | None, port: int | None,
                      wait: bool) -> ServerProcess:
    opts = dict(directives or {})
    opts.update(directives_of(extra_args or []))
    workdir = tempfile.mkdtemp(prefix="pyredcache-")
    server_dir = opts.pop("dir", workdir)
    logfile = opts.pop("logfile", os.path.join(workdir, "server.log"))
    if "port" in opts:
        port = int(opts.pop("port"))
    server = Server(mode="process", port=port, dir=server_dir, log_to=logfile, startup_timeout=20.0, **opts)
    args = [a for k, v in {"port": str(port or 0), "dir": server_dir, "logfile": logfile, **opts}.items()
            for a in (f"--{k}", v)]
    try:
        server.start()
    except ServerStartError as exc:
        code = re.search(r"exited with code (-?\d+)", str(exc))
        if wait or code is None:
            shutil.rmtree(workdir, ignore_errors=True)
            raise AssertionError(f"pyredcache did not start: {exc}") from None
        return ServerProcess("pyredcache", server._port or 0, ExitedProcess(int(code.group(1))), workdir,
                             logfile, args, server)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    args[1] = str(server.port)
    return ServerProcess("pyredcache", server.port, popen_of(server), workdir, logfile, args, server)


def server_process_of(server: Server) -> ServerProcess:
    """A ServerProcess view of a running pyredcache.Server that its owner (e.g. the pytest plugin) stops:
    cleanup_all() leaves it alone."""
    proc = popen_of(server) if server.mode == "process" else None
    sp = ServerProcess("pyredcache", server.port, proc, server.dir, server.logfile, [], server)
    _LIVE.remove(sp)
    return sp


def _raise_dead(sp: ServerProcess) -> bool:
    with open(os.path.join(sp.workdir, "stderr"), errors="replace") as fh:
        err = fh.read()
    raise RuntimeError(f"{sp.kind} exited with {sp.proc.returncode}: {err}\n{sp.log_tail()}")


def popen_of(server: Server) -> subprocess.Popen[bytes]:
    """The child process of a running process-mode Server."""
    return server.process


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
