"""CONFIG GET / SET / RESETSTAT / REWRITE / HELP on a private server (CONFIG SET changes server-wide state).

CONFIG REWRITE against a real config file is covered in test_startup.py, which starts servers from files.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from helpers.procs import ServerProcess, start_server
from helpers.rawclient import RawClient


@pytest.fixture(scope="module")
def private() -> Iterator[ServerProcess]:
    sp = start_server("pyredcache")
    yield sp
    sp.cleanup()


@pytest.fixture
def p(private: ServerProcess) -> Iterator[redis.Redis]:
    client = redis.Redis(port=private.port, socket_timeout=10)
    client.flushall()
    yield client
    client.config_set("maxmemory", "0")
    client.config_set("hz", "10")
    client.config_set("slowlog-max-len", "128")
    client.config_set("slowlog-log-slower-than", "10000")
    client.config_set("maxmemory-policy", "noeviction")
    client.close()


@pytest.fixture
def c(private: ServerProcess, p: redis.Redis) -> Iterator[RawClient]:
    raw = RawClient(private.port)
    yield raw
    raw.close()


def flat_pairs(reply: bytes) -> list[tuple[bytes, bytes]]:
    """A CONFIG GET reply (RESP2 flat array of bulk strings) as sorted (name, value) pairs."""
    lines = reply.split(b"\r\n")
    assert lines[0].startswith(b"*")
    items = lines[2:-1:2]
    return sorted(zip(items[0::2], items[1::2], strict=True))


# ---------------------------------------------------------------------------------------------- GET


def test_config_get_exact_name(c: RawClient) -> None:
    assert c.command("CONFIG", "GET", "maxmemory") == b"*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"


def test_config_get_keeps_the_name_as_given(c: RawClient) -> None:
    assert c.command("CONFIG", "GET", "HZ") == b"*2\r\n$2\r\nHZ\r\n$2\r\n10\r\n"


def test_config_get_glob_pattern(c: RawClient) -> None:
    assert flat_pairs(c.command("CONFIG", "GET", "slowlog-*")) == [
        (b"slowlog-log-slower-than", b"10000"), (b"slowlog-max-len", b"128")]


def test_config_get_glob_matches_aliases(c: RawClient) -> None:
    names = [n for n, _ in flat_pairs(c.command("CONFIG", "GET", "*-read-only"))]
    assert b"replica-read-only" in names and b"slave-read-only" in names


def test_config_get_several_patterns_report_each_name_once(c: RawClient) -> None:
    pairs = flat_pairs(c.command("CONFIG", "GET", "hz", "maxmemory", "hz", "max*"))
    names = [n for n, _ in pairs]
    assert len(names) == len(set(names))
    assert b"hz" in names and b"maxmemory" in names and b"maxclients" in names


@pytest.mark.parametrize("pattern", ["nosuch", "nosuch*", "include", "rename-command"])
def test_config_get_no_match_is_empty(c: RawClient, pattern: str) -> None:
    assert c.command("CONFIG", "GET", pattern) == b"*0\r\n"


def test_config_get_all(p: redis.Redis) -> None:
    everything = p.config_get("*")
    assert len(everything) > 150
    assert everything["port"] and everything["databases"] == "16"


def test_config_get_resp3_is_a_map(c: RawClient) -> None:
    c.command("HELLO", "3")
    assert c.command("CONFIG", "GET", "maxmemory") == b"%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"


# ---------------------------------------------------------------------------------------------- SET


def test_config_set_then_get(p: redis.Redis) -> None:
    assert p.config_set("maxmemory", "10mb") is True
    assert p.config_get("maxmemory") == {"maxmemory": "10485760"}


def test_config_set_several_pairs(p: redis.Redis, c: RawClient) -> None:
    assert c.command("CONFIG", "SET", "maxmemory", "1gb", "maxmemory-policy", "allkeys-lru") == b"+OK\r\n"
    assert p.config_get("maxmemory*") == {
        "maxmemory": "1073741824", "maxmemory-policy": "allkeys-lru", "maxmemory-samples": "5",
        "maxmemory-eviction-tenacity": "10", "maxmemory-clients": "0"}


def test_config_set_is_all_or_nothing(p: redis.Redis, c: RawClient) -> None:
    assert c.command("CONFIG", "SET", "maxmemory", "10mb", "hz", "abc") == (
        b"-ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an "
        b"integer\r\n")
    assert p.config_get("maxmemory") == {"maxmemory": "0"}


def test_config_set_alias_name(p: redis.Redis) -> None:
    p.config_set("slave-read-only", "no")
    assert p.config_get("replica-read-only") == {"replica-read-only": "no"}
    p.config_set("replica-read-only", "yes")


def test_config_set_hz_is_clamped(p: redis.Redis) -> None:
    p.config_set("hz", "1000")
    assert p.config_get("hz") == {"hz": "500"}
    assert p.info("server")["configured_hz"] == 500
    p.config_set("hz", "0")
    assert p.config_get("hz") == {"hz": "1"}


def test_config_set_slowlog_max_len_applies(p: redis.Redis) -> None:
    p.config_set("slowlog-log-slower-than", "0")
    for i in range(5):
        p.set(f"k{i}", i)
    p.config_set("slowlog-max-len", "2")
    assert p.slowlog_len() == 2


@pytest.mark.parametrize("args,error", [
    (("daemonize", "yes"),
     b"-ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config\r\n"),
    (("dir", "/tmp"),
     b"-ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config\r\n"),
    (("foo", "bar"), b"-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n"),
    (("maxmemory", "1", "foo", "bar"), b"-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n"),
    (("maxmemory", "10mb", "maxmemory", "20mb"),
     b"-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter\r\n"),
    (("maxmemory-policy", "foo"),
     b"-ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of "
     b"the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, "
     b"allkeys-random, noeviction\r\n"),
    (("appendonly", "maybe"),
     b"-ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'yes' or 'no'\r\n"),
    (("maxmemory", "10mb", "hz"), b"-ERR syntax error\r\n"),
    (("include", "/tmp/x"), b"-ERR Unknown option or number of arguments for CONFIG SET - 'include'\r\n"),
])
def test_config_set_errors(c: RawClient, args: tuple[str, ...], error: bytes) -> None:
    assert c.command("CONFIG", "SET", *args) == error


@pytest.mark.parametrize("args,error", [
    (("CONFIG",), b"-ERR wrong number of arguments for 'config' command\r\n"),
    (("CONFIG", "GET"), b"-ERR wrong number of arguments for 'config|get' command\r\n"),
    (("CONFIG", "SET"), b"-ERR wrong number of arguments for 'config|set' command\r\n"),
    (("CONFIG", "SET", "hz"), b"-ERR wrong number of arguments for 'config|set' command\r\n"),
    (("CONFIG", "RESETSTAT", "x"), b"-ERR wrong number of arguments for 'config|resetstat' command\r\n"),
    (("CONFIG", "REWRITE", "x"), b"-ERR wrong number of arguments for 'config|rewrite' command\r\n"),
    (("CONFIG", "HELP", "x"), b"-ERR wrong number of arguments for 'config|help' command\r\n"),
    (("CONFIG", "foo"), b"-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n"),
])
def test_config_arity_and_unknown_subcommand(c: RawClient, args: tuple[str, ...], error: bytes) -> None:
    assert c.command(*args) == error


# ---------------------------------------------------------------------------------------------- RESETSTAT


def test_config_resetstat_resets_counters(private: ServerProcess, p: redis.Redis, c: RawClient) -> None:
    p.set("a", 1)
    p.get("a")
    p.get("nokey")
    c.command("GET")
    p.config_set("slowlog-log-slower-than", "0")
    p.set("b", 1)
    assert c.command("CONFIG", "RESETSTAT") == b"+OK\r\n"
    stats = p.info("stats")
    assert stats["keyspace_hits"] == 0 and stats["keyspace_misses"] == 0
    assert stats["total_error_replies"] == 0 and stats["expired_keys"] == 0
    assert stats["total_connections_received"] == 0
    assert stats["total_commands_processed"] == 1   # RESETSTAT itself
    assert stats["total_net_input_bytes"] < 200
    commandstats = p.info("commandstats")
    assert set(commandstats) == {"cmdstat_config|resetstat", "cmdstat_info"}
    assert p.info("errorstats") == {}
    # the slow log survives RESETSTAT
    assert p.slowlog_len() > 0


def test_config_resetstat_keeps_the_data(p: redis.Redis) -> None:
    p.set("a", 1)
    p.config_resetstat()
    assert p.get("a") == b"1"


# ---------------------------------------------------------------------------------------------- REWRITE, HELP


def test_config_rewrite_without_config_file(c: RawClient) -> None:
    assert c.command("CONFIG", "REWRITE") == b"-ERR The server is running without a config file\r\n"


def test_config_help(c: RawClient) -> None:
    assert c.command("CONFIG", "HELP") == (
        b"*11\r\n+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+GET <pattern>\r\n"
        b"+    Return parameters matching the glob-like <pattern> and their values.\r\n"
        b"+SET <directive> <value>\r\n+    Set the configuration <directive> to <value>.\r\n+RESETSTAT\r\n"
        b"+    Reset statistics reported by the INFO command.\r\n+REWRITE\r\n+    Rewrite the configuration file.\r\n"
        b"+HELP\r\n+    Prints this help.\r\n")
