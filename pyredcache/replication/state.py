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

from .._speedups.resp import encode_command
from .backlog import Backlog
from .propagate import Propagator

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
        self.prop = Propagator(server, self)    # executed commands -> stream (propagate.py)
        server.config.add_apply_hook("repl-backlog-size", self._resize_backlog)
        if getattr(server, "rdb_save_info", None) is None:
            server.rdb_save_info = self.save_info  # type: ignore[attr-defined]

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
        # replicationUnsetMaster's disconnectSlaves: our replicas must learn the new id; they reconnect and
        # continue (PSYNC with the old id matches replid2), so this costs them only a reconnection.
        for link in list(self.replicas):
            link.close()

    def save_info(self) -> dict[str, bytes | int]:
        """rdbPopulateSaveInfo: the replication fields an RDB carries (persistence/snapshot.py asks), so a
        restarted server or a replica loading it can PSYNC from there."""
        link = self.link
        if link is None:
            if self.backlog is None:
                return {}
            # -1 (no write since the last full sync): 0 is safe, the next write carries a SELECT.
            stream_db = max(0, self.stream_db)
        else:
            client = getattr(link, "client", None)
            stream_db = client.db.id if client is not None else 0
        return {"repl-stream-db": stream_db, "repl-id": self.replid.encode(), "repl-offset": self.offset}

    # -- backlog ----------------------------------------------------------------------------------------

    def create_backlog(self) -> Backlog:
        """createReplicationBacklog: started when the first replica attaches (or a replica needs one)."""
        if self.backlog is None:
            self.backlog = Backlog(int(self.server.config["repl-backlog-size"]), self.offset + 1)
            self.stream_db = -1     # the next command must carry a SELECT for whoever reads the backlog
            self._set_propagating(True)
        return self.backlog

    def _resize_backlog(self, old: Any, new: Any) -> None:
        if self.backlog is not None:
            self.backlog.resize(int(new))

    def free_backlog(self) -> None:
        """freeReplicationBacklog (repl-backlog-ttl elapsed with no replica)."""
        self.backlog = None
        self._set_propagating(False)

    def attach_fastpath(self, fast: Any) -> None:
        """Called once the server's fast path exists: keep its propagation hook and its min-replicas hold
        (every request takes the pipeline, which answers NOREPLICAS) in step with the state and config."""
        cfg = self.server.config

        def hold(old: Any = None, new: Any = None) -> None:
            fast.hold = bool(cfg["min-replicas-to-write"] and cfg["min-replicas-max-lag"])

        for name in ("min-replicas-to-write", "min-replicas-max-lag"):
            cfg.add_apply_hook(name, hold)
        hold()
        fast.prop = self.prop if self.prop.on else None

    def _set_propagating(self, on: bool) -> None:
        # shouldPropagate: commands are watched (in dispatch.call and the fast path) only with a backlog.
        self.prop.on = on
        fast = getattr(self.server, "fastpath", None)
        if fast is not None:
            fast.prop = self.prop if on else None

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
