"""Server commands against a real pyredcache process: FLUSHDB FLUSHALL DBSIZE TIME SHUTDOWN SLOWLOG MONITOR DEBUG MEMORY.

Tests that change server-wide state (slow log settings, DEBUG, SHUTDOWN) run on private servers.
"""
from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from helpers.procs import ServerProcess, start_server
from helpers.rawclient import RawClient
from helpers.wait import wait_until

DEBUG_NOT_ALLOWED = (
    b'-ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from '
    b"a local connection, otherwise you need to set this option in the configuration file, and then restart the "
    b"server.\r\n"
)


@pytest.fixture(scope="module")
def private() -> Iterator[ServerProcess]:
    """A server of this module's own, with DEBUG enabled (slow log and DEBUG tests change its state)."""
    sp = start_server("pyredcache", {"enable-debug-command": "yes"})
    yield sp
    sp.cleanup()


@pytest.fixture
def p(private: ServerProcess) -> Iterator[redis.Redis]:
    client = redis.Redis(port=private.port, socket_timeout=10)
    client.flushall()
    client.config_set("slowlog-log-slower-than", 10000)
    client.config_set("slowlog-max-len", 128)
    client.slowlog_reset()
    client.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
    yield client
    client.close()


@pytest.fixture
def praw(private: ServerProcess, p: redis.Redis) -> Iterator[RawClient]:
    c = RawClient(private.port)
    yield c
    c.close()


def multi_or_skip(c: RawClient) -> None:
    """Open a MULTI, or skip the test while transactions are not implemented."""
    reply = c.command("MULTI")
    if reply.startswith(b"-ERR unknown command"):
        pytest.skip("MULTI is not implemented yet")
    assert reply == b"+OK\r\n"


def stays_true(predicate: Callable[[], Any], duration: float, interval: float = 0.02) -> bool:
    """Poll predicate for `duration` seconds (bounded); False as soon as it stops holding."""
    deadline = time.monotonic() + duration
    while time.monotonic() < deadline:
        if not predicate():
            return False
        time.sleep(interval)
    return bool(predicate())


def info_field(client: redis.Redis, section: str, field: str) -> Any:
    return client.info(section)[field]


# ---------------------------------------------------------------------------------------------- FLUSHDB / FLUSHALL


def test_flushdb_removes_only_the_selected_db(port: int, r: redis.Redis) -> None:
    r.set("a", 1)
    r.set("b", 2, ex=100)
    other = redis.Redis(port=port, db=1)
    other.set("c", 3)
    assert r.flushdb() is True
    assert r.dbsize() == 0
    assert other.dbsize() == 1
    assert "db0" not in r.info("keyspace")
    other.close()


def test_flushall_removes_every_db(port: int, r: redis.Redis) -> None:
    r.set("a", 1)
    other = redis.Redis(port=port, db=5)
    other.set("c", 3, px=100000)
    assert r.flushall() is True
    assert r.dbsize() == 0 and other.dbsize() == 0
    assert r.info("keyspace") == {}
    other.close()


@pytest.mark.parametrize("cmd", ["FLUSHDB", "FLUSHALL"])
@pytest.mark.parametrize("mode", ["ASYNC", "SYNC", "async", "Sync"])
def test_flushdb_async_and_sync_modes(raw: RawClient, cmd: str, mode: str) -> None:
    raw.command("SET", "k", "v")
    assert raw.command(cmd, mode) == b"+OK\r\n"
    assert raw.command("DBSIZE") == b":0\r\n"


@pytest.mark.parametrize("cmd", ["FLUSHDB", "FLUSHALL"])
@pytest.mark.parametrize("args", [("x",), ("ASYNC", "SYNC"), ("SYNC", "SYNC"), ("",)])
def test_flushall_syntax_errors_keep_data(raw: RawClient, cmd: str, args: tuple[str, ...]) -> None:
    raw.command("SET", "k", "v")
    assert raw.command(cmd, *args) == b"-ERR syntax error\r\n"
    assert raw.command("DBSIZE") == b":1\r\n"


def test_flushall_counts_changes_like_redis(r: redis.Redis) -> None:
    r.mset({"a": 1, "b": 2, "c": 3})
    before = info_field(r, "persistence", "rdb_changes_since_last_save")
    r.flushall()
    # redis-server 7.0.15 adds the number of removed keys (an empty FLUSHALL adds nothing)
    assert info_field(r, "persistence", "rdb_changes_since_last_save") == before + 3
    r.flushall()
    assert info_field(r, "persistence", "rdb_changes_since_last_save") == before + 3
    r.set("x", 1)
    before = info_field(r, "persistence", "rdb_changes_since_last_save")
    r.flushdb()
    assert info_field(r, "persistence", "rdb_changes_since_last_save") == before + 1


def test_flushdb_then_keys_can_be_written_again(r: redis.Redis) -> None:
    r.set("k", "v", ex=50)
    r.flushdb()
    assert r.ttl("k") == -2
    r.set("k", "w")
    assert r.get("k") == b"w" and r.ttl("k") == -1


# ---------------------------------------------------------------------------------------------- DBSIZE, TIME


def test_dbsize_counts_keys_of_the_selected_db(raw: RawClient) -> None:
    assert raw.command("DBSIZE") == b":0\r\n"
    raw.command("MSET", "a", "1", "b", "2")
    assert raw.command("DBSIZE") == b":2\r\n"
    raw.command("SELECT", "3")
    assert raw.command("DBSIZE") == b":0\r\n"


def test_dbsize_wrong_arity(raw: RawClient) -> None:
    assert raw.command("DBSIZE", "x") == b"-ERR wrong number of arguments for 'dbsize' command\r\n"


def test_time_returns_seconds_and_microseconds(r: redis.Redis) -> None:
    seconds, micros = r.time()
    assert abs(seconds + micros / 1e6 - time.time()) < 5
    assert 0 <= micros < 1_000_000


def test_time_reply_is_two_bulk_strings(raw: RawClient) -> None:
    reply = raw.command("TIME")
    assert re.fullmatch(rb"\*2\r\n\$10\r\n\d{10}\r\n\$\d\r\n\d{1,6}\r\n", reply), reply


def test_time_wrong_arity(raw: RawClient) -> None:
    assert raw.command("TIME", "x") == b"-ERR wrong number of arguments for 'time' command\r\n"


# ---------------------------------------------------------------------------------------------- SHUTDOWN


@pytest.mark.parametrize("args", [("foo",), ("NOSAVE", "SAVE"), ("SAVE", "NOSAVE", "NOW"), ("ABORT", "NOW"),
                                  ("now", "abort")])
def test_shutdown_syntax_errors_keep_the_server_running(server_factory: Any, args: tuple[str, ...]) -> None:
    sp = server_factory()
    c = RawClient(sp.port)
    assert c.command("SHUTDOWN", *args) == b"-ERR syntax error\r\n"
    assert c.command("PING") == b"+PONG\r\n"
    c.close()


def test_shutdown_abort_without_shutdown_in_progress(server_factory: Any) -> None:
    sp = server_factory()
    c = RawClient(sp.port)
    assert c.command("SHUTDOWN", "ABORT") == b"-ERR No shutdown in progress.\r\n"
    assert c.command("SHUTDOWN", "abort") == b"-ERR No shutdown in progress.\r\n"
    assert c.command("PING") == b"+PONG\r\n"
    c.close()


def test_shutdown_not_allowed_inside_multi(server_factory: Any) -> None:
    sp = server_factory()
    c = RawClient(sp.port)
    multi_or_skip(c)
    assert c.command("SHUTDOWN") == b"-ERR Command not allowed inside a transaction\r\n"
    assert c.command("DISCARD") == b"+OK\r\n"
    assert c.command("PING") == b"+PONG\r\n"
    c.close()


@pytest.mark.parametrize("args", [(), ("NOSAVE",), ("SAVE",), ("NOSAVE", "NOW", "FORCE"), ("now", "now")])
def test_shutdown_exits_cleanly_without_reply(server_factory: Any, args: tuple[str, ...]) -> None:
    sp = server_factory()
    other = RawClient(sp.port)
    assert other.command("PING") == b"+PONG\r\n"
    c = RawClient(sp.port)
    c.send(b"*%d\r\n" % (len(args) + 1) + b"$8\r\nSHUTDOWN\r\n"
           + b"".join(b"$%d\r\n%s\r\n" % (len(a), a.encode()) for a in args))
    assert c.read_until_closed() == b""          # no reply, the connection is closed
    assert other.read_until_closed() == b""      # every other client is closed too
    assert sp.proc.wait(10) == 0
    log = sp.log_tail()
    assert "# User requested shutdown..." in log
    assert "# Redis is now ready to exit, bye bye..." in log
    c.close()
    other.close()


def test_shutdown_removes_the_pidfile(server_factory: Any, tmp_path: Any) -> None:
    pidfile = str(tmp_path / "server.pid")
    sp = server_factory(pidfile=pidfile)
    wait_until(lambda: os.path.exists(pidfile), timeout=5, message="pidfile")
    with open(pidfile) as fh:
        assert int(fh.read().strip()) == sp.pid
    c = RawClient(sp.port)
    c.send(b"SHUTDOWN\r\n")
    assert c.is_closed()
    assert sp.proc.wait(10) == 0
    assert not os.path.exists(pidfile)
    assert "* Removing the pid file." in sp.log_tail()
    c.close()


# ---------------------------------------------------------------------------------------------- SLOWLOG


def test_slowlog_entry_shape(p: redis.Redis, praw: RawClient) -> None:
    p.config_set("slowlog-log-slower-than", 0)
    praw.command("CLIENT", "SETNAME", "tester")
    praw.command("SET", "key", "value")
    entries = p.execute_command("SLOWLOG", "GET", "3")
    # newest first: SLOWLOG GET isn't logged until after it ran, so the SET is at index 0 or 1
    found = [e for e in entries if e[3] == [b"SET", b"key", b"value"]]
    assert found, entries
    entry_id, ts, duration, args, addr, name = found[0]
    assert isinstance(entry_id, int) and abs(ts - time.time()) < 5 and duration >= 0
    assert re.fullmatch(rb"127\.0\.0\.1:\d+", addr) and name == b"tester"


def test_slowlog_ids_increase_and_newest_first(p: redis.Redis) -> None:
    p.config_set("slowlog-log-slower-than", 0)
    for i in range(3):
        p.set(f"k{i}", i)
    entries = p.execute_command("SLOWLOG", "GET", "-1")
    ids = [e[0] for e in entries]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)


def test_slowlog_get_counts(p: redis.Redis) -> None:
    p.config_set("slowlog-log-slower-than", 0)
    for i in range(15):
        p.set(f"k{i}", i)
    p.config_set("slowlog-log-slower-than", -1)
    assert len(p.execute_command("SLOWLOG", "GET")) == 10
    assert len(p.execute_command("SLOWLOG", "GET", "3")) == 3
    assert p.execute_command("SLOWLOG", "GET", "0") == []
    total = p.execute_command("SLOWLOG", "LEN")
    assert total >= 16
    assert len(p.execute_command("SLOWLOG", "GET", "-1")) == total
    assert len(p.execute_command("SLOWLOG", "GET", "1000")) == total


@pytest.mark.parametrize("count", ["-2", "x", "1.5", "", "99999999999999999999"])
def test_slowlog_get_bad_count(praw: RawClient, count: str) -> None:
    assert praw.command("SLOWLOG", "GET", count) == b"-ERR count should be greater than or equal to -1\r\n"


def test_slowlog_get_extra_argument(praw: RawClient) -> None:
    assert praw.command("SLOWLOG", "get", "1", "2") == (
        b"-ERR unknown subcommand or wrong number of arguments for 'get'. Try SLOWLOG HELP.\r\n")


def test_slowlog_len_and_reset(p: redis.Redis) -> None:
    p.config_set("slowlog-log-slower-than", 0)
    p.set("a", 1)
    p.get("a")
    p.config_set("slowlog-log-slower-than", -1)
    assert p.execute_command("SLOWLOG", "LEN") >= 3
    assert p.execute_command("SLOWLOG", "RESET") == b"OK"
    assert p.execute_command("SLOWLOG", "LEN") == 0
    assert p.execute_command("SLOWLOG", "GET") == []


def test_slowlog_reset_is_logged_after_it_runs(p: redis.Redis) -> None:
    p.config_set("slowlog-log-slower-than", 0)
    p.execute_command("SLOWLOG", "RESET")
    entries = p.execute_command("SLOWLOG", "GET")
    assert [e[3] for e in entries] == [[b"SLOWLOG", b"RESET"]]


def test_slowlog_negative_threshold_disables(p: redis.Redis) -> None:
    p.config_set("slowlog-log-slower-than", -1)
    p.set("a", 1)
    assert p.execute_command("SLOWLOG", "LEN") == 0


def test_slowlog_threshold_filters_fast_commands(p: redis.Redis) -> None:
    p.config_set("slowlog-log-slower-than", 100000)   # 100 ms
    p.set("a", 1)
    p.execute_command("DEBUG", "SLEEP", "0.12")
    entries = p.execute_command("SLOWLOG", "GET")
    assert [e[3] for e in entries] == [[b"DEBUG", b"SLEEP", b"0.12"]]
    assert entries[0][2] >= 100000


def test_slowlog_max_len_trims_oldest(p: redis.Redis) -> None:
    p.config_set("slowlog-max-len", 3)
    p.config_set("slowlog-log-slower-than", 0)
    for i in range(6):
        p.set(f"k{i}", i)
    p.config_set("slowlog-log-slower-than", -1)
    entries = p.execute_command("SLOWLOG", "GET", "-1")
    assert len(entries) == 3
    p.config_set("slowlog-max-len", 1)
    assert p.execute_command("SLOWLOG", "LEN") == 1


def test_slowlog_trims_long_argument_lists_and_strings(p: redis.Redis) -> None:
    p.config_set("slowlog-log-slower-than", 0)
    p.execute_command("DEL", *[f"k{i}" for i in range(40)])
    p.set("big", "x" * 200)
    p.config_set("slowlog-log-slower-than", -1)
    entries = {e[3][0]: e[3] for e in p.execute_command("SLOWLOG", "GET", "-1")}
    dels = entries[b"DEL"]
    assert len(dels) == 32 and dels[-1] == b"... (10 more arguments)"
    assert entries[b"SET"][2] == b"x" * 128 + b"... (72 more bytes)"


def test_slowlog_redacts_sensitive_config_values(p: redis.Redis) -> None:
    p.config_set("slowlog-log-slower-than", 0)
    p.execute_command("CONFIG", "SET", "requirepass", "", "masterauth", "secret")
    p.config_set("slowlog-log-slower-than", -1)
    args = [e[3] for e in p.execute_command("SLOWLOG", "GET", "-1") if e[3][:2] == [b"CONFIG", b"SET"]]
    assert [b"CONFIG", b"SET", b"requirepass", b"(redacted)", b"masterauth", b"(redacted)"] in args
    p.config_set("masterauth", "")


def test_slowlog_help(praw: RawClient) -> None:
    reply = praw.command("SLOWLOG", "HELP")
    assert reply.startswith(b"*12\r\n+SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n")
    assert reply.endswith(b"+HELP\r\n+    Prints this help.\r\n")


@pytest.mark.parametrize("args,error", [
    (("SLOWLOG",), b"-ERR wrong number of arguments for 'slowlog' command\r\n"),
    (("SLOWLOG", "LEN", "x"), b"-ERR wrong number of arguments for 'slowlog|len' command\r\n"),
    (("SLOWLOG", "RESET", "x"), b"-ERR wrong number of arguments for 'slowlog|reset' command\r\n"),
    (("SLOWLOG", "HELP", "x"), b"-ERR wrong number of arguments for 'slowlog|help' command\r\n"),
    (("SLOWLOG", "FOO"), b"-ERR unknown subcommand 'FOO'. Try SLOWLOG HELP.\r\n"),
])
def test_slowlog_arity_and_unknown_subcommand(praw: RawClient, args: tuple[str, ...], error: bytes) -> None:
    assert praw.command(*args) == error


# ---------------------------------------------------------------------------------------------- MONITOR

MONITOR_LINE = re.compile(rb'\+(\d+)\.(\d{6}) \[(\d+) 127\.0\.0\.1:(\d+)\] (.*)\r\n')


def _monitor(port: int) -> RawClient:
    m = RawClient(port)
    assert m.command("MONITOR") == b"+OK\r\n"
    return m


def _read_line(m: RawClient) -> bytes:
    reply = m.read_reply()
    assert reply.startswith(b"+"), reply
    return reply


def test_monitor_streams_commands_with_db_and_address(private: ServerProcess, praw: RawClient) -> None:
    m = _monitor(private.port)
    praw.command("SET", "k", "v")
    praw.command("SELECT", "2")
    praw.command("GET", "k")
    lines = [_read_line(m) for _ in range(3)]
    parsed = [MONITOR_LINE.fullmatch(line) for line in lines]
    assert all(parsed), lines
    assert [x.group(3) for x in parsed if x] == [b"0", b"2", b"2"]   # the db after the command ran
    assert [x.group(5) for x in parsed if x] == [b'"SET" "k" "v"', b'"SELECT" "2"', b'"GET" "k"']
    assert abs(int(parsed[0].group(1)) - time.time()) < 5   # type: ignore[union-attr]
    m.close()


def test_monitor_escapes_arguments_like_sdscatrepr(private: ServerProcess, praw: RawClient) -> None:
    m = _monitor(private.port)
    praw.command("SET", b'a b"\\\n\r\t\x07\x08\x01\xff', "")
    line = _read_line(m)
    assert line.endswith(b'"SET" "a b\\"\\\\\\n\\r\\t\\a\\b\\x01\\xff" ""\r\n'), line
    m.close()


def test_monitor_skips_admin_commands_and_failed_lookups(private: ServerProcess, praw: RawClient) -> None:
    m = _monitor(private.port)
    praw.command("CONFIG", "GET", "port")       # admin: not shown
    praw.command("DEBUG", "SLEEP", "0")          # admin: not shown
    praw.command("GET")                          # arity error: never executed
    praw.command("NOSUCHCOMMAND")
    praw.command("INCR", "notanumber-key-a")
    praw.command("ECHO", "last")
    lines = [_read_line(m) for _ in range(2)]
    assert lines[0].endswith(b'"INCR" "notanumber-key-a"\r\n')
    assert lines[1].endswith(b'"ECHO" "last"\r\n')
    m.close()


def test_monitor_sees_its_own_commands_and_repeat_is_silent(private: ServerProcess) -> None:
    m = _monitor(private.port)
    m.send(b"MONITOR\r\nPING\r\n")
    assert m.read_reply() == b"+PONG\r\n"     # the repeated MONITOR got no reply
    assert _read_line(m).endswith(b'"PING"\r\n')
    m.close()


def test_monitor_many_monitors_get_each_line(private: ServerProcess, praw: RawClient) -> None:
    monitors = [_monitor(private.port) for _ in range(3)]
    praw.command("ECHO", "hi")
    for m in monitors:
        assert _read_line(m).endswith(b'"ECHO" "hi"\r\n')
        m.close()


def test_monitor_closed_monitor_is_forgotten(private: ServerProcess, p: redis.Redis, praw: RawClient) -> None:
    def monitors() -> int:
        return sum(1 for c in p.client_list() if "O" in c["flags"])

    m = _monitor(private.port)
    assert monitors() == 1
    m.close()
    # Other tests' connections may still be closing, so count monitors rather than all clients.
    wait_until(lambda: monitors() == 0, timeout=5, message="monitor to go away")
    assert praw.command("PING") == b"+PONG\r\n"


def test_monitor_inside_multi_is_refused(praw: RawClient) -> None:
    multi_or_skip(praw)
    assert praw.command("MONITOR") == b"+QUEUED\r\n"
    assert praw.command("EXEC") == b"*1\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n"


def test_monitor_wrong_arity(praw: RawClient) -> None:
    assert praw.command("MONITOR", "x") == b"-ERR wrong number of arguments for 'monitor' command\r\n"


# ---------------------------------------------------------------------------------------------- DEBUG


def test_debug_refused_unless_enabled(raw: RawClient) -> None:
    assert raw.command("DEBUG", "SLEEP", "0") == DEBUG_NOT_ALLOWED
    assert raw.command("DEBUG", "HELP") == DEBUG_NOT_ALLOWED
    assert raw.command("DEBUG") == b"-ERR wrong number of arguments for 'debug' command\r\n"


def test_debug_local_allows_loopback_clients(server_factory: Any) -> None:
    sp = server_factory(enable_debug_command="local")
    c = RawClient(sp.port)
    assert c.command("DEBUG", "SLEEP", "0") == b"+OK\r\n"
    c.close()


def test_debug_help_lists_supported_subcommands(praw: RawClient) -> None:
    reply = praw.command("DEBUG", "HELP")
    assert reply.startswith(b"*")
    for sub in (b"OBJECT <key>", b"SLEEP <seconds>", b"SET-ACTIVE-EXPIRE <0|1>", b"DIGEST", b"POPULATE"):
        assert b"\r\n+" + sub in reply
    assert reply.endswith(b"+HELP\r\n+    Prints this help.\r\n")


@pytest.mark.parametrize("args,sub", [
    (("foo",), b"foo"), (("foo", "bar"), b"foo"), (("OBJECT",), b"OBJECT"), (("object", "a", "b"), b"object"),
    (("SLEEP",), b"SLEEP"), (("sleep", "1", "2"), b"sleep"), (("SET-ACTIVE-EXPIRE",), b"SET-ACTIVE-EXPIRE"),
    (("PROTOCOL",), b"PROTOCOL"), (("POPULATE",), b"POPULATE"), (("LOG",), b"LOG"), (("HELP", "x"), b"HELP"),
])
def test_debug_unknown_subcommand_or_arity(praw: RawClient, args: tuple[str, ...], sub: bytes) -> None:
    assert praw.command("DEBUG", *args) == (
        b"-ERR unknown subcommand or wrong number of arguments for '" + sub + b"'. Try DEBUG HELP.\r\n")


def test_debug_object_fields(p: redis.Redis, praw: RawClient) -> None:
    p.set("s", "hello")
    reply = praw.command("DEBUG", "OBJECT", "s")
    m = re.fullmatch(rb"\+Value at:0x[0-9a-f]+ refcount:1 encoding:embstr serializedlength:6 lru:(\d+) "
                     rb"lru_seconds_idle:(\d+)\r\n", reply)
    assert m, reply
    assert int(m.group(2)) <= 2


@pytest.mark.parametrize("value,encoding,refcount,length", [
    ("12", "int", 2147483647, 2),            # shared integer, 1-byte RDB int
    ("-129", "int", 1, 3),
    ("40000", "int", 1, 5),
    ("4000000000", "int", 1, 11),            # outside int32: saved as a string
    ("007", "embstr", 1, 4),
    ("x" * 45, "raw", 1, 12),                # LZF-compressed
    ("abcdefghijklmnopqrstuvwxyz", "embstr", 1, 27),   # incompressible
    ("01234567890123456789012345678901234567890123456789", "raw", 1, 21),
])
def test_debug_object_encoding_refcount_and_serializedlength(
        p: redis.Redis, praw: RawClient, value: str, encoding: str, refcount: int, length: int) -> None:
    p.set("k", value)
    reply = praw.command("DEBUG", "OBJECT", "k").decode()
    assert f" refcount:{refcount} encoding:{encoding} serializedlength:{length} " in reply, reply


def test_debug_object_after_append_is_raw(p: redis.Redis, praw: RawClient) -> None:
    p.set("k", "ab")
    p.append("k", "c")
    assert b"encoding:raw serializedlength:4 " in praw.command("DEBUG", "OBJECT", "k")


def test_debug_object_missing_key(praw: RawClient) -> None:
    assert praw.command("DEBUG", "OBJECT", "nokey") == b"-ERR no such key\r\n"


def test_debug_sleep_blocks_the_server(p: redis.Redis) -> None:
    start = time.monotonic()
    assert p.execute_command("DEBUG", "SLEEP", "0.2") == b"OK"
    assert time.monotonic() - start >= 0.19


@pytest.mark.parametrize("arg", ["0", "abc", "-1", "0.001", "1e-9"])
def test_debug_sleep_lenient_argument(praw: RawClient, arg: str) -> None:
    assert praw.command("DEBUG", "SLEEP", arg) == b"+OK\r\n"


def test_debug_set_active_expire_controls_background_expiry(p: redis.Redis) -> None:
    assert p.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0") == b"OK"
    for i in range(20):
        p.set(f"k{i}", i, px=1)
    # Without active expiry nothing removes the keys (DBSIZE does not touch them).
    assert stays_true(lambda: p.dbsize() == 20, 0.4)
    assert p.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1") == b"OK"
    wait_until(lambda: p.dbsize() == 0, timeout=10, message="active expiry to remove the keys")


@pytest.mark.parametrize("arg", ["x", "2", "-1"])
def test_debug_set_active_expire_lenient_argument(praw: RawClient, arg: str) -> None:
    assert praw.command("DEBUG", "SET-ACTIVE-EXPIRE", arg) == b"+OK\r\n"


def test_debug_digest(p: redis.Redis, praw: RawClient) -> None:
    assert praw.command("DEBUG", "DIGEST") == b"+" + b"0" * 40 + b"\r\n"
    p.set("a", "b")
    # computeDatasetDigest for {db0: a=b}, checked against redis-server 7.0.15
    assert praw.command("DEBUG", "DIGEST") == b"+479783d7290f02957dfbe3408a858ba13eea1709\r\n"
    p.expire("a", 100)
    with_ttl = praw.command("DEBUG", "DIGEST")
    assert with_ttl != b"+479783d7290f02957dfbe3408a858ba13eea1709\r\n"
    p.persist("a")
    p.set("z", "y")
    p.delete("z")
    assert praw.command("DEBUG", "DIGEST") == b"+479783d7290f02957dfbe3408a858ba13eea1709\r\n"


def test_debug_digest_value(p: redis.Redis, praw: RawClient) -> None:
    p.set("a", "b")
    assert praw.command("DEBUG", "DIGEST-VALUE", "a", "nokey") == (
        b"*2\r\n+b78559cd22bce6e6df712eb99ce7f3b08e8f8f1f\r\n+" + b"0" * 40 + b"\r\n")
    assert praw.command("DEBUG", "DIGEST-VALUE") == b"*0\r\n"


def test_debug_populate(p: redis.Redis, praw: RawClient) -> None:
    p.set("key:1", "mine")
    assert praw.command("DEBUG", "POPULATE", "3") == b"+OK\r\n"
    assert p.dbsize() == 3
    assert p.get("key:0") == b"value:0" and p.get("key:1") == b"mine" and p.get("key:2") == b"value:2"
    assert praw.command("DEBUG", "POPULATE", "2", "pre", "5") == b"+OK\r\n"
    assert p.get("pre:1") == b"value"
    assert praw.command("DEBUG", "POPULATE", "1", "pad", "10") == b"+OK\r\n"
    assert p.get("pad:0") == b"value:0\x00\x00\x00"
    assert praw.command("DEBUG", "POPULATE", "0") == b"+OK\r\n"


@pytest.mark.parametrize("args", [("-1",), ("x",), ("1", "a", "b"), ("1", "a", "-1")])
def test_debug_populate_errors(praw: RawClient, args: tuple[str, ...]) -> None:
    assert praw.command("DEBUG", "POPULATE", *args) == b"-ERR value is out of range, must be positive\r\n"


def test_debug_populate_too_many_arguments(praw: RawClient) -> None:
    assert praw.command("DEBUG", "POPULATE", "1", "a", "1", "1") == (
        b"-ERR unknown subcommand or wrong number of arguments for 'POPULATE'. Try DEBUG HELP.\r\n")


PROTOCOL_RESP2 = {
    "string": b"$11\r\nHello World\r\n",
    "integer": b":12345\r\n",
    "double": b"$5\r\n3.141\r\n",
    "bignum": b"$37\r\n1234567999999999999999999999999999999\r\n",
    "null": b"$-1\r\n",
    "array": b"*3\r\n:0\r\n:1\r\n:2\r\n",
    "set": b"*3\r\n:0\r\n:1\r\n:2\r\n",
    "map": b"*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n",
    "attrib": b"$39\r\nSome real reply following the attribute\r\n",
    "push": b"-ERR RESP2 is not supported by this command\r\n",
    "verbatim": b"$25\r\nThis is a verbatim\nstring\r\n",
    "true": b":1\r\n",
    "false": b":0\r\n",
}


@pytest.mark.parametrize("kind", sorted(PROTOCOL_RESP2))
def test_debug_protocol_resp2(praw: RawClient, kind: str) -> None:
    assert praw.command("DEBUG", "PROTOCOL", kind) == PROTOCOL_RESP2[kind]


PROTOCOL_RESP3 = {
    "double": b",3.141\r\n",
    "bignum": b"(1234567999999999999999999999999999999\r\n",
    "null": b"_\r\n",
    "set": b"~3\r\n:0\r\n:1\r\n:2\r\n",
    "map": b"%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n",
    "verbatim": b"=29\r\ntxt:This is a verbatim\nstring\r\n",
    "true": b"#t\r\n",
}


@pytest.mark.parametrize("kind", sorted(PROTOCOL_RESP3))
def test_debug_protocol_resp3(praw: RawClient, kind: str) -> None:
    assert praw.command("HELLO", "3").startswith(b"%")
    assert praw.command("DEBUG", "PROTOCOL", kind) == PROTOCOL_RESP3[kind]


def test_debug_protocol_resp3_attrib_and_push(praw: RawClient) -> None:
    praw.command("HELLO", "3")
    praw.send(b"DEBUG PROTOCOL attrib\r\n")
    assert praw.read_reply() == (b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"
                                 b"$39\r\nSome real reply following the attribute\r\n")
    praw.send(b"DEBUG PROTOCOL push\r\n")
    assert praw.read_reply() == b">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n"
    assert praw.read_reply() == b"$40\r\nSome real reply following the push reply\r\n"


def test_debug_protocol_unknown_type(praw: RawClient) -> None:
    assert praw.command("DEBUG", "PROTOCOL", "foo") == (
        b"-ERR Wrong protocol type name. Please use one of the following: "
        b"string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false\r\n")


def test_debug_error_replies_with_the_given_text(praw: RawClient) -> None:
    assert praw.command("DEBUG", "ERROR", "FOO bar") == b"-FOO bar\r\n"
    assert praw.command("DEBUG", "ERROR", "-FOO bar") == b"--FOO bar\r\n"


def test_debug_log_writes_to_the_server_log(private: ServerProcess, praw: RawClient) -> None:
    assert praw.command("DEBUG", "LOG", "hello from the tests") == b"+OK\r\n"
    wait_until(lambda: "# DEBUG LOG: hello from the tests" in private.log_tail(), timeout=5, message="log line")


def test_debug_change_repl_id(p: redis.Redis) -> None:
    before = p.info("replication")["master_replid"]
    assert p.execute_command("DEBUG", "CHANGE-REPL-ID") == b"OK"
    after = p.info("replication")
    assert after["master_replid"] != before and re.fullmatch(r"[0-9a-f]{40}", after["master_replid"])
    assert after["master_replid2"] == 0     # redis-py reads the forty zeros as a number


# ---------------------------------------------------------------------------------------------- MEMORY


def test_memory_usage_missing_key_is_nil(raw: RawClient) -> None:
    assert raw.command("MEMORY", "USAGE", "nokey") == b"$-1\r\n"
    assert raw.command("MEMORY", "USAGE", "nokey", "SAMPLES", "0") == b"$-1\r\n"


def test_memory_usage_grows_with_the_value(r: redis.Redis) -> None:
    r.set("small", "x")
    r.set("big", "x" * 10000)
    small = r.memory_usage("small")
    big = r.memory_usage("big")
    assert small is not None and big is not None
    assert 0 < small < 200
    assert 10000 < big < 10400


def test_memory_usage_samples_option(r: redis.Redis) -> None:
    r.set("k", "v")
    assert r.memory_usage("k", samples=0) == r.memory_usage("k", samples=5) == r.memory_usage("k")
    assert r.execute_command("MEMORY", "USAGE", "k", "samples", "1", "SAMPLES", "2") == r.memory_usage("k")


@pytest.mark.parametrize("args,error", [
    (("SAMPLES",), b"-ERR syntax error\r\n"),
    (("SAMPLES", "-1"), b"-ERR syntax error\r\n"),
    (("SAMPLES", "x"), b"-ERR value is not an integer or out of range\r\n"),
    (("FOO", "1"), b"-ERR syntax error\r\n"),
    (("SAMPLES", "1", "x"), b"-ERR syntax error\r\n"),
])
def test_memory_usage_option_errors(raw: RawClient, args: tuple[str, ...], error: bytes) -> None:
    raw.command("SET", "k", "v")
    assert raw.command("MEMORY", "USAGE", "k", *args) == error
    assert raw.command("MEMORY", "USAGE", "nokey", *args) == error   # options are parsed before the lookup


def test_memory_help(raw: RawClient) -> None:
    reply = raw.command("MEMORY", "HELP")
    assert reply.startswith(b"*14\r\n+MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n")
    assert b"+USAGE <key> [SAMPLES <count>]\r\n" in reply


def test_memory_stats_is_a_map_with_redis_fields(r: redis.Redis) -> None:
    r.set("a", 1)
    stats = r.memory_stats()
    for field in ("peak.allocated", "total.allocated", "startup.allocated", "keys.count", "dataset.bytes",
                  "overhead.total", "fragmentation", "db.0"):
        assert field in stats, stats
    assert stats["keys.count"] == 1
    assert stats["db.0"]["overhead.hashtable.main"] > 0


def test_memory_doctor_purge_and_malloc_stats(raw: RawClient) -> None:
    assert raw.command("MEMORY", "DOCTOR").startswith(b"$")
    assert raw.command("MEMORY", "PURGE") == b"+OK\r\n"
    assert raw.command("MEMORY", "MALLOC-STATS") == b"$45\r\nStats not supported for the current allocator\r\n"


@pytest.mark.parametrize("args,error", [
    (("MEMORY",), b"-ERR wrong number of arguments for 'memory' command\r\n"),
    (("MEMORY", "USAGE"), b"-ERR wrong number of arguments for 'memory|usage' command\r\n"),
    (("MEMORY", "STATS", "x"), b"-ERR wrong number of arguments for 'memory|stats' command\r\n"),
    (("MEMORY", "foo"), b"-ERR unknown subcommand 'foo'. Try MEMORY HELP.\r\n"),
])
def test_memory_arity_and_unknown_subcommand(raw: RawClient, args: tuple[str, ...], error: bytes) -> None:
    assert raw.command(*args) == error
