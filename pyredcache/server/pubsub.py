"""Pub/Sub registry: channel, pattern and shard-channel subscribers, message delivery, keyspace events.

Created on first use by registry(server); it then forgets clients on disconnect/RESET and publishes
keyspace notifications (server.notify_hook and the keyspace's on_expired hook).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._speedups.glob import stringmatch
from ..keyspace.notify import Event

if TYPE_CHECKING:
    from .._speedups.keyspace import Db
    from .client import Client
    from .instance import Server

Subscribers = dict["Client", None]   # an insertion-ordered set of clients

_KEYSPACE = Event.KEYSPACE
_KEYEVENT = Event.KEYEVENT
_EXPIRED = Event.EXPIRED
_NEW = Event.NEW
_KEY_MISS = Event.KEY_MISS


class PubSub:
    """pubsub_channels / pubsub_patterns / pubsub_shardchannels: name -> subscribers (in subscription order)."""

    __slots__ = ("server", "channels", "patterns", "shard_channels", "notify_flags", "_chained_expired")

    def __init__(self, server: Server) -> None:
        self.server = server
        self.channels: dict[bytes, Subscribers] = {}
        self.patterns: dict[bytes, Subscribers] = {}
        self.shard_channels: dict[bytes, Subscribers] = {}
        self.notify_flags = int(server.config["notify-keyspace-events"])
        server.free_client_hooks.append(self.forget_client)
        server.reset_client_hooks.append(self.forget_client)
        server.config.add_apply_hook("notify-keyspace-events", self._on_notify_config)
        server.notify_hook = self.notify
        ctx = server.ctx
        self._chained_expired: Any = ctx.on_expired
        ctx.on_expired = self.on_expired
        self._install_lookup_hooks()

    # ------------------------------------------------------------------------------ subscriptions

    @staticmethod
    def _add(table: dict[bytes, Subscribers], name: bytes, c: Client) -> None:
        subs = table.get(name)
        if subs is None:
            subs = table[name] = {}
        subs[c] = None

    @staticmethod
    def _remove(table: dict[bytes, Subscribers], name: bytes, c: Client) -> None:
        subs = table.get(name)
        if subs is not None:
            subs.pop(c, None)
            if not subs:
                del table[name]

    def subscribe(self, c: Client, channel: bytes) -> None:
        if channel not in c.sub_channels:
            c.sub_channels.add(channel)
            self._add(self.channels, channel, c)

    def unsubscribe(self, c: Client, channel: bytes) -> None:
        if channel in c.sub_channels:
            c.sub_channels.discard(channel)
            self._remove(self.channels, channel, c)

    def psubscribe(self, c: Client, pattern: bytes) -> None:
        if pattern not in c.sub_patterns:
            c.sub_patterns.add(pattern)
            self._add(self.patterns, pattern, c)

    def punsubscribe(self, c: Client, pattern: bytes) -> None:
        if pattern in c.sub_patterns:
            c.sub_patterns.discard(pattern)
            self._remove(self.patterns, pattern, c)

    def ssubscribe(self, c: Client, channel: bytes) -> None:
        if channel not in c.sub_shard_channels:
            c.sub_shard_channels.add(channel)
            self._add(self.shard_channels, channel, c)

    def sunsubscribe(self, c: Client, channel: bytes) -> None:
        if channel in c.sub_shard_channels:
            c.sub_shard_channels.discard(channel)
            self._remove(self.shard_channels, channel, c)

    def forget_client(self, c: Client) -> None:
        """Drop every subscription of c without notifying it (disconnect, RESET)."""
        for channel in c.sub_channels:
            self._remove(self.channels, channel, c)
        for pattern in c.sub_patterns:
            self._remove(self.patterns, pattern, c)
        for channel in c.sub_shard_channels:
            self._remove(self.shard_channels, channel, c)
        c.sub_channels.clear()
        c.sub_patterns.clear()
        c.sub_shard_channels.clear()
        c.update_pubsub_flag()

    # ------------------------------------------------------------------------------ delivery

    def publish(self, channel: bytes, message: bytes, sender: Client | None = None) -> int:
        """pubsubPublishMessage: deliver to channel subscribers, then to matching patterns; receivers."""
        receivers = 0
        mark = self.server.mark_pending_write
        subs = self.channels.get(channel)
        if subs:
            for c in subs:
                out = c.out
                out.push_header(3)
                out.bulk(b"message")
                out.bulk(channel)
                out.bulk(message)
                if c is not sender:
                    mark(c)
            receivers += len(subs)
        if self.patterns:
            for pattern, psubs in list(self.patterns.items()):
                if not stringmatch(pattern, channel):
                    continue
                for c in psubs:
                    out = c.out
                    out.push_header(4)
                    out.bulk(b"pmessage")
                    out.bulk(pattern)
                    out.bulk(channel)
                    out.bulk(message)
                    if c is not sender:
                        mark(c)
                receivers += len(psubs)
        return receivers

    def spublish(self, channel: bytes, message: bytes, sender: Client | None = None) -> int:
        subs = self.shard_channels.get(channel)
        if not subs:
            return 0
        mark = self.server.mark_pending_write
        for c in subs:
            out = c.out
            out.push_header(3)
            out.bulk(b"smessage")
            out.bulk(channel)
            out.bulk(message)
            if c is not sender:
                mark(c)
        return len(subs)

    # ------------------------------------------------------------------------------ keyspace events

    def _on_notify_config(self, old: Any, new: Any) -> None:
        self.notify_flags = int(self.server.config["notify-keyspace-events"])
        self._install_lookup_hooks()

    def _install_lookup_hooks(self) -> None:
        """The keyspace calls back on every new key / read miss only while "n" / "m" events are enabled."""
        ctx = self.server.ctx
        flags = self.notify_flags
        ctx.on_new = self._on_new if flags & _NEW else None
        ctx.on_miss = self._on_miss if flags & _KEY_MISS else None

    def _on_new(self, db: Db, key: bytes) -> None:
        self.notify(db, key, b"new", _NEW)

    def _on_miss(self, db: Db, key: bytes) -> None:
        self.notify(db, key, b"keymiss", _KEY_MISS)

    def notify(self, db: Db, key: bytes, event: bytes, cls: int) -> None:
        """notifyKeyspaceEvent: publish __keyspace@N__:key <event> and/or __keyevent@N__:<event> <key>."""
        flags = self.notify_flags
        if not flags & cls or not (self.channels or self.patterns):
            return
        key = bytes(key)
        if flags & _KEYSPACE:
            self.publish(b"__keyspace@%d__:%b" % (db.id, key), event)
        if flags & _KEYEVENT:
            self.publish(b"__keyevent@%d__:%b" % (db.id, event), key)

    def on_expired(self, db: Db, key: bytes) -> None:
        self.notify(db, key, b"expired", _EXPIRED)
        chained = self._chained_expired
        if chained is not None:
            chained(db, key)


def registry(server: Server) -> PubSub:
    """The server's PubSub registry, created (and its hooks installed) on first use."""
    ps: PubSub | None = getattr(server, "pubsub", None)
    if ps is None:
        ps = PubSub(server)
        server.pubsub = ps  # type: ignore[attr-defined]
    return ps
