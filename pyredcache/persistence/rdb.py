"""RDB version 10 codec (what redis-server 7.0 writes and reads): single values and whole files, sans-IO.

Values: `encode_value(value) -> (type byte, bytes)` serializes one value as rdbSaveObject does, so DUMP and
SAVE output is byte-identical to redis-server's for the same data and insertion order (hashtable-encoded
hashes and sets are written in our iteration order, where Redis uses its dict order; lists are split into
quicklist nodes as a sequence of tail pushes would split them). `decode_value(type, buf, pos, limits)`
reads every value type 7.0 can load and picks the encoding rdbLoadObject would pick for the configured
limits. Streams and module values are refused with a ValueError; so is any corrupt input.

Files: `write_rdb(out, dbs, aux, ...)` streams a whole snapshot to anything with `.write(bytes)` in ~64 KiB
chunks; `read_rdb(buf, limits)` yields the items of a file held in memory (or mmapped: `load_rdb(path)`)
without copying it.
"""
from __future__ import annotations

import math
import mmap
import struct
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Final, NamedTuple, Protocol

from .._speedups.crc64 import crc64 as _crc64
from ..datatypes.hashes import Hash
from ..datatypes.lists import RedisList
from ..datatypes.sets import RedisSet, is_int_member
from ..datatypes.zsets import RedisZSet
from .encodings import (
    encode_rdb_length as encode_length,
)
from .encodings import (
    encode_rdb_string as encode_string,
)
from .encodings import (
    intset_encode,
    intset_members,
    listpack_encode,
    listpack_entries,
    read_rdb_length,
    read_rdb_string,
    ziplist_entries,
    zipmap_pairs,
)

if TYPE_CHECKING:
    from .._speedups.keyspace import Db

RDB_VERSION: Final = 10

# -- value types (rdb.h, 7.0) -------------------------------------------------------------------------------
RDB_TYPE_STRING: Final = 0
RDB_TYPE_LIST: Final = 1
RDB_TYPE_SET: Final = 2
RDB_TYPE_ZSET: Final = 3
RDB_TYPE_HASH: Final = 4
RDB_TYPE_ZSET_2: Final = 5
RDB_TYPE_MODULE_PRE_GA: Final = 6
RDB_TYPE_MODULE_2: Final = 7
RDB_TYPE_HASH_ZIPMAP: Final = 9
RDB_TYPE_LIST_ZIPLIST: Final = 10
RDB_TYPE_SET_INTSET: Final = 11
RDB_TYPE_ZSET_ZIPLIST: Final = 12
RDB_TYPE_HASH_ZIPLIST: Final = 13
RDB_TYPE_LIST_QUICKLIST: Final = 14
RDB_TYPE_STREAM_LISTPACKS: Final = 15
RDB_TYPE_HASH_LISTPACK: Final = 16
RDB_TYPE_ZSET_LISTPACK: Final = 17
RDB_TYPE_LIST_QUICKLIST_2: Final = 18
RDB_TYPE_STREAM_LISTPACKS_2: Final = 19

# -- opcodes ------------------------------------------------------------------------------------------------
RDB_OPCODE_FUNCTION2: Final = 245
RDB_OPCODE_FUNCTION_PRE_GA: Final = 246
RDB_OPCODE_MODULE_AUX: Final = 247
RDB_OPCODE_IDLE: Final = 248
RDB_OPCODE_FREQ: Final = 249
RDB_OPCODE_AUX: Final = 250
RDB_OPCODE_RESIZEDB: Final = 251
RDB_OPCODE_EXPIRETIME_MS: Final = 252
RDB_OPCODE_EXPIRETIME: Final = 253
RDB_OPCODE_SELECTDB: Final = 254
RDB_OPCODE_EOF: Final = 255

QUICKLIST_NODE_CONTAINER_PLAIN: Final = 1
QUICKLIST_NODE_CONTAINER_PACKED: Final = 2

_CHUNK: Final = 64 * 1024
_LLONG_MIN: Final = -(1 << 63)
_LLONG_MAX: Final = (1 << 63) - 1

_pack_d = struct.Struct("<d").pack
_unpack_d = struct.Struct("<d").unpack_from


class Limits(Protocol):
    """The encoding directives rdbLoadObject consults (the server's EncodingLimits has these attributes)."""

    hash_max_entries: int
    hash_max_value: int
    set_max_intset: int
    zset_max_entries: int
    zset_max_value: int


class DefaultLimits:
    """redis.conf defaults, for callers without a server (tools, tests)."""

    hash_max_entries = 128
    hash_max_value = 64
    set_max_intset = 512
    zset_max_entries = 128
    zset_max_value = 64


class EmptyKeyError(ValueError):
    """The value holds no elements: rdbLoadObject's "empty keys" case (a file load skips the key)."""


# ============================================================================================ codec helpers

crc64: Final = _crc64    # crc64(crc, data) -> int: Redis's CRC-64 (Jones, reflected), continuing from crc


# ================================================================================================ encoding


# -- per type --------------------------------------------------------------------------------------------------


def _encode_list(lst: RedisList, compress: bool, fill: int) -> bytes:
    nodes = lst.nodes(fill)
    parts = [encode_length(len(nodes))]
    for plain, elements in nodes:
        if plain:
            parts.append(b"\x01")
            parts.append(encode_string(elements[0], compress))
        else:
            parts.append(b"\x02")
            parts.append(encode_string(listpack_encode(elements), compress))
    return b"".join(parts)


def _encode_set(s: RedisSet, compress: bool) -> tuple[int, bytes]:
    if s.intset:
        return RDB_TYPE_SET_INTSET, encode_string(intset_encode(int(m) for m in s), compress)
    parts = [encode_length(len(s))]
    parts.extend(encode_string(m, compress) for m in s)
    return RDB_TYPE_SET, b"".join(parts)


def _encode_zset(z: RedisZSet, compress: bool) -> tuple[int, bytes]:
    if z.listpack:
        return RDB_TYPE_ZSET_LISTPACK, encode_string(z.listpack_blob(), compress)
    pairs = z.range_by_rank(0, len(z) - 1, True)     # from the skiplist's tail: highest score first
    parts = [encode_length(len(pairs))]
    for member, score in pairs:
        parts.append(encode_string(member, compress))
        parts.append(_pack_d(score))
    return RDB_TYPE_ZSET_2, b"".join(parts)


def _encode_hash(h: Hash, compress: bool) -> tuple[int, bytes]:
    if h.listpack:
        flat = [item for pair in h.items() for item in pair]
        return RDB_TYPE_HASH_LISTPACK, encode_string(listpack_encode(flat), compress)
    parts = [encode_length(len(h))]
    for field, value in h.items():
        parts.append(encode_string(field, compress))
        parts.append(encode_string(value, compress))
    return RDB_TYPE_HASH, b"".join(parts)


def encode_value(value: object, compress: bool = True, *, list_fill: int = -2) -> tuple[int, bytes]:
    """(RDB type byte, serialized value) as rdbSaveObjectType + rdbSaveObject write it.

    `list_fill` is list-max-listpack-size (how lists are split into quicklist nodes)."""
    if isinstance(value, (bytes, bytearray)):
        return RDB_TYPE_STRING, encode_string(value, compress)
    if isinstance(value, RedisList):
        return RDB_TYPE_LIST_QUICKLIST_2, _encode_list(value, compress, list_fill)
    if isinstance(value, Hash):
        return _encode_hash(value, compress)
    if isinstance(value, RedisSet):
        return _encode_set(value, compress)
    if isinstance(value, RedisZSet):
        return _encode_zset(value, compress)
    raise ValueError(f"cannot serialize values of type {type(value).__name__}")


# ================================================================================================ decoding


class _Reader:
    """Bounds-checked reads over a buffer; every short read is a ValueError."""

    __slots__ = ("buf", "pos", "end")

    def __init__(self, buf: bytes | memoryview, pos: int = 0, end: int | None = None) -> None:
        self.buf = buf if isinstance(buf, memoryview) else memoryview(buf)
        self.pos = pos
        self.end = len(self.buf) if end is None else end

    def take(self, n: int) -> memoryview:
        p = self.pos
        if n < 0 or p + n > self.end:
            raise ValueError("unexpected end of RDB data")
        self.pos = p + n
        return self.buf[p:p + n]

    def byte(self) -> int:
        p = self.pos
        if p >= self.end:
            raise ValueError("unexpected end of RDB data")
        self.pos = p + 1
        return int(self.buf[p])

    def length_or_encoding(self) -> tuple[int, bool]:
        """rdbLoadLenByRef: (length, False) or (RDB_ENC_* code, True)."""
        n, self.pos, encoded = read_rdb_length(self.buf, self.pos)
        return n, encoded

    def length(self) -> int:
        n, encoded = self.length_or_encoding()
        if encoded:
            raise ValueError("unexpected string encoding where a length was expected")
        return n

    def string(self) -> bytes:
        """rdbGenericLoadStringObject: raw, integer-encoded or LZF string, as bytes."""
        data, self.pos = read_rdb_string(self.buf, self.pos)
        return data

    def double_text(self) -> float:
        """rdbLoadDoubleValue (RDB_TYPE_ZSET): a length byte (253 nan, 254 +inf, 255 -inf) then ASCII."""
        n = self.byte()
        if n == 253:
            return math.nan
        if n == 254:
            return math.inf
        if n == 255:
            return -math.inf
        text = bytes(self.take(n))
        try:
            return float(text)
        except ValueError:
            raise ValueError("invalid double in RDB zset") from None

    def double_binary(self) -> float:
        d: float = _unpack_d(self.take(8))[0]
        return d


# -- building values with rdbLoadObject's encoding choices ------------------------------------------------------


def _build_set(members: list[bytes], limits: Limits) -> RedisSet:
    s = RedisSet(members)
    if len(s) != len(members):
        raise ValueError("Duplicate set members detected")
    s.intset = len(members) <= limits.set_max_intset and all(map(is_int_member, members))
    return s


def _build_zset(pairs: list[tuple[bytes, float]], limits: Limits) -> RedisZSet:
    """A loaded skiplist zset: listpack when small enough (count and longest member), as rdbLoadObject does."""
    for _, score in pairs:
        if math.isnan(score):
            raise ValueError("Zset with NAN score detected")
    z = RedisZSet.build(pairs, limits.zset_max_entries, limits.zset_max_value)
    if len(z) != len(pairs):
        raise ValueError("Duplicate zset fields detected")
    return z


def _zset_from_flat(items: list[bytes], limits: Limits) -> RedisZSet:
    """A ziplist/listpack zset blob: kept a listpack unless it has too many entries (member length not checked)."""
    if len(items) % 2:
        raise ValueError("zset listpack with an odd number of entries")
    pairs: list[tuple[bytes, float]] = []
    for i in range(0, len(items), 2):
        try:
            score = float(items[i + 1])
        except ValueError:
            raise ValueError("invalid zset score in listpack") from None
        if math.isnan(score):
            raise ValueError("Zset with NAN score detected")
        pairs.append((items[i], score))
    z = RedisZSet.build(pairs, 1 << 62, 1 << 62)
    if len(z) != len(pairs):
        raise ValueError("Duplicate zset fields detected")
    z.listpack = len(z) <= limits.zset_max_entries
    return z


def _hash_from_pairs(pairs: list[tuple[bytes, bytes]], limits: Limits, check_lengths: bool = True) -> Hash:
    """A loaded hash: listpack unless it has too many fields or (plain hashes and zipmaps only: a ziplist or
    listpack blob keeps its encoding whatever its lengths) a field or value longer than allowed."""
    h = Hash(pairs)
    if len(h) != len(pairs):
        raise ValueError("Duplicate hash fields detected")
    h.listpack = len(pairs) <= limits.hash_max_entries
    if h.listpack and check_lengths:
        longest = max((max(len(f), len(v)) for f, v in pairs), default=0)
        h.listpack = longest <= limits.hash_max_value
    return h


def _flat_pairs(items: list[bytes]) -> list[tuple[bytes, bytes]]:
    if len(items) % 2:
        raise ValueError("hash listpack with an odd number of entries")
    return [(items[i], items[i + 1]) for i in range(0, len(items), 2)]


def _nonempty(n: int) -> None:
    if n == 0:
        raise EmptyKeyError("empty keys")


def _decode(rdb_type: int, r: _Reader, limits: Limits) -> object:
    if rdb_type == RDB_TYPE_STRING:
        return r.string()
    if rdb_type == RDB_TYPE_LIST:
        n = r.length()
        _nonempty(n)
        return RedisList([r.string() for _ in range(n)])
    if rdb_type == RDB_TYPE_SET:
        n = r.length()
        _nonempty(n)
        return _build_set([r.string() for _ in range(n)], limits)
    if rdb_type in (RDB_TYPE_ZSET, RDB_TYPE_ZSET_2):
        n = r.length()
        _nonempty(n)
        read_score = r.double_binary if rdb_type == RDB_TYPE_ZSET_2 else r.double_text
        pairs = []
        for _ in range(n):
            member = r.string()
            pairs.append((member, read_score()))
        return _build_zset(pairs, limits)
    if rdb_type == RDB_TYPE_HASH:
        n = r.length()
        _nonempty(n)
        hpairs = []
        for _ in range(n):
            field = r.string()
            hpairs.append((field, r.string()))
        return _hash_from_pairs(hpairs, limits)
    if rdb_type in (RDB_TYPE_LIST_QUICKLIST, RDB_TYPE_LIST_QUICKLIST_2):
        n = r.length()
        _nonempty(n)
        lst = RedisList()
        for _ in range(n):
            container = QUICKLIST_NODE_CONTAINER_PACKED
            if rdb_type == RDB_TYPE_LIST_QUICKLIST_2:
                container = r.length()
                if container not in (QUICKLIST_NODE_CONTAINER_PACKED, QUICKLIST_NODE_CONTAINER_PLAIN):
                    raise ValueError("Quicklist integrity check failed.")
            blob = r.string()
            if container == QUICKLIST_NODE_CONTAINER_PLAIN:
                lst.append(blob)
            elif rdb_type == RDB_TYPE_LIST_QUICKLIST_2:
                lst.extend(listpack_entries(blob))
            else:
                lst.extend(ziplist_entries(blob))
        _nonempty(len(lst))
        return lst
    if rdb_type == RDB_TYPE_HASH_ZIPMAP:
        flat = zipmap_pairs(r.string())
        _nonempty(len(flat))
        return _hash_from_pairs(_flat_pairs(flat), limits)
    if rdb_type == RDB_TYPE_LIST_ZIPLIST:
        items = ziplist_entries(r.string())
        _nonempty(len(items))
        return RedisList(items)
    if rdb_type == RDB_TYPE_SET_INTSET:
        values = intset_members(r.string())
        _nonempty(len(values))
        s = RedisSet([b"%d" % v for v in values])
        s.intset = len(values) <= limits.set_max_intset
        return s
    if rdb_type in (RDB_TYPE_ZSET_ZIPLIST, RDB_TYPE_ZSET_LISTPACK):
        blob = r.string()
        items = ziplist_entries(blob) if rdb_type == RDB_TYPE_ZSET_ZIPLIST else listpack_entries(blob)
        _nonempty(len(items))
        return _zset_from_flat(items, limits)
    if rdb_type in (RDB_TYPE_HASH_ZIPLIST, RDB_TYPE_HASH_LISTPACK):
        blob = r.string()
        items = ziplist_entries(blob) if rdb_type == RDB_TYPE_HASH_ZIPLIST else listpack_entries(blob)
        _nonempty(len(items))
        return _hash_from_pairs(_flat_pairs(items), limits, check_lengths=False)
    if rdb_type in (RDB_TYPE_STREAM_LISTPACKS, RDB_TYPE_STREAM_LISTPACKS_2):
        raise ValueError("stream values are not supported")
    if rdb_type in (RDB_TYPE_MODULE_PRE_GA, RDB_TYPE_MODULE_2):
        raise ValueError("module values are not supported")
    raise ValueError(f"Unknown RDB encoding type {rdb_type}")


def decode_value(rdb_type: int, buf: bytes | memoryview, pos: int,
                 limits: Limits | None = None) -> tuple[object, int]:
    """(value, position after it) for a value of `rdb_type` at buf[pos:]; ValueError when it is corrupt
    (EmptyKeyError, a ValueError, when it has no elements)."""
    r = _Reader(buf, pos)
    try:
        value = _decode(rdb_type, r, limits or DefaultLimits())
    except ValueError:
        raise
    except (IndexError, OverflowError, struct.error, MemoryError) as exc:
        raise ValueError(f"corrupt RDB value: {exc}") from None
    return value, r.pos


# ================================================================================================ whole files


class Aux(NamedTuple):
    name: bytes
    value: bytes


class SelectDb(NamedTuple):
    dbid: int


class ResizeDb(NamedTuple):
    keys: int
    expires: int


class Entry(NamedTuple):
    dbid: int
    key: bytes
    value: object
    expire_ms: int = -1
    idle: int = -1
    freq: int = -1


class FunctionBlob(NamedTuple):
    payload: bytes


class End(NamedTuple):
    checksum_ok: bool   # False when the file carries no checksum (0, or a version before 5)


RdbItem = Aux | SelectDb | ResizeDb | Entry | FunctionBlob | End


class _ChunkWriter:
    """Collects output and hands it to `out.write` in ~64 KiB pieces, keeping the running CRC-64."""

    __slots__ = ("out", "parts", "size", "crc", "written")

    def __init__(self, out: _Writable) -> None:
        self.out = out
        self.parts: list[bytes] = []
        self.size = 0
        self.crc = 0
        self.written = 0

    def write(self, data: bytes) -> None:
        self.parts.append(data)
        self.size += len(data)
        if self.size >= _CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.parts:
            return
        chunk = b"".join(self.parts)
        self.parts = []
        self.size = 0
        self.crc = crc64(self.crc, chunk)
        for i in range(0, len(chunk), _CHUNK):
            self.out.write(chunk[i:i + _CHUNK])
        self.written += len(chunk)


class _Writable(Protocol):
    def write(self, data: bytes, /) -> object: ...


def _aux_value(value: bytes | str | int) -> bytes:
    if isinstance(value, int):
        return b"%d" % value
    if isinstance(value, str):
        return value.encode()
    return bytes(value)


def write_rdb(out: _Writable, dbs: Iterable[Db], aux: dict[str, bytes | int], *, lru: bool, lfu: bool,
              compress: bool = True, list_fill: int = -2) -> int:
    """Write a whole RDB file (rdbSaveRio) to out; returns the bytes written.

    Aux fields: redis-ver, redis-bits, ctime, used-mem first (defaults when `aux` lacks them), then the rest
    of `aux` in its order (repl-stream-db, repl-id, repl-offset, aof-base ...)."""
    w = _ChunkWriter(out)
    w.write(b"REDIS%04d" % RDB_VERSION)
    fields: dict[str, bytes | int] = {"redis-ver": b"7.0.15", "redis-bits": 64, "ctime": int(time.time()),
                                      "used-mem": 0}
    fields.update(aux)
    for name, field in fields.items():
        w.write(bytes((RDB_OPCODE_AUX,)) + encode_string(name.encode(), compress)
                + encode_string(_aux_value(field), compress))
    for db in dbs:
        items = db.items()
        if not items:
            continue
        with_ttl = sum(1 for item in items if item[2] != -1)
        w.write(bytes((RDB_OPCODE_SELECTDB,)) + encode_length(db.id)
                + bytes((RDB_OPCODE_RESIZEDB,)) + encode_length(len(items)) + encode_length(with_ttl))
        for key, value, expire_ms in items:
            head = b""
            if expire_ms != -1:
                head = bytes((RDB_OPCODE_EXPIRETIME_MS,)) + expire_ms.to_bytes(8, "little", signed=True)
            if lru:
                head += bytes((RDB_OPCODE_IDLE,)) + encode_length(max(db.idle_seconds(key), 0))
            if lfu:
                head += bytes((RDB_OPCODE_FREQ, max(0, min(255, db.lfu_count(key)))))
            rdb_type, body = encode_value(value, compress, list_fill=list_fill)
            w.write(head + bytes((rdb_type,)) + encode_string(key, compress))
            w.write(body)
    w.write(bytes((RDB_OPCODE_EOF,)))
    w.flush()
    trailer = w.crc.to_bytes(8, "little")
    out.write(trailer)
    return w.written + len(trailer)


def read_rdb(buf: bytes | memoryview, limits: Limits | None = None, *,
             verify_checksum: bool = True) -> Iterator[RdbItem]:
    """Yield the items of a whole RDB file (rdbLoadRio), in file order, ending with End.

    Keys whose value has no elements are skipped (Redis logs and skips them). Expired keys are yielded with
    their expire time: dropping them is the caller's policy. ValueError on any error."""
    lim: Limits = limits or DefaultLimits()
    r = _Reader(buf)
    try:
        head = bytes(r.take(9))
    except ValueError:
        raise ValueError("Short read or OOM loading DB. Unrecoverable error, aborting now.") from None
    if head[:5] != b"REDIS":
        raise ValueError("Wrong signature trying to load DB from file")
    try:
        version = int(head[5:9])
    except ValueError:
        raise ValueError("Wrong signature trying to load DB from file") from None
    if version < 1 or version > RDB_VERSION:
        raise ValueError(f"Can't handle RDB format version {version}")
    dbid = 0
    expire_ms = -1
    idle = -1
    freq = -1
    try:
        while True:
            op = r.byte()
            if op == RDB_OPCODE_EXPIRETIME:
                expire_ms = int.from_bytes(r.take(4), "little", signed=True) * 1000
                continue
            if op == RDB_OPCODE_EXPIRETIME_MS:
                expire_ms = int.from_bytes(r.take(8), "little", signed=True)
                continue
            if op == RDB_OPCODE_FREQ:
                freq = r.byte()
                continue
            if op == RDB_OPCODE_IDLE:
                idle = r.length()
                continue
            if op == RDB_OPCODE_EOF:
                break
            if op == RDB_OPCODE_SELECTDB:
                dbid = r.length()
                yield SelectDb(dbid)
                continue
            if op == RDB_OPCODE_RESIZEDB:
                keys = r.length()
                yield ResizeDb(keys, r.length())
                continue
            if op == RDB_OPCODE_AUX:
                name = r.string()
                yield Aux(name, r.string())
                continue
            if op == RDB_OPCODE_MODULE_AUX:
                raise ValueError("module aux data is not supported (no modules are loaded)")
            if op == RDB_OPCODE_FUNCTION_PRE_GA:
                raise ValueError("Pre-release function format not supported.")
            if op == RDB_OPCODE_FUNCTION2:
                yield FunctionBlob(r.string())
                continue
            key = r.string()
            try:
                value = _decode(op, r, lim)
            except EmptyKeyError:
                expire_ms = idle = freq = -1
                continue
            yield Entry(dbid, key, value, expire_ms, idle, freq)
            expire_ms = idle = freq = -1
        checksum_ok = False
        if version >= 5:
            end = r.pos
            expected = int.from_bytes(r.take(8), "little")
            if expected:
                if verify_checksum and crc64(0, r.buf[:end]) != expected:
                    raise ValueError("Wrong RDB checksum. Aborting now.")
                checksum_ok = verify_checksum
    except ValueError:
        raise
    except (IndexError, OverflowError, struct.error) as exc:
        raise ValueError(f"corrupt RDB file: {exc}") from None
    yield End(checksum_ok)


def load_rdb(path: str) -> memoryview:
    """The file's bytes for read_rdb: mmapped read-only (an empty file reads as b"")."""
    with open(path, "rb") as f:
        try:
            mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:      # empty file: mmap refuses length 0
            return memoryview(b"")
    return memoryview(mapped)


__all__ = [
    "RDB_VERSION", "Aux", "DefaultLimits", "EmptyKeyError", "End", "Entry", "FunctionBlob", "Limits", "RdbItem",
    "ResizeDb", "SelectDb", "crc64", "decode_value", "encode_length", "encode_string", "encode_value",
    "intset_encode", "intset_members", "listpack_entries", "load_rdb", "read_rdb",
    "write_rdb", "ziplist_entries", "zipmap_pairs",
]
