"""Keyspace event classes and the write signal every command sends after changing a key.

signal_write is the Redis triple behind one call: WATCH invalidation, the keyspace event, dirty++.
Event values are config.KeyspaceEvents' bits (Redis's NOTIFY_*), copied to plain ints for the hot path.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..config_directives import KeyspaceEvents

if TYPE_CHECKING:
    from .._speedups.keyspace import Db
    from ..server.instance import Server


class Event:
    """Event class bits as plain ints (read on every write; enum members cost a lookup and an allocation)."""

    KEYSPACE = int(KeyspaceEvents.KEYSPACE)
    KEYEVENT = int(KeyspaceEvents.KEYEVENT)
    GENERIC = int(KeyspaceEvents.GENERIC)
    STRING = int(KeyspaceEvents.STRING)
    LIST = int(KeyspaceEvents.LIST)
    SET = int(KeyspaceEvents.SET)
    HASH = int(KeyspaceEvents.HASH)
    ZSET = int(KeyspaceEvents.ZSET)
    EXPIRED = int(KeyspaceEvents.EXPIRED)
    EVICTED = int(KeyspaceEvents.EVICTED)
    STREAM = int(KeyspaceEvents.STREAM)
    KEY_MISS = int(KeyspaceEvents.KEY_MISS)
    MODULE = int(KeyspaceEvents.MODULE)
    NEW = int(KeyspaceEvents.NEW)


def signal_write(server: Server, db: Db, key: bytes, event: bytes, cls: int, dirty: int = 1) -> None:
    """After a write to `key`: re-measure its value for used_memory (containers change in place), invalidate
    WATCHes, publish the keyspace event, count it as dirty."""
    db.resize(key)
    server.dirty += dirty
    if server.watch_hook is not None:
        server.watch_hook(db, key)
    if server.notify_hook is not None:
        server.notify_hook(db, key, event, cls)
