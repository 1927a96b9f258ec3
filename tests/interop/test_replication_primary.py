"""A real redis-server 7.0.15 replicating from a pyredcache primary: full sync (diskless and disk-based), live
writes of every type, expirations and evictions arriving as DELs, partial resync (+CONTINUE) after a link cut,
a full resync when the replica fell out of the backlog, WAIT with one and two replicas, min-replicas-to-write.

Datasets are compared value by value with plain reads (no DUMP), once the replica acknowledged the primary's
offset.
"""
from __future__ import annotations

import os
import re
import signal
from collections.abc import Callable
from typing import Any

import pytest
import redis
from helpers.procs import ServerProcess
from helpers.wait import wait_until

pytestmark = pytest.mark.replication

Factory = Callable[..., ServerProcess]


def client(sp: ServerProcess) -> redis.Redis:
    return redis.Redis(port=sp.port, socket_timeout=15, protocol=2)


def read(path: str) -> str:
    with open(path, errors="replace") as fh:
        return fh.read()


def info(r: redis.Redis, section: str = "replication") -> dict[str, Any]:
    return dict(r.info(section))


def snapshot(r: redis.Redis) -> dict[tuple[int, bytes], Any]:
    """Every key of every non-empty db as (type, value, has_ttl), read with plain commands."""
    out: dict[tuple[int, bytes], Any] = {}
    for dbname in r.info("keyspace"):
        db = int(str(dbname)[2:])
        c = redis.Redis(port=r.connection_pool.connection_kwargs["port"], db=db, socket_timeout=15)
        try:
            for key in c.scan_iter(count=1000):
                kind = c.type(key)
                if kind == b"string":
                    value: Any = c.get(key)
                elif kind == b"list":
                    value = c.lrange(key, 0, -1)
                elif kind == b"hash":
                    value = c.hgetall(key)
                elif kind == b"set":
                    value = sorted(c.smembers(key))
                elif kind == b"zset":
                    value = c.zrange(key, 0, -1, withscores=True)
                else:
                    value = None
                out[(db, key)] = (kind, value, c.pttl(key) > 0)
        finally:
            c.close()
    return out


def wait_synced(primary: redis.Redis, *replicas: redis.Redis, timeout: float = 20) -> None:
    """Every replica linked and at the primary's offset (ACKs arrive once a second)."""
    def done() -> bool:
        target = info(primary)["master_repl_offset"]
        for rep in replicas:
            i = info(rep)
            if i.get("master_link_status") != "up" or i.get("slave_repl_offset") != target:
                return False
        return True

    wait_until(done, timeout=timeout, interval=0.05, message="replicas in sync")


def attach(primary_sp: ServerProcess, replica_sp: ServerProcess) -> redis.Redis:
    rep = client(replica_sp)
    rep.execute_command("REPLICAOF", "127.0.0.1", primary_sp.port)
    return rep


def fill_every_type(r: redis.Redis) -> None:
    p = r.pipeline(transaction=False)
    p.set("str", "hello")
    p.set("int", 12345)
    p.set("big", "x" * 5000)
    p.set("ttl", "v", ex=1000)
    p.rpush("list", *[f"e{i}" for i in range(10)])
    p.rpush("biglist", *[f"element-{i}" * 3 for i in range(500)])
    p.hset("hash", mapping={"a": "1", "b": "2"})
    p.hset("bighash", mapping={f"f{i}": f"v{i}" for i in range(300)})
    p.sadd("intset", *range(20))
    p.sadd("set", "a", "b", "c")
    p.sadd("bigset", *[f"m{i}" for i in range(300)])
    p.zadd("zset", {"a": 1, "b": 2.5, "c": -3})
    p.zadd("bigzset", {f"m{i}": i / 3 for i in range(300)})
    p.pfadd("hll", *[f"u{i}" for i in range(100)])
    p.execute()
    r1 = redis.Redis(port=r.connection_pool.connection_kwargs["port"], db=3)
    r1.set("in-db3", "yes")
    r1.hset("h3", "f", "v")
    r1.close()


def live_writes(r: redis.Redis) -> None:
    r.incr("int")
    r.append("str", " world")
    r.expire("str", 500)
    r.incrbyfloat("flt", 1.25)
    r.hincrbyfloat("hash", "a", 0.5)
    r.lpush("list", "new")
    r.blpop(["list"], 1)
    r.rpoplpush("list", "list2")
    r.lmpop(1, "biglist", direction="RIGHT", count=3)
    r.spop("bigset", 5)
    r.spop("set")
    r.srem("intset", 1, 2)
    r.zincrby("zset", 2, "a")
    r.zpopmin("bigzset", 2)
    r.bzpopmax(["bigzset"], 1)
    r.hdel("bighash", "f1")
    r.pfadd("hll", "zz")
    r.execute_command("SETEX", "sx", 100, "v")
    r.getex("hash2", ex=10)
    r.set("gone", 1)
    r.delete("gone")
    r.copy("list", "list-copy")
    r.rename("list-copy", "list-copy2")
    with r.pipeline(transaction=True) as p:
        p.set("tx1", 1)
        p.incr("tx2")
        p.sadd("tx3", "a")
        p.execute()
    r.eval("redis.call('set', KEYS[1], ARGV[1]); redis.call('rpush', KEYS[2], ARGV[1])", 2, "ev1", "ev2", "val")
    r.sinterstore("inter", ["set", "bigset"])
    r.zunionstore("zu", ["zset", "bigzset"])
    r1 = redis.Redis(port=r.connection_pool.connection_kwargs["port"], db=3)
    r1.set("in-db3", "changed")
    r1.close()


@pytest.fixture
def primary(server_factory: Factory) -> Callable[..., tuple[ServerProcess, redis.Redis]]:
    def make(**directives: Any) -> tuple[ServerProcess, redis.Redis]:
        sp = server_factory("pyredcache", repl_diskless_sync_delay=0, **directives)
        return sp, client(sp)

    return make


@pytest.fixture
def replica(server_factory: Factory) -> Callable[..., ServerProcess]:
    def make(**directives: Any) -> ServerProcess:
        return server_factory("redis", **directives)

    return make


@pytest.mark.parametrize("diskless", ["yes", "no"])
def test_full_sync_then_live_writes_every_type(primary: Any, replica: Any, diskless: str) -> None:
    psp, p = primary(repl_diskless_sync=diskless)
    fill_every_type(p)
    rsp = replica()
    rep = attach(psp, rsp)
    wait_synced(p, rep)
    assert snapshot(rep) == snapshot(p)
    live_writes(p)
    wait_synced(p, rep)
    assert snapshot(rep) == snapshot(p)
    stats = info(p, "stats")
    assert stats["sync_full"] == 1
    with open(rsp.logfile) as fh:
        log = fh.read()
    if diskless == "yes":
        assert "receiving streamed RDB from master with EOF" in log
    else:
        assert re.search(r"receiving \d+ bytes from master", log)
    i = info(p)
    assert i["connected_slaves"] == 1
    assert i["slave0"]["state"] == "online" and i["slave0"]["port"] == rsp.port
    assert p.execute_command("ROLE")[0] == b"master"


def test_expired_and_evicted_keys_reach_the_replica_as_dels(primary: Any, replica: Any) -> None:
    psp, p = primary()
    rsp = replica()
    rep = attach(psp, rsp)
    wait_synced(p, rep)
    for i in range(20):
        p.set(f"k{i}", "v", px=50)
    p.set("keep", "1")
    # A replica never expires keys itself: its dbsize drops only with the primary's DELs.
    wait_until(lambda: rep.dbsize() == 1, timeout=15, message="expired keys deleted on the replica")
    p.config_set("maxmemory-policy", "allkeys-random")
    for i in range(10):
        p.set(f"e{i}", "x" * 100)
    wait_synced(p, rep)
    assert rep.dbsize() == 11
    p.config_set("maxmemory", 1)
    with pytest.raises(redis.exceptions.OutOfMemoryError):
        p.set("more", "v")
    p.config_set("maxmemory", 0)
    assert p.dbsize() == 0
    wait_until(lambda: rep.dbsize() == 0, timeout=15, message="evicted keys deleted on the replica")


def test_partial_resync_after_link_cut(primary: Any, replica: Any) -> None:
    psp, p = primary()
    fill_every_type(p)
    rsp = replica()
    rep = attach(psp, rsp)
    wait_synced(p, rep)
    rep.execute_command("CLIENT", "KILL", "TYPE", "master")
    p.set("during", "cut")
    live_writes(p)
    wait_until(lambda: info(p, "stats")["sync_partial_ok"] == 1, timeout=15, message="partial resync")
    wait_synced(p, rep)
    assert snapshot(rep) == snapshot(p)
    assert info(p, "stats")["sync_full"] == 1
    assert "Successful partial resynchronization with master" in read(rsp.logfile)
    assert "Partial resynchronization request from" in read(psp.logfile)


def test_replica_out_of_the_backlog_gets_a_full_resync(primary: Any, replica: Any) -> None:
    psp, p = primary(repl_backlog_size="16kb")
    rsp = replica()
    rep = attach(psp, rsp)
    wait_synced(p, rep)
    os.kill(rsp.pid, signal.SIGSTOP)
    try:
        p.execute_command("CLIENT", "KILL", "TYPE", "replica")
        pipe = p.pipeline(transaction=False)
        for i in range(200):
            pipe.set(f"fill{i}", "y" * 500)
        pipe.execute()
        assert info(p)["repl_backlog_histlen"] == 16 * 1024
    finally:
        os.kill(rsp.pid, signal.SIGCONT)
    wait_until(lambda: info(p, "stats")["sync_full"] == 2, timeout=20, message="second full sync")
    wait_synced(p, rep)
    assert snapshot(rep) == snapshot(p)
    assert "for lack of backlog" in read(psp.logfile)


def test_wait_with_one_and_two_replicas(primary: Any, replica: Any) -> None:
    psp, p = primary()
    assert p.execute_command("WAIT", 0, 0) == 0
    assert p.execute_command("WAIT", 1, 50) == 0
    r1 = attach(psp, replica())
    wait_synced(p, r1)
    p.set("a", "1")
    assert p.execute_command("WAIT", 1, 5000) == 1
    assert p.execute_command("WAIT", 2, 200) == 1      # times out with the one that acknowledged
    r2 = attach(psp, replica())
    wait_synced(p, r1, r2)
    p.set("b", "2")
    assert p.execute_command("WAIT", 2, 5000) == 2
    assert p.execute_command("WAIT", 0, 0) == 2
    roles = p.execute_command("ROLE")
    assert roles[0] == b"master" and len(roles[2]) == 2
    i = info(p)
    assert i["connected_slaves"] == 2 and {i["slave0"]["state"], i["slave1"]["state"]} == {"online"}


def test_min_replicas_to_write_answers_noreplicas(primary: Any, replica: Any, server_factory: Factory) -> None:
    psp, p = primary(min_replicas_to_write=1)
    oracle = client(server_factory("redis", min_replicas_to_write=1))
    for r in (p, oracle):
        with pytest.raises(redis.exceptions.ResponseError) as exc:
            r.set("a", "1")
        assert str(exc.value) == "NOREPLICAS Not enough good replicas to write."
        assert r.get("a") is None
    for script in ("return redis.call('set', 'x', 1)", "return redis.pcall('set', 'x', 1)"):
        replies = []
        for r in (p, oracle):
            try:
                replies.append(r.eval(script, 0))
            except redis.exceptions.ResponseError as exc:
                replies.append(str(exc))
        assert replies[0] == replies[1]
    rep = attach(psp, replica())
    wait_until(lambda: p.set("a", "1"), timeout=15, message="writes accepted with one good replica")
    p.config_set("min-replicas-to-write", 2)
    with pytest.raises(redis.exceptions.ResponseError, match="Not enough good replicas"):
        p.set("b", "1")
    with pytest.raises(redis.exceptions.ResponseError, match="Not enough good replicas"):
        p.eval("return redis.call('set', 'x', 1)", 0)
    p.config_set("min-replicas-max-lag", 0)
    assert p.set("b", "1")
    wait_synced(p, rep)
    assert rep.get("b") == b"1"


def test_info_replication_fields_match_redis(primary: Any, replica: Any, server_factory: Factory) -> None:
    psp, p = primary()
    ours_rep = attach(psp, replica())
    wait_synced(p, ours_rep)
    rsp = server_factory("redis", repl_diskless_sync_delay=0)
    r = client(rsp)
    theirs_rep = attach(rsp, replica())
    wait_synced(r, theirs_rep)
    assert list(info(p)) == list(info(r))
    ours_slave, theirs_slave = info(p)["slave0"], info(r)["slave0"]
    assert list(ours_slave) == list(theirs_slave)



def test_chained_replica_of_a_pyredcache_replica(primary: Any, replica: Any, server_factory: Factory) -> None:
    """pyredcache primary -> pyredcache replica -> redis-server: the middle one serves PSYNC with the top's
    history (same replid, same offsets), and continues its sub-replica after a link cut."""
    psp, p = primary()
    fill_every_type(p)
    msp = server_factory("pyredcache", repl_diskless_sync_delay=0)
    m = attach(psp, msp)
    wait_synced(p, m)
    rep = attach(msp, replica())
    wait_synced(p, m, rep)
    live_writes(p)
    wait_synced(p, m, rep)
    assert snapshot(rep) == snapshot(p)
    assert info(rep)["master_replid"] == info(p)["master_replid"]
    rep.execute_command("CLIENT", "KILL", "TYPE", "master")
    p.set("after-cut", "1")
    wait_synced(p, m, rep)
    assert rep.get("after-cut") == b"1"
    assert info(m, "stats")["sync_partial_ok"] == 1


def test_replica_output_buffer_limit_drops_a_stalled_replica(primary: Any) -> None:
    from helpers.replstream import StreamReader

    psp, p = primary()
    stalled = StreamReader(psp.port)     # attaches, then never reads again
    try:
        wait_until(lambda: info(p)["connected_slaves"] == 1, timeout=10, message="fake replica attached")
        p.config_set("client-output-buffer-limit", "replica 256kb 0 0")
        value = "v" * 100_000
        for i in range(200):
            p.set(f"k{i % 10}", value)
            if info(p)["connected_slaves"] == 0:
                break
        wait_until(lambda: info(p)["connected_slaves"] == 0, timeout=10, message="stalled replica dropped")
        assert "scheduled to be closed ASAP for overcoming of output buffer limits" in read(psp.logfile)
    finally:
        stalled.close()


def test_promoted_replica_continues_its_sub_replica_with_replid2(primary: Any, replica: Any,
                                                                server_factory: Factory) -> None:
    """PSYNC2: after REPLICAOF NO ONE the middle server's old history is its replid2, so the redis-server below it
    continues (+CONTINUE with the new id) instead of a full resync."""
    psp, p = primary()
    fill_every_type(p)
    msp = server_factory("pyredcache", repl_diskless_sync_delay=0)
    m = attach(psp, msp)
    wait_synced(p, m)
    rep = attach(msp, replica())
    wait_synced(p, m, rep)
    old_id = info(m)["master_replid"]
    m.execute_command("REPLICAOF", "NO", "ONE")
    assert info(m)["master_replid2"] == old_id
    m.set("after-promotion", "1")
    wait_synced(m, rep)
    assert rep.get("after-promotion") == b"1"
    stats = info(m, "stats")
    assert stats["sync_full"] == 1 and stats["sync_partial_ok"] == 1
    assert info(rep)["master_replid"] == info(m)["master_replid"]
    assert snapshot(rep) == snapshot(m)


def test_replicas_arriving_during_the_diskless_delay_share_one_transfer(server_factory: Factory,
                                                                         replica: Any) -> None:
    """repl-diskless-sync-delay gathers replicas for one child; repl-diskless-sync-max-replicas starts it as soon
    as that many wait (here long before the 60 s delay)."""
    psp = server_factory("pyredcache", repl_diskless_sync_delay=60, repl_diskless_sync_max_replicas=2)
    p = client(psp)
    fill_every_type(p)
    r1, r2 = attach(psp, replica()), attach(psp, replica())
    wait_synced(p, r1, r2)
    log = read(psp.logfile)
    assert log.count("Starting BGSAVE for SYNC with target: replicas sockets") == 1
    assert info(p, "stats")["sync_full"] == 2
    assert snapshot(r1) == snapshot(r2) == snapshot(p)
    clients = p.execute_command("CLIENT", "LIST", "TYPE", "replica").decode()
    assert clients.count("flags=S") == 2


def test_writes_just_before_shutdown_reach_the_replica(primary: Any, replica: Any) -> None:
    from helpers.rawclient import RawClient, encode_command

    psp, p = primary()
    rep = attach(psp, replica())
    wait_synced(p, rep)
    raw = RawClient(psp.port)
    try:
        raw.send(encode_command("SET", "last", "write") + encode_command("SHUTDOWN", "NOSAVE"))
        raw.read_until_closed(10)
    finally:
        raw.close()
    assert psp.proc.wait(10) == 0
    wait_until(lambda: rep.get("last") == b"write", timeout=10, message="the last write on the replica")
