"""SORT and SORT_RO (Redis group "generic"): sort a list, set or sorted set by its elements or by external
keys (BY pattern), fetch related values (GET pattern), page (LIMIT) and optionally STORE the result as a list.

Follows sort.c of Redis 7.0: numeric sorting parses each weight with C strtod (ties broken by the element
bytes, so the order is total), ALPHA compares bytes, a BY pattern without '*' skips sorting, and a set sorted
that way for STORE (or from a script) is sorted ALPHA so the stored result is deterministic.
"""
from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING

from .. import errors
from ..datatypes.hashes import Hash
from ..datatypes.lists import RedisList
from ..datatypes.sets import RedisSet
from ..datatypes.zsets import RedisZSet
from ..errors import ReplyError
from ..keyspace.notify import Event, signal_write
from ..server.blocking import signal_key_as_ready
from ..server.client import ClientFlag
from .args import parse_int
from .table import KeyFlag, command, key_range, key_unknown
from .zset_args import strtod

if TYPE_CHECKING:
    from .._speedups.keyspace import Db
    from ..server.client import Client

_SCORES_NOT_DOUBLE = b"ERR One or more scores can't be converted into double"
_BY_GET_NOTES = ("For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from "
                 "the content of the key we sort")
_STORE_NOTES = ("For the optional STORE keyword. It is marked 'unknown' because the keyword can appear "
                "anywhere in the argument array")
_SORTED_KEY_FLAGS = KeyFlag.RO | KeyFlag.ACCESS
_STORE_KEY_FLAGS = KeyFlag.OW | KeyFlag.UPDATE
_SCRIPT_FLAG = ClientFlag.SCRIPT


def sort_get_keys(argv: list[bytes]) -> list[tuple[int, int]]:
    """sortGetKeys: the sorted key, plus the destination of the last STORE (options' arguments skipped)."""
    keys = [(1, _SORTED_KEY_FLAGS)]
    store = -1
    i = 2
    n = len(argv)
    while i < n:
        opt = argv[i].lower()
        if opt == b"limit":
            i += 2
        elif opt in (b"get", b"by"):
            i += 1
        elif opt == b"store" and i + 1 < n:
            store = i + 1
        i += 1
    if store > 0:
        keys.append((store, _STORE_KEY_FLAGS))
    return keys


def sort_ro_get_keys(argv: list[bytes]) -> list[tuple[int, int]]:
    return [(1, _SORTED_KEY_FLAGS)]


def lookup_by_pattern(db: Db, pattern: bytes, subst: bytes) -> bytes | None:
    """lookupKeyByPattern: the first '*' replaced by the element; "key->field" reads a hash field; "#" is the
    element itself. Only string values (or hash fields) answer; anything else is missing."""
    if pattern == b"#":
        return subst
    # C string functions stop at the first NUL byte of the pattern.
    text = pattern.split(b"\0", 1)[0]
    star = text.find(b"*")
    if star < 0:
        return None
    arrow = text.find(b"->", star + 1)
    field: bytes | None = None
    end = len(pattern)
    if arrow >= 0 and arrow + 2 < len(text):
        field = pattern[arrow + 2:]
        end = arrow
    key = pattern[:star] + subst + pattern[star + 1:end]
    value = db.lookup_read(key)
    if value is None:
        return None
    if field is not None:
        if type(value) is not Hash:
            return None
        found: bytes | None = value.get(field)
        return found
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return None


class _Options:
    __slots__ = ("desc", "alpha", "limit_start", "limit_count", "store", "by", "gets", "dontsort")

    def __init__(self) -> None:
        self.desc = False
        self.alpha = False
        self.limit_start = 0
        self.limit_count = -1
        self.store: bytes | None = None
        self.by: bytes | None = None
        self.gets: list[bytes] = []
        self.dontsort = False


def _parse_options(argv: list[bytes], readonly: bool) -> _Options:
    opts = _Options()
    n = len(argv)
    j = 2
    while j < n:
        left = n - j - 1
        opt = argv[j].lower()
        if opt == b"asc":
            opts.desc = False
        elif opt == b"desc":
            opts.desc = True
        elif opt == b"alpha":
            opts.alpha = True
        elif opt == b"limit" and left >= 2:
            opts.limit_start = parse_int(argv[j + 1])
            opts.limit_count = parse_int(argv[j + 2])
            j += 2
        elif not readonly and opt == b"store" and left >= 1:
            opts.store = argv[j + 1]
            j += 1
        elif opt == b"by" and left >= 1:
            opts.by = argv[j + 1]
            # A constant BY pattern: nothing to look up, nothing to sort.
            if b"*" not in argv[j + 1].split(b"\0", 1)[0]:
                opts.dontsort = True
            j += 1
        elif opt == b"get" and left >= 1:
            opts.gets.append(argv[j + 1])
            j += 1
        else:
            raise ReplyError(errors.SYNTAX)
        j += 1
    return opts


def _elements(value: RedisList | RedisSet | RedisZSet, opts: _Options, start: int, end: int
              ) -> tuple[list[bytes], int, int]:
    """The vector to sort (or, when nothing is sorted, already the output range) with start/end for it."""
    if opts.dontsort and isinstance(value, RedisList):
        if end < start:
            return [], 0, -1
        source = reversed(value) if opts.desc else iter(value)
        return list(islice(source, start, end + 1)), 0, end - start
    if isinstance(value, RedisList):
        return list(value), start, end
    if isinstance(value, RedisSet):
        return value.members(), start, end
    if opts.dontsort:
        if end < start:
            return [], 0, -1
        return value.members_by_rank(start, end, opts.desc), 0, end - start
    return [member for member, _ in value.items()], start, end


def _sorted(db: Db, vector: list[bytes], opts: _Options) -> list[bytes]:
    """qsort with sortCompare; raises the scores error when a numeric weight does not parse."""
    by = opts.by
    if opts.alpha:
        if by is None:
            return sorted(vector, reverse=opts.desc)
        # Elements whose BY key is missing compare lowest; equal weights keep their order (qsort: unspecified).
        weights = {}
        for element in vector:
            weights[element] = lookup_by_pattern(db, by, element)
        return sorted(vector, key=lambda e: (0, b"") if weights[e] is None else (1, weights[e]),
                      reverse=opts.desc)
    scores: dict[bytes, float] = {}
    failed = False
    for element in vector:
        weight = element if by is None else lookup_by_pattern(db, by, element)
        if weight is None:
            scores[element] = 0.0
            continue
        scores[element] = _weight(weight)
        if scores[element] != scores[element]:
            failed = True
    if failed:
        raise ReplyError(_SCORES_NOT_DOUBLE)
    return sorted(vector, key=lambda e: (scores[e], e), reverse=opts.desc)


def _weight(raw: bytes) -> float:
    """strtod over the whole weight: an empty string is 0; junk, NaN or ERANGE give NaN (the caller's error)."""
    text = raw.split(b"\0", 1)[0]
    if not text:
        return 0.0
    parsed = strtod(text)
    if parsed is None or parsed[1]:
        return float("nan")
    return parsed[0]


def sort_generic(c: Client, argv: list[bytes], readonly: bool) -> None:
    """sortCommandGeneric: SORT (readonly=False) and SORT_RO."""
    opts = _parse_options(argv, readonly)
    db = c.db
    value = db.lookup_read(argv[1])
    if value is None:
        value = RedisList()
    elif not isinstance(value, (RedisList, RedisSet, RedisZSet)):
        raise ReplyError(errors.WRONGTYPE)
    if opts.dontsort and isinstance(value, RedisSet) and (opts.store is not None or c.flags & _SCRIPT_FLAG):
        # A set has no order of its own: sort it so replicas and scripts see the same result.
        opts.dontsort = False
        opts.alpha = True
        opts.by = None
    if isinstance(value, RedisZSet):
        value.listpack = False     # zsetConvert(SKIPLIST): SORT converts a listpack zset for good
    n = len(value)
    start = max(opts.limit_start, 0)
    end = n - 1 if opts.limit_count < 0 else start + opts.limit_count - 1
    if start >= n:
        start = n - 1
        end = n - 2
    if end >= n:
        end = n - 1
    vector, start, end = _elements(value, opts, start, end)
    if not opts.dontsort:
        vector = _sorted(db, vector, opts)
    chosen = vector[start:end + 1] if end >= start else []
    if opts.store is None:
        _reply(c, db, chosen, opts.gets)
    else:
        _store(c, db, opts.store, chosen, opts.gets)


def _reply(c: Client, db: Db, chosen: list[bytes], gets: list[bytes]) -> None:
    out = c.out
    if not gets:
        out.bulk_array(chosen)
        return
    out.array_header(len(chosen) * len(gets))
    for element in chosen:
        for pattern in gets:
            out.bulk_or_null(lookup_by_pattern(db, pattern, element))


def _store(c: Client, db: Db, dst: bytes, chosen: list[bytes], gets: list[bytes]) -> None:
    if gets:
        result = RedisList(lookup_by_pattern(db, pattern, element) or b"" for element in chosen for pattern in gets)
    else:
        result = RedisList(chosen)
    server = c.server
    if result:
        db.set_key(dst, result)
        signal_key_as_ready(server, db, dst)
        signal_write(server, db, dst, b"sortstore", Event.LIST, dirty=len(result))
    elif db.delete(dst):
        signal_write(server, db, dst, b"del", Event.GENERIC)
    c.out.integer(len(result))


_SORT_ARGS = ("key:key [BY pattern:pattern@1] [offset_count:LIMIT={offset:integer count:integer}] "
              "[GET pattern:pattern@1]... [order:{ASC|DESC}] [sorting:ALPHA] [STORE destination:key@2]")
_SORT_COMPLEXITY = ("O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the "
                    "number of returned elements. When the elements are not sorted, complexity is O(N).")


@command("sort", -2, "WRITE DENYOOM",
         keys=[key_range(1, "RO ACCESS"), key_unknown("RO ACCESS", notes=_BY_GET_NOTES),
               key_unknown("OW UPDATE", notes=_STORE_NOTES)],
         get_keys_fn=sort_get_keys, acl="@set @sortedset @list @dangerous", group="generic", since="1.0.0",
         complexity=_SORT_COMPLEXITY, summary="Sort the elements in a list, set or sorted set", args=_SORT_ARGS)
def sort_command(c: Client, argv: list[bytes]) -> None:
    """SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE destination]"""
    sort_generic(c, argv, False)


@command("sort_ro", -2, "READONLY",
         keys=[key_range(1, "RO ACCESS"), key_unknown("RO ACCESS", notes=_BY_GET_NOTES)],
         get_keys_fn=sort_ro_get_keys, acl="@set @sortedset @list @dangerous", group="generic", since="7.0.0",
         complexity=_SORT_COMPLEXITY, summary="Sort the elements in a list, set or sorted set. Read-only variant "
                                              "of SORT.",
         args="key:key [BY pattern:pattern@1] [offset_count:LIMIT={offset:integer count:integer}] "
              "[GET pattern:pattern@1]... [order:{ASC|DESC}] [sorting:ALPHA]")
def sort_ro_command(c: Client, argv: list[bytes]) -> None:
    """SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]"""
    sort_generic(c, argv, True)
