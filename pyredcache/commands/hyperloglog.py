"""HyperLogLog commands (Redis group "hyperloglog"): PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST.

An HLL is an ordinary string value; the encodings live in _speedups.hll and work in place on a bytearray,
so a value read as `bytes` (SET, RESTORE, embstr) is first swapped for a bytearray copy, as Redis's
dbUnshareStringValue turns shared/embstr objects raw before writing.
"""
from __future__ import annotations

import random
from typing import TYPE_CHECKING

from .. import errors
from .._speedups import hll
from ..errors import ReplyError
from ..keyspace.notify import Event, signal_write
from .table import command, key_range

if TYPE_CHECKING:
    from .._speedups.keyspace import Db
    from ..server.client import Client

_ONE = b":1\r\n"
_ZERO = b":0\r\n"
_STRING_EVENT = Event.STRING
_SPARSE_MAX = "hll-sparse-max-bytes"


def _checked(value: bytes | bytearray) -> bytes | bytearray:
    """isHLLObjectOrReply: a string value that looks like an HLL (type errors are the getters' job)."""
    if not hll.is_valid(value):
        raise ReplyError(errors.HLL_NOT_VALID)
    return value


def _unshared(db: Db, key: bytes, value: bytes | bytearray) -> bytearray:
    if type(value) is bytearray:
        return value
    copy = bytearray(value)
    db.set_value(key, copy)     # keeps the TTL
    return copy


def _signal_modified(c: Client, db: Db, key: bytes) -> None:
    """signalModifiedKey + dirty++ with no keyspace event (PFCOUNT's cache write-back, PFDEBUG)."""
    server = c.server
    server.dirty += 1
    if server.watch_hook is not None:
        server.watch_hook(db, key)


def _signed(card: int) -> int:
    # hllCount's uint64_t goes out through addReplyLongLong.
    return card - (1 << 64) if card >= 1 << 63 else card


@command("pfadd", -2, "WRITE DENYOOM FAST", keys=[key_range(1, "RW INSERT")], acl="@hyperloglog",
         group="hyperloglog", since="2.8.9", complexity="O(1) to add every element.",
         summary="Adds the specified elements to the specified HyperLogLog.",
         args="key:key [element:string...]")
def pfadd_command(c: Client, argv: list[bytes]) -> None:
    """PFADD key [element [element ...]]"""
    db = c.db
    key = argv[1]
    value = db.get_string_write(key)
    updated = 0
    if value is None:
        h = hll.new_sparse()
        db.add(key, h)
        updated = 1
    else:
        h = _unshared(db, key, _checked(value))
    added = hll.add(h, argv, 2, c.server.config[_SPARSE_MAX])
    if added < 0:
        raise ReplyError(errors.HLL_CORRUPTED)
    updated += added
    if updated:
        hll.invalidate_cache(h)
        signal_write(c.server, db, key, b"pfadd", _STRING_EVENT, dirty=updated)
        c.out.raw(_ONE)
    else:
        c.out.raw(_ZERO)


@command("pfcount", -2, "READONLY MAY_REPLICATE",
         keys=[key_range(1, "RW ACCESS", lastkey=-1,
                         notes="RW because it may change the internal representation of the key, and "
                               "propagate to replicas")],
         acl="@hyperloglog", group="hyperloglog", since="2.8.9",
         complexity="O(1) with a very small average constant time when called with a single key. O(N) with N "
                    "being the number of keys, and much bigger constant times, when called with multiple keys.",
         summary="Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
         args="key:key...")
def pfcount_command(c: Client, argv: list[bytes]) -> None:
    """PFCOUNT key [key ...]"""
    db = c.db
    if len(argv) > 2:
        raw = hll.new_raw()
        for i in range(1, len(argv)):
            value = db.get_string_read(argv[i])
            if value is None:
                continue
            if not hll.merge_into(raw, _checked(value)):
                raise ReplyError(errors.HLL_CORRUPTED)
        c.out.integer(_signed(hll.count_raw(raw)))
        return
    key = argv[1]
    value = db.get_string_read(key)
    if value is None:
        c.out.raw(_ZERO)
        return
    h = _unshared(db, key, _checked(value))
    card = hll.cached_card(h)
    if card < 0:
        card = hll.count(h)
        if card < 0:
            raise ReplyError(errors.HLL_CORRUPTED)
        hll.set_cached_card(h, card)
        # Redis counts the cache write-back as a change: WATCH fires and the command propagates.
        _signal_modified(c, db, key)
    c.out.integer(_signed(card))


@command("pfmerge", -2, "WRITE DENYOOM",
         keys=[key_range(1, "RW ACCESS INSERT"), key_range(2, "RO ACCESS", lastkey=-1)],
         acl="@hyperloglog", group="hyperloglog", since="2.8.9",
         complexity="O(N) to merge N HyperLogLogs, but with high constant times.",
         summary="Merge N different HyperLogLogs into a single one.",
         args="destkey:key sourcekey:key...")
def pfmerge_command(c: Client, argv: list[bytes]) -> None:
    """PFMERGE destkey sourcekey [sourcekey ...]"""
    db = c.db
    raw = hll.new_raw()
    use_dense = False
    # The destination is read as a source too (argv[1] onwards), as pfmergeCommand does.
    for i in range(1, len(argv)):
        value = db.get_string_read(argv[i])
        if value is None:
            continue
        _checked(value)
        if hll.encoding(value) == hll.DENSE:
            use_dense = True
        if not hll.merge_into(raw, value):
            raise ReplyError(errors.HLL_CORRUPTED)
    key = argv[1]
    value = db.get_string_write(key)
    if value is None:
        h = hll.new_sparse()
        db.add(key, h)
    else:
        h = _unshared(db, key, value)
    if use_dense and hll.to_dense(h) < 0:
        raise ReplyError(errors.HLL_CORRUPTED)
    hll.store_raw(h, raw, c.server.config[_SPARSE_MAX])
    # Redis 7.0 names PFMERGE's event "pfadd" (hyperloglog.c pfmergeCommand).
    signal_write(c.server, db, key, b"pfadd", _STRING_EVENT)
    c.out.ok()


@command("pfdebug", 3, "WRITE DENYOOM ADMIN", keys=[key_range(2, "RW ACCESS")], acl="@hyperloglog",
         group="hyperloglog", since="2.8.9", complexity="N/A",
         summary="Internal commands for debugging HyperLogLog values", args="subcommand:string key:key",
         doc_flags=("syscmd",))
def pfdebug_command(c: Client, argv: list[bytes]) -> None:
    """PFDEBUG <GETREG|DECODE|ENCODING|TODENSE> key"""
    db = c.db
    key = argv[2]
    value = db.get_string_write(key)
    if value is None:
        raise ReplyError(errors.PFDEBUG_NO_KEY)
    h = _unshared(db, key, _checked(value))
    sub = argv[1].lower()
    out = c.out
    if sub == b"getreg":
        if hll.encoding(h) == hll.SPARSE:
            if hll.to_dense(h) < 0:
                raise ReplyError(errors.HLL_CORRUPTED)
            c.server.dirty += 1     # Redis forces propagation of the encoding change
        registers = hll.dense_registers(h)
        out.array_header(len(registers))
        integer = out.integer
        for reg in registers:
            integer(reg)
    elif sub == b"decode":
        if hll.encoding(h) != hll.SPARSE:
            raise ReplyError(errors.PFDEBUG_NOT_SPARSE)
        out.bulk(hll.decode_sparse(h))
    elif sub == b"encoding":
        out.simple(b"dense" if hll.encoding(h) == hll.DENSE else b"sparse")
    elif sub == b"todense":
        converted = hll.to_dense(h)
        if converted < 0:
            raise ReplyError(errors.HLL_CORRUPTED)
        if converted:
            c.server.dirty += 1
        out.raw(_ONE if converted else _ZERO)
    else:
        raise ReplyError(errors.pfdebug_unknown_subcommand(argv[1]))


_SELFTEST_CYCLES = 4


@command("pfselftest", 1, "ADMIN", acl="@hyperloglog", group="hyperloglog", since="2.8.9", complexity="N/A",
         summary="An internal command for testing HyperLogLog values", doc_flags=("syscmd",))
def pfselftest_command(c: Client, argv: list[bytes]) -> None:
    """PFSELFTEST"""
    rng = random.Random()
    # Dense registers: random values written and read back, no neighbour disturbed.
    dense = bytearray(hll.DENSE_SIZE)
    for _ in range(_SELFTEST_CYCLES):
        expected = [rng.randrange(64) for _ in range(hll.HLL_REGISTERS)]
        for i, v in enumerate(expected):
            hll.dense_put(dense, i, v)
        for i, v in enumerate(expected):
            got = hll.dense_get(dense, i)
            if got != v:
                raise ReplyError(f"TESTFAILED Register {i} should be {v} but is {got}")
    # Sparse and dense encodings of the same elements must give the same estimate.
    sparse = hll.new_sparse()
    as_dense = hll.new_sparse()
    hll.to_dense(as_dense)
    for n in range(1, 2001):
        ele = [b"%d" % rng.getrandbits(64)]
        hll.add(sparse, ele, 0, 1 << 30)
        hll.add(as_dense, ele, 0, 0)
        if n % 100 == 0:
            a, b = hll.count(sparse), hll.count(as_dense)
            if a != b:
                raise ReplyError(f"TESTFAILED Sparse and dense disagree: {a} vs {b}")
    c.out.ok()
