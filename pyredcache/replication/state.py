"""The server's replication state: replication ids and offsets, the backlog, the stream feed, the links.

One `Replication` per server (`server.repl`). The primary side (replication/primary.py) registers replica
links in `replicas`; the replica side (replication/replica.py) keeps its link to our primary in `link`.
Everything that enters the stream goes through `feed()`: the backlog records it, `master_repl_offset`
advances, and every replica link gets it (a link still waiting for its RDB buffers it). With no backlog
(no replica ever attached), nothing is recorded and the offset stays, as Redis's feedReplicationBuffer.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Protocol

from .backlog import Backlog

if TYPE_CHECKING:
    from ..server.instance import Server

NO_REPLID = "0" * 40


def new_replid() -> str:
    return os.urandom(20).hex()


class StreamSink(Protocol):
    """A replica link as the stream feed sees it."""

    def feed(self, data: bytes) -> None: ...


class Replication:
    """replid/replid2, master_repl_offset/second_repl_offset, the backlog, and who gets the stream."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.replid = new_replid()
        self.replid2 = NO_REPLID
        self.offset = 0                 # master_repl_offset: offset of the last byte fed
        self.second_offset = -1         # second_repl_offset: replid2 is valid up to this offset - 1
        self.backlog: Backlog | None = None
        self.replicas: list[Any] = []   # primary-side links (StreamSink), in attach order
        self.link: Any = None           # replica-side: the link to our primary, None on a primary
        self.stream_db = -1             # db of the last SELECT in the stream; -1: the next write SELECTs

    # -- ids (PSYNC2) ----------------------------------------------------------------------------------

    def change_replid(self) -> None:
        """changeReplicationId: a new history (full resync, or a new primary's dataset)."""
        self.replid = new_replid()

    def clear_replid2(self) -> None:
        """clearReplicationId2."""
        self.replid2 = NO_REPLID
        self.second_offset = -1

    def shift_replid(self) -> None:
        """shiftReplicationId: on promotion, remember the old history so its replicas can PSYNC with it."""
        self.replid2 = self.replid
        # Replicas of the old primary can continue from our offset + 1 (the first byte we never had).
        self.second_offset = self.offset + 1
        self.change_replid()

    # -- backlog ----------------------------------------------------------------------------------------

    def create_backlog(self) -> Backlog:
        """createReplicationBacklog: started when the first replica attaches (or a replica needs one)."""
        if self.backlog is None:
            self.backlog = Backlog(int(self.server.config["repl-backlog-size"]), self.offset + 1)
            self.stream_db = -1     # the next command must carry a SELECT for whoever reads the backlog
        return self.backlog

    def free_backlog(self) -> None:
        """freeReplicationBacklog (repl-backlog-ttl elapsed with no replica)."""
        self.backlog = None

    # -- the stream -------------------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Append raw stream bytes: backlog, offset, every replica link."""
        backlog = self.backlog
        if backlog is None:
            return
        backlog.append(data)
        self.offset += len(data)
        for link in self.replicas:
            link.feed(data)

    def feed_command(self, dbid: int, argv: list[bytes]) -> None:
        """replicationFeedSlaves for one command: a SELECT first when the stream is in another db."""
        if self.backlog is None:
            return
        if dbid != self.stream_db:
            db = b"%d" % dbid
            self.feed(b"*2\r\n$6\r\nSELECT\r\n$%d\r\n%b\r\n" % (len(db), db))
            self.stream_db = dbid
        self.feed(encode_command(argv))


def encode_command(argv: list[bytes]) -> bytes:
    """A command as RESP multibulk, the way the stream carries it."""
    parts = [b"*%d\r\n" % len(argv)]
    for arg in argv:
        parts.append(b"$%d\r\n%b\r\n" % (len(arg), arg))
    return b"".join(parts)
