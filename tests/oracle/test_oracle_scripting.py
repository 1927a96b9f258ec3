"""Lua scripting against redis-server 7.0.15, reply for reply: EVAL* and SCRIPT *, the redis library,
conversions both ways (RESP2 and RESP3, redis.setresp), the sandbox, every error form, shebang flags,
errorstats, MONITOR lines, keyspace events, MULTI, blocked clients, and busy scripts with SCRIPT KILL."""
from __future__ import annotations

import re

import pytest
from helpers.oracle import Oracle, assert_same_keyspace_events
from helpers.rawclient import RawClient
from helpers.wait import wait_until

pytestmark = pytest.mark.oracle

NAMES = ("eval", "evalsha", "eval_ro", "evalsha_ro")


@pytest.fixture
def o(oracle: Oracle) -> Oracle:
    oracle.do("SCRIPT", "FLUSH")
    return oracle


@pytest.mark.parametrize("name", NAMES)
def test_command_info_rows_match(o, name):
    o.do("COMMAND", "INFO", name)
    o.do("COMMAND", "DOCS", name)


@pytest.mark.parametrize("sub", ["load", "exists", "flush", "kill", "help", "debug"])
def test_script_subcommand_rows_match(o, sub):
    o.do("COMMAND", "INFO", f"script|{sub}")
    o.do("COMMAND", "DOCS", f"script|{sub}")


# Scripts whose replies must be byte-identical (run in order on flushed servers).
CASES = [
    # Lua -> RESP
    ("return 1",), ("return 3.99",), ("return -3.99",), ("return true",), ("return false",), ("return nil",),
    ("return 'a\\0b'",), ("return {1,2,3.7,'x',nil,4}",), ("return {true,false,{1,{2}}}",),
    ("local x = {}; x[1]=1; x[3]=3; return x",), ("local t = {}; t['a'] = 1; return t",),
    ("return {1, {}, 2}",), ("return {err=1}",), ("return {ok=1}",), ("return {err={}}",),
    ("return {1, 'a', {ok='fine'}, {err='bad'}}",), ("return {ok='fine'}",), ("return {double=3.5}",),
    ("return {double=0.1}",), ("return {double=1/0}",), ("return {double=-1/0}",),
    ("return {map={a=1}}",), ("return {set={a=true}}",), ("return {big_number='123'}",),
    ("return {verbatim_string={format='txt', string='abc'}}",), ("return math.huge",), ("return 0/0",),
    ("return 1e20",), ("return -1e20",), ("return 9007199254740993",), ("return redis",),
    ("return {err='-X y'}",), ("return {err=''}",), ("return {err='ERR My Error'}",), ("return {err='My Error'}",),
    # redis.* helpers
    ("return redis.error_reply('My Error')",), ("return redis.error_reply('-My Error')",),
    ("return redis.error_reply('')",), ("return redis.error_reply(1)",), ("return redis.error_reply()",),
    ("return redis.status_reply('FINE')",), ("return redis.status_reply()",), ("return redis.status_reply(5)",),
    ("return redis.sha1hex('')",), ("return redis.sha1hex('abc')",), ("return redis.sha1hex()",),
    ("return redis.setresp(4)",), ("return redis.setresp()",),
    ("return redis.log(redis.LOG_WARNING, 'hello')",), ("return redis.log()",), ("return redis.log(99, 'x')",),
    ("return {redis.REPL_ALL, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_NONE, "
     "redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}",),
    ("return redis.replicate_commands()",), ("return redis.set_repl(redis.REPL_ALL)",),
    ("return redis.set_repl(99)",), ("return redis.set_repl()",), ("return redis.breakpoint()",),
    ("return redis.debug('x')",), ("return redis.REDIS_VERSION",), ("return redis.REDIS_VERSION_NUM",),
    ("return redis.acl_check_cmd('get','x')",), ("return redis.acl_check_cmd('nosuch')",),
    ("return math.random()",), ("math.randomseed(5); return math.random(100)",),
    ("math.randomseed(7); return {math.random(10), math.random(1, 1000), math.random(5, 6)}",),
    ("math.randomseed(7); return math.random() * 1000000",),
    # the bit library
    ("return {bit.band(0xff, 0x0f), bit.bor(1, 2, 4), bit.bxor(5, 3), bit.bnot(0), bit.lshift(1, 31), "
     "bit.rshift(-1, 28), bit.arshift(-256, 4), bit.rol(0x12345678, 8), bit.ror(0x12345678, 8), "
     "bit.bswap(0x12345678), bit.tobit(0xffffffff), bit.tobit(2^32 + 5)}",),
    ("return {bit.tohex(255), bit.tohex(-1, -4), bit.tohex(0x12345678, 2), bit.tohex(1, 0)}",),
    ("return type(bit)",), ("bit.x = 1",), ("return bit.band(1.5, 3)",), ("return bit.band(2.5, 3)",),
    # cjson (decode errors are worded differently: not compared)
    ("return cjson.encode({1, 2, 'a', true, false})",), ("return cjson.encode({a=1})",), ("return cjson.encode({})",),
    ("return cjson.encode({a={b={1.5, 'x/y', 'q\"\\n\\1'}}})",), ("return cjson.encode(1/3)",),
    ("return cjson.encode(100000000000000)",), ("return cjson.encode('abc')",), ("return cjson.encode(cjson.null)",),
    ("return cjson.encode({[1]=1, [3]=3})",), ("return cjson.encode({[1]=1, [30]=3})",),
    ("return cjson.encode(function() end)",), ("return cjson.decode('\"x\"')",), ("return cjson.decode('12')",),
    ("local t = cjson.decode('{\"a\":[1,2,{\"b\":null}],\"c\":\"d\",\"e\":1.5,\"f\":true}') "
     "return {t.a[1], t.a[2], t.c, t.e, tostring(t.f), tostring(t.a[3].b == cjson.null)}",),
    ("return type(cjson.null)",), ("return cjson.decode(cjson.encode({x={1,2,3}})).x[3]",), ("cjson.x = 1",),
    # KEYS / ARGV
    ("return KEYS[1]..ARGV[1]", 1, "k", "a"), ("return #ARGV", 0, "a", "b"), ("return KEYS", 2, "a", "b", "c"),
    ("return ARGV", 2, "a", "b", "c"),
    # redis.call / pcall and RESP -> Lua
    ("return redis.call('set','k','v')",), ("return redis.call('get','k')",), ("return redis.call('incr','k')",),
    ("return redis.pcall('incr','k')",), ("local t = redis.pcall('incr','k'); return t['err']",),
    ("return redis.call('nosuch')",), ("return redis.pcall('nosuch')",), ("return redis.call('get')",),
    ("return redis.call('get', 'a', 'b')",), ("return redis.pcall('get', 'a', 'b')",),
    ("return redis.call('subscribe', 'a')",), ("return redis.pcall('subscribe', 'a')",),
    ("return redis.call('blpop', 'nolist', 0)",), ("return redis.call('client', 'list')",),
    ("return redis.call('client', 'nosub')",), ("return redis.call('multi')",), ("return redis.call('eval', 'return 1', 0)",),
    ("return redis.call('hello', 3)",), ("return redis.call('script', 'load', 'x')",),
    ("return redis.call('shutdown')",), ("return redis.call()",), ("return redis.pcall()",),
    ("return redis.call(1)",), ("return redis.call('set', {}, 1)",), ("return redis.call('set', 'a', true)",),
    ("return redis.call('set', 'a', nil)",), ("return redis.call('set', 'a', 1.5)",),
    ("return redis.call('get', 'a')",), ("return redis.call('set', 'a', 12345678901234567)",),
    ("return redis.call('get', 'a')",), ("return redis.call('set', 'a', 0.1)",), ("return redis.call('get', 'a')",),
    ("return redis.call('set', 'a', 1/0)",), ("return redis.call('get', 'a')",),
    ("return redis.call('set', 'k', 'v', 'bad')",), ("return redis.pcall('set', 'k', 'v', 'bad')",),
    ("return redis.call('lpush', 'l', 'v')",), ("return redis.call('lpush', 'k', 'v')",),
    ("return tostring(redis.call('get', 'nokey'))",), ("return type(redis.call('get', 'nokey'))",),
    ("return redis.pcall('get', 'nokey') == false",), ("return redis.call('ping')",),
    ("return redis.call('hset','h','a','1')",), ("return redis.call('hgetall', 'h')",),
    ("return redis.call('hgetall', 'nohash')",), ("return redis.call('type', 'h')",),
    ("return redis.call('type', 'h').ok",), ("return type(redis.call('type', 'h'))",),
    ("return redis.call('incrbyfloat', 'f', '1.5')",), ("return redis.call('object', 'help')[1]",),
    ("return redis.call('time')[1] ~= nil",), ("return redis.call('select', 1)",),
    ("return redis.call('sadd', 's', 'a')",), ("return redis.call('smembers', 's')",),
    ("return {pcall(redis.call, 'nosuch')}",), ("return {pcall(redis.call, 'set', 'x', 'y', 'z')}",),
    ("return {pcall(function() error({err='ABC def'}) end)}",), ("return {pcall(function() error({err=5}) end)}",),
    ("return {xpcall(function() error({err='ABC def'}) end, function(e) return e end)}",),
    ("local ok, e = pcall(error, 'x'); return {tostring(ok), type(e), e}",),
    ("local ok, e = pcall(function() local z = nope end); return {tostring(ok), type(e), e}",),
    ("return pcall(error)",), ("return coroutine.wrap(function() return redis.call('ping') end)()",),
    # RESP3 inside the script (redis.setresp(3)), converted for a RESP2 caller
    ("redis.setresp(3); return redis.call('hgetall', 'h')",), ("redis.setresp(3); return redis.call('get','nokey')",),
    ("redis.setresp(3); return tostring(redis.call('get','nokey'))",), ("redis.setresp(3); return true",),
    ("redis.setresp(3); return false",), ("redis.setresp(3); return {map={a=1}}",),
    ("redis.setresp(3); return {set={a=true}}",), ("redis.setresp(3); return redis.call('smembers', 's')",),
    ("redis.setresp(3); local r = redis.call('smembers', 's'); return type(r.set)",),
    ("redis.setresp(3); local r = redis.call('hgetall', 'h'); return r.map.a",),
    ("redis.setresp(3); return redis.call('type', 's')",),
    ("redis.setresp(3); return redis.call('incrbyfloat', 'f', '1')",),
    ("redis.setresp(3); local r = redis.call('incrbyfloat', 'f', '1'); return type(r)",),
    # sandbox
    ("a = 5",), ("return a",), ("return print",), ("return tostring(os)",), ("return tostring(loadfile)",),
    ("return tostring(debug)",), ("return dofile",), ("return tostring(require)",), ("return tostring(module)",),
    ("return tostring(setfenv)",), ("return tostring(getfenv)",), ("return tostring(newproxy)",),
    ("return _G.x",), ("return rawget(_G, 'x')",), ("_G.x = 1",), ("rawset(_G, 'x', 1)",),
    ("setmetatable(_G, nil)",), ("string.x = 1",), ("redis.call = 1",), ("local t = {} t.x = 1 return t.x",),
    ("return getmetatable(_G) == nil",), ("return loadstring('return 1')()",),
    ("return loadstring('return nope')()",), ("return loadstring('x = 5')()",),
    ("return loadstring('return 1 +')",), ("return string.format('%d', 5)",), ("return ('x'):rep(3)",),
    ("return type(tostring(unpack))",), ("return type(gcinfo)",), ("return type(select)",),
    # runtime and compile errors
    ("return 1 +",), ("local f = function() return 1 +  end",), ("error('x')",), ("error('x', 0)",),
    ("error(123)",), ("error()",), ("error({err='custom'})",), ("local t = nil; return t.x",),
    ("\n\nerror('third line')",), ("local function f() error('deep') end\nf()",),
    ("return redis.call('incr', 'k')\n",),
]


def _args(case: tuple) -> list:
    body, *rest = case
    return [body, *(rest or [0])]


def test_eval_cases_match(o):
    for case in CASES:
        o.do("EVAL", *_args(case))


def test_eval_cases_match_resp3_caller(o):
    o.both("HELLO", "3")
    for case in CASES:
        body = case[0]
        if "{map=" in body and "a=1" not in body:
            continue
        o.do("EVAL", *_args(case))


@pytest.mark.parametrize("case", [
    ("redis.call('hset','h','a','1'); redis.setresp(3); return redis.call('hgetall', 'h')",),
    ("redis.call('sadd','s','a'); redis.setresp(3); return redis.call('smembers', 's')",),
    ("return redis.call('hgetall', 'h')",), ("return {double=3.5}",), ("return {double=0/0}",),
    ("return {big_number='1234567890123456789012'}",), ("return {verbatim_string={format='txt', string='abc'}}",),
    ("return true",), ("return false",), ("redis.setresp(3); return true",), ("redis.setresp(3); return false",),
    ("return nil",), ("redis.setresp(3); return redis.call('get', 'nokey')",),
    ("redis.setresp(3); return {redis.call('get', 'nokey')}",),
    ("redis.call('set','f','1.5'); redis.setresp(3); return redis.call('incrbyfloat', 'f', '1')",),
])
def test_resp3_caller_shapes(o, case):
    o.both("HELLO", "3")
    o.do("EVAL", *_args(case))


@pytest.mark.parametrize("args", [
    ("EVAL",), ("EVAL", "return 1"), ("EVAL", "return 1", -1), ("EVAL", "return 1", 2, "a"), ("EVAL", "return 1", "x"),
    ("EVAL", "return 1", "99999999999999999999"), ("EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", 0),
    ("EVALSHA", "abc", 0), ("EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "x"),
    ("EVAL_RO", "return redis.call('set','k','v')", 0), ("EVAL_RO", "#!lua\nreturn 1", 0),
    ("EVAL_RO", "#!lua flags=no-writes\nreturn redis.call('get','x')", 0),
    ("EVAL", "#!lua flags=no-writes\nreturn redis.call('set','k','v')", 0),
    ("EVAL", "#!lua\nreturn redis.call('set','x','y')", 0),
    ("EVAL", "#!lua flags=bad\nreturn 1", 0), ("EVAL", "#!lua foo=bar\nreturn 1", 0), ("EVAL", "#!luax\nreturn 1", 0),
    ("EVAL", "#!lua\nreturn 1", 0), ("EVAL", "#!lua name=x\nreturn 1", 0),
    ("EVAL", "#!lua flags=no-writes,allow-oom,allow-stale,no-cluster,allow-cross-slot-keys\nreturn 1", 0),
    ("EVAL", "#!lua flags=no-writes allow-oom\nreturn 1", 0), ("EVAL", "#!lua flags=", 0), ("EVAL", "#!lua", 0),
    ("EVAL", "#!lua flags=\nreturn 1", 0), ("EVAL", "#! lua\nreturn 1", 0), ("EVAL", "#!\nreturn 1", 0),
    ("EVAL", "#!lua flags=no-writes,\nreturn 1", 0), ("EVAL", "#!lua\nerror('on line two')", 0),
    ("SCRIPT",), ("SCRIPT", "KILL"), ("SCRIPT", "KILL", "x"), ("SCRIPT", "FLUSH", "bad"), ("SCRIPT", "FLUSH", "async"),
    ("SCRIPT", "FLUSH", "SYNC"), ("SCRIPT", "FLUSH", "sync", "async"), ("SCRIPT", "LOAD"),
    ("SCRIPT", "LOAD", "return 1 +"), ("SCRIPT", "LOAD", "#!lua flags=bad\nreturn 1"), ("SCRIPT", "EXISTS"),
    ("SCRIPT", "HELP"), ("SCRIPT", "HELP", "x"), ("SCRIPT", "FOO"), ("SCRIPT", "DEBUG", "no"),
])
def test_errors_and_edge_arguments(o, args):
    o.do(*args)


def test_script_cache_load_exists_evalsha_flush(o):
    sha = o.do("SCRIPT", "LOAD", "return ARGV[1]")
    sha_text = sha.split(b"\r\n")[1].decode()
    o.do("SCRIPT", "EXISTS", sha_text, sha_text.upper(), "nope", "ffffffffffffffffffffffffffffffffffffffff")
    o.do("EVALSHA", sha_text, 0, "x")
    o.do("EVALSHA", sha_text.upper(), 0, "y")
    o.do("EVALSHA_RO", sha_text, 0, "z")
    o.do("EVAL", "return 'cached by eval'", 0)
    o.do("EVALSHA", "d2c0a9a6d1b5d04bcbd4b1f8c0ca8f2d9c3be3f1", 0)
    o.do("SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db")
    o.do("EVAL", "return 1", 0)
    o.do("SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db")
    o.do("SCRIPT", "FLUSH")
    o.do("SCRIPT", "EXISTS", sha_text)
    o.do("EVALSHA", sha_text, 0, "x")


def _info_field(raw: bytes, name: str) -> str:
    m = re.search(rf"{name}:([^\r\n]*)".encode(), raw)
    assert m, name
    return m.group(1).decode()


def test_info_scripting_fields(o):
    for body in ("return 1", "return 1234567890123456789", "return 12345678901234567890123456789012345678901234567890"):
        o.do("EVAL", body, 0)
        ours, theirs = o.both("INFO", "memory")
        for field in ("number_of_cached_scripts", "used_memory_scripts_eval"):
            assert _info_field(ours, field) == _info_field(theirs, field), field
    o.do("SCRIPT", "FLUSH")
    ours, theirs = o.both("INFO", "memory")
    assert _info_field(ours, "number_of_cached_scripts") == _info_field(theirs, "number_of_cached_scripts") == "0"


def test_errorstats_and_failed_calls(o):
    o.do("CONFIG", "RESETSTAT")
    o.do("SET", "x", "a")
    for body in ("return redis.call('incr','x')", "return redis.pcall('incr','x')", "return redis.call('nosuch')",
                 "error('x')", "return {err='FOO bar'}", "return {1, {err='FOO bar'}}", "return 1",
                 "return redis.call('get', 'a', 'b')", "return redis.error_reply('MY err')"):
        o.do("EVAL", body, 0)
    o.do("INFO", "errorstats")
    for row in ("cmdstat_eval", "cmdstat_incr"):
        ours, theirs = o.both("INFO", "commandstats")
        pick = re.compile(rf"{row}:calls=(\d+),.*rejected_calls=(\d+),failed_calls=(\d+)".encode())
        assert pick.search(ours).groups() == pick.search(theirs).groups(), row


def test_monitor_lines_for_scripts(o):
    mons = [RawClient(o.ours.sock.getpeername()[1]), RawClient(o.redis.sock.getpeername()[1])]
    try:
        for m in mons:
            assert m.command("MONITOR") == b"+OK\r\n"
        o.do("EVAL", "redis.call('set', KEYS[1], ARGV[1]); return redis.call('get', KEYS[1])", 1, "x", "v")
        o.do("SELECT", 2)
        o.do("EVAL", "redis.call('select', 3); return redis.call('ping')", 0)
        o.do("EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", 0)
        o.do("EVAL", "return redis.call('nosuch')", 0)
        o.do("PING", "end")
        streams = []
        for m in mons:
            lines = []
            while True:
                line = re.sub(rb"^\+\d+\.\d+ ", b"+T ", m.read_reply())
                line = re.sub(rb"\[(\d+) [\d.]+:\d+\]", rb"[\1 C]", line)
                lines.append(line)
                if b'"end"' in line:
                    break
            streams.append(lines)
        assert streams[0] == streams[1]
    finally:
        for m in mons:
            m.close()
        o.do("SELECT", 0)


def test_keyspace_events_from_scripts(o):
    assert_same_keyspace_events(o, "__key*__:*", [
        ("EVAL", "redis.call('set', KEYS[1], 'v'); redis.call('lpush', KEYS[2], 'a'); "
                 "redis.call('del', KEYS[1]); return redis.call('expire', KEYS[2], 100)", 2, "k1", "l1"),
        ("EVAL", "return redis.pcall('incr', 'l1')", 0),
    ])


def test_multi_with_eval(o):
    o.do("MULTI")
    o.do("EVAL", "return redis.call('set', 'k', ARGV[1])", 0, "v")
    o.do("EVAL", "return redis.call('incr', 'k')", 0)
    o.do("EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", 0)
    o.do("GET", "k")
    o.do("EXEC")
    o.do("MULTI")
    o.do("EVAL", "return 1", "x")
    o.do("EXEC")


def test_blocked_client_served_after_the_script(o):
    blockers = [RawClient(o.ours.sock.getpeername()[1]), RawClient(o.redis.sock.getpeername()[1])]
    try:
        for b in blockers:
            b.send(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n")
        wait_until(lambda: o.both("CLIENT", "LIST", "TYPE", "normal")[0].count(b"cmd=blpop") == 1
                   and o.both("CLIENT", "LIST", "TYPE", "normal")[1].count(b"cmd=blpop") == 1, timeout=5)
        # Inside the script the pushed value is still there: the blocked client is served afterwards.
        o.do("EVAL", "redis.call('rpush', 'q', 'a', 'b'); return redis.call('lrange', 'q', 0, -1)", 0)
        assert [b.read_reply() for b in blockers][0] == b"*2\r\n$1\r\nq\r\n$1\r\na\r\n"
        o.do("LRANGE", "q", 0, -1)
    finally:
        for b in blockers:
            b.close()


# ------------------------------------------------------------------------------------------ busy scripts


def _send(c: RawClient, *args) -> None:
    from helpers.rawclient import encode_command

    c.send(encode_command(*args))


def _busy_sequence(sp) -> list[bytes]:
    port = sp.port
    caller, other = RawClient(port), RawClient(port)

    def busy() -> bool:
        return other.command("PING").startswith(b"-BUSY")

    try:
        assert caller.command("PING") == b"+PONG\r\n"
        got = [other.command("SCRIPT", "KILL")]
        _send(caller, "EVAL", "local i = 0 while true do i = i + 1 end", 0)
        wait_until(busy, timeout=10)
        got.append(other.command("GET", "x"))
        got.append(other.command("MULTI"))
        got.append(other.command("GET", "x"))
        got.append(other.command("EXEC"))
        late = RawClient(port)            # a connection opened while busy is answered too
        got.append(late.command("PING"))
        got.append(late.command("SCRIPT", "KILL"))
        late.close()
        got.append(caller.read_reply())
        got.append(other.command("PING"))
        # pcall cannot swallow a kill; a script that wrote cannot be killed.
        _send(caller, "EVAL", "while true do pcall(function() while true do end end) end", 0)
        wait_until(busy, timeout=10)
        got.append(other.command("SCRIPT", "KILL"))
        got.append(caller.read_reply())
        _send(caller, "EVAL", "redis.call('set', 'x', 'y') while true do end", 0)
        wait_until(busy, timeout=10)
        got.append(other.command("SCRIPT", "KILL"))
        _send(other, "SHUTDOWN", "NOSAVE")
        wait_until(lambda: not sp.alive(), timeout=10, message=f"{sp.kind} to exit on SHUTDOWN NOSAVE")
        return got
    finally:
        caller.close()
        other.close()


def test_busy_script_kill_and_unkillable(server_factory):
    procs = [server_factory(kind, busy_reply_threshold=100) for kind in ("pyredcache", "redis")]
    ours, theirs = (_busy_sequence(sp) for sp in procs)
    assert ours == theirs


def test_shutdown_nosave_while_busy(server_factory):
    sp = server_factory("pyredcache", busy_reply_threshold=100)
    caller, other = RawClient(sp.port), RawClient(sp.port)
    _send(caller, "EVAL", "redis.call('set', 'x', 'y') while true do end", 0)
    wait_until(lambda: other.command("PING").startswith(b"-BUSY"), timeout=10)
    assert other.command("SCRIPT", "KILL").startswith(b"-UNKILLABLE")
    _send(other, "SHUTDOWN", "NOSAVE")
    wait_until(lambda: not sp.alive(), timeout=10, message="server to exit on SHUTDOWN NOSAVE")
