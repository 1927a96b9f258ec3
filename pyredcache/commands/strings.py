"""String commands (Redis group "string"): argument parsing and replies; data access through Db.

Also holds the x87 `long double` model INCRBYFLOAT needs (Redis adds with long double, parses with
strtold and prints with %.17Lf), so our replies match Redis digit for digit.
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from .. import errors
from ..datatypes.longdouble import LD_ZERO, add_long_double, format_long_double, parse_long_double
from ..datatypes.strings import UnencodedString
from ..errors import ReplyError
from ..keyspace.notify import Event, signal_write
from ..replication import propagate
from ..server.client import ClientFlag
from .args import LLONG_MAX, LLONG_MIN, parse_int, try_parse_int
from .table import KeyFlag, command, key_range

if TYPE_CHECKING:
    from ..server.client import Client

_OK = b"+OK\r\n"
_ONE = b":1\r\n"
_ZERO = b":0\r\n"
_EMPTY_BULK = b"$0\r\n\r\n"
# Enum member lookups cost more than the rest of a SET: read them once.
_STRING_EVENT = Event.STRING
_GENERIC_EVENT = Event.GENERIC

# Option bits shared by SET and GETEX (parseExtendedStringArgumentsOrReply).
NX = 1
XX = 2
GET = 4
KEEPTTL = 8
EX = 16
PX = 32
EXAT = 64
PXAT = 128
PERSIST = 256
_EXPIRE_UNITS = EX | PX | EXAT | PXAT

_OPTION_BITS: dict[bytes, int] = {
    b"NX": NX, b"XX": XX, b"GET": GET, b"KEEPTTL": KEEPTTL, b"EX": EX, b"PX": PX, b"EXAT": EXAT,
    b"PXAT": PXAT, b"PERSIST": PERSIST,
}
# What an option may not follow. An option may repeat (SET k v EX 1 EX 2 is accepted: the last one wins).
_CONFLICTS: dict[int, int] = {
    NX: XX, XX: NX, GET: 0, KEEPTTL: PERSIST | _EXPIRE_UNITS, PERSIST: KEEPTTL | _EXPIRE_UNITS,
    EX: KEEPTTL | PERSIST | PX | EXAT | PXAT, PX: KEEPTTL | PERSIST | EX | EXAT | PXAT,
    EXAT: KEEPTTL | PERSIST | EX | PX | PXAT, PXAT: KEEPTTL | PERSIST | EX | PX | EXAT,
}
_SET_OPTIONS = NX | XX | GET | KEEPTTL | _EXPIRE_UNITS
_GETEX_OPTIONS = PERSIST | _EXPIRE_UNITS


def _parse_extended(argv: list[bytes], start: int, allowed: int) -> tuple[int, bytes | None]:
    flags = 0
    expire_raw: bytes | None = None
    i = start
    n = len(argv)
    while i < n:
        raw = argv[i]
        opt = _OPTION_BITS.get(raw.upper(), 0)
        if not opt and b"\x00" in raw:
            # Redis compares C strings, so "NX\0junk" is NX.
            opt = _OPTION_BITS.get(raw.split(b"\x00", 1)[0].upper(), 0)
        if not opt & allowed or flags & _CONFLICTS[opt]:
            raise ReplyError(errors.SYNTAX)
        if opt & _EXPIRE_UNITS:
            if i + 1 == n:
                raise ReplyError(errors.SYNTAX)
            i += 1
            expire_raw = argv[i]
        flags |= opt
        i += 1
    return flags, expire_raw


def parse_set_options(argv: list[bytes], start: int) -> tuple[int, bytes | None]:
    """SET's options from argv[start:]: (flag bits, raw expire argument or None). Raises syntax error."""
    return _parse_extended(argv, start, _SET_OPTIONS)


def parse_getex_options(argv: list[bytes]) -> tuple[int, bytes | None]:
    """GETEX's options from argv[2:] (EX/PX/EXAT/PXAT/PERSIST). Raises syntax error."""
    return _parse_extended(argv, 2, _GETEX_OPTIONS)


def expire_at_ms(c: Client, raw: bytes, unit_flag: int, command_name: str) -> int:
    """getExpireMillisecondsOrReply: absolute expire time in ms, with Redis's range errors."""
    value = parse_int(raw)
    if value <= 0:
        raise ReplyError(errors.invalid_expire(command_name))
    if unit_flag & (EX | EXAT):
        if value > LLONG_MAX // 1000:
            raise ReplyError(errors.invalid_expire(command_name))
        value *= 1000
    if unit_flag & (EX | PX):
        now = c.server.ctx.now_ms
        if value > LLONG_MAX - now:
            raise ReplyError(errors.invalid_expire(command_name))
        value += now
    return value


def set_generic(c: Client, key: bytes, value: bytes, flags: int, when_ms: int | None,
                ok_reply: bytes | None = _OK, abort_reply: bytes | None = None) -> None:
    """setGenericCommand: the shared body of SET, SETNX, SETEX, PSETEX and GETSET."""
    db = c.db
    if flags & GET:
        old = db.get_string_read(key)   # raises WRONGTYPE before anything is written
        c.out.bulk_or_null(old)
        found = old is not None
    else:
        found = db.lookup_write(key) is not None
    if (flags & NX and found) or (flags & XX and not found):
        if not flags & GET:
            if abort_reply is None:
                c.out.null()
            else:
                c.out.raw(abort_reply)
        return
    db.set_key(key, value, bool(flags & KEEPTTL))
    server = c.server
    signal_write(server, db, key, b"set", _STRING_EVENT)
    if when_ms is not None:
        # Replicas get the absolute time: SET key value PXAT ms (the other options are gone).
        propagate.rewrite(c, [b"SET", key, value, b"PXAT", b"%d" % when_ms])
        db.set_expire(key, when_ms)
        signal_write(server, db, key, b"expire", _GENERIC_EVENT, dirty=0)
    if not flags & GET and ok_reply is not None:
        c.out.raw(ok_reply)


def check_string_length(c: Client, current: int, extra: int) -> None:
    """checkStringLength: a string may not grow past proto-max-bulk-len (the primary's stream is exempt)."""
    if current + extra > c.server.config["proto-max-bulk-len"] and not c.flags & ClientFlag.PRIMARY:
        raise ReplyError(errors.STRING_TOO_LONG)


# ------------------------------------------------------------------------------------------ GET / SET family

@command("get", 2, "READONLY FAST", keys=[key_range(1, "RO ACCESS")], acl="@string", group="string",
         since="1.0.0", complexity="O(1)", summary="Get the value of a key", args="key:key")
def get_command(c: Client, argv: list[bytes]) -> None:
    """GET key"""
    c.out.bulk_or_null(c.db.get_string_read(argv[1]))


_SET_WITH_GET_FLAGS = KeyFlag.RW | KeyFlag.ACCESS | KeyFlag.UPDATE
_SET_PLAIN_FLAGS = KeyFlag.OW | KeyFlag.UPDATE


def set_get_keys(argv: list[bytes]) -> list[tuple[int, int]]:
    """setGetKeys: the key is read too only when a GET option follows the value."""
    for arg in argv[3:]:
        if arg.lower() == b"get":
            return [(1, _SET_WITH_GET_FLAGS)]
    return [(1, _SET_PLAIN_FLAGS)]


@command("set", -3, "WRITE DENYOOM",
         keys=[replace(key_range(1, "RW ACCESS UPDATE VARIABLE_FLAGS"),
                       notes="RW and ACCESS due to the optional `GET` argument")],
         get_keys_fn=set_get_keys,
         acl="@string", group="string", since="1.0.0", complexity="O(1)",
         summary="Set the string value of a key",
         args="key:key value:string [condition:{NX|XX}]<2.6.12> [GET]<6.2.0> "
              "[expiration:{EX seconds:integer<2.6.12>|PX milliseconds:integer<2.6.12>"
              "|EXAT unix-time-seconds:unix-time<6.2.0>|PXAT unix-time-milliseconds:unix-time<6.2.0>"
              "|KEEPTTL<6.0.0>}]",
         history=(("2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options."),
                  ("6.0.0", "Added the `KEEPTTL` option."),
                  ("6.2.0", "Added the `GET`, `EXAT` and `PXAT` option."),
                  ("7.0.0", "Allowed the `NX` and `GET` options to be used together.")))
def set_command(c: Client, argv: list[bytes]) -> None:
    """SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms|KEEPTTL]"""
    if len(argv) == 3:
        db = c.db
        db.set_key(argv[1], argv[2])
        signal_write(c.server, db, argv[1], b"set", _STRING_EVENT)
        c.out.raw(_OK)
        return
    flags, expire_raw = parse_set_options(argv, 3)
    when = None
    if expire_raw is not None:
        when = expire_at_ms(c, expire_raw, flags & _EXPIRE_UNITS, "set")
    elif flags & GET:
        # Propagated without its GET arguments (with an expire, the PXAT rewrite replaces all).
        propagate.rewrite(c, argv[:3] + [arg for arg in argv[3:] if arg.lower() != b"get"])
    set_generic(c, argv[1], argv[2], flags, when)


@command("setnx", 3, "WRITE DENYOOM FAST", keys=[key_range(1, "OW INSERT")], acl="@string", group="string",
         since="1.0.0", complexity="O(1)", summary="Set the value of a key, only if the key does not exist",
         args="key:key value:string")
def setnx_command(c: Client, argv: list[bytes]) -> None:
    """SETNX key value"""
    set_generic(c, argv[1], argv[2], NX, None, _ONE, _ZERO)


@command("setex", 4, "WRITE DENYOOM", keys=[key_range(1, "OW UPDATE")], acl="@string", group="string",
         since="2.0.0", complexity="O(1)", summary="Set the value and expiration of a key",
         args="key:key seconds:integer value:string")
def setex_command(c: Client, argv: list[bytes]) -> None:
    """SETEX key seconds value"""
    set_generic(c, argv[1], argv[3], EX, expire_at_ms(c, argv[2], EX, "setex"))


@command("psetex", 4, "WRITE DENYOOM", keys=[key_range(1, "OW UPDATE")], acl="@string", group="string",
         since="2.6.0", complexity="O(1)", summary="Set the value and expiration in milliseconds of a key",
         args="key:key milliseconds:integer value:string")
def psetex_command(c: Client, argv: list[bytes]) -> None:
    """PSETEX key milliseconds value"""
    set_generic(c, argv[1], argv[3], PX, expire_at_ms(c, argv[2], PX, "psetex"))


@command("getset", 3, "WRITE DENYOOM FAST", keys=[key_range(1, "RW ACCESS UPDATE")], acl="@string",
         group="string", since="1.0.0", complexity="O(1)",
         summary="Set the string value of a key and return its old value", args="key:key value:string",
         doc_flags=("deprecated",), deprecated_since="6.2.0", replaced_by="`SET` with the `!GET` argument")
def getset_command(c: Client, argv: list[bytes]) -> None:
    """GETSET key value"""
    propagate.rewrite(c, [b"SET", argv[1], argv[2]])
    set_generic(c, argv[1], argv[2], GET, None)


@command("getdel", 2, "WRITE FAST", keys=[key_range(1, "RW ACCESS DELETE")], acl="@string", group="string",
         since="6.2.0", complexity="O(1)", summary="Get the value of a key and delete the key", args="key:key")
def getdel_command(c: Client, argv: list[bytes]) -> None:
    """GETDEL key"""
    key = argv[1]
    db = c.db
    value = db.get_string_read(key)
    if value is None:
        c.out.null()
        return
    c.out.bulk(value)
    db.delete(key)
    propagate.rewrite(c, [b"DEL", key])
    signal_write(c.server, db, key, b"del", _GENERIC_EVENT)


@command("getex", -2, "WRITE FAST",
         keys=[replace(key_range(1, "RW ACCESS UPDATE"), notes="RW and UPDATE because it changes the TTL")],
         acl="@string", group="string", since="6.2.0", complexity="O(1)",
         summary="Get the value of a key and optionally set its expiration",
         args="key:key [expiration:{EX seconds:integer|PX milliseconds:integer"
              "|EXAT unix-time-seconds:unix-time|PXAT unix-time-milliseconds:unix-time|PERSIST}]")
def getex_command(c: Client, argv: list[bytes]) -> None:
    """GETEX key [EX s|PX ms|EXAT ts|PXAT ms|PERSIST]"""
    flags, expire_raw = parse_getex_options(argv)
    key = argv[1]
    db = c.db
    value = db.get_string_read(key)
    if value is None:
        # Redis answers nil before it looks at the expire value: GETEX missing EX junk is nil.
        c.out.null()
        return
    when = None
    if expire_raw is not None:
        when = expire_at_ms(c, expire_raw, flags & _EXPIRE_UNITS, "getex")
    c.out.bulk(value)
    server = c.server
    if when is not None:
        if flags & (EXAT | PXAT) and when <= server.ctx.now_ms and server.role == "master":
            # checkAlreadyExpired: an absolute time in the past deletes the key (replicas wait for the DEL).
            db.delete(key)
            propagate.rewrite(c, [b"UNLINK" if server.config["lazyfree-lazy-expire"] else b"DEL", key])
            signal_write(server, db, key, b"del", _GENERIC_EVENT)
        else:
            db.set_expire(key, when)
            propagate.rewrite(c, [b"PEXPIREAT", key, b"%d" % when])
            signal_write(server, db, key, b"expire", _GENERIC_EVENT)
    elif flags & PERSIST and db.remove_expire(key):
        propagate.rewrite(c, [b"PERSIST", key])
        signal_write(server, db, key, b"persist", _GENERIC_EVENT)


@command("mget", -2, "READONLY FAST", keys=[key_range(1, "RO ACCESS", lastkey=-1)], acl="@string",
         group="string", since="1.0.0", complexity="O(N) where N is the number of keys to retrieve.",
         summary="Get the values of all the given keys", args="key:key...",
         tips=("request_policy:multi_shard",))
def mget_command(c: Client, argv: list[bytes]) -> None:
    """MGET key [key ...]"""
    lookup = c.db.lookup_read
    values: list[object] = []
    append = values.append
    for key in argv[1:]:
        value = lookup(key)
        # Missing, or not a string: MGET never fails on type, it answers nil.
        append(value if isinstance(value, (bytes, bytearray)) else None)
    c.out.bulk_array(values)


def _mset_generic(c: Client, argv: list[bytes]) -> None:
    db = c.db
    server = c.server
    set_key = db.set_key
    if server.watch_hook is None and server.notify_hook is None:
        # Nobody watches and no events: signal_write would only count the changes.
        for key, value in zip(argv[1::2], argv[2::2]):  # noqa: B905 - equal lengths; strict= is a slow keyword call
            set_key(key, value)
        server.dirty += len(argv) // 2
        return
    for i in range(1, len(argv), 2):
        key = argv[i]
        set_key(key, argv[i + 1])
        signal_write(server, db, key, b"set", _STRING_EVENT)


@command("mset", -3, "WRITE DENYOOM", keys=[key_range(1, "OW UPDATE", lastkey=-1, step=2)], acl="@string",
         group="string", since="1.0.1", complexity="O(N) where N is the number of keys to set.",
         summary="Set multiple keys to multiple values", args="key_value:{key:key value:string}...",
         tips=("request_policy:multi_shard", "response_policy:all_succeeded"))
def mset_command(c: Client, argv: list[bytes]) -> None:
    """MSET key value [key value ...]"""
    if not len(argv) & 1:
        raise ReplyError(errors.wrong_arity("mset"))    # checked by the command, not the dispatcher
    _mset_generic(c, argv)
    c.out.raw(_OK)


@command("msetnx", -3, "WRITE DENYOOM", keys=[key_range(1, "OW INSERT", lastkey=-1, step=2)], acl="@string",
         group="string", since="1.0.1", complexity="O(N) where N is the number of keys to set.",
         summary="Set multiple keys to multiple values, only if none of the keys exist",
         args="key_value:{key:key value:string}...",
         tips=("request_policy:multi_shard", "response_policy:agg_min"))
def msetnx_command(c: Client, argv: list[bytes]) -> None:
    """MSETNX key value [key value ...]"""
    if not len(argv) & 1:
        raise ReplyError(errors.wrong_arity("msetnx"))
    lookup = c.db.lookup_write
    for i in range(1, len(argv), 2):
        if lookup(argv[i]) is not None:
            c.out.raw(_ZERO)
            return
    _mset_generic(c, argv)
    c.out.raw(_ONE)


# ----------------------------------------------------------------------------------- in-place string edits

@command("append", 3, "WRITE DENYOOM FAST", keys=[key_range(1, "RW INSERT")], acl="@string", group="string",
         since="2.0.0",
         complexity="O(1). The amortized time complexity is O(1) assuming the appended value is small and the "
                    "already present value is of any size, since the dynamic string library used by Redis "
                    "will double the free space available on every reallocation.",
         summary="Append a value to a key", args="key:key value:string")
def append_command(c: Client, argv: list[bytes]) -> None:
    """APPEND key value"""
    key = argv[1]
    extra = argv[2]
    db = c.db
    old = db.get_string_write(key)
    if old is None:
        # A new key holds the argument itself (Redis stores it with tryObjectEncoding: int/embstr/raw).
        db.set_key(key, extra)
        total = len(extra)
    else:
        check_string_length(c, len(old), len(extra))
        if type(old) is bytearray:
            old += extra          # in place: amortised O(1), as sdscatlen
        else:
            grown = bytearray(old)
            grown += extra
            db.set_value(key, grown)   # keeps the TTL
            old = grown
        total = len(old)
    signal_write(c.server, db, key, b"append", _STRING_EVENT)
    c.out.integer(total)


@command("setrange", 4, "WRITE DENYOOM", keys=[key_range(1, "RW UPDATE")], acl="@string", group="string",
         since="2.2.0",
         complexity="O(1), not counting the time taken to copy the new string in place. Usually, this string "
                    "is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M "
                    "being the length of the value argument.",
         summary="Overwrite part of a string at key starting at the specified offset",
         args="key:key offset:integer value:string")
def setrange_command(c: Client, argv: list[bytes]) -> None:
    """SETRANGE key offset value"""
    key = argv[1]
    offset = parse_int(argv[2])
    if offset < 0:
        raise ReplyError(errors.OFFSET_OUT_OF_RANGE)
    value = argv[3]
    size = len(value)
    db = c.db
    old = db.get_string_write(key)
    if old is None:
        if not size:
            c.out.raw(_ZERO)       # nothing to write: no key is created
            return
        check_string_length(c, offset, size)
        buf = bytearray(offset + size)
        buf[offset:] = value
        db.set_key(key, buf)
    else:
        if not size:
            c.out.integer(len(old))
            return
        check_string_length(c, offset, size)
        if type(old) is bytearray:
            buf = old
        else:
            buf = bytearray(old)
            db.set_value(key, buf)
        end = offset + size
        if end > len(buf):
            buf.extend(bytes(end - len(buf)))    # sdsgrowzero: the gap is zero bytes
        buf[offset:end] = value
    signal_write(c.server, db, key, b"setrange", _STRING_EVENT)
    c.out.integer(len(buf))


# ------------------------------------------------------------------------------------------------ reads

@command("strlen", 2, "READONLY FAST", keys=[key_range(1, "RO")], acl="@string", group="string",
         since="2.2.0", complexity="O(1)", summary="Get the length of the value stored in a key", args="key:key")
def strlen_command(c: Client, argv: list[bytes]) -> None:
    """STRLEN key"""
    value = c.db.get_string_read(argv[1])
    c.out.integer(0 if value is None else len(value))


_GETRANGE_COMPLEXITY = (
    "O(N) where N is the length of the returned string. The complexity is ultimately determined by the "
    "returned length, but because creating a substring from an existing string is very cheap, it can be "
    "considered O(1) for small strings."
)


@command("getrange", 4, "READONLY", keys=[key_range(1, "RO ACCESS")], acl="@string", group="string",
         since="2.4.0", complexity=_GETRANGE_COMPLEXITY, summary="Get a substring of the string stored at a key",
         args="key:key start:integer end:integer")
def getrange_command(c: Client, argv: list[bytes]) -> None:
    """GETRANGE key start end"""
    start = parse_int(argv[2])
    end = parse_int(argv[3])
    value = c.db.get_string_read(argv[1])
    if value is None or (start < 0 and end < 0 and start > end):
        c.out.raw(_EMPTY_BULK)
        return
    n = len(value)
    if start < 0:
        start = max(start + n, 0)
    if end < 0:
        end = max(end + n, 0)
    if end >= n:
        end = n - 1
    if start > end:          # also covers the empty string (end == -1)
        c.out.raw(_EMPTY_BULK)
    else:
        c.out.bulk(value[start:end + 1])


@command("substr", 4, "READONLY", keys=[key_range(1, "RO ACCESS")], acl="@string", group="string",
         since="1.0.0", complexity=_GETRANGE_COMPLEXITY, summary="Get a substring of the string stored at a key",
         args="key:key start:integer end:integer",
         doc_flags=("deprecated",), deprecated_since="2.0.0", replaced_by="`GETRANGE`")
def substr_command(c: Client, argv: list[bytes]) -> None:
    """SUBSTR key start end"""
    getrange_command(c, argv)


# ----------------------------------------------------------------------------------------------- counters

def incr_decr_generic(c: Client, key: bytes, incr: int) -> None:
    """incrDecrCommand: add to a canonical 64-bit integer string, keeping the TTL."""
    db = c.db
    old = db.get_string_write(key)
    if old is None:
        value = incr
    else:
        parsed = try_parse_int(old)     # string2ll: no spaces, '+', '_' or leading zeros; 64-bit range
        if parsed is None:
            raise ReplyError(errors.NOT_INTEGER)
        value = parsed + incr
        if not LLONG_MIN <= value <= LLONG_MAX:
            raise ReplyError(errors.OVERFLOW)
    db.set_key(key, b"%d" % value, True)
    signal_write(c.server, db, key, b"incrby", _STRING_EVENT)
    c.out.integer(value)


@command("incr", 2, "WRITE DENYOOM FAST", keys=[key_range(1, "RW ACCESS UPDATE")], acl="@string",
         group="string", since="1.0.0", complexity="O(1)",
         summary="Increment the integer value of a key by one", args="key:key")
def incr_command(c: Client, argv: list[bytes]) -> None:
    """INCR key"""
    incr_decr_generic(c, argv[1], 1)


@command("decr", 2, "WRITE DENYOOM FAST", keys=[key_range(1, "RW ACCESS UPDATE")], acl="@string",
         group="string", since="1.0.0", complexity="O(1)",
         summary="Decrement the integer value of a key by one", args="key:key")
def decr_command(c: Client, argv: list[bytes]) -> None:
    """DECR key"""
    incr_decr_generic(c, argv[1], -1)


@command("incrby", 3, "WRITE DENYOOM FAST", keys=[key_range(1, "RW ACCESS UPDATE")], acl="@string",
         group="string", since="1.0.0", complexity="O(1)",
         summary="Increment the integer value of a key by the given amount", args="key:key increment:integer")
def incrby_command(c: Client, argv: list[bytes]) -> None:
    """INCRBY key increment"""
    incr_decr_generic(c, argv[1], parse_int(argv[2]))


@command("decrby", 3, "WRITE DENYOOM FAST", keys=[key_range(1, "RW ACCESS UPDATE")], acl="@string",
         group="string", since="1.0.0", complexity="O(1)",
         summary="Decrement the integer value of a key by the given number", args="key:key decrement:integer")
def decrby_command(c: Client, argv: list[bytes]) -> None:
    """DECRBY key decrement"""
    decrement = parse_int(argv[2])
    if decrement == LLONG_MIN:
        raise ReplyError(errors.DECREMENT_OVERFLOW)   # -LLONG_MIN does not fit
    incr_decr_generic(c, argv[1], -decrement)


@command("incrbyfloat", 3, "WRITE DENYOOM FAST", keys=[key_range(1, "RW ACCESS UPDATE")], acl="@string",
         group="string", since="2.6.0", complexity="O(1)",
         summary="Increment the float value of a key by the given amount", args="key:key increment:double")
def incrbyfloat_command(c: Client, argv: list[bytes]) -> None:
    """INCRBYFLOAT key increment"""
    key = argv[1]
    db = c.db
    old = db.get_string_write(key)
    current = LD_ZERO if old is None else parse_long_double(old)
    increment = parse_long_double(argv[2])
    if current is None or increment is None:
        raise ReplyError(errors.NOT_FLOAT)
    total = add_long_double(current, increment)
    if total is None:
        raise ReplyError(errors.INCR_NAN_OR_INF)
    new = UnencodedString(format_long_double(total))
    db.set_key(key, new, True)
    propagate.rewrite(c, [b"SET", key, bytes(new), b"KEEPTTL"])
    signal_write(c.server, db, key, b"incrbyfloat", _STRING_EVENT)
    c.out.bulk(new)


# ---------------------------------------------------------------------------------------------------- LCS

@command("lcs", -3, "READONLY", keys=[key_range(1, "RO ACCESS", lastkey=1)], acl="@string", group="string",
         since="7.0.0", complexity="O(N*M) where N and M are the lengths of s1 and s2, respectively",
         summary="Find longest common substring",
         args="key1:key key2:key [LEN] [IDX] [len:MINMATCHLEN=integer] [WITHMATCHLEN]")
def lcs_command(c: Client, argv: list[bytes]) -> None:
    """LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]"""
    db = c.db
    # Both keys are looked up (and counted as hits/misses) before either type is checked.
    first = db.lookup_read(argv[1])
    second = db.lookup_read(argv[2])
    a = _lcs_operand(first)
    b = _lcs_operand(second)
    get_len = get_idx = with_match_len = False
    min_match_len = 0
    i = 3
    n = len(argv)
    while i < n:
        opt = argv[i].upper()
        if opt == b"IDX":
            get_idx = True
        elif opt == b"LEN":
            get_len = True
        elif opt == b"WITHMATCHLEN":
            with_match_len = True
        elif opt == b"MINMATCHLEN" and i + 1 < n:
            i += 1
            min_match_len = max(parse_int(argv[i]), 0)
        else:
            raise ReplyError(errors.SYNTAX)
        i += 1
    if get_idx and get_len:
        raise ReplyError(errors.LCS_IDX_AND_LEN)
    # Redis refuses when its (alen+1)*(blen+1) table of uint32 would exceed proto-max-bulk-len.
    if (len(a) + 1) * (len(b) + 1) * 4 > c.server.config["proto-max-bulk-len"]:
        raise ReplyError(errors.LCS_TOO_MUCH_MEMORY)
    out = c.out
    if get_len and not get_idx:
        out.integer(lcs_length(a, b))
        return
    text, matches = lcs_walk(a, b, min_match_len if get_idx else -1)
    if not get_idx:
        out.bulk(text)
        return
    out.map_header(2)
    out.bulk(b"matches")
    out.array_header(len(matches))
    width = 3 if with_match_len else 2
    for a_start, a_end, b_start, b_end in matches:
        out.array_header(width)
        out.array_header(2)
        out.integer(a_start)
        out.integer(a_end)
        out.array_header(2)
        out.integer(b_start)
        out.integer(b_end)
        if with_match_len:
            out.integer(a_end - a_start + 1)
    out.bulk(b"len")
    out.integer(len(text))


_ZERO_BITS = b"0" * 256


def _lcs_operand(value: object) -> bytes | bytearray:
    if value is None:
        return b""
    if isinstance(value, (bytes, bytearray)):
        return value
    raise ReplyError(errors.LCS_NOT_STRINGS)


def _lcs_rows(a: bytes | bytearray, b: bytes | bytearray, keep: bool) -> list[int]:
    """Bit-parallel LCS (Allison-Dix / Hyyro): one int per row i of the DP table over b's positions.

    Bit j-1 of row i is 0 when LCS(a[:i], b[:j]) exceeds LCS(a[:i], b[:j-1]), so
    LCS(a[:i], b[:j]) = j - popcount(row_i & (2**j - 1)). Same table as Redis's, in 1/32 of the memory.
    """
    full = (1 << len(b)) - 1
    masks: dict[int, int] = {}
    for ch in set(a):
        if ch in b:
            table = _ZERO_BITS[:ch] + b"1" + _ZERO_BITS[ch + 1:]
            masks[ch] = int(b.translate(table)[::-1], 2)
    row = full
    rows = [row]
    get = masks.get
    for ch in a:
        match = row & get(ch, 0)
        row = ((row + match) | (row - match)) & full
        if keep:
            rows.append(row)
    if not keep:
        rows.append(row)
    return rows


def lcs_length(a: bytes | bytearray, b: bytes | bytearray) -> int:
    """Length of the longest common subsequence of a and b."""
    return len(b) - _lcs_rows(a, b, False)[-1].bit_count()


def lcs_walk(a: bytes | bytearray, b: bytes | bytearray,
             min_match_len: int) -> tuple[bytes, list[tuple[int, int, int, int]]]:
    """Redis's backtrack over the LCS table: the LCS string and (if min_match_len >= 0) the matched ranges
    (a_start, a_end, b_start, b_end), last ones first, in the order and with the ties of lcsCommand."""
    rows = _lcs_rows(a, b, True)
    alen = len(a)
    i, j = alen, len(b)
    total = j - rows[i].bit_count()
    idx = total
    text = bytearray(total)
    matches: list[tuple[int, int, int, int]] = []
    want_ranges = min_match_len >= 0
    a_start = alen                # alen: no range open
    a_end = b_start = b_end = 0
    while i > 0 and j > 0:
        ch = a[i - 1]
        emit = False
        if b[j - 1] == ch:
            text[idx - 1] = ch
            if a_start == alen:
                a_start = a_end = i - 1
                b_start = b_end = j - 1
            elif a_start == i and b_start == j:
                a_start -= 1
                b_start -= 1
            else:
                emit = True
            if a_start == 0 or b_start == 0:
                emit = True
            idx -= 1
            i -= 1
            j -= 1
        else:
            emit = a_start != alen
            row = rows[i]
            if not (row >> (j - 1)) & 1:
                i -= 1        # LCS(i-1, j) > LCS(i, j-1): Redis moves up
            else:
                # Redis moves left one cell at a time; skip straight to the next cell where it would
                # stop doing so: a match, or a column where moving up wins.
                up = (~row & ((1 << (j - 1)) - 1)).bit_length()
                j = max(up, b.rfind(ch, 0, j - 1) + 1)
        if emit:
            if want_ranges and (min_match_len == 0 or a_end - a_start + 1 >= min_match_len):
                matches.append((a_start, a_end, b_start, b_end))
            a_start = alen
    return bytes(text), matches
