"""client-output-buffer-limit: per-class hard/soft limits on a client's unsent output, and the close-ASAP.

What a client has pending is its unflushed ReplyWriter bytes plus what its transport still holds
(get_write_buffer_size), counted as Redis's reply list would be. For a client whose class has a limit,
server/connection.py checks before each write and between commands of a pipelined batch (Redis checks on
every reply append); the cron re-checks clients over their soft limit, and CONFIG SET checks everyone.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from .client import ClientFlag

if TYPE_CHECKING:
    from .client import Client
    from .instance import Server

CLASS_NORMAL: Final = 0
CLASS_REPLICA: Final = 1
CLASS_PUBSUB: Final = 2
_CLASS_NAMES: Final = ("normal", "replica", "pubsub")

# A pseudo client flag (above every real ClientFlag) standing for "a normal client": connection.py tests
# `(c.flags | CHECK_NORMAL) & server.obuf_mask`, so a flush costs one AND when no limit applies to the client.
CHECK_NORMAL: Final = 1 << 40

# A Redis client's first 16 KiB of pending output sit in its static reply buffer (c->buf), which the limits
# and omem leave out; the rest goes to a list of blocks of at least PROTO_REPLY_CHUNK_BYTES.
REPLY_BUFFER_BYTES: Final = 16 * 1024
REPLY_CHUNK_BYTES: Final = 16 * 1024


def pending_output(c: Client) -> int:
    """Bytes produced for c and not yet taken by the kernel (its ReplyWriter plus its transport's buffer)."""
    size = len(c.out)
    conn = c.conn
    if conn is not None and not conn.closed:
        transport = conn.transport
        if transport is not None:
            size += transport.get_write_buffer_size()
    return size


def reply_list_bytes(pending: int) -> int:
    """What Redis's reply_bytes would be for `pending` unsent bytes: the part beyond the static buffer, in
    whole blocks. So "normal 1 0 0" closes a client only once it has more than 16 KiB pending, as in Redis."""
    if pending <= REPLY_BUFFER_BYTES:
        return 0
    return -(-(pending - REPLY_BUFFER_BYTES) // REPLY_CHUNK_BYTES) * REPLY_CHUNK_BYTES


def output_memory(c: Client) -> int:
    """getClientOutputBufferMemoryUsage: what the limits compare and CLIENT LIST shows as omem."""
    return reply_list_bytes(pending_output(c))


def client_class(c: Client) -> int:
    """getClientType folded to the three limit classes: the primary link and MONITORs count as normal."""
    flags = c.flags
    if flags & ClientFlag.PRIMARY:
        return CLASS_NORMAL
    # Replication (issue 5) sets REPLICA on replica links (and may set OutputLimits.replica_memory).
    if flags & ClientFlag.REPLICA and not flags & ClientFlag.MONITOR:
        return CLASS_REPLICA
    if flags & ClientFlag.PUBSUB:
        return CLASS_PUBSUB
    return CLASS_NORMAL


class OutputLimits:
    """The server's client-output-buffer-limit state: the limits per class and the soft-limit clocks."""

    __slots__ = ("server", "limits", "soft_since", "replica_memory")

    def __init__(self, server: Server) -> None:
        self.server = server
        self.limits: tuple[tuple[int, int, int], ...] = ((0, 0, 0),) * 3
        # Clients seen at or over their soft limit -> the second (monotonic, whole) it was first seen there.
        self.soft_since: dict[Client, int] = {}
        # The hook for replication: a replica link's output memory when it is not what output_memory() sees
        # (Redis 7.0 counts a replica's share of the shared replication buffer).
        self.replica_memory: Callable[[Client], int] | None = None
        server.config.add_apply_hook("client-output-buffer-limit", self._on_config)
        server.free_client_hooks.append(self._forget)
        server.cron_hooks.append(self.cron)
        self._load()

    def _load(self) -> None:
        cfg = self.server.config["client-output-buffer-limit"]
        limits = []
        for name in _CLASS_NAMES:
            lim = cfg[name]
            limits.append((int(lim.hard_bytes), int(lim.soft_bytes), int(lim.soft_seconds)))
        self.limits = tuple(limits)
        mask = 0
        for flag, (hard, soft, _) in zip((CHECK_NORMAL, ClientFlag.REPLICA, ClientFlag.PUBSUB), limits, strict=True):
            if hard or soft:
                mask |= flag
        self.server.obuf_mask = mask

    def _on_config(self, old: Any, new: Any) -> None:
        self._load()
        # Redis's clientsCron would find clients already over a lowered limit within a second; look now.
        for c in list(self.server.clients.values()):
            self.check(c, asynchronous=False)

    def _forget(self, c: Client) -> None:
        self.soft_since.pop(c, None)

    def reached(self, c: Client, used: int) -> bool:
        """checkClientOutputBufferLimits: over the hard limit, or over the soft one for > soft-seconds."""
        hard, soft, soft_seconds = self.limits[client_class(c)]
        if hard and used >= hard:
            return True
        if soft and used >= soft:
            # Whole seconds and a strict ">" as Redis (server.unixtime): "pubsub 0 1mb 1" closes after 1-2 s.
            now = int(time.monotonic())
            since = self.soft_since.get(c)
            if since is None:
                self.soft_since[c] = now
                return False
            return now - since > soft_seconds
        self.soft_since.pop(c, None)
        return False

    def check(self, c: Client, asynchronous: bool = True) -> bool:
        """closeClientOnOutputBufferLimitReached: close c (dropping its pending output) if over a limit."""
        conn = c.conn
        if conn is None or conn.closed or c.flags & ClientFlag.CLOSE_ASAP:
            return False
        hook = self.replica_memory
        used = hook(c) if hook is not None and c.flags & ClientFlag.REPLICA else output_memory(c)
        if not used:
            self.soft_since.pop(c, None)
            return False
        if not self.reached(c, used):
            return False
        info = self.server.client_info(c)
        if asynchronous:
            self.server.log.warning(
                f"Client {info} scheduled to be closed ASAP for overcoming of output buffer limits."
            )
        else:
            self.server.log.warning(f"Client {info} closed for overcoming of output buffer limits.")
        c.flags |= ClientFlag.CLOSE_ASAP
        self.soft_since.pop(c, None)
        c.out.take()
        conn.abort()
        return True

    def cron(self) -> None:
        """clientsCron's limit check, for the clients whose soft-limit clock runs (they may have gone quiet)."""
        if self.soft_since:
            for c in list(self.soft_since):
                self.check(c, asynchronous=False)
