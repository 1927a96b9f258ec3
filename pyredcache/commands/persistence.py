"""Persistence commands (Redis group "server"): SAVE, BGSAVE, LASTSAVE.

The work (temp file, fsync, rename, fork) lives in pyredcache/persistence/snapshot.py.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Final

from .. import errors
from ..errors import ReplyError
from ..persistence import snapshot
from ..server.client import ClientFlag
from .table import command

if TYPE_CHECKING:
    from ..server.client import Client

BGSAVE_IN_PROGRESS: Final = "ERR Background save already in progress"
# shared.err: the bare "-ERR" Redis answers when a save failed (the reason is in the log).
_ERR: Final = "ERR"


@command("save", 1, "ADMIN NOSCRIPT NO_ASYNC_LOADING NO_MULTI", group="server", since="1.0.0",
         complexity="O(N) where N is the total number of keys in all databases",
         summary="Synchronously save the dataset to disk")
def save_command(c: Client, argv: list[bytes]) -> None:
    """SAVE"""
    server = c.server
    if snapshot.bgsave_in_progress(server):
        raise ReplyError(BGSAVE_IN_PROGRESS)
    try:
        snapshot.save_sync(server)
    except OSError:
        raise ReplyError(_ERR) from None
    c.out.ok()


@command("bgsave", -1, "ADMIN NOSCRIPT NO_ASYNC_LOADING", group="server", since="1.0.0", complexity="O(1)",
         summary="Asynchronously save the dataset to disk", args="[SCHEDULE]<3.2.2>",
         history=(("3.2.2", "Added the `SCHEDULE` option."),))
def bgsave_command(c: Client, argv: list[bytes]) -> None:
    """BGSAVE [SCHEDULE]"""
    if len(argv) > 1 and (len(argv) != 2 or argv[1].lower() != b"schedule"):
        raise ReplyError(errors.SYNTAX)
    server = c.server
    if snapshot.bgsave_in_progress(server):
        raise ReplyError(BGSAVE_IN_PROGRESS)
    if c.flags & ClientFlag.MULTI:
        # Inside EXEC (the client keeps MULTI while its queue runs). Forking in the middle of a transaction would snapshot half of it: run it from the next cron tick.
        server.persistence.bgsave_scheduled = True
        c.out.simple(b"Background saving scheduled")
        return
    if snapshot.start_bgsave(server):
        c.out.simple(b"Background saving started")
    else:
        raise ReplyError(_ERR)


@command("lastsave", 1, "LOADING STALE FAST", acl="@admin @dangerous", group="server", since="1.0.0",
         complexity="O(1)", summary="Get the UNIX time stamp of the last successful save to disk",
         tips=("nondeterministic_output",))
def lastsave_command(c: Client, argv: list[bytes]) -> None:
    """LASTSAVE"""
    c.out.integer(c.server.lastsave)
