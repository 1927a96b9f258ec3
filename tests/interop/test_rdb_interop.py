"""RDB files across implementations: a pyredcache dump loads in redis-server 7.0.15 and the reverse, with
identical data (DEBUG DIGEST, per-key values, encodings and TTLs); pyredcache restarts on its own dump."""
from __future__ import annotations

import os
import shutil
from typing import Any

from helpers.procs import ServerProcess
from helpers.rawclient import RawClient

KEYS_DB0 = ["int", "neg", "str", "long", "empty", "list", "biglist", "hsmall", "hbig", "sint", "ssmall", "sbig",
            "zsmall", "zbig", "hll", "ttl", "bin"]


def fill(c: RawClient) -> None:
    """Every type and encoding, TTLs, several dbs."""
    cmds: list[tuple[Any, ...]] = [
        ("SET", "int", "12345"), ("SET", "neg", "-9000000000"), ("SET", "str", "hello"),
        ("SET", "long", "x" * 300), ("SET", "empty", ""), ("SET", "bin", bytes(range(256))),
        ("RPUSH", "list", "a", "b", "1", "2"),
        ("RPUSH", "biglist", *[f"item-{i}" * 3 for i in range(1500)]),
        ("HSET", "hsmall", "f1", "v1", "f2", "2"),
        ("HSET", "hbig", *[x for i in range(300) for x in (f"field{i}", f"value{i}")]),
        ("SADD", "sint", 1, 2, 3, -7, 100000),
        ("SADD", "ssmall", "a", "b", "c"),
        ("SADD", "sbig", *[f"member{i}" for i in range(700)]),
        ("ZADD", "zsmall", 1, "a", "2.5", "b", "-inf", "c"),
        ("ZADD", "zbig", *[x for i in range(300) for x in (str(i * 1.5), f"m{i}")]),
        ("PFADD", "hll", *[f"e{i}" for i in range(50)]),
        ("SET", "ttl", "v", "PX", 3_600_000),
        ("EXPIRE", "hbig", 7200),
        ("SELECT", 1), ("SET", "db1key", "one"), ("LPUSH", "db1list", "z"),
        ("SELECT", 15), ("HSET", "db15hash", "a", "b"), ("PEXPIRE", "db15hash", 900_000),
        ("SELECT", 0),
    ]
    for cmd in cmds:
        reply = c.command(*cmd)
        assert not reply.startswith(b"-"), (cmd, reply)
    # PFCOUNT caches the cardinality inside the HLL string: do it now, or a later PFCOUNT changes the value.
    c.command("PFCOUNT", "hll")


def content(c: RawClient, key: str) -> Any:
    """A key's whole value through plain commands (unordered types sorted)."""
    kind = c.command("TYPE", key)
    if kind == b"+string\r\n":
        return c.command("GET", key)
    if kind == b"+list\r\n":
        return c.command("LRANGE", key, 0, -1)
    if kind == b"+hash\r\n":
        return sorted(c.command("HGETALL", key).split(b"\r\n"))
    if kind == b"+set\r\n":
        return sorted(c.command("SMEMBERS", key).split(b"\r\n"))
    if kind == b"+zset\r\n":
        return c.command("ZRANGE", key, 0, -1, "WITHSCORES")
    return kind


def snapshot_view(c: RawClient) -> dict[str, Any]:
    """What must survive the trip: every value, encodings, TTLs (to the minute)."""
    view: dict[str, Any] = {}
    for k in KEYS_DB0:
        view[f"value:{k}"] = content(c, k)
        view[f"enc:{k}"] = c.command("OBJECT", "ENCODING", k)
        view[f"type:{k}"] = c.command("TYPE", k)
        ttl = int(c.command("PTTL", k)[1:-2])
        view[f"ttl:{k}"] = -1 if ttl < 0 else (ttl + 30_000) // 60_000
    view["zsmall"] = c.command("ZRANGE", "zsmall", 0, -1, "WITHSCORES")
    view["bin"] = c.command("GET", "bin")
    view["hll"] = c.command("PFCOUNT", "hll")
    for db, key in ((1, "db1key"), (1, "db1list"), (15, "db15hash")):
        c.command("SELECT", db)
        view[f"{db}:{key}"] = content(c, key)
        view[f"{db}:ttl:{key}"] = int(c.command("PTTL", key)[1:-2]) > 0
        c.command("SELECT", 0)
    view["dbsize1"] = _dbsize(c, 1)
    view["dbsize15"] = _dbsize(c, 15)
    return view


def _dbsize(c: RawClient, db: int) -> bytes:
    c.command("SELECT", db)
    n = c.command("DBSIZE")
    c.command("SELECT", 0)
    return n


def _saved(server_factory: Any, kind: str) -> tuple[ServerProcess, dict[str, Any]]:
    sp = server_factory(kind, enable_debug_command="yes")
    c = RawClient(sp.port)
    fill(c)
    view = snapshot_view(c)
    assert c.command("SAVE") == b"+OK\r\n"
    c.close()
    return sp, view


def _load(server_factory: Any, kind: str, dump: str) -> tuple[str, RawClient]:
    """Start a `kind` server on a copy of `dump`; returns (its log file, a client)."""
    sp = server_factory(kind, enable_debug_command="yes")
    sp.stop()
    shutil.copy(dump, os.path.join(sp.workdir, "dump.rdb"))
    log = os.path.join(sp.workdir, "reload.log")
    sp2 = server_factory(kind, enable_debug_command="yes", dir=sp.workdir, logfile=log)
    return log, RawClient(sp2.port)


def test_pyredcache_dump_loads_in_redis(server_factory: Any) -> None:
    ours, view = _saved(server_factory, "pyredcache")
    log, c = _load(server_factory, "redis", os.path.join(ours.workdir, "dump.rdb"))
    assert snapshot_view(c) == view
    with open(log) as fh:
        assert "keys loaded: 20, keys expired: 0" in fh.read()
    c.close()


def test_redis_dump_loads_in_pyredcache(server_factory: Any) -> None:
    theirs, view = _saved(server_factory, "redis")
    _, c = _load(server_factory, "pyredcache", os.path.join(theirs.workdir, "dump.rdb"))
    assert snapshot_view(c) == view
    assert c.command("INFO", "persistence").count(b"rdb_last_load_keys_loaded:20") == 1
    c.close()


def test_pyredcache_restarts_on_its_own_dump(server_factory: Any) -> None:
    ours, view = _saved(server_factory, "pyredcache")
    c = RawClient(ours.port)
    digest = c.command("DEBUG", "DIGEST")
    c.close()
    _, c = _load(server_factory, "pyredcache", os.path.join(ours.workdir, "dump.rdb"))
    assert snapshot_view(c) == view
    assert c.command("DEBUG", "DIGEST") == digest
    c.close()


def test_rdbchecksum_no_writes_zero_checksum(server_factory: Any) -> None:
    sp = server_factory(enable_debug_command="yes", rdbchecksum="no", rdbcompression="no")
    c = RawClient(sp.port)
    c.command("SET", "k", "v" * 100)
    assert c.command("SAVE") == b"+OK\r\n"
    c.close()
    with open(os.path.join(sp.workdir, "dump.rdb"), "rb") as fh:
        data = fh.read()
    assert data.endswith(b"\0" * 8)
    assert b"v" * 100 in data          # rdbcompression no: stored as is
    log, c2 = _load(server_factory, "redis", os.path.join(sp.workdir, "dump.rdb"))
    assert c2.command("GET", "k") == b"$100\r\n" + b"v" * 100 + b"\r\n"
    with open(log) as fh:
        assert "RDB file was saved with checksum disabled: no check performed." in fh.read()
    c2.close()
