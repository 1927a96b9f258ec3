"""Blocking list commands (BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP) and CLIENT UNBLOCK on pyredcache: wakeups,
FIFO order, timeouts, MULTI, disconnects, deferred pipelines."""
from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from helpers.rawclient import RawClient, encode_command
from helpers.wait import wait_until


@pytest.fixture
def clients(port: int) -> Iterator[list[RawClient]]:
    made: list[RawClient] = []
    yield made
    for c in made:
        c.close()


def _client(port: int, clients: list[RawClient]) -> RawClient:
    c = RawClient(port)
    clients.append(c)
    return c


def _blocked(r, n: int) -> bool:
    return int(r.info("clients")["blocked_clients"]) == n


def _block(r, c: RawClient, *args: str, n: int = 1) -> None:
    c.send(encode_command(*args))
    wait_until(lambda: _blocked(r, n), timeout=5, message=f"{n} blocked clients")


def test_blpop_immediate_when_list_exists(r, raw):
    r.rpush("l", "a", "b")
    assert raw.command("BLPOP", "none", "l", "0") == b"*2\r\n$1\r\nl\r\n$1\r\na\r\n"
    assert raw.command("BRPOP", "l", "0") == b"*2\r\n$1\r\nl\r\n$1\r\nb\r\n"
    assert r.exists("l") == 0


def test_blpop_served_by_lpush(r, port, clients):
    c = _client(port, clients)
    _block(r, c, "BLPOP", "k1", "k2", "0")
    r.rpush("k2", "x", "y")
    assert c.read_reply() == b"*2\r\n$2\r\nk2\r\n$1\r\nx\r\n"
    assert r.lrange("k2", 0, -1) == [b"y"]
    assert _blocked(r, 0)


def test_brpop_served_takes_tail(r, port, clients):
    c = _client(port, clients)
    _block(r, c, "BRPOP", "k", "0")
    r.rpush("k", "a", "b", "c")
    assert c.read_reply() == b"*2\r\n$1\r\nk\r\n$1\r\nc\r\n"


def test_blpop_fifo_order(r, port, clients):
    a = _client(port, clients)
    b = _client(port, clients)
    _block(r, a, "BLPOP", "k", "0", n=1)
    _block(r, b, "BLPOP", "k", "0", n=2)
    r.rpush("k", "1")
    assert a.read_reply() == b"*2\r\n$1\r\nk\r\n$1\r\n1\r\n"
    r.rpush("k", "2")
    assert b.read_reply() == b"*2\r\n$1\r\nk\r\n$1\r\n2\r\n"


def test_blpop_two_served_by_one_push(r, port, clients):
    a = _client(port, clients)
    b = _client(port, clients)
    _block(r, a, "BLPOP", "k", "0", n=1)
    _block(r, b, "BLPOP", "k", "0", n=2)
    r.rpush("k", "1", "2", "3")
    assert a.read_reply().endswith(b"$1\r\n1\r\n")
    assert b.read_reply().endswith(b"$1\r\n2\r\n")
    assert r.lrange("k", 0, -1) == [b"3"]


def test_blpop_timeout_subsecond(r, port, clients):
    c = _client(port, clients)
    start = time.monotonic()
    assert c.command("BLPOP", "k", "0.2") == b"*-1\r\n"
    elapsed = time.monotonic() - start
    assert 0.15 <= elapsed < 2
    assert _blocked(r, 0)


def test_blpop_timeout_resp3_null(r, port, clients):
    c = _client(port, clients)
    c.command("HELLO", "3")
    assert c.command("BLPOP", "k", "0.05") == b"_\r\n"
    assert c.command("BLMOVE", "k", "d", "LEFT", "LEFT", "0.05") == b"_\r\n"


def test_blpop_errors(r, raw):
    assert raw.command("BLPOP", "k") == b"-ERR wrong number of arguments for 'blpop' command\r\n"
    assert raw.command("BLPOP", "k", "x") == b"-ERR timeout is not a float or out of range\r\n"
    assert raw.command("BLPOP", "k", "-1") == b"-ERR timeout is negative\r\n"
    assert raw.command("BLPOP", "k", "inf") == b"-ERR timeout is negative\r\n"
    assert raw.command("BLPOP", "k", "1e30") == b"-ERR timeout is negative\r\n"
    r.set("s", "v")
    assert raw.command("BLPOP", "s", "0").startswith(b"-WRONGTYPE")


def test_blpop_in_multi_does_not_block(r, raw):
    raw.command("MULTI")
    assert raw.command("BLPOP", "k", "0") == b"+QUEUED\r\n"
    assert raw.command("BLMOVE", "k", "d", "LEFT", "LEFT", "0") == b"+QUEUED\r\n"
    assert raw.command("BLMPOP", "0", "1", "k", "LEFT") == b"+QUEUED\r\n"
    assert raw.command("EXEC") == b"*3\r\n*-1\r\n$-1\r\n*-1\r\n"


def test_blocked_client_pipeline_deferred(r, port, clients):
    c = _client(port, clients)
    c.send(encode_command("BLPOP", "k", "0") + encode_command("PING"))
    wait_until(lambda: _blocked(r, 1), timeout=5)
    r.rpush("k", "v")
    assert c.read_reply() == b"*2\r\n$1\r\nk\r\n$1\r\nv\r\n"
    assert c.read_reply() == b"+PONG\r\n"


def test_blocked_client_disconnect_forgotten(r, port, clients):
    c = _client(port, clients)
    _block(r, c, "BLPOP", "k", "0")
    c.close()
    wait_until(lambda: _blocked(r, 0), timeout=5)
    r.rpush("k", "v")
    assert r.lrange("k", 0, -1) == [b"v"]


def test_blmove_served(r, port, clients):
    c = _client(port, clients)
    _block(r, c, "BLMOVE", "src", "dst", "RIGHT", "LEFT", "0")
    r.rpush("src", "a", "b")
    assert c.read_reply() == b"$1\r\nb\r\n"
    assert r.lrange("dst", 0, -1) == [b"b"]
    assert r.lrange("src", 0, -1) == [b"a"]


def test_blmove_chain_wakes_client_on_destination(r, port, clients):
    a = _client(port, clients)
    b = _client(port, clients)
    _block(r, a, "BLPOP", "dst", "0", n=1)
    _block(r, b, "BRPOPLPUSH", "src", "dst", "0", n=2)
    r.rpush("src", "x")
    assert b.read_reply() == b"$1\r\nx\r\n"
    assert a.read_reply() == b"*2\r\n$3\r\ndst\r\n$1\r\nx\r\n"
    assert r.exists("src", "dst") == 0


def test_blmove_wrongtype_destination_when_served(r, port, clients):
    c = _client(port, clients)
    _block(r, c, "BLMOVE", "src", "dst", "LEFT", "LEFT", "0")
    r.set("dst", "str")
    r.rpush("src", "a")
    assert c.read_reply().startswith(b"-WRONGTYPE")
    assert r.lrange("src", 0, -1) == [b"a"]


def test_blmove_errors(r, raw):
    assert raw.command("BLMOVE", "a", "b", "UP", "LEFT", "0") == b"-ERR syntax error\r\n"
    assert raw.command("BLMOVE", "a", "b", "LEFT", "LEFT", "x") == b"-ERR timeout is not a float or out of range\r\n"
    assert raw.command("BRPOPLPUSH", "a", "b", "-1") == b"-ERR timeout is negative\r\n"
    assert raw.command("BRPOPLPUSH", "a", "b", "0.01") == b"*-1\r\n"


def test_blmpop_immediate_and_count(r, raw):
    r.rpush("b", "1", "2", "3")
    assert raw.command("BLMPOP", "0", "2", "a", "b", "RIGHT", "COUNT", "2") == (
        b"*2\r\n$1\r\nb\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n")


def test_blmpop_served_with_count(r, port, clients):
    c = _client(port, clients)
    _block(r, c, "BLMPOP", "0", "2", "a", "b", "LEFT", "COUNT", "5")
    r.rpush("b", "1", "2")
    assert c.read_reply() == b"*2\r\n$1\r\nb\r\n*2\r\n$1\r\n1\r\n$1\r\n2\r\n"
    assert r.exists("b") == 0


def test_blmpop_errors(r, raw):
    assert raw.command("BLMPOP", "0", "0", "a", "LEFT") == b"-ERR numkeys should be greater than 0\r\n"
    assert raw.command("BLMPOP", "0", "1", "a", "UP") == b"-ERR syntax error\r\n"
    assert raw.command("BLMPOP", "x", "1", "a", "LEFT") == b"-ERR timeout is not a float or out of range\r\n"
    assert raw.command("BLMPOP", "0", "1", "a", "LEFT", "COUNT", "0") == b"-ERR count should be greater than 0\r\n"
    assert raw.command("BLMPOP", "0.01", "1", "a", "LEFT") == b"*-1\r\n"


def test_client_unblock_timeout_and_error(r, port, clients):
    c = _client(port, clients)
    cid = int(c.command("CLIENT", "ID")[1:-2])
    _block(r, c, "BLPOP", "k", "0")
    assert r.execute_command("CLIENT", "UNBLOCK", cid) == 1
    assert c.read_reply() == b"*-1\r\n"
    _block(r, c, "BLMOVE", "k", "d", "LEFT", "LEFT", "0")
    assert r.execute_command("CLIENT", "UNBLOCK", cid, "ERROR") == 1
    assert c.read_reply() == b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    assert r.execute_command("CLIENT", "UNBLOCK", cid) == 0
    assert c.command("PING") == b"+PONG\r\n"


def test_client_unblock_errors(r, raw):
    assert raw.command("CLIENT", "UNBLOCK", "x") == b"-ERR value is not an integer or out of range\r\n"
    assert raw.command("CLIENT", "UNBLOCK", "1", "foo") == b"-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n"
    assert raw.command("CLIENT", "UNBLOCK", "99999") == b":0\r\n"
    assert raw.command("CLIENT", "unblock", "1", "TIMEOUT", "x").startswith(
        b"-ERR unknown subcommand or wrong number of arguments for 'unblock'")


def test_blocked_clients_info_and_client_list(r, port, clients):
    c = _client(port, clients)
    _block(r, c, "BLPOP", "k", "10")
    info = r.info("clients")
    assert info["blocked_clients"] == 1
    assert info["clients_in_timeout_table"] == 1
    assert any("b" in entry["flags"] for entry in r.client_list())
    r.rpush("k", "v")
    c.read_reply()
    assert r.info("clients")["clients_in_timeout_table"] == 0


def test_blpop_waits_on_its_own_db(r, port, clients):
    c = _client(port, clients)
    c.command("SELECT", "1")
    _block(r, c, "BLPOP", "k", "0")
    r.rpush("k", "db0")
    r.execute_command("SELECT", "1")
    r.rpush("k", "db1")
    assert c.read_reply() == b"*2\r\n$1\r\nk\r\n$3\r\ndb1\r\n"
    r.execute_command("SELECT", "0")
    assert r.lrange("k", 0, -1) == [b"db0"]


def test_blpop_woken_by_swapdb(r, port, clients):
    c = _client(port, clients)
    _block(r, c, "BLPOP", "k", "0")
    r.execute_command("SELECT", "1")
    r.rpush("k", "v")
    r.execute_command("SWAPDB", "0", "1")
    assert c.read_reply() == b"*2\r\n$1\r\nk\r\n$1\r\nv\r\n"
