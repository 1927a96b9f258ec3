"""Generic keyspace commands (Redis group "generic", plus SWAPDB): DEL EXISTS TYPE KEYS SCAN RENAME COPY MOVE
TOUCH OBJECT and the expiry family. Argument parsing and replies only; data access through Db, value
introspection through datatypes.encoding."""
from __future__ import annotations

from typing import TYPE_CHECKING, Final

from .. import errors
from .._speedups.glob import filter_matching
from ..datatypes.encoding import copy_value, encoding_name, is_shared_integer, type_name
from ..errors import ReplyError
from ..keyspace.notify import Event, signal_write
from ..replication import propagate
from ..server.blocking import signal_key_as_ready
from .args import LLONG_MAX, LLONG_MIN, parse_int
from .server import lookup_notouch
from .table import command, container, key_range, subcommand

if TYPE_CHECKING:
    from .._speedups.keyspace import Db
    from ..server.client import Client
    from ..server.instance import Server

_OK: Final = b"+OK\r\n"
_ZERO: Final = b":0\r\n"
_ONE: Final = b":1\r\n"
_MINUS_ONE: Final = b":-1\r\n"
_MINUS_TWO: Final = b":-2\r\n"

_GENERIC: Final = Event.GENERIC
_ULONG_MAX: Final = (1 << 64) - 1
_INT_MIN: Final = -(1 << 31)
_INT_MAX: Final = (1 << 31) - 1
# C's LLONG_MIN / 1000 truncates toward zero (Python's // would floor).
_LLONG_MIN_DIV_1000: Final = -(-LLONG_MIN // 1000)

_MULTI_SHARD: Final = ("request_policy:multi_shard", "response_policy:agg_sum")


def _parse_c_int(raw: bytes, range_error: str = errors.INT_OUT_OF_RANGE,
                 not_int_error: str = errors.NOT_INTEGER) -> int:
    """getIntFromObjectOrReply: a long that must also fit a C int (its own error when it does not)."""
    value = parse_int(raw, not_int_error)
    if not _INT_MIN <= value <= _INT_MAX:
        raise ReplyError(range_error)
    return value


def _target_db(c: Client, raw: bytes) -> Db:
    """A db index argument (MOVE, COPY DB): an int, then selectDb's range check."""
    index = _parse_c_int(raw)
    dbs = c.server.dbs
    if not 0 <= index < len(dbs):
        raise ReplyError(errors.DB_INDEX_OUT_OF_RANGE)
    return dbs[index]


def _cluster_enabled(server: Server) -> bool:
    return bool(server.config["cluster-enabled"])


# ------------------------------------------------------------------------------------------------ DEL EXISTS


def del_generic(c: Client, argv: list[bytes]) -> None:
    """delGenericCommand: DEL and UNLINK (freeing is synchronous either way)."""
    db = c.db
    server = c.server
    delete = db.delete
    removed = 0
    for i in range(1, len(argv)):
        key = argv[i]
        if delete(key):    # an expired key is expired here (its own event) and does not count
            signal_write(server, db, key, b"del", _GENERIC)
            removed += 1
    c.out.integer(removed)


@command("del", -2, "WRITE", keys=[key_range(1, "RM DELETE", lastkey=-1)], acl="@keyspace", group="generic",
         since="1.0.0",
         complexity="O(N) where N is the number of keys that will be removed. When a key to remove holds a value "
                    "other than a string, the individual complexity for this key is O(M) where M is the number of "
                    "elements in the list, set, sorted set or hash. Removing a single key that holds a string "
                    "value is O(1).",
         summary="Delete a key", args="key:key...", tips=_MULTI_SHARD)
def del_command(c: Client, argv: list[bytes]) -> None:
    """DEL key [key ...]"""
    del_generic(c, argv)


@command("unlink", -2, "WRITE FAST", keys=[key_range(1, "RM DELETE", lastkey=-1)], acl="@keyspace",
         group="generic", since="4.0.0",
         complexity="O(1) for each key removed regardless of its size. Then the command does O(N) work in a "
                    "different thread in order to reclaim memory, where N is the number of allocations the "
                    "deleted objects where composed of.",
         summary="Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
         args="key:key...", tips=_MULTI_SHARD)
def unlink_command(c: Client, argv: list[bytes]) -> None:
    """UNLINK key [key ...]"""
    del_generic(c, argv)


@command("exists", -2, "READONLY FAST", keys=[key_range(1, "RO", lastkey=-1)], acl="@keyspace", group="generic",
         since="1.0.0", complexity="O(N) where N is the number of keys to check.",
         summary="Determine if a key exists", args="key:key...", tips=_MULTI_SHARD,
         history=(("3.0.3", "Accepts multiple `key` arguments."),))
def exists_command(c: Client, argv: list[bytes]) -> None:
    """EXISTS key [key ...]"""
    # lookupKeyReadWithFlags(NOTOUCH): no LRU update, but keyspace hits/misses are counted.
    ctx = c.server.ctx
    if len(argv) == 2:
        if c.db.exists(argv[1]):
            ctx.hits += 1
            c.out.raw(_ONE)
        else:
            c.db.missed(argv[1])
            c.out.raw(_ZERO)
        return
    db = c.db
    exists = db.exists
    found = 0
    for i in range(1, len(argv)):
        if exists(argv[i]):
            found += 1
        else:
            db.missed(argv[i])
    ctx.hits += found
    c.out.integer(found)


def _peek_counted(c: Client, key: bytes) -> object | None:
    """lookupKeyReadWithFlags(LOOKUP_NOTOUCH): lazy expiry and hit/miss stats, no LRU touch."""
    value = c.db.peek(key)
    if value is None:
        c.db.missed(key)
    else:
        c.server.ctx.hits += 1
    return value


@command("type", 2, "READONLY FAST", keys=[key_range(1, "RO")], acl="@keyspace", group="generic", since="1.0.0",
         complexity="O(1)", summary="Determine the type stored at key", args="key:key")
def type_command(c: Client, argv: list[bytes]) -> None:
    """TYPE key"""
    c.out.simple(type_name(_peek_counted(c, argv[1])))


@command("touch", -2, "READONLY FAST", keys=[key_range(1, "RO", lastkey=-1)], acl="@keyspace", group="generic",
         since="3.2.1", complexity="O(N) where N is the number of keys that will be touched.",
         summary="Alters the last access time of a key(s). Returns the number of existing keys specified.",
         args="key:key...", tips=_MULTI_SHARD)
def touch_command(c: Client, argv: list[bytes]) -> None:
    """TOUCH key [key ...]"""
    lookup = c.db.lookup_read
    found = 0
    for i in range(1, len(argv)):
        if lookup(argv[i]) is not None:
            found += 1
    c.out.integer(found)


# ------------------------------------------------------------------------------------------------ KEYS SCAN


@command("keys", 2, "READONLY", acl="@keyspace @dangerous", group="generic", since="1.0.0",
         complexity="O(N) with N being the number of keys in the database, under the assumption that the key "
                    "names in the database and the given pattern have limited length.",
         summary="Find all keys matching the given pattern", args="pattern:pattern",
         tips=("request_policy:all_shards", "nondeterministic_output_order"))
def keys_command(c: Client, argv: list[bytes]) -> None:
    """KEYS pattern"""
    keys = c.db.keys()     # logically expired keys are skipped (not deleted), as keysCommand
    pattern = argv[1]
    if pattern != b"*":     # the common "match everything" case skips matching (keysCommand)
        keys = filter_matching(pattern, keys)
    c.out.bulk_array(keys)


def parse_scan_cursor(raw: bytes) -> int:
    """parseScanCursorOrReply: strtoul(base 10) on the C string, refusing leading space and trailing junk."""
    if raw and raw[0] in b" \t\n\v\f\r":
        raise ReplyError(errors.INVALID_CURSOR)
    nul = raw.find(b"\x00")
    if nul >= 0:
        raw = raw[:nul]
    if not raw:
        return 0    # strtoul("") converts nothing and ends on the terminator: cursor 0
    negative = False
    digits = raw
    if raw[0] in b"+-":
        negative = raw[0] == 0x2D
        digits = raw[1:]
    if not digits.isdigit():
        raise ReplyError(errors.INVALID_CURSOR)
    value = int(digits)
    if value > _ULONG_MAX:
        raise ReplyError(errors.INVALID_CURSOR)    # ERANGE
    # strtoul negates in unsigned arithmetic: "-1" is ULONG_MAX.
    return (-value) & _ULONG_MAX if negative else value


def scan_options(argv: list[bytes], start: int, allow_type: bool = True) -> tuple[int, bytes | None, bytes | None]:
    """scanGenericCommand's option loop: (count, pattern or None, lower-cased type name or None).
    HSCAN/SSCAN/ZSCAN share it with allow_type=False (TYPE is a syntax error there)."""
    count = 10
    pattern: bytes | None = None
    type_filter: bytes | None = None
    i = start
    n = len(argv)
    while i < n:
        if i + 1 >= n:
            raise ReplyError(errors.SYNTAX)
        opt = argv[i].lower()
        if opt == b"count":
            count = parse_int(argv[i + 1])
            if count < 1:
                raise ReplyError(errors.SYNTAX)
        elif opt == b"match":
            pattern = None if argv[i + 1] == b"*" else argv[i + 1]
        elif opt == b"type" and allow_type:
            # Compared with strcasecmp on the C string: a NUL ends the name.
            type_filter = argv[i + 1].split(b"\x00", 1)[0].lower()
        else:
            raise ReplyError(errors.SYNTAX)
        i += 2
    return count, pattern, type_filter


@command("scan", -2, "READONLY", acl="@keyspace", group="generic", since="2.8.0",
         complexity="O(1) for every call. O(N) for a complete iteration, including enough command calls for the "
                    "cursor to return back to 0. N is the number of elements inside the collection.",
         summary="Incrementally iterate the keys space",
         args="cursor:integer [pattern:MATCH=pattern] [count:COUNT=integer] [type:TYPE=string<6.0.0>]",
         history=(("6.0.0", "Added the `TYPE` subcommand."),),
         tips=("nondeterministic_output", "request_policy:special"))
def scan_command(c: Client, argv: list[bytes]) -> None:
    """SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]"""
    cursor = parse_scan_cursor(argv[1])
    count, pattern, type_filter = scan_options(argv, 2)
    db = c.db
    cursor, keys = db.scan(cursor, count)   # stale keys are expired by the scan, never returned
    if pattern is not None and keys:
        keys = filter_matching(pattern, keys)
    if type_filter is not None and keys:
        peek = db.peek
        ctx = c.server.ctx
        kept = []
        for key in keys:
            value = peek(key)
            if value is None:
                db.missed(key)
            else:
                ctx.hits += 1
            # strcasecmp against getObjectTypeName: an unknown type name simply matches nothing.
            if type_name(value) == type_filter:
                kept.append(key)
        keys = kept
    out = c.out
    out.array_header(2)
    out.bulk(b"%d" % cursor)
    out.bulk_array(keys)


@command("randomkey", 1, "READONLY", acl="@keyspace", group="generic", since="1.0.0", complexity="O(1)",
         summary="Return a random key from the keyspace",
         tips=("request_policy:all_shards", "nondeterministic_output"))
def randomkey_command(c: Client, argv: list[bytes]) -> None:
    """RANDOMKEY"""
    c.out.bulk_or_null(c.db.random_key())


# ------------------------------------------------------------------------------------------------ RENAME COPY MOVE


def rename_generic(c: Client, argv: list[bytes], nx: bool) -> None:
    """renameGenericCommand: RENAME and RENAMENX (the value keeps its TTL under the new name)."""
    db = c.db
    src = argv[1]
    dst = argv[2]
    value = db.lookup_write(src)
    if value is None:
        raise ReplyError(errors.NO_SUCH_KEY)
    if src == dst:
        # Same name: nothing happens, but the source still had to exist.
        c.out.raw(_ZERO if nx else _OK)
        return
    expire_ms = db.get_expire(src)
    if nx and db.lookup_write(dst) is not None:
        c.out.raw(_ZERO)
        return
    # Redis deletes an existing destination and adds the key afresh, so "new" fires for it too.
    db.delete(dst)
    db.set_key(dst, value)
    if expire_ms != -1:
        db.set_expire(dst, expire_ms)
    db.delete(src)
    server = c.server
    signal_key_as_ready(server, db, dst)
    signal_write(server, db, src, b"rename_from", _GENERIC)
    signal_write(server, db, dst, b"rename_to", _GENERIC, dirty=0)
    c.out.raw(_ONE if nx else _OK)


@command("rename", 3, "WRITE", keys=[key_range(1, "RW ACCESS DELETE"), key_range(2, "OW UPDATE")],
         acl="@keyspace", group="generic", since="1.0.0", complexity="O(1)", summary="Rename a key",
         args="key:key newkey:key")
def rename_command(c: Client, argv: list[bytes]) -> None:
    """RENAME key newkey"""
    rename_generic(c, argv, False)


@command("renamenx", 3, "WRITE FAST", keys=[key_range(1, "RW ACCESS DELETE"), key_range(2, "OW INSERT")],
         acl="@keyspace", group="generic", since="1.0.0", complexity="O(1)",
         summary="Rename a key, only if the new key does not exist", args="key:key newkey:key",
         history=(("3.2.0", "The command no longer returns an error when source and destination names are the "
                            "same."),))
def renamenx_command(c: Client, argv: list[bytes]) -> None:
    """RENAMENX key newkey"""
    rename_generic(c, argv, True)


@command("copy", -3, "WRITE DENYOOM", keys=[key_range(1, "RO ACCESS"), key_range(2, "OW UPDATE")],
         acl="@keyspace", group="generic", since="6.2.0",
         complexity="O(N) worst case for collections, where N is the number of nested items. O(1) for string "
                    "values.",
         summary="Copy a key", args="source:key destination:key [destination-db:DB=integer] [REPLACE]")
def copy_command(c: Client, argv: list[bytes]) -> None:
    """COPY source destination [DB destination-db] [REPLACE]"""
    src_db = dst_db = c.db
    replace = False
    i = 3
    n = len(argv)
    while i < n:
        opt = argv[i].lower()
        if opt == b"replace":
            replace = True
        elif opt == b"db" and i + 1 < n:
            i += 1
            dst_db = _target_db(c, argv[i])
        else:
            raise ReplyError(errors.SYNTAX)
        i += 1
    server = c.server
    if (src_db.id != 0 or dst_db.id != 0) and _cluster_enabled(server):
        raise ReplyError(errors.COPY_DB_IN_CLUSTER)
    src = argv[1]
    dst = argv[2]
    if src_db is dst_db and src == dst:
        raise ReplyError(errors.SAME_OBJECT)
    value = src_db.lookup_read(src)
    if value is None:
        c.out.raw(_ZERO)
        return
    expire_ms = src_db.get_expire(src)
    if dst_db.lookup_write(dst) is not None and not replace:
        c.out.raw(_ZERO)
        return
    dst_db.delete(dst)      # REPLACE deletes and re-adds, as Redis does ("new" fires for the destination)
    dst_db.set_key(dst, copy_value(value))   # deep copy: mutable values must not be shared between keys
    if expire_ms != -1:
        dst_db.set_expire(dst, expire_ms)
    signal_key_as_ready(server, dst_db, dst)
    signal_write(server, dst_db, dst, b"copy_to", _GENERIC)
    c.out.raw(_ONE)


@command("move", 3, "WRITE FAST", keys=[key_range(1, "RW ACCESS UPDATE")], acl="@keyspace", group="generic",
         since="1.0.0", complexity="O(1)", summary="Move a key to another database", args="key:key db:integer")
def move_command(c: Client, argv: list[bytes]) -> None:
    """MOVE key db"""
    server = c.server
    if _cluster_enabled(server):
        raise ReplyError(errors.MOVE_IN_CLUSTER)
    src_db = c.db
    dst_db = _target_db(c, argv[2])
    if src_db is dst_db:
        raise ReplyError(errors.SAME_OBJECT)
    key = argv[1]
    value = src_db.lookup_write(key)
    if value is None:
        c.out.raw(_ZERO)
        return
    expire_ms = src_db.get_expire(key)
    if dst_db.lookup_write(key) is not None:
        c.out.raw(_ZERO)
        return
    dst_db.set_key(key, value)
    if expire_ms != -1:
        dst_db.set_expire(key, expire_ms)
    src_db.delete(key)
    signal_key_as_ready(server, dst_db, key)
    signal_write(server, src_db, key, b"move_from", _GENERIC)
    signal_write(server, dst_db, key, b"move_to", _GENERIC, dirty=0)
    c.out.raw(_ONE)


@command("swapdb", 3, "WRITE FAST", acl="@keyspace @dangerous", group="server", since="4.0.0",
         complexity="O(N) where N is the count of clients watching or blocking on keys from both databases.",
         summary="Swaps two Redis databases", args="index1:integer index2:integer")
def swapdb_command(c: Client, argv: list[bytes]) -> None:
    """SWAPDB index1 index2"""
    server = c.server
    if _cluster_enabled(server):
        raise ReplyError(errors.SWAPDB_IN_CLUSTER)
    id1 = _parse_c_int(argv[1], errors.INVALID_FIRST_DB_INDEX, errors.INVALID_FIRST_DB_INDEX)
    id2 = _parse_c_int(argv[2], errors.INVALID_SECOND_DB_INDEX, errors.INVALID_SECOND_DB_INDEX)
    dbs = server.dbs
    if not (0 <= id1 < len(dbs) and 0 <= id2 < len(dbs)):
        raise ReplyError(errors.DB_INDEX_OUT_OF_RANGE)
    if id1 != id2:
        dbs[id1].swap_with(dbs[id2])
        # Clients stay on their db index and now see the other contents: WATCH and blocked-key bookkeeping
        # (touchAllWatchedKeysInDb, scanDatabaseForReadyKeys) subscribe here.
        for hook in server.swapdb_hooks:
            hook(dbs[id1], dbs[id2])
    server.dirty += 1
    c.out.raw(_OK)


# ------------------------------------------------------------------------------------------------ OBJECT

container("object", -2, group="generic", since="2.2.3", complexity="Depends on subcommand.",
          summary="A container for object introspection commands")

_OBJECT_HELP: Final = (
    b"ENCODING <key>",
    b"    Return the kind of internal representation used in order to store the value",
    b"    associated with a <key>.",
    b"FREQ <key>",
    b"    Return the access frequency index of the <key>. The returned integer is",
    b"    proportional to the logarithm of the recent access frequency of the key.",
    b"IDLETIME <key>",
    b"    Return the idle time of the <key>, that is the approximated number of",
    b"    seconds elapsed since the last access to the key.",
    b"REFCOUNT <key>",
    b"    Return the number of references of the value associated with the specified",
    b"    <key>.",
)


def reply_help(c: Client, name: bytes, lines: tuple[bytes, ...]) -> None:
    """addReplyHelp: a header naming the command, the lines, and the HELP entry, as status replies."""
    out = c.out
    out.array_header(len(lines) + 3)
    out.simple(name.upper() + b" <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
    for line in lines:
        out.simple(line)
    out.simple(b"HELP")
    out.simple(b"    Prints this help.")


def _lfu_policy(server: Server) -> bool:
    return "lfu" in server.config["maxmemory-policy"]


@subcommand("object", "encoding", 3, "READONLY", keys=[key_range(2, "RO")], acl="@keyspace", since="2.2.3",
            complexity="O(1)", summary="Inspect the internal encoding of a Redis object", args="key:key",
            tips=("nondeterministic_output",))
def object_encoding_command(c: Client, argv: list[bytes]) -> None:
    """OBJECT ENCODING key"""
    value = lookup_notouch(c, argv[2])
    if value is None:
        c.out.null()
        return
    c.out.bulk(encoding_name(value))


@subcommand("object", "refcount", 3, "READONLY", keys=[key_range(2, "RO")], acl="@keyspace", since="2.2.3",
            complexity="O(1)", summary="Get the number of references to the value of the key", args="key:key",
            tips=("nondeterministic_output",))
def object_refcount_command(c: Client, argv: list[bytes]) -> None:
    """OBJECT REFCOUNT key"""
    value = lookup_notouch(c, argv[2])
    if value is None:
        c.out.null()
        return
    refcount = 1
    if is_shared_integer(value):
        # tryObjectEncoding stores 0..9999 as shared objects unless maxmemory is set with an LRU/LFU policy.
        config = c.server.config
        policy = config["maxmemory-policy"]
        if not config["maxmemory"] or not ("lru" in policy or "lfu" in policy):
            refcount = 2147483647
    c.out.integer(refcount)


@subcommand("object", "idletime", 3, "READONLY", keys=[key_range(2, "RO")], acl="@keyspace", since="2.2.3",
            complexity="O(1)", summary="Get the time since a Redis object was last accessed", args="key:key",
            tips=("nondeterministic_output",))
def object_idletime_command(c: Client, argv: list[bytes]) -> None:
    """OBJECT IDLETIME key"""
    key = argv[2]
    if lookup_notouch(c, key) is None:
        c.out.null()
        return
    server = c.server
    if _lfu_policy(server):
        raise ReplyError(errors.LFU_SELECTED)
    c.out.integer(c.db.idle_seconds(key))


@subcommand("object", "freq", 3, "READONLY", keys=[key_range(2, "RO")], acl="@keyspace", since="4.0.0",
            complexity="O(1)", summary="Get the logarithmic access frequency counter of a Redis object",
            args="key:key", tips=("nondeterministic_output",))
def object_freq_command(c: Client, argv: list[bytes]) -> None:
    """OBJECT FREQ key"""
    key = argv[2]
    if lookup_notouch(c, key) is None:
        c.out.null()
        return
    server = c.server
    if not _lfu_policy(server):
        raise ReplyError(errors.LFU_NOT_SELECTED)
    c.out.integer(c.db.lfu_count(key))


@subcommand("object", "help", 2, "LOADING STALE", acl="@keyspace", since="6.2.0", complexity="O(1)",
            summary="Show helpful text about the different subcommands")
def object_help_command(c: Client, argv: list[bytes]) -> None:
    """OBJECT HELP"""
    reply_help(c, argv[0], _OBJECT_HELP)


# ------------------------------------------------------------------------------------------------ EXPIRE family

EXPIRE_NX: Final = 1
EXPIRE_XX: Final = 2
EXPIRE_GT: Final = 4
EXPIRE_LT: Final = 8

_EXPIRE_OPTIONS: Final = {b"nx": EXPIRE_NX, b"xx": EXPIRE_XX, b"gt": EXPIRE_GT, b"lt": EXPIRE_LT}


def parse_expire_options(argv: list[bytes]) -> int:
    """parseExtendedExpireArgumentsOrReply: NX XX GT LT after the time, with 7.0's compatibility rules."""
    flags = 0
    for i in range(3, len(argv)):
        bit = _EXPIRE_OPTIONS.get(argv[i].lower())
        if bit is None:
            raise ReplyError(errors.unsupported_option(argv[i]))
        flags |= bit
    if flags & EXPIRE_NX and flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT):
        raise ReplyError(errors.EXPIRE_NX_AND_OTHERS)
    if flags & EXPIRE_GT and flags & EXPIRE_LT:
        raise ReplyError(errors.EXPIRE_GT_AND_LT)
    return flags


def expire_generic(c: Client, argv: list[bytes], relative: bool, seconds: bool, name: str) -> None:
    """expireGenericCommand: EXPIRE PEXPIRE EXPIREAT PEXPIREAT. A time not in the future deletes the key."""
    flags = parse_expire_options(argv) if len(argv) > 3 else 0
    when = parse_int(argv[2])
    # Negative times are allowed; only overflow of the unit conversion or the base addition is an error.
    if seconds:
        if when > LLONG_MAX // 1000 or when < _LLONG_MIN_DIV_1000:
            raise ReplyError(errors.invalid_expire(name))
        when *= 1000
    server = c.server
    now = server.ctx.now_ms
    if relative:
        if when > LLONG_MAX - now:
            raise ReplyError(errors.invalid_expire(name))
        when += now
    db = c.db
    key = argv[1]
    if db.lookup_write(key) is None:
        c.out.raw(_ZERO)
        return
    if flags:
        current = db.get_expire(key)
        if flags & EXPIRE_NX and current != -1:
            c.out.raw(_ZERO)
            return
        if flags & EXPIRE_XX and current == -1:
            c.out.raw(_ZERO)
            return
        # No TTL counts as an infinite one: GT always fails on it, LT always passes.
        if flags & EXPIRE_GT and (current == -1 or when <= current):
            c.out.raw(_ZERO)
            return
        if flags & EXPIRE_LT and current != -1 and when >= current:
            c.out.raw(_ZERO)
            return
    # checkAlreadyExpired: a replica keeps the key and waits for the primary's DEL.
    if when <= now and server.role == "master":
        db.delete(key)
        propagate.rewrite(c, [b"UNLINK" if server.config["lazyfree-lazy-expire"] else b"DEL", key])
        signal_write(server, db, key, b"del", _GENERIC)
    else:
        db.set_expire(key, when)
        if relative or seconds:
            # Replicas get the absolute time in ms (the NX/XX/GT/LT options stay).
            propagate.rewrite(c, [b"PEXPIREAT", key, b"%d" % when, *argv[3:]])
        signal_write(server, db, key, b"expire", _GENERIC)
    c.out.raw(_ONE)


_EXPIRE_HISTORY: Final = (("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."),)
_EXPIRE_KEYS: Final = [key_range(1, "RW UPDATE")]


@command("expire", -3, "WRITE FAST", keys=_EXPIRE_KEYS, acl="@keyspace", group="generic", since="1.0.0",
         complexity="O(1)", summary="Set a key's time to live in seconds",
         args="key:key seconds:integer [condition:{NX|XX|GT|LT}<7.0.0>]", history=_EXPIRE_HISTORY)
def expire_command(c: Client, argv: list[bytes]) -> None:
    """EXPIRE key seconds [NX|XX|GT|LT]"""
    expire_generic(c, argv, True, True, "expire")


@command("pexpire", -3, "WRITE FAST", keys=_EXPIRE_KEYS, acl="@keyspace", group="generic", since="2.6.0",
         complexity="O(1)", summary="Set a key's time to live in milliseconds",
         args="key:key milliseconds:integer [condition:{NX|XX|GT|LT}<7.0.0>]", history=_EXPIRE_HISTORY)
def pexpire_command(c: Client, argv: list[bytes]) -> None:
    """PEXPIRE key milliseconds [NX|XX|GT|LT]"""
    expire_generic(c, argv, True, False, "pexpire")


@command("expireat", -3, "WRITE FAST", keys=_EXPIRE_KEYS, acl="@keyspace", group="generic", since="1.2.0",
         complexity="O(1)", summary="Set the expiration for a key as a UNIX timestamp",
         args="key:key unix-time-seconds:unix-time [condition:{NX|XX|GT|LT}<7.0.0>]", history=_EXPIRE_HISTORY)
def expireat_command(c: Client, argv: list[bytes]) -> None:
    """EXPIREAT key unix-time-seconds [NX|XX|GT|LT]"""
    expire_generic(c, argv, False, True, "expireat")


@command("pexpireat", -3, "WRITE FAST", keys=_EXPIRE_KEYS, acl="@keyspace", group="generic", since="2.6.0",
         complexity="O(1)", summary="Set the expiration for a key as a UNIX timestamp specified in milliseconds",
         args="key:key unix-time-milliseconds:unix-time [condition:{NX|XX|GT|LT}<7.0.0>]", history=_EXPIRE_HISTORY)
def pexpireat_command(c: Client, argv: list[bytes]) -> None:
    """PEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT]"""
    expire_generic(c, argv, False, False, "pexpireat")


def ttl_generic(c: Client, key: bytes, ms: bool, absolute: bool) -> None:
    """ttlGenericCommand: -2 for a missing key, -1 without TTL, else the remaining (or absolute) time."""
    db = c.db
    ctx = c.server.ctx
    if not db.exists(key):     # lookupKeyReadWithFlags(NOTOUCH): lazy expiry and hit/miss stats
        db.missed(key)
        c.out.raw(_MINUS_TWO)
        return
    ctx.hits += 1
    expire_ms = db.get_expire(key)
    if expire_ms == -1:
        c.out.raw(_MINUS_ONE)
        return
    ttl = expire_ms if absolute else expire_ms - ctx.now_ms
    if ttl < 0:
        ttl = 0
    c.out.integer(ttl if ms else (ttl + 500) // 1000)


_TTL_KEYS: Final = [key_range(1, "RO ACCESS")]
_TTL_HISTORY: Final = (("2.8.0", "Added the -2 reply."),)


@command("ttl", 2, "READONLY FAST", keys=_TTL_KEYS, acl="@keyspace", group="generic", since="1.0.0",
         complexity="O(1)", summary="Get the time to live for a key in seconds", args="key:key",
         history=_TTL_HISTORY, tips=("nondeterministic_output",))
def ttl_command(c: Client, argv: list[bytes]) -> None:
    """TTL key"""
    ttl_generic(c, argv[1], False, False)


@command("pttl", 2, "READONLY FAST", keys=_TTL_KEYS, acl="@keyspace", group="generic", since="2.6.0",
         complexity="O(1)", summary="Get the time to live for a key in milliseconds", args="key:key",
         history=_TTL_HISTORY, tips=("nondeterministic_output",))
def pttl_command(c: Client, argv: list[bytes]) -> None:
    """PTTL key"""
    ttl_generic(c, argv[1], True, False)


@command("expiretime", 2, "READONLY FAST", keys=_TTL_KEYS, acl="@keyspace", group="generic", since="7.0.0",
         complexity="O(1)", summary="Get the expiration Unix timestamp for a key", args="key:key")
def expiretime_command(c: Client, argv: list[bytes]) -> None:
    """EXPIRETIME key"""
    ttl_generic(c, argv[1], False, True)


@command("pexpiretime", 2, "READONLY FAST", keys=_TTL_KEYS, acl="@keyspace", group="generic", since="7.0.0",
         complexity="O(1)", summary="Get the expiration Unix timestamp for a key in milliseconds", args="key:key")
def pexpiretime_command(c: Client, argv: list[bytes]) -> None:
    """PEXPIRETIME key"""
    ttl_generic(c, argv[1], True, True)


@command("persist", 2, "WRITE FAST", keys=[key_range(1, "RW UPDATE")], acl="@keyspace", group="generic",
         since="2.2.0", complexity="O(1)", summary="Remove the expiration from a key", args="key:key")
def persist_command(c: Client, argv: list[bytes]) -> None:
    """PERSIST key"""
    db = c.db
    key = argv[1]
    if db.lookup_write(key) is not None and db.remove_expire(key):
        signal_write(c.server, db, key, b"persist", _GENERIC)
        c.out.raw(_ONE)
        return
    c.out.raw(_ZERO)
