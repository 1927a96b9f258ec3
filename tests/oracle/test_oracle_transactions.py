"""Transactions (MULTI EXEC DISCARD WATCH UNWATCH): identical replies from pyredcache and redis-server 7.0.15,
including WATCH invalidation by another connection's writes, FLUSHDB/FLUSHALL, SWAPDB and expiry."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from helpers.oracle import Oracle
from helpers.procs import ServerProcess
from helpers.wait import wait_until

pytestmark = pytest.mark.oracle


@pytest.fixture
def other(pyredcache_proc: ServerProcess, redis_proc: ServerProcess) -> Iterator[Oracle]:
    """A second connection to each server (the writer that breaks WATCHes)."""
    o = Oracle(pyredcache_proc.port, redis_proc.port)
    yield o
    o.close()


def _expire_both(o: Oracle, key: str) -> None:
    """Wait (bounded) until `key` has expired on both servers, looking at a probe key set right after it."""
    wait_until(lambda: o.both("EXISTS", key + ":probe") == (b":0\r\n", b":0\r\n"), timeout=5,
               message=f"{key}:probe to expire")


# ------------------------------------------------------------------------------------------------ MULTI EXEC


def test_multi_exec_runs_the_queue(oracle: Oracle) -> None:
    oracle.do("MULTI")
    oracle.do("SET", "a", "1")
    oracle.do("INCR", "a")
    oracle.do("GET", "a")
    oracle.do("INCRBY", "a", "x")   # a runtime error does not abort the others
    oracle.do("APPEND", "a", "z")
    assert oracle.do("EXEC") == b"*5\r\n+OK\r\n:2\r\n$1\r\n2\r\n-ERR value is not an integer or out of range\r\n:2\r\n"
    oracle.do("GET", "a")


def test_multi_exec_empty(oracle: Oracle) -> None:
    oracle.do("MULTI")
    assert oracle.do("EXEC") == b"*0\r\n"


def test_multi_nested_is_an_error_that_keeps_the_transaction(oracle: Oracle) -> None:
    oracle.do("MULTI")
    oracle.error("MULTI")
    oracle.do("SET", "k", "v")
    assert oracle.do("EXEC") == b"*1\r\n+OK\r\n"


def test_multi_arity(oracle: Oracle) -> None:
    oracle.error("MULTI", "x")
    oracle.error("EXEC", "x")
    oracle.error("DISCARD", "x")
    oracle.error("UNWATCH", "x")
    oracle.error("WATCH")


def test_exec_without_multi(oracle: Oracle) -> None:
    assert oracle.error("EXEC") == b"-ERR EXEC without MULTI\r\n"


def test_discard_without_multi(oracle: Oracle) -> None:
    assert oracle.error("DISCARD") == b"-ERR DISCARD without MULTI\r\n"


def test_discard_drops_the_queue(oracle: Oracle) -> None:
    oracle.do("MULTI")
    oracle.do("SET", "k", "v")
    oracle.do("DISCARD")
    oracle.do("EXISTS", "k")
    oracle.error("EXEC")


def test_exec_aborts_after_a_rejected_command(oracle: Oracle) -> None:
    oracle.do("MULTI")
    oracle.do("SET", "k", "v")
    oracle.error("SET")                    # wrong arity: rejected while queueing
    oracle.error("NOSUCHCOMMAND", "x")     # unknown command
    oracle.do("SET", "k2", "v")
    assert oracle.error("EXEC") == b"-EXECABORT Transaction discarded because of previous errors.\r\n"
    oracle.do("EXISTS", "k", "k2")
    oracle.error("EXEC")                   # the transaction is over


def test_exec_abort_for_unknown_subcommand(oracle: Oracle) -> None:
    oracle.do("MULTI")
    oracle.error("CLIENT", "nosuch")
    oracle.error("EXEC")


def test_multi_not_allowed_commands(oracle: Oracle) -> None:
    oracle.do("MULTI")
    assert oracle.error("WATCH", "k") == b"-ERR WATCH inside MULTI is not allowed\r\n"
    oracle.do("SET", "k", "v")
    assert oracle.do("EXEC") == b"*1\r\n+OK\r\n"   # WATCH's error does not abort


def test_exec_queued_command_errors_in_place(oracle: Oracle) -> None:
    oracle.do("SET", "s", "x")
    oracle.do("MULTI")
    oracle.do("INCR", "s")
    oracle.do("SET", "t", "1", "EX", "0")
    oracle.do("MONITOR")
    oracle.do("UNWATCH")
    oracle.do("PING")
    oracle.do("EXEC")


def test_exec_resp3_replies(oracle: Oracle) -> None:
    oracle.both("HELLO", "3")   # (the client ids differ)
    oracle.do("MULTI")
    oracle.do("SET", "k", "1")
    oracle.do("GET", "nosuch")
    oracle.do("EXEC")
    oracle.both("HELLO", "2")


def test_exec_select_inside_multi(oracle: Oracle) -> None:
    oracle.do("MULTI")
    oracle.do("SELECT", "1")
    oracle.do("SET", "k", "in1")
    oracle.do("EXEC")
    oracle.do("GET", "k")
    oracle.do("SELECT", "0")
    oracle.do("GET", "k")


def test_multi_errorstats_and_commandstats(oracle: Oracle) -> None:
    oracle.do("CONFIG", "RESETSTAT")
    oracle.do("MULTI")
    oracle.error("SET")
    oracle.error("EXEC")
    oracle.do("MULTI")
    oracle.do("INCR", "k")
    oracle.do("INCRBY", "k", "x")
    oracle.do("EXEC")
    oracle.error("EXEC")
    oracle.do("INFO", "errorstats")
    ours, theirs = oracle.both("INFO", "commandstats")
    assert _cmdstat_counts(ours) == _cmdstat_counts(theirs)


def _cmdstat_counts(info: bytes) -> dict[str, str]:
    out = {}
    for line in info.decode().split("\r\n"):
        if line.startswith("cmdstat_"):
            name, fields = line.split(":", 1)
            kv = dict(f.split("=") for f in fields.split(","))
            out[name] = f"{kv['calls']}/{kv['rejected_calls']}/{kv['failed_calls']}"
    return out


# ------------------------------------------------------------------------------------------------ WATCH


def test_watch_untouched_key_exec_succeeds(oracle: Oracle, other: Oracle) -> None:
    oracle.do("SET", "k", "1")
    oracle.do("WATCH", "k")
    other.do("GET", "k")
    other.do("SET", "unrelated", "1")
    oracle.do("MULTI")
    oracle.do("INCR", "k")
    assert oracle.do("EXEC") == b"*1\r\n:2\r\n"


def test_watch_touched_key_exec_fails(oracle: Oracle, other: Oracle) -> None:
    oracle.do("SET", "k", "1")
    oracle.do("WATCH", "k", "j")
    other.do("SET", "k", "2")
    oracle.do("MULTI")
    oracle.do("INCR", "k")
    assert oracle.do("EXEC") == b"*-1\r\n"
    oracle.do("GET", "k")


def test_watch_broken_transaction_resp3_null(oracle: Oracle, other: Oracle) -> None:
    oracle.both("HELLO", "3")   # (the client ids differ)
    oracle.do("WATCH", "k")
    other.do("SET", "k", "2")
    oracle.do("MULTI")
    oracle.do("PING")
    assert oracle.do("EXEC") == b"_\r\n"


def test_watch_own_write_before_multi_breaks_it(oracle: Oracle) -> None:
    oracle.do("WATCH", "k")
    oracle.do("SET", "k", "mine")
    oracle.do("MULTI")
    oracle.do("GET", "k")
    oracle.do("EXEC")


def test_watch_missing_key_created_by_another_client(oracle: Oracle, other: Oracle) -> None:
    oracle.do("WATCH", "k")
    other.do("SETNX", "k", "x")
    oracle.do("MULTI")
    oracle.do("PING")
    oracle.do("EXEC")


def test_watch_delete_of_missing_key_is_no_change(oracle: Oracle, other: Oracle) -> None:
    oracle.do("WATCH", "k")
    other.do("DEL", "k")
    oracle.do("MULTI")
    oracle.do("PING")
    oracle.do("EXEC")


@pytest.mark.parametrize("write", [
    ("DEL", "k"), ("EXPIRE", "k", "100"), ("PERSIST", "k"), ("APPEND", "k", "x"), ("RENAME", "k", "k2"),
    ("INCR", "k"), ("GETDEL", "k"), ("SETRANGE", "k", "0", "x"), ("MSET", "a", "1", "k", "3"),
])
def test_watch_broken_by_each_write(oracle: Oracle, other: Oracle, write: tuple[str, ...]) -> None:
    oracle.do("SET", "k", "1", "EX", "1000")
    oracle.do("WATCH", "k")
    other.do(*write)
    oracle.do("MULTI")
    oracle.do("PING")
    oracle.do("EXEC")


def test_watch_rename_onto_watched_key(oracle: Oracle, other: Oracle) -> None:
    oracle.do("SET", "src", "1")
    oracle.do("WATCH", "dst")
    other.do("RENAME", "src", "dst")
    oracle.do("MULTI")
    oracle.do("PING")
    oracle.do("EXEC")


def test_watch_failed_write_keeps_it(oracle: Oracle, other: Oracle) -> None:
    oracle.do("SET", "k", "abc")
    oracle.do("WATCH", "k")
    other.error("INCR", "k")
    other.do("SET", "k", "x", "NX")
    other.do("PERSIST", "k")
    oracle.do("MULTI")
    oracle.do("PING")
    oracle.do("EXEC")


def test_watch_other_db_is_a_different_key(oracle: Oracle, other: Oracle) -> None:
    oracle.do("WATCH", "k")
    other.do("SELECT", "1")
    other.do("SET", "k", "in1")
    oracle.do("MULTI")
    oracle.do("PING")
    oracle.do("EXEC")
    oracle.do("SELECT", "1")
    oracle.do("WATCH", "k")
    other.do("SET", "k", "again")
    oracle.do("MULTI")
    oracle.do("PING")
    oracle.do("EXEC")


def test_watch_dirty_shows_in_client_info(oracle: Oracle, other: Oracle) -> None:
    oracle.do("WATCH", "k")
    other.do("SET", "k", "1")
    for c in (oracle.ours, oracle.redis):
        assert b" flags=d " in c.command("CLIENT", "INFO")
    oracle.do("WATCH", "j")        # already dirty: OK, nothing watched
    oracle.do("UNWATCH")
    for c in (oracle.ours, oracle.redis):
        assert b" flags=N " in c.command("CLIENT", "INFO")


def test_unwatch_forgets_the_keys(oracle: Oracle, other: Oracle) -> None:
    oracle.do("WATCH", "k")
    oracle.do("UNWATCH")
    other.do("SET", "k", "1")
    oracle.do("MULTI")
    oracle.do("PING")
    oracle.do("EXEC")


def test_unwatch_clears_a_dirty_watch(oracle: Oracle, other: Oracle) -> None:
    oracle.do("WATCH", "k")
    other.do("SET", "k", "1")
    oracle.do("UNWATCH")
    oracle.do("MULTI")
    oracle.do("PING")
    oracle.do("EXEC")


def test_unwatch_queued_inside_multi_does_not_save_it(oracle: Oracle, other: Oracle) -> None:
    oracle.do("WATCH", "k")
    oracle.do("MULTI")
    oracle.do("UNWATCH")
    other.do("SET", "k", "1")
    oracle.do("EXEC")


def test_watch_cleared_by_exec_and_discard(oracle: Oracle, other: Oracle) -> None:
    oracle.do("WATCH", "k")
    oracle.do("MULTI")
    oracle.do("EXEC")
    other.do("SET", "k", "1")
    oracle.do("MULTI")
    oracle.do("PING")
    oracle.do("EXEC")
    oracle.do("WATCH", "k")
    oracle.do("MULTI")
    oracle.do("DISCARD")
    other.do("SET", "k", "2")
    oracle.do("MULTI")
    oracle.do("PING")
    oracle.do("EXEC")


def test_watch_dirty_exec_and_queue_errors(oracle: Oracle, other: Oracle) -> None:
    # A syntax rejection wins over a broken WATCH: EXECABORT, not a null.
    oracle.do("WATCH", "k")
    other.do("SET", "k", "1")
    oracle.do("MULTI")
    oracle.error("GET")
    oracle.error("EXEC")


def test_watch_reset_forgets(oracle: Oracle, other: Oracle) -> None:
    oracle.do("WATCH", "k")
    other.do("SET", "k", "1")
    oracle.do("RESET")
    oracle.do("MULTI")
    oracle.do("PING")
    oracle.do("EXEC")


@pytest.mark.parametrize("flush", [("FLUSHDB",), ("FLUSHALL",), ("FLUSHDB", "ASYNC")])
def test_watch_flush_breaks_existing_keys_only(oracle: Oracle, other: Oracle, flush: tuple[str, ...]) -> None:
    oracle.do("SET", "exists", "1")
    oracle.do("WATCH", "missing")
    other.do(*flush)
    oracle.do("MULTI")
    oracle.do("PING")
    oracle.do("EXEC")
    oracle.do("SET", "exists", "1")
    oracle.do("WATCH", "exists")
    other.do(*flush)
    oracle.do("MULTI")
    oracle.do("PING")
    oracle.do("EXEC")


def test_watch_flushall_other_db(oracle: Oracle, other: Oracle) -> None:
    oracle.do("SELECT", "2")
    oracle.do("SET", "k", "1")
    oracle.do("WATCH", "k")
    other.do("FLUSHALL")
    oracle.do("MULTI")
    oracle.do("PING")
    oracle.do("EXEC")


def test_watch_swapdb(oracle: Oracle, other: Oracle) -> None:
    # key only in the other db: it appears in ours
    other.do("SELECT", "1")
    other.do("SET", "a", "1")
    oracle.do("WATCH", "a")
    other.do("SWAPDB", "0", "1")
    oracle.do("MULTI")
    oracle.do("PING")
    oracle.do("EXEC")
    # key in neither db: no change
    oracle.do("WATCH", "nothere")
    other.do("SWAPDB", "0", "1")
    oracle.do("MULTI")
    oracle.do("PING")
    oracle.do("EXEC")
    # key in our db only: it disappears
    oracle.do("FLUSHALL")
    oracle.do("SET", "b", "1")
    oracle.do("WATCH", "b")
    other.do("SWAPDB", "1", "0")
    oracle.do("MULTI")
    oracle.do("PING")
    oracle.do("EXEC")


def test_watch_key_expires_before_exec(oracle: Oracle) -> None:
    oracle.do("SET", "k", "1", "PX", "30")
    oracle.do("SET", "k:probe", "1", "PX", "30")
    oracle.do("WATCH", "k")
    _expire_both(oracle, "k")
    oracle.do("MULTI")
    oracle.do("PING")
    assert oracle.do("EXEC") == b"*-1\r\n"


def test_watch_key_expired_and_read_before_exec(oracle: Oracle) -> None:
    oracle.do("SET", "k", "1", "PX", "30")
    oracle.do("SET", "k:probe", "1", "PX", "30")
    oracle.do("WATCH", "k")
    _expire_both(oracle, "k")
    oracle.do("GET", "k")
    oracle.do("MULTI")
    oracle.do("PING")
    assert oracle.do("EXEC") == b"*-1\r\n"


def test_watch_expire_in_the_past_breaks_it(oracle: Oracle, other: Oracle) -> None:
    oracle.do("SET", "k", "1")
    oracle.do("WATCH", "k")
    other.do("PEXPIRE", "k", "-1")
    oracle.do("MULTI")
    oracle.do("PING")
    oracle.do("EXEC")


def test_watch_inside_exec_of_other_client(oracle: Oracle, other: Oracle) -> None:
    oracle.do("WATCH", "k")
    other.do("MULTI")
    other.do("SET", "k", "1")
    other.do("EXEC")
    oracle.do("MULTI")
    oracle.do("PING")
    oracle.do("EXEC")


def test_client_list_multi_fields(oracle: Oracle, other: Oracle) -> None:
    ids = [c.command("CLIENT", "ID")[1:-2] for c in (oracle.ours, oracle.redis)]
    oracle.do("MULTI")
    oracle.do("SET", "a", "b")
    oracle.do("PING")
    oracle.do("EXEC")
    oracle.do("MULTI")
    oracle.do("SET", "a", "b")
    oracle.error("SET")
    oracle.do("SET", "a", "b")     # not kept: the transaction already failed
    for c, cid in zip((other.ours, other.redis), ids, strict=True):
        line = c.command("CLIENT", "LIST", "ID", cid)
        assert b" flags=x " in line and b" multi=1 " in line and b" multi-mem=29 " in line
    oracle.do("DISCARD")
