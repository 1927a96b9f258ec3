"""Per-connection client state: identity, selected db, protocol version, auth, flags, MULTI queue.

No socket code: the transport is held by server/connection.py, which sets `write_out` and `close`.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .._speedups.keyspace import Db
from .._speedups.resp import ReplyWriter

if TYPE_CHECKING:
    from .instance import Server


class ClientFlag:
    """Client flags as plain ints (tested on every command; enum flags would allocate)."""

    MULTI = 1 << 0
    DIRTY_EXEC = 1 << 1
    MONITOR = 1 << 2
    CLOSE_AFTER_REPLY = 1 << 3
    CLOSE_ASAP = 1 << 4
    NO_EVICT = 1 << 5
    PUBSUB = 1 << 6      # set while the client has any (P|S)SUBSCRIBE subscription: see update_pubsub_flag()
    BLOCKED = 1 << 7
    REPLICA = 1 << 8
    PRIMARY = 1 << 9
    READONLY = 1 << 10
    ASKING = 1 << 11
    NO_TOUCH = 1 << 12
    DIRTY_CAS = 1 << 13  # a WATCHed key changed: the next EXEC fails (server/watch.py)
    SCRIPT = 1 << 14     # the lua client: commands run by redis.call() (CLIENT_SCRIPT)
    ASKING_NOW = 1 << 15  # ASKING applies to the command being processed (dispatch clears ASKING around it)


class ReplyMode:
    ON = 0
    OFF = 1
    SKIP_NEXT = 2   # CLIENT REPLY SKIP was just run: the next command's reply is dropped
    SKIP = 3        # the current command's reply is dropped


class Client:
    """What Redis keeps in `client`: one per connection (and for internal callers)."""

    __slots__ = (
        "server", "id", "name", "db", "out", "resp", "authenticated", "user", "flags", "addr", "laddr",
        "fd", "ctime", "last_interaction", "last_cmd", "cmdstats", "argv_len_sum", "multi_queue", "multi_bytes", "watched",
        "reply_mode", "conn", "lib_name", "lib_ver",
        "blocked", "pending_write", "sub_channels", "sub_patterns", "sub_shard_channels", "tot_net_in",
        "tot_net_out", "tot_cmds", "qbuf", "parser", "slot",
    )

    def __init__(self, server: Server, client_id: int, addr: str = "", laddr: str = "", fd: int = -1) -> None:
        self.server = server
        self.id = client_id
        self.name: bytes = b""
        self.db: Db = server.dbs[0]
        self.out = ReplyWriter(2)
        self.resp = 2
        self.authenticated = not server.requires_auth()
        self.user = "default"
        self.flags = 0
        self.addr = addr
        self.laddr = laddr
        self.fd = fd
        now = time.monotonic()
        self.ctime = now
        self.last_interaction = now
        self.last_cmd = b"NULL"
        self.cmdstats = server.stats.commands   # the server's per-command rows (the same list for its lifetime)
        self.argv_len_sum = 0
        self.multi_queue: list[tuple[Any, list[bytes]]] | None = None
        self.multi_bytes = 0    # what the queued commands take, counted in used_memory (server/memory.py)
        self.watched: set[tuple[int, bytes]] | None = None
        self.reply_mode = ReplyMode.ON
        self.conn: Any = None   # the ClientProtocol (None for internal clients)
        self.lib_name = b""
        self.lib_ver = b""
        self.slot = -1      # cluster mode: the slot of the last routed request's keys (c->slot), else -1
        self.blocked: Any = None
        self.pending_write = False
        self.sub_channels: set[bytes] = set()
        self.sub_patterns: set[bytes] = set()
        self.sub_shard_channels: set[bytes] = set()
        self.tot_net_in = 0
        self.tot_net_out = 0
        self.tot_cmds = 0
        self.qbuf = 0
        self.parser: Any = None

    @property
    def db_index(self) -> int:
        return self.db.id

    def select(self, index: int) -> None:
        self.db = self.server.dbs[index]

    def set_resp(self, resp: int) -> None:
        self.resp = resp
        self.out.resp = resp

    def subscriptions(self) -> int:
        return len(self.sub_channels) + len(self.sub_patterns)

    def update_pubsub_flag(self) -> None:
        """Keep the PUBSUB flag in step with the subscription sets (the dispatcher tests only the flag)."""
        if self.sub_channels or self.sub_patterns or self.sub_shard_channels:
            self.flags |= ClientFlag.PUBSUB
        else:
            self.flags &= ~ClientFlag.PUBSUB

    def in_pubsub_context(self) -> bool:
        return self.resp == 2 and bool(self.sub_channels or self.sub_patterns or self.sub_shard_channels)

    def flush(self) -> None:
        """Write out pending replies (used for replies produced outside the client's own read)."""
        if self.conn is not None:
            self.conn.flush()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
