"""maxmemory replies compared byte for byte with redis-server 7.0.15: the OOM error for DENYOOM commands
(plain, queued in MULTI, from scripts), what still works over the limit, OBJECT FREQ/IDLETIME under each
policy kind, and the INFO/MEMORY STATS field names while a limit is set.

Every pair is private and started with the same directives. `maxmemory 1` puts both servers over the limit
whatever their used_memory accounting, so the replies do not depend on byte counts.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from helpers.oracle import Oracle, split_array
from helpers.wait import wait_until

pytestmark = pytest.mark.oracle

OOM = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"
EXECABORT = b"-EXECABORT Transaction discarded because of previous errors.\r\n"

Pair = Callable[..., Oracle]


@pytest.fixture
def pair(server_factory: Any) -> Iterator[Pair]:
    """pair(**directives) -> an Oracle over a private pyredcache and redis-server with those directives."""
    made: list[Oracle] = []

    def make(**directives: Any) -> Oracle:
        opts = {"latency_tracking": "no", **directives}
        ours = server_factory("pyredcache", **opts)
        theirs = server_factory("redis", **opts)
        o = Oracle(ours.port, theirs.port)
        made.append(o)
        return o

    yield make
    for o in made:
        o.close()


def over_limit(o: Oracle, policy: str = "noeviction") -> None:
    """Load a few keys of each type, then set maxmemory 1 with `policy`."""
    o.do("SET", "s", "v")
    o.do("RPUSH", "l", "a", "b")
    o.do("HSET", "h", "f", "v")
    o.do("SADD", "set", "m")
    o.do("ZADD", "z", "1", "m")
    o.do("SET", "n", "10")
    o.do("CONFIG", "SET", "maxmemory-policy", policy)
    o.do("CONFIG", "SET", "maxmemory", "1")


DENYOOM = [
    ("SET", "s", "w"), ("SET", "new", "w"), ("SETNX", "new", "w"), ("SETEX", "new", "10", "w"),
    ("MSET", "a", "1", "b", "2"), ("APPEND", "s", "x"), ("SETRANGE", "s", "0", "x"), ("INCR", "n"),
    ("INCRBYFLOAT", "n", "1.5"), ("GETSET", "s", "w"), ("LPUSH", "l", "x"), ("RPUSH", "new", "x"),
    ("LINSERT", "l", "BEFORE", "a", "x"), ("LSET", "l", "0", "x"), ("HSET", "h", "f2", "v"),
    ("HINCRBY", "h", "n", "1"), ("SADD", "set", "x"), ("SUNIONSTORE", "dst", "set"), ("ZADD", "z", "2", "x"),
    ("ZINCRBY", "z", "1", "m"), ("PFADD", "hll", "x"), ("SETBIT", "bits", "7", "1"), ("COPY", "s", "dst"),
    ("LMOVE", "l", "dst", "LEFT", "RIGHT"), ("SET", "nonsense-args", "v", "XX", "NX"), ("SET", "s"),
]

ALLOWED = [
    ("GET", "s"), ("LRANGE", "l", "0", "-1"), ("HGETALL", "h"), ("SMEMBERS", "set"), ("ZRANGE", "z", "0", "-1"),
    ("EXISTS", "s", "l"), ("TYPE", "h"), ("STRLEN", "s"), ("TTL", "s"), ("DBSIZE",), ("PING",), ("ECHO", "x"),
    ("EXPIRE", "s", "1000"), ("PERSIST", "s"), ("LPOP", "l"), ("HDEL", "h", "f"), ("SREM", "set", "m"),
    ("ZREM", "z", "m"), ("DECR", "missing-no-such"), ("PUBLISH", "ch", "x"), ("DEL", "set"), ("UNLINK", "z"),
    ("SELECT", "0"), ("CONFIG", "GET", "maxmemory"), ("OBJECT", "ENCODING", "s"),
    ("GETEX", "s", "EX", "100"), ("GETDEL", "s"), ("RENAME", "h", "h2"),   # writes without DENYOOM
]


@pytest.mark.parametrize("policy", ["noeviction", "volatile-lru"])
def test_denyoom_commands_get_the_oom_error(pair: Pair, policy: str) -> None:
    # volatile-lru with no volatile keys: nothing is evictable, so it fails exactly like noeviction.
    o = pair()
    over_limit(o, policy)
    for cmd in DENYOOM:
        ours, theirs = o.both(*cmd)
        assert ours == theirs, f"{cmd}: pyredcache {ours!r} != redis {theirs!r}"
        if cmd != ("SET", "s"):          # the arity error comes before the memory check
            assert ours == OOM, cmd
    o.do("DBSIZE")


def test_reads_and_freeing_writes_still_work(pair: Pair) -> None:
    o = pair()
    over_limit(o)
    for cmd in ALLOWED:
        o.do(*cmd)
    o.do("INFO", "keyspace")
    o.do("FLUSHDB")
    o.do("DBSIZE")


def test_multi_over_the_limit_aborts(pair: Pair) -> None:
    o = pair()
    over_limit(o)
    o.do("MULTI")
    assert o.do("SET", "s", "w") == OOM
    assert o.do("GET", "s") == OOM          # Redis 7 refuses to queue anything while over the limit
    assert o.do("EXEC") == EXECABORT
    o.do("MULTI")
    assert o.do("GET", "s") == OOM
    o.do("DISCARD")
    o.do("GET", "s")


def test_multi_queued_before_the_limit_runs_at_exec(pair: Pair) -> None:
    o = pair()
    o.do("SET", "s", "v")
    o.do("MULTI")
    o.do("GET", "s")
    o.do("SET", "s", "w")
    other = Oracle(o.ours.sock.getpeername()[1], o.redis.sock.getpeername()[1])
    try:
        other.do("CONFIG", "SET", "maxmemory", "1")
        # EXEC of a transaction holding a DENYOOM command is refused as a whole, and the MULTI is over.
        assert o.do("EXEC") == b"-EXECABORT Transaction discarded because of: " + OOM[1:]
        o.do("EXEC")
        o.do("GET", "s")
        other.do("CONFIG", "SET", "maxmemory", "0")
        o.do("MULTI")
        o.do("GET", "s")
        o.do("TTL", "s")
        other.do("CONFIG", "SET", "maxmemory", "1")
        o.do("EXEC")                          # read-only queue: runs over the limit
    finally:
        other.close()


def test_scripts_over_the_limit(pair: Pair) -> None:
    o = pair()
    over_limit(o)
    script_set = "return redis.call('set', KEYS[1], 'w')"
    o.do("EVAL", script_set, "1", "s")                                  # error with the script suffix
    o.do("EVAL", "return redis.pcall('set', KEYS[1], 'w')", "1", "s")   # the error as a value
    o.do("EVAL", "return redis.call('get', KEYS[1])", "1", "s")
    o.do("EVAL", "return redis.call('del', KEYS[1])", "1", "l")
    o.do("EVAL", "return 1", "0")
    o.do("EVAL", "#!lua\nreturn 1", "0")                                 # shebang without allow-oom: denied
    o.do("EVAL", "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])", "1", "s")
    o.do("EVAL", "#!lua flags=allow-oom\nreturn redis.call('set', KEYS[1], 'oom-ok')", "1", "s")
    o.do("GET", "s")
    o.do("EVAL_RO", "return redis.call('get', KEYS[1])", "1", "s")
    sha = o.do("SCRIPT", "LOAD", script_set)
    o.do("EVALSHA", sha.split(b"\r\n")[1].decode(), "1", "s")


def limit_above_used(o: Oracle, headroom: int) -> None:
    """maxmemory = each server's own used_memory + headroom (their accountings differ)."""
    for conn in (o.ours, o.redis):
        text = conn.command("INFO", "memory")
        used = int(text.split(b"used_memory:")[1].split(b"\r\n")[0])
        assert conn.command("CONFIG", "SET", "maxmemory", str(used + headroom)) == b"+OK\r\n"


SCRIPT_2000_SETS = "for i = 1, 2000 do redis.call('set', 'k' .. i, string.rep('v', 50)) end return redis.call('dbsize')"


def test_script_oom_is_decided_when_the_script_starts(pair: Pair) -> None:
    o = pair()
    o.do("SET", "x", "1")
    limit_above_used(o, 5000)
    o.do("EVAL", SCRIPT_2000_SETS, "0")       # under the limit at the start: every write is allowed
    assert o.do("SET", "z", "1") == OOM       # now over it
    o.do("EVAL", "redis.call('del', 'x') return redis.call('set', 'a', 'b')", "0")   # already wrote: allowed
    o.do("EVAL", "return redis.call('set', 'a', 'b')", "0")
    o.do("EVAL", "return redis.pcall('set', 'a', 'b')", "0")
    o.do("EVAL", "#!lua flags=allow-oom\nreturn redis.call('set', 'a', 'c')", "0")
    o.do("EVAL", "#!lua\nreturn redis.call('get', 'a')", "0")
    o.do("EVAL", "#!lua flags=no-writes\nreturn redis.call('get', 'a')", "0")
    o.do("DBSIZE")


def test_multi_queue_counts_against_maxmemory(pair: Pair) -> None:
    o = pair()
    o.do("SET", "x", "1")
    limit_above_used(o, 5000)
    o.do("MULTI")
    for i in range(500):
        o.both("SET", f"m{i}", "v" * 100)    # Redis starts answering OOM once the queue is big enough
    o.do("EXEC")
    o.do("DBSIZE")


def test_big_argument_counts_against_maxmemory(pair: Pair) -> None:
    o = pair()
    o.do("SET", "x", "1")
    limit_above_used(o, 5000)
    o.do("SET", "big", "v" * 200_000)
    o.do("DBSIZE")


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-random", "volatile-ttl"])
def test_evicting_policies_empty_the_db_then_fail(pair: Pair, policy: str) -> None:
    o = pair(maxmemory_policy=policy)
    for i in range(20):
        o.do("SET", f"k{i}", "v", "EX", "1000")
    o.do("SET", "persistent", "v")
    o.do("CONFIG", "SET", "maxmemory", "1")
    left = 1 if policy.startswith("volatile") else 0
    for conn in (o.ours, o.redis):
        wait_until(lambda conn=conn: conn.command("DBSIZE") == b":%d\r\n" % left, timeout=10,
                   message=f"the {policy} evictions")
    assert o.do("SET", "x", "1") == OOM
    o.do("DBSIZE")
    o.do("GET", "persistent")


def test_object_freq_and_idletime_by_policy(pair: Pair) -> None:
    o = pair(maxmemory_policy="allkeys-lru")
    o.do("SET", "k", "v")
    o.do("OBJECT", "IDLETIME", "k")
    o.error("OBJECT", "FREQ", "k")
    o.do("OBJECT", "FREQ", "missing")
    for policy in ("allkeys-lfu", "volatile-lfu"):
        o.do("CONFIG", "SET", "maxmemory-policy", policy)
        o.do("OBJECT", "FREQ", "k")
        o.error("OBJECT", "IDLETIME", "k")
        o.do("OBJECT", "IDLETIME", "missing")
    for policy in ("noeviction", "volatile-ttl", "allkeys-random"):
        o.do("CONFIG", "SET", "maxmemory-policy", policy)
        o.error("OBJECT", "FREQ", "k")
        o.do("OBJECT", "IDLETIME", "k")


def test_lfu_counter_with_log_factor_zero(pair: Pair) -> None:
    o = pair(maxmemory_policy="allkeys-lfu", lfu_log_factor=0)
    o.do("SET", "k", "v")
    o.do("OBJECT", "FREQ", "k")               # LFU_INIT_VAL
    for _ in range(30):
        o.do("GET", "k")
    assert o.do("OBJECT", "FREQ", "k") == b":35\r\n"
    o.sorted("CONFIG", "GET", "lfu-*")      # dict order in Redis: compare as a multiset


def names(text: bytes) -> set[bytes]:
    return {line.split(b":")[0] for line in text.split(b"\r\n") if b":" in line and not line.startswith(b"#")}


def test_info_field_names_with_a_limit_and_evictions(pair: Pair) -> None:
    o = pair(maxmemory_policy="allkeys-random", notify_keyspace_events="Ee")
    for i in range(20):
        o.do("SET", f"k{i}", "v")
    o.do("CONFIG", "SET", "maxmemory", "1")
    for conn in (o.ours, o.redis):
        wait_until(lambda conn=conn: conn.command("DBSIZE") == b":0\r\n", timeout=10, message="evictions")
    for section in ("memory", "stats"):
        ours, theirs = o.both("INFO", section)
        assert names(ours) == names(theirs), (section, names(ours) ^ names(theirs))
    ours, theirs = o.both("INFO", "memory")
    for field in (b"maxmemory:1\r\n", b"maxmemory_human:1B\r\n", b"maxmemory_policy:allkeys-random\r\n"):
        assert field in ours and field in theirs
    ours, theirs = o.both("INFO", "stats")
    assert b"evicted_keys:20\r\n" in ours and b"evicted_keys:20\r\n" in theirs
    o.do("CONFIG", "SET", "maxmemory", "0")
    ours, theirs = o.both("MEMORY", "STATS")
    assert split_array(ours)[0::2] == split_array(theirs)[0::2]


def test_keyspace_hit_miss_expired_evicted_counters(pair: Pair) -> None:
    o = pair(maxmemory_policy="allkeys-lru")
    o.do("SET", "a", "1")
    o.do("RPUSH", "l", "x")
    for cmd in (("GET", "a"), ("GET", "nope"), ("EXISTS", "a", "nope"), ("TYPE", "l"), ("LRANGE", "l", "0", "-1"),
                ("LRANGE", "nope", "0", "-1"), ("STRLEN", "a"), ("OBJECT", "ENCODING", "a"), ("TTL", "nope"),
                ("MGET", "a", "nope", "a"), ("SET", "b", "2"), ("INCR", "a"), ("DEL", "nope")):
        o.do(*cmd)
    o.do("SET", "e", "1", "PX", "1")
    for conn in (o.ours, o.redis):
        wait_until(lambda conn=conn: b"expired_keys:1\r\n" in conn.command("INFO", "stats"), timeout=5,
                   message="the expiry of e")
    o.do("GET", "e")
    o.do("CONFIG", "SET", "maxmemory", "1")
    for conn in (o.ours, o.redis):
        wait_until(lambda conn=conn: conn.command("DBSIZE") == b":0\r\n", timeout=10, message="evictions")
    o.do("GET", "a")
    ours, theirs = o.both("INFO", "stats")
    for field in (b"keyspace_hits", b"keyspace_misses", b"expired_keys", b"evicted_keys"):
        mine = [line for line in ours.split(b"\r\n") if line.startswith(field + b":")]
        redis_line = [line for line in theirs.split(b"\r\n") if line.startswith(field + b":")]
        assert mine == redis_line, (mine, redis_line)
