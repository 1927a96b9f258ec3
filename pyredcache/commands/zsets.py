"""Sorted-set commands on one key (Redis group "sorted-set"): ZADD ZINCRBY ZREM ZCARD ZSCORE ZMSCORE ZRANK
ZREVRANK ZCOUNT ZLEXCOUNT, the ZRANGE family (+ZRANGESTORE) and ZREMRANGEBY*. Data in datatypes.zsets.RedisZSet.

Multi-key and pop commands (ZUNION*, ZPOP*, BZ*, ZRANDMEMBER, ZSCAN) live in zset_multi.py. Emptied keys are
deleted with a `del` event; a key created here wakes clients blocked on it (BZPOPMIN, BZMPOP).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .. import errors
from ..datatypes.zsets import RedisZSet
from ..errors import ReplyError
from ..keyspace.notify import Event, signal_write
from ..server.blocking import signal_key_as_ready
from .args import parse_int
from .table import command, key_range
from .zset_args import normalise_rank_range, parse_lex_range, parse_score, parse_score_range

if TYPE_CHECKING:
    from ..server.client import Client

_ZERO = b":0\r\n"
_EMPTY_ARRAY = b"*0\r\n"
_ZSET_EVENT = Event.ZSET
_GENERIC_EVENT = Event.GENERIC

# zrange_type / zrange_direction (t_zset.c)
_AUTO = 0
_RANK = 1
_SCORE = 2
_LEX = 3
_FORWARD = 1
_REVERSE = 2


# ------------------------------------------------------------------------------------------------ ZADD family

_NX = 1
_XX = 2
_CH = 4
_INCR = 8
_GT = 16
_LT = 32
_ZADD_FLAGS = {b"nx": _NX, b"xx": _XX, b"ch": _CH, b"incr": _INCR, b"gt": _GT, b"lt": _LT}


def zadd_generic(c: Client, argv: list[bytes], incr: bool) -> None:
    """zaddGenericCommand: ZADD and ZINCRBY (which parses the same flags, so `ZINCRBY k nx m` is a syntax
    error rather than a bad float)."""
    flags = _INCR if incr else 0
    scoreidx = 2
    argc = len(argv)
    while scoreidx < argc:
        flag = _ZADD_FLAGS.get(argv[scoreidx].lower())
        if flag is None:
            break
        flags |= flag
        scoreidx += 1
    elements = argc - scoreidx
    if elements & 1 or not elements:
        raise ReplyError(errors.SYNTAX)
    if flags:
        if flags & _NX and flags & _XX:
            raise ReplyError(errors.ZADD_XX_AND_NX)
        if (flags & _NX and flags & (_GT | _LT)) or (flags & _GT and flags & _LT):
            raise ReplyError(errors.ZADD_GT_LT_NX)
        if flags & _INCR and elements > 2:
            raise ReplyError(errors.ZADD_INCR_PAIRS)
    if elements == 2:
        scores = [parse_score(argv[scoreidx])]     # the usual single pair, without slicing argv
        members = [argv[scoreidx + 1]]
    else:
        scores = [parse_score(raw) for raw in argv[scoreidx::2]]
        members = argv[scoreidx + 1::2]

    db = c.db
    key = argv[1]
    zs = db.get_typed_write(key, RedisZSet)
    server = c.server
    added = updated = processed = 0
    newscore = 0.0
    created = zs is None and not flags & _XX
    if created:
        zs = RedisZSet()
        db.add(key, zs)
    if zs is not None:
        max_entries = max_value = 0     # only a listpack reads its limits (a skiplist never converts back)
        if zs.listpack:
            limits = server.limits
            max_entries = limits.zset_max_entries
            max_value = limits.zset_max_value
        if not flags & ~_CH:
            upsert = zs.upsert
            for j in range(len(scores)):
                score = scores[j]
                old = upsert(members[j], score, max_entries, max_value)
                if old is None:
                    added += 1
                elif old != score:
                    updated += 1
        else:
            added, updated, processed, newscore = _zadd_flagged(zs, members, scores, flags, max_entries,
                                                                max_value)
        if added or updated:
            signal_write(server, db, key, b"zincr" if flags & _INCR else b"zadd", _ZSET_EVENT,
                         dirty=added + updated)
        if created:
            signal_key_as_ready(server, db, key)
    if flags & _INCR:
        if processed:
            c.out.put_double(newscore)
        else:
            c.out.null()
    else:
        c.out.integer(added + updated if flags & _CH else added)


def _zadd_flagged(zs: RedisZSet, members: list[bytes], scores: list[float], flags: int, max_entries: int,
                  max_value: int) -> tuple[int, int, int, float]:
    """ZADD's loop under NX/XX/GT/LT/INCR (zsetAdd's flag rules): (added, updated, processed, last score)."""
    added = updated = processed = 0
    newscore = 0.0
    for member, score in zip(members, scores, strict=True):
        cur = zs.score(member)
        if cur is None:
            if flags & _XX:
                continue
            zs.add(member, score, max_entries, max_value)
            added += 1
        else:
            if flags & _NX:
                continue
            if flags & _INCR:
                score += cur
                if math.isnan(score):
                    raise ReplyError(errors.ZSET_SCORE_NAN)
            if (flags & _LT and score >= cur) or (flags & _GT and score <= cur):
                continue
            if score != cur:
                zs.add(member, score, max_entries, max_value)
                updated += 1
        newscore = score
        processed += 1
    return added, updated, processed, newscore


@command("zadd", -4, "WRITE DENYOOM FAST", keys=[key_range(1, "RW UPDATE")], acl="@sortedset",
         group="sorted-set", since="1.2.0",
         complexity="O(log(N)) for each item added, where N is the number of elements in the sorted set.",
         summary="Add one or more members to a sorted set, or update its score if it already exists",
         args="key:key [condition:{NX|XX}]<3.0.2> [comparison:{GT|LT}]<6.2.0> [change:CH]<3.0.2> "
              "[increment:INCR]<3.0.2> score_member:{score:double member:string}...",
         history=(("2.4.0", "Accepts multiple elements."),
                  ("3.0.2", "Added the `XX`, `NX`, `CH` and `INCR` options."),
                  ("6.2.0", "Added the `GT` and `LT` options.")))
def zadd_command(c: Client, argv: list[bytes]) -> None:
    """ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]"""
    zadd_generic(c, argv, False)


@command("zincrby", 4, "WRITE DENYOOM FAST", keys=[key_range(1, "RW ACCESS UPDATE")], acl="@sortedset",
         group="sorted-set", since="1.2.0",
         complexity="O(log(N)) where N is the number of elements in the sorted set.",
         summary="Increment the score of a member in a sorted set",
         args="key:key increment:integer member:string")
def zincrby_command(c: Client, argv: list[bytes]) -> None:
    """ZINCRBY key increment member"""
    zadd_generic(c, argv, True)


@command("zrem", -3, "WRITE FAST", keys=[key_range(1, "RW DELETE")], acl="@sortedset", group="sorted-set",
         since="1.2.0",
         complexity="O(M*log(N)) with N being the number of elements in the sorted set and M the number of "
                    "elements to be removed.",
         summary="Remove one or more members from a sorted set", args="key:key member:string...",
         history=(("2.4.0", "Accepts multiple elements."),))
def zrem_command(c: Client, argv: list[bytes]) -> None:
    """ZREM key member [member ...]"""
    db = c.db
    key = argv[1]
    zs = db.get_typed_write(key, RedisZSet)
    if zs is None:
        c.out.raw(_ZERO)
        return
    deleted = 0
    remove = zs.remove
    for i in range(2, len(argv)):
        if remove(argv[i]):
            deleted += 1
            if not len(zs):
                break
    if deleted:
        _after_removal(c, key, zs, b"zrem", deleted)
    c.out.integer(deleted)


def _after_removal(c: Client, key: bytes, zs: RedisZSet, event: bytes, deleted: int) -> None:
    """The removal event, then the key's deletion (and `del`) if the set emptied."""
    server = c.server
    db = c.db
    signal_write(server, db, key, event, _ZSET_EVENT, dirty=deleted)
    if not len(zs):
        db.delete(key)
        signal_write(server, db, key, b"del", _GENERIC_EVENT, dirty=0)


# ------------------------------------------------------------------------------------------------ point reads

@command("zcard", 2, "READONLY FAST", keys=[key_range(1, "RO")], acl="@sortedset", group="sorted-set",
         since="1.2.0", complexity="O(1)", summary="Get the number of members in a sorted set", args="key:key")
def zcard_command(c: Client, argv: list[bytes]) -> None:
    """ZCARD key"""
    zs = c.db.get_typed_read(argv[1], RedisZSet)
    c.out.integer(len(zs) if zs is not None else 0)


@command("zscore", 3, "READONLY FAST", keys=[key_range(1, "RO ACCESS")], acl="@sortedset",
         group="sorted-set", since="1.2.0", complexity="O(1)",
         summary="Get the score associated with the given member in a sorted set",
         args="key:key member:string")
def zscore_command(c: Client, argv: list[bytes]) -> None:
    """ZSCORE key member"""
    zs = c.db.get_typed_read(argv[1], RedisZSet)
    score = zs.score(argv[2]) if zs is not None else None
    if score is None:
        c.out.null()
    else:
        c.out.put_double(score)


@command("zmscore", -3, "READONLY FAST", keys=[key_range(1, "RO ACCESS")], acl="@sortedset",
         group="sorted-set", since="6.2.0",
         complexity="O(N) where N is the number of members being requested.",
         summary="Get the score associated with the given members in a sorted set",
         args="key:key member:string...")
def zmscore_command(c: Client, argv: list[bytes]) -> None:
    """ZMSCORE key member [member ...]"""
    zs = c.db.get_typed_read(argv[1], RedisZSet)
    out = c.out
    out.array_header(len(argv) - 2)
    for i in range(2, len(argv)):
        score = zs.score(argv[i]) if zs is not None else None
        if score is None:
            out.null()
        else:
            out.put_double(score)


def _zrank_generic(c: Client, argv: list[bytes], reverse: bool) -> None:
    zs = c.db.get_typed_read(argv[1], RedisZSet)
    rank = zs.rank(argv[2], reverse) if zs is not None else None
    if rank is None:
        c.out.null()
    else:
        c.out.integer(rank)


@command("zrank", 3, "READONLY FAST", keys=[key_range(1, "RO ACCESS")], acl="@sortedset",
         group="sorted-set", since="2.0.0", complexity="O(log(N))",
         summary="Determine the index of a member in a sorted set", args="key:key member:string")
def zrank_command(c: Client, argv: list[bytes]) -> None:
    """ZRANK key member"""
    _zrank_generic(c, argv, False)


@command("zrevrank", 3, "READONLY FAST", keys=[key_range(1, "RO ACCESS")], acl="@sortedset",
         group="sorted-set", since="2.0.0", complexity="O(log(N))",
         summary="Determine the index of a member in a sorted set, with scores ordered from high to low",
         args="key:key member:string")
def zrevrank_command(c: Client, argv: list[bytes]) -> None:
    """ZREVRANK key member"""
    _zrank_generic(c, argv, True)


_COUNT_COMPLEXITY = "O(log(N)) with N being the number of elements in the sorted set."


@command("zcount", 4, "READONLY FAST", keys=[key_range(1, "RO ACCESS")], acl="@sortedset",
         group="sorted-set", since="2.0.0", complexity=_COUNT_COMPLEXITY,
         summary="Count the members in a sorted set with scores within the given values",
         args="key:key min:double max:double")
def zcount_command(c: Client, argv: list[bytes]) -> None:
    """ZCOUNT key min max"""
    spec = parse_score_range(argv[2], argv[3])
    zs = c.db.get_typed_read(argv[1], RedisZSet)
    c.out.integer(zs.count_by_score(spec) if zs is not None else 0)


@command("zlexcount", 4, "READONLY FAST", keys=[key_range(1, "RO ACCESS")], acl="@sortedset",
         group="sorted-set", since="2.8.9", complexity=_COUNT_COMPLEXITY,
         summary="Count the number of members in a sorted set between a given lexicographical range",
         args="key:key min:string max:string")
def zlexcount_command(c: Client, argv: list[bytes]) -> None:
    """ZLEXCOUNT key min max"""
    lo, hi = parse_lex_range(argv[2], argv[3])
    zs = c.db.get_typed_read(argv[1], RedisZSet)
    c.out.integer(zs.count_by_lex(lo, hi) if zs is not None else 0)


# ------------------------------------------------------------------------------------------------ ZRANGE family

def _window(start: int, end: int, offset: int, limit: int, reverse: bool) -> tuple[int, int] | None:
    """Apply LIMIT offset count to the half-open rank interval [start, end): inclusive ranks, or None."""
    if start >= end or offset < 0:
        return None
    n = end - start - offset
    if limit >= 0:
        n = min(n, limit)
    if n <= 0:
        return None
    if reverse:
        hi = end - 1 - offset
        return hi - n + 1, hi
    return start + offset, start + offset + n - 1


def zrange_generic(c: Client, argv: list[bytes], argc_start: int, store: bool, rangetype: int,
                   direction: int) -> None:
    """zrangeGenericCommand: every Z[REV]RANGE[BYSCORE|BYLEX] form and ZRANGESTORE (store=True, dst argv[1])."""
    key = argv[argc_start]
    minidx = argc_start + 1
    maxidx = argc_start + 2
    withscores = False
    offset = 0
    limit = -1
    argc = len(argv)
    j = argc_start + 3
    while j < argc:
        opt = argv[j].lower()
        leftargs = argc - j - 1
        if not store and opt == b"withscores":
            withscores = True
        elif opt == b"limit" and leftargs >= 2:
            offset = parse_int(argv[j + 1])
            limit = parse_int(argv[j + 2])
            j += 2
        elif direction == _AUTO and opt == b"rev":
            direction = _REVERSE
        elif rangetype == _AUTO and opt == b"bylex":
            rangetype = _LEX
        elif rangetype == _AUTO and opt == b"byscore":
            rangetype = _SCORE
        else:
            raise ReplyError(errors.SYNTAX)
        j += 1
    reverse = direction == _REVERSE
    if rangetype == _AUTO:
        rangetype = _RANK
    if limit != -1 and rangetype == _RANK:
        raise ReplyError(errors.ZRANGE_LIMIT_NEEDS_BY)
    if withscores and rangetype == _LEX:
        raise ReplyError(errors.ZRANGE_BYLEX_WITHSCORES)
    if reverse and rangetype != _RANK:
        # The range is given as max min.
        minidx, maxidx = maxidx, minidx

    if rangetype == _RANK:
        rank_start = parse_int(argv[minidx])
        rank_end = parse_int(argv[maxidx])
    elif rangetype == _SCORE:
        score_spec = parse_score_range(argv[minidx], argv[maxidx])
    else:
        lex_lo, lex_hi = parse_lex_range(argv[minidx], argv[maxidx])

    zs = c.db.get_typed_read(key, RedisZSet)
    if zs is None:
        if store:
            _store_result(c, argv[1], [])
        else:
            c.out.raw(_EMPTY_ARRAY)
        return
    if rangetype == _RANK:
        window = normalise_rank_range(rank_start, rank_end, len(zs))
    else:
        if rangetype == _SCORE:
            start, end = zs.score_ranks(score_spec)
        else:
            start, end = zs.lex_ranks(lex_lo, lex_hi, reverse)
        window = _window(start, end, offset, limit, reverse)
        if window is not None and reverse:
            # score_ranks/lex_ranks count from the lowest; range_by_rank(reverse) counts from the highest.
            n = len(zs)
            window = (n - 1 - window[1], n - 1 - window[0])
    if store:
        pairs = zs.range_by_rank(window[0], window[1], reverse) if window is not None else []
        _store_result(c, argv[1], pairs)
        return
    out = c.out
    if window is None:
        out.raw(_EMPTY_ARRAY)
        return
    if not withscores:
        out.bulk_array(zs.members_by_rank(window[0], window[1], reverse))
        return
    pairs = zs.range_by_rank(window[0], window[1], reverse)
    bulk = out.bulk
    put_double = out.put_double
    if c.resp == 2:
        out.array_header(2 * len(pairs))
        for member, score in pairs:
            bulk(member)
            put_double(score)
    else:
        out.array_header(len(pairs))
        header = out.array_header
        for member, score in pairs:
            header(2)
            bulk(member)
            put_double(score)


def _store_result(c: Client, dst: bytes, pairs: list[tuple[bytes, float]]) -> None:
    """zrangeResultFinalizeStore: set dst to the result (dropping its TTL), or delete it when empty."""
    db = c.db
    server = c.server
    if pairs:
        limits = server.limits
        db.set_key(dst, RedisZSet.build(pairs, limits.zset_max_entries, limits.zset_max_value))
        signal_write(server, db, dst, b"zrangestore", _ZSET_EVENT)
        signal_key_as_ready(server, db, dst)
        c.out.integer(len(pairs))
        return
    if db.delete(dst):
        signal_write(server, db, dst, b"del", _GENERIC_EVENT)
    c.out.raw(_ZERO)


_RANGE_COMPLEXITY = ("O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
                     "elements returned.")
_RANGEBY_COMPLEXITY = ("O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
                       "elements being returned. If M is constant (e.g. always asking for the first 10 elements "
                       "with LIMIT), you can consider it O(log(N)).")


@command("zrange", -4, "READONLY", keys=[key_range(1, "RO ACCESS")], acl="@sortedset", group="sorted-set",
         since="1.2.0", complexity=_RANGE_COMPLEXITY, summary="Return a range of members in a sorted set",
         args="key:key start:string stop:string [sortby:{BYSCORE|BYLEX}]<6.2.0> [REV]<6.2.0> "
              "[offset_count:LIMIT={offset:integer count:integer}]<6.2.0> [WITHSCORES]",
         history=(("6.2.0", "Added the `REV`, `BYSCORE`, `BYLEX` and `LIMIT` options."),))
def zrange_command(c: Client, argv: list[bytes]) -> None:
    """ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]"""
    zrange_generic(c, argv, 1, False, _AUTO, _AUTO)


@command("zrangestore", -5, "WRITE DENYOOM",
         keys=[key_range(1, "OW UPDATE"), key_range(2, "RO ACCESS")], acl="@sortedset", group="sorted-set",
         since="6.2.0",
         complexity="O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
                    "elements stored into the destination key.",
         summary="Store a range of members from sorted set into another key",
         args="dst:key src:key min:string max:string [sortby:{BYSCORE|BYLEX}] [REV] "
              "[offset_count:LIMIT={offset:integer count:integer}]")
def zrangestore_command(c: Client, argv: list[bytes]) -> None:
    """ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]"""
    zrange_generic(c, argv, 2, True, _AUTO, _AUTO)


@command("zrevrange", -4, "READONLY", keys=[key_range(1, "RO ACCESS")], acl="@sortedset",
         group="sorted-set", since="1.2.0", complexity=_RANGE_COMPLEXITY,
         summary="Return a range of members in a sorted set, by index, with scores ordered from high to low",
         args="key:key start:integer stop:integer [WITHSCORES]",
         doc_flags=("deprecated",), deprecated_since="6.2.0", replaced_by="`ZRANGE` with the `REV` argument")
def zrevrange_command(c: Client, argv: list[bytes]) -> None:
    """ZREVRANGE key start stop [WITHSCORES]"""
    zrange_generic(c, argv, 1, False, _RANK, _REVERSE)


@command("zrangebyscore", -4, "READONLY", keys=[key_range(1, "RO ACCESS")], acl="@sortedset",
         group="sorted-set", since="1.0.5", complexity=_RANGEBY_COMPLEXITY,
         summary="Return a range of members in a sorted set, by score",
         args="key:key min:double max:double [WITHSCORES]<2.0.0> "
              "[offset_count:LIMIT={offset:integer count:integer}]",
         doc_flags=("deprecated",), deprecated_since="6.2.0",
         replaced_by="`ZRANGE` with the `BYSCORE` argument",
         history=(("2.0.0", "Added the `WITHSCORES` modifier."),))
def zrangebyscore_command(c: Client, argv: list[bytes]) -> None:
    """ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]"""
    zrange_generic(c, argv, 1, False, _SCORE, _FORWARD)


@command("zrevrangebyscore", -4, "READONLY", keys=[key_range(1, "RO ACCESS")], acl="@sortedset",
         group="sorted-set", since="2.2.0", complexity=_RANGEBY_COMPLEXITY,
         summary="Return a range of members in a sorted set, by score, with scores ordered from high to low",
         args="key:key max:double min:double [WITHSCORES] [offset_count:LIMIT={offset:integer count:integer}]",
         doc_flags=("deprecated",), deprecated_since="6.2.0",
         replaced_by="`ZRANGE` with the `REV` and `BYSCORE` arguments",
         history=(("2.1.6", "`min` and `max` can be exclusive."),))
def zrevrangebyscore_command(c: Client, argv: list[bytes]) -> None:
    """ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]"""
    zrange_generic(c, argv, 1, False, _SCORE, _REVERSE)


@command("zrangebylex", -4, "READONLY", keys=[key_range(1, "RO ACCESS")], acl="@sortedset",
         group="sorted-set", since="2.8.9", complexity=_RANGEBY_COMPLEXITY,
         summary="Return a range of members in a sorted set, by lexicographical range",
         args="key:key min:string max:string [offset_count:LIMIT={offset:integer count:integer}]",
         doc_flags=("deprecated",), deprecated_since="6.2.0", replaced_by="`ZRANGE` with the `BYLEX` argument")
def zrangebylex_command(c: Client, argv: list[bytes]) -> None:
    """ZRANGEBYLEX key min max [LIMIT offset count]"""
    zrange_generic(c, argv, 1, False, _LEX, _FORWARD)


@command("zrevrangebylex", -4, "READONLY", keys=[key_range(1, "RO ACCESS")], acl="@sortedset",
         group="sorted-set", since="2.8.9", complexity=_RANGEBY_COMPLEXITY,
         summary="Return a range of members in a sorted set, by lexicographical range, ordered from higher to "
                 "lower strings.",
         args="key:key max:string min:string [offset_count:LIMIT={offset:integer count:integer}]",
         doc_flags=("deprecated",), deprecated_since="6.2.0",
         replaced_by="`ZRANGE` with the `REV` and `BYLEX` arguments")
def zrevrangebylex_command(c: Client, argv: list[bytes]) -> None:
    """ZREVRANGEBYLEX key max min [LIMIT offset count]"""
    zrange_generic(c, argv, 1, False, _LEX, _REVERSE)


# ------------------------------------------------------------------------------------------------ ZREMRANGEBY*

def _zremrange_generic(c: Client, argv: list[bytes], rangetype: int) -> None:
    """zremrangeGenericCommand: parse the range, then remove it in one O(log n + m) cut."""
    if rangetype == _RANK:
        rank_start = parse_int(argv[2])
        rank_end = parse_int(argv[3])
        event = b"zremrangebyrank"
    elif rangetype == _SCORE:
        score_spec = parse_score_range(argv[2], argv[3])
        event = b"zremrangebyscore"
    else:
        lex_lo, lex_hi = parse_lex_range(argv[2], argv[3])
        event = b"zremrangebylex"
    key = argv[1]
    zs = c.db.get_typed_write(key, RedisZSet)
    if zs is None:
        c.out.raw(_ZERO)
        return
    if rangetype == _RANK:
        window = normalise_rank_range(rank_start, rank_end, len(zs))
    else:
        start, end = zs.score_ranks(score_spec) if rangetype == _SCORE else zs.lex_ranks(lex_lo, lex_hi)
        window = (start, end - 1) if start < end else None
    if window is None:
        c.out.raw(_ZERO)
        return
    deleted = len(zs.remove_range_by_rank(window[0], window[1]))
    _after_removal(c, key, zs, event, deleted)
    c.out.integer(deleted)


_REMRANGE_COMPLEXITY = ("O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
                        "elements removed by the operation.")


@command("zremrangebyrank", 4, "WRITE", keys=[key_range(1, "RW DELETE")], acl="@sortedset",
         group="sorted-set", since="2.0.0", complexity=_REMRANGE_COMPLEXITY,
         summary="Remove all members in a sorted set within the given indexes",
         args="key:key start:integer stop:integer")
def zremrangebyrank_command(c: Client, argv: list[bytes]) -> None:
    """ZREMRANGEBYRANK key start stop"""
    _zremrange_generic(c, argv, _RANK)


@command("zremrangebyscore", 4, "WRITE", keys=[key_range(1, "RW DELETE")], acl="@sortedset",
         group="sorted-set", since="1.2.0", complexity=_REMRANGE_COMPLEXITY,
         summary="Remove all members in a sorted set within the given scores",
         args="key:key min:double max:double")
def zremrangebyscore_command(c: Client, argv: list[bytes]) -> None:
    """ZREMRANGEBYSCORE key min max"""
    _zremrange_generic(c, argv, _SCORE)


@command("zremrangebylex", 4, "WRITE", keys=[key_range(1, "RW DELETE")], acl="@sortedset",
         group="sorted-set", since="2.8.9", complexity=_REMRANGE_COMPLEXITY,
         summary="Remove all members in a sorted set between the given lexicographical range",
         args="key:key min:string max:string")
def zremrangebylex_command(c: Client, argv: list[bytes]) -> None:
    """ZREMRANGEBYLEX key min max"""
    _zremrange_generic(c, argv, _LEX)
