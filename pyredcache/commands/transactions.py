"""Transaction commands (Redis group "transactions"): MULTI EXEC DISCARD WATCH UNWATCH.

The dispatcher queues commands while a client is in MULTI (and flags DIRTY_EXEC on rejections); EXEC runs
the queue through dispatch.call(). WATCH bookkeeping and its keyspace hooks live in server/watch.py.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import errors
from ..errors import ReplyError
from ..replication import propagate
from ..server.client import ClientFlag
from ..server.watch import registry
from .table import command, key_range

if TYPE_CHECKING:
    from ..server.client import Client

_OK = b"+OK\r\n"
_MULTI = ClientFlag.MULTI
_DIRTY_CAS = ClientFlag.DIRTY_CAS
_DIRTY_EXEC = ClientFlag.DIRTY_EXEC
_TX_FLAGS = "NOSCRIPT LOADING STALE FAST ALLOW_BUSY"


def discard_transaction(c: Client) -> None:
    """discardTransaction: drop the queue, leave MULTI, clear the dirty flags, forget the watches."""
    release_queue(c)
    c.flags &= ~(_MULTI | _DIRTY_CAS | _DIRTY_EXEC)
    if c.watched:
        registry(c.server).unwatch_all(c)


def release_queue(c: Client) -> None:
    """Drop the MULTI queue and give its bytes back to used_memory."""
    c.multi_queue = None
    if c.multi_bytes:
        c.server.memory_extra -= c.multi_bytes
        c.multi_bytes = 0


def exec_abort_message(c: Client, reason: bytes) -> bytes:
    """execCommandAbort: discard the transaction and wrap a pipeline rejection of EXEC as EXECABORT."""
    discard_transaction(c)
    if reason.startswith(b"ERR "):
        reason = reason[4:]   # Redis formats these rejections without the ERR code
    return b"EXECABORT Transaction discarded because of: " + reason


@command("multi", 1, _TX_FLAGS, acl="@transaction", group="transactions", since="1.2.0", complexity="O(1)",
         summary="Mark the start of a transaction block")
def multi_command(c: Client, argv: list[bytes]) -> None:
    """MULTI"""
    if c.flags & _MULTI:
        raise ReplyError(errors.MULTI_NESTED)
    c.flags |= _MULTI
    c.multi_queue = []
    c.out.raw(_OK)


@command("exec", 1, "NOSCRIPT LOADING STALE SKIP_SLOWLOG", acl="@transaction", group="transactions",
         since="1.2.0", complexity="Depends on commands in the transaction",
         summary="Execute all commands issued after MULTI")
def exec_command(c: Client, argv: list[bytes]) -> None:
    """EXEC"""
    propagate.prevent(c)    # never propagated itself: its commands are, wrapped in MULTI/EXEC when several
    flags = c.flags
    if not flags & _MULTI:
        raise ReplyError(errors.EXEC_WITHOUT_MULTI)
    if c.watched and not flags & _DIRTY_CAS and registry(c.server).any_expired(c):
        flags |= _DIRTY_CAS
    if flags & (_DIRTY_CAS | _DIRTY_EXEC):
        discard_transaction(c)
        if flags & _DIRTY_EXEC:
            raise ReplyError(errors.EXECABORT)
        c.out.null_array()
        return
    from ..server.dispatch import call  # dispatch imports the table, which imports this module

    queue = c.multi_queue or []
    if c.watched:
        registry(c.server).unwatch_all(c)   # unwatch first: our own writes must not dirty us
    out = c.out
    out.array_header(len(queue))
    # The client stays in MULTI while the queue runs (MONITOR, blocking commands see it, as in Redis).
    try:
        for spec, qargv in queue:
            call(c, spec, qargv)
    finally:
        discard_transaction(c)


@command("discard", 1, _TX_FLAGS, acl="@transaction", group="transactions", since="2.0.0",
         complexity="O(N), when N is the number of queued commands",
         summary="Discard all commands issued after MULTI")
def discard_command(c: Client, argv: list[bytes]) -> None:
    """DISCARD"""
    if not c.flags & _MULTI:
        raise ReplyError(errors.DISCARD_WITHOUT_MULTI)
    discard_transaction(c)
    c.out.raw(_OK)


@command("watch", -2, _TX_FLAGS, keys=[key_range(1, "RO", lastkey=-1)], acl="@transaction",
         group="transactions", since="2.2.0", complexity="O(1) for every key.",
         summary="Watch the given keys to determine execution of the MULTI/EXEC block", args="key:key...")
def watch_command(c: Client, argv: list[bytes]) -> None:
    """WATCH key [key ...]"""
    flags = c.flags
    if flags & _MULTI:
        raise ReplyError(errors.WATCH_INSIDE_MULTI)
    if not flags & _DIRTY_CAS:   # no point in watching once a watched key has changed
        reg = registry(c.server)
        for key in argv[1:]:
            reg.watch(c, key)
    c.out.raw(_OK)


@command("unwatch", 1, _TX_FLAGS, acl="@transaction", group="transactions", since="2.2.0", complexity="O(1)",
         summary="Forget about all watched keys")
def unwatch_command(c: Client, argv: list[bytes]) -> None:
    """UNWATCH"""
    if c.watched:
        registry(c.server).unwatch_all(c)
    c.flags &= ~_DIRTY_CAS
    c.out.raw(_OK)
