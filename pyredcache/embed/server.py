"""pyredcache.Server: one embedded node, in a thread of the caller (own uvloop loop) or as a subprocess.

Readiness is an event set by the loop (thread mode) or a PING poll (process mode), never a sleep. Every resource a
Server holds (thread, process, private temp dir) is released by stop(), by its weakref finalizer, or at interpreter
exit, so a crashed test run leaves nothing behind.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import errno
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, Literal

if TYPE_CHECKING:
    import redis

    from ..server.instance import Server as Instance

__all__ = ["Server", "ServerStartError", "free_port"]

LOG_NAME: Final = "pyredcache.log"
_PING_INTERVAL_S: Final = 0.005
_PORT_RETRIES: Final = 5


class ServerStartError(RuntimeError):
    """The server did not come up within startup_timeout (or exited); the message holds its log tail."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free now on `host` whose cluster-bus port (+10000) is free too."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(200):
        with socket.socket(family) as s:
            s.bind((host, 0))
            port = int(s.getsockname()[1])
        if port + 10000 > 65535:
            continue
        with socket.socket(family) as s2:
            try:
                s2.bind((host, port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free TCP port found")


def _word(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return " ".join(_word(v) for v in value)   # multi-argument directives split a single argument
    return str(value)


def ping(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether a server answers PING on host:port (-NOAUTH / -LOADING count: it is up and parsing)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(b"PING\r\n")
            data = b""
            while not data.endswith(b"\r\n"):
                chunk = s.recv(128)
                if not chunk:
                    return False
                data += chunk
            return data.startswith((b"+PONG", b"-NOAUTH", b"-LOADING"))
    except OSError:
        return False


def _tail(path: str, lines: int) -> str:
    try:
        with open(path, errors="replace") as fh:
            return "".join(fh.readlines()[-lines:])
    except OSError:
        return ""


class _Resources:
    """What must be released even when the Server object is lost: held by the finalizer, never by the Server's
    callers. Thread mode: the loop thread and its instance; process mode: the child; both: the private dir."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.thread: threading.Thread | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.instance: Instance | None = None
        self.ready = False          # the instance accepts connections
        self.abort = False          # stop() came while the instance was still starting
        self.private_dir: str | None = None

    def release(self, timeout: float = 10.0, remove_dir: bool = True) -> None:
        self.stop_thread(timeout)
        self.stop_process(timeout)
        if remove_dir and self.private_dir is not None:
            shutil.rmtree(self.private_dir, ignore_errors=True)
            self.private_dir = None

    def stop_thread(self, timeout: float) -> None:
        thread, loop = self.thread, self.loop
        if thread is None:
            return
        if loop is not None and thread.is_alive():
            try:
                loop.call_soon_threadsafe(_stop_on_loop, self)
            except RuntimeError:
                pass    # the loop already closed
        thread.join(timeout)
        self.thread = None
        self.loop = None
        self.instance = None
        self.ready = False

    def stop_process(self, timeout: float, sig: int = signal.SIGTERM) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            try:
                os.kill(proc.pid, signal.SIGCONT)    # a paused child could not act on SIGTERM
                os.kill(proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.kill(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
        self.proc = None


def _stop_on_loop(res: _Resources) -> None:
    """stop() on the loop thread: SIGTERM's path (final save if configured), forced so it always stops; an
    instance still starting is abandoned as soon as its start returns."""
    instance = res.instance
    if not res.ready or instance is None:
        res.abort = True
        return
    if instance.stopped is not None and not instance.stopped.is_set():
        instance.shutdown(force=True)


class Server:
    """One pyredcache node for tests and tools.

    Args:
        mode: "thread" (own thread and uvloop loop in this process) or "process" (`python -m pyredcache`).
        host: address to bind and connect to.
        port: TCP port; None picks a free one at start.
        dir: working dir (RDB, nodes.conf, log); None makes a private temp dir, removed at stop.
        time_control: set `pyredcache-time-control yes` (advance/freeze_time/unfreeze_time).
        startup_timeout: seconds to wait for the node to accept connections.
        log_to: log file path (default: pyredcache.log in dir).
        **config: directives, `_` for `-` (maxmemory="10mb", cluster_enabled=True).
    """

    def __init__(self, *, mode: Literal["thread", "process"] = "thread", host: str = "127.0.0.1",
                 port: int | None = None, dir: str | None = None, time_control: bool = False,
                 startup_timeout: float = 10.0, log_to: str | None = None, **config: Any) -> None:
        if mode not in ("thread", "process"):
            raise ValueError(f"mode must be 'thread' or 'process', not {mode!r}")
        self.mode = mode
        self.host = host
        self._port_given = port is not None
        self._port = port
        self._dir_given = dir
        self._dir: str | None = os.path.abspath(dir) if dir is not None else None
        self.time_control = time_control
        self.startup_timeout = startup_timeout
        self._log_to = os.path.abspath(log_to) if log_to is not None else None
        self.config: dict[str, str] = {name.replace("_", "-").lower(): _word(v) for name, v in config.items()}
        self._res = _Resources()
        self._finalizer = weakref.finalize(self, _Resources.release, self._res, 10.0)
        self._started = False
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------------------------ properties

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the server has no port yet: call start() first")
        return self._port

    @property
    def dir(self) -> str:
        if self._dir is None:
            raise RuntimeError("the server has no dir yet: call start() first")
        return self._dir

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"redis://{host}:{self.port}/0"

    @property
    def pid(self) -> int:
        if self.mode == "thread":
            return os.getpid()
        proc = self._res.proc
        if proc is None:
            raise RuntimeError("the server process is not running")
        return proc.pid

    @property
    def logfile(self) -> str:
        return self._log_to or os.path.join(self.dir, LOG_NAME)

    @property
    def running(self) -> bool:
        res = self._res
        if self.mode == "thread":
            inst = res.instance
            return (res.ready and res.thread is not None and res.thread.is_alive() and inst is not None
                    and inst.stopped is not None and not inst.stopped.is_set())
        return res.proc is not None and res.proc.poll() is None

    @property
    def instance(self) -> Instance:
        """Thread mode: the server object itself (touch it only on its loop, see call_in_loop)."""
        if self._res.instance is None:
            raise RuntimeError("no in-thread server is running")
        return self._res.instance

    def client(self, **kw: Any) -> redis.Redis:
        """A redis-py client to this server (keyword arguments go to redis.Redis)."""
        import redis

        return redis.Redis(host=self.host, port=self.port, **kw)

    def log_tail(self, lines: int = 40) -> str:
        if self._dir is None and self._log_to is None:
            return ""
        return _tail(self.logfile, lines)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<pyredcache.Server mode={self.mode} {self.host}:{self._port} {state}>"

    # ------------------------------------------------------------------------------------------ lifecycle

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> Server:
        """Start the node and return once it accepts connections (idempotent). Raises ServerStartError."""
        with self._lock:
            if self._started and self.running:
                return self
            if self._dir is None:
                self._dir = tempfile.mkdtemp(prefix="pyredcache-")
                self._res.private_dir = self._dir
            os.makedirs(self.dir, exist_ok=True)
            attempts = 1 if self._port_given else _PORT_RETRIES
            for attempt in range(attempts):
                if not self._port_given:
                    self._port = free_port(self.host)
                try:
                    if self.mode == "thread":
                        self._start_thread()
                    else:
                        self._start_process()
                except _PortTaken:
                    if attempt + 1 == attempts:
                        self._fail_cleanup()
                        raise ServerStartError(self._message("could not bind a TCP port")) from None
                    continue
                except BaseException:
                    self._fail_cleanup()
                    raise
                break
            self._started = True
            return self

    def stop(self, timeout: float = 10.0) -> None:
        """Shut the node down (clients and listener closed, cluster stopped), wait up to `timeout` seconds,
        then remove the private temp dir. A given dir is kept."""
        with self._lock:
            self._res.release(timeout)
            self._started = False
            if self._dir_given is None and self._res.private_dir is None:
                self._dir = None

    def _fail_cleanup(self) -> None:
        self._res.release(5.0)
        if self._dir_given is None:
            self._dir = None

    def _directives(self) -> dict[str, str]:
        opts = {"port": str(self.port), "bind": self.host, "dir": self.dir, "logfile": self.logfile,
                "daemonize": "no", "save": "", "appendonly": "no"}
        if self.time_control:
            opts["pyredcache-time-control"] = "yes"
            opts["enable-debug-command"] = "local"
        for name, value in self.config.items():
            if name in ("port", "dir", "logfile"):
                raise ValueError(f"pass {name} as the Server's own argument, not as a directive")
            if name == "daemonize" and value != "no":
                raise ValueError("an embedded server cannot daemonize")
            opts[name] = value
        return opts

    def _message(self, what: str) -> str:
        tail = self.log_tail(40)
        return f"pyredcache server on {self.host}:{self._port} ({self.mode} mode): {what}\n--- log tail ---\n{tail}"

    # ------------------------------------------------------------------------------------------ thread mode

    def _start_thread(self) -> None:
        from ..config import Config, ConfigError

        try:
            config = Config.from_options(self._directives())
        except ConfigError as exc:
            # redis-server prints this to stderr and exits; the log file keeps it for log_tail() here
            from ..log import Logger

            log = Logger(logfile=self.logfile)
            log.warning(f"Fatal error in the configuration: {exc}")
            log.close()
            raise ServerStartError(self._message(f"bad configuration: {exc}")) from None
        ready = threading.Event()
        box: dict[str, Any] = {}
        res = self._res
        res.abort = res.ready = False
        thread = threading.Thread(target=_thread_main, args=(config, ready, box, res),
                                  name=f"pyredcache-{self.port}", daemon=True)
        res.thread = thread
        thread.start()
        if not ready.wait(self.startup_timeout):
            raise ServerStartError(self._message(f"not ready after {self.startup_timeout}s"))
        error = box.get("error")
        if error is not None:
            thread.join(5.0)
            res.thread = None
            if isinstance(error, OSError) and not self._port_given and error.errno == errno.EADDRINUSE:
                raise _PortTaken()
            raise ServerStartError(self._message(f"failed to start: {error!r}"))

    def call_in_loop(self, fn: Callable[..., Any], *args: Any, timeout: float = 10.0) -> Any:
        """Thread mode: run fn(*args) on the server's loop thread and return its result (or raise its error)."""
        res = self._res
        loop = res.loop
        if self.mode != "thread" or loop is None or not self.running:
            raise RuntimeError("no in-thread server is running")
        fut: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def run() -> None:
            try:
                fut.set_result(fn(*args))
            except BaseException as exc:  # handed to the caller's thread
                fut.set_exception(exc)

        loop.call_soon_threadsafe(run)
        return fut.result(timeout)

    # ------------------------------------------------------------------------------------------ process mode

    def _start_process(self) -> None:
        args: list[str] = []
        for name, value in self._directives().items():
            args += [f"--{name}", value]
        stderr_path = os.path.join(self.dir, "stderr.log")
        # The child imports the same pyredcache as this process, whatever its working dir and install.
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        with open(stderr_path, "ab") as stderr:
            proc = subprocess.Popen([sys.executable, "-m", "pyredcache", *args], stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=stderr, cwd=self.dir, env=env)
        self._res.proc = proc
        deadline = time.monotonic() + self.startup_timeout
        while True:
            code = proc.poll()
            if code is not None:
                self._res.proc = None
                log = self.log_tail(40)
                if not self._port_given and "Address already in use" in log:
                    raise _PortTaken()
                err = _tail(stderr_path, 20)
                raise ServerStartError(self._message(f"exited with code {code}") + err)
            if ping(self.host, self.port):
                return
            if time.monotonic() >= deadline:
                raise ServerStartError(self._message(f"no PONG after {self.startup_timeout}s"))
            time.sleep(_PING_INTERVAL_S)

    @property
    def process(self) -> subprocess.Popen[bytes]:
        """The child process of a running process-mode server (RuntimeError otherwise)."""
        return self._process()

    def _process(self) -> subprocess.Popen[bytes]:
        if self.mode != "process":
            raise RuntimeError("kill/pause/resume/restart need mode='process'")
        if self._res.proc is None:
            raise RuntimeError("the server process is not running")
        return self._res.proc

    def kill(self) -> None:
        """SIGKILL the process (no final save); the dir is kept for restart()."""
        self._process()
        self._res.stop_process(10.0, signal.SIGKILL)

    def pause(self) -> None:
        """SIGSTOP the process (it keeps its port; clients hang until resume())."""
        os.kill(self._process().pid, signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT a paused process."""
        os.kill(self._process().pid, signal.SIGCONT)

    def restart(self, timeout: float = 10.0) -> Server:
        """Stop the process if it runs (SIGTERM) and start it again on the same port and dir."""
        if self.mode != "process":
            raise RuntimeError("restart needs mode='process'")
        with self._lock:
            self._res.stop_process(timeout)
            port_given, self._port_given = self._port_given, True
            try:
                self._start_process()
            finally:
                self._port_given = port_given
            self._started = True
        return self

    # ------------------------------------------------------------------------------------------ time control

    def _time(self, op: str, seconds: float = 0.0) -> int:
        if not self.time_control:
            raise RuntimeError("time control is disabled: create the Server with time_control=True")
        if op == "advance" and not 0 <= seconds < float("inf"):
            raise ValueError("advance() takes a finite, non-negative number of seconds")
        if self.mode == "thread":
            from ..server import time_control

            return int(self.call_in_loop(time_control.apply, self.instance, op, seconds))
        with self.client() as r:
            cmd = ["DEBUG", "PYREDCACHE-TIME", op.upper()]
            if op == "advance":
                cmd.append(repr(float(seconds)))
            reply = r.execute_command(*cmd)
        return int(reply) if op == "get" else 0

    def advance(self, seconds: float) -> None:
        """Move the TTL clock forward: keys expire, TTLs count down, blocking timeouts fire as if `seconds`
        had passed (an expire pass runs right away)."""
        self._time("advance", seconds)

    def freeze_time(self) -> None:
        """Stop the TTL clock: nothing expires by wall time until unfreeze_time() (advance() still works)."""
        self._time("freeze")

    def unfreeze_time(self) -> None:
        """Let the TTL clock run again from where it was frozen."""
        self._time("unfreeze")

    def time_ms(self) -> int:
        """The server's TTL clock in unix milliseconds."""
        return self._time("get")


class _PortTaken(Exception):
    """An auto-chosen port was taken between choosing and binding: try another."""


def _thread_main(config: Any, ready: threading.Event, box: dict[str, Any], res: _Resources) -> None:
    """The loop thread: build the instance, start it, set `ready`, serve until shutdown, then clean up."""
    import uvloop

    loop = uvloop.new_event_loop()
    asyncio.set_event_loop(loop)
    res.loop = loop
    try:
        loop.run_until_complete(_serve(config, ready, box, res))
    except BaseException as exc:  # SystemExit from a fatal check (start-up or runtime) must not end the caller
        box.setdefault("error", exc)
        if res.instance is not None:
            _abandon(res.instance)
    finally:
        res.ready = False
        try:
            _cancel_all(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            asyncio.set_event_loop(None)
            loop.close()
            ready.set()


async def _serve(config: Any, ready: threading.Event, box: dict[str, Any], res: _Resources) -> None:
    from ..server.instance import Server as Instance

    instance: Instance | None = None
    try:
        instance = Instance(config)
        res.instance = instance
        instance.log.startup_banner(os.getpid(), config["port"], mode="cluster" if config["cluster-enabled"]
                                    else "standalone")
        await instance.start()
    except BaseException as exc:  # RdbLoadError, BindError, SystemExit(1) of nodes.conf checks, ...
        box["error"] = exc
        if instance is not None:
            _abandon(instance)
        ready.set()
        return
    if res.abort:
        _abandon(instance)
        return
    res.ready = True
    ready.set()
    assert instance.stopped is not None
    try:
        await instance.stopped.wait()
        # let the closing transports run their callbacks before the loop goes away
        for _ in range(3):
            await asyncio.sleep(0)
    finally:
        instance.log.close()


def _abandon(instance: Instance) -> None:
    """A failed or abandoned server: release what it may hold (listeners, clients, cluster lock, log file)."""
    try:
        if instance.cron_handle is not None:
            instance.cron_handle.cancel()
        if instance.listeners is not None:
            instance.listeners.close()
        if instance.cluster is not None:
            instance.cluster.stop()
        for c in list(instance.clients.values()):
            c.close()
    except Exception:
        pass
    instance.log.close()


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for t in tasks:
        t.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
