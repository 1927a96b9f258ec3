"""Sorted-set commands over several elements or keys (Redis group "sorted-set"): the pops (ZPOPMIN/ZPOPMAX,
ZMPOP and their blocking forms), ZRANDMEMBER, the algebra (ZUNION/ZINTER/ZDIFF[STORE], ZINTERCARD) and ZSCAN.

Values are datatypes.zsets.RedisZSet; the algebra also reads plain sets (every member scores 1, as t_zset.c's
zui* iterators do). Blocking ones park the client in server/blocking.py exactly as the list commands do.
"""
from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Final

from .. import errors
from .._speedups.glob import filter_matching
from ..datatypes.sets import RedisSet
from ..datatypes.zsets import RedisZSet
from ..errors import ReplyError
from ..keyspace.notify import Event, signal_write
from ..replication import propagate
from ..server.blocking import registry as blocking_registry
from ..server.blocking import signal_key_as_ready
from ..server.client import ClientFlag
from .args import LLONG_MAX, parse_int, parse_mpop_args, parse_timeout_seconds
from .generic import parse_scan_cursor, scan_options
from .table import command, key_num, key_range
from .zset_args import parse_score

if TYPE_CHECKING:
    from .._speedups.keyspace import Db
    from ..server.client import Client

_ZSET_EVENT: Final = Event.ZSET
_GENERIC_EVENT: Final = Event.GENERIC
_EMPTY_ARRAY: Final = b"*0\r\n"
_ZERO: Final = b":0\r\n"
_EMPTY_SCAN: Final = b"*2\r\n$1\r\n0\r\n*0\r\n"

Pairs = list[tuple[bytes, float]]


def _limits(c: Client) -> tuple[int, int]:
    limits = c.server.limits
    return limits.zset_max_entries, limits.zset_max_value


def _format_score(score: float) -> bytes:
    """A score as Redis prints it into a string object (d2string / ld2string "%.17g", "inf"; ZSCAN's replies)."""
    return b"%.17g" % score


# --------------------------------------------------------------------------------------------------- pops


def _write_pairs(c: Client, pairs: Pairs, nested: bool) -> None:
    """Members with their scores: nested [member, score] pairs, or flat member, score, ..."""
    out = c.out
    bulk = out.bulk
    put_double = out.put_double
    for member, score in pairs:
        if nested:
            out.array_header(2)
        bulk(member)
        put_double(score)


def _popped(c: Client, db: Db, key: bytes, zs: RedisZSet, n: int, from_max: bool) -> None:
    """After popping n members: the zpopmin/zpopmax event, then the key's deletion if the zset emptied."""
    server = c.server
    signal_write(server, db, key, b"zpopmax" if from_max else b"zpopmin", _ZSET_EVENT, dirty=n)
    if not len(zs):
        db.delete(key)
        signal_write(server, db, key, b"del", _GENERIC_EVENT, dirty=0)


def _pop_reply(c: Client, db: Db, key: bytes, zs: RedisZSet, count: int, from_max: bool, emitkey: bool,
               nested: bool, prop: int = 0, now: bool = True) -> None:
    """genericZpopCommand once the zset is found: pop up to count (>= 1) and write the reply in its shape.

    Shapes: ZPOPMIN flat (nested pairs for a count in RESP3); BZPOPMIN [key, member, score];
    ZMPOP/BZMPOP [key, [[member, score], ...]].
    """
    pairs = zs.pop(count, from_max)
    out = c.out
    n = len(pairs)
    if emitkey:
        if nested:
            out.array_header(2)
            out.bulk(key)
            out.array_header(n)
        else:
            out.array_header(2 * n + 1)
            out.bulk(key)
    else:
        out.array_header(n if nested else 2 * n)
    _write_pairs(c, pairs, nested)
    if prop:
        # ZMPOP and the blocking pops replicate as ZPOPMIN/ZPOPMAX (with the count popped for the M forms):
        # a rewrite when popping at once, an extra op for a client served later.
        argv = [b"ZPOPMAX" if from_max else b"ZPOPMIN", key]
        if prop == _PROP_COUNT:
            argv.append(b"%d" % n)
        if now:
            propagate.rewrite(c, argv)
        else:
            propagate.also(c, argv, db.id)
    _popped(c, db, key, zs, n, from_max)


_PROP_KEY = 1       # propagate as ZPOPMIN/ZPOPMAX key
_PROP_COUNT = 2     # propagate as ZPOPMIN/ZPOPMAX key count


def zpop_generic(c: Client, argv: list[bytes], from_max: bool) -> None:
    """zpopMinMaxCommand: ZPOPMIN/ZPOPMAX key [count]."""
    if len(argv) > 3:
        raise ReplyError(errors.SYNTAX)
    count = -1
    if len(argv) == 3:
        count = parse_int(argv[2], errors.MUST_BE_POSITIVE)
        if count < 0:
            raise ReplyError(errors.MUST_BE_POSITIVE)
    key = argv[1]
    db = c.db
    zs = db.get_typed_write(key, RedisZSet)
    if zs is None or count == 0:
        c.out.raw(_EMPTY_ARRAY)
        return
    if count == -1:
        pair = zs.pop_one(from_max)
        assert pair is not None     # keys never hold an empty zset
        out = c.out
        out.array_header(2)
        out.bulk(pair[0])
        out.put_double(pair[1])
        _popped(c, db, key, zs, 1, from_max)
        return
    # RESP3 nests the pairs only when a count was given (even COUNT 1).
    nested = c.resp > 2 and count != -1
    _pop_reply(c, db, key, zs, 1 if count == -1 else count, from_max, False, nested)


_ZPOP_COMPLEXITY = ("O(log(N)*M) with N being the number of elements in the sorted set, and M being the number "
                    "of elements popped.")


@command("zpopmin", -2, "WRITE FAST", keys=[key_range(1, "RW ACCESS DELETE")], acl="@sortedset",
         group="sorted-set", since="5.0.0", complexity=_ZPOP_COMPLEXITY,
         summary="Remove and return members with the lowest scores in a sorted set", args="key:key [count:integer]")
def zpopmin_command(c: Client, argv: list[bytes]) -> None:
    """ZPOPMIN key [count]"""
    zpop_generic(c, argv, False)


@command("zpopmax", -2, "WRITE FAST", keys=[key_range(1, "RW ACCESS DELETE")], acl="@sortedset",
         group="sorted-set", since="5.0.0", complexity=_ZPOP_COMPLEXITY,
         summary="Remove and return members with the highest scores in a sorted set",
         args="key:key [count:integer]")
def zpopmax_command(c: Client, argv: list[bytes]) -> None:
    """ZPOPMAX key [count]"""
    zpop_generic(c, argv, True)


_ZSET_ENDS = {b"MIN": False, b"MAX": True}


def _mpop_args(argv: list[bytes], numkeys_idx: int) -> tuple[list[bytes], bool, int]:
    """zmpopGenericCommand's parsing: numkeys key [key ...] MIN|MAX [COUNT count] -> (keys, from_max, count)."""
    return parse_mpop_args(argv, numkeys_idx, _ZSET_ENDS)


_MPOP_COMPLEXITY = ("O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in "
                    "the sorted set, and M being the number of elements popped.")


@command("zmpop", -4, "WRITE", keys=[key_num(1, 0, 1, "RW ACCESS DELETE")], acl="@sortedset",
         group="sorted-set", since="7.0.0", complexity=_MPOP_COMPLEXITY,
         summary="Remove and return members with scores in a sorted set",
         args="numkeys:integer key:key... where:{MIN|MAX} [count:COUNT=integer]")
def zmpop_command(c: Client, argv: list[bytes]) -> None:
    """ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]"""
    keys, from_max, count = _mpop_args(argv, 1)
    db = c.db
    for key in keys:
        zs = db.get_typed_write(key, RedisZSet)   # the first non-zset key fails, even after missing ones
        if zs is not None:
            _pop_reply(c, db, key, zs, count, from_max, True, True, _PROP_COUNT)
            return
    c.out.null_array()


# ---------------------------------------------------------------------------------------------- blocking
# As in commands/lists.py: a command that finds nothing parks the client with a serve function, run when a
# zset is born under one of its keys (every zset creation signals the key, as Redis's dbAdd does). A timeout
# or CLIENT UNBLOCK TIMEOUT answers a null array; inside MULTI the null array comes at once.

_BLOCK_ACL: Final = "@sortedset"


def _null_array_reply(c: Client) -> None:
    c.out.null_array()


def _ready_zset(db: Db, key: bytes) -> RedisZSet | None:
    """The non-empty zset a woken client may pop from (None for anything else under `key`)."""
    try:
        zs = db.get_typed_write(key, RedisZSet)
    except ReplyError:
        return None
    return zs if zs else None


def _serve_pop(count: int, from_max: bool, nested: bool) -> Callable[..., bool]:
    def serve(c: Client, db: Db, key: bytes, now: bool = False) -> bool:
        zs = _ready_zset(db, key)
        if zs is None:
            return False
        _pop_reply(c, db, key, zs, count, from_max, True, nested, _PROP_COUNT if nested else _PROP_KEY, now)
        return True

    return serve


_SERVE_BZPOPMIN = _serve_pop(1, False, False)
_SERVE_BZPOPMAX = _serve_pop(1, True, False)


def _blocking_pop(c: Client, keys: list[bytes], timeout: float, serve: Callable[..., bool]) -> None:
    """blockingGenericZpopCommand after the timeout is parsed: pop now from the first non-empty zset, else
    block (or answer a null array inside MULTI, Redis's CLIENT_DENY_BLOCKING)."""
    db = c.db
    for key in keys:
        if db.get_typed_write(key, RedisZSet):
            serve(c, db, key, True)
            return
    if c.flags & ClientFlag.MULTI:
        c.out.null_array()
        return
    blocking_registry(c.server).block(c, keys, timeout, serve, _null_array_reply)


_TIMEOUT_HISTORY = (("6.0.0", "`timeout` is interpreted as a double instead of an integer."),)
_BZPOP_COMPLEXITY = "O(log(N)) with N being the number of elements in the sorted set."


@command("bzpopmin", -3, "WRITE NOSCRIPT BLOCKING FAST", keys=[key_range(1, "RW ACCESS DELETE", lastkey=-2)],
         acl=_BLOCK_ACL, group="sorted-set", since="5.0.0", complexity=_BZPOP_COMPLEXITY,
         summary="Remove and return the member with the lowest score from one or more sorted sets, or block until "
                 "one is available",
         args="key:key... timeout:double", history=_TIMEOUT_HISTORY)
def bzpopmin_command(c: Client, argv: list[bytes]) -> None:
    """BZPOPMIN key [key ...] timeout"""
    timeout = parse_timeout_seconds(argv[-1])
    _blocking_pop(c, argv[1:-1], timeout, _SERVE_BZPOPMIN)


@command("bzpopmax", -3, "WRITE NOSCRIPT BLOCKING FAST", keys=[key_range(1, "RW ACCESS DELETE", lastkey=-2)],
         acl=_BLOCK_ACL, group="sorted-set", since="5.0.0", complexity=_BZPOP_COMPLEXITY,
         summary="Remove and return the member with the highest score from one or more sorted sets, or block "
                 "until one is available",
         args="key:key... timeout:double", history=_TIMEOUT_HISTORY)
def bzpopmax_command(c: Client, argv: list[bytes]) -> None:
    """BZPOPMAX key [key ...] timeout"""
    timeout = parse_timeout_seconds(argv[-1])
    _blocking_pop(c, argv[1:-1], timeout, _SERVE_BZPOPMAX)


@command("bzmpop", -5, "WRITE BLOCKING", keys=[key_num(2, 0, 1, "RW ACCESS DELETE")], acl=_BLOCK_ACL,
         group="sorted-set", since="7.0.0", complexity=_MPOP_COMPLEXITY,
         summary="Remove and return members with scores in a sorted set or block until one is available",
         args="timeout:double numkeys:integer key:key... where:{MIN|MAX} [count:COUNT=integer]")
def bzmpop_command(c: Client, argv: list[bytes]) -> None:
    """BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]"""
    keys, from_max, count = _mpop_args(argv, 2)
    timeout = parse_timeout_seconds(argv[1])
    _blocking_pop(c, keys, timeout, _serve_pop(count, from_max, True))


# ------------------------------------------------------------------------------------------- ZRANDMEMBER


def _member_at(zs: RedisZSet, index: int) -> tuple[bytes, float]:
    return zs.range_by_rank(index, index)[0]


@command("zrandmember", -2, "READONLY", keys=[key_range(1, "RO ACCESS")], acl="@sortedset",
         group="sorted-set", since="6.2.0", complexity="O(N) where N is the number of elements returned",
         summary="Get one or multiple random elements from a sorted set",
         args="key:key [options:{count:integer [WITHSCORES]}]", tips=("nondeterministic_output",))
def zrandmember_command(c: Client, argv: list[bytes]) -> None:
    """ZRANDMEMBER key [count [WITHSCORES]]"""
    n_args = len(argv)
    if n_args >= 3:
        count = parse_int(argv[2])
        if count < -LLONG_MAX:
            raise ReplyError(errors.COUNT_NOT_IN_LONG_RANGE)
        if n_args > 4 or (n_args == 4 and argv[3].lower() != b"withscores"):
            raise ReplyError(errors.SYNTAX)
        withscores = n_args == 4
        # zrandmemberCommand: the doubled reply length must not overflow a long.
        if withscores and not -(LLONG_MAX // 2) <= count <= LLONG_MAX // 2:
            raise ReplyError(errors.VALUE_OUT_OF_RANGE)
        _zrandmember_count(c, argv[1], count, withscores)
        return
    zs = c.db.get_typed_read(argv[1], RedisZSet)
    if zs is None:
        c.out.null()
        return
    c.out.bulk(_member_at(zs, random.randrange(len(zs)))[0])


def _zrandmember_count(c: Client, key: bytes, count: int, withscores: bool) -> None:
    """zrandmemberWithCountCommand."""
    zs = c.db.get_typed_read(key, RedisZSet)
    if zs is None or count == 0:
        c.out.raw(_EMPTY_ARRAY)
        return
    size = len(zs)
    nested = withscores and c.resp > 2
    if count < 0 or count == 1:
        # CASE 1: independent picks, repeats allowed.
        n = -count if count < 0 else 1
        picks: Iterable[tuple[bytes, float]] = (_member_at(zs, random.randrange(size)) for _ in range(n))
    elif count >= size:
        # CASE 2: the whole zset, walked from the top as t_zset.c's zui iterator does.
        n = size
        picks = zs.range_by_rank(0, size - 1, True)
    else:
        n = count
        indexes = random.sample(range(size), count)
        if zs.encoding == b"listpack":
            # lpRandomPairsUnique walks the listpack: distinct picks come back in zset order.
            indexes.sort()
        picks = (_member_at(zs, i) for i in indexes)
    out = c.out
    out.array_header(2 * n if withscores and not nested else n)
    bulk = out.bulk
    for member, score in picks:
        if nested:
            out.array_header(2)
        bulk(member)
        if withscores:
            out.put_double(score)


# ---------------------------------------------------------------------------------------------- algebra

_OP_UNION: Final = 0
_OP_INTER: Final = 1
_OP_DIFF: Final = 2
_AGGR_SUM: Final = 0
_AGGR_MIN: Final = 1
_AGGR_MAX: Final = 2

Source = RedisZSet | RedisSet | None
# Command names for "at least 1 input key" errors, indexed by op + 3 * store + 6 * cardinality_only.
_OP_NAMES: Final = ("zunion", "zinter", "zdiff", "zunionstore", "zinterstore", "zdiffstore", "", "zintercard")


def _source_len(src: Source) -> int:
    return 0 if src is None else len(src)


def _source_items(src: Source) -> Iterable[tuple[bytes, float]]:
    """zuiNext: a zset's (member, score) pairs, a set's members with score 1."""
    if src is None:
        return ()
    if isinstance(src, RedisSet):
        return ((m, 1.0) for m in src)
    return src.items()


def _source_score(src: RedisZSet | RedisSet, member: bytes) -> float | None:
    """zuiFind: the member's score in a zset, 1 in a set, None when absent."""
    if isinstance(src, RedisSet):
        return 1.0 if member in src else None
    return src.score(member)


def _aggregate(target: float, value: float, aggregate: int) -> float:
    """zunionInterAggregate: SUM turns inf + -inf (NaN) into 0; MIN/MAX keep target on a tie or a NaN."""
    if aggregate == _AGGR_SUM:
        total = target + value
        return 0.0 if total != total else total
    if aggregate == _AGGR_MIN:
        return value if value < target else target
    return value if value > target else target


def _union(srcs: list[Source], weights: list[float], aggregate: int) -> dict[bytes, float]:
    acc: dict[bytes, float] = {}
    for src, weight in zip(srcs, weights, strict=True):
        for member, score in _source_items(src):
            value = weight * score
            if value != value:
                value = 0.0
            old = acc.get(member)
            acc[member] = value if old is None else _aggregate(old, value, aggregate)
    return acc


def _inter(srcs: list[Source], weights: list[float], aggregate: int, limit: int = 0) -> dict[bytes, float]:
    """Members of the smallest input found in all others. Note the first input's weighted score is NaN-checked
    but the others' are not (t_zset.c): a NaN value then zeroes a SUM and is ignored by MIN/MAX."""
    first = srcs[0]
    result: dict[bytes, float] = {}
    if not _source_len(first):
        return result
    others: list[tuple[RedisZSet | RedisSet, float]] = []
    for src, weight in zip(srcs[1:], weights[1:], strict=True):
        if src is None:
            return result
        others.append((src, weight))
    w0 = weights[0]
    for member, s0 in _source_items(first):
        score = w0 * s0
        if score != score:
            score = 0.0
        for src, weight in others:
            found = _source_score(src, member)
            if found is None:
                break
            score = _aggregate(score, found * weight, aggregate)
        else:
            result[member] = score
            if limit and len(result) >= limit:
                break
    return result


def _diff(srcs: list[Source]) -> dict[bytes, float]:
    first = srcs[0]
    if not _source_len(first):
        return {}
    others = [s for s in srcs[1:] if s is not None and len(s)]
    if any(s is first for s in others):
        return {}
    return {m: s for m, s in _source_items(first) if not any(m in o for o in others)}


def _sorted_pairs(result: dict[bytes, float]) -> Pairs:
    """Skiplist order: by score, then by member bytes."""
    return sorted(result.items(), key=lambda item: (item[1], item[0]))


def _algebra(c: Client, argv: list[bytes], numkeys_idx: int, op: int, store: bool,
             cardinality_only: bool = False) -> None:
    """zunionInterDiffGenericCommand."""
    setnum = parse_int(argv[numkeys_idx])
    if setnum < 1:
        raise ReplyError(errors.at_least_one_input_key(_OP_NAMES[op + 3 * store + 6 * cardinality_only]))
    n_args = len(argv)
    if setnum > n_args - (numkeys_idx + 1):
        raise ReplyError(errors.SYNTAX)
    lookup = c.db.lookup_read      # read lookups for the *STORE forms too (hits/misses, keymiss), as 7.0 does
    srcs: list[Source] = []
    j = numkeys_idx + 1
    for _ in range(setnum):
        value = lookup(argv[j])
        if value is not None and not isinstance(value, (RedisZSet, RedisSet)):
            raise ReplyError(errors.WRONGTYPE)
        srcs.append(value)
        j += 1
    weights = [1.0] * setnum
    aggregate = _AGGR_SUM
    withscores = False
    limit = 0
    while j < n_args:
        remaining = n_args - j
        opt = argv[j].lower()
        if op != _OP_DIFF and not cardinality_only and remaining >= setnum + 1 and opt == b"weights":
            j += 1
            for i in range(setnum):
                weights[i] = parse_score(argv[j], errors.WEIGHT_NOT_FLOAT)
                j += 1
        elif op != _OP_DIFF and not cardinality_only and remaining >= 2 and opt == b"aggregate":
            word = argv[j + 1].lower()
            if word == b"sum":
                aggregate = _AGGR_SUM
            elif word == b"min":
                aggregate = _AGGR_MIN
            elif word == b"max":
                aggregate = _AGGR_MAX
            else:
                raise ReplyError(errors.SYNTAX)
            j += 2
        elif not store and not cardinality_only and opt == b"withscores":
            withscores = True
            j += 1
        elif cardinality_only and remaining >= 2 and opt == b"limit":
            limit = parse_int(argv[j + 1], errors.LIMIT_NEGATIVE)
            if limit < 0:
                raise ReplyError(errors.LIMIT_NEGATIVE)
            j += 2
        else:
            raise ReplyError(errors.SYNTAX)

    if op != _OP_DIFF:
        # Smallest input first (qsort by cardinality; a stable sort like glibc's merge sort).
        order = sorted(range(setnum), key=lambda i: _source_len(srcs[i]))
        srcs = [srcs[i] for i in order]
        weights = [weights[i] for i in order]
    if op == _OP_INTER:
        result = _inter(srcs, weights, aggregate, limit if cardinality_only else 0)
    elif op == _OP_UNION:
        result = _union(srcs, weights, aggregate)
    else:
        result = _diff(srcs)

    if cardinality_only:
        c.out.integer(len(result))
        return
    if store:
        _store(c, argv[1], result, (b"zunionstore", b"zinterstore", b"zdiffstore")[op])
        return
    pairs = _sorted_pairs(result)
    out = c.out
    nested = withscores and c.resp > 2
    out.array_header(2 * len(pairs) if withscores and not nested else len(pairs))
    if withscores:
        _write_pairs(c, pairs, nested)
    else:
        bulk = out.bulk
        for member, _ in pairs:
            bulk(member)


def _store(c: Client, dst: bytes, result: dict[bytes, float], event: bytes) -> None:
    db = c.db
    server = c.server
    if result:
        max_entries, max_value = _limits(c)
        value = RedisZSet.build(result.items(), max_entries, max_value)
        existed = db.lookup_write(dst) is not None
        db.set_key(dst, value)
        if not existed:
            signal_key_as_ready(server, db, dst)   # dbAdd wakes BZPOPMIN & co. waiting on dst
        signal_write(server, db, dst, event, _ZSET_EVENT)
        c.out.integer(len(value))
        return
    c.out.raw(_ZERO)
    if db.delete(dst):
        signal_write(server, db, dst, b"del", _GENERIC_EVENT)


_UNION_COMPLEXITY = ("O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being "
                     "the number of elements in the resulting sorted set.")
_INTER_COMPLEXITY = ("O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number "
                     "of input sorted sets and M being the number of elements in the resulting sorted set.")
_DIFF_COMPLEXITY = ("O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is "
                    "the size of the first set, and K is the size of the result set.")
_READ_KEYS = [key_num(1, 0, 1, "RO ACCESS")]
_STORE_KEYS = [key_range(1, "OW UPDATE"), key_num(2, 0, 1, "RO ACCESS")]
_AGGR_ARGS = "[weight:WEIGHTS=integer...] [aggregate:AGGREGATE={sum:SUM|min:MIN|max:MAX}]"


@command("zunion", -3, "READONLY", keys=_READ_KEYS, acl="@sortedset", group="sorted-set", since="6.2.0",
         complexity=_UNION_COMPLEXITY, summary="Add multiple sorted sets",
         args="numkeys:integer key:key... " + _AGGR_ARGS + " [WITHSCORES]")
def zunion_command(c: Client, argv: list[bytes]) -> None:
    """ZUNION numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]"""
    _algebra(c, argv, 1, _OP_UNION, False)


@command("zinter", -3, "READONLY", keys=_READ_KEYS, acl="@sortedset", group="sorted-set", since="6.2.0",
         complexity=_INTER_COMPLEXITY, summary="Intersect multiple sorted sets",
         args="numkeys:integer key:key... " + _AGGR_ARGS + " [WITHSCORES]")
def zinter_command(c: Client, argv: list[bytes]) -> None:
    """ZINTER numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]"""
    _algebra(c, argv, 1, _OP_INTER, False)


@command("zdiff", -3, "READONLY", keys=_READ_KEYS, acl="@sortedset", group="sorted-set", since="6.2.0",
         complexity=_DIFF_COMPLEXITY, summary="Subtract multiple sorted sets",
         args="numkeys:integer key:key... [WITHSCORES]")
def zdiff_command(c: Client, argv: list[bytes]) -> None:
    """ZDIFF numkeys key [key ...] [WITHSCORES]"""
    _algebra(c, argv, 1, _OP_DIFF, False)


@command("zunionstore", -4, "WRITE DENYOOM", keys=_STORE_KEYS, acl="@sortedset", group="sorted-set",
         since="2.0.0",
         complexity="O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the "
                    "number of elements in the resulting sorted set.",
         summary="Add multiple sorted sets and store the resulting sorted set in a new key",
         args="destination:key numkeys:integer key:key... " + _AGGR_ARGS)
def zunionstore_command(c: Client, argv: list[bytes]) -> None:
    """ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]"""
    _algebra(c, argv, 2, _OP_UNION, True)


@command("zinterstore", -4, "WRITE DENYOOM", keys=_STORE_KEYS, acl="@sortedset", group="sorted-set",
         since="2.0.0", complexity=_INTER_COMPLEXITY,
         summary="Intersect multiple sorted sets and store the resulting sorted set in a new key",
         args="destination:key numkeys:integer key:key... " + _AGGR_ARGS)
def zinterstore_command(c: Client, argv: list[bytes]) -> None:
    """ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]"""
    _algebra(c, argv, 2, _OP_INTER, True)


@command("zdiffstore", -4, "WRITE DENYOOM", keys=_STORE_KEYS, acl="@sortedset", group="sorted-set",
         since="6.2.0", complexity=_DIFF_COMPLEXITY,
         summary="Subtract multiple sorted sets and store the resulting sorted set in a new key",
         args="destination:key numkeys:integer key:key...")
def zdiffstore_command(c: Client, argv: list[bytes]) -> None:
    """ZDIFFSTORE destination numkeys key [key ...]"""
    _algebra(c, argv, 2, _OP_DIFF, True)


@command("zintercard", -3, "READONLY", keys=_READ_KEYS, acl="@sortedset", group="sorted-set", since="7.0.0",
         complexity="O(N*K) worst case with N being the smallest input sorted set, K being the number of input "
                    "sorted sets.",
         summary="Intersect multiple sorted sets and return the cardinality of the result",
         args="numkeys:integer key:key... [limit:LIMIT=integer]")
def zintercard_command(c: Client, argv: list[bytes]) -> None:
    """ZINTERCARD numkeys key [key ...] [LIMIT limit]"""
    _algebra(c, argv, 1, _OP_INTER, False, cardinality_only=True)


# ------------------------------------------------------------------------------------------------- ZSCAN


@command("zscan", -3, "READONLY", keys=[key_range(1, "RO ACCESS")], acl="@sortedset", group="sorted-set",
         since="2.8.0",
         complexity="O(1) for every call. O(N) for a complete iteration, including enough command calls for the "
                    "cursor to return back to 0. N is the number of elements inside the collection..",
         summary="Incrementally iterate sorted sets elements and associated scores",
         args="key:key cursor:integer [pattern:MATCH=pattern] [count:COUNT=integer]",
         tips=("nondeterministic_output",))
def zscan_command(c: Client, argv: list[bytes]) -> None:
    """ZSCAN key cursor [MATCH pattern] [COUNT count]"""
    cursor = parse_scan_cursor(argv[2])
    zs = c.db.get_typed_read(argv[1], RedisZSet)   # a missing key answers before the options are parsed
    if zs is None:
        c.out.raw(_EMPTY_SCAN)
        return
    count, pattern, _ = scan_options(argv, 3, allow_type=False)
    # A listpack comes back whole with cursor 0, whatever the cursor and COUNT (as Redis does).
    cursor, pairs = zs.scan_members(cursor, count)
    if pattern is not None and pairs:
        keep = set(filter_matching(pattern, [m for m, _ in pairs]))
        pairs = [p for p in pairs if p[0] in keep]
    out = c.out
    out.array_header(2)
    out.bulk(b"%d" % cursor)
    out.array_header(2 * len(pairs))
    bulk = out.bulk
    for member, score in pairs:
        bulk(member)
        bulk(_format_score(score))

