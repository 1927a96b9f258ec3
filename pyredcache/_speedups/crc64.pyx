"""Redis's CRC-64 (Jones polynomial 0xad93d23594c935a9, reflected input and output, no final xor), as used
for RDB file checksums and DUMP payload trailers. Table-driven, slicing-by-8 over little-endian words."""

from libc.stdint cimport uint8_t, uint64_t

cdef uint64_t _T[8][256]


cdef uint64_t _reflect64(uint64_t v) noexcept:
    cdef uint64_t r = 0
    cdef int i
    for i in range(64):
        r = (r << 1) | (v & 1)
        v >>= 1
    return r


cdef void _build_tables() noexcept:
    cdef uint64_t poly = _reflect64(0xad93d23594c935a9ULL)
    cdef uint64_t crc
    cdef int i, k, bit
    for i in range(256):
        crc = <uint64_t>i
        for bit in range(8):
            if crc & 1:
                crc = (crc >> 1) ^ poly
            else:
                crc >>= 1
        _T[0][i] = crc
    for k in range(1, 8):
        for i in range(256):
            crc = _T[k - 1][i]
            _T[k][i] = (crc >> 8) ^ _T[0][crc & 0xFF]


_build_tables()


cdef uint64_t _crc64(uint64_t crc, const uint8_t* p, Py_ssize_t n) noexcept nogil:
    cdef uint64_t w
    while n >= 8:
        # Assemble the word byte by byte: portable and unaligned-safe; compilers fuse it into one load.
        w = (<uint64_t>p[0] | (<uint64_t>p[1] << 8) | (<uint64_t>p[2] << 16) | (<uint64_t>p[3] << 24)
             | (<uint64_t>p[4] << 32) | (<uint64_t>p[5] << 40) | (<uint64_t>p[6] << 48)
             | (<uint64_t>p[7] << 56))
        crc ^= w
        crc = (_T[7][crc & 0xFF] ^ _T[6][(crc >> 8) & 0xFF] ^ _T[5][(crc >> 16) & 0xFF]
               ^ _T[4][(crc >> 24) & 0xFF] ^ _T[3][(crc >> 32) & 0xFF] ^ _T[2][(crc >> 40) & 0xFF]
               ^ _T[1][(crc >> 48) & 0xFF] ^ _T[0][crc >> 56])
        p += 8
        n -= 8
    while n > 0:
        crc = _T[0][(crc ^ p[0]) & 0xFF] ^ (crc >> 8)
        p += 1
        n -= 1
    return crc


def crc64(crc: int, const uint8_t[::1] data not None) -> int:
    """Continue Redis's CRC-64 ``crc`` (0 to start) over ``data`` (any contiguous bytes-like object)."""
    cdef uint64_t c = <uint64_t>crc
    cdef Py_ssize_t n = data.shape[0]
    if n == 0:
        return c
    with nogil:
        c = _crc64(c, &data[0], n)
    return c
