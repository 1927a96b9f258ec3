"""MIGRATE and RESTORE-ASKING (Redis 7.0 cluster.c migrateCommand): keys moved to another instance as DUMP
payloads restored there, over a connection cached per host:port.

MIGRATE blocks the whole server on its exchange with the target, as migrateCommand does; the blocking sockets
and their per-target cache are cluster/migrate.py.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Final

from .. import errors
from ..cluster.migrate import Link, SocketCache, cache_for, encode_command
from ..errors import ReplyError
from ..keyspace.notify import Event, signal_write
from ..persistence.dump import create_dump_payload
from ..replication.propagate import rewrite
from .args import parse_int
from .dump import restore_command
from .table import command, key_keyword, key_range

if TYPE_CHECKING:
    from ..server.client import Client

_OK: Final = b"+OK\r\n"
_NOKEY: Final = b"+NOKEY\r\n"
_REDACTED: Final = b"(redacted)"
_GENERIC: Final = Event.GENERIC


_KEY_SPEC: Final = key_range(3, "RW ACCESS DELETE")
_OPTION_ARGS: Final = {b"auth": 1, b"auth2": 2}


def migrate_get_keys(argv: list[bytes]) -> list[tuple[int, int]]:
    """migrateGetKeys: argv[3], or everything after KEYS when argv[3] is the empty string (none when it is
    not: the command will fail with a syntax error). AUTH/AUTH2 arguments are skipped, not read as KEYS."""
    n = len(argv)
    flags = _KEY_SPEC.flags
    i = 6
    while i < n:
        word = argv[i].lower()
        if word == b"keys":
            if argv[3]:
                return []
            return [(pos, flags) for pos in range(i + 1, n)]
        i += _OPTION_ARGS.get(word, 0) + 1
    return [(3, flags)] if n > 3 else []


class _SocketFailure(Exception):
    """A write or read on the link failed; `timed_out` as Redis's errno == ETIMEDOUT."""

    def __init__(self, writing: bool, timed_out: bool) -> None:
        super().__init__()
        self.writing = writing
        self.timed_out = timed_out


@command("migrate", -6, "WRITE",
         keys=[_KEY_SPEC,
               key_keyword(b"KEYS", -2, "RW ACCESS DELETE INCOMPLETE", lastkey=-1)],
         get_keys_fn=migrate_get_keys, acl="@keyspace @dangerous", group="generic", since="2.6.0",
         complexity="This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the "
                    "target instance. See the pages of these commands for time complexity. Also an O(N) data "
                    "transfer between the two instances is performed.",
         summary="Atomically transfer a key from a Redis instance to another one.",
         args='host:string port:integer key_or_empty_string:{key:key|empty_string:""} destination-db:integer '
              "timeout:integer [COPY<3.0.0>] [REPLACE<3.0.0>] "
              "[authentication:{[password:AUTH=string<4.0.7>]|"
              "[username_password:AUTH2={username:string password:string}<6.0.0>]}] "
              "[key:KEYS=key@1...<3.0.6>]",
         tips=("nondeterministic_output",),
         history=(("3.0.0", "Added the `COPY` and `REPLACE` options."), ("3.0.6", "Added the `KEYS` option."),
                  ("4.0.7", "Added the `AUTH` option."), ("6.0.0", "Added the `AUTH2` option.")))
def migrate_command(c: Client, argv: list[bytes]) -> None:
    """MIGRATE host port <key | ""> destination-db timeout [COPY] [REPLACE] [AUTH password |
    AUTH2 username password] [KEYS key [key ...]]"""
    copy = replace = False
    username: bytes | None = None
    password: bytes | None = None
    first_key, num_keys = 3, 1
    n = len(argv)
    j = 6
    while j < n:
        opt = argv[j].lower()
        more = n - 1 - j
        if opt == b"copy":
            copy = True
        elif opt == b"replace":
            replace = True
        elif opt == b"auth":
            if not more:
                raise ReplyError(errors.SYNTAX)
            j += 1
            password = argv[j]
            argv[j] = _REDACTED   # redactClientCommandArgument: kept out of the slow log and MONITOR
        elif opt == b"auth2":
            if more < 2:
                raise ReplyError(errors.SYNTAX)
            username, password = argv[j + 1], argv[j + 2]
            argv[j + 1] = argv[j + 2] = _REDACTED
            j += 2
        elif opt == b"keys":
            if argv[3]:
                raise ReplyError(errors.MIGRATE_KEYS_NEED_EMPTY_KEY)
            first_key = j + 1
            num_keys = n - j - 1
            break
        else:
            raise ReplyError(errors.SYNTAX)
        j += 1
    timeout_ms = parse_int(argv[5])
    dbid = parse_int(argv[4])
    if timeout_ms <= 0:
        timeout_ms = 1000

    # All keys missing is NOKEY, not an error: they usually just expired meanwhile.
    db = c.db
    found: list[tuple[bytes, object]] = []
    for key in argv[first_key:first_key + num_keys]:
        value = db.lookup_read(key)
        if value is not None:
            found.append((key, value))
    if not found:
        c.out.raw(_NOKEY)
        return

    server = c.server
    config = server.config
    restore = b"RESTORE-ASKING" if config["cluster-enabled"] else b"RESTORE"
    compress = bool(config["rdbcompression"])
    list_fill = int(config["list-max-listpack-size"])
    now = server.ctx.now_ms
    keys: list[bytes] = []
    pipeline: list[bytes] = []
    for key, value in found:
        ttl = 0
        expire_at = db.get_expire(key)
        if expire_at != -1:
            ttl = expire_at - now
            if ttl < 0:
                continue
            ttl = max(ttl, 1)
        keys.append(key)
        parts = [restore, key, b"%d" % ttl, create_dump_payload(value, compress, list_fill=list_fill)]
        if replace:
            parts.append(b"REPLACE")
        pipeline.append(encode_command(parts))
    prelude = b""
    if password is not None:
        prelude = encode_command([b"AUTH", username, password] if username is not None else [b"AUTH", password])
    restores = b"".join(pipeline)

    cache = cache_for(server)
    host, port = argv[1], argv[2]
    may_retry = True
    while True:
        link = cache.get(host, port, timeout_ms / 1000)
        if link is None:
            raise ReplyError(errors.MIGRATE_IOERR_CONNECT)
        try:
            _exchange(c, link, keys, prelude, restores, dbid, copy, host, port, cache)
            return
        except _SocketFailure as failure:
            # socket_err: drop the link; retry once on a fresh one unless the target simply timed out.
            cache.close(host, port)
            if not failure.timed_out and may_retry:
                may_retry = False
                continue
            raise ReplyError(errors.migrate_ioerr(failure.writing)) from None


def _exchange(c: Client, link: Link, keys: list[bytes], prelude: bytes, restores: bytes, dbid: int,
              copy: bool, host: bytes, port: bytes, cache: SocketCache) -> None:
    """One attempt: write AUTH/SELECT/RESTOREs in one go, then read the replies one by one.

    Raises _SocketFailure when the attempt may be retried (nothing was read back yet), ReplyError otherwise.
    """
    select_db = link.last_dbid != dbid
    head = prelude + (encode_command([b"SELECT", b"%d" % dbid]) if select_db else b"")
    try:
        link.write(head + restores)
    except OSError as exc:
        raise _SocketFailure(True, isinstance(exc, TimeoutError)) from None
    try:
        auth_reply = link.read_line() if prelude else b""
        select_reply = link.read_line() if select_db else b""
    except OSError as exc:
        raise _SocketFailure(False, isinstance(exc, TimeoutError)) from None

    server = c.server
    db = c.db
    target_error: bytes | None = None
    deleted: list[bytes] = []
    failure: OSError | None = None
    read = 0
    for key in keys:
        try:
            reply = link.read_line()
        except OSError as exc:
            failure = exc
            break
        read += 1
        if auth_reply[:1] == b"-" or select_reply[:1] == b"-" or reply[:1] == b"-":
            if target_error is None:
                link.last_dbid = -1     # after an error the target's current db is unknown
                bad = (auth_reply if auth_reply[:1] == b"-" else
                       select_reply if select_reply[:1] == b"-" else reply)
                target_error = bad[1:]
        elif not copy:
            db.delete(key)
            signal_write(server, db, key, b"del", _GENERIC)
            deleted.append(key)
    if failure is not None:
        timed_out = isinstance(failure, TimeoutError)
        if target_error is None and read == 0:
            raise _SocketFailure(False, timed_out)
        cache.close(host, port)
    if deleted:
        # Replicas and the AOF see the keys that left as one DEL.
        rewrite(c, [b"DEL", *deleted])
    if target_error is not None:
        raise ReplyError(errors.migrate_target_error(target_error))
    if failure is not None:
        raise ReplyError(errors.migrate_ioerr(False))
    link.last_dbid = dbid
    c.out.raw(_OK)


@command("restore-asking", -4, "WRITE DENYOOM ASKING", keys=[key_range(1, "OW UPDATE")],
         acl="@keyspace @dangerous", group="server", since="3.0.0",
         complexity="O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where "
                    "N is the number of Redis objects composing the value and M their average size. For small "
                    "string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). "
                    "However for sorted set values the complexity is O(N*M*log(N)) because inserting values into "
                    "sorted sets is O(log(N)).",
         summary="An internal command for migrating keys in a cluster", doc_flags=("syscmd",),
         args="key:key ttl:integer serialized-value:string [REPLACE<3.0.0>] [ABSTTL<5.0.0>] "
              "[seconds:IDLETIME=integer<5.0.0>] [frequency:FREQ=integer<5.0.0>]",
         history=(("3.0.0", "Added the `REPLACE` modifier."), ("5.0.0", "Added the `ABSTTL` modifier."),
                  ("5.0.0", "Added the `IDLETIME` and `FREQ` options.")))
def restore_asking_command(c: Client, argv: list[bytes]) -> None:
    """RESTORE-ASKING key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]"""
    restore_command(c, argv)
