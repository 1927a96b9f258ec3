"""WATCH bookkeeping: which clients watch which (db, key), and the hooks that mark them DIRTY_CAS.

One registry per server, created by the first WATCH; it installs the server's write, flush, SWAPDB, expiry,
disconnect and RESET hooks. Touching a watched key flags every watcher dirty and drops all its watches.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .client import ClientFlag

if TYPE_CHECKING:
    from .._speedups.keyspace import Db
    from .client import Client
    from .instance import Server

_DIRTY_CAS = ClientFlag.DIRTY_CAS
_NO_TTL = -1

# Per watched key: client -> "the key was already logically expired when WATCH ran" (Redis's wk->expired).
Watchers = dict["Client", bool]


def _raw_exists(db: Db, key: bytes) -> bool:
    """dictFind on the main table: present even if logically expired (no lazy expiry)."""
    return db.get_expire(key) != _NO_TTL or db.peek(key) is not None


def _is_expired(db: Db, key: bytes) -> bool:
    """keyIsExpired: present with a TTL in the past (still alive at exactly its expire time)."""
    when = db.get_expire(key)
    return when != _NO_TTL and when < db.ctx.now_ms


class WatchRegistry:
    """db id -> key -> watching clients; each client's `watched` set names its (db id, key) pairs."""

    __slots__ = ("server", "by_db", "_chained_expired", "count")

    def __init__(self, server: Server) -> None:
        self.server = server
        self.by_db: list[dict[bytes, Watchers]] = [{} for _ in server.dbs]
        self.count = 0   # watched (db, key) entries; the write hook is installed only while it is > 0
        server.flush_hook = self.on_flush
        server.swapdb_hooks.append(self.on_swapdb)
        server.free_client_hooks.append(self.unwatch_all)
        server.reset_client_hooks.append(self.on_reset)
        ctx = server.ctx
        self._chained_expired: Any = ctx.on_expired
        ctx.on_expired = self.on_expired

    # ------------------------------------------------------------------------------ client side

    def watch(self, c: Client, key: bytes) -> None:
        """watchForKey: remember that c watches key in its current db (once)."""
        db = c.db
        pair = (db.id, key)
        watched = c.watched
        if watched is None:
            watched = c.watched = set()
        elif pair in watched:
            return
        watched.add(pair)
        keys = self.by_db[db.id]
        watchers = keys.get(key)
        if watchers is None:
            watchers = keys[key] = {}
            self.count += 1
            if self.count == 1:
                self.server.watch_hook = self.touch
        watchers[c] = _is_expired(db, key)

    def unwatch_all(self, c: Client) -> None:
        """unwatchAllKeys (the caller clears DIRTY_CAS where Redis does)."""
        watched = c.watched
        if not watched:
            return
        c.watched = None
        by_db = self.by_db
        for db_id, key in watched:
            keys = by_db[db_id]
            watchers = keys.get(key)
            if watchers is None:
                continue
            watchers.pop(c, None)
            if not watchers:
                del keys[key]
                self.count -= 1
        if self.count == 0 and self.server.watch_hook == self.touch:
            self.server.watch_hook = None

    def on_reset(self, c: Client) -> None:
        """RESET runs discardTransaction: watches and the dirty mark go."""
        self.unwatch_all(c)
        c.flags &= ~_DIRTY_CAS

    def any_expired(self, c: Client) -> bool:
        """isWatchedKeyExpired: a watched key (alive when WATCH ran) has expired since, deleted or not."""
        watched = c.watched
        if not watched:
            return False
        dbs = self.server.dbs
        by_db = self.by_db
        for db_id, key in watched:
            watchers = by_db[db_id].get(key)
            if watchers is not None and not watchers.get(c, True) and _is_expired(dbs[db_id], key):
                return True
        return False

    def _dirty(self, c: Client) -> None:
        c.flags |= _DIRTY_CAS
        self.unwatch_all(c)   # a dirty client has nothing more to learn from its watches

    # ------------------------------------------------------------------------------ keyspace side

    def touch(self, db: Db, key: bytes) -> None:
        """touchWatchedKey: `key` in `db` was written (or deleted)."""
        watchers = self.by_db[db.id].get(key)
        if watchers is None:
            return
        for c, expired in list(watchers.items()):
            if expired:
                if not _raw_exists(db, key):
                    # A key already expired at WATCH time is now deleted: no logical change.
                    watchers[c] = False
                continue
            self._dirty(c)

    def on_expired(self, db: Db, key: bytes) -> None:
        """The keyspace removed an expired key (lazily or actively): a logical change for its watchers."""
        if self.by_db[db.id]:
            self.touch(db, key)
        chained = self._chained_expired
        if chained is not None:
            chained(db, key)

    def on_flush(self, db: Db) -> None:
        """FLUSHDB/FLUSHALL is about to empty db."""
        self._touch_all(db, None)

    def on_swapdb(self, a: Db, b: Db) -> None:
        """SWAPDB has exchanged the contents of a and b (clients stay on their db index)."""
        # Watchers of a's index lost what is now in b and got what is now in a, and vice versa.
        self._touch_all(b, a, self.by_db[a.id])
        self._touch_all(a, b, self.by_db[b.id])

    def _touch_all(self, emptied: Db, replaced_with: Db | None, keys: dict[bytes, Watchers] | None = None) -> None:
        """touchAllWatchedKeysInDb: watchers of a key present before or after the change become dirty."""
        if keys is None:
            keys = self.by_db[emptied.id]
        if not keys:
            return
        for key, watchers in list(keys.items()):
            in_emptied = _raw_exists(emptied, key)
            in_replaced = replaced_with is not None and _raw_exists(replaced_with, key)
            if not (in_emptied or in_replaced):
                continue
            for c, expired in list(watchers.items()):
                if c not in watchers:
                    continue
                if expired:
                    if not in_replaced:
                        watchers[c] = False   # the expired key is gone: no logical change
                        continue
                    assert replaced_with is not None
                    if _is_expired(replaced_with, key):
                        continue              # still an expired key
                elif not in_emptied and replaced_with is not None and _is_expired(replaced_with, key):
                    watchers[c] = True        # a missing key replaced by an expired one
                    continue
                self._dirty(c)


def registry(server: Server) -> WatchRegistry:
    """The server's WATCH registry, created with its hooks on first use."""
    reg = server.watches
    if reg is None:
        reg = server.watches = WatchRegistry(server)
    return reg  # type: ignore[no-any-return]
