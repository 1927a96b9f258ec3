"""Time control (`pyredcache-time-control yes`): Server.advance/freeze_time/unfreeze_time in thread and process
mode and DEBUG PYREDCACHE-TIME: TTLs, lazy and active expiry, blocking timeouts, errors. No test sleeps for a TTL."""
from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
import redis
from helpers.wait import wait_until

from pyredcache.embed.server import Server

DISABLED = "time control is disabled (set pyredcache-time-control yes)"


@pytest.fixture(scope="module", params=["thread", "process"])
def tc_server(request: pytest.FixtureRequest) -> Iterator[Server]:
    with Server(mode=request.param, time_control=True) as s:
        yield s


@pytest.fixture
def tc(tc_server: Server) -> Iterator[Server]:
    """The module's time-controlled server, flushed, with a running clock before and after the test."""
    tc_server.client().flushall()
    tc_server.unfreeze_time()
    yield tc_server
    tc_server.unfreeze_time()


@pytest.fixture
def r(tc: Server) -> Iterator[redis.Redis]:
    client = tc.client(socket_timeout=10)
    yield client
    client.close()


def _blocked(r: redis.Redis) -> int:
    return int(r.info("clients")["blocked_clients"])


def _send(port: int, *args: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"".join([b"*%d\r\n" % len(args)] + [b"$%d\r\n%s\r\n" % (len(a), a.encode()) for a in args]))
    return sock


def test_time_expire_then_advance_removes_key(tc, r):
    r.set("k", "v")
    assert r.expire("k", 100)
    tc.advance(99)
    assert r.get("k") == b"v"
    tc.advance(2)
    assert r.get("k") is None
    assert r.exists("k") == 0


def test_time_ttl_counts_down_by_exactly_the_advance(tc, r):
    tc.freeze_time()
    r.set("k", "v", ex=100)
    assert r.pttl("k") == 100_000
    tc.advance(30)
    assert r.pttl("k") == 70_000
    assert r.ttl("k") == 70
    tc.advance(0.25)
    assert r.pttl("k") == 69_750


def test_time_pexpireat_in_the_future(tc, r):
    tc.freeze_time()
    now_ms = tc.time_ms()
    r.set("k", "v")
    assert r.pexpireat("k", now_ms + 5000)
    assert r.pttl("k") == 5000
    tc.advance(4.999)
    assert r.pttl("k") == 1
    tc.advance(0.001)
    assert r.exists("k") == 1      # alive at exactly its expire time (keyIsExpired: now > when)
    tc.advance(0.001)
    assert r.exists("k") == 0


def test_time_time_command_follows_the_clock(tc, r):
    tc.freeze_time()
    before = r.time()
    tc.advance(3600)
    after = r.time()
    assert after[0] - before[0] == 3600 and after[1] == before[1]


def test_time_frozen_clock_expires_nothing_by_wall_time(tc, r):
    tc.freeze_time()
    r.set("k", "v", px=1000)
    deadline = time.monotonic() + 1.2
    while time.monotonic() < deadline:      # bounded: shows wall time passing changes nothing
        assert r.pttl("k") == 1000
        time.sleep(0.05)
    assert r.dbsize() == 1
    tc.unfreeze_time()                      # resumes from the frozen time, not from the wall clock
    assert 0 < r.pttl("k") <= 1000
    tc.advance(1.1)
    assert r.exists("k") == 0


def test_time_advance_runs_active_expiry_at_once(tc, r):
    r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
    expired_before = int(r.info("stats")["expired_keys"])
    with r.pipeline(transaction=False) as p:
        for i in range(200):
            p.set(f"v:{i}", "x", ex=10)
        for i in range(5):
            p.set(f"p:{i}", "x")
        p.execute()
    assert r.dbsize() == 205
    tc.advance(11)
    assert r.dbsize() == 5                   # DBSIZE never expires lazily: the pass did it
    assert int(r.info("stats")["expired_keys"]) - expired_before == 200


def test_time_advance_respects_debug_set_active_expire_0(tc, r):
    r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        r.set("k", "v", ex=10)
        tc.advance(11)
        assert r.dbsize() == 1
        assert r.get("k") is None           # lazy expiry still sees the new time
    finally:
        r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")


@pytest.mark.parametrize("command", [("BLPOP", "list", "30"), ("BRPOP", "list", "30"),
                                     ("BLMOVE", "list", "dst", "LEFT", "RIGHT", "30"),
                                     ("BZPOPMIN", "zset", "30"), ("BLMPOP", "30", "1", "list", "LEFT")])
def test_time_blocking_timeout_fires_after_advance(tc, r, command):
    with _send(tc.port, *command) as sock:
        wait_until(lambda: _blocked(r) == 1, timeout=5, message="client blocked")
        tc.advance(10)
        assert _blocked(r) == 1              # 20 s of its 30 s still to go
        tc.advance(21)
        sock.settimeout(2)
        reply = sock.recv(100)
    assert reply in (b"*-1\r\n", b"$-1\r\n")
    assert _blocked(r) == 0


def test_time_blocking_timeout_runs_on_wall_time_while_frozen(tc, r):
    # Freezing the TTL clock must not stall anything timed on the monotonic clock.
    tc.freeze_time()
    t0 = time.monotonic()
    assert r.blpop(["list"], timeout=0.2) is None
    assert time.monotonic() - t0 < 5


def test_time_debug_subcommand(tc, r):
    if tc.mode == "process":
        assert isinstance(r.execute_command("DEBUG", "PYREDCACHE-TIME", "GET"), int)
    tc.freeze_time()
    now_ms = r.execute_command("DEBUG", "PYREDCACHE-TIME", "GET")
    assert r.execute_command("DEBUG", "PYREDCACHE-TIME", "ADVANCE", "1.5") == b"OK"
    assert r.execute_command("DEBUG", "pyredcache-time", "get") == now_ms + 1500
    assert r.execute_command("DEBUG", "PYREDCACHE-TIME", "UNFREEZE") == b"OK"
    assert r.execute_command("DEBUG", "PYREDCACHE-TIME", "FREEZE") == b"OK"
    with pytest.raises(redis.ResponseError, match="^value is not a valid float$"):
        r.execute_command("DEBUG", "PYREDCACHE-TIME", "ADVANCE", "soon")
    with pytest.raises(redis.ResponseError, match="^time can only move forward"):
        r.execute_command("DEBUG", "PYREDCACHE-TIME", "ADVANCE", "-1")
    for bad in (("NOPE",), ("ADVANCE",), ("GET", "x")):
        with pytest.raises(redis.ResponseError, match="^unknown subcommand or wrong number of arguments"):
            r.execute_command("DEBUG", "PYREDCACHE-TIME", *bad)
    with pytest.raises(ValueError):
        tc.advance(-1)


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_time_control_disabled_errors(mode):
    with Server(mode=mode, enable_debug_command="local") as s:
        with pytest.raises(RuntimeError, match="time_control=True"):
            s.advance(1)
        r = s.client()
        for args in (("GET",), ("ADVANCE", "1"), ("FREEZE",), ("UNFREEZE",)):
            with pytest.raises(redis.ResponseError) as info:
                r.execute_command("DEBUG", "PYREDCACHE-TIME", *args)
            assert str(info.value) == DISABLED
        r.close()
