"""ZPOPMIN/ZPOPMAX, ZMPOP, BZPOPMIN/BZPOPMAX/BZMPOP, ZRANDMEMBER, ZUNION/ZINTER/ZDIFF[STORE], ZINTERCARD and ZSCAN
on pyredcache: reply shapes, invariants of the random replies, encodings, WATCH, and the blocking machinery
(wakeups, FIFO order, timeouts, MULTI, CLIENT UNBLOCK, disconnects, databases)."""
from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis
from helpers.rawclient import RawClient, encode_command
from helpers.wait import wait_until


@pytest.fixture
def clients(port: int) -> Iterator[list[RawClient]]:
    made: list[RawClient] = []
    yield made
    for c in made:
        c.close()


def _client(port: int, clients: list[RawClient]) -> RawClient:
    c = RawClient(port)
    clients.append(c)
    return c


def _blocked(r: redis.Redis, n: int) -> bool:
    return int(r.info("clients")["blocked_clients"]) == n


def _block(r: redis.Redis, c: RawClient, *args: str, n: int = 1) -> None:
    c.send(encode_command(*args))
    wait_until(lambda: _blocked(r, n), timeout=5, message=f"{n} blocked clients")


@pytest.fixture
def resp3(port: int) -> Iterator[redis.Redis]:
    client = redis.Redis(port=port, protocol=3)
    client.flushall()
    yield client
    client.close()


def _big(r: redis.Redis, key: str = "big", n: int = 200) -> dict[bytes, float]:
    mapping = {f"m{i}": i * 0.5 for i in range(n)}
    r.zadd(key, mapping)
    assert r.object("encoding", key) == b"skiplist"
    return {k.encode(): v for k, v in mapping.items()}


# ------------------------------------------------------------------------------------------------- pops


def test_zpopmin_zpopmax_basic(r, raw):
    r.zadd("z", {"a": 1, "b": 2, "c": 3})
    assert raw.command("ZPOPMIN", "z") == b"*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    assert raw.command("ZPOPMAX", "z", "5") == b"*4\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n2\r\n"
    assert r.exists("z") == 0
    assert raw.command("ZPOPMIN", "z") == b"*0\r\n"
    assert raw.command("ZPOPMIN", "z", "0") == b"*0\r\n"


def test_zpop_resp3_nests_only_with_count(resp3):
    resp3.zadd("z", {"a": 1.5, "b": 2, "c": 3})
    assert resp3.execute_command("ZPOPMIN", "z") == [b"a", 1.5]
    assert resp3.execute_command("ZPOPMAX", "z", "1") == [[b"c", 3.0]]
    assert resp3.execute_command("ZPOPMAX", "z", "9") == [[b"b", 2.0]]


def test_zpop_errors(r, raw):
    r.set("s", "v")
    assert raw.command("ZPOPMIN", "z", "-1") == b"-ERR value is out of range, must be positive\r\n"
    assert raw.command("ZPOPMIN", "z", "1", "2") == b"-ERR syntax error\r\n"
    assert raw.command("ZPOPMAX", "s").startswith(b"-WRONGTYPE")


def test_zpop_large_skiplist_order(r):
    scores = _big(r)
    popped = r.zpopmin("big", 50)
    assert popped == sorted(scores.items(), key=lambda p: (p[1], p[0]))[:50]
    assert r.zcard("big") == 150
    top = r.zpopmax("big", 3)
    assert [s for _, s in top] == [99.5, 99.0, 98.5]


def test_zpop_invalidates_watch(r, port):
    r.zadd("z", {"a": 1})
    other = redis.Redis(port=port)
    try:
        pipe = other.pipeline()
        pipe.watch("z")
        r.zpopmin("z")
        pipe.multi()
        pipe.ping()
        with pytest.raises(redis.WatchError):
            pipe.execute()
    finally:
        other.close()


def test_zmpop_shapes_and_key_choice(r, raw):
    r.set("s", "v")
    r.zadd("z", {"a": 1, "b": 2, "c": 3})
    assert raw.command("ZMPOP", "2", "none", "z", "MAX", "COUNT", "2") == \
        b"*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
    assert raw.command("ZMPOP", "1", "none", "MIN") == b"*-1\r\n"
    assert raw.command("ZMPOP", "2", "none", "s", "MIN").startswith(b"-WRONGTYPE")
    assert raw.command("ZMPOP", "1", "z", "MIN", "COUNT", "0") == b"-ERR count should be greater than 0\r\n"
    assert raw.command("ZMPOP", "0", "z", "MIN") == b"-ERR numkeys should be greater than 0\r\n"


def test_zmpop_resp3_null(resp3):
    assert resp3.execute_command("ZMPOP", "1", "none", "MIN") is None
    resp3.zadd("z", {"a": 1})
    assert resp3.execute_command("ZMPOP", "1", "z", "MIN") == [b"z", [[b"a", 1.0]]]


# ------------------------------------------------------------------------------------------- ZRANDMEMBER


def test_zrandmember_single(r):
    r.zadd("z", {"a": 1, "b": 2})
    for _ in range(20):
        assert r.zrandmember("z") in (b"a", b"b")
    assert r.zrandmember("none") is None


@pytest.mark.parametrize("big", [False, True])
def test_zrandmember_distinct_and_repeats(r, big):
    scores = _big(r, "z", 200) if big else {b"a": 1.0, b"b": 2.0, b"c": 3.0, b"d": 4.0, b"e": 5.0}
    if not big:
        r.zadd("z", {k.decode(): v for k, v in scores.items()})
    n = len(scores)
    for count in (1, 2, n - 1, n // 3 + 1):
        got = r.zrandmember("z", count)
        assert len(got) == count == len(set(got))
        assert set(got) <= set(scores)
    got = r.zrandmember("z", -3 * n)
    assert len(got) == 3 * n and set(got) <= set(scores)
    pairs = r.zrandmember("z", -7, withscores=True)
    assert len(pairs) == 14
    for member, score in zip(pairs[::2], pairs[1::2], strict=True):
        assert float(score) == scores[member]
    assert r.zrandmember("z", n + 5) == sorted(scores, key=lambda m: (scores[m], m), reverse=True)


def test_zrandmember_listpack_distinct_come_in_order(r):
    r.zadd("z", {f"m{i}": i for i in range(20)})
    for _ in range(10):
        got = r.zrandmember("z", 8)
        assert got == sorted(got, key=lambda m: int(m[1:]))


def test_zrandmember_covers_every_member(r):
    r.zadd("z", {"a": 1, "b": 2, "c": 3})
    assert set(r.zrandmember("z", -300)) == {b"a", b"b", b"c"}


def test_zrandmember_resp3_withscores_nested(resp3):
    resp3.zadd("z", {"a": 1, "b": 2.5})
    assert resp3.execute_command("ZRANDMEMBER", "z", "5", "WITHSCORES") == [[b"b", 2.5], [b"a", 1.0]]
    got = resp3.execute_command("ZRANDMEMBER", "z", "-4", "WITHSCORES")
    assert len(got) == 4 and all(len(p) == 2 and isinstance(p[1], float) for p in got)


# ---------------------------------------------------------------------------------------------- algebra


def test_zunion_zinter_zdiff(r):
    r.zadd("a", {"x": 1, "y": 2, "z": 3})
    r.zadd("b", {"y": 10, "z": 20, "w": 30})
    r.sadd("s", "z", "w", "q")
    run = r.execute_command
    assert run("ZUNION", 2, "a", "b", "WITHSCORES") == [b"x", b"1", b"y", b"12", b"z", b"23", b"w", b"30"]
    assert run("ZINTER", 2, "a", "b", "AGGREGATE", "MAX", "WITHSCORES") == [b"y", b"10", b"z", b"20"]
    assert run("ZINTER", 2, "a", "s", "WEIGHTS", 2, 100, "WITHSCORES") == [b"z", b"106"]
    assert run("ZDIFF", 2, "a", "s", "WITHSCORES") == [b"x", b"1", b"y", b"2"]
    assert run("ZUNION", 1, "none") == []


def test_algebra_inf_arithmetic(r):
    r.zadd("p", {"a": float("inf")})
    r.zadd("n", {"a": float("-inf")})
    run = r.execute_command
    assert run("ZUNION", 2, "p", "n", "WITHSCORES") == [b"a", b"0"]                 # inf + -inf -> 0
    # The first input's 0 * inf is zeroed, then -inf is added; the second input's NaN zeroes the sum.
    assert run("ZINTER", 2, "p", "n", "WEIGHTS", 0, 1, "WITHSCORES") == [b"a", b"-inf"]
    assert run("ZINTER", 2, "n", "p", "WEIGHTS", 1, 0, "WITHSCORES") == [b"a", b"0"]
    assert run("ZUNION", 2, "p", "n", "AGGREGATE", "MIN", "WITHSCORES") == [b"a", b"-inf"]


def test_zunionstore_encoding_and_ttl(r):
    r.zadd("a", {"x": 1, "y": 2})
    r.set("d", "old", ex=100)
    assert r.zunionstore("d", ["a", "a"]) == 2
    assert r.ttl("d") == -1
    assert r.zrange("d", 0, -1, withscores=True) == [(b"x", 2.0), (b"y", 4.0)]
    assert r.object("encoding", "d") == b"listpack"
    _big(r, "big", 200)
    assert r.zunionstore("d", ["big"]) == 200
    assert r.object("encoding", "d") == b"skiplist"
    assert r.zinterstore("d", ["a", "none"]) == 0
    assert r.exists("d") == 0


def test_zintercard_limit(r):
    _big(r, "big", 200)
    r.zadd("half", {f"m{i}": 1 for i in range(0, 100, 2)})
    assert r.zintercard(2, ["big", "half"]) == 50
    assert r.zintercard(2, ["big", "half"], limit=7) == 7
    assert r.zintercard(2, ["big", "half"], limit=0) == 50


def test_algebra_resp3_withscores_nested(resp3):
    resp3.zadd("a", {"x": 1, "y": 2})
    assert resp3.execute_command("ZUNION", "1", "a", "WITHSCORES") == [[b"x", 1.0], [b"y", 2.0]]
    assert resp3.execute_command("ZDIFF", "1", "a") == [b"x", b"y"]


# ------------------------------------------------------------------------------------------------- ZSCAN


def test_zscan_listpack_whole(r):
    r.zadd("z", {"a": 1, "b": 2.5, "c": float("inf")})
    assert r.zscan("z", 0) == (0, [(b"a", 1.0), (b"b", 2.5), (b"c", float("inf"))])
    assert r.zscan("z", 0, match="b*") == (0, [(b"b", 2.5)])


def test_zscan_skiplist_iteration_complete(r):
    scores = _big(r, "z", 500)
    seen: dict[bytes, float] = {}
    cursor = 0
    calls = 0
    while True:
        cursor, items = r.zscan("z", cursor, count=20)
        calls += 1
        seen.update(items)
        if cursor == 0:
            break
    assert seen == scores
    assert calls > 5


def test_zscan_survives_writes(r):
    scores = _big(r, "z", 300)
    seen: dict[bytes, float] = {}
    cursor, items = r.zscan("z", 0, count=30)
    seen.update(items)
    r.zadd("z", {"extra": 1000})
    while cursor != 0:
        cursor, items = r.zscan("z", cursor, count=30)
        seen.update(items)
    assert set(scores) <= set(seen)


# ---------------------------------------------------------------------------------------------- blocking


def test_bzpopmin_immediate(r, raw):
    r.zadd("z", {"a": 1, "b": 2})
    assert raw.command("BZPOPMIN", "none", "z", "0") == b"*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n"
    assert raw.command("BZPOPMAX", "z", "0") == b"*3\r\n$1\r\nz\r\n$1\r\nb\r\n$1\r\n2\r\n"
    assert r.exists("z") == 0


def test_bzpopmin_served_by_zadd(r, port, clients):
    c = _client(port, clients)
    _block(r, c, "BZPOPMIN", "k1", "k2", "0")
    r.zadd("k2", {"x": 2, "y": 1})
    assert c.read_reply() == b"*3\r\n$2\r\nk2\r\n$1\r\ny\r\n$1\r\n1\r\n"
    assert r.zrange("k2", 0, -1) == [b"x"]
    assert _blocked(r, 0)


def test_bzmpop_served_with_count(r, port, clients):
    c = _client(port, clients)
    _block(r, c, "BZMPOP", "0", "2", "a", "b", "MAX", "COUNT", "2")
    r.zadd("b", {"x": 1, "y": 2, "z": 3})
    assert c.read_reply() == b"*2\r\n$1\r\nb\r\n*2\r\n*2\r\n$1\r\nz\r\n$1\r\n3\r\n*2\r\n$1\r\ny\r\n$1\r\n2\r\n"
    assert r.zrange("b", 0, -1) == [b"x"]


def test_blocked_fifo_order(r, port, clients):
    a = _client(port, clients)
    b = _client(port, clients)
    _block(r, a, "BZPOPMAX", "k", "0", n=1)
    _block(r, b, "BZPOPMAX", "k", "0", n=2)
    r.zadd("k", {"one": 1})
    assert a.read_reply() == b"*3\r\n$1\r\nk\r\n$3\r\none\r\n$1\r\n1\r\n"
    assert _blocked(r, 1)
    r.zadd("k", {"two": 2})
    assert b.read_reply() == b"*3\r\n$1\r\nk\r\n$3\r\ntwo\r\n$1\r\n2\r\n"


def test_two_blocked_served_by_one_zadd(r, port, clients):
    a = _client(port, clients)
    b = _client(port, clients)
    _block(r, a, "BZPOPMIN", "k", "0", n=1)
    _block(r, b, "BZPOPMIN", "k", "0", n=2)
    r.zadd("k", {"x": 1, "y": 2, "z": 3})
    assert a.read_reply().endswith(b"$1\r\nx\r\n$1\r\n1\r\n")
    assert b.read_reply().endswith(b"$1\r\ny\r\n$1\r\n2\r\n")
    assert r.zrange("k", 0, -1) == [b"z"]


def test_bzpopmin_timeout_subsecond(r, port, clients):
    c = _client(port, clients)
    start = time.monotonic()
    c.send(encode_command("BZPOPMIN", "k", "0.2"))
    assert c.read_reply() == b"*-1\r\n"
    elapsed = time.monotonic() - start
    assert 0.15 <= elapsed < 2.0
    assert _blocked(r, 0)


def test_bzmpop_timeout_resp3_null(r, port, clients):
    c = _client(port, clients)
    c.command("HELLO", "3")
    c.send(encode_command("BZMPOP", "0.05", "1", "k", "MIN"))
    assert c.read_reply() == b"_\r\n"


def test_blocking_in_multi_answers_null(r, raw):
    assert raw.command("MULTI") == b"+OK\r\n"
    assert raw.command("BZPOPMIN", "k", "0") == b"+QUEUED\r\n"
    assert raw.command("BZMPOP", "0", "1", "k", "MIN") == b"+QUEUED\r\n"
    assert raw.command("EXEC") == b"*2\r\n*-1\r\n*-1\r\n"


def test_blocked_client_disconnect_forgotten(r, port, clients):
    c = _client(port, clients)
    _block(r, c, "BZPOPMIN", "k", "0")
    c.close()
    wait_until(lambda: _blocked(r, 0), timeout=5, message="disconnected client unblocked")
    r.zadd("k", {"a": 1})
    assert r.zcard("k") == 1


def test_client_unblock(r, port, clients):
    c = _client(port, clients)
    cid = int(c.command("CLIENT", "ID")[1:-2])
    _block(r, c, "BZPOPMAX", "k", "0")
    assert r.client_unblock(cid) == 1
    assert c.read_reply() == b"*-1\r\n"
    _block(r, c, "BZMPOP", "0", "1", "k", "MIN")
    assert r.client_unblock(cid, error=True) == 1
    assert c.read_reply() == b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    assert c.command("PING") == b"+PONG\r\n"


def test_blocked_client_pipeline_deferred(r, port, clients):
    c = _client(port, clients)
    c.send(encode_command("BZPOPMIN", "k", "0") + encode_command("PING"))
    wait_until(lambda: _blocked(r, 1), timeout=5, message="blocked")
    r.zadd("k", {"a": 1})
    assert c.read_reply() == b"*3\r\n$1\r\nk\r\n$1\r\na\r\n$1\r\n1\r\n"
    assert c.read_reply() == b"+PONG\r\n"


def test_blocked_on_its_own_db(r, port, clients):
    c = _client(port, clients)
    assert c.command("SELECT", "1") == b"+OK\r\n"
    _block(r, c, "BZPOPMIN", "k", "0")
    r.zadd("k", {"db0": 1})
    assert _blocked(r, 1)
    other = redis.Redis(port=port, db=1)
    try:
        other.zadd("k", {"db1": 1})
    finally:
        other.close()
    assert c.read_reply() == b"*3\r\n$1\r\nk\r\n$3\r\ndb1\r\n$1\r\n1\r\n"


def test_blocked_woken_by_zunionstore(r, port, clients):
    c = _client(port, clients)
    r.sadd("s", "m")
    _block(r, c, "BZPOPMIN", "k", "0")
    assert r.zunionstore("k", ["s"]) == 1
    assert c.read_reply() == b"*3\r\n$1\r\nk\r\n$1\r\nm\r\n$1\r\n1\r\n"
    assert r.exists("k") == 0


def test_blocked_zset_client_keeps_waiting_for_list(r, port, clients):
    c = _client(port, clients)
    _block(r, c, "BZPOPMIN", "k", "0")
    r.rpush("k", "x")
    assert _blocked(r, 1)
    r.delete("k")
    r.zadd("k", {"m": 3})
    assert c.read_reply() == b"*3\r\n$1\r\nk\r\n$1\r\nm\r\n$1\r\n3\r\n"
