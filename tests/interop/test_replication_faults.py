"""Replication under faults, on every (primary kind, replica kind) combination of pyredcache and redis-server:
a replica SIGKILLed during a full sync, a replica restarted from its own RDB (partial resync), a primary
restarted from its RDB (full resync), cut links (partial resync), a replica fallen behind the backlog (full
resync), WAIT's guarantee across a replica crash, and a SIGSTOPped primary.

Real processes on loopback, stopped by PID; every wait is bounded (helpers/wait.py) and a timed-out wait shows
the log tails of every node of the test.
"""
from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from helpers.procs import REDIS_SERVER, ServerProcess, start_server
from helpers.rawclient import RawClient, encode_command
from helpers.wait import wait_until
from redis.backoff import NoBackoff
from redis.retry import Retry

pytestmark = [
    pytest.mark.replication,
    pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed (apt-get install redis-server)"),
]

COMBOS = [("redis", "redis"), ("pyredcache", "redis"), ("redis", "pyredcache"), ("pyredcache", "pyredcache")]
combos = pytest.mark.parametrize("kinds", COMBOS, ids=[f"{p}-primary-{r}-replica" for p, r in COMBOS])

# Diskless sync starts at once (the 7.0 default waits 5 s for more replicas); replicas hear a PING every second.
BASE = {"enable-debug-command": "yes", "repl-diskless-sync-delay": "0", "repl-ping-replica-period": "1"}

SYNC_TIMEOUT = 60.0
POPULATE = 250_000      # keys for the full sync to kill: > 0.5 s of transfer even between two redis-servers


def client(port: int, db: int = 0) -> redis.Redis:
    """redis-py, RESP2, without its default retries (a retried command could hide a dropped connection)."""
    return redis.Redis(port=port, db=db, socket_timeout=30, protocol=2, retry=Retry(NoBackoff(), 0))


class Node:
    """One server process of a test and a redis-py client to it."""

    def __init__(self, sp: ServerProcess, directives: dict[str, str]) -> None:
        self.sp = sp
        self.directives = directives
        self.c = client(sp.port)

    @property
    def kind(self) -> str:
        return self.sp.kind

    @property
    def port(self) -> int:
        return self.sp.port

    def __repr__(self) -> str:
        return f"<{self.kind} :{self.port} pid {self.sp.pid}>"

    def info(self, section: str) -> dict[str, Any]:
        return dict(self.c.info(section))

    def stat(self, name: str) -> int:
        return int(self.info("stats")[name])

    def digest(self) -> bytes:
        return bytes(self.c.execute_command("DEBUG", "DIGEST"))

    def replicaof(self, primary: Node) -> None:
        assert self.c.execute_command("REPLICAOF", "127.0.0.1", primary.port) in (True, b"OK")

    def signal(self, sig: int) -> None:
        os.kill(self.sp.pid, sig)


class Nodes:
    """The processes of one test; at teardown every one is killed by PID and its directory removed."""

    def __init__(self) -> None:
        self.all: list[Node] = []

    def start(self, kind: str, directives: dict[str, str] | None = None, port: int | None = None,
              replicaof: Node | None = None) -> Node:
        opts = {**BASE, **(directives or {})}
        extra = ["--replicaof", "127.0.0.1", str(replicaof.port)] if replicaof is not None else None
        node = Node(start_server(kind, opts, extra_args=extra, port=port), opts)
        self.all.append(node)
        return node

    def restart(self, node: Node, replicaof: Node | None = None) -> Node:
        """A new process of the same kind on the same port and directory (so the same RDB file)."""
        assert not node.sp.alive()
        return self.start(node.kind, {**node.directives, "dir": node.sp.workdir}, port=node.port,
                          replicaof=replicaof)

    def logs(self) -> str:
        return "\n".join(f"--- {n!r} log tail:\n{n.sp.log_tail(40)}" for n in self.all)

    def wait(self, predicate: Callable[[], Any], timeout: float, message: str) -> Any:
        try:
            return wait_until(predicate, timeout=timeout, interval=0.02, message=message)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.logs()}") from None

    def close(self) -> None:
        for n in self.all:
            n.c.close()
            n.sp.stop(signal.SIGKILL)           # nothing to keep (and SIGKILL also ends a stopped process)
        for n in self.all:
            n.sp.cleanup()


@pytest.fixture
def nodes() -> Iterator[Nodes]:
    ns = Nodes()
    try:
        yield ns
    finally:
        ns.close()


# ------------------------------------------------------------------------------------------------ helpers


def write_mixed(primary: Node, prefix: str, n: int) -> None:
    """Writes of every type (and in two databases) for the replication stream to carry."""
    assert not prefix.startswith("k")       # snapshot() reads the DEBUG POPULATE keys key:* apart
    p = primary.c.pipeline(transaction=False)
    for i in range(n):
        k = f"{prefix}:{i}"
        p.set(f"{k}:s", f"value-{i}")
        p.incrby(f"{prefix}:counter", i)
        p.append(f"{k}:s", "+")
        p.rpush(f"{k}:l", *range(i % 5 + 1))
        p.hset(f"{k}:h", mapping={"f": i, "g": "x" * (i % 7)})
        p.sadd(f"{prefix}:set", i)
        p.zadd(f"{prefix}:z", {f"m{i}": i / 3})
        if i % 10 == 0:
            p.set(f"{k}:ttl", i, ex=3600)
            p.delete(f"{prefix}:{i // 2}:l")
    p.execute()
    with client(primary.port, db=3) as c3:
        c3.set(f"{prefix}:db3", n)
        c3.lpush(f"{prefix}:db3:list", *range(n % 50 + 1))


def replica_state(replica: Node) -> dict[str, Any]:
    return replica.info("replication")


def in_sync(primary: Node, replica: Node) -> bool:
    """The replica's link is up and it has processed the primary's whole stream."""
    ri = replica.info("replication")
    if ri.get("master_link_status") != "up" or int(ri.get("master_sync_in_progress", 0)):
        return False
    pi = primary.info("replication")
    return int(ri["slave_repl_offset"]) == int(pi["master_repl_offset"])


def wait_synced(nodes: Nodes, primary: Node, *replicas: Node, timeout: float = SYNC_TIMEOUT) -> None:
    for rep in replicas:
        nodes.wait(lambda rep=rep: in_sync(primary, rep), timeout, f"{rep!r} in sync with {primary!r}")


READERS: dict[bytes, Callable[[Any, bytes], Any]] = {
    b"string": lambda p, k: p.get(k),
    b"list": lambda p, k: p.lrange(k, 0, -1),
    b"hash": lambda p, k: p.hgetall(k),
    b"set": lambda p, k: p.smembers(k),
    b"zset": lambda p, k: p.zrange(k, 0, -1, withscores=True),
}


def dump(node: Node, match: str | None = None) -> dict[tuple[int, bytes], Any]:
    """Every key (matching `match`) of every database with its type, value and whether it has a TTL."""
    out: dict[tuple[int, bytes], Any] = {}
    for name in node.info("keyspace"):
        db = int(name[2:])
        with client(node.port, db=db) as c:
            cursor = None
            while cursor != 0:
                cursor, keys = c.scan(cursor or 0, match=match, count=5000)
                p = c.pipeline(transaction=False)
                for key in keys:
                    p.type(key)
                types = p.execute()
                for key, t in zip(keys, types, strict=True):
                    READERS.get(t, lambda p, k: p.exists(k))(p, key)
                    p.pttl(key)
                values = p.execute()
                for i, (key, t) in enumerate(zip(keys, types, strict=True)):
                    value = values[2 * i]
                    if isinstance(value, dict):
                        value = sorted(value.items())
                    elif isinstance(value, set):
                        value = sorted(value)
                    out[(db, key)] = (t, value, values[2 * i + 1] > 0)
    return out


def snapshot(node: Node, populated: int = 0) -> dict[str, Any]:
    """The dataset, to compare across kinds: key and TTL counts per database, the values of the `populated`
    DEBUG POPULATE strings key:0..n-1 (MGET), and every other key read in full. (DEBUG DIGEST cannot be
    used across kinds: pyredcache's leaves out the contents of non-string values.)"""
    keyspace = {db: (v["keys"], v["expires"]) for db, v in node.info("keyspace").items()}
    populate: list[Any] = []
    for start in range(0, populated, 10_000):
        populate += node.c.mget([f"key:{i}" for i in range(start, min(populated, start + 10_000))])
    others = dump(node, "[^k]*" if populated else None)
    present = sum(v is not None for v in populate)
    assert len(others) + present == sum(keys for keys, _ in keyspace.values()), "keys outside the snapshot"
    return {"keyspace": keyspace, "populated": populate, "others": others}


def describe_diff(a: dict[str, Any], b: dict[str, Any]) -> str:
    parts = []
    if a["keyspace"] != b["keyspace"]:
        parts.append(f"keyspace {a['keyspace']} vs {b['keyspace']}")
    bad = [i for i, (x, y) in enumerate(zip(a["populated"], b["populated"], strict=True)) if x != y]
    if bad:
        parts.append(f"{len(bad)} populated keys differ, e.g. key:{bad[0]}: "
                     f"{a['populated'][bad[0]]!r} vs {b['populated'][bad[0]]!r}")
    x, y = a["others"], b["others"]
    diff = sorted(k for k in x.keys() | y.keys() if x.get(k) != y.get(k))
    if diff:
        parts.append(f"{len(diff)} other keys differ; first (key, expected, got): "
                     f"{[(k, x.get(k), y.get(k)) for k in diff[:8]]}")
    return "; ".join(parts)


def assert_same_data(nodes: Nodes, primary: Node, *replicas: Node, populated: int = 0) -> None:
    """Every replica holds exactly the primary's dataset."""
    if all(n.kind == "redis" for n in (primary, *replicas)):
        want = primary.digest()
        if all(rep.digest() == want for rep in replicas):
            return
    expected = snapshot(primary, populated)
    for rep in replicas:
        got = snapshot(rep, populated)
        if got != expected:
            raise AssertionError(f"{rep!r} differs from its primary {primary!r}: "
                                 f"{describe_diff(expected, got)}\n{nodes.logs()}")


def assert_syncs(nodes: Nodes, primary: Node, full: int, partial: int) -> None:
    """The primary's INFO stats sync_full and sync_partial_ok have these values."""
    got = (primary.stat("sync_full"), primary.stat("sync_partial_ok"))
    assert got == (full, partial), f"(sync_full, sync_partial_ok) of {primary!r}: {got}, expected " \
                                   f"{(full, partial)}\n{nodes.logs()}"


def zombie_children(node: Node) -> list[int]:
    """Children of the node's process that exited and were not waited for."""
    try:
        with open(f"/proc/{node.sp.pid}/task/{node.sp.pid}/children") as fh:
            children = [int(pid) for pid in fh.read().split()]
    except OSError:
        return []
    zombies = []
    for pid in children:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] == "Z":
                    zombies.append(pid)
        except OSError:
            pass
    return zombies


# -------------------------------------------------------------------------------------------------- tests


def test_debug_digest_agrees_between_kinds(nodes: Nodes) -> None:
    """The same data must give the same DEBUG DIGEST in both kinds (then assert_same_data could use it)."""
    ours, theirs = nodes.start("pyredcache"), nodes.start("redis")
    for n in (ours, theirs):
        n.c.execute_command("DEBUG", "POPULATE", 1000, "key", 8)
        write_mixed(n, "mixed", 100)
    assert dump(ours) == dump(theirs)
    assert ours.digest() == theirs.digest()


@combos
def test_replica_killed_during_full_sync_resyncs_after_restart(nodes: Nodes, kinds: tuple[str, str]) -> None:
    primary = nodes.start(kinds[0])
    primary.c.execute_command("DEBUG", "POPULATE", POPULATE, "key", 8)
    write_mixed(primary, "mixed", 100)
    replica = nodes.start(kinds[1])
    replica.replicaof(primary)

    def transfer_state() -> str | None:
        ri = replica.info("replication")
        if ri.get("master_link_status") == "up":
            return "finished"
        loading = int(replica.info("persistence").get("loading", 0))
        if int(ri.get("master_sync_in_progress", 0)) and (int(ri.get("master_sync_read_bytes", 0)) > 0
                                                          or loading):
            return "transferring"
        return None

    state = nodes.wait(transfer_state, 30, f"{replica!r} to be receiving the RDB")
    assert state == "transferring", "the full sync finished before the replica could be killed"
    replica.sp.stop(signal.SIGKILL)
    assert primary.c.ping()
    write_mixed(primary, "after-kill", 50)

    replica = nodes.restart(replica, replicaof=primary)
    wait_synced(nodes, primary, replica)
    assert replica.c.dbsize() == primary.c.dbsize()
    assert_same_data(nodes, primary, replica, populated=POPULATE)
    assert primary.c.ping()
    nodes.wait(lambda: int(primary.info("replication")["connected_slaves"]) == 1, 10,
               f"{primary!r} to list exactly one replica")
    # The fork that was feeding the killed replica is gone and reaped.
    nodes.wait(lambda: int(primary.info("persistence")["rdb_bgsave_in_progress"]) == 0, 10,
               f"{primary!r} to end its sync fork")
    nodes.wait(lambda: not zombie_children(primary), 10, f"{primary!r} to reap its children")


@combos
def test_replica_restarted_from_its_rdb_resumes_with_partial_resync(nodes: Nodes, kinds: tuple[str, str]) -> None:
    primary = nodes.start(kinds[0])
    replica = nodes.start(kinds[1], {"dbfilename": "replica.rdb"})
    replica.replicaof(primary)
    write_mixed(primary, "initial", 200)
    wait_synced(nodes, primary, replica)
    full, partial = primary.stat("sync_full"), primary.stat("sync_partial_ok")

    # SHUTDOWN SAVE stores the replication id and offset in the replica's RDB (aux fields repl-id/offset).
    raw = RawClient(replica.port)       # not redis-py: it would retry SHUTDOWN on the closed connection
    raw.send(encode_command("SHUTDOWN", "SAVE"))
    assert raw.read_until_closed(10) == b""
    raw.close()
    assert replica.sp.proc.wait(10) == 0
    write_mixed(primary, "while-down", 100)

    replica = nodes.restart(replica, replicaof=primary)
    wait_synced(nodes, primary, replica)
    assert_same_data(nodes, primary, replica)
    assert_syncs(nodes, primary, full, partial + 1)


@combos
def test_primary_restarted_from_rdb_replicas_full_resync(nodes: Nodes, kinds: tuple[str, str]) -> None:
    primary = nodes.start(kinds[0], {"dbfilename": "primary.rdb"})
    replicas = [nodes.start(kinds[1]) for _ in range(2)]
    primary.c.execute_command("DEBUG", "POPULATE", 5000, "key", 16)
    for rep in replicas:
        rep.replicaof(primary)
    write_mixed(primary, "before", 200)
    wait_synced(nodes, primary, *replicas)
    assert_same_data(nodes, primary, *replicas, populated=5000)
    old_replid = primary.info("replication")["master_replid"]
    before = snapshot(primary, populated=5000)

    # The fork that served the syncs may outlive them a little, and SAVE refuses to run beside it.
    nodes.wait(lambda: int(primary.info("persistence")["rdb_bgsave_in_progress"]) == 0, 10,
               f"{primary!r} to reap the sync fork")
    assert primary.c.save()
    assert os.path.exists(os.path.join(primary.sp.workdir, "primary.rdb"))
    assert primary.sp.stop(signal.SIGTERM) is not None
    for rep in replicas:
        nodes.wait(lambda rep=rep: replica_state(rep)["master_link_status"] == "down", 10,
                   f"{rep!r} to see its primary gone")
        assert snapshot(rep, populated=5000) == before   # a replica keeps its data while the primary is away

    primary = nodes.restart(primary)
    assert snapshot(primary, populated=5000) == before   # the RDB reloaded
    wait_synced(nodes, primary, *replicas)
    assert_same_data(nodes, primary, *replicas, populated=5000)
    # Read after the syncs: the first replica's arrival (backlog creation) draws a new replid again.
    new_replid = primary.info("replication")["master_replid"]
    assert new_replid != old_replid
    for rep in replicas:
        assert replica_state(rep)["master_replid"] == new_replid
        # SAVE is not a write: replication must not carry it (call() counts a negative dirty delta as 0).
        ran_save = "cmdstat_save" in rep.info("commandstats")
        assert not ran_save, f"{rep!r} ran the SAVE sent to its primary"
    assert primary.stat("sync_full") >= 2
    assert primary.stat("sync_partial_ok") == 0

    write_mixed(primary, "after", 100)
    primary.c.delete("key:1", "key:2")
    wait_synced(nodes, primary, *replicas)
    assert_same_data(nodes, primary, *replicas, populated=5000)
    assert replicas[0].c.exists("key:1") == 0


@combos
def test_cut_link_resumes_with_partial_resync(nodes: Nodes, kinds: tuple[str, str]) -> None:
    primary = nodes.start(kinds[0])
    replica = nodes.start(kinds[1])
    replica.replicaof(primary)
    write_mixed(primary, "initial", 200)
    wait_synced(nodes, primary, replica)
    full, partial = primary.stat("sync_full"), primary.stat("sync_partial_ok")
    assert full == 1

    # The primary closes the link while the replica is frozen, then takes writes the replica has not seen.
    replica.signal(signal.SIGSTOP)
    try:
        assert primary.c.execute_command("CLIENT", "KILL", "TYPE", "replica") == 1
        nodes.wait(lambda: int(primary.info("replication")["connected_slaves"]) == 0, 10,
                   f"{primary!r} to drop the replica link")
        write_mixed(primary, "while-cut", 100)
    finally:
        replica.signal(signal.SIGCONT)
    wait_synced(nodes, primary, replica)
    assert_same_data(nodes, primary, replica)
    assert_syncs(nodes, primary, full, partial + 1)

    # The replica closes the link; writes made before it reconnects arrive through the partial resync.
    assert replica.c.execute_command("CLIENT", "KILL", "TYPE", "master") == 1
    write_mixed(primary, "replica-cut", 100)
    wait_synced(nodes, primary, replica)
    assert_same_data(nodes, primary, replica)
    assert_syncs(nodes, primary, full, partial + 2)


@combos
def test_replica_behind_the_backlog_gets_full_resync(nodes: Nodes, kinds: tuple[str, str]) -> None:
    # 16kb is Redis's smallest backlog; a replica whose output buffer passes 256kb is disconnected at once.
    directives = {"repl-backlog-size": "16kb", "client-output-buffer-limit": "replica 256kb 0 0",
                  "repl-timeout": "5"}
    primary = nodes.start(kinds[0], directives)
    replica = nodes.start(kinds[1], directives)
    replica.replicaof(primary)
    write_mixed(primary, "initial", 100)
    wait_synced(nodes, primary, replica)
    full, partial = primary.stat("sync_full"), primary.stat("sync_partial_ok")

    big = b"x" * 65536
    written = 0

    def write_until_dropped() -> bool:
        nonlocal written
        if int(primary.info("replication")["connected_slaves"]) == 0:
            return True
        if written >= 64 * 2**20:           # enough to pass any socket buffers: leave it to repl-timeout
            return False
        p = primary.c.pipeline(transaction=False)
        for i in range(16):                 # overwrite a few keys: the stream grows, the dataset does not
            p.set(f"big:{i % 4}", big)
        p.execute()
        written += 16 * len(big)
        return False

    replica.signal(signal.SIGSTOP)
    try:
        nodes.wait(write_until_dropped, 20, f"{primary!r} to drop the stopped replica")
        write_mixed(primary, "after-drop", 50)
    finally:
        replica.signal(signal.SIGCONT)
    wait_synced(nodes, primary, replica)
    assert_same_data(nodes, primary, replica)
    assert_syncs(nodes, primary, full + 1, partial)
    assert written > 16 * 1024      # more than the backlog holds


@combos
def test_wait_acknowledged_writes_survive_a_replica_crash(nodes: Nodes, kinds: tuple[str, str]) -> None:
    primary = nodes.start(kinds[0])
    survivor, victim = nodes.start(kinds[1]), nodes.start(kinds[1])
    for rep in (survivor, victim):
        rep.replicaof(primary)
    nodes.wait(lambda: int(primary.info("replication")["connected_slaves"]) == 2, SYNC_TIMEOUT,
               f"{primary!r} to have two replicas")
    wait_synced(nodes, primary, survivor, victim)

    # (key, value, WAIT's reply, how many replicas other than the survivor were alive when WAIT ran)
    records: list[tuple[str, str, int, int]] = []
    victim_alive = True
    for i in range(100):
        key, value = f"wait:{i}", f"v{i}-{random.random()}"
        assert primary.c.set(key, value)
        if i == 50:                           # killed after the write, before its WAIT
            victim.sp.stop(signal.SIGKILL)
            victim_alive = False
            started = time.monotonic()
            acked = int(primary.c.execute_command("WAIT", 2, 300))
            assert acked == 1 and time.monotonic() - started >= 0.25
        elif victim_alive:
            acked = int(primary.c.execute_command("WAIT", 2, 5000))
            assert acked == 2
        else:
            acked = int(primary.c.execute_command("WAIT", 1, 5000))
            assert acked == 1
        records.append((key, value, acked, int(victim_alive)))

    # A write acknowledged by n replicas is on at least n of those alive at the time; of those, only the
    # victim can have lost it. Read the survivor at once: an acknowledgement means the write is applied.
    must_have = [(k, v) for k, v, acked, others in records if acked - others >= 1]
    assert len(must_have) == len(records)
    got = survivor.c.mget([k for k, _ in must_have])
    missing = [(k, v, g) for (k, v), g in zip(must_have, got, strict=True) if g != v.encode()]
    assert not missing, f"acknowledged writes missing on the surviving replica: {missing[:10]}"
    wait_synced(nodes, primary, survivor)
    assert_same_data(nodes, primary, survivor)
    nodes.wait(lambda: int(primary.info("replication")["connected_slaves"]) == 1, 10,
               f"{primary!r} to drop the dead replica")


@combos
def test_stopped_primary_link_down_then_recovers(nodes: Nodes, kinds: tuple[str, str]) -> None:
    directives = {"repl-timeout": "2"}
    primary = nodes.start(kinds[0], directives)
    replica = nodes.start(kinds[1], directives)
    replica.replicaof(primary)
    write_mixed(primary, "initial", 200)
    wait_synced(nodes, primary, replica)

    primary.signal(signal.SIGSTOP)
    try:
        nodes.wait(lambda: replica_state(replica)["master_link_status"] == "down", 15,
                   f"{replica!r} to time out its stopped primary")
        assert replica.c.get("initial:1:s") == b"value-1+"     # still serving reads meanwhile
    finally:
        primary.signal(signal.SIGCONT)
    wait_synced(nodes, primary, replica)
    write_mixed(primary, "resumed", 100)
    wait_synced(nodes, primary, replica)
    assert_same_data(nodes, primary, replica)
