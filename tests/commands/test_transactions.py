"""MULTI EXEC DISCARD WATCH UNWATCH over real sockets: queueing, EXEC through call() (stats, monitors),
WATCH invalidation by writes, flushes, SWAPDB and expiry, and cleanup on disconnect and RESET."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
from helpers.procs import ServerProcess
from helpers.rawclient import RawClient
from helpers.wait import wait_until


@pytest.fixture
def other(pyredcache_proc: ServerProcess) -> Iterator[RawClient]:
    c = RawClient(pyredcache_proc.port)
    yield c
    c.close()


def _tx(c: RawClient, *commands: tuple[str, ...]) -> bytes:
    assert c.command("MULTI") == b"+OK\r\n"
    for cmd in commands:
        assert c.command(*cmd) == b"+QUEUED\r\n"
    return c.command("EXEC")


def _cmdstat(c: RawClient, name: str) -> dict[str, str]:
    info = c.command("INFO", "commandstats").decode()
    for line in info.split("\r\n"):
        if line.startswith(f"cmdstat_{name}:"):
            return dict(f.split("=") for f in line.split(":", 1)[1].split(","))
    return {}


# ------------------------------------------------------------------------------------------------ MULTI EXEC


def test_multi_exec_replies_in_order(raw: RawClient) -> None:
    assert _tx(raw, ("SET", "a", "1"), ("INCR", "a"), ("GET", "a")) == b"*3\r\n+OK\r\n:2\r\n$1\r\n2\r\n"


def test_multi_exec_runtime_error_does_not_abort(raw: RawClient) -> None:
    raw.command("SET", "s", "x")
    assert _tx(raw, ("INCR", "s"), ("SET", "t", "1")) == (
        b"*2\r\n-ERR value is not an integer or out of range\r\n+OK\r\n")
    assert raw.command("GET", "t") == b"$1\r\n1\r\n"


def test_multi_nested(raw: RawClient) -> None:
    raw.command("MULTI")
    assert raw.command("MULTI") == b"-ERR MULTI calls can not be nested\r\n"
    assert raw.command("EXEC") == b"*0\r\n"


def test_exec_without_multi(raw: RawClient) -> None:
    assert raw.command("EXEC") == b"-ERR EXEC without MULTI\r\n"


def test_exec_arity_is_an_execabort(raw: RawClient) -> None:
    raw.command("MULTI")
    raw.command("SET", "k", "v")
    assert raw.command("EXEC", "x") == (
        b"-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n")
    assert raw.command("EXEC") == b"-ERR EXEC without MULTI\r\n"
    assert raw.command("EXISTS", "k") == b":0\r\n"


def test_discard_without_multi(raw: RawClient) -> None:
    assert raw.command("DISCARD") == b"-ERR DISCARD without MULTI\r\n"


def test_discard_drops_queue(raw: RawClient) -> None:
    raw.command("MULTI")
    raw.command("SET", "k", "v")
    assert raw.command("DISCARD") == b"+OK\r\n"
    assert raw.command("EXISTS", "k") == b":0\r\n"


def test_multi_arity_errors(raw: RawClient) -> None:
    for name in ("MULTI", "DISCARD", "UNWATCH"):
        assert raw.command(name, "x") == b"-ERR wrong number of arguments for '%s' command\r\n" % name.lower().encode()
    assert raw.command("WATCH") == b"-ERR wrong number of arguments for 'watch' command\r\n"


def test_exec_execabort_after_rejection(raw: RawClient) -> None:
    raw.command("MULTI")
    assert raw.command("GET") == b"-ERR wrong number of arguments for 'get' command\r\n"
    assert raw.command("SET", "k", "v") == b"+QUEUED\r\n"
    assert raw.command("EXEC") == b"-EXECABORT Transaction discarded because of previous errors.\r\n"
    assert raw.command("EXISTS", "k") == b":0\r\n"


def test_multi_watch_inside_multi(raw: RawClient) -> None:
    raw.command("MULTI")
    assert raw.command("WATCH", "k") == b"-ERR WATCH inside MULTI is not allowed\r\n"
    assert raw.command("EXEC") == b"*0\r\n"


def test_exec_monitor_inside_multi(raw: RawClient) -> None:
    assert _tx(raw, ("MONITOR",)) == b"*1\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n"


def test_exec_commandstats_count_each_command(raw: RawClient) -> None:
    raw.command("CONFIG", "RESETSTAT")
    raw.command("SET", "s", "x")
    _tx(raw, ("INCR", "s"), ("GET", "s"))
    assert _cmdstat(raw, "exec")["calls"] == "1" and _cmdstat(raw, "exec")["failed_calls"] == "0"
    assert _cmdstat(raw, "incr")["failed_calls"] == "1"
    assert _cmdstat(raw, "get")["calls"] == "1"
    raw.command("MULTI")
    raw.command("GET")
    raw.command("EXEC")
    assert _cmdstat(raw, "exec")["failed_calls"] == "1"
    assert _cmdstat(raw, "get")["rejected_calls"] == "1"
    assert b"errorstat_EXECABORT:count=1" in raw.command("INFO", "errorstats")


def test_exec_feeds_monitors(raw: RawClient, pyredcache_proc: ServerProcess) -> None:
    mon = RawClient(pyredcache_proc.port)
    try:
        assert mon.command("MONITOR") == b"+OK\r\n"
        _tx(raw, ("SET", "mk", "1"))
        lines = [mon.read_reply() for _ in range(3)]
        assert [ln.split(b"] ", 1)[1] for ln in lines] == [b'"MULTI"\r\n', b'"SET" "mk" "1"\r\n', b'"EXEC"\r\n']
    finally:
        mon.close()


def test_exec_slowlog_logs_inner_commands_not_exec(raw: RawClient) -> None:
    raw.command("CONFIG", "SET", "slowlog-log-slower-than", "0")
    try:
        raw.command("SLOWLOG", "RESET")
        _tx(raw, ("SET", "sk", "1"))
        log = raw.command("SLOWLOG", "GET", "10")
        assert b"$3\r\nSET\r\n" in log and b"EXEC" not in log
    finally:
        raw.command("CONFIG", "SET", "slowlog-log-slower-than", "10000")


def test_multi_client_list_shows_queue(raw: RawClient, other: RawClient) -> None:
    cid = raw.command("CLIENT", "ID")[1:-2]
    raw.command("MULTI")
    raw.command("SET", "a", "b")
    line = other.command("CLIENT", "LIST", "ID", cid)
    assert b" flags=x " in line and b" multi=1 " in line
    raw.command("DISCARD")
    line = other.command("CLIENT", "LIST", "ID", cid)
    assert b" flags=N " in line and b" multi=-1 " in line


def test_multi_with_redis_py_pipeline(r: redis.Redis) -> None:
    with r.pipeline(transaction=True) as pipe:
        pipe.set("a", 1).incr("a").get("a")
        assert pipe.execute() == [True, 2, b"2"]


def test_watch_redis_py_optimistic_lock(r: redis.Redis, port: int) -> None:
    r.set("counter", 0)
    intruder = redis.Redis(port=port)
    attempts = 0

    def incr(pipe: Any) -> None:
        nonlocal attempts
        attempts += 1
        value = int(pipe.get("counter"))
        if attempts == 1:
            intruder.incr("counter")     # breaks the first attempt
        pipe.multi()
        pipe.set("counter", value + 1)

    r.transaction(incr, "counter")
    intruder.close()
    assert attempts == 2 and r.get("counter") == b"2"


# ------------------------------------------------------------------------------------------------ WATCH


def test_watch_touched_by_other_client(raw: RawClient, other: RawClient) -> None:
    raw.command("SET", "k", "1")
    assert raw.command("WATCH", "k") == b"+OK\r\n"
    other.command("SET", "k", "2")
    assert _tx(raw, ("SET", "k", "3")) == b"*-1\r\n"
    assert raw.command("GET", "k") == b"$1\r\n2\r\n"


def test_watch_untouched(raw: RawClient, other: RawClient) -> None:
    raw.command("WATCH", "k", "j")
    other.command("GET", "k")
    other.command("SET", "x", "1")
    assert _tx(raw, ("PING",)) == b"*1\r\n+PONG\r\n"


def test_watch_dirty_flag_and_unwatch(raw: RawClient, other: RawClient) -> None:
    raw.command("WATCH", "k")
    other.command("SET", "k", "1")
    assert b" flags=d " in raw.command("CLIENT", "INFO")
    assert raw.command("UNWATCH") == b"+OK\r\n"
    assert b" flags=N " in raw.command("CLIENT", "INFO")
    assert _tx(raw, ("PING",)) == b"*1\r\n+PONG\r\n"


def test_watch_dirty_transaction_keeps_no_queue(raw: RawClient, other: RawClient) -> None:
    cid = raw.command("CLIENT", "ID")[1:-2]
    raw.command("WATCH", "k")
    other.command("SET", "k", "1")
    raw.command("MULTI")
    assert raw.command("SET", "a", "b") == b"+QUEUED\r\n"
    assert b" multi=0 " in other.command("CLIENT", "LIST", "ID", cid)
    assert raw.command("EXEC") == b"*-1\r\n"


def test_watch_exec_own_writes_do_not_dirty(raw: RawClient) -> None:
    raw.command("WATCH", "k")
    assert _tx(raw, ("SET", "k", "1"), ("SET", "k", "2")) == b"*2\r\n+OK\r\n+OK\r\n"
    raw.command("MULTI")
    raw.command("PING")
    assert raw.command("EXEC") == b"*1\r\n+PONG\r\n"


def test_watch_flushdb(raw: RawClient, other: RawClient) -> None:
    raw.command("WATCH", "missing")
    other.command("SET", "x", "1")
    other.command("FLUSHDB")
    assert _tx(raw, ("PING",)) == b"*1\r\n+PONG\r\n"
    raw.command("SET", "k", "1")
    raw.command("WATCH", "k")
    other.command("FLUSHALL")
    assert _tx(raw, ("PING",)) == b"*-1\r\n"


def test_watch_swapdb(raw: RawClient, other: RawClient) -> None:
    other.command("SELECT", "3")
    other.command("SET", "k", "1")
    raw.command("WATCH", "k")
    other.command("SWAPDB", "0", "3")
    assert _tx(raw, ("GET", "k")) == b"*-1\r\n"
    raw.command("WATCH", "none")
    other.command("SWAPDB", "0", "3")
    assert _tx(raw, ("PING",)) == b"*1\r\n+PONG\r\n"


def test_watch_expiry_breaks_it(raw: RawClient) -> None:
    raw.command("SET", "k", "1", "PX", "20")
    raw.command("WATCH", "k")
    wait_until(lambda: raw.command("EXISTS", "k") == b":0\r\n", timeout=5, message="k to expire")
    assert _tx(raw, ("PING",)) == b"*-1\r\n"


def test_watch_reset_forgets(raw: RawClient, other: RawClient) -> None:
    raw.command("WATCH", "k")
    other.command("SET", "k", "1")
    assert raw.command("RESET") == b"+RESET\r\n"
    assert b" flags=N " in raw.command("CLIENT", "INFO")
    assert _tx(raw, ("PING",)) == b"*1\r\n+PONG\r\n"


def test_watch_disconnect_forgets(pyredcache_proc: ServerProcess, other: RawClient) -> None:
    for _ in range(3):
        w = RawClient(pyredcache_proc.port)
        w.command("WATCH", "k", "j")
        w.close()
    wait_until(lambda: b"cmd=watch " not in other.command("CLIENT", "LIST"), timeout=5,
               message="the watchers to disconnect")
    assert other.command("SET", "k", "1") == b"+OK\r\n"
    other.command("DEL", "k")


# ------------------------------------------------------------------------------------ expiry (private servers)


@pytest.fixture(params=["pyredcache", "redis"])
def debug_server(request: pytest.FixtureRequest, server_factory: Any) -> Iterator[RawClient]:
    """A private server (ours, then redis-server) with DEBUG enabled and active expiry switched off."""
    sp = server_factory(request.param, enable_debug_command="yes")
    c = RawClient(sp.port)
    assert c.command("DEBUG", "SET-ACTIVE-EXPIRE", "0") == b"+OK\r\n"
    yield c
    c.close()


def _wait_expired(c: RawClient) -> None:
    """The probe key was set with the same TTL just after the watched key: once it is gone, so is that one."""
    wait_until(lambda: c.command("EXISTS", "probe") == b":0\r\n", timeout=5, message="probe to expire")


def test_watch_key_logically_expired_at_exec(debug_server: RawClient) -> None:
    c = debug_server
    c.command("SET", "k", "1", "PX", "20")
    c.command("SET", "probe", "1", "PX", "20")
    c.command("WATCH", "k")
    _wait_expired(c)           # k is expired but still stored (nothing looked it up)
    assert _tx(c, ("PING",)) == b"*-1\r\n"


def test_watch_already_expired_key_then_deleted(debug_server: RawClient) -> None:
    c = debug_server
    c.command("SET", "k", "1", "PX", "20")
    c.command("SET", "probe", "1", "PX", "20")
    _wait_expired(c)
    c.command("WATCH", "k")    # watched while already expired
    assert c.command("GET", "k") == b"$-1\r\n"     # lazily deleted: no logical change
    assert _tx(c, ("PING",)) == b"*1\r\n+PONG\r\n"


def test_watch_already_expired_key_then_flushed(debug_server: RawClient) -> None:
    c = debug_server
    c.command("SET", "k", "1", "PX", "20")
    c.command("SET", "probe", "1", "PX", "20")
    _wait_expired(c)
    c.command("WATCH", "k")
    c.command("FLUSHDB")
    assert _tx(c, ("PING",)) == b"*1\r\n+PONG\r\n"


def test_watch_already_expired_key_then_set(debug_server: RawClient) -> None:
    c = debug_server
    c.command("SET", "k", "1", "PX", "20")
    c.command("SET", "probe", "1", "PX", "20")
    _wait_expired(c)
    c.command("WATCH", "k")
    c.command("SET", "k", "2")
    assert _tx(c, ("PING",)) == b"*-1\r\n"


def test_watch_swapdb_brings_expired_key(debug_server: RawClient) -> None:
    c = debug_server
    c.command("SELECT", "1")
    c.command("SET", "k", "1", "PX", "20")
    c.command("SET", "probe", "1", "PX", "20")
    _wait_expired(c)
    c.command("SELECT", "0")
    c.command("WATCH", "k")
    c.command("SWAPDB", "0", "1")    # a missing key replaced by an expired one: no logical change
    assert _tx(c, ("PING",)) == b"*1\r\n+PONG\r\n"
