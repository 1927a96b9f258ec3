"""pyredcache as a replica of a real redis-server 7.0.15: full sync (disk-based and diskless primaries), the
live stream, expiry by the primary's DEL, READONLY, MASTERDOWN, partial resync after a cut link, REPLICAOF
NO ONE, a chained replica, and INFO/ROLE beside a redis-server replica of the same primary.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
from helpers.procs import ServerProcess, free_port
from helpers.rawclient import RawClient
from helpers.wait import wait_until

pytestmark = pytest.mark.replication

DBS = (0, 1, 3)


def _client(sp: ServerProcess, db: int = 0) -> redis.Redis:
    return redis.Redis(port=sp.port, db=db, socket_timeout=10)


def _info(sp: ServerProcess, section: str = "replication") -> dict[str, Any]:
    return dict(_client(sp).info(section))


def _link_up(sp: ServerProcess) -> bool:
    return _info(sp).get("master_link_status") == "up"


def _wait_link(sp: ServerProcess, timeout: float = 20) -> None:
    try:
        wait_until(lambda: _link_up(sp), timeout=timeout, message=f"replica {sp.port} link up")
    except AssertionError:
        raise AssertionError(sp.log_tail()) from None


def snapshot(sp: ServerProcess) -> dict[tuple[int, bytes], Any]:
    """Every key of DBS with its type, value and whether it has a TTL."""
    out: dict[tuple[int, bytes], Any] = {}
    for db in DBS:
        c = _client(sp, db)
        for key in c.keys("*"):
            kind = c.type(key)
            value: Any
            if kind == b"string":
                value = c.get(key)
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
    return out


def populate(sp: ServerProcess, tag: str) -> None:
    for db in DBS:
        c = _client(sp, db)
        c.set(f"{tag}:str", "v" * 10)
        c.set(f"{tag}:int", 12345)
        c.set(f"{tag}:big", "x" * 5000)
        c.set(f"{tag}:huge", bytes(range(256)) * 4096)     # 1 MiB: the RDB spans many reads
        c.set(f"{tag}:ttl", "t", ex=1000)
        c.rpush(f"{tag}:list", *[str(i) for i in range(50)])
        c.rpush(f"{tag}:biglist", *["y" * 100 for _ in range(300)])
        c.hset(f"{tag}:hash", mapping={"a": "1", "b": "2"})
        c.hset(f"{tag}:bighash", mapping={f"f{i}": "v" * 80 for i in range(200)})
        c.sadd(f"{tag}:intset", *range(20))
        c.sadd(f"{tag}:set", *[f"m{i}" for i in range(200)])
        c.zadd(f"{tag}:zset", {"a": 1.5, "b": 2, "c": -3})
        c.zadd(f"{tag}:bigzset", {f"m{i}": i / 7 for i in range(200)})
        c.pfadd(f"{tag}:hll", *[f"e{i}" for i in range(100)])
        c.setbit(f"{tag}:bits", 1000, 1)
        c.expire(f"{tag}:hash", 5000)


def live_writes(sp: ServerProcess) -> None:
    c = _client(sp)
    c.set("w:str", "1")
    c.incr("w:str")
    c.append("w:str", "x")
    c.lpush("w:list", "a", "b")
    c.rpop("w:list")
    c.hset("w:hash", "f", "v")
    c.hincrby("w:hash", "n", 5)
    c.sadd("w:set", "a", "b", "c")
    c.srem("w:set", "b")
    c.zadd("w:zset", {"x": 1})
    c.zincrby("w:zset", 2.5, "x")
    c.pfadd("w:hll", "a", "b")
    c.set("w:ttl", "v", px=500000)
    c.expire("w:str", 9000)
    with c.pipeline(transaction=True) as p:
        p.set("w:tx1", "a")
        p.lpush("w:tx2", "b")
        p.execute()
    c1 = _client(sp, 3)
    c1.set("w:db3", "3")
    c1.delete("s:str")
    c.eval("redis.call('set', KEYS[1], ARGV[1])", 1, "w:lua", "from-lua")
    c.rename("w:hash", "w:hash2")


def _same(a: ServerProcess, b: ServerProcess) -> bool:
    return snapshot(a) == snapshot(b)


def _wait_same(a: ServerProcess, b: ServerProcess, timeout: float = 15) -> None:
    try:
        wait_until(lambda: _same(a, b), timeout=timeout, message="replica data equal to the primary's")
    except AssertionError:
        sa, sb = snapshot(a), snapshot(b)
        diff = {k: (sa.get(k), sb.get(k)) for k in set(sa) | set(sb) if sa.get(k) != sb.get(k)}
        raise AssertionError(f"differences: {list(diff.items())[:5]}\n{b.log_tail()}") from None


def _primary(server_factory: Any, diskless: bool) -> ServerProcess:
    sp: ServerProcess = server_factory("redis", repl_diskless_sync="yes" if diskless else "no",
                                       repl_diskless_sync_delay=0, enable_debug_command="yes")
    return sp


@pytest.fixture(params=["diskless", "disk"])
def primary_both(request: pytest.FixtureRequest, server_factory: Any) -> ServerProcess:
    """A redis-server primary sending its RDB over the socket ($EOF:) or from a file ($<len>)."""
    return _primary(server_factory, request.param == "diskless")


@pytest.fixture
def primary(server_factory: Any) -> ServerProcess:
    return _primary(server_factory, True)


@pytest.fixture
def replica_of(server_factory: Any) -> Iterator[Any]:
    def make(target: ServerProcess, kind: str = "pyredcache", **directives: Any) -> ServerProcess:
        sp: ServerProcess = server_factory(kind, replicaof=f"127.0.0.1 {target.port}", **directives)
        _wait_link(sp)
        return sp

    yield make


def test_full_sync_then_stream_every_type(primary_both: ServerProcess, replica_of: Any) -> None:
    populate(primary_both, "s")
    replica = replica_of(primary_both)
    assert snapshot(replica) == snapshot(primary_both)
    assert len(snapshot(replica)) == 15 * len(DBS)
    live_writes(primary_both)
    _wait_same(primary_both, replica)
    assert _info(primary_both, "stats")["sync_full"] == 1
    log = open(replica.logfile).read()
    assert "MASTER <-> REPLICA sync: Finished with success" in log
    assert "Connecting to MASTER 127.0.0.1:" in log


def test_replica_offset_follows_primary(primary: ServerProcess, replica_of: Any) -> None:
    replica = replica_of(primary)
    c = _client(primary)
    for i in range(100):
        c.set(f"k{i}", i)
    # A burst larger than one read: commands split across reads must be applied and counted exactly once.
    with c.pipeline(transaction=False) as p:
        for i in range(5000):
            p.set(f"burst{i}", "z" * 100)
            if i % 500 == 0:
                p.execute_command("MULTI")
                p.incr("counter")
                p.lpush("tx-list", i)
                p.execute_command("EXEC")
        p.execute()
    wait_until(lambda: _info(replica)["slave_repl_offset"] == _info(primary)["master_repl_offset"], timeout=10,
               message="replica offset == primary offset")
    info = _info(replica)
    assert info["master_replid"] == _info(primary)["master_replid"]
    assert info["slave_read_repl_offset"] == info["slave_repl_offset"] == info["master_repl_offset"]
    # The primary learns our offset from REPLCONF ACK.
    wait_until(lambda: _info(primary)["slave0"]["offset"] == _info(primary)["master_repl_offset"], timeout=5,
               message="primary sees the replica's ACKed offset")
    rc = _client(replica)
    assert rc.dbsize() == c.dbsize()
    assert rc.get("counter") == b"10" and rc.lrange("tx-list", 0, -1) == c.lrange("tx-list", 0, -1)
    assert rc.get("burst4999") == b"z" * 100


def test_expired_key_read_absent_until_primary_del(primary: ServerProcess, replica_of: Any) -> None:
    ours = replica_of(primary)
    theirs = replica_of(primary, "redis")
    pc = _client(primary)
    pc.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    pc.set("gone", "v", px=200)
    for sp in (ours, theirs):
        wait_until(lambda sp=sp: _client(sp).dbsize() == 1, timeout=5, message="key replicated")
        wait_until(lambda sp=sp: _client(sp).get("gone") is None, timeout=5, message="TTL passed on the replica")
    # Logically expired but still stored: a replica waits for its primary's DEL. Same answers as redis-server.
    probes = [("EXISTS", "gone"), ("DBSIZE",), ("KEYS", "*"), ("SCAN", "0"), ("TTL", "gone"), ("TYPE", "gone"),
              ("RANDOMKEY",), ("STRLEN", "gone"), ("GET", "gone"), ("DBSIZE",)]
    for probe in probes:
        assert _client(ours).execute_command(*probe) == _client(theirs).execute_command(*probe), probe
    assert _client(ours).dbsize() == 1
    assert pc.get("gone") is None          # lazy expiry on the primary propagates DEL
    for sp in (ours, theirs):
        wait_until(lambda sp=sp: _client(sp).dbsize() == 0, timeout=5, message="DEL from the primary applied")
    assert _client(ours).info("stats")["expired_keys"] == 0

def test_readonly_writes_rejected_like_redis(primary: ServerProcess, replica_of: Any) -> None:
    ours = replica_of(primary)
    theirs = replica_of(primary, "redis")
    for sp in (ours, theirs):
        c = _client(sp)
        with pytest.raises(redis.ResponseError) as exc:
            c.set("x", "y")
        assert str(exc.value) == "You can't write against a read only replica."
        assert c.get("x") is None
    for sp in (ours, theirs):
        c = _client(sp)
        p = c.pipeline(transaction=True)
        p.get("a").incr("a")
        with pytest.raises(redis.ResponseError, match="EXECABORT|discarded|read only"):
            p.execute()
    _client(ours).config_set("replica-read-only", "no")
    assert _client(ours).set("local", "1")
    assert _client(ours).get("local") == b"1"


def test_masterdown_with_serve_stale_data_no(server_factory: Any) -> None:
    dead = free_port()
    ours = server_factory("pyredcache", replicaof=f"127.0.0.1 {dead}")
    theirs = server_factory("redis", replicaof=f"127.0.0.1 {dead}")
    for sp in (ours, theirs):
        _client(sp).config_set("replica-serve-stale-data", "no")
    for cmd in (("GET", "a"), ("PING",), ("SET", "a", "b"), ("MULTI",), ("INFO", "server")):
        replies = []
        for sp in (ours, theirs):
            try:
                replies.append(type(_client(sp).execute_command(*cmd)))
            except redis.ResponseError as exc:
                replies.append(str(exc))
        assert replies[0] == replies[1], cmd
        if cmd[0] == "GET":
            assert replies[0] == "Link with MASTER is down and replica-serve-stale-data is set to 'no'."
    # STALE commands still run; the link-down INFO carries the same fields as redis-server's.
    assert _info(ours)["master_link_status"] == "down"
    assert list(_info(ours)) == list(_info(theirs))
    for field in ("master_last_io_seconds_ago", "master_link_down_since_seconds", "slave_repl_offset",
                  "slave_read_repl_offset", "master_sync_in_progress"):
        assert _info(ours)[field] == _info(theirs)[field], field
    role_ours, role_theirs = (_client(sp).execute_command("ROLE") for sp in (ours, theirs))
    assert role_ours[:3] == role_theirs[:3] and role_ours[4] == role_theirs[4] == -1
    assert role_ours[3] in (b"connect", b"connecting")
    assert _client(ours).execute_command("ROLE")[0] == b"slave"


def test_partial_resync_after_link_cut(primary_both: ServerProcess, replica_of: Any) -> None:
    populate(primary_both, "p")
    replica = replica_of(primary_both)
    full_before = _info(primary_both, "stats")["sync_full"]
    partial_before = _info(primary_both, "stats")["sync_partial_ok"]
    pc = _client(primary_both)
    db3 = _client(primary_both, 3)
    db3.set("last-db-before-cut", "3")      # the stream's last SELECT is db 3 when the link goes
    pc.client_kill_filter(_type="replica")
    db3.set("during", "cut")                # no new SELECT in the stream: the replica must remember db 3
    db3.rpush("p:list", "more")
    pc.set("db0", "0")
    wait_until(lambda: _info(primary_both, "stats")["sync_partial_ok"] > partial_before, timeout=15,
               message="partial resync accepted")
    _wait_link(replica)
    _wait_same(primary_both, replica)
    assert _info(primary_both, "stats")["sync_full"] == full_before
    log = open(replica.logfile).read()
    assert "Successful partial resynchronization with master." in log
    assert "Connection with master lost." in log


def test_replicaof_no_one_keeps_data_and_accepts_writes(primary: ServerProcess, replica_of: Any) -> None:
    populate(primary, "n")
    replica = replica_of(primary)
    before = snapshot(replica)
    old_replid = _info(replica)["master_replid"]
    offset = _info(replica)["master_repl_offset"]
    rc = _client(replica)
    assert rc.execute_command("REPLICAOF", "NO", "ONE") == b"OK"
    info = _info(replica)
    assert info["role"] == "master"
    assert info["master_replid2"] == old_replid
    assert info["second_repl_offset"] == offset + 1
    assert snapshot(replica) == before
    assert rc.set("fresh", "1")
    assert rc.execute_command("ROLE")[0] == b"master"
    assert "MASTER MODE enabled" in open(replica.logfile).read()


def test_chained_replica(primary: ServerProcess, replica_of: Any) -> None:
    populate(primary, "c")
    first = replica_of(primary)
    raw = RawClient(first.port)
    no_psync = b"\r\npsync\r\n" not in raw.command("COMMAND", "LIST")
    raw.close()
    if no_psync:
        pytest.xfail("pyredcache has no PSYNC yet: it cannot serve a replica of its own")
    _client(first).config_set("repl-diskless-sync-delay", "0")
    second = replica_of(first)
    _wait_same(primary, second)
    live_writes(primary)
    _wait_same(primary, second)
    # The first replica hands on the primary's stream byte for byte: all three offsets and ids agree.
    wait_until(lambda: _info(second)["slave_repl_offset"] == _info(primary)["master_repl_offset"], timeout=10,
               message="chained offsets equal")
    assert _info(second)["master_replid"] == _info(first)["master_replid"] == _info(primary)["master_replid"]
    # A partial resync of the middle link keeps the history: the sub-replica needs no resync of its own.
    _client(primary).client_kill_filter(_type="replica")
    _client(primary).set("after-cut", "1")
    _wait_link(first)
    _wait_same(primary, second)
    assert _info(first, "stats")["sync_full"] == 1


def test_info_and_role_fields_like_redis(primary: ServerProcess, replica_of: Any) -> None:
    ours = replica_of(primary)
    theirs = replica_of(primary, "redis")
    _client(primary).set("k", "v")
    wait_until(lambda: _client(ours).get("k") == b"v" and _client(theirs).get("k") == b"v", timeout=10,
               message="both replicas caught up")

    def names(sp: ServerProcess) -> list[str]:
        return list(_info(sp))

    assert names(ours) == names(theirs)
    for field in ("role", "master_host", "master_port", "master_link_status", "master_sync_in_progress",
                  "slave_priority", "slave_read_only", "replica_announced", "master_replid"):
        assert _info(ours)[field] == _info(theirs)[field], field
    wait_until(lambda: _info(ours)["slave_repl_offset"] == _info(theirs)["slave_repl_offset"], timeout=10,
               message="same offsets")
    for sp in (ours, theirs):
        clients = _client(sp).client_list(_type="master")
        assert len(clients) == 1 and clients[0]["flags"] == "M", clients
    role_ours = _client(ours).execute_command("ROLE")
    role_theirs = _client(theirs).execute_command("ROLE")
    assert role_ours[:4] == role_theirs[:4] == [b"slave", b"127.0.0.1", primary.port, b"connected"]
    assert isinstance(role_ours[4], int)


def test_replicaof_replies_like_redis(server_factory: Any, replica_of: Any) -> None:
    primary_sp = server_factory("redis", repl_diskless_sync_delay=0)
    ours = server_factory("pyredcache")
    theirs = server_factory("redis")
    cases = [("REPLICAOF", "127.0.0.1", "abc"), ("REPLICAOF", "127.0.0.1", "70000"), ("REPLICAOF", "no", "two"),
             ("REPLICAOF", "127.0.0.1", "-1"), ("REPLICAOF", "NO", "ONE"), ("SLAVEOF", "no", "one"),
             ("REPLICAOF", "a"), ("SLAVEOF",)]
    for cmd in cases:
        got = []
        for sp in (ours, theirs):
            try:
                got.append(_client(sp).execute_command(*cmd))
            except redis.ResponseError as exc:
                got.append(str(exc))
        assert got[0] == got[1], cmd
    for sp in (ours, theirs):
        c = _client(sp)
        assert c.execute_command("REPLICAOF", "127.0.0.1", primary_sp.port) == b"OK"
        _wait_link(sp)
        again = c.execute_command("REPLICAOF", "127.0.0.1", primary_sp.port)
        assert again == b"OK Already connected to specified master"
        assert c.execute_command("SLAVEOF", "NO", "ONE")
        assert _info(sp)["role"] == "master"


@pytest.mark.parametrize("mode", ["swapdb", "on-empty-db"])
def test_diskless_load_modes(mode: str, server_factory: Any) -> None:
    primary_sp = server_factory("redis", repl_diskless_sync_delay=0)
    populate(primary_sp, "d")
    ours = server_factory("pyredcache", repl_diskless_load=mode)
    c = _client(ours)
    c.set("local-only", "1")
    c.execute_command("REPLICAOF", "127.0.0.1", primary_sp.port)
    _wait_link(ours)
    assert snapshot(ours) == snapshot(primary_sp)
    log = open(ours.logfile).read()
    if mode == "swapdb":
        assert "with EOF to parser" in log and "Swapping active DB with loaded DB" in log
    else:
        # Not empty when the transfer started: on-empty-db loads from disk.
        assert "with EOF to disk" in log and "Flushing old data" in log


def test_masterauth_and_wait_acks(server_factory: Any) -> None:
    primary_sp = server_factory("redis", repl_diskless_sync_delay=0, requirepass="pw")
    ours = server_factory("pyredcache", replicaof=f"127.0.0.1 {primary_sp.port}", masterauth="pw")
    _wait_link(ours)
    pc = redis.Redis(port=primary_sp.port, password="pw", socket_timeout=10)
    pc.set("k", "v")
    # WAIT makes the primary send REPLCONF GETACK; our ACK carries the applied offset.
    assert pc.execute_command("WAIT", 1, 5000) == 1
    assert _client(ours).get("k") == b"v"
    bad = server_factory("pyredcache", replicaof=f"127.0.0.1 {primary_sp.port}", masterauth="wrong")
    wait_until(lambda: "Unable to AUTH to MASTER" in open(bad.logfile).read(), timeout=10,
               message="AUTH failure logged")
    assert _info(bad)["master_link_status"] == "down"


def test_blocked_client_served_by_primary_stream(primary: ServerProcess, replica_of: Any) -> None:
    replica = replica_of(primary)
    # BLPOP is a write command: a read-only replica refuses it, as Redis does.
    with pytest.raises(redis.ResponseError, match="read only replica"):
        _client(replica).blpop(["q"], timeout=1)
    _client(replica).config_set("replica-read-only", "no")
    blocked = redis.Redis(port=replica.port, socket_timeout=10)
    result: list[Any] = []
    import threading

    t = threading.Thread(target=lambda: result.append(blocked.blpop(["q"], timeout=5)))
    t.start()
    wait_until(lambda: _info(replica, "clients")["blocked_clients"] == 1, timeout=5, message="client blocked")
    _client(primary).rpush("q", "item")
    t.join(10)
    assert result == [(b"q", b"item")]


def test_primary_silence_times_out_then_partial_resync(primary: ServerProcess, replica_of: Any) -> None:
    replica = replica_of(primary)
    _client(primary).set("before", "1")
    wait_until(lambda: _client(replica).get("before") == b"1", timeout=5, message="write replicated")
    partial_before = _info(primary, "stats")["sync_partial_ok"]
    # The primary PINGs every 10 s; with repl-timeout 1 the replica gives up on the silent link first.
    _client(replica).config_set("repl-timeout", "1")
    wait_until(lambda: "MASTER timeout: no data nor PING received..." in open(replica.logfile).read(),
               timeout=10, message="timeout detected")
    _client(replica).config_set("repl-timeout", "60")
    wait_until(lambda: _info(primary, "stats")["sync_partial_ok"] > partial_before, timeout=10,
               message="partial resync after the timeout")
    _wait_link(replica)
    _client(primary).set("after", "2")
    _wait_same(primary, replica)
    assert _info(primary, "stats")["sync_full"] == 1


def test_scripts_on_read_only_replica_like_redis(primary: ServerProcess, replica_of: Any) -> None:
    ours = replica_of(primary)
    theirs = replica_of(primary, "redis")
    _client(primary).set("a", "1")
    for sp in (ours, theirs):
        wait_until(lambda sp=sp: _client(sp).get("a") == b"1", timeout=5, message="replicated")
    scripts = ["return redis.call('set','a','b')", "return redis.pcall('set','a','b')",
               "return redis.call('get','a')", "#!lua\nreturn redis.call('get','a')",
               "#!lua flags=no-writes\nreturn redis.call('get','a')"]
    for script in scripts:
        for cmd in ("EVAL", "EVAL_RO"):
            got = []
            for sp in (ours, theirs):
                try:
                    got.append(_client(sp).execute_command(cmd, script, 0))
                except redis.ResponseError as exc:
                    got.append(str(exc))
            assert got[0] == got[1], (cmd, script)
    assert _client(ours).get("a") == b"1"


def test_psync2_continue_with_promoted_sibling(primary: ServerProcess, replica_of: Any) -> None:
    populate(primary, "g")
    ours = replica_of(primary)
    sibling = replica_of(primary, "redis")
    _client(primary).set("last", "1")
    wait_until(lambda: _info(ours)["slave_repl_offset"] == _info(sibling)["slave_repl_offset"]
               == _info(primary)["master_repl_offset"], timeout=10, message="both replicas caught up")
    old_id = _info(primary)["master_replid"]
    # The sibling becomes a primary: its replid2 is the old history, so we can continue with it.
    _client(sibling).execute_command("REPLICAOF", "NO", "ONE")
    new_id = _info(sibling)["master_replid"]
    _client(ours).execute_command("REPLICAOF", "127.0.0.1", sibling.port)
    _wait_link(ours)
    assert _info(sibling, "stats")["sync_partial_ok"] == 1
    assert _info(sibling, "stats")["sync_full"] == 0
    info = _info(ours)
    assert info["master_replid"] == new_id and info["master_replid2"] == old_id
    _client(sibling).set("from-new-primary", "x")
    _wait_same(sibling, ours)
    log = open(ours.logfile).read()
    assert f"Master replication ID changed to {new_id}" in log


def test_replica_ignores_maxmemory_until_told_otherwise(primary: ServerProcess, replica_of: Any) -> None:
    """replica-ignore-maxmemory yes (the default): a replica over its maxmemory evicts nothing itself (the
    primary's DELs manage its memory), as a redis-server replica does."""
    ours = replica_of(primary)
    theirs = replica_of(primary, "redis")
    p = _client(primary)
    for sp in (ours, theirs):
        _client(sp).config_set("maxmemory-policy", "allkeys-lru")
        _client(sp).config_set("maxmemory", 1)
    pipe = p.pipeline(transaction=False)
    for i in range(200):
        pipe.set(f"k{i}", "v" * 50)
    pipe.execute()
    _wait_same(primary, ours)
    _wait_same(primary, theirs)
    for sp in (ours, theirs):
        c = _client(sp)
        assert c.get("k0") == b"v" * 50    # reads still work over the limit
        assert c.dbsize() == 200 and int(c.info("stats")["evicted_keys"]) == 0
