"""The replication stream compared with redis-server 7.0.15: a fake replica (PSYNC ? -1 on a raw socket) reads
what each primary streams while the same commands run on both, and the two command lists must be equal.

This is the spec of replication/propagate.py: rewrites (EXPIRE family -> PEXPIREAT, SET EX -> SET PXAT,
INCRBYFLOAT -> SET KEEPTTL, SPOP -> SREM, blocking pops -> their plain forms, ...), MULTI/EXEC wrapping of
transactions and scripts with more than one effect, DELs for keys expired (lazily, actively) or evicted, the
SELECTs. Absolute times computed from "now" differ by a few ms between the servers: they are compared with a
tolerance. PINGs and REPLCONF GETACKs are left out.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from helpers.rawclient import RawClient
from helpers.replstream import StreamReader
from helpers.wait import wait_until

pytestmark = [pytest.mark.oracle, pytest.mark.replication]

MARK = b"__end__"
Cmd = list[bytes]


class Side:
    def __init__(self, port: int) -> None:
        self.port = port
        self.client = RawClient(port)
        self.stream = StreamReader(port)

    def run(self, commands: list[tuple[Any, ...]]) -> list[bytes]:
        replies = []
        for cmd in commands:
            if cmd[0] == "sleep":
                time.sleep(cmd[1])
                continue
            replies.append(self.client.command(*cmd))
        return replies

    def stream_until_mark(self) -> list[Cmd]:
        self.client.command("SET", MARK, "1")
        return self.stream.commands_until(MARK)

    def close(self) -> None:
        self.client.close()
        self.stream.close()


class StreamPair:
    def __init__(self, ours: Side, theirs: Side) -> None:
        self.ours = ours
        self.theirs = theirs

    def both(self, *commands: tuple[Any, ...]) -> tuple[list[Cmd], list[Cmd]]:
        """Run the commands on both servers; return (our stream, redis's stream) up to the marker."""
        r1 = self.ours.run(list(commands))
        r2 = self.theirs.run(list(commands))
        assert _replies_comparable(r1) == _replies_comparable(r2), list(zip(commands, r1, r2, strict=False))
        return self.ours.stream_until_mark(), self.theirs.stream_until_mark()

    def same(self, *commands: tuple[Any, ...]) -> list[Cmd]:
        ours, theirs = self.both(*commands)
        assert normalise(ours) == normalise(theirs), "\n".join(_side_by_side(ours, theirs))
        return ours


def _replies_comparable(replies: list[bytes]) -> list[bytes]:
    # Replies holding random members (SPOP) or times are checked by the individual tests.
    return [r if not r.startswith((b"*", b"$")) else r[:1] for r in replies]


def _side_by_side(ours: list[Cmd], theirs: list[Cmd]) -> list[str]:
    n = max(len(ours), len(theirs))
    lines = []
    for i in range(n):
        a = ours[i] if i < len(ours) else None
        b = theirs[i] if i < len(theirs) else None
        lines.append(f"{'  ' if a == b else '!!'} {a!r}  |  {b!r}")
    return lines


def normalise(stream: list[Cmd]) -> list[Cmd]:
    """Absolute ms times near now become b"<now+-10s>" (both servers compute them from their own clock)."""
    now = int(time.time() * 1000)
    out = []
    for argv in stream:
        row = []
        for arg in argv:
            if arg.isdigit() and len(arg) == 13 and abs(int(arg) - now) < 10 * 60 * 1000:
                row.append(b"<now>")
            else:
                row.append(arg)
        out.append(row)
    return out


@pytest.fixture
def pair_factory(server_factory: Any) -> Iterator[Callable[..., StreamPair]]:
    made: list[StreamPair] = []

    def make(**directives: Any) -> StreamPair:
        opts = {"enable_debug_command": "yes", **directives}
        ours = server_factory("pyredcache", **opts)
        theirs = server_factory("redis", **opts)
        p = StreamPair(Side(ours.port), Side(theirs.port))
        made.append(p)
        return p

    yield make
    for p in made:
        p.ours.close()
        p.theirs.close()


@pytest.fixture
def pair(pair_factory: Callable[..., StreamPair]) -> StreamPair:
    return pair_factory()


def test_stream_plain_writes_keep_their_argv_and_select(pair: StreamPair) -> None:
    stream = pair.same(
        ("set", "a", "1"), ("SeT", "b", "2", "KEEPTTL"), ("rpush", "l", "a", "b"), ("hset", "h", "f", "v"),
        ("sadd", "s", "x"), ("zadd", "z", "1", "m"), ("pfadd", "hll", "a"), ("pfcount", "hll"),
        ("del", "nokey"), ("get", "a"), ("incr", "n"), ("append", "a", "x"), ("setrange", "a", "3", "y"),
        ("select", "3"), ("set", "x", "y"), ("select", "0"), ("swapdb", "0", "1"), ("swapdb", "0", "1"),
        ("setnx", "a", "z"), ("msetnx", "a", "1", "q", "2"), ("copy", "a", "a2"), ("rename", "a2", "a3"),
        ("move", "a3", "5"), ("lpush", "l", "c"), ("lset", "l", "0", "d"), ("publish", "ch", "hello"),
    )
    assert stream[0] == [b"SELECT", b"0"]


def test_stream_expire_family_becomes_pexpireat(pair: StreamPair) -> None:
    pair.same(
        ("set", "a", "1"), ("expire", "a", "100"), ("pexpire", "a", "100000"), ("expireat", "a", "99999999999"),
        ("pexpireat", "a", "99999999999000"), ("expire", "a", "100", "NX"), ("expire", "a", "200", "XX"),
        ("expire", "a", "50", "GT"), ("expire", "a", "50", "LT"), ("persist", "a"), ("persist", "a"),
        ("expire", "nokey", "10"), ("set", "b", "1"), ("expire", "b", "-1"), ("set", "c", "1"),
        ("pexpireat", "c", "1"),
    )


def test_stream_set_options_and_string_rewrites(pair: StreamPair) -> None:
    pair.same(
        ("set", "b", "2", "EX", "100"), ("set", "c", "3", "PX", "100000"), ("set", "d", "4", "EXAT", "99999999999"),
        ("set", "e", "5", "PXAT", "99999999999999"), ("setex", "f", "100", "v"), ("psetex", "g", "100000", "v"),
        ("set", "b", "x", "GET"), ("set", "b", "y", "get", "XX"), ("set", "b", "z", "EX", "100", "GET"),
        ("set", "b", "w", "NX", "GET"), ("getset", "b", "q"), ("getset", "new", "q"),
        ("getex", "b", "EX", "100"), ("getex", "b", "PXAT", "99999999999999"), ("getex", "b", "PERSIST"),
        ("getex", "b", "PERSIST"), ("getex", "nokey", "EX", "10"), ("getex", "b"),
        ("getex", "b", "EXAT", "1"), ("getdel", "c"), ("getdel", "c"),
        ("incrbyfloat", "n", "1.5"), ("incrbyfloat", "n", "2"), ("hincrbyfloat", "h", "f", "1.5"),
        ("hincrbyfloat", "h", "f", "-0.5"), ("set", "bad", "x", "EX", "0"),
    )


def test_stream_set_and_list_and_zset_pops(pair: StreamPair) -> None:
    pair.same(
        ("sadd", "s", "a"), ("spop", "s"), ("sadd", "big", "a", "b", "c"), ("spop", "big", "5"),
        ("sadd", "big3", "a", "b"), ("spop", "big3", "0"), ("spop", "nokey"), ("spop", "nokey", "2"),
        ("rpush", "l", *"abcdefghij"), ("blpop", "l", "0"), ("brpop", "nokey", "l", "0"),
        ("lmpop", "1", "l", "LEFT"), ("lmpop", "2", "nokey", "l", "RIGHT", "COUNT", "1"),
        ("brpoplpush", "l", "l2", "0"), ("blmove", "l", "l2", "left", "RIGHT", "0"),
        ("blmpop", "0", "1", "l", "RIGHT", "COUNT", "5"), ("lmove", "l2", "l3", "LEFT", "LEFT"),
        ("zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"), ("bzpopmin", "z", "0"),
        ("bzpopmax", "z", "0"), ("zmpop", "1", "z", "MAX"), ("zpopmin", "z", "1"),
        ("bzmpop", "0", "1", "z", "MIN", "COUNT", "7"), ("zmpop", "1", "z", "MIN"),
    )


def test_stream_spop_with_count_is_one_srem_per_member_in_multi(pair: StreamPair) -> None:
    cmds = [("sadd", "s", *[f"m{i}" for i in range(10)]), ("spop", "s", "3"), ("spop", "s", "1")]
    ours, theirs = pair.both(*cmds)
    for stream in (ours, theirs):
        assert stream[1][0] == b"sadd"
        assert stream[2] == [b"MULTI"] and stream[6] == [b"EXEC"]
        assert [argv[:2] for argv in stream[3:6]] == [[b"SREM", b"s"]] * 3
        assert stream[7][:2] == [b"SREM", b"s"] and len(stream) == 8


def test_stream_transactions_and_scripts_wrap_effects(pair: StreamPair) -> None:
    pair.same(
        ("multi",), ("set", "m1", "1"), ("incr", "m2"), ("exec",),
        ("multi",), ("set", "m1", "2"), ("exec",),
        ("multi",), ("get", "m1"), ("exec",),
        ("multi",), ("select", "2"), ("set", "k", "v"), ("select", "0"), ("set", "k", "w"), ("exec",),
        ("multi",), ("incr", "m1"), ("lpush", "m1", "x"), ("exec",),
        ("eval", "redis.call('set','ka','1'); redis.call('incr','kb')", "0"),
        ("eval", "return redis.call('set','kc','1')", "0"),
        ("eval", "return redis.call('get','kc')", "0"),
        ("eval", "redis.call('expire','kc', 100); return redis.call('spop','nos')", "0"),
        ("eval", "redis.call('set',KEYS[1],'x'); return redis.pcall('incr',KEYS[1])", "1", "ks"),
        ("eval", "redis.set_repl(redis.REPL_NONE); redis.call('set','n1','1'); redis.set_repl(redis.REPL_ALL); "
                 "redis.call('set','n2','2'); redis.set_repl(redis.REPL_AOF); return redis.call('set','n3','3')", "0"),
        ("script", "load", "return 1"), ("script", "flush"),
        ("flushdb",), ("flushdb",), ("flushall",), ("flushall",),
    )


def test_stream_lazy_expiry_becomes_del_before_the_command(pair: StreamPair) -> None:
    setup = [("debug", "set-active-expire", "0")] + [("set", f"e{i}", "1", "PX", "1") for i in range(1, 10)]
    pair.same(
        *setup, ("sleep", 0.05),
        ("get", "e1"), ("incr", "e2"), ("multi",), ("get", "e3"), ("set", "e4", "x"), ("exec",),
        ("eval", "redis.call('get','e5'); return redis.call('set', 'zz', 1)", "0"),
        ("mget", "e6", "e7"), ("exists", "e8"), ("del", "e9"),
    )


def test_stream_active_expiry_and_lazyfree(pair_factory: Callable[..., StreamPair]) -> None:
    pair = pair_factory(lazyfree_lazy_expire="yes")
    pair.same(("set", "x", "1"), ("expire", "x", "-1"), ("set", "y", "1", "PX", "1"), ("sleep", 0.05),
              ("get", "y"))
    for side in (pair.ours, pair.theirs):
        side.client.command("debug", "set-active-expire", "1")
        side.client.command("set", "act", "1", "PX", "1")
        wait_until(lambda s=side: s.client.command("exists", "act") == b":0\r\n", timeout=10,
                   message="active expiry")
    ours, theirs = pair.ours.stream_until_mark(), pair.theirs.stream_until_mark()
    assert normalise(ours) == normalise(theirs) == [[b"SET", b"act", b"1", b"PXAT", b"<now>"],
                                                     [b"UNLINK", b"act"]]


def test_stream_eviction_dels(pair_factory: Callable[..., StreamPair]) -> None:
    pair = pair_factory(maxmemory_policy="allkeys-lru")
    cmds = [("set", f"k{i}", "v") for i in range(5)] + [("config", "set", "maxmemory", "1"), ("set", "k9", "v"),
                                                        ("config", "set", "maxmemory", "0")]
    ours, theirs = pair.both(*cmds)
    assert ours[:6] == theirs[:6]
    # Which keys go first depends on sampling: the same set of DELs, each on its own, then nothing else.
    assert sorted(ours[6:]) == sorted(theirs[6:]) == [[b"DEL", b"k%d" % i] for i in range(5)]


def test_stream_blocked_clients_served_later(pair: StreamPair) -> None:
    def run(side: Side) -> list[Cmd]:
        blocked = [RawClient(side.port) for _ in range(4)]
        try:
            blocked[0].send(b"BLPOP bl 0\r\n")
            blocked[1].send(b"BLMOVE bl dst left right 0\r\n")
            blocked[2].send(b"BZMPOP 0 1 bz MIN COUNT 3\r\n")
            blocked[3].send(b"BRPOPLPUSH bl2 dst 0\r\n")
            wait_until(lambda: b"blocked_clients:4" in side.client.command("info", "clients"), timeout=10,
                       message="4 blocked clients")
            side.client.command("rpush", "bl", "a", "b", "c")
            side.client.command("zadd", "bz", "1", "a", "2", "b")
            side.client.command("rpush", "bl2", "x")
            for b in blocked:
                b.read_reply()
        finally:
            for b in blocked:
                b.close()
        return side.stream_until_mark()

    ours, theirs = run(pair.ours), run(pair.theirs)
    assert ours == theirs, "\n".join(_side_by_side(ours, theirs))


def test_stream_restore_propagates_absolute_ttl(pair: StreamPair) -> None:
    for side in (pair.ours, pair.theirs):
        side.client.command("set", "src", "hello")
    raw = pair.theirs.client.command("dump", "src")
    payload = raw.split(b"\r\n", 1)[1][:-2]
    pair.same(("del", "src"), ("restore", "r1", "100000", payload), ("restore", "r1", "0", payload, "REPLACE"),
              ("restore", "r2", "99999999999999", payload, "ABSTTL"), ("restore", "r3", "1", payload, "ABSTTL"),
              ("restore", "r2", "1", payload, "ABSTTL", "REPLACE"))


def test_psync_sync_replconf_wait_errors(pair: StreamPair) -> None:
    cases: list[tuple[Any, ...]] = [
        ("replconf",), ("replconf", "a"), ("replconf", "a", "b"), ("replconf", "listening-port", "x"),
        ("replconf", "listening-port", "1"), ("replconf", "capa", "eof", "capa", "psync2"),
        ("replconf", "ip-address", "1.2.3.4"), ("replconf", "rdb-only", "1"), ("replconf", "rdb-only", "2"),
        ("replconf", "getack", "*", "x"), ("wait", "0", "0"), ("wait", "x", "0"), ("wait", "0", "x"),
        ("wait", "0", "-1"), ("wait", "-1", "0"), ("wait", "1", "1"), ("psync", "?"), ("sync", "x"),
        ("psync", "?", "x"),
    ]
    for case in cases:
        ours = pair.ours.client.command(*case)
        theirs = pair.theirs.client.command(*case)
        assert ours == theirs, (case, ours, theirs)
    replies = []
    for side in (pair.ours, pair.theirs):
        c = RawClient(side.port)
        try:
            replies.append([c.command(*cmd) for cmd in (("multi",), ("wait", "0", "0"), ("exec",), ("multi",),
                                                         ("wait", "0", "0"), ("sync",), ("exec",))])
        finally:
            c.close()
    assert replies[0] == replies[1]


def test_stream_starts_from_fullresync_offset(pair: StreamPair) -> None:
    """A second fake replica attaching later gets +FULLRESYNC <replid> <offset> with the current offset and the
    stream from there, starting with a SELECT."""
    for side in (pair.ours, pair.theirs):
        side.client.command("set", "a", "1")
        side.stream_until_mark()
        info = side.client.command("info", "replication").decode()
        offset = int(info.split("master_repl_offset:")[1].split("\r\n")[0])
        second = StreamReader(side.port)
        try:
            head, replid, off = second.reply.split()
            assert head == b"+FULLRESYNC" and len(replid) == 40 and int(off) == offset
            side.client.command("select", "4")
            side.client.command("set", "b", "2")
            side.client.command("set", MARK, "1")
            assert second.commands_until(MARK) == [[b"SELECT", b"4"], [b"set", b"b", b"2"]]
        finally:
            second.close()


@pytest.mark.parametrize("how", ["sync", "diskless"])
def test_stream_over_old_sync_and_diskless_transfer(pair: StreamPair, how: str) -> None:
    """SYNC (no +FULLRESYNC line, `$<len>` payload) and a diskless transfer (`$EOF:<mark>`, the stream held until
    the first REPLCONF ACK) carry the same stream as PSYNC."""
    for side in (pair.ours, pair.theirs):
        side.client.command("config", "set", "repl-diskless-sync-delay", "0")
        side.client.command("set", "before", "1")
    streams = []
    for side in (pair.ours, pair.theirs):
        reader = StreamReader(side.port, capa_eof=how == "diskless",
                              sync=b"SYNC" if how == "sync" else b"PSYNC ? -1")
        try:
            assert reader.rdb.startswith(b"REDIS0010")
            assert b"before" in reader.rdb
            side.client.command("select", "1")
            side.client.command("rpush", "l", "a")
            side.client.command("set", MARK, "1")
            streams.append(reader.commands_until(MARK))
        finally:
            reader.close()
    assert streams[0] == streams[1] == [[b"SELECT", b"1"], [b"rpush", b"l", b"a"]]


def test_stream_sweep_of_other_write_commands(pair: StreamPair) -> None:
    pair.same(
        ("hset", "h", "a", "1", "b", "2"), ("hsetnx", "h", "a", "9"), ("hsetnx", "h", "c", "3"),
        ("hincrby", "h", "a", "5"), ("hdel", "h", "b", "zz"), ("hdel", "h", "zz"), ("hmset", "h", "d", "4"),
        ("zadd", "z", "1", "a", "2", "b", "3", "c"), ("zadd", "z", "INCR", "5", "a"), ("zadd", "z", "NX", "1", "a"),
        ("zincrby", "z", "1", "b"), ("zrem", "z", "c", "nope"), ("zrangestore", "zd", "z", "0", "-1"),
        ("zremrangebyscore", "z", "0", "2"), ("zremrangebyrank", "zd", "0", "0"), ("zunionstore", "zu", "2", "z", "zd"),
        ("zinterstore", "zi", "2", "z", "zd"), ("zdiffstore", "zf", "2", "zu", "zi"),
        ("setbit", "bits", "7", "1"), ("setbit", "bits", "7", "1"), ("bitfield", "bf", "SET", "u8", "0", "255"),
        ("bitfield", "bf", "GET", "u8", "0"), ("bitop", "or", "bo", "bits", "bf"),
        ("pfadd", "h1", "a", "b"), ("pfadd", "h2", "c"), ("pfmerge", "h3", "h1", "h2"), ("pfcount", "h1", "h2"),
        ("pfcount", "h3"), ("pfcount", "h3"),
        ("rpush", "l", "3", "1", "2"), ("sort", "l", "STORE", "ls"), ("linsert", "l", "BEFORE", "1", "x"),
        ("lrem", "l", "0", "x"), ("ltrim", "l", "0", "1"), ("lpushx", "nol", "a"), ("rpushx", "l", "z"),
        ("lpop", "l", "2"), ("rpop", "nol"),
        ("sadd", "s1", "a", "b"), ("sadd", "s2", "b", "c"), ("smove", "s1", "s2", "a"), ("sdiffstore", "sd", "s2", "s1"),
        ("sinterstore", "si", "s1", "s2"), ("sunionstore", "su", "s1", "s2"), ("srem", "su", "zz"),
        ("set", "k", "v"), ("renamenx", "k", "k2"), ("renamenx", "k2", "h"), ("unlink", "k2", "nokey"),
        ("mset", "m1", "1", "m2", "2"), ("msetnx", "m3", "3"), ("decr", "m1"), ("incrby", "m1", "10"),
        ("touch", "m1"), ("object", "encoding", "m1"), ("expire", "m1", "100"), ("ttl", "m1"),
        ("select", "5"), ("expire", "nokey", "5"), ("set", "x", "1", "EX", "100"), ("swapdb", "5", "6"),
        ("select", "0"), ("copy", "m1", "m9", "DB", "7"), ("flushdb", "ASYNC"), ("flushall", "SYNC"),
    )


@pytest.mark.parametrize("how", ["TIMEOUT", "ERROR"])
def test_wait_blocks_and_client_unblock(pair: StreamPair, how: str) -> None:
    """WAIT 2 0 with one (silent) replica blocks; CLIENT UNBLOCK answers it as a timeout (the count so far) or
    with the UNBLOCKED error; the client then runs what it pipelined meanwhile."""
    replies = []
    for side in (pair.ours, pair.theirs):
        waiter = RawClient(side.port)
        try:
            cid = waiter.command("client", "id").decode()[1:].strip()
            waiter.send(b"WAIT 2 0\r\nPING\r\n")
            wait_until(lambda s=side: b"blocked_clients:1" in s.client.command("info", "clients"), timeout=10,
                       message="WAIT blocked")
            unblocked = side.client.command("client", "unblock", cid, how)
            replies.append((unblocked, waiter.read_reply(), waiter.read_reply()))
        finally:
            waiter.close()
    assert replies[0] == replies[1]
    assert replies[0][0] == b":1\r\n"
