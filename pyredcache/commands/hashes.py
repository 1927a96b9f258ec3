"""Hash commands (Redis group "hash"): argument parsing and replies; the value type is datatypes.hashes.Hash."""
from __future__ import annotations

import random
from typing import TYPE_CHECKING

from .. import errors
from .._speedups.glob import filter_matching
from ..datatypes.hashes import Hash
from ..datatypes.longdouble import LD_ZERO, add_long_double, format_long_double, parse_long_double
from ..errors import ReplyError
from ..keyspace.notify import Event, signal_write
from ..replication import propagate
from .args import LLONG_MAX, LLONG_MIN, parse_int, try_parse_int
from .generic import parse_scan_cursor, scan_options
from .table import command, key_range

if TYPE_CHECKING:
    from ..server.client import Client

_OK = b"+OK\r\n"
_ONE = b":1\r\n"
_ZERO = b":0\r\n"
_EMPTY_ARRAY = b"*0\r\n"
_EMPTY_SCAN = b"*2\r\n$1\r\n0\r\n*0\r\n"
_HASH_EVENT = Event.HASH
_GENERIC_EVENT = Event.GENERIC
_LONG_MAX_HALF = LLONG_MAX // 2
_rng = random.Random()


def _lookup_or_create(c: Client, key: bytes) -> Hash:
    """hashTypeLookupWriteOrCreate: the hash at key (WRONGTYPE otherwise), created empty when missing."""
    db = c.db
    h = db.get_typed_write(key, Hash)
    if h is None:
        h = Hash()
        db.add(key, h)
    return h


# ------------------------------------------------------------------------------------------------ HSET family

def _hset_generic(c: Client, argv: list[bytes], reply_created: bool) -> None:
    n = len(argv)
    if n & 1:
        raise ReplyError(errors.wrong_arity(argv[0].decode("utf-8", "replace").lower()))
    key = argv[1]
    db = c.db
    h = db.get_typed_write(key, Hash)
    if h is None:
        h = Hash()
        db.add(key, h)
    before = len(h)
    if n == 4:
        h[argv[2]] = argv[3]
    else:
        h.update(zip(argv[2::2], argv[3::2], strict=True))
    server = c.server
    if h.listpack:
        # The encoding only ever converts, so checking after the writes ends where hashTypeSet's checks do.
        limits = server.limits
        if n == 4:
            h.check_pair(argv[2], argv[3], limits.hash_max_value)
        else:
            h.check_lengths(argv, 2, limits.hash_max_value)
        h.check_entries(limits.hash_max_entries)
    if reply_created:
        c.out.integer(len(h) - before)
    else:
        c.out.raw(_OK)
    signal_write(server, db, key, b"hset", _HASH_EVENT, dirty=(n - 2) // 2)


@command("hset", -4, "WRITE DENYOOM FAST", keys=[key_range(1, "RW UPDATE")], acl="@hash", group="hash",
         since="2.0.0",
         complexity="O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is "
                    "called with multiple field/value pairs.",
         summary="Set the string value of a hash field", args="key:key field_value:{field:string value:string}...",
         history=(("4.0.0", "Accepts multiple `field` and `value` arguments."),))
def hset_command(c: Client, argv: list[bytes]) -> None:
    """HSET key field value [field value ...]"""
    _hset_generic(c, argv, True)


@command("hmset", -4, "WRITE DENYOOM FAST", keys=[key_range(1, "RW UPDATE")], acl="@hash", group="hash",
         since="2.0.0", complexity="O(N) where N is the number of fields being set.",
         summary="Set multiple hash fields to multiple values",
         args="key:key field_value:{field:string value:string}...",
         doc_flags=("deprecated",), deprecated_since="4.0.0",
         replaced_by="`HSET` with multiple field-value pairs")
def hmset_command(c: Client, argv: list[bytes]) -> None:
    """HMSET key field value [field value ...]"""
    _hset_generic(c, argv, False)


@command("hsetnx", 4, "WRITE DENYOOM FAST", keys=[key_range(1, "RW INSERT")], acl="@hash", group="hash",
         since="2.0.0", complexity="O(1)", summary="Set the value of a hash field, only if the field does not exist",
         args="key:key field:string value:string")
def hsetnx_command(c: Client, argv: list[bytes]) -> None:
    """HSETNX key field value"""
    key = argv[1]
    field = argv[2]
    h = _lookup_or_create(c, key)
    if field in h:
        c.out.raw(_ZERO)
        return
    limits = c.server.limits
    if h.listpack:
        h.check_lengths(argv, 2, limits.hash_max_value)
    h[field] = argv[3]
    if h.listpack:
        h.check_entries(limits.hash_max_entries)
    c.out.raw(_ONE)
    signal_write(c.server, c.db, key, b"hset", _HASH_EVENT)


def _set_field(c: Client, h: Hash, field: bytes, value: bytes) -> None:
    """hashTypeSet for HINCRBY*: the listpack limits are checked here (no earlier TryConversion)."""
    if h.listpack:
        limits = c.server.limits
        h.check_pair(field, value, limits.hash_max_value)
        h[field] = value
        h.check_entries(limits.hash_max_entries)
    else:
        h[field] = value


@command("hincrby", 4, "WRITE DENYOOM FAST", keys=[key_range(1, "RW ACCESS UPDATE")], acl="@hash",
         group="hash", since="2.0.0", complexity="O(1)",
         summary="Increment the integer value of a hash field by the given number",
         args="key:key field:string increment:integer")
def hincrby_command(c: Client, argv: list[bytes]) -> None:
    """HINCRBY key field increment"""
    incr = parse_int(argv[3])
    key = argv[1]
    field = argv[2]
    h = _lookup_or_create(c, key)
    old = h.get(field)
    if old is None:
        value = 0
    else:
        parsed = try_parse_int(old)
        if parsed is None:
            raise ReplyError(errors.HASH_VALUE_NOT_INTEGER)
        value = parsed
    value += incr
    if not LLONG_MIN <= value <= LLONG_MAX:
        raise ReplyError(errors.OVERFLOW)
    _set_field(c, h, field, b"%d" % value)
    c.out.integer(value)
    signal_write(c.server, c.db, key, b"hincrby", _HASH_EVENT)


@command("hincrbyfloat", 4, "WRITE DENYOOM FAST", keys=[key_range(1, "RW ACCESS UPDATE")], acl="@hash",
         group="hash", since="2.6.0", complexity="O(1)",
         summary="Increment the float value of a hash field by the given amount",
         args="key:key field:string increment:double")
def hincrbyfloat_command(c: Client, argv: list[bytes]) -> None:
    """HINCRBYFLOAT key field increment"""
    increment = parse_long_double(argv[3])
    if increment is None:
        raise ReplyError(errors.NOT_FLOAT)
    if add_long_double(LD_ZERO, increment) is None:     # the increment itself is an infinity
        raise ReplyError(errors.VALUE_NAN_OR_INF)
    key = argv[1]
    field = argv[2]
    h = _lookup_or_create(c, key)
    old = h.get(field)
    if old is None:
        current = LD_ZERO
    else:
        parsed = parse_long_double(old)
        if parsed is None:
            raise ReplyError(errors.HASH_VALUE_NOT_FLOAT)
        current = parsed
    total = add_long_double(current, increment)
    if total is None:
        raise ReplyError(errors.INCR_NAN_OR_INF)
    new = format_long_double(total)
    _set_field(c, h, field, new)
    propagate.rewrite(c, [b"HSET", key, field, bytes(new)])
    c.out.bulk(new)
    signal_write(c.server, c.db, key, b"hincrbyfloat", _HASH_EVENT)


# ------------------------------------------------------------------------------------------------------- HDEL

@command("hdel", -3, "WRITE FAST", keys=[key_range(1, "RW DELETE")], acl="@hash", group="hash", since="2.0.0",
         complexity="O(N) where N is the number of fields to be removed.", summary="Delete one or more hash fields",
         args="key:key field:string...", history=(("2.4.0", "Accepts multiple `field` arguments."),))
def hdel_command(c: Client, argv: list[bytes]) -> None:
    """HDEL key field [field ...]"""
    key = argv[1]
    db = c.db
    h = db.get_typed_write(key, Hash)
    if h is None:
        c.out.raw(_ZERO)
        return
    deleted = 0
    removed = False
    pop = h.pop
    for i in range(2, len(argv)):
        if pop(argv[i], None) is not None:
            deleted += 1
            if not h:
                db.delete(key)
                removed = True
                break
    if deleted:
        server = c.server
        signal_write(server, db, key, b"hdel", _HASH_EVENT, dirty=deleted)
        if removed:
            signal_write(server, db, key, b"del", _GENERIC_EVENT, dirty=0)
    c.out.integer(deleted)


# ---------------------------------------------------------------------------------------------------- readers

@command("hget", 3, "READONLY FAST", keys=[key_range(1, "RO ACCESS")], acl="@hash", group="hash", since="2.0.0",
         complexity="O(1)", summary="Get the value of a hash field", args="key:key field:string")
def hget_command(c: Client, argv: list[bytes]) -> None:
    """HGET key field"""
    h = c.db.get_typed_read(argv[1], Hash)
    c.out.bulk_or_null(None if h is None else h.get(argv[2]))


@command("hmget", -3, "READONLY FAST", keys=[key_range(1, "RO ACCESS")], acl="@hash", group="hash",
         since="2.0.0", complexity="O(N) where N is the number of fields being requested.",
         summary="Get the values of all the given hash fields", args="key:key field:string...")
def hmget_command(c: Client, argv: list[bytes]) -> None:
    """HMGET key field [field ...]"""
    h = c.db.get_typed_read(argv[1], Hash)
    out = c.out
    n = len(argv)
    out.array_header(n - 2)
    if h is None:
        for _ in range(2, n):
            out.null()
        return
    get = h.get
    for i in range(2, n):
        out.bulk_or_null(get(argv[i]))


@command("hexists", 3, "READONLY FAST", keys=[key_range(1, "RO")], acl="@hash", group="hash", since="2.0.0",
         complexity="O(1)", summary="Determine if a hash field exists", args="key:key field:string")
def hexists_command(c: Client, argv: list[bytes]) -> None:
    """HEXISTS key field"""
    h = c.db.get_typed_read(argv[1], Hash)
    c.out.raw(_ONE if h is not None and argv[2] in h else _ZERO)


@command("hlen", 2, "READONLY FAST", keys=[key_range(1, "RO")], acl="@hash", group="hash", since="2.0.0",
         complexity="O(1)", summary="Get the number of fields in a hash", args="key:key")
def hlen_command(c: Client, argv: list[bytes]) -> None:
    """HLEN key"""
    h = c.db.get_typed_read(argv[1], Hash)
    c.out.integer(0 if h is None else len(h))


@command("hstrlen", 3, "READONLY FAST", keys=[key_range(1, "RO")], acl="@hash", group="hash", since="3.2.0",
         complexity="O(1)", summary="Get the length of the value of a hash field", args="key:key field:string")
def hstrlen_command(c: Client, argv: list[bytes]) -> None:
    """HSTRLEN key field"""
    h = c.db.get_typed_read(argv[1], Hash)
    value = None if h is None else h.get(argv[2])
    c.out.integer(0 if value is None else len(value))


_ALL_TIPS = ("nondeterministic_output_order",)


@command("hkeys", 2, "READONLY", keys=[key_range(1, "RO ACCESS")], acl="@hash", group="hash", since="2.0.0",
         complexity="O(N) where N is the size of the hash.", summary="Get all the fields in a hash", args="key:key",
         tips=_ALL_TIPS)
def hkeys_command(c: Client, argv: list[bytes]) -> None:
    """HKEYS key"""
    h = c.db.get_typed_read(argv[1], Hash)
    if h is None:
        c.out.raw(_EMPTY_ARRAY)
        return
    c.out.bulk_array(list(h))


@command("hvals", 2, "READONLY", keys=[key_range(1, "RO ACCESS")], acl="@hash", group="hash", since="2.0.0",
         complexity="O(N) where N is the size of the hash.", summary="Get all the values in a hash",
         args="key:key", tips=_ALL_TIPS)
def hvals_command(c: Client, argv: list[bytes]) -> None:
    """HVALS key"""
    h = c.db.get_typed_read(argv[1], Hash)
    if h is None:
        c.out.raw(_EMPTY_ARRAY)
        return
    c.out.bulk_array(list(h.values()))


@command("hgetall", 2, "READONLY", keys=[key_range(1, "RO ACCESS")], acl="@hash", group="hash", since="2.0.0",
         complexity="O(N) where N is the size of the hash.", summary="Get all the fields and values in a hash",
         args="key:key", tips=_ALL_TIPS)
def hgetall_command(c: Client, argv: list[bytes]) -> None:
    """HGETALL key"""
    h = c.db.get_typed_read(argv[1], Hash)
    out = c.out
    if h is None:
        out.map_header(0)
        return
    out.map_header(len(h))
    bulk = out.bulk
    for field, value in h.items():
        bulk(field)
        bulk(value)


# ------------------------------------------------------------------------------------------------- HRANDFIELD

def _reply_pairs(c: Client, pairs: list[tuple[bytes, bytes]], with_values: bool) -> None:
    out = c.out
    bulk = out.bulk
    if not with_values:
        out.array_header(len(pairs))
        for field, _ in pairs:
            bulk(field)
    elif c.resp == 2:
        out.array_header(2 * len(pairs))
        for field, value in pairs:
            bulk(field)
            bulk(value)
    else:
        out.array_header(len(pairs))
        for field, value in pairs:
            out.array_header(2)
            bulk(field)
            bulk(value)


@command("hrandfield", -2, "READONLY", keys=[key_range(1, "RO ACCESS")], acl="@hash", group="hash",
         since="6.2.0", complexity="O(N) where N is the number of fields returned",
         summary="Get one or multiple random fields from a hash",
         args="key:key [options:{count:integer [WITHVALUES]}]", tips=("nondeterministic_output",))
def hrandfield_command(c: Client, argv: list[bytes]) -> None:
    """HRANDFIELD key [count [WITHVALUES]]"""
    n = len(argv)
    if n == 2:
        h = c.db.get_typed_read(argv[1], Hash)
        if h is None:
            c.out.null()
            return
        fields = list(h)
        c.out.bulk(fields[_rng.randrange(len(fields))])
        return
    count = parse_int(argv[2])
    if count == LLONG_MIN:
        raise ReplyError(errors.COUNT_NOT_IN_LONG_RANGE)
    with_values = False
    if n > 4 or (n == 4 and argv[3].split(b"\x00", 1)[0].lower() != b"withvalues"):
        raise ReplyError(errors.SYNTAX)
    if n == 4:
        with_values = True
        if count < -_LONG_MAX_HALF or count > _LONG_MAX_HALF:
            raise ReplyError(errors.VALUE_OUT_OF_RANGE)
    h = c.db.get_typed_read(argv[1], Hash)
    if h is None or count == 0:
        c.out.raw(_EMPTY_ARRAY)
        return
    items = list(h.items())
    if count < 0 or count == 1:
        # With repetitions: exactly |count| picks.
        choose = _rng.choice
        _reply_pairs(c, [choose(items) for _ in range(-count if count < 0 else 1)], with_values)
    elif count >= len(items):
        _reply_pairs(c, items, with_values)
    else:
        _reply_pairs(c, _rng.sample(items, count), with_values)


# ------------------------------------------------------------------------------------------------------ HSCAN

@command("hscan", -3, "READONLY", keys=[key_range(1, "RO ACCESS")], acl="@hash", group="hash", since="2.8.0",
         complexity="O(1) for every call. O(N) for a complete iteration, including enough command calls for the "
                    "cursor to return back to 0. N is the number of elements inside the collection..",
         summary="Incrementally iterate hash fields and associated values",
         args="key:key cursor:integer [pattern:MATCH=pattern] [count:COUNT=integer]",
         tips=("nondeterministic_output",))
def hscan_command(c: Client, argv: list[bytes]) -> None:
    """HSCAN key cursor [MATCH pattern] [COUNT count]"""
    cursor = parse_scan_cursor(argv[2])
    h = c.db.get_typed_read(argv[1], Hash)
    if h is None:
        c.out.raw(_EMPTY_SCAN)
        return
    count, pattern, _ = scan_options(argv, 3, allow_type=False)
    if h.listpack:
        # A listpack is returned whole in one call, whatever the cursor and COUNT.
        cursor = 0
        fields = list(h)
    else:
        cursor, fields = h.scan(cursor, count)
    if pattern is not None and fields:
        fields = filter_matching(pattern, fields)
    out = c.out
    out.array_header(2)
    out.bulk(b"%d" % cursor)
    out.array_header(2 * len(fields))
    bulk = out.bulk
    for field in fields:
        bulk(field)
        bulk(h[field])
