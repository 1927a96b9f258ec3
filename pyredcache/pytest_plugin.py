"""pytest plugin (entry point `pytest11`: pyredcache): pyredcache servers and clusters as test fixtures.

Two layers, as pytest-redis: session-scoped servers started on first use (`pyredcache_server`,
`pyredcache_cluster`, the time-controlled server behind `pyredcache_time`) and function-scoped clients that
flush the data before each test (`pyredcache_client`, `pyredcache_cluster_client`); a test marked
`@pytest.mark.pyredcache_keep_data` sees the data the previous test left.

Options (command line, or the same name with `_` in the ini file):
  --pyredcache-mode thread|process   thread (default): the server runs in a thread of the pytest process;
                                     process: in a child process (use it when tests send SHUTDOWN, DEBUG
                                     or signals to the server)
  --pyredcache-url URL               use this running server instead of starting one (env PYREDCACHE_URL)
  --pyredcache-cluster-url HOST:PORT use this running cluster instead (env PYREDCACHE_CLUSTER_URL)

Time control lives on a separate session server (started only when a test asks for `pyredcache_time`), so
freezing or advancing its clock never changes the TTLs seen through `pyredcache_client`. Against an external
server (`--pyredcache-url`) or cluster, fixtures that need a server of our own (time control, the factory,
faults on cluster nodes) skip with the reason.

Every server the plugin starts is stopped (bounded) at the end of the session, and its private directory
removed; a SIGTERM to pytest (e.g. from `timeout`) is turned into an interrupt so that this still happens.
"""
from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlparse

import pytest

if TYPE_CHECKING:
    import redis
    import redis.cluster

    from .embed.cluster import Cluster
    from .embed.server import Server

KEEP_DATA = "pyredcache_keep_data"
_STARTED_KEY = pytest.StashKey[list[Any]]()


# ------------------------------------------------------------------------------------------ options


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pyredcache", "pyredcache test servers")
    group.addoption("--pyredcache-mode", choices=("thread", "process"), default=None,
                    help="run the session pyredcache server in a thread (default) or a child process")
    group.addoption("--pyredcache-url", default=None,
                    help="use the running server at this URL instead of starting one (env PYREDCACHE_URL)")
    group.addoption("--pyredcache-cluster-url", default=None,
                    help="use the running cluster reachable at host:port instead of starting one "
                         "(env PYREDCACHE_CLUSTER_URL)")
    parser.addini("pyredcache_mode", "thread or process: how the session pyredcache server runs",
                  default="thread")
    parser.addini("pyredcache_cluster_primaries", "primaries of the session cluster", default="3")
    parser.addini("pyredcache_cluster_replicas", "replicas per primary in the session cluster", default="1")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{KEEP_DATA}: do not FLUSHALL the pyredcache server or cluster before this test")
    config.stash[_STARTED_KEY] = []


def pytest_unconfigure(config: pytest.Config) -> None:
    """Last resort: stop whatever the fixtures started and did not stop (e.g. after an interrupt)."""
    started: list[Any] = config.stash.get(_STARTED_KEY, [])
    for thing in reversed(started):
        try:
            thing.stop()
        except Exception:
            pass
    if signal.getsignal(signal.SIGTERM) is _on_sigterm:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)     # a second SIGTERM ends the process at once
    raise KeyboardInterrupt("SIGTERM")


def _install_sigterm_handler() -> None:
    """Once the plugin has started a server: SIGTERM (default action: die at once, leaving the servers and
    their temp dirs behind) becomes an interrupt, so pytest tears the fixtures down. A handler someone else
    installed is left alone."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)


def _mode(config: pytest.Config) -> Literal["thread", "process"]:
    mode = config.getoption("pyredcache_mode") or config.getini("pyredcache_mode") or "thread"
    if mode == "thread":
        return "thread"
    if mode == "process":
        return "process"
    raise pytest.UsageError(f"pyredcache_mode must be thread or process, not {mode!r}")


def _external_url(config: pytest.Config) -> str | None:
    url = config.getoption("pyredcache_url") or os.environ.get("PYREDCACHE_URL") or None
    return str(url) if url else None


def _external_cluster(config: pytest.Config) -> tuple[str, int] | None:
    value = config.getoption("pyredcache_cluster_url") or os.environ.get("PYREDCACHE_CLUSTER_URL") or None
    if not value:
        return None
    text = str(value)
    if "://" in text:
        parsed = urlparse(text)
        return parsed.hostname or "127.0.0.1", parsed.port or 6379
    host, _, port = text.rpartition(":")
    try:
        return host or "127.0.0.1", int(port)
    except ValueError:
        raise pytest.UsageError(f"--pyredcache-cluster-url wants host:port, not {text!r}") from None


def _track(config: pytest.Config, thing: Any) -> None:
    config.stash[_STARTED_KEY].append(thing)
    _install_sigterm_handler()


def _untrack(config: pytest.Config, thing: Any) -> None:
    started = config.stash[_STARTED_KEY]
    if thing in started:
        started.remove(thing)


def _keep_data(request: pytest.FixtureRequest) -> bool:
    return request.node.get_closest_marker(KEEP_DATA) is not None


# ------------------------------------------------------------------------------------ external targets


class ExternalServer:
    """A server the plugin did not start (--pyredcache-url): connection details only."""

    def __init__(self, url: str) -> None:
        self.url = url
        parsed = urlparse(url)
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or 6379

    def client(self, **kw: Any) -> redis.Redis:
        import redis

        return redis.Redis.from_url(self.url, **kw)

    def __getattr__(self, name: str) -> Any:
        pytest.skip(f"Server.{name} needs a server started by the pyredcache plugin, "
                    f"not the external one at {self.url}")


class ExternalCluster:
    """A cluster the plugin did not start (--pyredcache-cluster-url): connection details only."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port

    @property
    def startup_nodes(self) -> list[Any]:
        from redis.cluster import ClusterNode

        return [ClusterNode(self.host, self.port)]  # type: ignore[no-untyped-call]

    def client(self, **kw: Any) -> redis.cluster.RedisCluster:
        from redis.cluster import RedisCluster

        return RedisCluster(startup_nodes=self.startup_nodes, **kw)

    def __getattr__(self, name: str) -> Any:
        pytest.skip(f"Cluster.{name} needs a cluster started by the pyredcache plugin, "
                    f"not the external one at {self.host}:{self.port}")


# ------------------------------------------------------------------------------------------ standalone


@pytest.fixture(scope="session")
def pyredcache_server(pytestconfig: pytest.Config) -> Iterator[Server | ExternalServer]:
    """The session's pyredcache server (started on first use), or the external one given by --pyredcache-url."""
    url = _external_url(pytestconfig)
    if url is not None:
        yield ExternalServer(url)
        return
    from .embed.server import Server

    server = Server(mode=_mode(pytestconfig))
    _track(pytestconfig, server)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        _untrack(pytestconfig, server)


@pytest.fixture(scope="session")
def pyredcache_url(pyredcache_server: Server | ExternalServer) -> str:
    """redis://host:port/0 of the session server."""
    return pyredcache_server.url


@pytest.fixture
def pyredcache_client(pyredcache_server: Server | ExternalServer,
                      request: pytest.FixtureRequest) -> Iterator[redis.Redis]:
    """redis.Redis to the session server, FLUSHALL first unless the test is marked pyredcache_keep_data."""
    client = pyredcache_server.client()
    if not _keep_data(request):
        client.flushall()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def pyredcache_server_factory(pytestconfig: pytest.Config) -> Iterator[Callable[..., Server]]:
    """factory(**Server kwargs) -> a started private Server (mode defaults to --pyredcache-mode); all of
    them are stopped after the test."""
    if _external_url(pytestconfig) is not None:
        pytest.skip("pyredcache_server_factory starts servers of its own; not available with --pyredcache-url")
    from .embed.server import Server

    started: list[Server] = []

    def make(**kw: Any) -> Server:
        kw.setdefault("mode", _mode(pytestconfig))
        server = Server(**kw)
        started.append(server)
        _track(pytestconfig, server)
        return server.start()

    try:
        yield make
    finally:
        for server in reversed(started):
            try:
                server.stop()
            finally:
                _untrack(pytestconfig, server)


# ------------------------------------------------------------------------------------------ time control


class TimeControl:
    """The controls of the session's time-controlled server: its clock and a client to it."""

    def __init__(self, server: Server, client: redis.Redis) -> None:
        self.server = server
        self.client = client
        self.url = server.url

    def advance(self, seconds: float) -> None:
        """Move the server's TTL clock forward: keys whose TTL has passed are expired at once for readers."""
        self.server.advance(seconds)

    def freeze(self) -> None:
        """Stop the server's TTL clock (TTL/PTTL stay put until advance() or unfreeze())."""
        self.server.freeze_time()

    def unfreeze(self) -> None:
        self.server.unfreeze_time()


@pytest.fixture(scope="session")
def _pyredcache_time_server(pytestconfig: pytest.Config) -> Iterator[Server]:
    if _external_url(pytestconfig) is not None or _external_cluster(pytestconfig) is not None:
        pytest.skip("time control needs a server started by the pyredcache plugin "
                    "(not available with --pyredcache-url / --pyredcache-cluster-url)")
    from .embed.server import Server

    server = Server(mode=_mode(pytestconfig), time_control=True)
    _track(pytestconfig, server)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        _untrack(pytestconfig, server)


@pytest.fixture
def pyredcache_time(_pyredcache_time_server: Server, request: pytest.FixtureRequest) -> Iterator[TimeControl]:
    """advance(seconds) / freeze() / unfreeze() on a time-controlled server, and `.client` to it (flushed
    before the test unless marked pyredcache_keep_data; the clock is unfrozen after the test)."""
    server = _pyredcache_time_server
    client = server.client()
    server.unfreeze_time()
    if not _keep_data(request):
        client.flushall()
    try:
        yield TimeControl(server, client)
    finally:
        try:
            server.unfreeze_time()
        finally:
            client.close()


# ------------------------------------------------------------------------------------------ cluster


@pytest.fixture(scope="session")
def pyredcache_cluster(pytestconfig: pytest.Config) -> Iterator[Cluster | ExternalCluster]:
    """The session's cluster (3 primaries with a replica each unless configured), started on first use; or
    the external one given by --pyredcache-cluster-url. Nodes a test killed or paused are brought back and
    the data flushed before the next test that uses it."""
    external = _external_cluster(pytestconfig)
    if external is not None:
        yield ExternalCluster(*external)
        return
    from .embed.cluster import Cluster

    cluster = Cluster(primaries=int(pytestconfig.getini("pyredcache_cluster_primaries")),
                      replicas_per_primary=int(pytestconfig.getini("pyredcache_cluster_replicas")))
    _track(pytestconfig, cluster)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
        _untrack(pytestconfig, cluster)


def _node_alive(node: Any) -> bool:
    server = getattr(node, "server", None)
    running = getattr(server if server is not None else node, "running", True)
    return bool(running)


def _heal(cluster: Cluster) -> None:
    """Resume paused nodes and restart killed ones, then wait for a healthy cluster."""
    changed = False
    for node in cluster.nodes:
        if getattr(node, "paused", False):
            cluster.resume(node)
            changed = True
        elif not _node_alive(node):
            cluster.restart(node)
            changed = True
    if changed:
        cluster.wait_ok()


def _flush_cluster(cluster: Cluster | ExternalCluster) -> None:
    rc = cluster.client()
    try:
        rc.flushall(target_nodes=rc.PRIMARIES)
    finally:
        rc.close()


@pytest.fixture(autouse=True)
def _pyredcache_cluster_between_tests(request: pytest.FixtureRequest) -> None:
    """Before each test that uses the session cluster: heal it, then FLUSHALL every primary (unless
    marked). Autouse but inert for tests that do not ask for the cluster, so it is never started for them."""
    if "pyredcache_cluster" not in request.fixturenames:
        return
    cluster = request.getfixturevalue("pyredcache_cluster")
    if not isinstance(cluster, ExternalCluster):
        _heal(cluster)
    if not _keep_data(request):
        _flush_cluster(cluster)


@pytest.fixture
def pyredcache_cluster_client(pyredcache_cluster: Cluster | ExternalCluster) -> Iterator[redis.cluster.RedisCluster]:
    """redis.cluster.RedisCluster to the session cluster (flushed before the test unless marked)."""
    rc = pyredcache_cluster.client()
    try:
        yield rc
    finally:
        rc.close()
