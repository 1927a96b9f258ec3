"""Conversions between RESP and Lua values, following Redis 7.0's script_lua.c rules.

RESP -> Lua (a redis.call() reply): `parse_reply` reads the bytes the command wrote and returns the value in
the shape redisProtocolToLuaType gives scripts. Lua -> RESP (a script's return value) runs inside Lua, as
`LUA_TO_RESP` (source text loaded by runtime.py), so a large table is converted without a Python round trip
per element.
"""
from __future__ import annotations

from typing import Any, Final

# Python shapes handed to lupa's table_from(recursive=True); keys are bytes because the runtime has no encoding.
OK: Final = b"ok"
ERR: Final = b"err"
IGNORE_STATS: Final = b"ignore_error_stats_update"

# Reply kinds returned to the Lua side of redis.call (see runtime.py's bridge).
KIND_VALUE: Final = 0        # a plain Lua value: number, string, false, nil, true
KIND_STATUS: Final = 1       # {ok=value}
KIND_ERROR: Final = 2        # an error reply: raised by redis.call, an error table from redis.pcall
KIND_TABLE: Final = 4        # value is a nested Python structure to turn into Lua tables


def error_table_message(raw: bytes) -> bytes:
    """luaPushErrorBuff: "-CODE msg" keeps its code, a code-less message gets "ERR"; CR/LF trimmed."""
    if raw[:1] == b"-":
        body = raw[1:]
        space = body.find(b" ")
        if space < 0:
            code, msg = b"ERR", body
        else:
            code, msg = body[:space], body[space + 1:]
    else:
        code, msg = b"ERR", raw
    return code + b" " + msg.strip(b"\r\n")


class _Reader:
    """A minimal RESP2/RESP3 reader over one complete reply (our own writer produced it)."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def line(self) -> bytes:
        end = self.data.index(b"\r\n", self.pos)
        out = self.data[self.pos:end]
        self.pos = end + 2
        return out

    def value(self) -> Any:
        data = self.data
        kind = data[self.pos]
        self.pos += 1
        if kind == 0x24:   # $ bulk
            n = int(self.line())
            if n < 0:
                return False
            start = self.pos
            self.pos = start + n + 2
            return data[start:start + n]
        if kind == 0x3A:   # : integer
            return int(self.line())
        if kind == 0x2B:   # + status
            return {OK: self.line()}
        if kind == 0x2D:   # - error
            return {ERR: error_table_message(b"-" + self.line()), IGNORE_STATS: True}
        if kind == 0x2A:   # * array
            n = int(self.line())
            if n < 0:
                return False
            return [self.value() for _ in range(n)]
        return self._resp3(kind)

    def _resp3(self, kind: int) -> Any:
        if kind == 0x25:   # % map
            n = int(self.line())
            m: dict[Any, Any] = {}
            for _ in range(n):
                k = self.value()
                m[_hashable(k)] = self.value()
            return {b"map": m}
        if kind == 0x7E:   # ~ set
            n = int(self.line())
            s: dict[Any, Any] = {}
            for _ in range(n):
                s[_hashable(self.value())] = True
            return {b"set": s}
        if kind == 0x5F:   # _ null
            self.line()
            return None
        if kind == 0x23:   # # boolean
            return self.line() == b"t"
        if kind == 0x2C:   # , double
            return {b"double": _parse_double(self.line())}
        if kind == 0x28:   # ( big number
            return {b"big_number": self.line()}
        if kind == 0x3D:   # = verbatim
            n = int(self.line())
            start = self.pos
            self.pos = start + n + 2
            body = self.data[start:start + n]
            return {b"verbatim_string": {b"format": body[:3], b"string": body[4:]}}
        if kind == 0x7C:   # | attribute: skipped, as Redis does
            n = int(self.line())
            for _ in range(2 * n):
                self.value()
            return self.value()
        if kind == 0x3E:   # > push (never produced by a command's own reply)
            n = int(self.line())
            return [self.value() for _ in range(n)]
        raise ValueError(f"unexpected RESP type byte {kind!r}")


def _hashable(value: Any) -> Any:
    # A map key that is itself an aggregate cannot be a dict key here; Redis replies never have those.
    return value if not isinstance(value, (dict, list)) else repr(value).encode()


def _parse_double(text: bytes) -> float:
    if text == b"inf":
        return float("inf")
    if text == b"-inf":
        return float("-inf")
    return float(text)


def parse_reply(data: bytes) -> tuple[int, Any]:
    """One command reply -> (kind, value) for the Lua bridge (KIND_* above)."""
    first = data[:1]
    if first == b":":
        return KIND_VALUE, int(data[1:-2])
    if first == b"$":
        if data[1:2] == b"-":
            return KIND_VALUE, False
        start = data.index(b"\r\n") + 2
        return KIND_VALUE, data[start:-2]
    if first == b"+":
        return KIND_STATUS, data[1:-2]
    if first == b"-":
        return KIND_ERROR, error_table_message(data[:-2])
    value = _Reader(data).value()
    if isinstance(value, (dict, list)):
        return KIND_TABLE, value
    return KIND_VALUE, value


# Lua -> RESP, as luaReplyToRedisReply: run inside the runtime. to_resp(value, caller_resp, script_resp)
# returns the encoded reply and a list of the error messages it contains that errorstats must count.
LUA_TO_RESP: Final = r"""
local type, format, concat, next, rawget, tostring = type, string.format, table.concat, next, rawget, tostring
local gsub, floor = string.gsub, math.floor
local huge = math.huge

local function clean(s) return (gsub(s, '[\r\n]', ' ')) end

local function fmt_double(d)
  if d == huge then return 'inf' elseif d == -huge then return '-inf' end
  return format('%.17g', d)
end

local buf, n, cresp, sresp, errs

local function emit(s) n = n + 1; buf[n] = s end

local function null()
  if cresp == 2 then emit('$-1\r\n') else emit('_\r\n') end
end

local conv

local function conv_table(t)
  local v = rawget(t, 'err')
  if type(v) == 'string' then
    local msg = clean(v)
    emit('-' .. msg .. '\r\n')
    if rawget(t, 'ignore_error_stats_update') ~= true then errs[#errs + 1] = msg end
    return
  end
  v = rawget(t, 'ok')
  if type(v) == 'string' then emit('+' .. clean(v) .. '\r\n'); return end
  v = rawget(t, 'double')
  if type(v) == 'number' then
    local s = fmt_double(v)
    if cresp == 2 then emit('$' .. #s .. '\r\n' .. s .. '\r\n') else emit(',' .. s .. '\r\n') end
    return
  end
  v = rawget(t, 'big_number')
  if type(v) == 'string' then
    local s = clean(v)
    if cresp == 2 then emit('$' .. #s .. '\r\n' .. s .. '\r\n') else emit('(' .. s .. '\r\n') end
    return
  end
  v = rawget(t, 'verbatim_string')
  if type(v) == 'table' then
    local f, s = rawget(v, 'format'), rawget(v, 'string')
    if type(f) == 'string' and type(s) == 'string' then
      if cresp == 2 then emit('$' .. #s .. '\r\n' .. s .. '\r\n')
      else emit('=' .. (#s + 4) .. '\r\n' .. f:sub(1, 3) .. ':' .. s .. '\r\n') end
      return
    end
  end
  v = rawget(t, 'map')
  if type(v) == 'table' then
    local slot = n + 1
    emit('')
    local count = 0
    for k, val in next, v do
      conv(k); conv(val); count = count + 1
    end
    if cresp == 2 then buf[slot] = '*' .. (count * 2) .. '\r\n' else buf[slot] = '%' .. count .. '\r\n' end
    return
  end
  v = rawget(t, 'set')
  if type(v) == 'table' then
    local slot = n + 1
    emit('')
    local count = 0
    for k in next, v do
      conv(k); count = count + 1
    end
    if cresp == 2 then buf[slot] = '*' .. count .. '\r\n' else buf[slot] = '~' .. count .. '\r\n' end
    return
  end
  local slot = n + 1
  emit('')
  local j = 1
  while true do
    local item = rawget(t, j)
    if item == nil then break end
    conv(item)
    j = j + 1
  end
  buf[slot] = '*' .. (j - 1) .. '\r\n'
end

conv = function(v)
  local t = type(v)
  if t == 'string' then
    emit('$' .. #v .. '\r\n' .. v .. '\r\n')
  elseif t == 'number' then
    emit(':' .. format('%d', v) .. '\r\n')
  elseif t == 'boolean' then
    if sresp == 2 then
      if v then emit(':1\r\n') else null() end
    elseif cresp == 2 then
      if v then emit(':1\r\n') else emit(':0\r\n') end
    else
      if v then emit('#t\r\n') else emit('#f\r\n') end
    end
  elseif t == 'table' then
    conv_table(v)
  else
    null()
  end
end

return function(value, caller_resp, script_resp)
  local t = type(value)
  if t == 'number' then return ':' .. format('%d', value) .. '\r\n' end
  if t == 'string' then return '$' .. #value .. '\r\n' .. value .. '\r\n' end
  buf, n, cresp, sresp, errs = {}, 0, caller_resp, script_resp, {}
  conv(value)
  local out, e = concat(buf), errs
  buf, errs = nil, nil
  if #e == 0 then e = nil end
  return out, e
end
"""
