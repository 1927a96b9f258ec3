"""List commands (Redis group "list"): argument parsing and replies over RedisList, blocking ones included.

Every list a command creates goes through _create_list, which signals the key as ready for clients blocked
in BLPOP & co. (server/blocking.py), as Redis does in dbAdd.
"""
from __future__ import annotations

from collections.abc import Callable
from itertools import islice
from typing import TYPE_CHECKING

from .. import errors
from ..datatypes.lists import RedisList
from ..errors import ReplyError
from ..keyspace.notify import Event, signal_write
from ..replication import propagate
from ..server.blocking import registry as blocking_registry
from ..server.blocking import signal_key_as_ready
from ..server.client import ClientFlag
from .args import LLONG_MIN, parse_int, parse_mpop_args, parse_timeout_seconds
from .table import command, key_num, key_range

if TYPE_CHECKING:
    from .._speedups.keyspace import Db
    from ..server.client import Client

_LIST_EVENT = Event.LIST
_GENERIC_EVENT = Event.GENERIC
_OK = b"+OK\r\n"
_ZERO = b":0\r\n"
_MINUS_ONE = b":-1\r\n"
_EMPTY_ARRAY = b"*0\r\n"

_PUSH_COMPLEXITY = ("O(1) for each element added, so O(N) to add N elements when the command is called with "
                    "multiple arguments.")


_LIST_ENDS = {b"LEFT": True, b"RIGHT": False}


def _direction(raw: bytes) -> bool:
    """LEFT → True, RIGHT → False (getListPositionFromObjectOrReply); anything else is a syntax error."""
    left = _LIST_ENDS.get(raw.upper())
    if left is None:
        raise ReplyError(errors.SYNTAX)
    return left


def _create_list(c: Client, db: Db, key: bytes) -> RedisList:
    """Add an empty list under `key` (absent). The one place lists are born.

    A blocking mechanism hooks in here: Redis's dbAdd calls signalKeyAsReady for a new list, which is what
    wakes clients blocked in BLPOP/BRPOP/BLMOVE/BLMPOP on `key` (they only ever wait on absent keys).
    """
    lst = RedisList()
    db.add(key, lst)
    signal_key_as_ready(c.server, db, key)
    return lst


def _push(lst: RedisList, elements: list[bytes], left: bool) -> None:
    if left:
        lst.extendleft(elements)
    else:
        lst.extend(elements)


def _pop_done(c: Client, db: Db, key: bytes, lst: RedisList, event: bytes, dirty: int = 1) -> None:
    """After removing elements: the pop/rem/trim event, then the key's deletion if the list emptied.
    `dirty` is what Redis adds to the change counter: the number of elements removed, for most callers."""
    server = c.server
    signal_write(server, db, key, event, _LIST_EVENT, dirty=dirty)
    if not lst:
        db.delete(key)
        signal_write(server, db, key, b"del", _GENERIC_EVENT, dirty=0)


def _range(n: int, start: int, stop: int) -> tuple[int, int]:
    """Redis's start/stop normalisation (negative from the end, clamped); (0, -1) when empty."""
    if start < 0:
        start += n
    if stop < 0:
        stop += n
    if start < 0:
        start = 0
    if start > stop or start >= n:
        return 0, -1
    if stop >= n:
        stop = n - 1
    return start, stop


def _slice(lst: RedisList, start: int, stop: int) -> list[bytes]:
    """lst[start:stop+1] walking from the nearer end (cheap near the tail as well as near the head)."""
    n = len(lst)
    if start <= n - 1 - stop:
        return list(islice(lst, start, stop + 1))
    out = list(islice(reversed(lst), n - 1 - stop, n - start))
    out.reverse()
    return out


# ------------------------------------------------------------------------------------------------ pushes


def push_generic(c: Client, argv: list[bytes], left: bool, create: bool) -> None:
    """pushGenericCommand: LPUSH/RPUSH (create) and LPUSHX/RPUSHX (only onto an existing list)."""
    key = argv[1]
    db = c.db
    lst = db.get_typed_write(key, RedisList)
    if lst is None:
        if not create:
            c.out.raw(_ZERO)
            return
        lst = _create_list(c, db, key)
    if len(argv) == 3:
        if left:
            lst.appendleft(argv[2])
        else:
            lst.append(argv[2])
    else:
        _push(lst, argv[2:], left)
    signal_write(c.server, db, key, b"lpush" if left else b"rpush", _LIST_EVENT, dirty=len(argv) - 2)
    c.out.integer(len(lst))


@command("lpush", -3, "WRITE DENYOOM FAST", keys=[key_range(1, "RW INSERT")], acl="@list", group="list",
         since="1.0.0", complexity=_PUSH_COMPLEXITY, summary="Prepend one or multiple elements to a list",
         args="key:key element:string...", history=(("2.4.0", "Accepts multiple `element` arguments."),))
def lpush_command(c: Client, argv: list[bytes]) -> None:
    """LPUSH key element [element ...]"""
    push_generic(c, argv, True, True)


@command("rpush", -3, "WRITE DENYOOM FAST", keys=[key_range(1, "RW INSERT")], acl="@list", group="list",
         since="1.0.0", complexity=_PUSH_COMPLEXITY, summary="Append one or multiple elements to a list",
         args="key:key element:string...", history=(("2.4.0", "Accepts multiple `element` arguments."),))
def rpush_command(c: Client, argv: list[bytes]) -> None:
    """RPUSH key element [element ...]"""
    push_generic(c, argv, False, True)


@command("lpushx", -3, "WRITE DENYOOM FAST", keys=[key_range(1, "RW INSERT")], acl="@list", group="list",
         since="2.2.0", complexity=_PUSH_COMPLEXITY,
         summary="Prepend an element to a list, only if the list exists",
         args="key:key element:string...", history=(("4.0.0", "Accepts multiple `element` arguments."),))
def lpushx_command(c: Client, argv: list[bytes]) -> None:
    """LPUSHX key element [element ...]"""
    push_generic(c, argv, True, False)


@command("rpushx", -3, "WRITE DENYOOM FAST", keys=[key_range(1, "RW INSERT")], acl="@list", group="list",
         since="2.2.0", complexity=_PUSH_COMPLEXITY,
         summary="Append an element to a list, only if the list exists",
         args="key:key element:string...", history=(("4.0.0", "Accepts multiple `element` arguments."),))
def rpushx_command(c: Client, argv: list[bytes]) -> None:
    """RPUSHX key element [element ...]"""
    push_generic(c, argv, False, False)


# -------------------------------------------------------------------------------------------------- pops


def _pop_count(lst: RedisList, count: int, left: bool) -> list[bytes]:
    if count >= len(lst):
        out = list(lst) if left else list(reversed(lst))
        lst.clear()
        return out
    pop = lst.popleft if left else lst.pop
    return [pop() for _ in range(count)]


def pop_generic(c: Client, argv: list[bytes], left: bool) -> None:
    """popGenericCommand: LPOP/RPOP key [count]."""
    if len(argv) > 3:
        raise ReplyError(errors.wrong_arity("lpop" if left else "rpop"))
    key = argv[1]
    db = c.db
    if len(argv) == 2:
        lst = db.get_typed_write(key, RedisList)
        if lst is None:
            c.out.null()
            return
        c.out.bulk(lst.popleft() if left else lst.pop())
    else:
        count = parse_int(argv[2], errors.MUST_BE_POSITIVE)
        if count < 0:
            raise ReplyError(errors.MUST_BE_POSITIVE)
        lst = db.get_typed_write(key, RedisList)
        if lst is None:
            c.out.null_array()
            return
        if not count:
            c.out.raw(_EMPTY_ARRAY)
            return
        popped = _pop_count(lst, count, left)
        c.out.bulk_array(popped)
        _pop_done(c, db, key, lst, b"lpop" if left else b"rpop", dirty=len(popped))
        return
    _pop_done(c, db, key, lst, b"lpop" if left else b"rpop")


@command("lpop", -2, "WRITE FAST", keys=[key_range(1, "RW ACCESS DELETE")], acl="@list", group="list",
         since="1.0.0", complexity="O(N) where N is the number of elements returned",
         summary="Remove and get the first elements in a list", args="key:key [count:integer]<6.2.0>",
         history=(("6.2.0", "Added the `count` argument."),))
def lpop_command(c: Client, argv: list[bytes]) -> None:
    """LPOP key [count]"""
    pop_generic(c, argv, True)


@command("rpop", -2, "WRITE FAST", keys=[key_range(1, "RW ACCESS DELETE")], acl="@list", group="list",
         since="1.0.0", complexity="O(N) where N is the number of elements returned",
         summary="Remove and get the last elements in a list", args="key:key [count:integer]<6.2.0>",
         history=(("6.2.0", "Added the `count` argument."),))
def rpop_command(c: Client, argv: list[bytes]) -> None:
    """RPOP key [count]"""
    pop_generic(c, argv, False)


# ---------------------------------------------------------------------------------------------- reading


@command("llen", 2, "READONLY FAST", keys=[key_range(1, "RO")], acl="@list", group="list", since="1.0.0",
         complexity="O(1)", summary="Get the length of a list", args="key:key")
def llen_command(c: Client, argv: list[bytes]) -> None:
    """LLEN key"""
    lst = c.db.get_typed_read(argv[1], RedisList)
    c.out.integer(0 if lst is None else len(lst))


@command("lrange", 4, "READONLY", keys=[key_range(1, "RO ACCESS")], acl="@list", group="list",
         since="1.0.0",
         complexity="O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest "
                    "end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
         summary="Get a range of elements from a list", args="key:key start:integer stop:integer")
def lrange_command(c: Client, argv: list[bytes]) -> None:
    """LRANGE key start stop"""
    start = parse_int(argv[2])
    stop = parse_int(argv[3])
    lst = c.db.get_typed_read(argv[1], RedisList)
    if lst is None:
        c.out.raw(_EMPTY_ARRAY)
        return
    start, stop = _range(len(lst), start, stop)
    if stop < 0:
        c.out.raw(_EMPTY_ARRAY)
        return
    c.out.bulk_array(_slice(lst, start, stop))


@command("lindex", 3, "READONLY", keys=[key_range(1, "RO ACCESS")], acl="@list", group="list",
         since="1.0.0",
         complexity="O(N) where N is the number of elements to traverse to get to the element at index. This "
                    "makes asking for the first or the last element of the list O(1).",
         summary="Get an element from a list by its index", args="key:key index:integer")
def lindex_command(c: Client, argv: list[bytes]) -> None:
    """LINDEX key index"""
    lst = c.db.get_typed_read(argv[1], RedisList)
    if lst is None:   # lindexCommand looks the key up (and type-checks it) before parsing the index
        c.out.null()
        return
    index = parse_int(argv[2])
    n = len(lst)
    if index < 0:
        index += n
    if 0 <= index < n:
        c.out.bulk(lst[index])   # deque indexing walks from the nearer end
    else:
        c.out.null()


_LPOS_COMPLEXITY = ("O(N) where N is the number of elements in the list, for the average case. When searching "
                    "for elements near the head or the tail of the list, or when the MAXLEN option is "
                    "provided, the command may run in constant time.")


@command("lpos", -3, "READONLY", keys=[key_range(1, "RO ACCESS")], acl="@list", group="list", since="6.0.6",
         complexity=_LPOS_COMPLEXITY, summary="Return the index of matching elements on a list",
         args="key:key element:string [rank:RANK=integer] [num-matches:COUNT=integer] [len:MAXLEN=integer]")
def lpos_command(c: Client, argv: list[bytes]) -> None:
    """LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]"""
    rank = 1
    count = -1
    maxlen = 0
    n_args = len(argv)
    j = 3
    while j < n_args:
        opt = argv[j].upper()
        if j + 1 >= n_args:
            raise ReplyError(errors.SYNTAX)
        j += 1
        if opt == b"RANK":
            rank = parse_int(argv[j])
            if rank == 0:
                raise ReplyError(errors.LPOS_RANK_ZERO)
        elif opt == b"COUNT":
            count = parse_int(argv[j], errors.LPOS_COUNT_NEGATIVE)
            if count < 0:
                raise ReplyError(errors.LPOS_COUNT_NEGATIVE)
        elif opt == b"MAXLEN":
            maxlen = parse_int(argv[j], errors.LPOS_MAXLEN_NEGATIVE)
            if maxlen < 0:
                raise ReplyError(errors.LPOS_MAXLEN_NEGATIVE)
        else:
            raise ReplyError(errors.SYNTAX)
        j += 1
    lst = c.db.get_typed_read(argv[1], RedisList)
    if lst is None:
        if count >= 0:
            c.out.raw(_EMPTY_ARRAY)
        else:
            c.out.null()
        return
    element = argv[2]
    n = len(lst)
    want = count if count > 0 else (1 if count < 0 else n)
    matches: list[int] = []
    # Redis negates a negative rank in a C long: LONG_MIN stays negative and so matches at once.
    skip = 0 if rank == LLONG_MIN else abs(rank) - 1
    items = iter(lst) if rank > 0 else reversed(lst)
    if maxlen:
        items = islice(items, maxlen)
    for i, item in enumerate(items):
        if item == element:
            if skip:
                skip -= 1
                continue
            matches.append(i if rank > 0 else n - 1 - i)
            if len(matches) >= want:
                break
    if count >= 0:
        out = c.out
        out.array_header(len(matches))
        for index in matches:
            out.integer(index)
    elif matches:
        c.out.integer(matches[0])
    else:
        c.out.null()


# ------------------------------------------------------------------------------------------------ writes


@command("lset", 4, "WRITE DENYOOM", keys=[key_range(1, "RW UPDATE")], acl="@list", group="list",
         since="1.0.0",
         complexity="O(N) where N is the length of the list. Setting either the first or the last element of "
                    "the list is O(1).",
         summary="Set the value of an element in a list by its index", args="key:key index:integer element:string")
def lset_command(c: Client, argv: list[bytes]) -> None:
    """LSET key index element"""
    db = c.db
    lst = db.get_typed_write(argv[1], RedisList)
    if lst is None:
        raise ReplyError(errors.NO_SUCH_KEY)
    index = parse_int(argv[2])   # after the lookup: Redis answers "no such key" first
    n = len(lst)
    if index < 0:
        index += n
    if not 0 <= index < n:
        raise ReplyError(errors.OUT_OF_RANGE)
    lst[index] = argv[3]
    signal_write(c.server, db, argv[1], b"lset", _LIST_EVENT)
    c.out.raw(_OK)


@command("linsert", 5, "WRITE DENYOOM", keys=[key_range(1, "RW INSERT")], acl="@list", group="list",
         since="2.2.0",
         complexity="O(N) where N is the number of elements to traverse before seeing the value pivot. This "
                    "means that inserting somewhere on the left end on the list (head) can be considered O(1) "
                    "and inserting somewhere on the right end (tail) is O(N).",
         summary="Insert an element before or after another element in a list",
         args="key:key where:{BEFORE|AFTER} pivot:string element:string")
def linsert_command(c: Client, argv: list[bytes]) -> None:
    """LINSERT key BEFORE|AFTER pivot element"""
    where = argv[2].upper()
    if where == b"AFTER":
        after = True
    elif where == b"BEFORE":
        after = False
    else:
        raise ReplyError(errors.SYNTAX)
    db = c.db
    lst = db.get_typed_write(argv[1], RedisList)
    if lst is None:
        c.out.raw(_ZERO)
        return
    try:
        index = lst.index(argv[3])
    except ValueError:
        c.out.raw(_MINUS_ONE)
        return
    lst.insert(index + 1 if after else index, argv[4])
    signal_write(c.server, db, argv[1], b"linsert", _LIST_EVENT)
    c.out.integer(len(lst))


@command("lrem", 4, "WRITE", keys=[key_range(1, "RW DELETE")], acl="@list", group="list", since="1.0.0",
         complexity="O(N+M) where N is the length of the list and M is the number of elements removed.",
         summary="Remove elements from a list", args="key:key count:integer element:string")
def lrem_command(c: Client, argv: list[bytes]) -> None:
    """LREM key count element"""
    count = parse_int(argv[2])
    key = argv[1]
    db = c.db
    lst = db.get_typed_write(key, RedisList)
    if lst is None:
        c.out.raw(_ZERO)
        return
    element = argv[3]
    if count == 0:
        kept = [item for item in lst if item != element]
        removed = len(lst) - len(kept)
    else:
        limit = abs(count)
        removed = 0
        kept = []
        for item in (lst if count > 0 else reversed(lst)):
            if removed < limit and item == element:
                removed += 1
            else:
                kept.append(item)
        if count < 0:
            kept.reverse()
    if removed:
        lst.clear()
        lst.extend(kept)
        _pop_done(c, db, key, lst, b"lrem", dirty=removed)
    c.out.integer(removed)


@command("ltrim", 4, "WRITE", keys=[key_range(1, "RW DELETE")], acl="@list", group="list", since="1.0.0",
         complexity="O(N) where N is the number of elements to be removed by the operation.",
         summary="Trim a list to the specified range", args="key:key start:integer stop:integer")
def ltrim_command(c: Client, argv: list[bytes]) -> None:
    """LTRIM key start stop"""
    start = parse_int(argv[2])
    stop = parse_int(argv[3])
    key = argv[1]
    db = c.db
    lst = db.get_typed_write(key, RedisList)
    if lst is None:
        c.out.raw(_OK)
        return
    n = len(lst)
    start, stop = _range(n, start, stop)
    if stop < 0:
        lst.clear()
    else:
        # Drop from whichever end is shorter work: the deque pops are O(1) each.
        for _ in range(n - 1 - stop):
            lst.pop()
        for _ in range(start):
            lst.popleft()
    _pop_done(c, db, key, lst, b"ltrim", dirty=n - len(lst))
    c.out.raw(_OK)


# ------------------------------------------------------------------------------------------ moving around


def lmove_generic(c: Client, source: bytes, destination: bytes, src_left: bool, dst_left: bool,
                  dirty: int = 1) -> None:
    """lmoveGenericCommand: pop from source, push onto destination (created if absent), reply the element."""
    db = c.db
    src = db.get_typed_write(source, RedisList)
    if src is None:
        c.out.null()
        return
    # The destination's type is checked before anything moves (WRONGTYPE leaves source untouched).
    dst = src if destination == source else db.get_typed_write(destination, RedisList)
    element = src.popleft() if src_left else src.pop()
    if dst is None:
        dst = _create_list(c, db, destination)
    if dst_left:
        dst.appendleft(element)
    else:
        dst.append(element)
    server = c.server
    # One change in all, as Redis counts a move (the pop below counts it).
    signal_write(server, db, destination, b"lpush" if dst_left else b"rpush", _LIST_EVENT, dirty=0)
    c.out.bulk(element)
    _pop_done(c, db, source, src, b"lpop" if src_left else b"rpop", dirty=dirty)


@command("lmove", 5, "WRITE DENYOOM", keys=[key_range(1, "RW ACCESS DELETE"), key_range(2, "RW INSERT")],
         acl="@list", group="list", since="6.2.0", complexity="O(1)",
         summary="Pop an element from a list, push it to another list and return it",
         args="source:key destination:key wherefrom:{LEFT|RIGHT} whereto:{LEFT|RIGHT}")
def lmove_command(c: Client, argv: list[bytes]) -> None:
    """LMOVE source destination LEFT|RIGHT LEFT|RIGHT"""
    src_left = _direction(argv[3])
    dst_left = _direction(argv[4])
    lmove_generic(c, argv[1], argv[2], src_left, dst_left)


@command("rpoplpush", 3, "WRITE DENYOOM", keys=[key_range(1, "RW ACCESS DELETE"), key_range(2, "RW INSERT")],
         acl="@list", group="list", since="1.2.0", complexity="O(1)",
         summary="Remove the last element in a list, prepend it to another list and return it",
         args="source:key destination:key", doc_flags=("deprecated",), deprecated_since="6.2.0",
         replaced_by="`LMOVE` with the `RIGHT` and `LEFT` arguments")
def rpoplpush_command(c: Client, argv: list[bytes]) -> None:
    """RPOPLPUSH source destination"""
    lmove_generic(c, argv[1], argv[2], False, True)


@command("lmpop", -4, "WRITE", keys=[key_num(1, 0, 1, "RW ACCESS DELETE")], acl="@list", group="list",
         since="7.0.0",
         complexity="O(N+M) where N is the number of provided keys and M is the number of elements returned.",
         summary="Pop elements from a list",
         args="numkeys:integer key:key... where:{LEFT|RIGHT} [count:COUNT=integer]")
def lmpop_command(c: Client, argv: list[bytes]) -> None:
    """LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]"""
    keys, left, count = _mpop_args(argv, 1)
    db = c.db
    for key in keys:
        lst = db.get_typed_write(key, RedisList)
        if lst is None or not lst:
            continue
        out = c.out
        out.array_header(2)
        out.bulk(key)
        popped = _pop_count(lst, count, left)
        out.bulk_array(popped)
        propagate.rewrite(c, [b"LPOP" if left else b"RPOP", key, b"%d" % len(popped)])
        _pop_done(c, db, key, lst, b"lpop" if left else b"rpop", dirty=len(popped))
        return
    c.out.null_array()


# ---------------------------------------------------------------------------------------------- blocking
# A blocking command that finds nothing parks the client (server/blocking.py) with a serve function, run
# once a list is born under one of its keys. A timeout (or CLIENT UNBLOCK TIMEOUT) answers a null array,
# even for BLMOVE. Inside MULTI (and so EXEC) nothing blocks: the reply is at once the command's empty one
# (null array; a null bulk for BLMOVE/BRPOPLPUSH), Redis's CLIENT_DENY_BLOCKING.

_BLOCK_FLAGS = "WRITE NOSCRIPT BLOCKING"
_BLOCK_ACL = "@list"
_TIMEOUT_HISTORY = (("6.0.0", "`timeout` is interpreted as a double instead of an integer."),)


def _ready_list(db: Db, key: bytes) -> RedisList | None:
    """The non-empty list a woken client may take from (None for anything else under `key`)."""
    try:
        lst = db.get_typed_write(key, RedisList)
    except ReplyError:
        return None
    return lst if lst else None


def _null_array_reply(c: Client) -> None:
    c.out.null_array()


def _null_reply(c: Client) -> None:
    c.out.null()


def _propagate_pop(c: Client, db: Db, argv: list[bytes], now: bool) -> None:
    """A blocking command that pops at once propagates as its non-blocking form (a rewrite); a client served
    later adds that form to the stream itself (Redis's serveClientBlockedOn* alsoPropagate)."""
    if now:
        propagate.rewrite(c, argv)
    else:
        propagate.also(c, argv, db.id)


def _block(c: Client, keys: list[bytes], timeout: float, serve: Callable[[Client, Db, bytes], bool],
           multi_reply: Callable[[Client], None]) -> None:
    """Park the client; in MULTI answer multi_reply at once. A timeout always answers a null array."""
    if c.flags & ClientFlag.MULTI:
        multi_reply(c)
        return
    blocking_registry(c.server).block(c, keys, timeout, serve, _null_array_reply)


def _serve_pop(left: bool, dirty: int) -> Callable[[Client, Db, bytes], bool]:
    event = b"lpop" if left else b"rpop"

    def serve(c: Client, db: Db, key: bytes) -> bool:
        lst = _ready_list(db, key)
        if lst is None:
            return False
        out = c.out
        out.array_header(2)
        out.bulk(key)
        out.bulk(lst.popleft() if left else lst.pop())
        _propagate_pop(c, db, [b"LPOP" if left else b"RPOP", key], bool(dirty))
        _pop_done(c, db, key, lst, event, dirty=dirty)
        return True

    return serve


# Redis counts a change when BLPOP/BRPOP (and BLMOVE) pop at once, but not when they serve a woken client.
_POP_NOW = {True: _serve_pop(True, 1), False: _serve_pop(False, 1)}
_SERVE_LPOP = _serve_pop(True, 0)
_SERVE_RPOP = _serve_pop(False, 0)


def blocking_pop_generic(c: Client, argv: list[bytes], left: bool) -> None:
    """blockingPopGenericCommand: BLPOP/BRPOP key [key ...] timeout."""
    timeout = parse_timeout_seconds(argv[-1])
    keys = argv[1:-1]
    db = c.db
    serve = _SERVE_LPOP if left else _SERVE_RPOP
    for key in keys:
        lst = db.get_typed_write(key, RedisList)
        if lst:
            _POP_NOW[left](c, db, key)
            return
    _block(c, keys, timeout, serve, _null_array_reply)


_BPOP_COMPLEXITY = "O(N) where N is the number of provided keys."


@command("blpop", -3, _BLOCK_FLAGS, keys=[key_range(1, "RW ACCESS DELETE", lastkey=-2)], acl=_BLOCK_ACL,
         group="list", since="2.0.0", complexity=_BPOP_COMPLEXITY,
         summary="Remove and get the first element in a list, or block until one is available",
         args="key:key... timeout:double", history=_TIMEOUT_HISTORY)
def blpop_command(c: Client, argv: list[bytes]) -> None:
    """BLPOP key [key ...] timeout"""
    blocking_pop_generic(c, argv, True)


@command("brpop", -3, _BLOCK_FLAGS, keys=[key_range(1, "RW ACCESS DELETE", lastkey=-2)], acl=_BLOCK_ACL,
         group="list", since="2.0.0", complexity=_BPOP_COMPLEXITY,
         summary="Remove and get the last element in a list, or block until one is available",
         args="key:key... timeout:double", history=_TIMEOUT_HISTORY)
def brpop_command(c: Client, argv: list[bytes]) -> None:
    """BRPOP key [key ...] timeout"""
    blocking_pop_generic(c, argv, False)


def blocking_move_generic(c: Client, source: bytes, destination: bytes, src_left: bool, dst_left: bool,
                          timeout: float, prop_argv: list[bytes]) -> None:
    """blmoveGenericCommand: LMOVE now if source holds a list, else wait for one. `prop_argv` is what the
    stream gets (LMOVE / RPOPLPUSH with the arguments as given)."""
    db = c.db
    if db.get_typed_write(source, RedisList):
        lmove_generic(c, source, destination, src_left, dst_left)
        propagate.rewrite(c, prop_argv)
        return

    def serve(c: Client, db: Db, key: bytes) -> bool:
        if _ready_list(db, key) is None:
            return False
        # A destination of another type answers WRONGTYPE (raised before anything moves) and unblocks.
        lmove_generic(c, source, destination, src_left, dst_left, dirty=0)
        propagate.also(c, prop_argv, db.id)
        return True

    _block(c, [source], timeout, serve, _null_reply)


@command("blmove", 6, _BLOCK_FLAGS + " DENYOOM",
         keys=[key_range(1, "RW ACCESS DELETE"), key_range(2, "RW INSERT")], acl=_BLOCK_ACL, group="list",
         since="6.2.0", complexity="O(1)",
         summary="Pop an element from a list, push it to another list and return it; or block until one is "
                 "available",
         args="source:key destination:key wherefrom:{LEFT|RIGHT} whereto:{LEFT|RIGHT} timeout:double")
def blmove_command(c: Client, argv: list[bytes]) -> None:
    """BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout"""
    src_left = _direction(argv[3])
    dst_left = _direction(argv[4])
    timeout = parse_timeout_seconds(argv[5])
    blocking_move_generic(c, argv[1], argv[2], src_left, dst_left, timeout, [b"LMOVE", *argv[1:5]])


@command("brpoplpush", 4, _BLOCK_FLAGS + " DENYOOM",
         keys=[key_range(1, "RW ACCESS DELETE"), key_range(2, "RW INSERT")], acl=_BLOCK_ACL, group="list",
         since="2.2.0", complexity="O(1)",
         summary="Pop an element from a list, push it to another list and return it; or block until one is "
                 "available",
         args="source:key destination:key timeout:double", history=_TIMEOUT_HISTORY,
         doc_flags=("deprecated",), deprecated_since="6.2.0",
         replaced_by="`BLMOVE` with the `RIGHT` and `LEFT` arguments")
def brpoplpush_command(c: Client, argv: list[bytes]) -> None:
    """BRPOPLPUSH source destination timeout"""
    timeout = parse_timeout_seconds(argv[3])
    blocking_move_generic(c, argv[1], argv[2], False, True, timeout, [b"RPOPLPUSH", argv[1], argv[2]])


def _mpop_args(argv: list[bytes], numkeys_idx: int) -> tuple[list[bytes], bool, int]:
    """numkeys key [key ...] LEFT|RIGHT [COUNT count] from numkeys_idx on: (keys, left, count)."""
    return parse_mpop_args(argv, numkeys_idx, _LIST_ENDS)


@command("blmpop", -5, "WRITE BLOCKING", keys=[key_num(2, 0, 1, "RW ACCESS DELETE")], acl=_BLOCK_ACL,
         group="list", since="7.0.0",
         complexity="O(N+M) where N is the number of provided keys and M is the number of elements returned.",
         summary="Pop elements from a list, or block until one is available",
         args="timeout:double numkeys:integer key:key... where:{LEFT|RIGHT} [count:COUNT=integer]")
def blmpop_command(c: Client, argv: list[bytes]) -> None:
    """BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]"""
    keys, left, count = _mpop_args(argv, 2)
    timeout = parse_timeout_seconds(argv[1])
    event = b"lpop" if left else b"rpop"

    def serve(c: Client, db: Db, key: bytes) -> bool:
        lst = _ready_list(db, key)
        if lst is None:
            return False
        out = c.out
        out.array_header(2)
        out.bulk(key)
        popped = _pop_count(lst, count, left)
        out.bulk_array(popped)
        _propagate_pop(c, db, [b"LPOP" if left else b"RPOP", key, b"%d" % len(popped)], now)
        _pop_done(c, db, key, lst, event, dirty=len(popped))
        return True

    db = c.db
    now = True
    for key in keys:
        if db.get_typed_write(key, RedisList):
            serve(c, db, key)
            return
    now = False
    _block(c, keys, timeout, serve, _null_array_reply)
