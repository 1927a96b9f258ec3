"""Blocking list commands and CLIENT UNBLOCK, reply for reply against redis-server 7.0.15: table rows,
errors, immediate replies, timeouts, MULTI, and wakeups seen by a second connection on each server."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from helpers.oracle import BlockingPair, Oracle, wait_blocked
from helpers.rawclient import encode_command

pytestmark = pytest.mark.oracle

BLOCKING_COMMANDS = ("blpop", "brpop", "blmove", "brpoplpush", "blmpop")


@pytest.fixture
def pair(pyredcache_proc, redis_proc) -> Iterator[BlockingPair]:
    p = BlockingPair(pyredcache_proc.port, redis_proc.port)
    yield p
    p.close()


@pytest.mark.parametrize("name", BLOCKING_COMMANDS)
def test_command_info_rows_match(oracle, name):
    oracle.do("COMMAND", "INFO", name)


@pytest.mark.parametrize("name", BLOCKING_COMMANDS)
def test_command_docs_match(oracle, name):
    oracle.do("COMMAND", "DOCS", name)


def test_client_unblock_row_matches(oracle):
    oracle.do("COMMAND", "INFO", "client|unblock")


def test_command_getkeys_match(oracle):
    oracle.do("COMMAND", "GETKEYS", "blpop", "a", "b", "0")
    oracle.do("COMMAND", "GETKEYS", "blmove", "a", "b", "left", "right", "0")
    oracle.do("COMMAND", "GETKEYS", "brpoplpush", "a", "b", "0")
    oracle.do("COMMAND", "GETKEYS", "blmpop", "0", "2", "a", "b", "left")


def test_blpop_brpop_errors_match(oracle):
    for name in ("BLPOP", "BRPOP"):
        oracle.error(name, "k")
        oracle.error(name, "k", "x")
        oracle.error(name, "k", "-1")
        oracle.error(name, "k", "inf")
        oracle.error(name, "k", "nan")
        oracle.error(name, "k", "1e30")
        oracle.error(name, "k", "-inf")
        oracle.do("SET", "s", "v")
        oracle.error(name, "s", "0")
        oracle.error(name, "s", "x")


def test_blmove_brpoplpush_errors_match(oracle):
    oracle.error("BLMOVE", "a", "b", "UP", "LEFT", "0")
    oracle.error("BLMOVE", "a", "b", "LEFT", "DOWN", "x")
    oracle.error("BLMOVE", "a", "b", "LEFT", "LEFT", "x")
    oracle.error("BLMOVE", "a", "b", "LEFT", "LEFT", "-0.5")
    oracle.error("BLMOVE", "a", "b", "LEFT")
    oracle.error("BRPOPLPUSH", "a", "b", "-1")
    oracle.error("BRPOPLPUSH", "a", "b")
    oracle.do("SET", "s", "v")
    oracle.error("BRPOPLPUSH", "s", "b", "0")
    oracle.do("RPUSH", "l", "1")
    oracle.error("BRPOPLPUSH", "l", "s", "0")
    oracle.do("LRANGE", "l", "0", "-1")


def test_blmpop_errors_match(oracle):
    oracle.error("BLMPOP", "0", "0", "a", "LEFT")
    oracle.error("BLMPOP", "0", "-1", "a", "LEFT")
    oracle.error("BLMPOP", "0", "x", "a", "LEFT")
    oracle.error("BLMPOP", "0", "3", "a", "LEFT")
    oracle.error("BLMPOP", "0", "1", "a", "UP")
    oracle.error("BLMPOP", "x", "1", "a", "LEFT")
    oracle.error("BLMPOP", "-1", "1", "a", "LEFT")
    oracle.error("BLMPOP", "x", "0", "a", "LEFT")
    oracle.error("BLMPOP", "0", "1", "a", "LEFT", "COUNT", "0")
    oracle.error("BLMPOP", "0", "1", "a", "LEFT", "COUNT")
    oracle.error("BLMPOP", "0", "1", "a", "LEFT", "COUNT", "1", "COUNT", "1")
    oracle.error("BLMPOP", "0", "1", "a")
    oracle.do("SET", "s", "v")
    oracle.error("BLMPOP", "0", "1", "s", "LEFT")


def test_immediate_replies_match(oracle):
    oracle.do("RPUSH", "a", "1", "2", "3", "4")
    oracle.do("BLPOP", "none", "a", "0")
    oracle.do("BRPOP", "a", "none", "0")
    oracle.do("BLMOVE", "a", "b", "LEFT", "RIGHT", "0")
    oracle.do("BRPOPLPUSH", "a", "b", "0")
    oracle.do("LRANGE", "b", "0", "-1")
    oracle.do("BLMPOP", "0", "2", "none", "b", "RIGHT", "COUNT", "10")
    oracle.do("EXISTS", "a", "b")


def test_timeouts_match(oracle):
    oracle.do("BLPOP", "k", "0.01")
    oracle.do("BRPOP", "k", "k2", "0.01")
    oracle.do("BLMOVE", "k", "d", "LEFT", "LEFT", "0.01")
    oracle.do("BRPOPLPUSH", "k", "d", "0.01")
    oracle.do("BLMPOP", "0.01", "1", "k", "LEFT")
    oracle.both("HELLO", "3")   # client ids differ
    oracle.do("BLPOP", "k", "0.01")
    oracle.do("BLMOVE", "k", "d", "LEFT", "LEFT", "0.01")
    oracle.do("BLMPOP", "0.01", "1", "k", "LEFT", "COUNT", "3")


def test_multi_does_not_block_match(oracle):
    oracle.do("MULTI")
    oracle.do("BLPOP", "k", "0")
    oracle.do("BRPOP", "k", "0")
    oracle.do("BLMOVE", "k", "d", "LEFT", "LEFT", "0")
    oracle.do("BRPOPLPUSH", "k", "d", "0")
    oracle.do("BLMPOP", "0", "1", "k", "LEFT")
    oracle.do("RPUSH", "k", "v")
    oracle.do("BLPOP", "k", "0")
    oracle.do("EXEC")


def test_client_unblock_errors_match(oracle):
    oracle.error("CLIENT", "UNBLOCK", "x")
    oracle.error("CLIENT", "UNBLOCK", "1", "foo")
    oracle.error("CLIENT", "UNBLOCK", "x", "foo")
    oracle.error("CLIENT", "unblock", "1", "TIMEOUT", "x")
    oracle.error("CLIENT", "UNBLOCK")
    oracle.do("CLIENT", "UNBLOCK", "999999")
    oracle.do("CLIENT", "UNBLOCK", "999999", "error")


def test_wakeup_replies_match(oracle, pair):
    pair.send("BLPOP", "k1", "k2", "0")
    wait_blocked(oracle, 1)
    oracle.do("RPUSH", "k2", "a", "b")
    pair.reply()
    pair.send("BRPOP", "k2", "0")
    pair.reply()
    pair.send("BLMPOP", "0", "2", "x", "y", "RIGHT", "COUNT", "2")
    wait_blocked(oracle, 1)
    oracle.do("LPUSH", "y", "1", "2", "3")
    pair.reply()
    oracle.do("LRANGE", "y", "0", "-1")
    pair.send("BLMOVE", "src", "dst", "RIGHT", "LEFT", "0")
    wait_blocked(oracle, 1)
    oracle.do("RPUSH", "src", "p", "q")
    pair.reply()
    oracle.do("LRANGE", "dst", "0", "-1")
    oracle.do("LRANGE", "src", "0", "-1")


def test_wakeup_after_exec_match(oracle, pair):
    pair.send("BLPOP", "k", "0")
    wait_blocked(oracle, 1)
    oracle.do("MULTI")
    oracle.do("RPUSH", "k", "a")
    oracle.do("RPUSH", "k", "b")
    oracle.do("EXEC")
    pair.reply()
    oracle.do("LRANGE", "k", "0", "-1")


def test_wakeup_emptied_in_exec_stays_blocked_match(oracle, pair):
    pair.send("BLPOP", "k", "0.3")
    wait_blocked(oracle, 1)
    oracle.do("MULTI")
    oracle.do("RPUSH", "k", "a")
    oracle.do("LPOP", "k")
    oracle.do("EXEC")
    pair.reply()


def test_client_unblock_replies_match(oracle, pair):
    pair.send("CLIENT", "ID")
    ours_id = int(pair.ours.read_reply()[1:-2])
    redis_id = int(pair.redis.read_reply()[1:-2])
    for reason in ("TIMEOUT", "ERROR"):
        pair.send("BLMOVE", "k", "d", "LEFT", "LEFT", "0")
        wait_blocked(oracle, 1)
        a = oracle.ours.command("CLIENT", "UNBLOCK", ours_id, reason)
        b = oracle.redis.command("CLIENT", "UNBLOCK", redis_id, reason)
        assert a == b == b":1\r\n"
        pair.reply()
    pair.send("PING")
    pair.reply()


def _pipeline_both(oracle: Oracle, *commands: tuple[str, ...]) -> None:
    """Send `commands` in one write to each server and compare the replies one by one."""
    data = b"".join(encode_command(*cmd) for cmd in commands)
    oracle.ours.send(data)
    oracle.redis.send(data)
    for cmd in commands:
        ours, theirs = oracle.ours.read_reply(), oracle.redis.read_reply()
        assert ours == theirs, f"{cmd}: pyredcache {ours!r} != redis {theirs!r}"


@pytest.mark.parametrize("first", [("SELECT", "0"), ("CLIENT", "SETNAME", "x")])
def test_blocked_client_served_before_the_next_pipelined_command_match(oracle, pair, first):
    """Redis serves blocked clients right after the command that pushed, before the pusher's next
    command: a pipelined LPOP after the RPUSH finds the list already emptied by the blocked BLPOP.
    `first` sends the pipeline through the generic path once (CLIENT SETNAME) and the fast path once."""
    pair.send("BLPOP", "k", "0")
    wait_blocked(oracle, 1)
    _pipeline_both(oracle, first, ("RPUSH", "k", "a"), ("LPOP", "k"), ("LLEN", "k"))
    pair.reply()


def test_blocked_client_served_after_exec_before_next_command_match(oracle, pair):
    pair.send("BLPOP", "k", "0")
    wait_blocked(oracle, 1)
    _pipeline_both(oracle, ("MULTI",), ("RPUSH", "k", "a", "b"), ("EXEC",), ("LPOP", "k"), ("LRANGE", "k", "0", "-1"))
    pair.reply()


@pytest.mark.parametrize("how", ["rename", "copy", "move", "restore-by-swapdb"])
def test_list_arriving_by_key_command_wakes_blocked_client_match(oracle, pair, how):
    """A list that appears under a waited key by RENAME, COPY, MOVE or SWAPDB serves the blocked client."""
    pair.send("BLPOP", "k", "0")
    wait_blocked(oracle, 1)
    if how == "rename":
        oracle.do("RPUSH", "src", "a")
        _pipeline_both(oracle, ("RENAME", "src", "k"), ("EXISTS", "k"))
    elif how == "copy":
        oracle.do("RPUSH", "src", "a", "b")
        _pipeline_both(oracle, ("COPY", "src", "k"), ("LRANGE", "k", "0", "-1"))
    elif how == "move":
        oracle.do("SELECT", "1")
        oracle.do("RPUSH", "k", "a")
        _pipeline_both(oracle, ("MOVE", "k", "0"), ("SELECT", "0"), ("EXISTS", "k"))
    else:
        oracle.do("SELECT", "1")
        oracle.do("RPUSH", "k", "a", "b")
        _pipeline_both(oracle, ("SWAPDB", "0", "1"), ("SELECT", "1"), ("LRANGE", "k", "0", "-1"))
    pair.reply()
