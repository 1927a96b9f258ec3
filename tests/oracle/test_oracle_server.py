"""Server commands compared byte for byte with redis-server 7.0.15 wherever the reply is deterministic.

CONFIG, FLUSH*, SLOWLOG, MONITOR, INFO (field names and the deterministic sections), DEBUG, MEMORY, SHUTDOWN.
Tests that change server-wide settings restore them; DEBUG runs on a private pair with DEBUG enabled.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from helpers.oracle import Oracle, split_array
from helpers.procs import server_pair
from helpers.rawclient import RawClient

pytestmark = pytest.mark.oracle

# Values that legitimately differ between the two processes.
PER_PROCESS = {b"port", b"logfile", b"pidfile", b"dir"}


@pytest.fixture(scope="module")
def debug_pair() -> Iterator[tuple[int, int]]:
    yield from server_pair({"enable-debug-command": "yes"})


@pytest.fixture
def dbg(debug_pair: tuple[int, int]) -> Iterator[Oracle]:
    o = Oracle(*debug_pair)
    o.do("FLUSHALL")
    yield o
    o.close()


def pairs(reply: bytes) -> list[tuple[bytes, bytes]]:
    items = split_array(reply)
    return sorted(zip(items[0::2], items[1::2], strict=True))


# ---------------------------------------------------------------------------------------------- CONFIG GET


def test_config_get_every_directive(oracle: Oracle) -> None:
    names = [n for n, _ in pairs(oracle.redis.command("CONFIG", "GET", "*"))]
    assert len(names) > 150
    for raw_name in names:
        name = raw_name.split(b"\r\n")[1]
        if name in PER_PROCESS:
            continue
        oracle.do("CONFIG", "GET", name)


@pytest.mark.parametrize("patterns", [
    ("*",), ("max*",), ("*repl*",), ("hash-*", "zset-*"), ("?z",), ("*max-*-entries*",), ("[hz]*",),
    ("SLOWLOG*",), ("*-read-only",), ("notify-keyspace-events",), ("save", "appendonly"), ("client-*",),
])
def test_config_get_patterns(oracle: Oracle, patterns: tuple[str, ...]) -> None:
    # Redis answers in its dict's order: compare the pairs as sets.
    ours, theirs = oracle.both("CONFIG", "GET", *patterns)
    drop = {b"$%d\r\n%s\r\n" % (len(n), n) for n in PER_PROCESS}
    assert [p for p in pairs(ours) if p[0] not in drop] == [p for p in pairs(theirs) if p[0] not in drop]


@pytest.mark.parametrize("args", [("HZ",), ("nosuch",), ("nosuch*",), ("Hz", "maxmemory-POLICY"), ("hz", "hz"),
                                  ("include",), ("slave-read-only",)])
def test_config_get_exact_names(oracle: Oracle, args: tuple[str, ...]) -> None:
    ours, theirs = oracle.both("CONFIG", "GET", *args)
    assert pairs(ours) == pairs(theirs)


# ---------------------------------------------------------------------------------------------- CONFIG SET

SET_ERRORS = [
    ("daemonize", "yes"), ("dir", "/tmp"), ("dbfilename", "x.rdb"), ("foo", "bar"), ("maxmemory", "1", "foo", "bar"),
    ("maxmemory", "10mb", "maxmemory", "20mb"), ("maxmemory", "10mb", "hz", "abc"), ("maxmemory-policy", "foo"),
    ("appendonly", "maybe"), ("save", "100 x"), ("notify-keyspace-events", "Q"), ("port", "abc"),
    ("maxmemory", "-1"), ("maxmemory", "1.5"), ("timeout", "-5"), ("loglevel", "foo"),
    ("client-output-buffer-limit", "foo 1 2 3"), ("databases", "32"), ("maxmemory", "10mb", "hz"),
    ("enable-protected-configs", "yes"), ("include", "x"), ("hz", "1", "HZ", "2"), ("slave-read-only", "x"),
    ("oom-score-adj-values", "1 2"), ("latency-tracking-info-percentiles", "200"),
]


@pytest.mark.parametrize("args", SET_ERRORS, ids=[" ".join(a) for a in SET_ERRORS])
def test_config_set_errors(oracle: Oracle, args: tuple[str, ...]) -> None:
    oracle.error("CONFIG", "SET", *args)


SET_VALUES = [
    ("maxmemory", "10mb"), ("maxmemory", "1gb"), ("hz", "1000"), ("hz", "0"), ("maxmemory-policy", "allkeys-lfu"),
    ("notify-keyspace-events", "KEA"), ("notify-keyspace-events", "Ex$"), ("save", "100 10 20 5"),
    ("slowlog-max-len", "5"), ("client-output-buffer-limit", "normal 1mb 2mb 60 pubsub 0 0 0"),
    ("timeout", "30"), ("slave-read-only", "no"), ("list-max-ziplist-size", "-3"),
    ("latency-tracking-info-percentiles", "1 50.5 99.99"), ("maxmemory-clients", "10%"),
]


@pytest.mark.parametrize("name,value", SET_VALUES, ids=[f"{n}={v}" for n, v in SET_VALUES])
def test_config_set_then_get(oracle: Oracle, name: str, value: str) -> None:
    before = split_array(oracle.redis.command("CONFIG", "GET", name))[1].split(b"\r\n")[1]
    try:
        oracle.do("CONFIG", "SET", name, value)
        ours, theirs = oracle.both("CONFIG", "GET", name, "*" + name[1:])
        assert pairs(ours) == pairs(theirs)
    finally:
        oracle.do("CONFIG", "SET", name, before)


def test_config_set_several_at_once(oracle: Oracle) -> None:
    try:
        oracle.do("CONFIG", "SET", "maxmemory", "5mb", "maxmemory-samples", "7", "hz", "20")
        ours, theirs = oracle.both("CONFIG", "GET", "maxmemory", "maxmemory-samples", "hz")
        assert pairs(ours) == pairs(theirs)
    finally:
        oracle.do("CONFIG", "SET", "maxmemory", "0", "maxmemory-samples", "5", "hz", "10")


@pytest.mark.parametrize("args", [
    ("CONFIG",), ("CONFIG", "GET"), ("CONFIG", "SET"), ("CONFIG", "SET", "hz"), ("CONFIG", "RESETSTAT", "x"),
    ("CONFIG", "REWRITE", "x"), ("CONFIG", "HELP", "x"), ("CONFIG", "foo"), ("CONFIG", "REWRITE"),
])
def test_config_errors(oracle: Oracle, args: tuple[str, ...]) -> None:
    oracle.error(*args)


def test_config_help(oracle: Oracle) -> None:
    oracle.do("CONFIG", "HELP")


def test_config_resetstat_reply(oracle: Oracle) -> None:
    oracle.do("CONFIG", "RESETSTAT")


# ---------------------------------------------------------------------------------------------- FLUSH*, DBSIZE, TIME


@pytest.mark.parametrize("cmd", ["FLUSHDB", "FLUSHALL"])
@pytest.mark.parametrize("args", [(), ("ASYNC",), ("sync",), ("x",), ("ASYNC", "SYNC"), ("",)])
def test_flush_options(oracle: Oracle, cmd: str, args: tuple[str, ...]) -> None:
    oracle.do("MSET", "a", "1", "b", "2")
    oracle.do("SELECT", "1")
    oracle.do("SET", "c", "3")
    oracle.do(cmd, *args)
    oracle.do("DBSIZE")
    oracle.do("SELECT", "0")
    oracle.do("DBSIZE")


def test_dbsize_and_time(oracle: Oracle) -> None:
    oracle.do("DBSIZE")
    oracle.error("DBSIZE", "x")
    oracle.error("TIME", "x")
    ours, theirs = oracle.both("TIME")
    assert len(split_array(ours)) == len(split_array(theirs)) == 2
    assert int(split_array(ours)[0].split(b"\r\n")[1]) - int(split_array(theirs)[0].split(b"\r\n")[1]) in (-1, 0, 1)


# ---------------------------------------------------------------------------------------------- SLOWLOG


@pytest.mark.parametrize("args", [
    ("SLOWLOG",), ("SLOWLOG", "HELP"), ("SLOWLOG", "GET", "-2"), ("SLOWLOG", "GET", "x"), ("SLOWLOG", "GET", "1", "2"),
    ("SLOWLOG", "LEN", "1"), ("SLOWLOG", "RESET", "1"), ("SLOWLOG", "foo"), ("SLOWLOG", "RESET"),
    ("SLOWLOG", "GET", "0"),
])
def test_slowlog_replies(oracle: Oracle, args: tuple[str, ...]) -> None:
    oracle.do(*args)


def _mask_slowlog(reply: bytes) -> bytes:
    # id, timestamp, duration and the client port differ; the shapes and arguments must not
    return re.sub(rb"\*6\r\n:\d+\r\n:\d+\r\n:\d+\r\n", b"*6\r\n:ID\r\n:TS\r\n:US\r\n",
                  re.sub(rb"127\.0\.0\.1:\d+", b"127.0.0.1:PORT", reply))


def test_slowlog_entries(oracle: Oracle) -> None:
    try:
        oracle.do("SLOWLOG", "RESET")
        oracle.do("CLIENT", "SETNAME", "oracle")
        oracle.do("CONFIG", "SET", "slowlog-log-slower-than", "0")
        oracle.do("SET", "k", "x" * 200)
        oracle.do("DEL", *[f"k{i}" for i in range(40)])
        oracle.do("CONFIG", "SET", "requirepass", "", "masterauth", "x")
        oracle.do("CONFIG", "SET", "slowlog-log-slower-than", "-1")
        oracle.do("SLOWLOG", "LEN")
        ours, theirs = oracle.both("SLOWLOG", "GET", "-1")
        assert _mask_slowlog(ours) == _mask_slowlog(theirs)
        ours, theirs = oracle.both("SLOWLOG", "GET", "2")
        assert _mask_slowlog(ours) == _mask_slowlog(theirs)
    finally:
        oracle.both("CONFIG", "SET", "slowlog-log-slower-than", "10000", "masterauth", "")
        oracle.both("CLIENT", "SETNAME", "")
        oracle.both("SLOWLOG", "RESET")


# ---------------------------------------------------------------------------------------------- MONITOR


def _monitor_lines(port: int, commands: list[tuple[str, ...]], expected: int) -> list[bytes]:
    m = RawClient(port)
    assert m.command("MONITOR") == b"+OK\r\n"
    c = RawClient(port)
    for cmd in commands:
        c.command(*cmd)
    lines = [m.read_reply() for _ in range(expected)]
    m.close()
    c.close()
    return [re.sub(rb"^\+\d+\.\d{6} \[(\d+) 127\.0\.0\.1:\d+\]", rb"+TS [\1 ADDR]", line) for line in lines]


def test_monitor_lines(oracle: Oracle) -> None:
    commands = [("SET", "k", 'a b"\\\n\r\t\x07\x08\x01'), ("CONFIG", "GET", "port"), ("GET",), ("SELECT", "3"),
                ("GET", "k"), ("INFO", "cluster"), ("SELECT", "0"), ("ECHO", "end")]
    ours = _monitor_lines(oracle.ours.sock.getpeername()[1], commands, 6)
    theirs = _monitor_lines(oracle.redis.sock.getpeername()[1], commands, 6)
    assert ours == theirs


def test_monitor_arity(oracle: Oracle) -> None:
    oracle.error("MONITOR", "x")


# ---------------------------------------------------------------------------------------------- INFO


@pytest.mark.parametrize("args", [(), ("default",), ("all",), ("everything",), ("server", "keyspace"),
                                  ("CPU", "Keyspace", "cpu"), ("commandstats", "default"), ("module_list",)])
def test_info_section_headers(oracle: Oracle, args: tuple[str, ...]) -> None:
    ours, theirs = oracle.both("INFO", *args)
    assert re.findall(rb"\r\n(# \w+)\r\n|^\$\d+\r\n(# \w+)", ours) == re.findall(
        rb"\r\n(# \w+)\r\n|^\$\d+\r\n(# \w+)", theirs)


@pytest.mark.parametrize("args", [("foo",), ("",), ("modules",), ("cluster",), ("cluster", "modules")])
def test_info_deterministic_replies(oracle: Oracle, args: tuple[str, ...]) -> None:
    oracle.do("INFO", *args)


@pytest.mark.parametrize("section", ["server", "clients", "memory", "persistence", "stats", "replication", "cpu"])
def test_info_field_names(oracle: Oracle, section: str) -> None:
    ours, theirs = oracle.both("INFO", section)

    def names(reply: bytes) -> list[bytes]:
        return [line.split(b":")[0] for line in reply.split(b"\r\n")[1:] if b":" in line]

    extra = [b"pyredcache_version"] if section == "server" else []
    assert names(ours) == names(theirs) + extra


def test_info_keyspace_errorstats_and_commandstats(oracle: Oracle) -> None:
    oracle.do("FLUSHALL")
    oracle.do("SET", "a", "1")
    oracle.do("SET", "b", "2")
    oracle.do("SELECT", "2")
    oracle.do("SET", "c", "3")
    oracle.do("SELECT", "0")
    oracle.do("INFO", "keyspace")
    oracle.do("SET", "s", "x")
    oracle.do("CONFIG", "RESETSTAT")
    oracle.error("GET")
    oracle.error("GET")
    oracle.error("NOSUCH")
    oracle.error("INCR", "s")
    oracle.error("HELLO", "4")
    oracle.error("CONFIG")
    oracle.do("GET", "a")
    oracle.do("INFO", "errorstats")

    def commandstats(reply: bytes) -> list[bytes]:
        lines = [re.sub(rb"usec=\d+,usec_per_call=[\d.]+", b"usec=U", line)
                 for line in reply.split(b"\r\n") if line.startswith(b"cmdstat_")]
        return sorted(lines)

    ours, theirs = oracle.both("INFO", "commandstats")
    assert commandstats(ours) == commandstats(theirs)
    ours, theirs = oracle.both("INFO", "stats")
    for field in (b"keyspace_hits", b"keyspace_misses", b"total_error_replies", b"total_commands_processed"):
        assert re.search(field + rb":\d+", ours).group() == re.search(field + rb":\d+", theirs).group()  # type: ignore[union-attr]


def test_info_persistence_changes_counter(oracle: Oracle) -> None:
    oracle.do("FLUSHALL")
    ours, theirs = oracle.both("INFO", "persistence")
    base = [int(re.search(rb"rdb_changes_since_last_save:(\d+)", x).group(1)) for x in (ours, theirs)]  # type: ignore[union-attr]
    oracle.do("MSET", "a", "1", "b", "2")
    oracle.do("FLUSHALL")
    oracle.do("SET", "c", "3")
    ours, theirs = oracle.both("INFO", "persistence")
    now = [int(re.search(rb"rdb_changes_since_last_save:(\d+)", x).group(1)) for x in (ours, theirs)]  # type: ignore[union-attr]
    assert now[0] - base[0] == now[1] - base[1]


# ---------------------------------------------------------------------------------------------- DEBUG


@pytest.mark.parametrize("args", [("DEBUG",), ("DEBUG", "HELP"), ("DEBUG", "SLEEP", "0"), ("DEBUG", "foo")])
def test_debug_refused_by_default(oracle: Oracle, args: tuple[str, ...]) -> None:
    oracle.error(*args)


DEBUG_SAME = [
    ("DEBUG",), ("DEBUG", "foo"), ("DEBUG", "foo", "bar"), ("DEBUG", "OBJECT", "nokey"), ("DEBUG", "OBJECT", "a", "x"),
    ("DEBUG", "SLEEP"), ("DEBUG", "SLEEP", "0"), ("DEBUG", "SLEEP", "abc"), ("DEBUG", "SLEEP", "-1"),
    ("DEBUG", "SLEEP", "0.01"), ("DEBUG", "SLEEP", "1", "2"), ("DEBUG", "SET-ACTIVE-EXPIRE"),
    ("DEBUG", "SET-ACTIVE-EXPIRE", "x"), ("DEBUG", "SET-ACTIVE-EXPIRE", "1", "2"), ("DEBUG", "SET-ACTIVE-EXPIRE", "1"),
    ("DEBUG", "ERROR", "FOO bar"), ("DEBUG", "ERROR", "-FOO bar"), ("DEBUG", "LOG", "hello"),
    ("DEBUG", "DIGEST"), ("DEBUG", "DIGEST-VALUE"), ("DEBUG", "DIGEST-VALUE", "a", "nokey"),
    ("DEBUG", "POPULATE", "-1"), ("DEBUG", "POPULATE", "x"), ("DEBUG", "POPULATE", "1", "a", "b"),
    ("DEBUG", "POPULATE", "1", "a", "1", "1"), ("DEBUG", "POPULATE"), ("DEBUG", "CHANGE-REPL-ID", "x"),
    ("DEBUG", "PROTOCOL"), ("DEBUG", "PROTOCOL", "foo"),
]


@pytest.mark.parametrize("args", DEBUG_SAME, ids=[" ".join(a) for a in DEBUG_SAME])
def test_debug_replies(dbg: Oracle, args: tuple[str, ...]) -> None:
    dbg.do(*args)


@pytest.mark.parametrize("kind", ["string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib",
                                  "push", "verbatim", "true", "false"])
@pytest.mark.parametrize("resp", ["2", "3"])
def test_debug_protocol(dbg: Oracle, kind: str, resp: str) -> None:
    dbg.both("HELLO", resp)
    dbg.do("DEBUG", "PROTOCOL", kind)
    if kind == "push" and resp == "3":
        assert dbg.ours.read_reply() == dbg.redis.read_reply()


def test_debug_digest_of_a_dataset(dbg: Oracle) -> None:
    dbg.do("DEBUG", "DIGEST")
    dbg.do("MSET", "a", "1", "b", "hello", "c", "x" * 100)
    dbg.do("SET", "t", "v", "EX", "100")
    dbg.do("SELECT", "4")
    dbg.do("SET", "a", "1")
    dbg.do("APPEND", "z", "raw")
    dbg.do("DEBUG", "DIGEST")
    dbg.do("DEBUG", "DIGEST-VALUE", "a", "z", "nokey")
    dbg.do("SELECT", "0")
    dbg.do("DEBUG", "DIGEST-VALUE", "a", "b", "c", "t")


def test_debug_digest_of_every_type(dbg: Oracle) -> None:
    """Lists mix in order, sets XOR, hashes and zsets XOR per pair (scores as %.17g): same digests as Redis,
    whatever the encoding or the insertion order."""
    dbg.do("RPUSH", "l", "a", "b", "1", "-5")
    dbg.do("SADD", "s1", "1", "2", "300")
    dbg.do("SADD", "s2", "x", "y", "z")
    dbg.do("HSET", "h1", "f", "v", "n", "12")
    dbg.do("HSET", "h2", *[f"f{i}" for i in range(200) for _ in (0, 1)])
    dbg.do("ZADD", "z1", "1", "a", "2.5", "b", "-0", "c", "1e300", "d", "inf", "e")
    dbg.do("ZADD", "z2", *[str(i / 3) if j == 0 else f"m{i}" for i in range(200) for j in (0, 1)])
    dbg.do("PFADD", "hll", "a", "b")
    dbg.do("EXPIRE", "z1", "100")
    for key in ("l", "s1", "s2", "h1", "h2", "z1", "z2", "hll"):
        dbg.do("DEBUG", "DIGEST-VALUE", key)
    dbg.do("DEBUG", "DIGEST")
    dbg.do("SADD", "s3", "z", "y", "x")
    dbg.do("DEBUG", "DIGEST-VALUE", "s2", "s3")


def test_debug_populate(dbg: Oracle) -> None:
    dbg.do("SET", "key:1", "mine")
    dbg.do("DEBUG", "POPULATE", "5")
    dbg.do("DEBUG", "POPULATE", "3", "pre", "5")
    dbg.do("DEBUG", "POPULATE", "2", "pad", "12")
    dbg.do("DBSIZE")
    for key in ("key:0", "key:1", "key:4", "pre:2", "pad:1"):
        dbg.do("GET", key)
    dbg.do("DEBUG", "DIGEST")


OBJECT_VALUES = ["b", "12", "-129", "40000", "4000000000", "007", "1234567890123456789", "x" * 45,
                 "abcdefghijklmnopqrstuvwxyz", "01234567890123456789012345678901234567890123456789",
                 "ab" * 300, "abcdefghij" * 30 + "0123456789" * 30, ""]


@pytest.mark.parametrize("value", OBJECT_VALUES, ids=range(len(OBJECT_VALUES)))
def test_debug_object(dbg: Oracle, value: str) -> None:
    dbg.do("SET", "k", value)
    ours, theirs = dbg.both("DEBUG", "OBJECT", "k")

    def mask(reply: bytes) -> bytes:
        # lru and lru_seconds_idle tick with 1 s resolution: a second boundary may fall between the servers.
        reply = re.sub(rb"lru_seconds_idle:\d+", b"lru_seconds_idle:N", reply)
        return re.sub(rb"lru:\d+ ", b"", re.sub(rb"^\+Value at:0x[0-9a-f]+ ", b"+Value at:ADDR ", reply))

    assert mask(ours) == mask(theirs)


def test_debug_object_after_append(dbg: Oracle) -> None:
    dbg.do("SET", "k", "ab")
    dbg.do("APPEND", "k", "cd")
    ours, theirs = dbg.both("DEBUG", "OBJECT", "k")
    assert ours.split(b" ", 2)[2] .split(b" lru:")[0] == theirs.split(b" ", 2)[2].split(b" lru:")[0]


# ---------------------------------------------------------------------------------------------- MEMORY


@pytest.mark.parametrize("args", [
    ("MEMORY",), ("MEMORY", "HELP"), ("MEMORY", "USAGE"), ("MEMORY", "USAGE", "nokey"),
    ("MEMORY", "USAGE", "nokey", "SAMPLES", "0"), ("MEMORY", "USAGE", "k", "SAMPLES"),
    ("MEMORY", "USAGE", "k", "SAMPLES", "-1"), ("MEMORY", "USAGE", "k", "SAMPLES", "x"),
    ("MEMORY", "USAGE", "k", "FOO", "1"), ("MEMORY", "foo"), ("MEMORY", "STATS", "x"), ("MEMORY", "PURGE"),
    ("MEMORY", "DOCTOR", "x"), ("MEMORY", "MALLOC-STATS", "x"), ("MEMORY", "PURGE", "x"),
])
def test_memory_replies(oracle: Oracle, args: tuple[str, ...]) -> None:
    oracle.do("SET", "k", "v")
    oracle.do(*args)


def test_memory_usage_is_an_integer(oracle: Oracle) -> None:
    oracle.do("SET", "k", "v" * 1000)
    ours, theirs = oracle.same_type("MEMORY", "USAGE", "k")
    assert abs(int(ours[1:-2]) - int(theirs[1:-2])) < 200


def test_memory_stats_fields(oracle: Oracle) -> None:
    oracle.do("SET", "k", "v")
    ours, theirs = oracle.same_type("MEMORY", "STATS")
    assert split_array(ours)[0::2] == split_array(theirs)[0::2]
    for raw in (ours, theirs):      # every value parses: the map length matches what follows
        assert len(split_array(raw)) % 2 == 0


# ---------------------------------------------------------------------------------------------- SHUTDOWN


@pytest.mark.parametrize("args", [("foo",), ("NOSAVE", "SAVE"), ("ABORT",), ("ABORT", "NOW"), ("abort", "force"),
                                  ("SAVE", "SAVE", "x")])
def test_shutdown_errors(dbg: Oracle, args: tuple[str, ...]) -> None:
    dbg.error("SHUTDOWN", *args)
    dbg.do("PING")
