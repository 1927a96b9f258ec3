"""What executed commands become in the replication stream (Redis 7.0's call()/alsoPropagate model).

During a top-level command, operations accumulate in `pending`: each command that changed `server.dirty`
(its argv, or the rewrite its handler asked for), the ops a handler added itself, and DELs for keys that
expired or were evicted meanwhile, in order. When the outermost call ends they go to the stream, wrapped in
MULTI ... EXEC when there is more than one (propagatePendingCommands). Outside any call (active expiry in the
cron, eviction before a command runs, a blocked client served) an op goes to the stream at once.

Nothing is recorded while there is no backlog (shouldPropagate), and a replica never propagates what it
executes: its replica side feeds the primary's own stream into the backlog instead.

Rules of this module: handlers talk to it only through `rewrite`, `also`, `prevent` and `force`, which cost one
attribute test when replication is off. No sockets.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .._speedups.keyspace import Db
    from ..server.client import Client
    from ..server.instance import Server
    from .state import Replication

_FORCE = 1      # CLIENT_FORCE_REPL: propagate even though dirty did not move (PUBLISH, an empty FLUSHALL)
_PREVENT = 2    # CLIENT_PREVENT_PROP: never propagate the command itself (EXEC, EVAL: their effects are)

_MULTI = [b"MULTI"]
_EXEC = [b"EXEC"]

Op = tuple[int, list[bytes]]


class Propagator:
    """The pending-ops array of one server, and the per-call rewrite/force/prevent state."""

    __slots__ = ("server", "repl", "on", "pending", "depth", "rewritten", "flags", "woff", "_chained")

    def __init__(self, server: Server, repl: Replication) -> None:
        self.server = server
        self.repl = repl
        self.on = False                 # a backlog exists: calls must be watched (Replication keeps it)
        self.pending: list[Op] = []
        self.depth = 0                  # nesting of call() (EXEC, scripts run commands inside a call)
        self.rewritten: list[bytes] | None = None
        self.flags = 0
        self.woff: dict[int, int] = {}  # client id -> stream offset after its last propagated write (WAIT)
        ctx = server.ctx
        self._chained: Any = ctx.on_expired
        ctx.on_expired = self._on_expired

    # -- call() bracket (dispatch.call and the fast path) -------------------------------------------------

    def enter(self) -> tuple[list[bytes] | None, int]:
        saved = (self.rewritten, self.flags)
        self.rewritten = None
        self.flags = 0
        self.depth += 1
        return saved

    def leave(self, c: Client, argv: list[bytes], dirtied: int, saved: tuple[list[bytes] | None, int]) -> None:
        flags = self.flags
        # dirty can go down (SAVE resets it): only a rise counts, as call()'s `if (dirty < 0) dirty = 0`.
        if (dirtied > 0 or flags & _FORCE) and not flags & _PREVENT and self.repl.link is None:
            self.pending.append((c.db.id, self.rewritten or argv))
        self.rewritten, self.flags = saved
        self.depth -= 1
        if self.depth == 0 and self.pending:
            self.flush()
            self.woff[c.id] = self.repl.offset

    def flush(self) -> None:
        """propagatePendingCommands."""
        ops = self.pending
        self.pending = []
        repl = self.repl
        if repl.link is not None:
            return
        if len(ops) == 1:
            repl.feed_command(*ops[0])
            return
        repl.feed_command(ops[0][0], _MULTI)
        for dbid, argv in ops:
            repl.feed_command(dbid, argv)
        repl.feed_command(ops[-1][0], _EXEC)

    def add(self, dbid: int, argv: list[bytes]) -> None:
        """alsoPropagate: inside a call the op waits for the outermost call's end; outside, it goes now."""
        if not self.on or self.repl.link is not None:
            return
        if self.depth:
            self.pending.append((dbid, argv))
        else:
            self.repl.feed_command(dbid, argv)

    # -- deletions the keyspace decided -------------------------------------------------------------------

    def _on_expired(self, db: Db, key: bytes) -> None:
        if self.on:
            lazy = self.server.config["lazyfree-lazy-expire"]
            self.add(db.id, [b"UNLINK" if lazy else b"DEL", key])
        chained = self._chained
        if chained is not None:
            chained(db, key)

    def evicted(self, db: Db, key: bytes) -> None:
        if self.on:
            lazy = self.server.config["lazyfree-lazy-eviction"]
            self.add(db.id, [b"UNLINK" if lazy else b"DEL", key])


# -- the handler-facing API --------------------------------------------------------------------------------

def rewrite(c: Client, argv: list[bytes]) -> None:
    """rewriteClientCommandVector: the current command propagates as `argv` (if it propagates at all)."""
    prop: Propagator = c.server.repl.prop
    if prop.on:
        prop.rewritten = argv


def also(c: Client, argv: list[bytes], dbid: int | None = None) -> None:
    """alsoPropagate an extra op in the client's db (or `dbid`)."""
    prop: Propagator = c.server.repl.prop
    if prop.on:
        prop.add(c.db.id if dbid is None else dbid, argv)


def prevent(c: Client) -> None:
    """preventCommandPropagation: the command itself is not propagated (its also() ops still are)."""
    prop: Propagator = c.server.repl.prop
    if prop.on:
        prop.flags |= _PREVENT


def force(c: Client) -> None:
    """forceCommandPropagation: propagate the command even if it changed nothing."""
    prop: Propagator = c.server.repl.prop
    if prop.on:
        prop.flags |= _FORCE
