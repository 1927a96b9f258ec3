"""Scripting through real clients: redis-py's script API, its Lock, a sliding-window rate limiter, RESP3
callers, and busy scripts (BUSY replies, SCRIPT KILL, EVAL inside MULTI, connections opened while busy)."""
from __future__ import annotations

import threading
import time

import pytest
import redis
from helpers.rawclient import RawClient, encode_command
from helpers.wait import wait_until
from redis.exceptions import LockError, NoScriptError, ResponseError


def test_eval_evalsha_script_load_exists_flush(r):
    sha = r.script_load("return {KEYS[1], ARGV[1]}")
    assert r.script_exists(sha, "0" * 40) == [True, False]
    assert r.evalsha(sha, 1, "k", "a") == [b"k", b"a"]
    assert r.eval("return redis.call('incrby', KEYS[1], ARGV[1])", 1, "n", 5) == 5
    assert r.execute_command("EVAL_RO", "return redis.call('get', KEYS[1])", 1, "n") == b"5"
    assert r.execute_command("EVALSHA_RO", sha, 1, "x", "y") == [b"x", b"y"]
    assert r.script_flush() is True
    with pytest.raises(NoScriptError):
        r.evalsha(sha, 0)


def test_registered_script_reloads_after_flush(r):
    incr = r.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
    assert incr(keys=["c"], args=[2]) == 2
    r.script_flush()
    assert incr(keys=["c"], args=[3]) == 5   # NOSCRIPT, then redis-py loads it again


def test_eval_ro_rejects_writes(r):
    with pytest.raises(ResponseError, match="Write commands are not allowed from read-only scripts"):
        r.execute_command("EVAL_RO", "return redis.call('set', 'k', 'v')", 0)
    assert r.get("k") is None


def test_script_errors_and_pcall(r):
    r.set("s", "text")
    with pytest.raises(ResponseError, match=r"value is not an integer or out of range script: \w{40}, on @user_script:1"):
        r.eval("return redis.call('incr', KEYS[1])", 1, "s")
    assert r.eval("local e = redis.pcall('incr', KEYS[1]); return e.err", 1, "s") == (
        b"ERR value is not an integer or out of range")
    with pytest.raises(ResponseError, match="Attempt to modify a readonly table"):
        r.eval("x = 1", 0)
    with pytest.raises(ResponseError, match="nonexistent global variable 'os'"):
        r.eval("return os.time()", 0)


def test_math_random_is_deterministic_after_randomseed(r):
    script = "math.randomseed(tonumber(ARGV[1])); return {math.random(100), math.random(100)}"
    assert r.eval(script, 0, 42) == r.eval(script, 0, 42)


@pytest.fixture
def r3(pyredcache_proc):
    client = redis.Redis(port=pyredcache_proc.port, socket_timeout=10, protocol=3)
    client.flushall()
    yield client
    client.close()


def test_resp3_conversions(r3):
    r3.hset("h", "f", "v")
    assert r3.eval("redis.setresp(3); return redis.call('hgetall', KEYS[1])", 1, "h") == {b"f": b"v"}
    assert r3.eval("return {double=1.5}", 0) == 1.5
    assert r3.eval("redis.setresp(3); return true", 0) is True
    assert r3.eval("redis.setresp(3); return false", 0) is False
    assert r3.eval("return {set={a=true}}", 0) in ({b"a"}, [b"a"])   # redis-py versions differ
    assert r3.eval("return redis.call('hgetall', KEYS[1])", 1, "h") == [b"f", b"v"]   # RESP2 inside


# ------------------------------------------------------------------------------------ redis-py Lock


def test_redis_py_lock_acquire_release_extend_reacquire(r):
    lock = r.lock("resource", timeout=5)
    assert lock.acquire(blocking=False)
    assert r.get("resource") == lock.local.token
    assert lock.extend(10)
    assert 5 < r.pttl("resource") / 1000 <= 15
    assert lock.reacquire()
    assert 0 < r.pttl("resource") / 1000 <= 5
    assert lock.owned()
    lock.release()
    assert r.get("resource") is None
    with pytest.raises(LockError):
        lock.release()


def test_redis_py_lock_two_clients_contend(pyredcache_proc, r):
    other = redis.Redis(port=pyredcache_proc.port, socket_timeout=10)
    try:
        first = r.lock("shared", timeout=10)
        second = other.lock("shared", timeout=10, blocking_timeout=0.2)
        assert first.acquire()
        assert not second.acquire()
        with pytest.raises(LockError):
            second.extend(5)
        first.release()
        assert second.acquire()
        assert not first.acquire(blocking=False)
        second.release()
    finally:
        other.close()


def test_redis_py_lock_serializes_threads(pyredcache_proc, r):
    counter = {"value": 0, "overlap": 0, "inside": 0}

    def worker() -> None:
        client = redis.Redis(port=pyredcache_proc.port, socket_timeout=10)
        try:
            for _ in range(5):
                with client.lock("guarded", timeout=5, sleep=0.001):
                    counter["inside"] += 1
                    if counter["inside"] > 1:
                        counter["overlap"] += 1
                    counter["value"] += 1
                    counter["inside"] -= 1
        finally:
            client.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert counter == {"value": 15, "overlap": 0, "inside": 0}


# ------------------------------------------------------------------------------------ rate limiter

RATE_LIMIT = """
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) >= limit then return 0 end
redis.call('ZADD', key, now, ARGV[4])
redis.call('PEXPIRE', key, window)
return 1
"""


def test_sliding_window_rate_limiter(r):
    limiter = r.register_script(RATE_LIMIT)
    allowed = [limiter(keys=["rl"], args=[1000 + i, 100, 3, f"req{i}"]) for i in range(5)]
    assert allowed == [1, 1, 1, 0, 0]
    assert r.zcard("rl") == 3
    # 100 ms later the first requests left the window.
    assert limiter(keys=["rl"], args=[1101, 100, 3, "late"]) == 1
    assert r.zrange("rl", 0, -1) == [b"req2", b"late"]
    assert 0 < r.pttl("rl") <= 100


# ------------------------------------------------------------------------------------ busy scripts


def _start_busy(port: int, script: str) -> tuple[RawClient, RawClient]:
    caller, other = RawClient(port, timeout=10), RawClient(port, timeout=10)
    assert caller.command("PING") == b"+PONG\r\n" and other.command("PING") == b"+PONG\r\n"
    caller.send(encode_command("EVAL", script, 0))
    wait_until(lambda: other.command("PING").startswith(b"-BUSY"), timeout=10, message="the BUSY state")
    return caller, other


def test_busy_script_answers_busy_and_is_killed(server_factory):
    sp = server_factory("pyredcache", busy_reply_threshold=100)
    caller, other = _start_busy(sp.port, "local n = 0 while true do n = n + 1 end")
    late = redis.Redis(port=sp.port, socket_timeout=10)
    with pytest.raises(ResponseError, match="^BUSY Redis is busy running a script"):
        late.get("k")
    assert other.command("HELLO", "3").startswith(b"%7")     # ALLOW_BUSY commands still run
    assert late.script_kill() is True
    assert caller.read_reply().startswith(b"-ERR Script killed by user with SCRIPT KILL...")
    assert caller.command("PING") == b"+PONG\r\n"
    assert late.set("k", "v") and late.get("k") == b"v"
    with pytest.raises(ResponseError, match="^NOTBUSY No scripts in execution right now."):
        late.script_kill()
    late.close()


def test_busy_pipeline_of_the_caller_waits(server_factory):
    sp = server_factory("pyredcache", busy_reply_threshold=100)
    caller, other = RawClient(sp.port, timeout=10), RawClient(sp.port, timeout=10)
    assert caller.command("PING") == b"+PONG\r\n" and other.command("PING") == b"+PONG\r\n"
    spin = ("local function now() local t = redis.call('time') return t[1] * 1000000 + t[2] end "
            "local s = now() while now() - s < 500000 do end return 'done'")
    caller.send(encode_command("EVAL", spin, 0) + encode_command("PING", "after"))
    wait_until(lambda: other.command("PING").startswith(b"-BUSY"), timeout=10)
    assert caller.read_reply() == b"$4\r\ndone\r\n"
    assert caller.read_reply() == b"$5\r\nafter\r\n"
    assert other.command("PING") == b"+PONG\r\n"


def test_busy_eval_inside_multi(server_factory):
    sp = server_factory("pyredcache", busy_reply_threshold=100)
    caller, other = RawClient(sp.port, timeout=10), RawClient(sp.port, timeout=10)
    assert other.command("PING") == b"+PONG\r\n"
    assert caller.command("MULTI") == b"+OK\r\n"
    assert caller.command("SET", "a", "1") == b"+QUEUED\r\n"
    assert caller.command("EVAL", "while true do end", 0) == b"+QUEUED\r\n"
    assert caller.command("SET", "b", "2") == b"+QUEUED\r\n"
    caller.send(encode_command("EXEC"))
    wait_until(lambda: other.command("PING").startswith(b"-BUSY"), timeout=10)
    assert other.command("SCRIPT", "KILL") == b"+OK\r\n"
    reply = caller.read_reply()
    assert reply.startswith(b"*3\r\n+OK\r\n-ERR Script killed by user") and reply.endswith(b"+OK\r\n")
    assert other.command("MGET", "a", "b") == b"*2\r\n$1\r\n1\r\n$1\r\n2\r\n"


def test_unkillable_script_then_shutdown_nosave(server_factory):
    sp = server_factory("pyredcache", busy_reply_threshold=100)
    caller, other = _start_busy(sp.port, "redis.call('set', 'w', '1') while true do end")
    assert other.command("SCRIPT", "KILL").startswith(b"-UNKILLABLE Sorry the script already executed write")
    other.send(encode_command("SHUTDOWN", "NOSAVE"))
    wait_until(lambda: not sp.alive(), timeout=10, message="exit on SHUTDOWN NOSAVE")


def test_no_busy_state_under_the_threshold(server_factory):
    sp = server_factory("pyredcache", busy_reply_threshold=2000)
    c = redis.Redis(port=sp.port, socket_timeout=10)
    start = time.monotonic()
    assert c.eval("local t = redis.call('time'); local n = 0 for i = 1, 3000000 do n = n + i end return 1", 0) == 1
    assert time.monotonic() - start < 2
    with pytest.raises(ResponseError, match="^NOTBUSY"):
        c.script_kill()
    c.close()


def test_cjson_and_bit_libraries(r):
    assert r.eval("return cjson.encode(cjson.decode(ARGV[1]))", 0, '{"a":[1,2.5,"x"]}') == b'{"a":[1,2.5,"x"]}'
    with pytest.raises(ResponseError, match=r"^user_script:1: .* at character 5 script: "):
        r.eval("return cjson.decode('[1,2')", 0)
    assert r.eval("return bit.bxor(bit.lshift(1, 4), 3)", 0) == 19


def test_connections_still_being_set_up_are_answered_while_busy(server_factory):
    sp = server_factory("pyredcache", busy_reply_threshold=100)
    for _ in range(3):
        caller, other = RawClient(sp.port, timeout=10), RawClient(sp.port, timeout=10)
        # No round trip first: `other` may still be queued for connection_made when the script starts.
        caller.send(encode_command("EVAL", "while true do end", 0))
        wait_until(lambda o=other: o.command("PING").startswith(b"-BUSY"), timeout=10, message="BUSY")
        assert other.command("SCRIPT", "KILL") == b"+OK\r\n"
        assert caller.read_reply().startswith(b"-ERR Script killed by user")
        assert other.command("PING") == b"+PONG\r\n" and caller.command("PING") == b"+PONG\r\n"
        caller.close()
        other.close()
