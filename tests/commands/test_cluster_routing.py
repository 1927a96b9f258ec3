"""Cluster routing (getNodeByQuery): MOVED / ASK / TRYAGAIN / CROSSSLOT / CLUSTERDOWN, ASKING / READONLY /
READWRITE, routing inside MULTI/EXEC and scripts, sharded pub/sub, blocked clients whose slot goes away.

Every reply is compared byte for byte with redis-server 7.0.15 set up the same way: one node serving slots
0-8000 (cluster-require-full-coverage no, so cluster_state is ok), and for redirects to another node, two
two-node clusters (0-8000 / 8001-16383) whose replies are compared with each node's port written as a name.
"""
from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from helpers.oracle import Oracle
from helpers.procs import REDIS_SERVER, ServerProcess, start_server
from helpers.rawclient import RawClient, encode_command
from helpers.wait import wait_until

pytestmark = pytest.mark.cluster

# Slots: b=3300, c=7365 (served), foo=12182 (not served by the one-node setup).
DIRECTIVES = {"cluster-enabled": "yes", "cluster-config-file": "nodes.conf", "cluster-node-timeout": "3000"}


def _ok(c: RawClient) -> bool:
    return b"cluster_state:ok" in c.command("CLUSTER", "INFO")


def _fail(c: RawClient) -> bool:
    return b"cluster_state:fail" in c.command("CLUSTER", "INFO")


def _go_down(c: RawClient) -> None:
    """cluster_state:fail for want of full coverage (a slot change makes Redis recompute the state)."""
    assert c.command("CONFIG", "SET", "cluster-require-full-coverage", "yes") == b"+OK\r\n"
    assert c.command("CLUSTER", "DELSLOTS", "8000") == b"+OK\r\n"


def _defaults(c: RawClient) -> None:
    for name, value in (("cluster-require-full-coverage", "no"), ("cluster-allow-reads-when-down", "no"),
                        ("cluster-allow-pubsubshard-when-down", "yes")):
        assert c.command("CONFIG", "SET", name, value) == b"+OK\r\n"


@pytest.fixture(scope="module")
def single() -> Iterator[Oracle]:
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    procs: list[ServerProcess] = []
    try:
        for kind in ("pyredcache", "redis"):
            sp = start_server(kind, DIRECTIVES)
            procs.append(sp)
            c = RawClient(sp.port)
            _defaults(c)
            assert c.command("CLUSTER", "ADDSLOTSRANGE", "0", "8000") == b"+OK\r\n"
            wait_until(lambda c=c: _ok(c), timeout=15, message=f"cluster_state:ok on {sp.port}")
            c.close()
        o = Oracle(procs[0].port, procs[1].port)
        yield o
        o.close()
    finally:
        for sp in procs:
            sp.cleanup()


@pytest.fixture
def oc(single: Oracle) -> Iterator[Oracle]:
    single.do("FLUSHALL")
    yield single
    for c in (single.ours, single.redis):
        # Put back what a test may have changed: slot ownership, configs, open slots.
        c.command("CLUSTER", "SETSLOT", "3300", "STABLE")
        for slot in ("3300", "8000"):    # the slots tests drop (an error if still there)
            c.command("CLUSTER", "ADDSLOTS", slot)
        _defaults(c)
        wait_until(lambda c=c: _ok(c), timeout=15, message="cluster_state:ok again")


def _myid(c: RawClient) -> bytes:
    return c.command("CLUSTER", "MYID").split(b"\r\n")[1]


# ------------------------------------------------------------------------------------------ one node


def test_unserved_slot_is_clusterdown(oc: Oracle) -> None:
    oc.error("GET", "foo")
    oc.error("SET", "foo", "1")
    oc.error("MGET", "foo", "b")            # the first key decides: its slot has no owner
    oc.error("MGET", "b", "foo")            # different slots: CROSSSLOT before the owner of the second
    oc.error("SPUBLISH", "foo", "m")
    oc.error("EVAL", "return 1", "1", "foo")


def test_served_slots_run(oc: Oracle) -> None:
    oc.do("SET", "b", "1")
    oc.do("GET", "b")
    oc.do("INCR", "c")
    oc.do("MSET", "{b}1", "x", "{b}2", "y")
    oc.do("MGET", "{b}1", "{b}2", "b")
    oc.do("DEL", "{b}1", "{b}2")
    oc.do("MGET", "b", "b")
    oc.do("SPUBLISH", "b", "m")
    oc.do("EVAL", "return redis.call('get', KEYS[1])", "1", "b")


def test_crossslot(oc: Oracle) -> None:
    oc.error("MGET", "b", "c")
    oc.error("MSET", "b", "1", "c", "2")
    oc.error("DEL", "b", "c")
    oc.error("EXISTS", "b", "c")
    oc.error("SUNIONSTORE", "b", "c")
    oc.error("RENAME", "b", "c")
    oc.error("EVAL", "return 1", "2", "b", "c")
    oc.error("SSUBSCRIBE", "b", "c")
    oc.error("RENAME", "{b}nokey", "{b}x")  # same slot: runs (no such key)


def test_keyless_commands_are_not_routed(oc: Oracle) -> None:
    oc.do("PING")
    oc.do("DBSIZE")
    oc.do("ECHO", "foo")
    oc.do("EVAL", "return 1", "0")
    oc.do("PUBLISH", "foo", "m")
    oc.do("SUNSUBSCRIBE")


def test_asking_readonly_readwrite(oc: Oracle) -> None:
    oc.do("ASKING")
    oc.do("GET", "b")
    oc.do("READONLY")
    oc.do("GET", "b")
    oc.error("GET", "foo")
    oc.do("READWRITE")
    oc.error("ASKING", "x")
    oc.error("READONLY", "x")


def test_standalone_refuses_cluster_client_commands(oracle: Oracle) -> None:
    oracle.error("ASKING")
    oracle.error("READONLY")
    oracle.error("READWRITE")


def test_multi_with_redirected_command_aborts(oc: Oracle) -> None:
    oc.do("MULTI")
    oc.do("SET", "b", "1")
    oc.error("GET", "foo")
    oc.error("EXEC")                        # EXECABORT
    oc.do("GET", "b")
    oc.do("MULTI")
    oc.do("SET", "b", "1")
    oc.do("GET", "c")                       # one slot per command is enough inside MULTI
    oc.do("EXEC")


def test_exec_redirected_when_slot_went_away(oc: Oracle) -> None:
    oc.do("MULTI")
    oc.do("SET", "b", "2")
    for c in (oc.ours, oc.redis):
        other = RawClient(int(c.sock.getpeername()[1]))
        assert other.command("CLUSTER", "DELSLOTS", "3300") == b"+OK\r\n"
        other.close()
    oc.error("EXEC")                        # the redirect itself; the transaction is gone
    oc.error("EXEC")                        # EXEC without MULTI


def test_migrating_slot_to_myself(oc: Oracle) -> None:
    for c in (oc.ours, oc.redis):
        assert c.command("CLUSTER", "SETSLOT", "3300", "MIGRATING", _myid(c)) == b"+OK\r\n"
    oc.do("SET", "b", "1")
    oc.do("GET", "b")
    oc.do("GET", "nokey{b}")                # ASK to myself: served
    oc.error("MGET", "b", "{b}3")           # some keys here, some not: TRYAGAIN
    oc.do("MGET", "{b}3", "{b}4")
    oc.error("EXISTS", "{b}3", "b")


def test_script_calls_are_routed(oc: Oracle) -> None:
    oc.error("EVAL", "return redis.call('get','foo')", "0")
    oc.do("EVAL", "redis.call('get','b'); return redis.call('get','c')", "0")
    oc.error("EVAL", "#!lua\nredis.call('get','b'); return redis.call('get','c')", "0")
    oc.error("EVAL", "#!lua\nredis.call('get','b'); return redis.call('get','c')", "1", "b")
    oc.do("EVAL", "#!lua\nreturn redis.call('get','{b}c')", "1", "b")
    oc.do("EVAL", "#!lua flags=allow-cross-slot-keys\nredis.call('get','b'); return redis.call('get','c')",
          "1", "b")
    oc.error("EVAL", "return redis.call('mget','b','c')", "0")
    oc.do("EVAL", "return redis.call('ping')", "0")


def test_cluster_down(oc: Oracle) -> None:
    for c in (oc.ours, oc.redis):
        _go_down(c)
        wait_until(lambda c=c: _fail(c), timeout=10, message="cluster_state:fail")
    oc.error("GET", "b")
    oc.error("SET", "b", "1")
    oc.error("GET", "foo")                  # unassigned wins over down
    oc.do("PING")
    oc.do("SPUBLISH", "b", "m")             # cluster-allow-pubsubshard-when-down yes
    oc.error("EVAL", "return redis.call('ping')", "1", "b")
    for c in (oc.ours, oc.redis):
        c.command("CONFIG", "SET", "cluster-allow-reads-when-down", "yes")
        c.command("CONFIG", "SET", "cluster-allow-pubsubshard-when-down", "no")
    oc.do("GET", "b")
    oc.error("SET", "b", "1")               # only accepts read commands
    oc.error("SPUBLISH", "b", "m")
    oc.do("MULTI")
    oc.error("SET", "b", "1")
    oc.error("EXEC")
    oc.do("EVAL", "return redis.call('get','b')", "1", "b")
    oc.error("EVAL", "return redis.call('set','b','1')", "1", "b")     # EVAL itself is no write
    oc.error("EVAL", "#!lua\nreturn redis.call('set','b','1')", "1", "b")
    oc.do("EVAL", "#!lua flags=no-writes\nreturn redis.call('get','b')", "1", "b")


def test_exec_of_writes_queued_before_cluster_down(oc: Oracle) -> None:
    """With cluster-allow-reads-when-down, EXEC is judged by its own flags (no WRITE) as in 7.0.15."""
    for c in (oc.ours, oc.redis):
        c.command("CONFIG", "SET", "cluster-allow-reads-when-down", "yes")
    oc.do("MULTI")
    oc.do("SET", "b", "1")
    oc.do("GET", "b")
    for c in (oc.ours, oc.redis):
        other = RawClient(int(c.sock.getpeername()[1]))
        _go_down(other)
        wait_until(lambda other=other: _fail(other), timeout=10, message="cluster_state:fail")
        other.close()
    oc.do("EXEC")
    oc.do("GET", "b")


def test_pipelined_request_after_slot_change(oc: Oracle) -> None:
    """The fast path must not serve a slot dropped earlier in the same batch of requests."""
    oc.do("SET", "b", "1")
    batch = encode_command("CLUSTER", "DELSLOTS", "3300") + encode_command("GET", "b") + \
        encode_command("CLUSTER", "ADDSLOTS", "3300") + encode_command("GET", "b")
    oc.ours.send(batch)
    oc.redis.send(batch)
    for _ in range(4):
        ours, theirs = oc.ours.read_reply(), oc.redis.read_reply()
        assert ours == theirs


def _stats(c: RawClient) -> dict[str, str]:
    text = c.command("INFO", "errorstats").decode()
    return {k: v for k, _, v in (line.partition(":") for line in text.split("\r\n")[1:]) if k.startswith("err")}


def test_errorstats_count_redirects(oc: Oracle) -> None:
    oc.do("CONFIG", "RESETSTAT")
    oc.error("GET", "foo")
    oc.error("MGET", "b", "c")
    assert _stats(oc.ours) == _stats(oc.redis)
    assert oc.ours.command("INFO", "commandstats").count(b"rejected_calls=1") == \
        oc.redis.command("INFO", "commandstats").count(b"rejected_calls=1")


def test_blocked_client_redirected_when_slot_goes(oc: Oracle) -> None:
    replies = []
    for c in (oc.ours, oc.redis):
        port = c.sock.getpeername()[1]
        blocked = RawClient(port)
        blocked.send(encode_command("BLPOP", "b", "0"))
        time.sleep(0.05)
        assert c.command("CLUSTER", "DELSLOTS", "3300") == b"+OK\r\n"
        blocked.sock.settimeout(5.0)
        replies.append(blocked.read_reply())   # clientsCron answers it within a second
        blocked.close()
    assert replies[0] == replies[1] == b"-CLUSTERDOWN Hash slot not served\r\n"


def test_blocked_client_unblocked_when_cluster_down(oc: Oracle) -> None:
    replies = []
    for c in (oc.ours, oc.redis):
        port = c.sock.getpeername()[1]
        blocked = RawClient(port)
        blocked.send(encode_command("BLPOP", "b", "0"))
        time.sleep(0.05)
        _go_down(c)
        replies.append(blocked.read_reply())
        blocked.close()
    assert replies[0] == replies[1] == b"-CLUSTERDOWN The cluster is down\r\n"


def test_shard_subscribers_dropped_with_their_slot(oc: Oracle) -> None:
    got = []
    for c in (oc.ours, oc.redis):
        port = c.sock.getpeername()[1]
        sub = RawClient(port)
        sub.command("SSUBSCRIBE", "b")
        sub.command("SSUBSCRIBE", "{c}x")
        assert c.command("CLUSTER", "DELSLOTS", "3300") == b"+OK\r\n"
        got.append(sub.read_reply())            # sunsubscribe b, count 1
        got.append(sub.command("PING"))         # still subscribed to {c}x
        sub.close()
    assert got[0] == got[2] and got[1] == got[3], got
    assert got[0] == b"*3\r\n$12\r\nsunsubscribe\r\n$1\r\nb\r\n:1\r\n"


# ------------------------------------------------------------------------------------------ two nodes


class Pair:
    """Two nodes of one kind in one cluster: first serves 0-8000, second 8001-16383."""

    def __init__(self, kind: str) -> None:
        self.procs = [start_server(kind, DIRECTIVES), start_server(kind, DIRECTIVES)]
        self.a = RawClient(self.procs[0].port)
        self.b = RawClient(self.procs[1].port)
        for c in (self.a, self.b):
            _defaults(c)
        assert self.a.command("CLUSTER", "ADDSLOTSRANGE", "0", "8000") == b"+OK\r\n"
        assert self.b.command("CLUSTER", "ADDSLOTSRANGE", "8001", "16383") == b"+OK\r\n"
        assert self.a.command("CLUSTER", "MEET", "127.0.0.1", str(self.procs[1].port)) == b"+OK\r\n"
        for c in (self.a, self.b):
            wait_until(lambda c=c: _ok(c) and b"cluster_known_nodes:2" in c.command("CLUSTER", "INFO"),
                       timeout=20, message="a two-node cluster")
        self.ids = [_myid(self.a), _myid(self.b)]

    def norm(self, reply: bytes) -> bytes:
        for i, sp in enumerate(self.procs):
            reply = reply.replace(b":%d" % sp.port, b":PORT%d" % i)
        for i, name in enumerate(self.ids):
            reply = reply.replace(name, b"ID%d" % i)
        return reply

    def close(self) -> None:
        self.a.close()
        self.b.close()
        for sp in self.procs:
            sp.cleanup()


@pytest.fixture(scope="module")
def pairs() -> Iterator[tuple[Pair, Pair]]:
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    made: list[Pair] = []
    try:
        made.append(Pair("pyredcache"))
        made.append(Pair("redis"))
        yield made[0], made[1]
    finally:
        for p in made:
            p.close()


class PairOracle:
    def __init__(self, ours: Pair, theirs: Pair) -> None:
        self.ours_pair, self.theirs_pair = ours, theirs

    def do(self, node: str, *args: bytes | str | int) -> bytes:
        ours = self.ours_pair.norm(getattr(self.ours_pair, node).command(*args))
        theirs = self.theirs_pair.norm(getattr(self.theirs_pair, node).command(*args))
        assert ours == theirs, f"{node} {args!r}: pyredcache {ours!r} != redis {theirs!r}"
        return ours

    def each(self, fn_name: str) -> None:
        for p in (self.ours_pair, self.theirs_pair):
            getattr(self, fn_name)(p)


def test_moved_to_the_owner(pairs: tuple[Pair, Pair]) -> None:
    po = PairOracle(*pairs)
    assert po.do("a", "GET", "foo") == b"-MOVED 12182 127.0.0.1:PORT1\r\n"
    assert po.do("b", "SET", "b", "1") == b"-MOVED 3300 127.0.0.1:PORT0\r\n"
    po.do("a", "SET", "b", "1")
    po.do("a", "MGET", "foo", "{foo}x")
    po.do("a", "MGET", "foo", "b")
    po.do("a", "EVAL", "return 1", "1", "foo")
    po.do("b", "SSUBSCRIBE", "b")
    po.do("a", "READONLY")                   # not a replica: still MOVED
    po.do("a", "GET", "foo")
    po.do("a", "READWRITE")
    po.do("a", "MULTI")
    po.do("a", "GET", "foo")
    po.do("a", "EXEC")
    po.do("a", "DEL", "b")
    try:
        for kind in ("hostname", "unknown-endpoint"):
            po.do("a", "CONFIG", "SET", "cluster-preferred-endpoint-type", kind)
            po.do("a", "GET", "foo")
    finally:
        po.do("a", "CONFIG", "SET", "cluster-preferred-endpoint-type", "ip")


def test_ask_importing_tryagain(pairs: tuple[Pair, Pair]) -> None:
    po = PairOracle(*pairs)
    for p in pairs:
        assert p.a.command("SET", "b", "1") == b"+OK\r\n"
        assert p.a.command("CLUSTER", "SETSLOT", "3300", "MIGRATING", p.ids[1]) == b"+OK\r\n"
        assert p.b.command("CLUSTER", "SETSLOT", "3300", "IMPORTING", p.ids[0]) == b"+OK\r\n"
    try:
        po.do("a", "SET", "b", "2")                   # here: served
        assert po.do("a", "GET", "b") == b"$1\r\n2\r\n"
        assert po.do("a", "GET", "{b}x") == b"-ASK 3300 127.0.0.1:PORT1\r\n"
        po.do("a", "MGET", "{b}x", "{b}y")           # none here: ASK
        po.do("a", "MGET", "b", "{b}y")              # some here: TRYAGAIN
        po.do("b", "GET", "{b}x")                    # importing without ASKING: MOVED to the owner
        po.do("b", "ASKING")
        po.do("b", "GET", "{b}x")                    # served
        po.do("b", "GET", "{b}x")                    # ASKING was for one command only
        po.do("b", "ASKING")
        po.do("b", "SET", "{b}x", "1")
        po.do("b", "ASKING")
        po.do("b", "MGET", "{b}x", "{b}y")           # several keys, one missing: TRYAGAIN
        po.do("b", "ASKING")
        po.do("b", "MGET", "{b}x", "{b}x")           # the same key twice is one key
        po.do("b", "ASKING")
        po.do("b", "ASKING")
        po.do("b", "GET", "{b}x")                    # ASKING twice still covers the next command
        po.do("b", "MULTI")
        po.do("b", "ASKING")
        po.do("b", "GET", "{b}x")
        po.do("b", "EXEC")
        po.do("b", "ASKING")
        po.do("b", "MULTI")
        po.do("b", "GET", "{b}x")                    # ASKING stays on through the transaction
        po.do("b", "EXEC")
        po.do("b", "GET", "{b}x")                    # ... and is gone after EXEC
        po.do("b", "DEL", "{b}x")
        replies = []
        for p in pairs:                              # RESTORE-ASKING has the ASKING command flag
            payload = p.a.command("DUMP", "b").split(b"\r\n", 1)[1][:-2]
            replies.append(p.b.command("RESTORE-ASKING", "{b}z", "0", payload))
            replies.append(p.b.command("RESTORE", "{b}w", "0", payload))
            p.b.command("ASKING")
            p.b.command("DEL", "{b}z")
        assert replies[0] == replies[2] == b"+OK\r\n"
        assert pairs[0].norm(replies[1]) == pairs[1].norm(replies[3]) == b"-MOVED 3300 127.0.0.1:PORT0\r\n"
    finally:
        for p in pairs:
            p.a.command("CLUSTER", "SETSLOT", "3300", "STABLE")
            p.b.command("CLUSTER", "SETSLOT", "3300", "STABLE")
            p.a.command("DEL", "b")
            p.b.command("ASKING")
            p.b.command("DEL", "{b}x")


def test_publish_reaches_every_node(pairs: tuple[Pair, Pair]) -> None:
    """PUBLISH in cluster mode goes to the subscribers of every node, over the cluster bus."""
    for p in pairs:
        sub = RawClient(p.procs[1].port)
        assert sub.command("SUBSCRIBE", "news") == b"*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n"
        assert p.a.command("PUBLISH", "news", "hello") == b":0\r\n"    # no subscriber on this node
        assert sub.read_reply() == b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n"
        sub.close()


def test_blocked_client_moved_when_slot_moves(pairs: tuple[Pair, Pair]) -> None:
    """Last test of the module: slot 3300 ends up on the second node."""
    po = PairOracle(*pairs)
    replies = []
    for p in pairs:
        blocked = RawClient(p.procs[0].port)
        blocked.send(encode_command("BLPOP", "b", "0"))
        wait_until(lambda p=p: b"blocked_clients:1" in p.a.command("INFO", "clients"), timeout=5,
                   message="the client to block")
        assert p.b.command("CLUSTER", "SETSLOT", "3300", "NODE", p.ids[1]) == b"+OK\r\n"
        assert p.a.command("CLUSTER", "SETSLOT", "3300", "NODE", p.ids[1]) == b"+OK\r\n"
        replies.append(p.norm(blocked.read_reply()))
        blocked.close()
    assert replies[0] == replies[1] == b"-MOVED 3300 127.0.0.1:PORT1\r\n"
    po.do("a", "GET", "b")
    po.do("b", "GET", "b")


# ------------------------------------------------------------------------------------------ a replica


class Shard:
    """A primary serving every slot and its replica."""

    def __init__(self, kind: str) -> None:
        self.procs = [start_server(kind, DIRECTIVES), start_server(kind, DIRECTIVES)]
        self.p = RawClient(self.procs[0].port)
        self.r = RawClient(self.procs[1].port)
        assert self.p.command("CLUSTER", "ADDSLOTSRANGE", "0", "16383") == b"+OK\r\n"
        assert self.p.command("CLUSTER", "MEET", "127.0.0.1", str(self.procs[1].port)) == b"+OK\r\n"
        self.ids = [_myid(self.p), _myid(self.r)]
        wait_until(lambda: self.ids[0] in self.r.command("CLUSTER", "NODES"), timeout=20,
                   message="the replica to know the primary")
        assert self.r.command("CLUSTER", "REPLICATE", self.ids[0]) == b"+OK\r\n"
        wait_until(lambda: b"master_link_status:up" in self.r.command("INFO", "replication")
                   and _ok(self.r), timeout=20, message="the replica in sync")

    def norm(self, reply: bytes) -> bytes:
        for i, sp in enumerate(self.procs):
            reply = reply.replace(b":%d" % sp.port, b":PORT%d" % i)
        return reply

    def close(self) -> None:
        self.p.close()
        self.r.close()
        for sp in self.procs:
            sp.cleanup()


@pytest.fixture(scope="module")
def shards() -> Iterator[tuple[Shard, Shard]]:
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    made: list[Shard] = []
    try:
        made.append(Shard("pyredcache"))
        made.append(Shard("redis"))
        yield made[0], made[1]
    finally:
        for s in made:
            s.close()


def test_readonly_replica(shards: tuple[Shard, Shard]) -> None:
    for s in shards:
        assert s.p.command("SET", "b", "1") == b"+OK\r\n"
        wait_until(lambda s=s: s.r.command("READONLY") and s.r.command("GET", "b") == b"$1\r\n1\r\n",
                   timeout=10, message="b on the replica")
        s.r.command("READWRITE")
    script = [("GET", "b"), ("READONLY",), ("GET", "b"), ("MGET", "b", "{b}x"), ("SET", "b", "2"),
              ("MULTI",), ("GET", "b"), ("EXEC",), ("MULTI",), ("GET", "b"), ("SET", "b", "3"), ("EXEC",),
              ("EVAL", "return redis.call('get', KEYS[1])", "1", "b"),
              ("EVAL", "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])", "1", "b"),
              ("READWRITE",), ("GET", "b"), ("EVAL", "#!lua flags=no-writes\nreturn 1", "1", "b"),
              ("SPUBLISH", "b", "m")]
    for args in script:
        ours = shards[0].norm(shards[0].r.command(*args))
        theirs = shards[1].norm(shards[1].r.command(*args))
        assert ours == theirs, f"{args!r}: pyredcache {ours!r} != redis {theirs!r}"


def test_shard_channels_on_a_replica(shards: tuple[Shard, Shard]) -> None:
    """SSUBSCRIBE is served by a replica of the slot's primary; SPUBLISH on the primary reaches it."""
    got = []
    for s in shards:
        sub = RawClient(s.procs[1].port)
        got.append(sub.command("SSUBSCRIBE", "b"))
        assert s.p.command("SPUBLISH", "b", "hi") == b":0\r\n"
        got.append(sub.read_reply())
        sub.close()
    assert got[0] == got[2] and got[1] == got[3], got
    assert got[1] == b"*3\r\n$8\r\nsmessage\r\n$1\r\nb\r\n$2\r\nhi\r\n"
