"""Shared fixtures: a session-wide pyredcache server, a real redis-server oracle, clients and factories.

The pyredcache server is the pyredcache pytest plugin's `pyredcache_server` (pyredcache/pytest_plugin.py, loaded
through its pytest11 entry point), in process mode for this suite (tests send DEBUG, SHUTDOWN and CONFIG SET);
`--pyredcache-mode thread` overrides it. `server_factory` and tests/helpers/procs.start_server start private
pyredcache servers through pyredcache.Server (process mode) too; redis-server (the oracle) is started by procs.

Tests that change server-wide state (CONFIG SET, CLIENT PAUSE, SHUTDOWN, DEBUG) must use
`server_factory` for a server of their own, or restore what they changed.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
from helpers.oracle import Oracle
from helpers.procs import REDIS_SERVER, ServerProcess, cleanup_all, server_process_of, start_server
from helpers.rawclient import RawClient

from pyredcache.embed.server import Server

NO_REDIS = "Debian's redis-server is not installed (apt-get install redis-server redis-tools)"


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("pyredcache_mode", None) is None:
        config.option.pyredcache_mode = "process"


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    cleanup_all()     # servers a test started and forgot to clean up: stop them, remove their dirs


@pytest.fixture(scope="session")
def pyredcache_proc(pyredcache_server: Server) -> ServerProcess:
    """The plugin's session server, as a ServerProcess (.port, .proc, .workdir, .logfile, .log_tail ...).
    The plugin stops it at the end of the session and removes its dir."""
    return server_process_of(pyredcache_server)


@pytest.fixture(scope="session")
def redis_proc() -> Iterator[ServerProcess]:
    if REDIS_SERVER is None:
        pytest.skip(NO_REDIS)
    sp = start_server("redis")
    yield sp
    sp.cleanup()


@pytest.fixture
def port(pyredcache_proc: ServerProcess) -> int:
    return pyredcache_proc.port


@pytest.fixture
def r(pyredcache_proc: ServerProcess) -> Iterator[redis.Redis]:
    """redis-py (RESP2, bytes) on the shared server, flushed before the test."""
    client = redis.Redis(port=pyredcache_proc.port, socket_timeout=10, protocol=2)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def raw(pyredcache_proc: ServerProcess) -> Iterator[RawClient]:
    c = RawClient(pyredcache_proc.port)
    c.command("FLUSHALL")
    yield c
    c.close()


@pytest.fixture
def oracle(pyredcache_proc: ServerProcess, redis_proc: ServerProcess) -> Iterator[Oracle]:
    o = Oracle(pyredcache_proc.port, redis_proc.port)
    o.ours.command("FLUSHALL")
    o.redis.command("FLUSHALL")
    yield o
    o.close()


@pytest.fixture
def server_factory() -> Iterator[Any]:
    """Start private servers: server_factory(kind="pyredcache", **directives) -> ServerProcess."""
    started: list[ServerProcess] = []

    def make(kind: str = "pyredcache", wait: bool = True, extra_args: list[str] | None = None,
             **directives: Any) -> ServerProcess:
        if kind == "redis" and REDIS_SERVER is None:
            pytest.skip(NO_REDIS)
        opts = {k.replace("_", "-"): str(v) for k, v in directives.items()}
        sp = start_server(kind, opts, extra_args=extra_args, wait=wait)
        started.append(sp)
        return sp

    yield make
    for sp in started:
        sp.cleanup()
