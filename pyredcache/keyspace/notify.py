"""Keyspace event classes (notify-keyspace-events letters) and the write signal every command sends.

signal_write is the Redis triple behind one call: WATCH invalidation, the keyspace event, dirty++.
"""
from __future__ import annotations

import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._speedups.keyspace import Db
    from ..server.instance import Server


class Event(enum.IntFlag):
    KEYSPACE = 1 << 0    # K
    KEYEVENT = 1 << 1    # E
    GENERIC = 1 << 2     # g
    STRING = 1 << 3      # $
    LIST = 1 << 4        # l
    SET = 1 << 5         # s
    HASH = 1 << 6        # h
    ZSET = 1 << 7        # z
    EXPIRED = 1 << 8     # x
    EVICTED = 1 << 9     # e
    STREAM = 1 << 10     # t
    KEY_MISS = 1 << 11   # m
    MODULE = 1 << 12     # d
    NEW = 1 << 13        # n


LETTERS: dict[str, Event] = {
    "K": Event.KEYSPACE, "E": Event.KEYEVENT, "g": Event.GENERIC, "$": Event.STRING, "l": Event.LIST,
    "s": Event.SET, "h": Event.HASH, "z": Event.ZSET, "x": Event.EXPIRED, "e": Event.EVICTED,
    "t": Event.STREAM, "m": Event.KEY_MISS, "d": Event.MODULE, "n": Event.NEW,
}
# 'A' is an alias for "g$lshzxetd" (every class but m and n).
ALL_CLASSES = (Event.GENERIC | Event.STRING | Event.LIST | Event.SET | Event.HASH | Event.ZSET
               | Event.EXPIRED | Event.EVICTED | Event.STREAM | Event.MODULE)


def parse_flags(text: str) -> Event | None:
    """notify-keyspace-events string → flags (None if a letter is unknown), as keyspaceEventsStringToFlags."""
    flags = Event(0)
    for ch in text:
        if ch == "A":
            flags |= ALL_CLASSES
        elif ch in LETTERS:
            flags |= LETTERS[ch]
        else:
            return None
    return flags


def signal_write(server: Server, db: Db, key: bytes, event: bytes, cls: Event, dirty: int = 1) -> None:
    """After a write to `key`: invalidate WATCHes, publish the keyspace event, count it as dirty."""
    server.dirty += dirty
    if server.watch_hook is not None:
        server.watch_hook(db, key)
    if server.notify_hook is not None:
        server.notify_hook(db, key, event, cls)
