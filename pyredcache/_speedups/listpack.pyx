"""Redis 7.0 listpack blobs (listpack.c): decode every entry to bytes and build a listpack from a sequence of
byte strings exactly as lpAppend would. Used by the RDB codec and DUMP/RESTORE, where small hashes, sorted
sets and quicklist nodes all travel as listpacks, so it is on the load/save hot path.

Layout: total bytes (u32 LE), element count (u16 LE, 65535 = unknown), entries, 0xFF. An entry is
<encoding[+length]><data><backlen>; backlen is the size of encoding+data in 7-bit groups written so it can be
read right to left. Encodings: 0xxxxxxx uint7 | 10LLLLLL str6 | 110xxxxx yyyyyyyy int13 | 1110LLLL LLLLLLLL
str12 | F0 + u32 str32 | F1/F2/F3/F4 int16/24/32/64 (little endian).
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t
from libc.string cimport memcpy

cdef enum:
    HDR_SIZE = 6
    EOF_BYTE = 0xFF
    NUMELE_UNKNOWN = 65535


cdef inline int _backlen_size(uint64_t n) noexcept nogil:
    # lpEncodeBacklen's size classes (note the strict '<': 16383 already takes 3 bytes).
    if n <= 127:
        return 1
    if n < 16383:
        return 2
    if n < 2097151:
        return 3
    if n < 268435455:
        return 4
    return 5


cdef inline void _put_backlen(uint8_t* p, uint64_t n, int size) noexcept nogil:
    # p[size - 1] holds the low 7 bits and p[0] the high ones; all bytes but p[0] carry the continuation bit.
    cdef int k
    for k in range(size - 1, 0, -1):
        p[k] = <uint8_t>((n & 127) | 128)
        n >>= 7
    p[0] = <uint8_t>n


cdef inline bint _string_to_int64(const uint8_t* s, Py_ssize_t n, int64_t* out) noexcept nogil:
    # lpStringToInt64: only the canonical decimal form of an int64 (no '+', spaces, leading zeros, "-0").
    cdef Py_ssize_t i = 0
    cdef bint neg = False
    cdef uint64_t v = 0
    cdef uint64_t d
    if n == 0 or n > 20:
        return False
    if n == 1 and s[0] == b'0':
        out[0] = 0
        return True
    if s[0] == b'-':
        neg = True
        i = 1
        if n == 1:
            return False
    if s[i] < b'1' or s[i] > b'9':
        return False
    while i < n:
        if s[i] < b'0' or s[i] > b'9':
            return False
        d = s[i] - 48             # '0'
        if v > (<uint64_t>0xFFFFFFFFFFFFFFFF) // 10:
            return False
        v *= 10
        if v > (<uint64_t>0xFFFFFFFFFFFFFFFF) - d:
            return False
        v += d
        i += 1
    if neg:
        if v > (<uint64_t>1) << 63:
            return False
        out[0] = <int64_t>(0 - v)
    else:
        if v > ((<uint64_t>1) << 63) - 1:
            return False
        out[0] = <int64_t>v
    return True


cdef inline int _int_encoding(int64_t v, uint8_t* buf) noexcept nogil:
    # lpEncodeGetType's integer branch: smallest encoding; returns its size.
    cdef uint64_t u
    cdef int k, i
    if 0 <= v <= 127:
        buf[0] = <uint8_t>v
        return 1
    if -4096 <= v <= 4095:
        u = <uint64_t>v & 0x1FFF
        buf[0] = <uint8_t>((u >> 8) | 0xC0)
        buf[1] = <uint8_t>(u & 0xFF)
        return 2
    u = <uint64_t>v
    if -32768 <= v <= 32767:
        buf[0] = 0xF1
        k = 2
    elif -8388608 <= v <= 8388607:
        buf[0] = 0xF2
        k = 3
    elif -2147483648 <= v <= 2147483647:
        buf[0] = 0xF3
        k = 4
    else:
        buf[0] = 0xF4
        k = 8
    for i in range(k):
        buf[1 + i] = <uint8_t>((u >> (8 * i)) & 0xFF)
    return 1 + k


cdef Py_ssize_t _entry_size(const uint8_t* s, Py_ssize_t n) except -1:
    # One entry's bytes in a listpack: lpEncodeGetType's encoding (integer or 6/12/32-bit string) + backlen.
    cdef int64_t v
    cdef uint8_t intbuf[9]
    cdef Py_ssize_t enc_size
    if _string_to_int64(s, n, &v):
        enc_size = _int_encoding(v, intbuf)
    elif n < 64:
        enc_size = 1 + n
    elif n < 4096:
        enc_size = 2 + n
    else:
        if n > 0xFFFFFFFF:
            raise ValueError("listpack: element too large")
        enc_size = 5 + n
    return enc_size + _backlen_size(enc_size)


def listpack_entry_size(const uint8_t[::1] item not None) -> int:
    """Bytes one element takes in a listpack (encoding, data and back-length), as listpack_encode sizes it."""
    return _entry_size(&item[0] if item.shape[0] else <const uint8_t*>b"", item.shape[0])


def listpack_encode(items) -> bytes:
    """A listpack holding ``items`` (a sequence of bytes) in order, byte-identical to the one Redis 7.0 builds
    by lpAppend-ing them one by one (canonical int64 strings become integer entries)."""
    cdef list seq = [x if type(x) is bytes else bytes(x) for x in items]
    cdef Py_ssize_t count = len(seq)
    cdef Py_ssize_t total = HDR_SIZE + 1
    cdef Py_ssize_t i, n, enc_size
    cdef int64_t v
    cdef const uint8_t* s
    cdef bytes item
    cdef bytes out
    cdef uint8_t* p
    cdef int blen
    # First pass: sizes only (integer entries are re-encoded in the second pass; cheaper than caching).
    for i in range(count):
        item = <bytes>seq[i]
        total += _entry_size(<const uint8_t*>PyBytes_AS_STRING(item), PyBytes_GET_SIZE(item))
    if total > 0xFFFFFFFF:
        raise ValueError("listpack too large")
    out = PyBytes_FromStringAndSize(NULL, total)
    p = <uint8_t*>PyBytes_AS_STRING(out)
    p[0] = <uint8_t>(total & 0xFF)
    p[1] = <uint8_t>((total >> 8) & 0xFF)
    p[2] = <uint8_t>((total >> 16) & 0xFF)
    p[3] = <uint8_t>((total >> 24) & 0xFF)
    n = count if count < NUMELE_UNKNOWN else NUMELE_UNKNOWN
    p[4] = <uint8_t>(n & 0xFF)
    p[5] = <uint8_t>(n >> 8)
    p += HDR_SIZE
    for i in range(count):
        item = <bytes>seq[i]
        s = <const uint8_t*>PyBytes_AS_STRING(item)
        n = PyBytes_GET_SIZE(item)
        if _string_to_int64(s, n, &v):
            enc_size = _int_encoding(v, p)
        else:
            if n < 64:
                p[0] = <uint8_t>(0x80 | n)
                memcpy(p + 1, s, n)
                enc_size = 1 + n
            elif n < 4096:
                p[0] = <uint8_t>(0xE0 | (n >> 8))
                p[1] = <uint8_t>(n & 0xFF)
                memcpy(p + 2, s, n)
                enc_size = 2 + n
            else:
                p[0] = 0xF0
                p[1] = <uint8_t>(n & 0xFF)
                p[2] = <uint8_t>((n >> 8) & 0xFF)
                p[3] = <uint8_t>((n >> 16) & 0xFF)
                p[4] = <uint8_t>((n >> 24) & 0xFF)
                memcpy(p + 5, s, n)
                enc_size = 5 + n
        blen = _backlen_size(enc_size)
        _put_backlen(p + enc_size, enc_size, blen)
        p += enc_size + blen
    p[0] = EOF_BYTE
    return out


cdef inline bytes _int_text(int64_t v):
    # Decimal rendering of an int64 (what Redis replies for integer entries).
    cdef char buf[24]
    cdef int pos = 24
    cdef uint64_t u = <uint64_t>v
    cdef bint neg = v < 0
    if neg:
        u = 0 - u
    while True:
        pos -= 1
        buf[pos] = <char>(48 + (u % 10))      # '0' + digit
        u //= 10
        if u == 0:
            break
    if neg:
        pos -= 1
        buf[pos] = b'-'
    return PyBytes_FromStringAndSize(buf + pos, 24 - pos)


cdef inline int64_t _le_signed(const uint8_t* p, int width) noexcept nogil:
    cdef uint64_t u = 0
    cdef int k
    for k in range(width - 1, -1, -1):
        u = (u << 8) | p[k]
    if width < 8 and (u >> (8 * width - 1)) & 1:
        u |= (<uint64_t>0xFFFFFFFFFFFFFFFF) << (8 * width)
    return <int64_t>u


def listpack_entries(const uint8_t[::1] blob not None) -> list:
    """Every element of a listpack, as bytes (integer entries rendered in decimal, as Redis replies them).

    Validates like lpValidateIntegrity(deep): header total bytes == len(blob), each entry's encoding and
    back-length, the element count (unless 65535 = unknown) and the 0xFF terminator. ValueError otherwise."""
    cdef Py_ssize_t size = blob.shape[0]
    cdef const uint8_t* lp
    cdef Py_ssize_t p, end, enc_size, n, k
    cdef uint8_t b
    cdef uint32_t numele
    cdef uint8_t back[5]
    cdef int blen, width
    cdef int64_t v
    cdef list out = []
    if size < HDR_SIZE + 1:
        raise ValueError("listpack: truncated header")
    lp = &blob[0]
    if (<uint64_t>lp[0] | (<uint64_t>lp[1] << 8) | (<uint64_t>lp[2] << 16) | (<uint64_t>lp[3] << 24)) != <uint64_t>size:
        raise ValueError("listpack: header size does not match the blob")
    if lp[size - 1] != EOF_BYTE:
        raise ValueError("listpack: missing terminator")
    numele = lp[4] | (lp[5] << 8)
    p = HDR_SIZE
    end = size - 1
    while p < end:
        b = lp[p]
        if b < 0x80:
            out.append(_int_text(b))
            enc_size = 1
        elif b < 0xC0:
            n = b & 0x3F
            enc_size = 1 + n
            if p + enc_size > end:
                raise ValueError("listpack: entry out of range")
            out.append(PyBytes_FromStringAndSize(<const char*>lp + p + 1, n))
        elif b < 0xE0:
            if p + 2 > end:
                raise ValueError("listpack: entry out of range")
            v = ((b & 0x1F) << 8) | lp[p + 1]
            if v >= 4096:
                v -= 8192
            out.append(_int_text(v))
            enc_size = 2
        elif b < 0xF0:
            if p + 2 > end:
                raise ValueError("listpack: entry out of range")
            n = ((b & 0x0F) << 8) | lp[p + 1]
            enc_size = 2 + n
            if p + enc_size > end:
                raise ValueError("listpack: entry out of range")
            out.append(PyBytes_FromStringAndSize(<const char*>lp + p + 2, n))
        elif b == 0xF0:
            if p + 5 > end:
                raise ValueError("listpack: entry out of range")
            n = <Py_ssize_t>(<uint64_t>lp[p + 1] | (<uint64_t>lp[p + 2] << 8) | (<uint64_t>lp[p + 3] << 16)
                             | (<uint64_t>lp[p + 4] << 24))
            enc_size = 5 + n
            if enc_size > end - p:
                raise ValueError("listpack: entry out of range")
            out.append(PyBytes_FromStringAndSize(<const char*>lp + p + 5, n))
        elif b <= 0xF4:
            width = 2 if b == 0xF1 else 3 if b == 0xF2 else 4 if b == 0xF3 else 8
            enc_size = 1 + width
            if p + enc_size > end:
                raise ValueError("listpack: entry out of range")
            out.append(_int_text(_le_signed(lp + p + 1, width)))
        else:
            raise ValueError("listpack: invalid entry encoding")
        blen = _backlen_size(enc_size)
        _put_backlen(back, enc_size, blen)
        p += enc_size
        if blen > end - p:
            raise ValueError("listpack: bad entry back-length")
        for k in range(blen):
            if lp[p + k] != back[k]:
                raise ValueError("listpack: bad entry back-length")
        p += blen
    if p != end:
        raise ValueError("listpack: entries overrun the terminator")
    if numele != NUMELE_UNKNOWN and numele != <uint32_t>len(out):
        raise ValueError("listpack: element count does not match the header")
    return out
