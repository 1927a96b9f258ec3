"""LZF compression as Redis uses it for RDB strings (liblzf stream format; HLOG 16, VERY_FAST).

The compressor follows liblzf 3.6 (the system library Debian's redis-server 7.0.15 links), including its
conservative output-space checks, so the same input gives the same stream and the same "does not fit"
answers as the oracle. Redis's vendored copy differs only near the end of the input (it refuses matches
within 4 bytes of the end); both streams decompress with either decoder.

Stream format: 000LLLLL + L+1 literal bytes | LLLooooo oooooooo (back reference of L+2 bytes, L in 1..6)
| 111ooooo LLLLLLLL oooooooo (back reference of L+9 bytes); the offset counts back from the output end - 1.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from libc.stdint cimport uint8_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy

cdef enum:
    HLOG = 16
    HSIZE = 65536
    MAX_LIT = 32
    MAX_OFF = 8192
    MAX_REF = 264

# Hash table of input positions, shared by all calls. Instead of clearing it per call (256 KiB each time,
# which dominates for the many short strings of an RDB file), each call's positions are stored as
# _base + index + 1 and anything <= _base is stale. Callers hold the GIL, so calls never interleave.
cdef uint64_t _htab[HSIZE]
cdef uint64_t _base = 0


cdef inline unsigned int _idx(unsigned int h) noexcept nogil:
    return ((h >> (3 * 8 - HLOG)) - h * 5) & (HSIZE - 1)


cdef Py_ssize_t _compress(const uint8_t* src, Py_ssize_t in_len, uint8_t* dst, Py_ssize_t out_len) noexcept:
    # Returns the compressed length, or 0 when the stream would not fit in out_len bytes.
    global _base
    cdef uint64_t base = _base
    cdef Py_ssize_t ip = 0, op = 0, ref, off, length, maxlen
    cdef Py_ssize_t in_end = in_len
    cdef Py_ssize_t out_end = out_len
    cdef unsigned int hval, slot
    cdef uint64_t stored
    cdef int lit, k
    if in_len == 0 or out_len == 0:
        return 0
    _base = base + <uint64_t>in_len + 1
    lit = 0
    op += 1                                   # room for the first literal-run header
    hval = (src[0] << 8) | src[1] if in_len >= 2 else 0
    while ip < in_end - 2:
        hval = (hval << 8) | src[ip + 2]
        slot = _idx(hval)
        stored = _htab[slot]
        _htab[slot] = base + <uint64_t>ip + 1
        ref = <Py_ssize_t>(stored - base - 1) if stored > base else -1
        if (ref > 0 and ip - ref - 1 < MAX_OFF
                and src[ref] == src[ip] and src[ref + 1] == src[ip + 1] and src[ref + 2] == src[ip + 2]):
            off = ip - ref - 1
            length = 2
            maxlen = in_end - ip - length
            if maxlen > MAX_REF:
                maxlen = MAX_REF
            dst[op - lit - 1] = <uint8_t>(lit - 1)        # close the literal run
            if lit == 0:
                op -= 1                                   # ...or drop it when empty
            if op + 3 + 1 >= out_end:
                return 0
            # liblzf probes 16 bytes unrolled before the bounded loop; mirror it, since that probe may
            # run past maxlen and so decides the reference length.
            if maxlen > 16:
                for k in range(16):
                    length += 1
                    if src[ref + length] != src[ip + length]:
                        break
                else:
                    length += 1
                    while length < maxlen and src[ref + length] == src[ip + length]:
                        length += 1
            else:
                length += 1
                while length < maxlen and src[ref + length] == src[ip + length]:
                    length += 1
            length -= 2
            ip += 1
            if length < 7:
                dst[op] = <uint8_t>((off >> 8) + (length << 5))
                op += 1
            else:
                dst[op] = <uint8_t>((off >> 8) + (7 << 5))
                dst[op + 1] = <uint8_t>(length - 7)
                op += 2
            dst[op] = <uint8_t>(off & 0xFF)
            op += 1
            lit = 0
            op += 1
            ip += length + 1
            if ip >= in_end - 2:
                break
            ip -= 2
            hval = (src[ip] << 8) | src[ip + 1]
            hval = (hval << 8) | src[ip + 2]
            _htab[_idx(hval)] = base + <uint64_t>ip + 1
            ip += 1
            hval = (hval << 8) | src[ip + 2]
            _htab[_idx(hval)] = base + <uint64_t>ip + 1
            ip += 1
        else:
            if op >= out_end:
                return 0
            lit += 1
            dst[op] = src[ip]
            op += 1
            ip += 1
            if lit == MAX_LIT:
                dst[op - lit - 1] = <uint8_t>(lit - 1)
                lit = 0
                op += 1
    if op + 3 > out_end:
        return 0
    while ip < in_end:
        lit += 1
        dst[op] = src[ip]
        op += 1
        ip += 1
        if lit == MAX_LIT:
            dst[op - lit - 1] = <uint8_t>(lit - 1)
            lit = 0
            op += 1
    dst[op - lit - 1] = <uint8_t>(lit - 1)
    if lit == 0:
        op -= 1
    return op


def lzf_compress(const uint8_t[::1] data not None, Py_ssize_t out_len=-1):
    """LZF stream of ``data`` if it fits in ``out_len`` bytes (default: ``len(data) - 1``, i.e. only when
    smaller than the input), else None."""
    cdef Py_ssize_t n = data.shape[0]
    cdef Py_ssize_t got
    cdef uint8_t* buf
    if out_len < 0:
        out_len = n - 1
    if n == 0 or out_len <= 0:
        return None
    if n > 0xFFFFFFFF:
        raise ValueError("lzf_compress: input larger than 4 GiB")
    # Slack of 4 bytes: liblzf's final tail check allows the trailing literals to touch out_end exactly.
    buf = <uint8_t*>malloc(out_len + 4)
    if buf == NULL:
        raise MemoryError()
    try:
        got = _compress(&data[0], n, buf, out_len)
        if got == 0:
            return None
        return PyBytes_FromStringAndSize(<char*>buf, got)
    finally:
        free(buf)


def lzf_compress_for_rdb(const uint8_t[::1] data not None):
    """What rdbSaveRawString stores for ``data`` when rdbcompression is on: the LZF stream when the string
    is longer than 20 bytes and liblzf fits it into len - 4 bytes (rdbSaveLzfStringObject), else None."""
    cdef Py_ssize_t n = data.shape[0]
    if n <= 20:
        return None
    return lzf_compress(data, n - 4)


cdef Py_ssize_t _decompress(const uint8_t* ip, Py_ssize_t in_len, uint8_t* op, Py_ssize_t out_len) noexcept nogil:
    # Returns bytes written, or -1 on a corrupt stream (input overrun, output overrun, reference before start).
    cdef Py_ssize_t i = 0, o = 0, length, back, ref, k
    cdef unsigned int ctrl
    if in_len == 0:
        return -1
    while i < in_len:
        ctrl = ip[i]
        i += 1
        if ctrl < 32:
            length = ctrl + 1
            if o + length > out_len or i + length > in_len:
                return -1
            memcpy(op + o, ip + i, length)
            o += length
            i += length
        else:
            length = ctrl >> 5
            if i >= in_len:
                return -1
            if length == 7:
                length += ip[i]
                i += 1
                if i >= in_len:
                    return -1
            back = ((ctrl & 0x1F) << 8) + ip[i] + 1
            i += 1
            ref = o - back
            length += 2
            if o + length > out_len or ref < 0:
                return -1
            if ref + length <= o:
                memcpy(op + o, op + ref, length)
            else:
                # Overlapping (run-length style) reference: byte by byte, each copy may read the previous.
                for k in range(length):
                    op[o + k] = op[ref + k]
            o += length
    return o


def lzf_decompress(const uint8_t[::1] data not None, Py_ssize_t out_len) -> bytes:
    """Decompress an LZF stream that must expand to exactly ``out_len`` bytes (rdbLoadLzfStringObject's rule);
    ValueError on any corruption."""
    cdef Py_ssize_t n = data.shape[0]
    cdef Py_ssize_t got
    cdef bytes out
    cdef uint8_t* dst
    if out_len < 0:
        raise ValueError("Invalid LZF compressed string")
    if n == 0:
        if out_len == 0:
            return b""
        raise ValueError("Invalid LZF compressed string")
    if out_len > n * 88:
        # No stream expands more than 88x (3-byte references of 264 bytes): a corrupt length, refused
        # before allocating it.
        raise ValueError("Invalid LZF compressed string")
    out = PyBytes_FromStringAndSize(NULL, out_len)
    dst = <uint8_t*>PyBytes_AS_STRING(out)
    with nogil:
        got = _decompress(&data[0], n, dst, out_len)
    if got != out_len:
        raise ValueError("Invalid LZF compressed string")
    return out
