# cython: boundscheck=False, wraparound=False, cdivision=True
"""Redis 7.0 HyperLogLog values (hyperloglog.c semantics): MurmurHash64A, the "HYLL" header, dense and sparse
register encodings, the Ertl estimator, merges. Works in place on bytearray values; no server state.

Layout: 16-byte header ("HYLL", encoding 0=dense/1=sparse, 3 unused bytes, cached cardinality as 8 bytes
little endian whose top bit flags the cache as stale), then 12288 bytes of 6-bit registers (dense) or a run
of ZERO (00xxxxxx), XZERO (01xxxxxx yyyyyyyy) and VAL (1vvvvvxx) opcodes (sparse).
"""

from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_GET_SIZE, PyByteArray_Resize
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from libc.math cimport INFINITY, llround, pow, sqrt
from libc.stdint cimport int64_t, uint8_t, uint64_t
from libc.string cimport memcpy, memmove, memset

cdef enum:
    P = 14
    Q = 50                      # 64 - P: hash bits left for the run of zeroes
    REGISTERS = 16384
    P_MASK = 16383
    REGISTER_MAX = 63
    HDR_SIZE_C = 16
    REG_BYTES = 12288           # 16384 registers * 6 bits
    DENSE_SIZE_C = 12304
    ENC_DENSE = 0
    ENC_SPARSE = 1
    VAL_MAX_VALUE = 32
    VAL_MAX_LEN = 4
    ZERO_MAX_LEN = 64
    XZERO_MAX_LEN = 16384

HDR_SIZE = HDR_SIZE_C
DENSE_SIZE = DENSE_SIZE_C
DENSE = ENC_DENSE
SPARSE = ENC_SPARSE
HLL_REGISTERS = REGISTERS
SEED = 0xadc83b19
cdef uint64_t _SEED = 0xadc83b19

cdef double ALPHA_INF = 0.721347520444481703680    # 0.5 / ln(2)


# ------------------------------------------------------------------------------------------------- hashing

cdef uint64_t _murmur64a(const uint8_t* data, Py_ssize_t n, uint64_t seed) noexcept nogil:
    # MurmurHash2 64-bit (Redis's endian-neutral variant): 8-byte blocks read little endian.
    cdef uint64_t m = 0xc6a4a7935bd1e995ULL
    cdef uint64_t h = seed ^ (<uint64_t>n * m)
    cdef uint64_t k
    cdef Py_ssize_t blocks = n - (n & 7)
    cdef Py_ssize_t i = 0
    cdef int j, tail
    while i < blocks:
        k = 0
        for j in range(7, -1, -1):
            k = (k << 8) | data[i + j]
        k *= m
        k ^= k >> 47
        k *= m
        h ^= k
        h *= m
        i += 8
    tail = <int>(n & 7)
    if tail:
        for j in range(tail - 1, -1, -1):
            h ^= (<uint64_t>data[i + j]) << (8 * j)
        h *= m
    h ^= h >> 47
    h *= m
    h ^= h >> 47
    return h


cdef inline int _pat_len(const uint8_t* ele, Py_ssize_t n, long* regp) noexcept nogil:
    # Register index from the low P bits; count = position of the first 1 bit above them (1..Q+1).
    cdef uint64_t h = _murmur64a(ele, n, _SEED)
    cdef uint64_t bit = 1
    cdef int count = 1
    regp[0] = <long>(h & P_MASK)
    h >>= P
    h |= (<uint64_t>1) << Q
    while (h & bit) == 0:
        count += 1
        bit <<= 1
    return count


def murmurhash64a(data: bytes, seed: int = SEED) -> int:
    """MurmurHash64A of `data` as hyperloglog.c computes it."""
    return _murmur64a(<const uint8_t*>PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data), <uint64_t>seed)


def pattern(data: bytes) -> tuple[int, int]:
    """(register index, run length count) an element maps to."""
    cdef long index
    cdef int count = _pat_len(<const uint8_t*>PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data), &index)
    return index, count


# ------------------------------------------------------------------------------------------- dense registers

cdef inline int _dense_get(const uint8_t* regs, long regnum) noexcept nogil:
    cdef long b = regnum * 6 // 8
    cdef int fb = (regnum * 6) & 7
    cdef unsigned long b0 = regs[b]
    cdef unsigned long b1 = regs[b + 1] if b + 1 < REG_BYTES else 0
    return <int>(((b0 >> fb) | (b1 << (8 - fb))) & REGISTER_MAX)


cdef inline void _dense_put(uint8_t* regs, long regnum, unsigned long val) noexcept nogil:
    cdef long b = regnum * 6 // 8
    cdef int fb = (regnum * 6) & 7
    cdef int fb8 = 8 - fb
    regs[b] = <uint8_t>((regs[b] & ~(REGISTER_MAX << fb)) | (val << fb))
    # The last register (fb == 2) never spills into a next byte.
    if b + 1 < REG_BYTES:
        regs[b + 1] = <uint8_t>((regs[b + 1] & ~(REGISTER_MAX >> fb8)) | (val >> fb8))


cdef inline int _dense_set(uint8_t* regs, long index, int count) noexcept nogil:
    if count > _dense_get(regs, index):
        _dense_put(regs, index, count)
        return 1
    return 0


# ------------------------------------------------------------------------------------------ sparse opcodes

cdef inline bint _is_zero(uint8_t b) noexcept nogil:
    return (b & 0xc0) == 0


cdef inline bint _is_xzero(uint8_t b) noexcept nogil:
    return (b & 0xc0) == 0x40


cdef inline bint _is_val(uint8_t b) noexcept nogil:
    return (b & 0x80) != 0


cdef inline long _xzero_len(const uint8_t* p, const uint8_t* end) noexcept nogil:
    # An XZERO cut by the end of the string reads the string's terminating zero byte, as Redis's sds does.
    cdef long low = p[1] if p + 1 < end else 0
    return (((p[0] & 0x3f) << 8) | low) + 1


cdef inline int _val_value(uint8_t b) noexcept nogil:
    return ((b >> 2) & 0x1f) + 1


cdef inline int _val_len(uint8_t b) noexcept nogil:
    return (b & 0x3) + 1


cdef inline uint8_t _val_op(int val, int n) noexcept nogil:
    return <uint8_t>((((val - 1) << 2) | (n - 1)) | 0x80)


cdef inline int _put_zero_run(uint8_t* n, long length) noexcept nogil:
    if length > ZERO_MAX_LEN:
        n[0] = <uint8_t>(((length - 1) >> 8) | 0x40)
        n[1] = <uint8_t>((length - 1) & 0xff)
        return 2
    n[0] = <uint8_t>(length - 1)
    return 1


cdef int _sparse_to_registers(const uint8_t* p, const uint8_t* end, uint8_t* dense, uint8_t* raw) noexcept nogil:
    """Decode sparse opcodes into dense 6-bit registers (dense) or a max-merge over raw bytes (raw).
    Returns 0, or -1 when the opcodes do not cover exactly REGISTERS registers (an overflowing run stops
    the walk at once: nothing is written past the last register)."""
    cdef long idx = 0
    cdef long runlen
    cdef int regval
    while p < end:
        if _is_zero(p[0]):
            runlen = (p[0] & 0x3f) + 1
            if idx + runlen > REGISTERS:
                return -1
            idx += runlen
            p += 1
        elif _is_xzero(p[0]):
            runlen = _xzero_len(p, end)
            if idx + runlen > REGISTERS:
                return -1
            idx += runlen
            p += 2
        else:
            runlen = _val_len(p[0])
            regval = _val_value(p[0])
            if idx + runlen > REGISTERS:
                return -1
            while runlen:
                if dense != NULL:
                    _dense_put(dense, idx, regval)
                elif regval > raw[idx]:
                    raw[idx] = <uint8_t>regval
                idx += 1
                runlen -= 1
            p += 1
    return 0 if idx == REGISTERS else -1


cdef int _to_dense(bytearray hll) except -2:
    """hllSparseToDense in place: 1 converted, 0 already dense, -1 corrupt (value left untouched)."""
    cdef uint8_t* base = <uint8_t*>PyByteArray_AS_STRING(hll)
    cdef Py_ssize_t n = PyByteArray_GET_SIZE(hll)
    if base[4] == ENC_DENSE:
        return 0
    cdef bytearray dense = bytearray(DENSE_SIZE_C)
    cdef uint8_t* d = <uint8_t*>PyByteArray_AS_STRING(dense)
    memcpy(d, base, HDR_SIZE_C)        # magic, unused bytes and the cached cardinality carry over
    d[4] = ENC_DENSE
    if _sparse_to_registers(base + HDR_SIZE_C, base + n, d + HDR_SIZE_C, NULL) < 0:
        return -1
    PyByteArray_Resize(hll, DENSE_SIZE_C)
    memcpy(PyByteArray_AS_STRING(hll), d, DENSE_SIZE_C)
    return 1


cdef int _sparse_set(bytearray hll, long index, int count, Py_ssize_t max_bytes) except -2:
    """hllSparseSet: 1 register raised, 0 unchanged, -1 corrupt. May promote `hll` to dense."""
    cdef uint8_t* base
    cdef uint8_t* sparse
    cdef uint8_t* p
    cdef uint8_t* end
    cdef uint8_t* prev = NULL
    cdef uint8_t* nxt
    cdef uint8_t seq[5]
    cdef Py_ssize_t n, p_off, next_off, prev_off, end_off
    cdef long first = 0, span = 0, runlen, last
    cdef int oplen, seqlen, oldlen, deltalen, curval, scanlen, v1, v2, merged
    cdef bint is_zero = False, is_xzero = False, is_val = False

    if count > VAL_MAX_VALUE:
        return _promote(hll, index, count)

    base = <uint8_t*>PyByteArray_AS_STRING(hll)
    n = PyByteArray_GET_SIZE(hll)
    sparse = p = base + HDR_SIZE_C
    end = base + n

    # Step 1: find the opcode covering `index`.
    while p < end:
        oplen = 1
        if _is_zero(p[0]):
            span = (p[0] & 0x3f) + 1
        elif _is_val(p[0]):
            span = _val_len(p[0])
        else:
            span = _xzero_len(p, end)
            oplen = 2
        if index <= first + span - 1:
            break
        prev = p
        p += oplen
        first += span
    if span == 0 or p >= end:
        return -1

    nxt = p + 2 if _is_xzero(p[0]) else p + 1
    if nxt >= end:
        nxt = NULL
    if _is_zero(p[0]):
        is_zero = True
        runlen = (p[0] & 0x3f) + 1
    elif _is_xzero(p[0]):
        is_xzero = True
        runlen = _xzero_len(p, end)
    else:
        is_val = True
        runlen = _val_len(p[0])

    # Step 2: the trivial in-place updates, else the split of the opcode into up to 3 (5 bytes).
    if is_val and _val_value(p[0]) >= count:
        return 0
    if (is_val or is_zero) and runlen == 1:
        p[0] = _val_op(count, 1)
    else:
        last = first + span - 1
        seqlen = 0
        if is_zero or is_xzero:
            if index != first:
                seqlen += _put_zero_run(seq + seqlen, index - first)
            seq[seqlen] = _val_op(count, 1)
            seqlen += 1
            if index != last:
                seqlen += _put_zero_run(seq + seqlen, last - index)
        else:
            curval = _val_value(p[0])
            if index != first:
                seq[seqlen] = _val_op(curval, index - first)
                seqlen += 1
            seq[seqlen] = _val_op(count, 1)
            seqlen += 1
            if index != last:
                seq[seqlen] = _val_op(curval, last - index)
                seqlen += 1

        # Step 3: splice the new sequence in place of the old opcode.
        oldlen = 2 if is_xzero else 1
        deltalen = seqlen - oldlen
        if deltalen > 0 and n + deltalen > max_bytes:
            return _promote(hll, index, count)
        p_off = p - base
        next_off = (nxt - base) if nxt != NULL else -1
        prev_off = (prev - base) if prev != NULL else -1
        if deltalen > 0:
            PyByteArray_Resize(hll, n + deltalen)
            base = <uint8_t*>PyByteArray_AS_STRING(hll)
        if deltalen and next_off >= 0:
            memmove(base + next_off + deltalen, base + next_off, n - next_off)
        n += deltalen
        # Only a truncated trailing XZERO (corrupt input) makes the sequence overhang the new end; Redis
        # leaves that byte past the sds length, we drop it (a later read sees 0 there instead).
        memcpy(base + p_off, seq, seqlen if p_off + seqlen <= n else n - p_off)
        if deltalen < 0:
            PyByteArray_Resize(hll, n)
            base = <uint8_t*>PyByteArray_AS_STRING(hll)
        sparse = base + HDR_SIZE_C
        end = base + n
        prev = base + prev_off if prev_off >= 0 else NULL

    # Step 4: merge adjacent VAL opcodes of equal value, looking at up to 5 opcodes from `prev`.
    p = prev if prev != NULL else sparse
    scanlen = 5
    merged = 0
    while p < end:
        if scanlen == 0:
            break
        scanlen -= 1
        if _is_xzero(p[0]):
            p += 2
            continue
        elif _is_zero(p[0]):
            p += 1
            continue
        if p + 1 < end and _is_val(p[1]):
            v1 = _val_value(p[0])
            v2 = _val_value(p[1])
            if v1 == v2:
                runlen = _val_len(p[0]) + _val_len(p[1])
                if runlen <= VAL_MAX_LEN:
                    p[1] = _val_op(v1, runlen)
                    memmove(p, p + 1, end - p - 1)
                    end -= 1
                    merged += 1
                    continue
        p += 1
    if merged:
        n = end - base
        PyByteArray_Resize(hll, n)
        base = <uint8_t*>PyByteArray_AS_STRING(hll)
    base[15] |= 0x80
    return 1


cdef int _promote(bytearray hll, long index, int count) except -2:
    if _to_dense(hll) < 0:
        return -1
    # The register must need raising: the sparse form could not hold the new value.
    return _dense_set(<uint8_t*>PyByteArray_AS_STRING(hll) + HDR_SIZE_C, index, count)


# ------------------------------------------------------------------------------------------------ estimator

cdef double _tau(double x) noexcept nogil:
    if x == 0. or x == 1.:
        return 0.
    cdef double z_prime
    cdef double y = 1.0
    cdef double z = 1 - x
    while True:
        x = sqrt(x)
        z_prime = z
        y *= 0.5
        z -= pow(1 - x, 2) * y
        if z_prime == z:
            break
    return z / 3


cdef double _sigma(double x) noexcept nogil:
    if x == 1.:
        return INFINITY
    cdef double z_prime
    cdef double y = 1
    cdef double z = x
    while True:
        x *= x
        z_prime = z
        z += x * y
        y += y
        if z_prime == z:
            break
    return z


cdef uint64_t _estimate(const int* reghisto) noexcept nogil:
    # "New cardinality estimation algorithms for HyperLogLog sketches", Otmar Ertl (arXiv:1702.01284).
    cdef double m = REGISTERS
    cdef double z = m * _tau((m - reghisto[Q + 1]) / m)
    cdef int j
    for j in range(Q, 0, -1):
        z += reghisto[j]
        z *= 0.5
    z += m * _sigma(reghisto[0] / m)
    return <uint64_t>llround(ALPHA_INF * m * m / z)


cdef int _histogram(const uint8_t* base, Py_ssize_t n, int* reghisto) noexcept nogil:
    """Register histogram of a validated HLL: 0, or -1 for a corrupt sparse encoding."""
    cdef long j
    cdef long idx = 0
    cdef long runlen
    cdef const uint8_t* p
    cdef const uint8_t* end
    cdef const uint8_t* regs = base + HDR_SIZE_C
    if base[4] == ENC_DENSE:
        for j in range(REGISTERS):
            reghisto[_dense_get(regs, j)] += 1
        return 0
    p = regs
    end = base + n
    while p < end:
        if _is_zero(p[0]):
            runlen = (p[0] & 0x3f) + 1
            reghisto[0] += runlen
            p += 1
        elif _is_xzero(p[0]):
            runlen = _xzero_len(p, end)
            reghisto[0] += runlen
            p += 2
        else:
            runlen = _val_len(p[0])
            reghisto[_val_value(p[0])] += runlen
            p += 1
        idx += runlen
        if idx > REGISTERS:
            return -1
    return 0 if idx == REGISTERS else -1


cdef inline const uint8_t* _buf(object value, Py_ssize_t* n) except NULL:
    if type(value) is bytearray:
        n[0] = PyByteArray_GET_SIZE(value)
        return <const uint8_t*>PyByteArray_AS_STRING(value)
    if isinstance(value, bytes):
        n[0] = PyBytes_GET_SIZE(value)
        return <const uint8_t*>PyBytes_AS_STRING(value)
    raise TypeError("HLL values are bytes or bytearray")


# ---------------------------------------------------------------------------------------------- public API

def new_sparse() -> bytearray:
    """An empty HLL as createHLLObject makes it: sparse, one XZERO opcode covering every register."""
    cdef bytearray hll = bytearray(HDR_SIZE_C + 2)
    cdef uint8_t* p = <uint8_t*>PyByteArray_AS_STRING(hll)
    memcpy(p, b"HYLL", 4)
    p[4] = ENC_SPARSE
    _put_zero_run(p + HDR_SIZE_C, XZERO_MAX_LEN)
    return hll


def is_valid(value: object) -> bool:
    """isHLLObjectOrReply's checks on a string value: length, magic, known encoding, exact dense size."""
    cdef Py_ssize_t n
    cdef const uint8_t* p = _buf(value, &n)
    if n < HDR_SIZE_C or p[0] != 72 or p[1] != 89 or p[2] != 76 or p[3] != 76:   # "HYLL"
        return False
    if p[4] > ENC_SPARSE:
        return False
    return not (p[4] == ENC_DENSE and n != DENSE_SIZE_C)


def encoding(value: object) -> int:
    """The header's encoding byte (DENSE or SPARSE on a valid HLL)."""
    cdef Py_ssize_t n
    return _buf(value, &n)[4]


def add(bytearray hll, list argv, Py_ssize_t start, Py_ssize_t max_bytes) -> int:
    """PFADD argv[start:] into a valid HLL: how many registers rose, or -1 if the sparse form is corrupt."""
    cdef Py_ssize_t i, elen
    cdef long index
    cdef int count, r
    cdef int updated = 0
    cdef object ele
    cdef const uint8_t* e
    for i in range(start, len(argv)):
        ele = argv[i]
        e = _buf(ele, &elen)
        count = _pat_len(e, elen, &index)
        if (<uint8_t*>PyByteArray_AS_STRING(hll))[4] == ENC_DENSE:
            r = _dense_set(<uint8_t*>PyByteArray_AS_STRING(hll) + HDR_SIZE_C, index, count)
        else:
            r = _sparse_set(hll, index, count, max_bytes)
            if r < 0:
                return -1
        updated += r
    if updated:
        (<uint8_t*>PyByteArray_AS_STRING(hll))[15] |= 0x80
    return updated


def invalidate_cache(bytearray hll) -> None:
    """Mark the cached cardinality stale (HLL_INVALIDATE_CACHE)."""
    (<uint8_t*>PyByteArray_AS_STRING(hll))[15] |= 0x80


def cached_card(value: object) -> int:
    """The cached cardinality, or -1 when the header marks it stale."""
    cdef Py_ssize_t n
    cdef const uint8_t* p = _buf(value, &n)
    cdef uint64_t card = 0
    cdef int j
    if p[15] & 0x80:
        return -1
    for j in range(7, -1, -1):
        card = (card << 8) | p[8 + j]
    return card


def set_cached_card(bytearray hll, uint64_t card) -> None:
    cdef uint8_t* p = <uint8_t*>PyByteArray_AS_STRING(hll)
    cdef int j
    for j in range(8):
        p[8 + j] = <uint8_t>((card >> (8 * j)) & 0xff)


def count(value: object) -> int:
    """hllCount of one valid HLL (no cache): the estimate, or -1 if the sparse form is corrupt."""
    cdef int reghisto[64]
    cdef Py_ssize_t n
    cdef const uint8_t* p = _buf(value, &n)
    memset(reghisto, 0, sizeof(reghisto))
    if _histogram(p, n, reghisto) < 0:
        return -1
    return _estimate(reghisto)


def new_raw() -> bytearray:
    """A zeroed array of one byte per register (the PFCOUNT/PFMERGE accumulator)."""
    return bytearray(REGISTERS)


def merge_into(bytearray raw, value: object) -> bool:
    """hllMerge: raise each byte of `raw` to the matching register of a valid HLL. False if corrupt."""
    cdef Py_ssize_t n
    cdef const uint8_t* p = _buf(value, &n)
    cdef uint8_t* mx = <uint8_t*>PyByteArray_AS_STRING(raw)
    cdef long i
    cdef int v
    if p[4] == ENC_DENSE:
        for i in range(REGISTERS):
            v = _dense_get(p + HDR_SIZE_C, i)
            if v > mx[i]:
                mx[i] = <uint8_t>v
        return True
    return _sparse_to_registers(p + HDR_SIZE_C, p + n, NULL, mx) == 0


def count_raw(bytearray raw) -> int:
    """hllCount over the raw per-register bytes (multi-key PFCOUNT)."""
    cdef int reghisto[256]
    cdef const uint8_t* mx = <const uint8_t*>PyByteArray_AS_STRING(raw)
    cdef long i
    memset(reghisto, 0, sizeof(reghisto))
    for i in range(REGISTERS):
        reghisto[mx[i]] += 1
    return _estimate(reghisto)


def to_dense(bytearray hll) -> int:
    """PFDEBUG TODENSE / PFMERGE's promotion: 1 converted, 0 already dense, -1 corrupt."""
    return _to_dense(hll)


def store_raw(bytearray hll, bytearray raw, Py_ssize_t max_bytes) -> bool:
    """PFMERGE's write-back: set every non-zero register of `raw` into `hll` (may promote it to dense)."""
    cdef const uint8_t* mx = <const uint8_t*>PyByteArray_AS_STRING(raw)
    cdef long j
    for j in range(REGISTERS):
        if mx[j] == 0:
            continue
        if (<uint8_t*>PyByteArray_AS_STRING(hll))[4] == ENC_DENSE:
            _dense_set(<uint8_t*>PyByteArray_AS_STRING(hll) + HDR_SIZE_C, j, mx[j])
        elif _sparse_set(hll, j, mx[j], max_bytes) < 0:
            return False
    (<uint8_t*>PyByteArray_AS_STRING(hll))[15] |= 0x80
    return True


def dense_registers(value: object) -> list[int]:
    """Every register of a dense HLL (PFDEBUG GETREG)."""
    cdef Py_ssize_t n
    cdef const uint8_t* p = _buf(value, &n)
    return [_dense_get(p + HDR_SIZE_C, i) for i in range(REGISTERS)]


def decode_sparse(value: object) -> bytes:
    """PFDEBUG DECODE's text: "z:N", "Z:N" and "v:value,len" opcodes separated by spaces."""
    cdef Py_ssize_t n
    cdef const uint8_t* base = _buf(value, &n)
    cdef const uint8_t* p = base + HDR_SIZE_C
    cdef const uint8_t* end = base + n
    parts = []
    while p < end:
        if _is_zero(p[0]):
            parts.append(b"z:%d" % ((p[0] & 0x3f) + 1))
            p += 1
        elif _is_xzero(p[0]):
            parts.append(b"Z:%d" % _xzero_len(p, end))
            p += 2
        else:
            parts.append(b"v:%d,%d" % (_val_value(p[0]), _val_len(p[0])))
            p += 1
    return b" ".join(parts)


def dense_put(bytearray hll, long index, int value) -> None:
    """Set one dense register (PFSELFTEST and tests)."""
    _dense_put(<uint8_t*>PyByteArray_AS_STRING(hll) + HDR_SIZE_C, index, value & REGISTER_MAX)


def dense_get(value: object, long index) -> int:
    cdef Py_ssize_t n
    return _dense_get(_buf(value, &n) + HDR_SIZE_C, index)


def sparse_set(bytearray hll, long index, int count, Py_ssize_t max_bytes) -> int:
    """hllSparseSet on one register (PFSELFTEST and tests)."""
    return _sparse_set(hll, index, count, max_bytes)
