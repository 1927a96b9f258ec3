"""Set commands (Redis group "set"): argument parsing and replies; members live in datatypes.sets.RedisSet.

Reply shapes follow Redis 7.0: SMEMBERS/SINTER/SUNION/SDIFF/SPOP-with-count answer a RESP3 set, SRANDMEMBER
with a count and SMISMEMBER an array. Emptied keys are deleted with a `del` event, as t_set.c does.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import errors
from .._speedups.glob import filter_matching
from ..datatypes.sets import RedisSet, is_int_member
from ..errors import ReplyError
from ..keyspace.notify import Event, signal_write
from ..replication import propagate
from .args import LLONG_MAX, parse_int
from .generic import parse_scan_cursor, scan_options
from .table import command, key_num, key_range

if TYPE_CHECKING:
    from .._speedups.keyspace import Db
    from ..server.client import Client

_ZERO = b":0\r\n"
_ONE = b":1\r\n"
_EMPTY_ARRAY = b"*0\r\n"
_EMPTY_SCAN = b"*2\r\n$1\r\n0\r\n*0\r\n"
_SET_EVENT = Event.SET
_GENERIC_EVENT = Event.GENERIC


def _reply_set(c: Client, members: list[bytes]) -> None:
    out = c.out
    out.set_header(len(members))
    bulk = out.bulk
    for m in members:
        bulk(m)


def _removed(c: Client, db: Db, key: bytes, s: RedisSet, event: bytes) -> None:
    """After removing members: the srem/spop event, then the key's deletion if the set emptied."""
    server = c.server
    signal_write(server, db, key, event, _SET_EVENT)
    if not len(s):
        db.delete(key)
        signal_write(server, db, key, b"del", _GENERIC_EVENT, dirty=0)


# ------------------------------------------------------------------------------------------------ single-key

@command("sadd", -3, "WRITE DENYOOM FAST", keys=[key_range(1, "RW INSERT")], acl="@set", group="set",
         since="1.0.0",
         complexity="O(1) for each element added, so O(N) to add N elements when the command is called with "
                    "multiple arguments.",
         summary="Add one or more members to a set", args="key:key member:string...",
         history=(("2.4.0", "Accepts multiple `member` arguments."),))
def sadd_command(c: Client, argv: list[bytes]) -> None:
    """SADD key member [member ...]"""
    db = c.db
    key = argv[1]
    s = db.get_typed_write(key, RedisSet)
    if s is None:
        s = RedisSet(intset=is_int_member(argv[2]))
        db.add(key, s)
    # Only an intset reads its limit (a hashtable never converts back).
    max_intset = c.server.limits.set_max_intset if s.intset else 0
    add = s.add
    added = 0
    for i in range(2, len(argv)):
        if add(argv[i], max_intset):
            added += 1
    if added:
        signal_write(c.server, db, key, b"sadd", _SET_EVENT, dirty=added)
    c.out.integer(added)


@command("srem", -3, "WRITE FAST", keys=[key_range(1, "RW DELETE")], acl="@set", group="set", since="1.0.0",
         complexity="O(N) where N is the number of members to be removed.",
         summary="Remove one or more members from a set", args="key:key member:string...",
         history=(("2.4.0", "Accepts multiple `member` arguments."),))
def srem_command(c: Client, argv: list[bytes]) -> None:
    """SREM key member [member ...]"""
    db = c.db
    key = argv[1]
    s = db.get_typed_write(key, RedisSet)
    if s is None:
        c.out.raw(_ZERO)
        return
    removed = 0
    remove = s.remove
    for i in range(2, len(argv)):
        if remove(argv[i]):
            removed += 1
            if not len(s):
                break
    if removed:
        _removed(c, db, key, s, b"srem")
        c.server.dirty += removed - 1
    c.out.integer(removed)


@command("smembers", 2, "READONLY", keys=[key_range(1, "RO ACCESS")], acl="@set", group="set", since="1.0.0",
         complexity="O(N) where N is the set cardinality.", summary="Get all the members in a set",
         args="key:key", tips=("nondeterministic_output_order",))
def smembers_command(c: Client, argv: list[bytes]) -> None:
    """SMEMBERS key"""
    s = c.db.get_typed_read(argv[1], RedisSet)
    _reply_set(c, s.members() if s is not None else [])


@command("sismember", 3, "READONLY FAST", keys=[key_range(1, "RO")], acl="@set", group="set", since="1.0.0",
         complexity="O(1)", summary="Determine if a given value is a member of a set",
         args="key:key member:string")
def sismember_command(c: Client, argv: list[bytes]) -> None:
    """SISMEMBER key member"""
    s = c.db.get_typed_read(argv[1], RedisSet)
    c.out.raw(_ONE if s is not None and argv[2] in s else _ZERO)


@command("smismember", -3, "READONLY FAST", keys=[key_range(1, "RO ACCESS")], acl="@set", group="set",
         since="6.2.0",
         complexity="O(N) where N is the number of elements being checked for membership",
         summary="Returns the membership associated with the given elements for a set",
         args="key:key member:string...")
def smismember_command(c: Client, argv: list[bytes]) -> None:
    """SMISMEMBER key member [member ...]"""
    s = c.db.get_typed_read(argv[1], RedisSet)
    out = c.out
    n = len(argv)
    out.array_header(n - 2)
    if s is None:
        for _ in range(2, n):
            out.raw(_ZERO)
        return
    for i in range(2, n):
        out.raw(_ONE if argv[i] in s else _ZERO)


@command("scard", 2, "READONLY FAST", keys=[key_range(1, "RO")], acl="@set", group="set", since="1.0.0",
         complexity="O(1)", summary="Get the number of members in a set", args="key:key")
def scard_command(c: Client, argv: list[bytes]) -> None:
    """SCARD key"""
    s = c.db.get_typed_read(argv[1], RedisSet)
    c.out.integer(len(s) if s is not None else 0)


@command("spop", -2, "WRITE FAST", keys=[key_range(1, "RW ACCESS DELETE")], acl="@set", group="set",
         since="1.0.0",
         complexity="Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
         summary="Remove and return one or multiple random members from a set",
         args="key:key [count:integer<3.2.0>]",
         history=(("3.2.0", "Added the `count` argument."),), tips=("nondeterministic_output",))
def spop_command(c: Client, argv: list[bytes]) -> None:
    """SPOP key [count]"""
    n = len(argv)
    if n == 3:
        _spop_with_count(c, argv)
        return
    if n > 3:
        raise ReplyError(errors.SYNTAX)
    db = c.db
    key = argv[1]
    s = db.get_typed_write(key, RedisSet)
    if s is None:
        c.out.null()
        return
    member = s.pop_random()
    propagate.rewrite(c, [b"SREM", key, member])
    _removed(c, db, key, s, b"spop")
    c.out.bulk(member)


def _spop_with_count(c: Client, argv: list[bytes]) -> None:
    count = parse_int(argv[2], errors.MUST_BE_POSITIVE)
    if count < 0:
        raise ReplyError(errors.MUST_BE_POSITIVE)
    db = c.db
    key = argv[1]
    s = db.get_typed_write(key, RedisSet)
    if s is None or count == 0:
        c.out.set_header(0)
        return
    server = c.server
    if count >= len(s):
        # Redis answers with SUNION of the key: a new set, so all-integer members come back sorted.
        members = _result_order(s.members(), server.limits.set_max_intset)
        db.delete(key)
        propagate.rewrite(c, [b"DEL", key])
        signal_write(server, db, key, b"spop", _SET_EVENT, dirty=len(members))   # the members removed
        signal_write(server, db, key, b"del", _GENERIC_EVENT, dirty=0)
        _reply_set(c, members)
        return
    popped = s.pop_many(count, server.limits.set_max_intset)
    if server.repl.prop.on:
        # One SREM per member, in reply order (wrapped in MULTI/EXEC with the rest); SPOP itself is not sent.
        for member in popped:
            propagate.also(c, [b"SREM", key, member])
        propagate.prevent(c)
    signal_write(server, db, key, b"spop", _SET_EVENT, dirty=count)
    _reply_set(c, popped)


@command("srandmember", -2, "READONLY", keys=[key_range(1, "RO ACCESS")], acl="@set", group="set",
         since="1.0.0",
         complexity="Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed "
                    "count.",
         summary="Get one or multiple random members from a set", args="key:key [count:integer<2.6.0>]",
         history=(("2.6.0", "Added the optional `count` argument."),), tips=("nondeterministic_output",))
def srandmember_command(c: Client, argv: list[bytes]) -> None:
    """SRANDMEMBER key [count]"""
    n = len(argv)
    if n > 3:
        raise ReplyError(errors.SYNTAX)
    if n == 3:
        count = parse_int(argv[2])
        if count < -LLONG_MAX:
            raise ReplyError(errors.COUNT_NOT_IN_LONG_RANGE)
        s = c.db.get_typed_read(argv[1], RedisSet)
        if s is None or count == 0:
            c.out.raw(_EMPTY_ARRAY)
            return
        size = len(s)
        if count < 0:
            members = s.random_with_repeats(-count)
        elif count >= size:
            members = s.members()
        else:
            members = s.random_distinct(count)
        c.out.bulk_array(members)
        return
    s = c.db.get_typed_read(argv[1], RedisSet)
    if s is None:
        c.out.null()
        return
    c.out.bulk(s.random_member())


@command("smove", 4, "WRITE FAST",
         keys=[key_range(1, "RW ACCESS DELETE"), key_range(2, "RW INSERT")], acl="@set", group="set",
         since="1.0.0", complexity="O(1)", summary="Move a member from one set to another",
         args="source:key destination:key member:string")
def smove_command(c: Client, argv: list[bytes]) -> None:
    """SMOVE source destination member"""
    db = c.db
    src_key, dst_key, member = argv[1], argv[2], argv[3]
    src = db.lookup_write(src_key)
    dst = db.lookup_write(dst_key)
    if src is None:
        c.out.raw(_ZERO)
        return
    if type(src) is not RedisSet or (dst is not None and type(dst) is not RedisSet):
        raise ReplyError(errors.WRONGTYPE)
    if src is dst:
        c.out.raw(_ONE if member in src else _ZERO)
        return
    if not src.remove(member):
        c.out.raw(_ZERO)
        return
    server = c.server
    _removed(c, db, src_key, src, b"srem")
    if dst is None:
        dst = RedisSet(intset=is_int_member(member))
        db.add(dst_key, dst)
    if dst.add(member, server.limits.set_max_intset):
        signal_write(server, db, dst_key, b"sadd", _SET_EVENT)
    c.out.raw(_ONE)


# ------------------------------------------------------------------------------------------------ SSCAN

@command("sscan", -3, "READONLY", keys=[key_range(1, "RO ACCESS")], acl="@set", group="set", since="2.8.0",
         complexity="O(1) for every call. O(N) for a complete iteration, including enough command calls for the "
                    "cursor to return back to 0. N is the number of elements inside the collection..",
         summary="Incrementally iterate Set elements",
         args="key:key cursor:integer [pattern:MATCH=pattern] [count:COUNT=integer]",
         tips=("nondeterministic_output",))
def sscan_command(c: Client, argv: list[bytes]) -> None:
    """SSCAN key cursor [MATCH pattern] [COUNT count]"""
    cursor = parse_scan_cursor(argv[2])
    s = c.db.get_typed_read(argv[1], RedisSet)   # a missing key answers before the options are parsed
    if s is None:
        c.out.raw(_EMPTY_SCAN)
        return
    count, pattern, _ = scan_options(argv, 3, allow_type=False)
    cursor, members = s.scan(cursor, count)
    if pattern is not None and members:
        members = filter_matching(pattern, members)
    out = c.out
    out.array_header(2)
    out.bulk(b"%d" % cursor)
    out.bulk_array(members)


# ------------------------------------------------------------------------------------------------ algebra

def _load_sets(c: Client, keys: list[bytes]) -> list[RedisSet | None]:
    """Every source set (None for a missing key); any other type fails the whole command with WRONGTYPE.
    Sources are read lookups even for the *STORE forms (keyspace hits/misses, keymiss events), as in t_set.c."""
    lookup = c.db.lookup_read
    sets: list[RedisSet | None] = []
    for key in keys:
        value = lookup(key)
        if value is not None and type(value) is not RedisSet:
            raise ReplyError(errors.WRONGTYPE)
        sets.append(value)
    return sets


def _intersection(sets: list[RedisSet | None], limit: int = 0) -> list[bytes]:
    """The members of the smallest set that are in every other set, in the smallest set's order."""
    if not sets or any(s is None for s in sets):
        return []
    ordered: list[RedisSet] = sorted(sets, key=len)  # type: ignore[arg-type]
    first, others = ordered[0], ordered[1:]
    result = []
    for m in first.members():
        for other in others:
            if m not in other:
                break
        else:
            result.append(m)
            if limit and len(result) >= limit:
                break
    return result


def _union(sets: list[RedisSet | None]) -> dict[bytes, None]:
    result: dict[bytes, None] = {}
    for s in sets:
        if s is not None:
            result.update(dict.fromkeys(s))
    return result


def _difference(sets: list[RedisSet | None]) -> dict[bytes, None]:
    first = sets[0]
    if first is None:
        return {}
    result = dict.fromkeys(first)
    for s in sets[1:]:
        if s is None:
            continue
        if len(s) < len(result):
            for m in s:
                result.pop(m, None)
        else:
            result = {m: None for m in result if m not in s}
        if not result:
            break
    return result


def _result_order(members: dict[bytes, None] | list[bytes], max_intset: int) -> list[bytes]:
    """Redis builds the result as a new set: sorted by value when that set stays an intset."""
    if len(members) <= max_intset and all(map(is_int_member, members)):
        return sorted(members, key=int)
    return list(members)


def _store(c: Client, dst: bytes, members: list[bytes], event: bytes) -> None:
    db = c.db
    server = c.server
    if members:
        value = RedisSet.build(members, server.limits.set_max_intset)
        db.set_key(dst, value)
        signal_write(server, db, dst, event, _SET_EVENT)
        c.out.integer(len(members))
        return
    if db.delete(dst):
        signal_write(server, db, dst, b"del", _GENERIC_EVENT)
    c.out.raw(_ZERO)


_ALGEBRA_COMPLEXITY_INTER = ("O(N*M) worst case where N is the cardinality of the smallest set and M is the "
                             "number of sets.")
_ALGEBRA_COMPLEXITY_UNION = "O(N) where N is the total number of elements in all given sets."


@command("sinter", -2, "READONLY", keys=[key_range(1, "RO ACCESS", lastkey=-1)], acl="@set", group="set",
         since="1.0.0", complexity=_ALGEBRA_COMPLEXITY_INTER, summary="Intersect multiple sets",
         args="key:key...", tips=("nondeterministic_output_order",))
def sinter_command(c: Client, argv: list[bytes]) -> None:
    """SINTER key [key ...]"""
    _reply_set(c, _intersection(_load_sets(c, argv[1:])))


@command("sintercard", -3, "READONLY", keys=[key_num(1, 0, 1, "RO ACCESS")], acl="@set", group="set",
         since="7.0.0", complexity=_ALGEBRA_COMPLEXITY_INTER,
         summary="Intersect multiple sets and return the cardinality of the result",
         args="numkeys:integer key:key... [limit:LIMIT=integer]")
def sintercard_command(c: Client, argv: list[bytes]) -> None:
    """SINTERCARD numkeys key [key ...] [LIMIT limit]"""
    numkeys = parse_int(argv[1], errors.NUMKEYS_NOT_POSITIVE)
    if numkeys < 1:
        raise ReplyError(errors.NUMKEYS_NOT_POSITIVE)
    n = len(argv)
    if numkeys > n - 2:
        raise ReplyError(errors.NUMKEYS_EXCEED_ARGS)
    limit = 0
    i = 2 + numkeys
    while i < n:
        if argv[i].lower() == b"limit" and i + 1 < n:
            limit = parse_int(argv[i + 1], errors.LIMIT_NEGATIVE)
            if limit < 0:
                raise ReplyError(errors.LIMIT_NEGATIVE)
            i += 2
        else:
            raise ReplyError(errors.SYNTAX)
    sets = _load_sets(c, argv[2:2 + numkeys])
    c.out.integer(len(_intersection(sets, limit)))


@command("sunion", -2, "READONLY", keys=[key_range(1, "RO ACCESS", lastkey=-1)], acl="@set", group="set",
         since="1.0.0", complexity=_ALGEBRA_COMPLEXITY_UNION, summary="Add multiple sets", args="key:key...",
         tips=("nondeterministic_output_order",))
def sunion_command(c: Client, argv: list[bytes]) -> None:
    """SUNION key [key ...]"""
    members = _union(_load_sets(c, argv[1:]))
    _reply_set(c, _result_order(members, c.server.limits.set_max_intset))


@command("sdiff", -2, "READONLY", keys=[key_range(1, "RO ACCESS", lastkey=-1)], acl="@set", group="set",
         since="1.0.0", complexity=_ALGEBRA_COMPLEXITY_UNION, summary="Subtract multiple sets", args="key:key...",
         tips=("nondeterministic_output_order",))
def sdiff_command(c: Client, argv: list[bytes]) -> None:
    """SDIFF key [key ...]"""
    members = _difference(_load_sets(c, argv[1:]))
    _reply_set(c, _result_order(members, c.server.limits.set_max_intset))


@command("sinterstore", -3, "WRITE DENYOOM",
         keys=[key_range(1, "RW UPDATE"), key_range(2, "RO ACCESS", lastkey=-1)], acl="@set", group="set",
         since="1.0.0", complexity=_ALGEBRA_COMPLEXITY_INTER,
         summary="Intersect multiple sets and store the resulting set in a key",
         args="destination:key key:key...")
def sinterstore_command(c: Client, argv: list[bytes]) -> None:
    """SINTERSTORE destination key [key ...]"""
    _store(c, argv[1], _intersection(_load_sets(c, argv[2:])), b"sinterstore")


@command("sunionstore", -3, "WRITE DENYOOM",
         keys=[key_range(1, "OW UPDATE"), key_range(2, "RO ACCESS", lastkey=-1)], acl="@set", group="set",
         since="1.0.0", complexity=_ALGEBRA_COMPLEXITY_UNION,
         summary="Add multiple sets and store the resulting set in a key", args="destination:key key:key...")
def sunionstore_command(c: Client, argv: list[bytes]) -> None:
    """SUNIONSTORE destination key [key ...]"""
    _store(c, argv[1], list(_union(_load_sets(c, argv[2:]))), b"sunionstore")


@command("sdiffstore", -3, "WRITE DENYOOM",
         keys=[key_range(1, "OW UPDATE"), key_range(2, "RO ACCESS", lastkey=-1)], acl="@set", group="set",
         since="1.0.0", complexity=_ALGEBRA_COMPLEXITY_UNION,
         summary="Subtract multiple sets and store the resulting set in a key", args="destination:key key:key...")
def sdiffstore_command(c: Client, argv: list[bytes]) -> None:
    """SDIFFSTORE destination key [key ...]"""
    _store(c, argv[1], list(_difference(_load_sets(c, argv[2:]))), b"sdiffstore")
