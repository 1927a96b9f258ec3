"""String commands (Redis group "string"): argument parsing and replies; data access through Db."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import errors
from ..errors import ReplyError
from ..keyspace.notify import Event, signal_write
from .args import LLONG_MAX, parse_int
from .table import command, key_range

if TYPE_CHECKING:
    from ..server.client import Client

_OK = b"+OK\r\n"

# set_generic option bits (parseExtendedStringArgumentsOrReply)
NX = 1
XX = 2
GET = 4
KEEPTTL = 8
EX = 16
PX = 32
EXAT = 64
PXAT = 128
_EXPIRE_UNITS = EX | PX | EXAT | PXAT


def parse_set_options(argv: list[bytes], start: int) -> tuple[int, bytes | None]:
    """SET's options from argv[start:]: (flag bits, raw expire argument or None). Raises syntax error."""
    flags = 0
    expire_raw: bytes | None = None
    i = start
    n = len(argv)
    while i < n:
        opt = argv[i].upper()
        has_next = i + 1 < n
        if opt == b"NX" and not flags & XX:
            flags |= NX
        elif opt == b"XX" and not flags & NX:
            flags |= XX
        elif opt == b"GET":
            flags |= GET
        elif opt == b"KEEPTTL" and not flags & _EXPIRE_UNITS:
            flags |= KEEPTTL
        elif opt in (b"EX", b"PX", b"EXAT", b"PXAT") and not flags & (KEEPTTL | _EXPIRE_UNITS) and has_next:
            flags |= {b"EX": EX, b"PX": PX, b"EXAT": EXAT, b"PXAT": PXAT}[opt]
            i += 1
            expire_raw = argv[i]
        else:
            raise ReplyError(errors.SYNTAX)
        i += 1
    return flags, expire_raw


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
    signal_write(server, db, key, b"set", Event.STRING)
    if when_ms is not None:
        db.set_expire(key, when_ms)
        signal_write(server, db, key, b"expire", Event.GENERIC, dirty=0)
    if not flags & GET and ok_reply is not None:
        c.out.raw(ok_reply)


@command("get", 2, "READONLY FAST", keys=[key_range(1, "RO ACCESS")], acl="@string", group="string",
         since="1.0.0", complexity="O(1)", summary="Get the value of a key", args="key:key")
def get_command(c: Client, argv: list[bytes]) -> None:
    """GET key"""
    c.out.bulk_or_null(c.db.get_string_read(argv[1]))


@command("set", -3, "WRITE DENYOOM", keys=[key_range(1, "RW ACCESS UPDATE VARIABLE_FLAGS")], acl="@string",
         group="string", since="1.0.0", complexity="O(1)",
         summary="Set the string value of a key",
         args="key:key value:string [condition:{NX|XX}] [GET] "
              "[expiration:{EX seconds:integer|PX milliseconds:integer|EXAT unix-time-seconds:unix-time"
              "|PXAT unix-time-milliseconds:unix-time|KEEPTTL}]",
         history=(("2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options."),
                  ("6.0.0", "Added the `KEEPTTL` option."),
                  ("6.2.0", "Added the `GET`, `EXAT` and `PXAT` option."),
                  ("7.0.0", "Allowed the `NX` and `GET` options to be used together.")))
def set_command(c: Client, argv: list[bytes]) -> None:
    """SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms|KEEPTTL]"""
    if len(argv) == 3:
        c.db.set_key(argv[1], argv[2])
        signal_write(c.server, c.db, argv[1], b"set", Event.STRING)
        c.out.raw(_OK)
        return
    flags, expire_raw = parse_set_options(argv, 3)
    when = None
    if expire_raw is not None:
        when = expire_at_ms(c, expire_raw, flags & _EXPIRE_UNITS, "set")
    set_generic(c, argv[1], argv[2], flags, when)
