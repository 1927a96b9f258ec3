"""DEBUG (group "server"): the subset of redis-server 7.0.15's debugging subcommands that pyredcache supports.

OBJECT, RELOAD, SLEEP, SET-ACTIVE-EXPIRE, DIGEST, DIGEST-VALUE, POPULATE, PROTOCOL, ERROR, LOG, CHANGE-REPL-ID, HELP.
Refused unless enable-debug-command allows the client (yes, or local for loopback/unix-socket clients).
"""
from __future__ import annotations

import hashlib
import re
import struct
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from .. import errors
from ..datatypes.encoding import encoding_name, is_shared_integer, rdb_len_size, string_int_value, type_name
from ..datatypes.hashes import Hash
from ..datatypes.lists import RedisList
from ..datatypes.sets import RedisSet
from ..datatypes.zsets import RedisZSet
from ..errors import ReplyError
from ..persistence.rdb import encode_value
from .args import parse_float, parse_int
from .server import help_reply, lookup_notouch
from .table import command

if TYPE_CHECKING:
    from .._speedups.keyspace import Db
    from ..server.client import Client
    from ..server.instance import Server

_OK: Final = b"+OK\r\n"
_SHARED_REFCOUNT: Final = 2147483647


_DEBUG_HELP: Final = (
    "CHANGE-REPL-ID",
    "    Change the replication IDs of the instance.",
    "    Dangerous: should be used only for testing the replication subsystem.",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "ERROR <string>",
    "    Return a Redis protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate Redis errors.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix. These are not propagated to",
    "    replicas. Cluster slots are not respected so keys not belonging to the",
    "    current node can be created in cluster mode.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "RELOAD [option ...]",
    "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
    "    * MERGE: conflicting keys will be loaded from RDB.",
    "    * NOFLUSH: the existing database will not be removed before load, but",
    "      conflicting keys will generate an exception and kill the server.",
    "    * NOSAVE: the database will be loaded from an existing RDB file.",
    "    Examples:",
    "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
    "      the database.",
    "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
    "      existing RDB file.",
    "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
    "      file to the database.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
)

_FLOAT_PREFIX: Final = re.compile(rb"\s*[+-]?(?:inf(?:inity)?|nan|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)", re.I)
_INT_PREFIX: Final = re.compile(rb"\s*[+-]?\d+")


def atof(raw: bytes) -> float:
    """C's strtod on the longest valid prefix (0.0 when there is none), as DEBUG SLEEP reads its argument."""
    m = _FLOAT_PREFIX.match(raw)
    return float(m.group()) if m else 0.0


def atoi(raw: bytes) -> int:
    """C's atoi: the leading integer, 0 when there is none (wrapped to 32 bits)."""
    m = _INT_PREFIX.match(raw)
    if not m:
        return 0
    value = int(m.group()) & 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


@command("debug", -2, "ADMIN NOSCRIPT LOADING STALE PROTECTED", group="server", since="1.0.0",
         complexity="Depends on subcommand.", summary="A container for debugging commands", doc_flags=("syscmd",))
def debug_command(c: Client, argv: list[bytes]) -> None:
    """DEBUG subcommand [argument ...]"""
    sub = argv[1].lower()
    handler = _DEBUG.get((sub, len(argv)))
    if handler is None:
        handler = _DEBUG.get((sub, -1))
        if handler is None or len(argv) < 3:
            raise ReplyError(errors.subcommand_syntax(argv[1], argv[0]))
    handler(c, argv)


def _debug_pyredcache_time(c: Client, argv: list[bytes]) -> None:
    """DEBUG PYREDCACHE-TIME ADVANCE <seconds> | FREEZE | UNFREEZE | GET: pyredcache's own, for embedded test
    servers (server/time_control.py); not in DEBUG HELP, which must match redis-server's."""
    from ..server import time_control

    if not c.server.clock.controllable:
        raise ReplyError(errors.TIME_CONTROL_DISABLED)
    op = argv[2].lower().decode("latin-1")
    if op not in time_control.OPS or (len(argv) != 4 if op == "advance" else len(argv) != 3):
        raise ReplyError(errors.subcommand_syntax(argv[1], argv[0]))
    seconds = parse_float(argv[3]) if op == "advance" else 0.0
    if not 0 <= seconds < float("inf"):
        raise ReplyError(errors.TIME_CONTROL_BAD_ADVANCE)
    now_ms = time_control.apply(c.server, op, seconds)
    if op == "get":
        c.out.integer(now_ms)
    else:
        c.out.raw(_OK)


def _debug_help(c: Client, argv: list[bytes]) -> None:
    help_reply(c, "DEBUG", _DEBUG_HELP)


def _debug_sleep(c: Client, argv: list[bytes]) -> None:
    # DEBUG SLEEP exists to stall the whole server (tests of timeouts and latency), so it blocks on purpose.
    seconds = atof(argv[2])
    if seconds > 0:
        time.sleep(seconds)
    c.out.raw(_OK)


def _debug_set_active_expire(c: Client, argv: list[bytes]) -> None:
    c.server.ctx.active_expire_enabled = bool(atoi(argv[2]))
    c.out.raw(_OK)


def _debug_log(c: Client, argv: list[bytes]) -> None:
    c.server.log.warning("DEBUG LOG: " + argv[2].decode("utf-8", "replace"))
    c.out.raw(_OK)


def _debug_error(c: Client, argv: list[bytes]) -> None:
    raise ReplyError(argv[2].replace(b"\r", b" ").replace(b"\n", b" "))


def _debug_change_repl_id(c: Client, argv: list[bytes]) -> None:
    server = c.server
    server.log.warning("Changing replication IDs after receiving DEBUG change-repl-id")
    repl = server.repl
    repl.replid = hashlib.sha1(struct.pack("d", time.time()) + repl.replid.encode()).hexdigest()
    repl.clear_replid2()
    c.out.raw(_OK)


def _debug_object(c: Client, argv: list[bytes]) -> None:
    key = argv[2]
    server = c.server
    value = lookup_notouch(c, key)
    if value is None:
        raise ReplyError(errors.NO_SUCH_KEY)
    lru = c.db.get_lru(key)
    idle = c.db.idle_seconds(key)
    refcount = 1
    if is_shared_integer(value):
        config = server.config
        policy = config["maxmemory-policy"]
        if not config["maxmemory"] or not ("lru" in policy or "lfu" in policy):
            refcount = _SHARED_REFCOUNT
    extra = getattr(value, "debug_object_extra", "")
    line = (f"Value at:0x{id(value):x} refcount:{refcount} encoding:{encoding_name(value).decode()} "
            f"serializedlength:{serialized_length(value, server)} lru:{lru} lru_seconds_idle:{idle}{extra}")
    c.out.simple(line.encode())


def serialized_length(value: object, server: Server) -> int:
    """rdbSavedObjectLen for DEBUG OBJECT (strings exactly when incompressible; other types ask the value)."""
    if isinstance(value, (bytes, bytearray)):
        data = bytes(value)
        n = len(data)
        number = string_int_value(data) if n <= 11 else None
        if number is not None and -(1 << 31) <= number < 1 << 31:
            # rdbTryIntegerEncoding: 1-, 2- or 4-byte integers after a one-byte type marker.
            if -(1 << 7) <= number < 1 << 7:
                return 2
            if -(1 << 15) <= number < 1 << 15:
                return 3
            return 5
        if server.config["rdbcompression"] and n > 20:
            compressed = _lzf_size(data)
            if compressed is not None:
                return 1 + rdb_len_size(compressed) + rdb_len_size(n) + compressed
        return rdb_len_size(n) + n
    try:
        # rdbSavedObjectLen: the real serialization, LZF and quicklist node split included.
        return len(encode_value(value, bool(server.config["rdbcompression"]),
                                list_fill=int(server.config["list-max-listpack-size"]))[1])
    except ValueError:
        length = getattr(value, "rdb_serialized_length", None)
        return int(length()) if callable(length) else 0


def _lzf_size(data: bytes) -> int | None:
    """Length of liblzf's output for ``data`` with Redis's settings (HLOG 16, VERY_FAST), or None when it
    does not fit in len-4 bytes (rdbSaveLzfStringObject then stores the string uncompressed).

    Only the output size is needed (DEBUG OBJECT's serializedlength), so no bytes are produced.
    """
    n = len(data)
    out_len = n - 4
    if n < 3 or out_len <= 0:
        return None
    htab: dict[int, int] = {}
    ip = 0
    op = 1      # the first literal run's header byte
    lit = 0
    hval = (data[0] << 8) | data[1]
    while ip < n - 2:
        hval = ((hval << 8) | data[ip + 2]) & 0xFFFFFF
        slot = ((hval >> 8) - hval * 5) & 0xFFFF
        ref = htab.get(slot, 0)
        htab[slot] = ip
        if (0 < ref and ip - ref - 1 < 8192 and data[ref + 2] == data[ip + 2]
                and data[ref] == data[ip] and data[ref + 1] == data[ip + 1]):
            length = 2
            maxlen = min(n - ip - length, 264)
            if op - (lit == 0) + 4 >= out_len:
                return None
            op -= lit == 0
            stopped = False
            if maxlen > 16:
                # liblzf's unrolled loop: 16 steps without the maxlen check
                for _ in range(16):
                    length += 1
                    if data[ref + length] != data[ip + length]:
                        stopped = True
                        break
            if not stopped:
                length += 1
                while length < maxlen and data[ref + length] == data[ip + length]:
                    length += 1
            length -= 2
            ip += 1
            op += 2 if length < 7 else 3
            op += 1     # next literal run's header
            lit = 0
            ip += length + 1
            if ip >= n - 2:
                break
            ip -= 2
            hval = (data[ip] << 8) | data[ip + 1]
            for _ in range(2):
                hval = ((hval << 8) | data[ip + 2]) & 0xFFFFFF
                htab[((hval >> 8) - hval * 5) & 0xFFFF] = ip
                ip += 1
        else:
            if op >= out_len:
                return None
            lit += 1
            op += 1
            ip += 1
            if lit == 32:
                lit = 0
                op += 1
    if op + 3 > out_len:
        return None
    while ip < n:
        lit += 1
        op += 1
        ip += 1
        if lit == 32:
            lit = 0
            op += 1
    op -= lit == 0
    return op


# DEBUG DIGEST: Redis's OBJ_* type codes, mixed into each value's digest.
_TYPE_CODES: Final = {b"string": 0, b"list": 1, b"set": 2, b"zset": 3, b"hash": 4, b"stream": 6}


def xor_digest(digest: bytearray, data: bytes) -> None:
    """xorDigest: XOR SHA1(data) into the 20-byte digest (order-independent accumulation)."""
    for i, b in enumerate(hashlib.sha1(data).digest()):
        digest[i] ^= b


def mix_digest(digest: bytearray, data: bytes) -> None:
    """mixDigest: XOR SHA1(data) in, then replace the digest by its own SHA1 (order-dependent)."""
    xor_digest(digest, data)
    digest[:] = hashlib.sha1(bytes(digest)).digest()


def object_digest(db: Db, key: bytes, value: object, digest: bytearray) -> bytearray:
    """xorObjectDigest: mix one value (its type, contents and whether it has a TTL) into ``digest``.

    Lists mix their elements in order; sets XOR their members; hashes and sorted sets XOR one sub-digest per
    field/value or member/score pair (the score as "%.17g" text), so their order does not matter.
    """
    tname = type_name(value)
    mix_digest(digest, struct.pack(">I", _TYPE_CODES.get(tname, 5)))
    if tname == b"string":
        mix_digest(digest, bytes(value))  # type: ignore[call-overload]
    elif isinstance(value, RedisList):
        for item in value:
            mix_digest(digest, bytes(item))
    elif isinstance(value, RedisSet):
        for member in value:
            xor_digest(digest, member)
    elif isinstance(value, Hash):
        for field, field_value in value.items():
            pair = bytearray(20)
            mix_digest(pair, field)
            mix_digest(pair, field_value)
            xor_digest(digest, bytes(pair))
    elif isinstance(value, RedisZSet):
        for member, score in value.range_by_rank(0, len(value) - 1, False):
            pair = bytearray(20)
            mix_digest(pair, member)
            mix_digest(pair, b"%.17g" % score)
            xor_digest(digest, bytes(pair))
    if db.get_expire(key) != -1:
        xor_digest(digest, b"!!expire!!")
    return digest


def dataset_digest(server: Server) -> bytes:
    """computeDatasetDigest: order-independent over keys; 20 zero bytes for an empty dataset."""
    final = bytearray(20)
    for db in server.dbs:
        if not len(db):
            continue
        mix_digest(final, struct.pack(">I", db.id))
        for key, value, _expire in db.items():
            digest = bytearray(20)
            mix_digest(digest, key)
            object_digest(db, key, value, digest)
            xor_digest(final, bytes(digest))
    return bytes(final)


def _debug_digest(c: Client, argv: list[bytes]) -> None:
    c.out.simple(dataset_digest(c.server).hex().encode())


def _debug_digest_value(c: Client, argv: list[bytes]) -> None:
    out = c.out
    out.array_header(len(argv) - 2)
    db = c.db
    for key in argv[2:]:
        value = lookup_notouch(c, key)
        digest = object_digest(db, key, value, bytearray(20)) if value is not None else bytearray(20)
        out.simple(digest.hex().encode())


def _debug_populate(c: Client, argv: list[bytes]) -> None:
    if len(argv) > 5:
        raise ReplyError(errors.subcommand_syntax(argv[1], argv[0]))
    count = _positive(argv[2])
    size = _positive(argv[4]) if len(argv) == 5 else 0
    prefix = argv[3] if len(argv) >= 4 else b"key"
    db = c.db
    server = c.server
    watch = server.watch_hook
    for j in range(count):
        key = b"%s:%d" % (prefix, j)
        if db.lookup_write(key) is not None:
            continue
        value = b"value:%d" % j
        if size:
            value = value[:size].ljust(size, b"\x00")
        db.set_key(key, value)
        # Not propagated and no keyspace event, as Redis; WATCH still sees the key change.
        if watch is not None:
            watch(db, key)
    c.out.raw(_OK)


def _positive(raw: bytes) -> int:
    try:
        value = parse_int(raw)
    except ReplyError:
        raise ReplyError(errors.MUST_BE_POSITIVE) from None
    if value < 0:
        raise ReplyError(errors.MUST_BE_POSITIVE)
    return value


def _debug_protocol(c: Client, argv: list[bytes]) -> None:
    kind = argv[2].lower()
    out = c.out
    if kind == b"string":
        out.bulk(b"Hello World")
    elif kind == b"integer":
        out.integer(12345)
    elif kind == b"double":
        out.put_double(3.141)
    elif kind == b"bignum":
        out.bignum(b"1234567999999999999999999999999999999")
    elif kind == b"null":
        out.null()
    elif kind in (b"array", b"set"):
        if kind == b"array":
            out.array_header(3)
        else:
            out.set_header(3)
        for j in range(3):
            out.integer(j)
    elif kind == b"map":
        out.map_header(3)
        for j in range(3):
            out.integer(j)
            out.boolean(j == 1)
    elif kind == b"attrib":
        if c.resp >= 3:
            out.raw(b"|1\r\n")
            out.bulk(b"key-popularity")
            out.array_header(2)
            out.bulk(b"key:123")
            out.integer(90)
        out.bulk(b"Some real reply following the attribute")
    elif kind == b"push":
        if c.resp < 3:
            raise ReplyError(errors.RESP2_NOT_SUPPORTED)
        out.push_header(2)
        out.bulk(b"server-cpu-usage")
        out.integer(42)
        out.bulk(b"Some real reply following the push reply")
    elif kind == b"verbatim":
        out.verbatim(b"This is a verbatim\nstring", b"txt")
    elif kind == b"true":
        out.boolean(True)
    elif kind == b"false":
        out.boolean(False)
    else:
        raise ReplyError(errors.DEBUG_PROTOCOL_TYPES)


def _debug_reload(c: Client, argv: list[bytes]) -> None:
    # DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: rdbSave, empty the dbs, rdbLoad (debug.c).
    from ..persistence import snapshot

    merge = False
    flush = save = True
    for opt in argv[2:]:
        word = opt.lower()
        if word == b"merge":
            merge = True
        elif word == b"noflush":
            flush = False
        elif word == b"nosave":
            save = False
        else:
            raise ReplyError("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
    server = c.server
    if save and not snapshot.rdb_save(server):
        raise ReplyError("ERR")
    if flush:
        snapshot.empty_data(server)
    try:
        snapshot.load_file(server, allow_dup=merge)
    except (OSError, snapshot.RdbLoadError):
        raise ReplyError("ERR Error trying to load the RDB dump") from None
    server.log.warning("DB reloaded by DEBUG RELOAD")
    c.out.raw(_OK)


# (lower-case subcommand, exact argc) -> handler; argc -1 means "3 or more" (the key-list forms).
_DEBUG: Final[dict[tuple[bytes, int], Callable[[Client, list[bytes]], None]]] = {
    (b"help", 2): _debug_help,
    (b"pyredcache-time", -1): _debug_pyredcache_time,
    (b"sleep", 3): _debug_sleep,
    (b"set-active-expire", 3): _debug_set_active_expire,
    (b"log", 3): _debug_log,
    (b"error", 3): _debug_error,
    (b"change-repl-id", 2): _debug_change_repl_id,
    (b"object", 3): _debug_object,
    (b"digest", 2): _debug_digest,
    (b"digest-value", -1): _debug_digest_value,
    (b"digest-value", 2): _debug_digest_value,
    (b"populate", -1): _debug_populate,
    (b"protocol", 3): _debug_protocol,
    (b"reload", 2): _debug_reload,
    (b"reload", -1): _debug_reload,
}


