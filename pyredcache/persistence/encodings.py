"""Redis's compact blob encodings as they appear inside RDB values, and the RDB length/string primitives.

Sans-IO and pure: every function takes bytes and returns values (or bytes). Decoders validate the blob the
way Redis's *ValidateIntegrity functions do and raise ValueError on any corruption; they never index past
the end of their input.

- listpack (listpack.c, 7.0): header = total bytes (u32 LE) + element count (u16 LE, 65535 = unknown), then
  entries of <encoding+data><backlen>, then 0xFF. Used by hash/zset listpack values and quicklist-2 nodes.
- ziplist (ziplist.c, older RDB files): zlbytes u32, zltail u32, zllen u16 (65535 = unknown), entries of
  <prevlen><encoding><data>, then 0xFF.
- intset (intset.c): encoding u32 (2/4/8 = bytes per member), length u32, sorted little-endian members.
- zipmap (zipmap.c, RDB_TYPE_HASH_ZIPMAP from Redis < 2.6): count byte, then <len>key<len><free>value<pad>
  pairs, then 0xFF.
- RDB lengths and strings (rdb.c rdbSaveLen/rdbLoadLenByRef, rdbSaveRawString/rdbGenericLoadStringObject).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

from pyredcache._speedups.listpack import listpack_encode, listpack_entries
from pyredcache._speedups.lzf import lzf_compress_for_rdb, lzf_decompress
from pyredcache._speedups.numbers import string2ll

__all__ = [
    "RDB_ENC_INT8", "RDB_ENC_INT16", "RDB_ENC_INT32", "RDB_ENC_LZF",
    "listpack_entries", "listpack_encode", "ziplist_entries", "intset_members", "intset_encode",
    "zipmap_pairs", "read_rdb_length", "encode_rdb_length", "read_rdb_string", "encode_rdb_string",
]

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1


# ------------------------------------------------------------------------------------------------ listpack
# listpack_entries / listpack_encode live in _speedups/listpack.pyx (imported above): listpacks carry every
# small hash, sorted set and list node, so they are on the RDB load/save hot path (~8x faster than Python).


# ------------------------------------------------------------------------------------------------ ziplist

_ZL_HDR_SIZE = 10


def ziplist_entries(blob: bytes) -> list[bytes]:
    """Every element of a ziplist (old RDB encodings), as bytes; integers in decimal.

    Validates like ziplistValidateIntegrity(deep): zlbytes, zltail pointing at the last entry, every
    prevlen, the entry count (unless 65535) and the 0xFF terminator."""
    size = len(blob)
    if size < _ZL_HDR_SIZE + 1:
        raise ValueError("ziplist: truncated header")
    if int.from_bytes(blob[0:4], "little") != size:
        raise ValueError("ziplist: header size does not match the blob")
    if blob[size - 1] != 0xFF:
        raise ValueError("ziplist: missing terminator")
    tail = int.from_bytes(blob[4:8], "little")
    zllen = blob[8] | (blob[9] << 8)
    out: list[bytes] = []
    append = out.append
    p = _ZL_HDR_SIZE
    end = size - 1
    prev_raw = 0
    last = _ZL_HDR_SIZE
    while p < end:
        start = p
        b = blob[p]
        if b < 0xFE:
            prevlen = b
            p += 1
        elif b == 0xFE:
            if p + 5 > end:
                raise ValueError("ziplist: entry out of range")
            prevlen = int.from_bytes(blob[p + 1:p + 5], "little")
            p += 5
        else:
            raise ValueError("ziplist: entry out of range")
        if prevlen != prev_raw:
            raise ValueError("ziplist: bad prevlen")
        if p >= end:
            raise ValueError("ziplist: entry out of range")
        e = blob[p]
        kind = e >> 6
        if kind == 0:                                     # string, 6-bit length
            n = e & 0x3F
            p += 1
        elif kind == 1:                                   # string, 14-bit big-endian length
            if p + 2 > end:
                raise ValueError("ziplist: entry out of range")
            n = ((e & 0x3F) << 8) | blob[p + 1]
            p += 2
        elif kind == 2:                                   # string, 32-bit big-endian length (Redis masks
            if p + 5 > end:                               # the low 6 bits of this byte away)
                raise ValueError("ziplist: entry out of range")
            n = int.from_bytes(blob[p + 1:p + 5], "big")
            p += 5
        else:
            p += 1
            if e == 0xC0:
                width = 2
            elif e == 0xD0:
                width = 4
            elif e == 0xE0:
                width = 8
            elif e == 0xF0:
                width = 3
            elif e == 0xFE:
                width = 1
            elif 0xF1 <= e <= 0xFD:                       # 4-bit immediate 0..12
                append(b"%d" % ((e & 0x0F) - 1))
                width = -1
            else:
                raise ValueError("ziplist: invalid entry encoding")
            if width > 0:
                if p + width > end:
                    raise ValueError("ziplist: entry out of range")
                append(b"%d" % int.from_bytes(blob[p:p + width], "little", signed=True))
                p += width
            prev_raw = p - start
            last = start
            continue
        if p + n > end:
            raise ValueError("ziplist: entry out of range")
        append(blob[p:p + n])
        p += n
        prev_raw = p - start
        last = start
    if p != end:
        raise ValueError("ziplist: entries overrun the terminator")
    if tail != last:
        raise ValueError("ziplist: bad tail offset")
    if zllen != 0xFFFF and zllen != len(out):
        raise ValueError("ziplist: entry count does not match the header")
    return out


# ------------------------------------------------------------------------------------------------ intset


def intset_members(blob: bytes) -> list[int]:
    """The members of an intset, ascending. Validates like intsetValidateIntegrity(deep): known encoding,
    exact size, not empty, strictly ascending."""
    size = len(blob)
    if size < 8:
        raise ValueError("intset: truncated header")
    width = int.from_bytes(blob[0:4], "little")
    if width not in (2, 4, 8):
        raise ValueError("intset: invalid encoding")
    count = int.from_bytes(blob[4:8], "little")
    if 8 + count * width != size:
        raise ValueError("intset: size does not match the header")
    if count == 0:
        raise ValueError("intset: empty")
    code = {2: "h", 4: "i", 8: "q"}[width]
    values = list(struct.unpack_from(f"<{count}{code}", blob, 8))
    prev = values[0]
    for v in values[1:]:
        if v <= prev:
            raise ValueError("intset: members not strictly ascending")
        prev = v
    return values


def intset_encode(values: Iterable[int]) -> bytes:
    """An intset of ``values`` (deduplicated, sorted), in the smallest width (2/4/8 bytes) that fits all of
    them, as intsetAdd leaves it."""
    members = sorted(set(values))
    width = 2
    if members:
        lo, hi = members[0], members[-1]
        if lo < INT64_MIN or hi > INT64_MAX:
            raise ValueError("intset: value out of int64 range")
        if lo < -2147483648 or hi > 2147483647:
            width = 8
        elif lo < -32768 or hi > 32767:
            width = 4
    body = b"".join([v.to_bytes(width, "little", signed=True) for v in members])
    return width.to_bytes(4, "little") + len(members).to_bytes(4, "little") + body


# ------------------------------------------------------------------------------------------------ zipmap


def zipmap_pairs(blob: bytes) -> list[bytes]:
    """The field/value pairs of a zipmap as a flat [field, value, field, value, ...] list. Validates like
    zipmapValidateIntegrity(deep): every length and free count in range, not empty, the pair count (unless
    254 = unknown) and the 0xFF terminator."""
    size = len(blob)
    if size < 2:
        raise ValueError("zipmap: truncated")
    zmlen = blob[0]
    out: list[bytes] = []
    p = 1

    def read_len(p: int) -> tuple[int, int]:
        if p >= size:
            raise ValueError("zipmap: truncated")
        b = blob[p]
        if b < 254:
            return b, p + 1
        # 254 (and, as zipmapGetEncodedLengthSize reads it, 255 in a value length) = 4-byte length.
        if p + 5 > size:
            raise ValueError("zipmap: truncated")
        return int.from_bytes(blob[p + 1:p + 5], "little"), p + 5

    while True:
        if p >= size:
            raise ValueError("zipmap: missing terminator")
        if blob[p] == 0xFF:
            p += 1
            break
        n, p = read_len(p)
        if p + n > size:
            raise ValueError("zipmap: field out of range")
        out.append(blob[p:p + n])
        p += n
        n, p = read_len(p)
        if p >= size:
            raise ValueError("zipmap: truncated")
        free = blob[p]
        p += 1
        if p + n + free > size:
            raise ValueError("zipmap: value out of range")
        out.append(blob[p:p + n])
        p += n + free
    if p != size:
        raise ValueError("zipmap: trailing bytes after the terminator")
    if not out:
        raise ValueError("zipmap: empty")
    if zmlen != 254 and zmlen != len(out) // 2:
        raise ValueError("zipmap: pair count does not match the header")
    return out


# ------------------------------------------------------------------------------------------------ RDB strings

RDB_ENC_INT8 = 0
RDB_ENC_INT16 = 1
RDB_ENC_INT32 = 2
RDB_ENC_LZF = 3


def read_rdb_length(buf: bytes | bytearray | memoryview, pos: int) -> tuple[int, int, bool]:
    """Decode an RDB length at ``buf[pos]`` (rdbLoadLenByRef): returns (value, next_pos, is_encoded).
    When is_encoded is True, value is the special-encoding type (RDB_ENC_INT8/16/32 or RDB_ENC_LZF)."""
    if pos >= len(buf):
        raise ValueError("rdb: truncated length")
    b = buf[pos]
    kind = b >> 6
    if kind == 0:
        return b & 0x3F, pos + 1, False
    if kind == 1:
        if pos + 2 > len(buf):
            raise ValueError("rdb: truncated length")
        return ((b & 0x3F) << 8) | buf[pos + 1], pos + 2, False
    if kind == 3:
        return b & 0x3F, pos + 1, True
    if b == 0x80:
        if pos + 5 > len(buf):
            raise ValueError("rdb: truncated length")
        return int.from_bytes(buf[pos + 1:pos + 5], "big"), pos + 5, False
    if b == 0x81:
        if pos + 9 > len(buf):
            raise ValueError("rdb: truncated length")
        return int.from_bytes(buf[pos + 1:pos + 9], "big"), pos + 9, False
    raise ValueError(f"Unknown length encoding {b} in rdbLoadLen()")


def encode_rdb_length(n: int) -> bytes:
    """rdbSaveLen: 6-bit, 14-bit, 32-bit or 64-bit big-endian length."""
    if n < 0x40:
        return bytes((n,))
    if n < 0x4000:
        return bytes((0x40 | (n >> 8), n & 0xFF))
    if n <= 0xFFFFFFFF:
        return b"\x80" + n.to_bytes(4, "big")
    return b"\x81" + n.to_bytes(8, "big")


def read_rdb_string(buf: bytes | bytearray | memoryview, pos: int) -> tuple[bytes, int]:
    """Decode an RDB string at ``buf[pos]`` (plain, integer-encoded or LZF): returns (bytes, next_pos).
    Integer encodings come back as their decimal text, as rdbGenericLoadStringObject does for plain
    strings."""
    n, pos, encoded = read_rdb_length(buf, pos)
    if not encoded:
        if pos + n > len(buf):
            raise ValueError("rdb: truncated string")
        return bytes(buf[pos:pos + n]), pos + n
    if n == RDB_ENC_INT8:
        if pos + 1 > len(buf):
            raise ValueError("rdb: truncated string")
        return b"%d" % int.from_bytes(buf[pos:pos + 1], "little", signed=True), pos + 1
    if n == RDB_ENC_INT16:
        if pos + 2 > len(buf):
            raise ValueError("rdb: truncated string")
        return b"%d" % int.from_bytes(buf[pos:pos + 2], "little", signed=True), pos + 2
    if n == RDB_ENC_INT32:
        if pos + 4 > len(buf):
            raise ValueError("rdb: truncated string")
        return b"%d" % int.from_bytes(buf[pos:pos + 4], "little", signed=True), pos + 4
    if n == RDB_ENC_LZF:
        clen, pos, enc1 = read_rdb_length(buf, pos)
        ulen, pos, enc2 = read_rdb_length(buf, pos)
        if enc1 or enc2 or pos + clen > len(buf):
            raise ValueError("rdb: truncated LZF string")
        return lzf_decompress(buf[pos:pos + clen], ulen), pos + clen
    raise ValueError(f"Unknown RDB string encoding type {n}")


def encode_rdb_string(data: bytes | bytearray | memoryview, compress: bool = True) -> bytes:
    """rdbSaveRawString: integer encoding for short canonical integers that fit in 32 bits, else LZF when
    ``compress`` (rdbcompression) and it saves enough, else length-prefixed raw bytes."""
    data = bytes(data)
    n = len(data)
    if n <= 11:
        v = string2ll(data)
        if v is not None:
            if -128 <= v <= 127:
                return bytes((0xC0, v & 0xFF))
            if -32768 <= v <= 32767:
                return b"\xc1" + (v & 0xFFFF).to_bytes(2, "little")
            if -2147483648 <= v <= 2147483647:
                return b"\xc2" + (v & 0xFFFFFFFF).to_bytes(4, "little")
    if compress and n > 20:
        comp = lzf_compress_for_rdb(data)
        if comp is not None:
            return b"\xc3" + encode_rdb_length(len(comp)) + encode_rdb_length(n) + comp
    return encode_rdb_length(n) + data
