"""pyredcache.Server (embed/server.py) in thread and process mode: start/stop, ports, dirs, clients, failures,
process control (kill/pause/resume/restart) and no leftovers."""
from __future__ import annotations

import os
import socket
import threading
import time

import pytest
import redis
from helpers.wait import wait_until

import pyredcache
from pyredcache.embed.server import Server, ServerStartError

MODES = ["thread", "process"]


def _refused(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return False
    except OSError:
        return True


def _raw_ping(port: int, timeout: float = 5.0) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.sendall(b"PING\r\n")
    assert sock.recv(100) == b"+PONG\r\n"
    return sock


def _pyredcache_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("pyredcache-")]


def _pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize("mode", MODES)
def test_server_context_manager_round_trip(mode):
    with Server(mode=mode) as s:
        assert s.running
        assert s.url == f"redis://127.0.0.1:{s.port}/0"
        r = s.client(decode_responses=True)
        assert r.set("k", "v") is True
        assert r.get("k") == "v"
        assert redis.Redis.from_url(s.url).get("k") == b"v"
        assert s.start() is s       # idempotent
        assert (s.pid == os.getpid()) == (mode == "thread")
        port, workdir = s.port, s.dir
        assert os.path.isdir(workdir)
        assert "Ready to accept connections" in s.log_tail()
        r.close()
    assert not s.running
    assert not os.path.exists(workdir)
    assert _refused(port)


def test_server_exported_lazily_from_package():
    assert pyredcache.Server is Server


@pytest.mark.parametrize("mode", MODES)
def test_server_two_at_once_are_independent(mode):
    with Server(mode=mode) as a, Server(mode=mode) as b:
        assert a.port != b.port and a.dir != b.dir
        ra, rb = a.client(), b.client()
        ra.set("k", "a")
        rb.set("k", "b")
        assert ra.get("k") == b"a" and rb.get("k") == b"b"
        ra.close()
        rb.close()


def test_server_thread_and_process_side_by_side():
    with Server(mode="thread") as a, Server(mode="process") as b:
        assert a.client().ping() and b.client().ping()


@pytest.mark.parametrize("mode", MODES)
def test_server_stop_leaves_no_thread_process_or_dir(mode):
    before = _pyredcache_threads()
    s = Server(mode=mode).start()
    pid, workdir, port = s.pid, s.dir, s.port
    with _raw_ping(port) as sock:
        s.stop()
        assert sock.recv(100) == b""    # the server closed its clients
    assert _pyredcache_threads() == before
    if mode == "process":
        assert _pid_gone(pid)
    assert not os.path.exists(workdir)
    assert _refused(port)
    s.stop()            # a second stop is harmless


def test_server_thread_mode_starts_fast():
    Server().start().stop()     # imports done
    t0 = time.perf_counter()
    with Server():
        ready = time.perf_counter() - t0
    assert ready < 2.0      # the target is < 150 ms; this only guards against a sleep creeping in


@pytest.mark.parametrize("mode", MODES)
def test_server_given_dir_kept_and_directives_applied(mode, tmp_path):
    with Server(mode=mode, dir=str(tmp_path), maxmemory="10mb", maxmemory_policy="allkeys-lru",
                lazyfree_lazy_user_del=True) as s:
        r = s.client(decode_responses=True)
        assert r.config_get("maxmemory") == {"maxmemory": "10485760"}
        assert r.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}
        assert r.config_get("lazyfree-lazy-user-del") == {"lazyfree-lazy-user-del": "yes"}
        assert r.config_get("dir") == {"dir": os.path.realpath(tmp_path)}
        r.close()
    assert os.path.isfile(tmp_path / "pyredcache.log")


@pytest.mark.parametrize("mode", MODES)
def test_server_bad_config_raises_start_error_with_log_tail(mode):
    s = Server(mode=mode, maxmemory_policy="bogus")
    with pytest.raises(ServerStartError) as info:
        s.start()
    assert "maxmemory-policy" in str(info.value)
    assert "argument(s) must be one of the following" in str(info.value)
    assert not s.running


@pytest.mark.parametrize("mode", MODES)
def test_server_startup_timeout_raises_and_cleans_up(mode):
    Server().start().stop()     # imports done, so only the start itself is timed out
    before = _pyredcache_threads()
    s = Server(mode=mode, startup_timeout=0.0001)
    with pytest.raises(ServerStartError, match="not ready after|no PONG after"):
        s.start()
    assert not s.running
    wait_until(lambda: _pyredcache_threads() == before, timeout=5, message="loop thread gone")


@pytest.mark.parametrize("mode", MODES)
def test_server_port_in_use_raises_start_error(mode):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        with pytest.raises(ServerStartError) as info:
            Server(mode=mode, port=port, startup_timeout=5).start()
    assert "Address already in use" in str(info.value)


@pytest.mark.parametrize("mode", MODES)
def test_server_fatal_start_check_becomes_start_error(mode, tmp_path):
    # nodes.conf checks exit the process in redis-server; in thread mode they must not end the caller
    (tmp_path / "nodes.conf").write_text("this is not a cluster config\n")
    with pytest.raises(ServerStartError) as info:
        Server(mode=mode, dir=str(tmp_path), cluster_enabled=True).start()
    assert "corrupted cluster config file" in str(info.value)


def test_server_thread_mode_cluster_lock_released_at_stop(tmp_path):
    with Server(dir=str(tmp_path), cluster_enabled=True) as a:
        myid = a.client().execute_command("CLUSTER MYID")
        with pytest.raises(ServerStartError) as info:
            Server(dir=str(tmp_path), cluster_enabled=True).start()
        assert "already used by a different Redis Cluster node" in str(info.value)
    with Server(dir=str(tmp_path), cluster_enabled=True) as b:
        assert b.client().execute_command("CLUSTER MYID") == myid


def test_server_thread_mode_shutdown_command_stops_it():
    s = Server().start()
    try:
        with _raw_ping(s.port) as sock:
            sock.sendall(b"SHUTDOWN NOSAVE\r\n")
            assert sock.recv(100) == b""
        wait_until(lambda: not s.running, timeout=5, message="server stopped")
    finally:
        s.stop()
    assert _pyredcache_threads() == []


def test_server_process_kill_pause_resume_restart(tmp_path):
    s = Server(mode="process", dir=str(tmp_path))
    with s:
        port, pid = s.port, s.pid
        r = s.client(socket_timeout=5)
        r.set("k", "v")
        r.save()
        s.pause()
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
            sock.sendall(b"PING\r\n")
            with pytest.raises(socket.timeout):
                sock.recv(100)          # the kernel accepted, nobody answers
            s.resume()
            sock.settimeout(5)
            assert sock.recv(100) == b"+PONG\r\n"
        assert r.ping()
        s.kill()
        assert not s.running and _pid_gone(pid)
        s.restart()
        assert s.running and s.port == port and s.pid != pid and s.dir == str(tmp_path)
        assert s.client().get("k") == b"v"      # loaded from the dump in the same dir
        pid2 = s.pid
        s.restart()                             # SIGTERM then start again
        assert s.pid != pid2 and s.client().get("k") == b"v"
    assert not s.running


def test_server_process_controls_refused_in_thread_mode():
    with Server() as s:
        for method in (s.kill, s.pause, s.resume, s.restart):
            with pytest.raises(RuntimeError):
                method()


@pytest.mark.parametrize("mode", MODES)
def test_server_time_control_refused_without_flag(mode):
    with Server(mode=mode) as s:
        for call in (lambda: s.advance(1), s.freeze_time, s.unfreeze_time):
            with pytest.raises(RuntimeError, match="time_control=True"):
                call()


def test_server_properties_before_start():
    s = Server()
    assert not s.running
    with pytest.raises(RuntimeError):
        _ = s.port
    with pytest.raises(ValueError):
        Server(mode="docker")  # type: ignore[arg-type]
