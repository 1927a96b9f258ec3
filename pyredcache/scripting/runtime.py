"""The Lua 5.1 interpreter (lupa) with Redis 7.0's sandbox and `redis` library; no server state.

Rules of this module: the runtime knows nothing of clients or the keyspace. redis.call() goes through a
`RunContext` (runner.py makes one per script run), whose `call(argv)` returns the command's RESP reply.
Globals are locked as in Redis 7.0: writes fail with "Attempt to modify a readonly table", reads of unknown
names with "Script attempted to access nonexistent global variable". Redis does this with a patched Lua
(readonly tables); stock Lua 5.1 gets the same behaviour from metatables over a hidden globals table.
"""
from __future__ import annotations

import hashlib
import json
import re
from typing import TYPE_CHECKING, Any, Protocol

from lupa import lua51

from .convert import (
    ERR,
    IGNORE_STATS,
    KIND_ERROR,
    KIND_STATUS,
    KIND_VALUE,
    LUA_TO_RESP,
    OK,
    parse_reply,
)

if TYPE_CHECKING:
    from collections.abc import Callable

# Chunk name of our own Lua code: error locations skip its frames (user code is "@user_script").
_BRIDGE_CHUNK = b"=pyredcache"

# Above this many EVAL arguments they go to Lua as one table (a call's arguments live on the C stack).
_MAX_CALL_ARGS = 200

_ARGS_NOT_STRINGS = b"ERR Lua redis lib command arguments must be strings or integers"
_NO_ARGS = b"ERR Please specify at least one argument for this redis lib call"

# REDIS_VERSION_NUM for 7.0.15 (major << 16 | minor << 8 | patch).
_VERSION = b"7.0.15"
_VERSION_NUM = (7 << 16) | (0 << 8) | 15

# PROPAGATE_AOF | PROPAGATE_REPL
REPL_ALL = 3

# The rand48 state behind math.random: one per process, never reseeded between scripts (Redis 7.0.15's
# rand.c starts from its X0..X2 constants; SCRIPT FLUSH does not reset it).
_RAND48 = [0x1234ABCD330E]


class RunContext(Protocol):
    """What the bridge needs from the script run in progress (runner.py's ScriptRun)."""

    kill_requested: bool
    resp: int
    repl_flags: int

    def call(self, argv: list[bytes]) -> bytes: ...

    def log(self, level: int, message: bytes) -> None: ...


class ScriptCallError(Exception):
    """A redis.call() rejected before running (unknown command, arity, not allowed...): message, no '-'."""

    def __init__(self, message: bytes) -> None:
        super().__init__(message)
        self.message = message


_BOOTSTRAP = r"""
local py_call, py_pcall, py_log, py_setresp, py_setrepl, py_kill, py_rand, py_srand, py_sha1hex, py_acl,
      py_unwrap, state, to_resp, version, version_num, bit, cjson = ...

local G = _G
local dbg = debug
local type, tostring, select, unpack, error, next, pairs = type, tostring, select, unpack, error, next, pairs
local rawget, rawset, rawequal = rawget, rawset, rawequal
local setmetatable, getmetatable = setmetatable, getmetatable
local rawpcall, rawxpcall, loadstring, floor = pcall, xpcall, loadstring, math.floor
local ipairs, tonumber, collectgarbage = ipairs, tonumber, collectgarbage
local BRIDGE = '=pyredcache'

-- The globals of Redis 7.0.15's eval scripts (everything else lupa's full Lua opens is dropped).
local keep = {
  _G=1, _VERSION=1, assert=1, collectgarbage=1, coroutine=1, error=1, gcinfo=1, getmetatable=1,
  ipairs=1, load=1, loadstring=1, math=1, next=1, pairs=1, pcall=1, rawequal=1, rawget=1, rawset=1,
  select=1, setmetatable=1, string=1, table=1, tonumber=1, tostring=1, type=1, unpack=1, xpcall=1,
}
local hidden = {}
for k, v in pairs(G) do
  if keep[k] then hidden[k] = v end
end
for k in pairs(hidden) do G[k] = nil end
for k in pairs(G) do G[k] = nil end

-- proxy -> real table, for the read-only library tables (and _G itself -> hidden).
local real = setmetatable({}, {__mode = 'k'})
local function ro_error() error('Attempt to modify a readonly table', 2) end
local function readonly(t)
  local proxy = {}
  real[proxy] = t
  setmetatable(proxy, {__index = t, __newindex = ro_error, __metatable = false})
  return proxy
end

local function is_protected(t) return real[t] ~= nil end
local function through(t) return real[t] or t end

hidden.next = function(t, k) return next(through(t), k) end
local lnext = hidden.next
hidden.pairs = function(t)
  if real[t] then return lnext, t, nil end
  return pairs(t)
end
hidden.rawget = function(t, k) return rawget(through(t), k) end
hidden.rawset = function(t, k, v)
  if is_protected(t) then error('Attempt to modify a readonly table', 0) end
  return rawset(t, k, v)
end
hidden.setmetatable = function(t, mt)
  if is_protected(t) then error('Attempt to modify a readonly table', 0) end
  return setmetatable(t, mt)
end

-- Redis's pcall: an error table with an 'err' string becomes that string (luaRedisPcall).
local function pcall_result(ok, ...)
  if not ok then
    local e = ...
    if type(e) == 'userdata' then e = py_unwrap(e) end
    if type(e) == 'table' then
      local m = e.err
      if type(m) == 'string' or type(m) == 'number' then return false, m end
    end
    return false, ...
  end
  return true, ...
end
hidden.pcall = function(f, ...) return pcall_result(rawpcall(f, ...)) end

-- math.random / randomseed: Redis's rand48 (redisLrand48), state kept by Python across scripts.
local math_real = hidden.math
local function checkint(n, v)
  local x = tonumber(v)
  if x == nil then
    error("bad argument #" .. n .. " to 'random' (number expected, got " ..
          (v == nil and 'no value' or type(v)) .. ")", 3)
  end
  return x - x % 1
end
math_real.random = function(...)
  local r = py_rand()
  local argc = select('#', ...)
  if argc == 0 then return r end
  if argc == 1 then
    local u = checkint(1, (...))
    if u < 1 then error("bad argument #1 to 'random' (interval is empty)", 2) end
    return floor(r * u) + 1
  end
  if argc == 2 then
    local l, u = checkint(1, (...)), checkint(2, select(2, ...))
    if l > u then error("bad argument #2 to 'random' (interval is empty)", 2) end
    return floor(r * (u - l + 1)) + l
  end
  error('wrong number of arguments', 2)
end
math_real.randomseed = function(seed)
  local s = tonumber(seed)
  if s == nil then
    error("bad argument #1 to 'randomseed' (number expected, got " ..
          (seed == nil and 'no value' or type(seed)) .. ")", 2)
  end
  py_srand(s - s % 1)
end

-- loadstring/load compile into the locked environment like everything else (they use the thread globals).

-- The redis library. Functions that may raise are Python callables: to Lua they are C functions, so a
-- `return redis.call(...)` keeps the caller's frame (and the line Redis reports), as Redis's C API does.
local redis = {}
redis.call = py_call
redis.pcall = py_pcall
redis.sha1hex = py_sha1hex
redis.log = py_log
redis.setresp = py_setresp
redis.set_repl = py_setrepl
redis.acl_check_cmd = py_acl
redis.error_reply = function(...)
  local e = ...
  if select('#', ...) ~= 1 or type(e) ~= 'string' then
    return {err = 'ERR wrong number or type of arguments'}
  end
  if e:sub(1, 1) ~= '-' then e = '-' .. e end
  local sp = e:find(' ', 1, true)
  local msg
  if sp then msg = e:sub(2, sp - 1) .. ' ' .. e:sub(sp + 1) else msg = 'ERR ' .. e:sub(2) end
  return {err = (msg:gsub('^[\r\n]+', ''):gsub('[\r\n]+$', ''))}
end
redis.status_reply = function(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then
    return {err = 'ERR wrong number or type of arguments'}
  end
  return {ok = s}
end
redis.replicate_commands = function() return true end
redis.breakpoint = function() return false end
redis.debug = function() end
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REDIS_VERSION, redis.REDIS_VERSION_NUM = version, version_num
hidden.redis = redis

-- __redis__err__handler: turn any error into a table and note where in the user's code it happened.
-- Redis skips one C frame; our bridge is Lua, so its frames are skipped as well.
local function err_handler(err)
  local level = 2
  local i = dbg.getinfo(level, 'Sl')
  if i and i.what == 'C' then level = level + 1; i = dbg.getinfo(level, 'Sl') end
  while i and (i.source == BRIDGE or i.what == 'C') do
    level = level + 1
    i = dbg.getinfo(level, 'Sl')
  end
  if type(err) == 'userdata' then
    err = py_unwrap(err)
    if rawget(err, 'where') and i then   -- a luaL_error-style message: prefixed with the caller's position
      rawset(err, 'err', 'ERR ' .. i.short_src .. ':' .. i.currentline .. ': ' .. rawget(err, 'err'))
    end
  end
  if type(err) ~= 'table' then err = {err = 'ERR ' .. tostring(err)} end
  if i then
    rawset(err, 'source', i.source)
    rawset(err, 'line', i.currentline)
  end
  return err
end
hidden.__redis__err__handler = err_handler

hidden.bit = bit
hidden.cjson = cjson
for _, name in ipairs({'string', 'math', 'table', 'coroutine', 'redis', 'bit', 'cjson'}) do
  hidden[name] = readonly(hidden[name])
end
getmetatable('').__index = hidden.string

-- Lock the globals: reads go to `hidden` (an unknown name raises), writes raise.
local function missing(_, k)
  -- lupa itself looks globals up through the C API (debug.traceback): no Lua caller, no error.
  local i = dbg.getinfo(2, 'S')
  if i == nil or i.what == 'C' then return nil end
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end
setmetatable(hidden, {__index = missing})
hidden._G = G
real[G] = hidden
setmetatable(G, {__index = hidden, __newindex = ro_error, __metatable = false})

-- Count hook: every 100000 instructions, ask whether SCRIPT KILL arrived (luaMaskCountHook).
local function hook()
  if py_kill() then
    local i = dbg.getinfo(2, 'S')
    if i and i.source == BRIDGE then return end   -- never raise inside our own code (run, err_handler)
    dbg.sethook(hook, '', 1)   -- from now on every instruction raises: pcall cannot swallow the kill
    error({err = 'ERR Script killed by user with SCRIPT KILL...'}, 0)
  end
end

local function compile(body)
  return loadstring(body, '@user_script')
end

local function fail(err, sha)
  if type(err) ~= 'table' then
    return '-ERR Error running script ' .. sha .. ', ' .. tostring(err):sub(1, 100)
  end
  local msg = rawget(err, 'err')
  local out
  if type(msg) == 'string' or type(msg) == 'number' then out = tostring(msg) else out = 'ERR unknown error' end
  local src, line = rawget(err, 'source'), rawget(err, 'line')
  if (type(src) == 'string' or type(src) == 'number') and (type(line) == 'string' or type(line) == 'number') then
    out = out .. ' script: ' .. sha .. ', on ' .. tostring(src) .. ':' .. tostring(line) .. '.'
  end
  return out, rawget(err, 'ignore_error_stats_update') == true
end

local function run(fn, sha, hooked, caller_resp, nkeys, nargs, ...)
  state.resp = 2
  if nargs == 0 then
    hidden.KEYS, hidden.ARGV = {}, {}
  else
    if nargs < 0 then
      -- many arguments come as one table (unpack and calls are limited by the C stack)
      local all, keys, argv = ..., {}, {}
      for i = 1, nkeys do keys[i] = all[i] end
      for i = nkeys + 1, -nargs do argv[i - nkeys] = all[i] end
      hidden.KEYS, hidden.ARGV = keys, argv
    else
      local all = {...}
      hidden.KEYS = {unpack(all, 1, nkeys)}
      hidden.ARGV = {unpack(all, nkeys + 1, nargs)}
    end
  end
  if hooked then dbg.sethook(hook, '', 100000) end
  local ok, res = rawxpcall(fn, err_handler)
  if hooked then dbg.sethook() end
  if ok then
    local out, errs = to_resp(res, caller_resp, state.resp)
    return true, out, errs
  end
  local msg, ignore = fail(res, sha)
  return false, msg, ignore
end

local function memory() return collectgarbage('count') * 1024 end

return compile, run, memory
"""


class LuaRaise(Exception):
    """Raised by a Python redis.* function to raise a Lua error table {err=message} in the script."""

    def __init__(self, message: bytes, counted: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.counted = counted   # errorstats already has it (ignore_error_stats_update)


class LuaError(LuaRaise):
    """A library error raised the way luaL_error does: Lua prefixes it with the caller's position."""


class LuaEngine:
    """One Lua VM (scriptingInit): compile user scripts, run them, report memory."""

    def __init__(self, log: Callable[[int, bytes], None]) -> None:
        self.ctx: RunContext | None = None
        self._log = log
        self.acl_check: Callable[[list[bytes]], bool | None] = lambda argv: True
        lua = lua51.LuaRuntime(unpack_returned_tuples=True, register_eval=False, register_builtins=False,
                               encoding=None)
        self.lua = lua
        self._table = lua.table_from
        to_resp = lua.execute(LUA_TO_RESP)
        self._state = lua.table_from({b"resp": 2})   # shared with the Lua side: the script's RESP version
        loader = lua.eval(b"function(src, name) return assert(loadstring(src, name)) end")
        bootstrap = loader(_BOOTSTRAP.encode(), _BRIDGE_CHUNK)
        self._compile, self._run, self._memory = bootstrap(
            self._py_call, self._py_pcall, self._py_log, self._py_setresp, self._py_setrepl, self._py_kill,
            self._py_rand, self._py_srand, self._py_sha1hex, self._py_acl, self._py_unwrap, self._state,
            to_resp, _VERSION, _VERSION_NUM, lua.table_from(_bit_library()), self._cjson_library(),
        )

    # ------------------------------------------------------------------------------ public API

    def compile(self, body: bytes) -> tuple[Any, bytes | None]:
        """(function, None) or (None, Lua's error message)."""
        result = self._compile(body)
        if isinstance(result, tuple):
            fn, err = result[0], result[1]
            if fn is None:
                return None, err if isinstance(err, bytes) else str(err).encode()
            return fn, None
        return result, None

    def run(self, fn: Any, sha: bytes, ctx: RunContext, caller_resp: int, keys_and_args: list[bytes],
            nkeys: int, hooked: bool) -> tuple[bool, bytes, Any]:
        """Run a compiled script: (True, reply bytes, [error messages errorstats must count]) or
        (False, error message (maybe without a code), whether errorstats already counted it)."""
        self.ctx = ctx
        try:
            n = len(keys_and_args)
            if n > _MAX_CALL_ARGS:
                ok, out, extra = self._run(fn, sha, hooked, caller_resp, nkeys, -n, self._table(keys_and_args))
            else:
                ok, out, extra = self._run(fn, sha, hooked, caller_resp, nkeys, n, *keys_and_args)
        finally:
            self.ctx = None
        if ok:
            return True, out, list(extra.values()) if extra is not None else ()
        return False, out, bool(extra)

    def memory(self) -> int:
        return int(self._memory())

    # ------------------------------------------------------------------------------ redis.call / pcall

    def _py_call(self, *args: Any) -> Any:
        return self._call(args, True)

    def _py_pcall(self, *args: Any) -> Any:
        return self._call(args, False)

    def _call(self, args: tuple[Any, ...], raising: bool) -> Any:
        ctx = self.ctx
        if ctx is None:
            return self._fail(b"ERR redis.call/pcall can only be called inside a script invocation", raising,
                              False)
        if not args:
            return self._fail(_NO_ARGS, raising, False)
        argv = _to_argv(args)
        if argv is None:
            return self._fail(_ARGS_NOT_STRINGS, raising, False)
        try:
            reply = ctx.call(argv)
        except ScriptCallError as exc:
            return self._fail(exc.message, raising, True)
        kind, value = parse_reply(reply)
        if kind == KIND_VALUE:
            return value
        if kind == KIND_STATUS:
            return self._table({OK: value})
        if kind == KIND_ERROR:
            return self._fail(value, raising, True)
        return self._table(value, recursive=True)

    def _fail(self, message: bytes, raising: bool, counted: bool) -> Any:
        if raising:
            raise LuaRaise(message, counted)
        if counted:
            return self._table({ERR: message, IGNORE_STATS: True})
        return self._table({ERR: message})

    def _py_unwrap(self, exc: Any) -> Any:
        """An error raised by Python code (a LuaRaise, or a bug) as the error table Redis would raise."""
        if isinstance(exc, LuaError):
            return self._table({ERR: exc.message, b"where": True})
        if isinstance(exc, LuaRaise):
            if exc.counted:
                return self._table({ERR: exc.message, IGNORE_STATS: True})
            return self._table({ERR: exc.message})
        return self._table({ERR: b"ERR " + str(exc).encode()})

    # ------------------------------------------------------------------------------ cjson

    def _cjson_library(self) -> Any:
        null = self.lua.eval(b"function() return newproxy and newproxy() or {} end")()
        self._json_null = null
        table_from = self.lua.table_from

        def encode(*args: Any) -> bytes:
            if len(args) != 1:
                raise LuaError(b"bad argument #1 to 'encode' (expected 1 argument)")
            out: list[bytes] = []
            self._json_encode(args[0], out, 0)
            return b"".join(out)

        def decode(*args: Any) -> Any:
            if len(args) != 1 or not isinstance(args[0], (bytes, int, float)):
                raise LuaError(b"bad argument #1 to 'decode' (string expected)")
            text = args[0] if isinstance(args[0], bytes) else _lua_number_text(args[0])
            try:
                value = json.loads(text.decode("utf-8", "surrogateescape"))
            except ValueError as exc:
                raise LuaError(f"Expected value but found invalid token at character {getattr(exc, 'pos', 0) + 1}"
                               .encode()) from None
            value = _from_json(value, null)
            if isinstance(value, (dict, list)):
                return table_from(value, recursive=True)
            return value

        return table_from({b"encode": encode, b"decode": decode, b"null": null})

    def _json_encode(self, value: Any, out: list[bytes], depth: int) -> None:
        if value is None or lua51.lua_type(value) == "userdata":   # cjson.null (our only userdata value)
            out.append(b"null")
        elif value is True:
            out.append(b"true")
        elif value is False:
            out.append(b"false")
        elif isinstance(value, (int, float)):
            if value != value or value in (float("inf"), float("-inf")):
                raise LuaError(b"Cannot serialise number: must not be NaN or Inf")
            out.append(_lua_number_text(value))
        elif isinstance(value, bytes):
            out.append(b'"' + _JSON_ESCAPE.sub(_json_escape_char, value) + b'"')
        elif lua51.lua_type(value) == "table":
            if depth >= 1000:
                raise LuaError(b"Cannot serialise, excessive nesting (1001)")
            items = list(value.items())
            keys = [k for k, _ in items]
            if all(isinstance(k, (int, float)) and not isinstance(k, bool) and k >= 1 and k == int(k)
                   for k in keys):
                if not keys:
                    out.append(b"{}")
                    return
                top = int(max(keys))
                if top > len(keys) * 2 and top > 10:
                    raise LuaError(b"Cannot serialise table: excessively sparse array")
                mapping = {int(k): v for k, v in items}
                out.append(b"[")
                for i in range(1, top + 1):
                    if i > 1:
                        out.append(b",")
                    self._json_encode(mapping.get(i), out, depth + 1)
                out.append(b"]")
                return
            out.append(b"{")
            first = True
            for k, v in items:
                if isinstance(k, (int, float)) and not isinstance(k, bool):
                    k = _lua_number_text(k)
                if not isinstance(k, bytes):
                    raise LuaError(b"Cannot serialise table: table key must be a number or string")
                if not first:
                    out.append(b",")
                first = False
                self._json_encode(k, out, depth + 1)
                out.append(b":")
                self._json_encode(v, out, depth + 1)
            out.append(b"}")
        else:
            kind = lua51.lua_type(value) or "userdata"
            raise LuaError(f"Cannot serialise {kind}: type not supported".encode())

    # ------------------------------------------------------------------------------ other redis.*

    def _py_sha1hex(self, *args: Any) -> bytes:
        if len(args) != 1:
            raise LuaRaise(b"ERR wrong number of arguments")
        data = args[0]
        if isinstance(data, (int, float)):
            data = _lua_number_text(data)
        if not isinstance(data, bytes):
            data = b""
        return hashlib.sha1(data).hexdigest().encode()

    def _py_log(self, *args: Any) -> None:
        if len(args) < 2:
            raise LuaRaise(b"ERR redis.log() requires two arguments or more.")
        level = _lua_tonumber(args[0])
        if level is None:
            raise LuaRaise(b"ERR First argument must be a number (log level).")
        lvl = int(level)
        if lvl < 0 or lvl > 3:
            raise LuaRaise(b"ERR Invalid debug level.")
        parts = []
        for a in args[1:]:
            if isinstance(a, bytes):
                parts.append(a)
            elif isinstance(a, (int, float)) and not isinstance(a, bool):
                parts.append(_lua_number_text(a))
        message = b" ".join(parts)
        if self.ctx is not None:
            self.ctx.log(lvl, message)
        else:
            self._log(lvl, message)

    def _py_setresp(self, *args: Any) -> None:
        if len(args) != 1:
            raise LuaRaise(b"ERR redis.setresp() requires one argument.")
        resp = _lua_tonumber(args[0])
        if resp is None or int(resp) not in (2, 3):
            raise LuaRaise(b"ERR RESP version must be 2 or 3.")
        if self.ctx is not None:
            self.ctx.resp = int(resp)
        self._state[b"resp"] = int(resp)

    def _py_setrepl(self, *args: Any) -> None:
        if len(args) != 1:
            raise LuaRaise(b"ERR redis.set_repl() requires two arguments.")
        flags = _lua_tonumber(args[0])
        value = int(flags) if flags is not None else 0
        if value & ~REPL_ALL:
            raise LuaRaise(b"ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
        if self.ctx is not None:
            self.ctx.repl_flags = value

    def _py_acl(self, *args: Any) -> bool:
        if not args:
            raise LuaRaise(_NO_ARGS)
        argv = _to_argv(args)
        if argv is None:
            raise LuaRaise(_ARGS_NOT_STRINGS)
        ok = self.acl_check(argv)
        if ok is None:
            raise LuaRaise(b"ERR Invalid command passed to redis.acl_check_cmd()")
        return ok

    def _py_kill(self) -> bool:
        ctx = self.ctx
        return ctx is not None and ctx.kill_requested

    def _py_rand(self) -> float:
        # rand48: X = a*X + c mod 2^48; redisLrand48 returns the top 31 bits.
        state = (0x5DEECE66D * _RAND48[0] + 0xB) & 0xFFFFFFFFFFFF
        _RAND48[0] = state
        return ((state >> 17) % 2147483647) / 2147483647

    def _py_srand(self, seed: float) -> None:
        _RAND48[0] = ((int(seed) & 0xFFFFFFFF) << 16) | 0x330E


def _lua_tonumber(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, bytes):
        try:
            return float(value.strip())
        except ValueError:
            try:
                return float(int(value.strip(), 16))
            except ValueError:
                return None
    return None


def _lua_number_text(value: float) -> bytes:
    """Lua 5.1's tostring of a number ("%.14g")."""
    return (b"%.14g" % value)


def _to_argv(args: tuple[Any, ...]) -> list[bytes] | None:
    """luaArgsToRedisArgv: strings as they are, numbers as "%.17g", anything else is refused."""
    argv: list[bytes] = []
    for a in args:
        t = type(a)
        if t is bytes:
            argv.append(a)
        elif t is int:
            argv.append(b"%d" % a if -10**17 < a < 10**17 else (b"%.17g" % float(a)))
        elif t is float:
            argv.append(b"%.17g" % a)
        else:
            return None
    return argv


def _bit_library() -> dict[bytes, Any]:
    """LuaBitOp's `bit` module (Redis bundles it): 32-bit operations on Lua numbers."""

    def tobit(x: Any) -> int:
        if isinstance(x, bytes):
            v = _lua_tonumber(x)
            x = 0 if v is None else v
        if not isinstance(x, (int, float)) or isinstance(x, bool):
            raise LuaRaise(b"ERR bad argument to bit operation (number expected)")
        n = int(round(x)) & 0xFFFFFFFF
        return n - 0x100000000 if n & 0x80000000 else n

    def u32(x: Any) -> int:
        return tobit(x) & 0xFFFFFFFF

    def fold(op: Callable[[int, int], int]) -> Callable[..., int]:
        def run(x: Any, *rest: Any) -> int:
            acc = u32(x)
            for y in rest:
                acc = op(acc, u32(y))
            return tobit(acc)
        return run

    def tohex(x: Any, n: Any = 8) -> bytes:
        digits = int(n)
        upper = digits < 0
        digits = min(abs(digits), 8)
        if digits == 0:
            return b""
        text = b"%0*x" % (digits, u32(x) & ((1 << (4 * digits)) - 1))
        return text.upper() if upper else text

    def rol(x: Any, n: Any) -> int:
        k = u32(n) & 31
        v = u32(x)
        return tobit((v << k) | (v >> (32 - k)))

    def ror(x: Any, n: Any) -> int:
        k = u32(n) & 31
        v = u32(x)
        return tobit((v >> k) | (v << (32 - k)))

    return {
        b"tobit": tobit,
        b"tohex": tohex,
        b"bnot": lambda x: tobit(~u32(x)),
        b"band": fold(lambda a, b: a & b),
        b"bor": fold(lambda a, b: a | b),
        b"bxor": fold(lambda a, b: a ^ b),
        b"lshift": lambda x, n: tobit(u32(x) << (u32(n) & 31)),
        b"rshift": lambda x, n: tobit(u32(x) >> (u32(n) & 31)),
        b"arshift": lambda x, n: tobit(tobit(x) >> (u32(n) & 31)),
        b"rol": rol,
        b"ror": ror,
        b"bswap": lambda x: tobit(int.from_bytes(u32(x).to_bytes(4, "little"), "big")),
    }


_JSON_ESCAPE = re.compile(rb'[\x00-\x1f"\\/\x7f]')
_JSON_SHORT = {0x22: b'\\"', 0x5C: b"\\\\", 0x2F: b"\\/", 0x08: b"\\b", 0x0C: b"\\f", 0x0A: b"\\n", 0x0D: b"\\r",
               0x09: b"\\t"}


def _json_escape_char(m: re.Match[bytes]) -> bytes:
    ch = m.group(0)[0]
    return _JSON_SHORT.get(ch) or b"\\u%04x" % ch


def _from_json(value: Any, null: Any) -> Any:
    """json.loads output as the Lua shapes cjson.decode gives (strings as bytes, null as cjson.null)."""
    if value is None:
        return null
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    if isinstance(value, list):
        return [_from_json(v, null) for v in value]
    if isinstance(value, dict):
        return {k.encode("utf-8", "surrogateescape"): _from_json(v, null) for k, v in value.items()}
    return value
