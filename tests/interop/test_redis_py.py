"""Interop with redis-py: sync and asyncio clients, RESP2 and RESP3, non-transactional pipelines, pools.

Each scenario runs against pyredcache and a real redis-server 7.0.15 with the same client settings, and
the decoded results (values, types, exception texts) must be identical.
"""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import redis.asyncio
from helpers.procs import ServerProcess

Scenario = Callable[[redis.Redis], list[Any]]


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def protocol(request: pytest.FixtureRequest) -> int:
    return int(request.param)


class Pair:
    def __init__(self, ours_port: int, redis_port: int, protocol: int) -> None:
        self.ports = (ours_port, redis_port)
        self.protocol = protocol
        self.clients: list[redis.Redis] = []

    def client(self, port: int, **kwargs: Any) -> redis.Redis:
        c = redis.Redis(port=port, protocol=self.protocol, socket_timeout=10, **kwargs)
        self.clients.append(c)
        return c

    @property
    def ours(self) -> redis.Redis:
        return self.client(self.ports[0])

    def same(self, scenario: Scenario, **kwargs: Any) -> list[Any]:
        """Run scenario on both servers (fresh clients built with kwargs); results must be equal."""
        a = _capture(scenario, self.client(self.ports[0], **kwargs))
        b = _capture(scenario, self.client(self.ports[1], **kwargs))
        assert a == b, f"protocol {self.protocol}:\npyredcache: {a!r}\nredis:      {b!r}"
        return a

    def close(self) -> None:
        for c in self.clients:
            c.close()


def _capture(scenario: Scenario, client: redis.Redis) -> list[Any]:
    try:
        return scenario(client)
    except redis.ResponseError as exc:  # a scenario that fails must fail the same way on both
        return [("raised", type(exc).__name__, str(exc))]


def _flush(port: int) -> None:
    with redis.Redis(port=port, protocol=2, socket_timeout=10) as c:
        c.flushall()


@pytest.fixture
def pair(pyredcache_proc: ServerProcess, redis_proc: ServerProcess, protocol: int) -> Iterator[Pair]:
    _flush(pyredcache_proc.port)
    _flush(redis_proc.port)
    p = Pair(pyredcache_proc.port, redis_proc.port, protocol)
    yield p
    p.close()


def err(fn: Callable[[], Any]) -> Any:
    """The call's result, or ("error", class name, message) if the server answered with an error."""
    try:
        return fn()
    except redis.ResponseError as exc:
        return ("error", type(exc).__name__, str(exc))


# ------------------------------------------------------------------------------------------- sync


@pytest.mark.oracle
def test_set_get_family_same_results(pair: Pair) -> None:
    def scenario(c: redis.Redis) -> list[Any]:
        return [
            c.set("k", "v"), c.get("k"), c.get("missing"),
            c.set("k", "w", nx=True), c.set("k", "w", xx=True), c.get("k"),
            c.set("k", "x", get=True), c.set("new", "y", xx=True), c.set("new", "y", nx=True, get=True),
            c.setnx("k", "z"), c.setnx("n2", "z"), c.getset("k", "g"), c.getdel("k"), c.getdel("k"),
            c.execute_command("SETEX", "e", 100, "v"),
            c.execute_command("PSETEX", "pe", 100_000, "v"), c.getex("e", persist=True), c.ttl("e"),
            c.append("a", "hello"), c.append("a", " world"), c.strlen("a"), c.getrange("a", 0, 4),
            c.getrange("a", -5, -1), c.setrange("a", 6, "W"), c.get("a"), c.setrange("pad", 3, "x"),
            c.get("pad"), c.substr("a", 1, 3),
        ]

    pair.same(scenario)


@pytest.mark.oracle
def test_incr_family_same_results(pair: Pair) -> None:
    def scenario(c: redis.Redis) -> list[Any]:
        return [
            c.incr("n"), c.incr("n", 10), c.decr("n"), c.decr("n", 5), c.incrby("n", -100),
            c.incrbyfloat("f", 1.5), c.incrbyfloat("f", 2.25), c.incrbyfloat("f", -0.75), c.get("f"),
            c.set("big", 2**63 - 1), err(lambda: c.incr("big")), c.set("s", "abc"), err(lambda: c.incr("s")),
            err(lambda: c.incrbyfloat("s", 1)), c.set("fl", "1e3"), c.incrbyfloat("fl", 1),
            err(lambda: c.execute_command("INCRBY", "n", "x")),
        ]

    pair.same(scenario)


@pytest.mark.oracle
def test_mset_mget_same_results(pair: Pair) -> None:
    def scenario(c: redis.Redis) -> list[Any]:
        data = {f"m:{i}": f"v{i}" for i in range(100)}
        return [
            c.mset(data), c.mget([f"m:{i}" for i in range(-5, 105)]), c.msetnx({"m:1": "x", "fresh": "y"}),
            c.msetnx({"fresh": "y", "fresh2": "z"}), c.mget("fresh", "fresh2"), c.dbsize(),
        ]

    pair.same(scenario)


@pytest.mark.oracle
def test_keyspace_commands_same_results(pair: Pair) -> None:
    def scenario(c: redis.Redis) -> list[Any]:
        c.mset({"a": "1", "b": "22", "c": "x" * 100, "user:1": "u", "user:2": "u"})
        return [
            c.exists("a", "b", "nope", "a"), c.type("a"), c.type("nope"), c.delete("a", "nope"),
            c.unlink("b"), c.exists("a", "b"), sorted(c.keys("*")), sorted(c.keys("user:*")),
            sorted(c.scan_iter(match="user:*", count=2)), c.rename("c", "d"), c.renamenx("d", "user:1"),
            err(lambda: c.rename("nope", "x")), c.copy("d", "e"), c.copy("d", "e"), c.get("e"),
            c.object("encoding", "e"), c.set("i", 12345), c.object("encoding", "i"),
            c.set("short", "abc"), c.object("encoding", "short"), c.touch("d", "e", "nope"),
            c.dbsize(), c.randomkey() is not None,
        ]

    pair.same(scenario)


@pytest.mark.oracle
def test_expire_commands_same_results(pair: Pair) -> None:
    def scenario(c: redis.Redis) -> list[Any]:
        c.set("k", "v")
        res = [
            c.ttl("k"), c.pttl("k"), c.ttl("nope"), c.expire("k", 1000), c.ttl("k") in (999, 1000),
            c.expire("k", 2000, nx=True), c.expire("k", 2000, xx=True), c.expire("k", 3000, gt=True),
            c.expire("k", 10, lt=True), c.persist("k"), c.persist("k"), c.ttl("k"),
            c.expireat("k", 4_000_000_000), c.expiretime("k"), c.pexpireat("k", 4_000_000_000_123),
            c.pexpiretime("k"), c.pexpire("k", 500_000), 499_000 < c.pttl("k") <= 500_000,
            c.expire("k", -1), c.exists("k"), c.expiretime("nope"),
            c.set("k2", "v", exat=4_000_000_000), c.expiretime("k2"), c.set("k2", "w", keepttl=True),
            c.expiretime("k2"), c.set("k2", "z"), c.ttl("k2"),
        ]
        return res

    pair.same(scenario)


@pytest.mark.oracle
def test_errors_same_messages(pair: Pair) -> None:
    def scenario(c: redis.Redis) -> list[Any]:
        return [
            err(lambda: c.execute_command("GET")),
            err(lambda: c.execute_command("SET", "k", "v", "NX", "XX")),
            err(lambda: c.execute_command("SET", "k", "v", "EX", "0")),
            err(lambda: c.execute_command("SET", "k", "v", "EX", "abc")),
            err(lambda: c.execute_command("NOSUCHCOMMAND", "a")),
            err(lambda: c.execute_command("SELECT", "1000")),
            err(lambda: c.execute_command("EXPIRE", "k", "10", "NX", "XX")),
            err(lambda: c.execute_command("GETEX", "k", "EX", "1", "PX", "1")),
        ]

    pair.same(scenario)


@pytest.mark.oracle
def test_decode_responses_same_results(pair: Pair) -> None:
    def scenario(c: redis.Redis) -> list[Any]:
        return [c.set("ключ", "значение"), c.get("ключ"), c.mget("ключ", "nope"), c.keys("*"),
                c.incr("n"), c.echo("hi"), c.ping(), c.type("ключ")]

    res = pair.same(scenario, decode_responses=True)
    assert res[1] == "значение"


@pytest.mark.oracle
def test_server_commands_same_results(pair: Pair) -> None:
    def scenario(c: redis.Redis) -> list[Any]:
        info = c.info("server")
        ks_before = c.info("keyspace")
        c.set("a", 1)
        c.set("b", 2, ex=100)
        return [
            c.ping(), c.echo("hello"), c.dbsize(), info["redis_version"], info["redis_mode"],
            ks_before, c.info("keyspace")["db0"]["keys"], c.info("keyspace")["db0"]["expires"],
            c.config_get("maxmemory"), c.config_get("databases"), len(c.time()), type(c.client_id()),
            c.client_setname("interop"), c.client_getname(), c.flushdb(), c.dbsize(),
        ]

    pair.same(scenario)


def test_select_via_connection_db(pair: Pair) -> None:
    port = pair.ports[0]
    db3 = pair.client(port, db=3)
    db0 = pair.client(port)
    assert db3.set("k", "in3")
    assert db0.get("k") is None
    assert db3.get("k") == b"in3"
    assert db3.move("k", 0)
    assert db0.get("k") == b"in3"
    assert db3.dbsize() == 0


def test_client_list_shows_name_and_db(pair: Pair) -> None:
    c = pair.client(pair.ports[0], client_name="py-interop", db=2)
    assert c.ping()
    me = [e for e in c.client_list() if e["name"] == "py-interop"]
    assert len(me) == 1
    assert me[0]["db"] == "2"
    assert int(me[0]["id"]) == c.client_id()


def test_binary_safe_values(pair: Pair) -> None:
    c = pair.ours
    every_byte = bytes(range(256))
    big = b"\x00\r\n$*" * 250_000  # 1.25 MB of protocol-looking bytes
    assert c.set(every_byte, every_byte)
    assert c.get(every_byte) == every_byte
    assert c.set("big", big)
    assert c.get("big") == big
    assert c.strlen("big") == len(big)
    assert c.set("empty", b"")
    assert c.get("empty") == b""
    assert c.exists("empty") == 1


@pytest.mark.oracle
def test_pipeline_no_transaction_same_results(pair: Pair) -> None:
    def scenario(c: redis.Redis) -> list[Any]:
        p = c.pipeline(transaction=False)
        for i in range(500):
            p.set(f"p:{i}", i)
            p.incr(f"p:{i}")
            p.get(f"p:{i}")
        p.mget([f"p:{i}" for i in range(0, 500, 50)])
        p.dbsize()
        return p.execute()

    res = pair.same(scenario)
    assert res[2] == b"1" and res[-1] == 500


@pytest.mark.oracle
def test_pipeline_error_in_the_middle(pair: Pair) -> None:
    def scenario(c: redis.Redis) -> list[Any]:
        c.set("s", "text")
        p = c.pipeline(transaction=False)
        p.incr("n")
        p.incr("s")
        p.execute_command("GET")
        p.set("after", "ok")
        p.get("after")
        results = p.execute(raise_on_error=False)
        shown = [("error", str(x)) if isinstance(x, Exception) else x for x in results]
        p2 = c.pipeline(transaction=False)
        p2.incr("s")
        p2.incr("n")
        try:
            p2.execute()
            raised = None
        except redis.ResponseError as exc:
            raised = str(exc)
        return [shown, raised, c.get("n")]

    res = pair.same(scenario)
    assert res[0][-1] == b"ok"
    assert res[2] == b"2"  # the pipeline ran every command even though one failed


def test_pipeline_10k_commands_one_round_trip(pair: Pair) -> None:
    c = pair.ours
    p = c.pipeline(transaction=False)
    for _ in range(10_000):
        p.incr("hits")
    res = p.execute()
    assert res == list(range(1, 10_001))
    assert c.get("hits") == b"10000"


def test_connection_pool_threads_incr(pair: Pair) -> None:
    pool = redis.ConnectionPool(port=pair.ports[0], protocol=pair.protocol, max_connections=16)
    c = redis.Redis(connection_pool=pool)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(300):
                c.incr("shared")
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert not any(t.is_alive() for t in threads)
    assert c.get("shared") == b"2400"
    pool.disconnect()


def test_resp3_reply_types(pyredcache_proc: ServerProcess) -> None:
    _flush(pyredcache_proc.port)
    with redis.Redis(port=pyredcache_proc.port, protocol=3) as c:
        assert c.connection_pool.connection_kwargs["protocol"] == 3
        assert c.get("nope") is None
        assert c.set("f", "1.5")
        assert c.incrbyfloat("f", 1) == 2.5
        assert isinstance(c.config_get("maxmemory"), dict)
        assert c.execute_command("HELLO", "3")[b"proto"] == 3


# ------------------------------------------------------------------------------------------ asyncio


async def _async_scenario(port: int, protocol: int) -> list[Any]:
    pool = redis.asyncio.BlockingConnectionPool(port=port, protocol=protocol, socket_timeout=10,
                                                max_connections=20, timeout=10)
    c = redis.asyncio.Redis(connection_pool=pool)
    try:
        await c.flushall()
        await asyncio.gather(*(c.incr("counter") for _ in range(200)))
        await asyncio.gather(*(c.set(f"k:{i}", i) for i in range(100)))
        values = await asyncio.gather(*(c.get(f"k:{i}") for i in range(100)))
        async with c.pipeline(transaction=False) as p:
            for i in range(100):
                p.incrby(f"k:{i}", 1000)
            p.get("counter")
            p.get("nope")
            piped = await p.execute()
        try:
            await c.execute_command("GET")
            raised = None
        except redis.ResponseError as exc:
            raised = str(exc)
        return [await c.get("counter"), values, piped, raised, await c.dbsize(),
                await c.set("x", "y", ex=100), await c.ttl("x"), await c.echo("done")]
    finally:
        await c.aclose()
        await pool.aclose()


@pytest.mark.oracle
def test_asyncio_client_same_results(pyredcache_proc: ServerProcess, redis_proc: ServerProcess,
                                     protocol: int) -> None:
    ours = asyncio.run(asyncio.wait_for(_async_scenario(pyredcache_proc.port, protocol), 60))
    theirs = asyncio.run(asyncio.wait_for(_async_scenario(redis_proc.port, protocol), 60))
    assert ours == theirs
    assert ours[0] == b"200"


def test_asyncio_many_connections_concurrently(pyredcache_proc: ServerProcess, protocol: int) -> None:
    async def main() -> list[Any]:
        clients = [redis.asyncio.Redis(port=pyredcache_proc.port, protocol=protocol, socket_timeout=10)
                   for _ in range(50)]
        try:
            await clients[0].delete("conc")

            async def worker(c: redis.asyncio.Redis, i: int) -> bytes | None:
                for _ in range(20):
                    await c.incr("conc")
                await c.set(f"w:{i}", i)
                return await c.get(f"w:{i}")  # type: ignore[return-value]

            got = await asyncio.gather(*(worker(c, i) for i, c in enumerate(clients)))
            return [got, await clients[0].get("conc")]
        finally:
            for c in clients:
                await c.aclose()

    got, total = asyncio.run(asyncio.wait_for(main(), 60))
    assert got == [str(i).encode() for i in range(50)]
    assert total == b"1000"
