"""Clients blocked on keys (BLPOP & co.): the per-key FIFO registry, timeouts and wakeups.

A command that made a key ready (a list born under a waited key) signals it; the ready keys are served
right after the top-level command that made them ready (an EXEC or a script counts as one), clients in the
order they blocked — process_command and the fast path check server.ready_keys after each command. A key
signalled outside any command is served on the next loop iteration.
"""
from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import ReplyError
from .client import ClientFlag

if TYPE_CHECKING:
    from .._speedups.keyspace import Db
    from .client import Client
    from .instance import Server

# serve(c, db, key) -> True when the client got its reply (it is then unblocked), False to keep waiting.
ServeFn = Callable[["Client", "Db", bytes], bool]
# timeout_reply(c): what the client gets when its timeout fires (or CLIENT UNBLOCK ... TIMEOUT).
TimeoutFn = Callable[["Client"], None]

UNBLOCKED_ERROR = b"UNBLOCKED client unblocked via CLIENT UNBLOCK"


class BlockState:
    """c.blocked while a client waits: its keys (on its db), deadline and how to serve it."""

    __slots__ = ("db_id", "keys", "serve", "timeout_reply", "handle", "deadline")

    def __init__(self, db_id: int, keys: list[bytes], serve: ServeFn, timeout_reply: TimeoutFn,
                 deadline: float | None) -> None:
        self.db_id = db_id
        self.keys = keys
        self.serve = serve
        self.timeout_reply = timeout_reply
        self.handle: Any = None
        self.deadline = deadline


class BlockingRegistry:
    """server.blocking: who waits on which (db, key), and the keys made ready since the last pass."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.waiting: dict[tuple[int, bytes], deque[Client]] = {}
        # server.ready_keys itself: the fast path holds that list, so it is emptied in place, never rebound.
        self.ready: list[tuple[Db, bytes]] = server.ready_keys
        server.serve_ready_keys = self.serve_ready
        self.ready_set: set[tuple[int, bytes]] = set()
        self.scheduled = False
        self.with_timeout = 0
        server.free_client_hooks.append(self.forget)
        server.swapdb_hooks.append(self.on_swapdb)

    # ------------------------------------------------------------------------------------ blocking

    def block(self, c: Client, keys: list[bytes], timeout_s: float, serve: ServeFn,
              timeout_reply: TimeoutFn) -> None:
        """Park `c` on `keys` (of its db) until served, timed out (timeout_s > 0) or CLIENT UNBLOCK."""
        db_id = c.db.id
        unique = list(dict.fromkeys(keys))
        state = BlockState(db_id, unique, serve, timeout_reply, None)
        for key in unique:
            q = self.waiting.get((db_id, key))
            if q is None:
                q = self.waiting[(db_id, key)] = deque()
            q.append(c)
        if timeout_s > 0:
            loop = self.server.loop
            state.deadline = time.monotonic() + timeout_s
            if loop is not None:
                state.handle = loop.call_later(timeout_s, self._timed_out, c)
            self.with_timeout += 1
        c.blocked = state
        c.flags |= ClientFlag.BLOCKED

    def _detach(self, c: Client) -> BlockState | None:
        state: BlockState | None = c.blocked
        if not isinstance(state, BlockState):
            return None
        for key in state.keys:
            q = self.waiting.get((state.db_id, key))
            if q is not None:
                try:
                    q.remove(c)
                except ValueError:
                    pass
                if not q:
                    del self.waiting[(state.db_id, key)]
        if state.deadline is not None:
            self.with_timeout -= 1
        if state.handle is not None:
            state.handle.cancel()
        c.blocked = None
        c.flags &= ~ClientFlag.BLOCKED
        return state

    def unblock(self, c: Client) -> None:
        """The client got its reply: forget it, send the reply, then run what it sent meanwhile."""
        if self._detach(c) is None:
            return
        server = self.server
        server.mark_pending_write(c)
        conn = c.conn
        if conn is not None and server.loop is not None:
            server.loop.call_soon(conn.resume)

    def forget(self, c: Client) -> None:
        """free_client hook: a blocked client that disconnects just leaves the queues."""
        self._detach(c)

    def _timed_out(self, c: Client) -> None:
        state = c.blocked
        if not isinstance(state, BlockState):
            return
        state.handle = None
        self.server.ctx.now_ms = self.server.clock.now_ms()
        state.timeout_reply(c)
        self.unblock(c)

    def unblock_by_request(self, c: Client, error: bool) -> bool:
        """CLIENT UNBLOCK: answer as a timeout, or with -UNBLOCKED; False when `c` is not blocked on keys."""
        state = c.blocked
        if not isinstance(state, BlockState):
            return False
        if error:
            c.out.error(UNBLOCKED_ERROR)
            c.server.stats.count_error(UNBLOCKED_ERROR)
        else:
            state.timeout_reply(c)
        self.unblock(c)
        return True

    def blocked_with_timeout(self) -> int:
        return self.with_timeout

    def advance_timeouts(self, seconds: float) -> None:
        """Time control moved the TTL clock forward: every blocked client's timeout comes `seconds` sooner;
        those now due time out at once, in deadline order."""
        loop = self.server.loop
        if not self.with_timeout or loop is None:
            return
        clients: dict[int, Client] = {}
        for q in self.waiting.values():
            for c in q:
                if isinstance(c.blocked, BlockState) and c.blocked.deadline is not None:
                    clients[c.id] = c
        now = time.monotonic()
        due: list[tuple[float, Client]] = []
        for c in clients.values():
            state = c.blocked
            assert isinstance(state, BlockState) and state.deadline is not None
            state.deadline -= seconds
            if state.handle is not None:
                state.handle.cancel()
                state.handle = None
            if state.deadline <= now:
                due.append((state.deadline, c))
            else:
                state.handle = loop.call_later(state.deadline - now, self._timed_out, c)
        due.sort(key=lambda item: item[0])
        for _, c in due:
            self._timed_out(c)

    # ------------------------------------------------------------------------------------ wakeups

    def signal_ready(self, db: Db, key: bytes) -> None:
        ident = (db.id, key)
        if ident not in self.waiting or ident in self.ready_set:
            return
        self.ready_set.add(ident)
        self.ready.append((db, key))
        if not self.scheduled:
            self.scheduled = True
            loop = self.server.loop
            if loop is not None:
                loop.call_soon(self.serve_ready)

    def serve_ready(self) -> None:
        """handleClientsBlockedOnKeys: serve, in FIFO order, the clients waiting on each ready key."""
        self.scheduled = False
        server = self.server
        server.ctx.now_ms = server.clock.now_ms()
        while self.ready:
            batch = self.ready[:]
            self.ready.clear()
            self.ready_set.clear()
            for db, key in batch:
                q = self.waiting.get((db.id, key))
                if not q:
                    continue
                # Every waiter in order: one that can't be served (it waits for another type, or the value
                # ran out) is skipped, so a zset waiter queued behind a list waiter still gets a new zset.
                for c in list(q):
                    state = c.blocked
                    if not isinstance(state, BlockState) or state.db_id != db.id:
                        continue
                    try:
                        served = state.serve(c, db, key)
                    except ReplyError as exc:
                        c.out.error(exc.message)
                        server.stats.count_error(exc.message)
                        served = True
                    if served:
                        self.unblock(c)

    def on_swapdb(self, db1: Db, db2: Db) -> None:
        """Clients blocked in either db may now see a list under their key (scanDatabaseForReadyKeys)."""
        for db in (db1, db2):
            for db_id, key in list(self.waiting):
                if db_id == db.id and db.exists(key):
                    self.signal_ready(db, key)


def registry(server: Server) -> BlockingRegistry:
    reg: BlockingRegistry | None = getattr(server, "blocking", None)
    if reg is None:
        reg = BlockingRegistry(server)
        server.blocking = reg  # type: ignore[attr-defined]
        # INFO clients_in_timeout_table reads this off the server.
        server.blocked_with_timeout = reg.blocked_with_timeout  # type: ignore[attr-defined]
    return reg


def signal_key_as_ready(server: Server, db: Db, key: bytes) -> None:
    """A value was added under `key`: wake clients blocked on it (a no-op when nobody ever blocked)."""
    reg: BlockingRegistry | None = getattr(server, "blocking", None)
    if reg is not None and reg.waiting:
        reg.signal_ready(db, key)
