"""Redis Cluster key → slot mapping: CRC16 (XMODEM) and {hash tag} extraction.
Pure codec, no state; the routing layer lives in pyredcache/cluster."""

from libc.stdint cimport uint16_t, uint8_t

cdef uint16_t _CRC16_TABLE[256]


cdef void _build_table() noexcept:
    # CRC16-CCITT/XMODEM: polynomial 0x1021, initial value 0, no reflection, no final xor.
    cdef unsigned int i, bit, crc
    for i in range(256):
        crc = i << 8
        for bit in range(8):
            if crc & 0x8000:
                crc = ((crc << 1) ^ 0x1021) & 0xFFFF
            else:
                crc = (crc << 1) & 0xFFFF
        _CRC16_TABLE[i] = <uint16_t>crc


_build_table()


cdef inline uint16_t _crc16(const uint8_t* buf, Py_ssize_t n) noexcept nogil:
    cdef uint16_t crc = 0
    cdef Py_ssize_t i
    for i in range(n):
        crc = <uint16_t>((crc << 8) ^ _CRC16_TABLE[((crc >> 8) ^ buf[i]) & 0xFF])
    return crc


cdef int _slot(const uint8_t* buf, Py_ssize_t n) noexcept nogil:
    # Cluster spec: hash only what is between the first '{' and the first '}' after it, if non-empty.
    cdef Py_ssize_t s, e
    for s in range(n):
        if buf[s] == b'{':
            break
    else:
        return _crc16(buf, n) & 16383
    for e in range(s + 1, n):
        if buf[e] == b'}':
            break
    else:
        return _crc16(buf, n) & 16383
    if e == s + 1:
        return _crc16(buf, n) & 16383
    return _crc16(buf + s + 1, e - s - 1) & 16383


def crc16(const uint8_t[::1] data not None) -> int:
    """CRC16-XMODEM of ``data`` (any contiguous bytes-like object)."""
    if data.shape[0] == 0:
        return 0
    return _crc16(&data[0], data.shape[0])


def key_hash_slot(bytes key not None) -> int:
    """Cluster slot (0..16383) of ``key``, honouring ``{hash tags}``."""
    return _slot(<const uint8_t*><const char*>key, len(key))
