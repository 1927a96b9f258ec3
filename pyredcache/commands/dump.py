"""DUMP and RESTORE (Redis group "generic"): values serialized as RDB payloads, see persistence/dump.py."""
from __future__ import annotations

from typing import TYPE_CHECKING, Final

from .. import errors
from ..errors import ReplyError
from ..keyspace.notify import Event, signal_write
from ..persistence.dump import create_dump_payload, verify_and_parse
from ..replication.propagate import rewrite
from ..server.blocking import signal_key_as_ready
from .args import parse_int
from .table import command, key_range

if TYPE_CHECKING:
    from ..server.client import Client

_OK: Final = b"+OK\r\n"
_GENERIC: Final = Event.GENERIC
_LRU_CLOCK_MAX: Final = 0xFFFFFF


@command("dump", 2, "READONLY", keys=[key_range(1, "RO ACCESS")], acl="@keyspace", group="generic",
         since="2.6.0",
         complexity="O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis "
                    "objects composing the value and M their average size. For small string values the time "
                    "complexity is thus O(1)+O(1*M) where M is small, so simply O(1).",
         summary="Return a serialized version of the value stored at the specified key.", args="key:key",
         tips=("nondeterministic_output",))
def dump_command(c: Client, argv: list[bytes]) -> None:
    """DUMP key"""
    value = c.db.lookup_read(argv[1])
    if value is None:
        c.out.null()
        return
    config = c.server.config
    c.out.bulk(create_dump_payload(value, bool(config["rdbcompression"]),
                                   list_fill=int(config["list-max-listpack-size"])))


@command("restore", -4, "WRITE DENYOOM", keys=[key_range(1, "OW UPDATE")], acl="@keyspace @dangerous",
         group="generic", since="2.6.0",
         complexity="O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where "
                    "N is the number of Redis objects composing the value and M their average size. For small "
                    "string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). "
                    "However for sorted set values the complexity is O(N*M*log(N)) because inserting values into "
                    "sorted sets is O(log(N)).",
         summary="Create a key using the provided serialized value, previously obtained using DUMP.",
         args="key:key ttl:integer serialized-value:string [REPLACE<3.0.0>] [ABSTTL<5.0.0>] "
              "[seconds:IDLETIME=integer<5.0.0>] [frequency:FREQ=integer<5.0.0>]",
         history=(("3.0.0", "Added the `REPLACE` modifier."), ("5.0.0", "Added the `ABSTTL` modifier."),
                  ("5.0.0", "Added the `IDLETIME` and `FREQ` options.")))
def restore_command(c: Client, argv: list[bytes]) -> None:
    """RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]"""
    replace = absttl = False
    idle = freq = -1
    n = len(argv)
    i = 4
    while i < n:
        opt = argv[i].lower()
        more = i + 1 < n
        if opt == b"replace":
            replace = True
        elif opt == b"absttl":
            absttl = True
        elif opt == b"idletime" and more and freq == -1:
            i += 1
            idle = parse_int(argv[i])
            if idle < 0:
                raise ReplyError(errors.INVALID_IDLETIME)
        elif opt == b"freq" and more and idle == -1:
            i += 1
            freq = parse_int(argv[i])
            if not 0 <= freq <= 255:
                raise ReplyError(errors.INVALID_FREQ)
        else:
            raise ReplyError(errors.SYNTAX)
        i += 1
    db = c.db
    server = c.server
    key = argv[1]
    if not replace and db.lookup_write(key) is not None:
        raise ReplyError(errors.BUSYKEY)
    ttl = parse_int(argv[2])
    if ttl < 0:
        raise ReplyError(errors.INVALID_TTL)
    value = verify_and_parse(argv[3], server.limits)
    deleted = db.delete(key) if replace else False
    now = server.ctx.now_ms
    if ttl and not absttl:
        ttl += now
    if ttl and ttl <= now:
        # Already expired: nothing is created; a replaced key is gone ("del", as Redis propagates it).
        if deleted:
            rewrite(c, [b"DEL", key])
            signal_write(server, db, key, b"del", _GENERIC)
        c.out.raw(_OK)
        return
    db.set_key(key, value)
    if ttl:
        db.set_expire(key, ttl)
        if not absttl:     # replicas get the absolute time
            rewrite(c, [argv[0], key, b"%d" % ttl, *argv[3:], b"ABSTTL"])
    _set_lru_or_lfu(c, key, idle, freq)
    signal_key_as_ready(server, db, key)
    signal_write(server, db, key, b"restore", _GENERIC)
    c.out.raw(_OK)


def _set_lru_or_lfu(c: Client, key: bytes, idle: int, freq: int) -> None:
    """objectSetLRUOrLFU: FREQ under an LFU policy, IDLETIME (seconds) otherwise; the other is ignored."""
    ctx = c.server.ctx
    if "lfu" in c.server.config["maxmemory-policy"]:
        if freq >= 0:
            c.db.set_lru(key, (((ctx.now_ms // 60000) & 0xFFFF) << 8) | freq)
    elif idle >= 0:
        clock = ctx.lru_clock()
        lru_abs = clock - idle
        if lru_abs < 0:
            lru_abs = (clock + _LRU_CLOCK_MAX // 2) % _LRU_CLOCK_MAX
        c.db.set_lru(key, lru_abs)
