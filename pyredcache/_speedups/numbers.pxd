# Declarations for pyredcache._speedups.numbers: string2ll_c is inline, so resp.pyx cimports it without
# importing the module at run time.

cdef inline bint string2ll_c(const char* p, Py_ssize_t n, long long* out) noexcept:
    # Optional '-', then '0' alone or a nonzero digit followed by digits; the value must fit in 64 bits.
    cdef Py_ssize_t i = 0
    cdef bint neg = False
    cdef unsigned long long v = 0
    cdef int d
    if n <= 0 or n > 20:
        return False
    if n == 1 and p[0] == b'0':
        out[0] = 0
        return True
    if p[0] == b'-':
        if n == 1:
            return False
        neg = True
        i = 1
    if p[i] < b'1' or p[i] > b'9':
        return False
    while i < n:
        d = p[i] - 48
        if d < 0 or d > 9:
            return False
        # 20 digits can overflow unsigned 64 bits: stop before v * 10 + d wraps.
        if v > 1844674407370955161ULL or (v == 1844674407370955161ULL and d > 5):
            return False
        v = v * 10 + d
        i += 1
    if neg:
        if v > 9223372036854775808ULL:
            return False
        out[0] = <long long>(0 - v)
    elif v > 9223372036854775807ULL:
        return False
    else:
        out[0] = <long long>v
    return True
