"""Whole RDB files exchanged with redis-server 7.0.15: a dump.rdb saved by Redis read with read_rdb (every key,
value, encoding and TTL checked against what the server answers), and files written by write_rdb from a
keyspace built here, loaded by redis-server at start-up and read back through its commands."""
from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from helpers.procs import ServerProcess, start_server

from pyredcache._speedups.keyspace import Context, Db
from pyredcache.datatypes.encoding import encoding_name, type_name
from pyredcache.datatypes.hashes import Hash
from pyredcache.datatypes.lists import RedisList
from pyredcache.datatypes.sets import RedisSet
from pyredcache.datatypes.zsets import RedisZSet
from pyredcache.persistence.rdb import (
    Aux,
    DefaultLimits,
    End,
    Entry,
    ResizeDb,
    SelectDb,
    load_rdb,
    read_rdb,
    write_rdb,
)

pytestmark = pytest.mark.oracle


def _value_matches(client: redis.Redis, key: bytes, value: object) -> None:
    """The server's view of key equals the decoded value (data, type, encoding)."""
    kind = type_name(value)
    assert client.type(key) == kind, key
    loaded = bytes(value) if isinstance(value, bytearray) else value   # loading re-encodes strings
    assert client.object("ENCODING", key) == encoding_name(loaded), key
    if kind == b"string":
        assert client.get(key) == bytes(value), key  # type: ignore[call-overload]
    elif kind == b"list":
        assert client.lrange(key, 0, -1) == list(value), key  # type: ignore[call-overload]
    elif kind == b"hash":
        assert client.hgetall(key) == dict(value), key  # type: ignore[call-overload]
    elif kind == b"set":
        assert client.smembers(key) == set(value), key  # type: ignore[call-overload]
    else:
        assert isinstance(value, RedisZSet)
        assert client.zrange(key, 0, -1, withscores=True) == list(value.items()), key


def _fill_redis(client: redis.Redis) -> None:
    rng = random.Random(3)
    client.set("str:int", 12345)
    client.set("str:big-int", 2 ** 62)
    client.set("str:embstr", "hello")
    client.set("str:lzf", "abcdefgh" * 500)
    client.set("str:random", bytes(rng.randrange(256) for _ in range(500)))
    client.set("str:ttl", "v", px=3_600_000)
    client.pfadd("hll:sparse", *range(20))
    client.pfadd("hll:dense", *range(5000))
    client.rpush("list:small", "a", 1, -5, "x" * 70)
    client.rpush("list:big", *range(5000))
    client.rpush("list:huge-elements", "y" * 10000, "z" * 100000, "w")
    client.hset("hash:lp", mapping={"a": 1, "b": "two"})
    client.hset("hash:ht", mapping={f"f{i}": "v" * i for i in range(300)})
    client.expire("hash:ht", 5000)
    client.sadd("set:int", 1, 2, 3, 2 ** 40)
    client.sadd("set:ht", "a", "b", 1)
    client.sadd("set:big", *range(1000))
    client.zadd("zset:lp", {"a": 1.5, "b": float("inf"), "c": -0.0, "d": 1e-300})
    client.zadd("zset:sl", {f"m{i}": i / 3 for i in range(500)})
    client.execute_command("DEBUG", "POPULATE", 10000, "pop", 20)
    client.select(3)
    client.set("db3:key", "in db 3", ex=100)
    client.zadd("db3:z", {"m" * 100: 1})
    client.select(0)


def test_read_a_dump_saved_by_redis(server_factory: Any) -> None:
    sp: ServerProcess = server_factory("redis", enable_debug_command="yes")
    client = redis.Redis(port=sp.port)
    try:
        _fill_redis(client)
        assert client.save()
        view = load_rdb(os.path.join(sp.workdir, "dump.rdb"))
        items = list(read_rdb(view, DefaultLimits()))
        aux = {i.name: i.value for i in items if isinstance(i, Aux)}
        assert aux[b"redis-ver"] == b"7.0.15"
        assert aux[b"redis-bits"] == b"64"
        assert items[-1] == End(True)
        assert [i for i in items if isinstance(i, SelectDb)] == [SelectDb(0), SelectDb(3)]
        resize = [i for i in items if isinstance(i, ResizeDb)]
        assert resize[0].keys == client.dbsize() and resize[0].expires == 2
        entries = [i for i in items if isinstance(i, Entry)]
        assert len(entries) == client.dbsize() + 2
        populated = [e for e in entries if e.key.startswith(b"pop:")]
        assert len(populated) == 10000
        pipe = client.pipeline(transaction=False)
        for e in populated:
            pipe.get(e.key)
        assert pipe.execute() == [e.value for e in populated]
        for e in entries:
            if e.key.startswith(b"pop:"):
                continue
            client.select(e.dbid)
            _value_matches(client, e.key, e.value)
            pexpiretime = client.execute_command("PEXPIRETIME", e.key)
            assert e.expire_ms == pexpiretime, e.key
        client.select(0)
        with pytest.raises(ValueError, match="checksum"):
            corrupt = bytearray(view)
            corrupt[-1] ^= 0xFF
            list(read_rdb(bytes(corrupt)))
    finally:
        client.close()


def _our_keyspace(now_ms: int) -> tuple[Context, list[Db], dict[tuple[int, bytes], object]]:
    ctx = Context()
    ctx.now_ms = now_ms
    dbs = [Db(ctx, i) for i in range(16)]
    rng = random.Random(9)
    data: dict[tuple[int, bytes], object] = {
        (0, b"s:int"): b"-42",
        (0, b"s:long"): b"0123456789" * 100,
        (0, b"s:bytes"): bytes(rng.randrange(256) for _ in range(300)),
        (0, b"s:bytearray"): bytearray(b"grown by append"),
        (0, b"l"): RedisList([b"a", b"1", b"x" * 9000, *(str(i).encode() for i in range(3000))]),
        (0, b"h:lp"): Hash([(b"f", b"v"), (b"n", b"17")]),
        (0, b"h:ht"): Hash([(b"f%d" % i, b"v" * i) for i in range(200)], listpack=False),
        (0, b"set:int"): RedisSet.build([b"5", b"-7", b"1099511627776"], 512),
        (0, b"set:ht"): RedisSet.build([b"a", b"b", b"3"], 512),
        (0, b"z:lp"): RedisZSet.build([(b"a", 1.0), (b"b", -2.5), (b"c", float("-inf"))], 128, 64),
        (0, b"z:sl"): RedisZSet.build([(b"m%d" % i, i * 1.25) for i in range(300)], 128, 64),
        (5, b"other-db"): b"five",
        (5, b"ttl"): RedisList([b"x"]),
    }
    for i in range(2000):
        data[(1, b"bulk:%d" % i)] = b"value:%d" % i
    for (dbid, key), value in data.items():
        dbs[dbid].set_key(key, value)
    dbs[5].set_expire(b"ttl", now_ms + 3_600_000)
    dbs[0].set_expire(b"h:ht", now_ms + 7_200_000)
    return ctx, dbs, data


@pytest.fixture
def written_rdb(tmp_path: Any) -> Iterator[tuple[str, dict[tuple[int, bytes], object], int]]:
    now_ms = int(time.time() * 1000)
    _ctx, dbs, data = _our_keyspace(now_ms)
    path = os.path.join(tmp_path, "ours.rdb")
    with open(path, "wb") as f:
        n = write_rdb(f, dbs, {"repl-stream-db": 0, "repl-id": b"0" * 40, "repl-offset": 0, "aof-base": 0},
                      lru=False, lfu=False)
    assert n == os.path.getsize(path)
    yield path, data, now_ms


def test_redis_loads_a_file_we_wrote(written_rdb: tuple[str, dict[tuple[int, bytes], object], int]) -> None:
    path, data, now_ms = written_rdb
    sp = start_server("redis", {"dir": os.path.dirname(path), "dbfilename": os.path.basename(path)})
    client = redis.Redis(port=sp.port)
    try:
        for dbid in (0, 1, 5):
            client.select(dbid)
            assert client.dbsize() == sum(1 for d, _ in data if d == dbid)
        for (dbid, key), value in data.items():
            client.select(dbid)
            _value_matches(client, key, value)
        client.select(5)
        assert abs(client.pexpiretime(b"ttl") - (now_ms + 3_600_000)) == 0
        client.select(0)
        assert client.pexpiretime(b"h:ht") == now_ms + 7_200_000
        assert client.ttl(b"l") == -1
    finally:
        client.close()
        sp.cleanup()


def test_read_back_our_own_file(written_rdb: tuple[str, dict[tuple[int, bytes], object], int]) -> None:
    path, data, now_ms = written_rdb
    items = list(read_rdb(load_rdb(path)))
    aux = [i.name for i in items if isinstance(i, Aux)]
    assert aux == [b"redis-ver", b"redis-bits", b"ctime", b"used-mem", b"repl-stream-db", b"repl-id",
                   b"repl-offset", b"aof-base"]
    entries = {(e.dbid, e.key): e for e in items if isinstance(e, Entry)}
    assert set(entries) == set(data)
    for k, value in data.items():
        got = entries[k].value
        assert type_name(got) == type_name(value)
        assert encoding_name(got) == encoding_name(bytes(value) if isinstance(value, bytearray) else value)
        if isinstance(value, RedisZSet):
            assert isinstance(got, RedisZSet) and list(got.items()) == list(value.items())
        elif isinstance(value, (bytes, bytearray)):
            assert got == bytes(value)
        elif isinstance(value, RedisSet):
            assert set(got) == set(value)  # type: ignore[call-overload]
        else:
            assert list(got) == list(value)  # type: ignore[call-overload]
    assert entries[(5, b"ttl")].expire_ms == now_ms + 3_600_000
    assert items[-1] == End(True)


def test_lru_and_lfu_fields_reach_redis(tmp_path: Any) -> None:
    now_ms = int(time.time() * 1000)
    ctx = Context()
    ctx.now_ms = now_ms
    db = Db(ctx, 0)
    db.set_key(b"old", b"v")
    db.set_lru(b"old", (ctx.lru_clock() - 500) & 0xFFFFFF)
    path = os.path.join(tmp_path, "lru.rdb")
    with open(path, "wb") as f:
        write_rdb(f, [db], {}, lru=True, lfu=False)
    entry = next(i for i in read_rdb(load_rdb(path)) if isinstance(i, Entry))
    assert entry.idle in (500, 501)
    sp = start_server("redis", {"dir": str(tmp_path), "dbfilename": "lru.rdb", "maxmemory-policy": "allkeys-lru"})
    client = redis.Redis(port=sp.port)
    try:
        assert 499 <= client.object("IDLETIME", "old") <= 502
    finally:
        client.close()
        sp.cleanup()
    ctx.lfu_mode = True
    db2 = Db(ctx, 0)
    db2.set_key(b"hot", b"v")
    db2.set_lru(b"hot", (((now_ms // 60000) & 0xFFFF) << 8) | 77)
    with open(path, "wb") as f:
        write_rdb(f, [db2], {}, lru=False, lfu=True)
    entry = next(i for i in read_rdb(load_rdb(path)) if isinstance(i, Entry))
    assert entry.freq == 77
    sp = start_server("redis", {"dir": str(tmp_path), "dbfilename": "lru.rdb", "maxmemory-policy": "allkeys-lfu"})
    client = redis.Redis(port=sp.port)
    try:
        assert client.object("FREQ", "hot") == 77
    finally:
        client.close()
        sp.cleanup()
