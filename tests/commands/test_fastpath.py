"""The plain-request fast path keeps every observable effect of the pipeline: stats, slowlog, monitor, errors."""
from __future__ import annotations

import redis
from helpers.rawclient import RawClient


def _info(raw: RawClient, section: str) -> dict[str, str]:
    """INFO over the raw connection (redis-py's own handshake commands would add to the counters)."""
    text = raw.command("INFO", section).split(b"\r\n", 1)[1].decode()
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def _cmdstat(raw: RawClient, name: str) -> dict[str, int]:
    fields = _info(raw, "commandstats")[f"cmdstat_{name}"]
    return {k: int(float(v)) for k, v in (kv.split("=") for kv in fields.split(","))}


def test_fast_and_pipeline_spellings_count_in_the_same_row(server_factory):
    sp = server_factory()
    raw = RawClient(sp.port)
    assert raw.command("SET", "k", "v") == b"+OK\r\n"      # fast path (usual spelling)
    assert raw.command("sEt", "k", "w") == b"+OK\r\n"      # pipeline (spelling the fast path does not know)
    assert raw.command("GET", "k") == b"$1\r\nw\r\n"
    assert _cmdstat(raw, "set")["calls"] == 2
    assert _cmdstat(raw, "get")["calls"] == 1
    assert "latency_percentiles_usec_set" in _info(raw, "latencystats")


def test_fast_path_failures_count_as_failed_calls_and_errorstats(server_factory):
    sp = server_factory()
    raw = RawClient(sp.port)
    raw.command("SET", "s", "abc")
    assert raw.command("INCR", "s") == b"-ERR value is not an integer or out of range\r\n"
    assert _cmdstat(raw, "incr")["failed_calls"] == 1
    assert _info(raw, "errorstats")["errorstat_ERR"] == "count=1"


def test_fast_path_commands_reach_the_slowlog(server_factory):
    sp = server_factory(slowlog_log_slower_than=0)
    raw = RawClient(sp.port)
    raw.command("SLOWLOG", "RESET")
    raw.command("GET", "slowkey")
    client = redis.Redis(port=sp.port, protocol=2)
    entries = client.slowlog_get(10)
    assert any(e["command"] == b"GET slowkey" for e in entries)


def test_fast_path_commands_are_seen_by_monitor(server_factory):
    sp = server_factory()
    mon = RawClient(sp.port)
    assert mon.command("MONITOR") == b"+OK\r\n"
    raw = RawClient(sp.port)
    raw.command("SET", "seen", "1")
    line = mon.read_reply()
    assert line.endswith(b'"SET" "seen" "1"\r\n'), line


def test_fast_path_updates_client_list_cmd(server_factory):
    sp = server_factory()
    raw = RawClient(sp.port)
    raw.command("GET", "x")
    info = raw.command("CLIENT", "INFO")
    assert b" cmd=client|info " in info
    other = RawClient(sp.port)
    other.command("CLIENT", "SETNAME", "watcher")
    listing = other.command("CLIENT", "LIST")
    assert b"cmd=client|info" in listing


def test_commands_after_quit_in_the_same_read_do_not_run(server_factory):
    sp = server_factory()
    raw = RawClient(sp.port)
    raw.send(b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*1\r\n$4\r\nQUIT\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n")
    assert raw.read_until_closed() == b"+OK\r\n+OK\r\n"
    assert redis.Redis(port=sp.port).exists("a", "b") == 1
